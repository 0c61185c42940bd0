//! The nut-driver glue: options, opening the port (or the test-only fake), cable power,
//! polling the lines, and the shutdown.

use std::time::Duration;

use nut_driver::{Context, Driver, DriverError, DriverInfo, OptKind, OptSpec, State};
use nut_transport::serial::{ModemControl, SerialConfig, SerialError, SerialPort};

use crate::fake;
use crate::lines::{self, Config, SdAction};
use crate::table::{self, names, signal_text};

/// What `-h` says after the type list: the limits, plainly (genericups(8), BUGS; NUT's FAQ).
pub const LIMITS: &str = "\
Limits: a contact-closure UPS only signals on line / on battery and low battery (type 23
also replace battery and bypass) through the serial port's modem-control lines, and is
told to shut down by setting DTR/RTS or sending a break. This driver cannot detect
whether a UPS is connected at all (it starts and reports OL with no UPS, or with the wrong
upstype), cannot notice a pulled cable, and cannot read any value (no charge, runtime,
voltage or load): it publishes only ups.status and the names of the table or ups.conf.
It needs a real serial port with modem-control lines (not a pty or a network serial port).";

/// Opens the line source for a configuration.
pub type Opener = Box<dyn FnMut(&Context) -> Result<Box<dyn ModemControl>, DriverError>>;

/// The driver.
pub struct GenericUps {
    opener: Opener,
    lines: Option<Box<dyn ModemControl>>,
    cfg: Option<Config>,
    sdtime: Option<i64>,
    port: String,
}

impl Default for GenericUps {
    fn default() -> Self {
        Self::new()
    }
}

/// An error as C's strerror words it (without Rust's " (os error N)").
pub fn os_text(e: &SerialError) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The explanation added to a modem-line ioctl failure: what is wrong and what to do.
pub fn no_modem_lines_hint(port: &str, e: &SerialError) -> String {
    let enotty = matches!(e, SerialError::Io(io) if io.raw_os_error() == Some(libc::ENOTTY)
        || io.raw_os_error() == Some(libc::EINVAL));
    if enotty {
        format!(
            "{port} has no modem-control lines (a pseudo-terminal, or an adapter or network serial \
             port without them): genericups reads the UPS from DTR/RTS/CTS/DCD/RI/DSR, so it needs a \
             real serial port (/dev/ttyS*, or a USB adapter wiring those lines) and the UPS's \
             contact-closure cable"
        )
    } else {
        format!("check the cable and the port {port}")
    }
}

fn open_port(ctx: &Context) -> Result<Box<dyn ModemControl>, DriverError> {
    if fake::enabled() {
        nut_driver::warn!(
            "TEST ONLY: {}=1: reading the line states from the file {} instead of a serial port",
            fake::ENV,
            ctx.port
        );
        return Ok(Box::new(fake::FileLines::new(&ctx.port)));
    }
    let cfg = SerialConfig { nolock: ctx.flag("nolock") || ctx.nolock, ..SerialConfig::default() };
    let p = SerialPort::open(&ctx.port, &cfg).map_err(|e| DriverError::Device(e.to_string()))?;
    Ok(Box::new(p))
}

impl GenericUps {
    /// The driver on real ports (or the test-only fake when its variable is set).
    pub fn new() -> GenericUps {
        GenericUps::with_opener(open_port)
    }

    /// The driver on another line source (tests).
    pub fn with_opener(
        opener: impl FnMut(&Context) -> Result<Box<dyn ModemControl>, DriverError> + 'static,
    ) -> GenericUps {
        GenericUps { opener: Box::new(opener), lines: None, cfg: None, sdtime: None, port: String::new() }
    }

    /// The effective type (after `init`).
    pub fn config(&self) -> Option<&Config> {
        self.cfg.as_ref()
    }

    fn settings(ctx: &Context) -> Result<(Config, Option<i64>, Vec<&'static str>), DriverError> {
        let bad = |key: &str, why: String| DriverError::Config(format!("{}: {why}", ctx.location(key)));
        let Some(v) = ctx.value("upstype") else {
            return Err(DriverError::Config(format!(
                "No upstype set - see help text / man page!\n{}",
                table::list_types()
            )));
        };
        let mut cfg =
            lines::upstype(v).map_err(|e| bad("upstype", format!("{}\n{}", e.0, table::list_types())))?;
        let applied = lines::apply_overrides(&mut cfg, |k| ctx.value(k).map(str::to_string))
            .map_err(|(k, e)| bad(k, format!("{k} = {}: {}", ctx.value(k).unwrap_or(""), e.0)))?;
        let sdtime = ctx.value("sdtime").map(lines::sdtime).transpose().map_err(|e| bad("sdtime", e.0))?;
        Ok((cfg, sdtime, applied.no_effect))
    }
}

impl Driver for GenericUps {
    fn info(&self) -> DriverInfo {
        DriverInfo { description: "Generic contact-closure UPS driver", version: "1.42" }
    }

