//! Reloading: re-read `ups.conf` and apply what can change while the driver runs.
//!
//! NUT 2.8.0's drivers have no `-c` and die on SIGHUP (checked with Debian's dummy-ups); 2.8.1
//! added the reload commands. Three kinds, as in NUT 2.8.5 ([`Kind`]):
//! - `reload` (SIGHUP, `-c reload`, instant command `driver.reload`): apply what can be
//!   applied, log what needs a restart;
//! - `reload-or-error` (`-c reload-or-error`, `driver.reload-or-error`): the same, and answer
//!   failure when something changed that needs a restart (or the file has errors), so the
//!   caller can restart the driver;
//! - `reload-or-exit` (SIGUSR1, what NUT's systemd units send; `-c reload-or-exit`,
//!   `driver.reload-or-exit`): the same, but a change that needs a restart makes the driver
//!   exit with status 138 (128 + SIGUSR1, as NUT's) so a service manager starts a new one.
//!
//! The driver's section is read again with the same command line (so `-x` still wins) and
//! compared with the running settings:
//! - applied by the framework: `pollinterval`, `desc`, `synchronous`, `allow_killpower`,
//!   `ignorelb`, `nolock`, `sdcommands`, `debug_min` (republished in `driver.parameter.*` /
//!   `driver.flag.*` where NUT publishes them);
//! - `port` and the driver's own options: the driver decides ([`crate::Driver::reload`]);
//!   accepted ones are republished as `driver.parameter.<name>` / `driver.flag.<name>`;
//! - everything else (`user`, `group`, `statepath`, `chroot`, `LIBUSB_DEBUG`,
//!   `reconnect_*`, `default.*`, `override.*`, and what the driver refuses) keeps its old value
//!   and is logged once as needing a restart.
//!
//! A `ups.conf` that does not parse (or no longer has a valid section for this driver) leaves
//! the running configuration untouched and logs every problem with file:line.

use std::collections::{BTreeMap, HashSet};

use crate::config::{build_context, Cli, Context, OptSpec};
use crate::{Driver, State};

/// What a driver did with one changed setting on reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The driver now uses the new value.
    Applied,
    /// The driver only takes this setting at start-up: the old value stays until a restart.
    NeedsRestart,
    /// The new value was tried and refused (e.g. the new `port` file can't be read); the
    /// driver goes on with the old one. The text says why.
    Failed(String),
}

/// Which reload was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `reload` (SIGHUP, `driver.reload`).
    Plain,
    /// `reload-or-error` (`driver.reload-or-error`): the answer says whether all applied.
    OrError,
    /// `reload-or-exit` (SIGUSR1, `driver.reload-or-exit`): exit if a restart is needed.
    OrExit,
}

/// Exit status of a driver that `reload-or-exit` stops (NUT's 128 + SIGUSR1).
pub const EXIT_RELOAD_OR_EXIT: u8 = 128 + libc::SIGUSR1 as u8;

/// What a reload did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Settings now in use.
    pub applied: Vec<String>,
    /// Changed settings that only a restart applies.
    pub restart: Vec<String>,
    /// Changed settings the driver tried and refused.
    pub failed: Vec<String>,
    /// ups.conf could not be read or has errors: nothing was applied.
    pub broken: bool,
    /// `reload-or-exit` found this setting changed and needing a restart: the driver exits.
    pub exit: Option<String>,
}

impl Outcome {
    /// Everything changed was applied (NUT's answer to `driver.reload-or-error`).
    pub fn complete(&self) -> bool {
        self.restart.is_empty() && self.failed.is_empty() && !self.broken
    }
}

/// Who handles a changed setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// The framework applies it.
    Framework,
    /// `port` or a driver option: [`crate::Driver::reload`].
    Driver,
    /// Only a restart applies it.
    Restart,
}

/// Settings the framework applies itself.
const FRAMEWORK_KEYS: &[&str] = &[
    "pollinterval",
    "desc",
    "synchronous",
    "allow_killpower",
    "ignorelb",
    "nolock",
    "sdcommands",
    "debug_min",
];

