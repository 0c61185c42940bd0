//! APC (051d): NUT's `apc-hid` tables.

use nut_hid::usage::APC;

use super::StatusBit::*;
use super::{cmd, conv, num, rw, st, CmdMap, Conv, Subdriver, VarMap, BEEPER};

/// Variables.
pub const VARS: &[VarMap] = &[
    conv("battery.mfr.date", "UPS.Battery.ManufacturerDate", Conv::Date),
    conv("battery.date", "UPS.Battery.APCBattReplaceDate", Conv::ApcDate),
    conv("battery.mfr.date", "UPS.PowerSummary.APCBattReplaceDate", Conv::ApcDate),
    num("battery.voltage", "UPS.Battery.Voltage", "%.1f"),
    num("battery.voltage.nominal", "UPS.Battery.ConfigVoltage", "%.1f"),
    num("battery.runtime", "UPS.Battery.RunTimeToEmpty", "%.0f"),
    conv("ups.beeper.status", "UPS.AudibleAlarmControl", Conv::Lookup(BEEPER)),
    num("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    num("ups.load", "UPS.PowerConverter.PercentLoad", "%.0f"),
    num("ups.realpower.nominal", "UPS.PowerConverter.ConfigActivePower", "%.0f"),
    num("ups.timer.reboot", "UPS.PowerSummary.DelayBeforeReboot", "%.0f"),
    num("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f"),
    rw("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f"),
    rw("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f"),
    st("UPS.Input.PresentStatus.Boost", Boost),
    st("UPS.Input.PresentStatus.Buck", Trim),
    st("UPS.PowerSummary.PresentStatus.VoltageNotRegulated", Trim),
];

/// Commands.
pub const CMDS: &[CmdMap] = &[
    cmd("test.panel.start", "UPS.APCPanelTest", "1"),
    cmd("test.panel.stop", "UPS.APCPanelTest", "0"),
    cmd("beeper.enable", "UPS.AudibleAlarmControl", "2"),
    cmd("beeper.disable", "UPS.AudibleAlarmControl", "1"),
    cmd("beeper.mute", "UPS.AudibleAlarmControl", "3"),
    cmd("shutdown.return", "UPS.APCGeneralCollection.APCDelayBeforeShutdown", "offdelay"),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "APC HID 0.100",
    usages: &[APC],
    vars: VARS,
    cmds: CMDS,
    model_suffix: None,
    mfr: "American Power Conversion",
    common: true,
    fix_report_desc: None,
};
