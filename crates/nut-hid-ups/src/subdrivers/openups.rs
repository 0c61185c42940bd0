//! Mini-Box openUPS (04d8:d004, d005): NUT 2.8.5's `drivers/openups-hid.c`
//! ("openUPS HID 0.50"), whole table.
//!
//! NUT scales the input/output voltages and currents by product: its table handler
//! `get_voltage_multiplier` sets the d004 constants, or 0.1 for d005, and leaves 1 when the
//! subdriver was chosen another way. Here each case is its own subdriver value with the same
//! name: [`SUBDRIVER_D004`], [`SUBDRIVER_D005`] and [`SUBDRIVER`] (factor 1), and the device
//! table picks one as NUT's handler would.

use nut_hid::UsageTable;

use super::flag::{QUICK_POLL, STATIC};
use super::nut_lookups::*;
use super::StatusBit::*;
use super::{conv, fun, num, stmap, Conv, ConvFn, Subdriver, VarMap};

/// NUT's usage names for this vendor (`nut_hid::usage::OPENUPS`, from NUT's `*_usage_lkp`).
pub const USAGES: UsageTable = nut_hid::usage::OPENUPS;

/// `openups_online_info`: "online" / "!online" (a zero only clears ONLINE).
const ONLINE: BoolInfo = &[(1, &[(Online, true), (Offline, false)]), (0, &[(Online, false)])];

/// The thermistor table of openups-hid.c (readings for -40 °C to 125 °C in 5 °C steps).
const THERM: [u32; 34] = [
    0x31, 0x40, 0x53, 0x68, 0x82, 0xA0, 0xC3, 0xE9, 0x113, 0x13F, 0x16E, 0x19F, 0x1CF, 0x200, 0x22F, 0x25C,
    0x286, 0x2AE, 0x2D3, 0x2F4, 0x312, 0x32D, 0x345, 0x35A, 0x36D, 0x37E, 0x38C, 0x399, 0x3A5, 0x3AF, 0x3B7,
    0x3BF, 0x3C6, 0x3CC,
];

fn temperature(v: f64) -> Option<String> {
    let t = (v * 100.0) as u32;
    if t <= THERM[0] {
        return Some("-40".into());
    }
    if t >= THERM[THERM.len() - 1] {
        return Some("125".into());
    }
    let pos = THERM.iter().rposition(|&d| t >= d).unwrap_or(0);
    let t1 = pos as i64 * 5 - 40;
    if t == THERM[pos] {
        return Some(t1.to_string());
    }
    let (d1, d2) = (f64::from(THERM[pos]), f64::from(THERM[pos + 1]));
    Some(format!("{:.2}", (f64::from(t) - d1) * 5.0 / (d2 - d1) + t1 as f64))
}

const TEMPERATURE: ConvFn =
    ConvFn { name: "openups_temperature_info", fun: temperature, nuf: None, rows: &[] };

macro_rules! scaled {
    ($name:ident, $label:literal, $fmt:literal, $factor:expr) => {{
        fn $name(v: f64) -> Option<String> {
            Some(format!($fmt, v * $factor))
        }
        ConvFn { name: $label, fun: $name, nuf: None, rows: &[] }
    }};
}

