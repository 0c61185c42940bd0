//! The USB id tables of every driver, as data (no I/O): usbhid-ups's NUT 2.8.5 tables
//! ([`hid`]), the Megatec/Q1 USB-to-serial tables of nutdrv_qx and blazer_usb ([`qx`]) and
//! the vendor-protocol tables of bcmxcp_usb and riello_usb ([`vendor`]).
//! Drivers use their own table to decide what to open; nut-scanner uses all of them
//! ([`all`], [`scan_driver`]) to list every supported USB UPS, so it needs no driver crate.

pub mod hid;
pub mod qx;
pub mod vendor;

/// One table entry, whatever the driver: which driver and subdriver take the device, and
/// where NUT lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The driver program (`usbhid-ups`, `nutdrv_qx`, `blazer_usb`).
    pub driver: &'static str,
    /// The subdriver NUT picks for it: the HID subdriver's name (`MGE HID`) or the USB
    /// subdriver of the Q1 drivers (`cypress`); `None` when the entry picks none.
    pub subdriver: Option<&'static str>,
    /// NUT's source file, under `drivers/`.
    pub file: &'static str,
    /// Line of the entry in that file at NUT v2.8.5.
    pub line: u32,
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// Manufacturer string the entry also requires, if any.
    pub vendor: Option<&'static str>,
    /// Product string the entry also requires, if any.
    pub product: Option<&'static str>,
}

/// Every entry of every table: usbhid-ups's (in NUT's subdriver order), then nutdrv_qx's,
/// then blazer_usb's, then bcmxcp_usb's and riello_usb's.
pub fn all() -> impl Iterator<Item = Entry> {
    let hid = hid::HID_TABLES.iter().flat_map(|t| {
        t.ids.iter().map(move |e| Entry {
            driver: "usbhid-ups",
            subdriver: Some(t.subdriver),
            file: t.file,
            line: e.line,
            vendor_id: e.vendor_id,
            product_id: e.product_id,
            vendor: None,
            product: None,
        })
    });
    let q = |driver: &'static str, file: &'static str, table: &'static [qx::QxUsbId]| {
        table.iter().map(move |e| Entry {
            driver,
            subdriver: e.subdriver,
            file,
            line: e.line,
            vendor_id: e.vendor_id,
            product_id: e.product_id,
            vendor: e.vendor,
            product: e.product,
        })
    };
    let vendor = vendor::VENDOR_TABLES.iter().flat_map(|t| {
        t.ids.iter().map(move |e| Entry {
            driver: t.driver,
            subdriver: e.subdriver,
            file: t.file,
            line: e.line,
            vendor_id: e.vendor_id,
            product_id: e.product_id,
            vendor: None,
            product: None,
        })
    });
    hid.chain(q("nutdrv_qx", "nutdrv_qx.c", qx::NUTDRV_QX_IDS))
        .chain(q("blazer_usb", "blazer_usb.c", qx::BLAZER_USB_IDS))
        .chain(vendor)
}

/// What nut-scanner suggests for a vendor:product pair: the preferred driver and the other
/// drivers that list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanDriver {
    /// The driver to write in `driver =`.
    pub driver: &'static str,
    /// The others (`# alternately: ...`), in table order.
    pub alternates: Vec<&'static str>,
}

/// NUT's nut-usbinfo.pl preference when several drivers list the same ids: usbhid-ups first,
/// then nutdrv_qx, then the blazer drivers, then any other (bcmxcp_usb's 06da:0002 is also
/// nutdrv_qx's and blazer_usb's: nutdrv_qx wins).
fn rank(driver: &str) -> u8 {
    match driver {
        "usbhid-ups" => 0,
        "nutdrv_qx" => 1,
        d if d.starts_with("blazer_") => 2,
        _ => 3,
    }
}

/// The driver nut-scanner names for a device with these ids (vendor and product strings are
/// not looked at, as in NUT's generated table), or `None` if no driver lists them. The
/// alternates come in nut-usbinfo.pl's order: it reads NUT's driver sources sorted by file
/// name.
pub fn scan_driver(vendor_id: u16, product_id: u16) -> Option<ScanDriver> {
    let mut drivers: Vec<&'static str> = Vec::new();
    let mut hits: Vec<Entry> =
        all().filter(|e| e.vendor_id == vendor_id && e.product_id == product_id).collect();
    hits.sort_by_key(|e| (e.file, e.line));
    for e in hits {
        if !drivers.contains(&e.driver) {
            drivers.push(e.driver);
        }
    }
    let best = drivers.iter().copied().min_by_key(|d| rank(d))?;
    drivers.retain(|d| *d != best);
    Some(ScanDriver { driver: best, alternates: drivers })
}

