//! The nut-driver glue: the serial link with NUT's autobaud, the identification block and the
//! blocks read at start-up, the poll, instant commands and variable writes.

use std::time::{Duration, Instant};

use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, Flags, OptKind, OptSpec, State};
use nut_transport::recover::{Recovery, Step as RecoveryStep};
use nut_transport::serial::{SerialConfig, SerialError, SerialPort};

use crate::protocol::{self as p, ReplyDecoder, Step};
use crate::tables::{self, cmd, ret};

/// The speeds NUT tries, in its order (`pw_baud_rates`).
pub const SPEEDS: [u32; 5] = [19200, 9600, 4800, 2400, 1200];
/// Tries per command (NUT's PW_MAX_TRY); the last one drops pending input first.
pub const TRIES: usize = 3;
/// How long NUT waits for each read of a reply.
pub const BYTE_TIMEOUT: Duration = Duration::from_secs(1);
/// The wait after the authorization command before a command that changes something (NUT's
/// PW_SLEEP: "at least 0.25 s, at most 16 s"; 1 s was too short for a PW9120).
pub const AUTH_WAIT: Duration = Duration::from_secs(2);
/// The shutdown delay when `shutdown_delay` is not set.
pub const DEFAULT_SHUTDOWN_DELAY: u32 = 120;
/// Tries per command over USB (NUT's bcmxcp_usb.c: five).
pub const USB_TRIES: usize = 5;
/// How long the USB form waits for a whole reply (NUT's XCP_USB_TIMEOUT).
pub const USB_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Which of NUT's two programs this is: the serial `bcmxcp` or `bcmxcp_usb`. They share the
/// blocks and the driver logic; they differ in the link, the start-up (autobaud on serial
/// only), the reply checks ([`ReplyDecoder::new`] / [`ReplyDecoder::usb`]), the tries per
/// command (3 / 5) and the reply time limit (a second per read / five seconds per reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `bcmxcp`.
    Serial,
    /// `bcmxcp_usb`.
    Usb,
}

/// Why an exchange failed.
#[derive(Debug)]
pub enum LinkError {
    /// No (complete) reply in time.
    Timeout,
    /// The port is gone (unplugged, closed).
    Gone(String),
}

/// A byte link to the UPS.
pub trait Link {
    /// Write bytes.
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError>;
    /// Read exactly `n` bytes within `timeout`.
    fn read(&mut self, n: usize, timeout: Duration) -> Result<Vec<u8>, LinkError>;
    /// Drop pending input.
    fn flush_input(&mut self) -> Result<(), LinkError>;
    /// Switch to another line speed.
    fn set_speed(&mut self, speed: u32) -> Result<(), String>;
    /// Open the port again after it went away.
    fn reopen(&mut self) -> Result<(), String>;
    /// Wait (a real sleep on a port; tests may skip it).
    fn pause(&mut self, d: Duration) {
        std::thread::sleep(d);
    }
}

struct Serial {
    port: Option<SerialPort>,
    path: String,
    cfg: SerialConfig,
}

fn serial_err(e: SerialError) -> LinkError {
    match e {
        SerialError::Timeout { .. } => LinkError::Timeout,
        e => LinkError::Gone(e.to_string()),
    }
}

impl Serial {
    fn port(&mut self) -> Result<&mut SerialPort, LinkError> {
        self.port.as_mut().ok_or_else(|| LinkError::Gone(format!("{}: not open", self.path)))
    }
}

impl Link for Serial {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        nut_driver::trace!("send_command: {}", p::show(bytes));
        self.port()?.write_all(bytes, BYTE_TIMEOUT).map_err(serial_err)
    }

    fn read(&mut self, n: usize, timeout: Duration) -> Result<Vec<u8>, LinkError> {
        self.port()?.read_exact(n, timeout).map_err(serial_err)
    }

    fn flush_input(&mut self) -> Result<(), LinkError> {
        self.port()?.flush_input().map_err(serial_err)
    }

    fn set_speed(&mut self, speed: u32) -> Result<(), String> {
        // Close first: our own lock would refuse the second open.
        self.port = None;
        self.cfg.speed = speed;
        self.port = Some(SerialPort::open(&self.path, &self.cfg).map_err(|e| e.to_string())?);
        Ok(())
    }

    fn reopen(&mut self) -> Result<(), String> {
        let speed = self.cfg.speed;
        self.set_speed(speed)
    }
}

