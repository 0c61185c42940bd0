//! upssched.conf: `CMDSCRIPT`, `PIPEFN`, `LOCKFN`, `DEBUG_MIN` and the `AT` rules.
//!
//! Lines are split by nut-conf's parseconf lexer; this module only gives them meaning, and
//! reports every problem with `file:line`.

use nut_conf::{lex, Diagnostic};

/// What an `AT` rule does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// `START-TIMER <name> <sec>`: start a timer (a second one if it already runs, as NUT).
    StartTimer {
        /// Timer name, passed to CMDSCRIPT when it fires.
        name: String,
        /// Seconds.
        secs: u64,
    },
    /// `START-TIMER-SHARED <name> <sec>`: start the timer unless one with this name runs.
    StartTimerShared {
        /// Timer name.
        name: String,
        /// Seconds.
        secs: u64,
    },
    /// `CANCEL-TIMER <name> [cmd]`: cancel the oldest timer with this name; if none runs,
    /// run CMDSCRIPT with `cmd`.
    CancelTimer {
        /// Timer name.
        name: String,
        /// Command to run when no such timer was running.
        cmd: Option<String>,
    },
    /// `CANCEL-TIMER-MATCHED <name> [cmd]`: like CANCEL-TIMER, but only timers started for the
    /// same UPS (UPSNAME) count.
    CancelTimerMatched {
        /// Timer name.
        name: String,
        /// Command to run when no matching timer was running.
        cmd: Option<String>,
    },
    /// `EXECUTE <cmd>`: run CMDSCRIPT with `cmd` now.
    Execute(String),
}

/// One `AT <notifytype> <ups|*> <action>` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct At {
    /// Notify type (`ONBATT`), compared case-insensitively.
    pub ntype: String,
    /// UPS name as upsmon passes it in UPSNAME, or `*` for any.
    pub ups: String,
    /// What to do.
    pub action: Action,
    /// Line in upssched.conf, for messages.
    pub line: usize,
}

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpsschedConf {
    /// CMDSCRIPT: the program timers and EXECUTE run, with the command as its argument.
    pub cmdscript: Option<String>,
    /// PIPEFN: the timer daemon's Unix socket.
    pub pipefn: Option<String>,
    /// LOCKFN: the lock that keeps two invocations from starting two daemons.
    pub lockfn: Option<String>,
    /// DEBUG_MIN.
    pub debug_min: Option<u8>,
    /// The AT rules in file order.
    pub ats: Vec<At>,
}

impl UpsschedConf {
    /// The rules that apply to one invocation, in file order.
    pub fn matching<'a>(&'a self, ups: &'a str, ntype: &'a str) -> impl Iterator<Item = &'a At> + 'a {
        self.ats.iter().filter(move |a| a.ntype.eq_ignore_ascii_case(ntype) && (a.ups == "*" || a.ups == ups))
    }
}

/// Parses upssched.conf. Errors and warnings come back together; the configuration is usable
/// when none is an error.
pub fn parse(text: &str, file: &str) -> (UpsschedConf, Vec<Diagnostic>) {
    let (lines, mut diags) = lex(text, file);
    let mut conf = UpsschedConf::default();
    for l in lines {
        let w = &l.words;
        let n = l.line;
        let key = w[0].as_str();
        let one = |diags: &mut Vec<Diagnostic>| -> Option<String> {
            if w.len() == 2 {
                Some(w[1].clone())
            } else {
                diags.push(Diagnostic::error(
                    file,
                    n,
                    format!("{key} takes exactly one value: {key} <value>"),
                ));
                None
            }
        };
        match key {
            "CMDSCRIPT" => conf.cmdscript = one(&mut diags),
            "PIPEFN" => conf.pipefn = one(&mut diags),
            "LOCKFN" => conf.lockfn = one(&mut diags),
            "DEBUG_MIN" => {
                conf.debug_min = one(&mut diags).and_then(|v| match v.parse() {
                    Ok(d) => Some(d),
                    Err(_) => {
                        diags.push(Diagnostic::error(
                            file,
                            n,
                            format!("DEBUG_MIN needs a number, not [{v}]"),
                        ));
                        None
                    }
                })
            }
            "AT" => match parse_at(&w[1..], n) {
                Ok(at) => conf.ats.push(at),
                Err(msg) => diags.push(Diagnostic::error(file, n, msg)),
            },
            _ => diags.push(Diagnostic::warning(
                file,
                n,
                format!("unknown directive [{key}] ignored: use CMDSCRIPT, PIPEFN, LOCKFN, DEBUG_MIN or AT"),
            )),
        }
    }
    (conf, diags)
}

