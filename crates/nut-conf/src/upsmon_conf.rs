//! `upsmon.conf`: what upsmon watches and how it reacts. Keywords are case-sensitive, as in NUT
//! (`pollfreq 3` is an "invalid directive" to upsmon 2.8.0; we warn and suggest `POLLFREQ`).
//!
//! Defaults are NUT's: POLLFREQ 5, POLLFREQALERT 5, DEADTIME 15, HOSTSYNC 15, FINALDELAY 5,
//! NOCOMMWARNTIME 300, RBWARNTIME 43200, MINSUPPLIES 1, OFFDURATION 30, SHUTDOWNEXIT yes,
//! ALARMCRITICAL on, notify flags SYSLOG+WALL. POWERDOWNFLAG has no default in the program.
//!
//! Where we deliberately differ from NUT 2.8.0:
//! - A MONITOR role other than primary/secondary/master/slave is an error (NUT silently treats
//!   any other word as secondary).
//! - A recognised keyword with a missing or non-numeric value is an error (NUT logs "invalid
//!   directive" and keeps the default, or uses `atoi` and gets 0).
//! - Unknown notify types and flags are errors (NUT logs a warning and ignores the line), since
//!   a misspelt `NOTIFYFLAG ONBAT EXEC` silently disables the user's notification script.
//!
//! Like upsmon, the parser checks that the MONITOR power values add up to MINSUPPLIES
//! ("insufficient power configured"), which is fatal for NUT's upsmon too.

use std::collections::HashMap;

use crate::diag::{Parsed, Sink};
use crate::lexer::lex;
use crate::notify::{self, NotifyFlags};
use crate::upsd_users::Role;

/// Default `POLLFREQ`.
pub const DEFAULT_POLLFREQ: u32 = 5;
/// Default `POLLFREQALERT`.
pub const DEFAULT_POLLFREQALERT: u32 = 5;
/// Default `DEADTIME`.
pub const DEFAULT_DEADTIME: u32 = 15;
/// Default `HOSTSYNC`.
pub const DEFAULT_HOSTSYNC: u32 = 15;
/// Default `FINALDELAY`.
pub const DEFAULT_FINALDELAY: u32 = 5;
/// Default `NOCOMMWARNTIME`.
pub const DEFAULT_NOCOMMWARNTIME: u32 = 300;
/// Default `RBWARNTIME`.
pub const DEFAULT_RBWARNTIME: u32 = 43200;
/// Default `MINSUPPLIES`.
pub const DEFAULT_MINSUPPLIES: u32 = 1;
/// Default `OFFDURATION` (seconds OFF before it counts as critical; negative disables).
pub const DEFAULT_OFFDURATION: i32 = 30;

/// The parsed file with NUT's defaults for everything not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsmonConf {
    /// `MONITOR` lines in order.
    pub monitors: Vec<Monitor>,
    /// `MINSUPPLIES` (1).
    pub minsupplies: u32,
    /// `SHUTDOWNCMD`.
    pub shutdowncmd: Option<String>,
    /// `NOTIFYCMD` (an exact program path since 2.8.6).
    pub notifycmd: Option<String>,
    /// `NOTIFYMSG` overrides: (canonical type, message).
    pub notifymsg: Vec<(String, String)>,
    /// `NOTIFYFLAG` overrides: (canonical type, flags).
    pub notifyflag: Vec<(String, NotifyFlags)>,
    /// `POLLFREQ` (5).
    pub pollfreq: u32,
    /// `POLLFREQALERT` (5).
    pub pollfreqalert: u32,
    /// `DEADTIME` (15).
    pub deadtime: u32,
    /// `HOSTSYNC` (15).
    pub hostsync: u32,
    /// `FINALDELAY` (5).
    pub finaldelay: u32,
    /// `NOCOMMWARNTIME` (300).
    pub nocommwarntime: u32,
    /// `RBWARNTIME` (43200).
    pub rbwarntime: u32,
    /// `POWERDOWNFLAG` (no default).
    pub powerdownflag: Option<String>,
    /// `RUN_AS_USER`.
    pub run_as_user: Option<String>,
    /// `POLLFAIL_LOG_THROTTLE_MAX` (unset: every failure is logged).
    pub pollfail_log_throttle_max: Option<i32>,
    /// `OFFDURATION` (30; negative disables).
    pub offduration: i32,
    /// `SHUTDOWNEXIT` (yes).
    pub shutdownexit: ShutdownExit,
    /// `OBLBDURATION` (unset: NUT's default).
    pub oblbduration: Option<i32>,
    /// `OVERDURATION` (unset: NUT's default).
    pub overduration: Option<i32>,
    /// `ALARMCRITICAL` (true).
    pub alarmcritical: bool,
    /// `CERTPATH`.
    pub certpath: Option<String>,
    /// `CERTFILE` (2.8.6).
    pub certfile: Option<String>,
    /// `CERTIDENT <name> <pass>`.
    pub certident: Option<(String, String)>,
    /// Lines of the last `CERTPATH`, `CERTFILE` and `CERTIDENT` (0 when absent), for the
    /// checks upsmon makes against the files they name.
    pub cert_lines: CertLines,
    /// `CERTHOST` lines.
    pub certhosts: Vec<CertHost>,
    /// `CERTVERIFY` (false).
    pub certverify: bool,
    /// `FORCESSL` (false).
    pub forcessl: bool,
    /// `DEBUG_MIN` (also spelt `debug_min`, as NUT accepts).
    pub debug_min: Option<u32>,
    /// `LOGIN_MONITOR_ONLY` (ours, on by default as NUT behaves): whether MONITOR lines with
    /// power value 0 log in like the others. Off, they only read the status, so this host is
    /// not counted in `NUMLOGINS` and a primary does not wait for it during HOSTSYNC.
    pub login_monitor_only: bool,
}