macro_rules! table {
    ($vin:expr, $vout:expr, $ccharge:expr, $cdischarge:expr) => {
        &[
            conv("ups.serial", "UPS.PowerSummary.iSerialNumber", Conv::StringId),
            conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId).with_flags(STATIC),
            conv("battery.mfr.date", "UPS.PowerSummary.iOEMInformation", Conv::StringId).with_flags(STATIC),
            num("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f").with_flags(QUICK_POLL),
            num("battery.current", "UPS.PowerSummary.Current", "%.3f").with_flags(QUICK_POLL),
            num("battery.capacity", "UPS.PowerSummary.DesignCapacity", "%.0f").with_flags(STATIC),
            num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f").with_flags(QUICK_POLL),
            num("battery.charge.low", "UPS.PowerSummary.RemainingCapacityLimit", "%.0f")
                .with_flags(QUICK_POLL),
            num("battery.charge.warning", "UPS.PowerSummary.WarningCapacityLimit", "%.0f"),
            num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f").with_flags(QUICK_POLL),
            fun("battery.temperature", "UPS.PowerSummary.Temperature", TEMPERATURE).with_flags(QUICK_POLL),
            fun(
                "output.voltage",
                "UPS.PowerSummary.Output.Voltage",
                scaled!(vout, "openups_vout_info", "{:.2}", $vout),
            )
            .with_flags(QUICK_POLL),
            fun(
                "output.current",
                "UPS.PowerSummary.Output.Current",
                scaled!(cdischarge, "openups_cdischarge_info", "{:.3}", $cdischarge),
            )
            .with_flags(QUICK_POLL),
            fun(
                "input.voltage",
                "UPS.PowerSummary.Input.Voltage",
                scaled!(vin, "openups_vin_info", "{:.2}", $vin),
            )
            .with_flags(QUICK_POLL),
            fun(
                "input.current",
                "UPS.PowerSummary.Input.Current",
                scaled!(ccharge, "openups_ccharge_info", "{:.3}", $ccharge),
            )
            .with_flags(QUICK_POLL),
            stmap("UPS.PowerSummary.PresentStatus.Good", OFF_INFO).with_flags(QUICK_POLL),
            stmap("UPS.PowerSummary.PresentStatus.InternalFailure", COMMFAULT_INFO).with_flags(QUICK_POLL),
            stmap("UPS.PowerSummary.PresentStatus.Overload", OVERLOAD_INFO).with_flags(QUICK_POLL),
            stmap("UPS.PowerSummary.PresentStatus.OverTemperature", OVERHEAT_INFO).with_flags(QUICK_POLL),
            stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO).with_flags(QUICK_POLL),
            stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO)
                .with_flags(QUICK_POLL),
            stmap("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", TIMELIMITEXPIRED_INFO)
                .with_flags(QUICK_POLL),
            stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK_POLL),
            stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK_POLL),
            stmap("UPS.PowerSummary.PresentStatus.NeedReplacement", REPLACEBATT_INFO),
            stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE).with_flags(QUICK_POLL),
            stmap("UPS.PowerSummary.PresentStatus.BatteryPresent", NOBATTERY_INFO).with_flags(QUICK_POLL),
        ]
    };
}

/// `openups_hid2nut` with NUT's default factors (1).
pub const VARS: &[VarMap] = table!(1.0, 1.0, 1.0, 1.0);
/// `openups_hid2nut` with the d004 factors.
pub const VARS_D004: &[VarMap] = table!(0.03545 * 100.0, 0.02571 * 100.0, 0.8274 / 10.0, 16.113 / 10.0);
/// `openups_hid2nut` with the d005 factors.
pub const VARS_D005: &[VarMap] = table!(0.1, 0.1, 0.1, 0.1);

const fn variant(vars: &'static [VarMap]) -> Subdriver {
    Subdriver {
        name: "openUPS HID 0.50",
        usages: &[USAGES],
        vars,
        cmds: &[],
        mfr: "openUPS",
        common: false,
        fix_report_desc: None,
        identity: None,
        state: None,
    }
}

/// The subdriver as NUT runs it when its table handler did not run (factors 1).
pub const SUBDRIVER: Subdriver = variant(VARS);
/// The subdriver for 04d8:d004.
pub const SUBDRIVER_D004: Subdriver = variant(VARS_D004);
/// The subdriver for 04d8:d005.
pub const SUBDRIVER_D005: Subdriver = variant(VARS_D005);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thermistor_readings_as_nut_interpolates_them() {
        assert_eq!(temperature(0.2).as_deref(), Some("-40"));
        assert_eq!(temperature(20.0).as_deref(), Some("125"));
        // 0x200 = 512 is the 13th entry: 13*5-40 = 25 °C exactly.
        assert_eq!(temperature(5.12).as_deref(), Some("25"));
        // Half way between 0x200 (25 °C) and 0x22F (30 °C).
        let mid = f64::from(0x200 + (0x22F - 0x200) / 2) / 100.0;
        assert_eq!(temperature(mid).as_deref(), Some("27.45"));
    }

    #[test]
    fn product_factors() {
        let v = |s: &Subdriver, var: &str| match s.vars.iter().find(|m| m.var == var).map(|m| m.conv) {
            Some(Conv::Fun(f)) => (f.fun)(100.0),
            _ => None,
        };
        assert_eq!(v(&SUBDRIVER, "input.voltage").as_deref(), Some("100.00"));
        assert_eq!(v(&SUBDRIVER_D004, "input.voltage").as_deref(), Some("354.50"));
        assert_eq!(v(&SUBDRIVER_D005, "output.current").as_deref(), Some("10.000"));
    }
}
