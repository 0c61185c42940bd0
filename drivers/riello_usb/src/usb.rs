//! The USB side of NUT 2.8.5's riello_usb: its device table (Cypress 04b4:5500), the matching
//! options (`nut_usb_addvars`), the `subdriver` option, the claim of interface 0, the HID
//! SET_REPORT (feature) the bridge gets before the first request, and the transfers: bulk-out
//! packets on endpoint 0x02, bulk-in packets on endpoint 0x81 (see [`crate::framing`]).

use std::sync::Arc;
use std::time::Duration;

use nut_driver::{Context, DriverError};
pub use nut_transport::usb::DeviceInfo;
use nut_transport::usb::{Accept, Matcher, UsbDevice, UsbError, UsbOpts};

/// Riello's units carry Cypress Semiconductor's vendor id.
pub const RIELLO_VENDORID: u16 = 0x04b4;
/// NUT's table: `USB_DEVICE(RIELLO_VENDORID, 0x5500)`, the cypress subdriver.
pub const IDS: &[(u16, u16)] = &[(RIELLO_VENDORID, 0x5500)];
/// The subdrivers NUT's riello_usb knows (`-x subdriver=`).
pub const SUBDRIVERS: &[&str] = &["cypress"];
/// Endpoint requests go out on.
pub const EP_OUT: u8 = 0x02;
/// Endpoint answers come in on.
pub const EP_IN: u8 = 0x81;
/// Timeout of each bulk transfer (NUT: 1000 ms).
pub const TRANSFER_TIMEOUT: Duration = Duration::from_millis(1000);
/// The bridge's feature report (NUT's `cypress_setfeatures`): class request to the interface,
/// SET_REPORT (0x09), feature report 0, these five bytes.
pub const SET_FEATURES: (u8, u8, u16, u16, [u8; 5]) = (0x21, 0x09, 0x0300, 0, [0xB0, 0x04, 0x00, 0x00, 0x03]);
/// USB matching options, in NUT's order (`nut_usb_addvars`).
pub const MATCH_KEYS: &[&str] =
    &["vendorid", "productid", "vendor", "product", "serial", "bus", "device", "busport"];
/// Their help texts.
pub const MATCH_HELP: &[(&str, &str)] = &[
    ("vendor", "Regular expression to match UPS Manufacturer string"),
    ("product", "Regular expression to match UPS Product string"),
    ("serial", "Regular expression to match UPS Serial number"),
    ("vendorid", "Regular expression to match UPS Manufacturer numerical ID (4 digits hexadecimal)"),
    ("productid", "Regular expression to match UPS Product numerical ID (4 digits hexadecimal)"),
    ("bus", "Regular expression to match USB bus name"),
    ("device", "Regular expression to match USB device name"),
    ("busport", "Regular expression to match USB bus port name"),
];

/// Is this device in NUT's table?
pub fn supported(vendor: u16, product: u16) -> bool {
    IDS.contains(&(vendor, product))
}

/// Why a transfer failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipeError {
    /// Nothing came in time.
    Timeout,
    /// The device is gone (unplugged, reset, no access any more): reopen it.
    Gone(String),
    /// A stall or another I/O failure: NUT clears the halt on 0x81 and goes on.
    Other(String),
    /// Another driver took the device (NUT stops: "Got disconnected by another driver").
    Busy,
}

/// The transfers riello_usb makes: a real device, or a simulated one in tests.
pub trait Pipe {
    /// A control transfer to the device (the feature report).
    fn control_out(
        &mut self,
        request: (u8, u8, u16, u16),
        data: &[u8],
        timeout: Duration,
    ) -> Result<(), PipeError>;
    /// One bulk-out packet on endpoint 0x02.
    fn bulk_out(&mut self, packet: &[u8], timeout: Duration) -> Result<(), PipeError>;
    /// One bulk-in transfer from endpoint 0x81, at most `len` bytes.
    fn bulk_in(&mut self, len: usize, timeout: Duration) -> Result<Vec<u8>, PipeError>;
    /// Clear a stall on endpoint 0x81.
    fn clear_halt(&mut self) {}
    /// Find the same device again after it went away.
    fn reconnect(&mut self) -> Result<(), String>;
}

fn pipe_err(e: UsbError) -> PipeError {
    match e {
        UsbError::Timeout => PipeError::Timeout,
        UsbError::Busy => PipeError::Busy,
        UsbError::Gone | UsbError::Access => PipeError::Gone(e.to_string()),
        e => PipeError::Other(e.to_string()),
    }
}

