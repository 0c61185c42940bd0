//! `-c <command>` handling shared by the daemons and the drivers.
//!
//! Signals (NUT's mapping): `reload` is SIGHUP, `stop`/`exit` SIGTERM, upsmon's `fsd` SIGUSR1,
//! a driver's `reload-or-exit` SIGUSR1 and `dump` (`data-dump`) SIGURG ([`signal_for`]). A
//! daemon's `-c` goes to the PID in `<pidpath>/<name>.pid` or to the PID given with `-P`
//! ([`send`], which takes only the daemons' commands).
//!
//! NUT 2.8.1+ drivers also take commands on their Unix socket as instant commands
//! (`INSTCMD driver.reload`, `driver.reload-or-error`, `driver.reload-or-exit`, `driver.exit`),
//! which reaches a driver that keeps no PID file (in the foreground) and returns the outcome:
//! [`driver_instcmd`] names the instant command for a `-c` word, [`driver_request`] sends one
//! and returns the driver's `TRACKING` status. `reload-or-error` exists only there (its point is
//! the answer), so [`signal_for`] has no signal for it.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

/// The signal NUT sends for a `-c` command, or `None` for an unknown command (or one that only
/// goes over the driver socket, like `reload-or-error`).
pub fn signal_for(cmd: &str) -> Option<libc::c_int> {
    match cmd {
        "reload" => Some(libc::SIGHUP),
        "stop" | "exit" => Some(libc::SIGTERM),
        "fsd" => Some(libc::SIGUSR1),
        "reload-or-exit" => Some(libc::SIGUSR1),
        "dump" | "data-dump" => Some(libc::SIGURG),
        _ => None,
    }
}

/// The instant command a running NUT 2.8.5 driver takes on its socket for a `-c` command
/// (`reload` → `driver.reload`, `reload-or-error`, `reload-or-exit`, `exit`/`stop` →
/// `driver.exit`), or `None` when the command is only a signal (`dump`) or unknown.
/// `reload-or-restart` is documented but not implemented by NUT 2.8.5: `None`.
pub fn driver_instcmd(cmd: &str) -> Option<&'static str> {
    match cmd {
        "reload" => Some("driver.reload"),
        "reload-or-error" => Some("driver.reload-or-error"),
        "reload-or-exit" => Some("driver.reload-or-exit"),
        "exit" | "stop" => Some("driver.exit"),
        _ => None,
    }
}

/// The `-c` command a driver was given, as NUT 2.8.5's drivers read it: the exact name, else an
/// abbreviation matched against `reload-or-error`, `exit`, `reload`, `reload-or-exit` in that
/// order (NUT compares only the letters typed, so `-c r` means `reload-or-error`). Besides
/// NUT's, `dump`/`data-dump` (upsdrvctl's names for the SIGURG state dump) are accepted.
/// `None` for anything else, including `reload-or-restart`, which 2.8.5 does not implement.
pub fn driver_command(arg: &str) -> Option<&'static str> {
    const NUT_ORDER: [&str; 4] = ["reload-or-error", "exit", "reload", "reload-or-exit"];
    const EXACT: [&str; 6] = ["reload-or-error", "exit", "reload", "reload-or-exit", "dump", "data-dump"];
    if let Some(c) = EXACT.iter().find(|c| **c == arg) {
        return Some(if *c == "data-dump" { "dump" } else { c });
    }
    if arg.is_empty() {
        return None;
    }
    NUT_ORDER.iter().find(|c| c.starts_with(arg)).copied()
}

/// The `-c` commands of the daemons ([`send`]); the others of [`signal_for`] are the drivers'.
const DAEMON_COMMANDS: [&str; 4] = ["reload", "stop", "exit", "fsd"];

/// Send `cmd` (`reload`, `stop`/`exit`, upsmon's `fsd`) to the daemon whose PID file is
/// `<pidpath>/<name>.pid`, or to `pid` when given (NUT's `-P`). The drivers' commands are
/// refused: their signals mean something else to a daemon (SIGUSR1, a driver's
/// `reload-or-exit`, is upsmon's forced shutdown).
pub fn send(name: &str, pidpath: &Path, cmd: &str, pid: Option<i32>) -> Result<(), String> {
    let sig = signal_for(cmd).filter(|_| DAEMON_COMMANDS.contains(&cmd));
    let sig = sig.ok_or_else(|| match (signal_for(cmd), driver_instcmd(cmd)) {
        (Some(_), _) | (_, Some(_)) => format!(
            "{cmd} is a command for drivers (upsdrvctl -c {cmd} [ups], or the driver's own -c), not for \
             {name}: use reload or stop"
        ),
        (None, None) => format!("unknown command {cmd:?} for -c (use reload or stop)"),
    })?;
    if let Some(pid) = pid {
        return signal_pid(pid, sig);
    }
    crate::pidfile::signal(pidpath.join(format!("{name}.pid")), sig)
}

/// Send `sig` to process `pid`, with a message that says what went wrong.
pub fn signal_pid(pid: i32, sig: libc::c_int) -> Result<(), String> {
    if pid <= 0 {
        return Err(format!("invalid process id {pid}"));
    }
    // SAFETY: kill(2) takes plain integers.
    let rc = unsafe { libc::kill(pid, sig) };
    if rc == 0 {
        Ok(())
    } else {
        Err(format!("can't signal process {pid}: {}", std::io::Error::last_os_error()))
    }
}

/// Status codes a driver answers in `TRACKING` (NUT's `STAT_INSTCMD_*` / `STAT_SET_*`).
pub mod status {
    /// Done.
    pub const HANDLED: i32 = 0;
    /// Unknown command or variable.
    pub const UNKNOWN: i32 = 1;
    /// Refused (for `driver.reload-or-error`: a changed setting needs a restart).
    pub const INVALID: i32 = 2;
    /// Failed.
    pub const FAILED: i32 = 3;
}

