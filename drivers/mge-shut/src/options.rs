//! mge-shut's options: NUT 2.8.5's list for the SHUT build of its HID driver (usbhid-ups's
//! options without the USB ones, plus `notification`), parsed with file:line in errors.

use std::time::Duration;

use nut_driver::{OptKind, OptSpec};
use nut_hid_ups::policy::Policy;
use nut_hid_ups::session::PollOpts;
use nut_hid_ups::subdrivers::powercom::PowercomFlags;

/// The driver's options, in NUT 2.8.5's order and with its descriptions (`-h`, `-L`).
pub fn option_specs() -> Vec<OptSpec> {
    let v = |name, help| OptSpec { name, kind: OptKind::Value, help };
    let f = |name, help| OptSpec { name, kind: OptKind::Flag, help };
    vec![
        v("lowbatt", "Set low battery level, in % (default=30)"),
        v("offdelay", "Set shutdown delay, in seconds (default=20, or 60 for CPS devices)"),
        v("ondelay", "Set startup delay, in seconds (default=30, or 120 for CPS devices)"),
        v("pollfreq", "Set polling frequency, in seconds, to reduce data flow (default=30, or 12 for CPS devices)"),
        f("pollonly", "Don't use interrupt pipe, only use polling (recommended for CPS devices)"),
        v("interrupt_pipe_no_events_tolerance", "How many times in a row do we tolerate \"Got 0 HID objects\" from USB interrupts?"),
        f("onlinedischarge", "Set to treat discharging while online as being offline/on-battery (DEPRECATED, use onlinedischarge_onbattery)"),
        f("onlinedischarge_onbattery", "Set to treat discharging while online as being offline/on-battery"),
        f("onlinedischarge_calibration", "Set to treat discharging while online as doing calibration"),
        v("onlinedischarge_log_throttle_sec", "Set to throttle log messages about discharging while online (only so often)"),
        v("onlinedischarge_log_throttle_hovercharge", "Set to throttle log messages about discharging while online (only if battery.charge is under this value)"),
        v("lbrb_log_delay_sec", "Set to delay status-setting (and log messages) about device in LB or LB+RB state"),
        f("lbrb_log_delay_without_calibrating", "Set to apply lbrb_log_delay_sec even if device is not calibrating"),
        f("disable_fix_report_desc", "Set to disable fix-ups for broken USB encoding, etc. which we apply by default on certain vendors/products"),
        f("powercom_sdcmd_byte_order_fallback", "Set to use legacy byte order for Powercom HID shutdown commands. Either it was wrong forever, or some older devices/firmwares had it the other way around"),
        f("powercom_sdcmd_discrete_delay", "Set to use discrete timing table for Powercom HID shutdown commands (Raptor and Smart KING Pro series)"),
        v("notification", "Set notification type (ignored, only for backward compatibility)"),
    ]
}

/// The options of one instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// `pollfreq`, `pollonly`, `interrupt_pipe_no_events_tolerance`.
    pub poll: PollOpts,
    /// Status options (`lowbatt`, `onlinedischarge*`, `lbrb_*`).
    pub policy: Policy,
    /// `onlinedischarge_log_throttle_sec`.
    pub throttle_sec: Option<i64>,
    /// `interrupt_pipe_no_events_tolerance` as published (-1: none).
    pub no_events_tolerance: i64,
    /// `disable_fix_report_desc`.
    pub disable_fix_report_desc: bool,
    /// The Powercom flags (accepted as in NUT; the MGE table does not read them).
    pub powercom: PowercomFlags,
    /// `offdelay` as given (seconds).
    pub offdelay: Option<i64>,
    /// `ondelay` as given (seconds).
    pub ondelay: Option<i64>,
    /// `notification` (1, 2 or 3; ignored, as in NUT).
    pub notification: Option<u8>,
}

/// Build [`Settings`] from option lookups (`at(name)` says where it was set).
pub fn settings(
    value: impl Fn(&str) -> Option<String>,
    flag: impl Fn(&str) -> bool,
    at: impl Fn(&str) -> String,
) -> Result<Settings, String> {
    let mut s = Settings::default();
    let int = |name: &str, range: std::ops::RangeInclusive<i64>, what: &str| -> Result<Option<i64>, String> {
        let Some(v) = value(name) else { return Ok(None) };
        match v.trim().parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(format!("{}: invalid {name} = \"{v}\": {what}", at(name))),
        }
    };
    if let Some(n) = int("pollfreq", 1..=i64::from(u32::MAX), "give the full-update period in seconds (> 0)")?
    {
        s.poll.pollfreq = Duration::from_secs(n as u64);
    }
    s.poll.pollonly = flag("pollonly");
    let common = nut_hid_ups::options::common(&value, &flag, &at)?;
    s.policy = common.policy;
    s.offdelay = common.offdelay;
    s.ondelay = common.ondelay;
    s.throttle_sec = common.throttle_sec;
    s.no_events_tolerance = common.no_events_tolerance;
    s.disable_fix_report_desc = common.disable_fix_report_desc;
    s.powercom = common.powercom;
    // SHUT has no interrupt pipe (notifications are off): a tolerance would only make the
    // driver reconnect for nothing, so it is published but not applied.
    s.poll.no_events_tolerance = None;
    s.notification =
        int("notification", 1..=3, "give 1 (no), 2 (light) or 3 (yes); it is ignored")?.map(|n| n as u8);
    Ok(s)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(opts: &[(&str, &str)]) -> Result<Settings, String> {
        settings(
            |k| opts.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()),
            |k| opts.iter().any(|(n, _)| *n == k),
            |k| format!("ups.conf:3 ({k})"),
        )
    }

    #[test]
    fn defaults_and_values() {
        let s = parse(&[]).unwrap();
        assert_eq!(s.poll.pollfreq, Duration::from_secs(30));
        assert_eq!(s.no_events_tolerance, -1);
        let s = parse(&[("pollfreq", "10"), ("lowbatt", "40"), ("ondelay", "-1"), ("notification", "3")])
            .unwrap();
        assert_eq!(s.poll.pollfreq, Duration::from_secs(10));
        assert_eq!(s.policy.lowbatt, Some(40.0));
        assert_eq!(s.ondelay, Some(-1));
        assert_eq!(s.notification, Some(3));
    }

    #[test]
    fn bad_values_name_the_option_and_where() {
        let e = parse(&[("notification", "7")]).unwrap_err();
        assert!(e.starts_with("ups.conf:3 (notification): invalid notification = \"7\""), "{e}");
        assert!(parse(&[("pollfreq", "0")]).unwrap_err().contains("pollfreq"));
        assert!(parse(&[("lowbatt", "120")]).unwrap_err().contains("lowbatt"));
    }

    #[test]
    fn every_nut_option_is_listed() {
        let names: Vec<&str> = option_specs().iter().map(|o| o.name).collect();
        for n in ["lowbatt", "offdelay", "ondelay", "notification", "pollfreq", "pollonly"] {
            assert!(names.contains(&n), "{n}");
        }
        assert!(!names.contains(&"vendorid"), "SHUT has no USB matching");
    }
}