impl Default for UpsmonConf {
    fn default() -> Self {
        UpsmonConf {
            monitors: Vec::new(),
            minsupplies: DEFAULT_MINSUPPLIES,
            shutdowncmd: None,
            notifycmd: None,
            notifymsg: Vec::new(),
            notifyflag: Vec::new(),
            pollfreq: DEFAULT_POLLFREQ,
            pollfreqalert: DEFAULT_POLLFREQALERT,
            deadtime: DEFAULT_DEADTIME,
            hostsync: DEFAULT_HOSTSYNC,
            finaldelay: DEFAULT_FINALDELAY,
            nocommwarntime: DEFAULT_NOCOMMWARNTIME,
            rbwarntime: DEFAULT_RBWARNTIME,
            powerdownflag: None,
            run_as_user: None,
            pollfail_log_throttle_max: None,
            offduration: DEFAULT_OFFDURATION,
            shutdownexit: ShutdownExit::Yes,
            oblbduration: None,
            overduration: None,
            alarmcritical: true,
            certpath: None,
            certfile: None,
            certident: None,
            cert_lines: CertLines::default(),
            certhosts: Vec::new(),
            certverify: false,
            forcessl: false,
            debug_min: None,
            login_monitor_only: true,
        }
    }
}

impl UpsmonConf {
    /// The message configured for a notify type, if NOTIFYMSG overrides it (last one wins).
    pub fn message(&self, notify_type: &str) -> Option<&str> {
        self.notifymsg
            .iter()
            .rev()
            .find(|(t, _)| t.eq_ignore_ascii_case(notify_type))
            .map(|(_, m)| m.as_str())
    }

    /// The flags for a notify type: NOTIFYFLAG's (last one wins), else SYSLOG+WALL.
    pub fn flags(&self, notify_type: &str) -> NotifyFlags {
        self.notifyflag
            .iter()
            .rev()
            .find(|(t, _)| t.eq_ignore_ascii_case(notify_type))
            .map_or(NotifyFlags::DEFAULT, |(_, f)| *f)
    }

    /// Sum of the MONITOR power values.
    pub fn total_power(&self) -> u64 {
        self.monitors.iter().map(|m| u64::from(m.powervalue)).sum()
    }
}

/// `MONITOR <ups@host[:port]> <powervalue> <user> <pass> <role>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Monitor {
    /// The system as written (`ups@host:port`).
    pub system: String,
    /// UPS name.
    pub ups: String,
    /// Host (`localhost` when no `@host` was given; brackets removed for IPv6).
    pub host: String,
    /// Port (3493 unless given).
    pub port: u16,
    /// How many power supplies of this machine the UPS feeds (0: monitor only).
    pub powervalue: u32,
    /// User name from upsd.users.
    pub user: String,
    /// Its password.
    pub pass: String,
    /// Primary or secondary.
    pub role: Role,
    /// The role word as written (`primary`, `master`, ...).
    pub role_word: String,
    /// Line of the directive.
    pub line: usize,
}

