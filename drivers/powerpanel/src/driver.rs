//! The driver on the `nut-driver` framework (NUT's powerpanel.c and the start-up, poll and
//! command halves of its two subdrivers): detect the protocol (binary at 1200 bps first, then
//! text at 2400 bps, or the one `protocol` names), publish the identification, ratings and
//! settings, poll the status, run instant commands and writes.
//!
//! A failed poll publishes nothing; NUT's powerpanel keeps serving the last values for 3
//! failed polls in a row and marks the data stale at the 4th (the same here). A port that
//! went away makes the data stale at once and is reopened with nut-transport's backoff,
//! counted against `reconnect_max_tries`.

use std::process::ExitCode;
use std::time::Instant;

use nut_driver::reconnect::{Reconnect, Trying};
use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, Flags, OptKind, OptSpec, State};
use nut_transport::recover::{Recovery, Step};
use nut_transport::serial::{SerialConfig, SerialError, SerialPort};

use crate::binary::{self, Series};
use crate::line::{self, Line, LineError, ANSWER_TIMEOUT, PACE};
use crate::text;

/// Tries per detection and in the shutdown fallback (NUT's MAXTRIES).
pub const MAXTRIES: usize = 3;
/// Failed polls served from the last values before the data is marked stale.
pub const RETRIES_BEFORE_STALE: u32 = 3;

/// Opens the port named by the context (at the first speed tried).
pub type Opener = fn(&Context) -> Result<Box<dyn Line + Send>, DriverError>;

/// The protocol in use and what it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    /// Text, with `offdelay` (s) and `ondelay` (min).
    Text {
        /// Seconds, rounded as the UPS takes them.
        offdelay: i64,
        /// Minutes.
        ondelay: i64,
    },
    /// Binary, with the series.
    Binary(Series),
}

/// A status answer of either protocol.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// Text protocol.
    Text(text::Status),
    /// Binary protocol.
    Binary(binary::Status),
}

/// The driver.
pub struct PowerPanel {
    opener: Opener,
    line: Option<Box<dyn Line + Send>>,
    proto: Option<Proto>,
    retry: u32,
    recovery: Recovery,
    reconnect: Reconnect,
    upsname: String,
    port: String,
}

impl std::fmt::Debug for PowerPanel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PowerPanel")
            .field("proto", &self.proto)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Entry point of the program.
pub fn main(args: Vec<String>) -> ExitCode {
    nut_driver::run(args, PowerPanel::new(open_serial))
}

/// nut-transport's serial port as a [`Line`]; a speed change reopens it.
#[derive(Debug)]
pub struct SerialLine {
    path: String,
    cfg: SerialConfig,
    port: Option<SerialPort>,
}

fn lost(e: SerialError) -> LineError {
    match e {
        SerialError::Timeout { partial } => LineError::Timeout { got: partial.len() },
        other => LineError::Lost(other.to_string()),
    }
}

impl SerialLine {
    fn port(&mut self) -> Result<&mut SerialPort, LineError> {
        self.port.as_mut().ok_or_else(|| LineError::Lost("the port is not open".into()))
    }

    fn lines(&mut self) {
        // NUT: RTS off, DTR on before talking (the cable powers the UPS's interface from DTR).
        if let Some(p) = self.port.as_mut() {
            let mut l = p.modem_lines().unwrap_or_default();
            l.dtr = true;
            l.rts = false;
            if let Err(e) = p.set_modem_lines(l) {
                nut_driver::debug!("{}: setting DTR/RTS: {e}", self.path);
            }
        }
    }
}

/// Open `port` with NUT's lock unless `nolock`, at the binary protocol's speed.
pub fn open_serial(ctx: &Context) -> Result<Box<dyn Line + Send>, DriverError> {
    let cfg = SerialConfig {
        speed: binary::SPEED,
        nolock: ctx.nolock || ctx.flag("nolock"),
        ..SerialConfig::default()
    };
    let port = SerialPort::open(&ctx.port, &cfg).map_err(|e| DriverError::Device(e.to_string()))?;
    let mut l = SerialLine { path: ctx.port.clone(), cfg, port: Some(port) };
    l.lines();
    Ok(Box::new(l))
}

