//! upslog started as root with `-u nobody`: it opens its log file as root, drops to the user
//! (checked in /proc/<pid>/status) and keeps logging; it warns, with the fix, when that user
//! could not reopen the file on SIGHUP (log rotation). Needs root; skipped with a notice
//! otherwise.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::stack::{Impl, Stack};
use nut_testkit::{wait_until, Proc};

const USER: &str = "nobody";

#[test]
fn drops_to_its_user_and_keeps_logging() {
    if nut_daemon::privs::euid() != 0 {
        nut_testkit::skip(
            "drops_to_its_user_and_keeps_logging",
            "needs root to switch users",
            nut_testkit::Prereq::Root,
        );
        return;
    }
    let Ok(acct) = nut_daemon::privs::lookup(USER) else {
        nut_testkit::skip(
            "drops_to_its_user_and_keeps_logging",
            &format!("no user {USER:?}"),
            nut_testkit::Prereq::NobodyUser,
        );
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let dev = tmp.path().join("ups1.dev");
    std::fs::write(&dev, "ups.status: OL\nbattery.charge: 95\n").expect("write .dev");
    let s = Stack::builder().dummy("ups1", &dev, Impl::Ours).upsd(Impl::Ours).start().expect("stack");

    // A log file in a root-only directory: opened as root, then written as the user.
    let log = tmp.path().join("ups.log");
    let mut cmd = Command::new(nut_testkit::bin("upslog"));
    cmd.args(["-s", &s.target("ups1"), "-l", &log.display().to_string(), "-i", "1", "-F", "-u", USER])
        .args(["-f", "%VAR ups.status% %VAR battery.charge%"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut p = Proc::spawn(cmd);
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    // Two lines: at least one was written after the drop.
    assert!(
        wait_until(Duration::from_secs(15), || read().matches("OL 95\n").count() >= 2),
        "log lines: {:?}",
        read()
    );
    let want = (format!("{0} {0} {0} {0}", acct.uid), format!("{0} {0} {0} {0}", acct.gid));
    assert_eq!(nut_testkit::proc_ids(p.pid()), want, "upslog runs as {USER}");
    p.signal(libc::SIGTERM);
    assert!(p.terminate(Duration::from_secs(10)).is_some(), "upslog exits on SIGTERM");
    let mut err = String::new();
    if let Some(mut e) = p.child_mut().stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    assert!(
        err.contains(&format!("can't reopen {} on SIGHUP", log.display()))
            && err.contains(&format!("chown {USER} {}", log.display())),
        "stderr: {err}"
    );
}
