//! Where configuration and state files live.
//!
//! NUT programs take the configuration directory from `NUT_CONFPATH` and the state directory
//! (driver sockets, PID files) from `NUT_STATEPATH`; Debian's defaults are `/etc/nut` and
//! `/run/nut`. Programs pass in an environment lookup so tests can use a fake environment.

use std::path::PathBuf;

/// Default configuration directory (Debian's layout; OpenBSD's package uses the same).
pub const DEFAULT_CONFPATH: &str = "/etc/nut";
/// Default state directory: Debian's `/run/nut`, OpenBSD's package's `/var/db/nut`.
#[cfg(not(target_os = "openbsd"))]
pub const DEFAULT_STATEPATH: &str = "/run/nut";
/// Default state directory: Debian's `/run/nut`, OpenBSD's package's `/var/db/nut`.
#[cfg(target_os = "openbsd")]
pub const DEFAULT_STATEPATH: &str = "/var/db/nut";
/// Default directory of PID files; NUT's `ALTPIDPATH` defaults to the state path.
pub const DEFAULT_PIDPATH: &str = DEFAULT_STATEPATH;
/// Where the installed drivers are when ups.conf has no `driverpath`: Debian's `/lib/nut`,
/// OpenBSD's package's `/usr/local/bin`.
#[cfg(not(target_os = "openbsd"))]
pub const DEFAULT_DRIVERPATH: &str = "/lib/nut";
/// Where the installed drivers are when ups.conf has no `driverpath`: Debian's `/lib/nut`,
/// OpenBSD's package's `/usr/local/bin`.
#[cfg(target_os = "openbsd")]
pub const DEFAULT_DRIVERPATH: &str = "/usr/local/bin";

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// The configuration directory: `NUT_CONFPATH`, else `/etc/nut`.
pub fn conf_path() -> PathBuf {
    conf_path_from(|k| std::env::var(k).ok())
}

/// [`conf_path`] with an explicit environment lookup.
pub fn conf_path_from(env: impl Fn(&str) -> Option<String>) -> PathBuf {
    non_empty(env("NUT_CONFPATH")).unwrap_or_else(|| DEFAULT_CONFPATH.into()).into()
}

/// The state directory: `NUT_STATEPATH`, else `/run/nut`.
///
/// A `statepath` directive in `ups.conf` or `STATEPATH` in `upsd.conf` overrides this; the
/// programs that read those files apply it.
pub fn state_path() -> PathBuf {
    state_path_from(|k| std::env::var(k).ok())
}

/// [`state_path`] with an explicit environment lookup.
pub fn state_path_from(env: impl Fn(&str) -> Option<String>) -> PathBuf {
    non_empty(env("NUT_STATEPATH")).unwrap_or_else(|| DEFAULT_STATEPATH.into()).into()
}

/// The PID file directory: `NUT_ALTPIDPATH`, else `NUT_STATEPATH`, else `/run/nut`.
pub fn pid_path() -> PathBuf {
    pid_path_from(|k| std::env::var(k).ok())
}

/// [`pid_path`] with an explicit environment lookup.
pub fn pid_path_from(env: impl Fn(&str) -> Option<String>) -> PathBuf {
    non_empty(env("NUT_ALTPIDPATH"))
        .or_else(|| non_empty(env("NUT_STATEPATH")))
        .unwrap_or_else(|| DEFAULT_PIDPATH.into())
        .into()
}

/// The Unix socket a driver serves for one UPS: `<statepath>/<driver>-<ups>`.
pub fn driver_socket(statepath: &std::path::Path, driver: &str, ups: &str) -> PathBuf {
    statepath.join(format!("{driver}-{ups}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_defaults() {
        let env = |k: &str| match k {
            "NUT_CONFPATH" => Some("/tmp/c".to_string()),
            "NUT_STATEPATH" => Some("/tmp/s".to_string()),
            _ => None,
        };
        assert_eq!(conf_path_from(env), PathBuf::from("/tmp/c"));
        assert_eq!(state_path_from(env), PathBuf::from("/tmp/s"));
        assert_eq!(pid_path_from(env), PathBuf::from("/tmp/s"));
        assert_eq!(conf_path_from(|_| None), PathBuf::from("/etc/nut"));
        assert_eq!(state_path_from(|_| Some(String::new())), PathBuf::from("/run/nut"));
    }

    #[test]
    fn socket_name_is_driver_dash_ups() {
        let p = driver_socket(std::path::Path::new("/run/nut"), "dummy-ups", "ups1");
        assert_eq!(p, PathBuf::from("/run/nut/dummy-ups-ups1"));
    }
}