    fn options(&self) -> Vec<OptSpec> {
        let v = |name, help| OptSpec { name, kind: OptKind::Value, help };
        vec![
            v("upstype", "Set UPS type (required)"),
            v("mfr", "Override manufacturer name"),
            v("model", "Override model name"),
            v("serial", "Specify the serial number"),
            v("CP", "Override cable power setting"),
            v("OL", "Override on line signal"),
            v("LB", "Override low battery signal"),
            v("RB", "Override replace battery signal"),
            v("BYPASS", "Override battery bypass signal"),
            v("SD", "Override shutdown setting"),
            v("sdtime", "Hold time for shutdown value (seconds)"),
        ]
    }

    fn help(&self) -> Option<String> {
        Some(format!("{}\n{LIMITS}", table::list_types()))
    }

    fn check(&self, ctx: &Context) -> Vec<String> {
        match Self::settings(ctx) {
            Ok(_) => Vec::new(),
            Err(e) => vec![e.to_string()],
        }
    }

    fn init(&mut self, ctx: &Context, state: &mut State) -> Result<(), DriverError> {
        let (cfg, sdtime, no_effect) = Self::settings(ctx)?;
        nut_driver::info!("UPS type: {}", cfg.ty.desc);
        for k in no_effect {
            nut_driver::info!(
                "{k} = {}: override specified, but no effective difference - check for typos?",
                ctx.value(k).unwrap_or("")
            );
        }
        nut_driver::debug!(
            "upstype {}: CP={} OL={} LB={} RB={} BYPASS={} SD={}",
            cfg.number,
            names(cfg.ty.cp),
            signal_text(cfg.ty.ol),
            signal_text(cfg.ty.lb),
            signal_text(cfg.ty.rb),
            signal_text(cfg.ty.bypass),
            match cfg.ty.sd {
                table::Sd::Unknown => "unknown".to_string(),
                table::Sd::Lines(l) => names(l),
            }
        );
        let mut lines = (self.opener)(ctx)?;
        // Cable power: set the outputs the cable draws its power from (NUT: at start-up,
        // before anything else, since `-k` may follow at once).
        lines.set_lines(lines::to_modem(cfg.ty.cp)).map_err(|e| {
            DriverError::Device(format!(
                "ioctl TIOCMSET: {}: {}",
                os_text(&e),
                no_modem_lines_hint(&ctx.port, &e)
            ))
        })?;
        state.set_info("ups.mfr", ctx.value("mfr").unwrap_or(cfg.ty.mfr));
        state.set_info("ups.model", ctx.value("model").unwrap_or(cfg.ty.model));
        if let Some(s) = ctx.value("serial") {
            state.set_info("ups.serial", s);
        }
        self.lines = Some(lines);
        self.cfg = Some(cfg);
        self.sdtime = sdtime;
        self.port = ctx.port.clone();
        Ok(())
    }

    fn update(&mut self, state: &mut State) -> Result<(), DriverError> {
        let (Some(lines), Some(cfg)) = (self.lines.as_mut(), self.cfg.as_ref()) else {
            return Err(DriverError::Device("not initialised".into()));
        };
        let m = lines.get_lines().map_err(|e| {
            DriverError::Device(format!(
                "Status read failed: ioctl failed: {} ({})",
                os_text(&e),
                no_modem_lines_hint(&self.port, &e)
            ))
        })?;
        let bits = lines::from_modem(m);
        let st = lines::status(&cfg.ty, bits);
        nut_driver::trace!("lines {}: ups.status: {}", names(bits), st.join(" "));
        state.status_init();
        for t in &st {
            state.status_set(t);
        }
        state.status_commit();
        state.data_ok();
        Ok(())
    }

    fn shutdown(&mut self, _state: &mut State) -> Result<(), DriverError> {
        let (Some(lines), Some(cfg)) = (self.lines.as_mut(), self.cfg.as_ref()) else {
            return Err(DriverError::Config("No upstype set - see help text / man page!".into()));
        };
        match lines::sd_action(cfg.ty.sd) {
            SdAction::Unknown => {
                Err(DriverError::Config("No shutdown command defined for this model!".into()))
            }
            SdAction::Break => lines
                .send_break_for(lines::BREAK_DURATION)
                .map_err(|e| DriverError::Device(format!("tcsendbreak: {}", os_text(&e)))),
            SdAction::Set(l) => {
                nut_driver::debug!("shutdown: setting {}", names(l));
                lines.set_lines(lines::to_modem(l)).map_err(|e| {
                    DriverError::Device(format!(
                        "ioctl TIOCMSET: {}: {}",
                        os_text(&e),
                        no_modem_lines_hint(&self.port, &e)
                    ))
                })?;
                if let Some(t) = self.sdtime {
                    nut_driver::info!("Holding shutdown signal for {t} seconds...");
                    if t > 0 {
                        std::thread::sleep(Duration::from_secs(t as u64));
                    }
                }
                Ok(())
            }
        }
    }
}
