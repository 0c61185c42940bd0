//! upsdrvctl and the drivers' accounts: `-u` (and `user =` in ups.conf) reach the driver, which
//! drops to that user after opening its device (checked in /proc/<pid>/status) with its socket
//! owned by the user; `-t` names the account and refuses a state path it could not write,
//! with the fix. The tests that switch users need root and are skipped with a notice otherwise.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use nut_testkit::{bin, wait_until};

const USER: &str = "nobody";

fn need_root(test: &str) -> Option<nut_daemon::privs::Account> {
    if nut_daemon::privs::euid() != 0 {
        nut_testkit::skip(test, "needs root to switch users", nut_testkit::Prereq::Root);
        return None;
    }
    let a = nut_daemon::privs::lookup(USER).ok();
    if a.is_none() {
        nut_testkit::skip(test, &format!("no user {USER:?}"), nut_testkit::Prereq::NobodyUser);
    }
    a
}

/// A configuration directory that is also the state path, open to `gid` as NUT lays it out.
fn setup(gid: u32, ups_conf_extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    std::fs::write(d.join("ups1.dev"), "ups.status: OL\n").unwrap();
    std::fs::write(
        d.join("ups.conf"),
        format!("{ups_conf_extra}[ups1]\n driver = dummy-ups\n port = {}\n", d.join("ups1.dev").display()),
    )
    .unwrap();
    for f in ["ups.conf", "ups1.dev"] {
        std::os::unix::fs::chown(d.join(f), Some(0), Some(gid)).unwrap();
        std::fs::set_permissions(d.join(f), std::fs::Permissions::from_mode(0o640)).unwrap();
    }
    std::os::unix::fs::chown(d, Some(0), Some(gid)).unwrap();
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o770)).unwrap();
    dir
}

fn upsdrvctl(d: &Path, args: &[&str]) -> Output {
    Command::new(bin("upsdrvctl"))
        .args(args)
        .env("NUT_CONFPATH", d)
        .env("NUT_STATEPATH", d)
        .env("NUT_ALTPIDPATH", d)
        .output()
        .expect("run upsdrvctl")
}

/// Kills the driver named in a PID file when dropped.
struct DriverGuard(std::path::PathBuf);

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if let Ok(pid) = nut_daemon::pidfile::read(&self.0) {
            // SAFETY: kill(2) takes plain integers.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
    }
}

fn start_and_check(d: &Path, args: &[&str], acct: &nut_daemon::privs::Account) {
    let pidfile = d.join("dummy-ups-ups1.pid");
    let _guard = DriverGuard(pidfile.clone());
    let out = upsdrvctl(d, args);
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(wait_until(Duration::from_secs(10), || nut_daemon::pidfile::read(&pidfile).is_ok()), "PID file");
    let pid = nut_daemon::pidfile::read(&pidfile).expect("pid");
    let want = (format!("{0} {0} {0} {0}", acct.uid), format!("{0} {0} {0} {0}", acct.gid));
    assert_eq!(nut_testkit::proc_ids(pid as u32), want, "driver runs as {USER}");
    let sock = std::fs::metadata(d.join("dummy-ups-ups1")).expect("socket");
    assert_eq!((sock.uid(), sock.mode() & 0o777), (acct.uid, 0o660));
    let out = upsdrvctl(d, &["stop"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        wait_until(Duration::from_secs(10), || !pidfile.exists()),
        "driver stopped and removed its PID file"
    );
}

#[test]
fn u_flag_and_user_setting_reach_the_driver() {
    let Some(acct) = need_root("u_flag_and_user_setting_reach_the_driver") else { return };
    let dir = setup(acct.gid, "");
    start_and_check(dir.path(), &["-u", USER, "start"], &acct);
    let dir = setup(acct.gid, &format!("user = {USER}\n"));
    start_and_check(dir.path(), &["start"], &acct);
}

#[test]
fn testing_mode_names_the_account_and_checks_the_state_path() {
    let Some(acct) = need_root("testing_mode_names_the_account_and_checks_the_state_path") else { return };
    let dir = setup(acct.gid, "");
    let d = dir.path();
    let out = upsdrvctl(d, &["-t", "-u", USER, "start"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&format!("Driver for [ups1] runs as user {USER}")), "{text}");
    // A state path the user can't write: the fix is named and -t fails.
    std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o750)).unwrap();
    let out = upsdrvctl(d, &["-t", "-u", USER, "start"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    let group = nut_daemon::privs::group_name(acct.gid);
    assert!(text.contains(&format!("chown root:{group} {0} && chmod 0770 {0}", d.display())), "{text}");
    // The driver itself refuses to start the same way, before creating anything.
    let out = upsdrvctl(d, &["-u", USER, "start"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("not starting: it would run as user nobody"), "{err}");
    assert!(!d.join("dummy-ups-ups1").exists());
}
