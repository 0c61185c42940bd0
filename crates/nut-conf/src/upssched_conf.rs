//! `upssched.conf`: timers and commands upssched runs for upsmon's notifications.
//!
//! `CMDSCRIPT`, `PIPEFN`, `LOCKFN`, `DEBUG_MIN` (2.8.5) and
//! `AT <notifytype> <ups|*> <action>` with the actions `START-TIMER <name> <sec>`,
//! `START-TIMER-SHARED <name> <sec>` (2.8.5), `CANCEL-TIMER <name> [cmd]`,
//! `CANCEL-TIMER-MATCHED <name> [cmd]` (2.8.5) and `EXECUTE <cmd>`.
//!
//! As in NUT, `CMDSCRIPT` must come before the first `AT` (upssched: "CMDSCRIPT must be set
//! before any ATs in the config file!"). Timers need `PIPEFN` and `LOCKFN`. Where we differ:
//! an unknown notify type after AT is an error (NUT stores it and it never matches).

use crate::diag::{Parsed, Sink};
use crate::lexer::lex;
use crate::notify;

/// The parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsschedConf {
    /// `CMDSCRIPT`: the program run with the timer name or EXECUTE command.
    pub cmdscript: Option<String>,
    /// `PIPEFN`: the socket the timer daemon listens on.
    pub pipefn: Option<String>,
    /// `LOCKFN`: the lock file used while starting the daemon.
    pub lockfn: Option<String>,
    /// `DEBUG_MIN`.
    pub debug_min: Option<u32>,
    /// `AT` lines in order.
    pub ats: Vec<At>,
}

impl UpsschedConf {
    /// The AT lines that apply to a notification (`ups` is the UPS name as upsmon passes it,
    /// `*` matches any).
    pub fn matching<'a>(&'a self, notify_type: &'a str, ups: &'a str) -> impl Iterator<Item = &'a At> + 'a {
        self.ats.iter().filter(move |a| {
            a.notify_type.eq_ignore_ascii_case(notify_type) && (a.ups == "*" || a.ups == ups)
        })
    }
}

/// One `AT` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    /// Notify type (canonical spelling).
    pub notify_type: String,
    /// UPS name as upsmon gives it (`ups@host`), or `*`.
    pub ups: String,
    /// What to do.
    pub action: Action,
    /// Line of the directive.
    pub line: usize,
}

/// What an AT line does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `START-TIMER <name> <sec>`: per-UPS timer.
    StartTimer {
        /// Timer name, passed to CMDSCRIPT when it fires.
        name: String,
        /// Delay in seconds.
        seconds: u32,
    },
    /// `START-TIMER-SHARED <name> <sec>`: one timer for all UPS (2.8.5).
    StartTimerShared {
        /// Timer name.
        name: String,
        /// Delay in seconds.
        seconds: u32,
    },
    /// `CANCEL-TIMER <name> [cmd]`: cancel; run `cmd` if no timer was running.
    CancelTimer {
        /// Timer name.
        name: String,
        /// Command for CMDSCRIPT when the timer wasn't running.
        cmd: Option<String>,
    },
    /// `CANCEL-TIMER-MATCHED <name> [cmd]` (2.8.5): like CANCEL-TIMER, for the timers this
    /// UPS started only.
    CancelTimerMatched {
        /// Timer name.
        name: String,
        /// Command for CMDSCRIPT when no such timer was running.
        cmd: Option<String>,
    },
    /// `EXECUTE <cmd>`: run CMDSCRIPT with `cmd` right away.
    Execute {
        /// Argument for CMDSCRIPT.
        cmd: String,
    },
}

/// Every directive upssched.conf knows.
pub const KEYWORDS: &[&str] = &["CMDSCRIPT", "PIPEFN", "LOCKFN", "DEBUG_MIN", "AT"];
/// The actions of an `AT` line.
pub const ACTIONS: &[&str] =
    &["START-TIMER", "START-TIMER-SHARED", "CANCEL-TIMER", "CANCEL-TIMER-MATCHED", "EXECUTE"];

