//! upsmon's command line without a power event: the test notification, the config check
//! against upsd.users, `-K`, and privilege separation with `-c stop`.

use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::{wait_until, Proc, TempDir};

const OURS: &str = env!("CARGO_BIN_EXE_upsmon");

fn setup(monitor: &str, users: &str) -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    let d = dir.path();
    std::fs::write(
        d.join("upsmon.conf"),
        format!(
            "{monitor}\nNOTIFYCMD {d}/notify.sh\nNOTIFYFLAG ONBATT SYSLOG+EXEC\nNOTIFYMSG ONBATT \"power lost on %s\"\n\
             SHUTDOWNCMD \"touch {d}/marker\"\nPOWERDOWNFLAG {d}/killpower\n",
            d = d.display()
        ),
    )
    .expect("upsmon.conf");
    std::fs::write(d.join("upsd.users"), users).expect("upsd.users");
    std::fs::write(
        d.join("notify.sh"),
        format!("#!/bin/sh\necho \"$NOTIFYTYPE|$UPSNAME|$1\" >> {}/notify.log\n", d.display()),
    )
    .expect("notify.sh");
    for (f, mode) in [("notify.sh", "700"), ("upsmon.conf", "600"), ("upsd.users", "600")] {
        Command::new("chmod").arg(mode).arg(d.join(f)).status().expect("chmod");
    }
    dir
}

fn upsmon(dir: &TempDir, args: &[&str]) -> std::process::Output {
    Command::new(OURS)
        .args(args)
        .env("NUT_CONFPATH", dir.path())
        .env("NUT_ALTPIDPATH", dir.path())
        .env("NUT_STATEPATH", dir.path())
        .output()
        .expect("run upsmon")
}

#[test]
fn test_notification_goes_through_notifycmd_with_env_and_message() {
    let dir = setup("MONITOR eaton@localhost:1 1 upsmon secret primary", "");
    let out = upsmon(&dir, &["-c", "test-notify"]);
    assert!(out.status.success(), "{out:?}");
    let log = std::fs::read_to_string(dir.path().join("notify.log")).unwrap_or_default();
    assert_eq!(log.trim(), "ONBATT|eaton@localhost:1|power lost on eaton@localhost:1");
    let out = upsmon(&dir, &["-c", "test-notify", "NOSUCH"]);
    assert!(!out.status.success());
}

#[test]
fn check_config_names_the_missing_upsmon_role_with_file_and_line() {
    let dir = setup("MONITOR eaton@localhost:1 1 upsmon secret primary", "[upsmon]\n password = secret\n");
    let out = upsmon(&dir, &["--check-config"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(text.contains("upsmon.conf:1: error: MONITOR eaton@localhost:1: user [upsmon]"), "{text}");
    assert!(text.contains("no `upsmon` setting"), "{text}");
    // Nothing listens on port 1: the address is flagged too.
    assert!(text.contains("cannot connect to upsd at"), "{text}");
}

#[test]
fn dash_k_reports_the_powerdown_flag() {
    let dir = setup("MONITOR eaton@localhost:1 1 upsmon secret primary", "");
    assert_eq!(upsmon(&dir, &["-K"]).status.code(), Some(1));
    std::fs::write(dir.path().join("killpower"), "upsmon-shutdown-file\n").expect("flag");
    assert_eq!(upsmon(&dir, &["-K"]).status.code(), Some(0));
}

#[test]
fn privileged_parent_follows_the_monitor_out_on_stop() {
    if !nut_testkit::require("privileged_parent_follows_the_monitor_out_on_stop", nut_testkit::Prereq::Root) {
        return;
    }
    let dir = setup("MONITOR eaton@localhost:1 1 upsmon secret primary", "");
    let mut c = Command::new(OURS);
    c.args(["-F", "-u", "root"])
        .env("NUT_CONFPATH", dir.path())
        .env("NUT_ALTPIDPATH", dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut parent = Proc::spawn(c);
    let pidfile = dir.path().join("upsmon.pid");
    assert!(wait_until(Duration::from_secs(10), || pidfile.exists()));
    let child: u32 = std::fs::read_to_string(&pidfile).unwrap_or_default().trim().parse().unwrap_or(0);
    assert!(
        child != 0 && child != parent.pid(),
        "the PID file names the unprivileged monitor, not the parent"
    );
    assert!(upsmon(&dir, &["-c", "stop"]).status.success());
    assert!(
        wait_until(Duration::from_secs(10), || !parent.is_running()),
        "the root parent exits with the monitor"
    );
    let gone = || {
        let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
        stat.is_empty() || stat.split(") ").nth(1).is_some_and(|r| r.starts_with('Z'))
    };
    assert!(wait_until(Duration::from_secs(5), gone), "the monitor exited");
}

#[test]
fn check_config_checks_monitoring_only_lines_too_since_they_log_in() {
    let users = "[upsmon]\n password = secret\n upsmon secondary\n";
    let dir = setup("MONITOR eaton@localhost:1 0 upsmon wrong secondary\nMINSUPPLIES 0", users);
    let text = String::from_utf8_lossy(&upsmon(&dir, &["--check-config"]).stdout).to_string();
    assert!(
        text.contains(
            "upsmon.conf:1: error: MONITOR eaton@localhost:1: the password for user [upsmon] differs"
        ),
        "{text}"
    );
    // With LOGIN_MONITOR_ONLY off the line never logs in: nothing to compare.
    let dir = setup(
        "MONITOR eaton@localhost:1 0 upsmon wrong secondary\nMINSUPPLIES 0\nLOGIN_MONITOR_ONLY off",
        users,
    );
    let text = String::from_utf8_lossy(&upsmon(&dir, &["--check-config"]).stdout).to_string();
    assert!(!text.contains("password for user"), "{text}");
}

#[test]
fn a_host_wide_test_notification_names_no_ups() {
    let dir =
        setup("MONITOR eaton@localhost:1 1 upsmon secret primary\nNOTIFYFLAG SUSPEND_FINISHED EXEC", "");
    let out = upsmon(&dir, &["-c", "test-notify", "SUSPEND_FINISHED"]);
    assert!(out.status.success(), "{out:?}");
    let log = std::fs::read_to_string(dir.path().join("notify.log")).unwrap_or_default();
    assert_eq!(
        log.trim(),
        "SUSPEND_FINISHED||OS just finished sleep/suspend/hibernate mode, de-activating obsolete UPS readings to avoid an unfortunate shutdown"
    );
}
