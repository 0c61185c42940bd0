//! The nut-driver glue: options (NUT 2.8.5's `upsdrv_makevartable`), the serial port (8N1
//! with RTS/CTS flow control at `baud`, default 2400, as NUT's `openfd`), and the poll: read
//! what the UPS streamed, ask for the hardware information until it comes, publish the newest
//! good data packet.
//!
//! Staleness (ours; NUT 2.8.5's nhs_ser never marks silence stale): a poll that gets no data
//! packet with a good checksum within [`READ_WINDOW`] makes the data stale at once, and the
//! next good packet makes it fresh again. A port that hangs up (unplugged USB adapter) is
//! reopened with nut-transport's backoff, counting `reconnect_max_tries`.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use nut_driver::reconnect::{Reconnect, Trying};
use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, OptKind, OptSpec, State};
use nut_transport::recover::{Recovery, Step};
use nut_transport::serial::{Flow, SerialConfig, SerialError, SerialPort};

use crate::protocol::{Framed, Framer, HwInfo, Packet, INIT_LONG, INIT_SHORT};
use crate::publish::{self, Memory, Params};

/// `ups.mfr` / `device.mfr`.
pub const MANUFACTURER: &str = "NHS Sistemas Eletronicos LTDA";
/// The port NUT opens for `port = auto`.
pub const DEFAULT_PORT: &str = "/dev/ttyACM0";
/// Default speed.
pub const DEFAULT_BAUD: u32 = 2400;
/// The speeds NUT's nhs_ser knows; any other `baud` falls back to 2400, as there.
pub const BAUDS: &[u32] = &[
    50, 75, 110, 134, 150, 200, 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400,
    460800, 921600, 1_500_000, 2_000_000, 2_500_000, 3_000_000, 3_500_000, 4_000_000,
];
/// How long a poll waits for a data packet (the UPS streams them by itself; NUT waits 2 s,
/// growing to 6 s, between its hardware information requests).
pub const READ_WINDOW: Duration = Duration::from_secs(3);
/// How long a poll that has just asked for the hardware information waits for it.
const HWINFO_WAIT: Duration = Duration::from_millis(1500);
/// Once a good data packet is in, how long to keep reading what is already queued.
const DRAIN: Duration = Duration::from_millis(30);
/// Long requests NUT sends before it alternates with the short one.
const LONG_REQUESTS: u32 = 6;

/// Run the driver (NUT's `main` for `nhs_ser`).
pub fn main(args: Vec<String>) -> ExitCode {
    nut_driver::run(args, Nhs::default())
}

/// The driver.
#[derive(Debug)]
pub struct Nhs {
    port: Option<SerialPort>,
    path: String,
    baud: u32,
    framer: Framer,
    params: Params,
    mem: Memory,
    hw: Option<HwInfo>,
    requests: u32,
    recovery: Recovery,
    reconnect: Reconnect,
    upsname: String,
    /// Polls in a row without a good data packet (to log once per outage).
    silent: u32,
    debug_pkt_raw: bool,
}

impl Default for Nhs {
    fn default() -> Nhs {
        Nhs {
            port: None,
            path: String::new(),
            baud: DEFAULT_BAUD,
            framer: Framer::default(),
            params: Params::default(),
            mem: Memory::default(),
            hw: None,
            requests: 0,
            recovery: Recovery::default(),
            reconnect: Reconnect::default(),
            upsname: String::new(),
            silent: 0,
            debug_pkt_raw: false,
        }
    }
}

fn bad(ctx: &Context, key: &str, why: String) -> DriverError {
    DriverError::Config(format!("{}: {why}", ctx.location(key)))
}

/// A number option: NUT reads these with `atoi`/`atof`; we refuse what is not a number.
fn number(ctx: &Context, key: &str) -> Result<Option<f64>, DriverError> {
    let Some(v) = ctx.value(key) else { return Ok(None) };
    match v.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
        _ => Err(bad(ctx, key, format!("{key} = {v}: not a number (0 or more)"))),
    }
}