impl Line for SerialLine {
    fn set_speed(&mut self, bps: u32) -> Result<(), LineError> {
        if self.cfg.speed == bps && self.port.is_some() {
            return Ok(());
        }
        self.cfg.speed = bps;
        self.port = None;
        self.port = Some(SerialPort::open(&self.path, &self.cfg).map_err(lost)?);
        self.lines();
        Ok(())
    }

    fn flush(&mut self) -> Result<(), LineError> {
        self.port()?.flush_input().map_err(lost)
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), LineError> {
        for (i, b) in bytes.iter().enumerate() {
            if i > 0 {
                std::thread::sleep(PACE);
            }
            self.port()?.write_all(&[*b], ANSWER_TIMEOUT).map_err(lost)?;
        }
        Ok(())
    }

    fn read_line(&mut self, timeout: std::time::Duration) -> Result<Vec<u8>, LineError> {
        let mut l = self.port()?.read_until(b'\r', timeout).map_err(lost)?;
        l.pop();
        l.truncate(line::MAX_LINE);
        Ok(l)
    }

    fn read_exact(&mut self, n: usize, timeout: std::time::Duration) -> Result<Vec<u8>, LineError> {
        self.port()?.read_exact(n, timeout).map_err(lost)
    }

    fn reopen(&mut self) -> Result<(), LineError> {
        match self.port.as_mut() {
            Some(p) => p.reopen().map_err(lost)?,
            None => self.port = Some(SerialPort::open(&self.path, &self.cfg).map_err(lost)?),
        }
        self.lines();
        Ok(())
    }
}

/// Try the binary protocol: its identification answer, if any.
pub fn detect_binary(l: &mut dyn Line) -> Result<Option<binary::Ident>, LineError> {
    nut_driver::debug!("Trying {} protocol...", binary::VERSION);
    l.set_speed(binary::SPEED)?;
    l.send(binary::WAKE)?;
    for _ in 0..MAXTRIES {
        match line::ask_line(l, binary::IDENT) {
            Ok(a) => match binary::ident(&a) {
                Some(i) => return Ok(Some(i)),
                None => nut_driver::debug!(
                    "binary: unexpected identification answer {:?}",
                    String::from_utf8_lossy(&a)
                ),
            },
            Err(e) if e.is_lost() => return Err(e),
            Err(e) => nut_driver::debug!("binary: {e}"),
        }
    }
    Ok(None)
}

/// Try the text protocol: its identification answer, if any.
pub fn detect_text(l: &mut dyn Line) -> Result<Option<text::Ident>, LineError> {
    nut_driver::debug!("Trying text protocol...");
    l.set_speed(text::SPEED)?;
    // Many devices do not answer this; NUT sends it anyway.
    if let Err(e) = line::ask_line(l, text::WAKE) {
        if e.is_lost() {
            return Err(e);
        }
    }
    for _ in 0..MAXTRIES {
        match line::ask_line(l, text::IDENT) {
            Ok(a) => match text::ident(&a) {
                Some(i) => return Ok(Some(i)),
                None => nut_driver::debug!(
                    "text: unexpected identification answer {:?}",
                    String::from_utf8_lossy(&a)
                ),
            },
            Err(e) if e.is_lost() => return Err(e),
            Err(e) => nut_driver::debug!("text: {e}"),
        }
    }
    Ok(None)
}

/// The text protocol's start-up queries (NUT's powp-txt `initinfo`), published.
pub fn init_text(l: &mut dyn Line, id: &text::Ident, offdelay: i64, ondelay: i64, state: &mut State) {
    state.set_info("ups.delay.start", &(60 * ondelay).to_string());
    state.set_info("ups.delay.shutdown", &offdelay.to_string());
    for (var, v) in [
        ("ups.model", &id.model),
        ("ups.firmware", &id.firmware),
        ("ups.serial", &id.serial),
        ("ups.mfr", &id.mfr),
    ] {
        if let Some(v) = v {
            state.set_info(var, v);
        }
    }
    for (cmd, vars) in text::RATINGS {
        let Ok(a) = line::ask_line(l, cmd) else { continue };
        if a.is_empty() {
            continue;
        }
        for ((var, fmt), f) in vars.iter().zip(text::fields(&a)) {
            state.set_info(var, &text::rating(f, *fmt));
        }
    }
    for (name, _) in text::COMMANDS {
        state.add_cmd(name);
    }
    for (var, get, _, _) in text::VARS {
        if state.get_info(var).is_none() {
            continue;
        }
        let Ok(a) = line::ask_line(l, get) else { continue };
        if a.is_empty() {
            continue;
        }
        let allowed = text::allowed(&a);
        if !allowed.is_empty() {
            state.set_flags(var, Flags { rw: true, ..Flags::default() });
        }
        for v in allowed {
            state.add_enum(var, &v);
        }
    }
    for q in text::UNKNOWN_QUERIES {
        let _ = line::ask_line(l, q);
    }
    let _ = line::ask_line(l, text::CANCEL);
    for name in text::SHUTDOWNS {
        state.add_cmd(name);
    }
}