/// Opens the link for a configuration.
pub type Opener = Box<dyn FnMut(&Context, u32) -> Result<Box<dyn Link>, DriverError>>;

fn open_serial(ctx: &Context, speed: u32) -> Result<Box<dyn Link>, DriverError> {
    let cfg = SerialConfig { speed, nolock: ctx.nolock || ctx.flag("nolock"), ..SerialConfig::default() };
    nut_driver::debug!("Opening device {}", ctx.port);
    let port = SerialPort::open(&ctx.port, &cfg).map_err(|e| DriverError::Device(e.to_string()))?;
    Ok(Box::new(Serial { port: Some(port), path: ctx.port.clone(), cfg }))
}

fn device(e: impl std::fmt::Display) -> DriverError {
    DriverError::Device(e.to_string())
}

/// The `baud_rate` option: `None` when absent; an error names the speeds NUT accepts.
pub fn parse_baud_rate(v: Option<&str>) -> Result<Option<u32>, String> {
    let Some(v) = v else { return Ok(None) };
    let n = p::atoi(v);
    if n < 0 {
        return Err("baud_rate option is invalid".into());
    }
    match SPEEDS.iter().find(|s| i64::from(**s) == i64::from(n)) {
        Some(s) => Ok(Some(*s)),
        None => Err(format!(
            "Specified baudrate \"{v}\" is invalid! (BCM/XCP speaks 19200, 9600, 4800, 2400 or 1200; \
             leave baud_rate out to try them all)"
        )),
    }
}

/// The `shutdown_delay` option (seconds, default 120).
pub fn parse_shutdown_delay(v: Option<&str>) -> Result<u32, String> {
    match v {
        None => Ok(DEFAULT_SHUTDOWN_DELAY),
        Some(s) => {
            let n = p::atoi(s);
            u32::try_from(n).map_err(|_| format!("Invalid setting for shutdown_delay: {s}"))
        }
    }
}

/// The driver.
pub struct Bcmxcp {
    mode: Mode,
    opener: Opener,
    link: Option<Box<dyn Link>>,
    recovery: Recovery,
    port: String,
    shutdown_delay: u32,
    single_phase: bool,
    meters: Vec<(usize, u8, usize)>,
    alarms: Vec<Option<usize>>,
    outlet_len: u16,
    topology_mask: u8,
}

impl Default for Bcmxcp {
    fn default() -> Self {
        Self::new()
    }
}

impl Bcmxcp {
    /// On a serial port.
    pub fn new() -> Bcmxcp {
        Bcmxcp::with_opener(open_serial)
    }

    /// On another link (tests).
    pub fn with_opener(
        opener: impl FnMut(&Context, u32) -> Result<Box<dyn Link>, DriverError> + 'static,
    ) -> Bcmxcp {
        Bcmxcp::with_mode(Mode::Serial, opener)
    }

    /// `bcmxcp_usb` on the first Powerware/Phoenixtec/HP XCP USB device.
    pub fn new_usb() -> Bcmxcp {
        Bcmxcp::with_mode(Mode::Usb, crate::usb::open_usb)
    }

    /// Either program, on a given link.
    pub fn with_mode(
        mode: Mode,
        opener: impl FnMut(&Context, u32) -> Result<Box<dyn Link>, DriverError> + 'static,
    ) -> Bcmxcp {
        Bcmxcp {
            mode,
            opener: Box::new(opener),
            link: None,
            recovery: Recovery::default(),
            port: String::new(),
            shutdown_delay: DEFAULT_SHUTDOWN_DELAY,
            single_phase: false,
            meters: Vec::new(),
            alarms: Vec::new(),
            outlet_len: 0,
            topology_mask: 0,
        }
    }

    fn link(&mut self) -> Result<&mut Box<dyn Link>, LinkError> {
        self.link.as_mut().ok_or_else(|| LinkError::Gone("not initialised".into()))
    }

