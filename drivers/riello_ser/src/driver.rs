//! The nut-driver glue: the detection NUT's `riello_comm_setup` does (9600 then 1200 baud; at
//! each, the SENTR request then GPSER's identification), the start-up reads, the poll, the
//! instant commands.
//!
//! Deliberate differences from NUT 2.8.5 (docs/man/riello_ser.8): a poll whose answer does not
//! come, or comes damaged or refused, makes the data stale at once (NUT waits for ten failed
//! polls, and takes an answer that never came for a good one, publishing the previous answer
//! again); answers are awaited 3 s (NUT: 4 to 5 s); a port that hangs up is reopened with
//! nut-transport's backoff, counting `reconnect_max_tries`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use nut_driver::reconnect::{Reconnect, Trying};
use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, Flags, OptKind, OptSpec, State};
use nut_transport::recover::{Recovery, Step};
use nut_transport::serial::{SerialConfig, SerialError, SerialPort};

use crate::parse::{self, RielloData};
use crate::protocol::{self, Answer, Deframer, Kind};
use crate::publish::{self, Battery};

/// The speeds NUT tries, in order.
pub const SPEEDS: [u32; 2] = [9600, 1200];
/// How long an answer may take.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a detection request waits.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// SENTR commands get no answer: how long to listen for one anyway.
const SENTR_COMMAND_WAIT: Duration = Duration::from_secs(1);
/// Shutdown attempts (NUT's MAXTRIES).
const MAXTRIES: u32 = 3;

/// Run the driver (NUT's `main` for `riello_ser`).
pub fn main(args: Vec<String>) -> ExitCode {
    nut_driver::run(args, Riello::default())
}

/// How an exchange ended without a usable answer.
#[derive(Debug)]
pub enum Failure {
    /// Nothing framed within the time.
    Timeout,
    /// The answer's check is wrong.
    BadCheck,
    /// GPSER's NAK: the command is not supported.
    Nak,
    /// The port failed (hang-up, I/O error).
    Port(SerialError),
}

/// The driver.
#[derive(Debug)]
pub struct Riello {
    port: Option<SerialPort>,
    path: String,
    nolock: bool,
    speed: u32,
    kind: Kind,
    crc: bool,
    request: u8,
    data: RielloData,
    local: Option<Battery>,
    recovery: Recovery,
    reconnect: Reconnect,
    upsname: String,
    failing: bool,
}

impl Default for Riello {
    fn default() -> Riello {
        Riello {
            port: None,
            path: String::new(),
            nolock: false,
            speed: SPEEDS[0],
            kind: Kind::Gpser,
            crc: false,
            request: protocol::SENTR_ONLY192,
            data: RielloData::default(),
            local: None,
            recovery: Recovery::default(),
            reconnect: Reconnect::default(),
            upsname: String::new(),
            failing: false,
        }
    }
}

/// A failed open, worded to say what to do (nut-transport's report names the node, its owner,
/// group and mode, the user and the group to join).
pub fn open_error(e: &SerialError) -> String {
    match e {
        SerialError::Locked(p) => format!(
            "{p} is locked by another process: another driver or program is using the port; stop it, \
             or set nolock in the ups.conf section if nothing else should use it"
        ),
        other => other.to_string(),
    }
}

/// NUT's `strtod` of a variable's value: the leading number, else 0.
fn strtod(s: &str) -> f64 {
    let t = s.trim_start();
    let end = t
        .char_indices()
        .take_while(|&(i, c)| c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0))
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    t[..end].parse().unwrap_or(0.0)
}

impl Riello {
    fn open(&mut self, speed: u32) -> Result<(), SerialError> {
        self.port = None;
        let cfg = SerialConfig { speed, nolock: self.nolock, ..SerialConfig::default() };
        self.port = Some(SerialPort::open(&self.path, &cfg)?);
        self.speed = speed;
        Ok(())
    }

