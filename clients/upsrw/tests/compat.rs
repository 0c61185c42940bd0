//! upsrw against Debian's upsrw on the same server: same exit code, same stdout, and the same
//! stderr once our extra hint lines are removed (and Debian's `Init SSL` noise). The server is
//! Debian's upsd with dummy-ups, or ours with `NUT_TEST_UPSD=ours`.

use std::path::Path;

use nut_testkit::compat::{self, compare_with_debian};
use nut_testkit::stack::Stack;

fn stack(dir: &Path) -> Option<Stack> {
    compat::client_stack(dir, "upsrw compat")
}

#[test]
fn upsrw_matches_debian() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let ups1 = s.target("ups1");
    let o = compare_with_debian(&s, "upsrw", &[&ups1]);
    assert!(o.out().contains("[ups.delay.shutdown]\n"));
    compare_with_debian(&s, "upsrw", &["-l", &ups1]);
    compare_with_debian(&s, "upsrw", &[&s.target("nosuch")]);
    let o = compare_with_debian(
        &s,
        "upsrw",
        &["-s", "ups.delay.shutdown=30", "-u", "admin", "-p", "adminpw", &ups1],
    );
    assert!(o.err().contains("upsrw: note: "), "2.8.5's queued-only note");
    compare_with_debian(
        &s,
        "upsrw",
        &["-s", "ups.delay.shutdown=40", "-u", "admin", "-p", "adminpw", "-w", &ups1],
    );
    compare_with_debian(&s, "upsrw", &["-s", "no.such.var=3", "-u", "admin", "-p", "adminpw", &ups1]);
    compare_with_debian(&s, "upsrw", &["-s", "ups.delay.shutdown=30", "-u", "admin", "-p", "wrong", &ups1]);
    compare_with_debian(&s, "upsrw", &["-s", "ups.delay.shutdown=30", &ups1]);
    compare_with_debian(&s, "upsrw", &[]);
    compare_with_debian(&s, "upsrw", &["-h"]);
    compare_with_debian(&s, "upsrw", &["-V"]);
    compare_with_debian(&s, "upsrw", &["-z"]);
    compare_with_debian(&s, "upsrw", &["-l", "ups1@"]);
    let closed = format!("ups1@127.0.0.1:{}", nut_testkit::free_port());
    compare_with_debian(&s, "upsrw", &[&closed]);
}
