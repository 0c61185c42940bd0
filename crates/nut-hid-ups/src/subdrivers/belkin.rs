//! Belkin (050d) and Liebert (10af): NUT 2.8.5's `belkin-hid` subdriver ("Belkin/Liebert HID
//! 0.23") as data: the Belkin usage names (page 0x86, which Belkin used although the HID
//! specification reserves it), the whole `belkin_hid2nut` table in NUT's order, Belkin's and
//! Liebert's conversion functions and the identity rules of `belkin_format_*`.
//!
//! Two of NUT's conversions are bit tests on a status word (`(long)value & mask`). The table
//! model maps exact values, so they are spelled out as value tables: every value of the one-byte
//! battery status, and every combination of the documented bits of the two-byte power status
//! (a word with an undocumented bit set leaves those status bits as they were).

use nut_hid::UsageTable;

use super::nut_lookups::BEEPER_INFO;
use super::nut_lookups::{BoolInfo, DIVIDE_BY_100_CONVERSION, DIVIDE_BY_10_CONVERSION};
use super::StatusBit::{self, *};
use super::{cmd, conv, flag, fun, num, stmap, CmdMap, Conv, ConvFn, Identity, Names, Subdriver, VarMap};

/// NUT's usage names for this vendor (`nut_hid::usage::BELKIN`, from NUT's `*_usage_lkp`).
pub const USAGES: UsageTable = nut_hid::usage::BELKIN;

/// NUT formats these into a fixed buffer: text beyond `size - 1` bytes is cut.
fn c_buf(mut s: String, size: usize) -> String {
    s.truncate(size - 1);
    s
}

/// NUT's `belkin_firmware_conversion`: the high bits of BELKINUPSType.
pub fn firmware(value: f64) -> Option<String> {
    Some(((value as i64) >> 4).to_string())
}

/// NUT's `belkin_upstype_conversion`: the low nibble of BELKINUPSType.
pub fn upstype(value: f64) -> Option<String> {
    Some(
        match (value as i64) & 0x0f {
            1 => "offline",
            2 => "line-interactive",
            3 => "simple online",
            4 => "simple offline",
            5 => "simple line-interactive",
            _ => "online",
        }
        .into(),
    )
}

/// NUT's `belkin_sensitivity_conversion` (read only: NUT has no way back).
pub fn sensitivity(value: f64) -> Option<String> {
    Some(
        match value as i64 {
            1 => "reduced",
            2 => "low",
            _ => "normal",
        }
        .into(),
    )
}

/// The factor NUT's `liebert_line_voltage_fun` picks for a Liebert line or battery voltage
/// whose unit exponent is broken (values below 1 V): 1e7 around 1e-5, 1e5 around 1e-3, else 1.
pub fn line_voltage_factor(value: f64) -> f64 {
    if value >= 1.0 {
        1.0
    } else if (value - 1e-5).abs() < 4e-5 {
        1e7
    } else if (value - 1e-3).abs() < 4e-3 {
        1e5
    } else {
        1.0
    }
}

/// NUT's `liebert_line_voltage_fun` from a fresh state (the subdriver's state,
/// [`super::liebert::LiebertScale`], carries the factor over between readings).
pub fn line_voltage(value: f64) -> Option<String> {
    Some(c_buf(format!("{:.1}", value * line_voltage_factor(value)), 10))
}

/// NUT's `liebert_config_voltage_fun`: a nominal voltage of exactly 1e-7 is 10 V (factor 1e8).
pub fn config_voltage(value: f64) -> Option<String> {
    let factor = if value < 1.0 && (value - 1e-7).abs() < 1e-9 { 1e8 } else { 1.0 };
    Some(c_buf(format!("{:.1}", value * factor), 10))
}

const fn f(name: &'static str, fun: fn(f64) -> Option<String>) -> ConvFn {
    ConvFn { name, fun, nuf: None, rows: &[] }
}

/// NUT's `belkin_firmware_conversion`.
pub const BELKIN_FIRMWARE_CONVERSION: ConvFn = f("belkin_firmware_conversion", firmware);
/// NUT's `belkin_upstype_conversion`.
pub const BELKIN_UPSTYPE_CONVERSION: ConvFn = f("belkin_upstype_conversion", upstype);
/// NUT's `belkin_sensitivity_conversion`.
pub const BELKIN_SENSITIVITY_CONVERSION: ConvFn = f("belkin_sensitivity_conversion", sensitivity);
/// NUT's `liebert_line_voltage_info`.
pub const LIEBERT_LINE_VOLTAGE_INFO: ConvFn = f("liebert_line_voltage_info", line_voltage);
/// NUT's `liebert_config_voltage_info`.
pub const LIEBERT_CONFIG_VOLTAGE_INFO: ConvFn = f("liebert_config_voltage_info", config_voltage);

