//! EcoFlow power stations (3746:ffff, River 3+ / Delta 3+): NUT 2.8.5's
//! `drivers/ecoflow-hid.c` ("EcoFlow HID 0.01"), whole table (without the
//! `WITH_UNMAPPED_DATA_POINTS` entries, which NUT's default build leaves out too).

use super::flag::{QUICK_POLL, SEMI_STATIC, STATIC};
use super::nut_lookups::*;
use super::{conv, fun, num, rw, stmap, Conv, ConvFn, Subdriver, VarMap};

fn runtime_minutes(v: f64) -> Option<String> {
    // The device reports minutes; NUT publishes seconds, and nothing for a negative value.
    (v >= 0.0).then(|| format!("{:.0}", v * 60.0))
}

/// `ecoflow_runtime_conversion_lkp`: minutes to seconds.
pub const RUNTIME_CONVERSION: ConvFn =
    ConvFn { name: "ecoflow_runtime_conversion_lkp", fun: runtime_minutes, nuf: None, rows: &[] };

/// `ecoflow_hid2nut`.
pub const VARS: &[VarMap] = &[
    conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER_INFO))
        .with_flags(QUICK_POLL),
    num("ups.power.nominal", "UPS.Flow.[4].ConfigActivePower", "%.0f").with_flags(STATIC),
    num("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.1f").with_flags(SEMI_STATIC),
    num("ups.timer.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "%.0f").with_flags(QUICK_POLL),
    num("ups.timer.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "%.0f").with_flags(QUICK_POLL),
    num("battery.capacity.nominal", "UPS.PowerSummary.DesignCapacity", "%.0f").with_flags(SEMI_STATIC),
    num("battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f").with_flags(SEMI_STATIC),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId).with_flags(STATIC),
    conv("experimental.ups.powersummary.ioeminformation", "UPS.PowerSummary.iOEMInformation", Conv::StringId)
        .with_flags(STATIC),
    fun("ups.mfr.date", "UPS.PowerSummary.ManufacturerDate", DATE_CONVERSION),
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.BatteryPresent", NOBATTERY_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.CommunicationLost", COMMFAULT_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.FullyCharged", FULLYCHARGED_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.FullyDischarged", DEPLETED_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", REPLACEBATT_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.Overload", OVERLOAD_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", TIMELIMITEXPIRED_INFO)
        .with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO).with_flags(QUICK_POLL),
    num(
        "experimental.ups.powersummary.presentstatus.shutdownrequested",
        "UPS.PowerSummary.PresentStatus.ShutdownRequested",
        "%.0f",
    ),
    num(
        "experimental.ups.powersummary.presentstatus.voltagenotregulated",
        "UPS.PowerSummary.PresentStatus.VoltageNotRegulated",
        "%.0f",
    ),
    num("experimental.ups.powersummary.rechargeable", "UPS.PowerSummary.Rechargeable", "%.0f"),
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f").with_flags(QUICK_POLL),
    rw("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f")
        .with_flags(SEMI_STATIC)
        .with_len(5),
    num("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f").with_flags(SEMI_STATIC),
    fun("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", RUNTIME_CONVERSION).with_flags(QUICK_POLL),
    num("battery.voltage", "UPS.PowerSummary.Voltage", "%.1f").with_flags(QUICK_POLL),
    num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f").with_flags(SEMI_STATIC),
];

/// The subdriver (NUT's table has no instant commands: the device ignores them).
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "EcoFlow HID 0.01",
    usages: &[],
    vars: VARS,
    cmds: &[],
    mfr: "EcoFlow",
    common: false,
    fix_report_desc: None,
    identity: None,
    state: None,
};

#[cfg(test)]
mod tests {
    #[test]
    fn runtime_is_published_in_seconds() {
        assert_eq!(super::runtime_minutes(2400.0).as_deref(), Some("144000"));
        assert_eq!(super::runtime_minutes(-1.0), None);
    }
}
