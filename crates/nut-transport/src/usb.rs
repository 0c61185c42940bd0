//! USB devices over libusb (rusb, vendored): NUT's matching options, kernel driver detach,
//! claim, control and interrupt transfers and string descriptors. Errors say how to fix them.
//! Class protocols (HID reports, the USB-to-serial bridges of the Q1 drivers) sit on top.
//!
//! NUT's `usb_*` options ([`UsbOpts`]) replace what is otherwise read from the device's
//! descriptors: the configuration descriptor (`usb_config_index`), the interface claimed and
//! addressed by class requests (`usb_hid_rep_index`), the report descriptor index
//! (`usb_hid_desc_index`), the interrupt-in endpoint (`usb_hid_ep_in`), and an explicit
//! set-alternate-setting after the claim (`usb_set_altinterface`). `LIBUSB_DEBUG` in the
//! environment (the driver framework exports ups.conf's) sets libusb's own log level.

use std::sync::Arc;
use std::time::Duration;

use regex_lite::{Regex, RegexBuilder};
use rusb::{Context, Device, DeviceHandle, UsbContext};

/// Identity of a USB device (for `ups.vendorid`, matching, reconnecting and nut-scanner).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceInfo {
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// Manufacturer string, if the device has one.
    pub vendor: Option<String>,
    /// Product string.
    pub product: Option<String>,
    /// Serial number string.
    pub serial: Option<String>,
    /// Bus number as NUT prints it (`001`).
    pub bus: String,
    /// Device address on the bus (`002`).
    pub device: String,
    /// The port path on the bus (`1.4`), where the platform tells it (NUT's `busport`).
    pub busport: Option<String>,
}

/// USB failures. `Gone` and `Io` make a driver mark data stale and reconnect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsbError {
    /// The device is no longer there (unplugged, reset).
    #[error("device disconnected")]
    Gone,
    /// The device did not answer in time.
    #[error("timed out")]
    Timeout,
    /// The device does not have this report or refused the request (a STALL).
    #[error("report not supported by the device")]
    NotSupported,
    /// Another program (or a kernel driver) holds the device: NUT's drivers give up then.
    #[error("resource busy (claimed by another driver?)")]
    Busy,
    /// The driver's user may not use the device.
    #[error("access denied (insufficient permissions)")]
    Access,
    /// Any other I/O failure.
    #[error("{0}")]
    Io(String),
    /// Opening the device failed; the message says how to fix it.
    #[error("{0}")]
    Open(String),
}

/// NUT's `usb_*` tuning options (nut_usb_addvars(8)): which configuration, interface, report
/// descriptor index and interrupt endpoint to use instead of what the device describes, and an
/// explicit alternate setting; plus `interruptsize`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsbOpts {
    /// `usb_config_index` (hex): the configuration descriptor read (default: the active one).
    pub config_index: Option<u8>,
    /// `usb_hid_rep_index` (hex): the interface claimed and addressed by class requests
    /// (default: the last HID interface of the configuration, else the first interface).
    pub interface: Option<u8>,
    /// `usb_hid_desc_index` (hex): the index of the report descriptor asked for (default 0).
    pub desc_index: Option<u8>,
    /// `usb_hid_ep_in` (hex): the interrupt-in endpoint number (default: the interface's own).
    pub ep_in: Option<u8>,
    /// `usb_hid_ep_out` (hex): the interrupt-out endpoint. usbhid-ups sends every report over
    /// the control endpoint, as NUT's does, so this is checked and kept but not used there.
    pub ep_out: Option<u8>,
    /// `usb_set_altinterface[=n]`: call set-alternate-setting after claiming (value decimal,
    /// default 0).
    pub altinterface: Option<u8>,
    /// `interruptsize`: read at most this many bytes from the interrupt pipe.
    pub interrupt_size: Option<usize>,
}

/// NUT's USB matching options (`vendorid`, `productid`, `vendor`, `product`, `serial`, `bus`,
/// `device`, `busport`): case-insensitive regular expressions anchored at both ends.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    fields: Vec<(&'static str, Regex)>,
}

