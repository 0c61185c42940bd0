//! The state of one run: the UPSes it handles, the paths, the error and timeout counts that
//! decide the exit code, and the driver processes it started; plus launching a driver the
//! way NUT's `forkexec` does.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use nut_conf::ups_conf::UpsConf;
use tracing::{debug, error, trace, warn};

use crate::cli::Opts;
use crate::plan::{self, Launch, NoWait, Ups};
use crate::procs;

/// A fatal error: the message is logged and upsdrvctl exits 1 (after stopping the drivers it
/// supervises).
#[derive(Debug)]
pub struct Fatal(pub String);

impl Fatal {
    /// Log it the way NUT's `fatalx` does.
    pub fn report(&self) {
        error!("{}", self.0);
    }
}

/// A driver process this run started.
#[derive(Debug)]
pub struct Tracked {
    /// The process.
    pub child: Child,
    /// It was still starting when `maxstartdelay` ran out.
    pub exceeded_timeout: bool,
}

impl Tracked {
    /// Its PID.
    pub fn pid(&self) -> i64 {
        i64::from(self.child.id())
    }
}

/// One run of upsdrvctl.
pub struct Run {
    /// Flags.
    pub opts: Opts,
    /// ups.conf.
    pub conf: UpsConf,
    /// Every UPS of ups.conf.
    pub upses: Vec<Ups>,
    /// How many UPSes this run handles (1 with a UPS name): decides forking in `-F` mode.
    pub upscount: usize,
    /// Where driver programs are searched.
    pub dirs: Vec<PathBuf>,
    /// Where driver sockets are.
    pub statepath: PathBuf,
    /// Where driver PID files are.
    pub pidpath: PathBuf,
    /// `nowait` in force.
    pub nowait: bool,
    /// Failures so far (any makes the exit code 1).
    pub errors: u32,
    /// Drivers that overran `maxstartdelay` so far.
    pub timeouts: u32,
    /// Driver processes started, by index in `upses`.
    pub children: Vec<Option<Tracked>>,
}

impl Run {
    /// The driver socket of a UPS.
    pub fn socket(&self, ups: &Ups) -> PathBuf {
        nut_core::paths::driver_socket(&self.statepath, &ups.driver, &ups.name)
    }

    /// Locate a driver program, or NUT's fatal "Can't start" line.
    pub fn find_driver(&self, driver: &str) -> Result<PathBuf, Fatal> {
        find_driver(&self.dirs, driver).map_err(Fatal)
    }