    /// One reply (NUT's `get_answer`): each read waits up to a second.
    fn answer(&mut self, command: u8) -> Result<Vec<u8>, LinkError> {
        let usb = self.mode == Mode::Usb;
        let mut d = if usb { ReplyDecoder::usb(command) } else { ReplyDecoder::new(command) };
        let deadline = Instant::now() + USB_REPLY_TIMEOUT;
        let link = self.link()?;
        loop {
            let wait = if usb { deadline.saturating_duration_since(Instant::now()) } else { BYTE_TIMEOUT };
            if wait.is_zero() {
                return Err(LinkError::Timeout);
            }
            let bytes = link.read(d.wanted(), wait)?;
            match d.push(&bytes) {
                Step::More => {}
                Step::Done(a) => {
                    nut_driver::trace!("get_answer: {}", p::show(&a));
                    return Ok(a);
                }
                Step::Bad(e) => {
                    nut_driver::debug!("{e}");
                    return Err(LinkError::Timeout);
                }
            }
        }
    }

    /// NUT's `command_sequence`: send, read; three tries, the last after dropping input.
    fn exchange(&mut self, data: &[u8]) -> Result<Vec<u8>, LinkError> {
        let frame = p::frame(data);
        let usb = self.mode == Mode::Usb;
        let tries = if usb { USB_TRIES } else { TRIES };
        for attempt in 1..=tries {
            if attempt == tries && !usb {
                self.link()?.flush_input()?;
            }
            self.link()?.send(&frame)?;
            if usb && data.len() > 1 {
                // NUT's USB command_write_sequence waits PW_SLEEP after each send.
                self.link()?.pause(AUTH_WAIT);
            }
            match self.answer(data[0]) {
                Ok(a) if !a.is_empty() => return Ok(a),
                Ok(_) | Err(LinkError::Timeout) => {}
                Err(e) => return Err(e),
            }
        }
        nut_driver::debug!("Error executing command {:02x}", data[0]);
        Err(LinkError::Timeout)
    }

    /// The authorization command, and NUT's wait after it.
    fn authorize(&mut self) -> Result<(), LinkError> {
        let link = self.link()?;
        link.send(&p::frame(&tables::AUTHOR))?;
        link.pause(AUTH_WAIT);
        Ok(())
    }

    /// NUT's `pw_comm_setup` at one speed: ESC (out of the front-panel menu), authorization,
    /// then request-only mode (answered by the identification block) or the ID block itself.
    fn try_speed(&mut self, speed: u32) -> Result<bool, DriverError> {
        self.link().map_err(|_| device("not open"))?.set_speed(speed).map_err(device)?;
        let link = self.link().map_err(|_| device("not open"))?;
        link.send(&[0x1D]).map_err(|_| device("write failed"))?;
        link.pause(Duration::from_millis(90));
        link.send(&p::frame(&tables::AUTHOR)).map_err(|_| device("write failed"))?;
        link.pause(Duration::from_millis(500));
        match self.exchange(&[cmd::SET_REQ_ONLY_MODE]) {
            Ok(_) => return Ok(true),
            Err(LinkError::Gone(e)) => return Err(device(format!("{}: {e}", self.port))),
            Err(LinkError::Timeout) => {}
        }
        self.link().map_err(|_| device("not open"))?.pause(Duration::from_millis(500));
        match self.exchange(&[cmd::ID_BLOCK]) {
            Ok(_) => Ok(true),
            Err(LinkError::Gone(e)) => Err(device(format!("{}: {e}", self.port))),
            Err(LinkError::Timeout) => Ok(false),
        }
    }

