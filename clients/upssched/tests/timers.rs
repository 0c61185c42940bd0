//! upssched end to end: timers start, cancel and fire CMDSCRIPT in order; concurrent
//! invocations share one timer daemon; and the command sequence matches Debian's upssched.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use nut_testkit::{debian_bin, require_debian_nut, wait_until, TempDir};

const OURS: &str = env!("CARGO_BIN_EXE_upssched");

/// A configuration directory with a CMDSCRIPT that appends `cmd UPSNAME NOTIFYTYPE` lines.
struct Setup {
    dir: TempDir,
}

impl Setup {
    fn new(rules: &str) -> Setup {
        let dir = TempDir::new().expect("temp dir");
        let d = dir.path();
        let script = d.join("cmd.sh");
        std::fs::write(
            &script,
            format!("#!/bin/sh\necho \"$1 $UPSNAME $NOTIFYTYPE\" >> {}/log\n", d.display()),
        )
        .expect("write script");
        Command::new("chmod").arg("+x").arg(&script).status().expect("chmod");
        let conf = format!(
            "CMDSCRIPT {}\nPIPEFN {}/upssched.pipe\nLOCKFN {}/upssched.lock\n{rules}",
            script.display(),
            d.display(),
            d.display()
        );
        std::fs::write(d.join("upssched.conf"), conf).expect("write conf");
        Setup { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cmd(&self, prog: &str) -> Command {
        let mut c = Command::new(prog);
        c.env("NUT_CONFPATH", self.path());
        c
    }

    /// Runs one invocation as upsmon would.
    fn event(&self, prog: &str, ups: &str, ntype: &str) {
        let st = self.cmd(prog).env("UPSNAME", ups).env("NOTIFYTYPE", ntype).status().expect("run upssched");
        assert!(st.success(), "{prog} {ups} {ntype} failed: {st}");
    }

    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(self.path().join("log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// PIDs of timer daemons (ours or Debian's) working for this directory.
    fn daemons(&self) -> Vec<u32> {
        let mut pids = Vec::new();
        let want = format!("NUT_CONFPATH={}", self.path().display());
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
            let is_sched = String::from_utf8_lossy(&cmdline).contains("upssched");
            let ours = environ.split(|b| *b == 0).any(|v| v == want.as_bytes());
            if is_sched && ours && pid != std::process::id() {
                pids.push(pid);
            }
        }
        pids
    }

    fn wait_no_daemon(&self) -> bool {
        wait_until(Duration::from_secs(10), || self.daemons().is_empty())
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        // Never leave a daemon behind, even when an assertion failed.
        for pid in self.daemons() {
            // SAFETY: plain kill(2) on a PID we found working for our temp directory.
            unsafe {
                libc::kill(pid as i32, libc::SIGTERM);
            }
        }
    }
}

const RULES: &str = "AT ONBATT * START-TIMER onbatt 1\nAT ONLINE * CANCEL-TIMER onbatt online\nAT LOWBATT * EXECUTE lowbatt\n";

#[test]
fn timer_fires_after_its_delay_and_daemon_exits() {
    let s = Setup::new(RULES);
    s.event(OURS, "ups@localhost", "ONBATT");
    assert!(s.log().is_empty(), "fired too early");
    assert!(wait_until(Duration::from_secs(5), || !s.log().is_empty()));
    assert_eq!(s.log(), ["onbatt ups@localhost ONBATT"]);
    assert!(s.wait_no_daemon(), "the daemon exits when no timer remains");
    assert!(!s.path().join("upssched.pipe").exists(), "PIPEFN is removed on exit");
}

#[test]
fn cancel_before_expiry_runs_nothing_and_after_expiry_runs_the_command() {
    let s = Setup::new(RULES);
    s.event(OURS, "u", "ONBATT");
    s.event(OURS, "u", "ONLINE");
    assert!(s.wait_no_daemon());
    assert!(s.log().is_empty(), "cancelled timer fired: {:?}", s.log());
    s.event(OURS, "u", "ONLINE");
    assert_eq!(s.log(), ["online u ONLINE"], "no timer to cancel: the cancel command runs");
    s.event(OURS, "u", "LOWBATT");
    assert_eq!(s.log(), ["online u ONLINE", "lowbatt u LOWBATT"]);
}

#[test]
fn list_shows_running_timers() {
    let s = Setup::new("AT ONBATT * START-TIMER longtimer 30\nAT ONLINE * CANCEL-TIMER longtimer\n");
    s.event(OURS, "ups@localhost", "ONBATT");
    let out = s.cmd(OURS).arg("-l").output().expect("upssched -l");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("longtimer") && text.contains("ups@localhost"), "{text}");
    s.event(OURS, "ups@localhost", "ONLINE");
    assert!(s.wait_no_daemon());
    let out = s.cmd(OURS).arg("-l").output().expect("upssched -l");
    assert!(String::from_utf8_lossy(&out.stdout).contains("No timers"));
}

#[test]
fn concurrent_invocations_never_start_two_daemons() {
    let s = Setup::new("AT ONBATT * START-TIMER t 3\n");
    let mut children: Vec<_> = (0..12)
        .map(|i| {
            s.cmd(OURS)
                .env("UPSNAME", format!("u{i}"))
                .env("NOTIFYTYPE", "ONBATT")
                .spawn()
                .expect("spawn upssched")
        })
        .collect();
    for c in &mut children {
        assert!(c.wait().expect("wait").success());
    }
    assert_eq!(s.daemons().len(), 1, "exactly one timer daemon");
    let out = s.cmd(OURS).arg("-l").output().expect("upssched -l");
    let listed = String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.starts_with("t ")).count();
    assert_eq!(listed, 12, "every invocation's timer reached the one daemon");
    assert!(wait_until(Duration::from_secs(10), || s.log().len() == 12));
    assert!(s.wait_no_daemon());
}

#[test]
fn shared_and_matched_timers() {
    let s = Setup::new(
        "AT ONBATT * START-TIMER-SHARED shared 1\nAT ONBATT * START-TIMER own 30\nAT ONLINE * CANCEL-TIMER-MATCHED own\nAT ONLINE * CANCEL-TIMER gone back\n",
    );
    s.event(OURS, "a", "ONBATT");
    s.event(OURS, "b", "ONBATT");
    // b's ONLINE cancels b's own timer only; a's keeps running. (`gone` never runs, so its
    // cancel command `back` runs each time.)
    s.event(OURS, "b", "ONLINE");
    s.event(OURS, "b", "ONLINE");
    assert!(wait_until(Duration::from_secs(5), || s.log().len() == 3));
    let out = s.cmd(OURS).arg("-l").output().expect("upssched -l");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(text.lines().filter(|l| l.starts_with("own ")).count(), 1, "{text}");
    assert!(text.contains(" a "), "{text}");
    let mut log = s.log();
    log.sort();
    assert_eq!(log, ["back b ONLINE", "back b ONLINE", "shared a ONBATT"]);
    s.event(OURS, "a", "ONLINE");
    assert!(s.wait_no_daemon());
}

#[test]
fn missing_environment_is_refused_like_nut() {
    let s = Setup::new(RULES);
    let out = s.cmd(OURS).env_remove("UPSNAME").env_remove("NOTIFYTYPE").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("UPSNAME and NOTIFYTYPE must be set"));
}

