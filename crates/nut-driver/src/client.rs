//! The driver as a client of an already running instance of itself, as NUT 2.8.5's drivers
//! are: `-c <command>`, `-k` when a driver already holds the device, and the start of a
//! second instance (which asks the first to go).
//!
//! `-c` delivery (NUT 2.8.5 sends `reload-or-error` and `exit` over the socket and the others
//! as signals; its man page says the socket is the way with signals as the fallback):
//! - `reload-or-error`: the socket only (`INSTCMD driver.reload-or-error`); the exit status is
//!   the driver's answer (0: everything applied, 2: a change needs a restart), 255 when the
//!   driver can't be reached (as NUT's);
//! - `reload`, `reload-or-exit`, `exit`: with `-P <pid>`, the signal to that process
//!   (SIGHUP, SIGUSR1, SIGTERM); else the socket, then the signal to the PID in the PID file
//!   when the socket does not answer (a driver of another NUT version);
//! - `dump`: SIGURG, to `-P` or the PID file.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use nut_daemon::control;

use crate::config::Context;

/// How long a `-c` command waits for the driver's answer (NUT's 15 s).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a new instance waits for the old one to go.
const EXIT_WAIT: Duration = Duration::from_secs(15);

fn socket(prog: &str, ctx: &Context) -> PathBuf {
    ctx.host_path(&nut_core::paths::driver_socket(&ctx.statepath, prog, &ctx.upsname))
}

fn pid_file(prog: &str, ctx: &Context) -> PathBuf {
    ctx.host_path(&ctx.pidpath.join(format!("{prog}-{}.pid", ctx.upsname)))
}

