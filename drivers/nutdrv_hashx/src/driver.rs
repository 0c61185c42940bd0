//! The nut-driver glue: the serial link, NUT's handshake, polling `B`, instant commands.

use std::time::{Duration, Instant};

use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, State};
use nut_transport::recover::{Recovery, Step};
use nut_transport::serial::{SerialConfig, SerialError, SerialPort};

use crate::protocol::{self as p, BadReply};
use crate::tables;

/// The line speed (NUT: `ser_set_speed(B2400)`, 8N1; no option changes it).
pub const SPEED: u32 = 2400;
/// How long a reply may take. NUT waits 0.25 s between bytes (powerpanel.h's SER_WAIT_*);
/// ours is a deadline for the whole reply, which at 2400 bps needs up to a quarter second
/// for 60 bytes: one second.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
/// Tries of the bare-CR probe (NUT: 4).
pub const PROBES: usize = 4;

/// Why an exchange failed.
#[derive(Debug)]
pub enum LinkError {
    /// No (complete) reply in time.
    Timeout,
    /// The port is gone (unplugged, closed).
    Gone(String),
}

/// One request/reply exchange (the reply without its CR), and reopening the port.
pub trait Link {
    /// Send `cmd` + CR, read the reply up to CR.
    fn exchange(&mut self, cmd: &str) -> Result<Vec<u8>, LinkError>;
    /// Open the port again after it went away.
    fn reopen(&mut self) -> Result<(), String>;
}

struct Serial(SerialPort);

impl Link for Serial {
    fn exchange(&mut self, cmd: &str) -> Result<Vec<u8>, LinkError> {
        nut_driver::trace!("send: {}", p::show(&p::frame(cmd)));
        match self.0.command(&p::frame(cmd), p::ENDCHAR, REPLY_TIMEOUT) {
            Ok(mut r) => {
                r.pop();
                nut_driver::trace!("read {}: {}", r.len(), p::show(&r));
                Ok(r)
            }
            Err(SerialError::Timeout { partial }) => {
                nut_driver::trace!("timeout, {} byte(s): {}", partial.len(), p::show(&partial));
                Err(LinkError::Timeout)
            }
            Err(e) => Err(LinkError::Gone(e.to_string())),
        }
    }

    fn reopen(&mut self) -> Result<(), String> {
        self.0.reopen().map_err(|e| e.to_string())
    }
}

/// Opens the link for a configuration.
pub type Opener = Box<dyn FnMut(&Context) -> Result<Box<dyn Link>, DriverError>>;

fn open_serial(ctx: &Context) -> Result<Box<dyn Link>, DriverError> {
    let cfg =
        SerialConfig { speed: SPEED, nolock: ctx.flag("nolock") || ctx.nolock, ..SerialConfig::default() };
    nut_driver::debug!("Opening device {}", ctx.port);
    let port = SerialPort::open(&ctx.port, &cfg).map_err(|e| DriverError::Device(e.to_string()))?;
    Ok(Box::new(Serial(port)))
}

/// The driver.
pub struct Hashx {
    opener: Opener,
    link: Option<Box<dyn Link>>,
    recovery: Recovery,
    port: String,
}

impl Default for Hashx {
    fn default() -> Self {
        Self::new()
    }
}

fn device(e: impl std::fmt::Display) -> DriverError {
    DriverError::Device(e.to_string())
}

impl Hashx {
    /// On a serial port.
    pub fn new() -> Hashx {
        Hashx::with_opener(open_serial)
    }

    /// On another link (tests).
    pub fn with_opener(
        opener: impl FnMut(&Context) -> Result<Box<dyn Link>, DriverError> + 'static,
    ) -> Hashx {
        Hashx { opener: Box::new(opener), link: None, recovery: Recovery::default(), port: String::new() }
    }

    fn link(&mut self) -> Result<&mut Box<dyn Link>, DriverError> {
        self.link.as_mut().ok_or_else(|| device("not initialised"))
    }

    /// One exchange, NUT's check of the first byte logged.
    fn ask(&mut self, cmd: &str) -> Result<Vec<u8>, LinkError> {
        let r = self.link().map_err(|e| LinkError::Gone(e.to_string()))?.exchange(cmd)?;
        if p::unexpected_start(&r) {
            nut_driver::error!("Unexpected reply for #-protocol: {}", p::show(&r));
        }
        Ok(r)
    }

