//! AMETEK Powervar UPM (4234:0002): NUT 2.8.5's `drivers/powervar-hid.c`
//! ("Powervar HID 0.21"), whole table. The claim makes the driver use interface 1
//! (`usb_hid_rep_index`), see usbhid-ups's `device_table`.

use nut_hid::UsageTable;

use super::flag::QUICK_POLL;
use super::nut_lookups::*;
use super::{conv, num, stmap, Conv, Subdriver, VarMap};

/// NUT's usage names for this vendor (`nut_hid::usage::POWERVAR`, from NUT's `*_usage_lkp`).
pub const USAGES: UsageTable = nut_hid::usage::POWERVAR;

/// `powervar_hid2nut`. Its two `BOOL` entries with `yes_no_info` (InternalFailure, Good) name
/// no status bit, so NUT ignores them and they are left out.
pub const VARS: &[VarMap] = &[
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId),
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    num("battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
    // Sic: "RuntimeToEmpty" (the standard name is RunTimeToEmpty), as NUT's table has it.
    num("battery.runtime", "UPS.PowerSummary.RuntimeToEmpty", "%.0f"),
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO),
    stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.Overload", OVERLOAD_INFO),
    stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", REPLACEBATT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", TIMELIMITEXPIRED_INFO),
    stmap("UPS.PowerSummary.PresentStatus.OverTemperature", OVERHEAT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.FullyCharged", FULLYCHARGED_INFO),
    stmap("UPS.PowerSummary.PresentStatus.FullyDischarged", DEPLETED_INFO),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Powervar HID 0.21",
    usages: &[USAGES],
    vars: VARS,
    cmds: &[],
    mfr: "Powervar",
    common: false,
    fix_report_desc: None,
    identity: None,
    state: None,
};