/// The same event script against Debian's upssched and ours gives the same commands in the
/// same order. (UPSNAME differs by design: NUT's daemon passes its own start-up environment.)
#[test]
fn command_sequence_matches_debian_upssched() {
    if !require_debian_nut("command_sequence_matches_debian_upssched") {
        return;
    }
    // With the NUT packages present, a missing upssched is a broken install, not a reason to skip.
    let debian = debian_bin("upssched").expect("Debian's upssched is missing (apt-get install nut-client)");
    let run = |prog: &str| -> Vec<String> {
        let s = Setup::new(RULES);
        s.event(prog, "u1", "ONBATT");
        s.event(prog, "u2", "ONBATT");
        s.event(prog, "u1", "ONLINE");
        assert!(wait_until(Duration::from_secs(5), || s.log().len() == 1), "{prog}: {:?}", s.log());
        assert!(s.wait_no_daemon(), "{prog}: daemon did not exit");
        s.event(prog, "u1", "ONLINE");
        s.event(prog, "u1", "LOWBATT");
        s.log().iter().map(|l| l.split(' ').next().unwrap_or("").to_string()).collect()
    };
    let theirs = run(debian.to_str().unwrap_or_default());
    let ours = run(OURS);
    assert_eq!(theirs, ["onbatt", "online", "lowbatt"]);
    assert_eq!(ours, theirs);
}
