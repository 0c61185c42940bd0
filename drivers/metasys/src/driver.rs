//! The driver on the `nut-driver` framework: open the port at 2400 bps, identify the model,
//! poll the six answers NUT's metasys reads, run the instant commands and `shutdown.default`.
//!
//! A poll sends every query first and publishes only when all were answered: a query that
//! fails its tries makes the data stale at once and nothing of that poll is published, so
//! values from before the fault are never served as fresh (NUT marks the data stale too,
//! but still publishes the answers that did come, and its later `dstate_dataok` of the
//! same poll hides the failure). A port that went away is reopened with nut-transport's
//! backoff, counted against `reconnect_max_tries`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use nut_driver::reconnect::{Reconnect, Trying};
use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, Flags, State};
use nut_transport::recover::{Recovery, Step};
use nut_transport::serial::{SerialConfig, SerialError, SerialPort};

use crate::link::{self, ExchangeError, Wire, WireError, STAGE_TIMEOUT};
use crate::proto::{self, cmd};
use crate::tables::{self, Action};

/// The one speed Meta System UPSes talk at.
pub const SPEED: u32 = 2400;
/// How long the battery test may take before the UPS answers (NUT waits 15 s, then 1 s).
pub const TEST_TIMEOUT: Duration = Duration::from_secs(16);

/// Opens the device named by the context.
pub type Opener = fn(&Context) -> Result<Box<dyn Wire + Send>, DriverError>;

/// The driver.
pub struct Metasys {
    opener: Opener,
    wire: Option<Box<dyn Wire + Send>>,
    nominal: u32,
    autorestart: bool,
    recovery: Recovery,
    reconnect: Reconnect,
    upsname: String,
    port: String,
}

impl std::fmt::Debug for Metasys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metasys")
            .field("nominal", &self.nominal)
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// Entry point of the program.
pub fn main(args: Vec<String>) -> ExitCode {
    nut_driver::run(args, Metasys::new(open_serial))
}

/// The serial port at 2400 bps 8N1, NUT's lock unless `nolock`.
pub fn open_serial(ctx: &Context) -> Result<Box<dyn Wire + Send>, DriverError> {
    let cfg =
        SerialConfig { speed: SPEED, nolock: ctx.nolock || ctx.flag("nolock"), ..SerialConfig::default() };
    let port = SerialPort::open(&ctx.port, &cfg).map_err(|e| DriverError::Device(e.to_string()))?;
    Ok(Box::new(SerialWire(port)))
}

/// nut-transport's serial port as a [`Wire`].
#[derive(Debug)]
pub struct SerialWire(pub SerialPort);

fn wire_error(e: SerialError) -> WireError {
    match e {
        SerialError::Timeout { partial } => WireError::Timeout { got: partial.len() },
        other => WireError::Lost(other.to_string()),
    }
}

impl Wire for SerialWire {
    fn send(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.0.write_all(bytes, STAGE_TIMEOUT).map_err(wire_error)
    }

    fn recv(&mut self, n: usize, timeout: Duration) -> Result<Vec<u8>, WireError> {
        self.0.read_exact(n, timeout).map_err(wire_error)
    }

    fn flush_input(&mut self) -> Result<(), WireError> {
        self.0.flush_input().map_err(wire_error)
    }

    fn reopen(&mut self) -> Result<(), WireError> {
        self.0.reopen().map_err(wire_error)
    }
}

/// Everything one poll reads, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    /// Output power, voltage, current.
    pub output: proto::Output,
    /// `input.voltage`.
    pub input_voltage: proto::Reading,
    /// `battery.voltage`.
    pub battery_voltage: String,
    /// The auto-restart flag.
    pub autorestart: bool,
    /// `ups.delay.shutdown`, `ups.delay.start`.
    pub delays: (String, String),
    /// Status, fault, temperature.
    pub status: proto::Status,
}

