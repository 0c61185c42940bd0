//! dummy-ups: a simulated UPS served from a definition file, or a repeater of a UPS on another
//! upsd. It is also the reference example of a driver on the `nut-driver` framework: copy it
//! to start a new driver.
//!
//! Modes (NUT 2.8.0's), chosen by `mode=` or guessed from `port`:
//! - `dummy-once` (a `.dev` file): the file is read at start, and again whenever its
//!   modification time changes;
//! - `dummy-loop` (a `.seq` file, or `mode=dummy`): the file is replayed in a loop, `TIMER <s>`
//!   lines pausing between steps;
//! - `repeater` (`port = ups@host[:port]`): the variables and commands of that UPS are copied
//!   every poll interval, and SET/INSTCMD are forwarded to it. A source that can't be read at
//!   start-up stops the driver unless the `repeater_disable_strict_start` flag is set (NUT
//!   2.8.5); then the driver starts with stale data and keeps trying.
//!
//! Definition files take NUT 2.8.5's `ALARM <text>` instruction (see [`devfile`]): the alarm
//! texts go to `ups.alarm` and `ups.status` gets the `ALARM` token, through the framework's
//! status helpers, as a real driver raises alarms. `ups.status` lines go through the same
//! helpers, so `ignorelb` and the CHRG/DISCHRG fallback apply to a simulated UPS too.
//!
//! `-c reload` (SIGHUP) with a changed `port` switches to the new file (or, in repeater mode,
//! to the new source) when the mode stays the same; a change of mode needs a restart.
//!
//! Variables get the flags NUT's dummy-ups gives them: a fixed table of numeric ones (RW), a
//! few strings with their own maximum length, and RW STRING of 32 characters for all others.

pub mod devfile;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Instant, SystemTime};

use nut_driver::{
    CmdResult, Context, Driver, DriverError, DriverInfo, Flags, OptKind, OptSpec, Reload, State,
};

use crate::devfile::Entry;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    nut_driver::run(args, DummyUps::default())
}

/// Variables NUT's dummy-ups treats as numbers (flag RW only, no length).
const NUMERIC: &[&str] = &[
    "ambient.humidity",
    "ambient.humidity.alarm",
    "ambient.humidity.high",
    "ambient.humidity.low",
    "ambient.temperature",
    "ambient.temperature.alarm",
    "ambient.temperature.high",
    "ambient.temperature.low",
    "battery.charge",
    "battery.charge.low",
    "battery.charge.restart",
    "battery.current",
    "battery.runtime",
    "battery.runtime.low",
    "battery.temperature",
    "battery.voltage",
    "battery.voltage.nominal",
    "input.frequency",
    "input.transfer.boost.high",
    "input.transfer.boost.low",
    "input.transfer.high",
    "input.transfer.low",
    "input.transfer.trim.high",
    "input.transfer.trim.low",
    "input.voltage",
    "input.voltage.maximum",
    "input.voltage.minimum",
    "input.voltage.nominal",
    "output.current",
    "output.frequency",
    "output.voltage",
    "ups.delay.reboot",
    "ups.delay.shutdown",
    "ups.delay.start",
    "ups.load",
    "ups.temperature",
    "ups.test.interval",
];

/// String variables whose maximum length differs from the default 32.
const STRING_LEN: &[(&str, i64)] = &[
    ("input.quality", 6),
    ("input.sensitivity", 1),
    ("input.transfer.reason", 1),
    ("ups.date", 16),
    ("ups.firmware", 16),
    ("ups.firmware.aux", 16),
    ("ups.id", 16),
    ("ups.mfr.date", 16),
    ("ups.test.result", 16),
    ("ups.time", 16),
];

/// Default maximum length of string variables.
const DEFAULT_LEN: i64 = 32;

/// How the driver simulates or relays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Read the file once (and again when it changes).
    #[default]
    Once,
    /// Replay the file in a loop.
    Loop,
    /// Copy another upsd's UPS.
    Repeater,
}

impl Mode {
    /// The mode for a `mode=` value.
    pub fn from_option(s: &str) -> Option<Mode> {
        match s {
            "dummy" | "dummy-loop" => Some(Mode::Loop),
            "dummy-once" => Some(Mode::Once),
            "repeater" => Some(Mode::Repeater),
            _ => None,
        }
    }

