//! Pure decisions: the UPS table with each UPS's effective settings, the driver command
//! lines, whether to fork and wait for a driver, the shutdown order, and the paths where
//! drivers put their sockets and PID files.

use std::path::{Path, PathBuf};

use nut_conf::ups_conf::UpsConf;

use crate::cli::{Foreground, Opts};

/// One UPS as upsdrvctl uses it, with the ups.conf defaults applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ups {
    /// Section name.
    pub name: String,
    /// Driver program name.
    pub driver: String,
    /// `port` (its base name is a legacy PID file name).
    pub port: String,
    /// `sdorder` (default 0; negative: never in `shutdown` of all).
    pub sdorder: i32,
    /// Seconds to wait for the driver to go to the background; 0 waits for ever (NUT's
    /// `alarm(0)`).
    pub maxstartdelay: u32,
    /// Attempts to start the driver.
    pub maxretry: u32,
    /// Seconds between attempts.
    pub retrydelay: u32,
}

/// The UPS table in ups.conf order.
pub fn table(conf: &UpsConf) -> Vec<Ups> {
    conf.sections
        .iter()
        .map(|s| Ups {
            name: s.name.clone(),
            driver: s.driver.clone(),
            port: s.port.clone(),
            sdorder: s.sdorder.unwrap_or(0),
            maxstartdelay: conf.maxstartdelay(s),
            maxretry: conf.maxretry(s),
            retrydelay: conf.retrydelay(s),
        })
        .collect()
}

/// The order `shutdown` (of every UPS) takes: all the 0s, then the 1s, ... in file order
/// within one value; negative `sdorder` values are left out.
pub fn shutdown_order(upses: &[Ups]) -> Vec<&Ups> {
    let mut v: Vec<&Ups> = upses.iter().filter(|u| u.sdorder >= 0).collect();
    v.sort_by_key(|u| u.sdorder); // stable: file order within one value
    v
}

/// `nowait` in force: the global flag, unless `NUT_IGNORE_NOWAIT` is exactly `true` (then the
/// second value says so, for NUT's note).
pub fn nowait(conf_nowait: bool, ignore_env: Option<&str>) -> (bool, bool) {
    if !conf_nowait {
        return (false, false);
    }
    if ignore_env == Some("true") {
        (false, true)
    } else {
        (true, false)
    }
}

/// How a driver process is launched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Launch {
    /// `-F` with a single UPS: upsdrvctl becomes the driver (no fork).
    Exec,
    /// Fork and go on without waiting; the reason is NUT's debug line.
    ForkNoWait(NoWait),
    /// Fork and wait up to `maxstartdelay` for the driver to go to the background.
    ForkWait,
}

/// Why upsdrvctl does not wait for a driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoWait {
    /// `nowait` in ups.conf.
    Nowait,
    /// `-F` with several UPSes: the drivers stay attached.
    Foreground,
    /// `-D -d` without `-B`: the driver stays in the foreground to debug.
    Debugging,
}

/// NUT's `forkexec` choice. `upscount` is the number of UPSes this run handles (1 with a UPS
/// name), `debug` the debug level in force.
pub fn launch(fg: Foreground, upscount: usize, debug: u8, pass_debug: bool, nowait: bool) -> Launch {
    if fg.is_foreground() && upscount == 1 {
        return Launch::Exec;
    }
    if nowait {
        return Launch::ForkNoWait(NoWait::Nowait);
    }
    if fg.is_foreground() {
        return Launch::ForkNoWait(NoWait::Foreground);
    }
    if fg != Foreground::Background && debug > 0 && pass_debug {
        return Launch::ForkNoWait(NoWait::Debugging);
    }
    Launch::ForkWait
}

/// The warning NUT prints before starting every UPS of a multi-UPS ups.conf in the
/// foreground or debug mode (the drivers are not waited for).
pub fn start_all_warning(fg: Foreground, upses: usize, debug: u8, pass_debug: bool) -> Option<String> {
    if upses < 2 {
        return None;
    }
    if fg.is_foreground() {
        return Some(
            "Starting \"all\" drivers but requested the foreground mode! This request will not wait for \
             driver(s) to complete their initialization, but upsdrvctl tool will stay foregrounded."
                .into(),
        );
    }
    if fg != Foreground::Background && debug > 0 && pass_debug {
        return Some(
            "Starting \"all\" drivers but requested the debug mode without backgrounding! This request \
             will not wait for driver(s) to complete their initialization."
                .into(),
        );
    }
    None
}

