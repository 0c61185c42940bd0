//! Salicru (2e66), NUT's `salicru-hid`.

use super::StatusBit::*;
use super::{num, st, st0, Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[
    num("input.frequency.nominal", "UPS.Flow.[1].ConfigFrequency", "%.0f"),
    st0("UPS.BatterySystem.Battery.PresentStatus.Present", NoBattery),
    st("UPS.BatterySystem.Charger.PresentStatus.InternalFailure", InternalFailure),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Salicru HID 0.4",
    usages: &[],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "Salicru",
    common: true,
    fix_report_desc: None,
};
