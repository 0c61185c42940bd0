//! `nut.conf`: which parts of NUT start on this machine. It is read by shell scripts, so it uses
//! shell syntax: `KEY=value`, `KEY="value"` or `KEY='value'`, with no spaces around `=`, and
//! `#` comments. `export KEY=value` is accepted as well.
//!
//! Keys: `MODE` (none|standalone|netserver|netclient, default none), `ALLOW_NO_DEVICE`,
//! `ALLOW_NOT_ALL_LISTENERS`, `UPSD_OPTIONS`, `UPSMON_OPTIONS`, `POWEROFF_WAIT`,
//! `POWEROFF_QUIET`, `NUT_DEBUG_LEVEL`, `NUT_DEBUG_PID`, `NUT_DEBUG_PROCNAME`,
//! `NUT_DEBUG_SYSLOG`, `NUT_IGNORE_CHECKPROCNAME`, `NUT_QUIET_INIT_UPSNOTIFY`. Other variables
//! are kept (a shell file may define anything) with a warning that NUT doesn't use them.
//! `$VAR` and `$(...)` are not expanded: values are taken literally.

use crate::diag::{Parsed, Sink};

/// `MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Nothing starts (the default).
    #[default]
    None,
    /// Drivers, upsd and upsmon for a UPS attached to this machine, listening on localhost.
    Standalone,
    /// Like standalone, with upsd reachable from other machines.
    Netserver,
    /// Only upsmon, watching a UPS served by another machine.
    Netclient,
}

impl Mode {
    /// Does this mode start the drivers and upsd?
    pub fn runs_server(self) -> bool {
        matches!(self, Mode::Standalone | Mode::Netserver)
    }

    /// Does this mode start upsmon?
    pub fn runs_upsmon(self) -> bool {
        self != Mode::None
    }
}

/// The parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NutConf {
    /// `MODE` (none when absent).
    pub mode: Mode,
    /// Every `KEY=value` in file order, known or not, with the line.
    pub vars: Vec<(String, String, usize)>,
}

impl NutConf {
    /// The last value of a variable.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.iter().rev().find(|(k, _, _)| k == key).map(|(_, v, _)| v.as_str())
    }

    /// A boolean variable (`true/yes/1`...), if set and readable.
    pub fn flag(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(crate::diag::parse_bool)
    }
}

/// Variables NUT reads from nut.conf.
pub const KEYS: &[&str] = &[
    "MODE",
    "ALLOW_NO_DEVICE",
    "ALLOW_NOT_ALL_LISTENERS",
    "UPSD_OPTIONS",
    "UPSMON_OPTIONS",
    "POWEROFF_WAIT",
    "POWEROFF_QUIET",
    "NUT_DEBUG_LEVEL",
    "NUT_DEBUG_PID",
    "NUT_DEBUG_PROCNAME",
    "NUT_DEBUG_SYSLOG",
    "NUT_IGNORE_CHECKPROCNAME",
    "NUT_QUIET_INIT_UPSNOTIFY",
];