    /// The mode NUT guesses from the port, and its name for `driver.parameter.mode`.
    pub fn guess(port: &str) -> (Mode, &'static str) {
        if port.ends_with(".seq") {
            (Mode::Loop, "dummy-loop")
        } else if port.ends_with(".dev") {
            (Mode::Once, "dummy-once")
        } else if port.contains('@') {
            (Mode::Repeater, "repeater")
        } else {
            (Mode::Loop, "dummy-loop")
        }
    }
}

/// Set a variable the way NUT's dummy-ups does: value first (`ups.status` goes through the
/// status helpers), then the flags from its table. An empty value removes the variable (its
/// man page: "setting an empty value").
pub fn setvar(state: &mut State, var: &str, value: &str) {
    if var.starts_with("ups.status") {
        state.status_init();
        state.status_set(value);
        state.status_commit();
    } else if value.is_empty() {
        state.del_info(var);
        return;
    } else {
        state.set_info(var, value);
    }
    if NUMERIC.contains(&var) {
        state.set_flags(var, Flags { rw: true, string: false, number: false });
    } else {
        let len = STRING_LEN.iter().find(|(n, _)| *n == var).map_or(DEFAULT_LEN, |(_, l)| *l);
        state.set_flags(var, Flags { rw: true, string: true, number: false });
        state.set_aux(var, len);
    }
}

/// The driver.
#[derive(Debug, Default)]
pub struct DummyUps {
    mode: Mode,
    file: PathBuf,
    mtime: Option<SystemTime>,
    entries: Vec<Entry>,
    pos: usize,
    resume_at: Option<Instant>,
    relay: Option<Relay>,
    /// The file has `ALARM` instructions: alarms and status are committed after each step.
    uses_alarm: bool,
}

/// The mode a configuration asks for: `mode=`, else guessed from the port.
fn mode_of(ctx: &Context) -> Option<Mode> {
    match ctx.value("mode") {
        Some(m) => Mode::from_option(m),
        None => Some(Mode::guess(&ctx.port).0),
    }
}

/// The definition file a port names (relative paths are taken from the configuration
/// directory).
fn dev_path(port: &str) -> PathBuf {
    let p = Path::new(port);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        nut_core::paths::conf_path().join(p)
    }
}

impl DummyUps {
    /// `-c reload` with a new port in the same mode: read the new file (or connect to the new
    /// source) and keep the old one if that fails.
    fn switch_port(&mut self, new: &Context, state: &mut State) -> Reload {
        if self.mode == Mode::Repeater {
            // The new source counts reconnections against the settings in force.
            let reconnect = nut_driver::reconnect::Reconnect::from_context(new);
            return match Relay::start(&new.port, true, reconnect) {
                Ok(mut relay) => {
                    if let Err(e) = relay.refresh(state) {
                        return Reload::Failed(e.to_string());
                    }
                    self.relay = Some(relay);
                    Reload::Applied
                }
                Err(e) => Reload::Failed(e.to_string()),
            };
        }
        let old = std::mem::replace(&mut self.file, dev_path(&new.port));
        let (old_mtime, old_entries) = (self.mtime, std::mem::take(&mut self.entries));
        let (old_pos, old_resume) = (self.pos, self.resume_at);
        if let Err(e) = self.load() {
            self.file = old;
            self.mtime = old_mtime;
            self.entries = old_entries;
            self.pos = old_pos;
            self.resume_at = old_resume;
            return Reload::Failed(e.to_string());
        }
        tracing::info!("now reading {}", self.file.display());
        self.step(state);
        state.data_ok();
        Reload::Applied
    }

    fn load(&mut self) -> Result<(), DriverError> {
        let bytes = std::fs::read(&self.file).map_err(|e| {
            DriverError::Config(format!(
                "Can't open dummy-ups definition file {}: {e} (check the port setting of this UPS in ups.conf; \
                 relative paths are taken from the configuration directory)",
                self.file.display()
            ))
        })?;
        self.mtime = mtime(&self.file);
        self.entries = devfile::parse(&bytes);
        self.uses_alarm = self.entries.iter().any(|e| matches!(e, Entry::Alarm(_)));
        self.pos = 0;
        self.resume_at = None;
        Ok(())
    }

