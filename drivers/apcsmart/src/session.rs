//! The exchanges of NUT's apcsmart driver over a [`Line`]: smart mode, the start-up walk
//! (firmware table or command set, variables, capabilities), polls, EEPROM writes, instant
//! commands and the shutdown methods of apcsmart(8). Values go into a `nut_driver::State`.
//!
//! Reads follow NUT's: a reply ends at LF; CR and the ignore set of the read's [`Mode`] are
//! dropped; alert characters seen in polls change the status at once; a reply cut short
//! (bytes but no LF before the timeout) is a failed read.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use nut_driver::{CmdResult, Flags, State};

use crate::protocol::{self, Feed, Mode, Reader};
use crate::tables::{self, cmd, stat, CmdKind, VarDef, VARS};

/// A failure of the line itself (not a missing answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// The port hung up (device unplugged).
    Closed,
    /// Another error.
    Io(String),
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::Closed => f.write_str("the serial line was closed"),
            LineError::Io(e) => f.write_str(e),
        }
    }
}

/// A byte line to the UPS.
pub trait Line {
    /// Send bytes.
    fn write(&mut self, bytes: &[u8]) -> Result<(), LineError>;
    /// Wait up to `timeout` for bytes; empty when none came.
    fn read(&mut self, timeout: Duration) -> Result<Vec<u8>, LineError>;
    /// Throw away what has been received and not read.
    fn discard_input(&mut self) -> Result<(), LineError>;
    /// Wait (between the bytes of a repeated or long command).
    fn pause(&mut self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// What a read gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// A non-empty reply.
    Line(String),
    /// Nothing (timeout, or an empty line).
    Nothing,
    /// A reply cut short, or too long.
    Bad,
}

impl Read {
    /// The reply, unless it is missing or `NA`.
    pub fn value(&self) -> Option<&str> {
        match self {
            Read::Line(s) if s != "NA" => Some(s),
            _ => None,
        }
    }
}

/// Read timeouts (NUT's SER_D*).
const T_DEFAULT: Duration = Duration::from_secs(3);
const T_PEEK: Duration = Duration::from_millis(200);
const T_SHORT: Duration = Duration::from_millis(1500);
const T_LONG: Duration = Duration::from_secs(6);

/// Per-variable state found at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VarState {
    /// The UPS has it.
    pub present: bool,
    /// Writable.
    pub rw: bool,
    /// Writable by stepping through the capability values.
    pub enumerated: bool,
    /// Fields published (packed variables).
    pub cnt: usize,
    /// The NUT name in use (`F` becomes `output.frequency` next to a two-byte input frequency).
    pub name: &'static str,
}

/// Shutdown settings from the options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shutdown {
    /// `sdtype` (0 to 5).
    pub sdtype: u8,
    /// `advorder` digits, when given and not `no`.
    pub advorder: Option<Vec<u8>>,
    /// `awd`.
    pub awd: Option<String>,
    /// `cshdelay`.
    pub cshdelay: Duration,
}

/// A session with one UPS.
#[derive(Debug)]
pub struct Session<L: Line> {
    /// The line.
    pub line: L,
    reader: Reader,
    pending: VecDeque<u8>,
    /// The status register as last read or changed by alerts.
    pub status: u8,
    status_dirty: bool,
    /// Per entry of [`VARS`].
    pub vars: Vec<VarState>,
    /// Per entry of [`tables::DUAL_VARS`].
    pub dual: Vec<bool>,
    /// Per entry of [`tables::CMDS`].
    pub cmds: Vec<bool>,
    last_nasty: Option<Instant>,
    /// Shutdown settings.
    pub sd: Shutdown,
}

impl<L: Line> Session<L> {
    /// A session over `line`.
    pub fn new(line: L) -> Self {
        Session {
            line,
            reader: Reader::new(),
            pending: VecDeque::new(),
            status: 0,
            status_dirty: false,
            vars: VARS
                .iter()
                .map(|d| VarState { present: false, rw: false, enumerated: false, cnt: 0, name: d.name })
                .collect(),
            dual: vec![false; tables::DUAL_VARS.len()],
            cmds: vec![false; tables::CMDS.len()],
            last_nasty: None,
            sd: Shutdown { cshdelay: Duration::from_millis(3500), ..Shutdown::default() },
        }
    }

    /// Forget what start-up found (before a fresh start-up after a reconnection).
    pub fn reset(&mut self) {
        self.reader.clear();
        self.pending.clear();
        self.status = 0;
        self.status_dirty = false;
        for (st, d) in self.vars.iter_mut().zip(VARS) {
            *st = VarState { present: false, rw: false, enumerated: false, cnt: 0, name: d.name };
        }
        self.dual.iter_mut().for_each(|d| *d = false);
        self.cmds.iter_mut().for_each(|c| *c = false);
    }

    // ---- reads and writes ------------------------------------------------------------

