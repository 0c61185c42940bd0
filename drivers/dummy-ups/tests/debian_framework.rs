//! Framework behaviour that Debian's NUT 2.8.0 drivers already have, compared with them
//! through Debian's upsd and `upsc`: `ignorelb` (the device's LB dropped, LB from
//! `battery.charge.low` / `battery.runtime.low`, refusal to start without them), the
//! `driver.flag.*` of `nolock` and `ignorelb`, and `-k` on a driver that can't shut down.
//!
//! The variables NUT 2.8.1+ adds to every driver (`driver.state`, `driver.debug`,
//! `driver.flag.allow_killpower`) and the version lines are left out of the comparison.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::{require_debian_nut, stack::program, Impl, Stack, UpsSpec};

const T: Duration = Duration::from_secs(30);

/// `upsc` output of a one-UPS stack: Debian's upsd, `driver` serving `dev` with `extra`
/// section lines.
fn upsc(driver: Impl, dev: &str, extra: &[&str]) -> String {
    let mut spec = UpsSpec::dummy_ups("u", "a.dev", driver);
    spec.extra = extra.iter().map(|s| s.to_string()).collect();
    let s = Stack::builder().file("a.dev", dev.as_bytes()).ups(spec).upsd(Impl::Debian).start().unwrap();
    let out = s.run(Path::new("/usr/bin/upsc"), &[&s.target("u")], T).unwrap();
    assert_eq!(out.code, 0, "{}", out.err());
    out.out()
        .lines()
        .filter(|l| {
            !["driver.state:", "driver.debug:", "driver.flag.allow_killpower:", "driver.version"]
                .iter()
                .any(|p| l.starts_with(p))
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

fn same(dev: &str, extra: &[&str]) -> String {
    let theirs = upsc(Impl::Debian, dev, extra);
    let ours = upsc(Impl::Ours, dev, extra);
    assert_eq!(ours, theirs, "upsc differs for {extra:?} / {dev:?}");
    ours
}

#[test]
fn ignorelb_and_nolock_as_debian() {
    if !require_debian_nut("ignorelb comparison") {
        return;
    }
    // The device says LB at 80 %: dropped; the flags are published.
    let out =
        same("ups.status: OB LB\nbattery.charge: 80\nbattery.charge.low: 20\n", &["ignorelb", "nolock"]);
    assert!(out.contains("ups.status: OB\n"), "{out}");
    assert!(out.contains("driver.flag.ignorelb: enabled\n") && out.contains("driver.flag.nolock: enabled\n"));
    // Below battery.charge.low the framework raises LB itself (from the values known when the
    // status line is read: a limit that comes later in the file is not seen, in both).
    let out = same("battery.charge: 10\nbattery.charge.low: 20\nups.status: OB\n", &["ignorelb"]);
    assert!(out.contains("ups.status: OB LB\n"), "{out}");
    let out = same("ups.status: OB\nbattery.charge: 10\nbattery.charge.low: 20\n", &["ignorelb"]);
    assert!(out.contains("ups.status: OB\n"), "{out}");
    // Runtime below its limit.
    let out = same(
        "battery.charge: 90\nbattery.runtime: 60\nbattery.runtime.low: 120\nups.status: OB\n",
        &["ignorelb"],
    );
    assert!(out.contains("ups.status: OB LB\n"), "{out}");
    // Without ignorelb the device decides.
    let out = same("ups.status: OB LB\nbattery.charge: 80\nbattery.charge.low: 20\n", &[]);
    assert!(out.contains("ups.status: OB LB\n"), "{out}");
}

/// Run `driver` directly on a ups.conf with section `[u]`, return (exit code, output).
fn run_direct(driver: Impl, conf: &str, dev: &str, args: &[&str]) -> (Option<i32>, String) {
    let dir = nut_testkit::TempDir::new().unwrap();
    std::fs::write(dir.path().join("ups.conf"), conf).unwrap();
    std::fs::write(dir.path().join("a.dev"), dev).unwrap();
    let mut cmd = Command::new(program(driver, "dummy-ups"));
    for k in ["NUT_CONFPATH", "NUT_STATEPATH", "NUT_ALTPIDPATH"] {
        cmd.env(k, dir.path());
    }
    cmd.args(["-a", "u", "-u", "root"]).args(args).stdin(Stdio::null());
    let out = nut_testkit::stack::run_with_timeout(cmd, T).unwrap();
    (Some(out.code), format!("{}{}", out.out(), out.err()))
}

#[test]
fn ignorelb_without_limits_refuses_to_start_as_debian() {
    if !require_debian_nut("ignorelb start-up check") {
        return;
    }
    let conf = "[u]\n driver = dummy-ups\n port = a.dev\n ignorelb\n";
    for which in [Impl::Debian, Impl::Ours] {
        let (code, out) = run_direct(which, conf, "ups.status: OL\nbattery.charge: 80\n", &["-F"]);
        assert_eq!(code, Some(1), "{which:?}: {out}");
        assert!(
            out.contains(
                "The 'ignorelb' flag is set, but there is no way to determine the\nbattery state of charge."
            ),
            "{which:?}: {out}"
        );
    }
}

#[test]
fn dash_k_on_dummy_ups_fails_as_debian() {
    if !require_debian_nut("-k comparison") {
        return;
    }
    let conf = "[u]\n driver = dummy-ups\n port = a.dev\n";
    for which in [Impl::Debian, Impl::Ours] {
        let (code, out) = run_direct(which, conf, "ups.status: OL\n", &["-k"]);
        assert_eq!(code, Some(1), "{which:?}: {out}");
        assert!(out.contains("shutdown not supported"), "{which:?}: {out}");
    }
}
