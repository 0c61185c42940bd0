//! The timer daemon and the client side that talks to it over PIPEFN (a Unix socket).
//!
//! The first invocation that needs a timer finds no daemon listening, takes LOCKFN (an
//! `flock`, so a crashed invocation never leaves a stale lock behind), checks again, and only
//! then starts the daemon; later invocations connect and send one request line each. The
//! daemon exits when its last timer has fired or been cancelled, as NUT's does; a request
//! that races with that exit gets no reply, and the client simply starts over.
//!
//! Request lines (parseconf words), each answered by one line:
//! - `START <name> <secs> <ups> <ntype> <msg>` / `START-SHARED ...` → `OK`
//! - `CANCEL <name> <ups|*> [cmd]` → `OK`, or `RUN <cmd>` when nothing was cancelled and the
//!   client must run `cmd` itself
//! - `LIST` → `TIMER <name> <abs> <rel> <ntypes> <upsnames> <msgs>` lines (the fields of
//!   NUT's `upssched -l`), then `END`

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use nut_proto::words;

use crate::timers::{Outcome, Request, Timer, Timers};

/// Where the daemon listens and how it runs commands.
#[derive(Clone, Debug)]
pub struct Paths {
    /// CMDSCRIPT.
    pub cmdscript: String,
    /// PIPEFN.
    pub pipefn: PathBuf,
    /// LOCKFN.
    pub lockfn: PathBuf,
}

/// The variables upsmon hands to upssched; CMDSCRIPT gets only the ones of the event behind
/// it (NUT 2.8.5 clears them in the timer daemon).
const EVENT_VARS: [&str; 3] = ["UPSNAME", "NOTIFYTYPE", "NOTIFYMSG"];

fn command(cmdscript: &str, cmd: &str, env: &[(&str, String)]) -> (Command, String) {
    let line = format!("{cmdscript} {cmd}");
    let mut c = Command::new("/bin/sh");
    c.arg("-c").arg(&line).stdin(Stdio::null());
    for v in EVENT_VARS {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    (c, line)
}

/// Runs `CMDSCRIPT cmd` through the shell as NUT's `system()` call does, with the
/// environment of the event behind it. Returns once the command has started; the exit is
/// collected in the background so a slow script never delays other timers.
pub fn run_command(cmdscript: &str, cmd: &str, env: &[(&str, String)]) {
    let (mut c, line) = command(cmdscript, cmd, env);
    match c.spawn() {
        Ok(mut child) => {
            std::thread::spawn(move || {
                let _ = child.wait();
            });
        }
        Err(e) => tracing::error!("Execute command failure: {line}: {e}: check CMDSCRIPT in upssched.conf"),
    }
}

/// Runs `CMDSCRIPT cmd` and waits for it (EXECUTE and cancel commands, as NUT does).
pub fn run_command_wait(cmdscript: &str, cmd: &str, env: &[(&str, String)]) {
    let (mut c, line) = command(cmdscript, cmd, env);
    match c.status() {
        Ok(s) => match s.code() {
            Some(0) => {}
            Some(code) => tracing::info!("exec_cmd({line}) returned {code}"),
            None => tracing::warn!("exec_cmd({line}) terminated by {s}"),
        },
        Err(e) => tracing::error!("Execute command failure: {line}: {e}: check CMDSCRIPT in upssched.conf"),
    }
}

/// Sends one request line and returns the reply lines, or `None` when no daemon listens.
/// With `start`, a missing daemon is started first (under LOCKFN).
pub fn request(paths: &Paths, line: &str, start: bool) -> Result<Option<Vec<String>>, String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        match UnixStream::connect(&paths.pipefn) {
            Ok(stream) => match exchange(stream, line) {
                Some(reply) => return Ok(Some(reply)),
                // The daemon exited under us (its last timer just went): start over.
                None => continue,
            },
            Err(_) if !start => return Ok(None),
            Err(_) => {
                let lock = lock(&paths.lockfn)?;
                if UnixStream::connect(&paths.pipefn).is_err() {
                    spawn_daemon(paths)?;
                }
                drop(lock);
            }
        }
    }
    Err(format!(
        "no answer from the upssched timer daemon on {} within 15 s: check that its directory is writable and that no stale process holds {}",
        paths.pipefn.display(),
        paths.lockfn.display()
    ))
}

/// Writes the request and reads the answer; `None` if the connection closed first.
fn exchange(mut stream: UnixStream, line: &str) -> Option<Vec<String>> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    stream.write_all(format!("{line}\n").as_bytes()).ok()?;
    let mut reader = BufReader::new(stream);
    let mut out = Vec::new();
    loop {
        let mut l = String::new();
        if reader.read_line(&mut l).ok()? == 0 {
            return None;
        }
        let l = l.trim_end().to_string();
        let last = !l.starts_with("TIMER ");
        out.push(l);
        if last {
            return Some(out);
        }
    }
}

