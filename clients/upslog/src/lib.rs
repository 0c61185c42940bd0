//! `upslog`: writes one line per interval with a UPS's status, for one or several UPSes.
//!
//! Output, messages and exit codes follow NUT 2.8 (2.8.1's `-m ups,file` for several UPSes
//! included). SIGHUP reopens the log files (for logrotate); SIGTERM, SIGINT and SIGQUIT stop
//! after printing `Signal N: exiting`. See [`format`] for the `-f` escapes.
#![allow(unsafe_code)]

pub mod format;

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nut_client::cli::{fatal, print, say};
use nut_client::{Client, Error, UpsName};
use nut_core::getopt::{self, Opt};
use nut_core::num::atoi;

use crate::format::{Context, Piece};

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
  -m <tuple>\t- Monitor UPS <ups,logfile>
\t\t- Example: -m myups@server,/var/log/myups.log
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

static RELOAD: AtomicBool = AtomicBool::new(false);
static STOP: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_hup(_: libc::c_int) {
    RELOAD.store(true, Ordering::SeqCst);
}

extern "C" fn on_stop(sig: libc::c_int) {
    STOP.store(sig, Ordering::SeqCst);
}

/// One UPS being logged.
struct Target {
    /// `ups@host[:port]` as given (for messages and `%UPSHOST%`).
    arg: String,
    name: UpsName,
    logfile: String,
    out: Option<Box<dyn Write>>,
    client: Option<Client>,
}

impl Target {
    fn open(&mut self) -> io::Result<()> {
        self.out = Some(if self.logfile == "-" {
            Box::new(io::stdout())
        } else {
            Box::new(OpenOptions::new().create(true).append(true).open(&self.logfile)?)
        });
        Ok(())
    }

    fn connect(&mut self) -> Result<(), Error> {
        self.client = Some(Client::connect_env(&self.name.host, self.name.port)?);
        Ok(())
    }
}

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let argv0 = args.first().map(String::as_str).unwrap_or("upslog");
    print(&format!("{}\n", nut_core::banner("upslog")));
    let p = getopt::parse(&args[1.min(args.len())..], "+hs:l:i:f:u:Vp:FBm:");
    let (mut ups, mut log, mut fmt) = (None::<String>, None::<String>, format::DEFAULT_FORMAT.to_string());
    let (mut interval, mut user, mut pidbase, mut fg, mut bg) =
        (30i64, None::<String>, None::<String>, false, false);
    let mut tuples: Vec<(String, String)> = Vec::new();
    for o in &p.opts {
        match o {
            Opt::Flag('h') => {
                print(HELP);
                return ExitCode::SUCCESS;
            }
            Opt::Flag('V') => return ExitCode::SUCCESS,
            Opt::Flag('F') => fg = true,
            Opt::Flag('B') => bg = true,
            Opt::Arg('s', v) => ups = Some(v.clone()),
            Opt::Arg('l', v) => log = Some(v.clone()),
            Opt::Arg('i', v) => interval = atoi(v),
            Opt::Arg('f', v) => fmt = v.clone(),
            Opt::Arg('u', v) => user = Some(v.clone()),
            Opt::Arg('p', v) => pidbase = Some(v.clone()),
            Opt::Arg('m', v) => match v.split_once(',') {
                Some((u, f)) if !u.is_empty() && !f.is_empty() => tuples.push((u.to_string(), f.to_string())),
                _ => return fatal(&format!("Error: invalid -m argument {v:?}: expected <ups>,<logfile>")),
            },
            bad @ (Opt::Unknown(_) | Opt::MissingArg(_)) => {
                say(&bad.glibc_message(argv0).unwrap_or_default())
            }
            _ => {}
        }
    }
    if let Some(u) = ups {
        let Some(l) = log else { return fatal("No filename defined for logging - use -l <file>") };
        tuples.insert(0, (u, l));
    }
    if tuples.is_empty() {
        return fatal("No UPS defined for monitoring - use -s <system>");
    }
    let pieces = format::parse(&fmt);
    let mut targets = Vec::new();
    for (u, l) in tuples {
        print(&format!("logging status of {u} to {l} ({interval}s intervals)\n"));
        let name = match UpsName::parse(&u) {
            Ok(n) => n,
            Err(e) => {
                say(e.nut_message());
                // NUT's message ends in its own newline, hence the blank line.
                return fatal("Error: invalid UPS definition.  Required format: upsname[@hostname[:port]]\n");
            }
        };
        let mut t = Target { arg: u, name, logfile: l, out: None, client: None };
        if let Err(e) = t.connect() {
            say(&format!("Warning: initial connect failed: {}", e.nut_message()));
            if let Some(h) = e.hint() {
                say(&format!("upslog: hint: {h}"));
            }
        }
        if let Err(e) = t.open() {
            return fatal(&format!("could not open logfile {}: {}", t.logfile, nut_client::strerror(&e)));
        }
        targets.push(t);
    }
    let to_stdout = targets.iter().any(|t| t.logfile == "-");
    let background = bg || (!fg && !to_stdout);
    if background {
        if let Err(e) = nut_daemon::background::daemonize() {
            return fatal(&format!("upslog: cannot go to the background: {e}"));
        }
    }
    let _pid = if background || pidbase.is_some() {
        let base = pidbase.unwrap_or_else(|| "upslog".into());
        let path = nut_core::paths::pid_path().join(format!("{base}.pid"));
        match nut_daemon::pidfile::PidFile::create(&path) {
            Ok(p) => Some(p),
            Err(e) => {
                say(&format!(
                    "upslog: cannot write PID file {}: {e} (set NUT_ALTPIDPATH or use -p)",
                    path.display()
                ));
                None
            }
        }
    } else {
        None
    };
    if let Some(u) = user {
        warn_unreopenable(&targets, &u);
        if let Err(e) = nut_daemon::privs::drop_to(&u) {
            return fatal(&e);
        }
    }
    install_signals();
    run(&mut targets, &pieces, Duration::from_secs(interval.max(1) as u64));
    say(&format!("Signal {}: exiting", STOP.load(Ordering::SeqCst)));
    ExitCode::SUCCESS
}