    /// Apply entries from the current position until a TIMER or the end of the file.
    /// Returns true at the end of the file. With `ALARM` instructions, each step ends as NUT
    /// 2.8.5's: `ups.alarm` then `ups.status` are committed (the alarms start afresh with each
    /// pass over the file).
    fn step(&mut self, state: &mut State) -> bool {
        if self.uses_alarm && self.pos == 0 {
            state.status_init();
            state.alarm_init();
        }
        let mut end = true;
        while let Some(e) = self.entries.get(self.pos) {
            self.pos += 1;
            match e {
                Entry::Set { var, value, .. } => setvar(state, var, value),
                Entry::Alarm(Some(text)) => state.alarm_set(text),
                Entry::Alarm(None) => state.alarm_init(),
                Entry::Timer(s) => {
                    self.resume_at = Some(Instant::now() + std::time::Duration::from_secs(*s));
                    end = false;
                    break;
                }
                Entry::Error { line, message } => {
                    tracing::debug!("Parse error: {}:{line}: {message}", self.file.display())
                }
            }
        }
        if self.uses_alarm {
            state.alarm_commit();
            state.status_commit();
        }
        end
    }
}

fn mtime(p: &Path) -> Option<SystemTime> {
    std::fs::metadata(p).and_then(|m| m.modified()).ok()
}

impl Driver for DummyUps {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "Device simulation and repeater driver", version: "0.15" }
    }

    fn options(&self) -> Vec<OptSpec> {
        vec![
            OptSpec {
                name: "mode",
                kind: OptKind::Value,
                help: "Specify mode instead of guessing it from port value (dummy = dummy-loop, dummy-once, repeater)",
            },
            OptSpec {
                name: "repeater_disable_strict_start",
                kind: OptKind::Flag,
                help: "Do not terminate the driver encountering errors when starting the repeater mode",
            },
        ]
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        self.mode = match ctx.value("mode") {
            Some(m) => Mode::from_option(m).ok_or_else(|| {
                DriverError::Config(format!(
                    "Unsupported mode was specified: {m} (use dummy, dummy-loop, dummy-once or repeater)"
                ))
            })?,
            None => {
                let (mode, name) = Mode::guess(&ctx.port);
                state.set_info("driver.parameter.mode", name);
                mode
            }
        };
        if self.mode == Mode::Repeater {
            let strict = !ctx.flag("repeater_disable_strict_start");
            let mut relay =
                Relay::start(&ctx.port, strict, nut_driver::reconnect::Reconnect::from_context(ctx))?;
            relay.refresh(state)?;
            if strict && relay.failing {
                // The source answered the connection but not the data.
                return Err(DriverError::Device(format!(
                    "{}: can't read the source UPS. Any errors encountered starting the repeater mode result \
                     in driver termination, perhaps you want to set the 'repeater_disable_strict_start' option?",
                    relay.source()
                )));
            }
            self.relay = Some(relay);
            state.add_cmd("load.off");
            return Ok(());
        }
        self.file = dev_path(&ctx.port);
        for (var, val) in
            [("ups.mfr", "Dummy Manufacturer"), ("ups.model", "Dummy UPS"), ("ups.status", "OL")]
        {
            setvar(state, var, val);
        }
        self.load()?;
        self.step(state);
        state.data_ok();
        state.add_cmd("load.off");
        Ok(())
    }

    fn check(&self, ctx: &Context) -> Vec<String> {
        let mut problems = Vec::new();
        for file in self.files_read_after_drop(ctx) {
            match std::fs::read(&file) {
                Err(e) => problems.push(format!(
                    "can't read dummy-ups definition file {}: {e} (check the port setting of UPS [{}]; \
                     relative paths are taken from the configuration directory)",
                    file.display(),
                    ctx.upsname
                )),
                Ok(bytes) => {
                    for (line, words) in devfile::lex(&bytes) {
                        if let Err(e) = words {
                            problems.push(format!("{}:{line}: {e}", file.display()));
                        }
                    }
                }
            }
        }
        problems
    }

    fn files_read_after_drop(&self, ctx: &Context) -> Vec<std::path::PathBuf> {
        // The .dev/.seq file is read again when it changes or loops, as the dropped account.
        if mode_of(ctx).unwrap_or_else(|| Mode::guess(&ctx.port).0) == Mode::Repeater {
            return Vec::new();
        }
        vec![dev_path(&ctx.port)]
    }

    fn reload(&mut self, key: &str, new: &Context, state: &mut State) -> Reload {
        // The mode is chosen once at start-up (the repeater and the file modes keep different
        // state): a port or mode that asks for another mode needs a restart.
        let same_mode = mode_of(new) == Some(self.mode);
        match key {
            "mode" if same_mode => Reload::Applied,
            "port" if same_mode => self.switch_port(new, state),
            _ => Reload::NeedsRestart,
        }
    }

    fn update(&mut self, state: &mut State) -> Result<(), DriverError> {
        match self.mode {
            Mode::Repeater => match &mut self.relay {
                Some(r) => r.refresh(state),
                None => Ok(()),
            },
            Mode::Once => {
                let now = mtime(&self.file);
                if now.is_some() && now != self.mtime {
                    tracing::info!("{} changed: reading it again", self.file.display());
                    self.load()?;
                    self.step(state);
                    state.data_ok();
                } else if self.resume_at.is_some_and(|t| Instant::now() >= t) {
                    self.resume_at = None;
                    self.step(state);
                }
                Ok(())
            }
            Mode::Loop => {
                if self.resume_at.is_some_and(|t| Instant::now() < t) {
                    return Ok(());
                }
                self.resume_at = None;
                if self.pos >= self.entries.len() {
                    // The end was reached: start over from a fresh read, as NUT reopens the file.
                    self.load()?;
                }
                self.step(state);
                state.data_ok();
                Ok(())
            }
        }
    }

    fn instcmd(&mut self, cmd: &str, param: Option<&str>, _state: &mut State) -> CmdResult {
        // NUT's dummy-ups lists load.off but answers every command as unknown.
        match &mut self.relay {
            Some(r) => r.instcmd(cmd, param),
            None => {
                tracing::info!("instcmd: unknown command [{cmd}] [{}]", param.unwrap_or("(null)"));
                CmdResult::Unknown
            }
        }
    }

    fn set_var(&mut self, var: &str, value: &str, state: &mut State) -> CmdResult {
        match &mut self.relay {
            Some(r) => r.set_var(var, value),
            None => {
                setvar(state, var, value);
                CmdResult::Handled
            }
        }
    }

    fn shutdown(&mut self, _state: &mut State) -> Result<(), DriverError> {
        // NUT's dummy-ups: "shutdown not supported" (2.8.0 exits with an error on -k).
        Err(DriverError::Device("shutdown not supported".into()))
    }
}