impl Matcher {
    /// Build from `(option, regex)` pairs; an invalid regex names the option.
    pub fn new(opts: &[(&'static str, String)]) -> Result<Matcher, String> {
        let mut fields = Vec::new();
        for (k, v) in opts {
            let re = RegexBuilder::new(&format!("^(?:{v})$"))
                .case_insensitive(true)
                .build()
                .map_err(|e| format!("invalid regular expression for {k} = \"{v}\": {e}"))?;
            fields.push((*k, re));
        }
        Ok(Matcher { fields })
    }

    /// True if every given option matches the device.
    pub fn matches(&self, d: &DeviceInfo) -> bool {
        self.fields.iter().all(|(k, re)| {
            let v = match *k {
                "vendorid" => format!("{:04x}", d.vendor_id),
                "productid" => format!("{:04x}", d.product_id),
                "vendor" => d.vendor.clone().unwrap_or_default(),
                "product" => d.product.clone().unwrap_or_default(),
                "serial" => d.serial.clone().unwrap_or_default(),
                "bus" => d.bus.clone(),
                "device" => d.device.clone(),
                "busport" => d.busport.clone().unwrap_or_default(),
                _ => return true,
            };
            re.is_match(&v)
        })
    }
}

/// Bytes read per interrupt transfer (NUT's SMALLBUF).
pub const INTERRUPT_BUFFER: usize = 512;

/// Decides, once a device's strings are read, whether to take it and with which settings.
pub type AcceptDevice = Arc<dyn Fn(&DeviceInfo) -> Option<UsbOpts> + Send + Sync>;

/// Which devices to take (the device table's claims): `ids` before a device is opened, with
/// its vendor and product ids only; `device` once its strings are read, giving the USB
/// settings to use for it (the configured `usb_*` options with the claiming subdriver's
/// defaults) or `None` to pass it by.
#[derive(Clone)]
pub struct Accept {
    /// Could a device with these vendor and product ids be taken?
    pub ids: Arc<dyn Fn(u16, u16) -> bool + Send + Sync>,
    /// Take this device, with these settings?
    pub device: AcceptDevice,
}

impl Accept {
    /// Take the devices whose ids `ids` accepts, with `opts`.
    pub fn by_ids(ids: fn(u16, u16) -> bool, opts: UsbOpts) -> Accept {
        Accept { ids: Arc::new(ids), device: Arc::new(move |_| Some(opts.clone())) }
    }
}

/// One endpoint of interface 0's first setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// bEndpointAddress (with the direction bit).
    pub address: u8,
    /// bmAttributes (transfer and sync type bits).
    pub attributes: u8,
    /// wMaxPacketSize.
    pub max_packet_size: u16,
}

/// The active configuration's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveLayout {
    /// bNumInterfaces.
    pub interfaces: u8,
    /// Number of alternate settings of interface 0.
    pub altsettings: u8,
    /// Endpoints of interface 0, first setting.
    pub endpoints: Vec<Endpoint>,
}

/// An open, claimed USB device.
pub struct UsbDevice {
    handle: DeviceHandle<Context>,
    info: DeviceInfo,
    iface: u8,
    ep_in: Option<u8>,
    desc_len: u16,
    desc_index: u8,
    matcher: Matcher,
    accept: Accept,
    allow_duplicates: bool,
    interrupt_size: Option<usize>,
}

/// What the claim uses: from the descriptors, or from the `usb_*` options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// Interface claimed and addressed by HID requests.
    pub iface: u8,
    /// Interrupt-in endpoint address (with the IN bit).
    pub ep_in: Option<u8>,
    /// `wDescriptorLength` of the report descriptor.
    pub desc_len: u16,
}

/// One interface of a configuration descriptor, as [`layout`] needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IfaceDesc {
    /// `bInterfaceNumber`.
    pub number: u8,
    /// `bInterfaceClass` (3 = HID).
    pub class: u8,
    /// Addresses of its IN endpoints.
    pub ep_in: Vec<u8>,
    /// The class-specific bytes after the interface descriptor (the HID descriptor).
    pub extra: Vec<u8>,
}

