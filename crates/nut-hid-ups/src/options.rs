//! The options every build of NUT's HID driver takes (usbhid-ups over USB, mge-shut over
//! SHUT): the status policy, the shutdown delays, the interrupt tolerance, the report
//! descriptor fix-ups and the Powercom flags. Each driver parses its own transport options
//! around these. Errors name the option, where it was set (`ups.conf:12` or `-x name`) and
//! what is accepted.

use crate::policy::Policy;
use crate::subdrivers::powercom::PowercomFlags;

/// The common options of one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    /// `lowbatt`, `onlinedischarge` / `onlinedischarge_onbattery`, `onlinedischarge_calibration`,
    /// `onlinedischarge_log_throttle_hovercharge`, `lbrb_log_delay_sec`,
    /// `lbrb_log_delay_without_calibrating`.
    pub policy: Policy,
    /// `onlinedischarge_log_throttle_sec`.
    pub throttle_sec: Option<i64>,
    /// `interrupt_pipe_no_events_tolerance` as published (-1: no limit, NUT's default).
    pub no_events_tolerance: i64,
    /// `offdelay` as given (seconds).
    pub offdelay: Option<i64>,
    /// `ondelay` as given (seconds).
    pub ondelay: Option<i64>,
    /// `disable_fix_report_desc`.
    pub disable_fix_report_desc: bool,
    /// `powercom_sdcmd_byte_order_fallback` and `powercom_sdcmd_discrete_delay`.
    pub powercom: PowercomFlags,
}

/// A whole number option in `range` (`what` says what it is), or `None` when not set.
pub fn int(
    value: &impl Fn(&str) -> Option<String>,
    at: &impl Fn(&str) -> String,
    name: &str,
    range: std::ops::RangeInclusive<i64>,
    what: &str,
) -> Result<Option<i64>, String> {
    let Some(v) = value(name) else { return Ok(None) };
    match v.trim().parse::<i64>() {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(format!("{}: invalid {name} = \"{v}\": {what}", at(name))),
    }
}

/// Parse the common options from option lookups (`value(name)` for `name = value`,
/// `flag(name)` for flags, `at(name)` where it was set).
pub fn common(
    value: &impl Fn(&str) -> Option<String>,
    flag: &impl Fn(&str) -> bool,
    at: &impl Fn(&str) -> String,
) -> Result<Common, String> {
    let mut policy = Policy::default();
    if let Some(v) = value("lowbatt") {
        let n: f64 =
            v.trim().trim_end_matches('%').parse().ok().filter(|n| (0.0..=100.0).contains(n)).ok_or_else(
                || {
                    format!(
                        "{}: invalid lowbatt = \"{v}\": give a battery charge in percent (0-100)",
                        at("lowbatt")
                    )
                },
            )?;
        policy.lowbatt = Some(n);
    }
    let i32_range = i64::from(i32::MIN)..=i64::from(i32::MAX);
    let offdelay = int(value, at, "offdelay", i32_range.clone(), "give the shutdown delay in seconds")?;
    let ondelay = int(value, at, "ondelay", i32_range, "give the startup delay in seconds")?;
    // `onlinedischarge` is the deprecated name of `onlinedischarge_onbattery` (NUT 2.8.2).
    policy.onlinedischarge = flag("onlinedischarge") || flag("onlinedischarge_onbattery");
    policy.onlinedischarge_calibration = flag("onlinedischarge_calibration");
    let throttle_sec = int(
        value,
        at,
        "onlinedischarge_log_throttle_sec",
        i64::MIN..=i64::MAX,
        "give seconds (0 = log every time, negative = do not repeat)",
    )?;
    policy.onlinedischarge_log_throttle_hovercharge = int(
        value,
        at,
        "onlinedischarge_log_throttle_hovercharge",
        1..=100,
        "give a battery charge in percent (1-100) at or above which charge changes are not logged",
    )?;
    policy.lbrb_log_delay_sec =
        int(value, at, "lbrb_log_delay_sec", 0..=i64::from(u32::MAX), "give seconds (0 or more)")?
            .map(|n| n as u64);
    policy.lbrb_log_delay_without_calibrating = flag("lbrb_log_delay_without_calibrating");
    let no_events_tolerance = int(
        value,
        at,
        "interrupt_pipe_no_events_tolerance",
        -1..=i64::from(i32::MAX),
        "give how many polls in a row without interrupt reports to tolerate before reconnecting (-1 = any)",
    )?
    .unwrap_or(-1);
    Ok(Common {
        policy,
        throttle_sec,
        no_events_tolerance,
        offdelay,
        ondelay,
        disable_fix_report_desc: flag("disable_fix_report_desc"),
        powercom: PowercomFlags {
            byte_order_fallback: flag("powercom_sdcmd_byte_order_fallback"),
            discrete_delay: flag("powercom_sdcmd_discrete_delay"),
        },
    })
}
