//! upscmd against Debian's upscmd on the same server: same exit code, same stdout, and the same
//! stderr once our extra hint lines are removed (and Debian's `Init SSL` noise). The server is
//! Debian's upsd with dummy-ups, or ours with `NUT_TEST_UPSD=ours`.

use std::path::Path;

use nut_testkit::compat::{self, compare_with_debian};
use nut_testkit::stack::Stack;

fn stack(dir: &Path) -> Option<Stack> {
    compat::client_stack(dir, "upscmd compat")
}

#[test]
fn upscmd_matches_debian() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let ups1 = s.target("ups1");
    let o = compare_with_debian(&s, "upscmd", &["-l", &ups1]);
    assert!(o.out().starts_with("Instant commands supported on UPS [ups1]:\n\n"));
    compare_with_debian(&s, "upscmd", &["-l", &s.target("nosuch")]);
    let o = compare_with_debian(&s, "upscmd", &["-u", "admin", "-p", "adminpw", &ups1, "load.off"]);
    assert!(o.err().contains("upscmd: note: "), "2.8.5's queued-only note");
    compare_with_debian(&s, "upscmd", &["-u", "admin", "-p", "adminpw", &ups1, "no.such.cmd"]);
    compare_with_debian(&s, "upscmd", &["-u", "admin", "-p", "wrong", &ups1, "load.off"]);
    compare_with_debian(&s, "upscmd", &["-u", "admin", "-p", "adminpw", &s.target("nosuch"), "load.off"]);
    compare_with_debian(&s, "upscmd", &["-u", "admin", "-p", "adminpw", "-w", "-t", "5", &ups1, "load.off"]);
    compare_with_debian(&s, "upscmd", &["-u", "admin", "-p", "adminpw", "-t", "abc", &ups1, "load.off"]);
    // No -u: NUT prompts on stdout and fails on the closed stdin.
    compare_with_debian(&s, "upscmd", &[&ups1, "load.off"]);
    compare_with_debian(&s, "upscmd", &["-u", "admin", &ups1, "load.off"]);
    compare_with_debian(&s, "upscmd", &[]);
    compare_with_debian(&s, "upscmd", &["-h"]);
    compare_with_debian(&s, "upscmd", &["-V"]);
    compare_with_debian(&s, "upscmd", &["-z"]);
    compare_with_debian(&s, "upscmd", &["-u"]);
    compare_with_debian(&s, "upscmd", &[&ups1]);
    compare_with_debian(&s, "upscmd", &["-l", "ups1@"]);
    let closed = format!("ups1@127.0.0.1:{}", nut_testkit::free_port());
    compare_with_debian(&s, "upscmd", &["-u", "admin", "-p", "adminpw", &closed, "load.off"]);
}
