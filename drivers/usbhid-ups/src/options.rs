//! The options of NUT 2.8.5's usbhid-ups (`usbhid-ups.txt`, `nut_usb_addvars.txt`), parsed
//! into [`Settings`] without touching the device: the polling options go to the session's
//! [`PollOpts`], the status ones to the engine's [`Policy`] (which also applies the LB/RB delay
//! of `lbrb_log_delay_sec`), and the Powercom shutdown-command flags to the powercom
//! subdriver's conversions ([`powercom`]).
//!
//! Where NUT logs "invalid value, defaulting to ..." and carries on, we refuse the value with
//! where it was set (`ups.conf:12` or `-x name`) and what is accepted: a typo in a shutdown
//! or reconnect setting is better found at start than after a power failure.

use std::time::Duration;

use crate::device_table::{self, MatchOpts, NutSubdriver};
use nut_hid_ups::policy::Policy;
use nut_hid_ups::session::PollOpts;

/// The reading, status and matching options of one instance, from ups.conf / `-x`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// `pollfreq`, `pollonly`, `interruptonly`, `interrupt_pipe_no_events_tolerance`,
    /// `waitbeforereconnect`.
    pub poll: PollOpts,
    /// `pollfreq` as given (CPS devices get another default when it is not).
    pub pollfreq_given: bool,
    /// `lowbatt`, `onlinedischarge` / `onlinedischarge_onbattery`, `onlinedischarge_calibration`,
    /// `lbrb_log_delay_sec`, `lbrb_log_delay_without_calibrating`,
    /// `onlinedischarge_log_throttle_hovercharge`.
    pub policy: Policy,
    /// `onlinedischarge_log_throttle_sec`.
    pub throttle_sec: Option<i64>,
    /// `interrupt_pipe_no_events_tolerance` as published (-1: no limit, NUT's default; the
    /// session's is [`PollOpts::no_events_tolerance`]).
    pub no_events_tolerance: i64,
    /// `maxreport`: ask for whole buffers in GET_REPORT (buggy APC Back-UPS firmware).
    pub maxreport: bool,
    /// `disable_fix_report_desc`: leave known-bad report descriptors as the device sends them.
    pub disable_fix_report_desc: bool,
    /// `powercom_sdcmd_byte_order_fallback` and `powercom_sdcmd_discrete_delay`.
    pub powercom: PowercomFlags,
    /// `subdriver = <regex>`: the NUT subdriver it selects.
    pub subdriver: Option<&'static NutSubdriver>,
    /// `explore`: take any device (with `vendorid`), with the explore subdriver.
    pub explore: bool,
    /// `winhid` (a Windows build's backend; NUT ignores it elsewhere, with a warning).
    pub winhid: bool,
    /// `offdelay` / `ondelay` as given (seconds).
    pub offdelay: Option<i64>,
    /// See [`Settings::offdelay`].
    pub ondelay: Option<i64>,
    /// `allow_duplicates`.
    pub allow_duplicates: bool,
    /// What the subdriver claims look at (`productid` given, `explore`, `usb_*` given).
    pub matching: MatchOpts,
    /// The `usb_*` options of nut_usb_addvars and `interruptsize`.
    pub usb: UsbOpts,
}

/// NUT's `usb_*` tuning options (nut_usb_addvars(8)), shared with the other USB drivers.
pub use nut_transport::usb::UsbOpts;

/// The Powercom shutdown-command flags live with the powercom table (its conversion functions
/// read them); re-exported here, where the options that set them are parsed.
pub use nut_hid_ups::subdrivers::powercom::{powercom, set_powercom, PowercomFlags};

