//! NUT 2.8.5's `powercom-hid` ("PowerCOM HID 0.74"): Powercom units (USB vendor 0d9f).
//!
//! The table is NUT's `powercom_hid2nut`, in NUT's order. Powercom encodes its delays in its
//! own way (minutes and seconds in separate bytes, in an order that changed between
//! firmwares, or an index into a table of fixed delays); the conversion functions below are
//! NUT's, as pure functions with the two options that select the dialect passed in, and
//! wrappers for the tables that read them from the driver's settings
//! ([`powercom`]). NUT's battery voltage workaround reads report 0xa4 through
//! the subdriver state ([`PowercomState`]).

use std::sync::atomic::{AtomicU8, Ordering};

use nut_hid::usage::POWERCOM;

use super::nut_lookups::{
    byte_bits, BOOST_INFO, CHARGING_INFO, COMMFAULT_INFO, DISCHARGING_INFO, LOWBATT_INFO, NOBATTERY_INFO,
    ONLINE_INFO, OVERLOAD_INFO, REPLACEBATT_INFO, SHUTDOWNIMM_INFO, TEST_READ_INFO, TIMELIMITEXPIRED_INFO,
    TRIM_INFO,
};
use super::StatusBit::{self, *};
use super::{
    absent, cmd, cmd_conv, conv, flag, fun, num, stmap, CmdMap, Conv, ConvFn, DeviceView, Subdriver,
    SubdriverState, VarMap,
};

// ---------------------------------------------------------------------------------------
// Conversion functions (pure).

/// C's `atoi`: leading blanks, an optional sign, then digits; anything else ends the number
/// (and no digits at all is 0). Saturates instead of overflowing.
fn atoi(s: &str) -> i64 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    let n = if neg { -n } else { n };
    n.clamp(i64::from(i32::MIN), i64::from(i32::MAX))
}

/// C's conversion of a reading to `uint16_t` (values out of range do not occur on real
/// devices; they saturate here).
fn as_u16(value: f64) -> u16 {
    value as u16
}

/// `ups.timer.start` from DelayBeforeStartup: minutes, bytes swapped; in seconds.
pub fn startup_text(value: f64) -> String {
    let i = u32::from(as_u16(value));
    (60 * (((i & 0x00ff) << 8) + (i >> 8))).to_string()
}

/// `ups.timer.shutdown` from DelayBeforeShutdown: minutes and seconds in the two bytes (high
/// byte minutes; low byte minutes with `byte_order_fallback`); in seconds.
pub fn shutdown_text(value: f64, byte_order_fallback: bool) -> String {
    let i = u32::from(as_u16(value));
    let secs = if byte_order_fallback { 60 * (i & 0x00ff) + (i >> 8) } else { 60 * (i >> 8) + (i & 0x00ff) };
    secs.to_string()
}

/// The seconds a delay command uses: the given value, else the configured delay, else the
/// variable's current value, else the default (NUT's order).
fn delay_seconds(value: Option<&str>, configured: Option<&str>, current: Option<&str>, default: i64) -> i64 {
    [value, configured, current].into_iter().flatten().find(|s| !s.is_empty()).map_or(default, atoi)
}

/// The value to write to DelayBeforeStartup for a start-up delay in seconds (whole minutes:
/// the count itself with `discrete_delay`, else with its two bytes swapped). `value`,
/// `ondelay` and `current` (`ups.delay.start`) as [NUT takes them](delay_seconds); default
/// 2 minutes. Out of range gives 0, as NUT.
pub fn startup_command(
    value: Option<&str>,
    ondelay: Option<&str>,
    current: Option<&str>,
    discrete_delay: bool,
) -> f64 {
    let minutes =
        [value, ondelay, current].into_iter().flatten().find(|s| !s.is_empty()).map_or(2, |s| atoi(s) / 60);
    if minutes < 0 {
        return 0.0;
    }
    if discrete_delay {
        minutes as f64
    } else {
        f64::from((minutes as u16).swap_bytes())
    }
}

