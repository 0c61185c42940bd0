//! The variable store of one driver (NUT's `dstate`): variables with their flags, maximum
//! length, enumerated values and ranges, the instant commands, and whether the data is fresh.
//!
//! Every change is recorded as the [`DriverMsg`] NUT would broadcast, so the socket server can
//! send it to every connected client (upsd) after each update or request. Setting a variable to
//! the value it already has records nothing, exactly like NUT, which keeps the socket quiet
//! between real changes.
//!
//! Variables and commands are kept sorted the way NUT's tree sorts them (case-insensitive
//! ASCII, `strcasecmp`), which is the order of `DUMPALL` and therefore of `upsc` output.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};

use nut_proto::sock::{name_key as key, DriverMsg, Flags};
use nut_proto::words::quote;

/// One variable (shared with upsd, which keeps the same record for each driver variable).
pub use nut_proto::sock::Var;

/// The store. Create one per driver instance; the framework owns it and lends it to the
/// [`crate::Driver`] methods.
#[derive(Debug, Default)]
pub struct State {
    vars: BTreeMap<String, Var>,
    cmds: BTreeMap<String, String>,
    stale: bool,
    changes: Vec<DriverMsg>,
    overrides: HashMap<String, String>,
}

impl State {
    /// An empty store. The data starts as fresh (`DATAOK`), as in NUT, until the driver says
    /// otherwise.
    pub fn new() -> Self {
        Self::default()
    }

    /// Set a variable, creating it if needed. Returns true when something changed (and was
    /// recorded for broadcast). A variable fixed by `override.<var>` in ups.conf keeps the
    /// override value whatever the driver reads from the device.
    pub fn set_info(&mut self, name: &str, value: &str) -> bool {
        if let Some(v) = self.overrides.get(&key(name)) {
            let v = v.clone();
            return self.set_raw(name, &v);
        }
        self.set_raw(name, value)
    }

    fn set_raw(&mut self, name: &str, value: &str) -> bool {
        let k = key(name);
        match self.vars.get_mut(&k) {
            Some(var) if var.value == value => false,
            Some(var) => {
                var.value = value.to_string();
                self.changes.push(DriverMsg::SetInfo(var.name.clone(), value.to_string()));
                true
            }
            None => {
                self.vars
                    .insert(k, Var { name: name.to_string(), value: value.to_string(), ..Var::default() });
                self.changes.push(DriverMsg::SetInfo(name.to_string(), value.to_string()));
                true
            }
        }
    }

    /// The current value of a variable.
    pub fn get_info(&self, name: &str) -> Option<&str> {
        self.vars.get(&key(name)).map(|v| v.value.as_str())
    }

    /// The whole variable (flags, aux, enums, ranges).
    pub fn var(&self, name: &str) -> Option<&Var> {
        self.vars.get(&key(name))
    }

    /// All variables in NUT's order.
    pub fn vars(&self) -> impl Iterator<Item = &Var> {
        self.vars.values()
    }

    /// Remove a variable. Returns true if it existed.
    pub fn del_info(&mut self, name: &str) -> bool {
        match self.vars.remove(&key(name)) {
            Some(v) => {
                self.changes.push(DriverMsg::DelInfo(v.name));
                true
            }
            None => false,
        }
    }

    /// Replace the flags of an existing variable (ignored for an unknown one, like NUT).
    pub fn set_flags(&mut self, name: &str, flags: Flags) {
        if let Some(var) = self.vars.get_mut(&key(name)) {
            if var.flags != flags {
                var.flags = flags;
                self.changes.push(DriverMsg::SetFlags(var.name.clone(), flags));
            }
        }
    }

    /// Set the maximum length of a STRING variable (ignored for an unknown one).
    pub fn set_aux(&mut self, name: &str, aux: i64) {
        if let Some(var) = self.vars.get_mut(&key(name)) {
            if var.aux != aux {
                var.aux = aux;
                self.changes.push(DriverMsg::SetAux(var.name.clone(), aux));
            }
        }
    }

    /// Add an allowed value (no duplicates; ignored for an unknown variable).
    pub fn add_enum(&mut self, name: &str, value: &str) {
        if let Some(var) = self.vars.get_mut(&key(name)) {
            if !var.enums.iter().any(|e| e == value) {
                var.enums.push(value.to_string());
                self.changes.push(DriverMsg::AddEnum(var.name.clone(), value.to_string()));
            }
        }
    }

