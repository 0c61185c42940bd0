//! CyberPower (0764, and Cyber Energy 0483:a430): NUT 2.8.5's `cps-hid` subdriver
//! ("CyberPower HID 0.85") as data: its usage names, its whole `cps_hid2nut` table in NUT's
//! order, its conversion functions and `cps_fix_report_desc`.
//!
//! NUT corrects two firmware faults only on 0764:0501 units (`cps_battery_scale`): input and
//! output frequencies reported in tenths of a hertz without saying so, and battery voltages
//! 1.5 times too high. The frequency fix depends on the value alone (this table publishes no
//! nominal frequency for NUT's guess to start from). The device table gives 0764:0501 the
//! variant [`SUBDRIVER_0501`], whose state ([`CpsState`]) decides each factor once, as NUT
//! does: the frequency factors from the first reading that fits a 50/60 Hz band, the battery
//! factor ([`battery_scale`]) from the first voltage read once `battery.voltage.nominal` is
//! published.

use nut_hid::{Descriptor, Field, UsageTable};

use super::apc::find_field;
use super::nut_lookups::BEEPER_INFO;
use super::nut_lookups::{
    BOOST_INFO, CHARGING_INFO, DISCHARGING_INFO, FULLYCHARGED_INFO, LOWBATT_INFO, ONLINE_INFO, OVERLOAD_INFO,
    REPLACEBATT_INFO, TEST_READ_INFO, TIMELIMITEXPIRED_INFO,
};
use super::{
    cmd, conv, flag, fun, num, stmap, CmdMap, Conv, ConvFn, DeviceView, Subdriver, SubdriverState, VarMap,
};
use crate::transport::DeviceInfo;

/// NUT's usage names for this vendor (`nut_hid::usage::CPS`, from NUT's `*_usage_lkp`).
pub const USAGES: UsageTable = nut_hid::usage::CPS;

fn one_decimal(v: f64) -> String {
    format!("{v:.1}")
}

/// NUT's `cps_battcharge`: the charge, never above 100 %.
pub fn battcharge(value: f64) -> Option<String> {
    Some(format!("{:.0}", value.min(100.0)))
}

/// NUT's `cps_battstatus`: `UPS.PowerSummary.FullChargeCapacity` as a percentage.
pub fn battstatus(value: f64) -> Option<String> {
    Some(format!("{value:.0}%"))
}

/// NUT's `cps_battvolt` with its scale at 1 (see the module text).
pub fn battvolt(value: f64) -> Option<String> {
    Some(one_decimal(value))
}

/// NUT's `cps_adjust_battery_scale`: the factor for `battery.voltage` given the voltage and
/// `battery.voltage.nominal`. A voltage more than 1.4 times the nominal one is read as 2/3 of
/// itself; without a usable nominal voltage nothing is decided (`None`).
pub fn battery_scale(voltage: f64, nominal: f64) -> Option<f64> {
    if nominal == 0.0 || !nominal.is_finite() {
        return None;
    }
    Some(if voltage / nominal > 1.4 { 2.0 / 3.0 } else { 1.0 })
}

/// NUT's `cps_adjust_frequency_scale` as the device is seen by this table (no nominal, low or
/// high frequency published): the factor a reported frequency needs, 1 or 0.1, or `None` when
/// it fits neither 45-65 Hz nor a 50/60 Hz band.
pub fn frequency_scale(report: f64) -> Option<f64> {
    let nominal = if (45.0 < report && report <= 55.0) || (450.0 < report && report <= 550.0) {
        50.0
    } else if (55.0 < report && report <= 65.0) || (550.0 < report && report <= 650.0) {
        60.0
    } else {
        0.0
    };
    let (low, high) = if nominal == 0.0 { (45.0, 65.0) } else { (nominal * 0.95, nominal * 1.05) };
    if low <= report && report <= high {
        Some(1.0)
    } else if low <= report / 10.0 && report / 10.0 <= high {
        Some(0.1)
    } else {
        None
    }
}

/// NUT's `cps_input_freq`/`cps_output_freq` on a 0764:0501 unit.
pub fn freq_scaled(value: f64) -> Option<String> {
    Some(one_decimal(frequency_scale(value).unwrap_or(1.0) * value))
}

