//! `upslog`: writes one line per interval with a UPS's status, for one or several UPSes.
//!
//! Output, messages and exit codes follow NUT 2.8.0 where it has the feature, else NUT 2.8.5:
//! - `-m ups,file` (repeatable) logs several UPSes; `-s ups -l file` is added after the
//!   tuples (2.8.3); the old form `upslog <ups> <file> <interval> [<format words>...]` works.
//!   Several UPSes may share one file (opened once); NUT's notes suggest `%UPSHOST%` then.
//! - `*` as the UPS name (`-s '*@host' -l file`, `-m '*,-'`) logs every UPS the server lists
//!   at start-up, each as `<name>@<host>:<port>`, into that destination.
//! - `-N` puts `%UPSHOST%%t` (the UPS and a TAB) in front of the format; `-d <count>` exits
//!   after that many rounds (`<count> loops have elapsed`, then `Signal 1: exiting`, as NUT
//!   2.8.5); `-D` raises the debug level and keeps upslog in the foreground (so does a debug
//!   level from `NUT_DEBUG_LEVEL`, as NUT's upslog reads it); `-W <secs>` is the connect
//!   timeout (see `nut_client::cli::ConnectTimeout`).
//! - SIGHUP reopens the log files (for logrotate); SIGUSR1 logs at once; SIGTERM, SIGINT and
//!   SIGQUIT stop after one last line and `Signal N: exiting`. With an interval above 30 s
//!   the connection is closed between lines, as NUT does.
//!
//! See [`format`] for the `-f` escapes (with 2.8.5's `%t`).
#![allow(unsafe_code)]

pub mod format;

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nut_client::cli::{self, fatal, print, say, ConnectTimeout, Severity};
use nut_client::{Client, Error, Options, UpsName};
use nut_core::getopt::{self, Opt};
use nut_core::num::atoi;
use tracing::debug;

use crate::format::{Context, Piece};

/// NUT 2.8.0's help text, byte for byte (the flags added since are in the module doc and
/// NUT 2.8.5's man page).
const HELP: &str = "UPS status logger.

usage: upslog [OPTIONS]

  -f <format>\t- Log format.  See below for details.