/// `SHUTDOWNEXIT yes|no|<seconds>`: whether upsmon exits after calling SHUTDOWNCMD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownExit {
    /// Exit right away (the default).
    Yes,
    /// Keep running.
    No,
    /// Exit after this many seconds.
    After(u32),
}

/// Where the TLS file settings are, for messages about the files they name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CertLines {
    /// `CERTPATH`.
    pub certpath: usize,
    /// `CERTFILE`.
    pub certfile: usize,
    /// `CERTIDENT`.
    pub certident: usize,
}

/// `CERTHOST <host> <certname> <certverify> <forcessl>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertHost {
    /// Host name as used in MONITOR.
    pub host: String,
    /// Expected certificate name.
    pub certname: String,
    /// Verify the server's certificate.
    pub certverify: bool,
    /// Refuse to talk without SSL.
    pub forcessl: bool,
}

/// Every keyword upsmon.conf knows, for suggestions.
pub const KEYWORDS: &[&str] = &[
    "MONITOR",
    "MINSUPPLIES",
    "SHUTDOWNCMD",
    "NOTIFYCMD",
    "NOTIFYMSG",
    "NOTIFYFLAG",
    "POLLFREQ",
    "POLLFREQALERT",
    "DEADTIME",
    "HOSTSYNC",
    "FINALDELAY",
    "NOCOMMWARNTIME",
    "RBWARNTIME",
    "POWERDOWNFLAG",
    "RUN_AS_USER",
    "POLLFAIL_LOG_THROTTLE_MAX",
    "OFFDURATION",
    "SHUTDOWNEXIT",
    "OBLBDURATION",
    "OVERDURATION",
    "ALARMCRITICAL",
    "CERTPATH",
    "CERTFILE",
    "CERTIDENT",
    "CERTHOST",
    "CERTVERIFY",
    "FORCESSL",
    "DEBUG_MIN",
    "LOGIN_MONITOR_ONLY",
];

/// Split `ups@host[:port]` (also `ups@[v6addr]:port`, and `ups` alone for localhost).
pub fn split_system(system: &str) -> Result<(String, String, u16), String> {
    let (ups, hostport) = match system.split_once('@') {
        Some((u, h)) => (u, h),
        None => (system, "localhost"),
    };
    if ups.is_empty() {
        return Err(format!("\"{system}\" has no UPS name before '@'; write ups@host"));
    }
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let Some((h, after)) = rest.split_once(']') else {
            return Err(format!("\"{system}\": the IPv6 address needs its closing ']'"));
        };
        match after {
            "" => (h, None),
            p if p.starts_with(':') => (h, Some(&p[1..])),
            _ => return Err(format!("\"{system}\": write ups@[address]:port")),
        }
    } else if hostport.matches(':').count() > 1 {
        // A bare IPv6 address without a port.
        (hostport, None)
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() {
        return Err(format!("\"{system}\" has no host after '@'; write ups@localhost"));
    }
    let port = match port {
        None => crate::upsd_conf::DEFAULT_PORT,
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 => n,
            _ => return Err(format!("\"{system}\": the port must be a number from 1 to 65535, not \"{p}\"")),
        },
    };
    Ok((ups.to_string(), host.to_string(), port))
}