/// NUT's "table of possible delays for shutdown commands" (Raptor and Smart KING Pro
/// series): the index of the first delay at least as long as asked, 18 (10 minutes) beyond.
pub fn discrete_delay_index(seconds: i64) -> u16 {
    const STEPS: [i64; 17] = [12, 18, 24, 30, 36, 42, 48, 54, 60, 120, 180, 240, 300, 360, 420, 480, 540];
    STEPS.iter().position(|&s| seconds <= s).map_or(18, |i| i as u16 + 1)
}

/// Minutes and seconds of a delay in Powercom's two bytes, with the restart flag: normal
/// order has minutes in the high byte and the flag `normal_flag` in the seconds byte;
/// `byte_order_fallback` swaps the bytes (flag `fallback_flag`). 0 seconds means 1 (0 would
/// ask for the longest delay).
fn min_sec(seconds: i64, byte_order_fallback: bool, normal_flag: u16, fallback_flag: u16) -> u16 {
    let val = if seconds == 0 { 1 } else { seconds as u16 };
    if byte_order_fallback {
        ((val % 60) << 8).wrapping_add(val / 60) | fallback_flag
    } else {
        ((val / 60) << 8).wrapping_add(val % 60) | normal_flag
    }
}

/// The value to write to DelayBeforeShutdown for a shutdown that restarts when power returns
/// (`shutdown.return`): `value`, `offdelay` and `current` (`ups.delay.shutdown`) as
/// [NUT takes them](delay_seconds), default 60 s; out of 0..=65535 gives 0.
pub fn shutdown_command(
    value: Option<&str>,
    offdelay: Option<&str>,
    current: Option<&str>,
    byte_order_fallback: bool,
    discrete_delay: bool,
) -> f64 {
    let secs = delay_seconds(value, offdelay, current, 60);
    if !(0..=i64::from(u16::MAX)).contains(&secs) {
        return 0.0;
    }
    if discrete_delay {
        return f64::from(discrete_delay_index(secs));
    }
    f64::from(min_sec(secs, byte_order_fallback, 0x0040, 0x4000))
}

/// The value to write to DelayBeforeShutdown for a shutdown that stays off
/// (`shutdown.stayoff`, `load.off`): as [`shutdown_command`] with the "restart disabled" flag
/// and no discrete dialect (NUT has none for it).
pub fn stayoff_command(
    value: Option<&str>,
    offdelay: Option<&str>,
    current: Option<&str>,
    byte_order_fallback: bool,
) -> f64 {
    let secs = delay_seconds(value, offdelay, current, 60);
    if !(0..=i64::from(u16::MAX)).contains(&secs) {
        return 0.0;
    }
    f64::from(min_sec(secs, byte_order_fallback, 0x0080, 0x8000))
}

/// Report 0xa4 of the units that need NUT's battery voltage workaround: it holds part of a
/// Megatec "Q1" status line (" 13.7 2", " 26.6 3"): the first number with a decimal point
/// is the battery voltage. `report` starts with the report id.
pub const BATTERY_VOLTAGE_REPORT: u8 = 0xa4;

/// NUT's `powercom_hack_voltage` parsing: the battery voltage in report
/// [`BATTERY_VOLTAGE_REPORT`] (at most 7 characters after the id), or `None` when the text
/// holds no decimal number there (NUT then keeps the last good reading).
pub fn battery_voltage_from_report(report: &[u8]) -> Option<String> {
    let text: Vec<u8> = report.iter().skip(1).take(7).copied().take_while(|&b| b != 0).collect();
    let start = text.iter().position(|&b| b.is_ascii_digit() || b == b'.')?;
    let num: Vec<u8> =
        text[start..].iter().copied().take_while(|&b| b.is_ascii_digit() || b == b'.').collect();
    let s = String::from_utf8(num).ok()?;
    (!s.is_empty() && s.contains('.')).then_some(s)
}

// ---------------------------------------------------------------------------------------
// The lookup tables.

/// The Powercom options in effect: (`powercom_sdcmd_byte_order_fallback`,
/// `powercom_sdcmd_discrete_delay`), from the driver's settings.
fn options() -> (bool, bool) {
    let f = powercom();
    (f.byte_order_fallback, f.discrete_delay)
}

fn startup_fun(v: f64) -> Option<String> {
    Some(startup_text(v))
}