\t\t- Use -f \"<format>\" so your shell doesn't break it up.
  -i <interval>\t- Time between updates, in seconds
  -l <logfile>\t- Log file name, or - for stdout (foreground by default)
  -F\t\t- stay foregrounded even if logging into a file
  -B\t\t- stay backgrounded even if logging to stdout
  -p <pidbase>  - Base name for PID file (defaults to \"upslog\")
  -s <ups>\t- Monitor UPS <ups> - <upsname>@<host>[:<port>]
        \t- Example: -s myups@server
  -u <user>\t- Switch to <user> if started as root

Some valid format string escapes:
\t%% insert a single %
\t%TIME format% insert the time with strftime formatting
\t%HOST% insert the local hostname
\t%UPSHOST% insert the host of the ups being monitored
\t%PID% insert the pid of upslog
\t%VAR varname% insert the value of ups variable varname

format string defaults to:
%TIME @Y@m@d @H@M@S% %VAR battery.charge% %VAR input.voltage% %VAR ups.load% [%VAR ups.status%] %VAR ups.temperature% %VAR input.frequency%

See the upslog(8) man page for more information.
";

static RELOAD: AtomicI32 = AtomicI32::new(0);
static STOP: AtomicI32 = AtomicI32::new(0);
static WAKE: AtomicBool = AtomicBool::new(false);

extern "C" fn on_hup(sig: libc::c_int) {
    RELOAD.store(sig, Ordering::SeqCst);
}

extern "C" fn on_stop(sig: libc::c_int) {
    STOP.store(sig, Ordering::SeqCst);
}

extern "C" fn on_usr1(_: libc::c_int) {
    WAKE.store(true, Ordering::SeqCst);
}

/// A log destination (`-` is stdout), opened once however many UPSes write to it.
struct LogFile {
    name: String,
    out: Option<Box<dyn Write>>,
}

impl LogFile {
    fn open(&mut self) -> io::Result<()> {
        self.out = Some(if self.name == "-" {
            Box::new(io::stdout())
        } else {
            Box::new(OpenOptions::new().create(true).append(true).open(&self.name)?)
        });
        Ok(())
    }
}

/// One UPS being logged.
struct Target {
    /// `ups@host[:port]` as given, or as NUT writes an entry found through `*` (for messages
    /// and `%UPSHOST%`).
    arg: String,
    name: UpsName,
    /// Index of its destination in the list of [`LogFile`]s.
    log: usize,
    client: Option<Client>,
}

/// What the command line asks for.
struct Config {
    /// `(ups, logfile)` in NUT's order: the `-m` tuples, then `-s`/`-l`.
    specs: Vec<(String, String)>,
    format: String,
    interval: i64,
    max_loops: u64,
    user: Option<String>,
    pidbase: Option<String>,
    /// `-F` (true) or `-B` (false), the last one given.
    foreground: Option<bool>,
    opts: Options,
}

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let argv0 = args.first().map(String::as_str).unwrap_or("upslog");
    print(&format!("{}\n", nut_core::banner("upslog")));
    let p = getopt::parse(&args[1.min(args.len())..], "+hDs:l:i:d:Nf:u:Vp:FBm:W:");
    nut_daemon::log::init_client("upslog", p.count('D'), true);
    let cfg = match configure(&p, argv0) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let (mut targets, mut logs) = match setup(&cfg) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let foreground = cfg
        .foreground
        .unwrap_or_else(|| nut_daemon::log::debug_level() > 0 || logs.iter().any(|l| l.name == "-"));
    if !foreground {
        if let Err(e) = nut_daemon::background::daemonize() {
            return fatal(&format!("upslog: cannot go to the background: {e}"));
        }
    }
    let _pid = if !foreground || cfg.pidbase.is_some() {
        let base = cfg.pidbase.clone().unwrap_or_else(|| "upslog".into());
        let path = nut_core::paths::pid_path().join(format!("{base}.pid"));
        match nut_daemon::pidfile::PidFile::create(&path) {
            Ok(p) => Some(p),
            Err(e) => {
                cli::log(
                    Severity::Error,
                    &format!(
                        "upslog: cannot write PID file {}: {e} (set NUT_ALTPIDPATH or use -p)",
                        path.display()
                    ),
                );
                None
            }
        }
    } else {
        None
    };
    if let Some(u) = &cfg.user {
        warn_unreopenable(&logs, u);
        if let Err(e) = nut_daemon::privs::drop_to(u) {
            return fatal(&e);
        }
    }
    install_signals();
    let pieces = format::parse(&cfg.format);
    run(&mut targets, &mut logs, &pieces, &cfg);
    cli::log(Severity::Info, &format!("Signal {}: exiting", STOP.load(Ordering::SeqCst)));
    ExitCode::SUCCESS
}

