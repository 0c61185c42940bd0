//! usbhid-ups's tables: the `usb_device_id_t` table of each NUT 2.8.5 `drivers/*-hid.c`,
//! every entry with its line at v2.8.5 and its handler (the function NUT's entry calls).
//! How a subdriver claims a device (which also looks at strings and options) is usbhid-ups's
//! business; this is only the data.

/// A table entry's handler (NUT's `usb_device_id_t.fun`): what the entry changes besides
/// naming the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handler {
    /// apc-hid `general_apc_check`: `maxreport` for Back-UPS ES 525 / Back-UPS CS products.
    GeneralApcCheck,
    /// apc-hid / legrand-hid `disable_interrupt_pipe`: poll only (as `pollonly`).
    DisableInterruptPipe,
    /// cps-hid `cps_battery_scale`: the battery voltage and frequency may need rescaling.
    CpsBatteryScale,
    /// tripplite-hid `battery_scale_0dot1`: battery voltage × 0.1.
    BatteryScale0dot1,
    /// tripplite-hid `battery_scale_1dot0`: battery voltage × 1.
    BatteryScale1dot0,
    /// tripplite-hid `smart1500lcdt_scale`: the scales of the newer Smart1500LCDT firmware.
    Smart1500lcdtScale,
    /// openups-hid `get_voltage_multiplier`: the voltage/current factors of d004 and d005.
    OpenupsVoltageMultiplier,
}

/// One entry of a NUT `usb_device_id_t` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsbId {
    /// USB vendor id.
    pub vendor_id: u16,
    /// USB product id.
    pub product_id: u16,
    /// Line of the entry in the subdriver's `drivers/*-hid.c` at NUT v2.8.5.
    pub line: u32,
    /// The entry's handler.
    pub handler: Option<Handler>,
}

const fn id(vendor_id: u16, product_id: u16, line: u32, handler: Option<Handler>) -> UsbId {
    UsbId { vendor_id, product_id, line, handler }
}

/// One NUT HID subdriver's id table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HidTable {
    /// NUT's source file (`mge-hid.c`).
    pub file: &'static str,
    /// The subdriver's name without its version (`MGE HID`): a value `subdriver =` accepts.
    pub subdriver: &'static str,
    /// Its `usb_device_id_t` entries.
    pub ids: &'static [UsbId],
}

/// The `usb_device_id_t` table of `drivers/apc-hid.c` (v2.8.5 line numbers).
pub const APC_IDS: &[UsbId] = &[
    id(0x051d, 0x0000, 92, None),
    id(0x051d, 0x0002, 94, Some(Handler::GeneralApcCheck)),
    id(0x051d, 0x0003, 96, Some(Handler::DisableInterruptPipe)),
    id(0x051d, 0x0004, 100, Some(Handler::DisableInterruptPipe)),
    id(0x051d, 0x0005, 106, None),
];

/// The `usb_device_id_t` table of `drivers/arduino-hid.c` (v2.8.5 line numbers).
pub const ARDUINO_IDS: &[UsbId] = &[
    id(0x2341, 0x0036, 49, None),
    id(0x2341, 0x8036, 50, None),
    id(0x2a03, 0x0036, 51, None),
    id(0x2a03, 0x8036, 52, None),
    id(0x2a03, 0x0040, 53, None),
    id(0x2a03, 0x8040, 54, None),
];

/// The `usb_device_id_t` table of `drivers/belkin-hid.c` (v2.8.5 line numbers).
pub const BELKIN_IDS: &[UsbId] = &[
    id(0x050d, 0x0980, 51, None),
    id(0x050d, 0x0900, 53, None),
    id(0x050d, 0x0910, 55, None),
    id(0x050d, 0x0912, 57, None),
    id(0x050d, 0x0551, 59, None),
    id(0x050d, 0x0750, 61, None),
    id(0x050d, 0x0751, 63, None),
    id(0x050d, 0x0375, 65, None),
    id(0x050d, 0x0f51, 67, None),
    id(0x050d, 0x1100, 69, None),
    id(0x10af, 0x0000, 72, None),
    id(0x10af, 0x0001, 74, None),
    id(0x10af, 0x0002, 76, None),
    id(0x10af, 0x0004, 78, None),
    id(0x10af, 0x0008, 80, None),
];