fn startup_nuf(s: &str) -> Option<f64> {
    Some(startup_command(Some(s), None, None, options().1))
}

fn shutdown_fun(v: f64) -> Option<String> {
    Some(shutdown_text(v, options().0))
}

fn shutdown_nuf(s: &str) -> Option<f64> {
    let (fallback, discrete) = options();
    Some(shutdown_command(Some(s), None, None, fallback, discrete))
}

fn no_text(_: f64) -> Option<String> {
    None
}

fn stayoff_nuf(s: &str) -> Option<f64> {
    Some(stayoff_command(Some(s), None, None, options().0))
}

fn voltage_fun(v: f64) -> Option<String> {
    Some(format!("{:.0}", v * 4.0))
}

/// `powercom_startup_info`.
pub const STARTUP: ConvFn =
    ConvFn { name: "powercom_startup_info", fun: startup_fun, nuf: Some(startup_nuf), rows: &[] };
/// `powercom_shutdown_info`.
pub const SHUTDOWN: ConvFn =
    ConvFn { name: "powercom_shutdown_info", fun: shutdown_fun, nuf: Some(shutdown_nuf), rows: &[] };
/// `powercom_stayoff_info` (write only).
pub const STAYOFF: ConvFn =
    ConvFn { name: "powercom_stayoff_info", fun: no_text, nuf: Some(stayoff_nuf), rows: &[] };
/// `powercom_voltage_conversion`: the reading times 4.
pub const VOLTAGE: ConvFn =
    ConvFn { name: "powercom_voltage_conversion", fun: voltage_fun, nuf: None, rows: &[] };
/// `powercom_hack_voltage_lkp`: NUT maps `battery.voltage` to ACPresent (always read) and,
/// ignoring that value, reads report [`BATTERY_VOLTAGE_REPORT`] itself ([`PowercomState`];
/// without the state this publishes nothing).
pub const HACK_VOLTAGE: ConvFn =
    ConvFn { name: "powercom_hack_voltage_lkp", fun: no_text, nuf: None, rows: &[] };

/// `powercom_beeper_info`.
pub const BEEPER: &[(i64, &str)] = &[(1, "enabled"), (2, "disabled")];

type Bits = &'static [(StatusBit, bool)];
type ByteTable = [(i64, Bits); 256];

// The status byte of the older (0d9f:0001) units, one NUT conversion function each.
const UPSFAIL: ByteTable = byte_bits(0x01, 0x01, &[(FanFailure, true)], &[(FanFailure, false)]);
const BADBATT: ByteTable = byte_bits(0x02, 0x02, &[(ReplaceBatt, true)], &[(ReplaceBatt, false)]);
const TEST: ByteTable = byte_bits(0x04, 0x04, &[(Calibration, true)], &[(Calibration, false)]);
const SDIMM: ByteTable = byte_bits(0x10, 0x10, &[(ShutdownImminent, true)], &[(ShutdownImminent, false)]);
// Bit 0 is "on inverter": set clears online, clear sets it (and clears offline).
const LINE: ByteTable = byte_bits(0x01, 0x00, &[(Online, true), (Offline, false)], &[(Online, false)]);
const BATLOW: ByteTable = byte_bits(0x02, 0x02, &[(LowBatt, true)], &[(LowBatt, false)]);
const AVR_TRIM: ByteTable = byte_bits(0x18, 0x08, &[(Trim, true)], &[(Trim, false)]);
const AVR_BOOST: ByteTable = byte_bits(0x18, 0x18, &[(Boost, true)], &[(Boost, false)]);
const OVERLOADED: ByteTable = byte_bits(0x20, 0x20, &[(Overload, true)], &[(Overload, false)]);

const QUICK: u8 = flag::QUICK_POLL;
const STATIC: u8 = flag::STATIC;

const ICC: &str = "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomInternalChargeController";
const PBS: &str = "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomPrimaryBatterySupport";

