//! Delta-built units (05dd), sold as Minuteman: NUT's `delta_ups-hid`.

use nut_hid::usage::DELTA;

use super::{num, Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[
    num("input.voltage", "UPS.PowerConverter.Input.Voltage", "%.1f"),
    num("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    num("battery.voltage", "UPS.BatterySystem.Battery.Voltage", "%.1f"),
    num("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.1f"),
    num("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f"),
    num("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f"),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Delta UPS HID 0.6",
    usages: &[DELTA],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "Delta",
    common: true,
    fix_report_desc: None,
};