/// Read the flags and operands. `Err` is the exit status after help or an error.
fn configure(p: &getopt::Parsed, argv0: &str) -> Result<Config, ExitCode> {
    let (mut ups, mut log) = (None::<String>, None::<String>);
    let mut cfg = Config {
        specs: Vec::new(),
        format: format::DEFAULT_FORMAT.to_string(),
        interval: 30,
        max_loops: 0,
        user: None,
        pidbase: None,
        foreground: None,
        opts: Options::default(),
    };
    let (mut prefix_upshost, mut wait) = (false, None::<String>);
    for o in &p.opts {
        match o {
            Opt::Flag('h') => {
                print(HELP);
                return Err(ExitCode::SUCCESS);
            }
            Opt::Flag('V') => return Err(ExitCode::SUCCESS),
            Opt::Flag('D') => {}
            Opt::Flag('F') => cfg.foreground = Some(true),
            Opt::Flag('B') => cfg.foreground = Some(false),
            Opt::Flag('N') => prefix_upshost = true,
            Opt::Arg('s', v) => ups = Some(v.clone()),
            Opt::Arg('l', v) => log = Some(v.clone()),
            Opt::Arg('i', v) => cfg.interval = atoi(v),
            Opt::Arg('d', v) => match parse_count(v) {
                Some(n) => cfg.max_loops = n,
                None => cli::log(Severity::Error, "Invalid max loops"),
            },
            Opt::Arg('f', v) => cfg.format = v.clone(),
            Opt::Arg('u', v) => cfg.user = Some(v.clone()),
            Opt::Arg('p', v) => cfg.pidbase = Some(v.clone()),
            Opt::Arg('W', v) => wait = Some(v.clone()),
            Opt::Arg('m', v) => {
                let mut parts = v.split(',');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(u), Some(f), None) if !f.is_empty() => {
                        cfg.specs.push((u.to_string(), f.to_string()))
                    }
                    _ => {
                        return Err(fatal(
                            "Argument '-m upsspec,logfile' requires exactly 2 components in the tuple",
                        ))
                    }
                }
            }
            // Like NUT 2.8.0, a bad flag is reported by getopt and otherwise skipped.
            bad @ (Opt::Unknown(_) | Opt::MissingArg(_)) => {
                say(&bad.glibc_message(argv0).unwrap_or_default())
            }
            _ => {}
        }
    }
    cfg.opts = ConnectTimeout::apply(wait.as_deref());
    // The old form: <system> <logfile> <interval> [<format words>...].
    let ops = &p.operands;
    if ops.len() == 1 || ops.len() == 2 {
        print(HELP);
        return Err(ExitCode::SUCCESS);
    }
    if ops.len() >= 3 {
        ups = Some(ops[0].clone());
        log = Some(ops[1].clone());
        cfg.interval = atoi(&ops[2]);
    }
    if ops.len() >= 4 {
        cfg.format = ops[3..].iter().map(|w| format!("{w} ")).collect();
    }
    if ups.is_some() || log.is_some() {
        let Some(u) = ups else { return Err(fatal("No UPS defined for monitoring - use -s <system>")) };
        let Some(l) = log else { return Err(fatal("No filename defined for logging - use -l <file>")) };
        cfg.specs.push((u, l));
    }
    if cfg.specs.is_empty() {
        return Err(fatal("No UPS defined for monitoring - use -s <system>"));
    }
    if prefix_upshost {
        cfg.format = format!("%UPSHOST%%t{}", cfg.format);
    }
    debug!("logformat: {}", cfg.format);
    Ok(cfg)
}