/// Variables and status bits (NUT's `powercom_hid2nut`, without its unmapped debug entries).
pub const VARS: &[VarMap] = &[
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO),
    stmap("UPS.PowerSummary.PresentStatus.BatteryPresent", NOBATTERY_INFO),
    stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO),
    stmap("UPS.PowerSummary.PresentStatus.CommunicationLost", COMMFAULT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO),
    stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", REPLACEBATT_INFO),
    stmap("UPS.PowerSummary.PresentStatus.Overload", OVERLOAD_INFO),
    stmap("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", TIMELIMITEXPIRED_INFO),
    stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO),
    stmap("UPS.PresentStatus.ACPresent", ONLINE_INFO),
    stmap("UPS.PresentStatus.BatteryPresent", NOBATTERY_INFO),
    stmap("UPS.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO),
    stmap("UPS.PresentStatus.Boost", BOOST_INFO),
    stmap("UPS.PresentStatus.Buck", TRIM_INFO),
    stmap("UPS.PresentStatus.Charging", CHARGING_INFO),
    stmap("UPS.PresentStatus.CommunicationLost", COMMFAULT_INFO),
    stmap("UPS.PresentStatus.Discharging", DISCHARGING_INFO),
    stmap("UPS.PresentStatus.NeedReplacement", REPLACEBATT_INFO),
    stmap("UPS.PresentStatus.Overload", OVERLOAD_INFO),
    stmap("UPS.PresentStatus.RemainingTimeLimitExpired", TIMELIMITEXPIRED_INFO),
    stmap("UPS.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO),
    fun("battery.voltage", "UPS.PowerSummary.PresentStatus.ACPresent", HACK_VOLTAGE),
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    num("battery.charge", "UPS.Battery.RemainingCapacity", "%.0f"),
    num("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
    num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
    num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    conv("battery.mfr.date", "UPS.Battery.ManufacturerDate", Conv::Date).with_flags(STATIC),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId).with_flags(STATIC),
    conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER)),
    conv("ups.beeper.status", "UPS.AudibleAlarmControl", Conv::Lookup(BEEPER)),
    num("ups.load", "UPS.Output.PercentLoad", "%.0f"),
    conv("ups.date", "UPS.PowerSummary.ManufacturerDate", Conv::Date).with_flags(STATIC),
    conv("ups.test.result", "UPS.Battery.Test", Conv::Lookup(TEST_READ_INFO)),
    // Delays: Powercom's own encodings (see STARTUP / SHUTDOWN).
    absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "60").with_len(8),
    fun("ups.timer.start", "UPS.PowerSummary.DelayBeforeStartup", STARTUP),
    absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay").with_len(8),
    fun("ups.timer.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", SHUTDOWN).with_flags(QUICK),
    absent("ups.delay.shutdown", "UPS.PowerSummary.PCMDelayBeforeShutdown", "offdelay").with_len(8),
    fun("ups.timer.shutdown", "UPS.PowerSummary.PCMDelayBeforeShutdown", SHUTDOWN).with_flags(QUICK),
    num("input.voltage", "UPS.Input.Voltage", "%.1f"),
    num("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f").with_flags(STATIC),
    num("input.frequency", "UPS.Input.Frequency", "%.1f"),
    num("output.voltage", "UPS.Output.Voltage", "%.1f"),
    num("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f").with_flags(STATIC),
    num("output.frequency", "UPS.Output.Frequency", "%.1f"),
    // The older units (0d9f:0001) with Powercom's own usage page.
    conv("ups.serial", "PowercomUPS.PowercomSerialNumber", Conv::StringId),
    conv("ups.mfr", "PowercomUPS.PowercomManufacturerName", Conv::StringId),
    conv("ups.mfr.date", "PowercomUPS.PowercomManufacturerDate", Conv::Date),
    num("battery.temperature", "PowercomUPS.PowercomBatterySystem.PowercomTemperature", "%.0f"),
    num("battery.temperature", "UPS.Battery.Temperature", "%.1f"),
    num("battery.charge", "PowercomUPS.PowercomBatterySystem.PowercomVoltage", "%.0f"),
    num("input.frequency", "PowercomUPS.PowercomPowerConverter.PowercomInput.PowercomFrequency", "%.0f"),
    fun("input.voltage", "PowercomUPS.PowercomPowerConverter.PowercomInput.PowercomVoltage", VOLTAGE),
    fun("output.voltage", "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomVoltage", VOLTAGE),
    num("ups.load", "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomPercentLoad", "%.0f"),
    stmap(ICC, &UPSFAIL).with_flags(QUICK),
    stmap(ICC, &BADBATT).with_flags(QUICK),
    stmap(ICC, &TEST).with_flags(QUICK),
    stmap(ICC, &SDIMM).with_flags(QUICK),
    stmap(PBS, &LINE).with_flags(QUICK),
    stmap(PBS, &BATLOW).with_flags(QUICK),
    stmap(PBS, &AVR_TRIM).with_flags(QUICK),
    stmap(PBS, &AVR_BOOST).with_flags(QUICK),
    stmap(PBS, &OVERLOADED).with_flags(QUICK),
    num("output.frequency", "PowercomUPS.PowercomPowerConverter.PowercomOutput.PowercomFrequency", "%.0f"),
    conv("ups.test.result", "PowercomUPS.PowercomPowerConverter.PowercomTest", Conv::Lookup(TEST_READ_INFO)),
    num("ups.delay.shutdown", "PowercomUPS.PowercomPowerConverter.PowercomDelayBeforeShutdown", "%.0f"),
    num("ups.delay.start", "PowercomUPS.PowercomPowerConverter.PowercomDelayBeforeStartup", "%.0f"),
];