/// Choose the interface, endpoint and descriptor length: the last HID interface the
/// configuration lists (its first IN endpoint, the length its HID descriptor gives), or the
/// first interface when none is HID, unless
/// `usb_hid_rep_index` / `usb_hid_ep_in` say otherwise. Pure, for tests.
pub fn layout(ifaces: &[IfaceDesc], opts: &UsbOpts) -> Layout {
    let chosen = match opts.interface {
        Some(n) => ifaces.iter().find(|i| i.number == n),
        // No HID interface (a vendor-class USB-to-serial bridge): the first interface.
        None => ifaces.iter().rev().find(|i| i.class == 3).or_else(|| ifaces.first()),
    };
    let iface = opts.interface.or(chosen.map(|i| i.number)).unwrap_or(0);
    let mut desc_len = 4096u16;
    if let Some(x) = chosen.map(|i| &i.extra) {
        // The HID class descriptor carries wDescriptorLength of the report descriptor.
        if x.len() >= 9 && x[1] == 0x21 {
            desc_len = u16::from_le_bytes([x[7], x[8]]);
        }
    }
    let ep_in = match opts.ep_in {
        Some(n) => Some(0x80 | n),
        None => chosen.and_then(|i| i.ep_in.first().copied()),
    };
    Layout { iface, ep_in, desc_len }
}

/// Why claiming one candidate device failed.
#[derive(Debug)]
pub struct ClaimError {
    /// Another program holds the device (EBUSY): with `allow_duplicates` the next matching
    /// device is tried.
    pub busy: bool,
    /// The error to report if no device can be taken.
    pub error: UsbError,
}

/// Take the first candidate that can be claimed. NUT's rule: without `allow_duplicates`, a
/// matching device held by another program is an error (the match is assumed unique); with
/// it, a busy device is skipped and the next match is tried.
pub fn first_claimable<C, T>(
    candidates: impl IntoIterator<Item = C>,
    allow_duplicates: bool,
    mut claim: impl FnMut(C) -> Result<T, ClaimError>,
) -> Result<Option<T>, UsbError> {
    let mut busy = None;
    for c in candidates {
        match claim(c) {
            Ok(t) => return Ok(Some(t)),
            Err(e) if e.busy && allow_duplicates => {
                tracing::info!("{}; allow_duplicates is set: trying the next matching device", e.error);
                busy = Some(e.error);
            }
            Err(e) => return Err(e.error),
        }
    }
    busy.map_or(Ok(None), Err)
}

/// The fix for a permission error on this OS.
pub fn permission_hint(vid: u16, pid: u16, bus: &str, dev: &str) -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "nut".into());
    if cfg!(target_os = "linux") {
        format!(
            "the driver runs as user '{user}', which can't write /dev/bus/usb/{bus}/{dev}. Fix: create \
             /etc/udev/rules.d/62-nut-usbups.rules with\n  SUBSYSTEM==\"usb\", ATTR{{idVendor}}==\"{vid:04x}\", \
             ATTR{{idProduct}}==\"{pid:04x}\", MODE=\"664\", GROUP=\"nut\"\nthen run: udevadm control --reload-rules \
             && udevadm trigger, and unplug/replug the UPS (or start the driver with -u root to test)"
        )
    } else if cfg!(target_os = "openbsd") {
        format!(
            "the driver runs as user '{user}', which can't open the USB controller node. Fix: find it with \
             'usbdevs -v' (for example /dev/usb{bus}), then: chgrp _ups /dev/usbN /dev/ugenN.* && chmod g+rw \
             /dev/usbN /dev/ugenN.* (redo after each OpenBSD upgrade)"
        )
    } else {
        format!("the driver runs as user '{user}', which has no write access to USB device {bus}:{dev}")
    }
}