    fn connect(&mut self, baud: Option<u32>) -> Result<(), DriverError> {
        if let Some(b) = baud {
            if self.try_speed(b)? {
                nut_driver::info!("Connected to UPS on {} with baudrate {b}", self.port);
                return Ok(());
            }
            nut_driver::error!("No response from UPS on {} with baudrate {b}", self.port);
        }
        nut_driver::info!("Attempting to autodect baudrate");
        for s in SPEEDS {
            if self.try_speed(s)? {
                nut_driver::info!("Connected to UPS on {} with baudrate {s}", self.port);
                return Ok(());
            }
            nut_driver::debug!("No response from UPS on {} with baudrate {s}", self.port);
        }
        Err(device(format!(
            "Can't connect to the UPS on port {}! No BCM/XCP reply at 19200, 9600, 4800, 2400 or 1200 baud: \
             is the UPS connected there (a straight-through cable; some models need Powerware's own), \
             powered, and its port set to XCP rather than a contact-closure or other mode?",
            self.port
        )))
    }

    fn must(&mut self, command: u8) -> Result<Vec<u8>, DriverError> {
        match self.exchange(&[command]) {
            Ok(a) => Ok(a),
            Err(LinkError::Timeout) => Err(device(format!(
                "Could not communicate with the ups (no answer to command {command:02x})"
            ))),
            Err(LinkError::Gone(e)) => Err(device(format!("{}: {e}", self.port))),
        }
    }

    fn publish_outlets(&self, raw: &[u8], state: &mut State) -> usize {
        let outlets = p::parse_outlets(raw);
        for (k, o) in outlets.iter().enumerate() {
            let n = k + 1;
            state.set_info(&format!("outlet.{n}.id"), &o.id.to_string());
            if (1..9).contains(&o.state) {
                state.set_info(&format!("outlet.{n}.status"), tables::OUTLET_STATUS[usize::from(o.state)]);
            }
            for (what, v) in [("shutdown", o.delay_off), ("start", o.delay_on)] {
                let name = format!("outlet.{n}.delay.{what}");
                state.set_info(&name, &v.to_string());
                state.set_flags(&name, Flags { rw: true, string: true, number: false });
                state.set_aux(&name, 5);
            }
        }
        outlets.len()
    }

    fn publish_config(&mut self, raw: &[u8], state: &mut State, initial: bool) {
        let c = p::parse_config(raw);
        if initial {
            self.topology_mask = c.topology_mask;
        }
        if c.nominal_output_voltage != 0 {
            state.set_info("output.voltage.nominal", &c.nominal_output_voltage.to_string());
        }
        if initial && c.nominal_output_frequency != 0 {
            state.set_info("output.frequency.nominal", &c.nominal_output_frequency.to_string());
        }
        if c.battery_packs != 0 {
            state.set_info("battery.packs", &c.battery_packs.to_string());
        }
        if initial {
            if !c.serial.is_empty() {
                state.set_info("ups.serial", &c.serial);
            }
            if !c.part.is_empty() {
                state.set_info("device.part", &c.part);
            }
        }
    }

