//! NUT 2.8.5's `delta_ups-hid` ("Delta UPS HID 0.6"): Delta's own units (USB vendor 05dd,
//! Amplon R series 05dd:041b). Delta-built units sold as Minuteman (05dd:a011, 05dd:a0a0) are
//! handled by NUT's `tripplite-hid`, not by this table.
//!
//! The table is NUT's `delta_ups_hid2nut`, in NUT's order; the vendor page 0xFFFF names come
//! from NUT's `delta_ups_usage_lkp` (`nut_hid::usage::DELTA`).

use nut_hid::usage::DELTA;

use super::nut_lookups::{
    AWAITINGPOWER_INFO, BOOST_INFO, CHARGING_INFO, COMMFAULT_INFO, DEPLETED_INFO, DISCHARGING_INFO,
    FULLYCHARGED_INFO, LOWBATT_INFO, NOBATTERY_INFO, OFF_INFO, ONLINE_INFO, OVERHEAT_INFO, OVERLOAD_INFO,
    REPLACEBATT_INFO, SHUTDOWNIMM_INFO, TEST_READ_INFO, TRIM_INFO, VRANGE_INFO,
};
use super::nut_lookups::{BEEPER_INFO, YES_NO_INFO};
use super::{cmd, conv, flag, fun, num, stmap, CmdMap, Conv, ConvFn, Identity, Names, Subdriver, VarMap};

/// `delta_ups_sensitivity_info`.
pub const SENSITIVITY: &[(i64, &str)] = &[(0, "normal"), (1, "reduced"), (2, "low")];

/// `delta_ups_output_source_info`.
pub const OUTPUT_SOURCE: &[(i64, &str)] = &[
    (0, "normal"),
    (1, "battery"),
    (2, "bypass/reserve"),
    (3, "reducing"),
    (4, "boosting"),
    (5, "manual bypass"),
    (6, "other"),
    (7, "no output"),
    (8, "on eco"),
];

/// NUT's `delta_ups_type_fun`: the low nibble of DeltaUPSType names the kind of UPS (codes 0-6;
/// 3 and 4 repeat "offline" and "line-interactive"); other codes publish nothing.
pub fn ups_type(value: f64) -> Option<String> {
    let name = match (value as i64) & 0xf {
        0 => "online",
        1 | 3 => "offline",
        2 | 4 => "line-interactive",
        5 => "3-phase",
        6 => "split-phase",
        _ => return None,
    };
    Some(name.to_string())
}

/// `delta_ups_type_info`.
pub const UPS_TYPE: ConvFn = ConvFn { name: "delta_ups_type_info", fun: ups_type, nuf: None, rows: &[] };

const QUICK: u8 = flag::QUICK_POLL;
const SEMI: u8 = flag::SEMI_STATIC;
const STATIC: u8 = flag::STATIC;
const RW: u8 = flag::RW;

