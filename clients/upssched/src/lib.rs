//! Turns upsmon events into timers and commands.
//!
//! upsmon runs upssched as its NOTIFYCMD with `UPSNAME` and `NOTIFYTYPE` in the environment
//! and the message as the argument (NOTIFYMSG). Each `AT` rule of upssched.conf that matches
//! runs in file order: EXECUTE runs CMDSCRIPT at once, START-TIMER and CANCEL-TIMER go to the
//! timer daemon ([`daemon`]), which the first invocation starts. [`timers`] holds the
//! daemon's decisions with no I/O; nut-conf reads upssched.conf.
#![warn(missing_docs)]

use std::path::PathBuf;
use std::process::ExitCode;

use nut_core::getopt;

pub mod daemon;
pub mod timers;

use daemon::Paths;
use nut_conf::upssched_conf::{Action, UpsschedConf};

fn usage(prog: &str) {
    println!("{}", nut_core::banner("upssched"));
    println!();
    println!("upssched: upsmon's scheduling helper for offset timers");
    println!("Practical behavior is managed by UPSNAME and NOTIFYTYPE envvars");
    println!();
    println!("Usage: {prog} [OPTIONS] [NOTIFYMSG]");
    println!();
    println!("  -D		raise debugging level (NOTE: keeps reporting when daemonized)");
    println!("  -V		display the version of this software");
    println!("  -h		display this help");
    println!("  -l		display currently pending timers (if any)");
    println!("  --check-config	check upssched.conf (syntax, CMDSCRIPT, PIPEFN, LOCKFN),");
    println!("		print every problem with file:line, exit non-zero on errors");
}

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let prog = args.first().cloned().unwrap_or_else(|| "upssched".into());
    if args.get(1).map(String::as_str) == Some(daemon::DAEMON_FLAG) {
        // Started by an invocation with NUT_DEBUG_LEVEL set to its level.
        nut_daemon::log::init("upssched", 0);
        nut_daemon::log::syslog_also();
        return match load() {
            Ok(conf) => match timer_paths(&conf) {
                Ok(p) => daemon::run_daemon(p),
                Err(e) => fail(&e),
            },
            Err(e) => fail(&e),
        };
    }
    if args.get(1).map(String::as_str) == Some("--check-config") {
        return check_config();
    }
    let parsed = getopt::parse(&args[1..], "+DVhl");
    if let Some(bad) = parsed.first_error() {
        eprintln!("{}", bad.glibc_message(&prog).unwrap_or_default());
        let c = match bad {
            getopt::Opt::Unknown(c) | getopt::Opt::MissingArg(c) => *c,
            _ => '?',
        };
        eprintln!("Error: unknown option -{c}. Try -h for help.");
        return ExitCode::FAILURE;
    }
    if parsed.has('h') {
        usage(&prog);
        return ExitCode::SUCCESS;
    }
    if parsed.has('V') {
        println!("{}", nut_core::banner("upssched"));
        return ExitCode::SUCCESS;
    }
    // NUT's upssched logs to syslog from the start (it normally has no stderr) and keeps
    // stderr too.
    nut_daemon::log::init("upssched", parsed.count('D').min(usize::from(u8::MAX)) as u8);
    nut_daemon::log::syslog_also();
    let list = parsed.has('l');
    let conf = match load() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    if let Some(min) = conf.debug_min {
        nut_daemon::log::set_debug_min(min.min(u32::from(u8::MAX)) as u8);
        tracing::debug!("Applying debug_min={min} from upssched.conf");
    }
    if list {
        return list_timers(&conf);
    }
    let (ups, ntype) = match (std::env::var("UPSNAME"), std::env::var("NOTIFYTYPE")) {
        (Ok(u), Ok(n)) => (u, n),
        _ => {
            println!("Error: environment variables UPSNAME and NOTIFYTYPE must be set.");
            println!("This program should only be run from upsmon(8).");
            return ExitCode::FAILURE;
        }
    };
    // upsmon passes its message as the argument: CMDSCRIPT gets it as NOTIFYMSG (2.8.5).
    let msg = parsed.operands.first().cloned().unwrap_or_default();
    tracing::debug!("Handling NOTIFYTYPE='{ntype}' for UPSNAME='{ups}'");
    match dispatch(&conf, &Event { ups, ntype, msg }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// The notification upsmon called us for.
struct Event {
    ups: String,
    ntype: String,
    /// NOTIFYMSG (empty when upsmon passed none).
    msg: String,
}

impl Event {
    /// The environment of a command run for this event right away (EXECUTE, a cancel's
    /// command): upsmon's UPSNAME and NOTIFYTYPE, and NOTIFYMSG when there is a message.
    fn env(&self) -> Vec<(&'static str, String)> {
        let mut v = vec![("UPSNAME", self.ups.clone()), ("NOTIFYTYPE", self.ntype.clone())];
        if !self.msg.is_empty() {
            v.push(("NOTIFYMSG", self.msg.clone()));
        }
        v
    }
}

fn fail(msg: &str) -> ExitCode {
    tracing::error!("{msg}");
    ExitCode::FAILURE
}

fn conf_file() -> PathBuf {
    nut_core::paths::conf_path().join("upssched.conf")
}

/// Reads upssched.conf: the configuration and its warnings, or every error (file:line) and
/// what to do.
fn read_conf() -> Result<(UpsschedConf, Vec<String>), String> {
    let path = conf_file();
    let file = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("Can't open {file}: {e}"))?;
    match nut_conf::upssched_conf::parse(&text, &file) {
        Ok((conf, warnings)) => Ok((conf, warnings.iter().map(|d| d.to_string()).collect())),
        Err(diags) => {
            let mut lines: Vec<String> = diags.iter().map(|d| d.to_string()).collect();
            lines.push(format!("fix the errors in {file} listed above"));
            Err(lines.join("\n"))
        }
    }
}