/// Every setting whose value differs between `old` and `new`, with who handles it, in a
/// stable order: framework settings, `port`, driver options (by name), then the rest.
pub fn diff(old: &Context, new: &Context) -> Vec<(String, Owner)> {
    let mut out = Vec::new();
    let framework = [
        old.pollinterval != new.pollinterval,
        old.desc != new.desc,
        old.synchronous != new.synchronous,
        old.allow_killpower != new.allow_killpower,
        old.ignorelb != new.ignorelb,
        old.nolock != new.nolock,
        old.sdcommands != new.sdcommands,
        old.debug_min != new.debug_min,
    ];
    for (key, changed) in FRAMEWORK_KEYS.iter().zip(framework) {
        if changed {
            out.push((key.to_string(), Owner::Framework));
        }
    }
    if old.port != new.port {
        out.push(("port".into(), Owner::Driver));
    }
    let (o, n) = (options(old), options(new));
    for key in o.keys().chain(n.keys()).collect::<std::collections::BTreeSet<_>>() {
        if o.get(key) != n.get(key) {
            out.push((key.clone(), Owner::Driver));
        }
    }
    let restart = [
        ("user", old.user != new.user),
        ("group", old.group != new.group),
        ("statepath", old.statepath != new.statepath),
        ("pidpath", old.pidpath != new.pidpath),
        ("chroot", old.chroot != new.chroot),
        ("LIBUSB_DEBUG", old.libusb_debug != new.libusb_debug),
        ("reconnect_max_tries", old.reconnect_max_tries != new.reconnect_max_tries),
        ("reconnect_report_freq", old.reconnect_report_freq != new.reconnect_report_freq),
    ];
    for (key, changed) in restart {
        if changed {
            out.push((key.to_string(), Owner::Restart));
        }
    }
    for (prefix, a, b) in
        [("default.", &old.defaults, &new.defaults), ("override.", &old.overrides, &new.overrides)]
    {
        let (a, b): (BTreeMap<_, _>, BTreeMap<_, _>) =
            (a.iter().cloned().collect(), b.iter().cloned().collect());
        for key in a.keys().chain(b.keys()).collect::<std::collections::BTreeSet<_>>() {
            if a.get(key) != b.get(key) {
                out.push((format!("{prefix}{key}"), Owner::Restart));
            }
        }
    }
    out
}

/// Driver options by name, the last occurrence winning as in [`Context::value`].
fn options(ctx: &Context) -> BTreeMap<String, Option<String>> {
    ctx.options.iter().cloned().collect()
}

/// A setting's value for log lines.
fn shown(ctx: &Context, key: &str) -> String {
    const UNSET: &str = "(unset)";
    match key {
        "pollinterval" => ctx.pollinterval.to_string(),
        "desc" => ctx.desc.clone().unwrap_or_else(|| UNSET.into()),
        "synchronous" => ctx.synchronous.clone(),
        "allow_killpower" => ctx.allow_killpower.to_string(),
        "ignorelb" => ctx.ignorelb.to_string(),
        "nolock" => ctx.nolock.to_string(),
        "sdcommands" => ctx.sdcommands.clone().unwrap_or_else(|| UNSET.into()),
        "debug_min" => ctx.debug_min.map_or_else(|| UNSET.into(), |n| n.to_string()),
        "chroot" => ctx.chroot.clone().unwrap_or_else(|| UNSET.into()),
        "LIBUSB_DEBUG" => ctx.libusb_debug.map_or_else(|| UNSET.into(), |n| n.to_string()),
        "reconnect_max_tries" => ctx.reconnect_max_tries.map_or_else(|| UNSET.into(), |n| n.to_string()),
        "reconnect_report_freq" => ctx.reconnect_report_freq.map_or_else(|| UNSET.into(), |n| n.to_string()),
        "port" => ctx.port.clone(),
        "user" => ctx.user.clone().unwrap_or_else(|| UNSET.into()),
        "group" => ctx.group.clone().unwrap_or_else(|| UNSET.into()),
        "statepath" => ctx.statepath.display().to_string(),
        "pidpath" => ctx.pidpath.display().to_string(),
        k => {
            if let Some(var) = k.strip_prefix("default.") {
                ctx.defaults
                    .iter()
                    .rev()
                    .find(|(n, _)| n == var)
                    .map_or_else(|| UNSET.into(), |(_, v)| v.clone())
            } else if let Some(var) = k.strip_prefix("override.") {
                ctx.overrides
                    .iter()
                    .rev()
                    .find(|(n, _)| n == var)
                    .map_or_else(|| UNSET.into(), |(_, v)| v.clone())
            } else {
                match options(ctx).get(k) {
                    Some(Some(v)) => v.clone(),
                    Some(None) => "(flag)".into(),
                    None => UNSET.into(),
                }
            }
        }
    }
}

/// What the runner keeps between reloads.
#[derive(Debug)]
pub struct Reloader {
    prog: String,
    cli: Cli,
    specs: Vec<OptSpec>,
    /// `key=value` of the changes already logged as needing a restart, so each is said once.
    logged: HashSet<String>,
}