/// Read the options into [`Params`] and the speed, as NUT's nhs_ser reads them.
pub fn params_of(ctx: &Context) -> Result<(Params, u32), DriverError> {
    let mut p = Params::default();
    let whole = |x: f64| x.trunc().min(u32::MAX as f64) as u32;
    p.ah = match number(ctx, "ah")? {
        Some(x) => whole(x),
        None => {
            return Err(DriverError::Config(format!(
                "Please set AH (Ampere Hour) value to your battery's equipment in ups.conf \
                 (ah = N in the [{}] section).",
                ctx.upsname
            )))
        }
    };
    if let Some(x) = number(ctx, "vbat")? {
        p.vbat = whole(x);
        if p.vbat == 0 {
            return Err(bad(ctx, "vbat", "vbat must be at least 1 (volts of one battery)".into()));
        }
    }
    if let Some(x) = number(ctx, "pf")? {
        p.pf = x as f32;
    }
    p.va = number(ctx, "va")?.map(whole);
    p.numbatteries = number(ctx, "numbatteries")?.map(whole);
    for (key, slot) in [
        ("vin_low_warn_perc", &mut p.vin_low_warn_perc),
        ("vin_low_crit_perc", &mut p.vin_low_crit_perc),
        ("vin_high_warn_perc", &mut p.vin_high_warn_perc),
        ("vin_high_crit_perc", &mut p.vin_high_crit_perc),
    ] {
        if let Some(x) = number(ctx, key)? {
            *slot = x as f32;
        }
    }
    p.debug_pkt_data = ctx.flag("debug_pkt_data");
    p.debug_pkt_hwinfo = ctx.flag("debug_pkt_hwinfo");
    let baud = match ctx.value("baud") {
        None => DEFAULT_BAUD,
        Some(v) => match v.trim().parse::<u32>() {
            Ok(b) if BAUDS.contains(&b) => b,
            Ok(b) => {
                nut_driver::warn!(
                    "{}: baud rate {b} is not one this driver knows, using {DEFAULT_BAUD}",
                    ctx.location("baud")
                );
                DEFAULT_BAUD
            }
            Err(_) => return Err(bad(ctx, "baud", format!("baud = {v}: not a number of bits per second"))),
        },
    };
    Ok((p, baud))
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

fn is_port_gone(e: &SerialError) -> bool {
    matches!(e, SerialError::Closed { .. } | SerialError::Io(_))
}

impl Nhs {
    fn config(&self, nolock: bool) -> SerialConfig {
        SerialConfig { speed: self.baud, flow: Flow::RtsCts, nolock, ..SerialConfig::default() }
    }

    /// Ask for the hardware information: six long requests, then short and long in turn
    /// (NUT picks between them at random).
    fn request_hwinfo(&mut self) -> Result<(), SerialError> {
        let req = if self.requests < LONG_REQUESTS || self.requests.is_multiple_of(2) {
            &INIT_LONG
        } else {
            &INIT_SHORT
        };
        self.requests = self.requests.saturating_add(1);
        nut_driver::trace!("pkt_hwinfo loss -- requesting (try {})", self.requests);
        let Some(port) = self.port.as_mut() else { return Ok(()) };
        port.write_all(req, Duration::from_secs(1))
    }

    /// Read for up to [`READ_WINDOW`]; return the newest data packet with a good checksum.
    fn read_packets(
        &mut self,
        state: &mut State,
    ) -> Result<Option<crate::protocol::DataPacket>, SerialError> {
        let start = Instant::now();
        let mut deadline = start + READ_WINDOW;
        let asked = self.hw.is_none();
        if asked {
            self.request_hwinfo()?;
        }
        let mut newest = None;
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let Some(port) = self.port.as_mut() else { break };
            let chunk = match port.read_until(crate::protocol::END, deadline - now) {
                Ok(c) => c,
                Err(SerialError::Timeout { partial }) => {
                    self.framer.feed(&partial);
                    break;
                }
                Err(SerialError::Closed { partial }) => {
                    self.framer.feed(&partial);
                    return Err(SerialError::Closed { partial: Vec::new() });
                }
                Err(e) => return Err(e),
            };
            if self.debug_pkt_raw {
                nut_driver::debug!("received {} bytes: {:02x?}", chunk.len(), chunk);
            }
            for f in self.framer.feed(&chunk) {
                match f {
                    Framed::Overflow => {
                        nut_driver::warn!("Incoming packet does not seem to end, discarding!")
                    }
                    Framed::Packet(p) => match crate::protocol::classify(&p) {
                        Packet::Data(d) if d.checksum_ok() => newest = Some(d),
                        Packet::Data(d) => nut_driver::warn!(
                            "bad data packet checksum (got {:#04x}, computed {:#04x}), discarding",
                            d.checksum,
                            d.checksum_calc
                        ),
                        Packet::HwInfo(h) if self.hw.is_none() && h.checksum_ok() => {
                            nut_driver::debug!(
                                "Pkt HWINFO is OK. Model code is {}, hwversion is {} and swversion is {}",
                                h.model,
                                h.hardware_version,
                                h.software_version
                            );
                            for (k, v) in publish::hwinfo_vars(&h, &self.params) {
                                state.set_info(&k, &v);
                            }
                            self.hw = Some(h);
                        }
                        Packet::HwInfo(h) if self.hw.is_none() => nut_driver::warn!(
                            "bad hardware information checksum (got {:#04x}, computed {:#04x}), discarding",
                            h.checksum,
                            h.checksum_calc
                        ),
                        Packet::HwInfo(_) => {}
                        Packet::Unknown(n) => {
                            nut_driver::warn!("Incoming packet size not recognized ({n} bytes), discarding!")
                        }
                    },
                }
            }
            if newest.is_some() {
                let end =
                    if asked && self.hw.is_none() { start + HWINFO_WAIT } else { Instant::now() + DRAIN };
                deadline = deadline.min(end.max(Instant::now()));
            }
        }
        Ok(newest)
    }

    fn publish(&mut self, d: &crate::protocol::DataPacket, state: &mut State) -> Result<(), DriverError> {
        let u = publish::data_update(d, self.hw.as_ref(), &self.params, &mut self.mem)
            .map_err(|e| DriverError::GiveUp(e.to_string()))?;
        state.status_init();
        for t in &u.status {
            state.status_set(t);
        }
        state.alarm_init();
        for a in &u.alarms {
            state.alarm_set(a);
        }
        state.alarm_commit();
        state.status_commit();
        for (k, v) in &u.vars {
            state.set_info(k, v);
        }
        Ok(())
    }

    fn lost(&mut self, why: &str, state: &mut State) {
        if self.recovery.failed(Instant::now()) {
            nut_driver::warn!("Communications with UPS lost: {why}");
        }
        self.framer.reset();
        state.data_stale();
    }
}

