//! The USB ids of the Megatec/Q1 drivers over USB-to-serial bridges: NUT 2.8.5's
//! `qx_usb_id[]` (drivers/nutdrv_qx.c) and blazer_usb's `blazer_usb_id[]`
//! (drivers/blazer_usb.c), each entry with the USB subdriver (the bridge framing, the value
//! of the drivers' `subdriver` option) that NUT picks for it.
//!
//! nutdrv_qx matches entries in order: the vendor and product ids, then the manufacturer and
//! product strings when the entry gives them (case-insensitive, whole string); the first
//! entry that matches wins. A known vendor with another product is "possibly supported",
//! which nutdrv_qx does not take without `subdriver`. blazer_usb matches ids only.

/// One entry of a Q1 driver's USB table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QxUsbId {
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// Manufacturer string the entry requires (case-insensitive), if any.
    pub vendor: Option<&'static str>,
    /// Product string the entry requires (case-insensitive), if any.
    pub product: Option<&'static str>,
    /// The USB subdriver NUT selects (`cypress`, `krauler`...); `None`: the entry selects none
    /// and `subdriver` must be given (QinHeng CH340 bridges).
    pub subdriver: Option<&'static str>,
    /// Line of the entry at NUT v2.8.5.
    pub line: u32,
    /// The device NUT's comment names.
    pub model: &'static str,
}

const fn q(
    vendor_id: u16,
    product_id: u16,
    vendor: Option<&'static str>,
    product: Option<&'static str>,
    subdriver: Option<&'static str>,
    line: u32,
    model: &'static str,
) -> QxUsbId {
    QxUsbId { vendor_id, product_id, vendor, product, subdriver, line, model }
}

/// NUT 2.8.5's `qx_usb_id[]`, drivers/nutdrv_qx.c, in its order.
pub const NUTDRV_QX_IDS: &[QxUsbId] = &[
    q(0x05b8, 0x0000, None, None, Some("cypress"), 2557, "Agiler UPS"),
    q(0xffff, 0x0000, None, None, Some("ablerex"), 2558, "Ablerex 625L USB"),
    q(0x1cb0, 0x0035, None, None, Some("krauler"), 2559, "Legrand Daker DK / DK Plus"),
    q(0x0665, 0x5161, None, None, Some("cypress"), 2560, "Belkin F6C1200-UNV/Voltronic Power UPSes"),
    q(
        0x06da,
        0x0002,
        Some("Phoenixtec Power"),
        Some("USB Cable (V2.00)"),
        Some("phoenixtec"),
        2561,
        "Masterguard A Series",
    ),
    q(0x06da, 0x0002, None, None, Some("cypress"), 2562, "Online Yunto YQ450"),
    q(0x06da, 0x0003, None, None, Some("ippon"), 2563, "Mustek Powermust"),
    q(0x06da, 0x0004, None, None, Some("cypress"), 2564, "Phoenixtec Innova 3/1 T"),
    q(0x06da, 0x0005, None, None, Some("cypress"), 2565, "Phoenixtec Innova RT"),
    q(0x06da, 0x0201, None, None, Some("cypress"), 2566, "Phoenixtec Innova T"),
    q(0x06da, 0x0601, None, None, Some("phoenix"), 2567, "Online Zinto A"),
    q(0x0f03, 0x0001, None, None, Some("cypress"), 2568, "Unitek Alpha 1200Sx"),
    q(0x14f0, 0x00c9, None, None, Some("phoenix"), 2569, "GE EP series"),
    q(0x1a86, 0x7523, None, None, None, 2570, "Ippon Innova TAE series (QinHeng CH340)"),
    q(0x0483, 0x0035, None, None, Some("sgs"), 2571, "TS Shara UPSes"),
    q(0x0001, 0x0000, Some("MEC"), Some("MEC0003"), Some("fabula"), 2572, "Fideltronik/MEC LUPUS 500 USB"),
    q(0x0001, 0x0000, None, Some("MEC0003"), Some("hunnox"), 2573, "Hunnox HNX 850"),
    q(0x0001, 0x0000, Some("ATCL FOR UPS"), Some("ATCL FOR UPS"), Some("fuji"), 2574, "Fuji UPSes"),
    q(0x0001, 0x0000, None, None, Some("krauler"), 2575, "Krauler UP-M500VA"),
    q(0x0001, 0x0000, None, Some("MEC0003"), Some("snr"), 2576, "SNR-UPS-LID-XXXX UPSes"),
    q(0x0925, 0x1234, None, None, Some("armac"), 2577, "Armac UPS"),
];

/// NUT 2.8.5's `blazer_usb_id[]`, drivers/blazer_usb.c, in its order.
pub const BLAZER_USB_IDS: &[QxUsbId] = &[
    q(0x05b8, 0x0000, None, None, Some("cypress"), 426, "Agiler UPS"),
    q(0x0001, 0x0000, None, None, Some("krauler"), 427, "Krauler UP-M500VA"),
    q(0xffff, 0x0000, None, None, Some("krauler"), 428, "Ablerex 625L USB"),
    q(0x0665, 0x5161, None, None, Some("cypress"), 429, "Belkin F6C1200-UNV"),
    q(0x06da, 0x0002, None, None, Some("cypress"), 430, "Online Yunto YQ450"),
    q(0x06da, 0x0003, None, None, Some("ippon"), 431, "Mustek Powermust"),
    q(0x06da, 0x0004, None, None, Some("cypress"), 432, "Phoenixtec Innova 3/1 T"),
    q(0x06da, 0x0005, None, None, Some("cypress"), 433, "Phoenixtec Innova RT"),
    q(0x06da, 0x0201, None, None, Some("cypress"), 434, "Phoenixtec Innova T"),
    q(0x06da, 0x0601, None, None, Some("phoenix"), 435, "Online Zinto A"),
    q(0x0f03, 0x0001, None, None, Some("cypress"), 436, "Unitek Alpha 1200Sx"),
    q(0x14f0, 0x00c9, None, None, Some("phoenix"), 437, "GE EP series"),
];

