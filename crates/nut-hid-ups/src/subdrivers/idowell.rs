//! iDowell / Goldenmate (075d:0300): NUT 2.8.5's `drivers/idowell-hid.c`
//! ("iDowell HID 0.20"), whole table (without the entries NUT builds only with
//! `WITH_UNMAPPED_DATA_POINTS` or `DEBUG`).

use super::flag::{QUICK_POLL, STATIC};
use super::nut_lookups::*;
use super::{absent, cmd, conv, num, stmap, CmdMap, Conv, Subdriver, VarMap};

/// `idowell_hid2nut`.
pub const VARS: &[VarMap] = &[
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.BatteryPresent", NOBATTERY_INFO),
    stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.CommunicationLost", COMMFAULT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.Good", OFF_INFO),
    stmap("UPS.PowerSummary.PresentStatus.InternalFailure", COMMFAULT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", REPLACEBATT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.Overload", OVERLOAD_INFO),
    stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO),
    conv("device.mfr", "UPS.PowerSummary.iManufacturer", Conv::StringId).with_flags(STATIC),
    conv("device.model", "UPS.PowerSummary.iProduct", Conv::StringId).with_flags(STATIC),
    conv("device.serial", "UPS.PowerSummary.iSerialNumber", Conv::StringId).with_flags(STATIC),
    num("battery.capacity.design", "UPS.PowerSummary.DesignCapacity", "%.0f").with_flags(STATIC),
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    num("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").with_flags(STATIC),
    num("battery.charge.low", "UPS.PowerSummary.WarningCapacityLimit", "%.0f").with_flags(STATIC),
    num("battery.capacity.full", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
    num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId).with_flags(STATIC),
    absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "ondelay").with_len(10),
    absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay").with_len(10),
    num("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f").with_flags(QUICK_POLL),
    num("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f").with_flags(QUICK_POLL),
    num("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    num("ups.power.nominal", "UPS.Flow.[4].ConfigApparentPower", "%.0f").with_flags(STATIC),
    num("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.0f").with_flags(STATIC),
    num("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f").with_flags(STATIC),
    num("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    num("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    num("output.voltage.nominal", "UPS.Flow.[4].ConfigVoltage", "%.0f").with_flags(STATIC),
    num("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.1f").with_flags(STATIC),
    num("output.frequency.nominal", "UPS.Flow.[4].ConfigFrequency", "%.0f").with_flags(STATIC),
];

/// The `HU_TYPE_CMD` entries of `idowell_hid2nut`.
pub const CMDS: &[CmdMap] = &[
    cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
    cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", "ondelay"),
    cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "iDowell HID 0.20",
    usages: &[],
    vars: VARS,
    cmds: CMDS,
    mfr: "iDowell",
    common: false,
    fix_report_desc: None,
    identity: None,
    state: None,
};