/// The binary protocol's start-up queries, published.
pub fn init_binary(l: &mut dyn Line, id: &binary::Ident, state: &mut State) {
    state.set_info("ups.delay.start", binary::DELAYS.0);
    state.set_info("ups.delay.shutdown", binary::DELAYS.1);
    if let Some(m) = &id.model {
        state.set_info("ups.model", m);
    }
    if let Some(v) = id.voltage {
        state.set_info("input.voltage.nominal", &v.to_string());
    }
    if let Some(f) = id.frequency {
        state.set_info("input.frequency.nominal", &f.to_string());
    }
    if let Some(f) = &id.firmware {
        state.set_info("ups.firmware", f);
    }
    for (name, _) in binary::COMMANDS {
        state.add_cmd(name);
    }
    for (var, reg, tabs) in binary::VARS {
        let tab = binary::table(tabs, id.series);
        let Ok(a) = line::ask_exact(l, &binary::read_command(*reg), 2) else { continue };
        match binary::decode_setting(tab, &a) {
            Some(v) => state.set_info(var, v),
            None => {
                nut_driver::warn!("warning: [{}] unknown value for [{var}]!", a[1]);
                continue;
            }
        };
        state.set_flags(var, Flags { rw: true, ..Flags::default() });
        for (v, _) in tab {
            state.add_enum(var, v);
        }
    }
}

/// Why a status read failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The port went away.
    #[error("{0}")]
    Lost(String),
    /// No answer, or one that does not decode.
    #[error("{0}")]
    Bad(String),
}

impl From<LineError> for PollError {
    fn from(e: LineError) -> PollError {
        match e {
            LineError::Lost(s) => PollError::Lost(s),
            other => PollError::Bad(other.to_string()),
        }
    }
}

/// Read the status once.
pub fn read_status(l: &mut dyn Line, proto: Proto) -> Result<Reading, PollError> {
    match proto {
        Proto::Text { .. } => {
            let a = line::ask_line(l, text::STATUS)?;
            text::status(&a)
                .map(Reading::Text)
                .ok_or_else(|| PollError::Bad("Parsing status string failed".into()))
        }
        Proto::Binary(_) => {
            let a = line::ask_exact(l, binary::STATUS, binary::STATUS_LEN)?;
            binary::status(&a).map(Reading::Binary).map_err(|e| PollError::Bad(e.to_string()))
        }
    }
}

/// Publish a status reading.
pub fn publish(r: &Reading, proto: Proto, state: &mut State) {
    let (values, tokens) = match (r, proto) {
        (Reading::Text(s), _) => (text::values(s), text::tokens(s)),
        (Reading::Binary(s), Proto::Binary(series)) => {
            (binary::values(s, series, state.get_info("output.voltage.nominal")), binary::tokens(s))
        }
        (Reading::Binary(s), _) => (binary::values(s, Series::Pr, None), binary::tokens(s)),
    };
    for (var, v) in values {
        state.set_info(var, &v);
    }
    state.status_init();
    for t in tokens {
        state.status_set(t);
    }
    state.status_commit();
}

fn on_battery(r: &Reading) -> bool {
    match r {
        Reading::Text(s) => text::on_battery(s),
        Reading::Binary(s) => binary::on_battery(s),
    }
}

