//! Entries shared by every subdriver: the standard Power Device paths under
//! `UPS.PowerSummary` that nearly all UPSes implement. Vendor tables come first, so a vendor
//! entry for the same variable wins (the first entry whose path exists is used).

use super::nut_lookups::BEEPER_INFO;
use super::StatusBit::*;
use super::{absent, cmd, conv, num, rw, st, st0, CmdMap, Conv, VarMap};

/// Battery test results for the generic table: NUT's `test_read_info`, and 0 (which some
/// devices report before any test) as "No test initiated".
const TEST_RESULT: &[(i64, &str)] = &[
    (0, "No test initiated"),
    (1, "Done and passed"),
    (2, "Done and warning"),
    (3, "Done and error"),
    (4, "Aborted"),
    (5, "In progress"),
    (6, "No test initiated"),
    (7, "Test scheduled"),
];

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
    conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER_INFO)),
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