/// The nutdrv_qx USB subdriver for a device (strings decide between entries with the same
/// ids, as in nutdrv_qx); `None` when the device is not in its table or its entry names none.
pub fn qx_subdriver(
    vendor_id: u16,
    product_id: u16,
    vendor: Option<&str>,
    product: Option<&str>,
) -> Option<&'static str> {
    match qx::lookup(qx::NUTDRV_QX_IDS, vendor_id, product_id, vendor, product) {
        qx::Support::Supported(e) => e.subdriver,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_nut_2_8_5() {
        let count = |d: &str| all().filter(|e| e.driver == d).count();
        assert_eq!(count("usbhid-ups"), 111);
        assert_eq!(count("nutdrv_qx"), 21);
        assert_eq!(count("blazer_usb"), 12);
        assert_eq!(count("bcmxcp_usb"), 4);
        assert_eq!(count("riello_usb"), 1);
    }

    #[test]
    fn scanner_prefers_as_nut_usbinfo() {
        let d = scan_driver(0x0665, 0x5161).expect("listed");
        assert_eq!((d.driver, d.alternates), ("nutdrv_qx", vec!["blazer_usb"]));
        let d = scan_driver(0x0463, 0xffff).expect("listed");
        assert_eq!((d.driver, d.alternates.len()), ("usbhid-ups", 0));
        let d = scan_driver(0x1cb0, 0x0035).expect("listed");
        assert_eq!((d.driver, d.alternates.len()), ("nutdrv_qx", 0), "Legrand Daker: nutdrv_qx only");
        assert_eq!(scan_driver(0x1234, 0x5678), None);
        assert_eq!(scan_driver(0x06da, 0xffff).map(|d| d.driver), Some("usbhid-ups"));
        // NUT 2.8.5's nut-usbinfo.pl: bcmxcp_usb.c, blazer_usb.c, nutdrv_qx.c list 06da:0002
        // (read in that order); nutdrv_qx is preferred, the others are alternates.
        let d = scan_driver(0x06da, 0x0002).expect("listed");
        assert_eq!((d.driver, d.alternates), ("nutdrv_qx", vec!["bcmxcp_usb", "blazer_usb"]));
        for (v, p) in [(0x0592, 0x0002), (0x03f0, 0x1f01), (0x03f0, 0x1f02)] {
            let d = scan_driver(v, p).expect("listed");
            assert_eq!((d.driver, d.alternates.len()), ("bcmxcp_usb", 0), "{v:04x}:{p:04x}");
        }
        let d = scan_driver(0x04b4, 0x5500).expect("listed");
        assert_eq!((d.driver, d.alternates.len()), ("riello_usb", 0));
    }

    #[test]
    fn entries_name_their_file_and_line() {
        let e = all().find(|e| e.driver == "nutdrv_qx" && e.vendor_id == 0x0925).expect("armac");
        assert_eq!((e.file, e.line, e.subdriver), ("nutdrv_qx.c", 2577, Some("armac")));
        let e = all().find(|e| e.vendor_id == 0x051d && e.product_id == 0x0002).expect("apc");
        assert_eq!((e.file, e.line, e.subdriver), ("apc-hid.c", 94, Some("APC HID")));
        assert_eq!(qx_subdriver(0x06da, 0x0601, None, None), Some("phoenix"));
        let e = all().find(|e| e.driver == "riello_usb").expect("riello");
        assert_eq!((e.file, e.line, e.subdriver), ("riello_usb.c", 286, Some("cypress")));
        let e = all().find(|e| e.driver == "bcmxcp_usb" && e.vendor_id == 0x03f0).expect("hp");
        assert_eq!((e.file, e.line, e.product_id), ("bcmxcp_usb.c", 90, 0x1f01));
        assert_eq!(qx_subdriver(0x1a86, 0x7523, None, None), None);
    }
}
