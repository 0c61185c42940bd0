//! The `explore` subdriver (NUT 2.8.5's `drivers/explore-hid.c`, "EXPLORE HID 0.2"): claims
//! any device when the `explore` flag is set (it comes first in NUT's list) and maps nothing,
//! so the driver only publishes the device's identity while the HID tree is logged at debug
//! level 1 for someone adding support for the device.

use super::Subdriver;

/// The subdriver: an empty table.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "EXPLORE HID 0.2",
    usages: &[],
    vars: &[],
    cmds: &[],
    mfr: "",
    common: false,
    fix_report_desc: None,
    identity: None,
    state: None,
};