/// Parse `upssched.conf` text; `file` names it in diagnostics.
pub fn parse(text: &str, file: &str) -> Parsed<UpsschedConf> {
    let (lines, diags) = lex(text, file);
    let mut sink = Sink::new(file, diags);
    let mut c = UpsschedConf::default();
    let types = notify::names();
    let mut first_timer_line = 0;
    for line in &lines {
        let n = line.line;
        let key = line.words[0].as_str();
        let args: Vec<&str> = line.words[1..].iter().map(String::as_str).collect();
        let single = |sink: &mut Sink, usage: &str| -> Option<String> {
            match args.len() {
                0 => {
                    sink.error(n, format!("{key} needs a value; write: {usage}"));
                    None
                }
                1 => Some(args[0].to_string()),
                _ => {
                    sink.warn(
                        n,
                        format!(
                            "extra words after {key} are ignored; write: {usage} (quote values with spaces)"
                        ),
                    );
                    Some(args[0].to_string())
                }
            }
        };
        match key {
            "CMDSCRIPT" => c.cmdscript = single(&mut sink, "CMDSCRIPT /usr/bin/upssched-cmd").or(c.cmdscript),
            "PIPEFN" => c.pipefn = single(&mut sink, "PIPEFN /run/nut/upssched.pipe").or(c.pipefn),
            "LOCKFN" => c.lockfn = single(&mut sink, "LOCKFN /run/nut/upssched.lock").or(c.lockfn),
            "DEBUG_MIN" => {
                if let Some(v) = single(&mut sink, "DEBUG_MIN 1") {
                    c.debug_min = sink.number(n, key, &v).or(c.debug_min);
                }
            }
            "AT" => {
                if args.len() < 3 {
                    sink.error(n, "AT needs a notify type, a UPS and an action; write: AT ONBATT * START-TIMER onbatt 30");
                    continue;
                }
                if c.cmdscript.is_none() {
                    sink.error(n, "CMDSCRIPT must be set before any AT in the file; add a line like CMDSCRIPT /usr/bin/upssched-cmd above it");
                }
                let Some(t) = notify::canonical(args[0]) else {
                    let mut msg = format!("unknown notify type \"{}\"", args[0]);
                    if let Some(s) = crate::diag::suggest(args[0], &types) {
                        msg.push_str(&format!("; did you mean \"{s}\"?"));
                    }
                    msg.push_str(&format!(" (the types are: {})", types.join(", ")));
                    sink.error(n, msg);
                    continue;
                };
                let rest = &args[3..];
                let usage = |a: &str| match a {
                    "START-TIMER" | "START-TIMER-SHARED" => {
                        format!("AT {t} {} {a} <timer name> <seconds>", args[1])
                    }
                    "CANCEL-TIMER" => format!("AT {t} {} CANCEL-TIMER <timer name> [command]", args[1]),
                    "CANCEL-TIMER-MATCHED" => {
                        format!("AT {t} {} CANCEL-TIMER-MATCHED <timer name> [command]", args[1])
                    }
                    _ => format!("AT {t} {} EXECUTE <command>", args[1]),
                };
                let act = args[2];
                let (min, max) = match act {
                    "START-TIMER" | "START-TIMER-SHARED" => (2, 2),
                    "CANCEL-TIMER" | "CANCEL-TIMER-MATCHED" => (1, 2),
                    "EXECUTE" => (1, 1),
                    _ => {
                        let mut msg = format!("unknown AT action \"{act}\"");
                        if let Some(s) = crate::diag::suggest(act, ACTIONS) {
                            msg.push_str(&format!("; did you mean \"{s}\"?"));
                        }
                        msg.push_str(&format!(" (the actions are: {})", ACTIONS.join(", ")));
                        sink.error(n, msg);
                        continue;
                    }
                };
                if rest.len() < min {
                    sink.error(n, format!("{act} is missing its arguments; write: {}", usage(act)));
                    continue;
                }
                if rest.len() > max {
                    sink.warn(
                        n,
                        format!(
                            "extra words after {act} are ignored; write: {} (quote values with spaces)",
                            usage(act)
                        ),
                    );
                }
                let action = match act {
                    "START-TIMER" | "START-TIMER-SHARED" => {
                        let Some(seconds) = sink.number::<u32>(n, "the timer's seconds", rest[1]) else {
                            continue;
                        };
                        if first_timer_line == 0 {
                            first_timer_line = n;
                        }
                        let name = rest[0].to_string();
                        if act == "START-TIMER" {
                            Action::StartTimer { name, seconds }
                        } else {
                            Action::StartTimerShared { name, seconds }
                        }
                    }
                    "CANCEL-TIMER" => Action::CancelTimer {
                        name: rest[0].to_string(),
                        cmd: rest.get(1).map(|s| s.to_string()),
                    },
                    "CANCEL-TIMER-MATCHED" => Action::CancelTimerMatched {
                        name: rest[0].to_string(),
                        cmd: rest.get(1).map(|s| s.to_string()),
                    },
                    _ => Action::Execute { cmd: rest[0].to_string() },
                };
                c.ats.push(At { notify_type: t.to_string(), ups: args[1].to_string(), action, line: n });
            }
            _ => sink.unknown(n, "directive", key, KEYWORDS, "the line is ignored"),
        }
    }
    if first_timer_line != 0 {
        if c.pipefn.is_none() {
            sink.error(first_timer_line, "timers need PIPEFN; add a line like PIPEFN /run/nut/upssched.pipe (in a directory only upsmon's user can write)");
        }
        if c.lockfn.is_none() {
            sink.error(first_timer_line, "timers need LOCKFN; add a line like LOCKFN /run/nut/upssched.lock");
        }
    }
    sink.finish(c)
}