    /// NUT's `apc_read`: one reply in `mode`, waiting `timeout` for each chunk.
    pub fn read(&mut self, mode: Mode, timeout: Duration) -> Result<Read, LineError> {
        self.reader.clear();
        loop {
            while let Some(b) = self.pending.pop_front() {
                match self.reader.feed(b, mode) {
                    Feed::More => {}
                    Feed::Alert(a) => self.alert(a),
                    Feed::Line(l) => {
                        return Ok(if l.is_empty() { Read::Nothing } else { Read::Line(protocol::text(&l)) })
                    }
                    Feed::Star => {
                        // Anything after the '*' is flushed (a UPS might send "OK" too).
                        self.pending.clear();
                        let _ = self.line.read(Duration::from_secs(1))?;
                        return Ok(Read::Line("OK".into()));
                    }
                    Feed::Overflow => {
                        nut_driver::debug!("serial port read overflow");
                        self.pending.clear();
                        self.line.discard_input()?;
                        return Ok(Read::Bad);
                    }
                }
            }
            let chunk = self.line.read(timeout)?;
            if chunk.is_empty() {
                if self.reader.partial() {
                    nut_driver::debug!("serial port partial timeout");
                    self.reader.clear();
                    return Ok(Read::Bad);
                }
                return Ok(Read::Nothing);
            }
            self.pending.extend(chunk);
        }
    }

    fn alert(&mut self, a: u8) {
        self.status = protocol::apply_alert(self.status, a);
        match tables::ALERTS.iter().any(|(c, _, _)| *c == a) {
            true => nut_driver::debug!("alert_handler: {}", a as char),
            false => nut_driver::debug!("alert_handler: got 0x{a:02x} (unhandled)"),
        }
        self.status_dirty = true;
    }

    /// NUT's `apc_flush(0)`: drop everything received.
    pub fn flush(&mut self) -> Result<(), LineError> {
        self.pending.clear();
        self.line.discard_input()
    }

    /// Read and drop whatever arrives until nothing has come for `quiet` (at least `quiet`).
    pub fn drain(&mut self, quiet: Duration) -> Result<(), LineError> {
        self.pending.clear();
        self.reader.clear();
        while !self.line.read(quiet)?.is_empty() {}
        Ok(())
    }

    /// NUT's `apc_flush(SER_AA)`: read what is there, acting on alerts.
    pub fn flush_alerts(&mut self) -> Result<(), LineError> {
        while let Read::Line(_) = self.read(Mode::AlertAware, Duration::ZERO)? {}
        Ok(())
    }

    /// Send one byte.
    pub fn write1(&mut self, b: u8) -> Result<(), LineError> {
        self.line.write(&[b])
    }

    /// A multi-byte command: the first byte, a short look for an answer (any answer means
    /// the UPS refused it: the rest would be taken as commands), then the rest 50 ms apart.
    /// False when the UPS answered the first byte.
    pub fn write_long(&mut self, bytes: &[u8]) -> Result<bool, LineError> {
        let Some((&first, rest)) = bytes.split_first() else { return Ok(true) };
        self.write1(first)?;
        if self.read(Mode::Plain, T_PEEK)? != Read::Nothing {
            return Ok(false);
        }
        for &b in rest {
            self.line.pause(Duration::from_millis(50));
            self.write1(b)?;
        }
        Ok(true)
    }

    /// A command sent twice (power commands): the byte, a short look for an answer (any
    /// means refusal), 1.3 s, the byte again. False when the UPS answered the first.
    pub fn write_rep(&mut self, b: u8) -> Result<bool, LineError> {
        self.write1(b)?;
        if self.read(Mode::Plain, T_PEEK)? != Read::Nothing {
            return Ok(false);
        }
        self.line.pause(Duration::from_millis(1300));
        self.write1(b)?;
        Ok(true)
    }

    /// Publish the status if it changed.
    pub fn publish_status(&mut self, state: &mut State) {
        if !self.status_dirty {
            return;
        }
        self.status_dirty = false;
        state.status_init();
        for t in protocol::status_tokens(self.status) {
            state.status_set(t);
        }
        state.status_commit();
    }

    // ---- start-up ---------------------------------------------------------------------

    /// NUT's `smartmode`: `Y` until the UPS answers `SM` (an ESC between tries).
    pub fn smartmode(&mut self, tries: usize) -> Result<bool, LineError> {
        for _ in 0..tries {
            self.flush()?;
            self.write1(cmd::SMART)?;
            let r = self.read(Mode::Plain, T_SHORT)?;
            if r == Read::Line("SM".into()) {
                return Ok(true);
            }
            if r == Read::Bad {
                self.line.pause(Duration::from_secs(1));
            }
            self.write1(cmd::ESC)?;
            self.read(Mode::Plain, T_SHORT)?;
        }
        Ok(false)
    }

