//! Entries shared by every subdriver: the standard Power Device paths under
//! `UPS.PowerSummary` that nearly all UPSes implement. Vendor tables come first, so a vendor
//! entry for the same variable wins (the first entry whose path exists is used).

use super::StatusBit::*;
use super::{absent, cmd, conv, num, rw, st, st0, CmdMap, Conv, VarMap, BEEPER, TEST_RESULT};

/// Common variables and status bits.
pub const VARS: &[VarMap] = &[
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    rw("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
    num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    rw("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f"),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId),
    num("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f"),
    num("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.1f"),
    conv("battery.mfr.date", "UPS.PowerSummary.ManufacturerDate", Conv::Date),
    num("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER)),
    absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
    absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "ondelay"),
    num("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f"),
    num("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", "%.0f"),
    num("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f"),
    conv("ups.test.result", "UPS.BatterySystem.Battery.Test", Conv::Lookup(TEST_RESULT)),
    num("input.voltage", "UPS.Input.Voltage", "%.1f"),
    num("input.frequency", "UPS.Input.Frequency", "%.1f"),
    rw("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f"),
    rw("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f"),
    num("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    num("output.voltage", "UPS.Output.Voltage", "%.1f"),
    num("output.frequency", "UPS.Output.Frequency", "%.1f"),
    num("output.current", "UPS.Output.Current", "%.2f"),
    num("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    num("ups.power.nominal", "UPS.Output.ConfigApparentPower", "%.0f"),
    st("UPS.PowerSummary.PresentStatus.ACPresent", Online),
    st("UPS.PowerSummary.PresentStatus.Discharging", Discharging),
    st("UPS.PowerSummary.PresentStatus.Charging", Charging),
    st("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LowBatt),
    st("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", TimeLimitExpired),
    st("UPS.PowerSummary.PresentStatus.ShutdownImminent", ShutdownImminent),
    st("UPS.PowerSummary.PresentStatus.NeedReplacement", ReplaceBatt),
    st("UPS.PowerSummary.PresentStatus.Overload", Overload),
    st("UPS.PowerSummary.PresentStatus.Boost", Boost),
    st("UPS.PowerSummary.PresentStatus.Buck", Trim),
    st("UPS.PowerSummary.PresentStatus.OverTemperature", Overheat),
    st("UPS.PowerSummary.PresentStatus.InternalFailure", InternalFailure),
    st("UPS.PowerSummary.PresentStatus.AwaitingPower", AwaitingPower),
    st("UPS.PowerSummary.PresentStatus.FullyCharged", FullyCharged),
    st0("UPS.PowerSummary.PresentStatus.BatteryPresent", NoBattery),
];

/// Common instant commands.
pub const CMDS: &[CmdMap] = &[
    cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
    cmd("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2"),
    cmd("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3"),
    cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
    cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", "ondelay"),
    cmd("load.off", "UPS.PowerSummary.DelayBeforeShutdown", "0"),
    cmd("load.on", "UPS.PowerSummary.DelayBeforeStartup", "0"),
    cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.PowerSummary.DelayBeforeReboot", "10"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];

// ---------------------------------------------------------------------------------------------
// NUT's shared lookup tables (usbhid-ups.c), for the subdriver tables ported whole from NUT.
// Boolean tables: each listed value sets (`true`) or clears (`false`) status bits, as NUT's
// process_boolean_info does with "name" / "!name". NUT also clears the opposite bit when it
// sets ONLINE/OFFLINE or FULLYCHARGED/NOTFULLYCHARGED; those pairs are spelled out here.
// ---------------------------------------------------------------------------------------------

use super::{ConvFn, StatusBit};

/// A NUT boolean lookup table: `(value, bits set or cleared)`.
pub type BoolInfo = &'static [(i64, &'static [(StatusBit, bool)])];

/// NUT's `online_info`: 1 = "online", 0 = "offline" (each clears the other).
pub const ONLINE_INFO: BoolInfo =
    &[(1, &[(Online, true), (Offline, false)]), (0, &[(Offline, true), (Online, false)])];
/// NUT's `discharging_info`.
pub const DISCHARGING_INFO: BoolInfo = &[(1, &[(Discharging, true)]), (0, &[(Discharging, false)])];
/// NUT's `charging_info`.
pub const CHARGING_INFO: BoolInfo = &[(1, &[(Charging, true)]), (0, &[(Charging, false)])];
/// NUT's `lowbatt_info`.
pub const LOWBATT_INFO: BoolInfo = &[(1, &[(LowBatt, true)]), (0, &[(LowBatt, false)])];
/// NUT's `overload_info`.
pub const OVERLOAD_INFO: BoolInfo = &[(1, &[(Overload, true)]), (0, &[(Overload, false)])];
/// NUT's `replacebatt_info`.
pub const REPLACEBATT_INFO: BoolInfo = &[(1, &[(ReplaceBatt, true)]), (0, &[(ReplaceBatt, false)])];
/// NUT's `trim_info`.
pub const TRIM_INFO: BoolInfo = &[(1, &[(Trim, true)]), (0, &[(Trim, false)])];
/// NUT's `boost_info`.
pub const BOOST_INFO: BoolInfo = &[(1, &[(Boost, true)]), (0, &[(Boost, false)])];
/// NUT's `off_info` (inverted: 0 = off).
pub const OFF_INFO: BoolInfo = &[(0, &[(Off, true)]), (1, &[(Off, false)])];
/// NUT's `calibration_info`.
pub const CALIBRATION_INFO: BoolInfo = &[(1, &[(Calibration, true)]), (0, &[(Calibration, false)])];
/// NUT's `nobattery_info` (inverted: BatteryPresent 0 = no battery).
pub const NOBATTERY_INFO: BoolInfo = &[(1, &[(NoBattery, false)]), (0, &[(NoBattery, true)])];
/// NUT's `fanfail_info`.
pub const FANFAIL_INFO: BoolInfo = &[(1, &[(FanFailure, true)]), (0, &[(FanFailure, false)])];
/// NUT's `shutdownimm_info`.
pub const SHUTDOWNIMM_INFO: BoolInfo = &[(1, &[(ShutdownImminent, true)]), (0, &[(ShutdownImminent, false)])];
/// NUT's `overheat_info`.
pub const OVERHEAT_INFO: BoolInfo = &[(1, &[(Overheat, true)]), (0, &[(Overheat, false)])];
/// NUT's `awaitingpower_info`.
pub const AWAITINGPOWER_INFO: BoolInfo = &[(1, &[(AwaitingPower, true)]), (0, &[(AwaitingPower, false)])];
/// NUT's `commfault_info`.
pub const COMMFAULT_INFO: BoolInfo = &[(1, &[(CommFault, true)]), (0, &[(CommFault, false)])];
/// NUT's `timelimitexpired_info`.
pub const TIMELIMITEXPIRED_INFO: BoolInfo =
    &[(1, &[(TimeLimitExpired, true)]), (0, &[(TimeLimitExpired, false)])];
/// NUT's `battvoltlo_info`.
pub const BATTVOLTLO_INFO: BoolInfo = &[(1, &[(BattVoltLow, true)]), (0, &[(BattVoltLow, false)])];
/// NUT's `battvolthi_info`.
pub const BATTVOLTHI_INFO: BoolInfo = &[(1, &[(BattVoltHigh, true)]), (0, &[(BattVoltHigh, false)])];
/// NUT's `chargerfail_info`.
pub const CHARGERFAIL_INFO: BoolInfo = &[(1, &[(ChargerFail, true)]), (0, &[(ChargerFail, false)])];
/// NUT's `fullycharged_info`: 1 = "fullycharged", 0 = "notfullycharged" (each clears the other).
pub const FULLYCHARGED_INFO: BoolInfo = &[
    (1, &[(FullyCharged, true), (NotFullyCharged, false)]),
    (0, &[(NotFullyCharged, true), (FullyCharged, false)]),
];
/// NUT's `depleted_info`.
pub const DEPLETED_INFO: BoolInfo = &[(1, &[(Depleted, true)]), (0, &[(Depleted, false)])];
/// NUT's `vrange_info`.
pub const VRANGE_INFO: BoolInfo = &[(0, &[(VoltageRange, false)]), (1, &[(VoltageRange, true)])];
/// NUT's `frange_info`.
pub const FRANGE_INFO: BoolInfo = &[(0, &[(FrequencyRange, false)]), (1, &[(FrequencyRange, true)])];

/// NUT's `test_read_info` (no entry for 0: the variable stays unset).
pub const TEST_READ_INFO: &[(i64, &str)] = &[
    (1, "Done and passed"),
    (2, "Done and warning"),
    (3, "Done and error"),
    (4, "Aborted"),
    (5, "In progress"),
    (6, "No test initiated"),
    (7, "Test scheduled"),
];

fn divide_by_10(v: f64) -> Option<String> {
    Some(format!("{:.1}", v * 0.1))
}

fn divide_by_100(v: f64) -> Option<String> {
    Some(format!("{:.1}", v * 0.01))
}

/// NUT's `divide_by_10_conversion` (`%0.1f` of a tenth; read only).
pub const DIVIDE_BY_10_CONVERSION: ConvFn =
    ConvFn { name: "divide_by_10_conversion", fun: divide_by_10, nuf: None };
/// NUT's `divide_by_100_conversion` (`%0.1f` of a hundredth; read only).
pub const DIVIDE_BY_100_CONVERSION: ConvFn =
    ConvFn { name: "divide_by_100_conversion", fun: divide_by_100, nuf: None };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nut_divisions() {
        assert_eq!((DIVIDE_BY_10_CONVERSION.fun)(1234.0).as_deref(), Some("123.4"));
        assert_eq!((DIVIDE_BY_100_CONVERSION.fun)(6000.0).as_deref(), Some("60.0"));
        assert_eq!((DIVIDE_BY_100_CONVERSION.fun)(4999.0).as_deref(), Some("50.0"));
    }
}