/// Parse `upsmon.conf` text; `file` names it in diagnostics.
pub fn parse(text: &str, file: &str) -> Parsed<UpsmonConf> {
    let (lines, diags) = lex(text, file);
    let mut sink = Sink::new(file, diags);
    let mut c = UpsmonConf::default();
    let mut minsupplies_line = 0;
    let types = notify::names();
    // First line of each MONITOR system, so a duplicate is found without rescanning the list
    // (a generated file with thousands of MONITOR lines stays linear).
    let mut monitor_lines: HashMap<&str, usize> = HashMap::new();
    for line in &lines {
        let n = line.line;
        let key = line.words[0].as_str();
        let args: Vec<&str> = line.words[1..].iter().map(String::as_str).collect();
        let want = |sink: &mut Sink, count: usize, usage: &str| -> bool {
            if args.len() < count {
                sink.error(n, format!("{key} needs {}; write: {usage}", plural(count)));
                false
            } else {
                if args.len() > count {
                    sink.warn(
                        n,
                        format!(
                            "extra words after {key} are ignored; write: {usage} (quote values \
                             with spaces)"
                        ),
                    );
                }
                true
            }
        };
        let num = |sink: &mut Sink, slot: &mut u32, usage: &str| {
            if want(sink, 1, usage) {
                if let Some(v) = sink.number(n, key, args[0]) {
                    *slot = v;
                }
            }
        };
        let signed = |sink: &mut Sink, usage: &str| -> Option<i32> {
            if want(sink, 1, usage) {
                sink.number::<i32>(n, key, args[0])
            } else {
                None
            }
        };
        let text_arg = |sink: &mut Sink, usage: &str| -> Option<String> {
            if want(sink, 1, usage) {
                Some(args[0].to_string())
            } else {
                None
            }
        };
        match key {
            "MONITOR" => {
                if !want(&mut sink, 5, "MONITOR ups@localhost 1 monuser \"password\" primary") {
                    continue;
                }
                let (ups, host, port) = match split_system(args[0]) {
                    Ok(v) => v,
                    Err(e) => {
                        sink.error(n, e);
                        continue;
                    }
                };
                let Some(powervalue) = sink.number::<u32>(n, "MONITOR's power value", args[1]) else {
                    continue;
                };
                let Some(role) = Role::parse(args[4]) else {
                    // With extra words, the fifth may be part of an unquoted password: never
                    // echo it then, diagnostics end up in logs.
                    let shown = if args.len() == 5 {
                        format!(", not \"{}\"", args[4])
                    } else {
                        "; a password with spaces must be quoted".to_string()
                    };
                    sink.error(
                        n,
                        format!("MONITOR role must be primary or secondary (or the old master/slave){shown}"),
                    );
                    continue;
                };
                let first = *monitor_lines.entry(args[0]).or_insert(n);
                if first != n {
                    sink.warn(
                        n,
                        format!(
                            "{} is monitored twice (first on line {first}); remove one MONITOR line",
                            args[0]
                        ),
                    );
                }
                c.monitors.push(Monitor {
                    system: args[0].to_string(),
                    ups,
                    host,
                    port,
                    powervalue,
                    user: args[2].to_string(),
                    pass: args[3].to_string(),
                    role,
                    role_word: args[4].to_string(),
                    line: n,
                });
            }
            "MINSUPPLIES" => {
                minsupplies_line = n;
                num(&mut sink, &mut c.minsupplies, "MINSUPPLIES 1");
            }
            "SHUTDOWNCMD" => {
                c.shutdowncmd = text_arg(&mut sink, "SHUTDOWNCMD \"/sbin/shutdown -h +0\"").or(c.shutdowncmd)
            }
            "NOTIFYCMD" => c.notifycmd = text_arg(&mut sink, "NOTIFYCMD /usr/sbin/upssched").or(c.notifycmd),
            "NOTIFYMSG" | "NOTIFYFLAG" => {
                let usage = if key == "NOTIFYMSG" {
                    "NOTIFYMSG ONBATT \"UPS %s on battery\""
                } else {
                    "NOTIFYFLAG ONBATT SYSLOG+WALL+EXEC"
                };
                if !want(&mut sink, 2, usage) {
                    continue;
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
                if key == "NOTIFYMSG" {
                    c.notifymsg.push((t.to_string(), args[1].to_string()));
                } else {
                    match NotifyFlags::parse(args[1]) {
                        Ok(f) => c.notifyflag.push((t.to_string(), f)),
                        Err(bad) => sink.error(
                            n,
                            format!(
                                "unknown notify flag \"{bad}\"; combine SYSLOG, WALL and EXEC with \
                                 '+' (e.g. SYSLOG+WALL+EXEC), or write IGNORE"
                            ),
                        ),
                    }
                }
            }
            "POLLFREQ" => num(&mut sink, &mut c.pollfreq, "POLLFREQ 5"),
            "POLLFREQALERT" => num(&mut sink, &mut c.pollfreqalert, "POLLFREQALERT 5"),
            "DEADTIME" => num(&mut sink, &mut c.deadtime, "DEADTIME 15"),
            "HOSTSYNC" => num(&mut sink, &mut c.hostsync, "HOSTSYNC 15"),
            "FINALDELAY" => num(&mut sink, &mut c.finaldelay, "FINALDELAY 5"),
            "NOCOMMWARNTIME" => num(&mut sink, &mut c.nocommwarntime, "NOCOMMWARNTIME 300"),
            "RBWARNTIME" => num(&mut sink, &mut c.rbwarntime, "RBWARNTIME 43200"),
            "POWERDOWNFLAG" => {
                c.powerdownflag = text_arg(&mut sink, "POWERDOWNFLAG /etc/killpower").or(c.powerdownflag)
            }
            "RUN_AS_USER" => c.run_as_user = text_arg(&mut sink, "RUN_AS_USER nut").or(c.run_as_user),
            "POLLFAIL_LOG_THROTTLE_MAX" => {
                if let Some(v) = signed(&mut sink, "POLLFAIL_LOG_THROTTLE_MAX 100") {
                    c.pollfail_log_throttle_max = Some(v);
                }
            }
            "OFFDURATION" => {
                if let Some(v) = signed(&mut sink, "OFFDURATION 30") {
                    c.offduration = v;
                }
            }
            "OBLBDURATION" => {
                if let Some(v) = signed(&mut sink, "OBLBDURATION 0") {
                    c.oblbduration = Some(v);
                }
            }
            "OVERDURATION" => {
                if let Some(v) = signed(&mut sink, "OVERDURATION -1") {
                    c.overduration = Some(v);
                }
            }
            "SHUTDOWNEXIT" => {
                // NUT 2.8.5: yes/on/true exit at once, no/off/false never; a number is the
                // delay in seconds, 0 meaning at once and a negative one never.
                if want(&mut sink, 1, "SHUTDOWNEXIT yes") {
                    let v = args[0];
                    match (v.parse::<i64>(), crate::diag::parse_bool(v)) {
                        (Ok(0), _) => c.shutdownexit = ShutdownExit::Yes,
                        (Ok(secs), _) if secs < 0 => c.shutdownexit = ShutdownExit::No,
                        (Ok(secs), _) => {
                            c.shutdownexit = ShutdownExit::After(u32::try_from(secs).unwrap_or(u32::MAX))
                        }
                        (Err(_), Some(true)) => c.shutdownexit = ShutdownExit::Yes,
                        (Err(_), Some(false)) => c.shutdownexit = ShutdownExit::No,
                        (Err(_), None) => sink.error(
                            n,
                            format!(
                                "SHUTDOWNEXIT must be yes, no or a number of seconds (0: at once, \
                                 negative: never), not \"{v}\""
                            ),
                        ),
                    }
                }
            }
            "ALARMCRITICAL" => {
                if want(&mut sink, 1, "ALARMCRITICAL on") {
                    if let Some(b) = sink.boolean(n, key, args[0]) {
                        c.alarmcritical = b;
                    }
                }
            }
            "CERTPATH" => {
                c.certpath = text_arg(&mut sink, "CERTPATH /etc/nut/cert").or(c.certpath);
                c.cert_lines.certpath = n;
            }
            "CERTFILE" => {
                c.certfile = text_arg(&mut sink, "CERTFILE /etc/nut/upsmon.pem").or(c.certfile);
                c.cert_lines.certfile = n;
            }
            "CERTIDENT" => {
                if want(&mut sink, 2, "CERTIDENT \"cert name\" \"password\"") {
                    c.certident = Some((args[0].to_string(), args[1].to_string()));
                    c.cert_lines.certident = n;
                }
            }
            "CERTHOST" => {
                if want(&mut sink, 4, "CERTHOST localhost \"upsd cert\" 1 1") {
                    let v = sink.boolean(n, "CERTHOST's certverify", args[2]);
                    let f = sink.boolean(n, "CERTHOST's forcessl", args[3]);
                    if let (Some(certverify), Some(forcessl)) = (v, f) {
                        c.certhosts.push(CertHost {
                            host: args[0].to_string(),
                            certname: args[1].to_string(),
                            certverify,
                            forcessl,
                        });
                    }
                }
            }
            "CERTVERIFY" | "FORCESSL" => {
                if want(&mut sink, 1, &format!("{key} 1")) {
                    if let Some(b) = sink.boolean(n, key, args[0]) {
                        if key == "CERTVERIFY" {
                            c.certverify = b;
                        } else {
                            c.forcessl = b;
                        }
                    }
                }
            }
            k if k.eq_ignore_ascii_case("DEBUG_MIN") => {
                if want(&mut sink, 1, "DEBUG_MIN 1") {
                    c.debug_min = sink.number(n, "DEBUG_MIN", args[0]).or(c.debug_min);
                }
            }
            "LOGIN_MONITOR_ONLY" => {
                if want(&mut sink, 1, "LOGIN_MONITOR_ONLY off") {
                    if let Some(b) = sink.boolean(n, key, args[0]) {
                        c.login_monitor_only = b;
                    }
                }
            }
            _ => sink.unknown(n, "directive", key, KEYWORDS, "the line is ignored"),
        }
    }
    if c.total_power() < u64::from(c.minsupplies) {
        let msg = format!(
            "insufficient power configured: the MONITOR power values add up to {} but MINSUPPLIES \
             is {}; add a MONITOR line with power value 1 (e.g. MONITOR ups@localhost 1 monuser \
             \"password\" primary), or set MINSUPPLIES 0 to only watch",
            c.total_power(),
            c.minsupplies
        );
        sink.error(minsupplies_line, msg);
    }
    sink.finish(c)
}

fn plural(count: usize) -> String {
    if count == 1 {
        "a value".to_string()
    } else {
        format!("{count} values")
    }
}

/// Every diagnostic for `upsmon.conf` (what upsmon's check mode prints).
pub fn check(text: &str, file: &str) -> Vec<crate::Diagnostic> {
    match parse(text, file) {
        Ok((_, d)) | Err(d) => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (UpsmonConf, Vec<String>) {
        crate::testutil::ok(parse(text, "upsmon.conf"))
    }

    fn errs(text: &str) -> Vec<String> {
        crate::testutil::errs(parse(text, "upsmon.conf"), true)
    }

    const MON: &str = "MONITOR ups@localhost 1 monuser secret primary\n";

    #[test]
    fn defaults() {
        let (c, w) = ok(MON);
        assert!(w.is_empty());
        assert_eq!((c.pollfreq, c.pollfreqalert, c.deadtime, c.hostsync, c.finaldelay), (5, 5, 15, 15, 5));
        assert_eq!((c.nocommwarntime, c.rbwarntime, c.minsupplies), (300, 43200, 1));
        assert_eq!((c.offduration, c.shutdownexit, c.alarmcritical), (30, ShutdownExit::Yes, true));
        assert_eq!(c.powerdownflag, None);
        assert_eq!(c.flags("ONBATT"), NotifyFlags::DEFAULT);
        assert_eq!(c.message("ONBATT"), None);
        let m = &c.monitors[0];
        assert_eq!(
            (m.ups.as_str(), m.host.as_str(), m.port, m.powervalue, m.role, m.line),
            ("ups", "localhost", 3493, 1, Role::Primary, 1)
        );
        assert_eq!((m.user.as_str(), m.pass.as_str()), ("monuser", "secret"));
    }

    #[test]
    fn every_directive() {
        let text = "MONITOR myups@10.0.0.2:3494 2 upsmon \"pa ss\" master\n\
            MONITOR qnapups@[::1]:3493 0 admin 123456 slave\nMINSUPPLIES 2\n\
            SHUTDOWNCMD \"/sbin/shutdown -h +0\"\nNOTIFYCMD /usr/sbin/upssched\n\
            NOTIFYMSG onbatt \"UPS %s is on battery\"\nNOTIFYFLAG ONBATT SYSLOG+WALL+EXEC\n\
            NOTIFYFLAG LOWBATT IGNORE\nPOLLFREQ 2\nPOLLFREQALERT 1\nDEADTIME 20\nHOSTSYNC 30\n\
            FINALDELAY 0\nNOCOMMWARNTIME 600\nRBWARNTIME 3600\nPOWERDOWNFLAG /etc/killpower\n\
            RUN_AS_USER nut\nPOLLFAIL_LOG_THROTTLE_MAX 100\nOFFDURATION -1\nSHUTDOWNEXIT 30\n\
            OBLBDURATION 10\nOVERDURATION 60\nALARMCRITICAL off\nCERTPATH /etc/nut/cert\n\
            CERTFILE /etc/nut/c.pem\nCERTIDENT \"my cert\" pw\nCERTHOST localhost \"upsd\" 1 0\n\
            CERTVERIFY 1\nFORCESSL 1\nDEBUG_MIN 3\nNOTIFYFLAG SUSPEND_TIMEJUMP_UNEXPECTED EXEC\n\
            LOGIN_MONITOR_ONLY off\n";
        let (c, w) = ok(text);
        assert!(w.is_empty(), "{w:?}");
        let m = &c.monitors;
        assert_eq!((m[0].ups.as_str(), m[0].host.as_str(), m[0].port), ("myups", "10.0.0.2", 3494));
        assert_eq!(
            (m[0].pass.as_str(), m[0].role, m[0].role_word.as_str()),
            ("pa ss", Role::Primary, "master")
        );
        assert_eq!((m[1].host.as_str(), m[1].powervalue, m[1].role), ("::1", 0, Role::Secondary));
        assert_eq!(c.minsupplies, 2);
        assert_eq!(c.shutdowncmd.as_deref(), Some("/sbin/shutdown -h +0"));
        assert_eq!(c.notifycmd.as_deref(), Some("/usr/sbin/upssched"));
        assert_eq!(c.message("ONBATT"), Some("UPS %s is on battery"));
        assert_eq!(c.flags("onbatt"), NotifyFlags { syslog: true, wall: true, exec: true });
        assert_eq!(c.flags("LOWBATT"), NotifyFlags::IGNORE);
        assert_eq!((c.pollfreq, c.pollfreqalert, c.deadtime, c.hostsync), (2, 1, 20, 30));
        assert_eq!((c.finaldelay, c.nocommwarntime, c.rbwarntime), (0, 600, 3600));
        assert_eq!(c.powerdownflag.as_deref(), Some("/etc/killpower"));
        assert_eq!(c.run_as_user.as_deref(), Some("nut"));
        assert_eq!(c.pollfail_log_throttle_max, Some(100));
        assert_eq!((c.offduration, c.shutdownexit), (-1, ShutdownExit::After(30)));
        assert_eq!((c.oblbduration, c.overduration, c.alarmcritical), (Some(10), Some(60), false));
        assert_eq!(c.certpath.as_deref(), Some("/etc/nut/cert"));
        assert_eq!(c.certfile.as_deref(), Some("/etc/nut/c.pem"));
        assert_eq!(c.certident, Some(("my cert".into(), "pw".into())));
        assert_eq!(
            c.certhosts,
            vec![CertHost {
                host: "localhost".into(),
                certname: "upsd".into(),
                certverify: true,
                forcessl: false
            }]
        );
        assert!(c.certverify && c.forcessl);
        assert_eq!(c.debug_min, Some(3));
        assert!(c.flags("SUSPEND_TIMEJUMP_UNEXPECTED").exec);
        assert!(!c.login_monitor_only);
        assert!(ok(MON).0.login_monitor_only, "on by default, as NUT logs in for every MONITOR");
        // NUT compares DEBUG_MIN case-insensitively ("debug_min, as in ups.conf").
        assert_eq!(ok(&format!("{MON}debug_min 2\n")).0.debug_min, Some(2));
    }

    #[test]
    fn shutdownexit_forms() {
        // NUT 2.8.5's reading (upsmon.conf(5)): 0 exits at once, a negative number never.
        for (v, want) in [
            ("yes", ShutdownExit::Yes),
            ("On", ShutdownExit::Yes),
            ("no", ShutdownExit::No),
            ("false", ShutdownExit::No),
            ("0", ShutdownExit::Yes),
            ("-1", ShutdownExit::No),
            ("1", ShutdownExit::After(1)),
            ("45", ShutdownExit::After(45)),
        ] {
            assert_eq!(ok(&format!("{MON}SHUTDOWNEXIT {v}\n")).0.shutdownexit, want, "{v}");
        }
    }

    #[test]
    fn errors_nut_only_logs_are_reported_all_at_once() {
        let e = errs(&format!(
            "{MON}NOTIFYFLAG ONBAT SYSLOG\nNOTIFYFLAG ONBATT SYSLOG+FOO\nNOTIFYMSG BAR \"x\"\n\
             POLLFREQ x\nDEADTIME\nMONITOR u2@h 1 a b chief\nMONITOR u3@h:99999 1 a b slave\n\
             MONITOR u4@h 1 a b\n"
        ));
        let want = [
            "upsmon.conf:2: error: unknown notify type \"ONBAT\"; did you mean \"ONBATT\"?",
            "upsmon.conf:3: error: unknown notify flag \"FOO\"",
            "upsmon.conf:4: error: unknown notify type \"BAR\"",
            "upsmon.conf:5: error: POLLFREQ needs a whole number",
            "upsmon.conf:6: error: DEADTIME needs a value",
            "upsmon.conf:7: error: MONITOR role must be primary or secondary",
            "upsmon.conf:8: error: \"u3@h:99999\": the port must be a number",
            "upsmon.conf:9: error: MONITOR needs 5 values; write: MONITOR ups@localhost 1 monuser",
        ];
        crate::testutil::assert_prefixes(&e, &want);
    }

    #[test]
    fn unknown_and_lowercase_keywords_warn() {
        let (c, w) = ok(&format!("{MON}pollfreq 3\nFOO 1\n"));
        assert_eq!(c.pollfreq, 5);
        assert!(
            w[0].contains(
                "upsmon.conf:2: warning: unknown directive \"pollfreq\"; did you mean \"POLLFREQ\"?"
            ),
            "{w:?}"
        );
        assert!(w[1].contains("unknown directive \"FOO\""), "{w:?}");
    }

    #[test]
    fn insufficient_power_is_an_error_like_nut() {
        let e = errs("SHUTDOWNCMD \"/bin/true\"\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("upsmon.conf: error: insufficient power configured: the MONITOR power values add up to 0 but MINSUPPLIES is 1"), "{}", e[0]);
        let e = errs(&format!("{MON}MINSUPPLIES 2\n"));
        assert!(e[0].starts_with("upsmon.conf:2: error: insufficient power"), "{}", e[0]);
        let (c, _) = ok("MINSUPPLIES 0\nMONITOR a@b 0 u p secondary\n");
        assert_eq!(c.total_power(), 0);
    }

    #[test]
    fn duplicate_monitor_warns() {
        let (_, w) = ok(&format!("{MON}{MON}"));
        assert!(
            w[0].starts_with("upsmon.conf:2: warning: ups@localhost is monitored twice (first on line 1)"),
            "{w:?}"
        );
    }

    /// A generated file with thousands of MONITOR lines: every duplicate points at the first
    /// occurrence, and the check stays linear (the old scan of all earlier monitors took
    /// seconds for 20,000 lines).
    #[test]
    fn many_monitors_duplicates_found_quickly() {
        let mut text = String::new();
        for i in 0..20_000 {
            text.push_str(&format!("MONITOR u{i}@localhost 1 monuser pass secondary\n"));
        }
        text.push_str("MONITOR u7@localhost 1 monuser pass secondary\n");
        text.push_str("MONITOR u7@localhost 1 monuser pass secondary\n");
        let t = std::time::Instant::now();
        let (c, w) = ok(&text);
        assert!(t.elapsed() < std::time::Duration::from_secs(10), "{:?}", t.elapsed());
        assert_eq!(c.monitors.len(), 20_002);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with("upsmon.conf:20001: warning: u7@localhost is monitored twice (first on line 8)"),
            "{w:?}"
        );
        assert!(
            w[1].starts_with("upsmon.conf:20002: warning: u7@localhost is monitored twice (first on line 8)"),
            "{w:?}"
        );
    }

    #[test]
    fn system_names() {
        assert_eq!(split_system("ups"), Ok(("ups".into(), "localhost".into(), 3493)));
        assert_eq!(split_system("ups@h:1"), Ok(("ups".into(), "h".into(), 1)));
        assert_eq!(split_system("ups@::1"), Ok(("ups".into(), "::1".into(), 3493)));
        assert_eq!(split_system("ups@[fe80::1]:2"), Ok(("ups".into(), "fe80::1".into(), 2)));
        assert!(split_system("@h").is_err());
        assert!(split_system("u@").is_err());
        assert!(split_system("u@h:x").is_err());
        assert!(split_system("u@[::1").is_err());
    }

    #[test]
    fn monitor_passwords_are_never_echoed() {
        for text in [
            "MONITOR ups@localhost 1 mon Zq9 secret primary\n",
            "MONITOR ups@localhost 1 mon Zq9secret\n",
            "MONITOR ups@localhost x mon Zq9secret primary\n",
            "MONITOR ups@localhost 1 mon Zq9secret master extra\n",
            "MONITOR ups@localhost 1 mon \"Zq9secret primary\n",
        ] {
            let d = check(text, "upsmon.conf");
            assert!(!d.is_empty(), "{text}");
            for x in &d {
                assert!(!x.to_string().contains("Zq9"), "{text}: {x}");
            }
        }
        // A plain role typo is still shown, to help fix it.
        let d = check("MONITOR ups@localhost 1 mon pw primry\n", "upsmon.conf");
        assert!(d.iter().any(|x| x.message.contains("\"primry\"")), "{d:?}");
    }
}