    /// Remove an allowed value.
    pub fn del_enum(&mut self, name: &str, value: &str) {
        if let Some(var) = self.vars.get_mut(&key(name)) {
            if let Some(i) = var.enums.iter().position(|e| e == value) {
                var.enums.remove(i);
                self.changes.push(DriverMsg::DelEnum(var.name.clone(), value.to_string()));
            }
        }
    }

    /// Add an allowed range (no duplicates; ignored for an unknown variable).
    pub fn add_range(&mut self, name: &str, min: i64, max: i64) {
        if let Some(var) = self.vars.get_mut(&key(name)) {
            if !var.ranges.contains(&(min, max)) {
                var.ranges.push((min, max));
                self.changes.push(DriverMsg::AddRange(var.name.clone(), min, max));
            }
        }
    }

    /// Remove an allowed range.
    pub fn del_range(&mut self, name: &str, min: i64, max: i64) {
        if let Some(var) = self.vars.get_mut(&key(name)) {
            if let Some(i) = var.ranges.iter().position(|r| *r == (min, max)) {
                var.ranges.remove(i);
                self.changes.push(DriverMsg::DelRange(var.name.clone(), min, max));
            }
        }
    }

    /// Declare an instant command.
    pub fn add_cmd(&mut self, cmd: &str) {
        if let Entry::Vacant(e) = self.cmds.entry(key(cmd)) {
            e.insert(cmd.to_string());
            self.changes.push(DriverMsg::AddCmd(cmd.to_string()));
        }
    }

    /// Withdraw an instant command.
    pub fn del_cmd(&mut self, cmd: &str) {
        if let Some(c) = self.cmds.remove(&key(cmd)) {
            self.changes.push(DriverMsg::DelCmd(c));
        }
    }

    /// True if the command was declared.
    pub fn has_cmd(&self, cmd: &str) -> bool {
        self.cmds.contains_key(&key(cmd))
    }

    /// The commands in NUT's order.
    pub fn cmds(&self) -> impl Iterator<Item = &str> {
        self.cmds.values().map(String::as_str)
    }

    /// The driver talks to the device again: upsd serves the data.
    pub fn data_ok(&mut self) {
        if self.stale {
            self.stale = false;
        }
        // NUT sends DATAOK on every call; upsd treats repeats as no-ops.
        self.changes.push(DriverMsg::DataOk);
    }

    /// The driver lost the device: upsd answers DATA-STALE until [`State::data_ok`].
    pub fn data_stale(&mut self) {
        self.stale = true;
        self.changes.push(DriverMsg::DataStale);
    }

    /// Whether the data is currently stale.
    pub fn is_stale(&self) -> bool {
        self.stale
    }

    /// Install `override.<var>` values: they replace the driver's value now and later.
    pub fn set_override(&mut self, name: &str, value: &str) {
        self.overrides.insert(key(name), value.to_string());
        self.set_raw(name, value);
    }

    /// Install a `default.<var>` value: used only when the driver did not set the variable.
    pub fn set_default(&mut self, name: &str, value: &str) {
        if self.get_info(name).is_none() {
            self.set_info(name, value);
        }
    }

    /// Take the changes recorded since the last call, oldest first.
    pub fn take_changes(&mut self) -> Vec<DriverMsg> {
        std::mem::take(&mut self.changes)
    }

    /// The full state as NUT's `DUMPALL` answer: for each variable `SETINFO`, `SETAUX`, the
    /// enums, the ranges and `SETFLAGS`; then the commands; then `DATAOK`/`DATASTALE`; then
    /// `DUMPDONE`.
    pub fn dump(&self) -> Vec<DriverMsg> {
        let mut out = Vec::with_capacity(self.vars.len() * 3 + self.cmds.len() + 2);
        for v in self.vars.values() {
            out.push(DriverMsg::SetInfo(v.name.clone(), v.value.clone()));
            if v.aux != 0 {
                out.push(DriverMsg::SetAux(v.name.clone(), v.aux));
            }
            for e in &v.enums {
                out.push(DriverMsg::AddEnum(v.name.clone(), e.clone()));
            }
            for (a, b) in &v.ranges {
                out.push(DriverMsg::AddRange(v.name.clone(), *a, *b));
            }
            if v.flags != Flags::default() {
                out.push(DriverMsg::SetFlags(v.name.clone(), v.flags));
            }
        }
        for c in self.cmds.values() {
            out.push(DriverMsg::AddCmd(c.clone()));
        }
        out.push(if self.stale { DriverMsg::DataStale } else { DriverMsg::DataOk });
        out.push(DriverMsg::DumpDone);
        out
    }
}

