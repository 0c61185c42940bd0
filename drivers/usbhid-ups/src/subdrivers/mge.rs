//! MGE / Eaton (0463) and Phoenixtec-built PowerWalker (06da): NUT's `mge-hid` tables.

use nut_hid::usage::MGE;

use super::StatusBit::*;
use super::{absent, cmd, conv, num, rw, st, CmdMap, Conv, Subdriver, VarMap, BEEPER, ON_OFF, YES_NO};

/// Variables (the paths Eaton 3S/5E/Ellipse/Protection Station and 5PX/9PX models implement).
pub const VARS: &[VarMap] = &[
    rw("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimitSetting", "%.0f"),
    num("battery.voltage.nominal", "UPS.BatterySystem.ConfigVoltage", "%.1f"),
    num("battery.voltage", "UPS.BatterySystem.Battery.Voltage", "%.1f"),
    conv("ups.firmware", "UPS.PowerSummary.iVersion", Conv::StringId),
    conv("ups.beeper.status", "UPS.BatterySystem.Battery.AudibleAlarmControl", Conv::Lookup(BEEPER)),
    num("ups.power.nominal", "UPS.Flow.[4].ConfigApparentPower", "%.0f"),
    num("ups.realpower.nominal", "UPS.Flow.[4].ConfigActivePower", "%.0f"),
    num("ups.power", "UPS.PowerConverter.Output.ApparentPower", "%.0f"),
    num("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.0f"),
    num("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    num("input.frequency", "UPS.PowerConverter.Input.[1].Frequency", "%.1f"),
    num("input.bypass.voltage", "UPS.PowerConverter.Input.[2].Voltage", "%.1f"),
    num("input.bypass.frequency", "UPS.PowerConverter.Input.[2].Frequency", "%.1f"),
    rw("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.0f"),
    rw("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.0f"),
    rw("input.transfer.bypass.low", "UPS.PowerConverter.Output.LowVoltageBypassTransfer", "%.0f"),
    rw("input.transfer.bypass.high", "UPS.PowerConverter.Output.HighVoltageBypassTransfer", "%.0f"),
    num("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    num("output.current", "UPS.PowerConverter.Output.Current", "%.2f"),
    num("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.1f"),
    num("output.voltage.nominal", "UPS.Flow.[4].ConfigVoltage", "%.0f"),
    num("output.frequency.nominal", "UPS.Flow.[4].ConfigFrequency", "%.0f"),
    num("input.voltage.nominal", "UPS.Flow.[1].ConfigVoltage", "%.0f"),
    num("outlet.id", "UPS.OutletSystem.Outlet.[1].OutletID", "%.0f"),
    absent("outlet.desc", "UPS.OutletSystem.Outlet.[1].OutletID", "Main Outlet"),
    conv("outlet.switchable", "UPS.OutletSystem.Outlet.[1].PresentStatus.Switchable", Conv::Lookup(YES_NO)),
    num("outlet.1.id", "UPS.OutletSystem.Outlet.[2].OutletID", "%.0f"),
    absent("outlet.1.desc", "UPS.OutletSystem.Outlet.[2].OutletID", "PowerShare Outlet 1"),
    conv("outlet.1.switchable", "UPS.OutletSystem.Outlet.[2].PresentStatus.Switchable", Conv::Lookup(YES_NO)),
    conv("outlet.1.status", "UPS.OutletSystem.Outlet.[2].PresentStatus.SwitchOn/Off", Conv::Lookup(ON_OFF)),
    num("outlet.2.id", "UPS.OutletSystem.Outlet.[3].OutletID", "%.0f"),
    absent("outlet.2.desc", "UPS.OutletSystem.Outlet.[3].OutletID", "PowerShare Outlet 2"),
    conv("outlet.2.switchable", "UPS.OutletSystem.Outlet.[3].PresentStatus.Switchable", Conv::Lookup(YES_NO)),
    conv("outlet.2.status", "UPS.OutletSystem.Outlet.[3].PresentStatus.SwitchOn/Off", Conv::Lookup(ON_OFF)),
    absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
    absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "ondelay"),
    st("UPS.PowerConverter.Input.[1].PresentStatus.Boost", Boost),
    st("UPS.PowerConverter.Input.[1].PresentStatus.Buck", Trim),
    st("UPS.PowerConverter.Input.[2].PresentStatus.Used", Bypass),
    st("UPS.PowerConverter.Inverter.PresentStatus.InternalFailure", InternalFailure),
    st("UPS.PowerSummary.PresentStatus.FanFailure", FanFailure),
    st("UPS.BatterySystem.Charger.PresentStatus.VoltageTooLow", BattVoltLow),
    st("UPS.BatterySystem.Charger.PresentStatus.VoltageTooHigh", BattVoltHigh),
];

/// Commands.
pub const CMDS: &[CmdMap] = &[
    cmd("beeper.enable", "UPS.BatterySystem.Battery.AudibleAlarmControl", "2"),
    cmd("beeper.disable", "UPS.BatterySystem.Battery.AudibleAlarmControl", "1"),
    cmd("beeper.mute", "UPS.BatterySystem.Battery.AudibleAlarmControl", "3"),
    cmd("load.off", "UPS.OutletSystem.Outlet.[1].DelayBeforeShutdown", "0"),
    cmd("load.on", "UPS.OutletSystem.Outlet.[1].DelayBeforeStartup", "0"),
    cmd("outlet.1.load.off", "UPS.OutletSystem.Outlet.[2].DelayBeforeShutdown", "0"),
    cmd("outlet.1.load.on", "UPS.OutletSystem.Outlet.[2].DelayBeforeStartup", "0"),
    cmd("outlet.2.load.off", "UPS.OutletSystem.Outlet.[3].DelayBeforeShutdown", "0"),
    cmd("outlet.2.load.on", "UPS.OutletSystem.Outlet.[3].DelayBeforeStartup", "0"),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "MGE HID 1.46",
    usages: &[MGE],
    vars: VARS,
    cmds: CMDS,
    model_suffix: Some("UPS.PowerSummary.iModel"),
    mfr: "EATON",
    common: true,
    fix_report_desc: None,
};