/// Why a poll failed.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// The exchange failed.
    #[error(transparent)]
    Exchange(#[from] ExchangeError),
    /// A good frame, too short for its fields.
    #[error(transparent)]
    Short(#[from] proto::ShortReply),
}

/// Read the six answers of a poll, in NUT's order.
pub fn poll(w: &mut dyn Wire) -> Result<Poll, PollError> {
    let mut ask = |c: u8| link::exchange(w, &[c], STAGE_TIMEOUT);
    let output = proto::output(&ask(cmd::OUTPUT)?)?;
    let input_voltage = proto::input_voltage(&ask(cmd::INPUT)?)?;
    let battery_voltage = proto::battery_voltage(&ask(cmd::BATTERY)?)?;
    let autorestart = proto::autorestart(&ask(cmd::GET_TIMES_ON_BATTERY)?)?;
    let delays = proto::schedule(&ask(cmd::GET_SCHEDULING)?)?;
    let status = proto::status(&ask(cmd::STATUS)?)?;
    Ok(Poll { output, input_voltage, battery_voltage, autorestart, delays, status })
}

/// Publish a poll (NUT's `upsdrv_updateinfo` without the I/O).
pub fn publish(p: &Poll, nominal: u32, state: &mut State) {
    state.set_info("ups.load", &proto::load(p.output.power, nominal));
    for (var, r) in [
        ("output.voltage", &p.output.voltage),
        ("output.current", &p.output.current),
        ("input.voltage", &p.input_voltage),
    ] {
        if let Some(t) = r.text() {
            state.set_info(var, t);
        }
    }
    state.set_info("battery.voltage", &p.battery_voltage);
    state.set_info("ups.delay.shutdown", &p.delays.0);
    state.set_info("ups.delay.start", &p.delays.1);
    state.set_info("ups.temperature", &p.status.temperature);
    state.status_init();
    match tables::status_token(p.status.status) {
        Some(Some(t)) => state.status_set(t),
        _ => nut_driver::debug!("status unknown (0x{:02x})", p.status.status),
    }
    match tables::fault_token(p.status.fault) {
        Some(Some(t)) => state.status_set(t),
        Some(None) => {}
        None => nut_driver::debug!("fault unknown (0x{:02x})", p.status.fault),
    }
    state.status_commit();
}

impl Metasys {
    /// A driver that opens its device with `opener`.
    pub fn new(opener: Opener) -> Metasys {
        Metasys {
            opener,
            wire: None,
            nominal: 0,
            autorestart: false,
            recovery: Recovery::default(),
            reconnect: Reconnect::default(),
            upsname: String::new(),
            port: String::new(),
        }
    }

    fn wire(&mut self) -> Result<&mut dyn Wire, ExchangeError> {
        match self.wire.as_mut() {
            Some(w) => Ok(&mut **w),
            None => Err(ExchangeError::Lost("the port is not open".into())),
        }
    }

    /// Send a write command; a lost port starts the recovery.
    fn write(&mut self, data: &[u8]) -> Result<Vec<u8>, ExchangeError> {
        let r = link::exchange(self.wire()?, data, STAGE_TIMEOUT);
        if let Err(ExchangeError::Lost(e)) = &r {
            nut_driver::warn!("{}: {e}", self.port);
            self.recovery.failed(Instant::now());
        }
        r
    }

    fn run(&mut self, name: &str, action: Action, state: &mut State) -> CmdResult {
        match action {
            Action::Alias(to, warning) => {
                nut_driver::warn!("{warning}");
                match tables::command(to) {
                    Some(a) => self.run(to, a, state),
                    None => CmdResult::Unknown,
                }
            }
            Action::Write { unless_autorestart, data } => {
                if let Some(first) = unless_autorestart.filter(|_| !self.autorestart) {
                    if let Err(e) = self.write(first) {
                        nut_driver::warn!("{name}: enabling auto-restart: {e}");
                    }
                }
                match self.write(data) {
                    Ok(_) => CmdResult::Handled,
                    Err(e) => {
                        nut_driver::warn!("{name}: {e}");
                        CmdResult::Failed
                    }
                }
            }
            Action::BatteryTest(data) => {
                let code = self.battery_test(data);
                state.set_info(tables::TEST_RESULT.0, tables::test_result(code));
                nut_driver::info!("test battery byte 1 = {:x}", code.unwrap_or(0));
                CmdResult::Handled
            }
        }
    }

    /// Start the test and wait for its result (the answer comes when the test is over).
    fn battery_test(&mut self, data: &[u8]) -> Option<u8> {
        let w = self.wire().ok()?;
        let frame = proto::frame(data).ok()?;
        w.flush_input().ok()?;
        w.send(&frame).ok()?;
        let stx = w.recv(1, TEST_TIMEOUT).ok()?;
        if stx[0] != proto::STX {
            return None;
        }
        let len = w.recv(1, STAGE_TIMEOUT).ok()?[0];
        let body = w.recv(proto::body_len(len).ok()?, STAGE_TIMEOUT).ok()?;
        let d = proto::decode_body(len, &body).ok()?;
        (d[0] == data[0]).then(|| d.get(1).copied()).flatten()
    }
}

/// The message for a UPS that does not answer at start-up.
pub fn no_reply(port: &str, e: &ExchangeError) -> String {
    match e {
        ExchangeError::NoAnswer { silent: true, .. } => format!(
            "no reply at {SPEED} baud from {port}: Meta System UPSes always talk at {SPEED} baud 8N1, so \
             check that the UPS is on, that the cable is a straight-through one with at least pins 2, 3 and 5 \
             connected, and that {port} is the port it is plugged into"
        ),
        other => format!(
            "Could not communicate with the ups on {port} ({other}): is it a Meta System UPS? \
             Check the cable (straight-through, pins 2, 3 and 5)"
        ),
    }
}

impl Driver for Metasys {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "Metasystem UPS driver", version: "0.14" }
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        self.upsname = ctx.upsname.clone();
        self.port = ctx.port.clone();
        self.reconnect = Reconnect::from_context(ctx);
        let mut w = (self.opener)(ctx)?;
        // Reset the UPS's receiver.
        w.send(&[0; link::RESET_ZEROS]).map_err(|e| DriverError::Device(format!("{}: {e}", ctx.port)))?;
        let rw = Flags { rw: true, ..Flags::default() };
        for (var, value) in tables::INITIAL {
            state.set_info(var, value);
            state.set_flags(var, rw);
        }
        let (var, value, aux) = tables::TEST_RESULT;
        state.set_info(var, value);
        state.set_flags(var, Flags { rw: true, string: true, ..Flags::default() });
        state.set_aux(var, aux);
        let answer = link::exchange(&mut *w, &[cmd::INFO], STAGE_TIMEOUT)
            .map_err(|e| DriverError::Device(no_reply(&ctx.port, &e)))?;
        let info = proto::info(&answer)
            .map_err(|e| DriverError::Device(format!("Could not communicate with the ups: {e}")))?;
        let Some((model, nominal)) = tables::model(info.model_code) else {
            return Err(DriverError::Device(format!(
                "Unknown UPS (model code {}): not a Meta System model this driver knows",
                info.model_code
            )));
        };
        self.nominal = nominal;
        state.set_info("ups.mfr", "Meta System");
        state.set_info("ups.model", model);
        state.set_info("ups.serial", &info.serial);
        state.set_info("ups.firmware", &info.firmware);
        nut_driver::info!("Detected {model} [{}] v.{} on {}", info.serial, info.firmware, ctx.port);
        for (name, _) in tables::COMMANDS {
            state.add_cmd(name);
        }
        self.wire = Some(w);
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
                let r = match self.wire.as_deref_mut() {
                    Some(w) => w.reopen(),
                    None => Err(WireError::Lost("the port is not open".into())),
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
        let Some(w) = self.wire.as_mut() else {
            state.data_stale();
            return Ok(());
        };
        match poll(&mut **w) {
            Ok(p) => {
                self.autorestart = p.autorestart;
                publish(&p, self.nominal, state);
                if state.is_stale() {
                    nut_driver::info!("Communications with the UPS re-established");
                }
                state.data_ok();
            }
            Err(PollError::Exchange(ExchangeError::Lost(e))) => {
                if self.recovery.failed(now) {
                    nut_driver::warn!(
                        "UPS communication lost on {}: {e}; data marked stale, reopening the port",
                        self.port
                    );
                }
                state.data_stale();
            }
            Err(e) => {
                // Once per outage at warning level (the data is stale until a poll works).
                if state.is_stale() {
                    nut_driver::debug!("Could not communicate with the ups: {e}");
                } else {
                    nut_driver::warn!("Could not communicate with the ups: {e}");
                }
                state.data_stale();
            }
        }
        Ok(())
    }

    fn instcmd(&mut self, cmd: &str, _param: Option<&str>, state: &mut State) -> CmdResult {
        match tables::command(cmd) {
            Some(a) => self.run(cmd, a, state),
            None => {
                nut_driver::info!("instcmd: unknown command [{cmd}]");
                CmdResult::Unknown
            }
        }
    }

    fn shutdown(&mut self, state: &mut State) -> Result<(), DriverError> {
        match self.run("shutdown.default", tables::SHUTDOWN_DEFAULT, state) {
            CmdResult::Handled => Ok(()),
            _ => {
                Err(DriverError::Device("Shutdown failed! (the UPS did not acknowledge the schedule)".into()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::FakeWire;

    fn frame(d: &[u8]) -> Vec<u8> {
        proto::frame(d).expect("test data")
    }

    fn answers() -> Vec<Vec<u8>> {
        vec![
            frame(&[1, 0x5e, 0x01, 0xe6, 0x00, 0x17, 0x00, 0, 0]), // 350 W, 230 V, 2.3 A
            frame(&[2, 0, 0, 0xe5, 0x00, 0, 0, 0, 0]),             // 229 V
            frame(&[4, 0x1c, 0x01, 0, 0, 0, 0]),                   // 28.4 V
            frame(&[8, 0, 0, 0, 0, 1]),
            frame(&[6, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            frame(&[3, 1, 5, 128 + 30]),
        ]
    }

    #[test]
    fn a_poll_publishes_what_nut_publishes() {
        let mut w = FakeWire::default();
        w.answers.extend(answers());
        let p = poll(&mut w).expect("test data");
        let mut st = State::new();
        publish(&p, 700, &mut st);
        for (var, want) in [
            ("ups.load", "50.0"),
            ("output.voltage", "230"),
            ("output.current", "2.30"),
            ("input.voltage", "229"),
            ("battery.voltage", "28.40"),
            ("ups.delay.shutdown", "120"),
            ("ups.delay.start", "0"),
            ("ups.temperature", "30"),
            ("ups.status", "OB RB"),
        ] {
            assert_eq!(st.get_info(var), Some(want), "{var}");
        }
        assert!(p.autorestart);
        let sent: Vec<u8> = w.written.iter().map(|f| f[2]).collect();
        assert_eq!(sent, [1, 2, 4, 8, 6, 3], "NUT's order");
    }

    #[test]
    fn a_short_answer_fails_the_poll() {
        let mut w = FakeWire::default();
        let mut a = answers();
        a[2] = frame(&[4, 0x1c]);
        w.answers.extend(a);
        assert!(matches!(poll(&mut w), Err(PollError::Short(_))));
    }

    #[test]
    fn no_reply_names_the_speed() {
        let e = ExchangeError::NoAnswer { command: 0, silent: true, last: String::new() };
        assert!(no_reply("/dev/ttyS0", &e).starts_with("no reply at 2400 baud from /dev/ttyS0"));
    }
}