/// Send one request (`INSTCMD driver.reload`, `SET driver.flag.allow_killpower 1`) to the
/// driver socket at `socket`, with a `TRACKING` id, and return the status the driver answers
/// (see [`status`]). `timeout` bounds the whole dialog (`None`: wait as long as it takes, as
/// NUT does for `driver.killpower`). Broadcasts are turned off first so that only the answer
/// comes back.
pub fn driver_request(socket: &Path, request: &str, timeout: Option<Duration>) -> Result<i32, String> {
    let stream = UnixStream::connect(socket)
        .map_err(|e| format!("can't connect to the driver socket {}: {e}", socket.display()))?;
    let deadline = timeout.map(|t| Instant::now() + t);
    let id = format!("{:08X}-{}", std::process::id(), request.len() as u64 ^ now_nanos());
    let mut w = stream.try_clone().map_err(|e| e.to_string())?;
    w.write_all(format!("NOBROADCAST\n{} TRACKING {id}\n", request.trim_end()).as_bytes())
        .map_err(|e| format!("can't write to the driver socket {}: {e}", socket.display()))?;
    let mut r = BufReader::new(stream);
    let mut line = String::new();
    loop {
        if let Some(d) = deadline {
            let left = d.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("the driver on {} did not answer {request:?} in time", socket.display()));
            }
            r.get_ref().set_read_timeout(Some(left)).map_err(|e| e.to_string())?;
        }
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => {
                return Err(format!(
                    "the driver on {} closed the connection before answering {request:?}",
                    socket.display()
                ))
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                continue
            }
            Err(e) => return Err(format!("reading the driver socket {}: {e}", socket.display())),
        }
        let mut words = line.split_whitespace();
        if words.next() == Some("TRACKING") && words.next() == Some(id.as_str()) {
            return words
                .next()
                .and_then(|n| n.parse::<i32>().ok())
                .ok_or_else(|| format!("the driver answered {:?}, not a status", line.trim_end()));
        }
    }
}

fn now_nanos() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn commands_map_to_nut_signals() {
        assert_eq!(signal_for("reload"), Some(libc::SIGHUP));
        assert_eq!(signal_for("stop"), Some(libc::SIGTERM));
        assert_eq!(signal_for("exit"), Some(libc::SIGTERM));
        assert_eq!(signal_for("reload-or-exit"), Some(libc::SIGUSR1));
        assert_eq!(signal_for("dump"), Some(libc::SIGURG));
        assert_eq!(signal_for("reload-or-error"), None, "socket only");
        assert_eq!(signal_for("reload-or-restart"), None, "not in NUT 2.8.5");
        assert_eq!(signal_for("bogus"), None);
        // The drivers' commands never reach a daemon: upsmon takes SIGUSR1 as a forced shutdown.
        for cmd in ["reload-or-error", "reload-or-exit", "dump", "data-dump"] {
            let e = send("upsmon", Path::new("/nonexistent"), cmd, Some(i32::MAX)).unwrap_err();
            assert!(e.starts_with(&format!("{cmd} is a command for drivers")), "{e}");
        }
        let e = send("upsd", Path::new("/nonexistent"), "bogus", None).unwrap_err();
        assert!(e.starts_with("unknown command \"bogus\""), "{e}");
        let e = send("upsd", Path::new("/nonexistent"), "stop", Some(i32::MAX)).unwrap_err();
        assert!(e.starts_with("can't signal process"), "a daemon command goes on to kill(2): {e}");
    }

    #[test]
    fn driver_command_names_as_nut_2_8_5_reads_them() {
        assert_eq!(driver_command("reload"), Some("reload"));
        assert_eq!(driver_command("reload-or-exit"), Some("reload-or-exit"));
        assert_eq!(driver_command("reload-or-error"), Some("reload-or-error"));
        assert_eq!(driver_command("exit"), Some("exit"));
        assert_eq!(driver_command("data-dump"), Some("dump"));
        // Abbreviations in NUT's order.
        assert_eq!(driver_command("r"), Some("reload-or-error"));
        assert_eq!(driver_command("reload-or-ex"), Some("reload-or-exit"));
        assert_eq!(driver_command("e"), Some("exit"));
        assert_eq!(driver_command("reload-or-restart"), None);
        assert_eq!(driver_command(""), None);
        assert_eq!(driver_command("stop"), None);
        assert_eq!(driver_instcmd("reload"), Some("driver.reload"));
        assert_eq!(driver_instcmd("dump"), None);
    }

    #[test]
    fn driver_request_reads_the_tracking_answer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sock");
        let l = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let t = std::thread::spawn(move || {
            let (s, _) = l.accept().unwrap();
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut w = s;
            let mut first = String::new();
            r.read_line(&mut first).unwrap();
            let mut req = String::new();
            r.read_line(&mut req).unwrap();
            let id = req.split_whitespace().nth(3).unwrap().to_string();
            // Unrelated lines first, as a busy driver may send.
            w.write_all(format!("SETINFO ups.load \"5\"\nTRACKING other 0\nTRACKING {id} 2\n").as_bytes())
                .unwrap();
            (first, req)
        });
        let code = driver_request(&path, "INSTCMD driver.reload-or-error", Some(Duration::from_secs(5)));
        let (first, req) = t.join().unwrap();
        assert_eq!(code, Ok(2));
        assert_eq!(first, "NOBROADCAST\n");
        assert!(req.starts_with("INSTCMD driver.reload-or-error TRACKING "), "{req}");
        let e = driver_request(&dir.path().join("missing"), "INSTCMD driver.exit", None).unwrap_err();
        assert!(e.contains("can't connect"), "{e}");
    }
}