fn map_err(e: rusb::Error) -> UsbError {
    match e {
        rusb::Error::NoDevice | rusb::Error::NotFound => UsbError::Gone,
        rusb::Error::Timeout => UsbError::Timeout,
        rusb::Error::Pipe => UsbError::NotSupported,
        rusb::Error::Busy => UsbError::Busy,
        rusb::Error::Access => UsbError::Access,
        other => UsbError::Io(other.to_string()),
    }
}

fn read_info(dev: &Device<Context>, h: Option<&DeviceHandle<Context>>) -> Option<DeviceInfo> {
    let d = dev.device_descriptor().ok()?;
    let s = |i: Option<u8>| i.and_then(|i| h.and_then(|h| h.read_string_descriptor_ascii(i).ok()));
    Some(DeviceInfo {
        vendor_id: d.vendor_id(),
        product_id: d.product_id(),
        vendor: s(d.manufacturer_string_index()),
        product: s(d.product_string_index()),
        serial: s(d.serial_number_string_index()),
        bus: format!("{:03}", dev.bus_number()),
        device: format!("{:03}", dev.address()),
        busport: busport(dev),
    })
}

fn busport(dev: &Device<Context>) -> Option<String> {
    dev.port_numbers().ok().map(|p| p.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("."))
}

/// Why a USB scan could not look at the bus.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// libusb did not start (no usbfs, no permission on it).
    #[error("libusb could not start ({0})")]
    Init(String),
    /// The device list could not be read.
    #[error("can't list USB devices ({0})")]
    List(String),
}

/// What a scan saw: how many USB devices exist at all, and the supported ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanResult {
    /// Every USB device on the system (hubs included).
    pub total: usize,
    /// The devices `accept` (the device table) supports, with their identity.
    pub supported: Vec<DeviceInfo>,
}

/// Every HID device on the system that `accept` (the device table) supports, with its
/// identity; devices that can't be opened are listed with what the descriptor says.
pub fn scan(accept: fn(u16, u16) -> bool) -> Result<ScanResult, ScanError> {
    let ctx = Context::new().map_err(|e| ScanError::Init(e.to_string()))?;
    let list = ctx.devices().map_err(|e| ScanError::List(e.to_string()))?;
    let mut out = ScanResult { total: list.len(), supported: Vec::new() };
    for dev in list.iter() {
        let Ok(d) = dev.device_descriptor() else { continue };
        if !accept(d.vendor_id(), d.product_id()) {
            continue;
        }
        let h = dev.open().ok();
        if let Some(i) = read_info(&dev, h.as_ref()) {
            out.supported.push(i);
        }
    }
    Ok(out)
}

impl UsbDevice {
    /// Open the first supported device that matches.
    pub fn open(matcher: Matcher, accept: Accept, allow_duplicates: bool) -> Result<UsbDevice, UsbError> {
        let ctx = Context::new().map_err(|e| UsbError::Open(format!("libusb init failed: {e}")))?;
        let list = ctx.devices().map_err(|e| UsbError::Open(format!("can't list USB devices: {e}")))?;
        let mut denied = None;
        let mut candidates = Vec::new();
        for dev in list.iter() {
            let Ok(dd) = dev.device_descriptor() else { continue };
            if !(accept.ids)(dd.vendor_id(), dd.product_id()) {
                continue;
            }
            let handle = match dev.open() {
                Ok(h) => h,
                Err(rusb::Error::Access) => {
                    let bus = format!("{:03}", dev.bus_number());
                    let addr = format!("{:03}", dev.address());
                    denied = Some(format!(
                        "Can't open USB device [{:04x}:{:04x}] at bus {bus} device {addr}: Operation not permitted; {}",
                        dd.vendor_id(),
                        dd.product_id(),
                        permission_hint(dd.vendor_id(), dd.product_id(), &bus, &addr)
                    ));
                    continue;
                }
                Err(_) => continue,
            };
            let Some(info) = read_info(&dev, Some(&handle)) else { continue };
            if !matcher.matches(&info) {
                continue;
            }
            let Some(opts) = (accept.device)(&info) else { continue };
            candidates.push((handle, dev, info, opts));
        }
        let taken = first_claimable(candidates, allow_duplicates, |(handle, dev, info, opts)| {
            UsbDevice::claim(handle, dev, info, matcher.clone(), accept.clone(), allow_duplicates, opts)
        })?;
        taken.ok_or_else(|| {
            UsbError::Open(denied.unwrap_or_else(|| {
                "No matching HID UPS found: check the cable and 'lsusb', and the vendorid/productid/serial/bus \
                 options in ups.conf"
                    .into()
            }))
        })
    }

