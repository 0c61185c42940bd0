//! NUT 2.8.5's `liebert-hid` ("Phoenixtec/Liebert HID"): Phoenixtec-built units (USB vendor
//! 06da, sold as PowerWalker, Liebert, AEG ...). Despite its name it does not handle Liebert's
//! own USB id 10af: NUT gives those to `belkin-hid`, whose Liebert entries use the voltage
//! scaling workarounds at the end of this file ([`LiebertScale`], the state of `belkin-hid`).
//!
//! The table is NUT's `liebert_hid2nut`, in NUT's order. The subdriver names no vendor usages
//! (NUT's `liebert_usage_lkp` is empty), so vendor paths are written in hex (`ffff0057`).

use super::nut_lookups::BEEPER_INFO;
use super::nut_lookups::{
    BOOST_INFO, CHARGING_INFO, COMMFAULT_INFO, DISCHARGING_INFO, LOWBATT_INFO, OFF_INFO, ONLINE_INFO,
    OVERLOAD_INFO, SHUTDOWNIMM_INFO, TEST_READ_INFO, TRIM_INFO,
};
use super::{
    absent, cmd, conv, flag, num, stmap, CmdMap, Conv, ConvFn, DeviceView, Subdriver, SubdriverState, VarMap,
};

const SEMI: u8 = flag::SEMI_STATIC;
const QUICK: u8 = flag::QUICK_POLL;

/// Variables and status bits (NUT's `liebert_hid2nut`, without its unmapped debug entries).
pub const VARS: &[VarMap] = &[
    // Battery page.
    num("battery.voltage", "UPS.PowerSummary.Voltage", "%.2f"),
    num("battery.charge", "UPS.PowerSummary.RemainingCapacity", "%.0f"),
    num("experimental.battery.capacity", "UPS.PowerSummary.FullChargeCapacity", "%.0f"),
    num("experimental.battery.capacity.nominal", "UPS.PowerSummary.DesignCapacity", "%.0f"),
    num("battery.runtime", "UPS.PowerSummary.RunTimeToEmpty", "%.0f"),
    conv("battery.type", "UPS.PowerSummary.iDeviceChemistry", Conv::StringId),
    // UPS page.
    num("ups.load", "UPS.PowerSummary.PercentLoad", "%.0f"),
    num("ups.power.nominal", "UPS.Flow.[4].ConfigApparentPower", "%.0f").with_flags(SEMI),
    conv("ups.test.result", "UPS.BatterySystem.Battery.Test", Conv::Lookup(TEST_READ_INFO)),
    conv("ups.beeper.status", "UPS.PowerSummary.AudibleAlarmControl", Conv::Lookup(BEEPER_INFO))
        .with_flags(SEMI),
    // Output page.
    num("output.voltage", "UPS.PowerConverter.Output.Voltage", "%.1f"),
    num("output.voltage.nominal", "UPS.Flow.[4].ConfigVoltage", "%.0f").with_flags(SEMI),
    num("output.frequency", "UPS.PowerConverter.Output.Frequency", "%.2f"),
    num("output.frequency.nominal", "UPS.Flow.[4].ConfigFrequency", "%.0f").with_flags(SEMI),
    num("output.transfer.high", "UPS.PowerConverter.Output.HighVoltageTransfer", "%.1f").with_flags(SEMI),
    num("output.transfer.low", "UPS.PowerConverter.Output.LowVoltageTransfer", "%.1f").with_flags(SEMI),
    // Input page.
    num("input.voltage", "UPS.PowerConverter.Input.[1].Voltage", "%.1f"),
    num("input.frequency", "UPS.PowerConverter.Input.[1].Frequency", "%.2f"),
    num("input.transfer.low", "UPS.PowerConverter.Output.ffff0057", "%.0f").with_flags(SEMI),
    num("input.transfer.high", "UPS.PowerConverter.Output.ffff0058", "%.0f").with_flags(SEMI),
    num("input.frequency.transfer.low", "UPS.PowerConverter.Output.ffff00f9", "%.0f").with_flags(SEMI),
    num("input.frequency.transfer.high", "UPS.PowerConverter.Output.ffff00f8", "%.0f").with_flags(SEMI),
    // Status page.
    stmap("UPS.PowerSummary.PresentStatus.ACPresent", ONLINE_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", LOWBATT_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Charging", CHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Discharging", DISCHARGING_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Overload", OVERLOAD_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.Good", OFF_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.InternalFailure", COMMFAULT_INFO).with_flags(QUICK),
    stmap("UPS.PowerSummary.PresentStatus.ShutdownImminent", SHUTDOWNIMM_INFO).with_flags(QUICK),
    stmap("UPS.PowerConverter.Input.[1].PresentStatus.Buck", TRIM_INFO),
    stmap("UPS.PowerConverter.Input.[1].PresentStatus.Boost", BOOST_INFO),
    // Variables kept by the driver (NUT's DEFAULT_ONDELAY / DEFAULT_OFFDELAY).
    absent("ups.delay.start", "UPS.PowerSummary.DelayBeforeStartup", "ondelay").with_len(10),
    absent("ups.delay.shutdown", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay").with_len(10),
];

/// Instant commands (NUT's `HU_TYPE_CMD` entries of `liebert_hid2nut`).
pub const CMDS: &[CmdMap] = &[
    cmd("test.battery.start", "UPS.BatterySystem.Battery.Test", "1"),
    cmd("load.off.delay", "UPS.PowerSummary.DelayBeforeShutdown", "offdelay"),
    cmd("load.on.delay", "UPS.PowerSummary.DelayBeforeStartup", "ondelay"),
    cmd("shutdown.stop", "UPS.PowerSummary.DelayBeforeShutdown", "-1"),
    cmd("beeper.toggle", "UPS.PowerSummary.AudibleAlarmControl", "1"),
];

/// The subdriver: model = USB product string, manufacturer = USB manufacturer string or
/// "Liebert", serial = USB serial string, as NUT's `liebert_format_*`. NUT's generic (no-op)
/// `fix_report_desc`.
pub const SUBDRIVER: Subdriver = Subdriver {
    name: "Phoenixtec/Liebert HID 0.41",
    usages: &[],
    vars: VARS,
    cmds: CMDS,
    mfr: "Liebert",
    common: false,
    fix_report_desc: None,
    identity: None,
    state: None,
};

// ---------------------------------------------------------------------------------------
// Liebert (10af) voltage workarounds. Some Liebert firmwares report line and battery
// voltages with a unit exponent that makes them 1e-5 or 1e-7 of the real value, and their
// nominal (config) voltage 1e-8 of it. NUT's `belkin-hid` guesses the factor from the
// magnitude of the value and remembers it, for the life of the driver, for the values that
// follow (`liebert_config_voltage_info`, `liebert_line_voltage_info`).

/// The correction factors in use (NUT's `liebert_config_voltage_mult` and
/// `liebert_line_voltage_mult`); both start at 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiebertScale {
    /// Factor applied to ConfigVoltage.
    pub config: f64,
    /// Factor applied to line (input/output) and battery voltages.
    pub line: f64,
}

