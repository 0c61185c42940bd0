//! Messages a driver sends to upsd.

use super::{int, split_checked, Flags, SockError};
use crate::words::{quote, quote_if_needed};

/// A line from the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverMsg {
    /// `ADDCMD <cmd>`: the driver supports an instant command.
    AddCmd(String),
    /// `ADDENUM <var> "<value>"`: an allowed value of a variable.
    AddEnum(String, String),
    /// `ADDRANGE <var> <min> <max>`: an allowed range of a variable.
    AddRange(String, i64, i64),
    /// `DATAOK`: the driver talks to the UPS again.
    DataOk,
    /// `DATASTALE`: the driver lost the UPS.
    DataStale,
    /// `DELCMD <cmd>`
    DelCmd(String),
    /// `DELENUM <var> "<value>"`
    DelEnum(String, String),
    /// `DELINFO <var>`: the variable is gone.
    DelInfo(String),
    /// `DELRANGE <var> <min> <max>`
    DelRange(String, i64, i64),
    /// `DUMPDONE`: the end of the answer to `DUMPALL`.
    DumpDone,
    /// `OK Goodbye` (answer to `LOGOUT`).
    Goodbye,
    /// `PID <pid>` (answer to `GETPID`).
    Pid(i64),
    /// `PONG` (answer to `PING`).
    Pong,
    /// `SETAUX <var> <n>`: maximum length of a string variable.
    SetAux(String, i64),
    /// `SETFLAGS <var> [RW] [STRING] [NUMBER]`: replaces the variable's flags.
    SetFlags(String, Flags),
    /// `SETINFO <var> "<value>"`: creates or updates a variable.
    SetInfo(String, String),
    /// `TRACKING <id> <status>`: result of a tracked command or set (0 = success).
    Tracking(String, i64),
}

impl DriverMsg {
    /// Parse one line (without its newline).
    pub fn parse(line: &str) -> Result<Self, SockError> {
        let w = split_checked(line)?;
        let args = &w[1..];
        let need = |n: usize, name: &'static str, form: &'static str| {
            if args.len() < n {
                Err(SockError::Arity(name, form))
            } else {
                Ok(())
            }
        };
        Ok(match w[0].as_str() {
            "SETINFO" => {
                need(2, "SETINFO", "<var> <value>")?;
                Self::SetInfo(args[0].clone(), args[1].clone())
            }
            "DELINFO" => {
                need(1, "DELINFO", "<var>")?;
                Self::DelInfo(args[0].clone())
            }
            "ADDENUM" => {
                need(2, "ADDENUM", "<var> <value>")?;
                Self::AddEnum(args[0].clone(), args[1].clone())
            }
            "DELENUM" => {
                need(2, "DELENUM", "<var> <value>")?;
                Self::DelEnum(args[0].clone(), args[1].clone())
            }
            "ADDRANGE" => {
                need(3, "ADDRANGE", "<var> <min> <max>")?;
                Self::AddRange(args[0].clone(), int("ADDRANGE", &args[1])?, int("ADDRANGE", &args[2])?)
            }
            "DELRANGE" => {
                need(3, "DELRANGE", "<var> <min> <max>")?;
                Self::DelRange(args[0].clone(), int("DELRANGE", &args[1])?, int("DELRANGE", &args[2])?)
            }
            "SETAUX" => {
                need(2, "SETAUX", "<var> <length>")?;
                Self::SetAux(args[0].clone(), int("SETAUX", &args[1])?)
            }
            "SETFLAGS" => {
                need(1, "SETFLAGS", "<var> [flags]")?;
                Self::SetFlags(args[0].clone(), Flags::from_words(&args[1..]))
            }
            "ADDCMD" => {
                need(1, "ADDCMD", "<cmd>")?;
                Self::AddCmd(args[0].clone())
            }
            "DELCMD" => {
                need(1, "DELCMD", "<cmd>")?;
                Self::DelCmd(args[0].clone())
            }
            "DUMPDONE" => Self::DumpDone,
            "DATAOK" => Self::DataOk,
            "DATASTALE" => Self::DataStale,
            "PONG" => Self::Pong,
            "PID" => {
                need(1, "PID", "<pid>")?;
                Self::Pid(int("PID", &args[0])?)
            }
            "TRACKING" => {
                need(2, "TRACKING", "<id> <status>")?;
                Self::Tracking(args[0].clone(), int("TRACKING", &args[1])?)
            }
            "OK" => Self::Goodbye,
            other => return Err(SockError::Unknown(other.to_string())),
        })
    }

