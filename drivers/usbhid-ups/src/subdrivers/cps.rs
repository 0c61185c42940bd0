//! CyberPower (0764), NUT's `cps-hid`.

use super::{Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "CyberPower HID 0.8",
    usages: &[],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "CPS",
};
