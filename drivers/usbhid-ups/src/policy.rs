//! How the status bits read from the device become `ups.status` tokens, with the options NUT
//! 2.8 offers to correct a UPS's own judgement: `lowbatt`, `onlinedischarge`,
//! `onlinedischarge_calibration` and `onlinedischarge_log_throttle_sec`. Pure: bits and
//! variables in, tokens out; the log throttle takes the time as an argument. `ignorelb` and
//! the CHRG/DISCHRG fallback are the framework's (`nut_driver::State::status_commit`), for
//! every driver, as in NUT 2.8.5.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::subdrivers::StatusBit;

/// The status options of one driver instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    /// `lowbatt`: the low-battery level in percent; published as `battery.charge.low`, and a
    /// charge below it raises LB.
    pub lowbatt: Option<f64>,
    /// `onlinedischarge`: OL + DISCHRG from the device means on battery (OB).
    pub onlinedischarge: bool,
    /// `onlinedischarge_calibration`: OL + DISCHRG means calibrating (CAL).
    pub onlinedischarge_calibration: bool,
}

/// The result of [`status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `ups.status` tokens joined by spaces.
    pub tokens: String,
    /// The device says online and discharging, and no option says what that means: worth a
    /// (throttled) warning.
    pub unexplained_online_discharge: bool,
}

fn number(vars: &BTreeMap<String, String>, name: &str) -> Option<f64> {
    vars.get(name).and_then(|v| v.trim().parse::<f64>().ok())
}

/// Build `ups.status` from the device's bits, the variables of the same update and `p`.
pub fn status(bits: &BTreeMap<StatusBit, bool>, vars: &BTreeMap<String, String>, p: &Policy) -> Status {
    let on = |b| bits.get(&b).copied().unwrap_or(false);
    // A device without an ACPresent-like bit is assumed on line, as NUT does.
    let online = on(StatusBit::Online) || !bits.contains_key(&StatusBit::Online);
    let discharging = on(StatusBit::Discharging);
    let mut calibrating = on(StatusBit::Calibration);
    let mut unexplained = false;
    let mut st = Vec::new();
    if !online {
        st.push("OB");
    } else if discharging {
        if p.onlinedischarge_calibration {
            calibrating = true;
        }
        if p.onlinedischarge {
            st.push("OB");
        } else {
            unexplained = !calibrating;
            st.push("OL");
        }
    } else {
        st.push("OL");
    }
    if discharging {
        st.push("DISCHRG");
    }
    if on(StatusBit::Charging) {
        st.push("CHRG");
    }
    let device_lb =
        on(StatusBit::LowBatt) || on(StatusBit::TimeLimitExpired) || on(StatusBit::ShutdownImminent);
    let charge = number(vars, "battery.charge");
    let below =
        |value: Option<f64>, limit: Option<f64>| matches!((value, limit), (Some(v), Some(l)) if v < l);
    if device_lb || below(charge, p.lowbatt) {
        st.push("LB");
    }
    for (bit, token) in [
        (StatusBit::Overload, "OVER"),
        (StatusBit::ReplaceBatt, "RB"),
        (StatusBit::Trim, "TRIM"),
        (StatusBit::Boost, "BOOST"),
        (StatusBit::Bypass, "BYPASS"),
        (StatusBit::Off, "OFF"),
    ] {
        if on(bit) {
            st.push(token);
        }
    }
    if calibrating {
        st.push("CAL");
    }
    Status { tokens: st.join(" "), unexplained_online_discharge: unexplained }
}

/// NUT's default repeat period for the OL + DISCHRG warning when the UPS reports no charge.
pub const DEFAULT_THROTTLE: Duration = Duration::from_secs(30);

/// When to repeat the "online and discharging" warning, as NUT 2.8.5 does: a change of
/// `battery.charge` below `onlinedischarge_log_throttle_hovercharge` (default 100) logs; so does
/// `onlinedischarge_log_throttle_sec` elapsing since the last message (0: every update; a
/// negative value: never by time). Unset, the time rule applies only when the UPS reports no
/// charge, every 30 s. Entering the state logs at once unless the charge is known and at or
/// above the hover level (NUT then waits for it to drop: a UPS that lets its battery hover
/// between 90 and 100 % is not worth a message each time it does).
#[derive(Debug, Clone)]
pub struct DischargeLog {
    /// The configured value of `onlinedischarge_log_throttle_sec`.
    pub throttle_sec: Option<i64>,
    /// `onlinedischarge_log_throttle_hovercharge` (1-100).
    pub hovercharge: i64,
    /// When the last message was logged, and the charge it reported.
    last: Option<(Instant, Option<i64>)>,
}

impl Default for DischargeLog {
    fn default() -> DischargeLog {
        DischargeLog::new(None)
    }
}

impl DischargeLog {
    /// A throttle with the configured seconds (if any) and NUT's default hover level (100).
    pub fn new(throttle_sec: Option<i64>) -> DischargeLog {
        DischargeLog { throttle_sec, hovercharge: 100, last: None }
    }

    /// Whether to log now; `active` says if the unexplained state holds in this update.
    pub fn should_log(&mut self, active: bool, now: Instant, charge: Option<&str>) -> bool {
        if !active {
            self.last = None;
            return false;
        }
        // NUT reads the charge with atoi, and takes 0 for a conversion error.
        let cur = charge.map(atoi).filter(|c| *c > 0);
        let last_charge = self.last.and_then(|(_, c)| c);
        let mut log = match (charge, cur) {
            (Some(_), Some(c)) => Some(c) != last_charge && c < self.hovercharge,
            (Some(_), None) => false,
            (None, _) => self.last.is_none(),
        };
        if let Some((t, _)) = self.last {
            let every = match (self.throttle_sec, charge) {
                (Some(n), _) => n,
                (None, None) => DEFAULT_THROTTLE.as_secs() as i64,
                (None, Some(_)) => -1,
            };
            if every >= 0 && now.saturating_duration_since(t) >= Duration::from_secs(every as u64) {
                log = true;
            }
        }
        if log {
            self.last = Some((now, cur.or(last_charge)));
        }
        log
    }
}

