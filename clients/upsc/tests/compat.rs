//! upsc against Debian's upsc on the same server: same exit code, same stdout, and the same
//! stderr once our extra hint lines are removed (and Debian's `Init SSL` noise). The server is
//! Debian's upsd with dummy-ups, or ours with `NUT_TEST_UPSD=ours`.

use std::path::Path;
use std::time::Duration;

use nut_testkit::stack::{Impl, Output, Stack};

const DEV: &str = "ups.status: OL CHRG\nbattery.charge: 95\ninput.voltage: 230.0\nups.delay.shutdown: 20\n";

fn stack(dir: &Path) -> Option<Stack> {
    if !nut_testkit::require_debian_nut("upsc compat") {
        return None;
    }
    let dev = dir.join("ups1.dev");
    std::fs::write(&dev, DEV).expect("write .dev");
    let upsd = if std::env::var("NUT_TEST_UPSD").as_deref() == Ok("ours") { Impl::Ours } else { Impl::Debian };
    let s = Stack::builder()
        .dummy("ups1", &dev, Impl::Debian)
        .desc("Test UPS one")
        .dummy("ups2", &dev, Impl::Debian)
        .upsd(upsd)
        .start()
        .expect("start the NUT stack");
    Some(s)
}

/// Our stderr without our additions, Debian's without its SSL noise.
fn clean(o: &Output, ours: bool, prog: &str) -> String {
    o.err()
        .lines()
        .filter(|l| {
            if ours {
                !l.starts_with(&format!("{prog}: hint: ")) && !l.starts_with(&format!("{prog}: note: "))
            } else {
                !l.starts_with("Init SSL without certificate database")
            }
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

fn compare(s: &Stack, prog: &str, args: &[&str]) -> Output {
    let deb = s.run(Path::new(&format!("/usr/bin/{prog}")), args, Duration::from_secs(20)).expect("run Debian's");
    let ours = s.run(&nut_testkit::bin(prog), args, Duration::from_secs(20)).expect("run ours");
    assert_eq!(ours.code, deb.code, "{prog} {args:?}: exit code");
    assert_eq!(ours.out(), deb.out(), "{prog} {args:?}: stdout");
    let (de, oe) = (clean(&deb, false, prog), clean(&ours, true, prog));
    // glibc names the program by its path in flag errors; the paths differ.
    let oe = oe.replace(&nut_testkit::bin(prog).display().to_string(), &format!("/usr/bin/{prog}"));
    assert_eq!(oe, de, "{prog} {args:?}: stderr");
    assert!(!ours.err().contains("Init SSL"), "no SSL noise");
    ours
}

#[test]
fn upsc_matches_debian() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let ups1 = s.target("ups1");
    let host = format!("127.0.0.1:{}", s.port());
    let o = compare(&s, "upsc", &[&ups1]);
    assert!(o.out().contains("ups.status: OL CHRG\n"));
    compare(&s, "upsc", &[&ups1, "ups.status"]);
    compare(&s, "upsc", &[&ups1, "battery.charge", "extra"]);
    compare(&s, "upsc", &[&s.target("nosuch")]);
    compare(&s, "upsc", &[&ups1, "no.such.var"]);
    compare(&s, "upsc", &[&ups1, "oldstyle"]);
    compare(&s, "upsc", &["-l", &host]);
    compare(&s, "upsc", &["-L", &host]);
    compare(&s, "upsc", &["-lL", &host]);
    compare(&s, "upsc", &["-c", &ups1]);
    compare(&s, "upsc", &["-c"]);
    compare(&s, "upsc", &[]);
    compare(&s, "upsc", &["-h"]);
    compare(&s, "upsc", &["-z"]);
    compare(&s, "upsc", &["ups1@"]);
    compare(&s, "upsc", &["ups1@host:"]);
    compare(&s, "upsc", &["ups1@[::1"]);
    compare(&s, "upsc", &[""]);
    compare(&s, "upsc", &["-l", "[::1"]);
    compare(&s, "upsc", &[&ups1, "-l"]);
    compare(&s, "upsc", &["ups1@nonexistent.invalid"]);
}

#[test]
fn upsc_errors_when_driver_gone_or_server_down() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(mut s) = stack(tmp.path()) else { return };
    let ups2 = s.target("ups2");
    assert!(s.kill_driver("ups2"));
    // upsd notices the closed socket on its next poll; wait for the error to appear.
    let ok = nut_testkit::wait_until(Duration::from_secs(10), || {
        let o = s.run(&nut_testkit::bin("upsc"), &[&ups2], Duration::from_secs(5)).expect("run");
        o.err().contains("Driver not connected") || o.err().contains("Data stale")
    });
    assert!(ok, "upsc reports the missing driver");
    let o = compare(&s, "upsc", &[&ups2]);
    assert!(o.err().contains("upsc: hint: "), "hint line after NUT's error: {}", o.err());
    // A port where nothing listens: connection refused, with the hint to check upsd.
    let closed = format!("ups1@127.0.0.1:{}", nut_testkit::free_port());
    let o = compare(&s, "upsc", &[&closed]);
    assert!(o.err().contains("Connection refused"));
    assert!(o.err().contains("is upsd running?"));
}

#[test]
fn upsc_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let o = s.run(&nut_testkit::bin("upsc"), &["-j", &s.target("ups1")], Duration::from_secs(10)).expect("run");
    assert_eq!(o.code, 0);
    assert!(o.out().starts_with("{\n  \""), "{}", o.out());
    assert!(o.out().contains("  \"ups.status\": \"OL CHRG\""), "{}", o.out());
    let o = s.run(&nut_testkit::bin("upsc"), &["-j", "-l", &format!("127.0.0.1:{}", s.port())], Duration::from_secs(10));
    assert_eq!(o.expect("run").out(), "[\"ups1\", \"ups2\"]\n");
    let o = s.run(&nut_testkit::bin("upsc"), &["-j", &s.target("nosuch")], Duration::from_secs(10)).expect("run");
    assert_eq!(o.code, 1);
    assert_eq!(o.out(), "{\"error\": \"Unknown UPS\"}\n");
}