/// NUT's `belkin_test_info`.
pub const BELKIN_TEST_INFO: &[(i64, &str)] = &[
    (0, "No test initiated"),
    (1, "Done and passed"),
    (2, "Done and warning"),
    (3, "Done and error"),
    (4, "Aborted"),
    (5, "In progress"),
];

/// NUT's `liebert_online_fun`: 1 = "online" (which also clears OFFLINE), 0 = "!online".
pub const LIEBERT_ONLINE_INFO: BoolInfo =
    &[(1, &[(Online, true), (Offline, false)]), (0, &[(Online, false)])];
/// NUT's `liebert_discharging_fun`.
pub const LIEBERT_DISCHARGING_INFO: BoolInfo = &[(1, &[(Discharging, true)]), (0, &[(Discharging, false)])];
/// NUT's `liebert_charging_fun`.
pub const LIEBERT_CHARGING_INFO: BoolInfo = &[(1, &[(Charging, true)]), (0, &[(Charging, false)])];
/// NUT's `liebert_lowbatt_fun`.
pub const LIEBERT_LOWBATT_INFO: BoolInfo = &[(1, &[(LowBatt, true)]), (0, &[(LowBatt, false)])];
/// NUT's `liebert_replacebatt_fun`.
pub const LIEBERT_REPLACEBATT_INFO: BoolInfo = &[(1, &[(ReplaceBatt, true)]), (0, &[(ReplaceBatt, false)])];
/// NUT's `liebert_shutdownimm_fun`.
pub const LIEBERT_SHUTDOWNIMM_INFO: BoolInfo =
    &[(1, &[(ShutdownImminent, true)]), (0, &[(ShutdownImminent, false)])];

type Bits = &'static [(StatusBit, bool)];

/// A bit test as a value table over every value of `width` bits: `set` where `value & mask`,
/// else `clear`.
const fn byte_map<const N: usize>(mask: i64, set: Bits, clear: Bits) -> [(i64, Bits); N] {
    let mut out: [(i64, Bits); N] = [(0, clear); N];
    let mut v = 0;
    while v < N {
        out[v] = (v as i64, if v as i64 & mask != 0 { set } else { clear });
        v += 1;
    }
    out
}

/// The documented bits of BELKINPowerStatus: 0 AC failure, 4 overload, 5 load off,
/// 6 overheat, 7 UPS fault, 13 awaiting power, 15 alarm.
const POWER_STATUS_BITS: [u32; 7] = [0, 4, 5, 6, 7, 13, 15];

/// A bit test as a value table over every combination of the documented power status bits.
const fn power_map(mask: i64, set: Bits, clear: Bits) -> [(i64, Bits); 128] {
    let mut out: [(i64, Bits); 128] = [(0, clear); 128];
    let mut c = 0;
    while c < 128 {
        let mut v = 0i64;
        let mut j = 0;
        while j < POWER_STATUS_BITS.len() {
            if c & (1 << j) != 0 {
                v |= 1 << POWER_STATUS_BITS[j];
            }
            j += 1;
        }
        out[c] = (v, if v & mask != 0 { set } else { clear });
        c += 1;
    }
    out
}

const OVERLOAD_MAP: [(i64, Bits); 128] = power_map(0x0010, &[(Overload, true)], &[(Overload, false)]);
const OVERHEAT_MAP: [(i64, Bits); 128] = power_map(0x0040, &[(Overheat, true)], &[(Overheat, false)]);
const COMMFAULT_MAP: [(i64, Bits); 128] = power_map(0x0080, &[(CommFault, true)], &[(CommFault, false)]);
const AWAITINGPOWER_MAP: [(i64, Bits); 128] =
    power_map(0x2000, &[(AwaitingPower, true)], &[(AwaitingPower, false)]);
// Bit 0 is "AC failure": set means "!online", clear means "online" (which clears OFFLINE).
const ONLINE_MAP: [(i64, Bits); 128] =
    power_map(0x0001, &[(Online, false)], &[(Online, true), (Offline, false)]);