/// Holds LOCKFN with `flock` until dropped.
fn lock(path: &Path) -> Result<File, String> {
    let f = OpenOptions::new().create(true).truncate(false).write(true).open(path).map_err(|e| {
        format!(
            "cannot open LOCKFN {}: {e}: make its directory writable for the user upsmon runs as",
            path.display()
        )
    })?;
    // SAFETY: flock on a file descriptor we own; it is released when the file is closed.
    let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
    if rc != 0 {
        return Err(format!("cannot lock LOCKFN {}: {}", path.display(), std::io::Error::last_os_error()));
    }
    Ok(f)
}

/// Starts this program as the timer daemon, in its own process group so it outlives the
/// invocation (and upsmon's notifier) that started it, and waits until it listens.
fn spawn_daemon(paths: &Paths) -> Result<(), String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find my own program to start the timer daemon: {e}"))?;
    let mut c = Command::new(exe);
    c.arg(DAEMON_FLAG).stdin(Stdio::null()).stdout(Stdio::null()).process_group(0);
    // The daemon logs to syslog; like NUT's it keeps stderr only when debugging.
    let level = nut_daemon::log::debug_level();
    if level > 0 {
        c.env("NUT_DEBUG_LEVEL", level.to_string());
    } else {
        c.stderr(Stdio::null()).env_remove("NUT_DEBUG_LEVEL");
    }
    // What the first event's invocation had means nothing when a timer fires (NUT 2.8.5).
    for v in EVENT_VARS {
        c.env_remove(v);
    }
    c.spawn().map_err(|e| format!("cannot start the upssched timer daemon: {e}"))?;
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if UnixStream::connect(&paths.pipefn).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(format!("the upssched timer daemon did not start listening on {} within 5 s", paths.pipefn.display()))
}

/// The hidden flag that makes this program the timer daemon.
pub const DAEMON_FLAG: &str = "--timer-daemon";

struct Shared {
    timers: Timers,
    served: bool,
}

/// The daemon: listens on PIPEFN, fires timers, exits when none remain.
pub fn run_daemon(paths: Paths) -> ! {
    // Only an invocation holding LOCKFN starts us, after failing to connect: whatever is at
    // PIPEFN is a leftover from a daemon that died.
    let _ = std::fs::remove_file(&paths.pipefn);
    let listener = match UnixListener::bind(&paths.pipefn) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(
                "cannot listen on PIPEFN {}: {e}: make its directory writable for the user upsmon runs as",
                paths.pipefn.display()
            );
            std::process::exit(1);
        }
    };
    // NUT says so (at info) only when debugging.
    if nut_daemon::log::debug_level() > 0 {
        tracing::info!("Timer daemon started");
    }
    let _ = std::fs::set_permissions(&paths.pipefn, std::fs::Permissions::from_mode(0o660));
    let start = Instant::now();
    let now = move || start.elapsed().as_millis() as u64;
    let state = Arc::new((Mutex::new(Shared { timers: Timers::default(), served: false }), Condvar::new()));

    let st = Arc::clone(&state);
    let p = paths.clone();
    std::thread::spawn(move || timer_loop(&st, &p, now));

    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        serve(conn, &state, now);
    }
    std::process::exit(0)
}

fn timer_loop(state: &(Mutex<Shared>, Condvar), paths: &Paths, now: impl Fn() -> u64) {
    let (lock, cvar) = state;
    let Ok(mut g) = lock.lock() else { std::process::exit(1) };
    loop {
        let t = now();
        for timer in g.timers.due(t) {
            // NUT says so (at info) only when debugging.
            if nut_daemon::log::debug_level() > 0 {
                tracing::info!("Event: {} ", timer.name);
            }
            run_command(&paths.cmdscript, &timer.name, &timer.env());
        }
        // Exit once idle; a daemon started for a request that never came gives up after 10 s.
        if g.timers.is_empty() && (g.served || t > 10_000) {
            if nut_daemon::log::debug_level() > 0 {
                tracing::info!("Timer queue empty, exiting");
            }
            tracing::debug!("Timer queue empty, closing pipe and exiting upssched daemon");
            let _ = std::fs::remove_file(&paths.pipefn);
            std::process::exit(0);
        }
        let wait = g.timers.next_due().map_or(1000, |d| d.saturating_sub(t).clamp(1, 1000));
        g = match cvar.wait_timeout(g, Duration::from_millis(wait)) {
            Ok((g, _)) => g,
            Err(_) => std::process::exit(1),
        };
    }
}

/// How long a client gets to send its request, and to take the reply (which is written with
/// the timer list locked, so a client that does not read must not hold the timers up).
/// (One second in unit tests, which wait for it.)
const CLIENT_TIMEOUT: Duration = Duration::from_secs(if cfg!(test) { 1 } else { 5 });

