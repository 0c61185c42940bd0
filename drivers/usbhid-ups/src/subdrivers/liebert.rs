//! Liebert/Vertiv and Phoenixtec-OEM (10af), NUT's `liebert-hid`.

use super::{Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Liebert HID 0.41",
    usages: &[],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "Liebert",
};
