//! Comparing one of our client programs with Debian's on the same server: the same exit
//! code, the same stdout, and the same stderr once our additions (`<prog>: hint: ...` and
//! `<prog>: note: ...` lines) and Debian's `Init SSL` noise are removed.
//!
//! The server is Debian's upsd with Debian's dummy-ups, or our upsd with
//! `NUT_TEST_UPSD=ours`, so the same tests check our clients and our server.

use std::path::Path;
use std::time::Duration;

use crate::stack::{Impl, Output, Stack};

/// The `.dev` file behind both UPSes of [`client_stack`]: a status, a battery charge, a
/// voltage and a writable `ups.delay.shutdown` for upsrw.
pub const CLIENT_DEV: &str =
    "ups.status: OL CHRG\nbattery.charge: 95\ninput.voltage: 230.0\nups.delay.shutdown: 20\n";

/// The upsd the compatibility tests talk to: ours when `NUT_TEST_UPSD=ours`, else Debian's.
pub fn upsd_under_test() -> Impl {
    if std::env::var("NUT_TEST_UPSD").as_deref() == Ok("ours") {
        Impl::Ours
    } else {
        Impl::Debian
    }
}

/// A stack for the client compatibility tests: `ups1` (desc `Test UPS one`) and `ups2`, both
/// Debian's dummy-ups reading [`CLIENT_DEV`] from `dir`, behind [`upsd_under_test`]. `None`,
/// after a printed notice, when Debian's NUT is not installed (see
/// [`crate::require_debian_nut`]); `test` names the test in that notice.
pub fn client_stack(dir: &Path, test: &str) -> Option<Stack> {
    if !crate::require_debian_nut(test) {
        return None;
    }
    let dev = dir.join("ups1.dev");
    std::fs::write(&dev, CLIENT_DEV).expect("write .dev");
    let s = Stack::builder()
        .dummy("ups1", &dev, Impl::Debian)
        .desc("Test UPS one")
        .dummy("ups2", &dev, Impl::Debian)
        .upsd(upsd_under_test())
        .start()
        .expect("start the NUT stack");
    Some(s)
}

/// The stderr of a run with our additions removed (`ours`), or Debian's `Init SSL` noise.
pub fn clean_stderr(o: &Output, ours: bool, prog: &str) -> String {
    let (hint, note) = (format!("{prog}: hint: "), format!("{prog}: note: "));
    o.err()
        .lines()
        .filter(|l| {
            if ours {
                !l.starts_with(&hint) && !l.starts_with(&note)
            } else {
                !l.starts_with("Init SSL without certificate database")
            }
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Run Debian's `/usr/bin/<prog>` and ours with `args` against the stack and assert the same
/// exit code, stdout and cleaned stderr. Returns our output for further checks.
pub fn compare_with_debian(s: &Stack, prog: &str, args: &[&str]) -> Output {
    let deb =
        s.run(Path::new(&format!("/usr/bin/{prog}")), args, Duration::from_secs(20)).expect("run Debian's");
    let ours = s.run(&crate::bin(prog), args, Duration::from_secs(20)).expect("run ours");
    assert_eq!(ours.code, deb.code, "{prog} {args:?}: exit code");
    assert_eq!(ours.out(), deb.out(), "{prog} {args:?}: stdout");
    let (de, oe) = (clean_stderr(&deb, false, prog), clean_stderr(&ours, true, prog));
    // glibc names the program by its path in flag errors; the paths differ.
    let oe = oe.replace(&crate::bin(prog).display().to_string(), &format!("/usr/bin/{prog}"));
    assert_eq!(oe, de, "{prog} {args:?}: stderr");
    assert!(!ours.err().contains("Init SSL"), "no SSL noise");
    ours
}