    /// NUT's `upsdrv_initinfo` after the link is up.
    fn init_info(&mut self, state: &mut State) -> Result<(), DriverError> {
        let raw = self.must(cmd::ID_BLOCK)?;
        let id = p::parse_id_block(&raw);
        if let Some(fw) = &id.firmware {
            state.set_info("ups.firmware", fw);
        }
        state.set_info("ups.power.nominal", &id.rating.to_string());
        state.set_info("output.phases", &id.phases.to_string());
        self.single_phase = id.phases == 1;
        state.set_info("ups.mfr", "Eaton");
        state.set_info("ups.model", &id.model);
        self.meters = p::meter_layout(&id.meter_map);
        for (i, f, o) in &self.meters {
            nut_driver::trace!(
                "{i:04}\t{o:04}\t{f:2x}\t{}",
                tables::meter_name(*i, self.single_phase).unwrap_or("None")
            );
        }
        self.alarms = p::alarm_layout(&id.alarm_map);
        self.outlet_len = id.outlet_len;
        nut_driver::debug!(
            "ID block: config {} topology {} command list {} outlets {} alarms {}",
            id.config_len,
            id.topology_len,
            id.command_list_len,
            id.outlet_len,
            id.alarm_block_len
        );
        // A PW5115 has one outlet and still an outlet block: NUT reads it when longer than 8.
        if self.outlet_len > 8 {
            let raw = self.must(cmd::OUTLET_BLOCK)?;
            let n = self.publish_outlets(&raw, state);
            for k in 1..=n {
                for c in ["shutdown.return", "load.on", "load.off"] {
                    state.add_cmd(&format!("outlet.{k}.{c}"));
                }
            }
        }
        let raw = self.must(cmd::CONFIG_BLOCK)?;
        self.publish_config(&raw, state, true);
        let raw = self.must(cmd::LIMIT_BLOCK)?;
        for (name, v) in p::limit_values(&raw, true) {
            state.set_info(name, &v);
        }
        let lowbatt = p::low_battery_warning(&raw);
        if self.shutdown_delay > lowbatt {
            nut_driver::warn!(
                "Shutdown delay longer than battery capacity when Low Battery warning is given. (max {lowbatt} seconds)"
            );
        }
        let mut list = None;
        if id.command_list_len != 0 {
            match self.exchange(&[cmd::COMMAND_LIST]) {
                Ok(raw) => {
                    list = p::parse_command_list(&raw, id.command_list_len);
                    if list.is_none() {
                        nut_driver::debug!("Invalid response received from Command List block");
                    }
                }
                Err(LinkError::Gone(e)) => return Err(device(e)),
                Err(LinkError::Timeout) => nut_driver::debug!("No command list block."),
            }
        }
        match &list {
            Some(l) => {
                for c in p::command_instcmds(l) {
                    state.add_cmd(c);
                }
            }
            None => {
                for c in tables::DEFAULT_INSTCMDS {
                    state.add_cmd(c);
                }
            }
        }
        if id.topology_len != 0 {
            let raw = self.must(cmd::TOPOLOGY)?;
            if let Some(t) = tables::topology(p::Answer(&raw).word(0)) {
                state.set_info("ups.description", t);
            }
        }
        if list.as_ref().is_some_and(|l| l.contains(&cmd::INIT_SYS_TEST)) {
            self.authorize().map_err(|_| device("write failed"))?;
            match self.exchange(&[cmd::INIT_SYS_TEST, tables::SYS_TEST_REPORT_CAPABILITIES]) {
                Ok(raw) => {
                    for c in p::parse_system_tests(&raw) {
                        state.add_cmd(c);
                    }
                }
                Err(LinkError::Gone(e)) => return Err(device(e)),
                Err(LinkError::Timeout) => nut_driver::error!("Short read from UPS"),
            }
        }
        // The configurable variables: published as 0 until the limits say otherwise.
        self.authorize().map_err(|_| device("write failed"))?;
        let raw = match self.exchange(&[cmd::SET_CONF, tables::CONF_REQ, 0, 0]) {
            Ok(r) => r,
            Err(_) => return Err(device("Could not communicate with the ups (configuration list)")),
        };
        for id in p::parse_conf_ids(&raw) {
            if id == tables::CONF_BEEPER {
                for (c, _) in tables::BEEPER_CMDS {
                    state.add_cmd(c);
                }
            } else if let Some(v) = tables::CONF_VARS.iter().find(|v| v.id == id) {
                state.set_info(v.name, "0");
                state.set_flags(v.name, Flags { rw: true, string: true, number: false });
                state.set_aux(v.name, v.aux);
            }
        }
        Ok(())
    }

