//! upscmd against Debian's upscmd on the same server: same exit code, same stdout, and the same
//! stderr once our extra hint lines are removed (and Debian's `Init SSL` noise). The server is
//! Debian's upsd with dummy-ups, or ours with `NUT_TEST_UPSD=ours`.

use std::path::Path;
use std::time::{Duration, Instant};

use nut_testkit::compat::{self, compare_with_debian, compare_with_debian_flags, Blackhole};
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

/// NUT 2.8.5's `-D` and `-W` (Debian's 2.8.0 has neither): against a server that answers they
/// change nothing but the debug lines on stderr; `-W 1` gives up on a silent port after a
/// second with libupsclient's warning and error.
#[test]
fn upscmd_debug_and_connect_timeout_flags() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let ups1 = s.target("ups1");
    let o = compare_with_debian_flags(&s, "upscmd", &["-D"], &["-l", &ups1]);
    let e = o.err();
    let start = e.lines().find(|l| l.ends_with("[D1] Starting NUT client: upscmd")).expect("debug line");
    assert!(compat::debug_prefix_len(start).is_some(), "NUT's elapsed-time prefix: {start:?}");
    assert!(e.contains("sec assigned from: default_secs"), "{e}");
    let o = compare_with_debian_flags(
        &s,
        "upscmd",
        &["-DD", "-W", "5"],
        &["-u", "admin", "-p", "adminpw", &ups1, "load.off"],
    );
    assert!(o.err().contains("[D1] upscli_init_default_connect_timeout: upscli_default_connect_timeout=5.000000 sec assigned from: cli_secs"), "{}", o.err());
    compare_with_debian_flags(&s, "upscmd", &["-W", "0"], &["-l", &ups1]);
    compare_with_debian_flags(&s, "upscmd", &["-D", "-W", "2.5"], &[&s.target("nosuch")]);
    let o = s.run(&nut_testkit::bin("upscmd"), &["-W", "soon", "-h"], Duration::from_secs(10)).expect("run");
    assert_eq!(o.err(), "");
    let o = s
        .run(&nut_testkit::bin("upscmd"), &["-W", "soon", "-l", &ups1], Duration::from_secs(10))
        .expect("run");
    assert_eq!(o.code, 0);
    assert!(
        o.err().starts_with(
            "upscli_init_default_connect_timeout: cli_secs='soon' value was not recognized, ignored\n"
        ),
        "{}",
        o.err()
    );
    let Some(bh) = Blackhole::new() else {
        nut_testkit::skip(
            "upscmd -W",
            "this kernel answers connects to a full listen queue",
            nut_testkit::Prereq::Machine,
        );
        return;
    };
    let silent = format!("ups1@127.0.0.1:{}", bh.port);
    let t0 = Instant::now();
    let o = s
        .run(
            &nut_testkit::bin("upscmd"),
            &["-W", "1", "-u", "admin", "-p", "x", &silent, "load.off"],
            Duration::from_secs(30),
        )
        .expect("run");
    let took = t0.elapsed();
    assert_eq!(o.code, 1);
    let err: String =
        o.err().lines().filter(|l| !l.starts_with("upscmd: hint: ")).map(|l| format!("{l}\n")).collect();
    assert_eq!(err, "upscli_tryconnect: Connection to host timed out: '127.0.0.1'\nError: Connection failure: Connection timed out\n");
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(9), "-W 1 took {took:?}");
}
