//! What the upsdrvctl tests share: a private NUT directory (ups.conf, state and PID files),
//! running upsdrvctl (ours or Debian's) in it, fake drivers written as shell scripts, and
//! NUT's output normalised for comparison.

#![allow(dead_code, clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

pub use nut_testkit::stack::Output;
use nut_testkit::{bin, wait_until};

/// Environment variables that change upsdrvctl's behaviour: cleared for every run, so the
/// caller's environment cannot leak into a test.
const NUT_VARS: &[&str] = &[
    "NUT_DEBUG_LEVEL",
    "NUT_QUIET_INIT_BANNER",
    "NUT_IGNORE_NOWAIT",
    "NUT_IGNORE_CHECKPROCNAME",
    "NUT_DEBUG_PID",
    "NUT_DEBUG_SYSLOG",
    "RUST_LOG",
];

/// A temporary NUT directory: NUT_CONFPATH = NUT_STATEPATH = NUT_ALTPIDPATH.
pub struct Nut {
    pub dir: tempfile::TempDir,
}

impl Nut {
    /// A directory with this ups.conf.
    pub fn new(ups_conf: &str) -> Nut {
        let dir = tempfile::Builder::new().prefix("upsdrvctl-").tempdir().unwrap();
        std::fs::write(dir.path().join("ups.conf"), ups_conf).unwrap();
        Nut { dir }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Write a file in the directory.
    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).unwrap();
    }

    /// Replace ups.conf.
    pub fn set_ups_conf(&self, text: &str) {
        self.write("ups.conf", text);
    }

    /// A command for `prog` with this directory's environment.
    pub fn command(&self, prog: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(prog);
        for v in NUT_VARS {
            c.env_remove(v);
        }
        c.env("NUT_CONFPATH", self.path())
            .env("NUT_STATEPATH", self.path())
            .env("NUT_ALTPIDPATH", self.path())
            .current_dir(self.path())
            .args(args);
        c
    }

    /// Run `prog` to completion (at most 60 s), with extra environment variables.
    pub fn run_env(&self, prog: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = self.command(prog, args);
        for (k, v) in env {
            c.env(k, v);
        }
        nut_testkit::stack::run_with_timeout(c, Duration::from_secs(60)).unwrap()
    }

    /// Run our upsdrvctl.
    pub fn ours(&self, args: &[&str]) -> Output {
        self.run_env(&bin("upsdrvctl"), args, &[])
    }

    /// Run Debian's upsdrvctl.
    pub fn debian(&self, args: &[&str]) -> Output {
        self.run_env(Path::new(DEBIAN_UPSDRVCTL), args, &[])
    }

    /// Write an executable shell script `bin/<name>` (a fake driver) and return its directory.
    pub fn fake_driver(&self, name: &str, body: &str) -> PathBuf {
        let d = self.path().join("bin");
        std::fs::create_dir_all(&d).unwrap();
        let p = d.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        d
    }

    /// A fake driver `slowdrv` that appends `started <pid>` to `slow.log`, then waits for the
    /// file `go` before exiting 0 (as a driver that has gone to the background); its output
    /// goes nowhere. Returns its directory (for `driverpath`).
    pub fn waiting_driver(&self) -> PathBuf {
        self.fake_driver(
            "slowdrv",
            "exec >/dev/null 2>&1\necho \"started $$\" >> \"$NUT_STATEPATH/slow.log\"\n\
             while [ ! -f \"$NUT_STATEPATH/go\" ]; do sleep 0.05; done\nexit 0",
        )
    }

    /// Lines of a file in the directory (empty when missing).
    pub fn lines(&self, name: &str) -> Vec<String> {
        std::fs::read_to_string(self.path().join(name))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// Wait until a file in the directory has at least `n` lines.
    pub fn wait_lines(&self, name: &str, n: usize) -> Vec<String> {
        assert!(
            wait_until(Duration::from_secs(20), || self.lines(name).len() >= n),
            "{name} never reached {n} lines: {:?}",
            self.lines(name)
        );
        self.lines(name)
    }
}

/// Debian's upsdrvctl.
pub const DEBIAN_UPSDRVCTL: &str = "/usr/sbin/upsdrvctl";

/// True when Debian's upsdrvctl is there (else a visible skip, or a failure under CI).
pub fn have_debian(test: &str) -> bool {
    nut_testkit::require_debian_nut(test) && Path::new(DEBIAN_UPSDRVCTL).exists()
}

/// A fake driver's body: it records its PID and arguments in `<ups>.log` (the UPS name is
/// the argument after `-a`), records the signals HUP, URG and USR1 it receives there, exits
/// 128+USR1 on USR1 when `exit_on_usr1`, and otherwise runs until killed.
pub fn recording_driver(exit_on_usr1: bool) -> String {
    let usr1 = if exit_on_usr1 { "echo USR1 >> \"$log\"; exit 138" } else { "echo USR1 >> \"$log\"" };
    format!(
        "ups=\nwhile [ $# -gt 0 ]; do [ \"$1\" = -a ] && ups=$2; shift; done\n\
         log=\"$NUT_STATEPATH/$ups.log\"\n\
         trap 'echo HUP >> \"$log\"' HUP\n\
         trap 'echo URG >> \"$log\"' URG\n\
         trap '{usr1}' USR1\n\
         echo \"started $$\" >> \"$log\"\n\
         while :; do sleep 0.05; done"
    )
}

/// Drop NUT's elapsed-time prefix of debug output (`   0.000123\t`).
pub fn strip_elapsed(text: &str) -> String {
    text.lines()
        .map(|l| {
            let t = l.trim_start();
            match t.split_once('\t') {
                Some((num, rest))
                    if num.contains('.') && num.chars().all(|c| c.is_ascii_digit() || c == '.') =>
                {
                    rest.to_string()
                }
                _ => l.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The parent PID of a process (from /proc), or None when it is gone.
pub fn ppid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let mut f = rest.split_whitespace();
    let state = f.next()?;
    if state == "Z" {
        return None;
    }
    f.next()?.parse().ok()
}

/// True while a process exists and is not a zombie.
pub fn alive(pid: u32) -> bool {
    ppid(pid).is_some()
}

/// Kills a process by PID when dropped (for drivers a test started through upsdrvctl).
pub struct KillOnDrop(pub Vec<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for &pid in &self.0 {
            if alive(pid) {
                // SAFETY: kill(2) takes plain integers.
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
        }
    }
}

/// The PID written in a PID file, if any.
pub fn pid_in(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}
