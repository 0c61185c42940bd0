//! Ever UPSes (2e51:ffff, 2e51:0000, 0483:a113): NUT 2.8.5's `drivers/ever-hid.c`
//! ("Ever HID 0.10"), whole table but for the entries whose NUT function reads whole raw
//! reports by id instead of the mapped value (network card MAC/IP addresses and packet
//! counters, `experimental.status.messages`/`alarms` and the OFF bit from report 74): those
//! need the report bytes, which a table conversion does not get, and are left out.

use nut_hid::UsageTable;

use super::flag::{QUICK_POLL, RW};
use super::nut_lookups::*;
use super::{absent, cmd, conv, fun, num, rw, stmap, CmdMap, Conv, ConvFn, Subdriver, VarMap};

/// NUT's usage names for this vendor (`nut_hid::usage::EVER`, from NUT's `*_usage_lkp`).
pub const USAGES: UsageTable = nut_hid::usage::EVER;

fn hardware(v: f64) -> Option<String> {
    const REV: &[u8; 27] = b"0ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let n = v as u32;
    let rev = *REV.get(((n & 0xff00) >> 8) as usize)?;
    Some(format!("rev.{}v{:02}", rev as char, n & 0xff))
}

fn version(v: f64) -> Option<String> {
    let n = v as i64;
    Some(format!("v{:X}.{:X}b{:02}", (n & 0xf000) >> 12, (n & 0xf00) >> 8, n & 0xff))
}

fn workmode(v: f64) -> Option<String> {
    Some(
        match v as i64 {
            2 => "STOP",
            4 => "ONLINE",
            8 => "ONBATTERY",
            16 => "WATCH",
            32 => "WAITING",
            64 => "EMERGENCY",
            _ => "UNKNOWN",
        }
        .into(),
    )
}

/// `ever_format_hardware`.
pub const FORMAT_HARDWARE: ConvFn =
    ConvFn { name: "ever_format_hardware", fun: hardware, nuf: None, rows: &[] };
/// `ever_format_version`.
pub const FORMAT_VERSION: ConvFn = ConvFn { name: "ever_format_version", fun: version, nuf: None, rows: &[] };
/// `ever_workmode` (NUT reads byte 1 of report 74, the byte this usage maps).
pub const WORKMODE: ConvFn = ConvFn { name: "ever_workmode", fun: workmode, nuf: None, rows: &[] };