/// Repeater mode: a client of another upsd.
///
/// When the source cannot be read (its upsd is down, or it answers an error such as
/// DATA-STALE) the data is marked stale until a poll succeeds again. NUT 2.8.0's repeater
/// keeps serving the last values as fresh instead, which hides a power failure from anyone
/// watching the relay. Reconnection attempts count against `reconnect_max_tries`.
#[derive(Debug)]
pub struct Relay {
    name: nut_client::UpsName,
    client: Option<nut_client::Client>,
    /// True during an outage, so it is logged once rather than every poll.
    failing: bool,
    reconnect: nut_driver::reconnect::Reconnect,
}

impl Relay {
    /// Parse `ups@host[:port]` and connect. When the connection fails, `strict` stops the
    /// driver (NUT's default); otherwise (`repeater_disable_strict_start`) a warning is logged
    /// and the relay starts with stale data, retrying every poll.
    pub fn start(
        port: &str,
        strict: bool,
        reconnect: nut_driver::reconnect::Reconnect,
    ) -> Result<Relay, DriverError> {
        let name = nut_client::UpsName::parse(port).map_err(|e| {
            DriverError::Config(format!("repeater mode needs port = ups@host[:port], not {port:?}: {e}"))
        })?;
        let mut r = Relay { name, client: None, failing: false, reconnect };
        // Polls log their own hint on failure; at start-up the error is all the user sees.
        if let Err(e) = r.reconnect() {
            if strict {
                return Err(DriverError::Device(format!(
                    "Error: {e}. Any errors encountered starting the repeater mode result in driver \
                     termination, perhaps you want to set the 'repeater_disable_strict_start' option? \
                     (check that upsd runs there and listens on that address, or fix port = \
                     ups@host[:port] in ups.conf)"
                )));
            }
            tracing::warn!("Warning: {e}");
            r.failing = true;
        }
        Ok(r)
    }