/// C's `atoi`: leading blanks, an optional sign, then digits; anything else ends the number.
fn atoi(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| n.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(list: &[(StatusBit, bool)]) -> BTreeMap<StatusBit, bool> {
        list.iter().copied().collect()
    }

    fn vars(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn online_discharge_options() {
        use StatusBit::*;
        let b = bits(&[(Online, true), (Discharging, true)]);
        let v = vars(&[]);
        let plain = status(&b, &v, &Policy::default());
        assert_eq!(plain.tokens, "OL DISCHRG");
        assert!(plain.unexplained_online_discharge);
        let ob = status(&b, &v, &Policy { onlinedischarge: true, ..Policy::default() });
        assert_eq!(ob.tokens, "OB DISCHRG");
        assert!(!ob.unexplained_online_discharge);
        let cal = status(&b, &v, &Policy { onlinedischarge_calibration: true, ..Policy::default() });
        assert_eq!(cal.tokens, "OL DISCHRG CAL");
        assert!(!cal.unexplained_online_discharge);
        let both = Policy { onlinedischarge: true, onlinedischarge_calibration: true, ..Policy::default() };
        assert_eq!(status(&b, &v, &both).tokens, "OB DISCHRG CAL");
        // A device that says CAL itself needs no warning.
        let devcal = bits(&[(Online, true), (Discharging, true), (Calibration, true)]);
        assert!(!status(&devcal, &v, &Policy::default()).unexplained_online_discharge);
        // On battery the options change nothing.
        let obb = bits(&[(Online, false), (Discharging, true)]);
        assert_eq!(status(&obb, &v, &both).tokens, "OB DISCHRG");
    }

    #[test]
    fn lowbatt_raises_lb_below_the_level() {
        use StatusBit::*;
        let p = Policy { lowbatt: Some(50.0), ..Policy::default() };
        let ob = bits(&[(Online, false), (Discharging, true)]);
        assert_eq!(status(&ob, &vars(&[("battery.charge", "49")]), &p).tokens, "OB DISCHRG LB");
        assert_eq!(status(&ob, &vars(&[("battery.charge", "50")]), &p).tokens, "OB DISCHRG");
        // No charge reported: nothing to compare, the device's own flag still counts.
        let lb = bits(&[(Online, false), (LowBatt, true)]);
        assert_eq!(status(&lb, &vars(&[]), &p).tokens, "OB LB");
    }

    #[test]
    fn discharge_log_throttle() {
        let t0 = Instant::now();
        let s = |n| Duration::from_secs(n);
        let mut every10 = DischargeLog::new(Some(10));
        assert!(every10.should_log(true, t0, None));
        assert!(!every10.should_log(true, t0 + s(5), None));
        assert!(every10.should_log(true, t0 + s(10), None));
        assert!(!every10.should_log(false, t0 + s(11), None));
        assert!(every10.should_log(true, t0 + s(12), None), "re-entering the state logs at once");
        let mut always = DischargeLog::new(Some(0));
        assert!(always.should_log(true, t0, None) && always.should_log(true, t0, None));
        let mut never = DischargeLog::new(Some(-1));
        assert!(never.should_log(true, t0, None));
        assert!(!never.should_log(true, t0 + s(3600), None));
        let mut dflt = DischargeLog::new(None);
        assert!(dflt.should_log(true, t0, Some("90")));
        assert!(!dflt.should_log(true, t0 + s(100), Some("90")), "same charge: no repeat");
        assert!(dflt.should_log(true, t0 + s(101), Some("89")), "charge changed");
        let mut nocharge = DischargeLog::new(None);
        assert!(nocharge.should_log(true, t0, None));
        assert!(!nocharge.should_log(true, t0 + s(29), None));
        assert!(nocharge.should_log(true, t0 + s(30), None));
    }

    #[test]
    fn discharge_log_hovercharge_and_both_rules() {
        let t0 = Instant::now();
        let s = |n| Duration::from_secs(n);
        // A battery hovering at or above the level is not news; below it, each change is.
        let mut hover = DischargeLog { hovercharge: 95, ..DischargeLog::new(None) };
        assert!(!hover.should_log(true, t0, Some("100")));
        assert!(!hover.should_log(true, t0 + s(1), Some("96")));
        assert!(hover.should_log(true, t0 + s(2), Some("94")));
        assert!(!hover.should_log(true, t0 + s(3), Some("94")));
        assert!(hover.should_log(true, t0 + s(4), Some("93")));
        // With a time throttle and a charge, either rule logs (NUT 2.8.5's usbhid-ups.txt).
        let mut both = DischargeLog::new(Some(60));
        assert!(both.should_log(true, t0, Some("80")));
        assert!(both.should_log(true, t0 + s(1), Some("79")), "the charge changed");
        assert!(!both.should_log(true, t0 + s(2), Some("79")));
        assert!(both.should_log(true, t0 + s(61), Some("79")), "60 s went by");
        // A negative throttle stops the time rule, not the charge rule.
        let mut quiet = DischargeLog::new(Some(-1));
        assert!(quiet.should_log(true, t0, Some("50")));
        assert!(!quiet.should_log(true, t0 + s(999), Some("50")));
        assert!(quiet.should_log(true, t0 + s(1000), Some("49")));
        assert_eq!(atoi(" 42%"), 42);
        assert_eq!(atoi("x"), 0);
    }
}