/// NUT's `cps_input_freq`/`cps_output_freq` on other units (scale 1).
pub fn freq(value: f64) -> Option<String> {
    Some(one_decimal(value))
}

/// NUT's `cps_battcharge` lookup table.
pub const CPS_BATTCHARGE: ConvFn = ConvFn { name: "cps_battcharge", fun: battcharge, nuf: None, rows: &[] };
/// NUT's `cps_battstatus` lookup table.
pub const CPS_BATTSTATUS: ConvFn = ConvFn { name: "cps_battstatus", fun: battstatus, nuf: None, rows: &[] };
/// NUT's `cps_battvolt` lookup table.
pub const CPS_BATTVOLT: ConvFn = ConvFn { name: "cps_battvolt", fun: battvolt, nuf: None, rows: &[] };
/// NUT's `cps_input_freq` (scale 1).
pub const CPS_INPUT_FREQ: ConvFn = ConvFn { name: "cps_input_freq", fun: freq, nuf: None, rows: &[] };
/// NUT's `cps_output_freq` (scale 1).
pub const CPS_OUTPUT_FREQ: ConvFn = ConvFn { name: "cps_output_freq", fun: freq, nuf: None, rows: &[] };
/// NUT's `cps_input_freq` on 0764:0501.
pub const CPS_INPUT_FREQ_0501: ConvFn =
    ConvFn { name: "cps_input_freq", fun: freq_scaled, nuf: None, rows: &[] };
/// NUT's `cps_output_freq` on 0764:0501.
pub const CPS_OUTPUT_FREQ_0501: ConvFn =
    ConvFn { name: "cps_output_freq", fun: freq_scaled, nuf: None, rows: &[] };

/// NUT's `cps_sensitivity_info`.
pub const CPS_SENSITIVITY_INFO: &[(i64, &str)] = &[(0, "low"), (1, "normal"), (2, "high")];

const QUICK: u8 = flag::QUICK_POLL;
const SEMI: u8 = flag::SEMI_STATIC;
const RW_STRING: u8 = flag::RW | flag::STRING;

const fn rw10(var: &'static str, path: &'static str, fmt: &'static str) -> VarMap {
    num(var, path, fmt).with_flags(RW_STRING | SEMI).with_len(10)
}

/// `HU_FLAG_ABSENT` delays: NUT's table writes `DEFAULT_ONDELAY_CPS` (120 s) and
/// `DEFAULT_OFFDELAY_CPS` (60 s), which are also the defaults of the `ondelay`/`offdelay`
/// options for CyberPower devices, and the options replace them as in NUT: the entries name
/// the configured delays.
const fn delay(var: &'static str, path: &'static str, which: &'static str) -> VarMap {
    super::absent(var, path, which).with_len(10)
}