/// Parse `nut.conf` text; `file` names it in diagnostics.
pub fn parse(text: &str, file: &str) -> Parsed<NutConf> {
    let mut sink = Sink::new(file, Vec::new());
    let mut c = NutConf::default();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map(str::trim_start).unwrap_or(line);
        let Some((key, rest)) = line.split_once('=') else {
            sink.error(n, format!("\"{line}\" is not an assignment; write KEY=value, e.g. MODE=standalone"));
            continue;
        };
        if key.is_empty() || key.ends_with([' ', '\t']) || rest.starts_with([' ', '\t']) {
            sink.error(
                n,
                format!(
                    "nut.conf is shell syntax: no spaces around '='; write {}={}",
                    key.trim(),
                    rest.trim()
                ),
            );
            continue;
        }
        if !key.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
            || key.starts_with(|ch: char| ch.is_ascii_digit())
        {
            sink.error(n, format!("\"{key}\" is not a valid variable name; use letters, digits and '_'"));
            continue;
        }
        let value = match shell_value(rest) {
            Ok(v) => v,
            Err(e) => {
                sink.error(n, e);
                continue;
            }
        };
        match key {
            "MODE" => match value.as_str() {
                "none" => c.mode = Mode::None,
                "standalone" => c.mode = Mode::Standalone,
                "netserver" => c.mode = Mode::Netserver,
                "netclient" => c.mode = Mode::Netclient,
                _ => sink.error(
                    n,
                    format!(
                        "MODE must be none, standalone, netserver or netclient, not \"{value}\" \
                         (standalone: UPS attached here; netclient: UPS served by another machine)"
                    ),
                ),
            },
            "ALLOW_NO_DEVICE"
            | "ALLOW_NOT_ALL_LISTENERS"
            | "POWEROFF_QUIET"
            | "NUT_DEBUG_PID"
            | "NUT_DEBUG_PROCNAME"
            | "NUT_IGNORE_CHECKPROCNAME"
            | "NUT_QUIET_INIT_UPSNOTIFY" => {
                if crate::diag::parse_bool(&value).is_none() {
                    sink.warn(n, format!("{key} should be true or false, not \"{value}\""));
                }
            }
            "POWEROFF_WAIT" => {
                if !value.is_empty() && sleep_seconds(&value).is_none() {
                    sink.error(
                        n,
                        format!(
                            "POWEROFF_WAIT is handed to sleep(1): write seconds or a time such as 3600, 15m or \"1h 30m\", not \"{value}\""
                        ),
                    );
                }
            }
            "NUT_DEBUG_LEVEL" => {
                if !value.is_empty() && value.parse::<u32>().is_err() {
                    sink.error(n, format!("{key} needs a whole number, not \"{value}\""));
                }
            }
            _ if KEYS.contains(&key) => {}
            _ => sink.unknown(n, "variable", key, KEYS, "NUT doesn't use it"),
        }
        c.vars.push((key.to_string(), value, n));
    }
    sink.finish(c)
}

/// Seconds of a `sleep(1)` argument as the shutdown hook passes `POWEROFF_WAIT` to it: one
/// or more blank-separated numbers (decimals allowed), each with an optional unit `s`, `m`,
/// `h` or `d`; their sum. `None` for anything `sleep` would refuse.
pub fn sleep_seconds(value: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut terms = 0;
    for term in value.split_ascii_whitespace() {
        let (num, unit) = match term.char_indices().last() {
            Some((i, c)) if c.is_ascii_alphabetic() => (&term[..i], c),
            _ => (term, 's'),
        };
        let factor = match unit {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86400.0,
            _ => return None,
        };
        if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return None;
        }
        total += num.parse::<f64>().ok()? * factor;
        terms += 1;
    }
    (terms > 0).then_some(total)
}

/// Read one shell word: quotes and backslashes, stopping at an unquoted blank or `#` comment.
fn shell_value(rest: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\'' => loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(x) => out.push(x),
                    None => return Err("this ' is never closed; add the closing '".to_string()),
                }
            },
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(x @ ('"' | '\\' | '$' | '`')) => out.push(x),
                        Some(x) => {
                            out.push('\\');
                            out.push(x);
                        }
                        None => return Err("this \" is never closed; add the closing \"".to_string()),
                    },
                    Some(x) => out.push(x),
                    None => return Err("this \" is never closed; add the closing \"".to_string()),
                }
            },
            '\\' => {
                if let Some(x) = chars.next() {
                    out.push(x);
                }
            }
            ' ' | '\t' => {
                let tail = chars.as_str().trim_start();
                if tail.is_empty() || tail.starts_with('#') {
                    break;
                }
                return Err(format!("the value has an unquoted space; quote it: \"{}\"", rest.trim()));
            }
            x => out.push(x),
        }
    }
    Ok(out)
}

