//! How the status bits read from the device become `ups.status` tokens, `ups.alarm` texts,
//! `input.transfer.reason` and the mode buzzwords: NUT 2.8.5's `ups_status_set()` and
//! `ups_alarm_set()` (usbhid-ups.c), with the options NUT offers to correct a UPS's own
//! judgement: `onlinedischarge_onbattery` (alias `onlinedischarge`),
//! `onlinedischarge_calibration`, `lbrb_log_delay_sec`, `lbrb_log_delay_without_calibrating`,
//! `onlinedischarge_log_throttle_sec` and `onlinedischarge_log_throttle_hovercharge`; plus our
//! `lowbatt` rule. Pure: bits, variables and the time in, tokens out; what must be remembered
//! between updates (calibration and LB/RB start times) is in a [`Tracker`] the caller keeps.
//! `ignorelb` and the CHRG/DISCHRG fallback are the framework's
//! (`nut_driver::State::status_commit`), for every driver, as in NUT 2.8.5.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::subdrivers::StatusBit;

/// The status options of one driver instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    /// `lowbatt`: the low-battery level in percent; published as `battery.charge.low`, and a
    /// charge below it raises LB.
    pub lowbatt: Option<f64>,
    /// `onlinedischarge_onbattery` / `onlinedischarge`: OL + DISCHRG from the device means on
    /// battery (OB).
    pub onlinedischarge: bool,
    /// `onlinedischarge_calibration`: OL + DISCHRG means calibrating (CAL).
    pub onlinedischarge_calibration: bool,
    /// `lbrb_log_delay_sec`: LB and RB must persist this long (seconds) while on line and
    /// calibrating before they are reported. `None`: not configured (NUT then uses 3 s for
    /// the APC models known to flap, see [`lbrb_default_for`], else 0 = off).
    pub lbrb_log_delay_sec: Option<u64>,
    /// `lbrb_log_delay_without_calibrating`: apply that delay even when not calibrating.
    pub lbrb_log_delay_without_calibrating: bool,
    /// `onlinedischarge_log_throttle_hovercharge`: a battery charge at or above this level
    /// (percent, default 100) does not make the OL + DISCHRG warning repeat when it changes.
    pub onlinedischarge_log_throttle_hovercharge: Option<i64>,
}

/// NUT's default `lbrb_log_delay_sec` for a device when the option is not set: 3 s for APC
/// Back-UPS BXnnnMI, BVKnnnM2 and BKnnnM2-CH models (NUT issues #2347, #2565, #2944, #3006),
/// none otherwise.
pub fn lbrb_default_for(vendor: Option<&str>, product: Option<&str>) -> Option<u64> {
    let (Some(v), Some(p)) = (vendor, product) else { return None };
    if v != "APC" && v != "American Power Conversion" || p.is_empty() {
        return None;
    }
    let b = p.as_bytes();
    let n = b.len();
    let series = |s: &str| p.contains(&format!(" {s}")) || p.starts_with(s);
    let bx = n > 6 && series("BX") && &b[n - 2..] == b"MI";
    let bvk = n > 7 && series("BVK") && &b[n - 2..] == b"M2";
    let bk = n > 9
        && series("BK")
        && &b[n - 5..n - 3] == b"M2"
        && (b[n - 3] == b'-' || b[n - 3] == b'_')
        && &b[n - 2..] == b"CH";
    (bx || bvk || bk).then_some(3)
}

/// What NUT remembers between status updates.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    /// When the current calibration started (NUT's `last_calibration_start`).
    pub calibration_start: Option<Instant>,
    /// When the last calibration ended.
    pub calibration_finish: Option<Instant>,
    /// When LB was first seen while its report is being delayed.
    pub lb_start: Option<Instant>,
    /// When RB was first seen while its report is being delayed.
    pub rb_start: Option<Instant>,
}

/// The result of [`compose`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Composed {
    /// `ups.status` tokens joined by spaces, in NUT's order.
    pub tokens: String,
    /// `input.transfer.reason`: set while the device reports its input out of range, removed
    /// otherwise.
    pub transfer_reason: Option<&'static str>,
    /// `experimental.ups.mode.buzzwords` (ECO/ESS modes), removed when empty.
    pub buzzwords: Vec<&'static str>,
    /// The device says online and discharging, and no option says what that means: worth a
    /// (throttled) warning.
    pub unexplained_online_discharge: bool,
}