const DEPLETED_MAP: [(i64, Bits); 256] = byte_map(0x40, &[(Depleted, true)], &[(Depleted, false)]);
const REPLACEBATT_MAP: [(i64, Bits); 256] = byte_map(0x80, &[(ReplaceBatt, true)], &[(ReplaceBatt, false)]);
const LOWBATT_MAP: [(i64, Bits); 256] = byte_map(0x04, &[(LowBatt, true)], &[(LowBatt, false)]);

/// NUT's `belkin_overload_conversion` (power status bit 4).
pub const BELKIN_OVERLOAD_CONVERSION: BoolInfo = &OVERLOAD_MAP;
/// NUT's `belkin_overheat_conversion` (power status bit 6).
pub const BELKIN_OVERHEAT_CONVERSION: BoolInfo = &OVERHEAT_MAP;
/// NUT's `belkin_commfault_conversion` (power status bit 7).
pub const BELKIN_COMMFAULT_CONVERSION: BoolInfo = &COMMFAULT_MAP;
/// NUT's `belkin_awaitingpower_conversion` (power status bit 13).
pub const BELKIN_AWAITINGPOWER_CONVERSION: BoolInfo = &AWAITINGPOWER_MAP;
/// NUT's `belkin_online_conversion` (power status bit 0, AC failure).
pub const BELKIN_ONLINE_CONVERSION: BoolInfo = &ONLINE_MAP;
/// NUT's `belkin_depleted_conversion` (battery status bit 6).
pub const BELKIN_DEPLETED_CONVERSION: BoolInfo = &DEPLETED_MAP;
/// NUT's `belkin_replacebatt_conversion` (battery status bit 7).
pub const BELKIN_REPLACEBATT_CONVERSION: BoolInfo = &REPLACEBATT_MAP;
/// NUT's `belkin_lowbatt_conversion` (battery status bit 2).
pub const BELKIN_LOWBATT_CONVERSION: BoolInfo = &LOWBATT_MAP;

const QUICK: u8 = flag::QUICK_POLL;
const RW_STRING: u8 = flag::RW | flag::STRING;

const fn rw10(var: &'static str, path: &'static str, fmt: &'static str) -> VarMap {
    num(var, path, fmt).with_flags(RW_STRING).with_len(10)
}

const fn delay(var: &'static str, path: &'static str, which: &'static str) -> VarMap {
    super::absent(var, path, which).with_len(10)
}