/// Run instant command `cmd` with protocol `proto` on `l`.
pub fn instcmd(l: &mut dyn Line, proto: Proto, cmd: &str) -> CmdResult {
    match proto {
        Proto::Text { offdelay, ondelay } => {
            if let Some((_, to, warning)) = text::ALIASES.iter().find(|a| a.0.eq_ignore_ascii_case(cmd)) {
                nut_driver::warn!("{warning}");
                return instcmd(l, proto, to);
            }
            let bytes = match text::COMMANDS.iter().find(|c| c.0.eq_ignore_ascii_case(cmd)) {
                Some((_, Some(b))) => b.to_vec(),
                Some((_, None)) => return CmdResult::Unknown,
                None => match text::shutdown_command(&cmd.to_ascii_lowercase(), offdelay, ondelay) {
                    Some(b) => b,
                    None => return CmdResult::Unknown,
                },
            };
            match line::ask_line(l, &bytes) {
                Ok(a) if a.eq_ignore_ascii_case(text::ACK) => CmdResult::Handled,
                other => {
                    nut_driver::warn!("instcmd: command [{cmd}] failed: {other:?}");
                    CmdResult::Failed
                }
            }
        }
        Proto::Binary(_) => {
            let Some((_, bytes)) = binary::COMMANDS.iter().find(|c| c.0.eq_ignore_ascii_case(cmd)) else {
                return CmdResult::Unknown;
            };
            let echo = &bytes[..bytes.len() - 1];
            match line::ask_exact(l, bytes, echo.len()) {
                Ok(a) if a == echo => CmdResult::Handled,
                other => {
                    nut_driver::warn!("instcmd: command [{cmd}] failed: {other:?}");
                    CmdResult::Failed
                }
            }
        }
    }
}

/// Write variable `var` = `value` with protocol `proto` on `l`, and publish it when the UPS
/// took it.
pub fn set_var(l: &mut dyn Line, proto: Proto, var: &str, value: &str, state: &mut State) -> CmdResult {
    let (name, cmd, want): (&str, Vec<u8>, Vec<u8>) = match proto {
        Proto::Text { .. } => {
            let Some((name, ..)) = text::VARS.iter().find(|v| v.0.eq_ignore_ascii_case(var)) else {
                return CmdResult::Unknown;
            };
            let Some(cmd) = text::set_command(name, value) else { return CmdResult::Unknown };
            (name, cmd, text::ACK.to_vec())
        }
        Proto::Binary(series) => {
            let Some((name, reg, tabs)) = binary::VARS.iter().find(|v| v.0.eq_ignore_ascii_case(var)) else {
                return CmdResult::Unknown;
            };
            let Some(cmd) = binary::write_command(*reg, binary::table(tabs, series), value) else {
                nut_driver::warn!("setvar: [{value}] is not a value of [{name}]");
                return CmdResult::Invalid;
            };
            (name, cmd.to_vec(), cmd[..3].to_vec())
        }
    };
    if state.get_info(name).is_some_and(|cur| cur.eq_ignore_ascii_case(value)) {
        nut_driver::info!("setvar: [{value}] no change for variable [{name}]");
        return CmdResult::Handled;
    }
    let answer = match proto {
        Proto::Text { .. } => line::ask_line(l, &cmd),
        Proto::Binary(_) => line::ask_exact(l, &cmd, 3),
    };
    match answer {
        Ok(a) if a.eq_ignore_ascii_case(&want) => {
            state.set_info(name, value);
            CmdResult::Handled
        }
        other => {
            nut_driver::warn!("setvar: [{name}] = [{value}] failed: {other:?}");
            CmdResult::Failed
        }
    }
}

impl PowerPanel {
    /// A driver that opens its port with `opener`.
    pub fn new(opener: Opener) -> PowerPanel {
        PowerPanel {
            opener,
            line: None,
            proto: None,
            retry: 0,
            recovery: Recovery::default(),
            reconnect: Reconnect::default(),
            upsname: String::new(),
            port: String::new(),
        }
    }

    /// The protocol in use (after init).
    pub fn proto(&self) -> Option<Proto> {
        self.proto
    }

    fn parts(&mut self) -> Option<(&mut dyn Line, Proto)> {
        let proto = self.proto?;
        let l = self.line.as_mut()?;
        Some((&mut **l, proto))
    }

    fn note_lost(&mut self, e: &str) {
        if self.recovery.failed(Instant::now()) {
            nut_driver::warn!(
                "UPS communication lost on {}: {e}; data marked stale, reopening the port",
                self.port
            );
        }
    }
}

