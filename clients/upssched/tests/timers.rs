//! upssched end to end: timers start, cancel and fire CMDSCRIPT in order; concurrent
//! invocations share one timer daemon; CMDSCRIPT's environment (UPSNAME, NOTIFYTYPE,
//! NOTIFYMSG) and `-l` follow NUT 2.8.5; and where 2.8.0 and 2.8.5 agree, the commands match
//! Debian's upssched 2.8.0.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use nut_testkit::{debian_bin, require_debian_nut, wait_until, TempDir};

const OURS: &str = env!("CARGO_BIN_EXE_upssched");

/// A configuration directory with a CMDSCRIPT that appends `cmd UPSNAME NOTIFYTYPE` lines to
/// `log` and `cmd|UPSNAME|NOTIFYTYPE|NOTIFYMSG` lines (`-` for an unset variable) to `env`.
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
            format!(
                "#!/bin/sh\necho \"$1 $UPSNAME $NOTIFYTYPE\" >> {d}/log\n\
                 echo \"$1|${{UPSNAME--}}|${{NOTIFYTYPE--}}|${{NOTIFYMSG--}}\" >> {d}/env\n",
                d = d.display()
            ),
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

    /// Runs one invocation as upsmon would, without a message.
    fn event(&self, prog: &str, ups: &str, ntype: &str) {
        let st = self.cmd(prog).env("UPSNAME", ups).env("NOTIFYTYPE", ntype).status().expect("run upssched");
        assert!(st.success(), "{prog} {ups} {ntype} failed: {st}");
    }

    /// Runs one invocation as upsmon does: the message is the argument.
    fn notify(&self, prog: &str, ups: &str, ntype: &str, msg: &str) {
        let st = self
            .cmd(prog)
            .arg(msg)
            .env("UPSNAME", ups)
            .env("NOTIFYTYPE", ntype)
            .status()
            .expect("run upssched");
        assert!(st.success(), "{prog} {ups} {ntype} failed: {st}");
    }

    fn envlog(&self) -> Vec<String> {
        std::fs::read_to_string(self.path().join("env"))
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// `upssched -l`: exit status and the lines split at tabs.
    fn list(&self) -> (bool, Vec<Vec<String>>, String) {
        let out = self.cmd(OURS).arg("-l").output().expect("upssched -l");
        let rows = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect();
        (out.status.success(), rows, String::from_utf8_lossy(&out.stderr).into_owned())
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
fn list_shows_running_timers_like_nut_2_8_5() {
    // upssched(8) 2.8.5: NAME, TIMEOUT_ABS, TIMEOUT_REL, NOTIFYTYPE, UPSNAME, NOTIFYMSG,
    // tab-separated; an error when no timer daemon runs.
    let s = Setup::new("AT ONBATT * START-TIMER longtimer 30\nAT ONLINE * CANCEL-TIMER longtimer\n");
    s.notify(OURS, "ups@localhost", "ONBATT", "UPS ups@localhost on battery");
    let (ok, rows, err) = s.list();
    assert!(ok, "{err}");
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(r.len(), 6, "{r:?}");
    assert_eq!((r[0].as_str(), r[3].as_str(), r[4].as_str()), ("longtimer", "ONBATT", "ups@localhost"));
    assert_eq!(r[5], "UPS ups@localhost on battery");
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let abs: u64 = r[1].parse().expect("TIMEOUT_ABS is a Unix time");
    let rel: u64 = r[2].parse().expect("TIMEOUT_REL is whole seconds");
    assert!((25..=30).contains(&rel), "{r:?}");
    assert!(abs.abs_diff(now + rel) <= 2, "{abs} vs {now} + {rel}");
    s.event(OURS, "ups@localhost", "ONLINE");
    assert!(s.wait_no_daemon());
    let (ok, rows, err) = s.list();
    assert!(!ok && rows.is_empty());
    assert!(err.contains("upssched timer is not running"), "{err}");
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
    let listed = s.list().1.iter().filter(|r| r[0] == "t").count();
    assert_eq!(listed, 12, "every invocation's timer reached the one daemon");
    assert!(wait_until(Duration::from_secs(10), || s.log().len() == 12));
    assert!(s.wait_no_daemon());
}

#[test]
fn cmdscript_gets_notifymsg_upsname_and_notifytype() {
    // upssched(8) 2.8.5: the message upsmon passes as the argument reaches CMDSCRIPT as
    // NOTIFYMSG, "immediately or after a timer expires"; the timer's command gets the
    // UPSNAME and NOTIFYTYPE of the event that started it.
    let s = Setup::new(
        "AT ONBATT * START-TIMER later 1\nAT ONBATT * EXECUTE now\nAT ONLINE * CANCEL-TIMER gone back\n",
    );
    s.notify(OURS, "ups1@host", "ONBATT", "UPS ups1@host on battery");
    assert!(wait_until(Duration::from_secs(5), || s.envlog().len() == 2), "{:?}", s.envlog());
    s.event(OURS, "ups2@host", "ONLINE");
    assert_eq!(
        s.envlog(),
        [
            "now|ups1@host|ONBATT|UPS ups1@host on battery",
            "later|ups1@host|ONBATT|UPS ups1@host on battery",
            "back|ups2@host|ONLINE|-",
        ]
    );
    assert!(s.wait_no_daemon());
}

#[test]
fn cancel_timer_cancels_every_timer_of_that_name() {
    // NEWS 2.8.5: "The CANCEL-TIMER action no longer stops at first hit for the timer name".
    // Debian's 2.8.0 cancels the oldest only, and the second timer fires.
    let rules = "AT ONBATT * START-TIMER onbatt 4\nAT ONLINE * CANCEL-TIMER onbatt online\n";
    let run = |prog: &str| {
        let s = Setup::new(rules);
        s.event(prog, "u1", "ONBATT");
        s.event(prog, "u2", "ONBATT");
        s.event(prog, "u1", "ONLINE");
        assert!(s.wait_no_daemon(), "{prog}: the daemon did not exit");
        s.log()
    };
    assert_eq!(run(OURS), Vec::<String>::new(), "a timer survived the cancel");
    // The same with Debian's 2.8.0, to show the difference is the version's.
    if require_debian_nut("cancel_timer_cancels_every_timer_of_that_name (Debian's 2.8.0 part)") {
        let debian =
            debian_bin("upssched").expect("Debian's upssched is missing (apt-get install nut-client)");
        let theirs = run(debian.to_str().unwrap_or_default());
        assert_eq!(theirs.len(), 1, "Debian's 2.8.0 cancels one of the two: {theirs:?}");
    }
}

#[test]
fn shared_and_matched_timers() {
    let s = Setup::new(
        "AT ONBATT * START-TIMER-SHARED shared 1\nAT ONBATT * START-TIMER own 30\nAT ONLINE * CANCEL-TIMER-MATCHED own mine\nAT ONLINE * CANCEL-TIMER gone back\n",
    );
    s.notify(OURS, "a", "ONBATT", "a on battery");
    s.notify(OURS, "b", "ONBATT", "b on battery");
    // b's ONLINE cancels b's own timer only; a's keeps running. The second time nothing of
    // b's is left, so `mine` runs; `gone` never runs, so `back` runs each time.
    s.event(OURS, "b", "ONLINE");
    s.event(OURS, "b", "ONLINE");
    assert!(wait_until(Duration::from_secs(5), || s.log().len() == 4), "{:?}", s.log());
    let own: Vec<Vec<String>> = s.list().1.into_iter().filter(|r| r[0] == "own").collect();
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0][4], "a");
    let mut env = s.envlog();
    env.sort();
    // The shared timer reports both UPSes and both messages (NUT 2.8.5's separators).
    assert_eq!(
        env,
        [
            "back|b|ONLINE|-",
            "back|b|ONLINE|-",
            "mine|b|ONLINE|-",
            "shared|a,b|ONBATT|a on battery.\tb on battery",
        ]
    );
    s.event(OURS, "a", "ONLINE");
    assert!(s.wait_no_daemon());
}