/// `cps_hid2nut` with the frequency conversions given.
macro_rules! cps_vars {
    ($in_freq:expr, $out_freq:expr) => {
        &[
            // Battery page
            conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId),
            conv("battery.mfr.date", "UPS.Battery.ManufacturerDate", Conv::Date)
                .with_flags(RW_STRING | SEMI)
                .with_len(10),
            conv("battery.mfr.date", "UPS.PowerSummary.iOEMInformation", Conv::StringId),
            num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
            rw10("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f"),
            fun("battery.charge", "UPS.PowerSummary.RemainingCapacity", CPS_BATTCHARGE),
            num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
            rw10("battery.runtime.low", "UPS.PowerSummary.RemainingTimeLimit", "%.0f"),
            num("battery.voltage.nominal", "UPS.PowerSummary.ConfigVoltage", "%.0f"),
            fun("battery.voltage", "UPS.PowerSummary.Voltage", CPS_BATTVOLT),
            fun("battery.status", "UPS.PowerSummary.FullChargeCapacity", CPS_BATTSTATUS),
            // UPS page
            num("ups.load", "UPS.Output.PercentLoad", "%.0f"),
            conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER_INFO)),
            conv("ups.test.result", "UPS.Output.Test", Conv::Lookup(TEST_READ_INFO)),
            num("ups.power", "UPS.Output.ApparentPower", "%.0f"),
            num("ups.power.nominal", "UPS.Output.ConfigApparentPower", "%.0f"),
            num("ups.realpower", "UPS.Output.ActivePower", "%.0f"),
            num("ups.realpower.nominal", "UPS.Output.ConfigActivePower", "%.0f"),
            delay("ups.delay.start", "UPS.Output.DelayBeforeStartup", "ondelay"),
            delay("ups.delay.shutdown", "UPS.Output.DelayBeforeShutdown", "offdelay"),
            num("ups.timer.start", "UPS.Output.DelayBeforeStartup", "%.0f").with_flags(QUICK),
            num("ups.timer.shutdown", "UPS.Output.DelayBeforeShutdown", "%.0f").with_flags(QUICK),
            num("ups.timer.reboot", "UPS.Output.DelayBeforeReboot", "%.0f").with_flags(QUICK),
            conv("ups.firmware", "UPS.PowerSummary.CPSFirmwareVersion", Conv::StringId)
                .with_flags(flag::STATIC),
            conv("ups.temperature", "UPS.PowerSummary.Temperature", Conv::KelvinToCelsius),
            // ups.status and ups.alarm
            stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO)
                .with_flags(QUICK),
            stmap("UPS.PowerSummary.PresentStatus.FullyCharged", FULLYCHARGED_INFO),
            stmap("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", TIMELIMITEXPIRED_INFO),
            stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", REPLACEBATT_INFO),
            stmap("UPS.Output.Boost", BOOST_INFO),
            stmap("UPS.Output.Overload", OVERLOAD_INFO),
            // Input page
            VarMap { fmt: "%.1f", ..fun("input.frequency", "UPS.Input.Frequency", $in_freq) },
            num("input.voltage.nominal", "UPS.Input.ConfigVoltage", "%.0f"),
            num("input.voltage", "UPS.Input.Voltage", "%.1f"),
            rw10("input.transfer.low", "UPS.Input.LowVoltageTransfer", "%.0f"),
            rw10("input.transfer.high", "UPS.Input.HighVoltageTransfer", "%.0f"),
            // used by CP1350EPFCLCD
            rw10("input.transfer.low", "UPS.Output.LowVoltageTransfer", "%.0f"),
            rw10("input.transfer.high", "UPS.Output.HighVoltageTransfer", "%.0f"),
            conv("input.sensitivity", "UPS.Output.CPSInputSensitivity", Conv::Lookup(CPS_SENSITIVITY_INFO))
                .with_flags(RW_STRING | SEMI | flag::ENUM),
            // Output page
            VarMap { fmt: "%.1f", ..fun("output.frequency", "UPS.Output.Frequency", $out_freq) },
            num("output.voltage", "UPS.Output.Voltage", "%.1f"),
            num("output.voltage.nominal", "UPS.Output.ConfigVoltage", "%.0f"),
        ]
    };
}

/// NUT's `cps_hid2nut` variables and status entries (scale 1: 0764:0005, 0764:0601, 0483:a430).
pub const VARS: &[VarMap] = cps_vars!(CPS_INPUT_FREQ, CPS_OUTPUT_FREQ);

/// The same for 0764:0501, whose frequencies NUT rescales when they are off by ten.
pub const VARS_0501: &[VarMap] = cps_vars!(CPS_INPUT_FREQ_0501, CPS_OUTPUT_FREQ_0501);