fn check_protocol(ctx: &Context) -> Result<Option<&'static str>, DriverError> {
    match ctx.value("protocol") {
        None => Ok(None),
        Some(p) => {
            [binary::NAME, text::NAME].into_iter().find(|n| n.eq_ignore_ascii_case(p)).map(Some).ok_or_else(
                || {
                    DriverError::Config(format!(
                        "{}: protocol = {p}: must be text or binary",
                        ctx.location("protocol")
                    ))
                },
            )
        }
    }
}

impl Driver for PowerPanel {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "CyberPower text/binary protocol UPS driver", version: "0.31" }
    }

    fn experimental(&self) -> bool {
        // NUT lists powerpanel as DRV_EXPERIMENTAL.
        true
    }

    fn options(&self) -> Vec<OptSpec> {
        let v = |name, help| OptSpec { name, kind: OptKind::Value, help };
        vec![
            v("ondelay", "Delay before UPS startup"),
            v("offdelay", "Delay before UPS shutdown"),
            v("manufacturer", "manufacturer"),
            v("model", "modelname"),
            v("serial", "serialnumber"),
            v("protocol", "protocol to use [text|binary] (default: autodection)"),
        ]
    }

    fn check(&self, ctx: &Context) -> Vec<String> {
        let mut out = Vec::new();
        if let Err(e) = check_protocol(ctx) {
            out.push(e.to_string());
        }
        if let Err((key, e)) = text::delays(ctx.value("offdelay"), ctx.value("ondelay")) {
            out.push(format!("{}: {e}", ctx.location(key)));
        }
        out
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        self.upsname = ctx.upsname.clone();
        self.port = ctx.port.clone();
        self.reconnect = Reconnect::from_context(ctx);
        let wanted = check_protocol(ctx)?;
        let mut l = (self.opener)(ctx)?;
        let io = |e: LineError| DriverError::Device(format!("{}: {e}", ctx.port));
        let mut found: Option<(Proto, Detected)> = None;
        if wanted.is_none() || wanted == Some(binary::NAME) {
            if let Some(id) = detect_binary(&mut *l).map_err(io)? {
                for key in ["ondelay", "offdelay"] {
                    if ctx.value(key).is_some() {
                        return Err(DriverError::Config(format!(
                            "{}: Setting '{key}' not supported by {} driver",
                            ctx.location(key),
                            binary::VERSION
                        )));
                    }
                }
                found = Some((Proto::Binary(id.series), Detected::Binary(id)));
            }
        }
        if found.is_none() && (wanted.is_none() || wanted == Some(text::NAME)) {
            if let Some(id) = detect_text(&mut *l).map_err(io)? {
                let (offdelay, ondelay) = text::delays(ctx.value("offdelay"), ctx.value("ondelay"))
                    .map_err(|(key, e)| DriverError::Config(format!("{}: {e}", ctx.location(key))))?;
                found = Some((Proto::Text { offdelay, ondelay }, Detected::Text(id)));
            }
        }
        let Some((proto, detected)) = found else {
            let tried = match wanted {
                Some(w) if w == binary::NAME => "the binary protocol (F at 1200 baud)".to_string(),
                Some(_) => "the text protocol (P4 at 2400 baud)".to_string(),
                None => {
                    "the binary protocol (F at 1200 baud) nor the text protocol (P4 at 2400 baud)".to_string()
                }
            };
            return Err(DriverError::Device(format!(
                "CyberPower UPS not found on {}: no reply to {tried}. Check that the UPS is on and the cable is \
                 CyberPower's serial cable; a UPS with a USB port is better served by usbhid-ups",
                ctx.port
            )));
        };
        nut_driver::info!(
            "CyberPower UPS with {} protocol on {} detected",
            if matches!(proto, Proto::Text { .. }) { text::NAME } else { binary::NAME },
            ctx.port
        );
        state.set_info("ups.mfr", "CyberPower");
        state.set_info("ups.model", "[unknown]");
        state.set_info("ups.serial", "[unknown]");
        match &detected {
            Detected::Text(id) => {
                let Proto::Text { offdelay, ondelay } = proto else { unreachable!("text detected") };
                init_text(&mut *l, id, offdelay, ondelay, state);
            }
            Detected::Binary(id) => init_binary(&mut *l, id, state),
        }
        for (var, key) in [("ups.mfr", "manufacturer"), ("ups.model", "model"), ("ups.serial", "serial")] {
            if let Some(v) = ctx.value(key) {
                state.set_info(var, v);
            }
        }
        self.proto = Some(proto);
        self.line = Some(l);
        Ok(())
    }

    fn update(&mut self, state: &mut State) -> Result<(), DriverError> {
        let now = Instant::now();
        match self.recovery.step(now) {
            Step::Read => {}
            Step::Wait => {
                state.data_stale();
                return Ok(());
            }
            Step::Reconnect => {
                if let Trying::GiveUp(why) = self.reconnect.trying(&self.upsname) {
                    return Err(DriverError::GiveUp(why));
                }
                let r = match self.line.as_mut() {
                    Some(l) => l.reopen(),
                    None => Err(LineError::Lost("the port is not open".into())),
                };
                match r {
                    Ok(()) => {
                        self.recovery.reconnected();
                        self.reconnect.success(&self.upsname);
                    }
                    Err(e) => {
                        let wait = self.recovery.attempt_failed(now);
                        nut_driver::debug!("reopening {} failed: {e}; next try in {wait:?}", self.port);
                        state.data_stale();
                        return Ok(());
                    }
                }
            }
        }
        let Some((l, proto)) = self.parts() else {
            state.data_stale();
            return Ok(());
        };
        let r = read_status(l, proto);
        match r {
            Ok(r) => {
                publish(&r, proto, state);
                if self.retry > RETRIES_BEFORE_STALE {
                    nut_driver::info!("Communications with the UPS re-established");
                }
                self.retry = 0;
                state.data_ok();
            }
            Err(PollError::Lost(e)) => {
                self.note_lost(&e);
                state.data_stale();
            }
            Err(PollError::Bad(e)) => {
                nut_driver::debug!("Status read failed! ({e})");
                if self.retry < RETRIES_BEFORE_STALE {
                    self.retry += 1;
                } else {
                    if self.retry == RETRIES_BEFORE_STALE {
                        nut_driver::warn!("Communications with the UPS lost: status read failed!");
                        self.retry += 1;
                    }
                    state.data_stale();
                }
            }
        }
        Ok(())
    }

    fn instcmd(&mut self, cmd: &str, _param: Option<&str>, _state: &mut State) -> CmdResult {
        match self.parts() {
            Some((l, proto)) => instcmd(l, proto, cmd),
            None => CmdResult::Failed,
        }
    }

    fn set_var(&mut self, var: &str, value: &str, state: &mut State) -> CmdResult {
        match self.parts() {
            Some((l, proto)) => set_var(l, proto, var, value, state),
            None => CmdResult::Failed,
        }
    }

    fn shutdown(&mut self, state: &mut State) -> Result<(), DriverError> {
        let Some((l, proto)) = self.parts() else {
            return Err(DriverError::Device("Shutdown command failed! (no port)".into()));
        };
        // Newer models: off after the delay, back on when the power returns.
        if instcmd(l, proto, "shutdown.return") == CmdResult::Handled {
            return Ok(());
        }
        // Older ones: stay off on battery (the UPS comes back with the power), reboot on line.
        let mut reading = None;
        for _ in 0..MAXTRIES {
            if let Ok(r) = read_status(l, proto) {
                publish(&r, proto, state);
                reading = Some(r);
                break;
            }
        }
        match reading.as_ref().map(on_battery) {
            Some(true) if instcmd(l, proto, "shutdown.stayoff") == CmdResult::Handled => {
                nut_driver::info!("Waiting for power to return...");
                Ok(())
            }
            Some(false) if instcmd(l, proto, "shutdown.reboot") == CmdResult::Handled => {
                nut_driver::info!("Rebooting now...");
                Ok(())
            }
            _ => Err(DriverError::Device("Shutdown command failed!".into())),
        }
    }
}