    fn claim(
        handle: DeviceHandle<Context>,
        dev: Device<Context>,
        info: DeviceInfo,
        matcher: Matcher,
        accept: Accept,
        allow_duplicates: bool,
        opts: UsbOpts,
    ) -> Result<UsbDevice, ClaimError> {
        let plain = |error| ClaimError { busy: false, error };
        let cfg = match opts.config_index {
            Some(i) => dev.config_descriptor(i).map_err(|e| {
                plain(UsbError::Open(format!(
                    "USB device [{:04x}:{:04x}] has no configuration descriptor {i} (usb_config_index): {e}",
                    info.vendor_id, info.product_id
                )))
            })?,
            None => dev.active_config_descriptor().map_err(|e| plain(map_err(e)))?,
        };
        let ifaces: Vec<IfaceDesc> = cfg
            .interfaces()
            .flat_map(|i| i.descriptors())
            .map(|d| IfaceDesc {
                number: d.interface_number(),
                class: d.class_code(),
                ep_in: d
                    .endpoint_descriptors()
                    .filter(|e| e.direction() == rusb::Direction::In)
                    .map(|e| e.address())
                    .collect(),
                extra: d.extra().to_vec(),
            })
            .collect();
        let Layout { iface, ep_in, desc_len } = layout(&ifaces, &opts);
        tracing::trace!(
            "Using default, detected or customized USB HID numbers: usb_config_index={:?} usb_hid_rep_index={iface} \
             usb_hid_desc_index={} usb_hid_ep_in={ep_in:?}",
            opts.config_index,
            opts.desc_index.unwrap_or(0)
        );
        let _ = handle.set_auto_detach_kernel_driver(true);
        if let Err(e) = handle.claim_interface(iface) {
            let msg = if e == rusb::Error::Access || e == rusb::Error::Busy {
                format!(
                    "Can't claim USB device [{:04x}:{:04x}]: {e}; {}",
                    info.vendor_id,
                    info.product_id,
                    if e == rusb::Error::Busy {
                        "another program (another usbhid-ups, apcupsd, or upower) holds it: stop it first"
                            .to_string()
                    } else {
                        permission_hint(info.vendor_id, info.product_id, &info.bus, &info.device)
                    }
                )
            } else {
                format!("Can't claim USB device [{:04x}:{:04x}]: {e}", info.vendor_id, info.product_id)
            };
            return Err(ClaimError { busy: e == rusb::Error::Busy, error: UsbError::Open(msg) });
        }
        if let Some(alt) = opts.altinterface {
            tracing::trace!("calling libusb_set_interface_alt_setting(udev, {iface}, {alt})");
            if let Err(e) = handle.set_alternate_setting(iface, alt) {
                tracing::warn!("libusb_set_interface_alt_setting(udev, {iface}, {alt}) failed: {e}");
            }
            tracing::info!(
                "libusb_set_interface_alt_setting() should not be necessary - please email the nut-upsdev list \
                 with information about your UPS."
            );
        }
        let desc_index = opts.desc_index.unwrap_or(0);
        Ok(UsbDevice {
            handle,
            info,
            iface,
            ep_in,
            desc_len,
            desc_index,
            matcher,
            accept,
            allow_duplicates,
            interrupt_size: opts.interrupt_size,
        })
    }
}

impl UsbDevice {
    /// Identity of the device.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// The interface claimed (class requests address it).
    pub fn interface(&self) -> u8 {
        self.iface
    }

    /// `wDescriptorLength` of the HID report descriptor, from the HID class descriptor (4096
    /// when the interface has none).
    pub fn report_descriptor_len(&self) -> u16 {
        self.desc_len
    }

