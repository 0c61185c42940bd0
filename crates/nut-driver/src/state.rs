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
//!
//! `ups.status` and `ups.alarm` are best built with NUT's status helpers
//! ([`State::status_init`], [`State::status_set`], [`State::status_commit`] and the `alarm_*`
//! ones), which apply what NUT 2.8.5 applies to every driver: `ignorelb` (the device's LB is
//! dropped and LB comes from `battery.charge` < `battery.charge.low` or `battery.runtime` <
//! `battery.runtime.low`), the `CHRG`/`DISCHRG` fallback from a changing `battery.charge`, and
//! the `ALARM` token while `ups.alarm` is set.

use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

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
    status: StatusBuf,
}

/// NUT's `status_buf`/`alarm_buf` and what `status_commit` needs.
#[derive(Debug, Default)]
struct StatusBuf {
    /// Tokens collected since [`State::status_init`], in order, without duplicates.
    tokens: Vec<String>,
    /// `driver.flag.ignorelb` was set at the last [`State::status_init`].
    ignorelb: bool,
    /// A driver passed `ALARM` as a status token (the legacy way): kept as the prefix.
    legacy_alarm: bool,
    /// Alarm texts collected since [`State::alarm_init`].
    alarm: String,
    /// `ups.alarm` was non-empty at the last [`State::alarm_commit`].
    alarm_active: bool,
    /// `battery.charge` before the current update, and when it was set.
    previous_charge: Option<(f64, Option<Instant>)>,
    /// When `battery.charge` last changed.
    charge_set_at: Option<Instant>,
}