/// Every diagnostic for `nut.conf`.
pub fn check(text: &str, file: &str) -> Vec<crate::Diagnostic> {
    match parse(text, file) {
        Ok((_, d)) | Err(d) => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (NutConf, Vec<String>) {
        crate::testutil::ok(parse(text, "nut.conf"))
    }

    #[test]
    fn modes_and_quotes() {
        assert_eq!(ok("").0.mode, Mode::None);
        for (t, m) in [
            ("MODE=standalone", Mode::Standalone),
            ("MODE=\"netserver\"", Mode::Netserver),
            ("MODE='netclient' # comment", Mode::Netclient),
            ("export MODE=none", Mode::None),
        ] {
            assert_eq!(ok(t).0.mode, m, "{t}");
        }
        assert!(Mode::Standalone.runs_server() && !Mode::Netclient.runs_server());
        assert!(Mode::Netclient.runs_upsmon() && !Mode::None.runs_upsmon());
    }

    #[test]
    fn every_key() {
        let (c, w) = ok("MODE=standalone\nALLOW_NO_DEVICE=true\nALLOW_NOT_ALL_LISTENERS=false\n\
             UPSD_OPTIONS=\"-D -u nut\"\nUPSMON_OPTIONS='-p'\nPOWEROFF_WAIT=15\nPOWEROFF_QUIET=true\n\
             NUT_DEBUG_LEVEL=2\nNUT_DEBUG_PID=true\nNUT_DEBUG_PROCNAME=true\nNUT_DEBUG_SYSLOG=stderr\n\
             NUT_IGNORE_CHECKPROCNAME=true\nNUT_QUIET_INIT_UPSNOTIFY=true\n");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.get("UPSD_OPTIONS"), Some("-D -u nut"));
        assert_eq!(c.get("UPSMON_OPTIONS"), Some("-p"));
        assert_eq!(c.get("POWEROFF_WAIT"), Some("15"));
        assert_eq!(c.flag("ALLOW_NO_DEVICE"), Some(true));
        assert_eq!(c.flag("ALLOW_NOT_ALL_LISTENERS"), Some(false));
        assert_eq!(c.get("NUT_DEBUG_SYSLOG"), Some("stderr"));
        assert_eq!(c.vars.len(), 13);
    }

    #[test]
    fn poweroff_wait_takes_what_sleep_takes() {
        // NUT 2.8.5's nut.conf(5) example is POWEROFF_WAIT=15m; its sample, 3600.
        for (v, secs) in
            [("3600", 3600.0), ("15m", 900.0), ("1h 30m", 5400.0), ("1.5m", 90.0), ("2d", 172800.0)]
        {
            assert_eq!(sleep_seconds(v), Some(secs), "{v}");
            let text = format!("MODE=standalone\nPOWEROFF_WAIT=\"{v}\"\n");
            assert!(parse(&text, "nut.conf").is_ok(), "{v}");
        }
        for v in ["soon", "15x", "m", "-5", "1h30", "1e3"] {
            assert_eq!(sleep_seconds(v), None, "{v}");
        }
        assert_eq!(sleep_seconds(""), None);
    }

    #[test]
    fn mistakes() {
        let Err(e) = parse(
            "MODE = standalone\nMODE=server\nMODE=a b\nMODE=\"x\nPOWEROFF_WAIT=soon\nhello\n",
            "nut.conf",
        ) else {
            panic!("expected errors")
        };
        let e: Vec<String> = e.iter().map(ToString::to_string).collect();
        assert!(
            e[0].starts_with(
                "nut.conf:1: error: nut.conf is shell syntax: no spaces around '='; write MODE=standalone"
            ),
            "{e:?}"
        );
        assert!(e[1].starts_with("nut.conf:2: error: MODE must be none, standalone"), "{e:?}");
        assert!(e[2].starts_with("nut.conf:3: error: the value has an unquoted space"), "{e:?}");
        assert!(e[3].starts_with("nut.conf:4: error: this \" is never closed"), "{e:?}");
        assert!(e[4].starts_with("nut.conf:5: error: POWEROFF_WAIT is handed to sleep(1)"), "{e:?}");
        assert!(e[5].starts_with("nut.conf:6: error: \"hello\" is not an assignment"), "{e:?}");
    }

    #[test]
    fn unknown_variable_warns_with_suggestion() {
        let (c, w) = ok("MODE=standalone\nUPSD_OPTION=-D\n");
        assert!(
            w[0].contains(
                "nut.conf:2: warning: unknown variable \"UPSD_OPTION\"; did you mean \"UPSD_OPTIONS\"?"
            ),
            "{w:?}"
        );
        assert_eq!(c.get("UPSD_OPTION"), Some("-D"));
    }
}