/// What detection found.
#[derive(Debug)]
enum Detected {
    Text(text::Ident),
    Binary(binary::Ident),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::line::FakeLine;

    fn text_ups() -> FakeLine {
        let s: &[(&[u8], &[u8])] = &[
            (b"P4\r", b"#OP1250     ,2.202,000000000000,CYBER POWER     \r"),
            (b"P3\r", b"#12.0,002,007.0,00\r"),
            (b"P2\r", b"#1250,0700,120,47,63\r"),
            (b"P1\r", b"#120,138,088,20\r"),
            (b"P6\r", b"#138,139,140\r"),
            (b"P7\r", b"#088,089,090\r"),
            (b"P8\r", b"#20,25\r"),
            (b"C\r", b"#0\r"),
            (b"D\r", b"#I119.0O119.0L000B100T039F060.0S\x80\x84\r"),
            (b"C3:089\r", b"#0\r"),
            (b"Z01\r", b"#0\r"),
        ];
        FakeLine { script: s.iter().map(|(c, a)| (c.to_vec(), a.to_vec())).collect(), ..FakeLine::default() }
    }

    #[test]
    fn text_start_up_poll_commands_and_writes() {
        let mut l = text_ups();
        assert!(detect_binary(&mut l).expect("binary").is_none());
        let id = detect_text(&mut l).expect("text").expect("detected");
        let mut st = State::new();
        init_text(&mut l, &id, 60, 1, &mut st);
        for (var, want) in [
            ("ups.model", "OP1250"),
            ("ups.mfr", "CYBER POWER"),
            ("ups.firmware", "2.202"),
            ("battery.voltage.nominal", "12.000000"),
            ("battery.packs", "2"),
            ("ups.realpower.nominal", "700"),
            ("input.transfer.low", "88"),
            ("ups.delay.start", "60"),
        ] {
            assert_eq!(st.get_info(var), Some(want), "{var}");
        }
        assert_eq!(
            st.var("input.transfer.high").map(|v| v.enums.clone()),
            Some(vec!["138".into(), "139".into(), "140".into()])
        );
        let proto = Proto::Text { offdelay: 60, ondelay: 1 };
        let r = read_status(&mut l, proto).expect("status");
        publish(&r, proto, &mut st);
        assert_eq!(st.get_info("ups.status"), Some("OL"));
        assert_eq!(st.get_info("input.voltage"), Some("119.0"));
        assert_eq!(instcmd(&mut l, proto, "shutdown.return"), CmdResult::Handled);
        assert_eq!(instcmd(&mut l, proto, "beeper.on"), CmdResult::Failed, "C7:1 unanswered");
        assert_eq!(instcmd(&mut l, proto, "load.off"), CmdResult::Unknown);
        assert_eq!(set_var(&mut l, proto, "input.transfer.low", "89", &mut st), CmdResult::Handled);
        assert_eq!(st.get_info("input.transfer.low"), Some("89"));
        assert_eq!(
            set_var(&mut l, proto, "input.transfer.low", "89", &mut st),
            CmdResult::Handled,
            "no change"
        );
        assert_eq!(set_var(&mut l, proto, "ups.load", "1", &mut st), CmdResult::Unknown);
    }

