//! `stop`: SIGTERM to the PID in the driver's PID file (SIGKILL if it is still there after 5
//! seconds); without a PID file, `INSTCMD driver.exit` on the driver socket (NUT 2.8.5).

use std::path::Path;
use std::time::{Duration, Instant};

use tracing::{debug, error, info, trace};

use crate::drvsock::DriverConn;
use crate::plan;
use crate::procs::{self, Check};
use crate::run::{wait_for, Run};

/// Stop the driver of UPS `idx`.
pub fn stop(run: &mut Run, idx: usize) {
    if run.children[idx].is_some() {
        run.stop_child(idx);
        return;
    }
    let ups = run.upses[idx].clone();
    debug!("Stopping UPS: {}", ups.name);
    let (f1, f2) = plan::pid_files(&run.pidpath, &ups);
    let pidfile = if f1.exists() {
        f1
    } else {
        error!("Can't open {}: No such file or directory", f1.display());
        if f2.exists() {
            f2
        } else {
            error!("Can't open {} either: No such file or directory", f2.display());
            stop_by_socket(run, idx);
            return;
        }
    };
    let label = pidfile.display().to_string();
    trace!("Sending signal to {label}");
    if run.opts.testing {
        return;
    }
    let pid = match procs::read_pid_file(&pidfile) {
        Ok(p) => p.column(),
        Err(e) => {
            error!("Stopping {label} failed: {}", procs::errno_text(&e));
            run.errors += 1;
            return;
        }
    };
    match terminate(pid, &ups.driver, &label) {
        Ended::Terminated => {}
        // A driver that had to be killed leaves its PID file behind.
        Ended::Killed => {
            let _ = std::fs::remove_file(&pidfile);
        }
        Ended::Failed => run.errors += 1,
    }
}

/// How [`terminate`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// It went after SIGTERM (or a first SIGKILL when SIGTERM was refused).
    Terminated,
    /// It went after the second SIGKILL.
    Killed,
    /// It is still there, or could not be signalled.
    Failed,
}

/// SIGTERM (SIGKILL when refused), then up to 5 seconds for the process to go; SIGKILL and
/// 5 more seconds if it stays. `label` names it in NUT's messages.
fn terminate(pid: i64, driver: &str, label: &str) -> Ended {
    if let Err(e) = procs::send_checked(pid, libc::SIGTERM, driver, false) {
        if let Some(n) = e.note(driver) {
            error!("{n}");
        }
        trace!("SIGTERM to {label} failed, retrying with SIGKILL");
        if let Err(e) = procs::send_checked(pid, libc::SIGKILL, driver, false) {
            error!("Stopping {label} failed: {}", e.errno());
            return Ended::Failed;
        }
    }
    let gone = || procs::check(pid, driver, false) != Check::Ok;
    if wait_for(Duration::from_secs(5), gone) {
        trace!("Sending signal to {label} failed, driver is finally down or wrongly owned");
        return Ended::Terminated;
    }
    error!("Stopping {label} failed, retrying harder");
    if procs::send_checked(pid, libc::SIGKILL, driver, false).is_ok()
        && wait_for(Duration::from_secs(5), gone)
    {
        trace!("Sending signal to {label} failed, driver is finally down or wrongly owned");
        return Ended::Killed;
    }
    error!("Stopping {label} failed");
    Ended::Failed
}

/// No PID file: ask the driver over its socket to exit (waiting up to 5 seconds for a driver
/// that is still starting to create its socket).
fn stop_by_socket(run: &mut Run, idx: usize) {
    let ups = run.upses[idx].clone();
    let sock = run.socket(&ups);
    let conn = match DriverConn::connect(&sock) {
        Ok(c) => Some(c),
        Err(e) => {
            socket_error(&sock, &e);
            debug!("stop_driver: initial driver socket connection failed, retrying shortly");
            let mut c = None;
            wait_for(Duration::from_secs(5), || {
                c = DriverConn::connect(&sock).ok();
                c.is_some()
            });
            if c.is_none() {
                if let Err(e) = DriverConn::connect(&sock) {
                    socket_error(&sock, &e);
                }
            }
            c
        }
    };
    if conn.is_some() {
        error!("At least could open the driver socket");
    }
    let ok = match conn {
        None => false,
        Some(_) if run.opts.testing => true,
        Some(c) => exit_by_socket(c, &ups.driver, &ups.name),
    };
    error!(
        "{} to {} the 'exit' command to the driver socket",
        if ok { "Succeeded" } else { "Failed" },
        if run.opts.testing { "emulate" } else { "send" }
    );
    if !ok {
        error!(
            "Failed to stop the driver {} for {}, it may be not running or not fully started yet",
            ups.driver, ups.name
        );
        run.errors += 1;
    }
}

fn socket_error(sock: &Path, e: &std::io::Error) {
    if sock.exists() {
        error!("connect to driver socket at {}: {}", sock.display(), procs::errno_text(e));
    } else {
        error!("Can't open {}: {}", sock.display(), procs::errno_text(e));
    }
}

/// `INSTCMD driver.exit`, then wait for the driver to hang up. A driver that does not know
/// the command (older than NUT 2.8.1) gets SIGTERM at the PID it reports.
fn exit_by_socket(mut c: DriverConn, driver: &str, ups: &str) -> bool {
    let code =
        c.prepare(Duration::from_secs(3)).and_then(|_| c.instcmd("driver.exit", Duration::from_secs(5)));
    debug!("stop_driver: reply to 'exit': {code:?}");
    match code {
        Ok(Some(0)) => {
            c.wait_closed(Instant::now() + Duration::from_secs(15));
            true
        }
        Ok(Some(1)) => {
            let pid = c.get_pid(Duration::from_secs(3)).ok().flatten();
            c.close();
            match pid {
                Some(pid) => {
                    info!(
                        "The driver of [{ups}] does not know driver.exit (older than NUT 2.8.1?): sending SIGTERM \
                         to its PID {pid}"
                    );
                    terminate(pid, driver, &format!("PID {pid}")) != Ended::Failed
                }
                None => false,
            }
        }
        _ => {
            c.close();
            false
        }
    }
}
