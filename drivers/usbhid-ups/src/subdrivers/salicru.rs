//! Salicru (2e66), NUT's `salicru-hid`.

use super::{Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Salicru HID 0.4",
    usages: &[],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "Salicru",
};
