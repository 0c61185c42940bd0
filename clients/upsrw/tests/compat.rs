//! upsrw against Debian's upsrw on the same server: same exit code, same stdout, and the same
//! stderr once our extra hint lines are removed (and Debian's `Init SSL` noise). The server is
//! Debian's upsd with dummy-ups, or ours with `NUT_TEST_UPSD=ours`.

use std::path::Path;
use std::time::Duration;

use nut_testkit::stack::{Impl, Output, Stack};

const DEV: &str = "ups.status: OL CHRG\nbattery.charge: 95\ninput.voltage: 230.0\nups.delay.shutdown: 20\n";

fn stack(dir: &Path) -> Option<Stack> {
    if !nut_testkit::require_debian_nut("upsrw compat") {
        return None;
    }
    let dev = dir.join("ups1.dev");
    std::fs::write(&dev, DEV).expect("write .dev");
    let upsd =
        if std::env::var("NUT_TEST_UPSD").as_deref() == Ok("ours") { Impl::Ours } else { Impl::Debian };
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
    let deb =
        s.run(Path::new(&format!("/usr/bin/{prog}")), args, Duration::from_secs(20)).expect("run Debian's");
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
fn upsrw_matches_debian() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let ups1 = s.target("ups1");
    let o = compare(&s, "upsrw", &[&ups1]);
    assert!(o.out().contains("[ups.delay.shutdown]\n"));
    compare(&s, "upsrw", &["-l", &ups1]);
    compare(&s, "upsrw", &[&s.target("nosuch")]);
    let o = compare(&s, "upsrw", &["-s", "ups.delay.shutdown=30", "-u", "admin", "-p", "adminpw", &ups1]);
    assert!(o.err().contains("upsrw: note: "), "2.8.5's queued-only note");
    compare(&s, "upsrw", &["-s", "ups.delay.shutdown=40", "-u", "admin", "-p", "adminpw", "-w", &ups1]);
    compare(&s, "upsrw", &["-s", "no.such.var=3", "-u", "admin", "-p", "adminpw", &ups1]);
    compare(&s, "upsrw", &["-s", "ups.delay.shutdown=30", "-u", "admin", "-p", "wrong", &ups1]);
    compare(&s, "upsrw", &["-s", "ups.delay.shutdown=30", &ups1]);
    compare(&s, "upsrw", &[]);
    compare(&s, "upsrw", &["-h"]);
    compare(&s, "upsrw", &["-V"]);
    compare(&s, "upsrw", &["-z"]);
    compare(&s, "upsrw", &["-l", "ups1@"]);
    let closed = format!("ups1@127.0.0.1:{}", nut_testkit::free_port());
    compare(&s, "upsrw", &[&closed]);
}
