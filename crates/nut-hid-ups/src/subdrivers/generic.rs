//! Any other HID Power Device: the common tables only.

use super::{Subdriver, VarMap};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Generic HID 0.3",
    usages: &[],
    vars: VARS,
    cmds: &[],
    mfr: "Generic",
    common: true,
    fix_report_desc: None,
    identity: None,
    state: None,
};
