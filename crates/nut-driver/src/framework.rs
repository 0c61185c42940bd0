//! What NUT 2.8.5 adds to every driver while it runs, besides the driver's own data:
//!
//! - `driver.state`: where the driver is in its life (`init.starting`, `init.device`,
//!   `init.quiet`, `init.updateinfo`, `quiet`, `updateinfo`, `reloading`, `dumping`,
//!   `fsd.killpower`, `cleanup.exit`);
//! - `driver.debug` (RW NUMBER): the debug level in force. Writing it sets the level at run
//!   time whatever `-D` and `debug_min` say; a negative value goes back to them ([`Debug`]);
//! - `driver.flag.allow_killpower` (RW NUMBER, `0`/`1`): `allow_killpower` in ups.conf, or a
//!   write, unlocks the `driver.killpower` instant command;
//! - instant commands handled before the driver's own: `shutdown.default` (the driver's
//!   built-in shutdown, [`crate::Driver::shutdown`]), `driver.killpower` (the `-k` sequence of
//!   `sdcommands` on the running driver, refused unless allowed; the driver then exits),
//!   `driver.reload`, `driver.reload-or-error` (answers INVALID when a change needs a
//!   restart), `driver.reload-or-exit`, and `driver.exit` (not listed, as in NUT, but taken on
//!   the socket);
//! - the shutdown sequence ([`shutdown_sequence`]): the commands of `sdcommands`, in order,
//!   until one works; `shutdown.default` in that list is the driver's built-in shutdown, and is
//!   the whole list when `sdcommands` is not set.

use std::process::ExitCode;

use crate::config::Context;
use crate::reload::{Kind, Outcome, Reloader, EXIT_RELOAD_OR_EXIT};
use crate::{CmdResult, Driver, Flags, State};

/// The instant commands the framework lists for every driver (NUT 2.8.5's, besides
/// `shutdown.default` which comes with the driver's data).
pub const FRAMEWORK_CMDS: &[&str] = &[
    "driver.killpower",
    "driver.reload",
    "driver.reload-or-error",
    "driver.reload-or-exit",
    "shutdown.default",
];

/// The variables the framework publishes for every driver that NUT 2.8.0 did not.
pub const FRAMEWORK_VARS_2_8_5: &[&str] = &["driver.debug", "driver.flag.allow_killpower", "driver.state"];

/// The inputs of the debug level, as NUT 2.8.5's drivers mix them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Debug {
    /// `-D` count (or `NUT_DEBUG_LEVEL` when there is no `-D`).
    pub args: u8,
    /// `debug_min` from ups.conf (the section's, else the global one).
    pub conf: Option<u8>,
    /// Written to `driver.debug` at run time; wins over the others until a negative write.
    pub protocol: Option<u8>,
}

impl Debug {
    /// The level in force: the run-time write if any, else the larger of `-D` and `debug_min`.
    pub fn effective(&self) -> u8 {
        self.protocol.unwrap_or_else(|| self.args.max(self.conf.unwrap_or(0)))
    }
}

/// What a write to `driver.flag.allow_killpower` sets, as NUT reads it: a number (positive:
/// allowed), else `enable...`, `true`, `yes` or `on`.
pub fn allow_killpower_value(value: &str) -> bool {
    match value.trim_start().parse::<i64>() {
        Ok(n) => n > 0,
        Err(_) => value.starts_with("enable") || matches!(value, "true" | "yes" | "on"),
    }
}

/// Run the shutdown sequence: each command of `sdcommands` (comma-separated; default
/// `shutdown.default`) in order until one is handled. `shutdown.default` is the driver's
/// built-in shutdown ([`Driver::shutdown`]); the others go to [`Driver::instcmd`]. Returns
/// the command that worked.
pub fn shutdown_sequence<D: Driver>(
    driver: &mut D,
    state: &mut State,
    sdcommands: Option<&str>,
    upsname: &str,
) -> Option<String> {
    let list = sdcommands.unwrap_or("shutdown.default");
    for cmd in list.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        nut_daemon::debug!("shutdown sequence for UPS [{upsname}]: trying {cmd}");
        let r = if cmd == "shutdown.default" {
            match driver.shutdown(state) {
                Ok(()) => CmdResult::Handled,
                Err(e) => {
                    nut_daemon::error!("UPS [{upsname}]: {e}");
                    CmdResult::Failed
                }
            }
        } else {
            driver.instcmd(cmd, None, state)
        };
        if r == CmdResult::Handled {
            nut_daemon::error!("UPS [{upsname}]: shutdown request was successful with '{cmd}'");
            return Some(cmd.to_string());
        }
        nut_daemon::debug!("shutdown sequence for UPS [{upsname}]: {cmd}: {r:?}");
    }
    nut_daemon::error!("UPS [{upsname}]: shutdown request(s) failed");
    None
}

