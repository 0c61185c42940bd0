//! Messages upsd (or upsdrvctl, or another local tool) sends to a driver.

use super::{int, split_checked, SockError};
use crate::words::{quote, quote_if_needed};

/// A request line to the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerMsg {
    /// `BROADCAST [n]`: (re-)enable unsolicited updates on this connection.
    Broadcast(Option<i64>),
    /// `DUMPALL`: send every variable, flag, enum, range and command, then `DUMPDONE`.
    DumpAll,
    /// `DUMPSTATUS`: send the data state and the status variables.
    DumpStatus,
    /// `DUMPVALUE <var>`: send one variable.
    DumpValue(String),
    /// `GETPID`
    GetPid,
    /// `INSTCMD <cmd> [<param>] [TRACKING <id>]`
    Instcmd {
        /// Command name.
        cmd: String,
        /// Optional parameter.
        param: Option<String>,
        /// Tracking id, when the client asked for tracking.
        tracking: Option<String>,
    },
    /// `LOGOUT`
    Logout,
    /// `NOBROADCAST`: stop unsolicited updates on this connection.
    NoBroadcast,
    /// `PING`: the driver answers `PONG`.
    Ping,
    /// `SET <var> "<value>" [TRACKING <id>]`
    Set {
        /// Variable name.
        var: String,
        /// New value.
        value: String,
        /// Tracking id, when the client asked for tracking.
        tracking: Option<String>,
    },
}

impl ServerMsg {
    /// Parse one line (without its newline).
    pub fn parse(line: &str) -> Result<Self, SockError> {
        let w = split_checked(line)?;
        let verb = w[0].to_ascii_uppercase();
        let args = &w[1..];
        // `... TRACKING <id>` may end INSTCMD and SET, but only after their required words:
        // `SET TRACKING "x"` sets a variable named TRACKING and `INSTCMD TRACKING x` runs a
        // command named TRACKING, as in NUT, where the suffix needs enough words before it.
        let required = match verb.as_str() {
            "INSTCMD" => 1,
            "SET" => 2,
            _ => usize::MAX,
        };
        let (args, tracking) = match args {
            [rest @ .., t, id] if rest.len() >= required && t.eq_ignore_ascii_case("TRACKING") => {
                (rest, Some(id.clone()))
            }
            _ => (args, None),
        };
        Ok(match verb.as_str() {
            "PING" => Self::Ping,
            "DUMPALL" => Self::DumpAll,
            "DUMPSTATUS" => Self::DumpStatus,
            "DUMPVALUE" => {
                Self::DumpValue(args.first().cloned().ok_or(SockError::Arity("DUMPVALUE", "<var>"))?)
            }
            "GETPID" => Self::GetPid,
            "LOGOUT" => Self::Logout,
            "NOBROADCAST" => Self::NoBroadcast,
            "BROADCAST" => Self::Broadcast(match args.first() {
                Some(n) => Some(int("BROADCAST", n)?),
                None => None,
            }),
            "INSTCMD" => {
                let cmd = args.first().cloned().ok_or(SockError::Arity("INSTCMD", "<cmd> [<param>]"))?;
                Self::Instcmd { cmd, param: args.get(1).cloned(), tracking }
            }
            "SET" => {
                if args.len() < 2 {
                    return Err(SockError::Arity("SET", "<var> <value>"));
                }
                Self::Set { var: args[0].clone(), value: args[1].clone(), tracking }
            }
            other => return Err(SockError::Unknown(other.to_string())),
        })
    }

    /// Format as the line upsd sends, newline included.
    pub fn to_line(&self) -> String {
        let mut s = match self {
            Self::Ping => "PING".into(),
            Self::DumpAll => "DUMPALL".into(),
            Self::DumpStatus => "DUMPSTATUS".into(),
            Self::DumpValue(v) => format!("DUMPVALUE {}", quote_if_needed(v)),
            Self::GetPid => "GETPID".into(),
            Self::Logout => "LOGOUT".into(),
            Self::NoBroadcast => "NOBROADCAST".into(),
            Self::Broadcast(None) => "BROADCAST".into(),
            Self::Broadcast(Some(n)) => format!("BROADCAST {n}"),
            Self::Instcmd { cmd, param, tracking } => {
                let mut s = format!("INSTCMD {}", quote_if_needed(cmd));
                if let Some(p) = param {
                    s.push(' ');
                    s.push_str(&quote(p));
                }
                if let Some(id) = tracking {
                    s.push_str(" TRACKING ");
                    s.push_str(&quote_if_needed(id));
                }
                s
            }
            Self::Set { var, value, tracking } => {
                let mut s = format!("SET {} {}", quote_if_needed(var), quote(value));
                if let Some(id) = tracking {
                    s.push_str(" TRACKING ");
                    s.push_str(&quote_if_needed(id));
                }
                s
            }
        };
        s.push('\n');
        s
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn tracking_suffix() {
        assert_eq!(
            ServerMsg::parse("INSTCMD load.off TRACKING abc").unwrap(),
            ServerMsg::Instcmd { cmd: "load.off".into(), param: None, tracking: Some("abc".into()) }
        );
        assert_eq!(
            ServerMsg::parse(r#"SET ups.id "a b" TRACKING x"#).unwrap(),
            ServerMsg::Set { var: "ups.id".into(), value: "a b".into(), tracking: Some("x".into()) }
        );
        assert_eq!(
            ServerMsg::parse("INSTCMD test.battery.start 60").unwrap(),
            ServerMsg::Instcmd { cmd: "test.battery.start".into(), param: Some("60".into()), tracking: None }
        );
    }

    #[test]
    fn tracking_needs_the_required_words_before_it() {
        // Found by fuzz/fuzz_targets/sock_line.rs: these used to lose their arguments.
        assert_eq!(
            ServerMsg::parse(r#"SET TRACKING "x""#).unwrap(),
            ServerMsg::Set { var: "TRACKING".into(), value: "x".into(), tracking: None }
        );
        assert_eq!(
            ServerMsg::parse("INSTCMD TRACKING x").unwrap(),
            ServerMsg::Instcmd { cmd: "TRACKING".into(), param: Some("x".into()), tracking: None }
        );
        assert_eq!(
            ServerMsg::parse("DUMPVALUE TRACKING x").unwrap(),
            ServerMsg::DumpValue("TRACKING".into())
        );
        let m = ServerMsg::Set { var: "tracking".into(), value: "on".into(), tracking: None };
        assert_eq!(ServerMsg::parse(m.to_line().trim_end()).unwrap(), m);
    }

    #[test]
    fn round_trip() {
        let msgs = [
            ServerMsg::Ping,
            ServerMsg::DumpAll,
            ServerMsg::Broadcast(Some(1)),
            ServerMsg::Instcmd {
                cmd: "beeper.off".into(),
                param: Some("x y".into()),
                tracking: Some("t".into()),
            },
            ServerMsg::Set { var: "ups.delay.start".into(), value: "30".into(), tracking: None },
        ];
        for m in msgs {
            let line = m.to_line();
            assert_eq!(ServerMsg::parse(line.trim_end_matches('\n')).unwrap(), m);
        }
    }
}
