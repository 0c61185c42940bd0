//! Real devices over libusb (rusb, vendored): NUT's matching options, kernel driver detach,
//! claim, HID class requests and the interrupt-in pipe. Errors say how to fix them.
//!
//! NUT's `usb_*` options ([`crate::UsbOpts`]) replace what is otherwise read from the device's
//! descriptors: the configuration descriptor (`usb_config_index`), the interface claimed and
//! addressed by the HID requests (`usb_hid_rep_index`), the report descriptor index
//! (`usb_hid_desc_index`), the interrupt-in endpoint (`usb_hid_ep_in`), and an explicit
//! set-alternate-setting after the claim (`usb_set_altinterface`). `LIBUSB_DEBUG` in the
//! environment (the driver framework exports ups.conf's) sets libusb's own log level.

use std::sync::Arc;
use std::time::Duration;

use nut_hid::ReportType;
use regex::{Regex, RegexBuilder};
use rusb::{Context, Device, DeviceHandle, UsbContext};

use super::{DeviceInfo, Transport, TransportError};
use crate::UsbOpts;

const TIMEOUT: Duration = Duration::from_millis(5000);

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
    pub fn matches(&self, d: &DeviceInfo, busport: Option<&str>) -> bool {
        self.fields.iter().all(|(k, re)| {
            let v = match *k {
                "vendorid" => format!("{:04x}", d.vendor_id),
                "productid" => format!("{:04x}", d.product_id),
                "vendor" => d.vendor.clone().unwrap_or_default(),
                "product" => d.product.clone().unwrap_or_default(),
                "serial" => d.serial.clone().unwrap_or_default(),
                "bus" => d.bus.clone(),
                "device" => d.device.clone(),
                "busport" => busport.unwrap_or("").to_string(),
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

/// An open HID device.
pub struct Usb {
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

/// `wValue` of the GET_DESCRIPTOR request for the report descriptor: type 0x22, index
/// `usb_hid_desc_index` (NUT's `(LIBUSB_DT_REPORT << 8) + hid_desc_index`).
pub fn report_descriptor_value(desc_index: u8) -> u16 {
    0x2200 | u16::from(desc_index)
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
/// configuration lists (its first IN endpoint, the length its HID descriptor gives), unless
/// `usb_hid_rep_index` / `usb_hid_ep_in` say otherwise. Pure, for tests.
pub fn layout(ifaces: &[IfaceDesc], opts: &UsbOpts) -> Layout {
    let chosen = match opts.interface {
        Some(n) => ifaces.iter().find(|i| i.number == n),
        None => ifaces.iter().rev().find(|i| i.class == 3),
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
    pub error: TransportError,
}

/// Take the first candidate that can be claimed. NUT's rule: without `allow_duplicates`, a
/// matching device held by another program is an error (the match is assumed unique); with
/// it, a busy device is skipped and the next match is tried.
pub fn first_claimable<C, T>(
    candidates: impl IntoIterator<Item = C>,
    allow_duplicates: bool,
    mut claim: impl FnMut(C) -> Result<T, ClaimError>,
) -> Result<Option<T>, TransportError> {
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

fn map_err(e: rusb::Error) -> TransportError {
    match e {
        rusb::Error::NoDevice | rusb::Error::NotFound => TransportError::Gone,
        rusb::Error::Timeout => TransportError::Timeout,
        rusb::Error::Pipe => TransportError::NotSupported,
        other => TransportError::Io(other.to_string()),
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

impl Usb {
    /// Open the first supported device that matches.
    pub fn open(matcher: Matcher, accept: Accept, allow_duplicates: bool) -> Result<Usb, TransportError> {
        let ctx = Context::new().map_err(|e| TransportError::Open(format!("libusb init failed: {e}")))?;
        let list = ctx.devices().map_err(|e| TransportError::Open(format!("can't list USB devices: {e}")))?;
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
            if !matcher.matches(&info, busport(&dev).as_deref()) {
                continue;
            }
            let Some(opts) = (accept.device)(&info) else { continue };
            candidates.push((handle, dev, info, opts));
        }
        let taken = first_claimable(candidates, allow_duplicates, |(handle, dev, info, opts)| {
            Usb::claim(handle, dev, info, matcher.clone(), accept.clone(), allow_duplicates, opts)
        })?;
        taken.ok_or_else(|| {
            TransportError::Open(denied.unwrap_or_else(|| {
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
    ) -> Result<Usb, ClaimError> {
        let plain = |error| ClaimError { busy: false, error };
        let cfg = match opts.config_index {
            Some(i) => dev.config_descriptor(i).map_err(|e| {
                plain(TransportError::Open(format!(
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
            return Err(ClaimError { busy: e == rusb::Error::Busy, error: TransportError::Open(msg) });
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
        Ok(Usb {
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

impl Transport for Usb {
    fn info(&self) -> DeviceInfo {
        self.info.clone()
    }

    fn descriptor(&mut self) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; usize::from(self.desc_len)];
        let n = self
            .handle
            .read_control(
                0x81,
                0x06,
                report_descriptor_value(self.desc_index),
                u16::from(self.iface),
                &mut buf,
                TIMEOUT,
            )
            .map_err(map_err)?;
        buf.truncate(n);
        Ok(buf)
    }

    fn get_report(&mut self, rt: ReportType, id: u8, len: usize) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; len.max(1)];
        let value = (u16::from(rt.usb_code()) << 8) | u16::from(id);
        let n = self
            .handle
            .read_control(0xA1, 0x01, value, u16::from(self.iface), &mut buf, TIMEOUT)
            .map_err(map_err)?;
        buf.truncate(n);
        Ok(buf)
    }

    fn set_report(&mut self, rt: ReportType, id: u8, data: &[u8]) -> Result<(), TransportError> {
        let value = (u16::from(rt.usb_code()) << 8) | u16::from(id);
        self.handle
            .write_control(0x21, 0x09, value, u16::from(self.iface), data, TIMEOUT)
            .map_err(map_err)?;
        Ok(())
    }

    fn interrupt(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, TransportError> {
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

    fn string(&mut self, index: u8) -> Result<String, TransportError> {
        self.handle.read_string_descriptor_ascii(index).map_err(map_err)
    }

    fn set_interrupt_size(&mut self, size: Option<usize>) {
        self.interrupt_size = size;
    }

    fn reconnect(&mut self) -> Result<(), TransportError> {
        // Reopen by the same identity: serial if the device has one, else bus and device path
        // (the address changes on replug, so only vendor/product/serial are pinned then).
        let mut opts: Vec<(&'static str, String)> = vec![
            ("vendorid", format!("{:04x}", self.info.vendor_id)),
            ("productid", format!("{:04x}", self.info.product_id)),
        ];
        if let Some(s) = &self.info.serial {
            opts.push(("serial", regex::escape(s)));
        } else {
            opts.push(("bus", self.info.bus.clone()));
        }
        let m = Matcher::new(&opts).map_err(TransportError::Open)?;
        let fresh = Usb::open(m, self.accept.clone(), self.allow_duplicates)?;
        let matcher = std::mem::take(&mut self.matcher);
        *self = fresh;
        self.matcher = matcher;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(n: u32) -> ClaimError {
        ClaimError { busy: true, error: TransportError::Open(format!("device {n} busy")) }
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
            Err(ClaimError { busy: false, error: TransportError::Open("denied".into()) })
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
        // usb_hid_desc_index asks for another report descriptor.
        assert_eq!(report_descriptor_value(0), 0x2200);
        assert_eq!(report_descriptor_value(1), 0x2201);
        // An interface the configuration does not describe is still used as asked.
        let o = UsbOpts { interface: Some(5), ..UsbOpts::default() };
        assert_eq!(layout(&ifaces, &o), Layout { iface: 5, ep_in: None, desc_len: 4096 });
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
        assert!(m.matches(&d, None));
        let m2 = Matcher::new(&[("vendorid", "046".into())]).expect("valid");
        assert!(!m2.matches(&d, None));
        assert!(Matcher::new(&[("serial", "(".into())]).is_err());
    }
}
