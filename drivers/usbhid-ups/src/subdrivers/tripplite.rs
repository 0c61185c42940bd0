//! Tripp Lite (09ae), NUT's `tripplite-hid`.

use super::StatusBit::*;
use super::{st, Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[
    // Tripp Lite reports its converter state under UPS.PowerConverter.PresentStatus.
    st("UPS.PowerConverter.PresentStatus.Boost", Boost),
    st("UPS.PowerConverter.PresentStatus.Buck", Trim),
    st("UPS.PowerConverter.PresentStatus.Overload", Overload),
    st("UPS.PowerConverter.PresentStatus.OverTemperature", Overheat),
    st("UPS.PowerConverter.PresentStatus.InternalFailure", InternalFailure),
    st("UPS.PowerConverter.PresentStatus.AwaitingPower", AwaitingPower),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "TrippLite HID 0.85",
    usages: &[],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "Tripp Lite",
    common: true,
    fix_report_desc: None,
};