/// `-d <count>` as NUT's `str_to_ulong` reads it: digits only, surrounding spaces allowed.
fn parse_count(s: &str) -> Option<u64> {
    let t = s.trim_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Expand `*` entries, then, for each UPS in order, print NUT's `logging status` line,
/// connect and open its destination. `Err` is the exit status after a fatal error.
fn setup(cfg: &Config) -> Result<(Vec<Target>, Vec<LogFile>), ExitCode> {
    let mut entries: Vec<(String, String, Option<UpsName>)> = Vec::new();
    for (u, l) in &cfg.specs {
        match UpsName::parse(u) {
            Ok(n) if n.ups == "*" => entries.extend(
                served_upses(&n, &cfg.opts)?.into_iter().map(|(arg, name)| (arg, l.clone(), Some(name))),
            ),
            _ => entries.push((u.clone(), l.clone(), None)),
        }
    }
    if entries.is_empty() {
        return Err(fatal("Queries failed to find anything"));
    }
    let mut targets = Vec::new();
    let mut logs: Vec<LogFile> = Vec::new();
    for (arg, logname, name) in entries {
        print(&format!("logging status of {arg} to {logname} ({}s intervals)\n", cfg.interval));
        let name = match name.map(Ok).unwrap_or_else(|| UpsName::parse(&arg)) {
            Ok(n) => n,
            Err(e) => {
                say(e.nut_message());
                // NUT's message ends in its own newline, hence the blank line.
                return Err(fatal(
                    "Error: invalid UPS definition.  Required format: upsname[@hostname[:port]]\n",
                ));
            }
        };
        debug!("Checking parse of '{arg}' => '{}' '{}' '{}'", name.ups, name.host, name.port);
        let client = match cli::connect(&name.host, name.port, &cfg.opts) {
            Ok(c) => Some(c),
            Err(e) => {
                say(&format!("Warning: initial connect failed: {}", e.nut_message()));
                if let Some(h) = e.hint() {
                    say(&format!("upslog: hint: {h}"));
                }
                None
            }
        };
        let log = match logs.iter().position(|l| l.name == logname) {
            Some(i) => {
                if !cfg.format.contains("%UPSHOST%") {
                    if logname != "-" {
                        cli::log(
                            Severity::Info,
                            &format!("NOTE: File {logname} is already receiving other logs"),
                        );
                    }
                    cli::log(
                        Severity::Info,
                        "NOTE: Consider adding %UPSHOST% to the log formatting string, e.g. pass -N on CLI",
                    );
                }
                i
            }
            None => {
                let mut f = LogFile { name: logname, out: None };
                if let Err(e) = f.open() {
                    return Err(fatal(&format!(
                        "could not open logfile {}: {}",
                        f.name,
                        nut_client::strerror(&e)
                    )));
                }
                logs.push(f);
                logs.len() - 1
            }
        };
        targets.push(Target { arg, name, log, client });
    }
    Ok((targets, logs))
}

/// The UPSes upsd at `n`'s host serves, for a `*` entry: `(display name, name)` each, the
/// display name as NUT writes it (`ups@host:port`). A server that cannot be asked is fatal;
/// one that serves nothing gives NUT's warning, and nothing at all to log is fatal.
fn served_upses(n: &UpsName, opts: &Options) -> Result<Vec<(String, UpsName)>, ExitCode> {
    cli::log(Severity::Info, &format!("Querying {}:{} for currently served devices", n.host, n.port));
    let mut c =
        cli::connect(&n.host, n.port, opts).map_err(|e| fatal(&format!("Error: {}", e.nut_message())))?;
    let list = c.list_ups().map_err(|e| fatal(&format!("Error: {}", e.nut_message())))?;
    let _ = c.logout();
    let mut found = Vec::new();
    for (ups, desc) in list {
        debug!("FOUND: {ups}: {desc}");
        let arg = format!("{ups}@{}:{}", n.host, n.port);
        found.push((arg, UpsName { ups, host: n.host.clone(), port: n.port }));
    }
    if found.is_empty() {
        cli::log(
            Severity::Warning,
            &format!("Data server at {}:{} does not currently serve any devices", n.host, n.port),
        );
    }
    Ok(found)
}

/// The log files were opened as root; on SIGHUP (log rotation) upslog reopens them as `user`.
/// Say now, with the fix, when that account could neither write the file nor create a new
/// one in its directory.
fn warn_unreopenable(logs: &[LogFile], user: &str) {
    if nut_daemon::privs::euid() != 0 {
        return;
    }
    let Ok(reader) = nut_daemon::privs::reader_for(Some(user)) else { return };
    for l in logs.iter().filter(|l| l.name != "-") {
        let path = std::path::Path::new(&l.name);
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        let file_ok = nut_daemon::files::allows(path, &reader, 2).unwrap_or(false);
        let dir_ok = nut_daemon::files::allows(dir, &reader, 3).unwrap_or(false);
        if !file_ok && !dir_ok {
            cli::log(
                Severity::Warning,
                &format!(
                    "Warning: after switching to user {user}, upslog can't reopen {} on SIGHUP (log rotation): \
                     give it the file (chown {user} {}), or a directory it can write (chown {user} {})",
                    l.name,
                    l.name,
                    dir.display()
                ),
            );
        }
    }
}

/// NUT's main loop: sleep until the next poll (a signal cuts the sleep short), reopen the
/// files after SIGHUP, write one line per UPS, and stop after a stop signal or `-d` rounds.
/// Polls keep their schedule: the next one is due one interval after the previous due time.
fn run(targets: &mut [Target], logs: &mut [LogFile], pieces: &[Piece], cfg: &Config) {
    let host = hostname();
    let pid = std::process::id();
    let interval = Duration::from_secs(cfg.interval.max(1) as u64);
    let mut next_poll: Option<Instant> = None;
    let mut loops = 0u64;
    while STOP.load(Ordering::SeqCst) == 0 {
        let now = Instant::now();
        next_poll = Some(match next_poll {
            Some(due) if due > now => {
                sleep_until(due);
                due + interval
            }
            _ => now + interval,
        });
        let sig = RELOAD.swap(0, Ordering::SeqCst);
        if sig != 0 {
            cli::log(Severity::Info, &format!("Signal {sig}: reopening log file"));
            for l in logs.iter_mut() {
                if l.name == "-" {
                    cli::log(Severity::Info, "logging to stdout");
                } else if let Err(e) = l.open() {
                    cli::log(
                        Severity::Error,
                        &format!("could not reopen logfile {}: {}", l.name, nut_client::strerror(&e)),
                    );
                }
            }
        }
        for t in targets.iter_mut() {
            log_once(t, &mut logs[t.log], pieces, &host, pid, &cfg.opts);
            // Don't keep the connection open when it won't be used for a while.
            if cfg.interval > 30 {
                if let Some(mut c) = t.client.take() {
                    let _ = c.logout();
                }
            }
        }
        if cfg.max_loops > 0 {
            loops += 1;
            if loops >= cfg.max_loops {
                cli::log(Severity::Info, &format!("{} loops have elapsed", cfg.max_loops));
                STOP.store(1, Ordering::SeqCst);
            }
        }
    }
}

/// Sleep until `due`, or until a signal asks for something (stop, reopen, log now). A
/// SIGUSR1 that came while the last round was being written also counts.
fn sleep_until(due: Instant) {
    loop {
        let now = Instant::now();
        if now >= due
            || STOP.load(Ordering::SeqCst) != 0
            || RELOAD.load(Ordering::SeqCst) != 0
            || WAKE.swap(false, Ordering::SeqCst)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(50).min(due - now));
    }
}