    /// Launch `argv` for UPS `idx` as NUT's `forkexec` does: exec it (`-F`, one UPS), or fork
    /// and either go on or wait up to `maxstartdelay` for the driver to go to the background.
    /// Failures are counted in `errors`, overruns in `timeouts`.
    pub fn forkexec(&mut self, idx: usize, argv: &[String]) -> Result<(), Fatal> {
        let launch = plan::launch(
            self.opts.fg,
            self.upscount,
            nut_daemon::log::debug_level(),
            self.opts.pass_debug,
            self.nowait,
        );
        if launch == Launch::Exec {
            debug!("Starting the only driver with explicitly requested foregrounding mode, not forking");
            debug!("forkexec: calling execv({}, ...)", argv[0]);
            let err = Command::new(&argv[0]).args(&argv[1..]).exec();
            return Err(Fatal(format!("execv: {}", procs::errno_text(&err))));
        }
        let child = match Command::new(&argv[0]).args(&argv[1..]).spawn() {
            Ok(c) => c,
            Err(e) => {
                // NUT's child reports the failed exec and exits 1.
                error!("execv: {}", procs::errno_text(&e));
                warn!("Driver failed to start (exit status=1)");
                self.errors += 1;
                return Ok(());
            }
        };
        let ups = &self.upses[idx];
        let maxstartdelay = ups.maxstartdelay;
        let slot = &mut self.children[idx];
        *slot = Some(Tracked { child, exceeded_timeout: false });
        let Some(tracked) = slot.as_mut() else { return Ok(()) };
        match launch {
            Launch::ForkNoWait(NoWait::Nowait) => {
                trace!("'nowait' set, continuing...");
                return Ok(());
            }
            Launch::ForkNoWait(NoWait::Foreground) => {
                debug!(
                    "Starting driver with explicitly requested foregrounding mode: will not wait for it to \
                     fork and detach, continuing..."
                );
                return Ok(());
            }
            Launch::ForkNoWait(NoWait::Debugging) => {
                trace!(
                    "Starting driver with debug but without explicit backgrounding: will not wait for it to \
                     fork and detach, continuing..."
                );
                return Ok(());
            }
            Launch::ForkWait | Launch::Exec => {}
        }
        let deadline =
            (maxstartdelay > 0).then(|| Instant::now() + Duration::from_secs(maxstartdelay.into()));
        match deadline {
            Some(_) => trace!(
                "forkexec[POSIX]: will wait for {maxstartdelay} seconds to check that driver survived this long"
            ),
            None => trace!("forkexec[POSIX]: will wait until the driver goes to the background (maxstartdelay = 0)"),
        }
        let status = loop {
            match tracked.child.try_wait() {
                Ok(Some(st)) => break Some(st),
                Ok(None) => {}
                Err(e) => {
                    error!("waitpid: {}", procs::errno_text(&e));
                    break None;
                }
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                warn!("Startup timer elapsed, continuing...");
                self.timeouts += 1;
                tracked.exceeded_timeout = true;
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        match status.and_then(|s| s.code()) {
            Some(0) => {}
            Some(code) => {
                warn!("Driver failed to start (exit status={code})");
                self.errors += 1;
            }
            None => {
                warn!("Driver exited abnormally");
                self.errors += 1;
            }
        }
        Ok(())
    }

    /// Re-check drivers that overran `maxstartdelay` (NUT does it before exiting): one that
    /// has gone to the background since is fine, one still starting or failed is an error.
    pub fn revise_timeouts(&mut self) {
        debug!("upsdrvctl: got some timeouts with preceding operations, revising them now");
        for (idx, slot) in self.children.iter_mut().enumerate() {
            let Some(t) = slot.as_mut().filter(|t| t.exceeded_timeout) else { continue };
            let ups = &self.upses[idx];
            let (name, pid, delay) = (&ups.name, t.pid(), ups.maxstartdelay);
            match t.child.try_wait() {
                Ok(Some(st)) if st.code() == Some(0) => {
                    debug!(
                        "Driver [{name}] PID {pid} initially exceeded maxstartdelay {delay} sec but has finished \
                         starting by now"
                    );
                    t.exceeded_timeout = false;
                }
                Ok(Some(st)) => {
                    match (st.code(), st.signal()) {
                        (Some(code), _) => warn!(
                            "Driver [{name}] PID {pid} initially exceeded maxstartdelay {delay} sec and has failed \
                             to start by now (exit status={code})"
                        ),
                        (None, _) => warn!(
                            "Driver [{name}] PID {pid} initially exceeded maxstartdelay {delay} sec and has exited \
                             abnormally by now"
                        ),
                    }
                    self.errors += 1;
                }
                Ok(None) => {
                    warn!(
                        "Driver [{name}] PID {pid} initially exceeded maxstartdelay {delay} sec and is still starting"
                    );
                    self.errors += 1;
                }
                Err(e) => {
                    warn!(
                        "Driver [{name}] PID {pid} initially exceeded maxstartdelay {delay} sec and we got an error \
                         asking it again: {}",
                        procs::errno_text(&e)
                    );
                    self.errors += 1;
                }
            }
        }
    }

    /// Stop a driver this run started (SIGTERM, 5 s, SIGKILL, 5 s), as NUT does on exit from
    /// `-F` mode. Returns false when it would not go.
    pub fn stop_child(&mut self, idx: usize) -> bool {
        let name = self.upses[idx].name.clone();
        let Some(mut t) = self.children[idx].take() else { return true };
        debug!("Stopping UPS: {name}");
        let pid = t.pid();
        trace!("Sending signal to PID {pid}");
        if self.opts.testing {
            return true;
        }
        if let Ok(Some(_)) = t.child.try_wait() {
            return true;
        }
        let _ = procs::kill(pid, libc::SIGTERM);
        if wait_exit(&mut t.child, Duration::from_secs(5)) {
            return true;
        }
        error!("Stopping PID {pid} failed, retrying harder");
        let _ = procs::kill(pid, libc::SIGKILL);
        if wait_exit(&mut t.child, Duration::from_secs(5)) {
            return true;
        }
        error!("Stopping PID {pid} failed");
        self.errors += 1;
        false
    }

    /// Stop every driver this run started.
    pub fn stop_children(&mut self) {
        for idx in 0..self.children.len() {
            if self.children[idx].is_some() {
                self.stop_child(idx);
            }
        }
    }
}

/// Wait up to `timeout` for a child to exit (and reap it).
pub fn wait_exit(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) => {}
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wait up to `timeout` until `cond` holds.
pub fn wait_for(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Locate the driver binary in `dirs`, or NUT's "Can't start" line with where we looked.
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
    let first = dirs.first().cloned().unwrap_or_else(|| PathBuf::from(nut_core::paths::DEFAULT_DRIVERPATH));
    let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    Err(format!(
        "Can't start {}: No such file or directory\n(searched {}; install the driver there, or set \
         'driverpath = <directory>' at the top of ups.conf)",
        first.join(driver).display(),
        searched.join(", ")
    ))
}

/// The path a missing driver would have (for `shutdown`, which NUT runs without checking).
pub fn driver_path_or_first(dirs: &[PathBuf], driver: &str) -> PathBuf {
    find_driver(dirs, driver).unwrap_or_else(|_| dirs.first().cloned().unwrap_or_default().join(driver))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn missing_driver_names_paths_and_directive() {
        let e = find_driver(&[PathBuf::from("/nonexistent-dir")], "nosuch").unwrap_err();
        assert!(e.starts_with("Can't start /nonexistent-dir/nosuch: No such file or directory\n"), "{e}");
        assert!(e.contains("driverpath"), "{e}");
        assert_eq!(
            driver_path_or_first(&[PathBuf::from("/nonexistent-dir")], "nosuch"),
            PathBuf::from("/nonexistent-dir/nosuch")
        );
    }
}