    /// Format as the line NUT's drivers send, newline included.
    pub fn to_line(&self) -> String {
        let q = |s: &str| quote_if_needed(s).into_owned();
        let mut s = match self {
            Self::SetInfo(v, val) => format!("SETINFO {} {}", q(v), quote(val)),
            Self::DelInfo(v) => format!("DELINFO {}", q(v)),
            Self::AddEnum(v, val) => format!("ADDENUM {} {}", q(v), quote(val)),
            Self::DelEnum(v, val) => format!("DELENUM {} {}", q(v), quote(val)),
            Self::AddRange(v, a, b) => format!("ADDRANGE {} {a} {b}", q(v)),
            Self::DelRange(v, a, b) => format!("DELRANGE {} {a} {b}", q(v)),
            Self::SetAux(v, n) => format!("SETAUX {} {n}", q(v)),
            Self::SetFlags(v, f) => {
                let mut s = format!("SETFLAGS {}", q(v));
                for w in f.words() {
                    s.push(' ');
                    s.push_str(w);
                }
                s
            }
            Self::AddCmd(c) => format!("ADDCMD {}", q(c)),
            Self::DelCmd(c) => format!("DELCMD {}", q(c)),
            Self::DumpDone => "DUMPDONE".into(),
            Self::DataOk => "DATAOK".into(),
            Self::DataStale => "DATASTALE".into(),
            Self::Pong => "PONG".into(),
            Self::Pid(p) => format!("PID {p}"),
            Self::Tracking(id, st) => format!("TRACKING {} {st}", q(id)),
            Self::Goodbye => "OK Goodbye".into(),
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
    fn parses_what_nut_drivers_send() {
        assert_eq!(
            DriverMsg::parse(r#"SETINFO ups.status "OL CHRG""#).unwrap(),
            DriverMsg::SetInfo("ups.status".into(), "OL CHRG".into())
        );
        assert_eq!(
            DriverMsg::parse("SETFLAGS ups.id RW STRING").unwrap(),
            DriverMsg::SetFlags("ups.id".into(), Flags { rw: true, string: true, number: false })
        );
        assert_eq!(DriverMsg::parse("ADDRANGE x -5 10").unwrap(), DriverMsg::AddRange("x".into(), -5, 10));
        assert_eq!(DriverMsg::parse("OK Goodbye").unwrap(), DriverMsg::Goodbye);
        assert!(matches!(DriverMsg::parse("SETINFO x"), Err(SockError::Arity(..))));
        assert!(matches!(DriverMsg::parse("BOGUS"), Err(SockError::Unknown(_))));
        assert!(matches!(DriverMsg::parse("SETAUX x y"), Err(SockError::NotANumber(..))));
    }

    #[test]
    fn round_trip() {
        let msgs = [
            DriverMsg::SetInfo("ups.mfr".into(), "A \"quoted\" \\ name".into()),
            DriverMsg::AddEnum("input.sensitivity".into(), "high".into()),
            DriverMsg::SetFlags("x".into(), Flags::default()),
            DriverMsg::Tracking("1bd4f0b4-ab06-4d1b-9b0f-2d8e9a5e7c11".into(), 0),
            DriverMsg::DumpDone,
        ];
        for m in msgs {
            let line = m.to_line();
            assert_eq!(DriverMsg::parse(line.trim_end_matches('\n')).unwrap(), m);
        }
    }
}
