//! upsdrvctl: starts, stops, queries and signals the drivers listed in `ups.conf`, as NUT
//! 2.8.5's does.
//!
//! - `start [ups]`: runs `<driverpath>/<driver> [-D..] [-B|-F|-FF] -a <ups> [-r dir] [-u user]`,
//!   waiting up to `maxstartdelay` seconds for each driver to go to the background (not with
//!   `nowait`, `-F`, or `-D -d`), retrying `maxretry` times `retrydelay` seconds apart. With
//!   `-F`/`-FF` and one UPS upsdrvctl becomes the driver; with several it stays as their
//!   parent and supervises them (`commands::start::supervise`).
//! - `stop [ups]`: SIGTERM to the PID file's process, else `INSTCMD driver.exit` on the socket.
//! - `shutdown [ups]`: `<driver> -a <ups> -k` in `sdorder` order.
//! - `status [ups]`, `list [ups]` / `-l`: NUT's table, and the names.
//! - `-c <command> [ups]`: `exit`, `reload-or-error` (socket), `reload-or-exit`, `dump`
//!   (signals).
//!
//! Drivers are found in `driverpath` from ups.conf, else next to this program, else in
//! `/lib/nut`.

pub mod cli;
pub mod commands;
pub mod control;
pub mod drvsock;
pub mod plan;
pub mod procs;
pub mod run;
pub mod signals;
pub mod status;
pub mod supervisor;

use std::process::ExitCode;

use tracing::{debug, info, trace, warn};

use crate::cli::{Cli, Invocation, Target, Verb};
use crate::run::{Fatal, Run};

/// The first line every run prints on stdout (unless `NUT_QUIET_INIT_BANNER`).
pub fn banner() -> String {
    format!("Network UPS Tools upsdrvctl - UPS driver controller {}", nut_core::NUT_VERSION_DESCRIPTION)
}

const DEVELOPER_NOTE: &str = "\n\
If you're not a NUT core developer, chances are that you're told to enable debugging\n\
to see why a driver isn't working for you. We're sorry for the confusion, but this is\n\
the 'upsdrvctl' wrapper, not the driver you're interested in.\n\n\
Below you'll find one or more lines starting with 'exec:' followed by an absolute\n\
path to the driver binary and some command line option. This is what the driver\n\
starts and you need to copy and paste that line and append the debug flags to that\n\
line (less the 'exec:' prefix).\n\n\
Alternately, provide an additional '-d' (lower-case) parameter to 'upsdrvctl' to\n\
pass its current debug level to the launched driver, and '-B' keeps it backgrounded.\n";

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let prog = args.first().cloned().unwrap_or_else(|| "upsdrvctl".into());
    // The same reading of NUT_QUIET_INIT_BANNER as the drivers upsdrvctl starts.
    let quiet = nut_core::banner_disabled(std::env::var("NUT_QUIET_INIT_BANNER").ok().as_deref());
    if !quiet {
        println!("{}", banner());
    }
    let inv = match cli::parse(&prog, args.get(1..).unwrap_or(&[])) {
        Cli::Run(inv) => inv,
        Cli::Version => {
            if quiet {
                println!("{}", banner());
            }
            return ExitCode::SUCCESS;
        }
        Cli::Help { error } => {
            if let Some(e) = error {
                eprintln!("{e}");
            }
            if quiet {
                println!("{}\n", nut_core::banner(&prog));
            }
            print!("{}", cli::help_text(&prog));
            return ExitCode::SUCCESS;
        }
        Cli::Fatal(msg) => {
            eprintln!("{msg}");
            return ExitCode::FAILURE;
        }
    };
    if inv.opts.debug == 0 {
        if let Some(l) = std::env::var("NUT_DEBUG_LEVEL").ok().and_then(|v| v.trim().parse::<i64>().ok()) {
            if l > 0 {
                eprintln!(
                    "Defaulting debug verbosity to NUT_DEBUG_LEVEL={l} since none was requested by command-line options"
                );
            }
        }
    }
    nut_daemon::log::init("upsdrvctl", inv.opts.debug);
    match execute(inv) {
        Ok(code) => code,
        Err(f) => {
            f.report();
            ExitCode::FAILURE
        }
    }
}

fn verb_name(verb: &Verb) -> String {
    match verb {
        Verb::Start => "start".into(),
        Verb::Stop => "stop".into(),
        Verb::Shutdown => "shutdown".into(),
        Verb::Status => "status".into(),
        Verb::List => "list".into(),
        Verb::Control(c) => c.name().into(),
        Verb::Unrecognized(w) => w.clone(),
    }
}

