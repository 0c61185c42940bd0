//! Monitors UPSes and shuts the machine down when power runs out.
//!
//! The decisions live in [`machine`], a state machine with no I/O; [`runner`] does the I/O
//! around it; [`privsep`] keeps a root parent that only runs SHUTDOWNCMD; [`check`] finds
//! configuration mistakes before a power failure does.
#![warn(missing_docs)]

use std::path::PathBuf;
use std::process::ExitCode;

pub mod check;
pub mod config;
pub mod deliver;
pub mod machine;
pub mod notify;
pub mod privsep;
pub mod runner;
pub mod sleep;
pub mod watch;

use machine::{Level, Machine};
use notify::NotifyType;

fn usage(prog: &str) {
    println!("{}", nut_core::banner("upsmon"));
    println!();
    println!("Monitors UPS servers and may initiate shutdown if necessary.");
    println!();
    println!("usage: {prog} [OPTIONS]");
    println!();
    println!("  -c <cmd>	send command to running process");
    println!("		commands:");
    println!("		 - fsd: shutdown all primary-mode UPSes (use with caution)");
    println!("		 - reload: reread configuration");
    println!("		 - stop: stop monitoring and exit");
    println!("		 - test-notify [TYPE [UPS]]: fire one notification (default ONBATT for the");
    println!("		   first MONITOR) through NOTIFYCMD/WALL/SYSLOG as NOTIFYFLAG says, without");
    println!("		   a power event and without a running upsmon");
    println!("		 - check: same as --check-config");
    println!("  -P <pid>	send the signal above to specified PID (bypassing PID file)");
    println!("  -D		raise debugging level (and stay foreground by default)");
    println!("  -F		stay foregrounded even if no debugging is enabled");
    println!("  -B		stay backgrounded even if debugging is bumped");
    println!("  -K		checks POWERDOWNFLAG, sets exit code to 0 if set");
    println!("  -p		always run privileged (disable privileged parent)");
    println!("  -u <user>	run child as user <user> (ignored when using -p)");
    println!("  -f <file>	read this configuration file instead of upsmon.conf");
    println!("  -4		IPv4 only");
    println!("  -6		IPv6 only");
    println!("  --check-config	compare upsmon.conf with upsd.users, check permissions and");
    println!("		reachability of every MONITOR, print file:line findings");
    println!();
    println!("Common arguments:");
    println!("  -V         - display the version of this software");
    println!("  -W <secs>  - network timeout for initial connections (default: 10)");
    println!("  -h         - display this help text");
}

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let prog = args.first().cloned().unwrap_or_else(|| "upsmon".into());
    let mut rest: Vec<String> = args.iter().skip(1).cloned().collect();
    let mut check_mode = false;
    rest.retain(|a| {
        let is = a == "--check-config";
        check_mode |= is;
        !is
    });
    // NUT 2.8.5's options (`-i` is in its option string and, like -h, shows the help).
    let p = nut_core::getopt::parse(&rest, "c:P:DFBhiKpu:f:46VW:");
    if let Some(bad) = p.first_error() {
        eprintln!("{}", bad.glibc_message(&prog).unwrap_or_default());
        usage(&prog);
        return ExitCode::FAILURE;
    }
    if p.has('h') || p.has('i') {
        usage(&prog);
        return ExitCode::SUCCESS;
    }
    if p.has('V') {
        println!("{}", nut_core::banner("upsmon"));
        return ExitCode::SUCCESS;
    }
    eprintln!("{}", nut_core::banner("upsmon"));
    let dashes_d = p.count('D').min(usize::from(u8::MAX)) as u8;
    nut_daemon::log::init("upsmon", dashes_d);
    if dashes_d == 0 && nut_daemon::log::debug_level() > 0 {
        tracing::info!(
            "Defaulting debug verbosity to NUT_DEBUG_LEVEL={} since none was requested by command-line options",
            nut_daemon::log::debug_level()
        );
    }

    let cmd = p.value('c').map(str::to_string);
    if cmd.as_deref() == Some("check") {
        check_mode = true;
    }
    let path: PathBuf = p.value('f').map(PathBuf::from).unwrap_or_else(config::default_path);
    if check_mode {
        return run_check(&path);
    }
    if cmd.as_deref() == Some("test-notify") {
        return test_notify(&path, &p.operands);
    }
    if let Some(cmd) = cmd {
        let pid = match p.value('P').map(str::parse::<i32>) {
            Some(Ok(pid)) => Some(pid),
            Some(Err(_)) => return fail("-P needs a numeric PID"),
            None => None,
        };
        return match nut_daemon::control::send("upsmon", &nut_core::paths::pid_path(), &cmd, pid) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!(
                "{e} (is upsmon running? its PID file is {}/upsmon.pid)",
                nut_core::paths::pid_path().display()
            )),
        };
    }

    let loaded = match config::load(&path) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    for w in &loaded.warnings {
        eprintln!("{w}");
    }
    if p.has('K') {
        let Some(pd) = loaded.conf.powerdownflag.as_deref() else {
            eprintln!("POWERDOWNFLAG is not set in {}", loaded.file());
            return ExitCode::FAILURE;
        };
        return match privsep::pdflag_is_set(pd) {
            Ok(true) => {
                println!("Power down flag is set");
                ExitCode::SUCCESS
            }
            Ok(false) => {
                println!("Power down flag is not set");
                ExitCode::FAILURE
            }
            Err(e) => fail(&e),
        };
    }
    // DEBUG_MIN raises the level; -D and NUT_DEBUG_LEVEL can only add to it. It does not
    // keep the daemon in the foreground.
    let debug_args = nut_daemon::log::debug_level();
    if let Some(min) = loaded.conf.debug_min {
        nut_daemon::log::set_debug_min(min.min(u32::from(u8::MAX)) as u8);
    }
    tracing::debug!("debug level is '{}'", nut_daemon::log::debug_level());
    run_daemon(loaded, &p, debug_args)
}