    /// A command answered by a status value.
    fn status_command(&mut self, cmd: &str) -> Result<i32, String> {
        let r = match self.ask(cmd) {
            Ok(r) => r,
            Err(LinkError::Timeout) => return Err("no reply".into()),
            Err(LinkError::Gone(e)) => return Err(e),
        };
        p::parse_status_value(&r).map_err(|BadReply(e)| e)
    }

    fn no_reply(&self) -> DriverError {
        device(format!(
            "no reply to the #-protocol probe at {SPEED} baud on {}: is a UPS of the PowerMaster+ family \
             connected there, and powered? Check the serial cable (a straight one) and the port; this \
             protocol has no other speed",
            self.port
        ))
    }

    /// NUT's upsdrv_initinfo handshake and the static values.
    fn handshake(&mut self, state: &mut State) -> Result<(), DriverError> {
        let mut last = String::new();
        let mut answered = false;
        for i in 0..PROBES {
            nut_driver::debug!("Checking if device supports the #-protocol... [{}]", i + 1);
            match self.ask("") {
                Ok(r) => {
                    answered = true;
                    match p::parse_status_value(&r) {
                        Ok(p::status::FAILURE) => {
                            last.clear();
                            break;
                        }
                        Ok(s) => last = format!("{} (status {s})", p::show(&r)),
                        Err(BadReply(e)) => last = e,
                    }
                }
                Err(LinkError::Timeout) => {}
                Err(LinkError::Gone(e)) => return Err(device(e)),
            }
            if i + 1 == PROBES {
                return Err(if answered {
                    device(format!("unexpected hash protocol response: {last}: not a #-protocol UPS?"))
                } else {
                    self.no_reply()
                });
            }
        }
        match self.status_command(&p::session_command()) {
            Ok(p::status::SUCCESS) => {}
            Ok(s) => return Err(device(format!("Failed to set session ID: {} (status {s})", p::SESSION_ID))),
            Err(e) => return Err(device(format!("Failed to set session ID: {}: {e}", p::SESSION_ID))),
        }
        let want = format!("#{}", p::SESSION_HASH);
        match self.ask(p::GET_SESSION_HASH) {
            Ok(r) if r == want.as_bytes() => {}
            Ok(r) => return Err(device(format!("unexpected hash protocol response: {}", p::show(&r)))),
            Err(_) => return Err(device("Failed to get session hash: no reply")),
        }
        state.set_info("device.type", "ups");
        state.set_info("ups.type", "online");
        state.set_info("ups.mode", "line-interactive");

        let info = match self.ask(p::GET_DEVICE_INFO) {
            Ok(r) => p::parse_device_info(&r).map_err(|BadReply(e)| device(e))?,
            Err(_) => return Err(device("Failed to get UPS info: no reply")),
        };
        state.set_info("device.model", &info.model);
        if let Some(f) = &info.firmware {
            state.set_info("ups.firmware", f);
        }
        match self
            .ask(p::GET_INPUT_VOLTAGE_SETTINGS)
            .map_err(|_| BadReply("no reply".into()))
            .and_then(|r| p::parse_voltage_settings(&r))
        {
            Ok(v) => {
                for (name, val) in [
                    ("input.voltage.nominal", v.nominal),
                    ("input.voltage.high.critical", v.high),
                    ("input.voltage.low.critical", v.low),
                ] {
                    if let Some(x) = val {
                        state.set_info(name, &x.to_string());
                    }
                }
            }
            Err(BadReply(e)) => nut_driver::error!("upsdrv_initinfo: UPS voltage settings: {e}"),
        }
        match self
            .ask(p::GET_POWER_INFO)
            .map_err(|_| BadReply("no reply".into()))
            .and_then(|r| p::parse_power_info(&r))
        {
            Ok(v) => {
                for (name, val) in [
                    ("ups.power.nominal", v.va),
                    ("ups.realpower.nominal", v.watts),
                    ("input.voltage.nominal", v.nominal_voltage),
                ] {
                    if let Some(x) = val {
                        state.set_info(name, &x.to_string());
                    }
                }
                for (name, val) in [
                    ("input.frequency.low", v.freq_low),
                    ("input.frequency.high", v.freq_high),
                    ("output.current.nominal", v.current),
                ] {
                    if let Some(x) = val {
                        state.set_info(name, &p::one_decimal(x));
                    }
                }
                if v.extra_fields {
                    nut_driver::warn!(
                        "This UPS returns unexpected power info fields, previously decoded values may have \
                         not been correctly assigned!"
                    );
                }
            }
            Err(BadReply(e)) => nut_driver::error!("upsdrv_initinfo: UPS power info: {e}"),
        }
        for (cmd, _) in tables::INSTCMDS {
            state.add_cmd(cmd);
        }
        Ok(())
    }

