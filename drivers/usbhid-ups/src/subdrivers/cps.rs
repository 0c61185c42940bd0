//! CyberPower (0764), NUT's `cps-hid`.

use super::StatusBit::*;
use super::{absent, cmd, conv, num, st, CmdMap, Conv, Subdriver, VarMap, TEST_RESULT};

/// Variables beyond the common ones.
pub const VARS: &[VarMap] = &[
    // CyberPower keeps load, delays and the test under UPS.Output (NUT's cps-hid).
    num("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    absent("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", "offdelay"),
    absent("ups.delay.start", "UPS.Output.DelayBeforeStartup", "ondelay"),
    num("ups.timer.shutdown", "UPS.Output.DelayBeforeShutdown", "%.0f"),
    num("ups.timer.start", "UPS.Output.DelayBeforeStartup", "%.0f"),
    conv("ups.test.result", "UPS.Output.Test", Conv::Lookup(TEST_RESULT)),
    st("UPS.Output.Overload", Overload),
    st("UPS.Output.Boost", Boost),
];
/// Commands beyond the common ones.
pub const CMDS: &[CmdMap] = &[
    cmd("test.battery.start.quick", "UPS.Output.Test", "1"),
    cmd("test.battery.start.deep", "UPS.Output.Test", "2"),
    cmd("test.battery.stop", "UPS.Output.Test", "3"),
    cmd("load.off.delay", "UPS.Output.DelayBeforeShutdown", "offdelay"),
    cmd("load.on.delay", "UPS.Output.DelayBeforeStartup", "ondelay"),
    cmd("shutdown.stop", "UPS.Output.DelayBeforeShutdown", "-1"),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "CyberPower HID 0.8",
    usages: &[],
    vars: VARS,
    cmds: CMDS,
    model_suffix: None,
    mfr: "CPS",
    common: true,
    fix_report_desc: None,
};
