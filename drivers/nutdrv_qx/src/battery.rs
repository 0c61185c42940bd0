//! `battery.charge` and `battery.runtime` estimation for devices that report only the
//! battery voltage (NUT's "guesstimation"): charge from the voltage between
//! `battery.voltage.low` and `.high`; with `runtimecal`, runtime from the load and a model
//! of the battery discharged on battery and recharged on line over `chargetime`.
//!
//! Pure: the caller passes the current variables (through a lookup) and the time.

use crate::format::parse_leading_f64;

/// Estimation parameters and state.
#[derive(Debug, Clone)]
pub struct Battery {
    /// Battery voltage multiplier (number of packs).
    pub packs: f64,
    /// The number of packs came from `battery.packs`.
    pub packs_known: bool,
    /// Float (full) voltage, -1 unknown.
    pub volt_high: f64,
    /// Nominal voltage, -1 unknown.
    pub volt_nom: f64,
    /// Empty voltage, -1 unknown.
    pub volt_low: f64,
    /// Nominal runtime at full load (s), from `runtimecal`.
    pub runt_nom: f64,
    /// Estimated runtime left at full load (s).
    pub runt_est: f64,
    /// Load exponent.
    pub runt_exp: f64,
    /// Recharge time from empty (s).
    pub chrg_time: f64,
    /// Idle load (fraction).
    pub load_low: f64,
    /// `runtimecal` is in force.
    pub runtimecal: bool,
    /// Time of the last estimate (s, caller's clock).
    pub lastpoll: f64,
}

impl Default for Battery {
    fn default() -> Self {
        Battery {
            packs: 1.0,
            packs_known: false,
            volt_high: -1.0,
            volt_nom: -1.0,
            volt_low: -1.0,
            runt_nom: 0.0,
            runt_est: 0.0,
            runt_exp: 0.0,
            chrg_time: 43200.0,
            load_low: 0.1,
            runtimecal: false,
            lastpoll: 0.0,
        }
    }
}

/// A configuration error of the estimation options (the driver stops with it, as NUT).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BatteryConfigError(pub String);

/// `runtimecal = <runtime at high load>,<high load %>,<runtime at low load>,<low load %>`:
/// returns (nominal runtime at 100 %, load exponent).
pub fn parse_runtimecal(v: &str) -> Result<(f64, f64), BatteryConfigError> {
    let nums: Vec<f64> =
        v.split(',').map(|p| p.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| {
            BatteryConfigError(format!(
                "Insufficient parameters for runtimecal ({v:?}: expected four numbers rh,lh,rl,ll)"
            ))
        })?;
    let [rh, lh, rl, ll] = nums[..] else {
        return Err(BatteryConfigError(format!(
            "Insufficient parameters for runtimecal ({v:?}: expected four numbers rh,lh,rl,ll)"
        )));
    };
    if rl < rh || rh <= 0.0 {
        return Err(BatteryConfigError("Parameter out of range (runtime)".into()));
    }
    if lh > 100.0 || ll > lh || ll <= 0.0 {
        return Err(BatteryConfigError("Parameter out of range (load)".into()));
    }
    let exp = (rl / rh).ln() / (lh / ll).ln();
    Ok((rh * (lh / 100.0).powf(exp), exp))
}

impl Battery {
    /// Charge (0..100) from a pack-corrected voltage, if the limits are known.
    pub fn charge_from_voltage(&self, volt: f64) -> Option<f64> {
        if self.volt_low > 0.0 && self.volt_high > self.volt_low {
            Some((100.0 * (volt - self.volt_low) / (self.volt_high - self.volt_low)).clamp(0.0, 100.0))
        } else {
            None
        }
    }

    /// Autodetect the number of packs from the nominal and actual voltages; None when no
    /// count fits (NUT logs "Can't autodetect").
    pub fn autodetect_packs(nom: f64, act: f64) -> Option<f64> {
        const PACKS: [f64; 17] =
            [120., 100., 80., 60., 48., 36., 30., 24., 18., 12., 8., 6., 4., 3., 2., 1., 0.5];
        for p in PACKS {
            if p * act > 1.25 * nom {
                continue;
            }
            if p * act < 0.8 * nom {
                return None;
            }
            return Some(p);
        }
        None
    }

    /// Effective load (fraction) from `ups.load` (%).
    pub fn effective_load(&self, load_pct: f64) -> f64 {
        (load_pct / 100.0).powf(self.runt_exp).max(self.load_low)
    }

    /// One `runtimecal` step: `online` recharges, on battery discharges at `load_eff`;
    /// then the estimate is capped by what the voltage says (old batteries).
    pub fn step(&mut self, now: f64, online: bool, load_eff: f64, volt: Option<f64>) {
        let dt = now - self.lastpoll;
        if online {
            self.runt_est = (self.runt_est + self.runt_nom * dt / self.chrg_time).min(self.runt_nom);
        } else {
            self.runt_est = (self.runt_est - load_eff * dt).max(0.0);
        }
        if let Some(v) = volt {
            if v > 0.0 && self.volt_low > 0.0 && self.volt_high > self.volt_low && self.runt_nom > 0.0 {
                let frac = ((v - self.volt_low) / (self.volt_high - self.volt_low)).clamp(0.0, 1.0);
                if frac < self.runt_est / self.runt_nom {
                    self.runt_est = frac * self.runt_nom;
                }
            }
        }
        self.lastpoll = now;
    }
}

/// A numeric variable, through the caller's lookup.
pub fn num(v: Option<&str>) -> Option<f64> {
    v.map(parse_leading_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimecal_parsing() {
        let (nom, exp) = parse_runtimecal("240,100,720,50").expect("valid");
        assert!((exp - 1.585).abs() < 0.001, "{exp}");
        assert!((nom - 240.0).abs() < 1e-9);
        assert!(parse_runtimecal("240,100,720").is_err());
        assert!(parse_runtimecal("720,100,240,50").is_err());
        assert!(parse_runtimecal("240,150,720,50").is_err());
        assert!(parse_runtimecal("a,b,c,d").is_err());
    }

    #[test]
    fn charge_and_packs() {
        let b = Battery { volt_low: 20.0, volt_high: 26.0, ..Battery::default() };
        assert_eq!(b.charge_from_voltage(26.0), Some(100.0));
        assert_eq!(b.charge_from_voltage(23.0), Some(50.0));
        assert_eq!(b.charge_from_voltage(10.0), Some(0.0));
        assert_eq!(Battery::autodetect_packs(24.0, 2.27), Some(12.0));
        assert_eq!(Battery::autodetect_packs(24.0, 27.0), Some(1.0));
        assert_eq!(Battery::autodetect_packs(24.0, 100.0), None);
    }

    #[test]
    fn runtime_model() {
        let mut b = Battery { runt_nom: 600.0, runt_est: 600.0, chrg_time: 1200.0, ..Battery::default() };
        b.step(100.0, false, 1.0, None);
        assert_eq!(b.runt_est, 500.0);
        b.step(700.0, true, 1.0, None);
        assert_eq!(b.runt_est, 600.0);
        b.step(2000.0, false, 1.0, None);
        assert_eq!(b.runt_est, 0.0);
    }
}
