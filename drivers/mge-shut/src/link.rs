//! The SHUT link on a serial port: runs [`crate::shut`]'s state machines over nut-transport's
//! serial port (2400 bps 8N1, DTR off / RTS on, NUT's lock unless `nolock`) and serves the
//! HID engine as a [`Transport`]: the device, HID and report descriptors and the strings are
//! read once at open (as NUT's `libshut_open`), reports on demand.

use std::time::Duration;

use nut_hid::ReportType;
use nut_hid_ups::transport::{DeviceInfo, Transport, TransportError};
use nut_transport::serial::{SerialConfig, SerialError, SerialPort};

use crate::shut::{self, desc, Exchange, Input, Setup, ShutError, Sync};

/// How long the UPS may take for each byte (NUT's `SHUT_TIMEOUT`, 3 s).
pub const BYTE_TIMEOUT: Duration = Duration::from_secs(3);
/// How long each sync try waits for the echo (NUT: 1 s).
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(1);
/// wLength of the manufacturer and product string requests at open (NUT's
/// `MAX_STRING_SIZE`).
pub const STRING_LEN: u16 = 128;
/// wLength of the serial number string request at open (NUT: 0x25).
pub const SERIAL_LEN: u16 = 0x25;

/// A failed open: what to tell the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The port could not be opened (the text names the node, owner, group, mode and fix).
    #[error("{0}")]
    Port(String),
    /// The UPS did not echo the sync byte.
    #[error(
        "{port}: no answer to the SHUT sync byte at {speed} baud; SHUT runs at 2400 baud only: check \
         the cable (MGE/Eaton's serial cable, not a null-modem one), that the UPS has a SHUT serial port \
         (older Pulsar ESV+/EX/ES+ speak U-Talk: use mge-utalk) and that nothing else uses the port"
    )]
    NoSync {
        /// The port.
        port: String,
        /// The speed tried.
        speed: u32,
    },
    /// A descriptor could not be read or used.
    #[error("{port}: {what}")]
    Descriptor {
        /// The port.
        port: String,
        /// What failed.
        what: String,
    },
}

/// A SHUT UPS on a serial port.
pub struct ShutLink {
    port: SerialPort,
    info: DeviceInfo,
    report_desc: Vec<u8>,
    parsed: Option<nut_hid::Descriptor>,
    desc_index: Option<u8>,
    /// Set after a failed transfer: the next one resyncs first.
    lost: bool,
    /// Failed transfers in a row.
    fails: u32,
}

/// Failed transfers in a row after which the link counts as down (the engine then marks the
/// data stale and reconnects): a single failed report only loses its own values.
pub const MAX_FAILS: u32 = 3;

fn serial_err(e: SerialError) -> TransportError {
    match e {
        SerialError::Timeout { .. } => TransportError::Timeout,
        SerialError::Closed { .. } => TransportError::Gone,
        other => TransportError::Io(other.to_string()),
    }
}

fn shut_err(e: ShutError) -> TransportError {
    match e {
        ShutError::Timeout => TransportError::Timeout,
        other => TransportError::Io(other.to_string()),
    }
}

impl ShutLink {
    /// Open `path` and read the device as NUT's `libshut_open` does (`desc_index`: the
    /// `usb_hid_desc_index` to use instead of NUT's choice).
    pub fn open(path: &str, nolock: bool, desc_index: Option<u8>) -> Result<ShutLink, OpenError> {
        let cfg = SerialConfig { speed: shut::SPEED, nolock, ..SerialConfig::default() };
        let port = SerialPort::open(path, &cfg).map_err(|e| match e {
            SerialError::Locked(p) => OpenError::Port(format!(
                "{p} is locked by another process (another driver on this port? stop it, or set \
                 'nolock' only if you know nothing else uses the port)"
            )),
            other => OpenError::Port(other.to_string()),
        })?;
        let mut link = ShutLink {
            port,
            info: DeviceInfo::default(),
            report_desc: Vec::new(),
            parsed: None,
            desc_index,
            lost: false,
            fails: 0,
        };
        link.lines();
        link.identify()?;
        Ok(link)
    }