/// Every diagnostic for `upssched.conf`.
pub fn check(text: &str, file: &str) -> Vec<crate::Diagnostic> {
    match parse(text, file) {
        Ok((_, d)) | Err(d) => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "CMDSCRIPT /usr/bin/upssched-cmd\nPIPEFN /run/nut/upssched.pipe\nLOCKFN /run/nut/upssched.lock\n";

    fn ok(text: &str) -> (UpsschedConf, Vec<String>) {
        crate::testutil::ok(parse(text, "upssched.conf"))
    }

    fn errs(text: &str) -> Vec<String> {
        crate::testutil::errs(parse(text, "upssched.conf"), true)
    }

    #[test]
    fn every_directive_and_action() {
        let (c, w) = ok(&format!(
            "{HEAD}DEBUG_MIN 2\nAT ONBATT * START-TIMER onbatt 15\n\
             AT onbatt ups@localhost START-TIMER-SHARED shared 30\nAT ONLINE * CANCEL-TIMER onbatt\n\
             AT ONLINE * CANCEL-TIMER onbatt online\nAT ONLINE * CANCEL-TIMER-MATCHED onbatt\n\
             AT ONLINE * CANCEL-TIMER-MATCHED onbatt back\n\
             AT ONLINE * EXECUTE ups-back-on-line\n"
        ));
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.cmdscript.as_deref(), Some("/usr/bin/upssched-cmd"));
        assert_eq!(c.pipefn.as_deref(), Some("/run/nut/upssched.pipe"));
        assert_eq!(c.lockfn.as_deref(), Some("/run/nut/upssched.lock"));
        assert_eq!(c.debug_min, Some(2));
        let acts: Vec<&Action> = c.ats.iter().map(|a| &a.action).collect();
        assert_eq!(
            acts,
            vec![
                &Action::StartTimer { name: "onbatt".into(), seconds: 15 },
                &Action::StartTimerShared { name: "shared".into(), seconds: 30 },
                &Action::CancelTimer { name: "onbatt".into(), cmd: None },
                &Action::CancelTimer { name: "onbatt".into(), cmd: Some("online".into()) },
                &Action::CancelTimerMatched { name: "onbatt".into(), cmd: None },
                &Action::CancelTimerMatched { name: "onbatt".into(), cmd: Some("back".into()) },
                &Action::Execute { cmd: "ups-back-on-line".into() },
            ]
        );
        assert_eq!(c.ats[1].notify_type, "ONBATT");
        assert_eq!(c.matching("ONBATT", "ups@localhost").count(), 2);
        assert_eq!(c.matching("ONBATT", "other@localhost").count(), 1);
        assert_eq!(c.matching("ONLINE", "x").count(), 5);
    }

    #[test]
    fn mistakes_are_reported_with_lines() {
        let e = errs("AT ONBATT * EXECUTE x\nCMDSCRIPT /bin/x\nAT ONBAT * EXECUTE x\n\
             AT ONBATT * START-TIMERS t 1\nAT ONBATT * START-TIMER t\nAT ONBATT * START-TIMER t x\nAT ONBATT *\n\
             AT ONBATT * START-TIMER ok 5\n");
        let want = [
            "upssched.conf:1: error: CMDSCRIPT must be set before any AT",
            "upssched.conf:3: error: unknown notify type \"ONBAT\"; did you mean \"ONBATT\"?",
            "upssched.conf:4: error: unknown AT action \"START-TIMERS\"; did you mean \"START-TIMER\"?",
            "upssched.conf:5: error: START-TIMER is missing its arguments; write: AT ONBATT * START-TIMER <timer name> <seconds>",
            "upssched.conf:6: error: the timer's seconds needs a whole number",
            "upssched.conf:7: error: AT needs a notify type, a UPS and an action",
            "upssched.conf:8: error: timers need PIPEFN",
            "upssched.conf:8: error: timers need LOCKFN",
        ];
        crate::testutil::assert_prefixes(&e, &want);
    }

    #[test]
    fn unknown_keyword_warns() {
        let (_, w) = ok(&format!("{HEAD}cmdscript /x\n"));
        assert!(w[0].contains("did you mean \"CMDSCRIPT\"?"), "{w:?}");
    }
}
