//! Liebert/Vertiv and Phoenixtec-OEM (10af), NUT's `liebert-hid`.

use super::StatusBit::*;
use super::{num, st, st0, Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[
    // GXT4 and friends put the status bits directly under UPS.PowerSummary (no PresentStatus).
    st("UPS.PowerSummary.ACPresent", Online),
    st("UPS.PowerSummary.Charging", Charging),
    st("UPS.PowerSummary.Discharging", Discharging),
    st("UPS.PowerSummary.BelowRemainingCapacityLimit", LowBatt),
    st0("UPS.PowerSummary.BatteryPresent", NoBattery),
    // PSA5/PSI5 (Phoenixtec-built) layout.
    num("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.0f"),
    num("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f"),
    num("input.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f"),
    num("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.1f"),
    st("UPS.PowerConverter.PresentStatus.Boost", Boost),
    st("UPS.PowerConverter.PresentStatus.Buck", Trim),
    st("UPS.PowerConverter.PresentStatus.Overload", Overload),
    st("UPS.PowerConverter.PresentStatus.OverTemperature", Overheat),
    st("UPS.PowerConverter.PresentStatus.InternalFailure", InternalFailure),
    st("UPS.PowerConverter.PresentStatus.Used", Bypass),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Liebert HID 0.41",
    usages: &[],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "Liebert",
    common: true,
    fix_report_desc: None,
};