/// NUT's `belkin_hid2nut`, variables and status entries in NUT's order.
pub const VARS: &[VarMap] = &[
    // interpreted Belkin variables
    num("battery.charge", "UPS.BELKINBatterySystem.BELKINCharge", "%.0f"),
    num("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
    num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId),
    fun("battery.voltage", "UPS.BELKINBatterySystem.BELKINVoltage", DIVIDE_BY_10_CONVERSION),
    num("battery.voltage.nominal", "UPS.BELKINConfig.BELKINConfigBatteryVoltage", "%.0f"),
    fun("input.frequency", "UPS.BELKINPowerState.BELKINInput.BELKINFrequency", DIVIDE_BY_10_CONVERSION),
    num("input.frequency.nominal", "UPS.BELKINConfig.BELKINConfigFrequency", "%.0f"),
    fun("input.sensitivity", "UPS.BELKINDevice.BELKINVoltageSensitivity", BELKIN_SENSITIVITY_CONVERSION)
        .with_flags(RW_STRING)
        .with_len(10),
    rw10("input.transfer.high", "UPS.BELKINConfig.BELKINHighVoltageTransfer", "%.0f"),
    num("input.transfer.high.max", "UPS.BELKINConfig.BELKINHighVoltageTransferMax", "%.0f"),
    num("input.transfer.high.min", "UPS.BELKINConfig.BELKINHighVoltageTransferMin", "%.0f"),
    rw10("input.transfer.low", "UPS.BELKINConfig.BELKINLowVoltageTransfer", "%.0f"),
    num("input.transfer.low.max", "UPS.BELKINConfig.BELKINLowVoltageTransferMax", "%.0f"),
    num("input.transfer.low.min", "UPS.BELKINConfig.BELKINLowVoltageTransferMin", "%.0f"),
    fun("input.voltage", "UPS.BELKINPowerState.BELKINInput.BELKINVoltage", DIVIDE_BY_10_CONVERSION),
    num("input.voltage.nominal", "UPS.BELKINConfig.BELKINConfigVoltage", "%.0f"),
    fun("output.frequency", "UPS.BELKINPowerState.BELKINOutput.BELKINFrequency", DIVIDE_BY_10_CONVERSION),
    fun("output.voltage", "UPS.BELKINPowerState.BELKINOutput.BELKINVoltage", DIVIDE_BY_10_CONVERSION),
    conv("ups.beeper.status", "UPS.BELKINControls.BELKINAudibleAlarmControl", Conv::Lookup(BEEPER_INFO)),
    delay("ups.delay.start", "UPS.BELKINControls.BELKINDelayBeforeStartup", "ondelay"),
    delay("ups.delay.shutdown", "UPS.BELKINControls.BELKINDelayBeforeShutdown", "offdelay"),
    num("ups.timer.start", "UPS.BELKINControls.BELKINDelayBeforeStartup", "%.0f").with_flags(QUICK),
    num("ups.timer.shutdown", "UPS.BELKINControls.BELKINDelayBeforeShutdown", "%.0f").with_flags(QUICK),
    num("ups.timer.reboot", "UPS.BELKINControls.BELKINDelayBeforeReboot", "%.0f").with_flags(QUICK),
    fun("ups.firmware", "UPS.BELKINDevice.BELKINUPSType", BELKIN_FIRMWARE_CONVERSION),
    num("ups.load", "UPS.BELKINPowerState.BELKINOutput.BELKINPercentLoad", "%.0f"),
    num("ups.load.high", "UPS.BELKINConfig.BELKINConfigOverloadTransfer", "%.0f"),
    conv("ups.mfr.date", "UPS.PowerSummary.ManufacturerDate", Conv::Date),
    num("ups.power.nominal", "UPS.BELKINConfig.BELKINConfigApparentPower", "%.0f"),
    conv("ups.serial", "UPS.PowerSummary.iSerialNumber", Conv::StringId),
    conv("ups.test.result", "UPS.BELKINControls.BELKINTest", Conv::Lookup(BELKIN_TEST_INFO)),
    fun("ups.type", "UPS.BELKINDevice.BELKINUPSType", BELKIN_UPSTYPE_CONVERSION),
    // Liebert PSA
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f").with_flags(QUICK),
    fun("input.frequency", "UPS.Input.Frequency", DIVIDE_BY_10_CONVERSION),
    fun("input.voltage", "UPS.Input.Voltage", LIEBERT_LINE_VOLTAGE_INFO),
    fun("output.voltage", "UPS.Output.Voltage", LIEBERT_LINE_VOLTAGE_INFO),
    fun("battery.voltage", "UPS.PowerSummary.Voltage", LIEBERT_LINE_VOLTAGE_INFO),
    fun("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", LIEBERT_CONFIG_VOLTAGE_INFO)
        .with_flags(flag::STATIC),
    num("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    // Liebert PSI5
    num("input.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f"),
    fun("input.frequency", "UPS.PowerConverter.Input.Frequency", DIVIDE_BY_100_CONVERSION),
    fun("input.voltage", "UPS.PowerConverter.Input.Voltage", LIEBERT_LINE_VOLTAGE_INFO),
    num("output.voltage.nominal", "UPS.Flow.ConfigVoltage", "%.0f"),
    fun("output.frequency", "UPS.PowerConverter.Output.Frequency", DIVIDE_BY_100_CONVERSION),
    fun("output.voltage", "UPS.PowerConverter.Output.Voltage", LIEBERT_LINE_VOLTAGE_INFO),
    num("ups.load", "UPS.OutletSystem.Outlet.PercentLoad", "%.0f"),
    fun("battery.voltage", "UPS.BatterySystem.Battery.Voltage", LIEBERT_LINE_VOLTAGE_INFO),
    num("battery.voltage.nominal", "UPS.BatterySystem.Battery.ConfigVoltage", "%.0f"),
    num("battery.capacity", "UPS.Flow.ConfigApparentPower", "%.0f"),
    // status
    stmap("UPS.PowerSummary.Discharging", LIEBERT_DISCHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.Charging", LIEBERT_CHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.ShutdownImminent", LIEBERT_SHUTDOWNIMM_INFO),
    stmap("UPS.PowerSummary.ACPresent", LIEBERT_ONLINE_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", LIEBERT_DISCHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Charging", LIEBERT_CHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", LIEBERT_SHUTDOWNIMM_INFO),
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", LIEBERT_ONLINE_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", LIEBERT_REPLACEBATT_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LIEBERT_LOWBATT_INFO)
        .with_flags(QUICK),
    stmap("UPS.BELKINStatus.BELKINPowerStatus", BELKIN_OVERLOAD_CONVERSION),
    stmap("UPS.BELKINStatus.BELKINPowerStatus", BELKIN_OVERHEAT_CONVERSION),
    stmap("UPS.BELKINStatus.BELKINPowerStatus", BELKIN_COMMFAULT_CONVERSION),
    stmap("UPS.BELKINStatus.BELKINPowerStatus", BELKIN_AWAITINGPOWER_CONVERSION),
    stmap("UPS.BELKINStatus.BELKINPowerStatus", BELKIN_ONLINE_CONVERSION).with_flags(QUICK),
    stmap("UPS.BELKINStatus.BELKINBatteryStatus", BELKIN_DEPLETED_CONVERSION).with_flags(QUICK),
    stmap("UPS.BELKINStatus.BELKINBatteryStatus", BELKIN_REPLACEBATT_CONVERSION),
    stmap("UPS.BELKINStatus.BELKINBatteryStatus", BELKIN_LOWBATT_CONVERSION).with_flags(QUICK),
];

/// The instant commands of `belkin_hid2nut`, in NUT's order.
pub const CMDS: &[CmdMap] = &[
    cmd("test.battery.start.quick", "UPS.BELKINControls.BELKINTest", "1"),
    cmd("test.battery.start.deep", "UPS.BELKINControls.BELKINTest", "2"),
    cmd("test.battery.stop", "UPS.BELKINControls.BELKINTest", "3"),
    cmd("beeper.on", "UPS.BELKINControls.BELKINAudibleAlarmControl", "2"),
    cmd("beeper.off", "UPS.BELKINControls.BELKINAudibleAlarmControl", "3"),
    cmd("beeper.disable", "UPS.BELKINControls.BELKINAudibleAlarmControl", "1"),
    cmd("beeper.enable", "UPS.BELKINControls.BELKINAudibleAlarmControl", "2"),
    cmd("beeper.mute", "UPS.BELKINControls.BELKINAudibleAlarmControl", "3"),
    cmd("load.off", "UPS.BELKINControls.BELKINDelayBeforeShutdown", "1"),
    cmd("load.on", "UPS.BELKINControls.BELKINDelayBeforeStartup", "1"),
    cmd("load.off.delay", "UPS.BELKINControls.BELKINDelayBeforeShutdown", "20"),
    cmd("load.on.delay", "UPS.BELKINControls.BELKINDelayBeforeStartup", "30"),
    cmd("shutdown.stop", "UPS.BELKINControls.BELKINDelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.BELKINControls.BELKINDelayBeforeReboot", "10"),
];

/// NUT's `belkin_format_mfr`: the USB manufacturer string without leading spaces, "Belkin"
/// when there is none or it is empty.
pub fn format_mfr(vendor: Option<&str>) -> String {
    match vendor.map(|v| v.trim_start_matches(' ')) {
        Some(v) if !v.is_empty() => v.to_string(),
        _ => "Belkin".into(),
    }
}

/// NUT's `belkin_format_model`: the USB product string, "unknown" when there is none or it
/// is empty.
pub fn format_model(product: Option<&str>) -> String {
    match product {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => "unknown".into(),
    }
}

/// The subdriver. Its `mfr` is the fallback of [`format_mfr`].
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Belkin/Liebert HID 0.23",
    usages: &[USAGES],
    vars: VARS,
    cmds: CMDS,
    mfr: "Belkin",
    common: false,
    fix_report_desc: None,
    identity: Some(identity),
    state: Some(super::liebert::new_state),
};