/// Variables and status bits (NUT's `delta_ups_hid2nut`).
pub const VARS: &[VarMap] = &[
    conv("input.sensitivity", "UPS.DeltaCustom.[1].DeltaConfigSensitivity", Conv::Lookup(SENSITIVITY))
        .with_flags(RW),
    num("input.voltage.nominal", "UPS.PowerSummary.Input.ConfigVoltage", "%.1f").with_flags(SEMI),
    num("input.voltage", "UPS.PowerSummary.Input.Voltage", "%.1f").with_flags(QUICK),
    num("input.voltage", "UPS.PowerConverter.Input.Voltage", "%.1f").with_flags(QUICK),
    num("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.1f").with_flags(RW),
    num("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f").with_flags(RW),
    num("input.transfer.low.min", "UPS.PowerConverter.Output.DeltaConfigTransferLowMin", "%.1f")
        .with_flags(STATIC),
    num("input.transfer.low.max", "UPS.PowerConverter.Output.DeltaConfigTransferLowMax", "%.1f")
        .with_flags(STATIC),
    num("input.transfer.high.min", "UPS.PowerConverter.Output.DeltaConfigTransferHighMin", "%.1f")
        .with_flags(STATIC),
    num("input.transfer.high.max", "UPS.PowerConverter.Output.DeltaConfigTransferHighMax", "%.1f")
        .with_flags(STATIC),
    conv("input.source", "UPS.OutletSystem.Outlet.DeltaOutputSource", Conv::Lookup(OUTPUT_SOURCE)),
    num("input.frequency", "UPS.PowerConverter.Input.Frequency", "%.1f").with_flags(QUICK),
    num("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.1f").with_flags(STATIC),
    num("battery.voltage", "UPS.BatterySystem.Battery.Voltage", "%.1f").with_flags(QUICK),
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f").with_flags(QUICK),
    num("battery.charge", "UPS.BatterySystem.Battery.RemainingCapacity", "%.0f"),
    num("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f")
        .with_flags(RW | flag::STRING | SEMI)
        .with_len(5),
    num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f").with_flags(SEMI),
    conv("battery.temperature", "UPS.BatterySystem.Temperature", Conv::KelvinToCelsius).with_flags(QUICK),
    num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f").with_flags(QUICK),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId).with_flags(STATIC),
    num("battery.capacity", "UPS.PowerSummary.DesignCapacity", "%.0f").with_flags(SEMI),
    num("battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f").with_flags(SEMI),
    num("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.1f").with_flags(SEMI),
    num("output.frequency.nominal", "UPS.Flow.ConfigFrequency", "%.1f").with_flags(SEMI),
    num("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f").with_flags(QUICK),
    num("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f").with_flags(QUICK),
    num("output.current", "UPS.PowerConverter.Output.Current", "%.1f").with_flags(QUICK),
    conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER_INFO))
        .with_flags(QUICK),
    conv("ups.test.result", "UPS.BatterySystem.Test", Conv::Lookup(TEST_READ_INFO)),
    fun("ups.type", "UPS.DeltaCustom.[1].DeltaUPSType", UPS_TYPE).with_flags(STATIC),
    conv("ups.start.auto", "UPS.DeltaCustom.[1].DeltaConfigStartPowerRestore", Conv::Lookup(YES_NO_INFO))
        .with_flags(RW),
    num("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f").with_flags(STATIC),
    num("ups.realpower", "UPS.OutletSystem.Outlet.ActivePower", "%.1f").with_flags(QUICK),
    num("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.1f").with_flags(QUICK),
    num("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.1f").with_flags(QUICK),
    num("ups.delay.start", "UPS.OutletSystem.Outlet.DeltaConfigStartPowerRestoreDelay", "%.0f")
        .with_flags(RW),
    num("ups.timer.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "%.0f").with_flags(QUICK),
    num("ups.timer.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "%.0f").with_flags(QUICK),
    num("ups.timer.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "%.0f").with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Good", OFF_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.InternalFailure", COMMFAULT_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.FullyCharged", FULLYCHARGED_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.FullyDischarged", DEPLETED_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", REPLACEBATT_INFO).with_flags(QUICK),
    stmap("UPS.PowerConverter.PresentStatus.VoltageOutOfRange", VRANGE_INFO).with_flags(QUICK),
    stmap("UPS.PowerConverter.PresentStatus.Buck", TRIM_INFO).with_flags(QUICK),
    stmap("UPS.PowerConverter.PresentStatus.Boost", BOOST_INFO).with_flags(QUICK),
    stmap("UPS.PowerConverter.PresentStatus.Overload", OVERLOAD_INFO).with_flags(QUICK),
    stmap("UPS.PowerConverter.PresentStatus.Used", NOBATTERY_INFO).with_flags(QUICK),
    stmap("UPS.PowerConverter.PresentStatus.OverTemperature", OVERHEAT_INFO).with_flags(QUICK),
    stmap("UPS.PowerConverter.PresentStatus.InternalFailure", COMMFAULT_INFO).with_flags(QUICK),
    stmap("UPS.PowerConverter.PresentStatus.AwaitingPower", AWAITINGPOWER_INFO).with_flags(QUICK),
];

/// Instant commands (NUT's `HU_TYPE_CMD` entries).
pub const CMDS: &[CmdMap] = &[
    cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    // 10 seconds battery test.
    cmd("test.battery.start.quick", "UPS.BatterySystem.Test", "1"),
    // Test until battery low.
    cmd("test.battery.start.deep", "UPS.BatterySystem.Test", "2"),
    cmd("test.battery.stop", "UPS.BatterySystem.Test", "3"),
    cmd("load.on.delay", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "ondelay"),
    cmd("load.off.delay", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "offdelay"),
    cmd("shutdown.stop", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "10"),
];

/// NUT's `delta_ups_format_model`: `ups.model` is the string `UPS.DeltaCustom.[1].DeltaModelName`
/// points at, or the USB product string when that is empty (see [`identity`]).
pub const MODEL_PATH: &str = "UPS.DeltaCustom.[1].DeltaModelName";

/// The subdriver: manufacturer = USB manufacturer string or "Delta", serial = USB serial
/// string, as NUT's `delta_ups_format_*`. NUT's generic (no-op) `fix_report_desc`.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Delta UPS HID 0.6",
    usages: &[DELTA],
    vars: VARS,
    cmds: CMDS,
    mfr: "Delta",
    common: false,
    fix_report_desc: None,
    identity: Some(identity),
    state: None,
};

/// NUT's `delta_ups_format_mfr` (the USB manufacturer string, else "Delta"),
/// `delta_ups_format_model` (the string at [`MODEL_PATH`], else the USB product string) and
/// `delta_ups_format_serial` (the USB serial string).
pub fn identity(id: &mut Identity<'_>) -> Names {
    let model = id.device.string_at(MODEL_PATH).filter(|s| !s.is_empty());
    Names {
        mfr: Some(id.vendor.unwrap_or("Delta").to_string()),
        model: model.or_else(|| id.product.map(str::to_string)),
        serial: id.serial.map(str::to_string),
        ..Names::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ups_type_codes() {
        // The Amplon R series of nut-ddl's DELTA__UPS302R2000B0BA dumps reports "online".
        let t = |v: f64| ups_type(v);
        assert_eq!(t(0.0).as_deref(), Some("online"));
        assert_eq!(t(1.0).as_deref(), Some("offline"));
        assert_eq!(t(2.0).as_deref(), Some("line-interactive"));
        assert_eq!(t(3.0).as_deref(), Some("offline"));
        assert_eq!(t(4.0).as_deref(), Some("line-interactive"));
        assert_eq!(t(5.0).as_deref(), Some("3-phase"));
        assert_eq!(t(6.0).as_deref(), Some("split-phase"));
        assert_eq!(t(7.0), None);
        assert_eq!(t(15.0), None);
        // Only the low nibble counts.
        assert_eq!(t(f64::from(0x20)).as_deref(), Some("online"));
        assert_eq!(t(f64::from(0x14)).as_deref(), Some("line-interactive"));
    }
}