#[test]
fn debug_min_in_upssched_conf_raises_the_level() {
    // upssched.conf(5) 2.8.5: DEBUG_MIN; with debugging upssched says what it executes.
    let quiet = Setup::new("AT LOWBATT * EXECUTE lowbatt\n");
    let out = quiet.cmd(OURS).env("UPSNAME", "u").env("NOTIFYTYPE", "LOWBATT").output().expect("run");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Executing command"));
    let loud = Setup::new("DEBUG_MIN 1\nAT LOWBATT * EXECUTE lowbatt\n");
    let out = loud.cmd(OURS).env("UPSNAME", "u").env("NOTIFYTYPE", "LOWBATT").output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Executing command: lowbatt"), "{err}");
}

#[test]
fn missing_environment_is_refused_like_nut() {
    let s = Setup::new(RULES);
    let out = s.cmd(OURS).env_remove("UPSNAME").env_remove("NOTIFYTYPE").output().expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("UPSNAME and NOTIFYTYPE must be set"));
}

/// Where 2.8.0 and 2.8.5 agree, Debian's upssched and ours run the same commands in the same
/// order, with the same UPSNAME and NOTIFYTYPE: a timer that fires, one that is cancelled, a
/// cancel with nothing to cancel, EXECUTE.
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
        s.event(prog, "u1", "ONLINE");
        assert!(s.wait_no_daemon(), "{prog}: daemon did not exit");
        s.event(prog, "u2", "ONBATT");
        assert!(wait_until(Duration::from_secs(5), || s.log().len() == 1), "{prog}: {:?}", s.log());
        assert!(s.wait_no_daemon(), "{prog}: daemon did not exit");
        s.event(prog, "u1", "ONLINE");
        s.event(prog, "u1", "LOWBATT");
        s.log()
    };
    let theirs = run(debian.to_str().unwrap_or_default());
    let ours = run(OURS);
    assert_eq!(theirs[0].split(' ').next(), Some("onbatt"), "{theirs:?}");
    assert_eq!(theirs[1..], ["online u1 ONLINE", "lowbatt u1 LOWBATT"]);
    // NUT 2.8.0's timer daemon passes the environment of the invocation that started it,
    // which here is the one that started the timer too.
    assert_eq!(ours, theirs);
}
