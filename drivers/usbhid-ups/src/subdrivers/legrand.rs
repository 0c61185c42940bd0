//! Legrand (1cb0), NUT's `legrand-hid`.

use super::{Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Legrand HID 0.3",
    usages: &[],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "Legrand",
    common: true,
    fix_report_desc: None,
};