impl Default for LiebertScale {
    fn default() -> Self {
        LiebertScale { config: 1.0, line: 1.0 }
    }
}

/// What a conversion noticed, for the caller to log (NUT logs these at NOTICE level).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScaleNote {
    /// A factor was chosen for this and the following values.
    Picked(f64),
    /// The value looks wrongly scaled, but matches no known pattern: left as it is.
    NotCorrecting,
}

impl LiebertScale {
    /// A nominal (config) voltage: a value of 1e-7 means the firmware's exponent is off by
    /// 1e-8 (and its line voltages by 1e-7). Returns the text (`%.1f`) and what was noticed.
    pub fn config_voltage(&mut self, value: f64) -> (String, Option<ScaleNote>) {
        let mut note = None;
        if value < 1.0 {
            if (value - 1e-7).abs() < 1e-9 {
                self.config = 1e8;
                self.line = 1e7;
                note = Some(ScaleNote::Picked(self.config));
            } else {
                note = Some(ScaleNote::NotCorrecting);
            }
        }
        (c_buf(value * self.config), note)
    }

    /// A line or battery voltage: values below 1 around 1e-5 are taken as 1e-7 of the real
    /// value, around 1e-3 as 1e-5 of it (NUT's ranges: within 4e-5 of 1e-5, within 4e-3 of
    /// 1e-3). Values of 1 and more are kept. Returns the text (`%.1f`) and what was noticed.
    pub fn line_voltage(&mut self, value: f64) -> (String, Option<ScaleNote>) {
        let mut note = None;
        if value < 1.0 {
            if (value - 1e-5).abs() < 4.0 * 1e-5 {
                self.line = 1e7;
                note = Some(ScaleNote::Picked(self.line));
            } else if (value - 1e-3).abs() < 4.0 * 1e-3 {
                self.line = 1e5;
                note = Some(ScaleNote::Picked(self.line));
            } else {
                note = Some(ScaleNote::NotCorrecting);
            }
        }
        (c_buf(value * self.line), note)
    }
}