impl Reloader {
    /// Remember how the driver was started.
    pub fn new(prog: &str, cli: &Cli, specs: &[OptSpec]) -> Reloader {
        Reloader { prog: prog.to_string(), cli: cli.clone(), specs: specs.to_vec(), logged: HashSet::new() }
    }

    /// Re-read ups.conf and apply it to `ctx`, the driver and `state`.
    pub fn reload<D: Driver>(
        &mut self,
        kind: Kind,
        driver: &mut D,
        ctx: &mut Context,
        state: &mut State,
    ) -> Outcome {
        let mut out = Outcome::default();
        let Some(section) = self.cli.section.clone() else {
            nut_daemon::info!("reload: started with -s, there is no ups.conf section to read again");
            return out;
        };
        let path = nut_core::paths::conf_path().join("ups.conf");
        let file = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                nut_daemon::error!(
                    "reload: {}; keeping the running configuration",
                    nut_conf::explain_read_error(&file, e.kind(), "the driver's account")
                );
                out.broken = true;
                return out;
            }
        };
        let conf = match nut_conf::ups_conf::parse(&text, &file) {
            Ok((conf, _warnings)) => conf,
            Err(diags) => {
                for d in diags.iter().filter(|d| d.is_error()) {
                    nut_daemon::error!("reload: {d}");
                }
                nut_daemon::error!(
                    "reload: {file} has errors; keeping the running configuration of [{section}]. \
                     Fix the lines above, then run {} -a {section} -c reload again",
                    self.prog
                );
                out.broken = true;
                return out;
            }
        };
        let new =
            match build_context(&self.prog, &self.cli, Some(&conf), &self.specs, |k| std::env::var(k).ok()) {
                Ok(mut c) => {
                    c.conf_file = Some(file.clone());
                    c
                }
                Err(e) => {
                    nut_daemon::error!(
                        "reload: {} (in {file}); keeping the running configuration of [{section}]",
                        e.trim_start_matches("Error: ").trim_start_matches("Fatal error: ")
                    );
                    out.broken = true;
                    return out;
                }
            };
        let changes = diff(ctx, &new);
        if changes.is_empty() {
            nut_daemon::info!("reload: {file} read again, nothing changed for [{section}]");
            return out;
        }
        if kind == Kind::OrExit {
            // Settings that only a restart applies: exit before touching anything.
            if let Some((key, _)) = changes.iter().find(|(_, o)| *o == Owner::Restart) {
                nut_daemon::error!(
                    "NUT driver reload-or-exit: setting {key} was changed and requires a driver restart"
                );
                out.exit = Some(key.clone());
                return out;
            }
        }
        for (key, owner) in changes {
            let value = shown(&new, &key);
            let outcome = match owner {
                Owner::Framework => Reload::Applied,
                Owner::Restart => Reload::NeedsRestart,
                Owner::Driver => driver.reload(&key, &new, state),
            };
            match outcome {
                Reload::Applied => {
                    out.applied.push(key.clone());
                    apply(&key, ctx, &new, state);
                    nut_daemon::info!("reload: {key} is now {value:?}");
                }
                Reload::NeedsRestart if kind == Kind::OrExit => {
                    nut_daemon::error!(
                        "NUT driver reload-or-exit: setting {key} was changed and requires a driver restart"
                    );
                    out.exit = Some(key);
                    return out;
                }
                Reload::NeedsRestart => {
                    out.restart.push(key.clone());
                    if self.logged.insert(format!("{key}={value}")) {
                        nut_daemon::warn!(
                            "reload: {key} changed to {value:?} in {file}, which needs a restart of the \
                             driver (still using {:?}): {} -a {section} -c exit, then start it again",
                            shown(ctx, &key),
                            self.prog
                        );
                    }
                }
                Reload::Failed(why) => {
                    nut_daemon::error!(
                        "reload: can't apply {key} = {value:?}: {why}; still using {:?}",
                        shown(ctx, &key)
                    );
                    out.failed.push(key);
                }
            }
        }
        nut_daemon::info!(
            "reload of [{section}] done: {} change(s) applied, {} waiting for a restart, {} refused",
            out.applied.len(),
            out.restart.len(),
            out.failed.len()
        );
        out
    }
}

