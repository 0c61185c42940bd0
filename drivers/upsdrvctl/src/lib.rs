//! upsdrvctl: starts, stops and shuts down the drivers listed in `ups.conf`, as NUT's does.
//!
//! - `start [ups]`: runs `<driverpath>/<driver> -a <ups>` for each UPS, waiting up to
//!   `maxstartdelay` seconds for the driver to go to the background, retrying `maxretry` times
//!   with `retrydelay` seconds in between;
//! - `stop [ups]`: sends SIGTERM to the PID in `<pidpath>/<driver>-<ups>.pid`;
//! - `shutdown [ups]`: runs `<driver> -a <ups> -k` in `sdorder` order (negative = skipped).
//!
//! Drivers are found in `driverpath` from ups.conf, else next to this program, else in
//! `/lib/nut`.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use nut_conf::ups_conf::{UpsConf, UpsSection};

const BANNER: &str = "Network UPS Tools - UPS driver controller";

fn usage(prog: &str) -> String {
    format!(
        "Starts and stops UPS drivers via ups.conf.\n\n\
usage: {prog} [OPTIONS] (start | stop | shutdown) [<ups>]\n\n\
  -h\t\t\tdisplay this help\n\
  -r <path>\t\tdrivers will chroot to <path>\n\
  -t\t\t\ttesting mode - prints actions without doing them\n\
  -u <user>\t\tdrivers started will switch from root to <user>\n\
  -D            \traise debugging level\n\
  -d            \tpass debugging level from upsdrvctl to driver\n\
  start\t\t\tstart all UPS drivers in ups.conf\n\
  start\t<ups>\t\tonly start driver for UPS <ups>\n\
  stop\t\t\tstop all UPS drivers in ups.conf\n\
  stop <ups>\t\tonly stop driver for UPS <ups>\n\
  shutdown\t\tshutdown all UPS drivers in ups.conf\n\
  shutdown <ups>\tonly shutdown UPS <ups>\n"
    )
}

/// Options of one run.
#[derive(Debug, Default, Clone)]
pub struct Opts {
    /// `-t`
    pub testing: bool,
    /// `-u`
    pub user: Option<String>,
    /// `-r`
    pub chroot: Option<String>,
    /// `-D` count.
    pub debug: u8,
    /// `-d`: pass the debug level to the drivers.
    pub pass_debug: bool,
}

/// The directories searched for driver binaries, in order.
pub fn driver_dirs(conf: &UpsConf, self_exe: Option<&Path>) -> Vec<PathBuf> {
    if let Some(p) = &conf.globals.driverpath {
        return vec![PathBuf::from(p)];
    }
    let mut v = Vec::new();
    if let Some(dir) = self_exe.and_then(Path::parent) {
        v.push(dir.to_path_buf());
    }
    v.push(PathBuf::from("/lib/nut"));
    v
}

/// Locate the driver binary, or say where we looked.
pub fn find_driver(dirs: &[PathBuf], driver: &str) -> Result<PathBuf, String> {
    if driver.contains('/') || driver.is_empty() {
        return Err(format!(
            "invalid driver name {driver:?} in ups.conf: give the program name, like dummy-ups"
        ));
    }
    for d in dirs {
        let p = d.join(driver);
        if p.is_file() {
            return Ok(p);
        }
    }
    let first = dirs.first().cloned().unwrap_or_else(|| PathBuf::from("/lib/nut"));
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(format!(
        "Can't start {}: No such file or directory\n(searched {}; install the driver there, or set \
         'driverpath = <directory>' at the top of ups.conf)",
        first.join(driver).display(),
        searched.join(", ")
    ))
}