fn log_once(t: &mut Target, log: &mut LogFile, pieces: &[Piece], host: &str, pid: u32, opts: &Options) {
    if t.client.is_none() {
        t.client = cli::connect(&t.name.host, t.name.port, opts).ok();
    }
    let now = unix_now();
    let ups = t.name.ups.clone();
    let client = &mut t.client;
    let mut var = |v: &str| -> Option<String> {
        let c = client.as_mut()?;
        match c.get_var(&ups, v) {
            Ok(val) => Some(val),
            Err(Error::Server { .. }) => None,
            Err(_) => {
                // The connection broke: reconnect on the next line.
                *client = None;
                None
            }
        }
    };
    let tf = |f: &str| strftime_local(f, now);
    let mut cx = Context { host, upshost: &t.arg, pid, now, strftime: &tf, var: &mut var };
    let line = format::expand(pieces, &mut cx);
    if let Some(out) = log.out.as_mut() {
        let _ = out.write_all(format!("{line}\n").as_bytes());
        let _ = out.flush();
    }
}

fn install_signals() {
    // SAFETY: the handlers only store into atomics, which is async-signal-safe.
    unsafe {
        libc::signal(libc::SIGHUP, on_hup as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_stop as *const () as libc::sighandler_t);
        libc::signal(libc::SIGINT, on_stop as *const () as libc::sighandler_t);
        libc::signal(libc::SIGQUIT, on_stop as *const () as libc::sighandler_t);
        libc::signal(libc::SIGUSR1, on_usr1 as *const () as libc::sighandler_t);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// strftime over `t` in the local time zone.
fn strftime_local(fmt: &str, t: i64) -> String {
    let Ok(cfmt) = std::ffi::CString::new(fmt) else { return String::new() };
    let mut buf = vec![0u8; 512];
    // SAFETY: tm is plain data filled by localtime_r; strftime writes at most buf.len()
    // bytes into buf and returns how many it wrote.
    let n = unsafe {
        let tt: libc::time_t = t as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&tt, &mut tm);
        libc::strftime(buf.as_mut_ptr().cast(), buf.len(), cfmt.as_ptr(), &tm)
    };
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

fn hostname() -> String {
    let mut buf = vec![0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if r != 0 {
        return "localhost".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}
