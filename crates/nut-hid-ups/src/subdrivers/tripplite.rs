//! Tripp Lite (09ae), and the HP (03f0) and Delta/Minuteman (05dd:a011, 05dd:a0a0) units NUT
//! drives with it: NUT 2.8.5's `tripplite-hid` subdriver ("TrippLite HID 0.85") as data: its
//! usage names, its whole `tripplite_hid2nut` table in NUT's order and its conversions.
//!
//! NUT scales some readings by USB product id (the matcher functions of its device table):
//! battery voltage times 0.1 on the older AVR/OMNI/SMART units, and on the Smart1500LCD
//! (3016) and AVR750U (3024) protocol battery and line voltages times 100000, frequencies and
//! currents times 0.01; AVR550U (1003) and OMNI1000LCD (2005) firmwares report a wrong battery
//! chemistry, published as "unknown". Each scale set is a variant of the table here;
//! the device table picks the one NUT's per-id handler gives.

use nut_hid::UsageTable;

use super::nut_lookups::BEEPER_INFO;
use super::nut_lookups::{
    AWAITINGPOWER_INFO, BOOST_INFO, CHARGING_INFO, COMMFAULT_INFO, DEPLETED_INFO, DISCHARGING_INFO,
    FULLYCHARGED_INFO, LOWBATT_INFO, ONLINE_INFO, OVERHEAT_INFO, OVERLOAD_INFO, REPLACEBATT_INFO,
    SHUTDOWNIMM_INFO, TEST_READ_INFO, TRIM_INFO, VRANGE_INFO,
};
use super::{cmd, conv, flag, fun, num, stmap, CmdMap, Conv, ConvFn, Subdriver, VarMap};

/// NUT's usage names for this vendor (`nut_hid::usage::TRIPPLITE`, from NUT's `*_usage_lkp`).
pub const USAGES: UsageTable = nut_hid::usage::TRIPPLITE;

/// The scale factors of one group of Tripp Lite ids (NUT's matcher functions).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scales {
    /// `battery_scale`.
    pub battery: f64,
    /// `io_voltage_scale`.
    pub voltage: f64,
    /// `io_frequency_scale`.
    pub frequency: f64,
    /// `io_current_scale`.
    pub current: f64,
}

/// NUT's defaults (`battery_scale_1dot0`).
pub const SCALE_1: Scales = Scales { battery: 1.0, voltage: 1.0, frequency: 1.0, current: 1.0 };
/// NUT's `battery_scale_0dot1`.
pub const SCALE_BATTERY_0_1: Scales = Scales { battery: 0.1, ..SCALE_1 };
/// NUT's `smart1500lcdt_scale`.
pub const SCALE_SMART1500LCDT: Scales =
    Scales { battery: 100000.0, voltage: 100000.0, frequency: 0.01, current: 0.01 };

/// `%.1f` of a scaled reading (NUT's tripplite_battvolt/iovolt/iofreq/ioamp).
pub fn scaled(scale: f64, value: f64) -> Option<String> {
    Some(format!("{:.1}", scale * value))
}

fn volt_1(v: f64) -> Option<String> {
    scaled(SCALE_1.battery, v)
}
fn battvolt_0_1(v: f64) -> Option<String> {
    scaled(SCALE_BATTERY_0_1.battery, v)
}
fn battvolt_smart(v: f64) -> Option<String> {
    scaled(SCALE_SMART1500LCDT.battery, v)
}
fn iovolt_smart(v: f64) -> Option<String> {
    scaled(SCALE_SMART1500LCDT.voltage, v)
}
fn iofreq_smart(v: f64) -> Option<String> {
    scaled(SCALE_SMART1500LCDT.frequency, v)
}
fn ioamp_smart(v: f64) -> Option<String> {
    scaled(SCALE_SMART1500LCDT.current, v)
}
fn unknown_chemistry(_: f64) -> Option<String> {
    Some("unknown".into())
}

const fn f(name: &'static str, fun: fn(f64) -> Option<String>) -> ConvFn {
    ConvFn { name, fun, nuf: None, rows: &[] }
}

