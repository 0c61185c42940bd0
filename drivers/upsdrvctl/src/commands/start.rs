//! `start`: launch each driver (retrying `maxretry` times, `retrydelay` apart), and with
//! `-F`/`-FF` stay as the drivers' parent supervising them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tracing::{debug, trace, warn};

use crate::cli::Foreground;
use crate::commands::control::send_signal;
use crate::plan;
use crate::run::{Fatal, Run};
use crate::signals;
use crate::supervisor::{Ended, OnExit, OnSignal, Supervisor};

/// Start the driver of UPS `idx`.
pub fn start(run: &mut Run, idx: usize) -> Result<(), Fatal> {
    let ups = run.upses[idx].clone();
    debug!("Starting UPS: {}", ups.name);
    let path = run.find_driver(&ups.driver)?;
    let debug_level = nut_daemon::log::debug_level();
    let argv = plan::start_argv(&path, &ups.name, &run.opts, debug_level);
    if run.opts.fg == Foreground::Default && run.opts.pass_debug && debug_level > 0 {
        debug!(
            "WARNING: Requested a debugging level but not explicitly a backgrounding mode - driver may never try \
             to fork away; however the upsdrvctl tool will fork it and not wait."
        );
    }
    if ups.maxretry == 0 {
        warn!(
            "maxretry = 0 for [{}]: no attempt is made to start its driver (as in NUT); set maxretry = 1 or more",
            ups.name
        );
    }
    let initial = (run.errors, run.timeouts);
    let mut left = ups.maxretry;
    while left > 0 {
        trace!("{left} remaining attempts");
        trace!("exec:  {}", argv.join(" "));
        left -= 1;
        let before = (run.errors, run.timeouts);
        if run.opts.testing {
            if !check_privileges(run, idx) {
                // Another attempt would find the same permissions.
                run.errors += 1;
                break;
            }
        } else {
            run.forkexec(idx, &argv)?;
        }
        if (run.errors, run.timeouts) == before {
            // This attempt worked: earlier failed attempts of this UPS are forgiven.
            (run.errors, run.timeouts) = initial;
            break;
        }
        if left > 0 {
            trace!("start_driver: retrying after {} seconds", ups.retrydelay);
            std::thread::sleep(Duration::from_secs(ups.retrydelay.into()));
        }
    }
    Ok(())
}

/// For `-t`: the account the driver of UPS `idx` would drop to (`-u`, `user =`, else `nut`
/// when root), and whether that account can create the driver's socket and PID file in the
/// state path. Prints what it finds; false on an error (the driver would refuse to start).
fn check_privileges(run: &Run, idx: usize) -> bool {
    let Some(s) = run.conf.section(&run.upses[idx].name) else { return true };
    let user = nut_daemon::privs::run_as(run.opts.user.as_deref().or(run.conf.user(s)));
    let reader = match nut_daemon::privs::reader_for(user.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return false;
        }
    };
    println!("Driver for [{}] runs as user {} (group {})", s.name, reader.name, reader.group_name);
    let statepath: PathBuf = run.statepath.clone();
    let diags = nut_daemon::files::check_dir_writable(&statepath, &reader, &s.driver);
    for d in &diags {
        println!("{d}");
    }
    !diags.iter().any(nut_conf::Diagnostic::is_error)
}

/// `-F`/`-FF` with several UPSes: stay in the foreground as the drivers' parent until a stop
/// signal (exit 0) or a driver ending outside a reload (exit 1), passing reload and dump
/// signals on. Called once every driver was launched.
pub fn supervise(run: &mut Run, selected: &[usize]) -> Result<(), Fatal> {
    debug!(
        "upsdrvctl: was asked for explicit foregrounding - not exiting now (driver startup was completed)"
    );
    if let Err(e) = signals::install() {
        return Err(Fatal(format!("can't install signal handlers: {e}")));
    }
    let mut sup = Supervisor::new();
    loop {
        if signals::stop_requested().is_some() {
            return Ok(());
        }
        let mut abort = false;
        for &idx in selected {
            let Some(t) = run.children[idx].as_mut() else { continue };
            let ended = match t.child.try_wait() {
                Ok(Some(st)) => {
                    use std::os::unix::process::ExitStatusExt;
                    match (st.code(), st.signal()) {
                        (Some(c), _) => Ended::Code(c),
                        (None, Some(s)) => Ended::Signal(s),
                        (None, None) => Ended::Code(-1),
                    }
                }
                _ => continue,
            };
            run.children[idx] = None;
            let (driver, name) = (run.upses[idx].driver.clone(), run.upses[idx].name.clone());
            let now = Instant::now();
            match sup.on_exit(ended, now) {
                OnExit::Restart => {
                    debug!(
                        "Driver [{driver}] for [{name}] exited soon after reload-or-exit or similar signal, \
                         restarting it"
                    );
                    start(run, idx)?;
                }
                OnExit::Abort => {
                    match ended {
                        Ended::Code(c) => warn!(
                            "Driver [{driver}] for [{name}] exited inexplicably with code {c}, aborting"
                        ),
                        Ended::Signal(s) => warn!(
                            "Driver [{driver}] for [{name}] was killed by signal {s} ({}), aborting",
                            crate::control::signal_text(s)
                        ),
                    }
                    if let Some(d) = sup.since_dangerous_reload(now) {
                        debug!("Last 'dangerous' signal was processed {:.6} sec ago", d.as_secs_f64());
                    }
                    abort = true;
                }
            }
        }
        if abort {
            return Err(Fatal(
                "At least one tracked driver running in foreground mode has exited, stopping upsdrvctl (and other \
                 tracked drivers) so the bundle can be restarted by system properly"
                    .into(),
            ));
        }
        for sig in signals::take_forwarded() {
            if let OnSignal::Forward(s) = sup.on_signal(sig, Instant::now()) {
                debug!("upsdrvctl: handling signal: starting");
                for &idx in selected {
                    send_signal(run, idx, s);
                }
                debug!("upsdrvctl: handling signal: finished");
            }
        }
        signals::wait(Duration::from_secs(1));
    }
}
