//! `-c reload` (SIGHUP): re-read `ups.conf` and apply what can change while the driver runs.
//!
//! NUT 2.8.0's drivers have no `-c` and die on SIGHUP (checked with Debian's dummy-ups); 2.8.1
//! added `-c reload`. Ours re-reads the driver's section with the same command line (so `-x`
//! still wins) and compares it with the running settings:
//!
//! - applied by the framework: `pollinterval`, `desc`, `synchronous`, `allow_killpower`,
//!   `ignorelb` (republished in `driver.parameter.*` where NUT publishes them);
//! - `port` and the driver's own options: the driver decides ([`crate::Driver::reload`]);
//!   accepted ones are republished as `driver.parameter.<name>` / `driver.flag.<name>`;
//! - everything else (`user`, `group`, `statepath`, `default.*`, `override.*`, and what the
//!   driver refuses) keeps its old value and is logged once as needing a restart.
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
const FRAMEWORK_KEYS: &[&str] = &["pollinterval", "desc", "synchronous", "allow_killpower", "ignorelb"];

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
    pub fn reload<D: Driver>(&mut self, driver: &mut D, ctx: &mut Context, state: &mut State) {
        let Some(section) = self.cli.section.clone() else {
            tracing::info!("reload: started with -s, there is no ups.conf section to read again");
            return;
        };
        let path = nut_core::paths::conf_path().join("ups.conf");
        let file = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(
                    "reload: {}; keeping the running configuration",
                    nut_conf::explain_read_error(&file, e.kind(), "the driver's account")
                );
                return;
            }
        };
        let conf = match nut_conf::ups_conf::parse(&text, &file) {
            Ok((conf, _warnings)) => conf,
            Err(diags) => {
                for d in diags.iter().filter(|d| d.is_error()) {
                    tracing::error!("reload: {d}");
                }
                tracing::error!(
                    "reload: {file} has errors; keeping the running configuration of [{section}]. \
                     Fix the lines above, then run {} -a {section} -c reload again",
                    self.prog
                );
                return;
            }
        };
        let new =
            match build_context(&self.prog, &self.cli, Some(&conf), &self.specs, |k| std::env::var(k).ok()) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(
                        "reload: {} (in {file}); keeping the running configuration of [{section}]",
                        e.trim_start_matches("Error: ").trim_start_matches("Fatal error: ")
                    );
                    return;
                }
            };
        let changes = diff(ctx, &new);
        if changes.is_empty() {
            tracing::info!("reload: {file} read again, nothing changed for [{section}]");
            return;
        }
        let (mut applied, mut restart, mut failed) = (0, 0, 0);
        for (key, owner) in changes {
            let value = shown(&new, &key);
            let outcome = match owner {
                Owner::Framework => Reload::Applied,
                Owner::Restart => Reload::NeedsRestart,
                Owner::Driver => driver.reload(&key, &new, state),
            };
            match outcome {
                Reload::Applied => {
                    applied += 1;
                    apply(&key, ctx, &new, state);
                    tracing::info!("reload: {key} is now {value:?}");
                }
                Reload::NeedsRestart => {
                    restart += 1;
                    if self.logged.insert(format!("{key}={value}")) {
                        tracing::warn!(
                            "reload: {key} changed to {value:?} in {file}, which needs a restart of the \
                             driver (still using {:?}): {} -a {section} -c exit, then start it again",
                            shown(ctx, &key),
                            self.prog
                        );
                    }
                }
                Reload::Failed(why) => {
                    failed += 1;
                    tracing::error!(
                        "reload: can't apply {key} = {value:?}: {why}; still using {:?}",
                        shown(ctx, &key)
                    );
                }
            }
        }
        tracing::info!(
            "reload of [{section}] done: {applied} change(s) applied, {restart} waiting for a restart, \
             {failed} refused"
        );
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
        "allow_killpower" => ctx.allow_killpower = new.allow_killpower,
        "ignorelb" => ctx.ignorelb = new.ignorelb,
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