impl Driver for Nhs {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "NHS Nobreak Drivers", version: "0.04" }
    }

    fn options(&self) -> Vec<OptSpec> {
        let v = |name, help| OptSpec { name, kind: OptKind::Value, help };
        let f = |name, help| OptSpec { name, kind: OptKind::Flag, help };
        vec![
            v("baud", "Baud Rate from port"),
            v("ah", "Battery discharge capacity in Ampere/hour"),
            v("va", "Nobreak NOMINAL POWER in VA"),
            v("pf", "Power Factor to use in calculations of battery time. Default is 0.90"),
            v("vin_low_warn_perc", "Voltage In Percentage to calculate warning low level. Default is 2.00"),
            v("vin_low_crit_perc", "Voltage In Percentage to calculate critical low level. Default is 2.00"),
            v("vin_high_warn_perc", "Voltage In Percentage to calculate warning high level. Default is 2.00"),
            v(
                "vin_high_crit_perc",
                "Voltage In Percentage to calculate critical high level. Default is 2.00",
            ),
            v("numbatteries", "Num Batteries (override value from nobreak)"),
            v("vbat", "Battery Voltage (override default value). Default is 12.00"),
            f("debug_pkt_raw", "Enable debug logging of packet bytes"),
            f("debug_pkt_data", "Enable debug logging of data packet decoding"),
            f("debug_pkt_hwinfo", "Enable debug logging of hwinfo packet decoding"),
        ]
    }

    fn check(&self, ctx: &Context) -> Vec<String> {
        match params_of(ctx) {
            Ok(_) => Vec::new(),
            Err(e) => vec![e.to_string()],
        }
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        let (params, baud) = params_of(ctx)?;
        self.params = params;
        self.baud = baud;
        self.debug_pkt_raw = ctx.flag("debug_pkt_raw");
        self.upsname = ctx.upsname.clone();
        self.reconnect = Reconnect::from_context(ctx);
        for (k, v) in &ctx.defaults {
            state.set_default(k, v);
        }
        for (k, v) in &ctx.overrides {
            state.set_override(k, v);
        }
        self.path =
            if ctx.port.eq_ignore_ascii_case("auto") { DEFAULT_PORT.to_string() } else { ctx.port.clone() };
        nut_driver::debug!("Port is {} and baud_rate is {}", self.path, self.baud);
        let port = SerialPort::open(&self.path, &self.config(ctx.flag("nolock"))).map_err(|e| {
            DriverError::Device(format!(
                "Unable to open port {} with baud {}: {}",
                self.path,
                self.baud,
                open_error(&e)
            ))
        })?;
        self.port = Some(port);
        nut_driver::debug!("Communication started on port {}, baud rate {}", self.path, self.baud);
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
                let res = match self.port.as_mut() {
                    Some(p) => p.reopen(),
                    None => SerialPort::open(&self.path, &self.config(false)).map(|p| {
                        self.port = Some(p);
                    }),
                };
                match res {
                    Ok(()) => {
                        self.recovery.reconnected();
                        self.reconnect.success(&self.upsname);
                        self.framer.reset();
                        nut_driver::info!("Communications with UPS re-established (port reopened)");
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
        match self.read_packets(state) {
            Err(e) if is_port_gone(&e) => {
                self.lost(&format!("{}: {e}", self.path), state);
                Ok(())
            }
            Err(e) => {
                self.lost(&format!("{}: {e}", self.path), state);
                Ok(())
            }
            Ok(None) => {
                self.silent = self.silent.saturating_add(1);
                if self.silent == 1 {
                    nut_driver::warn!(
                        "No data packet with a good checksum from the UPS on {} at {} baud within {} s: data \
                         marked stale. Check the cable, or try another speed with baud = N (NHS units \
                         stream at 2400 baud by default).",
                        self.path,
                        self.baud,
                        READ_WINDOW.as_secs()
                    );
                }
                state.data_stale();
                Ok(())
            }
            Ok(Some(d)) => {
                if self.silent > 0 {
                    nut_driver::info!("Communications with UPS re-established");
                }
                self.silent = 0;
                self.publish(&d, state)?;
                state.data_ok();
                Ok(())
            }
        }
    }

    fn instcmd(&mut self, _cmd: &str, _param: Option<&str>, _state: &mut State) -> CmdResult {
        CmdResult::Unknown
    }

    fn shutdown(&mut self, _state: &mut State) -> Result<(), DriverError> {
        Err(DriverError::Device("shutdown not supported".into()))
    }
}