/// The `usb_device_id_t` table of `drivers/cps-hid.c` (v2.8.5 line numbers).
pub const CPS_IDS: &[UsbId] = &[
    id(0x0764, 0x0005, 86, None),
    id(0x0764, 0x0501, 88, Some(Handler::CpsBatteryScale)),
    id(0x0764, 0x0601, 90, None),
    id(0x0483, 0xa430, 93, None),
];

/// The `usb_device_id_t` table of `drivers/delta_ups-hid.c` (v2.8.5 line numbers).
pub const DELTA_UPS_IDS: &[UsbId] = &[id(0x05dd, 0x041b, 42, None)];

/// The `usb_device_id_t` table of `drivers/ecoflow-hid.c` (v2.8.5 line numbers).
pub const ECOFLOW_IDS: &[UsbId] = &[id(0x3746, 0xffff, 40, None)];

/// The `usb_device_id_t` table of `drivers/ever-hid.c` (v2.8.5 line numbers).
pub const EVER_IDS: &[UsbId] =
    &[id(0x0483, 0xa113, 52, None), id(0x2e51, 0xffff, 53, None), id(0x2e51, 0x0000, 54, None)];

/// The `usb_device_id_t` table of `drivers/idowell-hid.c` (v2.8.5 line numbers).
pub const IDOWELL_IDS: &[UsbId] = &[id(0x075d, 0x0300, 43, None)];

/// The `usb_device_id_t` table of `drivers/legrand-hid.c` (v2.8.5 line numbers).
pub const LEGRAND_IDS: &[UsbId] = &[
    id(0x1cb0, 0x0038, 53, Some(Handler::DisableInterruptPipe)),
    id(0x1cb0, 0x0032, 54, Some(Handler::DisableInterruptPipe)),
];

/// The `usb_device_id_t` table of `drivers/liebert-hid.c` (v2.8.5 line numbers).
pub const LIEBERT_IDS: &[UsbId] = &[id(0x06da, 0xffff, 45, None)];

/// The `usb_device_id_t` table of `drivers/mge-hid.c` (v2.8.5 line numbers).
pub const MGE_IDS: &[UsbId] = &[
    id(0x0463, 0x0001, 90, None),
    id(0x0463, 0xffff, 91, None),
    id(0x047c, 0xffff, 94, None),
    id(0x0592, 0x0004, 97, None),
    id(0x03f0, 0x1fe5, 100, None),
    id(0x03f0, 0x1fe6, 102, None),
    id(0x03f0, 0x1fe7, 104, None),
    id(0x03f0, 0x1fe8, 105, None),
    id(0x2b2d, 0xffff, 108, None),
    id(0x06da, 0xffff, 109, None),
    id(0x04b3, 0x0001, 112, None),
    id(0x09d6, 0x0001, 116, None),
];

/// The `usb_device_id_t` table of `drivers/openups-hid.c` (v2.8.5 line numbers).
pub const OPENUPS_IDS: &[UsbId] = &[
    id(0x04d8, 0xd004, 78, Some(Handler::OpenupsVoltageMultiplier)),
    id(0x04d8, 0xd005, 79, Some(Handler::OpenupsVoltageMultiplier)),
];

/// The `usb_device_id_t` table of `drivers/powercom-hid.c` (v2.8.5 line numbers).
pub const POWERCOM_IDS: &[UsbId] = &[
    id(0x0d9f, 0x00a2, 40, None),
    id(0x0d9f, 0x00a3, 42, None),
    id(0x0d9f, 0x00a4, 44, None),
    id(0x0d9f, 0x00a5, 46, None),
    id(0x0d9f, 0x00a6, 48, None),
    id(0x0d9f, 0x0004, 50, None),
    id(0x0d9f, 0x0001, 51, None),
];

/// The `usb_device_id_t` table of `drivers/powervar-hid.c` (v2.8.5 line numbers).
pub const POWERVAR_IDS: &[UsbId] = &[id(0x4234, 0x0002, 44, None)];

/// The `usb_device_id_t` table of `drivers/salicru-hid.c` (v2.8.5 line numbers).
pub const SALICRU_IDS: &[UsbId] = &[
    id(0x2e66, 0x0101, 46, None),
    id(0x2e66, 0x0201, 50, None),
    id(0x2e66, 0x0202, 51, None),
    id(0x2e66, 0x0203, 52, None),
    id(0x2e66, 0x0300, 56, None),
    id(0x2e66, 0x0302, 60, None),
];

