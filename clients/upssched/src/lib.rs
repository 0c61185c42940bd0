//! Turns upsmon events into timers and commands.
//!
//! upsmon runs upssched as its NOTIFYCMD with `UPSNAME` and `NOTIFYTYPE` in the environment.
//! Each `AT` rule of upssched.conf that matches runs in file order: EXECUTE runs CMDSCRIPT at
//! once, START-TIMER and CANCEL-TIMER go to the timer daemon ([`daemon`]), which the first
//! invocation starts. [`timers`] holds the daemon's decisions with no I/O; nut-conf reads
//! upssched.conf.
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
    println!("upssched is called by upsmon (NOTIFYCMD) with UPSNAME and NOTIFYTYPE set,");
    println!("and acts on the AT rules of upssched.conf.");
    println!();
    println!("usage: {prog} [OPTIONS]");
    println!();
    println!("  -l		list the running timers");
    println!("  -D		raise debugging level");
    println!("  -V		display the version of this software");
    println!("  -h		display this help");
    println!("  --check-config	check upssched.conf (syntax, CMDSCRIPT, PIPEFN, LOCKFN),");
    println!("		print every problem with file:line, exit non-zero on errors");
}

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let prog = args.first().cloned().unwrap_or_else(|| "upssched".into());
    if args.get(1).map(String::as_str) == Some(daemon::DAEMON_FLAG) {
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
    let parsed = getopt::parse(&args[1..], "lDVh");
    if let Some(bad) = parsed.first_error() {
        eprintln!("{}", bad.glibc_message(&prog).unwrap_or_default());
        usage(&prog);
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
    let list = parsed.has('l');
    let conf = match load() {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    if list {
        return list_timers(&conf);
    }
    let (ups, ntype) = match (std::env::var("UPSNAME"), std::env::var("NOTIFYTYPE")) {
        (Ok(u), Ok(n)) => (u, n),
        _ => {
            eprintln!("Error: UPSNAME and NOTIFYTYPE must be set.");
            eprintln!("This program should only be run from upsmon.");
            return ExitCode::FAILURE;
        }
    };
    match dispatch(&conf, &ups, &ntype) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("upssched: {msg}");
    ExitCode::FAILURE
}

fn conf_file() -> PathBuf {
    nut_core::paths::conf_path().join("upssched.conf")
}

fn load() -> Result<UpsschedConf, String> {
    let path = conf_file();
    let file = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("Can't open {file}: {e}"))?;
    match nut_conf::upssched_conf::parse(&text, &file) {
        Ok((conf, warnings)) => {
            for d in &warnings {
                eprintln!("{d}");
            }
            Ok(conf)
        }
        Err(diags) => {
            for d in &diags {
                eprintln!("{d}");
            }
            Err(format!("fix the errors in {file} listed above"))
        }
    }
}

/// `--check-config`: report every problem of upssched.conf that would bite at the first power
/// event (a missing or non-executable CMDSCRIPT, timers without PIPEFN/LOCKFN, directories that
/// do not exist), not just the syntax errors.
fn check_config() -> ExitCode {
    let file = conf_file().display().to_string();
    let conf = match load() {
        Ok(c) => c,
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
fn dispatch(conf: &UpsschedConf, ups: &str, ntype: &str) -> Result<(), String> {
    use nut_proto::words::quote;
    for at in conf.matching(ntype, ups) {
        match &at.action {
            Action::Execute { cmd } => {
                eprintln!("Executing command: {cmd}");
                daemon::run_command_wait(cmdscript(conf)?, cmd, ups, ntype);
            }
            Action::StartTimer { name, seconds: secs } | Action::StartTimerShared { name, seconds: secs } => {
                let verb =
                    if matches!(at.action, Action::StartTimer { .. }) { "START" } else { "START-SHARED" };
                let line = format!("{verb} {} {secs} {} {}", quote(name), quote(ups), quote(ntype));
                daemon::request(&timer_paths(conf)?, &line, true)?;
            }
            Action::CancelTimer { .. } | Action::CancelTimerMatched { .. } => {
                let (name, cmd, who) = match &at.action {
                    Action::CancelTimer { name, cmd } => (name, cmd.clone(), "*".to_string()),
                    Action::CancelTimerMatched { name } => (name, None, quote(ups)),
                    _ => continue,
                };
                let mut line = format!("CANCEL {} {who}", quote(name));
                if let Some(c) = &cmd {
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
                    daemon::run_command_wait(cmdscript(conf)?, &c, ups, ntype);
                }
            }
        }
    }
    Ok(())
}

fn list_timers(conf: &UpsschedConf) -> ExitCode {
    let paths = match timer_paths(conf) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    match daemon::request(&paths, "LIST", false) {
        Ok(None) => {
            println!("No timers are running (no upssched timer daemon on {}).", paths.pipefn.display());
            ExitCode::SUCCESS
        }
        Ok(Some(lines)) => {
            let timers: Vec<Vec<String>> = lines
                .iter()
                .filter_map(|l| l.strip_prefix("TIMER "))
                .filter_map(|l| nut_proto::words::split(l).ok())
                .filter(|w| w.len() == 4)
                .collect();
            if timers.is_empty() {
                println!("No timers are running.");
            } else {
                println!("{:<20} {:>8}  {:<24} NOTIFYTYPE", "TIMER", "LEFT", "UPSNAME");
                for w in timers {
                    println!("{:<20} {:>7}s  {:<24} {}", w[0], w[1], w[2], w[3]);
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}