/// [`read_conf`] for a run: warnings go to the log.
fn load() -> Result<UpsschedConf, String> {
    let (conf, warnings) = read_conf()?;
    for w in &warnings {
        tracing::warn!("{w}");
    }
    Ok(conf)
}

/// `--check-config`: report every problem of upssched.conf that would bite at the first power
/// event (a missing or non-executable CMDSCRIPT, timers without PIPEFN/LOCKFN, directories that
/// do not exist), not just the syntax errors.
fn check_config() -> ExitCode {
    let file = conf_file().display().to_string();
    let conf = match read_conf() {
        Ok((c, warnings)) => {
            for w in &warnings {
                eprintln!("{w}");
            }
            c
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut problems = Vec::new();
    match cmdscript(&conf) {
        Err(e) => problems.push(e),
        Ok(script) => {
            // CMDSCRIPT may carry arguments; the program is its first word.
            let program = script.split_whitespace().next().unwrap_or(script);
            match std::fs::metadata(program) {
                Err(e) => {
                    problems.push(format!("{file}: CMDSCRIPT {program}: {e}: timers would fire into nothing"))
                }
                Ok(m) => {
                    use std::os::unix::fs::PermissionsExt;
                    if m.permissions().mode() & 0o111 == 0 {
                        problems.push(format!(
                            "{file}: CMDSCRIPT {program} is not executable: chmod +x {program}"
                        ));
                    }
                }
            }
        }
    }
    match timer_paths(&conf) {
        Err(e) => problems.push(e),
        Ok(_) => {
            for (key, v) in [("PIPEFN", &conf.pipefn), ("LOCKFN", &conf.lockfn)] {
                let Some(path) = v else { continue };
                let dir = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty());
                if let Some(dir) = dir.filter(|d| !d.is_dir()) {
                    problems.push(format!(
                        "{file}: {key} {path}: directory {} does not exist: mkdir -p {} and let upsmon's user write it",
                        dir.display(),
                        dir.display()
                    ));
                }
            }
        }
    }
    for p in &problems {
        eprintln!("{p}");
    }
    if problems.is_empty() {
        println!("{file}: no problems found");
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn cmdscript(conf: &UpsschedConf) -> Result<&str, String> {
    conf.cmdscript.as_deref().ok_or_else(|| {
        format!("CMDSCRIPT is not set in {}: add `CMDSCRIPT /path/to/your/script`", conf_file().display())
    })
}

fn timer_paths(conf: &UpsschedConf) -> Result<Paths, String> {
    let need = |v: &Option<String>, key: &str| {
        v.clone().ok_or_else(|| {
            format!(
                "{key} is not set in {}: timers need `PIPEFN /run/nut/upssched/upssched.pipe` and `LOCKFN /run/nut/upssched/upssched.lock`",
                conf_file().display()
            )
        })
    };
    Ok(Paths {
        cmdscript: cmdscript(conf)?.to_string(),
        pipefn: need(&conf.pipefn, "PIPEFN")?.into(),
        lockfn: need(&conf.lockfn, "LOCKFN")?.into(),
    })
}

/// Carries out every matching AT rule, in file order.
fn dispatch(conf: &UpsschedConf, ev: &Event) -> Result<(), String> {
    use nut_proto::words::quote;
    for at in conf.matching(&ev.ntype, &ev.ups) {
        match &at.action {
            Action::Execute { cmd } => {
                if nut_daemon::log::debug_level() > 0 {
                    tracing::info!("Executing command: {cmd}");
                }
                daemon::run_command_wait(cmdscript(conf)?, cmd, &ev.env());
            }
            Action::StartTimer { name, seconds: secs } | Action::StartTimerShared { name, seconds: secs } => {
                let verb =
                    if matches!(at.action, Action::StartTimer { .. }) { "START" } else { "START-SHARED" };
                let line = format!(
                    "{verb} {} {secs} {} {} {}",
                    quote(name),
                    quote(&ev.ups),
                    quote(&ev.ntype),
                    quote(&ev.msg)
                );
                daemon::request(&timer_paths(conf)?, &line, true)?;
            }
            Action::CancelTimer { name, cmd } | Action::CancelTimerMatched { name, cmd } => {
                let who = match &at.action {
                    Action::CancelTimerMatched { .. } => quote(&ev.ups),
                    _ => "*".to_string(),
                };
                let mut line = format!("CANCEL {} {who}", quote(name));
                if let Some(c) = cmd {
                    line.push(' ');
                    line.push_str(&quote(c));
                }
                let reply = daemon::request(&timer_paths(conf)?, &line, false)?;
                // No daemon means no timer: the cancel command runs, as in NUT.
                let run = match reply {
                    None => cmd.clone(),
                    Some(r) => r
                        .first()
                        .and_then(|l| l.strip_prefix("RUN "))
                        .and_then(|c| nut_proto::words::split(c).ok())
                        .and_then(|w| w.into_iter().next()),
                };
                if let Some(c) = run {
                    if nut_daemon::log::debug_level() > 0 {
                        tracing::info!("Cancel {name}, event: {c}");
                    }
                    daemon::run_command_wait(cmdscript(conf)?, &c, &ev.env());
                }
            }
        }
    }
    Ok(())
}

/// `upssched -l` as NUT 2.8.5 prints it: one line per timer with NAME, TIMEOUT_ABS (Unix
/// time), TIMEOUT_REL (seconds left), NOTIFYTYPE, UPSNAME and NOTIFYMSG, separated by tabs
/// (`""` for an empty field); an error when no timer daemon runs.
fn list_timers(conf: &UpsschedConf) -> ExitCode {
    let Some(pipefn) = conf.pipefn.as_deref() else {
        return fail(&format!(
            "{}: invalid configuration for timer listing: lacks PIPEFN",
            conf_file().display()
        ));
    };
    let paths = daemon::Paths {
        cmdscript: conf.cmdscript.clone().unwrap_or_default(),
        pipefn: pipefn.into(),
        lockfn: conf.lockfn.clone().unwrap_or_default().into(),
    };
    match daemon::request(&paths, "LIST", false) {
        Ok(None) => fail("upssched timer is not running"),
        Ok(Some(lines)) => {
            for w in lines
                .iter()
                .filter_map(|l| l.strip_prefix("TIMER "))
                .filter_map(|l| nut_proto::words::split(l).ok())
                .filter(|w| w.len() == 6)
            {
                let field = |s: &str| if s.is_empty() { "\"\"".to_string() } else { s.to_string() };
                let rel = w[2].parse::<i64>().map(timers::format_g).unwrap_or_else(|_| w[2].clone());
                println!("{}\t{}\t{rel}\t{}\t{}\t{}", w[0], w[1], field(&w[3]), field(&w[4]), field(&w[5]));
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}
