//! The USB-to-serial bridges over nut-transport's libusb device: the adapter between
//! [`crate::bridges::UsbControl`] / [`crate::bridges::port::UsbDevice`] and
//! [`nut_transport::usb::UsbDevice`], and the choice of bridge for a device (`subdriver =`, or
//! NUT's USB id table in `nut_usb_ids`).

use std::time::Duration;

use nut_transport::usb as t;

use crate::bridges::port::UsbDevice;
use crate::bridges::{BridgeKind, EndpointDesc, InterfaceLayout, UsbControl, UsbError};

/// An open libusb device the bridges run over.
pub struct Libusb {
    dev: t::UsbDevice,
}

impl Libusb {
    /// Over a device nut-transport opened and claimed.
    pub fn new(dev: t::UsbDevice) -> Libusb {
        Libusb { dev }
    }

    /// Identity of the device (ids and strings, for `ups.vendorid` and friends).
    pub fn info(&self) -> &t::DeviceInfo {
        self.dev.info()
    }
}

/// nut-transport's errors as the libusb errors NUT's recovery distinguishes.
pub fn bridge_error(e: t::UsbError) -> UsbError {
    match e {
        t::UsbError::Gone => UsbError::NoDevice,
        t::UsbError::Timeout => UsbError::Timeout,
        t::UsbError::NotSupported => UsbError::Pipe,
        t::UsbError::Busy => UsbError::Busy,
        t::UsbError::Access => UsbError::Access,
        t::UsbError::Io(_) => UsbError::Io,
        t::UsbError::Open(_) => UsbError::NotFound,
    }
}

impl UsbControl for Libusb {
    fn control_out(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.dev.control_out(request_type, request, value, index, data, timeout).map_err(bridge_error)
    }

    fn control_in(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        self.dev.control_in(request_type, request, value, index, len, timeout).map_err(bridge_error)
    }

    fn interrupt_in(&mut self, endpoint: u8, len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError> {
        self.dev.interrupt_in_from(endpoint, len, timeout).map_err(bridge_error)
    }

    fn interrupt_out(&mut self, endpoint: u8, data: &[u8], timeout: Duration) -> Result<usize, UsbError> {
        self.dev.interrupt_out(endpoint, data, timeout).map_err(bridge_error)
    }

    fn clear_halt(&mut self, endpoint: u8) -> Result<(), UsbError> {
        self.dev.clear_halt(endpoint).map_err(bridge_error)
    }

    fn interface_layout(&mut self) -> Option<InterfaceLayout> {
        let l = self.dev.active_layout()?;
        Some(InterfaceLayout {
            interfaces: l.interfaces,
            altsettings: l.altsettings,
            endpoints: l
                .endpoints
                .iter()
                .map(|e| EndpointDesc {
                    address: e.address,
                    attributes: e.attributes,
                    max_packet_size: e.max_packet_size,
                })
                .collect(),
        })
    }
}

impl UsbDevice for Libusb {
    fn reset(&mut self) -> Result<(), UsbError> {
        self.dev.reset().map_err(bridge_error)
    }

    fn close(&mut self) {
        // The handle is replaced by the reopen (nut-transport reopens the same device by its
        // ids and serial number, or on the same bus).
    }