/// The command line that starts a driver: `<path> [-D...] [-B|-F|-FF] -a <ups> [-r <dir>]
/// [-u <user>]`, in NUT's order. `debug` is the level in force (passed with `-d`).
pub fn start_argv(path: &Path, ups: &str, opts: &Opts, debug: u8) -> Vec<String> {
    let mut v = vec![path.display().to_string()];
    if opts.pass_debug && debug > 0 {
        // NUT caps the flag at its buffer size (SMALLBUF, 512 bytes with the dash and NUL).
        v.push(format!("-{}", "D".repeat(usize::from(debug).min(510))));
    }
    if let Some(f) = opts.fg.driver_flag() {
        v.push(f.into());
    }
    v.push("-a".into());
    v.push(ups.into());
    push_root_user(&mut v, opts);
    v
}

/// The command line of `shutdown`: `<path> -a <ups> -k [-r <dir>] [-u <user>]`.
pub fn shutdown_argv(path: &Path, ups: &str, opts: &Opts) -> Vec<String> {
    let mut v = vec![path.display().to_string(), "-a".into(), ups.into(), "-k".into()];
    push_root_user(&mut v, opts);
    v
}

fn push_root_user(v: &mut Vec<String>, opts: &Opts) {
    if let Some(r) = &opts.chroot {
        v.push("-r".into());
        v.push(r.clone());
    }
    if let Some(u) = &opts.user {
        v.push("-u".into());
        v.push(u.clone());
    }
}

/// The directories searched for driver binaries, in order: `driverpath` from ups.conf, else
/// the directory of this program, then the installed drivers' directory (`/lib/nut` as
/// Debian's; `/usr/local/bin` on OpenBSD).
pub fn driver_dirs(conf: &UpsConf, self_exe: Option<&Path>) -> Vec<PathBuf> {
    if let Some(p) = &conf.globals.driverpath {
        return vec![PathBuf::from(p)];
    }
    let mut v = Vec::new();
    if let Some(dir) = self_exe.and_then(Path::parent) {
        v.push(dir.to_path_buf());
    }
    v.push(PathBuf::from(nut_core::paths::DEFAULT_DRIVERPATH));
    v
}

/// Where the drivers put their sockets: `NUT_STATEPATH`, else `statepath` from ups.conf, else
/// the default.
pub fn state_path(conf: &UpsConf, env: impl Fn(&str) -> Option<String>) -> PathBuf {
    non_empty(env("NUT_STATEPATH"))
        .or_else(|| conf.globals.statepath.clone())
        .map(PathBuf::from)
        .unwrap_or_else(|| nut_core::paths::DEFAULT_STATEPATH.into())
}

/// Where the drivers put their PID files: `NUT_ALTPIDPATH`, else the state path.
pub fn pid_path(conf: &UpsConf, env: impl Fn(&str) -> Option<String> + Copy) -> PathBuf {
    non_empty(env("NUT_ALTPIDPATH")).map(PathBuf::from).unwrap_or_else(|| state_path(conf, env))
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.is_empty())
}

/// The PID files NUT looks for, in order: `<driver>-<ups>.pid`, then the legacy
/// `<driver>-<base name of port>.pid`.
pub fn pid_files(pidpath: &Path, ups: &Ups) -> (PathBuf, PathBuf) {
    let base = ups.port.rsplit('/').next().unwrap_or(&ups.port);
    (
        pidpath.join(format!("{}-{}.pid", ups.driver, ups.name)),
        pidpath.join(format!("{}-{base}.pid", ups.driver)),
    )
}