/// The instant commands of `cps_hid2nut`, in NUT's order (`DEFAULT_OFFDELAY_CPS` 60 s,
/// `DEFAULT_ONDELAY_CPS` 120 s).
pub const CMDS: &[CmdMap] = &[
    cmd("test.battery.start.quick", "UPS.Output.Test", "1"),
    cmd("test.battery.start.deep", "UPS.Output.Test", "2"),
    cmd("test.battery.stop", "UPS.Output.Test", "3"),
    cmd("load.off.delay", "UPS.Output.DelayBeforeShutdown", "60"),
    cmd("load.on.delay", "UPS.Output.DelayBeforeStartup", "120"),
    cmd("shutdown.stop", "UPS.Output.DelayBeforeShutdown", "-1"),
    cmd("shutdown.reboot", "UPS.Output.DelayBeforeReboot", "10"),
    cmd("beeper.on", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.off", "UPS.PowerSummary.AudibleAlarmControl", "3"),
    cmd("beeper.enable", "UPS.PowerSummary.AudibleAlarmControl", "2"),
    cmd("beeper.disable", "UPS.PowerSummary.AudibleAlarmControl", "1"),
    cmd("beeper.mute", "UPS.PowerSummary.AudibleAlarmControl", "3"),
];

/// Output and input voltage range NUT sets when it fixes them (`CPS_VOLTAGE_LOGMIN/LOGMAX`).
pub const VOLTAGE_LOGMAX: i64 = 511;
/// The nominal active power maximum NUT sets (`CPS_NOMINALPWR_LOGMAX`).
pub const NOMINAL_POWER_LOGMAX: i64 = 2048;

const USAGE_POW_VOLTAGE: u32 = 0x0084_0030;
const USAGE_POW_CONFIG_ACTIVE_POWER: u32 = 0x0084_0044;
const USAGE_POW_HIGH_VOLTAGE_TRANSFER: u32 = 0x0084_0054;

/// NUT's `assumed_LogMax`: the maximum the parser had to guess (declared below the minimum,
/// read as unsigned: [`Field::assumed_logical_max`]), as it stands now.
fn assumed_max(f: &Field) -> Option<i64> {
    f.assumed_logical_max.then_some(f.logical_max)
}

/// NUT's `cps_fix_report_desc`, for 0764:0501 and 0764:0601 (CP900EPFCLCD, CP1500PFCLCD and
/// kin): (1) output voltage (report 0x12) declared with the high transfer voltage's range
/// (report 0x10) becomes 0..511, and so does the input voltage (report 0x0f) when it has the
/// same fault; (2) an input or output voltage maximum that NUT had to guess (declared below
/// the minimum) is raised to 511 and the two aligned, within the field's size; (3) a nominal
/// active power maximum (report 0x18) below 2048 becomes 2048. Returns the number of fixes.
pub fn fix_report_desc(dev: &DeviceInfo, d: &mut Descriptor) -> usize {
    if dev.vendor_id != 0x0764 || !matches!(dev.product_id, 0x0501 | 0x0601) {
        return 0;
    }
    let mut fixes = 0;
    if let Some((hmin, hmax)) =
        find_field(d, 0x10, USAGE_POW_HIGH_VOLTAGE_TRANSFER).map(|f| (f.logical_min, f.logical_max))
    {
        if let Some(out) = find_field(d, 0x12, USAGE_POW_VOLTAGE) {
            if (out.logical_min, out.logical_max) == (hmin, hmax) {
                out.logical_min = 0;
                out.logical_max = VOLTAGE_LOGMAX;
                if let Some(inp) = find_field(d, 0x0f, USAGE_POW_VOLTAGE) {
                    if (inp.logical_min, inp.logical_max) == (hmin, hmax) {
                        inp.logical_min = 0;
                        inp.logical_max = VOLTAGE_LOGMAX;
                    }
                }
                fixes += 1;
            }
        }
    }
    let out = find_field(d, 0x12, USAGE_POW_VOLTAGE).map(|f| (assumed_max(f), f.logical_max, f.size));
    let inp = find_field(d, 0x0f, USAGE_POW_VOLTAGE).map(|f| (assumed_max(f), f.logical_max, f.size));
    if let (Some((out_assumed, out_decl, out_size)), Some((in_assumed, in_decl, in_size))) = (out, inp) {
        if out_assumed.is_some() || in_assumed.is_some() {
            let mut out_max = out_assumed.unwrap_or(out_decl);
            let mut in_max = in_assumed.unwrap_or(in_decl);
            if out_assumed.is_some() && out_max < VOLTAGE_LOGMAX {
                out_max = VOLTAGE_LOGMAX;
            }
            if in_assumed.is_some() && in_max < VOLTAGE_LOGMAX {
                in_max = VOLTAGE_LOGMAX;
            }
            if out_assumed.is_some() && out_max < in_max {
                out_max = in_max;
            } else if in_assumed.is_some() && in_max < out_max {
                in_max = out_max;
            }
            let cap = |size: u32, v: i64| if size > 1 && size < 63 { v.min((1i64 << size) - 1) } else { v };
            if in_assumed.is_some() {
                in_max = cap(in_size, in_max);
            }
            if out_assumed.is_some() {
                out_max = cap(out_size, out_max);
            }
            if let Some(f) = find_field(d, 0x0f, USAGE_POW_VOLTAGE) {
                if in_max != in_assumed.unwrap_or(in_decl) {
                    fixes += 1;
                }
                f.logical_max = in_max;
            }
            if let Some(f) = find_field(d, 0x12, USAGE_POW_VOLTAGE) {
                if out_max != out_assumed.unwrap_or(out_decl) {
                    fixes += 1;
                }
                f.logical_max = out_max;
            }
        }
    }
    if let Some(p) = find_field(d, 0x18, USAGE_POW_CONFIG_ACTIVE_POWER) {
        if p.logical_max < NOMINAL_POWER_LOGMAX {
            p.logical_max = NOMINAL_POWER_LOGMAX;
            fixes += 1;
        }
    }
    fixes
}

/// The subdriver (0764:0005, 0764:0601, 0483:a430).
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "CyberPower HID 0.85",
    usages: &[USAGES],
    vars: VARS,
    cmds: CMDS,
    mfr: "CPS",
    common: false,
    fix_report_desc: Some(fix_report_desc),
    identity: None,
    state: None,
};