/// What the running driver keeps for the framework's commands.
#[derive(Debug)]
pub struct Framework {
    /// Program name.
    pub prog: String,
    /// The settings in force.
    pub ctx: Context,
    /// Re-reads ups.conf.
    pub reloader: Reloader,
    /// Debug level inputs.
    pub debug: Debug,
    /// Set when the driver must stop after the current request (`driver.exit`,
    /// `driver.killpower`, `reload-or-exit`).
    pub exit: Option<ExitCode>,
    /// A reload to run after answering the current request.
    pub pending_reload: Option<Kind>,
}

impl Framework {
    /// Apply the debug level now in force and publish it as `driver.debug`.
    pub fn apply_debug(&mut self, state: &mut State) {
        let level = self.debug.effective();
        nut_daemon::log::set_debug_level(level);
        state.set_info("driver.debug", &level.to_string());
        state.set_flags("driver.debug", Flags { rw: true, string: false, number: true });
        nut_daemon::debug!("debug level is '{level}'");
    }

    /// The variables and commands NUT 2.8.5 adds once the driver is ready to serve.
    pub fn publish_ready(&self, state: &mut State) {
        if state.get_info("driver.flag.allow_killpower").is_none() {
            state.set_info("driver.flag.allow_killpower", if self.ctx.allow_killpower { "1" } else { "0" });
        }
        state.set_flags("driver.flag.allow_killpower", Flags { rw: true, string: false, number: true });
        for c in ["driver.killpower", "driver.reload", "driver.reload-or-exit", "driver.reload-or-error"] {
            state.add_cmd(c);
        }
        state.set_info("driver.state", "quiet");
    }

    /// An instant command the framework handles (`None`: the driver's own).
    pub fn instcmd<D: Driver>(&mut self, driver: &mut D, state: &mut State, cmd: &str) -> Option<CmdResult> {
        let ups = self.ctx.upsname.clone();
        Some(match cmd {
            "shutdown.default" => match driver.shutdown(state) {
                Ok(()) => CmdResult::Handled,
                Err(e) => {
                    nut_daemon::error!("UPS [{ups}]: shutdown.default: {e}");
                    CmdResult::Failed
                }
            },
            "driver.killpower" => {
                if state.get_info("driver.flag.allow_killpower") != Some("1") {
                    nut_daemon::error!(
                        "Got socket protocol request for UPS [{ups}] to power off, but \
                         driver.flag.allow_killpower does not permit this - request was currently ignored!"
                    );
                    return Some(CmdResult::Invalid);
                }
                nut_daemon::error!(
                    "Requesting UPS [{ups}] to power off, as/if handled by its driver by default (may exit), \
                     due to socket protocol request"
                );
                state.set_info("driver.state", "fsd.killpower");
                let used = shutdown_sequence(driver, state, self.ctx.sdcommands.as_deref(), &ups);
                state.set_info("driver.state", "quiet");
                // As NUT's: the driver stops after powering the UPS off (or failing to).
                self.exit = Some(if used.is_some() { ExitCode::SUCCESS } else { ExitCode::FAILURE });
                if used.is_some() {
                    CmdResult::Handled
                } else {
                    CmdResult::Failed
                }
            }
            "driver.exit" => {
                nut_daemon::info!("UPS [{ups}]: exiting on request (driver.exit)");
                self.exit = Some(ExitCode::SUCCESS);
                CmdResult::Handled
            }
            "driver.reload" => {
                self.pending_reload = Some(Kind::Plain);
                CmdResult::Handled
            }
            "driver.reload-or-exit" => {
                self.pending_reload = Some(Kind::OrExit);
                CmdResult::Handled
            }
            "driver.reload-or-error" => {
                if self.reload(Kind::OrError, driver, state).complete() {
                    CmdResult::Handled
                } else {
                    CmdResult::Invalid
                }
            }
            _ => return None,
        })
    }