/// The values nutdrv_qx's `subdriver` option accepts (NUT 2.8.5's `usbsubdriver[]`).
pub const NUTDRV_QX_SUBDRIVERS: &[&str] = &[
    "cypress",
    "phoenixtec",
    "phoenix",
    "ippon",
    "krauler",
    "fabula",
    "hunnox",
    "fuji",
    "sgs",
    "snr",
    "ablerex",
    "armac",
    "gtec",
];

/// The values blazer_usb's `subdriver` option accepts.
pub const BLAZER_USB_SUBDRIVERS: &[&str] = &["cypress", "phoenix", "ippon", "krauler"];

/// NUT's three answers to "is this device supported?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// An entry matches: the device and the USB subdriver it gets.
    Supported(&'static QxUsbId),
    /// The vendor is known, not this device.
    Possibly,
    /// Unknown vendor.
    No,
}

fn same(want: Option<&str>, got: Option<&str>) -> bool {
    match want {
        None => true,
        Some(w) => got.is_some_and(|g| g.eq_ignore_ascii_case(w)),
    }
}

/// The entry of `table` that takes a device with these ids and strings, as nutdrv_qx (and
/// blazer_usb, whose entries give no strings) decide.
pub fn lookup(
    table: &'static [QxUsbId],
    vendor_id: u16,
    product_id: u16,
    vendor: Option<&str>,
    product: Option<&str>,
) -> Support {
    let mut out = Support::No;
    for e in table.iter().filter(|e| e.vendor_id == vendor_id) {
        out = Support::Possibly;
        if e.product_id == product_id && same(e.vendor, vendor) && same(e.product, product) {
            return Support::Supported(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(vid: u16, pid: u16, v: Option<&str>, p: Option<&str>) -> Option<Option<&'static str>> {
        match lookup(NUTDRV_QX_IDS, vid, pid, v, p) {
            Support::Supported(e) => Some(e.subdriver),
            _ => None,
        }
    }

    #[test]
    fn strings_choose_among_same_ids_in_nut_order() {
        // 0001:0000: fabula needs both strings, hunnox the product only, fuji both, krauler none.
        assert_eq!(sub(0x0001, 0x0000, Some("mec"), Some("mec0003")), Some(Some("fabula")));
        assert_eq!(sub(0x0001, 0x0000, Some("Other"), Some("MEC0003")), Some(Some("hunnox")));
        assert_eq!(sub(0x0001, 0x0000, None, Some("MEC0003")), Some(Some("hunnox")));
        assert_eq!(sub(0x0001, 0x0000, Some("ATCL FOR UPS"), Some("ATCL FOR UPS")), Some(Some("fuji")));
        assert_eq!(sub(0x0001, 0x0000, None, None), Some(Some("krauler")));
        // "snr" comes after krauler's catch-all: NUT never reaches it by the table.
        assert_eq!(sub(0x0001, 0x0000, Some("x"), Some("MEC0003")), Some(Some("hunnox")));
        // Masterguard's cable strings, else cypress.
        assert_eq!(
            sub(0x06da, 0x0002, Some("PHOENIXTEC POWER"), Some("usb cable (v2.00)")),
            Some(Some("phoenixtec"))
        );
        assert_eq!(sub(0x06da, 0x0002, Some("Phoenixtec Power"), Some("USB Cable")), Some(Some("cypress")));
        assert_eq!(sub(0x1a86, 0x7523, None, None), Some(None), "CH340: no USB subdriver");
    }

    #[test]
    fn known_vendor_other_product_is_possibly() {
        assert_eq!(lookup(NUTDRV_QX_IDS, 0x06da, 0xffff, None, None), Support::Possibly);
        assert_eq!(lookup(NUTDRV_QX_IDS, 0x0463, 0xffff, None, None), Support::No);
        assert!(
            matches!(lookup(BLAZER_USB_IDS, 0xffff, 0x0000, None, None), Support::Supported(e) if e.subdriver == Some("krauler"))
        );
    }

    #[test]
    fn every_subdriver_named_is_one_the_driver_accepts() {
        for e in NUTDRV_QX_IDS {
            assert!(e.subdriver.is_none_or(|s| NUTDRV_QX_SUBDRIVERS.contains(&s)), "{e:?}");
        }
        for e in BLAZER_USB_IDS {
            assert!(e.subdriver.is_some_and(|s| BLAZER_USB_SUBDRIVERS.contains(&s)), "{e:?}");
        }
        assert_eq!((NUTDRV_QX_IDS.len(), BLAZER_USB_IDS.len()), (21, 12));
    }
}