/// C's `strtol(text, NULL, 10)` as NUT's `parsepid` reads a PID file line.
pub fn parse_pid(text: &str) -> i64 {
    nut_core::num::atoi(text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn conf(text: &str) -> UpsConf {
        nut_conf::ups_conf::parse(text, "ups.conf").unwrap().0
    }

    #[test]
    fn table_applies_nut_defaults_and_overrides() {
        let c = conf(
            "maxretry = 3\nretrydelay = 2\n[a]\n driver = d\n port = /dev/ttyS0\n[b]\n driver = d\n port = x\n \
             maxstartdelay = 10\n maxretry = 1\n sdorder = 2\n",
        );
        let t = table(&c);
        assert_eq!((t[0].maxstartdelay, t[0].maxretry, t[0].retrydelay, t[0].sdorder), (75, 3, 2, 0));
        assert_eq!((t[1].maxstartdelay, t[1].maxretry, t[1].retrydelay, t[1].sdorder), (10, 1, 2, 2));
        let d = table(&conf("[a]\n driver = d\n port = p\n"));
        // NUT 2.8.5's built-in defaults (upsdrvctl(8)): maxstartdelay=75, maxretry=1, retrydelay=5.
        assert_eq!((d[0].maxstartdelay, d[0].maxretry, d[0].retrydelay), (75, 1, 5));
    }

    #[test]
    fn shutdown_order_is_by_sdorder_then_file_order() {
        let c = conf(
            "[a]\n driver=d\n port=p\n sdorder=1\n[b]\n driver=d\n port=p\n[c]\n driver=d\n port=p\n sdorder=-1\n\
             [e]\n driver=d\n port=p\n sdorder=1\n[f]\n driver=d\n port=p\n sdorder=0\n",
        );
        let t = table(&c);
        let names: Vec<&str> = shutdown_order(&t).iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["b", "f", "a", "e"]);
    }

    #[test]
    fn nowait_and_its_override() {
        assert_eq!(nowait(false, Some("true")), (false, false));
        assert_eq!(nowait(true, None), (true, false));
        assert_eq!(nowait(true, Some("true")), (false, true));
        // Only the exact word `true` overrides, as in NUT.
        assert_eq!(nowait(true, Some("yes")), (true, false));
    }

    #[test]
    fn launch_follows_nut_forkexec() {
        use Foreground as F;
        assert_eq!(launch(F::Foreground, 1, 0, false, true), Launch::Exec);
        assert_eq!(launch(F::ForegroundWithPid, 1, 0, false, false), Launch::Exec);
        assert_eq!(launch(F::ForegroundWithPid, 2, 0, false, false), Launch::ForkNoWait(NoWait::Foreground));
        assert_eq!(launch(F::Default, 2, 0, false, true), Launch::ForkNoWait(NoWait::Nowait));
        assert_eq!(launch(F::Default, 1, 1, true, false), Launch::ForkNoWait(NoWait::Debugging));
        assert_eq!(launch(F::Background, 1, 1, true, false), Launch::ForkWait);
        assert_eq!(launch(F::Default, 1, 1, false, false), Launch::ForkWait);
        assert_eq!(launch(F::Default, 3, 0, false, false), Launch::ForkWait);
    }

    #[test]
    fn argv_in_nut_order() {
        let o = Opts {
            user: Some("root".into()),
            chroot: Some("/x".into()),
            pass_debug: true,
            fg: Foreground::ForegroundWithPid,
            ..Opts::default()
        };
        assert_eq!(
            start_argv(Path::new("/lib/nut/dummy-ups"), "a", &o, 2),
            ["/lib/nut/dummy-ups", "-DD", "-FF", "-a", "a", "-r", "/x", "-u", "root"]
        );
        let plain = Opts::default();
        assert_eq!(start_argv(Path::new("/d"), "a", &plain, 3), ["/d", "-a", "a"]);
        assert_eq!(
            shutdown_argv(Path::new("/d"), "b", &o),
            ["/d", "-a", "b", "-k", "-r", "/x", "-u", "root"]
        );
        let b = Opts { fg: Foreground::Background, ..Opts::default() };
        assert_eq!(start_argv(Path::new("/d"), "a", &b, 0), ["/d", "-B", "-a", "a"]);
    }

    #[test]
    fn paths_follow_env_then_conf() {
        let c = conf("statepath = /st\n");
        let none = |_: &str| None;
        assert_eq!(state_path(&c, none), PathBuf::from("/st"));
        assert_eq!(pid_path(&c, none), PathBuf::from("/st"));
        let env = |k: &str| match k {
            "NUT_STATEPATH" => Some("/env".to_string()),
            _ => None,
        };
        assert_eq!(state_path(&c, env), PathBuf::from("/env"));
        let alt = |k: &str| (k == "NUT_ALTPIDPATH").then(|| "/pid".to_string());
        assert_eq!(pid_path(&c, alt), PathBuf::from("/pid"));
        assert_eq!(state_path(&UpsConf::default(), none), PathBuf::from("/run/nut"));
    }

    #[test]
    fn pid_file_names_and_parsing() {
        let u = Ups {
            name: "a".into(),
            driver: "dummy-ups".into(),
            port: "/dev/ttyUSB0".into(),
            sdorder: 0,
            maxstartdelay: 75,
            maxretry: 1,
            retrydelay: 5,
        };
        let (p1, p2) = pid_files(Path::new("/run/nut"), &u);
        assert_eq!(p1, PathBuf::from("/run/nut/dummy-ups-a.pid"));
        assert_eq!(p2, PathBuf::from("/run/nut/dummy-ups-ttyUSB0.pid"));
        assert_eq!(parse_pid("1234\n"), 1234);
        assert_eq!(parse_pid("garbage"), 0);
    }

    #[test]
    fn start_all_warning_only_for_several_upses() {
        assert!(start_all_warning(Foreground::Foreground, 1, 0, false).is_none());
        assert!(start_all_warning(Foreground::Foreground, 2, 0, false)
            .unwrap()
            .contains("stay foregrounded"));
        assert!(start_all_warning(Foreground::Default, 2, 1, true)
            .unwrap()
            .contains("without backgrounding"));
        assert!(start_all_warning(Foreground::Background, 2, 1, true).is_none());
    }
}
