//! The lookup tables every NUT subdriver shares (NUT 2.8.5 `drivers/usbhid-ups.c`): the
//! boolean `*_info` tables that set or clear status bits, the word tables (`beeper_info`,
//! `yes_no_info`, ...) and the conversion functions (`date_conversion`, `hex_conversion`,
//! `divide_by_10_conversion`, `kelvin_celsius_conversion`) and [`byte_bits`] for the
//! functions that test bits of a status byte, so that a subdriver's `hid2nut`
//! table ports line by line: NUT's `online_info` is [`ONLINE_INFO`], and so on.
//!
//! Boolean tables follow NUT's `process_boolean_info`: "online" also clears OFFLINE and
//! "offline" clears ONLINE; "fullycharged" clears NOTFULLYCHARGED and the other way round.
//! Unlisted values change nothing.

use super::ConvFn;
use super::StatusBit::{self, *};

/// A NUT boolean lookup table as [`super::Conv::StatusMap`] data.
pub type BoolInfo = &'static [(i64, &'static [(StatusBit, bool)])];

/// A plain NUT boolean table: 1 sets `bit`, 0 clears it.
macro_rules! bool_info {
    ($name:ident, $bit:ident, $doc:literal) => {
        #[doc = $doc]
        pub const $name: BoolInfo = &[(1, &[($bit, true)]), (0, &[($bit, false)])];
    };
}

/// `online_info`: 1 is "online" (and not offline), 0 is "offline" (and not online).
pub const ONLINE_INFO: BoolInfo =
    &[(1, &[(Online, true), (Offline, false)]), (0, &[(Offline, true), (Online, false)])];
bool_info!(DISCHARGING_INFO, Discharging, "`discharging_info`.");
bool_info!(CHARGING_INFO, Charging, "`charging_info`.");
bool_info!(LOWBATT_INFO, LowBatt, "`lowbatt_info`.");
bool_info!(OVERLOAD_INFO, Overload, "`overload_info`.");
bool_info!(REPLACEBATT_INFO, ReplaceBatt, "`replacebatt_info`.");
bool_info!(TRIM_INFO, Trim, "`trim_info`.");
bool_info!(BOOST_INFO, Boost, "`boost_info`.");
bool_info!(BYPASS_AUTO_INFO, BypassAuto, "`bypass_auto_info`.");
bool_info!(BYPASS_MANUAL_INFO, BypassManual, "`bypass_manual_info`.");
bool_info!(CALIBRATION_INFO, Calibration, "`calibration_info`.");
bool_info!(FANFAIL_INFO, FanFailure, "`fanfail_info`.");
bool_info!(SHUTDOWNIMM_INFO, ShutdownImminent, "`shutdownimm_info`.");
bool_info!(OVERHEAT_INFO, Overheat, "`overheat_info`.");
bool_info!(AWAITINGPOWER_INFO, AwaitingPower, "`awaitingpower_info`.");
bool_info!(COMMFAULT_INFO, CommFault, "`commfault_info`.");
bool_info!(TIMELIMITEXPIRED_INFO, TimeLimitExpired, "`timelimitexpired_info`.");
bool_info!(BATTVOLTLO_INFO, BattVoltLow, "`battvoltlo_info`.");
bool_info!(BATTVOLTHI_INFO, BattVoltHigh, "`battvolthi_info`.");
bool_info!(CHARGERFAIL_INFO, ChargerFail, "`chargerfail_info`.");
bool_info!(DEPLETED_INFO, Depleted, "`depleted_info`.");
bool_info!(VRANGE_INFO, VoltageRange, "`vrange_info`.");
bool_info!(FRANGE_INFO, FrequencyRange, "`frange_info`.");
bool_info!(EMERGENCY_STOP_INFO, EmergencyStop, "`emergency_stop_info` (mge-hid).");

/// `off_info` (inverted, as NUT: 0 is "off", 1 is "!off", so a device without the usage is on).
pub const OFF_INFO: BoolInfo = &[(0, &[(Off, true)]), (1, &[(Off, false)])];
/// `nobattery_info` (inverted: BatteryPresent 0 is "nobattery").
pub const NOBATTERY_INFO: BoolInfo = &[(1, &[(NoBattery, false)]), (0, &[(NoBattery, true)])];
/// `fullycharged_info`: 1 is "fullycharged", 0 is "notfullycharged"; each clears the other.
pub const FULLYCHARGED_INFO: BoolInfo = &[
    (1, &[(NotFullyCharged, false), (FullyCharged, true)]),
    (0, &[(FullyCharged, false), (NotFullyCharged, true)]),
];
/// `eco_mode_info` as status bits: 0 normal, 1 ECO, 2 ESS.
pub const ECO_MODE_INFO: BoolInfo = &[(1, &[(EcoMode, true)]), (2, &[(EssMode, true)])];

/// `test_write_info`.
pub const TEST_WRITE_INFO: &[(i64, &str)] =
    &[(0, "No test"), (1, "Quick test"), (2, "Deep test"), (3, "Abort test")];