fn parse_at(w: &[String], line: usize) -> Result<At, String> {
    const USAGE: &str =
        "AT <notifytype> <upsname|*> START-TIMER <name> <sec> | START-TIMER-SHARED <name> <sec> | \
                         CANCEL-TIMER <name> [cmd] | CANCEL-TIMER-MATCHED <name> [cmd] | EXECUTE <cmd>";
    if w.len() < 4 {
        return Err(format!("incomplete AT rule: {USAGE}"));
    }
    let (ntype, ups, verb, args) = (&w[0], &w[1], w[2].to_ascii_uppercase(), &w[3..]);
    let secs = |args: &[String]| -> Result<u64, String> {
        match args {
            [_, s] => s.parse().map_err(|_| format!("timer length [{s}] is not a whole number of seconds")),
            _ => Err(format!("{verb} needs a timer name and a number of seconds: {USAGE}")),
        }
    };
    let action = match verb.as_str() {
        "START-TIMER" => Action::StartTimer { name: args[0].clone(), secs: secs(args)? },
        "START-TIMER-SHARED" => Action::StartTimerShared { name: args[0].clone(), secs: secs(args)? },
        "CANCEL-TIMER" | "CANCEL-TIMER-MATCHED" => {
            if args.len() > 2 {
                return Err(format!(
                    "{verb} takes a timer name and at most one command (quote it if it has spaces)"
                ));
            }
            let (name, cmd) = (args[0].clone(), args.get(1).cloned());
            if verb == "CANCEL-TIMER" {
                Action::CancelTimer { name, cmd }
            } else {
                Action::CancelTimerMatched { name, cmd }
            }
        }
        "EXECUTE" => {
            if args.len() > 1 {
                return Err("EXECUTE takes one command (quote it if it has spaces)".into());
            }
            Action::Execute(args[0].clone())
        }
        _ => return Err(format!("unknown AT action [{}]: {USAGE}", w[2])),
    };
    Ok(At { ntype: ntype.clone(), ups: ups.clone(), action, line })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_configuration() {
        let text =
            "CMDSCRIPT /usr/bin/upssched-cmd\nPIPEFN /run/nut/upssched.pipe\nLOCKFN /run/nut/upssched.lock\n\
                    AT ONBATT * START-TIMER onbatt 15\nAT ONLINE * CANCEL-TIMER onbatt online\n\
                    AT LOWBATT ups@localhost EXECUTE \"low battery\"\nAT ONBATT * START-TIMER-SHARED s 5\n\
                    AT ONLINE * CANCEL-TIMER-MATCHED s\n";
        let (c, d) = parse(text, "upssched.conf");
        assert!(d.is_empty(), "{d:?}");
        assert_eq!(c.cmdscript.as_deref(), Some("/usr/bin/upssched-cmd"));
        assert_eq!(c.ats.len(), 5);
        assert_eq!(c.ats[0].action, Action::StartTimer { name: "onbatt".into(), secs: 15 });
        assert_eq!(
            c.ats[1].action,
            Action::CancelTimer { name: "onbatt".into(), cmd: Some("online".into()) }
        );
        assert_eq!(c.ats[2].action, Action::Execute("low battery".into()));
        assert_eq!(c.matching("ups@localhost", "lowbatt").count(), 1);
        assert_eq!(c.matching("other@h", "LOWBATT").count(), 0);
        assert_eq!(c.matching("other@h", "ONBATT").count(), 2);
    }

    #[test]
    fn reports_bad_rules_with_line_numbers() {
        let (_, d) = parse("AT ONBATT * START-TIMER onbatt\nAT ONBATT * FLY away\nFOO bar\n", "u.conf");
        let text: Vec<String> = d.iter().map(|d| d.to_string()).collect();
        assert!(text[0].starts_with("u.conf:1: error: START-TIMER needs"), "{text:?}");
        assert!(text[1].starts_with("u.conf:2: error: unknown AT action [FLY]"), "{text:?}");
        assert!(text[2].starts_with("u.conf:3: warning: unknown directive [FOO]"), "{text:?}");
    }
}