    /// Send `req`, then read until the deframer completes an answer or `timeout` passes.
    pub fn exchange(&mut self, req: &[u8], kind: Kind, timeout: Duration) -> Result<Answer, Failure> {
        let crc = self.crc;
        let port = self.port.as_mut().ok_or(Failure::Timeout)?;
        let deadline = Instant::now() + timeout;
        port.flush_input().map_err(Failure::Port)?;
        port.write_all(req, timeout).map_err(Failure::Port)?;
        let mut d = Deframer::new(kind, crc);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Failure::Timeout);
            }
            // GPSER answers end with ETX: read up to it; a Sentinel answer's length is known
            // once its header is in. Either way the deframer sees every byte, as NUT's does.
            let got = match kind {
                Kind::Gpser => port.read_until(protocol::ETX, left),
                Kind::Sentr => port.read_exact(d.wanted(), left),
            };
            let (bytes, timed_out) = match got {
                Ok(b) => (b, false),
                Err(SerialError::Timeout { partial }) => (partial, true),
                Err(e) => return Err(Failure::Port(e)),
            };
            if let Some(a) = d.feed(&bytes) {
                return if a.nak {
                    Err(Failure::Nak)
                } else if a.bad_check {
                    Err(Failure::BadCheck)
                } else {
                    Ok(a)
                };
            }
            if timed_out {
                return Err(Failure::Timeout);
            }
        }
    }

    /// NUT's `riello_comm_setup`: which protocol, at which speed.
    fn detect(&mut self) -> Result<(), DriverError> {
        for speed in SPEEDS {
            self.open(speed).map_err(|e| DriverError::Device(open_error(&e)))?;
            nut_driver::debug!("set baudrate {speed}");
            nut_driver::debug!("try to detect SENTR");
            // NUT takes any 103-byte answer here, whatever its sum.
            let mut d = Deframer::new(Kind::Sentr, false);
            if self.probe(&[protocol::SENTR_ONLY192], &mut d).is_some_and(|a| a.len == 103) {
                self.kind = Kind::Sentr;
                nut_driver::info!("Connected to UPS SENTR on {} with baudrate {speed}", self.path);
                return Ok(());
            }
            nut_driver::debug!("try to detect GPSER");
            let mut d = Deframer::new(Kind::Gpser, false);
            if self.probe(&protocol::gi(), &mut d).is_some_and(|a| !a.bad_check && !a.nak) {
                self.kind = Kind::Gpser;
                nut_driver::info!("Connected to UPS GPSER on {} with baudrate {speed}", self.path);
                return Ok(());
            }
        }
        Err(DriverError::Device(format!(
            "Can't connect to the UPS on port {}! No answer at 9600 or 1200 baud to the Sentinel (SENTR) \
             request or to the GPSER identification request: check the cable and that the UPS speaks \
             Riello's GPSER or SENTR protocol (older Riello models do not).",
            self.path
        )))
    }

    fn probe(&mut self, req: &[u8], d: &mut Deframer) -> Option<Answer> {
        let port = self.port.as_mut()?;
        port.flush_input().ok()?;
        port.write_all(req, PROBE_TIMEOUT).ok()?;
        let deadline = Instant::now() + PROBE_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            let b = port.read_exact(1, left).ok()?;
            if let Some(a) = d.feed(&b) {
                return Some(a);
            }
        }
    }

    /// One poll's exchanges: `Ok(extended)` with the data updated.
    fn read(&mut self) -> Result<bool, Failure> {
        match self.kind {
            Kind::Gpser => {
                let numread = if self.data.input_monophase() {
                    42
                } else if self.data.output_monophase() {
                    48
                } else {
                    64
                };
                let a = self.exchange(&protocol::rs(self.crc), Kind::Gpser, ANSWER_TIMEOUT)?;
                parse::parse_rs(&a.buf, &mut self.data, numread);
                match self.exchange(&protocol::re(self.crc), Kind::Gpser, ANSWER_TIMEOUT) {
                    Ok(a) => {
                        parse::parse_re(&a.buf, &mut self.data);
                        Ok(true)
                    }
                    // Optional: a refusal keeps (and publishes) the previous values, as NUT.
                    Err(Failure::Nak) => Ok(true),
                    Err(Failure::Port(e)) => Err(Failure::Port(e)),
                    Err(_) => Ok(false),
                }
            }
            Kind::Sentr => {
                let a = self.exchange(&protocol::sentr_request(self.request), Kind::Sentr, ANSWER_TIMEOUT)?;
                self.request = parse::parse_sentr(&a.buf, &mut self.data);
                Ok(true)
            }
        }
    }

    fn delay(state: &State, var: &str) -> Option<u16> {
        let v = state.get_info(var).unwrap_or("0");
        let n = strtod(v) as i64;
        u16::try_from(n).ok()
    }

    /// Send a command and judge the answer as NUT does: a refusal or a bad check fails it; no
    /// answer at all counts as done (SENTR never acknowledges).
    fn command(&mut self, req: &[u8]) -> CmdResult {
        let wait = if self.kind == Kind::Sentr { SENTR_COMMAND_WAIT } else { ANSWER_TIMEOUT };
        match self.exchange(req, self.kind, wait) {
            Ok(_) | Err(Failure::Timeout) => CmdResult::Handled,
            Err(Failure::Nak) => {
                nut_driver::debug!("command not supported by the UPS");
                CmdResult::Failed
            }
            Err(Failure::BadCheck) => {
                nut_driver::debug!("command answer: bad CRC or checksum");
                CmdResult::Failed
            }
            Err(Failure::Port(e)) => {
                nut_driver::warn!("command: {e}");
                CmdResult::Failed
            }
        }
    }
}

