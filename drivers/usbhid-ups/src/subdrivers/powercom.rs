//! Powercom (0d9f): NUT's `powercom-hid`.

use nut_hid::usage::POWERCOM;

use super::{Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "PowerCOM HID 0.7",
    usages: &[POWERCOM],
    vars: VARS,
    cmds: &[],
    model_suffix: None,
    mfr: "PowerCOM",
};