/// Build [`Settings`] from option lookups (`value(name)` for `name = value` options,
/// `flag(name)` for flags, `at(name)` says where it was set: `ups.conf:12` or `-x name`);
/// errors name the option, where it was set and the accepted values.
pub fn settings(
    value: impl Fn(&str) -> Option<String>,
    flag: impl Fn(&str) -> bool,
    at: impl Fn(&str) -> String,
) -> Result<Settings, String> {
    let mut s = Settings { no_events_tolerance: -1, ..Settings::default() };
    let hex = |name: &str, max: u32| -> Result<Option<u8>, String> {
        let Some(v) = value(name) else { return Ok(None) };
        let t = v.trim();
        let digits = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")).unwrap_or(t);
        match u32::from_str_radix(digits, 16) {
            Ok(n) if n <= max => Ok(Some(n as u8)),
            _ => Err(format!(
                "{}: could not parse {name} = \"{v}\": give a hexadecimal number from 0 to {max:x}",
                at(name)
            )),
        }
    };
    // A whole number in `range`, with `what` saying what it is.
    let int = |name: &str, range: std::ops::RangeInclusive<i64>, what: &str| -> Result<Option<i64>, String> {
        let Some(v) = value(name) else { return Ok(None) };
        match v.trim().parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(format!("{}: invalid {name} = \"{v}\": {what}", at(name))),
        }
    };
    s.usb.config_index = hex("usb_config_index", 0xff)?;
    s.usb.interface = hex("usb_hid_rep_index", 0xff)?;
    s.usb.desc_index = hex("usb_hid_desc_index", 0xff)?;
    s.usb.ep_in = hex("usb_hid_ep_in", 0x7f)?;
    s.usb.ep_out = hex("usb_hid_ep_out", 0x7f)?;
    if flag("usb_set_altinterface") {
        s.usb.altinterface = Some(match value("usb_set_altinterface") {
            None => 0,
            Some(v) => v.trim().parse::<u8>().map_err(|_| {
                format!(
                    "{}: usb_set_altinterface = \"{v}\" is not a valid bAlternateSetting: give a number \
                     from 0 to 255, or the flag alone for 0",
                    at("usb_set_altinterface")
                )
            })?,
        });
    }
    s.usb.interrupt_size =
        int("interruptsize", 1..=i64::from(u16::MAX), "give the number of bytes to read (> 0)")?
            .map(|n| n as usize);
    if let Some(v) = value("pollfreq") {
        let n: u64 = v.trim().parse().ok().filter(|n| *n > 0).ok_or_else(|| {
            format!(
                "{}: invalid pollfreq = \"{v}\": give the full-update period in seconds (> 0)",
                at("pollfreq")
            )
        })?;
        s.poll.pollfreq = Duration::from_secs(n);
        s.pollfreq_given = true;
    }
    s.poll.pollonly = flag("pollonly");
    // Both together would leave nothing reading the UPS after start-up (NUT's driver then
    // serves the first values for ever): polling wins, and the driver says so at start.
    s.poll.interruptonly = flag("interruptonly") && !s.poll.pollonly;
    let common = nut_hid_ups::options::common(&value, &flag, &at)?;
    s.policy = common.policy;
    s.offdelay = common.offdelay;
    s.ondelay = common.ondelay;
    s.throttle_sec = common.throttle_sec;
    s.no_events_tolerance = common.no_events_tolerance;
    s.disable_fix_report_desc = common.disable_fix_report_desc;
    s.powercom = common.powercom;
    s.poll.no_events_tolerance = u64::try_from(s.no_events_tolerance).ok();
    s.poll.wait_before_reconnect = Duration::from_secs(
        int("waitbeforereconnect", 0..=86_400, "give the seconds to wait before reconnecting (0 or more)")?
            .unwrap_or(0) as u64,
    );
    s.maxreport = flag("maxreport");
    s.explore = flag("explore");
    s.winhid = flag("winhid");
    if let Some(v) = value("subdriver") {
        s.subdriver = Some(device_table::by_name(&v).map_err(|e| {
            format!("{}: {e} (run the driver with -h for the list of subdrivers)", at("subdriver"))
        })?);
    }
    s.allow_duplicates = flag("allow_duplicates");
    s.matching = MatchOpts {
        productid: value("productid").is_some(),
        explore: s.explore,
        usb_hid_rep_index: value("usb_hid_rep_index").is_some(),
        usb_hid_ep_in: value("usb_hid_ep_in").is_some(),
        usb_hid_ep_out: value("usb_hid_ep_out").is_some(),
    };
    Ok(s)
}