    /// A variable write the framework handles (`None`: the driver's own).
    pub fn setvar(&mut self, state: &mut State, var: &str, value: &str) -> Option<CmdResult> {
        Some(match var {
            "driver.debug" => match value.trim_start().parse::<i64>() {
                Ok(n) => {
                    self.debug.protocol = (n >= 0).then(|| n.min(255) as u8);
                    match self.debug.protocol {
                        Some(l) => nut_daemon::info!(
                            "Applying debug level {l} received during run-time via socket protocol, ignoring \
                             other settings"
                        ),
                        None => nut_daemon::info!(
                            "NOTE: Will fall back to CLI/DriverConfig/GlobalConfig debug verbosity preference now"
                        ),
                    }
                    self.apply_debug(state);
                    CmdResult::Handled
                }
                Err(_) => CmdResult::Invalid,
            },
            "driver.flag.allow_killpower" => {
                let on = allow_killpower_value(value);
                nut_daemon::debug!("Setting driver.flag.allow_killpower={}", u8::from(on));
                state.set_info("driver.flag.allow_killpower", if on { "1" } else { "0" });
                CmdResult::Handled
            }
            _ => return None,
        })
    }

    /// Run a reload of `kind`: `driver.state` is `reloading` meanwhile; the debug level is
    /// mixed again; `reload-or-exit` sets [`Framework::exit`] when a restart is needed.
    pub fn reload<D: Driver>(&mut self, kind: Kind, driver: &mut D, state: &mut State) -> Outcome {
        nut_daemon::info!(
            "Handling requested live reload of NUT driver configuration for [{}]",
            self.ctx.upsname
        );
        state.set_info("driver.state", "reloading");
        nut_daemon::notify::reloading();
        let out = self.reloader.reload(kind, driver, &mut self.ctx, state);
        if out.exit.is_some() {
            self.exit = Some(ExitCode::from(EXIT_RELOAD_OR_EXIT));
        }
        if out.exit.is_some() {
            nut_daemon::info!("UPS [{}]: exiting for a restart with the new configuration", self.ctx.upsname);
            return out;
        }
        self.debug.conf = self.ctx.debug_min;
        self.apply_debug(state);
        state.set_info("driver.state", "quiet");
        nut_daemon::notify::ready();
        nut_daemon::info!(
            "Completed requested live reload of NUT driver configuration for [{}]: {}",
            self.ctx.upsname,
            if out.complete() { 0 } else { 2 }
        );
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{DriverError, DriverInfo};

    #[test]
    fn debug_level_mix() {
        let mut d = Debug { args: 1, conf: None, protocol: None };
        assert_eq!(d.effective(), 1);
        d.conf = Some(3);
        assert_eq!(d.effective(), 3, "debug_min raises");
        d.args = 5;
        assert_eq!(d.effective(), 5, "-D above debug_min");
        d.protocol = Some(0);
        assert_eq!(d.effective(), 0, "a write wins, even below -D");
        d.protocol = None;
        assert_eq!(d.effective(), 5);
    }

    #[test]
    fn allow_killpower_values_as_nut_reads_them() {
        for v in ["1", "7", "enabled", "enable", "true", "yes", "on"] {
            assert!(allow_killpower_value(v), "{v}");
        }
        for v in ["0", "-1", "no", "off", "false", "", "TRUE"] {
            assert!(!allow_killpower_value(v), "{v}");
        }
    }

    /// A driver whose commands succeed or fail as told, recording the order tried.
    #[derive(Default)]
    struct Rec {
        tried: Vec<String>,
        ok: Vec<&'static str>,
        shutdown_ok: bool,
    }

    impl Driver for Rec {
        fn info(&self) -> DriverInfo {
            DriverInfo { description: "rec", version: "0" }
        }
        fn init(&mut self, _: &Context, _: &mut State) -> Result<(), DriverError> {
            Ok(())
        }
        fn update(&mut self, _: &mut State) -> Result<(), DriverError> {
            Ok(())
        }
        fn instcmd(&mut self, cmd: &str, _: Option<&str>, _: &mut State) -> CmdResult {
            self.tried.push(cmd.to_string());
            if self.ok.contains(&cmd) {
                CmdResult::Handled
            } else {
                CmdResult::Unknown
            }
        }
        fn shutdown(&mut self, _: &mut State) -> Result<(), DriverError> {
            self.tried.push("(built-in)".into());
            if self.shutdown_ok {
                Ok(())
            } else {
                Err(DriverError::Device("no".into()))
            }
        }
    }

    #[test]
    fn sdcommands_are_tried_in_order_until_one_works() {
        let mut s = State::new();
        let mut d = Rec { ok: vec!["load.off"], ..Rec::default() };
        let used = shutdown_sequence(&mut d, &mut s, Some("beeper.off, load.off,shutdown.return"), "u");
        assert_eq!(used.as_deref(), Some("load.off"));
        assert_eq!(d.tried, vec!["beeper.off", "load.off"]);
        // Default: the built-in shutdown only.
        let mut d = Rec { shutdown_ok: true, ..Rec::default() };
        assert_eq!(shutdown_sequence(&mut d, &mut s, None, "u").as_deref(), Some("shutdown.default"));
        assert_eq!(d.tried, vec!["(built-in)"]);
        // shutdown.default inside the list is the built-in one, at its place.
        let mut d = Rec::default();
        assert_eq!(shutdown_sequence(&mut d, &mut s, Some("shutdown.default,load.off,,x"), "u"), None);
        assert_eq!(d.tried, vec!["(built-in)", "load.off", "x"]);
    }

    fn framework(conf: &str) -> Framework {
        let (conf, _) = nut_conf::ups_conf::parse(conf, "ups.conf").unwrap();
        let cli = crate::config::parse_cli(&["-a".to_string(), "u".to_string()]).unwrap();
        let ctx = crate::config::build_context("rec", &cli, Some(&conf), &[], |_| None).unwrap();
        Framework {
            prog: "rec".into(),
            reloader: Reloader::new("rec", &cli, &[]),
            ctx,
            debug: Debug::default(),
            exit: None,
            pending_reload: None,
        }
    }

    #[test]
    fn killpower_is_refused_unless_allowed_and_follows_sdcommands() {
        let mut f = framework("[u]\n driver = rec\n port = x\n sdcommands = beeper.off,load.off\n");
        let mut s = State::new();
        f.publish_ready(&mut s);
        assert_eq!(s.get_info("driver.flag.allow_killpower"), Some("0"));
        let mut d = Rec { ok: vec!["load.off"], ..Rec::default() };
        assert_eq!(f.instcmd(&mut d, &mut s, "driver.killpower"), Some(CmdResult::Invalid));
        assert!(d.tried.is_empty() && f.exit.is_none(), "nothing tried, driver keeps running");
        assert_eq!(f.setvar(&mut s, "driver.flag.allow_killpower", "yes"), Some(CmdResult::Handled));
        assert_eq!(s.get_info("driver.flag.allow_killpower"), Some("1"));
        assert_eq!(f.instcmd(&mut d, &mut s, "driver.killpower"), Some(CmdResult::Handled));
        assert_eq!(d.tried, vec!["beeper.off", "load.off"]);
        assert!(f.exit.is_some(), "the driver exits after killpower");
        // shutdown.default is the built-in shutdown, not the sdcommands list.
        let mut d = Rec { shutdown_ok: true, ..Rec::default() };
        assert_eq!(f.instcmd(&mut d, &mut s, "shutdown.default"), Some(CmdResult::Handled));
        assert_eq!(d.tried, vec!["(built-in)"]);
        assert_eq!(f.instcmd(&mut d, &mut s, "load.off"), None, "driver's own command");
    }

    #[test]
    fn allow_killpower_in_ups_conf_and_driver_debug_writes() {
        let mut f = framework("[u]\n driver = rec\n port = x\n allow_killpower\n debug_min = 2\n");
        let mut s = State::new();
        f.publish_ready(&mut s);
        assert_eq!(s.get_info("driver.flag.allow_killpower"), Some("1"));
        let v = s.var("driver.flag.allow_killpower").unwrap();
        assert!(v.flags.rw && v.flags.number);
        f.debug = Debug { args: 0, conf: f.ctx.debug_min, protocol: None };
        f.apply_debug(&mut s);
        assert_eq!(s.get_info("driver.debug"), Some("2"));
        assert_eq!(f.setvar(&mut s, "driver.debug", "0"), Some(CmdResult::Handled));
        assert_eq!(s.get_info("driver.debug"), Some("0"));
        assert_eq!(nut_daemon::log::debug_level(), 0);
        assert_eq!(f.setvar(&mut s, "driver.debug", "-1"), Some(CmdResult::Handled));
        assert_eq!(s.get_info("driver.debug"), Some("2"), "back to debug_min");
        assert_eq!(f.setvar(&mut s, "driver.debug", "many"), Some(CmdResult::Invalid));
        assert_eq!(f.setvar(&mut s, "ups.id", "x"), None);
    }
}