    fn poll(&mut self, state: &mut State) -> Result<(), DriverError> {
        let r = match self.ask(p::GET_STATUS) {
            Ok(r) if !r.is_empty() => r,
            Ok(_) | Err(LinkError::Timeout) => {
                return Err(device("unexpected status response: no reply to B"));
            }
            Err(LinkError::Gone(e)) => {
                self.recovery.failed(Instant::now());
                return Err(device(format!("{}: {e}", self.port)));
            }
        };
        let s = p::parse_status(&r).map_err(|BadReply(e)| device(e))?;
        let Some(d) = s.status_bytes.as_deref().and_then(tables::decode) else {
            // NUT publishes the values and leaves ups.status as it was; we do not serve an
            // old status as fresh: the data goes stale until a whole line comes.
            return Err(device(format!(
                "Status bytes are not enough: {}",
                s.status_bytes.as_ref().map_or(0, Vec::len)
            )));
        };
        let f = |v: Option<f32>| v.map(f64::from).filter(|x| *x >= 0.0);
        for (name, v) in [
            ("input.voltage", f(s.input_voltage)),
            ("output.voltage", f(s.output_voltage)),
            ("battery.voltage", f(s.battery_voltage)),
            ("input.frequency", f(s.input_frequency)),
            ("output.frequency", f(s.output_frequency)),
        ] {
            if let Some(x) = v {
                state.set_info(name, &p::one_decimal(x));
            }
        }
        if let Some(l) = s.load.filter(|x| *x >= 0) {
            state.set_info("ups.load", &l.to_string());
        }
        if let Some(c) = s.charge.filter(|x| *x >= 0) {
            state.set_info("battery.charge", &c.to_string());
        }
        if let Some(r) = s.runtime_min.filter(|x| *x >= 0) {
            state.set_info("battery.runtime", &(i64::from(r) * 60).to_string());
        }
        state.alarm_init();
        state.status_init();
        state.set_info("battery.charger.status", d.charger);
        for t in &d.tokens {
            state.status_set(t);
        }
        if let Some(a) = d.alarm {
            state.alarm_set(a);
        }
        state.status_commit();
        state.data_ok();
        state.alarm_commit();
        Ok(())
    }
}

impl Driver for Hashx {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "Generic #* Serial driver", version: "0.03" }
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        self.port = ctx.port.clone();
        self.link = Some((self.opener)(ctx)?);
        self.handshake(state)
    }

    fn update(&mut self, state: &mut State) -> Result<(), DriverError> {
        let now = Instant::now();
        match self.recovery.step(now) {
            Step::Read => {}
            Step::Wait => return Err(device(format!("{}: waiting to reopen the port", self.port))),
            Step::Reconnect => {
                let r = self.link()?.reopen();
                match r {
                    Ok(()) => {
                        nut_driver::info!("{}: port reopened", self.port);
                        self.recovery.reconnected();
                    }
                    Err(e) => {
                        let wait = self.recovery.attempt_failed(now);
                        return Err(device(format!("{e} (next try in {} s)", wait.as_secs())));
                    }
                }
            }
        }
        self.poll(state)
    }

    fn instcmd(&mut self, cmd: &str, param: Option<&str>, _state: &mut State) -> CmdResult {
        let Some((name, sent)) = tables::INSTCMDS.iter().find(|(n, _)| n.eq_ignore_ascii_case(cmd)) else {
            return CmdResult::Unknown;
        };
        nut_driver::debug!("instcmd: starting [{name}] [{}]", param.unwrap_or("(null)"));
        match self.status_command(sent) {
            Ok(p::status::SUCCESS) => CmdResult::Handled,
            Ok(s) => {
                nut_driver::warn!("Failed to execute command [{name}] [{}]: {s}", param.unwrap_or("(null)"));
                CmdResult::Failed
            }
            Err(e) => {
                nut_driver::warn!("Failed to execute command [{name}] [{}]: {e}", param.unwrap_or("(null)"));
                CmdResult::Failed
            }
        }
    }

    fn shutdown(&mut self, _state: &mut State) -> Result<(), DriverError> {
        Err(DriverError::Device("shutdown not supported".into()))
    }
}