/// Instant commands, in NUT's order. Those NUT converts with a Powercom function
/// (`info_lkp_t.nuf`) carry it: NUT's table gives no value for most of them, and the
/// conversion then takes the configured delay (`ondelay`/`offdelay`), else the current
/// `ups.delay.start`/`ups.delay.shutdown`; since NUT sets those two variables from the
/// configured delays at start-up, that is the current `ups.delay.*`, which the engine's
/// `ondelay`/`offdelay` tokens stand for. See [`startup_command`], [`shutdown_command`],
/// [`stayoff_command`].
pub const CMDS: &[CmdMap] = &[
    cmd("beeper.toggle", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "0"),
    cmd("test.battery.start.quick", "UPS.Battery.Test", "1"),
    cmd_conv("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", "ondelay", Conv::Fun(STARTUP)),
    cmd_conv("shutdown.return", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay", Conv::Fun(SHUTDOWN)),
    cmd_conv("shutdown.stayoff", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay", Conv::Fun(STAYOFF)),
    cmd_conv("load.on", "UPS.PowerSummary.PCMDelayBeforeStartup", "0", Conv::Fun(STARTUP)),
    cmd_conv("load.off", "UPS.PowerSummary.PCMDelayBeforeShutdown", "0", Conv::Fun(STAYOFF)),
    cmd_conv("shutdown.return", "UPS.PowerSummary.PCMDelayBeforeShutdown", "offdelay", Conv::Fun(SHUTDOWN)),
    cmd_conv("shutdown.stayoff", "UPS.PowerSummary.PCMDelayBeforeShutdown", "offdelay", Conv::Fun(STAYOFF)),
    cmd("load.off", "PowercomUPS.PowercomPowerConverter.PowercomDelayBeforeShutdown", "0"),
];

/// What NUT's powercom-hid keeps between readings: the last battery voltage read from
/// report [`BATTERY_VOLTAGE_REPORT`] ("0.0" until one is read, which NUT publishes then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowercomState {
    /// The last valid battery voltage text.
    pub last_valid: String,
}

impl Default for PowercomState {
    fn default() -> Self {
        PowercomState { last_valid: "0.0".into() }
    }
}

impl PowercomState {
    /// NUT's `powercom_hack_voltage`: the voltage in `report` (report 0xa4 as read, `None`
    /// when it could not be read), else the last valid one.
    pub fn battery_voltage(&mut self, report: Option<&[u8]>) -> String {
        if let Some(v) = report.and_then(battery_voltage_from_report) {
            self.last_valid = v;
        }
        self.last_valid.clone()
    }
}

impl SubdriverState for PowercomState {
    fn convert(&mut self, f: &ConvFn, _v: f64, dev: &mut dyn DeviceView) -> Option<Option<String>> {
        (f.name == HACK_VOLTAGE.name).then(|| {
            let report = dev.feature_report(BATTERY_VOLTAGE_REPORT);
            Some(self.battery_voltage(report.as_deref()))
        })
    }
}

fn new_state() -> Box<dyn SubdriverState> {
    Box::<PowercomState>::default()
}

/// The subdriver: model = USB product string, manufacturer = USB manufacturer string or
/// "PowerCOM", serial = USB serial string, as NUT's `powercom_format_*`. NUT's generic (no-op)
/// `fix_report_desc`.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "PowerCOM HID 0.74",
    usages: &[POWERCOM],
    vars: VARS,
    cmds: CMDS,
    mfr: "PowerCOM",
    common: false,
    fix_report_desc: None,
    identity: None,
    state: Some(new_state),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_atoi() {
        assert_eq!(atoi("120"), 120);
        assert_eq!(atoi("  -7s"), -7);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(""), 0);
        assert_eq!(atoi("99999999999999"), i64::from(i32::MAX));
    }

    // Protocol examples: "Software_USB_communication_controller_SKP_series" (NUT's comments):
    // DelayBeforeShutdown reads minutes and seconds; DelayBeforeStartup minutes.
    #[test]
    fn timers_read_back_in_seconds() {
        assert_eq!(shutdown_text(f64::from(0x0105u16), false), "65"); // 1 min 5 s
        assert_eq!(shutdown_text(f64::from(0x0501u16), true), "65"); // old byte order
        assert_eq!(shutdown_text(0.0, false), "0");
        assert_eq!(startup_text(f64::from(0x0200u16)), "120"); // 2 minutes, bytes swapped
        assert_eq!(startup_text(f64::from(0x0002u16)), "30720");
    }

    #[test]
    fn shutdown_return_and_stayoff_encodings() {
        // 90 s = 1 min 30 s; restart flag 0x40 in the seconds byte (0x4000 when swapped).
        assert_eq!(shutdown_command(Some("90"), None, None, false, false), f64::from(0x015eu16));
        assert_eq!(shutdown_command(Some("90"), None, None, true, false), f64::from(0x5e01u16));
        assert_eq!(stayoff_command(Some("90"), None, None, false), f64::from(0x019eu16));
        assert_eq!(stayoff_command(Some("90"), None, None, true), f64::from(0x9e01u16));
        // 0 s would mean "longest delay": sent as 1 s.
        assert_eq!(stayoff_command(Some("0"), None, None, false), f64::from(0x0081u16));
        // Out of range: NUT writes 0.
        assert_eq!(shutdown_command(Some("70000"), None, None, false, false), 0.0);
        assert_eq!(shutdown_command(Some("-5"), None, None, false, false), 0.0);
    }

    #[test]
    fn delay_sources_in_nut_order() {
        // Given value, then the configured offdelay, then ups.delay.shutdown, then 60 s.
        let enc = |v, c, cur| stayoff_command(v, c, cur, false);
        assert_eq!(enc(Some("30"), Some("120"), Some("20")), f64::from(30u16 | 0x80));
        assert_eq!(enc(None, Some("120"), Some("20")), f64::from(0x0200u16 | 0x80));
        assert_eq!(enc(Some(""), None, Some("20")), f64::from(20u16 | 0x80));
        assert_eq!(enc(None, None, None), f64::from(0x0100u16 | 0x80));
        // Start-up: whole minutes, bytes swapped; default 2 minutes.
        assert_eq!(startup_command(Some("180"), None, None, false), f64::from(0x0300u16));
        assert_eq!(startup_command(None, None, None, false), f64::from(0x0200u16));
        assert_eq!(startup_command(Some("59"), None, None, false), 0.0);
        assert_eq!(startup_command(Some("180"), None, None, true), 3.0);
    }

    #[test]
    fn discrete_delays_round_up_to_the_table() {
        for (secs, idx) in
            [(0, 1), (12, 1), (13, 2), (54, 8), (55, 9), (60, 9), (61, 10), (540, 17), (541, 18), (6000, 18)]
        {
            assert_eq!(discrete_delay_index(secs), idx, "{secs} s");
            assert_eq!(shutdown_command(Some(&secs.to_string()), None, None, false, true), f64::from(idx));
        }
    }

    // Report 0xa4 of the BNT-800AP of NUT issue 1695 (testdata
    // 0d9f-0004-powercom-hid-ups-battery-996b): " 26.6 3" on mains; on battery the Q1 line
    // shifts and the bytes there (" 0072 3") hold no decimal number.
    #[test]
    fn q1_battery_voltage() {
        let mains = [0xa4, 0x20, 0x32, 0x36, 0x2e, 0x36, 0x20, 0x33];
        assert_eq!(battery_voltage_from_report(&mains).as_deref(), Some("26.6"));
        let shifted = [0xa4, 0x20, 0x30, 0x30, 0x37, 0x32, 0x20, 0x33];
        assert_eq!(battery_voltage_from_report(&shifted), None);
        assert_eq!(battery_voltage_from_report(b"\xa4 13.7 2").as_deref(), Some("13.7"));
        assert_eq!(battery_voltage_from_report(&[0xa4]), None);
    }

    #[test]
    fn status_byte_tables() {
        // 0x09: on inverter and AVR active in buck (trim) mode.
        let find = |t: &ByteTable, v: usize| t[v].1;
        assert_eq!(find(&LINE, 0x09), &[(Online, false)]);
        assert_eq!(find(&LINE, 0x08), &[(Online, true), (Offline, false)]);
        assert_eq!(find(&AVR_TRIM, 0x09), &[(Trim, true)]);
        assert_eq!(find(&AVR_BOOST, 0x19), &[(Boost, true)]);
        assert_eq!(find(&AVR_TRIM, 0x19), &[(Trim, false)]);
        assert_eq!(find(&OVERLOADED, 0x20), &[(Overload, true)]);
        assert_eq!(find(&TEST, 0x04), &[(Calibration, true)]);
    }

    #[test]
    fn delay_commands_carry_their_conversion() {
        // NUT's table: every DelayBefore* command goes through a Powercom function.
        for c in CMDS.iter().filter(|c| c.path.starts_with("UPS.PowerSummary.") && c.path.contains("Delay")) {
            assert!(matches!(c.conv, Some(Conv::Fun(_))), "{}", c.cmd);
            assert!(!c.value.is_empty(), "{}", c.cmd);
        }
    }

    #[test]
    fn battery_voltage_keeps_the_last_valid_reading() {
        let mut st = PowercomState::default();
        assert_eq!(st.battery_voltage(None), "0.0", "NUT's initial text");
        assert_eq!(st.battery_voltage(Some(b"\xa4 26.6 3")), "26.6");
        assert_eq!(st.battery_voltage(Some(b"\xa4 0072 3")), "26.6");
        assert_eq!(st.battery_voltage(None), "26.6");
    }

    #[test]
    fn voltage_times_four() {
        assert_eq!(voltage_fun(57.0).as_deref(), Some("228"));
    }
}