/// NUT's choice: the last of -F and -B wins; without either, -D keeps upsmon in the
/// foreground (NUT_DEBUG_LEVEL and DEBUG_MIN do not).
fn foreground(p: &nut_core::getopt::Parsed) -> bool {
    use nut_core::getopt::Opt;
    let last = p.opts.iter().rev().find_map(|o| match o {
        Opt::Flag('F') => Some(true),
        Opt::Flag('B') => Some(false),
        _ => None,
    });
    last.unwrap_or_else(|| p.has('D'))
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("upsmon: {msg}");
    ExitCode::FAILURE
}

fn run_daemon(loaded: config::Loaded, p: &nut_core::getopt::Parsed, debug_args: u8) -> ExitCode {
    let machine = match Machine::new(loaded.settings(), loaded.specs(), 0) {
        Ok(m) => m,
        Err(e) => return fail(&e),
    };
    // TLS settings NUT would fail to initialise with (an NSS database among them) stop us
    // here too, rather than leaving TLS off.
    if let Err(e) = config::startup_checks(&loaded) {
        eprintln!("{e}");
        return fail(&format!("fix the TLS settings in {} listed above", loaded.file()));
    }
    for w in config::tls_findings(&loaded).iter().filter(|d| !d.is_error()) {
        eprintln!("{w}");
    }
    // -W over NUT_DEFAULT_CONNECT_TIMEOUT over 10 s, with NUT's warnings (the clients' rules:
    // upsmon uses the same upsclient code in NUT).
    let timeout = nut_client::cli::ConnectTimeout::apply(p.value('W')).connect_timeout;
    if loaded.conf.monitors.is_empty() {
        eprintln!(
            "upsmon: no MONITOR lines in {}: nothing to monitor (continuing, as NUT does)",
            loaded.file()
        );
    }
    for m in &loaded.conf.monitors {
        if m.powervalue == 0 {
            deliver::log(Level::Info, &format!("UPS: {} (monitoring only)", m.system));
        } else {
            let role = if m.role == nut_conf::upsd_users::Role::Primary { "primary" } else { "secondary" };
            deliver::log(Level::Info, &format!("UPS: {} ({role}) (power value {})", m.system, m.powervalue));
        }
    }
    if let Some(pd) = &loaded.conf.powerdownflag {
        deliver::log(Level::Info, &format!("Using power down flag file {pd}"));
        privsep::clear_pdflag(pd);
    }
    if !foreground(p) {
        if let Err(e) = nut_daemon::background::daemonize() {
            return fail(&format!("cannot go to the background: {e}"));
        }
    }
    // Before the fork: the privileged parent notifies too (when it runs SHUTDOWNCMD).
    nut_daemon::notify::init();
    let sconf = privsep::ShutdownConf {
        pdflag: loaded.conf.powerdownflag.clone(),
        shutdowncmd: loaded.conf.shutdowncmd.clone(),
    };
    let is_root = nut_daemon::privs::euid() == 0;
    let shut = if is_root && !p.has('p') {
        match privsep::start(sconf) {
            Ok(s) => s,
            Err(e) => return fail(&e),
        }
    } else {
        privsep::Shutdowner::Direct(sconf)
    };
    // The PID file names the monitor process: `-c stop|reload|fsd` signal it, and the root
    // parent follows it out when the pipe closes.
    let pidpath = nut_core::paths::pid_path().join("upsmon.pid");
    let _pidfile = match nut_daemon::pidfile::PidFile::create(&pidpath) {
        Ok(f) => Some(f),
        Err(e) => {
            deliver::log(Level::Warning, &format!("cannot write PID file {}: {e}", pidpath.display()));
            None
        }
    };
    if is_root && !p.has('p') {
        let user = p
            .value('u')
            .map(str::to_string)
            .or_else(|| loaded.conf.run_as_user.clone())
            .unwrap_or_else(|| "nut".into());
        if let Err(e) = nut_daemon::privs::drop_to(&user) {
            return fail(&e);
        }
    }
    runner::install_signals();
    let family = match (p.has('4'), p.has('6')) {
        (true, false) => Some(watch::Family::V4),
        (false, true) => Some(watch::Family::V6),
        _ => None,
    };
    runner::Runner::new(machine, loaded, shut)
        .with_family(family)
        .with_sleep_watch(sleep::watch())
        .with_connect_timeout(timeout)
        .with_debug_args(debug_args)
        .run()
}