    /// DTR off, RTS on (NUT's `setline(1)`); a pty refuses, harmlessly.
    fn lines(&mut self) {
        let mut l = self.port.modem_lines().unwrap_or_default();
        l.dtr = false;
        l.rts = true;
        if let Err(e) = self.port.set_modem_lines(l) {
            nut_driver::debug!("{}: setting DTR/RTS: {e}", self.port.path());
        }
    }

    fn sync(&mut self) -> Result<(), TransportError> {
        let (mut s, bytes) = Sync::start(shut::SYNC_OFF);
        let _ = self.port.flush_input();
        self.port.write_all(&bytes, SYNC_TIMEOUT).map_err(serial_err)?;
        loop {
            let got = match self.port.read_exact(1, SYNC_TIMEOUT) {
                Ok(b) => b.first().copied(),
                Err(SerialError::Timeout { .. }) => None,
                Err(e) => return Err(serial_err(e)),
            };
            match s.input(got) {
                Ok(true) => {
                    nut_driver::trace!("SHUT sync done");
                    return Ok(());
                }
                Ok(false) => {
                    self.port.write_all(&bytes, SYNC_TIMEOUT).map_err(serial_err)?;
                }
                Err(_) => return Err(TransportError::Timeout),
            }
        }
    }

    /// One control transfer. After a failed one the next starts with a resync (NUT resyncs
    /// when a request is not acknowledged); a resync that fails, or [`MAX_FAILS`] failed
    /// transfers in a row, mean the UPS is gone.
    pub fn control(&mut self, setup: &Setup, out: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.lost {
            if let Err(e) = self.sync() {
                nut_driver::debug!("SHUT resync failed: {e}");
                return Err(TransportError::Gone);
            }
            self.lost = false;
        }
        match self.transfer(setup, out) {
            Ok(r) => {
                self.fails = 0;
                Ok(r)
            }
            Err(e) => {
                nut_driver::debug!("SHUT transfer {} failed: {e}", hex(&setup.bytes()));
                self.lost = true;
                self.fails += 1;
                if self.fails >= MAX_FAILS || e == TransportError::Gone {
                    return Err(TransportError::Gone);
                }
                Err(e)
            }
        }
    }

    fn transfer(&mut self, setup: &Setup, out: &[u8]) -> Result<Vec<u8>, TransportError> {
        let (mut x, first) = Exchange::start(setup, out);
        // Bytes left from an earlier, failed transfer must not be read as this one's answer.
        let _ = self.port.flush_input();
        nut_driver::trace!("SHUT send {}", hex(&first));
        self.port.write_all(&first, BYTE_TIMEOUT).map_err(serial_err)?;
        loop {
            let input = match self.port.read_exact(1, BYTE_TIMEOUT) {
                Ok(b) => Input::Byte(b[0]),
                Err(SerialError::Timeout { .. }) => Input::Timeout,
                Err(e) => return Err(serial_err(e)),
            };
            let step = x.input(input);
            if !step.send.is_empty() {
                self.port.write_all(&step.send, BYTE_TIMEOUT).map_err(serial_err)?;
            }
            if let Some(r) = step.done {
                return r.map_err(shut_err);
            }
        }
    }

    fn string_at(&mut self, index: u8, len: u16) -> Option<String> {
        if index == 0 {
            return None;
        }
        let b = self.control(&Setup::get_string(index, len), &[]).ok()?;
        shut::string_descriptor(&b, usize::from(len).saturating_sub(1)).ok().filter(|s| !s.is_empty())
    }