/// Format a message exactly as NUT's drivers write it on the socket: as
/// [`DriverMsg::to_line`], except that NUT writes the variable name of `SETINFO`, `ADDENUM`,
/// `DELENUM` and `SETFLAGS` bare, never quoted, whatever it holds.
pub fn wire_line(msg: &DriverMsg) -> String {
    match msg {
        DriverMsg::SetInfo(v, val) => format!("SETINFO {v} {}\n", quote(val)),
        DriverMsg::AddEnum(v, val) => format!("ADDENUM {v} {}\n", quote(val)),
        DriverMsg::DelEnum(v, val) => format!("DELENUM {v} {}\n", quote(val)),
        DriverMsg::SetFlags(v, f) => {
            let mut s = format!("SETFLAGS {v}");
            for w in f.words() {
                s.push(' ');
                s.push_str(w);
            }
            s.push('\n');
            s
        }
        other => other.to_line(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw_string() -> Flags {
        Flags { rw: true, string: true, number: false }
    }

    #[test]
    fn set_records_changes_only() {
        let mut s = State::new();
        assert!(s.set_info("ups.load", "10"));
        assert!(!s.set_info("ups.load", "10"));
        assert!(s.set_info("UPS.LOAD", "11"));
        assert_eq!(s.get_info("ups.load"), Some("11"));
        assert_eq!(
            s.take_changes(),
            vec![
                DriverMsg::SetInfo("ups.load".into(), "10".into()),
                DriverMsg::SetInfo("ups.load".into(), "11".into()),
            ]
        );
        assert!(s.take_changes().is_empty());
    }

    #[test]
    fn dump_order_is_nut_order() {
        let mut s = State::new();
        s.set_info("ups.status", "OL");
        s.set_info("input.L1.voltage", "230");
        s.set_info("input.frequency", "50");
        s.set_flags("ups.status", rw_string());
        s.set_aux("ups.status", 32);
        s.add_enum("input.frequency", "50");
        s.add_range("input.frequency", 45, 55);
        s.add_cmd("load.on");
        s.add_cmd("beeper.off");
        let lines: String = s.dump().iter().map(wire_line).collect();
        assert_eq!(
            lines,
            "SETINFO input.frequency \"50\"\nADDENUM input.frequency \"50\"\nADDRANGE input.frequency 45 55\n\
             SETINFO input.L1.voltage \"230\"\nSETINFO ups.status \"OL\"\nSETAUX ups.status 32\n\
             SETFLAGS ups.status RW STRING\nADDCMD beeper.off\nADDCMD load.on\nDATAOK\nDUMPDONE\n"
        );
        s.data_stale();
        assert_eq!(s.dump()[s.dump().len() - 2], DriverMsg::DataStale);
    }

    #[test]
    fn flags_aux_enum_range_changes() {
        let mut s = State::new();
        s.set_flags("missing", rw_string());
        s.set_info("x", "1");
        s.take_changes();
        s.set_flags("x", rw_string());
        s.set_flags("x", rw_string());
        s.set_aux("x", 5);
        s.add_enum("x", "a");
        s.add_enum("x", "a");
        s.del_enum("x", "a");
        s.add_range("x", 1, 2);
        s.del_range("x", 1, 2);
        s.del_info("x");
        assert_eq!(s.take_changes().len(), 7);
        assert!(s.var("x").is_none());
    }

    #[test]
    fn overrides_and_defaults() {
        let mut s = State::new();
        s.set_override("battery.charge.low", "30");
        s.set_info("battery.charge.low", "10");
        assert_eq!(s.get_info("battery.charge.low"), Some("30"));
        s.set_info("ups.mfr", "Eaton");
        s.set_default("ups.mfr", "X");
        s.set_default("ups.model", "Y");
        assert_eq!(s.get_info("ups.mfr"), Some("Eaton"));
        assert_eq!(s.get_info("ups.model"), Some("Y"));
    }

    #[test]
    fn wire_escapes_like_nut() {
        let m = DriverMsg::SetInfo("ups.id".into(), "a \"b\" \\ #1".into());
        assert_eq!(wire_line(&m), "SETINFO ups.id \"a \\\"b\\\" \\\\ \\#1\"\n");
        assert_eq!(wire_line(&DriverMsg::SetFlags("x".into(), Flags::default())), "SETFLAGS x\n");
    }
}