/// `test_read_info`.
pub const TEST_READ_INFO: &[(i64, &str)] = &[
    (1, "Done and passed"),
    (2, "Done and warning"),
    (3, "Done and error"),
    (4, "Aborted"),
    (5, "In progress"),
    (6, "No test initiated"),
    (7, "Test scheduled"),
];
/// `beeper_info`.
pub const BEEPER_INFO: &[(i64, &str)] = &[(1, "disabled"), (2, "enabled"), (3, "muted")];
/// `yes_no_info`.
pub const YES_NO_INFO: &[(i64, &str)] = &[(0, "no"), (1, "yes")];
/// `on_off_info`.
pub const ON_OFF_INFO: &[(i64, &str)] = &[(0, "off"), (1, "on")];

fn date_fun(v: f64) -> Option<String> {
    let d = v as i64;
    if d == 0 {
        return Some("not set".into());
    }
    // An arithmetic shift, as NUT's on the usual platforms (negative = before 1980).
    Some(format!("{:04}/{:02}/{:02}", 1980 + (d >> 9), (d >> 5) & 0x0f, d & 0x1f))
}

fn date_nuf(s: &str) -> Option<f64> {
    let mut it = s.trim().splitn(3, '/');
    let mut num = || it.next().and_then(|p| p.trim().parse::<i64>().ok());
    let (y, m, d) = (num()?, num()?, num()?);
    // NUT's date_conversion_reverse: out-of-range dates become 0 ("not set").
    if y - 1980 > 127 || m > 12 || d > 31 {
        return Some(0.0);
    }
    Some((((y - 1980) << 9) + (m << 5) + d) as f64)
}

/// `date_conversion`: a HID packed date as `YYYY/MM/DD`, `not set` for 0.
pub const DATE_CONVERSION: ConvFn =
    ConvFn { name: "date_conversion", fun: date_fun, nuf: Some(date_nuf), rows: &[] };

fn hex_fun(v: f64) -> Option<String> {
    Some(format!("{:08x}", v as u64))
}

/// `hex_conversion`: the value as 8 hex digits.
pub const HEX_CONVERSION: ConvFn = ConvFn { name: "hex_conversion", fun: hex_fun, nuf: None, rows: &[] };

fn div10_fun(v: f64) -> Option<String> {
    Some(format!("{:.1}", v * 0.1))
}

/// `divide_by_10_conversion`.
pub const DIVIDE_BY_10_CONVERSION: ConvFn =
    ConvFn { name: "divide_by_10_conversion", fun: div10_fun, nuf: None, rows: &[] };

fn div100_fun(v: f64) -> Option<String> {
    Some(format!("{:.1}", v * 0.01))
}

/// `divide_by_100_conversion`.
pub const DIVIDE_BY_100_CONVERSION: ConvFn =
    ConvFn { name: "divide_by_100_conversion", fun: div100_fun, nuf: None, rows: &[] };

fn kelvin_fun(v: f64) -> Option<String> {
    // As NUT: a value outside 273..373 is taken to be in degrees Celsius already.
    Some(if (273.0..=373.0).contains(&v) { format!("{:.1}", v - 273.15) } else { format!("{v:.1}") })
}

/// `kelvin_celsius_conversion`.
pub const KELVIN_CELSIUS_CONVERSION: ConvFn =
    ConvFn { name: "kelvin_celsius_conversion", fun: kelvin_fun, nuf: None, rows: &[] };

/// A 256-entry boolean table for a NUT conversion function that tests bits of a status byte
/// (`(value & mask) == want` gives `yes`, any other value `no`), as Powercom's
/// `powercom_*_conversion_fun` do.
pub const fn byte_bits(
    mask: i64,
    want: i64,
    yes: &'static [(StatusBit, bool)],
    no: &'static [(StatusBit, bool)],
) -> [(i64, &'static [(StatusBit, bool)]); 256] {
    let mut t: [(i64, &'static [(StatusBit, bool)]); 256] = [(0, no); 256];
    let mut i = 0;
    while i < 256 {
        let v = i as i64;
        t[i] = (v, if v & mask == want { yes } else { no });
        i += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_bits_tests_the_mask() {
        const T: [(i64, &[(StatusBit, bool)]); 256] =
            byte_bits(0x18, 0x08, &[(Trim, true)], &[(Trim, false)]);
        assert_eq!(T[0x08].1, &[(Trim, true)]);
        assert_eq!(T[0x0c].1, &[(Trim, true)]);
        assert_eq!(T[0x18].1, &[(Trim, false)]);
        assert_eq!(T[0xff].0, 255);
    }

    #[test]
    fn conversions_as_nut_prints_them() {
        assert_eq!(date_fun(0.0).as_deref(), Some("not set"));
        // (2011-1980)*512 + 5*32 + 17
        assert_eq!(date_fun(16049.0).as_deref(), Some("2011/05/17"));
        assert_eq!(date_nuf("2011/05/17"), Some(16049.0));
        assert_eq!(date_nuf("2200/01/01"), Some(0.0));
        assert_eq!(date_nuf("garbage"), None);
        assert_eq!(hex_fun(255.0).as_deref(), Some("000000ff"));
        assert_eq!(div10_fun(1234.0).as_deref(), Some("123.4"));
        assert_eq!(div100_fun(1234.0).as_deref(), Some("12.3"));
        assert_eq!(kelvin_fun(300.0).as_deref(), Some("26.9"));
        assert_eq!(kelvin_fun(26.0).as_deref(), Some("26.0"));
    }
}