impl Pipe for UsbDevice {
    fn control_out(
        &mut self,
        r: (u8, u8, u16, u16),
        data: &[u8],
        timeout: Duration,
    ) -> Result<(), PipeError> {
        UsbDevice::control_out(self, r.0, r.1, r.2, r.3, data, timeout).map(|_| ()).map_err(pipe_err)
    }
    fn bulk_out(&mut self, packet: &[u8], timeout: Duration) -> Result<(), PipeError> {
        UsbDevice::bulk_out(self, EP_OUT, packet, timeout).map(|_| ()).map_err(pipe_err)
    }
    fn bulk_in(&mut self, len: usize, timeout: Duration) -> Result<Vec<u8>, PipeError> {
        UsbDevice::bulk_in(self, EP_IN, len, timeout).map_err(pipe_err)
    }
    fn clear_halt(&mut self) {
        let _ = UsbDevice::clear_halt(self, EP_IN);
    }
    fn reconnect(&mut self) -> Result<(), String> {
        UsbDevice::reconnect(self).map_err(|e| e.to_string())
    }
}

/// The matching options set in the configuration, checked as NUT's `upsdrv_initups` does:
/// `subdriver` must be one of [`SUBDRIVERS`] and needs `vendorid` and `productid`.
/// Returns the matcher and whether `subdriver` forces any matching device.
pub fn matcher(ctx: &Context) -> Result<(Matcher, bool), DriverError> {
    let forced = match ctx.value("subdriver") {
        None => false,
        Some(s) => {
            if ctx.value("vendorid").is_none() || ctx.value("productid").is_none() {
                return Err(DriverError::Config(format!(
                    "{}: When specifying a subdriver, 'vendorid' and 'productid' are mandatory.",
                    ctx.location("subdriver")
                )));
            }
            if !SUBDRIVERS.iter().any(|n| n.eq_ignore_ascii_case(s)) {
                return Err(DriverError::Config(format!(
                    "{}: Subdriver \"{s}\" not found! (riello_usb has: {})",
                    ctx.location("subdriver"),
                    SUBDRIVERS.join(", ")
                )));
            }
            true
        }
    };
    let opts: Vec<(&'static str, String)> =
        MATCH_KEYS.iter().filter_map(|k| ctx.value(k).map(|v| (*k, v.to_string()))).collect();
    let m = Matcher::new(&opts).map_err(DriverError::Config)?;
    Ok((m, forced))
}

/// Open the device the options select (NUT's table unless `subdriver` is set), claiming
/// interface 0.
pub fn open(ctx: &Context) -> Result<(Box<dyn Pipe + Send>, DeviceInfo), DriverError> {
    let (m, forced) = matcher(ctx)?;
    let accept = Accept {
        ids: Arc::new(move |v, p| forced || supported(v, p)),
        device: Arc::new(|_: &DeviceInfo| Some(UsbOpts { interface: Some(0), ..UsbOpts::default() })),
    };
    let dev = UsbDevice::open(m, accept, ctx.flag("allow_duplicates")).map_err(|e| {
        DriverError::Device(format!(
            "No supported devices found ({e}). Please check your device availability with 'lsusb'\n\
             and make sure you have an up-to-date version of NUT. If this does not help,\n\
             try running the driver with at least 'subdriver', 'vendorid' and 'productid'\n\
             options specified. Please refer to the man page for details about these options\n\
             (man 8 riello_usb)."
        ))
    })?;
    let info = dev.info().clone();
    Ok((Box::new(dev), info))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(opts: &[(&str, &str)]) -> Context {
        Context {
            options: opts.iter().map(|(k, v)| (k.to_string(), Some(v.to_string()))).collect(),
            ..Context::default()
        }
    }

    #[test]
    fn nuts_table() {
        assert!(supported(0x04b4, 0x5500));
        assert!(!supported(0x04b4, 0x5501));
        assert!(!supported(0x0665, 0x5161));
    }

    #[test]
    fn subdriver_needs_ids_and_must_be_cypress() {
        assert!(matches!(matcher(&ctx(&[])), Ok((_, false))));
        let e = matcher(&ctx(&[("subdriver", "cypress")])).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("'vendorid' and 'productid' are mandatory"), "{e}");
        let ok = ctx(&[("subdriver", "Cypress"), ("vendorid", "04b4"), ("productid", "5501")]);
        assert!(matches!(matcher(&ok), Ok((_, true))));
        let bad = ctx(&[("subdriver", "krauler"), ("vendorid", "04b4"), ("productid", "5500")]);
        let e = matcher(&bad).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("Subdriver \"krauler\" not found!"), "{e}");
        assert!(matcher(&ctx(&[("vendorid", "04b4(")])).is_err(), "an invalid regular expression");
    }

    #[test]
    fn matching_is_nuts() {
        let (m, _) = matcher(&ctx(&[("vendorid", "04B4"), ("product", "riello.*")])).unwrap_or_default();
        let mut d = DeviceInfo { vendor_id: 0x04b4, product_id: 0x5500, ..DeviceInfo::default() };
        d.product = Some("RIELLO UPS".into());
        assert!(m.matches(&d));
        d.product = Some("other".into());
        assert!(!m.matches(&d));
    }
}