    fn def(i: usize) -> &'static VarDef {
        &VARS[i]
    }

    /// Publish a variable's raw value (packed ones field by field).
    fn set_value(&mut self, i: usize, raw: &str, state: &mut State) {
        let d = Self::def(i);
        if !d.pack {
            state.set_info(self.vars[i].name, &protocol::convert(d.fmt, raw));
            return;
        }
        let (vals, over) = protocol::split_packed(raw, d.fmt);
        if self.vars[i].cnt > vals.len() {
            self.del_value(i, vals.len(), state);
        }
        if over {
            nut_driver::warn!(
                "packed variable {} [{}] longer than {} fields,\nignoring remaining fields",
                d.name,
                printable(d.cmd),
                tables::PACK_MAX
            );
        }
        self.vars[i].cnt = vals.len();
        for (k, v) in vals.iter().enumerate().rev() {
            state.set_info(&protocol::packed_name(d, k), v);
        }
    }

    fn del_value(&mut self, i: usize, from: usize, state: &mut State) {
        let d = Self::def(i);
        if !d.pack {
            state.del_info(self.vars[i].name);
            return;
        }
        for k in from..self.vars[i].cnt {
            state.del_info(&protocol::packed_name(d, k));
        }
        self.vars[i].cnt = 0;
    }

    /// NUT's `preread_data`: the raw answer to a variable's command, unless none or `NA`.
    fn preread(&mut self, i: usize) -> Result<Option<String>, LineError> {
        let d = Self::def(i);
        nut_driver::debug!("preread_data: {} [{}]", d.name, printable(d.cmd));
        self.flush()?;
        self.write1(d.cmd)?;
        let r = self.read(Mode::Plain, T_DEFAULT)?;
        match r.value() {
            Some(v) => Ok(Some(v.to_string())),
            None => {
                if r != Read::Bad {
                    nut_driver::error!(
                        "preread_data: {} [{}] timed out or not supported",
                        d.name,
                        printable(d.cmd)
                    );
                }
                Ok(None)
            }
        }
    }

    fn string_setup(&mut self, i: usize, state: &mut State) {
        if Self::def(i).string {
            state.set_flags(self.vars[i].name, Flags { rw: true, string: true, ..Flags::default() });
            state.set_aux(self.vars[i].name, tables::STRLEN as i64);
            self.vars[i].rw = true;
        }
    }

    /// NUT's `var_verify`.
    fn var_verify(&mut self, i: usize, state: &mut State) -> Result<(), LineError> {
        let d = Self::def(i);
        if d.multi {
            self.vars[i].present = true;
            return Ok(());
        }
        match self.preread(i)? {
            Some(raw) if protocol::check(d.check, &raw) => {
                self.vars[i].present = true;
                self.set_value(i, &raw, state);
                self.string_setup(i, state);
                nut_driver::debug!("{} [{}] - variable supported", d.name, printable(d.cmd));
            }
            _ => nut_driver::warn!("{} [{}] - variable invalid", d.name, printable(d.cmd)),
        }
        Ok(())
    }

    /// NUT's `deprecate_vars`: of the entries sharing a name or a command, keep the first
    /// present one whose answer passes its check.
    fn deprecate_vars(&mut self, state: &mut State) -> Result<(), LineError> {
        for i in 0..VARS.len() {
            let d = Self::def(i);
            if !d.multi || !self.vars[i].present {
                continue;
            }
            match self.preread(i)? {
                Some(raw) if protocol::check(d.check, &raw) => {
                    for (st, o) in self.vars.iter_mut().zip(VARS).skip(i + 1) {
                        if o.name == d.name || o.cmd == d.cmd {
                            st.present = false;
                        }
                    }
                    self.set_value(i, &raw, state);
                    self.string_setup(i, state);
                    nut_driver::debug!("{} [{}] - variable combination supported", d.name, printable(d.cmd));
                }
                _ => {
                    self.vars[i].present = false;
                    nut_driver::warn!("{} [{}] - variable combination invalid", d.name, printable(d.cmd));
                }
            }
        }
        Ok(())
    }

    /// NUT's `protocol_verify`: what one command byte of the command set gives.
    fn protocol_verify(&mut self, c: u8, state: &mut State) -> Result<(), LineError> {
        if tables::UNREPORTED.contains(&c) {
            return Ok(());
        }
        let vars: Vec<usize> = (0..VARS.len()).filter(|&i| VARS[i].cmd == c).collect();
        if !vars.is_empty() {
            for i in vars {
                self.var_verify(i, state)?;
            }
            return Ok(());
        }
        let mut found = false;
        for (k, ct) in tables::CMDS.iter().enumerate() {
            if ct.cmd == c {
                self.cmds[k] = true;
                state.add_cmd(ct.name);
                nut_driver::debug!("{} [{}] - command supported", ct.name, printable(c));
                found = true;
            }
        }
        if !found {
            nut_driver::warn!("[{}] unrecognized", printable(c));
        }
        Ok(())
    }

    fn lookup_present(&self, c: u8) -> Option<usize> {
        (0..VARS.len()).find(|&i| self.vars[i].present && VARS[i].cmd == c)
    }

    fn lookup_name(&self, name: &str) -> Option<usize> {
        (0..VARS.len()).find(|&i| self.vars[i].present && self.vars[i].name.eq_ignore_ascii_case(name))
    }

    /// NUT's `apc_getcaps`: the capability string makes variables writable with their
    /// allowed values.
    fn getcaps(&mut self, quirk: bool, state: &mut State) -> Result<(), String> {
        let loc = state.get_info("ups.firmware").and_then(|f| f.bytes().last()).unwrap_or(0);
        self.flush().map_err(|e| e.to_string())?;
        self.write1(cmd::CAPS).map_err(|e| e.to_string())?;
        let r = self.read(Mode::Caps, T_LONG).map_err(|e| e.to_string())?;
        let Some(raw) = r.value() else {
            if r != Read::Bad {
                nut_driver::warn!("APC cannot do capabilities but said it could !");
            }
            return Ok(());
        };
        let (entries, over) = match protocol::parse_caps(&protocol::bytes(raw)) {
            Ok(x) => x,
            Err(protocol::CapsError::BadStart(b)) => {
                nut_driver::warn!("unknown capability start char [{}] !", b as char);
                nut_driver::debug!("apc_getcaps: please report this caps string: {raw}");
                return Ok(());
            }
        };
        for e in entries {
            let vt = self.lookup_present(e.cmd);
            let valid = vt.is_some_and(|i| (e.loc == loc || e.loc == b'4') && !VARS[i].pack);
            match vt {
                Some(i) if valid => {
                    let name = self.vars[i].name;
                    nut_driver::debug!("apc_getcaps: {name} [{}({})] - capability supported", printable(e.cmd), e.loc as char);
                    state.set_flags(name, Flags { rw: true, ..Flags::default() });
                    self.vars[i].rw = true;
                    self.vars[i].enumerated = true;
                    for v in &e.values {
                        state.add_enum(name, &protocol::convert(VARS[i].fmt, v));
                    }
                }
                Some(i) if VARS[i].pack => nut_driver::warn!(
                    "WARN: packed APC variable {} [{}] reported as enumerable,\nplease report it on the mailing list",
                    VARS[i].name,
                    printable(e.cmd)
                ),
                _ => {}
            }
        }
        if over.is_some() && !quirk {
            return Err(
                "capability string has overflowed, please report this error with device details!".into()
            );
        }
        Ok(())
    }

    fn legacy_verify(&mut self, name: &str, state: &mut State) -> Result<(), LineError> {
        for (i, d) in VARS.iter().enumerate() {
            if d.name == name {
                self.var_verify(i, state)?;
            }
        }
        Ok(())
    }

    /// NUT's `oldapcsetup`: units without a command set.
    fn old_setup(&mut self, state: &mut State) -> Result<(), LineError> {
        for v in tables::LEGACY_VARS {
            self.legacy_verify(v, state)?;
        }
        self.deprecate_vars(state)?;
        if self.lookup_name("output.current").is_some() {
            state.set_info("ups.model", "Matrix-UPS");
        } else if self.lookup_name("ups.model").is_none() {
            state.set_info("ups.model", "Smart-UPS");
        }
        Ok(())
    }

    /// NUT's `firmware_table_lookup`: 1 matched, 2 the capability-overflow firmware, 0 not.
    fn firmware_lookup(&mut self, state: &mut State) -> Result<u8, LineError> {
        nut_driver::debug!("firmware_table_lookup: attempting firmware lookup using [V]");
        self.flush()?;
        self.write1(cmd::FW_OLD)?;
        let mut r = self.read(Mode::Plain, T_DEFAULT)?;
        if r == Read::Bad {
            return Ok(0);
        }
        if r.value().is_none() {
            nut_driver::debug!("firmware_table_lookup: attempting firmware lookup using [b]");
            self.write1(cmd::FW_NEW)?;
            r = self.read(Mode::Plain, T_DEFAULT)?;
        }
        let Read::Line(mut fw) = r else { return Ok(0) };
        nut_driver::debug!("firmware_table_lookup: detected firmware version: {fw}");
        if fw == tables::QUIRK_CAPS_OVERFLOW {
            nut_driver::debug!("firmware_table_lookup: WARN: quirky firmware !");
            return Ok(2);
        }
        if fw.len() == 2 && fw.bytes().all(|b| b.is_ascii_hexdigit()) {
            fw = tables::COMPAT_HEX2.to_string();
        }
        let Some(&(key, cmds)) = tables::COMPAT.iter().find(|(k, _)| *k == fw) else { return Ok(0) };
        nut_driver::debug!("firmware_table_lookup: matched firmware: {key}");
        let matrix = key.starts_with(['0', '5']);
        state.set_info("ups.model", if matrix { "Matrix-UPS" } else { "Smart-UPS" });
        for &c in cmds {
            self.protocol_verify(c, state)?;
        }
        self.deprecate_vars(state)?;
        Ok(1)
    }

    /// NUT's `getbaseinfo`: what the UPS supports, and the first read of every variable.
    pub fn getbaseinfo(&mut self, state: &mut State) -> Result<(), String> {
        let e = |e: LineError| e.to_string();
        let qco = self.firmware_lookup(state).map_err(e)?;
        if qco == 1 {
            return Ok(());
        }
        nut_driver::debug!("getbaseinfo: attempting var/cmdset lookup using [a]");
        self.flush().map_err(e)?;
        self.write1(cmd::CMDSET).map_err(e)?;
        let r = self.read(Mode::CmdSet, T_LONG).map_err(e)?;
        if r == Read::Bad {
            return Err("no valid answer to the command set query".into());
        }
        // Replies are kept byte for byte (one char per byte): the two-byte extensions are not
        // ASCII.
        let set = r.value().and_then(|v| protocol::parse_cmdset(&protocol::bytes(v)));
        let set = match set {
            Some(s) => s,
            None => {
                nut_driver::info!("very old or unknown APC model, support will be limited");
                self.old_setup(state).map_err(e)?;
                return Ok(());
            }
        };
        for &c in &set.cmds {
            self.protocol_verify(c, state).map_err(e)?;
        }
        self.deprecate_vars(state).map_err(e)?;
        for &(p, s) in &set.dual {
            for (k, &(name, dp, ds)) in tables::DUAL_VARS.iter().enumerate() {
                if (dp, ds) == (p, s) {
                    self.dual[k] = true;
                    nut_driver::debug!("dual cmd [0x{p:02X} 0x{s:02X}] -> {name} supported");
                }
            }
        }
        if self.dual[0] {
            if let Some(i) = (0..VARS.len()).find(|&i| VARS[i].cmd == b'F') {
                if self.vars[i].present {
                    // As NUT: the start-up value stays under input.frequency until the
                    // two-byte query replaces it; F is polled as output.frequency.
                    self.vars[i].name = tables::F_WITH_DUAL_INPUT;
                }
            }
        }
        if set.cmds.contains(&cmd::CAPS) {
            self.getcaps(qco == 2, state)?;
        }
        Ok(())
    }

    // ---- polls ------------------------------------------------------------------------

    /// NUT's `update_status`: `Q`. False when it gave nothing usable.
    pub fn update_status(&mut self, state: &mut State) -> Result<bool, LineError> {
        self.flush_alerts()?;
        self.write1(cmd::STATUS)?;
        let r = self.read(Mode::AlertAware, T_DEFAULT)?;
        let parsed = r.value().and_then(protocol::parse_status);
        let Some(s) = parsed else {
            if r != Read::Bad {
                nut_driver::warn!("update_status: failed");
            }
            self.publish_status(state);
            return Ok(false);
        };
        self.status = s;
        self.status_dirty = true;
        self.publish_status(state);
        Ok(true)
    }

    /// NUT's `poll_data`. False when the read failed.
    fn poll_data(&mut self, i: usize, state: &mut State) -> Result<bool, LineError> {
        if !self.vars[i].present {
            return Ok(true);
        }
        let d = Self::def(i);
        nut_driver::debug!("poll_data: {} [{}]", self.vars[i].name, printable(d.cmd));
        self.flush_alerts()?;
        self.write1(d.cmd)?;
        let r = self.read(Mode::AlertAware, T_DEFAULT)?;
        let Read::Line(v) = r else { return Ok(false) };
        if v == "NA" {
            nut_driver::warn!(
                "poll_data: verified variable {} [{}] returned NA, removing",
                self.vars[i].name,
                printable(d.cmd)
            );
            self.vars[i].present = false;
            self.del_value(i, 0, state);
        } else {
            self.set_value(i, &v, state);
        }
        Ok(true)
    }

    /// NUT's `update_info`: every polled variable, or all of them. False when a read failed.
    pub fn update_info(&mut self, all: bool, state: &mut State) -> Result<bool, LineError> {
        for (i, d) in VARS.iter().enumerate() {
            if !all && !d.poll {
                continue;
            }
            if !self.poll_data(i, state)? {
                nut_driver::debug!("update_info: aborting scan");
                self.publish_status(state);
                return Ok(false);
            }
        }
        for k in 0..tables::DUAL_VARS.len() {
            if !self.dual[k] {
                continue;
            }
            let (name, p, s) = tables::DUAL_VARS[k];
            self.flush_alerts()?;
            self.line.write(&[p, s])?;
            let r = self.read(Mode::AlertAware, T_DEFAULT)?;
            match r {
                Read::Line(v) if v != "NA" => {
                    state.set_info(name, &v);
                }
                Read::Line(_) => {}
                _ => {
                    self.publish_status(state);
                    return Ok(false);
                }
            }
        }
        self.publish_status(state);
        Ok(true)
    }

    // ---- writes -----------------------------------------------------------------------

    /// A SET from upsd.
    pub fn setvar(&mut self, name: &str, value: &str, state: &mut State) -> Result<CmdResult, LineError> {
        let Some(i) = self.lookup_name(name) else { return Ok(CmdResult::Unknown) };
        if !self.vars[i].rw {
            nut_driver::warn!("setvar: [{name}] is not writable");
            return Ok(CmdResult::Unknown);
        }
        let r = if self.vars[i].enumerated {
            self.setvar_enum(i, value, state)?
        } else if VARS[i].string {
            self.setvar_string(i, value, state)?
        } else {
            CmdResult::Unknown
        };
        self.publish_status(state);
        Ok(r)
    }

    /// Step an EEPROM variable with `-` until it shows `value` (NUT tries 32 steps and stops
    /// when the value comes round again).
    fn setvar_enum(&mut self, i: usize, value: &str, state: &mut State) -> Result<CmdResult, LineError> {
        let d = Self::def(i);
        let name = self.vars[i].name;
        self.flush_alerts()?;
        self.write1(d.cmd)?;
        let Some(orig) = self.read(Mode::AlertAware, T_DEFAULT)?.value().map(str::to_string) else {
            return Ok(CmdResult::Failed);
        };
        if protocol::convert(d.fmt, &orig) == value {
            nut_driver::info!("setvar_enum: ignoring SET {name}='{value}' (unchanged value)");
            return Ok(CmdResult::Handled);
        }
        for _ in 0..32 {
            self.write1(cmd::NEXT)?;
            match self.read(Mode::AlertAware, T_DEFAULT)? {
                Read::Line(s) if s == "OK" => {}
                _ => return Ok(CmdResult::Failed),
            }
            self.write1(d.cmd)?;
            let Some(now) = self.read(Mode::AlertAware, T_DEFAULT)?.value().map(str::to_string) else {
                return Ok(CmdResult::Failed);
            };
            let conv = protocol::convert(d.fmt, &now);
            nut_driver::debug!("setvar_enum: rotate - got [{conv}], want [{value}]");
            if conv == value {
                nut_driver::info!("setvar_enum: SET {name}='{value}'");
                self.poll_data(i, state)?;
                return Ok(CmdResult::Handled);
            }
            // NUT compares the converted value with the raw original here.
            if conv == orig {
                nut_driver::warn!("setvar_enum: variable {name} wrapped");
                return Ok(CmdResult::Failed);
            }
        }
        nut_driver::warn!("setvar_enum: gave up after 6 tries for {name}");
        self.poll_data(i, state)?;
        Ok(CmdResult::Failed)
    }

    /// Write an 8-character EEPROM string: `-`, the value, CRs.
    fn setvar_string(&mut self, i: usize, value: &str, state: &mut State) -> Result<CmdResult, LineError> {
        let d = Self::def(i);
        let name = self.vars[i].name;
        if value.len() > tables::STRLEN {
            nut_driver::warn!("setvar_string: value ({value}) too long");
            return Ok(CmdResult::Failed);
        }
        self.flush_alerts()?;
        self.write1(d.cmd)?;
        let Some(cur) = self.read(Mode::AlertAware, T_DEFAULT)?.value().map(str::to_string) else {
            return Ok(CmdResult::Failed);
        };
        if cur == value {
            nut_driver::info!("setvar_string: ignoring SET {name}='{value}' (unchanged value)");
            return Ok(CmdResult::Handled);
        }
        if !self.write_long(&protocol::string_write(value))? {
            return Ok(CmdResult::Failed);
        }
        match self.read(Mode::AlertAware, T_DEFAULT)? {
            Read::Line(s) if s == "NO" => {
                nut_driver::warn!("setvar_string: got NO at final read");
                return Ok(CmdResult::Failed);
            }
            Read::Line(_) => {}
            _ => {
                nut_driver::warn!("setvar_string: short final read");
                return Ok(CmdResult::Failed);
            }
        }
        self.poll_data(i, state)?;
        nut_driver::info!("setvar_string: SET {name}='{value}'");
        Ok(CmdResult::Handled)
    }

    // ---- instant commands ---------------------------------------------------------------

    /// An INSTCMD from upsd.
    pub fn instcmd(
        &mut self,
        name: &str,
        param: Option<&str>,
        state: &mut State,
    ) -> Result<CmdResult, LineError> {
        let Some(ct) = protocol::find_cmd(name, param) else {
            nut_driver::warn!("instcmd: unknown command [{name}] [{}]", param.unwrap_or(""));
            return Ok(CmdResult::Unknown);
        };
        let k = tables::CMDS.iter().position(|c| std::ptr::eq(c, ct)).unwrap_or(0);
        if !self.cmds[k] {
            nut_driver::warn!(
                "instcmd: command [{name} {}] recognized, but not supported by your UPS model",
                param.unwrap_or("")
            );
            return Ok(CmdResult::Invalid);
        }
        if ct.nasty && !self.nasty_window_ok() {
            nut_driver::debug!("instcmd_chktime: outside window for [{name} {}]", param.unwrap_or(""));
            return Ok(CmdResult::Handled);
        }
        let r = match ct.kind {
            CmdKind::CalStart => self.do_cal(true)?,
            CmdKind::CalStop => self.do_cal(false)?,
            CmdKind::LoadOn => {
                self.flush()?;
                if self.write_rep(cmd::ON)? {
                    CmdResult::Handled
                } else {
                    CmdResult::Failed
                }
            }
            CmdKind::OffZ => self.sd_z()?,
            CmdKind::StayOffK => self.sd_k()?,
            CmdKind::HardAt => self.sd_at(param.map(|p| &p[3..]))?,
            CmdKind::SoftOrCs => {
                if param.is_some_and(|p| p.eq_ignore_ascii_case("cs")) {
                    self.sd_cs()?
                } else {
                    self.sd_s()?
                }
            }
            CmdKind::Plain | CmdKind::Repeat => self.do_cmd(ct.cmd, ct.kind == CmdKind::Repeat, name)?,
        };
        self.publish_status(state);
        Ok(r)
    }

    /// The first of a pair of dangerous commands only arms them; the second, 3 to 15 s
    /// later, acts (one clock for all of them, as in NUT).
    fn nasty_window_ok(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = self.last_nasty.map(|t| now.duration_since(t).as_secs());
        self.last_nasty = Some(now);
        let (lo, hi) = tables::NASTY_WINDOW;
        elapsed.is_some_and(|e| (lo..=hi).contains(&e))
    }

    fn do_cmd(&mut self, c: u8, repeat: bool, name: &str) -> Result<CmdResult, LineError> {
        self.flush_alerts()?;
        let sent = if repeat { self.write_rep(c)? } else { self.write1(c).map(|_| true)? };
        if !sent {
            return Ok(CmdResult::Failed);
        }
        match self.read(Mode::AlertAware, T_DEFAULT)? {
            Read::Line(s) if s == "OK" => {
                nut_driver::info!("do_cmd: {name} completed");
                Ok(CmdResult::Handled)
            }
            Read::Line(s) => {
                nut_driver::warn!("do_cmd: got [{s}] after command [{name}]");
                Ok(CmdResult::Failed)
            }
            _ => Ok(CmdResult::Failed),
        }
    }

    /// Start or stop a runtime calibration after checking whether one runs. NUT reports
    /// these as handled whatever happens (its "FUTURE: failure" notes); so do we.
    fn do_cal(&mut self, start: bool) -> Result<CmdResult, LineError> {
        self.flush_alerts()?;
        self.write1(cmd::STATUS)?;
        let Some(s) = self.read(Mode::AlertAware, T_DEFAULT)?.value().map(str::to_string) else {
            nut_driver::warn!("runtime calibration state can not be determined");
            return Ok(CmdResult::Handled);
        };
        let running = protocol::parse_status(&s).unwrap_or(0) & stat::CAL != 0;
        match (running, start) {
            (true, true) => {
                nut_driver::info!("runtime calibration already in progress");
                return Ok(CmdResult::Handled);
            }
            (false, false) => {
                nut_driver::info!("runtime calibration not occurring");
                return Ok(CmdResult::Handled);
            }
            (true, false) => nut_driver::info!("stopping runtime calibration"),
            (false, true) => nut_driver::info!("starting runtime calibration"),
        }
        self.write1(cmd::CALTOGGLE)?;
        let r = self.read(Mode::AlertAware, T_DEFAULT)?;
        match r.value() {
            Some(v) if v != "NO" => {}
            _ => {
                let got = if let Read::Line(s) = &r { s.as_str() } else { "" };
                let what = if start { "start" } else { "stop" };
                nut_driver::warn!("{what} calibration failed, cmd returned: {got}");
            }
        }
        Ok(CmdResult::Handled)
    }

    /// NUT's `sdok`: a shutdown command is answered `OK` or `*`; with `silent_ok` no answer
    /// is fine too (`Z`).
    fn sdok(&mut self, silent_ok: bool) -> Result<CmdResult, LineError> {
        let r = self.read(Mode::Shutdown, T_SHORT)?;
        let got = if let Read::Line(s) = &r { s.as_str() } else { "" };
        nut_driver::debug!("sdok: got \"{got}\"");
        let ok = match &r {
            Read::Line(s) => s == "OK",
            Read::Nothing => silent_ok,
            Read::Bad => return Ok(CmdResult::Failed),
        };
        nut_driver::debug!("sdok: last shutdown cmd {}", if ok { "succeeded" } else { "failed" });
        Ok(if ok { CmdResult::Handled } else { CmdResult::Failed })
    }

    /// Soft hibernate `S` (works on battery only).
    pub fn sd_s(&mut self) -> Result<CmdResult, LineError> {
        self.flush()?;
        nut_driver::debug!("sdcmd_S: issuing [S]");
        self.write1(cmd::SOFTDOWN)?;
        self.sdok(false)
    }

    /// The "force OB hack": simulate a power failure (when on line), wait `cshdelay`, `S`.
    pub fn sd_cs(&mut self) -> Result<CmdResult, LineError> {
        nut_driver::debug!(
            "sdcmd_CS: issuing CS 'hack' [U+S] with {:.1} sec delay",
            self.sd.cshdelay.as_secs_f64()
        );
        if self.status & stat::OL != 0 {
            self.flush()?;
            self.write1(cmd::SIMPWF)?;
            if self.read(Mode::Plain, T_SHORT)? == Read::Bad {
                return Ok(CmdResult::Failed);
            }
            self.line.pause(self.sd.cshdelay);
        }
        self.sd_s()
    }

    /// Hard hibernate `@nnn` (or `@nn` for exactly two digits).
    pub fn sd_at(&mut self, awd: Option<&str>) -> Result<CmdResult, LineError> {
        let awd = awd.unwrap_or("000");
        let bytes = protocol::at_command(awd);
        nut_driver::debug!(
            "sdcmd_AT: issuing [@] with {} minutes of additional wake-up delay",
            protocol::leading_int(awd) * 6
        );
        self.flush()?;
        if !self.write_long(&bytes)? {
            nut_driver::warn!("issuing [@] with {} digits failed", bytes.len() - 1);
            return Ok(CmdResult::Failed);
        }
        let r = self.sdok(false)?;
        if r == CmdResult::Handled || bytes.len() == 4 {
            return Ok(r);
        }
        nut_driver::warn!("command [@] with 2 digits doesn't work - try 3 digits");
        // Abort the sequence with something harmless; newer units say NO.
        self.write1(cmd::SMART)?;
        self.read(Mode::Plain, T_SHORT)?;
        Ok(CmdResult::Failed)
    }

    /// Delayed power off `K` (twice).
    pub fn sd_k(&mut self) -> Result<CmdResult, LineError> {
        nut_driver::debug!("sdcmd_K: issuing [K]");
        self.flush()?;
        if !self.write_rep(cmd::SHUTDOWN)? {
            return Ok(CmdResult::Failed);
        }
        self.sdok(false)
    }

    /// Instant power off `Z` (twice; the UPS does not answer).
    pub fn sd_z(&mut self) -> Result<CmdResult, LineError> {
        nut_driver::debug!("sdcmd_Z: issuing [Z]");
        self.flush()?;
        if !self.write_rep(cmd::OFF)? {
            return Ok(CmdResult::Failed);
        }
        self.sdok(true)
    }

    fn sd_method(&mut self, m: u8) -> Result<CmdResult, LineError> {
        match m {
            0 => self.sd_s(),
            1 => {
                let awd = self.sd.awd.clone();
                self.sd_at(awd.as_deref())
            }
            2 => self.sd_k(),
            3 => self.sd_z(),
            _ => self.sd_cs(),
        }
    }

    /// The driver's shutdown (`-k`, `shutdown.default`): smart mode, the status, then
    /// `advorder`'s methods in turn until one works, or `sdtype`'s method.
    pub fn shutdown(&mut self) -> Result<CmdResult, LineError> {
        if !self.smartmode(1)? {
            nut_driver::warn!("upsdrv_shutdown: setting SmartMode failed !");
        }
        self.write1(cmd::STATUS)?;
        // NUT 2.8.5 takes only a one-character answer here and otherwise assumes OB LB,
        // which sends S (ignored on line) where its man page says @ (sdtype 0): we read the
        // usual two hex digits.
        match self.read(Mode::Plain, T_SHORT)?.value().and_then(protocol::parse_status) {
            Some(s) => self.status = s,
            None => {
                nut_driver::warn!("upsdrv_shutdown: status read failed, assuming LB+OB");
                self.status = stat::LB | stat::OB;
            }
        }
        if let Some(order) = self.sd.advorder.clone() {
            let mut last = CmdResult::Failed;
            for m in order {
                last = self.sd_method(m)?;
                if last == CmdResult::Handled {
                    break;
                }
            }
            return Ok(last);
        }
        let awd = self.sd.awd.clone();
        match self.sd.sdtype {
            5 => self.sd_at(awd.as_deref()),
            4 => self.sd_cs(),
            3 => self.sd_k(),
            2 => self.sd_z(),
            1 => {
                if self.status & stat::OB == 0 || self.sd_s()? != CmdResult::Handled {
                    self.sd_at(awd.as_deref())
                } else {
                    Ok(CmdResult::Handled)
                }
            }
            _ => {
                if self.status & stat::OL != 0 {
                    self.sd_at(awd.as_deref())
                } else {
                    self.sd_s()
                }
            }
        }
    }

    /// Leave smart mode (NUT's cleanup: `R`).
    pub fn goodbye(&mut self) {
        let _ = self.flush();
        if self.write1(cmd::DUMB).is_ok() {
            let _ = self.read(Mode::Plain, T_DEFAULT);
        }
    }
}

/// A byte as NUT prints it in messages: the character, or 0xNN.
pub fn printable(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' {
        (b as char).to_string()
    } else {
        format!("0x{b:02x}")
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