/// The command line upsdrvctl runs to start (or `-k` shut down) a driver.
pub fn driver_argv(path: &Path, ups: &str, opts: &Opts, kill: bool) -> Vec<String> {
    let mut v = vec![path.display().to_string(), "-a".into(), ups.into()];
    if kill {
        v.push("-k".into());
    }
    if let Some(u) = &opts.user {
        v.push("-u".into());
        v.push(u.clone());
    }
    if let Some(r) = &opts.chroot {
        v.push("-r".into());
        v.push(r.clone());
    }
    if opts.pass_debug && opts.debug > 0 {
        v.push(format!("-{}", "D".repeat(opts.debug as usize)));
    }
    v
}

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let prog = args.first().cloned().unwrap_or_else(|| "upsdrvctl".into());
    println!("{BANNER} {}", nut_core::NUT_VERSION);
    let p = nut_core::getopt::parse(args.get(1..).unwrap_or(&[]), "+htu:r:DdV");
    let mut opts = Opts::default();
    for o in &p.opts {
        use nut_core::getopt::Opt;
        match o {
            Opt::Flag('h') => {
                print!("{}", usage(&prog));
                return ExitCode::SUCCESS;
            }
            Opt::Flag('V') => return ExitCode::SUCCESS,
            Opt::Flag('t') => opts.testing = true,
            Opt::Flag('D') => opts.debug += 1,
            Opt::Flag('d') => opts.pass_debug = true,
            Opt::Arg('u', u) => opts.user = Some(u.clone()),
            Opt::Arg('r', r) => opts.chroot = Some(r.clone()),
            Opt::Unknown(c) => {
                eprintln!("{prog}: invalid option -- '{c}'");
                print!("{}", usage(&prog));
                return ExitCode::FAILURE;
            }
            Opt::MissingArg(c) => {
                eprintln!("{prog}: option requires an argument -- '{c}'");
                return ExitCode::FAILURE;
            }
            _ => {}
        }
    }
    if opts.testing {
        println!("*** Testing mode: not calling exec/kill");
        opts.debug = opts.debug.max(2);
    }
    let Some(cmd) = p.operands.first() else {
        print!("{}", usage(&prog));
        return ExitCode::FAILURE;
    };
    if !matches!(cmd.as_str(), "start" | "stop" | "shutdown") {
        eprintln!("Error: unrecognized command [{cmd}]");
        return ExitCode::FAILURE;
    }
    let path = nut_core::paths::conf_path().join("ups.conf");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "Can't open {}: {e} (create it with one [name] section per UPS, or point NUT_CONFPATH at its directory)",
                path.display()
            );
            return ExitCode::FAILURE;
        }
    };
    let conf = match nut_conf::ups_conf::parse(&text, &path.display().to_string()) {
        Ok((c, warnings)) => {
            for w in warnings {
                eprintln!("{w}");
            }
            c
        }
        Err(d) => {
            eprint!("{}", nut_conf::render(&d));
            return ExitCode::FAILURE;
        }
    };
    let selected: Vec<&UpsSection> = match p.operands.get(1) {
        Some(name) => match conf.section(name) {
            Some(s) => vec![s],
            None => {
                eprintln!("UPS {name} not found in ups.conf");
                return ExitCode::FAILURE;
            }
        },
        None => conf.sections.iter().collect(),
    };
    let exe = std::env::current_exe().ok();
    let dirs = driver_dirs(&conf, exe.as_deref());
    let pidpath = nut_core::paths::pid_path();
    let mut ok = true;
    match cmd.as_str() {
        "start" => {
            for s in &selected {
                ok &= start(&conf, s, &dirs, &opts);
            }
        }
        "stop" => {
            for s in &selected {
                ok &= stop(s, &pidpath, &opts);
            }
        }
        _ => {
            let mut order: Vec<&UpsSection> =
                selected.into_iter().filter(|s| s.sdorder.unwrap_or(0) >= 0).collect();
            order.sort_by_key(|s| s.sdorder.unwrap_or(0));
            for s in order {
                ok &= shutdown(s, &dirs, &opts);
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn debug(opts: &Opts, level: u8, msg: &str) {
    if opts.debug >= level {
        eprintln!("   [D{level}] {msg}");
    }
}

fn start(conf: &UpsConf, s: &UpsSection, dirs: &[PathBuf], opts: &Opts) -> bool {
    debug(opts, 1, &format!("Starting UPS: {}", s.name));
    let path = match find_driver(dirs, &s.driver) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return false;
        }
    };
    let argv = driver_argv(&path, &s.name, opts, false);
    let maxretry = conf.maxretry(s).max(1);
    let delay = Duration::from_secs(u64::from(conf.retrydelay(s)));
    let maxwait = Duration::from_secs(u64::from(conf.maxstartdelay(s)));
    for attempt in 0..maxretry {
        debug(opts, 2, &format!("{} remaining attempts", maxretry - attempt));
        debug(opts, 2, &format!("exec:  {}", argv.join(" ")));
        if opts.testing {
            return check_privileges(conf, s, opts);
        }
        match run_and_wait(&argv, maxwait) {
            Ok(true) => return true,
            Ok(false) => {
                eprintln!("Driver failed to start (exit status=1)");
            }
            Err(e) => {
                eprintln!("Can't start {}: {e}", path.display());
                return false;
            }
        }
        if attempt + 1 < maxretry {
            std::thread::sleep(delay);
        }
    }
    false
}

/// For `-t`: the account the driver of `s` would drop to (`-u`, `user =`, else `nut` when
/// root), and whether that account can create the driver's socket and PID file in the state
/// path. Prints what it finds; false on an error (the driver would refuse to start).
fn check_privileges(conf: &UpsConf, s: &UpsSection, opts: &Opts) -> bool {
    let user = nut_daemon::privs::run_as(opts.user.as_deref().or(conf.user(s)));
    let reader = match nut_daemon::privs::reader_for(user.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return false;
        }
    };
    println!("Driver for [{}] runs as user {} (group {})", s.name, reader.name, reader.group_name);
    let statepath = conf
        .globals
        .statepath
        .clone()
        .map(PathBuf::from)
        .unwrap_or_else(|| nut_core::paths::state_path_from(|k: &str| std::env::var(k).ok()));
    let diags = nut_daemon::files::check_dir_writable(&statepath, &reader, &s.driver);
    for d in &diags {
        println!("{d}");
    }
    !diags.iter().any(nut_conf::Diagnostic::is_error)
}

