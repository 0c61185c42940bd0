//! upsc against Debian's upsc on the same server: same exit code, same stdout, and the same
//! stderr once our extra hint lines are removed (and Debian's `Init SSL` noise). The server is
//! Debian's upsd with dummy-ups, or ours with `NUT_TEST_UPSD=ours`.

use std::path::Path;
use std::time::Duration;

use nut_testkit::compat::{self, compare_with_debian};
use nut_testkit::stack::Stack;

fn stack(dir: &Path) -> Option<Stack> {
    compat::client_stack(dir, "upsc compat")
}

#[test]
fn upsc_matches_debian() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let ups1 = s.target("ups1");
    let host = format!("127.0.0.1:{}", s.port());
    let o = compare_with_debian(&s, "upsc", &[&ups1]);
    assert!(o.out().contains("ups.status: OL CHRG\n"));
    compare_with_debian(&s, "upsc", &[&ups1, "ups.status"]);
    compare_with_debian(&s, "upsc", &[&ups1, "battery.charge", "extra"]);
    compare_with_debian(&s, "upsc", &[&s.target("nosuch")]);
    compare_with_debian(&s, "upsc", &[&ups1, "no.such.var"]);
    compare_with_debian(&s, "upsc", &[&ups1, "oldstyle"]);
    compare_with_debian(&s, "upsc", &["-l", &host]);
    compare_with_debian(&s, "upsc", &["-L", &host]);
    compare_with_debian(&s, "upsc", &["-lL", &host]);
    compare_with_debian(&s, "upsc", &["-c", &ups1]);
    compare_with_debian(&s, "upsc", &["-c"]);
    compare_with_debian(&s, "upsc", &[]);
    compare_with_debian(&s, "upsc", &["-h"]);
    compare_with_debian(&s, "upsc", &["-z"]);
    compare_with_debian(&s, "upsc", &["ups1@"]);
    compare_with_debian(&s, "upsc", &["ups1@host:"]);
    compare_with_debian(&s, "upsc", &["ups1@[::1"]);
    compare_with_debian(&s, "upsc", &[""]);
    compare_with_debian(&s, "upsc", &["-l", "[::1"]);
    compare_with_debian(&s, "upsc", &[&ups1, "-l"]);
    compare_with_debian(&s, "upsc", &["ups1@nonexistent.invalid"]);
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
    let o = compare_with_debian(&s, "upsc", &[&ups2]);
    assert!(o.err().contains("upsc: hint: "), "hint line after NUT's error: {}", o.err());
    // A port where nothing listens: connection refused, with the hint to check upsd.
    let closed = format!("ups1@127.0.0.1:{}", nut_testkit::free_port());
    let o = compare_with_debian(&s, "upsc", &[&closed]);
    assert!(o.err().contains("Connection refused"));
    assert!(o.err().contains("is upsd running?"));
}

#[test]
fn upsc_json() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let o =
        s.run(&nut_testkit::bin("upsc"), &["-j", &s.target("ups1")], Duration::from_secs(10)).expect("run");
    assert_eq!(o.code, 0);
    assert!(o.out().starts_with("{\n  \""), "{}", o.out());
    assert!(o.out().contains("  \"ups.status\": \"OL CHRG\""), "{}", o.out());
    let o = s.run(
        &nut_testkit::bin("upsc"),
        &["-j", "-l", &format!("127.0.0.1:{}", s.port())],
        Duration::from_secs(10),
    );
    assert_eq!(o.expect("run").out(), "[\"ups1\", \"ups2\"]\n");
    let o =
        s.run(&nut_testkit::bin("upsc"), &["-j", &s.target("nosuch")], Duration::from_secs(10)).expect("run");
    assert_eq!(o.code, 1);
    assert_eq!(o.out(), "{\"error\": \"Unknown UPS\"}\n");
}
