//! The driver on the `nut-driver` framework: options, the serial line (2400 bps 8N1 as every
//! Smart-UPS; DTR on / RTS off for the 940-0095B cable), start-up, polls (the status and the
//! polled variables every `pollinterval`, everything hourly), stale data and recovery,
//! instant commands, writes and the shutdown.

use std::time::{Duration, Instant};

use nut_driver::{CmdResult, Context, Driver, DriverError, DriverInfo, OptKind, OptSpec, State};
use nut_transport::recover::{Recovery, Step};
use nut_transport::serial::{SerialConfig, SerialError, SerialPort};

use crate::protocol;
use crate::session::{Line, LineError, Session, Shutdown};
use crate::tables;

/// All variables are read again this often (NUT: hourly).
const FULL_SCAN: Duration = Duration::from_secs(3600);

/// The serial line to the UPS.
#[derive(Debug)]
pub struct SerialLine {
    port: SerialPort,
}

fn line_error(e: SerialError) -> LineError {
    match e {
        SerialError::Closed { .. } => LineError::Closed,
        other => LineError::Io(other.to_string()),
    }
}

impl Line for SerialLine {
    fn write(&mut self, bytes: &[u8]) -> Result<(), LineError> {
        self.port.write_all(bytes, Duration::from_secs(3)).map_err(line_error)
    }

    fn read(&mut self, timeout: Duration) -> Result<Vec<u8>, LineError> {
        self.port.read_chunk(512, timeout).map_err(line_error)
    }

    fn discard_input(&mut self) -> Result<(), LineError> {
        self.port.flush_input().map_err(line_error)
    }
}

impl SerialLine {
    /// Open `path` at the Smart protocol's settings; with `alt_cable`, raise DTR and drop
    /// RTS (the 940-0095B cable takes its power from DTR).
    pub fn open(path: &str, nolock: bool, alt_cable: bool) -> Result<SerialLine, DriverError> {
        let cfg = SerialConfig { nolock, ..SerialConfig::default() };
        let port = SerialPort::open(path, &cfg).map_err(|e| DriverError::Device(e.to_string()))?;
        let mut line = SerialLine { port };
        if alt_cable {
            line.cable_lines()?;
        }
        Ok(line)
    }

    fn cable_lines(&mut self) -> Result<(), DriverError> {
        let path = self.port.path().to_string();
        let fail = |what: &str, e: SerialError| {
            DriverError::Device(format!(
                "{path}: setting {what} for cable={} failed: {e} (the port has no modem-control lines: \
                 a USB adapter or virtual port without them cannot drive this cable; use a 940-0024C \
                 cable and drop the cable setting)",
                tables::ALT_CABLE
            ))
        };
        self.port.set_dtr(true).map_err(|e| fail("DTR", e))?;
        self.port.set_rts(false).map_err(|e| fail("RTS", e))?;
        Ok(())
    }