/// `-c <cmd>` (already resolved to NUT's full name).
pub(crate) fn control(prog: &str, ctx: &Context, pid: Option<i32>, cmd: &str) -> ExitCode {
    let sock = socket(prog, ctx);
    let signal = control::signal_for(cmd);
    let instcmd = control::driver_instcmd(cmd);
    // -P names the process: signals go there (reload-or-error has no signal: socket).
    if let (Some(pid), Some(sig)) = (pid, signal) {
        return match control::signal_pid(pid, sig) {
            Ok(()) => {
                nut_daemon::debug!("Signaled old daemon OK");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut socket_error = None;
    if let Some(ic) = instcmd {
        nut_daemon::debug!("Signalling UPS [{}]: {ic}", ctx.upsname);
        match control::driver_request(&sock, &format!("INSTCMD {ic}"), Some(ANSWER_TIMEOUT)) {
            Ok(code) => {
                nut_daemon::info!("Request for driver to {cmd} returned code {code}");
                if code != 0 {
                    eprintln!("{}", answer_hint(cmd, code, prog, &ctx.upsname));
                }
                return ExitCode::from(code.clamp(0, 255) as u8);
            }
            Err(e) => socket_error = Some(e),
        }
    }
    let Some(sig) = signal else {
        // reload-or-error: nothing else to try.
        eprintln!(
            "{}; is the driver running? (it must be a NUT 2.8.1+ driver to answer {cmd})",
            socket_error.unwrap_or_default()
        );
        return ExitCode::from(255);
    };
    let pf = pid_file(prog, ctx);
    match nut_daemon::pidfile::signal(&pf, sig) {
        Ok(()) => {
            if let Some(e) = socket_error {
                nut_daemon::debug!("{e}; signalled the PID in {} instead", pf.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            if let Some(se) = socket_error {
                eprintln!("{se}");
            }
            eprintln!("{e}");
            eprintln!(
                "Failed to signal the currently running daemon (if any); try to add '-P $PID' argument"
            );
            ExitCode::FAILURE
        }
    }
}

/// What a non-zero answer to a `-c` command means.
fn answer_hint(cmd: &str, code: i32, prog: &str, ups: &str) -> String {
    match (cmd, code) {
        ("reload-or-error", control::status::INVALID) => format!(
            "{prog} [{ups}]: the new ups.conf has changes that need a restart of the driver (or errors); \
             see the driver's log, then restart it ({prog} -a {ups} -c exit, and start it again)"
        ),
        (_, control::status::UNKNOWN) => {
            format!("{prog} [{ups}]: the running driver does not know driver.{cmd} (an older NUT driver?)")
        }
        _ => format!("{prog} [{ups}]: the running driver answered {code} to {cmd}"),
    }
}

/// `-k` while a driver of this UPS runs: ask it to power the UPS off (NUT 2.8.5: unlock
/// `driver.flag.allow_killpower`, then `INSTCMD driver.killpower`). `Some(status)` when it did;
/// `None` to go on the old way (open the device ourselves).
pub(crate) fn killpower_via_running(prog: &str, ctx: &Context) -> Option<ExitCode> {
    let sock = socket(prog, ctx);
    if UnixStream::connect(&sock).is_err() {
        return None;
    }
    nut_daemon::info!(
        "Checking if an already running driver instance can handle the shutdown command for us"
    );
    control::driver_request(&sock, "SET driver.flag.allow_killpower 1", Some(ANSWER_TIMEOUT)).ok()?;
    match control::driver_request(&sock, "INSTCMD driver.killpower", None) {
        Ok(code) => {
            nut_daemon::info!("Request to killpower via running driver instance returned code {code}");
            (code == control::status::HANDLED).then_some(ExitCode::SUCCESS)
        }
        Err(e) => {
            nut_daemon::debug!("Socket dialog with the other driver instance: {e}");
            None
        }
    }
}

/// Starting while another instance serves this UPS: ask it to exit over its socket (NUT
/// 2.8.5), and, when this instance keeps a PID file, SIGTERM the process of the old PID file
/// if it still runs (NUT 2.8.0's way). Waits for it to go.
pub(crate) fn stop_running_instance(prog: &str, ctx: &Context, by_pid_file: bool) {
    let sock = socket(prog, ctx);
    if UnixStream::connect(&sock).is_ok()
        && control::driver_request(&sock, "INSTCMD driver.exit", Some(ANSWER_TIMEOUT)).is_ok()
    {
        nut_daemon::warn!(
            "Duplicate driver instance detected (local Unix socket exists)! Asked the other driver nicely \
             to self-terminate!"
        );
        if !wait(|| UnixStream::connect(&sock).is_err()) {
            nut_daemon::warn!(
                "Duplicate driver instance did not respond to termination requests! Is it stuck or from an \
                 older NUT release? Will retry via PID file and signals, if available."
            );
        }
    }
    if !by_pid_file {
        return;
    }
    let pf = pid_file(prog, ctx);
    let Ok(pid) = nut_daemon::pidfile::read(&pf) else { return };
    if pid == std::process::id() as i32 || !is_instance_of(pid, prog) {
        return;
    }
    nut_daemon::warn!(
        "Duplicate driver instance detected (PID file {} exists)! Terminating other driver!",
        pf.display()
    );
    if control::signal_pid(pid, libc::SIGTERM).is_ok() && !wait(|| !alive(pid)) {
        nut_daemon::warn!(
            "Duplicate driver instance is still alive (PID file {} exists) after several termination attempts!",
            pf.display()
        );
    }
}

/// Poll `cond` until it holds or [`EXIT_WAIT`] passes.
fn wait(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + EXIT_WAIT;
    loop {
        if cond() {
            return true;
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn alive(pid: i32) -> bool {
    // SAFETY: kill(2) with signal 0 only checks the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Whether process `pid` runs program `prog` (so a stale PID file naming a reused PID does not
/// get an unrelated process killed; NUT checks the program name too).
fn is_instance_of(pid: i32, prog: &str) -> bool {
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
    let argv0 = cmdline.split(|b| *b == 0).next().unwrap_or_default();
    Path::new(&*String::from_utf8_lossy(argv0)).file_name().is_some_and(|n| n.to_string_lossy() == prog)
}