/// Run a driver and wait for it to exit (a driver that starts well goes to the background and
/// its first process exits 0). Returns Ok(true) on success or when the start timer elapses.
fn run_and_wait(argv: &[String], maxwait: Duration) -> std::io::Result<bool> {
    let mut child = Command::new(&argv[0]).args(&argv[1..]).spawn()?;
    let deadline = Instant::now() + maxwait;
    loop {
        if let Some(st) = child.try_wait()? {
            return Ok(st.success());
        }
        if Instant::now() >= deadline {
            eprintln!("Startup timer elapsed, continuing...");
            return Ok(true);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stop(s: &UpsSection, pidpath: &Path, opts: &Opts) -> bool {
    debug(opts, 1, &format!("Stopping UPS: {}", s.name));
    let pidfile = pidpath.join(format!("{}-{}.pid", s.driver, s.name));
    let pid = match nut_daemon::pidfile::read(&pidfile) {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "Can't open {}: {e} (is the driver for [{}] running? start it with: upsdrvctl start {})",
                pidfile.display(),
                s.name,
                s.name
            );
            return false;
        }
    };
    if opts.testing {
        debug(opts, 2, &format!("Sending signal to PID {pid}"));
        return true;
    }
    // SAFETY: kill(2) takes plain integers.
    if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
        eprintln!("Can't stop the driver of [{}] (PID {pid}): {}", s.name, std::io::Error::last_os_error());
        return false;
    }
    // Wait for it to go, so a following start does not race with it.
    let deadline = Instant::now() + Duration::from_secs(15);
    // SAFETY: signal 0 only checks that the process exists.
    while unsafe { libc::kill(pid, 0) } == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

fn shutdown(s: &UpsSection, dirs: &[PathBuf], opts: &Opts) -> bool {
    debug(opts, 1, &format!("Shutdown UPS: {}", s.name));
    let path = match find_driver(dirs, &s.driver) {
        Ok(p) => p,
        Err(e) => {
            if opts.testing {
                debug(
                    opts,
                    2,
                    &format!(
                        "exec:  {}",
                        driver_argv(&dirs[0].join(&s.driver), &s.name, opts, true).join(" ")
                    ),
                );
                return true;
            }
            eprintln!("{e}");
            return false;
        }
    };
    let argv = driver_argv(&path, &s.name, opts, true);
    debug(opts, 2, &format!("exec:  {}", argv.join(" ")));
    if opts.testing {
        return true;
    }
    match Command::new(&argv[0]).args(&argv[1..]).status() {
        Ok(st) if st.success() => true,
        Ok(st) => {
            eprintln!("Driver failed to shut down [{}] ({st})", s.name);
            false
        }
        Err(e) => {
            eprintln!("Can't start {}: {e}", path.display());
            false
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn argv_like_nut() {
        let o = Opts { user: Some("root".into()), debug: 2, pass_debug: true, ..Opts::default() };
        assert_eq!(
            driver_argv(Path::new("/lib/nut/dummy-ups"), "a", &o, false),
            vec!["/lib/nut/dummy-ups", "-a", "a", "-u", "root", "-DD"]
        );
        assert_eq!(
            driver_argv(Path::new("/x/d"), "b", &Opts::default(), true),
            vec!["/x/d", "-a", "b", "-k"]
        );
    }

    #[test]
    fn missing_driver_names_paths_and_directive() {
        let e = find_driver(&[PathBuf::from("/nonexistent-dir")], "nosuch").unwrap_err();
        assert!(e.contains("/nonexistent-dir/nosuch"), "{e}");
        assert!(e.contains("driverpath"), "{e}");
    }

    #[test]
    fn driverpath_wins() {
        let (conf, _) = nut_conf::ups_conf::parse("driverpath = /opt/d\n", "ups.conf").unwrap();
        assert_eq!(driver_dirs(&conf, Some(Path::new("/usr/sbin/upsdrvctl"))), vec![PathBuf::from("/opt/d")]);
        let (conf, _) = nut_conf::ups_conf::parse("", "ups.conf").unwrap();
        assert_eq!(
            driver_dirs(&conf, Some(Path::new("/t/upsdrvctl"))),
            vec![PathBuf::from("/t"), PathBuf::from("/lib/nut")]
        );
    }
}
