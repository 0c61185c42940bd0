//! Arduino boards running the HIDPowerDevice library (2341 / 2a03): NUT 2.8.5's
//! `drivers/arduino-hid.c` ("Arduino HID 0.22"), whole table.

use super::flag::{QUICK_POLL, SEMI_STATIC, STATIC};
use super::nut_lookups::*;
use super::{absent, cmd, conv, num, stmap, CmdMap, Conv, Subdriver, VarMap};

/// `arduino_hid2nut`.
pub const VARS: &[VarMap] = &[
    absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "ondelay").with_len(10),
    absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay").with_len(10),
    num("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f").with_flags(QUICK_POLL),
    num("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f").with_flags(QUICK_POLL),
    num("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f").with_flags(QUICK_POLL),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId).with_flags(STATIC),
    num("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.2f").with_flags(QUICK_POLL),
    num("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f").with_flags(QUICK_POLL),
    num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f").with_flags(QUICK_POLL),
    num("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f").with_flags(SEMI_STATIC),
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    num("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").with_flags(SEMI_STATIC),
    num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f").with_flags(SEMI_STATIC),
    num("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    num("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    num("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", REPLACEBATT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO),
    stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.Overload", OVERLOAD_INFO),
    stmap("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", TIMELIMITEXPIRED_INFO),
    stmap("UPS.PowerSummary.PresentStatus.BatteryPresent", NOBATTERY_INFO),
    stmap("UPS.PowerSummary.PresentStatus.FullyCharged", FULLYCHARGED_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.FullyDischarged", DEPLETED_INFO).with_flags(QUICK_POLL),
];

/// The `HU_TYPE_CMD` entries of `arduino_hid2nut`.
pub const CMDS: &[CmdMap] = &[
    cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
    cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", "ondelay"),
    cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10"),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Arduino HID 0.22",
    usages: &[],
    vars: VARS,
    cmds: CMDS,
    mfr: "Arduino",
    common: false,
    fix_report_desc: None,
    identity: None,
    state: None,
};