    fn identify(&mut self) -> Result<(), OpenError> {
        let path = self.port.path().to_string();
        let dfail = |what: String| OpenError::Descriptor { port: path.clone(), what };
        if self.sync().is_err() {
            return Err(OpenError::NoSync { port: path.clone(), speed: shut::SPEED });
        }
        nut_driver::debug!("Communication with UPS established");
        let d = self
            .control(&Setup::get_descriptor(desc::DEVICE, 0, desc::DEVICE_SIZE), &[])
            .map_err(|e| dfail(format!("Unable to get DEVICE descriptor ({e})")))?;
        let dd = shut::device_descriptor(&d).map_err(|e| dfail(e.to_string()))?;
        let vendor = self.string_at(dd.i_manufacturer, STRING_LEN).unwrap_or_else(|| "Eaton".into());
        let product = self.string_at(dd.i_product, STRING_LEN).unwrap_or_else(|| "unknown".into());
        let serial = self.string_at(dd.i_serial, SERIAL_LEN).unwrap_or_else(|| "unknown".into());
        self.info = DeviceInfo {
            vendor_id: dd.vendor_id,
            product_id: dd.product_id,
            vendor: Some(vendor),
            product: Some(product),
            serial: Some(serial),
            bus: "serial".into(),
            device: path.clone(),
            busport: Some("000".into()),
        };
        // Newer Eaton units (bcdDevice 2.02) have a light descriptor at index 0 and the full
        // one at index 1.
        let index = self.desc_index.unwrap_or(if dd.vendor_id == 0x0463 && dd.bcd_device == 0x0202 {
            nut_driver::debug!("Eaton device v2.02. Using full report descriptor");
            1
        } else {
            0
        });
        let h = self
            .control(&Setup::get_descriptor(desc::HID, index, desc::HID_SIZE), &[])
            .map_err(|e| dfail(format!("Unable to get HID descriptor ({e})")))?;
        let len = shut::report_descriptor_length(&h).map_err(|e| dfail(e.to_string()))?;
        let len16 = u16::try_from(len).map_err(|_| dfail(format!("HID descriptor too long {len}")))?;
        let r = self
            .control(&Setup::get_descriptor(desc::REPORT, index, len16), &[])
            .map_err(|e| dfail(format!("Unable to get Report descriptor ({e})")))?;
        if r.len() != len {
            return Err(dfail(format!("Report descriptor too short (expected {len}, got {})", r.len())));
        }
        nut_driver::debug!("Report descriptor retrieved (Reportlen = {len})");
        self.parsed = nut_hid::parse(&r).ok();
        self.report_desc = r;
        Ok(())
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

impl Transport for ShutLink {
    fn info(&self) -> DeviceInfo {
        self.info.clone()
    }

    fn descriptor(&mut self) -> Result<Vec<u8>, TransportError> {
        Ok(self.report_desc.clone())
    }

    fn get_report(&mut self, _rt: ReportType, id: u8, len: usize) -> Result<Vec<u8>, TransportError> {
        // NUT asks every report as a Feature report, with its report buffer's length (the
        // longest form of the report): ask the same, and give the engine the bytes of the
        // form it asked for.
        let want = self.parsed.as_ref().and_then(|d| shut::report_request_length(d, id)).unwrap_or(len);
        let w = u16::try_from(want).map_err(|_| TransportError::NotSupported)?;
        let mut r = self.control(&Setup::get_report(id, w), &[])?;
        r.truncate(len.max(1));
        Ok(r)
    }

    fn set_report(&mut self, _rt: ReportType, id: u8, data: &[u8]) -> Result<(), TransportError> {
        let w = u16::try_from(data.len()).map_err(|_| TransportError::NotSupported)?;
        self.control(&Setup::set_report(id, w), data).map(|_| ())
    }

    fn interrupt(&mut self, _timeout: Duration) -> Result<Option<Vec<u8>>, TransportError> {
        // SHUT notifications are turned off at sync (as NUT does): nothing to wait for.
        Ok(None)
    }

    fn string(&mut self, index: u8) -> Result<String, TransportError> {
        let b = self.control(&Setup::get_string(index, STRING_LEN), &[])?;
        shut::string_descriptor(&b, usize::from(STRING_LEN) - 1)
            .map_err(|e| TransportError::Io(e.to_string()))
    }

    fn string_for(&mut self, index: u8, buflen: usize) -> Result<String, TransportError> {
        let len = u16::try_from(buflen).unwrap_or(u16::MAX);
        let b = self.control(&Setup::get_string(index, len), &[])?;
        shut::string_descriptor(&b, buflen.saturating_sub(1)).map_err(|e| TransportError::Io(e.to_string()))
    }

    fn reconnect(&mut self) -> Result<(), TransportError> {
        self.port.reopen().map_err(serial_err)?;
        self.lines();
        self.lost = false;
        self.fails = 0;
        self.identify().map_err(|e| TransportError::Io(e.to_string()))
    }
}