    #[test]
    fn binary_start_up_and_settings() {
        let s: &[(&[u8], &[u8])] = &[
            (b"F\r", b".PR3000E   .\xe6.2.1100\r"),
            (b"R\x02\r", b"#\x00"),
            (b"R\x04\r", b"#\x00"),
            (b"R\x08\r", b"#\x00"),
            (b"R\x0f\r", b"#\x02"),
            (b"R\x18\r", b"#\xf6"),
            (b"Q\x04\x02\r", b"Q\x04\x02"),
            (b"B\r", b"B"),
        ];
        let mut l = FakeLine {
            script: s.iter().map(|(c, a)| (c.to_vec(), a.to_vec())).collect(),
            ..FakeLine::default()
        };
        let id = detect_binary(&mut l).expect("binary").expect("detected");
        let mut st = State::new();
        init_binary(&mut l, &id, &mut st);
        assert_eq!(st.get_info("input.voltage.nominal"), Some("230"));
        assert_eq!(st.get_info("input.frequency.nominal"), Some("50"));
        assert_eq!(st.get_info("input.transfer.high"), Some("147"));
        assert_eq!(st.get_info("ups.start.battery"), Some("yes"));
        assert_eq!(st.get_info("output.voltage.nominal"), None, "code -10 never matches, as in NUT");
        let proto = Proto::Binary(id.series);
        assert_eq!(set_var(&mut l, proto, "input.transfer.low", "90", &mut st), CmdResult::Handled);
        assert_eq!(set_var(&mut l, proto, "input.transfer.low", "200", &mut st), CmdResult::Invalid);
        assert_eq!(instcmd(&mut l, proto, "beeper.toggle"), CmdResult::Handled);
        assert_eq!(instcmd(&mut l, proto, "shutdown.return"), CmdResult::Unknown);
        assert_eq!(l.speeds, [1200]);
    }
}
