//! Belkin (050d), NUT's `belkin-hid` (no recorded descriptor exists; standard paths only).

use super::{Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Belkin/Liebert HID 0.20",
    usages: &[],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "Belkin",
    common: true,
    fix_report_desc: None,
};