    /// `usb_hid_desc_index` (0 unless configured).
    pub fn report_descriptor_index(&self) -> u8 {
        self.desc_index
    }

    /// A control transfer from the device: up to `len` bytes.
    pub fn control_in(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        let mut buf = vec![0u8; len];
        let n = self
            .handle
            .read_control(request_type, request, value, index, &mut buf, timeout)
            .map_err(map_err)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// A control transfer to the device; returns how many bytes were sent.
    pub fn control_out(
        &mut self,
        request_type: u8,
        request: u8,
        value: u16,
        index: u16,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle.write_control(request_type, request, value, index, data, timeout).map_err(map_err)
    }

    /// Wait up to `timeout` for an interrupt-in transfer on the claimed endpoint; `None`: none
    /// came (or the interface has no interrupt-in endpoint: then this waits `timeout`).
    pub fn interrupt_in(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, UsbError> {
        let Some(ep) = self.ep_in else {
            std::thread::sleep(timeout);
            return Ok(None);
        };
        // NUT's buffer (SMALLBUF): room for reports longer than the descriptor says, which the
        // engine truncates; a transfer larger still is dropped, not a reason to reconnect.
        let size =
            self.interrupt_size.filter(|n| *n > 0 && *n < INTERRUPT_BUFFER).unwrap_or(INTERRUPT_BUFFER);
        let mut buf = vec![0u8; size];
        match self.handle.read_interrupt(ep, &mut buf, timeout) {
            Ok(n) => {
                buf.truncate(n);
                Ok(Some(buf))
            }
            Err(rusb::Error::Timeout) => Ok(None),
            Err(rusb::Error::Overflow) => {
                tracing::debug!("interrupt transfer larger than {INTERRUPT_BUFFER} bytes: dropped");
                Ok(None)
            }
            Err(e) => Err(map_err(e)),
        }
    }

    /// An interrupt-in transfer of at most `len` bytes from endpoint `ep` (number, without the
    /// direction bit), as USB-to-serial bridges read their answers; a timeout is an error.
    pub fn interrupt_in_from(&mut self, ep: u8, len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError> {
        let mut buf = vec![0u8; len];
        let n = self.handle.read_interrupt(0x80 | (ep & 0x0f), &mut buf, timeout).map_err(map_err)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// Clear a halt (STALL) on endpoint `ep` (address, with the direction bit).
    pub fn clear_halt(&mut self, ep: u8) -> Result<(), UsbError> {
        self.handle.clear_halt(ep).map_err(map_err)
    }

    /// A USB port reset of the device (it may re-enumerate: reconnect afterwards).
    pub fn reset(&mut self) -> Result<(), UsbError> {
        self.handle.reset().map_err(map_err)
    }

    /// The active configuration's shape (what the armac bridge looks at).
    pub fn active_layout(&self) -> Option<ActiveLayout> {
        let cfg = self.handle.device().active_config_descriptor().ok()?;
        let iface0 = cfg.interfaces().next()?;
        let altsettings = u8::try_from(iface0.descriptors().count()).unwrap_or(u8::MAX);
        let first = iface0.descriptors().next()?;
        let endpoints = first
            .endpoint_descriptors()
            .map(|e| Endpoint {
                address: e.address(),
                attributes: e.transfer_type() as u8 | ((e.sync_type() as u8) << 2),
                max_packet_size: e.max_packet_size(),
            })
            .collect();
        Some(ActiveLayout { interfaces: cfg.num_interfaces(), altsettings, endpoints })
    }

    /// An interrupt-out transfer to endpoint `ep` (number, without the direction bit).
    pub fn interrupt_out(&mut self, ep: u8, data: &[u8], timeout: Duration) -> Result<usize, UsbError> {
        self.handle.write_interrupt(ep & 0x0f, data, timeout).map_err(map_err)
    }

    /// A bulk-out transfer to endpoint `ep` (number, without the direction bit); returns how
    /// many bytes were sent.
    pub fn bulk_out(&mut self, ep: u8, data: &[u8], timeout: Duration) -> Result<usize, UsbError> {
        self.handle.write_bulk(ep & 0x0f, data, timeout).map_err(map_err)
    }

    /// A bulk-in transfer from endpoint `ep` (number, without the direction bit).
    pub fn bulk_in(&mut self, ep: u8, len: usize, timeout: Duration) -> Result<Vec<u8>, UsbError> {
        let mut buf = vec![0u8; len];
        let n = self.handle.read_bulk(0x80 | (ep & 0x0f), &mut buf, timeout).map_err(map_err)?;
        buf.truncate(n);
        Ok(buf)
    }

    /// A string descriptor, in the device's first language, as libusb's ASCII variant gives
    /// it (what NUT's drivers read).
    pub fn string(&mut self, index: u8) -> Result<String, UsbError> {
        self.handle.read_string_descriptor_ascii(index).map_err(map_err)
    }

    /// A string descriptor asked for with an explicit language id (NUT's `langid_fix`), raw:
    /// the descriptor bytes as the device sends them.
    pub fn string_descriptor_raw(
        &mut self,
        index: u8,
        langid: u16,
        timeout: Duration,
    ) -> Result<Vec<u8>, UsbError> {
        self.control_in(0x80, 0x06, (0x03 << 8) | u16::from(index), langid, 255, timeout)
    }

    /// `interruptsize`: read at most this many bytes per interrupt transfer.
    pub fn set_interrupt_size(&mut self, size: Option<usize>) {
        self.interrupt_size = size;
    }

    /// Reopen the same device after a failure: by serial number if it has one, else on the
    /// same bus (the address changes on replug, so only vendor/product/serial are pinned).
    pub fn reconnect(&mut self) -> Result<(), UsbError> {
        let mut opts: Vec<(&'static str, String)> = vec![
            ("vendorid", format!("{:04x}", self.info.vendor_id)),
            ("productid", format!("{:04x}", self.info.product_id)),
        ];
        if let Some(s) = &self.info.serial {
            opts.push(("serial", regex_lite::escape(s)));
        } else {
            opts.push(("bus", self.info.bus.clone()));
        }
        let m = Matcher::new(&opts).map_err(UsbError::Open)?;
        let fresh = UsbDevice::open(m, self.accept.clone(), self.allow_duplicates)?;
        let matcher = std::mem::take(&mut self.matcher);
        *self = fresh;
        self.matcher = matcher;
        Ok(())
    }
}

/// Decode a string descriptor (`bLength`, type 3, UTF-16LE) as libusb's ASCII variant does:
/// characters outside ASCII become `?`. Pure, for tests and for `langid_fix` reads.
pub fn decode_string_descriptor(raw: &[u8]) -> Result<String, UsbError> {
    if raw.len() < 2 || raw[1] != 0x03 {
        return Err(UsbError::Io("not a string descriptor".into()));
    }
    let len = usize::from(raw[0]).min(raw.len());
    let units = raw.get(2..len).unwrap_or(&[]);
    Ok(units
        .chunks_exact(2)
        .map(|c| {
            let u = u16::from_le_bytes([c[0], c[1]]);
            if u < 0x80 {
                char::from(u as u8)
            } else {
                '?'
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(n: u32) -> ClaimError {
        ClaimError { busy: true, error: UsbError::Open(format!("device {n} busy")) }
    }

    #[test]
    fn allow_duplicates_skips_busy_devices() {
        let claim = |n: u32| if n < 2 { Err(busy(n)) } else { Ok(n) };
        // NUT's default: the first match is the device; busy is an error.
        assert_eq!(
            first_claimable([0, 1, 2], false, claim).map_err(|e| e.to_string()),
            Err("device 0 busy".to_string())
        );
        assert_eq!(first_claimable([0, 1, 2], true, claim).ok(), Some(Some(2)));
        // All busy: the last reason is reported.
        assert_eq!(
            first_claimable([0, 1], true, claim).map_err(|e| e.to_string()),
            Err("device 1 busy".to_string())
        );
        // Other errors stop at once even with allow_duplicates.
        let denied = |_: u32| -> Result<u32, ClaimError> {
            Err(ClaimError { busy: false, error: UsbError::Open("denied".into()) })
        };
        assert!(first_claimable([0, 1], true, denied).is_err());
        assert_eq!(first_claimable(Vec::<u32>::new(), true, claim).ok(), Some(None));
    }

    fn hid(number: u8, ep: u8, len: u16) -> IfaceDesc {
        let [lo, hi] = len.to_le_bytes();
        IfaceDesc { number, class: 3, ep_in: vec![ep], extra: vec![9, 0x21, 0x11, 0x01, 0, 1, 0x22, lo, hi] }
    }

    #[test]
    fn usb_options_override_the_descriptors() {
        let cdc = IfaceDesc { number: 0, class: 2, ep_in: vec![0x83], extra: Vec::new() };
        let ifaces = [cdc, hid(1, 0x81, 600), hid(2, 0x82, 900)];
        // Default: the last HID interface listed, its endpoint and length.
        assert_eq!(
            layout(&ifaces, &UsbOpts::default()),
            Layout { iface: 2, ep_in: Some(0x82), desc_len: 900 }
        );
        // usb_hid_rep_index picks the interface, with its own endpoint and length.
        let o = UsbOpts { interface: Some(1), ..UsbOpts::default() };
        assert_eq!(layout(&ifaces, &o), Layout { iface: 1, ep_in: Some(0x81), desc_len: 600 });
        // usb_hid_ep_in is the endpoint number, as NUT adds it to LIBUSB_ENDPOINT_IN.
        let o = UsbOpts { interface: Some(1), ep_in: Some(3), ..UsbOpts::default() };
        assert_eq!(layout(&ifaces, &o).ep_in, Some(0x83));
        // A bridge without HID interface: its first interface and endpoint.
        let bridge = [IfaceDesc { number: 0, class: 0xff, ep_in: vec![0x82], extra: Vec::new() }];
        assert_eq!(
            layout(&bridge, &UsbOpts::default()),
            Layout { iface: 0, ep_in: Some(0x82), desc_len: 4096 }
        );
        // An interface the configuration does not describe is still used as asked.
        let o = UsbOpts { interface: Some(5), ..UsbOpts::default() };
        assert_eq!(layout(&ifaces, &o), Layout { iface: 5, ep_in: None, desc_len: 4096 });
    }

    #[test]
    fn string_descriptors_decode_as_libusb_ascii() {
        let raw = [10, 3, b'E', 0, b'A', 0, 0xe9, 0, b'N', 0];
        assert_eq!(decode_string_descriptor(&raw).ok().as_deref(), Some("EA?N"));
        // bLength shorter than the transfer: the rest is ignored; odd trailing byte too.
        assert_eq!(decode_string_descriptor(&[5, 3, b'A', 0, b'B', 0]).ok().as_deref(), Some("A"));
        assert!(decode_string_descriptor(&[4, 2, 0, 0]).is_err());
        assert!(decode_string_descriptor(&[]).is_err());
    }

    #[test]
    fn matcher_is_anchored_and_case_insensitive() {
        let m = Matcher::new(&[("vendorid", "0463".into()), ("product", "eaton.*".into())]).expect("valid");
        let d = DeviceInfo {
            vendor_id: 0x0463,
            product_id: 0xffff,
            product: Some("Eaton 3S".into()),
            ..DeviceInfo::default()
        };
        assert!(m.matches(&d));
        let m2 = Matcher::new(&[("vendorid", "046".into())]).expect("valid");
        assert!(!m2.matches(&d));
        assert!(Matcher::new(&[("serial", "(".into())]).is_err());
        let m3 = Matcher::new(&[("busport", "1\\.4".into())]).expect("valid");
        assert!(!m3.matches(&d), "no busport known: no match");
        assert!(m3.matches(&DeviceInfo { busport: Some("1.4".into()), ..d.clone() }));
    }
}
