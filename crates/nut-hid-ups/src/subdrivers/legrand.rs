//! NUT 2.8.5's `legrand-hid` ("Legrand HID 0.2"): Legrand Keor units (USB vendor 1cb0:
//! Keor PDU 0038, Keor SP 0032). NUT also turns the interrupt pipe off for both (they do not
//! serve it usefully); that belongs to the device table.
//!
//! The table is NUT's `legrand_hid2nut`, in NUT's order. Some Keor firmwares report voltages
//! with a wrong unit exponent: NUT multiplies those readings back (`legrand_times*`) or
//! divides them (`divide_by_10_conversion`). NUT names no vendor usages for Legrand.

use super::nut_lookups::{
    CHARGING_INFO, DISCHARGING_INFO, DIVIDE_BY_10_CONVERSION, LOWBATT_INFO, ONLINE_INFO, OVERLOAD_INFO,
};
use super::{absent, cmd, flag, fun, num, stmap, CmdMap, ConvFn, Subdriver, VarMap};

fn times(value: f64, factor: f64) -> Option<String> {
    Some(format!("{:.1}", value * factor))
}

/// NUT's `legrand_times10`.
pub fn times10(value: f64) -> Option<String> {
    times(value, 10.0)
}

/// NUT's `legrand_times100k`.
pub fn times100k(value: f64) -> Option<String> {
    times(value, 100_000.0)
}

/// NUT's `legrand_times1M`.
pub fn times1m(value: f64) -> Option<String> {
    times(value, 1_000_000.0)
}

/// NUT's `legrand_times10M`.
pub fn times10m(value: f64) -> Option<String> {
    times(value, 10_000_000.0)
}

/// `legrand_times10_info`.
pub const TIMES10: ConvFn = ConvFn { name: "legrand_times10_info", fun: times10, nuf: None, rows: &[] };
/// `legrand_times100k_info`.
pub const TIMES100K: ConvFn = ConvFn { name: "legrand_times100k_info", fun: times100k, nuf: None, rows: &[] };
/// `legrand_times1M_info`.
pub const TIMES1M: ConvFn = ConvFn { name: "legrand_times1M_info", fun: times1m, nuf: None, rows: &[] };
/// `legrand_times10M_info`.
pub const TIMES10M: ConvFn = ConvFn { name: "legrand_times10M_info", fun: times10m, nuf: None, rows: &[] };

const STATIC: u8 = flag::STATIC;
const QUICK: u8 = flag::QUICK_POLL;

/// Variables and status bits (NUT's `legrand_hid2nut`).
pub const VARS: &[VarMap] = &[
    // Input data.
    num("input.voltage", "UPS.Input.Voltage", "%.0f"),
    fun("input.voltage", "UPS.PowerConverter.Input.Voltage", TIMES1M),
    num("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f").with_flags(STATIC),
    fun("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", TIMES10).with_flags(STATIC),
    num("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f").with_flags(STATIC),
    num("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f").with_flags(STATIC),
    num("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f").with_flags(STATIC),
    num("input.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f").with_flags(STATIC),
    // Battery data.
    fun("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", DIVIDE_BY_10_CONVERSION)
        .with_flags(STATIC),
    num("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.0f").with_flags(STATIC),
    fun("battery.voltage", "UPS.PowerSummary.Voltage", DIVIDE_BY_10_CONVERSION),
    fun("battery.voltage", "UPS.BatterySystem.Battery.Voltage", TIMES100K),
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    // NUT's table spells the usage "RuntimeToEmpty", which names nothing: no device matches
    // it, so NUT publishes no battery.runtime for Legrand. Kept as NUT has it.
    num("battery.runtime", "UPS.PowerSummary.RuntimeToEmpty", "%.0f"),
    num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f").with_flags(STATIC),
    num("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f").with_flags(STATIC),
    // Output data.
    num("output.voltage", "UPS.Output.Voltage", "%.0f"),
    fun("output.voltage", "UPS.PowerConverter.Output.Voltage", TIMES10M),
    num("output.frequency", "UPS.Output.Frequency", "%.0f"),
    num("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    num("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.0f"),
    num("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f").with_flags(STATIC),
    num("ups.realpower.nominal", "UPS.Flow.ConfigApparentPower", "%.0f").with_flags(STATIC),
    // UPS status.
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK),
    stmap("UPS.Output.Overload", OVERLOAD_INFO).with_flags(QUICK),
    // Delays (NUT's DEFAULT_OFFDELAY / DEFAULT_ONDELAY, kept by the driver).
    absent("ups.delay.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "offdelay").with_len(10),
    absent("ups.delay.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "ondelay").with_len(10),
    absent("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", "offdelay").with_len(10),
    absent("ups.delay.start", "UPS.Output.DelayBeforeStartup", "ondelay").with_len(10),
];

/// Instant commands (NUT's `HU_TYPE_CMD` entries).
pub const CMDS: &[CmdMap] = &[
    cmd("load.off.delay", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "offdelay"),
    cmd("load.on.delay", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "ondelay"),
    cmd("load.off.delay", "UPS.Output.DelayBeforeShutdown", "offdelay"),
    cmd("load.on.delay", "UPS.Output.DelayBeforeStartup", "ondelay"),
    // Battery testing.
    cmd("test.battery.start.quick", "UPS.BatterySystem.Battery.Test", "1"),
    cmd("test.battery.start.deep", "UPS.BatterySystem.Battery.Test", "2"),
    cmd("test.battery.stop", "UPS.BatterySystem.Battery.Test", "3"),
    cmd("test.battery.start.quick", "UPS.Output.Test", "1"),
    cmd("test.battery.start.deep", "UPS.Output.Test", "2"),
    cmd("test.battery.stop", "UPS.Output.Test", "3"),
    // Buzzer.
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];

/// The subdriver: model = USB product string, manufacturer = USB manufacturer string or
/// "Legrand", serial = USB serial string, as NUT's `legrand_format_*`. NUT's generic (no-op)
/// `fix_report_desc`.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Legrand HID 0.2",
    usages: &[],
    vars: VARS,
    cmds: CMDS,
    mfr: "Legrand",
    common: false,
    fix_report_desc: None,
    identity: None,
    state: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    // NUT's functions print one decimal of the corrected reading.
    #[test]
    fn factors() {
        assert_eq!(times10(27.0).as_deref(), Some("270.0"));
        assert_eq!(times100k(0.000136).as_deref(), Some("13.6"));
        assert_eq!(times1m(0.000236).as_deref(), Some("236.0"));
        assert_eq!(times10m(0.0000235).as_deref(), Some("235.0"));
        assert_eq!((DIVIDE_BY_10_CONVERSION.fun)(140.0).as_deref(), Some("14.0"));
    }
}