/// `tripplite_battvolt` at scale 1.
pub const BATTVOLT_1: ConvFn = f("tripplite_battvolt", volt_1);
/// `tripplite_battvolt` at scale 0.1.
pub const BATTVOLT_0_1: ConvFn = f("tripplite_battvolt", battvolt_0_1);
/// `tripplite_battvolt` on the Smart1500LCD protocol.
pub const BATTVOLT_SMART: ConvFn = f("tripplite_battvolt", battvolt_smart);
/// `tripplite_iovolt` at scale 1.
pub const IOVOLT_1: ConvFn = f("tripplite_iovolt", volt_1);
/// `tripplite_iovolt` on the Smart1500LCD protocol.
pub const IOVOLT_SMART: ConvFn = f("tripplite_iovolt", iovolt_smart);
/// `tripplite_iofreq` at scale 1.
pub const IOFREQ_1: ConvFn = f("tripplite_iofreq", volt_1);
/// `tripplite_iofreq` on the Smart1500LCD protocol.
pub const IOFREQ_SMART: ConvFn = f("tripplite_iofreq", iofreq_smart);
/// `tripplite_ioamp` at scale 1.
pub const IOAMP_1: ConvFn = f("tripplite_ioamp", volt_1);
/// `tripplite_ioamp` on the Smart1500LCD protocol.
pub const IOAMP_SMART: ConvFn = f("tripplite_ioamp", ioamp_smart);
/// `tripplite_chemistry` on the AVR550U (1003) and OMNI1000LCD (2005), whose firmwares
/// report a wrong string.
pub const CHEMISTRY_UNKNOWN: ConvFn = f("tripplite_chemistry", unknown_chemistry);

const QUICK: u8 = flag::QUICK_POLL;
const SEMI: u8 = flag::SEMI_STATIC;
const STATIC: u8 = flag::STATIC;
const RW_STRING: u8 = flag::RW | flag::STRING;

const fn rw5(var: &'static str, path: &'static str, fmt: &'static str) -> VarMap {
    num(var, path, fmt).with_flags(RW_STRING | SEMI).with_len(5)
}

const fn delay(var: &'static str, path: &'static str, which: &'static str) -> VarMap {
    super::absent(var, path, which).with_len(10)
}

