//! Notification types, their default messages and flags, and message formatting.
//!
//! The set is NUT 2.8.5's (`clients/upsmon.h`) plus NUT 2.8.6's SUSPEND_TIMEJUMP_UNEXPECTED.
//! A message is a printf-style format whose first `%s` is the UPS name as written in the
//! MONITOR line; ALARM and OTHER carry a second `%s` (the `ups.alarm` text, the unclassified
//! status tokens). SUSPEND_TIMEJUMP_UNEXPECTED concerns no UPS: its `%s` is the size of the
//! jump (`3600.000000 seconds`; NUT 2.8.6 means that too, but fills in the empty UPS name).

use std::fmt;

/// One of upsmon's notification types (`NOTIFYMSG`/`NOTIFYFLAG` keys, `NOTIFYTYPE` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum NotifyType {
    Online,
    OnBatt,
    LowBatt,
    Fsd,
    CommOk,
    CommBad,
    Shutdown,
    ReplBatt,
    NoComm,
    NoParent,
    Cal,
    NotCal,
    Off,
    NotOff,
    Bypass,
    NotBypass,
    Eco,
    NotEco,
    Alarm,
    NotAlarm,
    Over,
    NotOver,
    Trim,
    NotTrim,
    Boost,
    NotBoost,
    Other,
    NotOther,
    SuspendStarting,
    SuspendFinished,
    ShutdownHostsync,
    SuspendTimejumpUnexpected,
}

/// Name, default message, in NUT's table order.
const TABLE: &[(NotifyType, &str, &str)] = &[
    (NotifyType::Online, "ONLINE", "UPS %s on line power"),
    (NotifyType::OnBatt, "ONBATT", "UPS %s on battery"),
    (NotifyType::LowBatt, "LOWBATT", "UPS %s battery is low"),
    (NotifyType::Fsd, "FSD", "UPS %s: forced shutdown in progress"),
    (NotifyType::CommOk, "COMMOK", "Communications with UPS %s established"),
    (NotifyType::CommBad, "COMMBAD", "Communications with UPS %s lost"),
    (NotifyType::Shutdown, "SHUTDOWN", "Auto logout and shutdown proceeding"),
    (NotifyType::ReplBatt, "REPLBATT", "UPS %s battery needs to be replaced"),
    (NotifyType::NoComm, "NOCOMM", "UPS %s is unavailable"),
    (NotifyType::NoParent, "NOPARENT", "upsmon parent process died - shutdown impossible"),
    (NotifyType::Cal, "CAL", "UPS %s: calibration in progress"),
    (NotifyType::NotCal, "NOTCAL", "UPS %s: calibration finished"),
    (NotifyType::Off, "OFF", "UPS %s: administratively OFF or asleep"),
    (NotifyType::NotOff, "NOTOFF", "UPS %s: no longer administratively OFF or asleep"),
    (NotifyType::Bypass, "BYPASS", "UPS %s: on bypass (powered, not protecting)"),
    (NotifyType::NotBypass, "NOTBYPASS", "UPS %s: no longer on bypass"),
    (NotifyType::Eco, "ECO", "UPS %s: in ECO mode (as defined by vendor)"),
    (NotifyType::NotEco, "NOTECO", "UPS %s: no longer in ECO mode"),
    (NotifyType::Alarm, "ALARM", "UPS %s: one or more active alarms: [%s]"),
    (NotifyType::NotAlarm, "NOTALARM", "UPS %s is no longer in an alarm state (no active alarms)"),
    (NotifyType::Over, "OVER", "UPS %s: overloaded"),
    (NotifyType::NotOver, "NOTOVER", "UPS %s: no longer overloaded"),
    (NotifyType::Trim, "TRIM", "UPS %s: trimming incoming voltage"),
    (NotifyType::NotTrim, "NOTTRIM", "UPS %s: no longer trimming incoming voltage"),
    (NotifyType::Boost, "BOOST", "UPS %s: boosting incoming voltage"),
    (NotifyType::NotBoost, "NOTBOOST", "UPS %s: no longer boosting incoming voltage"),
    (NotifyType::Other, "OTHER", "UPS %s: has at least one unclassified status token: [%s]"),
    (NotifyType::NotOther, "NOTOTHER", "UPS %s has no unclassified status tokens anymore"),
    (NotifyType::SuspendStarting, "SUSPEND_STARTING", "OS is entering sleep/suspend/hibernate mode"),
    (
        NotifyType::SuspendFinished,
        "SUSPEND_FINISHED",
        "OS just finished sleep/suspend/hibernate mode, de-activating obsolete UPS readings to avoid an unfortunate shutdown",
    ),
    (
        NotifyType::ShutdownHostsync,
        "SHUTDOWN_HOSTSYNC",
        "Shutdown initiated; primary system is waiting for secondaries to log out or time out",
    ),
    (
        NotifyType::SuspendTimejumpUnexpected,
        "SUSPEND_TIMEJUMP_UNEXPECTED",
        "Unexpected clock change by %s, treating as wake up from sleep",
    ),
];

impl NotifyType {
    /// Every type, in NUT's order.
    pub fn all() -> impl Iterator<Item = NotifyType> {
        TABLE.iter().map(|(t, _, _)| *t)
    }

