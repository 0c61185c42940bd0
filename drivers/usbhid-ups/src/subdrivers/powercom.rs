//! Powercom (0d9f): NUT's `powercom-hid`.

use nut_hid::usage::POWERCOM;

use super::StatusBit::*;
use super::{num, st, Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[
    num("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    num("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f"),
    num("output.frequency.nominal", "UPS.Output.ConfigFrequency", "%.0f"),
    st("UPS.PresentStatus.Boost", Boost),
    st("UPS.PresentStatus.Buck", Trim),
    st("UPS.PresentStatus.Overload", Overload),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "PowerCOM HID 0.7",
    usages: &[POWERCOM],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "PowerCOM",
    common: true,
    fix_report_desc: None,
};