/// `tripplite_hid2nut` with the given battery type and scaled conversions.
macro_rules! tripplite_vars {
    ($chemistry:expr, $battvolt:expr, $iovolt:expr, $iofreq:expr, $ioamp:expr) => {
        &[
            // Device page
            conv("device.part", "UPS.TLCustom.[1].iUPSPartNumber", Conv::StringId).with_flags(STATIC),
            // Battery page
            num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
            num("battery.charge", "UPS.BatterySystem.Battery.RemainingCapacity", "%.0f"),
            rw5("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
            num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
            num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
            num("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.1f")
                .with_flags(STATIC),
            fun("battery.voltage", "UPS.BatterySystem.Battery.Voltage", $battvolt),
            conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", $chemistry).with_flags(STATIC),
            conv("battery.temperature", "UPS.BatterySystem.Temperature", Conv::KelvinToCelsius),
            // UPS page
            delay("ups.delay.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "ondelay"),
            delay("ups.delay.start", "UPS.OutletSystem.Outlet.TLDelayBeforeStartup", "ondelay"),
            delay("ups.delay.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "offdelay"),
            num("ups.timer.start", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "%.0f").with_flags(QUICK),
            num("ups.timer.start", "UPS.OutletSystem.Outlet.TLDelayBeforeStartup", "%.0f").with_flags(QUICK),
            num("ups.timer.shutdown", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "%.0f")
                .with_flags(QUICK),
            num("ups.timer.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "%.0f").with_flags(QUICK),
            conv("ups.test.result", "UPS.BatterySystem.Test", Conv::Lookup(TEST_READ_INFO)),
            conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER_INFO)),
            num("ups.power.nominal", "UPS.Flow.ConfigApparentPower", "%.0f").with_flags(STATIC),
            num("ups.power", "UPS.OutletSystem.Outlet.ActivePower", "%.1f"),
            num("ups.power", "UPS.PowerConverter.Output.ActivePower", "%.1f"),
            num("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.0f"),
            num("ups.firmware", "UPS.TLCustom.[1].UPSFirmwareVersion", "%.0f").with_flags(STATIC),
            // Seconds left before the watchdog reboots the UPS (0 = disabled)
            num("ups.watchdog.status", "UPS.OutletSystem.Outlet.TLWatchdog", "%.0f"),
            // ups.status
            stmap("UPS.PowerSummary.PresentStatus.InternalFailure", COMMFAULT_INFO),
            stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO),
            stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO)
                .with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.FullyCharged", FULLYCHARGED_INFO).with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.FullyDischarged", DEPLETED_INFO).with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", REPLACEBATT_INFO),
            // the same for the faulty usage codes of some OMNI1000LCD
            stmap("UPS.PowerSummary.PresentStatus.TLACPresent", ONLINE_INFO).with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.TLDischarging", DISCHARGING_INFO).with_flags(QUICK),
            // HP's standard ConfigPercentLoad: usage 0x840045, which this subdriver's names
            // call TLDischarging; NUT resolves the path by usage, names first
            num("ups.load.nominal", "UPS.Flow.ConfigPercentLoad", "%.0f"),
            stmap("UPS.PowerSummary.PresentStatus.TLCharging", CHARGING_INFO).with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.TLNeedReplacement", REPLACEBATT_INFO),
            stmap("UPS.PowerConverter.PresentStatus.VoltageOutOfRange", VRANGE_INFO),
            stmap("UPS.PowerConverter.PresentStatus.Buck", TRIM_INFO),
            stmap("UPS.PowerConverter.PresentStatus.Boost", BOOST_INFO),
            stmap("UPS.PowerConverter.PresentStatus.Overload", OVERLOAD_INFO),
            stmap("UPS.PowerConverter.PresentStatus.OverTemperature", OVERHEAT_INFO),
            stmap("UPS.PowerConverter.PresentStatus.InternalFailure", COMMFAULT_INFO),
            stmap("UPS.PowerConverter.PresentStatus.AwaitingPower", AWAITINGPOWER_INFO),
            // Input page
            num("input.voltage.nominal", "UPS.PowerSummary.Input.ConfigVoltage", "%.0f").with_flags(STATIC),
            fun("input.voltage", "UPS.PowerSummary.Input.Voltage", $iovolt),
            fun("input.voltage", "UPS.PowerConverter.Input.Voltage", $iovolt),
            fun("input.frequency", "UPS.PowerConverter.Input.Frequency", $iofreq),
            rw5("input.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.1f"),
            num("input.transfer.low.max", "UPS.PowerConverter.Output.TLLowVoltageTransferMax", "%.0f")
                .with_flags(STATIC),
            num("input.transfer.low.min", "UPS.PowerConverter.Output.TLLowVoltageTransferMin", "%.0f")
                .with_flags(STATIC),
            rw5("input.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f"),
            num("input.transfer.high.max", "UPS.PowerConverter.Output.TLHighVoltageTransferMax", "%.0f")
                .with_flags(STATIC),
            num("input.transfer.high.min", "UPS.PowerConverter.Output.TLHighVoltageTransferMin", "%.0f")
                .with_flags(STATIC),
            // Output page
            num("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f").with_flags(STATIC),
            fun("output.voltage", "UPS.PowerConverter.Output.Voltage", $iovolt),
            fun("output.voltage", "UPS.PowerSummary.Voltage", $iovolt),
            fun("output.current", "UPS.PowerConverter.Output.Current", $ioamp),
            num("output.frequency.nominal", "UPS.Flow.ConfigFrequency", "%.0f").with_flags(STATIC),
            fun("output.frequency", "UPS.PowerConverter.Output.Frequency", $iofreq),
        ]
    };
}

/// NUT's table at scale 1 (SU/SMART RM/SmartOnline, HP, Delta/Minuteman, other 09ae ids).
pub const VARS: &[VarMap] = tripplite_vars!(Conv::StringId, BATTVOLT_1, IOVOLT_1, IOFREQ_1, IOAMP_1);
/// Battery voltage at 0.1 (AVR, ECO, OMNI, SMART LCD ids).
pub const VARS_BATTERY_0_1: &[VarMap] =
    tripplite_vars!(Conv::StringId, BATTVOLT_0_1, IOVOLT_1, IOFREQ_1, IOAMP_1);
/// Battery voltage at 0.1 and no battery chemistry (1003 AVR550U, 2005 OMNI1000LCD).
pub const VARS_BATTERY_0_1_NO_CHEMISTRY: &[VarMap] =
    tripplite_vars!(Conv::Fun(CHEMISTRY_UNKNOWN), BATTVOLT_0_1, IOVOLT_1, IOFREQ_1, IOAMP_1);
/// The Smart1500LCD protocol (3016, 3024).
pub const VARS_SMART1500LCDT: &[VarMap] =
    tripplite_vars!(Conv::StringId, BATTVOLT_SMART, IOVOLT_SMART, IOFREQ_SMART, IOAMP_SMART);