/// NUT's warning when the driver's CHRG or DISCHRG contradicts the change of `battery.charge`
/// (`dis`: the device says DISCHRG while the charge rose).
fn misleading_charge_warning(dis: bool, current: f64, previous: f64, ago: f64) -> String {
    format!(
        "Device reports that it is {}charging, but the current battery charge {current} is {} than \
         {previous} reported {ago} seconds ago",
        if dis { "dis" } else { "" },
        if dis { "greater" } else { "less" },
    )
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
        if k == "battery.charge" && self.vars.get(&k).is_none_or(|v| v.value != value) {
            self.status.charge_set_at = Some(Instant::now());
        }
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

    /// Start a new `ups.status` (NUT's `status_init`): forget the tokens collected so far, and
    /// read whether `driver.flag.ignorelb` is set.
    pub fn status_init(&mut self) {
        self.status.ignorelb = self.get_info("driver.flag.ignorelb").is_some();
        self.status.tokens.clear();
        self.status.legacy_alarm = false;
    }

    /// Add status tokens (NUT's `status_set`): `text` may hold several, separated by spaces;
    /// a token already present is not repeated. With `ignorelb` the device's `LB` is dropped;
    /// `ALARM` is not kept as a token but makes [`State::status_commit`] put it first.
    pub fn status_set(&mut self, text: &str) {
        for t in text.split_whitespace() {
            if self.status.ignorelb && t.eq_ignore_ascii_case("LB") {
                nut_daemon::trace!("status_set: ignoring LB flag from device");
                continue;
            }
            if t.eq_ignore_ascii_case("ALARM") {
                self.status.legacy_alarm = true;
                continue;
            }
            if !self.status.tokens.iter().any(|x| x == t) {
                self.status.tokens.push(t.to_string());
            }
        }
    }

    /// Whether a token was set since [`State::status_init`] (NUT's `status_get`).
    pub fn status_get(&self, token: &str) -> bool {
        self.status.tokens.iter().any(|x| x == token)
    }

    /// Publish `ups.status` from the collected tokens (NUT's `status_commit`), adding what NUT
    /// 2.8.5 adds for every driver:
    /// - with `ignorelb`, `LB` when `battery.charge` < `battery.charge.low`, else when
    ///   `battery.runtime` < `battery.runtime.low` (whole numbers, as NUT compares them);
    /// - when `battery.charge` (below 100) differs from its value before this update and the
    ///   driver said neither `CHRG` nor `DISCHRG`: `CHRG` if it rose, `DISCHRG` if it fell; if
    ///   the driver's word contradicts the change, a warning and the other token too;
    /// - `ALARM` first while `ups.alarm` is set (or a driver set `ALARM` as a token).
    pub fn status_commit(&mut self) {
        if self.status.ignorelb {
            let below = |s: &State, v: &str, l: &str| match (s.get_info(v), s.get_info(l)) {
                (Some(v), Some(l)) => nut_core::num::atoi(v) < nut_core::num::atoi(l),
                _ => false,
            };
            if below(self, "battery.charge", "battery.charge.low") {
                nut_daemon::trace!("status_commit: appending LB flag (charge below battery.charge.low)");
                self.status.tokens.push("LB".into());
            } else if below(self, "battery.runtime", "battery.runtime.low") {
                nut_daemon::trace!("status_commit: appending LB flag (runtime below battery.runtime.low)");
                self.status.tokens.push("LB".into());
            }
        }
        self.charge_fallback();
        let mut text = self.status.tokens.join(" ");
        if self.status.alarm_active || self.status.legacy_alarm {
            text = if text.is_empty() { "ALARM".into() } else { format!("ALARM {text}") };
        }
        self.set_info("ups.status", &text);
    }

    fn charge_fallback(&mut self) {
        let Some((previous, previous_at)) = self.status.previous_charge else { return };
        let Some(current) = self.get_info("battery.charge").and_then(|v| v.trim().parse::<f64>().ok()) else {
            return;
        };
        if !(0.0..100.0).contains(&current) || (current - previous).abs() < 1e-9 {
            return;
        }
        let (dis, chrg) = (self.status_get("DISCHRG"), self.status_get("CHRG"));
        if !dis && !chrg {
            self.status_set(if current > previous { "CHRG" } else { "DISCHRG" });
            return;
        }
        let misleading_dis = current > previous && dis;
        let misleading_chrg = current < previous && chrg;
        if misleading_dis || misleading_chrg {
            let ago = match (self.status.charge_set_at, previous_at) {
                (Some(now), Some(then)) => now.saturating_duration_since(then).as_secs_f64(),
                _ => 0.0,
            };
            nut_daemon::warn!("{}", misleading_charge_warning(misleading_dis, current, previous, ago));
            self.status_set(if misleading_dis { "CHRG" } else { "DISCHRG" });
        }
    }

    /// Start collecting alarms (NUT's `alarm_init`).
    pub fn alarm_init(&mut self) {
        self.status.alarm.clear();
    }

    /// Add an alarm text (NUT's `alarm_set`); several are joined by spaces.
    pub fn alarm_set(&mut self, text: &str) {
        if !self.status.alarm.is_empty() {
            self.status.alarm.push(' ');
        }
        self.status.alarm.push_str(text);
    }

    /// Publish `ups.alarm` from the collected texts, or remove it when there are none (NUT's
    /// `alarm_commit`). Call it before [`State::status_commit`], which adds `ALARM` to the
    /// status while an alarm is set.
    pub fn alarm_commit(&mut self) {
        if self.status.alarm.is_empty() {
            self.del_info("ups.alarm");
            self.status.alarm_active = false;
        } else {
            let text = self.status.alarm.clone();
            self.set_info("ups.alarm", &text);
            self.status.alarm_active = true;
        }
    }

    /// Note `battery.charge` before an update, for the `CHRG`/`DISCHRG` fallback of
    /// [`State::status_commit`] (the framework calls it before every [`crate::Driver::update`]).
    pub fn remember_battery_charge(&mut self) {
        let Some(v) = self.get_info("battery.charge").and_then(|v| v.trim().parse::<f64>().ok()) else {
            return;
        };
        if v >= 0.0 && self.status.previous_charge.is_none_or(|(p, _)| (p - v).abs() >= 1e-9) {
            self.status.previous_charge = Some((v, self.status.charge_set_at));
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

    fn status(s: &mut State, tokens: &str) -> String {
        s.status_init();
        s.status_set(tokens);
        s.status_commit();
        s.get_info("ups.status").unwrap_or_default().to_string()
    }

    #[test]
    fn status_tokens_are_unique_and_alarm_goes_first() {
        let mut s = State::new();
        assert_eq!(status(&mut s, "OL  OL CHRG"), "OL CHRG");
        assert_eq!(status(&mut s, "ALARM OB"), "ALARM OB", "a driver's ALARM token is put first");
        s.alarm_init();
        s.alarm_set("[UPS too warm]");
        s.alarm_set("[fan]");
        s.alarm_commit();
        assert_eq!(s.get_info("ups.alarm"), Some("[UPS too warm] [fan]"));
        assert_eq!(status(&mut s, "OL"), "ALARM OL");
        s.alarm_init();
        s.alarm_commit();
        assert_eq!(s.get_info("ups.alarm"), None);
        assert_eq!(status(&mut s, "OL"), "OL");
    }

    #[test]
    fn ignorelb_drops_the_device_lb_and_uses_charge_then_runtime() {
        let mut s = State::new();
        s.set_info("battery.charge", "80");
        s.set_info("battery.charge.low", "20");
        assert_eq!(status(&mut s, "OB LB"), "OB LB", "without ignorelb the device decides");
        s.set_info("driver.flag.ignorelb", "enabled");
        assert_eq!(status(&mut s, "OB LB"), "OB", "device LB dropped");
        s.set_info("battery.charge", "19.9");
        assert_eq!(status(&mut s, "OB"), "OB LB", "19.9 < 20 (compared as whole numbers as NUT: 19 < 20)");
        s.set_info("battery.charge", "20.5");
        assert_eq!(status(&mut s, "OB"), "OB");
        s.set_info("battery.runtime", "100");
        s.set_info("battery.runtime.low", "120");
        assert_eq!(status(&mut s, "OB LB"), "OB LB", "runtime below its limit");
    }

    #[test]
    fn misleading_charge_warning_reads_as_nuts() {
        assert_eq!(
            misleading_charge_warning(true, 86.0, 85.0, 2.5),
            "Device reports that it is discharging, but the current battery charge 86 is greater than 85 \
             reported 2.5 seconds ago"
        );
        assert_eq!(
            misleading_charge_warning(false, 84.5, 85.0, 0.0),
            "Device reports that it is charging, but the current battery charge 84.5 is less than 85 \
             reported 0 seconds ago"
        );
    }

    #[test]
    fn charge_fallback_adds_chrg_or_dischrg_from_the_change_since_the_last_update() {
        let mut s = State::new();
        s.set_info("battery.charge", "90");
        assert_eq!(status(&mut s, "OB"), "OB", "no previous value yet");
        s.remember_battery_charge();
        s.set_info("battery.charge", "85");
        assert_eq!(status(&mut s, "OB"), "OB DISCHRG");
        s.remember_battery_charge();
        s.set_info("battery.charge", "86");
        assert_eq!(status(&mut s, "OL"), "OL CHRG");
        // The driver's own word stands when it agrees; a contradiction adds the other token.
        assert_eq!(status(&mut s, "OL CHRG"), "OL CHRG");
        assert_eq!(status(&mut s, "OL DISCHRG"), "OL DISCHRG CHRG");
        // Unchanged or full: nothing added.
        s.remember_battery_charge();
        assert_eq!(status(&mut s, "OL"), "OL");
        s.set_info("battery.charge", "100");
        assert_eq!(status(&mut s, "OL"), "OL");
    }
}