/// The Powercom shutdown-command flags (NUT's `powercom_sdcmd_byte_order_fallback` and
/// `powercom_sdcmd_discrete_delay`, which NUT reads when the powercom subdriver claims the
/// device).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PowercomFlags {
    /// Send the delays of `shutdown.return`/`shutdown.stayoff` in the byte order of NUT's
    /// powercom-hid before 0.71.
    pub byte_order_fallback: bool,
    /// Convert delays to and from the indexed table of the Raptor / Smart KING Pro protocol.
    pub discrete_delay: bool,
}

static POWERCOM_FLAGS: AtomicU8 = AtomicU8::new(0);

/// The Powercom flags of this driver instance. The powercom subdriver's conversion functions
/// (plain `fn`s in its table, like NUT's) read them here; the driver sets them once at start
/// when the powercom subdriver is in use ([`set_powercom`]). A driver process serves one UPS.
pub fn powercom() -> PowercomFlags {
    let b = POWERCOM_FLAGS.load(Ordering::Relaxed);
    PowercomFlags { byte_order_fallback: b & 1 != 0, discrete_delay: b & 2 != 0 }
}

/// Set the flags [`powercom`] returns.
pub fn set_powercom(f: PowercomFlags) {
    POWERCOM_FLAGS
        .store(u8::from(f.byte_order_fallback) | (u8::from(f.discrete_delay) << 1), Ordering::Relaxed);
}
