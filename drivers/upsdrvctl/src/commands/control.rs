//! `-c <command>`: requests on the driver socket (`exit`, `reload-or-error`) and signals to
//! the driver's PID (`reload-or-exit`, `dump`), and the signals the `-F` supervisor passes on.

use std::path::PathBuf;
use std::time::Duration;

use tracing::{debug, error, info, trace, warn};

use crate::control::{signal_text, ControlCmd, Delivery};
use crate::drvsock::DriverConn;
use crate::plan;
use crate::procs;
use crate::run::Run;

/// Send `cmd` to the driver of UPS `idx`.
pub fn control(run: &mut Run, idx: usize, cmd: ControlCmd) {
    match cmd.delivery() {
        Delivery::Signal(sig) => send_signal(run, idx, sig),
        Delivery::Socket(name) => {
            let ups = run.upses[idx].clone();
            debug!("Signalling UPS [{}]: driver.{name}", ups.name);
            if run.opts.testing {
                return;
            }
            match request(&run.socket(&ups), &format!("driver.{name}")) {
                Err(e) => {
                    error!("Socket dialog with the other driver instance: {e}");
                    run.errors += 1;
                }
                Ok(code) => {
                    info!("Request for driver to {name} returned code {code}");
                    if code == 0 {
                        return;
                    }
                    match cmd.fallback_signal().filter(|_| code == 1) {
                        // A driver older than NUT 2.8.1 does not know the command: its signal
                        // does the same job.
                        Some(sig) => {
                            info!(
                                "The driver of [{}] does not know driver.{name} (older than NUT 2.8.1?): sending it \
                                 signal {sig} ({}) instead",
                                ups.name,
                                signal_text(sig)
                            );
                            send_signal(run, idx, sig);
                        }
                        None => run.errors += 1,
                    }
                }
            }
        }
    }
}

/// Ask the driver at `sock` to run instant command `cmd`; its result code.
fn request(sock: &std::path::Path, cmd: &str) -> Result<i64, String> {
    let mut c = DriverConn::connect(sock)
        .map_err(|e| format!("can't connect to {}: {}", sock.display(), procs::errno_text(&e)))?;
    let r = (|| {
        c.prepare(Duration::from_secs(3)).map_err(|e| procs::errno_text(&e))?;
        c.instcmd(cmd, Duration::from_secs(15))
            .map_err(|e| procs::errno_text(&e))?
            .ok_or_else(|| format!("no answer to INSTCMD {cmd} from {} within 15 seconds", sock.display()))
    })();
    c.close();
    r
}

/// Where to send a signal for UPS `idx`: the process this run started, else the PID file
/// (`<driver>-<ups>.pid`, then the legacy `<driver>-<port>.pid`). Logs NUT's lines when
/// neither exists.
pub fn signal_target(run: &Run, idx: usize) -> Option<Target> {
    if let Some(t) = &run.children[idx] {
        return Some(Target::Pid(t.pid()));
    }
    let (f1, f2) = plan::pid_files(&run.pidpath, &run.upses[idx]);
    if f1.exists() {
        return Some(Target::File(f1));
    }
    error!("Can't open {}: {}", f1.display(), missing_text(&f1));
    if f2.exists() {
        return Some(Target::File(f2));
    }
    error!("Can't open {} either: {}", f2.display(), missing_text(&f2));
    None
}

fn missing_text(p: &std::path::Path) -> String {
    match std::fs::metadata(p) {
        Err(e) => procs::errno_text(&e),
        Ok(_) => "No such file or directory".into(),
    }
}

/// A process to signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One this run started.
    Pid(i64),
    /// The one named in a PID file.
    File(PathBuf),
}

impl Target {
    /// How NUT names it in messages.
    pub fn label(&self) -> String {
        match self {
            Target::Pid(p) => format!("PID {p}"),
            Target::File(f) => f.display().to_string(),
        }
    }

    /// The PID (read from the file when needed).
    pub fn pid(&self) -> Result<i64, String> {
        match self {
            Target::Pid(p) => Ok(*p),
            Target::File(f) => match procs::read_pid_file(f) {
                Ok(crate::status::PidFile::Pid(p)) => Ok(p),
                Ok(_) => Err("Invalid argument".into()),
                Err(e) => Err(procs::errno_text(&e)),
            },
        }
    }
}

/// Send signal `sig` to the driver of UPS `idx` (NUT's `signal_driver`).
pub fn send_signal(run: &mut Run, idx: usize, sig: libc::c_int) {
    let ups = run.upses[idx].clone();
    debug!("Signalling UPS [{}]: {sig} ({})", ups.name, signal_text(sig));
    let Some(target) = signal_target(run, idx) else {
        run.errors += 1;
        return;
    };
    trace!("Sending signal to {}", target.label());
    if run.opts.testing {
        return;
    }
    let result = target.pid().and_then(|pid| {
        if matches!(target, Target::Pid(_)) {
            // Our own unreaped child: the PID cannot have been reused, whatever program it runs
            // (a wrapper script, say).
            return procs::kill(pid, sig).map_err(|e| procs::errno_text(&e));
        }
        procs::send_checked(pid, sig, &ups.driver, false).map_err(|e| {
            if let Some(n) = e.note(&ups.driver) {
                error!("{n}");
            }
            e.errno()
        })
    });
    let rc = if result.is_ok() { 0 } else { -1 };
    if let Some(t) = run.children[idx].as_mut() {
        if let Ok(Some(_)) = t.child.try_wait() {
            warn!("Child process {} exited; signal return code is {rc}", target.label());
        }
    }
    if let Err(e) = result {
        error!("Signalling {} failed: {rc}: {e}", target.label());
        run.errors += 1;
    }
}