    /// The name used in upsmon.conf and in `NOTIFYTYPE` (`ONBATT`).
    pub fn name(self) -> &'static str {
        TABLE.iter().find(|(t, _, _)| *t == self).map(|(_, n, _)| *n).unwrap_or("UNKNOWN")
    }

    /// NUT's stock message for this type.
    pub fn default_message(self) -> &'static str {
        TABLE.iter().find(|(t, _, _)| *t == self).map(|(_, _, m)| *m).unwrap_or("%s")
    }

    /// True for the notifications about this host rather than a UPS (UPSNAME is empty).
    pub fn is_host_wide(self) -> bool {
        matches!(
            self,
            NotifyType::Shutdown
                | NotifyType::NoParent
                | NotifyType::ShutdownHostsync
                | NotifyType::SuspendStarting
                | NotifyType::SuspendFinished
                | NotifyType::SuspendTimejumpUnexpected
        )
    }

    /// Looks a type up by its upsmon.conf name, case-insensitively as NUT does.
    pub fn from_name(name: &str) -> Option<NotifyType> {
        TABLE.iter().find(|(_, n, _)| n.eq_ignore_ascii_case(name)).map(|(t, _, _)| *t)
    }
}

impl fmt::Display for NotifyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What to do with a notification (`NOTIFYFLAG`): nut-conf's type, which parses upsmon.conf.
pub use nut_conf::notify::NotifyFlags;

/// Per-type messages and flags: NOTIFYMSG and NOTIFYFLAG over NUT's defaults.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotifyTable {
    messages: Vec<(NotifyType, String)>,
    flags: Vec<(NotifyType, NotifyFlags)>,
}

impl NotifyTable {
    /// Sets a custom message (NOTIFYMSG); the last one wins, as in NUT.
    pub fn set_message(&mut self, ntype: NotifyType, msg: impl Into<String>) {
        self.messages.retain(|(t, _)| *t != ntype);
        self.messages.push((ntype, msg.into()));
    }

    /// Sets the flags (NOTIFYFLAG); the last one wins.
    pub fn set_flags(&mut self, ntype: NotifyType, flags: NotifyFlags) {
        self.flags.retain(|(t, _)| *t != ntype);
        self.flags.push((ntype, flags));
    }

    /// The message format for `ntype`.
    pub fn message(&self, ntype: NotifyType) -> &str {
        self.messages
            .iter()
            .find(|(t, _)| *t == ntype)
            .map(|(_, m)| m.as_str())
            .unwrap_or_else(|| ntype.default_message())
    }

    /// The flags for `ntype`.
    pub fn flags(&self, ntype: NotifyType) -> NotifyFlags {
        self.flags.iter().find(|(t, _)| *t == ntype).map(|(_, f)| *f).unwrap_or(NotifyFlags::DEFAULT)
    }
}

/// Expands a NOTIFYMSG format: the first `%s` becomes `ups`, the second `extra`, `%%` a
/// percent sign. Other `%` sequences are kept literally, so a stray `%d` in a user's message
/// cannot crash anything (NUT would hand it to printf).
pub fn format_message(format: &str, ups: &str, extra: &str) -> String {
    let mut out = String::with_capacity(format.len() + ups.len() + extra.len());
    let mut args = [ups, extra].into_iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('s') => {
                chars.next();
                out.push_str(args.next().unwrap_or(""));
            }
            Some('%') => {
                chars.next();
                out.push('%');
            }
            _ => out.push('%'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in NotifyType::all() {
            assert_eq!(NotifyType::from_name(t.name()), Some(t));
        }
        assert_eq!(NotifyType::from_name("onbatt"), Some(NotifyType::OnBatt));
        assert_eq!(NotifyType::all().count(), 32);
    }

    #[test]
    fn stock_messages_match_nut() {
        assert_eq!(
            format_message(NotifyType::OnBatt.default_message(), "ups@localhost", ""),
            "UPS ups@localhost on battery"
        );
        assert_eq!(
            format_message(NotifyType::Alarm.default_message(), "u@h", "Replace battery!"),
            "UPS u@h: one or more active alarms: [Replace battery!]"
        );
        assert_eq!(
            format_message(NotifyType::Shutdown.default_message(), "u@h", ""),
            "Auto logout and shutdown proceeding"
        );
    }

    #[test]
    fn format_is_safe_with_odd_percent_signs() {
        assert_eq!(format_message("100%% %d %s %s %s", "a", "b"), "100% %d a b ");
        assert_eq!(format_message("end%", "a", ""), "end%");
    }

    #[test]
    fn flags_parse_and_print() {
        assert_eq!(
            NotifyFlags::parse("SYSLOG+WALL+EXEC").map(|f| f.to_string()),
            Ok("SYSLOG+WALL+EXEC".into())
        );
        assert_eq!(NotifyFlags::parse("IGNORE"), Ok(NotifyFlags::IGNORE));
        assert!(NotifyFlags::parse("SYSLOG+MAIL").is_err());
        let mut t = NotifyTable::default();
        t.set_flags(NotifyType::OnBatt, NotifyFlags::parse("EXEC").unwrap_or_default());
        t.set_message(NotifyType::OnBatt, "power gone on %s");
        assert_eq!(t.flags(NotifyType::OnBatt).to_string(), "EXEC");
        assert_eq!(t.flags(NotifyType::Online), NotifyFlags::DEFAULT);
        assert_eq!(t.message(NotifyType::OnBatt), "power gone on %s");
    }

    /// Every type upsmon acts on is one the upsmon.conf parser accepts, under the same name.
    #[test]
    fn types_match_the_config_parser() {
        for t in NotifyType::all() {
            assert_eq!(nut_conf::notify::canonical(t.name()), Some(t.name()), "{t}");
        }
    }
}
