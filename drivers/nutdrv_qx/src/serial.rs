//! The serial link: nut-transport's serial port at NUT's Q* settings (2400 bps 8N1, no flow
//! control, NUT's lock unless `nolock`), answers read up to their CR, DTR/RTS as `cablepower`
//! says. A failed open reports the node, its owner, group and mode, the driver's user and the
//! fix (nut-transport's report).

use std::time::Duration;

use nut_driver::{Context, DriverError};
use nut_transport::serial::{SerialConfig, SerialError, SerialPort};

use crate::port::{PortError, QxPort};

/// `cablepower` values: (name, DTR, RTS).
pub const CABLEPOWER: &[(&str, bool, bool)] =
    &[("normal", true, false), ("reverse", false, true), ("both", true, true), ("none", false, false)];

/// A Q* device on a serial line.
#[derive(Debug)]
pub struct Serial {
    port: SerialPort,
    dtr: bool,
    rts: bool,
}

impl Serial {
    /// Open `path` and set the control lines (a pty or a USB adapter without them refuses
    /// that, which is harmless).
    pub fn open(path: &str, nolock: bool, dtr: bool, rts: bool) -> Result<Serial, SerialError> {
        let cfg = SerialConfig { nolock, ..SerialConfig::default() };
        let port = SerialPort::open(path, &cfg)?;
        let mut s = Serial { port, dtr, rts };
        s.lines();
        Ok(s)
    }

    fn lines(&mut self) {
        let mut l = self.port.modem_lines().unwrap_or_default();
        l.dtr = self.dtr;
        l.rts = self.rts;
        if let Err(e) = self.port.set_modem_lines(l) {
            nut_driver::debug!("{}: setting DTR/RTS: {e}", self.port.path());
        }
    }
}

/// The `cablepower` setting: (DTR, RTS).
pub fn cablepower(ctx: &Context) -> Result<(bool, bool), DriverError> {
    let cp = ctx.value("cablepower").unwrap_or("normal");
    CABLEPOWER
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(cp))
        .map(|&(_, dtr, rts)| (dtr, rts))
        .ok_or_else(|| {
            DriverError::Config(format!(
                "{}: Value '{cp}' not valid for 'cablepower'",
                ctx.location("cablepower")
            ))
        })
}

/// Open the serial port named by `port` in ups.conf.
pub fn open_from_context(ctx: &Context) -> Result<Box<dyn QxPort + Send>, DriverError> {
    let (dtr, rts) = cablepower(ctx)?;
    let p = Serial::open(&ctx.port, ctx.flag("nolock"), dtr, rts)
        .map_err(|e| DriverError::Device(e.to_string()))?;
    // Devices powered from the control lines need a moment (NUT waits about a second).
    std::thread::sleep(Duration::from_millis(1100));
    Ok(Box::new(p))
}

fn port_error(e: SerialError) -> PortError {
    match e {
        SerialError::Timeout { .. } => PortError::Timeout,
        SerialError::Closed { .. } => PortError::Disconnected("the serial line was closed".into()),
        SerialError::Io(e) => PortError::Io(e),
        other => PortError::Disconnected(other.to_string()),
    }
}

impl QxPort for Serial {
    fn command(&mut self, cmd: &[u8], timeout: Duration) -> Result<Vec<u8>, PortError> {
        self.port.command(cmd, b'\r', timeout).map_err(port_error)
    }

    fn reconnect(&mut self) -> Result<(), PortError> {
        self.port.reopen().map_err(port_error)?;
        self.lines();
        Ok(())
    }
}