fn run_check(path: &std::path::Path) -> ExitCode {
    let loaded = match config::load(path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut diags = check::check_all(&loaded);
    diags.extend(config::tls_findings(&loaded));
    for d in &diags {
        println!("{d}");
    }
    if diags.iter().any(|d| d.is_error()) {
        ExitCode::FAILURE
    } else {
        println!("{}: OK ({} MONITOR lines checked)", loaded.file(), loaded.conf.monitors.len());
        ExitCode::SUCCESS
    }
}

fn test_notify(path: &std::path::Path, operands: &[String]) -> ExitCode {
    let loaded = match config::load(path) {
        Ok(l) => l,
        Err(e) => return fail(&e),
    };
    let ntype = match operands.first() {
        Some(t) => match NotifyType::from_name(t) {
            Some(t) => t,
            None => {
                let names: Vec<&str> = NotifyType::all().map(NotifyType::name).collect();
                return fail(&format!("unknown notify type [{t}]: use one of {}", names.join(" ")));
            }
        },
        None => NotifyType::OnBatt,
    };
    // Host-wide events name no UPS (UPSNAME is empty), as the real ones do.
    let ups = if ntype.is_host_wide() {
        None
    } else {
        operands.get(1).cloned().or_else(|| loaded.conf.monitors.first().map(|m| m.system.clone()))
    };
    let settings = loaded.settings();
    let n = machine::notification(&settings.notify, ntype, ups.as_deref(), "test");
    println!(
        "Test notification {} for UPS [{}] ({}): {}",
        n.ntype,
        ups.as_deref().unwrap_or(""),
        n.flags,
        n.message
    );
    if n.flags.is_ignore() {
        println!("NOTIFYFLAG {} is IGNORE in {}: nothing is delivered", n.ntype, loaded.file());
    }
    if n.flags.exec && loaded.conf.notifycmd.is_none() {
        println!("EXEC is set but NOTIFYCMD is missing in {}", loaded.file());
    }
    // SYSLOG reaches syslog as it would from the daemon in the background.
    nut_daemon::log::syslog_also();
    let mut children = deliver::Children::default();
    deliver::notify(&n, loaded.conf.notifycmd.as_deref(), &mut children);
    children.wait_all();
    ExitCode::SUCCESS
}
