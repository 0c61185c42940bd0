//! upsrw against Debian's upsrw on the same server: same exit code, same stdout, and the same
//! stderr once our extra hint lines are removed (and Debian's `Init SSL` noise). The server is
//! Debian's upsd with dummy-ups, or ours with `NUT_TEST_UPSD=ours`.

use std::path::Path;
use std::time::{Duration, Instant};

use nut_testkit::compat::{self, compare_with_debian, compare_with_debian_flags, Blackhole};
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

/// NUT 2.8.5's `-D` and `-W` (Debian's 2.8.0 has neither): against a server that answers they
/// change nothing but the debug lines on stderr; `-W 1` gives up on a silent port after a
/// second with libupsclient's warning and error.
#[test]
fn upsrw_debug_and_connect_timeout_flags() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let ups1 = s.target("ups1");
    let o = compare_with_debian_flags(&s, "upsrw", &["-D"], &[&ups1]);
    let e = o.err();
    let start = e.lines().find(|l| l.ends_with("[D1] Starting NUT client: upsrw")).expect("debug line");
    assert!(compat::debug_prefix_len(start).is_some(), "NUT's elapsed-time prefix: {start:?}");
    assert!(e.contains("sec assigned from: default_secs"), "{e}");
    let o = compare_with_debian_flags(
        &s,
        "upsrw",
        &["-DD", "-W", "5"],
        &["-s", "ups.delay.shutdown=30", "-u", "admin", "-p", "adminpw", &ups1],
    );
    assert!(o.err().contains("[D1] upscli_init_default_connect_timeout: upscli_default_connect_timeout=5.000000 sec assigned from: cli_secs"), "{}", o.err());
    compare_with_debian_flags(&s, "upsrw", &["-W", "0"], &[&ups1]);
    compare_with_debian_flags(&s, "upsrw", &["-D", "-W", "2.5"], &[&s.target("nosuch")]);
    let o = s.run(&nut_testkit::bin("upsrw"), &["-W", "soon", "-h"], Duration::from_secs(10)).expect("run");
    assert_eq!(o.err(), "");
    let o = s.run(&nut_testkit::bin("upsrw"), &["-W", "soon", &ups1], Duration::from_secs(10)).expect("run");
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
            "upsrw -W",
            "this kernel answers connects to a full listen queue",
            nut_testkit::Prereq::Machine,
        );
        return;
    };
    let silent = format!("ups1@127.0.0.1:{}", bh.port);
    let t0 = Instant::now();
    let o = s
        .run(
            &nut_testkit::bin("upsrw"),
            &["-W", "1", "-u", "admin", "-p", "x", &silent, "load.off"],
            Duration::from_secs(30),
        )
        .expect("run");
    let took = t0.elapsed();
    assert_eq!(o.code, 1);
    let err: String =
        o.err().lines().filter(|l| !l.starts_with("upsrw: hint: ")).map(|l| format!("{l}\n")).collect();
    assert_eq!(err, "upscli_tryconnect: Connection to host timed out: '127.0.0.1'\nError: Connection failure: Connection timed out\n");
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(9), "-W 1 took {took:?}");
}
