//! The USB side of NUT 2.8.5's riello_usb: its device table (Cypress 04b4:5500), the matching
//! options (`nut_usb_addvars`), the claim of interface 0, the HID
//! SET_REPORT (feature) the bridge gets before the first request, and the transfers: bulk-out
//! packets on endpoint 0x02, bulk-in packets on endpoint 0x81 (see [`crate::framing`]).

use std::sync::Arc;
use std::time::Duration;

use nut_driver::{Context, DriverError, OptKind};
pub use nut_transport::usb::DeviceInfo;
use nut_transport::usb::{Accept, Matcher, UsbDevice, UsbError, UsbOpts};

/// Riello's units carry Cypress Semiconductor's vendor id.
pub const RIELLO_VENDORID: u16 = 0x04b4;
/// NUT's table: `USB_DEVICE(RIELLO_VENDORID, 0x5500)`, the cypress subdriver.
pub const IDS: &[(u16, u16)] = &[(RIELLO_VENDORID, 0x5500)];
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
/// NUT's `nut_usb_addvars` (libusb1.c): the matching options, then `allow_duplicates` and the
/// tuning options, with NUT's help texts and kinds.
pub const USB_VARS: &[(&str, &str, OptKind)] = &[
    ("vendor", "Regular expression to match UPS Manufacturer string", OptKind::Value),
    ("product", "Regular expression to match UPS Product string", OptKind::Value),
    ("serial", "Regular expression to match UPS Serial number", OptKind::Value),
    (
        "vendorid",
        "Regular expression to match UPS Manufacturer numerical ID (4 digits hexadecimal)",
        OptKind::Value,
    ),
    (
        "productid",
        "Regular expression to match UPS Product numerical ID (4 digits hexadecimal)",
        OptKind::Value,
    ),
    ("bus", "Regular expression to match USB bus name", OptKind::Value),
    ("device", "Regular expression to match USB device name", OptKind::Value),
    ("busport", "Regular expression to match USB bus port name", OptKind::Value),
    (
        "allow_duplicates",
        "If you have several UPS devices which may not be uniquely identified by options above, allow each \
         driver instance with this option to take the first match if available, or try another",
        OptKind::Flag,
    ),
    (
        "usb_set_altinterface",
        "Force redundant call to usb_set_altinterface() (value=bAlternateSetting; default=0)",
        OptKind::OptionalValue,
    ),
    ("usb_config_index", "Deeper tuning of USB communications for complex devices", OptKind::Value),
    ("usb_hid_rep_index", "Deeper tuning of USB communications for complex devices", OptKind::Value),
    ("usb_hid_desc_index", "Deeper tuning of USB communications for complex devices", OptKind::Value),
    ("usb_hid_ep_in", "Deeper tuning of USB communications for complex devices", OptKind::Value),
    ("usb_hid_ep_out", "Deeper tuning of USB communications for complex devices", OptKind::Value),
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

/// The matching options set in the configuration (NUT's regex matcher).
///
/// NUT's riello_usb reads a `subdriver` value but never declares the option, so NUT refuses
/// `subdriver` as "not a valid variable for this driver"; so does this driver.
pub fn matcher(ctx: &Context) -> Result<Matcher, DriverError> {
    let opts: Vec<(&'static str, String)> =
        MATCH_KEYS.iter().filter_map(|k| ctx.value(k).map(|v| (*k, v.to_string()))).collect();
    Matcher::new(&opts).map_err(DriverError::Config)
}

/// NUT's USB tuning options (`usb_set_altinterface`, `usb_config_index`, `usb_hid_rep_index`,
/// `usb_hid_desc_index`, `usb_hid_ep_in`, `usb_hid_ep_out`): hexadecimal bytes except the
/// alternate setting (decimal, 0 when given without a value). The interface claimed is 0
/// unless `usb_hid_rep_index` says otherwise; the bulk endpoints stay 0x02 and 0x81 as in
/// NUT's riello_usb, which does not read `usb_hid_ep_*`.
pub fn tuning(ctx: &Context) -> Result<UsbOpts, DriverError> {
    let hex = |k: &str| -> Result<Option<u8>, DriverError> {
        match ctx.value(k) {
            None => Ok(None),
            Some(v) => {
                let t = v.trim();
                let t = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
                u8::from_str_radix(t, 16).map(Some).map_err(|_| {
                    DriverError::Config(format!(
                        "{}: {k} = \"{v}\": not a hexadecimal byte (0 to ff)",
                        ctx.location(k)
                    ))
                })
            }
        }
    };
    let altinterface = if ctx.flag("usb_set_altinterface") {
        match ctx.value("usb_set_altinterface") {
            None | Some("") => Some(0),
            Some(v) => Some(v.trim().parse::<u8>().map_err(|_| {
                DriverError::Config(format!(
                    "{}: usb_set_altinterface = \"{v}\": not a bAlternateSetting (0 to 255)",
                    ctx.location("usb_set_altinterface")
                ))
            })?),
        }
    } else {
        None
    };
    Ok(UsbOpts {
        config_index: hex("usb_config_index")?,
        interface: Some(hex("usb_hid_rep_index")?.unwrap_or(0)),
        desc_index: hex("usb_hid_desc_index")?,
        ep_in: hex("usb_hid_ep_in")?,
        ep_out: hex("usb_hid_ep_out")?,
        altinterface,
        interrupt_size: None,
    })
}

/// Open the device the options select among NUT's table, claiming interface 0.
pub fn open(ctx: &Context) -> Result<(Box<dyn Pipe + Send>, DeviceInfo), DriverError> {
    let m = matcher(ctx)?;
    let opts = tuning(ctx)?;
    let accept =
        Accept { ids: Arc::new(supported), device: Arc::new(move |_: &DeviceInfo| Some(opts.clone())) };
    let dev = UsbDevice::open(m, accept, ctx.flag("allow_duplicates")).map_err(|e| {
        DriverError::Device(format!(
            "No supported devices found ({e}). Please check your device availability with 'lsusb'\n\
             and make sure you have an up-to-date version of NUT. If this does not help,\n\
             try running the driver with 'vendorid' and 'productid' options specified.\n\
             Please refer to the man page for details about these options (man 8 riello_usb)."
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
    fn tuning_options_are_nuts() {
        let o = tuning(&ctx(&[])).unwrap_or_default();
        assert_eq!((o.interface, o.config_index, o.altinterface), (Some(0), None, None));
        let o = tuning(&ctx(&[
            ("usb_config_index", "0x1"),
            ("usb_hid_rep_index", "2"),
            ("usb_set_altinterface", ""),
        ]))
        .unwrap_or_default();
        assert_eq!((o.interface, o.config_index, o.altinterface), (Some(2), Some(1), Some(0)));
        let e = tuning(&ctx(&[("usb_hid_ep_in", "zz")])).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("usb_hid_ep_in = \"zz\""), "{e}");
        assert!(matcher(&ctx(&[("vendorid", "04b4(")])).is_err(), "an invalid regular expression");
    }

    #[test]
    fn matching_is_nuts() {
        let m = matcher(&ctx(&[("vendorid", "04B4"), ("product", "riello.*")])).unwrap_or_default();
        let mut d = DeviceInfo { vendor_id: 0x04b4, product_id: 0x5500, ..DeviceInfo::default() };
        d.product = Some("RIELLO UPS".into());
        assert!(m.matches(&d));
        d.product = Some("other".into());
        assert!(!m.matches(&d));
    }
}