    fn reopen(&mut self) -> Result<(), UsbError> {
        self.dev.reconnect().map_err(bridge_error)
    }
}

/// The bridge for a device: the `subdriver =` name when set (NUT's names, case-insensitive),
/// else the one NUT's USB id table gives for its ids and strings; `None`: not a device the
/// table knows and no subdriver named.
pub fn choose_bridge(
    list: &[BridgeKind],
    subdriver: Option<&str>,
    from_table: Option<&str>,
) -> Result<Option<BridgeKind>, String> {
    match subdriver.or(from_table) {
        None => Ok(None),
        Some(name) => BridgeKind::lookup(list, name)
            .map(Some)
            .ok_or_else(|| format!("subdriver '{name}' is not one of this driver's USB subdrivers")),
    }
}

/// The USB matching options NUT's drivers take (`nut_usb_addvars`).
pub const MATCH_KEYS: &[&str] =
    &["vendor", "product", "serial", "vendorid", "productid", "bus", "device", "busport"];

/// Whether the configuration asks for a USB device (NUT's rule for nutdrv_qx built with both
/// serial and USB: `port = auto` or any USB option).
pub fn wants_usb(ctx: &nut_driver::Context) -> bool {
    ctx.port.eq_ignore_ascii_case("auto")
        || ["subdriver", "langid_fix"].iter().chain(MATCH_KEYS).any(|k| ctx.value(k).is_some())
}

/// Open the USB device the options select, through the bridge NUT would use.
pub fn open(
    ctx: &nut_driver::Context,
    flavor: crate::bridges::Flavor,
) -> Result<Box<dyn crate::port::QxPort + Send>, nut_driver::DriverError> {
    use crate::bridges::{parse_langid_fix, Bridge, BridgeOptions, Flavor};
    use nut_driver::DriverError;
    use nut_usb_ids::qx::{lookup, Support, BLAZER_USB_IDS, NUTDRV_QX_IDS};
    use std::sync::Arc;

    let (table, list): (&'static [nut_usb_ids::qx::QxUsbId], &[BridgeKind]) = match flavor {
        Flavor::NutdrvQx => (NUTDRV_QX_IDS, BridgeKind::NUTDRV_QX),
        Flavor::BlazerUsb => (BLAZER_USB_IDS, BridgeKind::BLAZER_USB),
    };
    let subdriver = ctx.value("subdriver").map(str::to_string);
    if let Some(name) = &subdriver {
        if BridgeKind::lookup(list, name).is_none() {
            let names: Vec<&str> = list.iter().map(|k| k.name()).collect();
            return Err(DriverError::Config(format!(
                "{}: Subdriver '{name}' not found (this driver has: {})",
                ctx.location("subdriver"),
                names.join(", ")
            )));
        }
    }
    let langid_fix = match ctx.value("langid_fix") {
        Some(v) => Some(
            parse_langid_fix(v)
                .map_err(|e| DriverError::Config(format!("{}: {e}", ctx.location("langid_fix"))))?,
        ),
        None => None,
    };
    let opts: Vec<(&'static str, String)> =
        MATCH_KEYS.iter().filter_map(|k| ctx.value(k).map(|v| (*k, v.to_string()))).collect();
    let matcher = t::Matcher::new(&opts).map_err(DriverError::Config)?;
    // With `subdriver` set, any device the matching options select; else the devices NUT's
    // table lists with a USB subdriver.
    let forced = subdriver.is_some();
    let accept = t::Accept {
        ids: Arc::new(move |vid, pid| forced || !matches!(lookup(table, vid, pid, None, None), Support::No)),
        device: Arc::new(move |d: &t::DeviceInfo| {
            let ok = forced
                || matches!(
                    lookup(table, d.vendor_id, d.product_id, d.vendor.as_deref(), d.product.as_deref()),
                    Support::Supported(e) if e.subdriver.is_some()
                );
            ok.then(t::UsbOpts::default)
        }),
    };
    let dev = t::UsbDevice::open(matcher, accept, ctx.flag("allow_duplicates"))
        .map_err(|e| DriverError::Device(format!("No supported devices found: {e}")))?;
    let info = dev.info().clone();
    let from_table =
        match lookup(table, info.vendor_id, info.product_id, info.vendor.as_deref(), info.product.as_deref())
        {
            Support::Supported(e) => e.subdriver,
            _ => None,
        };
    let kind = choose_bridge(list, subdriver.as_deref(), from_table)
        .map_err(DriverError::Config)?
        .ok_or_else(|| DriverError::Device("No supported devices found (set 'subdriver')".into()))?;
    nut_driver::info!("Using {} subdriver for {:04x}:{:04x}", kind.name(), info.vendor_id, info.product_id);
    let bridge = Bridge::new(kind, BridgeOptions { langid_fix, novendor: ctx.flag("novendor"), flavor })
        .map_err(|e| DriverError::Config(format!("{}: {e}", ctx.location("subdriver"))))?;
    let mut dev = Libusb::new(dev);
    if langid_fix.is_none() && !ctx.flag("noscanlangid") {
        match crate::bridges::probe_langid(&mut dev) {
            Some(l) => nut_driver::debug!("First supported language ID: 0x{l:x}"),
            None => nut_driver::debug!("No language ID read from string descriptor 0"),
        }
    }
    Ok(Box::new(crate::bridges::port::BridgePort::new(dev, bridge)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subdriver_option_wins_over_the_table_and_must_be_the_driver_s() {
        let qx = BridgeKind::NUTDRV_QX;
        assert_eq!(choose_bridge(qx, None, Some("cypress")), Ok(Some(BridgeKind::Cypress)));
        assert_eq!(choose_bridge(qx, Some("Krauler"), Some("cypress")), Ok(Some(BridgeKind::Krauler)));
        assert_eq!(choose_bridge(qx, None, None), Ok(None), "CH340 entries name no subdriver");
        // blazer_usb knows four of them (NUT's blazer_usb.c subdriver list).
        assert!(choose_bridge(BridgeKind::BLAZER_USB, Some("armac"), None).is_err());
        assert_eq!(choose_bridge(BridgeKind::BLAZER_USB, Some("ippon"), None), Ok(Some(BridgeKind::Ippon)));
    }

    #[test]
    fn transport_errors_keep_nut_s_recovery() {
        use crate::bridges::Recovery;
        assert_eq!(bridge_error(t::UsbError::Busy).recovery(), Recovery::Fatal);
        assert_eq!(bridge_error(t::UsbError::NotSupported).recovery(), Recovery::ClearHaltOrReset);
        assert_eq!(bridge_error(t::UsbError::Gone).recovery(), Recovery::Reconnect);
        assert_eq!(bridge_error(t::UsbError::Timeout).recovery(), Recovery::None);
    }
}