/// The instant commands of `tripplite_hid2nut`, in NUT's order.
pub const CMDS: &[CmdMap] = &[
    cmd("test.battery.start.quick", "UPS.BatterySystem.Test", "1"),
    cmd("test.battery.start.deep", "UPS.BatterySystem.Test", "2"),
    cmd("test.battery.stop", "UPS.BatterySystem.Test", "3"),
    cmd("load.off.delay", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "20"),
    cmd("load.on.delay", "UPS.OutletSystem.Outlet.DelayBeforeStartup", "30"),
    cmd("load.on.delay", "UPS.OutletSystem.Outlet.TLDelayBeforeStartup", "30"),
    cmd("shutdown.stop", "UPS.OutletSystem.Outlet.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.OutletSystem.Outlet.DelayBeforeReboot", "10"),
    // the ECO550UPS has no DelayBeforeStartup: the watchdog reboots it
    cmd("shutdown.reboot", "UPS.OutletSystem.Outlet.TLWatchdog", "10"),
    // if this timer expires, the UPS reboots
    cmd("reset.watchdog", "UPS.OutletSystem.Outlet.TLWatchdog", "60"),
    cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];

/// The subdriver at NUT's default scales. `mfr` is empty: NUT publishes the USB manufacturer
/// string and no fallback (no `ups.mfr` without one).
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "TrippLite HID 0.85",
    usages: &[USAGES],
    vars: VARS,
    cmds: CMDS,
    mfr: "",
    common: false,
    fix_report_desc: None,
    identity: None,
    state: None,
};
/// With `battery_scale_0dot1`.
pub const SUBDRIVER_BATTERY_0_1: Subdriver = Subdriver { vars: VARS_BATTERY_0_1, ..SUBDRIVER };
/// With `battery_scale_0dot1` and the chemistry workaround.
pub const SUBDRIVER_BATTERY_0_1_NO_CHEMISTRY: Subdriver =
    Subdriver { vars: VARS_BATTERY_0_1_NO_CHEMISTRY, ..SUBDRIVER };
/// With `smart1500lcdt_scale`.
pub const SUBDRIVER_SMART1500LCDT: Subdriver = Subdriver { vars: VARS_SMART1500LCDT, ..SUBDRIVER };

/// The variant for NUT's `battery_scale_0dot1` handler: the 0.1 battery scale, and for
/// 09ae:1003 (AVR 550U) and 09ae:2005 (OMNI1000LCD) NUT's chemistry workaround
/// (`tripplite_chemistry_fun` reads `ups.productid`: battery.type "unknown").
pub fn battery_scale_0dot1(product_id: u16) -> &'static Subdriver {
    if matches!(product_id, 0x1003 | 0x2005) {
        &SUBDRIVER_BATTERY_0_1_NO_CHEMISTRY
    } else {
        &SUBDRIVER_BATTERY_0_1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales() {
        // Smart1500LCD protocol: 1214 * 10^-6 V (unit exponent 1 on volts) is 121.4 V.
        assert_eq!(scaled(SCALE_SMART1500LCDT.voltage, 1214e-6).as_deref(), Some("121.4"));
        assert_eq!(scaled(SCALE_SMART1500LCDT.frequency, 6000.0).as_deref(), Some("60.0"));
        assert_eq!(scaled(SCALE_BATTERY_0_1.battery, 136.0).as_deref(), Some("13.6"));
    }

    #[test]
    fn variants() {
        // What each variant makes of a raw battery voltage of 13.6 and a chemistry index.
        let conv = |s: &Subdriver, var: &str, x: f64| match s
            .vars
            .iter()
            .find(|m| m.var == var)
            .expect("mapped")
            .conv
        {
            Conv::Fun(f) => (f.fun)(x),
            other => Some(format!("{other:?}")),
        };
        assert_eq!(conv(battery_scale_0dot1(0x1003), "battery.voltage", 136.0).as_deref(), Some("13.6"));
        assert_eq!(conv(battery_scale_0dot1(0x1003), "battery.type", 4.0).as_deref(), Some("unknown"));
        assert_eq!(conv(battery_scale_0dot1(0x2009), "battery.voltage", 136.0).as_deref(), Some("13.6"));
        assert_eq!(conv(battery_scale_0dot1(0x2009), "battery.type", 4.0).as_deref(), Some("StringId"));
        assert_eq!(conv(&SUBDRIVER_SMART1500LCDT, "input.voltage", 1214e-6).as_deref(), Some("121.4"));
        assert_eq!(conv(&SUBDRIVER, "battery.voltage", 13.6).as_deref(), Some("13.6"));
        assert_eq!(conv(&SUBDRIVER, "input.voltage", 121.0).as_deref(), Some("121.0"));
    }
}