impl Driver for Riello {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "Riello serial driver", version: "0.17" }
    }

    fn experimental(&self) -> bool {
        // NUT 2.8.5's riello_ser is DRV_EXPERIMENTAL: the same warning at start and in -h.
        true
    }

    fn options(&self) -> Vec<OptSpec> {
        vec![OptSpec {
            name: "localcalculation",
            kind: OptKind::Flag,
            help: "Calculate battery charge and runtime locally",
        }]
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        self.path = ctx.port.clone();
        self.nolock = ctx.flag("nolock");
        self.upsname = ctx.upsname.clone();
        self.reconnect = Reconnect::from_context(ctx);
        for (k, v) in &ctx.defaults {
            state.set_default(k, v);
        }
        for (k, v) in &ctx.overrides {
            state.set_override(k, v);
        }
        self.detect()?;
        // NUT's start_ups_comm: the identification once more, for the record.
        let ident = match self.kind {
            Kind::Gpser => self.exchange(&protocol::gi(), Kind::Gpser, ANSWER_TIMEOUT),
            Kind::Sentr => self.exchange(&[protocol::SENTR_ONLY192], Kind::Sentr, ANSWER_TIMEOUT),
        };
        let ident = match ident {
            Ok(a) => a,
            Err(Failure::BadCheck | Failure::Nak) => {
                return Err(DriverError::Device("Bad checksum or NACK".into()))
            }
            Err(_) => return Err(DriverError::Device("No communication with UPS".into())),
        };
        let localcalculation = ctx.flag("localcalculation");
        if localcalculation {
            nut_driver::debug!(
                "Will guesstimate battery charge and runtime instead of trusting device readings (if any); \
                 consider also setting default.battery.voltage.low and default.battery.voltage.high for this device"
            );
        }
        match self.kind {
            Kind::Gpser => parse::parse_gi(&ident.buf, &mut self.data),
            Kind::Sentr => self.request = parse::parse_sentr(&ident.buf, &mut self.data),
        }
        self.crc = self.kind == Kind::Gpser && self.data.gpser_crc();
        let user = |v: &str| state.get_info(v).map(strtod);
        let (user_nominal, user_low, user_high) =
            (user("battery.voltage.nominal"), user("battery.voltage.low"), user("battery.voltage.high"));
        let nominal = match self.kind {
            Kind::Gpser => match self.exchange(&protocol::gn(self.crc), Kind::Gpser, ANSWER_TIMEOUT) {
                Ok(a) => {
                    parse::parse_gn(&a.buf, &mut self.data);
                    true
                }
                Err(e) => {
                    nut_driver::debug!("Get nominal Ko: {e:?}");
                    false
                }
            },
            Kind::Sentr => {
                match self.exchange(&protocol::sentr_request(self.request), Kind::Sentr, ANSWER_TIMEOUT) {
                    Ok(a) => {
                        self.request = parse::parse_sentr(&a.buf, &mut self.data);
                        true
                    }
                    Err(e) => {
                        nut_driver::debug!("Get sentry Ko: {e:?}");
                        false
                    }
                }
            }
        };
        let (vars, battery) = publish::init_vars(
            &self.data,
            nominal,
            self.kind,
            localcalculation,
            user_nominal,
            user_low,
            user_high,
        );
        for (k, v) in &vars {
            state.set_info(k, v);
        }
        for var in ["ups.delay.shutdown", "ups.delay.reboot"] {
            state.set_flags(var, Flags { rw: true, string: true, number: false });
            state.set_aux(var, 3);
        }
        for c in publish::commands(self.kind) {
            state.add_cmd(c);
        }
        self.local = localcalculation.then_some(battery);
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
                match self.open(self.speed) {
                    Ok(()) => {
                        self.recovery.reconnected();
                        self.reconnect.success(&self.upsname);
                        nut_driver::info!("Communication with UPS is re-established! (port reopened)");
                    }
                    Err(e) => {
                        let wait = self.recovery.attempt_failed(now);
                        nut_driver::debug!("reopening {} failed: {e}; next try in {wait:?}", self.path);
                        state.data_stale();
                        return Ok(());
                    }
                }
            }
        }
        match self.read() {
            Ok(extended) => {
                if self.failing {
                    nut_driver::info!("Communication with UPS is re-established!");
                    self.failing = false;
                }
                let (vars, status) = publish::update_vars(&self.data, extended, self.local.as_ref());
                for (k, v) in &vars {
                    state.set_info(k, v);
                }
                state.status_init();
                for t in status {
                    state.status_set(t);
                }
                state.status_commit();
                state.data_ok();
            }
            Err(Failure::Port(e)) => {
                if self.recovery.failed(now) {
                    nut_driver::warn!("Communication with UPS is lost: {}: {e}", self.path);
                }
                self.failing = true;
                state.data_stale();
            }
            Err(f) => {
                if !self.failing {
                    nut_driver::warn!(
                        "Communication with UPS is lost: status read failed ({f:?}) on {} at {} baud",
                        self.path,
                        self.speed
                    );
                }
                self.failing = true;
                state.data_stale();
            }
        }
        Ok(())
    }

    fn instcmd(&mut self, cmd: &str, _param: Option<&str>, state: &mut State) -> CmdResult {
        let gpser = self.kind == Kind::Gpser;
        let crc = self.crc;
        if cmd.starts_with("load.") || cmd.starts_with("shutdown.") {
            nut_driver::info!(
                "Processing command '{cmd}' while ups.status is '{}'",
                state.get_info("ups.status").unwrap_or("(null)")
            );
        }
        let delay = |var: &str| Self::delay(state, var);
        let r = match cmd {
            "load.off" | "load.off.delay" | "shutdown.return" => {
                let d = if cmd == "load.off" { Some(0) } else { delay("ups.delay.shutdown") };
                let Some(d) = d else { return CmdResult::Failed };
                let req = if gpser { protocol::cs(crc, d) } else { protocol::sentr_shutdown(d) };
                self.command(&req)
            }
            "load.on" | "load.on.delay" => {
                let d = if cmd == "load.on" { Some(0) } else { delay("ups.delay.reboot") };
                let Some(d) = d else { return CmdResult::Failed };
                if gpser {
                    self.command(&protocol::cr(crc, d))
                } else {
                    match self.command(&protocol::sentr_set_reboot(d)) {
                        CmdResult::Handled => self.command(&protocol::sentr_reboot(d)),
                        other => other,
                    }
                }
            }
            "shutdown.stop" => {
                let req = if gpser { protocol::cd(crc) } else { protocol::sentr_cancel() };
                self.command(&req)
            }
            "test.panel.start" => {
                let req = protocol::tp(crc);
                let wait = ANSWER_TIMEOUT;
                match self.exchange(&req, Kind::Gpser, wait) {
                    Ok(_) | Err(Failure::Timeout) => CmdResult::Handled,
                    _ => CmdResult::Failed,
                }
            }
            "test.battery.start" => {
                let req = if gpser { protocol::tb(crc) } else { protocol::sentr_battery_test() };
                self.command(&req)
            }
            _ => {
                nut_driver::info!("instcmd: unknown command [{cmd}]");
                return CmdResult::Unknown;
            }
        };
        nut_driver::debug!("Command {cmd}: {r:?}");
        r
    }

    fn shutdown(&mut self, state: &mut State) -> Result<(), DriverError> {
        for _ in 0..MAXTRIES {
            if self.instcmd("shutdown.stop", None, state) != CmdResult::Handled {
                continue;
            }
            if self.instcmd("shutdown.return", None, state) != CmdResult::Handled {
                continue;
            }
            nut_driver::error!("Shutting down");
            return Ok(());
        }
        Err(DriverError::Device("Shutdown failed!".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtod_takes_the_leading_number() {
        assert_eq!(strtod("24"), 24.0);
        assert_eq!(strtod(" 12.5V"), 12.5);
        assert_eq!(strtod("x"), 0.0);
    }
}