/// The log files were opened as root; on SIGHUP (log rotation) upslog reopens them as `user`.
/// Say now, with the fix, when that account could neither write the file nor create a new
/// one in its directory.
fn warn_unreopenable(targets: &[Target], user: &str) {
    if nut_daemon::privs::euid() != 0 {
        return;
    }
    let Ok(reader) = nut_daemon::privs::reader_for(Some(user)) else { return };
    for t in targets.iter().filter(|t| t.logfile != "-") {
        let path = std::path::Path::new(&t.logfile);
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
        let file_ok = nut_daemon::files::allows(path, &reader, 2).unwrap_or(false);
        let dir_ok = nut_daemon::files::allows(dir, &reader, 3).unwrap_or(false);
        if !file_ok && !dir_ok {
            say(&format!(
                "Warning: after switching to user {user}, upslog can't reopen {} on SIGHUP (log rotation): \
                 give it the file (chown {user} {}), or a directory it can write (chown {user} {})",
                t.logfile,
                t.logfile,
                dir.display()
            ));
        }
    }
}

/// Log every target once per interval until a stop signal arrives. A stop signal cuts the
/// sleep short and, as in NUT, one last line is written before exiting.
fn run(targets: &mut [Target], pieces: &[Piece], interval: Duration) {
    let host = hostname();
    let pid = std::process::id();
    loop {
        if RELOAD.swap(false, Ordering::SeqCst) {
            for t in targets.iter_mut() {
                if let Err(e) = t.open() {
                    say(&format!("could not reopen logfile {}: {}", t.logfile, nut_client::strerror(&e)));
                }
            }
        }
        for t in targets.iter_mut() {
            log_once(t, pieces, &host, pid);
        }
        if STOP.load(Ordering::SeqCst) != 0 {
            return;
        }
        let until = Instant::now() + interval;
        while Instant::now() < until && STOP.load(Ordering::SeqCst) == 0 && !RELOAD.load(Ordering::SeqCst) {
            std::thread::sleep(
                Duration::from_millis(100).min(until.saturating_duration_since(Instant::now())),
            );
        }
        if STOP.load(Ordering::SeqCst) != 0 {
            for t in targets.iter_mut() {
                log_once(t, pieces, &host, pid);
            }
            return;
        }
    }
}

fn log_once(t: &mut Target, pieces: &[Piece], host: &str, pid: u32) {
    if t.client.is_none() {
        let _ = t.connect();
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
    if let Some(out) = t.out.as_mut() {
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