/// `%.1f` in NUT's 10-byte `liebert_conversion_buf` (at most 9 characters).
fn c_buf(v: f64) -> String {
    let mut s = format!("{v:.1}");
    s.truncate(9);
    s
}

fn log_note(what: &str, value: f64, note: Option<ScaleNote>) {
    match note {
        Some(ScaleNote::Picked(f)) => {
            nut_driver::debug!("{what} = {value} -> assuming correction factor = {f}")
        }
        Some(ScaleNote::NotCorrecting) => {
            nut_driver::info!("{what} exponent looks wrong, but not correcting.")
        }
        None => {}
    }
}

/// `belkin-hid`'s state: the factors carry over from reading to reading (and from the
/// nominal voltage to the line voltages), for the life of the driver.
impl SubdriverState for LiebertScale {
    fn convert(&mut self, f: &ConvFn, v: f64, _dev: &mut dyn DeviceView) -> Option<Option<String>> {
        let (text, note, what) = match f.name {
            "liebert_config_voltage_info" => {
                let (t, n) = self.config_voltage(v);
                (t, n, "ConfigVoltage")
            }
            "liebert_line_voltage_info" => {
                let (t, n) = self.line_voltage(v);
                let what =
                    if n == Some(ScaleNote::NotCorrecting) { "LineVoltage" } else { "Input/OutputVoltage" };
                (t, n, what)
            }
            _ => return None,
        };
        log_note(what, v, note);
        Some(Some(text))
    }
}

/// A fresh [`LiebertScale`] for [`Subdriver::state`] (belkin-hid's).
pub fn new_state() -> Box<dyn SubdriverState> {
    Box::<LiebertScale>::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    // NUT's own test vectors (tests/getexponenttest-belkin-hid.c in NUT 2.8.5): readings of
    // real Liebert units, each decoded from a fresh state.
    #[test]
    fn line_voltage_factor_from_the_magnitude() {
        for (raw, mult, text) in [
            (0.000273, 1e5, "27.3"),
            (0.001212, 1e5, "121.2"),
            (0.002456, 1e5, "245.6"),
            (0.003801, 1e5, "380.1"),
            (0.004151, 1e5, "415.1"),
            (0.00000139, 1e7, "13.9"),
            (0.00001273, 1e7, "127.3"),
            (0.00002201, 1e7, "220.1"),
            (0.00004201, 1e7, "420.1"),
            (12.0, 1.0, "12.0"),
            (12.3, 1.0, "12.3"),
            (232.1, 1.0, "232.1"),
            (240.0, 1.0, "240.0"),
        ] {
            let mut s = LiebertScale::default();
            assert_eq!(s.line_voltage(raw).0, text, "{raw}");
            assert_eq!(s.line, mult, "{raw}");
        }
    }

    #[test]
    fn config_voltage_kept_when_plausible_and_sets_both_factors_at_1e7() {
        for (raw, text) in [(24.0, "24.0"), (120.0, "120.0")] {
            let mut s = LiebertScale::default();
            assert_eq!(s.config_voltage(raw), (text.to_string(), None));
            assert_eq!(s, LiebertScale::default());
        }
        let mut s = LiebertScale::default();
        assert_eq!(s.config_voltage(1e-7), ("10.0".to_string(), Some(ScaleNote::Picked(1e8))));
        assert_eq!(s.line, 1e7);
        // The factor sticks for values that no longer look scaled (NUT's static multiplier).
        // NUT prints it into 10 bytes: "20000000.".
        assert_eq!(s.line_voltage(2.0).0, "20000000.");
        let mut odd = LiebertScale::default();
        assert_eq!(odd.config_voltage(0.5), ("0.5".to_string(), Some(ScaleNote::NotCorrecting)));
    }

    // The Liebert PSA5 of NUT issue 2816 (testdata 10af-0002-liebert-psa5): raw battery
    // voltage 0x0112 and line voltage 0x04bd with an exponent of -7 decode to 0.000274 and
    // 0.001213; the workaround gives the 27.4 V and 121.3 V the unit showed.
    #[test]
    fn psa5_readings() {
        let mut s = LiebertScale::default();
        assert_eq!(s.line_voltage(0.000274).0, "27.4");
        assert_eq!(s.line_voltage(0.001213).0, "121.3");
    }
}