/// The result of [`status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `ups.status` tokens joined by spaces.
    pub tokens: String,
    /// See [`Composed::unexplained_online_discharge`].
    pub unexplained_online_discharge: bool,
}

fn number(vars: &BTreeMap<String, String>, name: &str) -> Option<f64> {
    vars.get(name).and_then(|v| v.trim().parse::<f64>().ok())
}

/// Build `ups.status` from the device's bits, the variables of the same update and `p`, with
/// a fresh [`Tracker`] (no delayed LB/RB).
pub fn status(bits: &BTreeMap<StatusBit, bool>, vars: &BTreeMap<String, String>, p: &Policy) -> Status {
    let c = compose(bits, vars, p, &mut Tracker::default(), Instant::now());
    Status { tokens: c.tokens, unexplained_online_discharge: c.unexplained_online_discharge }
}

/// NUT's `ups_status_set()`: the status tokens, `input.transfer.reason` and the buzzwords
/// from the bits the device reported (those never reported count as clear).
pub fn compose(
    bits: &BTreeMap<StatusBit, bool>,
    vars: &BTreeMap<String, String>,
    p: &Policy,
    t: &mut Tracker,
    now: Instant,
) -> Composed {
    use StatusBit::*;
    let on = |b: StatusBit| bits.get(&b.canonical()).copied().unwrap_or(false);
    let mut out = Composed::default();
    let mut st: Vec<&'static str> = Vec::new();
    let set = |st: &mut Vec<&'static str>, tok: &'static str| {
        if !st.contains(&tok) {
            st.push(tok);
        }
    };
    out.transfer_reason = if on(VoltageRange) {
        Some("input voltage out of range")
    } else if on(FrequencyRange) {
        Some("input frequency out of range")
    } else {
        None
    };
    // Calibration first: it looks like OFF or OB on many devices.
    if on(Calibration) {
        set(&mut st, "CAL");
    }
    if on(Offline) {
        set(&mut st, "OB");
    }
    if !on(Online) {
        // No power state at all: on battery only if discharging (NUT's guess).
        if on(Offline) || on(Discharging) {
            set(&mut st, "OB");
        }
    } else if on(Discharging) {
        if p.onlinedischarge_calibration {
            set(&mut st, "CAL");
        }
        if p.onlinedischarge {
            set(&mut st, "OB");
        }
        if !p.onlinedischarge && !p.onlinedischarge_calibration {
            out.unexplained_online_discharge = !on(Calibration);
            set(&mut st, "OL");
        }
    } else {
        set(&mut st, "OL");
    }
    let calibrating = st.contains(&"CAL");
    if on(Discharging) && !on(Depleted) {
        set(&mut st, "DISCHRG");
    }
    if on(Charging) {
        let charging = if on(NotFullyCharged) {
            true
        } else if !on(FullyCharged) {
            // The device says nothing about being full: believe CHRG below 100 %.
            number(vars, "battery.charge").map(|c| c as i64).is_some_and(|c| c > 0 && c < 100)
        } else {
            false
        };
        if charging {
            set(&mut st, "CHRG");
        }
    }
    let lbrb = p.lbrb_log_delay_sec.unwrap_or(0);
    let delay_applies = lbrb >= 1 && (calibrating || p.lbrb_log_delay_without_calibrating) && on(Online);
    let patience = |start: &mut Option<Instant>| -> bool {
        match start {
            None => {
                *start = Some(now);
                false
            }
            Some(s) => now.saturating_duration_since(*s) > Duration::from_secs(lbrb),
        }
    };
    if on(LowBatt) || on(TimeLimitExpired) || on(ShutdownImminent) {
        if !delay_applies || patience(&mut t.lb_start) {
            set(&mut st, "LB");
        }
    } else {
        t.lb_start = None;
    }
    // Ours: `lowbatt` also raises LB from the charge (NUT only passes it to the UPS).
    let charge = number(vars, "battery.charge");
    if matches!((charge, p.lowbatt), (Some(c), Some(l)) if c < l) {
        set(&mut st, "LB");
    }
    if on(Overload) {
        set(&mut st, "OVER");
    }
    if on(ReplaceBatt) || on(NoBattery) {
        let delay = delay_applies && t.lb_start.is_some();
        if !delay || patience(&mut t.rb_start) {
            set(&mut st, "RB");
        }
    } else {
        t.rb_start = None;
    }
    if on(Trim) {
        set(&mut st, "TRIM");
    }
    if on(Boost) {
        set(&mut st, "BOOST");
    }
    if on(BypassAuto) || on(BypassManual) {
        set(&mut st, "BYPASS");
    }
    if on(EcoMode) {
        out.buzzwords.push("vendor:default:ECO");
    }
    if on(EssMode) {
        out.buzzwords.push("vendor:default:ESS");
    }
    if on(Off) {
        set(&mut st, "OFF");
    }
    if calibrating {
        t.calibration_start.get_or_insert(now);
    } else if t.calibration_start.take().is_some() {
        t.calibration_finish = Some(now);
    }
    out.tokens = st.join(" ");
    out
}