fn execute(inv: Invocation) -> Result<ExitCode, Fatal> {
    let Invocation { opts, verb, target } = inv;
    if opts.testing {
        println!("*** Testing mode: not calling exec/kill/signal");
        nut_daemon::log::set_debug_min(2);
    }
    if let Verb::Unrecognized(w) = &verb {
        return Err(Fatal(format!("Error: unrecognized command [{w}]")));
    }
    if let Verb::Control(c) = &verb {
        match c.delivery() {
            control::Delivery::Signal(s) => debug!(
                "Will send signal {s} ({}) for command '{}' to already-running driver (if any) and exit",
                control::signal_text(s),
                c.name()
            ),
            control::Delivery::Socket(_) => debug!(
                "Will send request for command '{}' to already-running driver (if any) and exit",
                c.name()
            ),
        }
    }

    let path = nut_core::paths::conf_path().join("ups.conf");
    let shown = path.display().to_string();
    let text = std::fs::read(&path)
        .map_err(|e| Fatal(format!("Can't open {shown}: Can't open {shown}: {}", procs::errno_text(&e))))?;
    let text = String::from_utf8_lossy(&text);
    let conf = match nut_conf::ups_conf::parse(&text, &shown) {
        Ok((c, warnings)) => {
            for w in warnings {
                warn!("{w}");
            }
            c
        }
        Err(d) => {
            eprint!("{}", nut_conf::render(&d));
            return Err(Fatal(format!("Fatal error in parsing {shown}: fix the lines above")));
        }
    };
    let env = |k: &str| std::env::var(k).ok();
    let (nowait, nowait_ignored) = plan::nowait(conf.globals.nowait, env("NUT_IGNORE_NOWAIT").as_deref());
    if nowait_ignored {
        info!("NOTE: 'nowait' setting ignored due to NUT_IGNORE_NOWAIT envvar");
    }
    if let Some(min) = conf.globals.debug_min {
        nut_daemon::log::set_debug_min(min.min(u32::from(u8::MAX)) as u8);
    }
    debug!("debug level for upsdrvctl is '{}'", nut_daemon::log::debug_level());
    if !opts.pass_debug && matches!(verb, Verb::Start | Verb::Shutdown) {
        trace!("{DEVELOPER_NOTE}");
    }

    let upses = plan::table(&conf);
    let selected: Vec<usize> = match &target {
        Target::TooMany => {
            return Err(Fatal(
                "Error: extra arguments left on command line\n(common options should be before a command and UPS name)"
                    .into(),
            ))
        }
        Target::All => {
            debug!("upsdrvctl commanding all drivers ({} found): {}", upses.len(), verb_name(&verb));
            if upses.is_empty() {
                return Err(Fatal("Error: no UPS definitions found in ups.conf".into()));
            }
            (0..upses.len()).collect()
        }
        Target::One(name) => {
            debug!("upsdrvctl commanding one driver ({name}): {}", verb_name(&verb));
            if upses.is_empty() {
                return Err(Fatal("Error: no UPS definitions found in ups.conf!\n".into()));
            }
            match upses.iter().position(|u| &u.name == name) {
                Some(i) => vec![i],
                None => return Err(Fatal(format!("UPS {name} not found in ups.conf"))),
            }
        }
    };
    let exe = std::env::current_exe().ok();
    let mut run = Run {
        dirs: plan::driver_dirs(&conf, exe.as_deref()),
        statepath: plan::state_path(&conf, env),
        pidpath: plan::pid_path(&conf, env),
        upscount: selected.len(),
        children: (0..upses.len()).map(|_| None).collect(),
        opts,
        conf,
        upses,
        nowait,
        errors: 0,
        timeouts: 0,
    };
    let supervising = verb == Verb::Start && run.opts.fg.is_foreground() && !run.opts.testing;
    let result =
        dispatch(&mut run, &verb, &target, &selected).and_then(|()| finish(&mut run, supervising, &selected));
    if supervising {
        run.stop_children();
    }
    result
}

fn dispatch(run: &mut Run, verb: &Verb, target: &Target, selected: &[usize]) -> Result<(), Fatal> {
    match verb {
        Verb::List => selected.iter().for_each(|&i| commands::list::list(run, i)),
        Verb::Status => {
            let mut header = false;
            for &i in selected {
                commands::status::status(run, i, &mut header);
            }
        }
        Verb::Start => {
            if *target == Target::All {
                let d = nut_daemon::log::debug_level();
                if let Some(w) = plan::start_all_warning(run.opts.fg, run.upses.len(), d, run.opts.pass_debug)
                {
                    warn!("{w}");
                }
            }
            if run.opts.fg.is_foreground() && run.upscount > 1 && !run.opts.testing {
                // Record stop and reload signals from now on, so none is lost while starting.
                signals::install().map_err(|e| Fatal(format!("can't install signal handlers: {e}")))?;
            }
            for &i in selected {
                commands::start::start(run, i)?;
            }
        }
        Verb::Stop => selected.iter().for_each(|&i| commands::stop::stop(run, i)),
        Verb::Shutdown => {
            let order: Vec<usize> = match target {
                Target::All => {
                    let names: Vec<String> =
                        plan::shutdown_order(&run.upses).iter().map(|u| u.name.clone()).collect();
                    names.iter().filter_map(|n| run.upses.iter().position(|u| &u.name == n)).collect()
                }
                _ => selected.to_vec(),
            };
            for i in order {
                commands::shutdown::shutdown(run, i)?;
            }
        }
        Verb::Control(c) => selected.iter().for_each(|&i| commands::control::control(run, i, *c)),
        Verb::Unrecognized(_) => {}
    }
    Ok(())
}

/// After the command: the exit code (timeouts re-checked, any error is 1), or supervising.
fn finish(run: &mut Run, supervising: bool, selected: &[usize]) -> Result<ExitCode, Fatal> {
    if run.timeouts > 0 {
        run.revise_timeouts();
    }
    if run.errors > 0 {
        debug!("upsdrvctl: got some errors with preceding operations, exiting with failure now");
        return Ok(ExitCode::FAILURE);
    }
    if supervising && run.upscount > 0 {
        commands::start::supervise(run, selected)?;
    }
    debug!("upsdrvctl: successfully finished");
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn banner_names_the_nut_version() {
        assert_eq!(super::banner(), "Network UPS Tools upsdrvctl - UPS driver controller 2.8.5 release");
    }

    #[test]
    fn developer_note_is_nuts() {
        assert!(super::DEVELOPER_NOTE.starts_with("\nIf you're not a NUT core developer"));
        assert!(super::DEVELOPER_NOTE.ends_with("and '-B' keeps it backgrounded.\n"));
    }
}