/// The subdriver for 0764:0501 (NUT's `cps_battery_scale` matcher: frequency rescaling).
pub const SUBDRIVER_0501: Subdriver = Subdriver { vars: VARS_0501, state: Some(new_state_0501), ..SUBDRIVER };

/// NUT's `cps_battery_scale` state on 0764:0501: each factor is decided once and kept.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CpsState {
    /// The battery voltage factor, once decided.
    pub battery: Option<f64>,
    /// The input frequency factor, once decided.
    pub input_freq: Option<f64>,
    /// The output frequency factor, once decided.
    pub output_freq: Option<f64>,
}

impl CpsState {
    /// `cps_battvolt` with NUT's `cps_adjust_battery_scale`: `nominal` is the published
    /// `battery.voltage.nominal` (the factor waits for it).
    pub fn battery_voltage(&mut self, value: f64, nominal: Option<f64>) -> String {
        if self.battery.is_none() {
            self.battery = nominal.and_then(|n| battery_scale(value, n));
        }
        one_decimal(self.battery.unwrap_or(1.0) * value)
    }

    /// `cps_input_freq` / `cps_output_freq` with NUT's `cps_adjust_frequency_scale`.
    pub fn frequency(&mut self, value: f64, input: bool) -> String {
        let latch = if input { &mut self.input_freq } else { &mut self.output_freq };
        if latch.is_none() {
            *latch = frequency_scale(value);
        }
        one_decimal(latch.unwrap_or(1.0) * value)
    }
}

impl SubdriverState for CpsState {
    fn convert(&mut self, f: &ConvFn, v: f64, dev: &mut dyn DeviceView) -> Option<Option<String>> {
        Some(Some(match f.name {
            "cps_battvolt" => {
                let nominal = dev.var("battery.voltage.nominal").and_then(|s| s.trim().parse::<f64>().ok());
                self.battery_voltage(v, nominal)
            }
            "cps_input_freq" => self.frequency(v, true),
            "cps_output_freq" => self.frequency(v, false),
            _ => return None,
        }))
    }
}