    fn reconnect(&mut self) -> Result<(), DriverError> {
        let c = nut_client::Client::connect(&self.name.host, self.name.port).map_err(|e| {
            DriverError::Device(format!(
                "Can't connect to {}@{}:{}: {e}",
                self.name.ups, self.name.host, self.name.port
            ))
        })?;
        tracing::info!("Connected to {}@{}", self.name.ups, self.name.host);
        self.client = Some(c);
        Ok(())
    }

    fn refresh(&mut self, state: &mut State) -> Result<(), DriverError> {
        if self.client.is_none() {
            if self.failing {
                if let nut_driver::reconnect::Trying::GiveUp(why) = self.reconnect.trying(&self.source()) {
                    return Err(DriverError::GiveUp(why));
                }
            }
            if let Err(e) = self.reconnect() {
                self.source_failed(state, &e.to_string());
                return Ok(());
            }
        }
        let ups = &self.name.ups;
        let Some(c) = self.client.as_mut() else { return Ok(()) };
        let res = (|| -> nut_client::Result<()> {
            for (var, val) in c.list_var(ups)? {
                if var.starts_with("driver.") {
                    continue;
                }
                if var == "ups.status" {
                    // Through the status helpers, as NUT's repeater (ignorelb, ALARM token).
                    state.status_init();
                    state.status_set(&val);
                    state.status_commit();
                } else {
                    state.set_info(&var, &val);
                }
            }
            for (var, _) in c.list_rw(ups)? {
                state.set_flags(&var, Flags { rw: true, string: false, number: false });
            }
            for cmd in c.list_cmd(ups)? {
                state.add_cmd(&cmd);
            }
            Ok(())
        })();
        match res {
            Ok(()) => {
                if self.failing {
                    tracing::info!("{}: reading the source UPS again, data fresh", self.source());
                    self.failing = false;
                    self.reconnect.success(&self.source());
                }
                state.data_ok();
            }
            Err(e) => {
                self.client = None;
                self.source_failed(state, &format!("Error: {e}"));
            }
        }
        Ok(())
    }

    /// `ups@host:port` of the source, for log lines.
    fn source(&self) -> String {
        format!("{}@{}:{}", self.name.ups, self.name.host, self.name.port)
    }

    /// The source could not be read: data stale until it can; logged once per outage.
    fn source_failed(&mut self, state: &mut State, why: &str) {
        if self.failing {
            tracing::debug!("{}: still unreadable: {why}", self.source());
        } else {
            tracing::warn!(
                "{}: can't read the source UPS ({why}); data marked stale, retrying every poll \
                 (check that upsd runs there and that the UPS name is right)",
                self.source()
            );
            self.failing = true;
        }
        if !state.is_stale() {
            state.data_stale();
        }
    }

    fn instcmd(&mut self, cmd: &str, param: Option<&str>) -> CmdResult {
        let ups = self.name.ups.clone();
        match self.client.as_mut().map(|c| c.instcmd(&ups, cmd, param)) {
            Some(Ok(_)) => CmdResult::Handled,
            _ => CmdResult::Failed,
        }
    }

    fn set_var(&mut self, var: &str, value: &str) -> CmdResult {
        let ups = self.name.ups.clone();
        match self.client.as_mut().map(|c| c.set_var(&ups, var, value)) {
            Some(Ok(_)) => CmdResult::Handled,
            _ => CmdResult::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_follow_nut_table() {
        let mut s = State::new();
        setvar(&mut s, "battery.charge", "100");
        setvar(&mut s, "ups.id", "x");
        setvar(&mut s, "ups.foo", "y");
        setvar(&mut s, "ups.empty", "");
        assert_eq!(s.var("battery.charge").map(|v| (v.flags.string, v.aux)), Some((false, 0)));
        assert_eq!(s.var("ups.id").map(|v| (v.flags.string, v.aux)), Some((true, 16)));
        assert_eq!(s.var("ups.foo").map(|v| (v.flags.rw, v.aux)), Some((true, 32)));
        assert!(s.var("ups.empty").is_none());
    }

    #[test]
    fn mode_guess() {
        assert_eq!(Mode::guess("/x/a.dev"), (Mode::Once, "dummy-once"));
        assert_eq!(Mode::guess("a.seq"), (Mode::Loop, "dummy-loop"));
        assert_eq!(Mode::guess("ups@host:3494"), (Mode::Repeater, "repeater"));
    }
}
