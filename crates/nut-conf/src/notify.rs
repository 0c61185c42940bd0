//! upsmon's notify types and flags (clients/upsmon.h in NUT 2.8.5 and master), shared by the
//! `upsmon.conf` and `upssched.conf` parsers and by upsmon itself.

use std::fmt;

/// Every notify type, with the NUT release that introduced it ("" for before 2.8).
pub const NOTIFY_TYPES: &[(&str, &str)] = &[
    ("ONLINE", ""),
    ("ONBATT", ""),
    ("LOWBATT", ""),
    ("FSD", ""),
    ("COMMOK", ""),
    ("COMMBAD", ""),
    ("SHUTDOWN", ""),
    ("REPLBATT", ""),
    ("NOCOMM", ""),
    ("NOPARENT", ""),
    ("CAL", "2.8.0"),
    ("NOTCAL", "2.8.0"),
    ("OFF", "2.8.1"),
    ("NOTOFF", "2.8.1"),
    ("BYPASS", "2.8.1"),
    ("NOTBYPASS", "2.8.1"),
    ("ECO", "2.8.3"),
    ("NOTECO", "2.8.3"),
    ("ALARM", "2.8.3"),
    ("NOTALARM", "2.8.3"),
    ("OVER", "2.8.3"),
    ("NOTOVER", "2.8.3"),
    ("TRIM", "2.8.3"),
    ("NOTTRIM", "2.8.3"),
    ("BOOST", "2.8.3"),
    ("NOTBOOST", "2.8.3"),
    ("OTHER", "2.8.3"),
    ("NOTOTHER", "2.8.3"),
    ("SUSPEND_STARTING", "2.8.3"),
    ("SUSPEND_FINISHED", "2.8.3"),
    ("SHUTDOWN_HOSTSYNC", "2.8.5"),
    ("SUSPEND_TIMEJUMP_UNEXPECTED", "2.8.6"),
];

/// The names alone, for suggestions.
pub fn names() -> Vec<&'static str> {
    NOTIFY_TYPES.iter().map(|(n, _)| *n).collect()
}

/// The canonical spelling of a notify type, if `word` is one (NUT compares them
/// case-insensitively).
pub fn canonical(word: &str) -> Option<&'static str> {
    NOTIFY_TYPES.iter().map(|(n, _)| *n).find(|n| n.eq_ignore_ascii_case(word))
}

/// `NOTIFYFLAG` values: SYSLOG, WALL and EXEC can be combined with `+`; IGNORE stands alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NotifyFlags {
    /// Log the message to syslog.
    pub syslog: bool,
    /// Send the message to every terminal (`wall`).
    pub wall: bool,
    /// Run NOTIFYCMD with the message.
    pub exec: bool,
}

impl NotifyFlags {
    /// upsmon's default: SYSLOG+WALL.
    pub const DEFAULT: NotifyFlags = NotifyFlags { syslog: true, wall: true, exec: false };
    /// IGNORE: do nothing.
    pub const IGNORE: NotifyFlags = NotifyFlags { syslog: false, wall: false, exec: false };

    /// Parse `SYSLOG+WALL+EXEC` or `IGNORE` (any case); `Err` names the first bad flag.
    pub fn parse(text: &str) -> Result<NotifyFlags, String> {
        let mut f = NotifyFlags::IGNORE;
        for part in text.split('+') {
            match part.to_ascii_uppercase().as_str() {
                "SYSLOG" => f.syslog = true,
                "WALL" => f.wall = true,
                "EXEC" => f.exec = true,
                "IGNORE" => {}
                _ => return Err(part.to_string()),
            }
        }
        Ok(f)
    }

    /// True when the notification does nothing (IGNORE).
    pub fn is_ignore(self) -> bool {
        !self.syslog && !self.wall && !self.exec
    }
}

/// Written back as upsmon.conf spells it: `SYSLOG+WALL+EXEC` in that order, or `IGNORE`.
impl fmt::Display for NotifyFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut words = Vec::new();
        if self.syslog {
            words.push("SYSLOG");
        }
        if self.wall {
            words.push("WALL");
        }
        if self.exec {
            words.push("EXEC");
        }
        if words.is_empty() {
            words.push("IGNORE");
        }
        f.write_str(&words.join("+"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_and_flags() {
        assert_eq!(NOTIFY_TYPES.len(), 32);
        assert_eq!(canonical("onbatt"), Some("ONBATT"));
        assert_eq!(canonical("ONBAT"), None);
        assert_eq!(
            NotifyFlags::parse("SYSLOG+WALL+EXEC"),
            Ok(NotifyFlags { syslog: true, wall: true, exec: true })
        );
        assert_eq!(NotifyFlags::parse("IGNORE"), Ok(NotifyFlags::IGNORE));
        assert_eq!(NotifyFlags::parse("exec"), Ok(NotifyFlags { syslog: false, wall: false, exec: true }));
        assert_eq!(NotifyFlags::parse("SYSLOG+FOO"), Err("FOO".to_string()));
        assert_eq!(NotifyFlags::parse("wall+syslog").map(|f| f.to_string()), Ok("SYSLOG+WALL".into()));
        assert_eq!(NotifyFlags::IGNORE.to_string(), "IGNORE");
        assert!(NotifyFlags::IGNORE.is_ignore() && !NotifyFlags::DEFAULT.is_ignore());
    }
}
