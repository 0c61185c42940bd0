//! Which USB devices this driver supports, and with which subdriver. nut-scanner uses the same
//! table so that what it lists is what the driver will accept.

use crate::subdrivers::{self, Subdriver};

/// One supported device: vendor id, product id (`None` = any) and its subdriver.
#[derive(Debug, Clone, Copy)]
pub struct DeviceEntry {
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id, or any.
    pub product_id: Option<u16>,
    /// The subdriver that handles it.
    pub subdriver: &'static Subdriver,
}

const fn e(vendor_id: u16, product_id: Option<u16>, subdriver: &'static Subdriver) -> DeviceEntry {
    DeviceEntry { vendor_id, product_id, subdriver }
}

/// The table, most specific first.
pub const DEVICES: &[DeviceEntry] = &[
    // MGE / Eaton, Powerware HID, Phoenixtec (PowerWalker, Eaton OEM).
    e(0x0463, Some(0x0001), &subdrivers::mge::SUBDRIVER),
    e(0x0463, Some(0xffff), &subdrivers::mge::SUBDRIVER),
    e(0x0592, Some(0x0004), &subdrivers::mge::SUBDRIVER),
    e(0x06da, Some(0xffff), &subdrivers::mge::SUBDRIVER),
    // APC.
    e(0x051d, Some(0x0002), &subdrivers::apc::SUBDRIVER),
    e(0x051d, Some(0x0003), &subdrivers::apc::SUBDRIVER),
    e(0x051d, Some(0x0004), &subdrivers::apc::SUBDRIVER),
    // CyberPower.
    e(0x0764, Some(0x0005), &subdrivers::cps::SUBDRIVER),
    e(0x0764, Some(0x0501), &subdrivers::cps::SUBDRIVER),
    e(0x0764, Some(0x0601), &subdrivers::cps::SUBDRIVER),
    // Tripp Lite HID models.
    e(0x09ae, None, &subdrivers::tripplite::SUBDRIVER),
    // Liebert / Vertiv, and Phoenixtec units sold under Liebert's ids.
    e(0x10af, Some(0x0000), &subdrivers::liebert::SUBDRIVER),
    e(0x10af, Some(0x0001), &subdrivers::liebert::SUBDRIVER),
    e(0x10af, Some(0x0002), &subdrivers::liebert::SUBDRIVER),
    e(0x10af, Some(0x0004), &subdrivers::liebert::SUBDRIVER),
    e(0x06da, None, &subdrivers::liebert::SUBDRIVER),
    // Powercom.
    e(0x0d9f, Some(0x0001), &subdrivers::powercom::SUBDRIVER),
    e(0x0d9f, Some(0x0004), &subdrivers::powercom::SUBDRIVER),
    e(0x0d9f, Some(0x00a2), &subdrivers::powercom::SUBDRIVER),
    e(0x0d9f, Some(0x00a3), &subdrivers::powercom::SUBDRIVER),
    e(0x0d9f, Some(0x00a4), &subdrivers::powercom::SUBDRIVER),
    e(0x0d9f, Some(0x00a5), &subdrivers::powercom::SUBDRIVER),
    e(0x0d9f, Some(0x00a6), &subdrivers::powercom::SUBDRIVER),
    // Belkin.
    e(0x050d, Some(0x0375), &subdrivers::belkin::SUBDRIVER),
    e(0x050d, Some(0x0551), &subdrivers::belkin::SUBDRIVER),
    e(0x050d, Some(0x0750), &subdrivers::belkin::SUBDRIVER),
    e(0x050d, Some(0x0751), &subdrivers::belkin::SUBDRIVER),
    e(0x050d, Some(0x0900), &subdrivers::belkin::SUBDRIVER),
    e(0x050d, Some(0x0910), &subdrivers::belkin::SUBDRIVER),
    e(0x050d, Some(0x0912), &subdrivers::belkin::SUBDRIVER),
    e(0x050d, Some(0x0980), &subdrivers::belkin::SUBDRIVER),
    e(0x050d, Some(0x1100), &subdrivers::belkin::SUBDRIVER),
    // Salicru.
    e(0x2e66, Some(0x0101), &subdrivers::salicru::SUBDRIVER),
    e(0x2e66, Some(0x0201), &subdrivers::salicru::SUBDRIVER),
    e(0x2e66, Some(0x0202), &subdrivers::salicru::SUBDRIVER),
    e(0x2e66, Some(0x0203), &subdrivers::salicru::SUBDRIVER),
    e(0x2e66, Some(0x0300), &subdrivers::salicru::SUBDRIVER),
    // Legrand.
    e(0x1cb0, Some(0x0032), &subdrivers::legrand::SUBDRIVER),
    e(0x1cb0, Some(0x0038), &subdrivers::legrand::SUBDRIVER),
    // Delta / Minuteman.
    e(0x05dd, Some(0xa011), &subdrivers::delta::SUBDRIVER),
    e(0x05dd, Some(0xa0a0), &subdrivers::delta::SUBDRIVER),
    e(0x05dd, Some(0x041b), &subdrivers::delta::SUBDRIVER),
    // Generic HID Power Devices that NUT knows by id: Ever, OpenUPS, Arduino, the
    // "Smart-Battery" pack, "UPS HI", MEC and friends.
    e(0x2e51, None, &subdrivers::generic::SUBDRIVER),
    e(0x04d8, Some(0xd004), &subdrivers::generic::SUBDRIVER),
    e(0x04d8, Some(0xd005), &subdrivers::generic::SUBDRIVER),
    e(0x2341, Some(0x8036), &subdrivers::generic::SUBDRIVER),
    e(0x2a03, Some(0x0040), &subdrivers::generic::SUBDRIVER),
    e(0x075d, Some(0x0300), &subdrivers::generic::SUBDRIVER),
    e(0x09d6, Some(0x0001), &subdrivers::generic::SUBDRIVER),
    e(0x0001, Some(0x0000), &subdrivers::generic::SUBDRIVER),
    e(0x5131, Some(0x2007), &subdrivers::generic::SUBDRIVER),
];

/// The subdriver for a device, if it is in the table.
pub fn lookup(vendor_id: u16, product_id: u16) -> Option<&'static DeviceEntry> {
    DEVICES.iter().find(|d| d.vendor_id == vendor_id && d.product_id.is_none_or(|p| p == product_id))
}

/// The subdriver to use: the table's, or the generic one for an unlisted device that still
/// presents a Power Device (the caller checks the descriptor).
pub fn subdriver_for(vendor_id: u16, product_id: u16) -> &'static Subdriver {
    lookup(vendor_id, product_id).map_or(&subdrivers::generic::SUBDRIVER, |d| d.subdriver)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        assert_eq!(subdriver_for(0x0463, 0xffff).name, "MGE HID 1.46");
        assert_eq!(subdriver_for(0x051d, 0x0002).name, "APC HID 0.101");
        assert_eq!(subdriver_for(0x09ae, 0x3016).name, "TrippLite HID 0.85");
        assert!(lookup(0x0665, 0x5161).is_none());
    }
}
