//! NUT's generic lookup tables and conversions (`usbhid-ups.c`: `online_info`,
//! `charging_info`, `test_read_info`, `divide_by_10_conversion` ...), shared by the subdrivers
//! ported whole from NUT's `*-hid.c`.
//!
//! The boolean tables say, for a value read from the device, which status bits it sets
//! (`"name"`) and which it clears (`"!name"`); a value the table does not list changes
//! nothing. Two pairs also clear their opposite, as NUT's `process_boolean_info` does: `online`/`offline` and
//! `fullycharged`/`notfullycharged`.

use super::ConvFn;
use super::StatusBit::{self, *};

/// A NUT boolean lookup table, in the form [`super::Conv::StatusMap`] takes.
pub type BoolInfo = &'static [(i64, &'static [(StatusBit, bool)])];

/// `online_info`: 1 = `online`, 0 = `offline`.
pub const ONLINE_INFO: BoolInfo =
    &[(1, &[(Online, true), (Offline, false)]), (0, &[(Offline, true), (Online, false)])];
/// `discharging_info`.
pub const DISCHARGING_INFO: BoolInfo = &[(1, &[(Discharging, true)]), (0, &[(Discharging, false)])];
/// `charging_info`.
pub const CHARGING_INFO: BoolInfo = &[(1, &[(Charging, true)]), (0, &[(Charging, false)])];
/// `lowbatt_info`.
pub const LOWBATT_INFO: BoolInfo = &[(1, &[(LowBatt, true)]), (0, &[(LowBatt, false)])];
/// `overload_info`.
pub const OVERLOAD_INFO: BoolInfo = &[(1, &[(Overload, true)]), (0, &[(Overload, false)])];
/// `replacebatt_info`.
pub const REPLACEBATT_INFO: BoolInfo = &[(1, &[(ReplaceBatt, true)]), (0, &[(ReplaceBatt, false)])];
/// `trim_info`.
pub const TRIM_INFO: BoolInfo = &[(1, &[(Trim, true)]), (0, &[(Trim, false)])];
/// `boost_info`.
pub const BOOST_INFO: BoolInfo = &[(1, &[(Boost, true)]), (0, &[(Boost, false)])];
/// `off_info`: 0 = `off`, 1 = `!off` (a "Good" flag).
pub const OFF_INFO: BoolInfo = &[(0, &[(Off, true)]), (1, &[(Off, false)])];
/// `nobattery_info`: 1 = `!nobattery`, 0 = `nobattery` (a "Present" flag).
pub const NOBATTERY_INFO: BoolInfo = &[(1, &[(NoBattery, false)]), (0, &[(NoBattery, true)])];
/// `shutdownimm_info`.
pub const SHUTDOWNIMM_INFO: BoolInfo = &[(1, &[(ShutdownImminent, true)]), (0, &[(ShutdownImminent, false)])];
/// `overheat_info`.
pub const OVERHEAT_INFO: BoolInfo = &[(1, &[(Overheat, true)]), (0, &[(Overheat, false)])];
/// `awaitingpower_info`.
pub const AWAITINGPOWER_INFO: BoolInfo = &[(1, &[(AwaitingPower, true)]), (0, &[(AwaitingPower, false)])];
/// `commfault_info`.
pub const COMMFAULT_INFO: BoolInfo = &[(1, &[(CommFault, true)]), (0, &[(CommFault, false)])];
/// `timelimitexpired_info`.
pub const TIMELIMITEXPIRED_INFO: BoolInfo =
    &[(1, &[(TimeLimitExpired, true)]), (0, &[(TimeLimitExpired, false)])];
/// `fullycharged_info`: 1 = `fullycharged`, 0 = `notfullycharged`.
pub const FULLYCHARGED_INFO: BoolInfo = &[
    (1, &[(FullyCharged, true), (NotFullyCharged, false)]),
    (0, &[(NotFullyCharged, true), (FullyCharged, false)]),
];
/// `depleted_info`.
pub const DEPLETED_INFO: BoolInfo = &[(1, &[(Depleted, true)]), (0, &[(Depleted, false)])];
/// `vrange_info` (`input.transfer.reason`).
pub const VRANGE_INFO: BoolInfo = &[(0, &[(VoltageRange, false)]), (1, &[(VoltageRange, true)])];

/// `test_read_info`: the battery test result (0 and values past 7 publish nothing).
pub const TEST_READ_INFO: &[(i64, &str)] = &[
    (1, "Done and passed"),
    (2, "Done and warning"),
    (3, "Done and error"),
    (4, "Aborted"),
    (5, "In progress"),
    (6, "No test initiated"),
    (7, "Test scheduled"),
];

/// NUT's `divide_by_10_conversion`: the value times 0.1, `%0.1f`.
pub fn divide_by_10(value: f64) -> Option<String> {
    Some(format!("{:.1}", value * 0.1))
}

/// `divide_by_10_conversion` as a table conversion.
pub const DIVIDE_BY_10: ConvFn = ConvFn { name: "divide_by_10_conversion", fun: divide_by_10, nuf: None };

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

    fn bits(t: BoolInfo, v: i64) -> Option<&'static [(StatusBit, bool)]> {
        t.iter().find(|(k, _)| *k == v).map(|(_, b)| *b)
    }

    #[test]
    fn present_and_good_flags_are_inverted() {
        assert_eq!(bits(NOBATTERY_INFO, 0), Some(&[(NoBattery, true)][..]));
        assert_eq!(bits(NOBATTERY_INFO, 1), Some(&[(NoBattery, false)][..]));
        assert_eq!(bits(OFF_INFO, 0), Some(&[(Off, true)][..]));
        assert_eq!(bits(OFF_INFO, 1), Some(&[(Off, false)][..]));
        assert_eq!(bits(ONLINE_INFO, 2), None, "unlisted values change nothing");
    }

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
    fn tenths() {
        assert_eq!(divide_by_10(136.0).as_deref(), Some("13.6"));
        assert_eq!(divide_by_10(120.0).as_deref(), Some("12.0"));
    }
}
