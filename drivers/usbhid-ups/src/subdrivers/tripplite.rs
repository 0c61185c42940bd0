//! Tripp Lite (09ae), NUT's `tripplite-hid`.

use super::{Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "TrippLite HID 0.85",
    usages: &[],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "Tripp Lite",
};