/// NUT's `ups_alarm_set()`: the alarm texts of the bits that are set, in NUT's order.
pub fn alarms(bits: &BTreeMap<StatusBit, bool>) -> Vec<&'static str> {
    use StatusBit::*;
    let on = |b: StatusBit| bits.get(&b).copied().unwrap_or(false);
    [
        (ReplaceBatt, "Replace battery!"),
        (ShutdownImminent, "Shutdown imminent!"),
        (FanFailure, "Fan failure!"),
        (NoBattery, "No battery installed!"),
        (BattVoltLow, "Battery voltage too low!"),
        (BattVoltHigh, "Battery voltage too high!"),
        (ChargerFail, "Battery charger fail!"),
        (Overheat, "Temperature too high!"),
        (CommFault, "Internal UPS fault!"),
        (AwaitingPower, "Awaiting power!"),
        (BypassAuto, "Automatic bypass mode!"),
        (BypassManual, "Manual bypass mode!"),
    ]
    .into_iter()
    .filter(|(b, _)| on(*b))
    .map(|(_, t)| t)
    .collect()
}

/// NUT's `process_boolean_info()`: set or clear one bit; setting "online" clears "offline"
/// and the other way round, and likewise "fullycharged" and "notfullycharged". The last
/// writer wins.
pub fn set_bit(bits: &mut BTreeMap<StatusBit, bool>, bit: StatusBit, on: bool) {
    use StatusBit::*;
    let bit = bit.canonical();
    if on {
        let opposite = match bit {
            Online => Some(Offline),
            Offline => Some(Online),
            FullyCharged => Some(NotFullyCharged),
            NotFullyCharged => Some(FullyCharged),
            _ => None,
        };
        if let Some(o) = opposite {
            bits.insert(o, false);
        }
    }
    bits.insert(bit, on);
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
        let cur = charge.map(nut_core::num::atoi).filter(|c| *c > 0);
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

#[cfg(test)]
mod tests {
    use super::*;
    use StatusBit::*;

    /// Bits as the common tables set them: Online and FullyCharged follow NUT's
    /// `online_info` and `fullycharged_info` (0 sets the opposite bit).
    fn bits(list: &[(StatusBit, bool)]) -> BTreeMap<StatusBit, bool> {
        let mut b = BTreeMap::new();
        for (bit, on) in list {
            match (bit, on) {
                (Online, false) => set_bit(&mut b, Offline, true),
                (FullyCharged, false) => set_bit(&mut b, NotFullyCharged, true),
                _ => set_bit(&mut b, *bit, *on),
            }
        }
        b
    }

    fn vars(list: &[(&str, &str)]) -> BTreeMap<String, String> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn tokens(list: &[(StatusBit, bool)], v: &[(&str, &str)]) -> String {
        status(&bits(list), &vars(v), &Policy::default()).tokens
    }

    #[test]
    fn online_discharge_options() {
        let b = bits(&[(Online, true), (Discharging, true)]);
        let v = vars(&[]);
        let plain = status(&b, &v, &Policy::default());
        assert_eq!(plain.tokens, "OL DISCHRG");
        assert!(plain.unexplained_online_discharge);
        let ob = status(&b, &v, &Policy { onlinedischarge: true, ..Policy::default() });
        assert_eq!(ob.tokens, "OB DISCHRG");
        assert!(!ob.unexplained_online_discharge);
        // NUT sets CAL before the power state when the option says OL+DISCHRG is calibration.
        let cal = status(&b, &v, &Policy { onlinedischarge_calibration: true, ..Policy::default() });
        assert_eq!(cal.tokens, "CAL DISCHRG");
        assert!(!cal.unexplained_online_discharge);
        let both = Policy { onlinedischarge: true, onlinedischarge_calibration: true, ..Policy::default() };
        assert_eq!(status(&b, &v, &both).tokens, "CAL OB DISCHRG");
        // A device that says CAL itself needs no warning.
        let devcal = bits(&[(Online, true), (Discharging, true), (Calibration, true)]);
        let s = status(&devcal, &v, &Policy::default());
        assert_eq!(s.tokens, "CAL OL DISCHRG");
        assert!(!s.unexplained_online_discharge);
        // On battery the options change nothing.
        let obb = bits(&[(Online, false), (Discharging, true)]);
        assert_eq!(status(&obb, &v, &both).tokens, "OB DISCHRG");
    }

    #[test]
    fn power_state_as_nut_decides_it() {
        // online_info: 0 means "offline", which clears "online".
        assert_eq!(tokens(&[(Online, false)], &[]), "OB");
        assert_eq!(tokens(&[(Online, true)], &[]), "OL");
        // Nothing reported: no power token (NUT does not guess OL), unless discharging.
        assert_eq!(tokens(&[], &[]), "");
        assert_eq!(tokens(&[(Discharging, true)], &[]), "OB DISCHRG");
        // Both reported (a vendor table that sets "offline" after "online"): last writer wins.
        let mut b = bits(&[(Online, true)]);
        set_bit(&mut b, Offline, true);
        assert_eq!(status(&b, &vars(&[]), &Policy::default()).tokens, "OB");
        // "!online" alone clears online without setting offline.
        let mut b = bits(&[(Offline, true)]);
        set_bit(&mut b, Online, false);
        assert_eq!(status(&b, &vars(&[]), &Policy::default()).tokens, "OB");
    }

    #[test]
    fn chrg_needs_not_fully_charged_or_a_charge_below_100() {
        let ch = [(Online, true), (Charging, true)];
        assert_eq!(tokens(&ch, &[("battery.charge", "80")]), "OL CHRG");
        assert_eq!(tokens(&ch, &[("battery.charge", "100")]), "OL");
        assert_eq!(tokens(&ch, &[]), "OL");
        // fullycharged_info: 0 is "notfullycharged", then CHRG whatever the charge says.
        let nf = [(Online, true), (Charging, true), (FullyCharged, false)];
        assert_eq!(tokens(&nf, &[("battery.charge", "100")]), "OL CHRG");
        let full = [(Online, true), (Charging, true), (FullyCharged, true)];
        assert_eq!(tokens(&full, &[("battery.charge", "80")]), "OL");
    }

    #[test]
    fn depleted_hides_dischrg_and_nobattery_is_rb() {
        assert_eq!(tokens(&[(Online, false), (Discharging, true), (Depleted, true)], &[]), "OB");
        assert_eq!(tokens(&[(Online, true), (NoBattery, true)], &[]), "OL RB");
    }

    #[test]
    fn token_order_is_nuts() {
        let all = [
            (Online, true),
            (Discharging, true),
            (Charging, true),
            (NotFullyCharged, true),
            (LowBatt, true),
            (Overload, true),
            (ReplaceBatt, true),
            (Trim, true),
            (Boost, true),
            (BypassManual, true),
            (Off, true),
            (Calibration, true),
        ];
        assert_eq!(tokens(&all, &[]), "CAL OL DISCHRG CHRG LB OVER RB TRIM BOOST BYPASS OFF");
        // The aliases of the legacy tables are NUT's bits.
        assert_eq!(tokens(&[(Online, true), (Bypass, true)], &[]), "OL BYPASS");
        assert_eq!(
            alarms(&bits(&[(Bypass, true), (InternalFailure, true)])),
            ["Internal UPS fault!", "Automatic bypass mode!"]
        );
    }

    #[test]
    fn lb_from_any_of_three_bits() {
        for b in [LowBatt, TimeLimitExpired, ShutdownImminent] {
            assert_eq!(tokens(&[(Online, false), (b, true)], &[]), "OB LB");
        }
    }

    #[test]
    fn transfer_reason_and_buzzwords() {
        let v = vars(&[]);
        let c = compose(
            &bits(&[(Online, true), (VoltageRange, true), (FrequencyRange, true)]),
            &v,
            &Policy::default(),
            &mut Tracker::default(),
            Instant::now(),
        );
        assert_eq!(c.transfer_reason, Some("input voltage out of range"));
        let c = compose(
            &bits(&[(Online, true), (FrequencyRange, true)]),
            &v,
            &Policy::default(),
            &mut Tracker::default(),
            Instant::now(),
        );
        assert_eq!(c.transfer_reason, Some("input frequency out of range"));
        let c = compose(
            &bits(&[(Online, true), (EcoMode, true), (EssMode, true)]),
            &v,
            &Policy::default(),
            &mut Tracker::default(),
            Instant::now(),
        );
        assert_eq!(
            (c.transfer_reason, c.buzzwords, c.tokens.as_str()),
            (None, vec!["vendor:default:ECO", "vendor:default:ESS"], "OL")
        );
    }

    #[test]
    fn alarm_texts_in_nuts_order() {
        let all = bits(&[
            (BypassManual, true),
            (BypassAuto, true),
            (AwaitingPower, true),
            (CommFault, true),
            (Overheat, true),
            (ChargerFail, true),
            (BattVoltHigh, true),
            (BattVoltLow, true),
            (NoBattery, true),
            (FanFailure, true),
            (ShutdownImminent, true),
            (ReplaceBatt, true),
        ]);
        assert_eq!(
            alarms(&all).join(" "),
            "Replace battery! Shutdown imminent! Fan failure! No battery installed! Battery voltage too low! \
             Battery voltage too high! Battery charger fail! Temperature too high! Internal UPS fault! \
             Awaiting power! Automatic bypass mode! Manual bypass mode!"
        );
        assert!(alarms(&bits(&[(Online, true), (LowBatt, true)])).is_empty());
    }

    #[test]
    fn lbrb_delay_while_calibrating_on_line() {
        let p = Policy { lbrb_log_delay_sec: Some(3), ..Policy::default() };
        let b = bits(&[(Online, true), (Calibration, true), (LowBatt, true), (ReplaceBatt, true)]);
        let v = vars(&[]);
        let mut t = Tracker::default();
        let t0 = Instant::now();
        let at = |t: &mut Tracker, s: u64| compose(&b, &v, &p, t, t0 + Duration::from_secs(s)).tokens;
        assert_eq!(at(&mut t, 0), "CAL OL", "first sight: delayed");
        assert_eq!(at(&mut t, 3), "CAL OL", "not longer than 3 s yet");
        assert_eq!(at(&mut t, 4), "CAL OL LB RB", "both persisted longer than 3 s");
        // RB alone (LB gone) is reported at once: the calibration's LB has ended.
        let rb = bits(&[(Online, true), (Calibration, true), (ReplaceBatt, true)]);
        assert_eq!(compose(&rb, &v, &p, &mut t, t0 + Duration::from_secs(5)).tokens, "CAL OL RB");
        // Not calibrating: no delay unless lbrb_log_delay_without_calibrating.
        let nocal = bits(&[(Online, true), (LowBatt, true)]);
        assert_eq!(compose(&nocal, &v, &p, &mut Tracker::default(), t0).tokens, "OL LB");
        let always = Policy { lbrb_log_delay_without_calibrating: true, ..p.clone() };
        assert_eq!(compose(&nocal, &v, &always, &mut Tracker::default(), t0).tokens, "OL");
        // On battery it is a real power failure: never delayed.
        let ob = bits(&[(Online, false), (Calibration, true), (LowBatt, true)]);
        assert_eq!(compose(&ob, &v, &always, &mut Tracker::default(), t0).tokens, "CAL OB LB");
        // The default for the APC models that flap.
        assert_eq!(lbrb_default_for(Some("American Power Conversion"), Some("Back-UPS BX1600MI")), Some(3));
        assert_eq!(lbrb_default_for(Some("APC"), Some("Back-UPS BK650M2_CH")), Some(3));
        assert_eq!(lbrb_default_for(Some("APC"), Some("BVK750M2")), Some(3));
        assert_eq!(lbrb_default_for(Some("APC"), Some("Back-UPS ES 850G2")), None);
        assert_eq!(lbrb_default_for(Some("EATON"), Some("BX1600MI")), None);
    }

    #[test]
    fn lowbatt_raises_lb_below_the_level() {
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
    }
}