    /// One poll (NUT's `upsdrv_updateinfo`).
    fn poll(&mut self, state: &mut State) -> Result<(), DriverError> {
        let meter = self.read_block(cmd::METER_BLOCK)?;
        let mut has_load = false;
        for (i, f, o) in &self.meters {
            let Some(name) = tables::meter_name(*i, self.single_phase) else { continue };
            if let Some(v) = p::meter_value(&meter, *o, *f) {
                state.set_info(name, &v);
                has_load |= name == "ups.load";
            }
        }
        if !has_load {
            if let Some(l) = p::calculated_load(&meter, &self.meters) {
                state.set_info("ups.load", &l);
            }
        }
        if self.outlet_len > 8 {
            let raw = self.read_block(cmd::OUTLET_BLOCK)?;
            self.publish_outlets(&raw, state);
        }
        let raw = self.read_block(cmd::CUR_ALARM)?;
        let active = p::active_alarms(&raw, &self.alarms);
        state.alarm_init();
        for (_, text) in &active {
            state.alarm_set(text);
        }
        state.alarm_commit();
        let raw = self.read_block(cmd::STATUS)?;
        let a = p::Answer(&raw);
        state.status_init();
        for t in p::status_tokens(a.byte(0), a.byte(1), self.topology_mask, &active) {
            state.status_set(t);
        }
        state.status_commit();
        match self.optional(cmd::BATTERY)? {
            Some(raw) => {
                let (result, charger) = p::parse_battery(&raw);
                if let Some(r) = result {
                    state.set_info("ups.test.result", r);
                }
                if let Some(c) = charger {
                    state.set_info("battery.charger.status", c);
                }
            }
            None => nut_driver::debug!("Failed to read Battery Status from UPS"),
        }
        match self.optional(cmd::LIMIT_BLOCK)? {
            Some(raw) => {
                for (name, v) in p::limit_values(&raw, false) {
                    state.set_info(name, &v);
                }
            }
            None => nut_driver::debug!("Failed to read EXT LIMITs from UPS"),
        }
        match self.optional(cmd::CONFIG_BLOCK)? {
            Some(raw) => self.publish_config(&raw, state, false),
            None => nut_driver::debug!("Failed to read CONF BLOCK from UPS"),
        }
        state.data_ok();
        Ok(())
    }

    fn read_block(&mut self, command: u8) -> Result<Vec<u8>, DriverError> {
        match self.exchange(&[command]) {
            Ok(a) => Ok(a),
            Err(LinkError::Timeout) => Err(device(format!("Short read from UPS (command {command:02x})"))),
            Err(LinkError::Gone(e)) => {
                self.recovery.failed(Instant::now());
                Err(device(format!("{}: {e}", self.port)))
            }
        }
    }

    fn optional(&mut self, command: u8) -> Result<Option<Vec<u8>>, DriverError> {
        match self.exchange(&[command]) {
            Ok(a) => Ok(Some(a)),
            Err(LinkError::Timeout) => Ok(None),
            Err(LinkError::Gone(e)) => {
                self.recovery.failed(Instant::now());
                Err(device(format!("{}: {e}", self.port)))
            }
        }
    }

    /// Authorize, send, decode the acknowledge (NUT's `decode_instcmd_exec`/`decode_setvar_exec`).
    fn control(&mut self, name: &str, data: &[u8], success: impl FnOnce(&[u8]) -> String) -> CmdResult {
        if self.authorize().is_err() {
            nut_driver::warn!("[{name}] Short read from UPS");
            return CmdResult::Failed;
        }
        let a = match self.exchange(data) {
            Ok(a) => a,
            Err(_) => {
                nut_driver::warn!("[{name}] Short read from UPS");
                return CmdResult::Failed;
            }
        };
        match a[0] {
            ret::ACCEPTED => {
                nut_driver::info!("[{name}] {}", success(&a));
                CmdResult::Handled
            }
            ret::ACCEPTED_ADJUSTED => {
                nut_driver::info!("[{name}] Parameter adjusted");
                nut_driver::info!("[{name}] {}", success(&a));
                CmdResult::Handled
            }
            ret::BUSY => {
                nut_driver::warn!("[{name}] Busy or disabled by front panel");
                CmdResult::Failed
            }
            ret::UNRECOGNISED => {
                nut_driver::warn!("[{name}] Unrecognized command byte or corrupt checksum");
                CmdResult::Failed
            }
            ret::INVALID_PARAMETER => {
                nut_driver::warn!("[{name}] Invalid parameter");
                CmdResult::Invalid
            }
            ret::OUT_OF_RANGE => {
                nut_driver::warn!("[{name}] Parameter out of range");
                CmdResult::Invalid
            }
            _ => {
                nut_driver::warn!("[{name}] Not supported");
                CmdResult::Invalid
            }
        }
    }
}

fn going_down(a: &[u8]) -> String {
    let an = p::Answer(a);
    format!("Going down in {} sec", u32::from(an.byte(3)) * 256 + u32::from(an.byte(2)))
}