/// Take the new value of `key` into the running context and republish it.
fn apply(key: &str, ctx: &mut Context, new: &Context, state: &mut State) {
    match key {
        "pollinterval" => {
            ctx.pollinterval = new.pollinterval;
            state.set_info("driver.parameter.pollinterval", &ctx.pollinterval.to_string());
        }
        "desc" => ctx.desc = new.desc.clone(),
        "synchronous" => {
            ctx.synchronous = new.synchronous.clone();
            state.set_info("driver.parameter.synchronous", &ctx.synchronous);
        }
        "allow_killpower" => {
            ctx.allow_killpower = new.allow_killpower;
            state.set_info("driver.flag.allow_killpower", if ctx.allow_killpower { "1" } else { "0" });
        }
        "ignorelb" => {
            ctx.ignorelb = new.ignorelb;
            publish_flag(state, "ignorelb", ctx.ignorelb);
        }
        "nolock" => {
            ctx.nolock = new.nolock;
            publish_flag(state, "nolock", ctx.nolock);
        }
        "sdcommands" => {
            ctx.sdcommands = new.sdcommands.clone();
            match &ctx.sdcommands {
                Some(v) => state.set_info("driver.parameter.sdcommands", v),
                None => state.del_info("driver.parameter.sdcommands"),
            };
        }
        // The runner mixes the new minimum into the debug level after the reload.
        "debug_min" => ctx.debug_min = new.debug_min,
        "port" => {
            ctx.port = new.port.clone();
            state.set_info("driver.parameter.port", &ctx.port);
        }
        option => {
            ctx.options.retain(|(k, _)| k != option);
            let value = options(new).remove(option);
            state.del_info(&format!("driver.parameter.{option}"));
            state.del_info(&format!("driver.flag.{option}"));
            match value {
                Some(Some(v)) => {
                    state.set_info(&format!("driver.parameter.{option}"), &v);
                    ctx.options.push((option.to_string(), Some(v)));
                }
                Some(None) => {
                    state.set_info(&format!("driver.flag.{option}"), "enabled");
                    ctx.options.push((option.to_string(), None));
                }
                None => {}
            }
        }
    }
}

/// Publish `driver.flag.<name>` = `enabled`, or remove it.
fn publish_flag(state: &mut State, name: &str, on: bool) {
    let var = format!("driver.flag.{name}");
    if on {
        state.set_info(&var, "enabled");
    } else {
        state.del_info(&var);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{parse_cli, OptKind};

    fn ctx(conf: &str) -> Context {
        let (conf, _) = nut_conf::ups_conf::parse(conf, "ups.conf").unwrap();
        let cli = parse_cli(&["-a".to_string(), "u".to_string()]).unwrap();
        let specs = [OptSpec { name: "mode", kind: OptKind::Value, help: "" }];
        build_context("dummy-ups", &cli, Some(&conf), &specs, |_| None).unwrap()
    }

    #[test]
    fn diff_sorts_changes_by_owner() {
        let old = ctx("[u]\n driver = dummy-ups\n port = a.dev\n desc = one\n");
        let new = ctx(
            "user = nut\n[u]\n driver = dummy-ups\n port = b.dev\n desc = two\n pollinterval = 5\n mode = dummy\n override.ups.mfr = X\n",
        );
        let d = diff(&old, &new);
        let keys: Vec<(&str, &Owner)> = d.iter().map(|(k, o)| (k.as_str(), o)).collect();
        assert_eq!(
            keys,
            vec![
                ("pollinterval", &Owner::Framework),
                ("desc", &Owner::Framework),
                ("port", &Owner::Driver),
                ("mode", &Owner::Driver),
                ("user", &Owner::Restart),
                ("override.ups.mfr", &Owner::Restart),
            ]
        );
        assert!(diff(&new, &new).is_empty());
    }

    #[test]
    fn applied_options_are_republished_and_removed_ones_deleted() {
        let mut old = ctx("[u]\n driver = dummy-ups\n port = a.dev\n mode = dummy\n");
        let new = ctx("[u]\n driver = dummy-ups\n port = b.dev\n pollinterval = 7\n");
        let mut state = State::new();
        state.set_info("driver.parameter.mode", "dummy");
        for (key, _) in diff(&old, &new) {
            apply(&key, &mut old, &new, &mut state);
        }
        assert_eq!(state.get_info("driver.parameter.port"), Some("b.dev"));
        assert_eq!(state.get_info("driver.parameter.pollinterval"), Some("7"));
        assert_eq!(state.get_info("driver.parameter.mode"), None);
        assert_eq!((old.port.as_str(), old.pollinterval, old.value("mode")), ("b.dev", 7, None));
    }
}