fn new_state_0501() -> Box<dyn SubdriverState> {
    Box::<CpsState>::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_is_clamped_and_status_is_a_percentage() {
        assert_eq!(battcharge(100.0).as_deref(), Some("100"));
        assert_eq!(battcharge(113.0).as_deref(), Some("100"));
        assert_eq!(battcharge(57.0).as_deref(), Some("57"));
        assert_eq!(battstatus(100.0).as_deref(), Some("100%"));
    }

    #[test]
    fn frequency_off_by_ten_is_rescaled_on_0501_only() {
        assert_eq!(frequency_scale(50.0), Some(1.0));
        assert_eq!(frequency_scale(59.9), Some(1.0));
        assert_eq!(frequency_scale(499.0), Some(0.1));
        assert_eq!(frequency_scale(600.0), Some(0.1));
        // No guess: 45-65 Hz, or ten times that.
        assert_eq!(frequency_scale(0.0), None);
        assert_eq!(frequency_scale(44.0), None);
        assert_eq!(frequency_scale(650.0), None);
        assert_eq!(frequency_scale(700.0), None);
        assert_eq!(freq_scaled(499.0).as_deref(), Some("49.9"));
        assert_eq!(freq_scaled(60.0).as_deref(), Some("60.0"));
        assert_eq!(freq_scaled(0.0).as_deref(), Some("0.0"));
        assert_eq!(freq(499.0).as_deref(), Some("499.0"));
    }

    #[test]
    fn battery_voltage_far_above_nominal_is_two_thirds() {
        assert_eq!(battery_scale(24.0, 24.0), Some(1.0));
        assert_eq!(battery_scale(33.5, 24.0), Some(1.0));
        assert_eq!(battery_scale(36.0, 24.0), Some(2.0 / 3.0));
        assert_eq!(battery_scale(36.0, 0.0), None);
    }

    #[test]
    fn a_guessed_voltage_maximum_is_raised_after_the_parser_guessed_it() {
        // Power Device page, UPS collection; report 0x12 Voltage in 10 bits declared 0..-1
        // (`25 ff`: the parser reads 255 and flags it), report 0x0f Voltage 0..500 in 16 bits.
        let bytes = [
            0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, // UPS
            0x85, 0x12, 0x09, 0x30, 0x15, 0x00, 0x25, 0xff, 0x75, 0x0a, 0x95, 0x01, 0xb1, 0x02, //
            0x75, 0x06, 0xb1, 0x03, // padding
            0x85, 0x0f, 0x09, 0x30, 0x15, 0x00, 0x26, 0xf4, 0x01, 0x75, 0x10, 0xb1, 0x02, //
            0xc0,
        ];
        let mut d = nut_hid::parse(&bytes).expect("parses");
        let out = |d: &Descriptor| {
            d.fields
                .iter()
                .find(|f| f.report_id == 0x12 && f.usage() == USAGE_POW_VOLTAGE)
                .cloned()
                .expect("field")
        };
        assert_eq!((out(&d).logical_max, out(&d).assumed_logical_max), (255, true));
        let dev = DeviceInfo { vendor_id: 0x0764, product_id: 0x0501, ..DeviceInfo::default() };
        assert_eq!(fix_report_desc(&dev, &mut d), 1);
        // NUT's CPS_VOLTAGE_LOGMAX, within the 10 bits; the declared input range is kept.
        assert_eq!(out(&d).logical_max, VOLTAGE_LOGMAX);
        let inp = d.fields.iter().find(|f| f.report_id == 0x0f).expect("field");
        assert_eq!(inp.logical_max, 500);
    }

    #[test]
    fn factors_are_decided_once() {
        let mut s = CpsState::default();
        // No nominal voltage yet: unscaled, undecided.
        assert_eq!(s.battery_voltage(36.0, None), "36.0");
        assert_eq!(s.battery, None);
        assert_eq!(s.battery_voltage(36.0, Some(24.0)), "24.0");
        assert_eq!(s.battery_voltage(27.0, Some(24.0)), "18.0", "the factor sticks");
        // A frequency outside both bands decides nothing; the first that fits decides.
        assert_eq!(s.frequency(0.0, true), "0.0");
        assert_eq!(s.frequency(499.0, true), "49.9");
        assert_eq!(s.frequency(50.0, true), "5.0", "0.1 sticks, as NUT's");
        assert_eq!(s.frequency(50.0, false), "50.0", "each direction has its own");
    }

    #[test]
    fn variants_by_usb_id() {
        let input_frequency = |s: &Subdriver, v: f64| {
            let m = s.vars.iter().find(|m| m.var == "input.frequency").expect("mapped");
            let Conv::Fun(f) = m.conv else { panic!("a conversion function") };
            (f.fun)(v)
        };
        assert_eq!(input_frequency(&SUBDRIVER_0501, 499.0).as_deref(), Some("49.9"));
        assert_eq!(input_frequency(&SUBDRIVER, 499.0).as_deref(), Some("499.0"));
    }
}