/// What NUT requires of the matching options with `subdriver` and `explore` when a real USB
/// device is looked for (a recording names its own ids).
pub fn usb_requirements(s: &Settings, has: impl Fn(&str) -> bool) -> Result<(), String> {
    if s.explore && !has("vendorid") {
        return Err("must specify \"vendorid\" when using \"explore\"".into());
    }
    if s.subdriver.is_some() && !(has("vendorid") && has("productid")) {
        return Err("When specifying a subdriver, 'vendorid' and 'productid' are mandatory.".into());
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse(opts: &[(&str, Option<&str>)]) -> Result<Settings, String> {
        settings(
            |k| opts.iter().find(|(n, _)| *n == k).and_then(|(_, v)| v.map(str::to_string)),
            |k| opts.iter().any(|(n, _)| *n == k),
            |k| format!("ups.conf:{}", 3 + opts.iter().position(|(n, _)| *n == k).unwrap_or(0)),
        )
    }

    #[test]
    fn values_are_checked_with_where_they_were_set() {
        let e = parse(&[("onlinedischarge_log_throttle_hovercharge", Some("0"))]).unwrap_err();
        assert!(e.starts_with("ups.conf:3: invalid onlinedischarge_log_throttle_hovercharge = \"0\""), "{e}");
        let e = parse(&[("pollonly", None), ("lbrb_log_delay_sec", Some("-1"))]).unwrap_err();
        assert!(e.starts_with("ups.conf:4: invalid lbrb_log_delay_sec"), "{e}");
        let e = parse(&[("interrupt_pipe_no_events_tolerance", Some("x"))]).unwrap_err();
        assert!(e.contains("interrupt_pipe_no_events_tolerance"), "{e}");
        let e = parse(&[("subdriver", Some("nosuch"))]).unwrap_err();
        assert!(
            e.starts_with("ups.conf:3: Configuration requested subdriver 'nosuch' but none matched"),
            "{e}"
        );
        let e = parse(&[("interruptsize", Some("0"))]).unwrap_err();
        assert!(e.contains("interruptsize"), "{e}");
        assert!(parse(&[("waitbeforereconnect", Some("soon"))]).is_err());
        assert!(parse(&[("usb_hid_ep_out", Some("zz"))]).is_err());
    }

    #[test]
    fn values_land_in_the_settings() {
        let s = parse(&[
            ("onlinedischarge_onbattery", None),
            ("onlinedischarge_log_throttle_hovercharge", Some("90")),
            ("lbrb_log_delay_sec", Some("5")),
            ("lbrb_log_delay_without_calibrating", None),
            ("interrupt_pipe_no_events_tolerance", Some("3")),
            ("waitbeforereconnect", Some("30")),
            ("maxreport", None),
            ("disable_fix_report_desc", None),
            ("powercom_sdcmd_discrete_delay", None),
            ("subdriver", Some("powercom")),
            ("usb_hid_ep_out", Some("5")),
            ("interruptsize", Some("8")),
            ("productid", Some("0004")),
        ])
        .unwrap();
        assert!(s.policy.onlinedischarge);
        assert_eq!(s.policy.onlinedischarge_log_throttle_hovercharge, Some(90));
        assert_eq!(
            (s.policy.lbrb_log_delay_sec, s.policy.lbrb_log_delay_without_calibrating),
            (Some(5), true)
        );
        assert_eq!((s.no_events_tolerance, s.poll.no_events_tolerance), (3, Some(3)));
        assert_eq!(s.poll.wait_before_reconnect, Duration::from_secs(30));
        assert!(s.maxreport && s.disable_fix_report_desc);
        assert_eq!(s.powercom, PowercomFlags { byte_order_fallback: false, discrete_delay: true });
        assert_eq!(s.subdriver.map(|n| n.file), Some("powercom-hid.c"));
        assert_eq!((s.usb.ep_out, s.usb.interrupt_size), (Some(5), Some(8)));
        assert!(s.matching.productid && !s.matching.usb_hid_rep_index);
        assert_eq!(parse(&[]).unwrap().no_events_tolerance, -1, "NUT's default");
    }

    #[test]
    fn usb_requirements_as_nut() {
        let s = parse(&[("explore", None)]).unwrap();
        assert!(usb_requirements(&s, |_| false).unwrap_err().contains("vendorid"));
        assert!(usb_requirements(&s, |k| k == "vendorid").is_ok());
        let s = parse(&[("subdriver", Some("apc"))]).unwrap();
        assert!(usb_requirements(&s, |k| k == "vendorid").is_err());
        assert!(usb_requirements(&s, |_| true).is_ok());
    }

    #[test]
    fn powercom_flags_round_trip() {
        let f = PowercomFlags { byte_order_fallback: true, discrete_delay: false };
        set_powercom(f);
        assert_eq!(powercom(), f);
        set_powercom(PowercomFlags::default());
        assert_eq!(powercom(), PowercomFlags::default());
    }
}