    fn reopen(&mut self, alt_cable: bool) -> Result<(), String> {
        self.port.reopen().map_err(|e| e.to_string())?;
        if alt_cable {
            self.cable_lines().map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}

/// The driver.
#[derive(Debug, Default)]
pub struct ApcSmart {
    s: Option<Session<SerialLine>>,
    alt_cable: bool,
    port_name: String,
    upsname: String,
    /// The device stopped answering: nudge it with `Y` before polling again.
    lost: bool,
    /// The port failed: reopen with backoff.
    port: Recovery,
    reconnect: nut_driver::reconnect::Reconnect,
    last_full: Option<Instant>,
}

/// Check the options of apcsmart(8) (NUT refuses a bad value at start-up).
pub fn check_options(ctx: &Context) -> Result<Shutdown, DriverError> {
    let bad = |key: &str, v: &str| {
        DriverError::Config(format!("{}: invalid value ({v}) for option '{key}'", ctx.location(key)))
    };
    type Valid = fn(&str) -> bool;
    let checks: [(&str, Valid); 4] = [
        ("awd", protocol::valid_awd),
        ("sdtype", protocol::valid_sdtype),
        ("advorder", protocol::valid_advorder),
        ("cshdelay", protocol::valid_cshdelay),
    ];
    for (key, ok) in checks {
        if let Some(v) = ctx.value(key) {
            if !ok(v) {
                return Err(bad(key, v));
            }
        }
    }
    let mut sd = Shutdown {
        sdtype: ctx.value("sdtype").map_or(0, |v| v.as_bytes()[0] - b'0'),
        advorder: ctx
            .value("advorder")
            .filter(|v| !v.eq_ignore_ascii_case("no"))
            .map(|v| v.bytes().map(|b| b - b'0').collect()),
        awd: ctx.value("awd").map(str::to_string),
        cshdelay: Duration::from_millis(3500),
    };
    if let Some(v) = ctx.value("cshdelay") {
        let secs: f64 =
            if v.starts_with('.') { format!("0{v}") } else { v.trim_end_matches('.').to_string() }
                .parse()
                .unwrap_or(3.5);
        sd.cshdelay = Duration::from_secs_f64(secs);
    }
    Ok(sd)
}

impl ApcSmart {
    fn session(&mut self) -> Result<&mut Session<SerialLine>, DriverError> {
        self.s.as_mut().ok_or_else(|| DriverError::Device("the port is not open".into()))
    }

    /// Start-up on an open line: smart mode, what the UPS supports, the first values.
    fn start(&mut self, state: &mut State, tries: usize) -> Result<(), DriverError> {
        let port = self.port_name.clone();
        let s = self.session()?;
        let io = |e: LineError| DriverError::Device(format!("{port}: {e}"));
        if !s.smartmode(tries).map_err(io)? {
            return Err(DriverError::Device(format!(
                "unable to detect an APC Smart protocol UPS on port {port}\n\
                 check the cabling, port name or model name and try again\n\
                 (no reply to 'Y' at 2400 baud, the only speed of the Smart protocol: check that the cable \
                 is APC's 940-0024C or a clone, or set cable=940-0095B for that cable; a UPS with a USB \
                 port as well needs a power cycle to switch to serial, or use usbhid-ups)"
            )));
        }
        s.getbaseinfo(state).map_err(|e| {
            DriverError::Device(format!("Problems with communicating APC UPS on port {port}: {e}"))
        })?;
        state.set_info("ups.mfr", "APC");
        nut_driver::debug!(
            "upsdrv_initinfo: detected {} [{}] on {port}",
            state.get_info("ups.model").unwrap_or("\"unknown model\""),
            state.get_info("ups.serial").unwrap_or("unknown serial")
        );
        Ok(())
    }

    /// The port failed: stale now, reopen later.
    fn port_lost(&mut self, state: &mut State, e: &LineError) {
        nut_driver::warn!("{}: {e}: data marked stale, reopening the port", self.port_name);
        self.port.failed(Instant::now());
        self.last_full = None;
        state.data_stale();
    }
}

impl Driver for ApcSmart {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "APC Smart protocol driver", version: "3.39" }
    }

    fn options(&self) -> Vec<OptSpec> {
        let v = |name, help| OptSpec { name, kind: OptKind::Value, help };
        vec![
            v("ttymode", "tty discipline selection"),
            v("cable", "alternate cable (940-0095B) selection"),
            v("awd", "hard hibernate's additional wake-up delay"),
            v("sdtype", "simple shutdown method"),
            v("advorder", "advanced shutdown control"),
            v("cshdelay", "CS hack delay"),
        ]
    }

    fn check(&self, ctx: &Context) -> Vec<String> {
        check_options(ctx).err().map(|e| e.to_string()).into_iter().collect()
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        let sd = check_options(ctx)?;
        self.alt_cable = ctx.value("cable").is_some_and(|c| c.eq_ignore_ascii_case(tables::ALT_CABLE));
        self.port_name = ctx.port.clone();
        self.upsname = ctx.upsname.clone();
        self.reconnect = nut_driver::reconnect::Reconnect::from_context(ctx);
        let line = SerialLine::open(&ctx.port, ctx.flag("nolock"), self.alt_cable)?;
        let mut s = Session::new(line);
        s.sd = sd;
        self.s = Some(s);
        self.start(state, 5)?;
        state.data_ok();
        Ok(())
    }