/// The outlet digit of `outlet.N.<rest>` (one digit, 1..=9, as NUT), when the name is that.
fn outlet_command<'a>(name: &'a str, rests: &[&'a str]) -> Option<(u8, &'a str)> {
    let b = name.as_bytes();
    if b.len() < 9 || !name.get(..7)?.eq_ignore_ascii_case("outlet.") || b[8] != b'.' {
        return None;
    }
    let rest = rests.iter().find(|r| name[9..].eq_ignore_ascii_case(r))?;
    Some((b[7].wrapping_sub(b'0'), rest))
}

impl Driver for Bcmxcp {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "BCMXCP UPS driver", version: "0.39" }
    }

    fn options(&self) -> Vec<OptSpec> {
        vec![
            OptSpec {
                name: "shutdown_delay",
                kind: OptKind::Value,
                help: "Specify shutdown delay (seconds)",
            },
            OptSpec {
                name: "baud_rate",
                kind: OptKind::Value,
                help: "Specify communication speed (ex: 9600)",
            },
        ]
    }

    fn check(&self, ctx: &Context) -> Vec<String> {
        let mut v = Vec::new();
        if let Err(e) = parse_baud_rate(ctx.value("baud_rate")) {
            v.push(format!("{}: {e}", ctx.location("baud_rate")));
        }
        if let Err(e) = parse_shutdown_delay(ctx.value("shutdown_delay")) {
            v.push(format!("{}: {e}", ctx.location("shutdown_delay")));
        }
        v
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        self.port = ctx.port.clone();
        let baud = parse_baud_rate(ctx.value("baud_rate")).map_err(DriverError::Config)?;
        self.shutdown_delay =
            parse_shutdown_delay(ctx.value("shutdown_delay")).map_err(DriverError::Config)?;
        self.link = Some((self.opener)(ctx, baud.unwrap_or(SPEEDS[0]))?);
        match self.mode {
            Mode::Serial => self.connect(baud)?,
            Mode::Usb => {
                if baud.is_some() {
                    nut_driver::warn!("baud_rate has no effect on a USB connection");
                }
            }
        }
        self.init_info(state)
    }

    fn update(&mut self, state: &mut State) -> Result<(), DriverError> {
        let now = Instant::now();
        match self.recovery.step(now) {
            RecoveryStep::Read => {}
            RecoveryStep::Wait => return Err(device(format!("{}: waiting to reopen the port", self.port))),
            RecoveryStep::Reconnect => {
                let r = self.link().map_err(|_| device("not open"))?.reopen();
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

    fn instcmd(&mut self, name: &str, param: Option<&str>, state: &mut State) -> CmdResult {
        nut_driver::debug!("instcmd: starting [{name}] [{}]", param.unwrap_or("(null)"));
        let lower = name.to_ascii_lowercase();
        let d = self.shutdown_delay;
        match lower.as_str() {
            "shutdown.return" => {
                return self.control(
                    name,
                    &[cmd::LOAD_OFF_RESTART, (d & 0xFF) as u8, (d >> 8) as u8],
                    going_down,
                )
            }
            "shutdown.stayoff" => return self.control(name, &[cmd::UPS_OFF], |_| "Going down NOW".into()),
            "load.on" => return self.control(name, &[cmd::UPS_ON], |_| "Enabling".into()),
            "bypass.start" => return self.control(name, &[cmd::GO_TO_BYPASS], |_| "Bypass enabled".into()),
            "test.battery.start" => {
                return self
                    .control(name, &[cmd::INIT_BAT_TEST, 0x0A, 0x1E], |_| "Testing battery now".into())
            }
            "test.system.start" => {
                return self.control(name, &[cmd::INIT_SYS_TEST, 0x01], |_| "Testing system now".into())
            }
            "test.panel.start" => {
                return self.control(name, &[cmd::INIT_SYS_TEST, 0x04, 0x0A], |_| "Testing panel now".into())
            }
            _ => {}
        }
        if let Some((_, v)) = tables::BEEPER_CMDS.iter().find(|(c, _)| *c == lower) {
            return self.control(name, &[cmd::SET_CONF, tables::CONF_BEEPER, *v, 0], |_| {
                "Beeper status changed".into()
            });
        }
        if let Some((n, rest)) = outlet_command(name, &["shutdown.return", "load.on", "load.off"]) {
            if !(1..=9).contains(&n) {
                return CmdResult::Failed;
            }
            if rest == "shutdown.return" {
                let mut delay = state.get_info(&format!("outlet.{n}.delay.shutdown")).map_or(3, p::atoi);
                if delay == -1 {
                    delay = i32::try_from(self.shutdown_delay).unwrap_or(i32::MAX);
                }
                return self.control(
                    name,
                    &[cmd::LOAD_OFF_RESTART, (delay & 0xFF) as u8, ((delay >> 8) & 0xFF) as u8, n],
                    going_down,
                );
            }
            let on = rest == "load.on";
            let c = if on { cmd::UPS_ON } else { cmd::UPS_OFF };
            return self
                .control(name, &[c, n], |_| format!("Outlet {n} is  {}", if on { "On" } else { "Off" }));
        }
        nut_driver::info!("instcmd: unknown command [{name}] [{}]", param.unwrap_or("(null)"));
        CmdResult::Unknown
    }

    fn set_var(&mut self, var: &str, value: &str, _state: &mut State) -> CmdResult {
        nut_driver::debug!("setvar: starting [{var}] [{value}]");
        if let Some(v) = tables::CONF_VARS.iter().find(|v| v.name.eq_ignore_ascii_case(var)) {
            let n = p::atoi(value);
            if n < v.min || n > v.max {
                return CmdResult::Invalid;
            }
            let hi = if v.word { (n >> 8) as u8 } else { 0 };
            let msg = v.msg.replace("%d", &n.to_string());
            return self.control(var, &[cmd::SET_CONF, v.id, (n & 0xFF) as u8, hi], |_| msg);
        }
        if let Some((n, rest)) = outlet_command(var, &["delay.start", "delay.shutdown"]) {
            if self.outlet_len <= 8 || !(1..=9).contains(&n) {
                return CmdResult::Invalid;
            }
            let sec = p::atoi(value);
            if !(-1..=0x7FFF).contains(&sec) {
                return CmdResult::Invalid;
            }
            let (setting, what) = if rest == "delay.start" { (2u8, "start") } else { (1u8, "shutdown") };
            return self.control(
                var,
                &[cmd::SET_OUTLET, setting, n, (sec & 0xFF) as u8, ((sec >> 8) & 0xFF) as u8],
                |_| format!("Outlet {n} {what} delay set to {sec} sec"),
            );
        }
        CmdResult::Invalid
    }

    fn shutdown(&mut self, state: &mut State) -> Result<(), DriverError> {
        for c in ["shutdown.return", "shutdown.stayoff"] {
            if self.instcmd(c, None, state) == CmdResult::Handled {
                return Ok(());
            }
        }
        Err(device("Shutdown failed!"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        assert_eq!(parse_baud_rate(None), Ok(None));
        assert_eq!(parse_baud_rate(Some("9600")), Ok(Some(9600)));
        assert!(parse_baud_rate(Some("9601"))
            .unwrap_err()
            .contains("Specified baudrate \"9601\" is invalid!"));
        assert!(parse_baud_rate(Some("-5")).is_err());
        assert_eq!(parse_shutdown_delay(None), Ok(120));
        assert_eq!(parse_shutdown_delay(Some("30")), Ok(30));
        assert!(parse_shutdown_delay(Some("-1")).is_err());
    }

    #[test]
    fn outlet_names() {
        let r = ["shutdown.return", "load.on", "load.off"];
        assert_eq!(outlet_command("outlet.2.load.on", &r), Some((2, "load.on")));
        assert_eq!(outlet_command("OUTLET.1.Shutdown.Return", &r), Some((1, "shutdown.return")));
        assert_eq!(outlet_command("outlet.12.load.on", &r), None);
        assert_eq!(outlet_command("outlet.1.load", &r), None);
        assert_eq!(outlet_command("outlet.x", &r), None);
    }
}