/// `ever_hid2nut`.
pub const VARS: &[VarMap] = &[
    num("experimental.battery.batteryid", "UPS.BatterySystem.Battery.BatteryID", "%.0f"),
    num("experimental.battery.systemid", "UPS.BatterySystem.BatterySystemID", "%.0f"),
    num("experimental.battery.chargerid", "UPS.BatterySystem.Charger.ChargerID", "%.0f"),
    num("experimental.battery.input_flowid", "UPS.BatterySystem.Input.FlowID", "%.0f"),
    num("experimental.battery.input_id", "UPS.BatterySystem.Input.InputID", "%.0f"),
    num("experimental.battery.output_flowid", "UPS.BatterySystem.Output.FlowID", "%.0f"),
    num("experimental.battery.output_id", "UPS.BatterySystem.Output.OutputID", "%.0f"),
    fun("experimental.id.firmware_version_inverter", "UPS.EVER1.EVER13", FORMAT_VERSION),
    fun("experimental.id.firmware_version_interfaces", "UPS.EVER1.EVER14", FORMAT_VERSION),
    fun("experimental.id.hardware_version", "UPS.EVER1.EVER15", FORMAT_HARDWARE),
    fun("experimental.id.protocol_version_inverter", "UPS.EVER1.EVER16", FORMAT_VERSION),
    fun("experimental.id.protocol_version_interfaces", "UPS.EVER1.EVER17", FORMAT_VERSION),
    fun("ups.temperature", "UPS.EVER1.EVER42", KELVIN_CELSIUS_CONVERSION),
    fun("battery.temperature", "UPS.EVER1.EVER43", KELVIN_CELSIUS_CONVERSION),
    num("output.powerfactor", "UPS.EVER1.EVER44", "%.0f"),
    num("experimental.control.ups_on", "UPS.EVER1.EVER45.EVER46", "%.0f").with_flags(RW),
    num("experimental.control.clear_fault", "UPS.EVER1.EVER45.EVER47", "%.0f").with_flags(RW),
    num("experimental.control.clear_battery_fault", "UPS.EVER1.EVER45.EVER48", "%.0f").with_flags(RW),
    num("experimental.control.epo_blocked", "UPS.EVER1.EVER49.EVER50", "%.0f").with_flags(RW),
    num("experimental.control.green_mode", "UPS.EVER1.EVER49.EVER51", "%.0f").with_flags(RW),
    num("experimental.control.button_sound", "UPS.EVER1.EVER49.EVER52", "%.0f").with_flags(RW),
    num("experimental.control.audible_alarm", "UPS.EVER1.EVER49.EVER53", "%.0f").with_flags(RW),
    rw("output.voltage", "UPS.EVER1.EVER54", "%.0f").with_len(3),
    rw("experimental.config.overload_clearance_threshold", "UPS.EVER1.EVER59", "%.0f").with_len(2),
    rw("experimental.config.stb_charge", "UPS.EVER1.EVER60", "%.0f").with_len(2),
    rw("battery.packs.external", "UPS.EVER1.EVER61", "%.0f").with_len(1),
    num("experimental.statistics.mains_loss_counter", "UPS.EVER1.EVER62", "%.0f"),
    num("experimental.statistics.lowering_AVR_trigger_counter", "UPS.EVER1.EVER63", "%.0f"),
    num("experimental.statistics.rising_AVR_trigger_counter", "UPS.EVER1.EVER64", "%.0f"),
    num("experimental.statistics.overload_counter", "UPS.EVER1.EVER65", "%.0f"),
    num("experimental.statistics.short_circuit_counter", "UPS.EVER1.EVER66", "%.0f"),
    num("experimental.statistics.discharge_counter", "UPS.EVER1.EVER67", "%.0f"),
    num("experimental.statistics.overheat_counter", "UPS.EVER1.EVER68", "%.0f"),
    num("experimental.statistics.mains_operation_time", "UPS.EVER1.EVER69", "%.0f"),
    num("experimental.statistics.autonomous_operation_time", "UPS.EVER1.EVER70", "%.0f"),
    num("experimental.statistics.overload_operation_time", "UPS.EVER1.EVER71", "%.0f"),
    num("experimental.networkcard.config_dhcp_enabled", "UPS.EVER1.EVER85.EVER86", "%.0f"),
    num("experimental.networkcard.config_ethernet_enabled", "UPS.EVER1.EVER85.EVER87", "%.0f"),
    num("experimental.networkcard.config_http_enabled", "UPS.EVER1.EVER85.EVER88", "%.0f"),
    num("experimental.networkcard.config_snmp_enabled", "UPS.EVER1.EVER85.EVER89", "%.0f"),
    num("experimental.networkcard.config_snmp_trap_enabled", "UPS.EVER1.EVER85.EVER90", "%.0f"),
    num("experimental.networkcard.config_readonly", "UPS.EVER1.EVER85.EVER91", "%.0f"),
    num("experimental.networkcard.config_restart_eth", "UPS.EVER1.EVER85.EVER96", "%.0f"),
    num("ups.realpower.nominal", "UPS.Flow.ConfigActivePower", "%.0f"),
    num("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f"),
    num("output.frequency.nominal", "UPS.Flow.ConfigFrequency", "%.0f"),
    num("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f"),
    num("experimental.ups.flow_id", "UPS.Flow.FlowID", "%.0f"),
    num("outlet.1.id", "UPS.OutletSystem.Outlet.OutletID", "%.0f"),
    conv(
        "experimental.outlet.1.present",
        "UPS.OutletSystem.Outlet.PresentStatus.Present",
        Conv::Lookup(YES_NO_INFO),
    ),
    conv(
        "outlet.1.switchable",
        "UPS.OutletSystem.Outlet.PresentStatus.Switchable",
        Conv::Lookup(YES_NO_INFO),
    ),
    num("outlet.1.status", "UPS.OutletSystem.Outlet.PresentStatus.SwitchOn/Off", "%.0f"),
    num("experimental.outlet.1.undefined", "UPS.OutletSystem.Outlet.PresentStatus.Undefined", "%.0f"),
    num("experimental.outlet.1.system_id", "UPS.OutletSystem.OutletSystemID", "%.0f"),
    num("experimental.outlet.1.switch_off_control", "UPS.OutletSystem.Outlet.SwitchOffControl", "%.0f")
        .with_flags(RW),
    num("experimental.outlet.1.switch_on_control", "UPS.OutletSystem.Outlet.SwitchOnControl", "%.0f")
        .with_flags(RW),
    num("experimental.powerconverter.input_flow_id", "UPS.PowerConverter.Input.FlowID", "%.0f"),
    num("input.frequency", "UPS.PowerConverter.Input.Frequency", "%.0f"),
    num("experimental.powerconverter.input_id", "UPS.PowerConverter.Input.InputID", "%.0f"),
    num("input.voltage", "UPS.PowerConverter.Input.Voltage", "%.0f"),
    num("ups.realpower", "UPS.PowerConverter.Output.ActivePower", "%.0f"),
    num("ups.power", "UPS.PowerConverter.Output.ApparentPower", "%.0f"),
    num("output.current", "UPS.PowerConverter.Output.Current", "%.0f"),
    num("experimental.powerconverter.output_flowid", "UPS.PowerConverter.Output.FlowID", "%.0f"),
    num("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.0f"),
    num("experimental.powerconverter.output_id", "UPS.PowerConverter.Output.OutputID", "%.0f"),
    num("ups.load", "UPS.PowerConverter.Output.PercentLoad", "%.0f"),
    num("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.0f"),
    num("experimental.powerconverter.powerconverterid", "UPS.PowerConverter.PowerConverterID", "%.0f"),
    num("experimental.powersummary.capacity_granularity_1", "UPS.PowerSummary.CapacityGranularity1", "%.0f"),
    num("experimental.powersummary.capacity_granularity_2", "UPS.PowerSummary.CapacityGranularity2", "%.0f"),
    num("experimental.powersummary.capacity_mode", "UPS.PowerSummary.CapacityMode", "%.0f"),
    absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay").with_len(10),
    num("battery.capacity", "UPS.PowerSummary.DesignCapacity", "%.0f"),
    num("experimental.powersummary.flow_id", "UPS.PowerSummary.FlowID", "%.0f"),
    num("battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
    num("battery.type", "UPS.PowerSummary.iDeviceChemistry", "%.0f"),
    num("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    num("experimental.powersummary.rechargeable", "UPS.PowerSummary.Rechargeable", "%.0f"),
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    num("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f").with_flags(RW),
    num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    num("battery.voltage", "UPS.PowerSummary.Voltage", "%.0f"),
    num("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "%.0f").with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.AwaitingPower", AWAITINGPOWER_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.BatteryPresent", NOBATTERY_INFO),
    stmap("UPS.PowerSummary.PresentStatus.CommunicationLost", COMMFAULT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", REPLACEBATT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.Overload", OVERLOAD_INFO).with_flags(QUICK_POLL),
    stmap("UPS.PowerSummary.PresentStatus.OverTemperature", OVERHEAT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO),
    stmap("UPS.EVER1.EVER18.EVER19", OVERLOAD_INFO),
    stmap("UPS.EVER1.EVER18.EVER20", LOWBATT_INFO),
    stmap("UPS.EVER1.EVER18.EVER21", BOOST_INFO),
    stmap("UPS.EVER1.EVER18.EVER22", TRIM_INFO),
    stmap("UPS.EVER1.EVER18.EVER25", CHARGING_INFO),
    stmap("UPS.EVER1.EVER18.EVER28", REPLACEBATT_INFO),
    stmap("UPS.EVER1.EVER32.EVER33", OVERLOAD_INFO),
    stmap("UPS.EVER1.EVER32.EVER40", COMMFAULT_INFO),
    fun("experimental.status.workmode", "UPS.EVER1.EVER97.EVER98", WORKMODE),
];

/// The `HU_TYPE_CMD` entries of `ever_hid2nut`.
pub const CMDS: &[CmdMap] = &[
    cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
    cmd("shutdown.return", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
];

/// The subdriver.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Ever HID 0.10",
    usages: &[USAGES],
    vars: VARS,
    cmds: CMDS,
    mfr: "Ever",
    common: false,
    fix_report_desc: None,
    identity: None,
    state: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_and_hardware_strings() {
        assert_eq!(version(f64::from(0x1203)).as_deref(), Some("v1.2b03"));
        assert_eq!(hardware(f64::from(0x0207)).as_deref(), Some("rev.Bv07"));
        assert_eq!(hardware(f64::from(0x4000)), None, "no revision letter past Z");
        assert_eq!(workmode(8.0).as_deref(), Some("ONBATTERY"));
        assert_eq!(workmode(3.0).as_deref(), Some("UNKNOWN"));
    }
}
