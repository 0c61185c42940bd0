//! The USB ids of the drivers that speak a vendor protocol over USB (not HID, not Megatec/Q1):
//! NUT 2.8.5's `pw_usb_device_table[]` (drivers/bcmxcp_usb.c: Powerware/Eaton XCP) and
//! `riello_usb_id[]` (drivers/riello_usb.c: Riello GPSER over a Cypress bridge). Both
//! drivers match ids only.

/// One entry of such a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorUsbId {
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// The subdriver the entry selects where the driver has a `subdriver` option
    /// (riello_usb's `cypress`); `None` for bcmxcp_usb, whose per-entry handlers are not
    /// selectable.
    pub subdriver: Option<&'static str>,
    /// Line of the entry at NUT v2.8.5.
    pub line: u32,
    /// The devices NUT's comment names.
    pub model: &'static str,
}

/// One driver's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VendorTable {
    /// The driver program.
    pub driver: &'static str,
    /// NUT's source file, under `drivers/`.
    pub file: &'static str,
    /// The entries, in NUT's order.
    pub ids: &'static [VendorUsbId],
}

const fn v(
    vendor_id: u16,
    product_id: u16,
    subdriver: Option<&'static str>,
    line: u32,
    model: &'static str,
) -> VendorUsbId {
    VendorUsbId { vendor_id, product_id, subdriver, line, model }
}

/// NUT 2.8.5's `pw_usb_device_table[]`, drivers/bcmxcp_usb.c.
pub const BCMXCP_USB_IDS: &[VendorUsbId] = &[
    v(0x0592, 0x0002, None, 84, "Powerware various models"),
    v(0x06da, 0x0002, None, 87, "Phoenixtec various models"),
    v(0x03f0, 0x1f01, None, 90, "HP T500"),
    v(0x03f0, 0x1f02, None, 92, "HP T750"),
];

/// NUT 2.8.5's `riello_usb_id[]`, drivers/riello_usb.c.
pub const RIELLO_USB_IDS: &[VendorUsbId] =
    &[v(0x04b4, 0x5500, Some("cypress"), 286, "Riello various models")];

/// Both tables.
pub const VENDOR_TABLES: &[VendorTable] = &[
    VendorTable { driver: "bcmxcp_usb", file: "bcmxcp_usb.c", ids: BCMXCP_USB_IDS },
    VendorTable { driver: "riello_usb", file: "riello_usb.c", ids: RIELLO_USB_IDS },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_nuts() {
        let ids = |t: &[VendorUsbId]| t.iter().map(|e| (e.vendor_id, e.product_id)).collect::<Vec<_>>();
        assert_eq!(
            ids(BCMXCP_USB_IDS),
            [(0x0592, 0x0002), (0x06da, 0x0002), (0x03f0, 0x1f01), (0x03f0, 0x1f02)]
        );
        assert_eq!(ids(RIELLO_USB_IDS), [(0x04b4, 0x5500)]);
    }
}