    fn update(&mut self, state: &mut State) -> Result<(), DriverError> {
        let now = Instant::now();
        match self.port.step(now) {
            Step::Read => {}
            Step::Wait => {
                state.data_stale();
                return Ok(());
            }
            Step::Reconnect => {
                if let nut_driver::reconnect::Trying::GiveUp(why) = self.reconnect.trying(&self.upsname) {
                    return Err(DriverError::GiveUp(why));
                }
                let alt = self.alt_cable;
                let res = self.session()?.line.reopen(alt);
                if let Err(e) = res {
                    let wait = self.port.attempt_failed(now);
                    nut_driver::debug!("reopening {} failed: {e}; next try in {wait:?}", self.port_name);
                    state.data_stale();
                    return Ok(());
                }
                self.port.reconnected();
                self.reconnect.success(&self.upsname);
                nut_driver::info!("{}: port reopened", self.port_name);
                // The UPS may have been replaced: learn it again.
                self.session()?.reset();
                if let Err(e) = self.start(state, 1) {
                    nut_driver::warn!("{e}");
                    self.lost = true;
                    state.data_stale();
                    return Ok(());
                }
                self.lost = false;
            }
        }
        match self.poll(state) {
            Ok(()) => Ok(()),
            Err(e) => {
                self.port_lost(state, &e);
                Ok(())
            }
        }
    }

    fn instcmd(&mut self, cmd: &str, param: Option<&str>, state: &mut State) -> CmdResult {
        let Some(s) = self.s.as_mut() else { return CmdResult::Failed };
        match s.instcmd(cmd, param, state) {
            Ok(r) => r,
            Err(e) => {
                self.port_lost(state, &e);
                CmdResult::Failed
            }
        }
    }

    fn set_var(&mut self, var: &str, value: &str, state: &mut State) -> CmdResult {
        let Some(s) = self.s.as_mut() else { return CmdResult::Failed };
        match s.setvar(var, value, state) {
            Ok(r) => r,
            Err(e) => {
                self.port_lost(state, &e);
                CmdResult::Failed
            }
        }
    }

    fn shutdown(&mut self, _state: &mut State) -> Result<(), DriverError> {
        let port = self.port_name.clone();
        let s = self.session()?;
        match s.shutdown() {
            Ok(CmdResult::Handled) => Ok(()),
            Ok(_) => Err(DriverError::Device("the UPS did not accept the shutdown command".into())),
            Err(e) => Err(DriverError::Device(format!("{port}: {e}"))),
        }
    }
}

impl ApcSmart {
    /// One poll: nudge a silent UPS first, then the status and the variables.
    fn poll(&mut self, state: &mut State) -> Result<(), LineError> {
        let Some(s) = self.s.as_mut() else { return Ok(()) };
        if self.lost || state.is_stale() {
            // Drop whatever comes for a second (NUT's flush, or its 1 s pause when nothing
            // comes), then wake the UPS with 'Y'. NUT 2.8.5 nudges only from the tenth stale
            // poll on; we nudge at every one, so a UPS that answers again is seen at once.
            s.drain(Duration::from_secs(1))?;
            nut_driver::debug!("upsdrv_updateinfo: nudging UPS with 'Y'");
            if !s.smartmode(1)? {
                state.data_stale();
                return Ok(());
            }
            if self.lost {
                nut_driver::warn!("upsdrv_updateinfo: recovered the connection");
            }
            self.lost = false;
            self.last_full = None;
        }
        if !s.update_status(state)? {
            self.lost = true;
            state.data_stale();
            return Ok(());
        }
        let all = self.last_full.is_none_or(|t| t.elapsed() > FULL_SCAN);
        if all {
            self.last_full = Some(Instant::now());
        }
        if s.update_info(all, state)? {
            state.data_ok();
        } else {
            self.lost = true;
            state.data_stale();
        }
        Ok(())
    }
}

impl Drop for ApcSmart {
    fn drop(&mut self) {
        if let Some(s) = self.s.as_mut() {
            if !self.port.is_failing() {
                s.goodbye();
            }
        }
    }
}