/// The `usb_device_id_t` table of `drivers/tripplite-hid.c` (v2.8.5 line numbers).
pub const TRIPPLITE_IDS: &[UsbId] = &[
    id(0x09ae, 0x1003, 83, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x1007, 85, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x1008, 87, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x1009, 88, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x1010, 89, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x1330, 91, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x2005, 93, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x2007, 95, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x2008, 97, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x2009, 99, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x2010, 101, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x2011, 102, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x2012, 103, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x2013, 104, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x2014, 105, Some(Handler::BatteryScale0dot1)),
    id(0x09ae, 0x3008, 106, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x3009, 107, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x3010, 108, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x3011, 109, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x3012, 111, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x3013, 113, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x3014, 115, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x3015, 117, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x3016, 119, Some(Handler::Smart1500lcdtScale)),
    id(0x09ae, 0x3024, 121, Some(Handler::Smart1500lcdtScale)),
    id(0x09ae, 0x4001, 123, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x4002, 125, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x4003, 127, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x4004, 129, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x4005, 131, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x4006, 132, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x4007, 133, Some(Handler::BatteryScale1dot0)),
    id(0x09ae, 0x4008, 134, Some(Handler::BatteryScale1dot0)),
    id(0x03f0, 0x0001, 137, Some(Handler::BatteryScale1dot0)),
    id(0x03f0, 0x1fe0, 139, Some(Handler::BatteryScale1dot0)),
    id(0x03f0, 0x1fe1, 141, Some(Handler::BatteryScale1dot0)),
    id(0x03f0, 0x1fe2, 143, Some(Handler::BatteryScale1dot0)),
    id(0x03f0, 0x1fe3, 145, Some(Handler::BatteryScale1dot0)),
    id(0x03f0, 0x1f06, 147, Some(Handler::BatteryScale1dot0)),
    id(0x03f0, 0x1f08, 149, Some(Handler::BatteryScale1dot0)),
    id(0x03f0, 0x1f09, 151, Some(Handler::BatteryScale1dot0)),
    id(0x03f0, 0x1f0a, 153, Some(Handler::BatteryScale1dot0)),
    id(0x05dd, 0xa011, 156, Some(Handler::BatteryScale1dot0)),
    id(0x05dd, 0xa0a0, 158, Some(Handler::BatteryScale1dot0)),
];

const fn table(file: &'static str, subdriver: &'static str, ids: &'static [UsbId]) -> HidTable {
    HidTable { file, subdriver, ids }
}

/// The tables in the order of NUT 2.8.5's `subdriver_list` (usbhid-ups.c), explore-hid.c
/// (which has no table) left out.
pub const HID_TABLES: &[HidTable] = &[
    table("mge-hid.c", "MGE HID", MGE_IDS),
    table("apc-hid.c", "APC HID", APC_IDS),
    table("arduino-hid.c", "Arduino HID", ARDUINO_IDS),
    table("belkin-hid.c", "Belkin/Liebert HID", BELKIN_IDS),
    table("cps-hid.c", "CyberPower HID", CPS_IDS),
    table("delta_ups-hid.c", "Delta UPS HID", DELTA_UPS_IDS),
    table("ecoflow-hid.c", "EcoFlow HID", ECOFLOW_IDS),
    table("ever-hid.c", "Ever HID", EVER_IDS),
    table("idowell-hid.c", "iDowell HID", IDOWELL_IDS),
    table("legrand-hid.c", "Legrand HID", LEGRAND_IDS),
    table("liebert-hid.c", "Phoenixtec/Liebert HID", LIEBERT_IDS),
    table("openups-hid.c", "openUPS HID", OPENUPS_IDS),
    table("powercom-hid.c", "PowerCOM HID", POWERCOM_IDS),
    table("powervar-hid.c", "Powervar HID", POWERVAR_IDS),
    table("salicru-hid.c", "Salicru HID", SALICRU_IDS),
    table("tripplite-hid.c", "TrippLite HID", TRIPPLITE_IDS),
];

/// The vendor:product pair is in one of the tables.
pub fn listed(vendor_id: u16, product_id: u16) -> bool {
    HID_TABLES.iter().any(|t| t.ids.iter().any(|e| e.vendor_id == vendor_id && e.product_id == product_id))
}