/// NUT's `belkin_format_mfr` ([`format_mfr`]), `belkin_format_model` ([`format_model`]) and
/// `belkin_format_serial`: the USB serial string, else the string
/// `UPS.PowerSummary.iSerialNumber` points at, else none.
pub fn identity(id: &mut Identity<'_>) -> Names {
    let serial = match id.serial {
        Some(s) => Some(s.to_string()),
        None => id.device.string_at("UPS.PowerSummary.iSerialNumber").filter(|s| !s.is_empty()),
    };
    Names {
        mfr: Some(format_mfr(id.vendor)),
        model: Some(format_model(id.product)),
        serial,
        ..Names::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(map: BoolInfo, v: i64) -> Option<Bits> {
        map.iter().find(|(k, _)| *k == v).map(|(_, b)| *b)
    }

    #[test]
    fn belkin_ups_type_byte() {
        // High nibble: firmware version; low nibble: the kind of UPS.
        assert_eq!(firmware(0x52 as f64).as_deref(), Some("5"));
        assert_eq!(upstype(0x52 as f64).as_deref(), Some("line-interactive"));
        assert_eq!(upstype(0x50 as f64).as_deref(), Some("online"));
        assert_eq!(upstype(0x5f as f64).as_deref(), Some("online"));
        assert_eq!(upstype(0x05 as f64).as_deref(), Some("simple line-interactive"));
        assert_eq!(sensitivity(0.0).as_deref(), Some("normal"));
        assert_eq!(sensitivity(1.0).as_deref(), Some("reduced"));
        assert_eq!(sensitivity(2.0).as_deref(), Some("low"));
        assert_eq!(sensitivity(9.0).as_deref(), Some("normal"));
    }

    #[test]
    fn status_words_are_bit_tests() {
        // Power status: bit 0 AC failure, 4 overload, 6 overheat, 7 fault, 13 awaiting power.
        assert_eq!(lookup(BELKIN_ONLINE_CONVERSION, 0), Some(&[(Online, true), (Offline, false)][..]));
        assert_eq!(lookup(BELKIN_ONLINE_CONVERSION, 0x2011), Some(&[(Online, false)][..]));
        assert_eq!(lookup(BELKIN_OVERLOAD_CONVERSION, 0x0011), Some(&[(Overload, true)][..]));
        assert_eq!(lookup(BELKIN_OVERLOAD_CONVERSION, 0x80c1), Some(&[(Overload, false)][..]));
        assert_eq!(lookup(BELKIN_AWAITINGPOWER_CONVERSION, 0xa000), Some(&[(AwaitingPower, true)][..]));
        assert_eq!(lookup(BELKIN_COMMFAULT_CONVERSION, 0x0080), Some(&[(CommFault, true)][..]));
        assert_eq!(lookup(BELKIN_OVERHEAT_CONVERSION, 0x0040), Some(&[(Overheat, true)][..]));
        // An undocumented bit (1) leaves the status alone.
        assert_eq!(lookup(BELKIN_OVERLOAD_CONVERSION, 0x0012), None);
        // Battery status byte: bit 2 low, 6 empty, 7 replace; every byte value is covered.
        assert_eq!(BELKIN_LOWBATT_CONVERSION.len(), 256);
        assert_eq!(lookup(BELKIN_LOWBATT_CONVERSION, 0x14), Some(&[(LowBatt, true)][..]));
        assert_eq!(lookup(BELKIN_DEPLETED_CONVERSION, 0x44), Some(&[(Depleted, true)][..]));
        assert_eq!(lookup(BELKIN_REPLACEBATT_CONVERSION, 0x7f), Some(&[(ReplaceBatt, false)][..]));
        assert_eq!(lookup(BELKIN_REPLACEBATT_CONVERSION, 0x80), Some(&[(ReplaceBatt, true)][..]));
        // Every combination of the 7 documented power status bits is distinct.
        let mut values: Vec<i64> = BELKIN_OVERLOAD_CONVERSION.iter().map(|(v, _)| *v).collect();
        values.sort_unstable();
        values.dedup();
        assert_eq!(values.len(), 128);
    }

    #[test]
    fn liebert_voltage_exponents() {
        // NUT's own cases: 1.39e-06 is 13.9 V and 2.201e-05 220.1 V (factor 1e7);
        // 0.000273 is 27.3 V and 0.001212 121.2 V (factor 1e5); 230 and 24 stay.
        assert_eq!(line_voltage(1.39e-06).as_deref(), Some("13.9"));
        assert_eq!(line_voltage(2.201e-05).as_deref(), Some("220.1"));
        assert_eq!(line_voltage(0.000273).as_deref(), Some("27.3"));
        assert_eq!(line_voltage(0.001212).as_deref(), Some("121.2"));
        assert_eq!(line_voltage(230.0).as_deref(), Some("230.0"));
        assert_eq!(line_voltage(0.5).as_deref(), Some("0.5"));
        assert_eq!(config_voltage(1e-7).as_deref(), Some("10.0"));
        assert_eq!(config_voltage(24.0).as_deref(), Some("24.0"));
        // NUT's 10-byte buffer.
        assert_eq!(line_voltage(123456789.0).as_deref(), Some("123456789"));
    }

    #[test]
    fn identity() {
        assert_eq!(format_mfr(Some("  Belkin International")), "Belkin International");
        assert_eq!(format_mfr(Some("   ")), "Belkin");
        assert_eq!(format_mfr(None), "Belkin");
        assert_eq!(format_model(Some("")), "unknown");
        assert_eq!(format_model(Some("F6C1200-UNV")), "F6C1200-UNV");
    }
}
