//! NUT 2.8.5's `salicru-hid` ("Salicru HID 0.4"): Salicru units (USB vendor 2e66).
//!
//! The table is NUT's `salicru_hid2nut`, in NUT's order: first the paths of the SPS models,
//! then those of the Twin Pro 2 ("Salicru Twin Pro 2 Descriptors"). NUT names no vendor
//! usages for Salicru.

use super::nut_lookups::BEEPER_INFO;
use super::nut_lookups::{
    BOOST_INFO, CHARGING_INFO, COMMFAULT_INFO, DISCHARGING_INFO, FULLYCHARGED_INFO, LOWBATT_INFO,
    ONLINE_INFO, OVERHEAT_INFO, OVERLOAD_INFO, TEST_READ_INFO, TIMELIMITEXPIRED_INFO,
};
use super::{cmd, conv, flag, num, stmap, CmdMap, Conv, Subdriver, VarMap};

const QUICK: u8 = flag::QUICK_POLL;

/// Variables and status bits (NUT's `salicru_hid2nut`, without its debug-only entries).
pub const VARS: &[VarMap] = &[
    // Battery page.
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId),
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    num("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f")
        .with_flags(flag::RW | flag::STRING | flag::SEMI_STATIC)
        .with_len(10),
    num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    num("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f")
        .with_flags(flag::RW | flag::STRING | flag::SEMI_STATIC)
        .with_len(10),
    num("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
    num("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f"),
    // UPS page.
    num("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER_INFO)),
    conv("ups.test.result", "UPS.Output.Test", Conv::Lookup(TEST_READ_INFO)),
    num("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
    // Status bits.
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.FullyCharged", FULLYCHARGED_INFO),
    stmap("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", TIMELIMITEXPIRED_INFO),
    stmap("UPS.Output.CommunicationLost", COMMFAULT_INFO),
    stmap("UPS.Output.Boost", BOOST_INFO),
    stmap("UPS.Output.Overload", OVERLOAD_INFO),
    // Input page.
    num("input.frequency", "UPS.Input.Frequency", "%.1f"),
    num("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
    num("input.voltage", "UPS.Input.Voltage", "%.1f"),
    num("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.0f")
        .with_flags(flag::STATIC),
    num("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f")
        .with_flags(flag::STATIC),
    // Output page.
    num("output.frequency", "UPS.Output.Frequency", "%.1f"),
    num("output.voltage", "UPS.Output.Voltage", "%.1f"),
    num("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f"),
    // Twin Pro 2: sensors.
    num("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    conv("ups.test.result", "UPS.BatterySystem.Battery.Test", Conv::Lookup(TEST_READ_INFO)),
    num("ups.realpower.nominal", "UPS.Flow.[4].ConfigActivePower", "%.0f"),
    num("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.0f"),
    stmap("UPS.PowerSummary.PresentStatus.Overload", OVERLOAD_INFO),
    stmap("UPS.PowerSummary.PresentStatus.OverTemperature", OVERHEAT_INFO),
    num("input.frequency", "UPS.PowerConverter.Input.[1].Frequency", "%.1f"),
    num("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    num("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f"),
    num("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    num("output.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
    conv("ups.test.result", "UPS.BatterySystem.Battery.Test", Conv::Lookup(TEST_READ_INFO)),
];

/// Instant commands (Twin Pro 2; NUT leaves the SPS ones commented out as untested).
pub const CMDS: &[CmdMap] = &[
    cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
    cmd("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2"),
    cmd("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3"),
];

/// The subdriver: model = USB product string, manufacturer = USB manufacturer string or
/// "Salicru", serial = USB serial string, as NUT's `salicru_format_*`. NUT's generic (no-op)
/// `fix_report_desc`.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Salicru HID 0.4",
    usages: &[],
    vars: VARS,
    cmds: CMDS,
    mfr: "Salicru",
    common: false,
    fix_report_desc: None,
    identity: None,
    state: None,
};