fn serve(conn: UnixStream, state: &(Mutex<Shared>, Condvar), now: impl Fn() -> u64) {
    let _ = conn.set_read_timeout(Some(CLIENT_TIMEOUT));
    let _ = conn.set_write_timeout(Some(CLIENT_TIMEOUT));
    let Ok(mut out) = conn.try_clone() else { return };
    let mut reader = BufReader::new(conn);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let (lock, cvar) = state;
    let Ok(mut g) = lock.lock() else { return };
    let reply = match words::split(line.trim_end()) {
        Ok(w) => answer(&w, &mut g, now()),
        Err(e) => format!("ERR INVALID-ARGUMENT {e}\n"),
    };
    tracing::trace!("request [{}]: [{}]", line.trim_end(), reply.trim_end());
    // The reply leaves before the lock is released: the timer thread may exit the daemon as
    // soon as it sees no timer left, and a client whose cancel went unanswered would take the
    // daemon for gone and run the cancel command although the timer was cancelled.
    let _ = out.write_all(reply.as_bytes());
    drop(g);
    cvar.notify_all();
}

fn answer(w: &[String], g: &mut Shared, t: u64) -> String {
    let w: Vec<&str> = w.iter().map(String::as_str).collect();
    let reply = match w.as_slice() {
        // Seconds as upssched.conf allows them (a u32): a larger number from whoever can
        // write to PIPEFN must not overflow the deadline.
        [verb @ ("START" | "START-SHARED"), name, secs, ups, ntype, msg] => match secs.parse::<u32>() {
            Ok(secs) => {
                let timer = Timer::new(name, u64::from(secs) * 1000, ups, ntype, msg);
                g.timers.handle(Request::Start { timer, shared: *verb == "START-SHARED" }, t);
                "OK\n".to_string()
            }
            Err(_) => "ERR INVALID-ARGUMENT\n".into(),
        },
        ["CANCEL", name, ups, rest @ ..] if rest.len() <= 1 => {
            let req = Request::Cancel {
                name: name.to_string(),
                ups: (*ups != "*").then(|| ups.to_string()),
                cmd: rest.first().map(|c| c.to_string()),
            };
            match g.timers.handle(req, t) {
                Outcome::Done => "OK\n".into(),
                Outcome::Run(cmd) => format!("RUN {}\n", words::quote(&cmd)),
            }
        }
        ["LIST"] => {
            let wall = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            let mut s = String::new();
            for tm in g.timers.list() {
                let left = tm.due.saturating_sub(t).div_ceil(1000) as i64;
                s.push_str(&format!(
                    "TIMER {} {} {left} {} {} {}\n",
                    words::quote(&tm.name),
                    wall + left,
                    words::quote(&tm.ntypes.join(",")),
                    words::quote(&tm.upsnames.join(",")),
                    words::quote(&tm.msgs.join(".\t"))
                ));
            }
            s.push_str("END\n");
            return s;
        }
        _ => "ERR UNKNOWN-COMMAND\n".into(),
    };
    g.served = true;
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(g: &mut Shared, line: &str) -> String {
        answer(&words::split(line).expect("words"), g, 1000)
    }

    #[test]
    fn start_takes_the_seconds_upssched_conf_allows_and_refuses_more() {
        let mut g = Shared { timers: Timers::default(), served: false };
        assert_eq!(ask(&mut g, "START t 4294967295 ups1 ONBATT msg"), "OK\n");
        assert_eq!(g.timers.next_due(), Some(4_294_967_295_000 + 1000));
        // Would overflow the deadline in milliseconds (a panic under overflow checks, with
        // the timer list's lock held).
        assert_eq!(ask(&mut g, "START t 18446744073709551 ups1 ONBATT msg"), "ERR INVALID-ARGUMENT\n");
        assert_eq!(ask(&mut g, "START t -5 ups1 ONBATT msg"), "ERR INVALID-ARGUMENT\n");
        assert_eq!(g.timers.list().len(), 1);
    }

    #[test]
    fn a_client_that_does_not_read_its_reply_does_not_hold_the_timers() {
        let state = (Mutex::new(Shared { timers: Timers::default(), served: false }), Condvar::new());
        {
            let mut g = state.0.lock().expect("lock");
            // A LIST reply (about 2 MB) far larger than a socket's buffer.
            let msg = "x".repeat(2000);
            for i in 0..1000 {
                let timer = Timer::new(&format!("timer-{i}"), 60_000, "ups1@localhost", "ONBATT", &msg);
                g.timers.handle(Request::Start { timer, shared: false }, 0);
            }
        }
        let (server, mut client) = UnixStream::pair().expect("socketpair");
        client.write_all(b"LIST\n").expect("request");
        // The client never reads: serve gives up writing after CLIENT_TIMEOUT.
        serve(server, &state, || 0);
        assert!(state.0.try_lock().is_ok(), "the timer list is free again");
    }
}
