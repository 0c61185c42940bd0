//! Our dummy-ups on a .dev file in a temporary state path, driven over its socket: DUMPALL,
//! SET and INSTCMD with TRACKING, re-reading the file when it changes, and a clean SIGTERM exit.

#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::Duration;

use nut_testkit::{bin, wait_until, Proc, TempDir};

fn read_until(r: &mut BufReader<UnixStream>, end: &str) -> String {
    let mut out = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return out;
        }
        out.push_str(&line);
        if line.starts_with(end) {
            return out;
        }
    }
}

#[test]
fn serves_dev_file_over_socket() {
    let dir = TempDir::new().expect("tempdir");
    let dev = dir.path().join("ups.dev");
    std::fs::write(&dev, "# test\nbattery.charge: 100\nups.status: OL\nups.firmware: V1 ID=2\n").unwrap();
    std::fs::write(
        dir.path().join("ups.conf"),
        format!("[u1]\n driver = dummy-ups\n port = {}\n pollinterval = 1\n", dev.display()),
    )
    .unwrap();
    let mut cmd = Command::new(bin("dummy-ups"));
    cmd.args(["-a", "u1", "-u", "root", "-FF", "-q"])
        .env("NUT_CONFPATH", dir.path())
        .env("NUT_STATEPATH", dir.path())
        .env("NUT_ALTPIDPATH", dir.path());
    let mut p = Proc::spawn(cmd);
    let sock = dir.path().join("dummy-ups-u1");
    let pid = dir.path().join("dummy-ups-u1.pid");
    assert!(
        wait_until(Duration::from_secs(10), || sock.exists() && pid.exists()),
        "socket and PID file appear"
    );

    let s = UnixStream::connect(&sock).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    w.write_all(b"DUMPALL\n").unwrap();
    let dump = read_until(&mut r, "DUMPDONE");
    assert!(dump.starts_with("SETINFO battery.charge \"100\"\nSETFLAGS battery.charge RW\n"), "{dump}");
    assert!(dump.contains("SETINFO ups.firmware \"V1 ID = 2\"\nSETAUX ups.firmware 16\n"), "{dump}");
    assert!(dump.contains("SETINFO driver.name \"dummy-ups\"\n"), "{dump}");
    assert!(dump.ends_with("ADDCMD load.off\nADDCMD shutdown.default\nDATAOK\nDUMPDONE\n"), "{dump}");

    // SET: broadcast, then the tracking answer. INSTCMD: NUT 2.8.0's dummy-ups knows none.
    w.write_all(b"SET ups.load \"42\" TRACKING t1\nINSTCMD load.off TRACKING t2\nPING\nBOGUS\n\"x\n")
        .unwrap();
    assert_eq!(
        read_until(&mut r, "TRACKING t1"),
        "SETINFO ups.load \"42\"\nSETFLAGS ups.load RW\nTRACKING t1 0\n"
    );
    assert_eq!(read_until(&mut r, "TRACKING"), "TRACKING t2 1\n");
    assert_eq!(read_until(&mut r, "PONG"), "PONG\n");

    // A modified file is read again (the modification time must change).
    std::thread::sleep(Duration::from_millis(1100));
    std::fs::write(&dev, "battery.charge: 50\n").unwrap();
    let got = read_until(&mut r, "SETINFO battery.charge");
    assert!(got.ends_with("SETINFO battery.charge \"50\"\n"), "{got}");

    w.write_all(b"GETPID\nLOGOUT\n").unwrap();
    let got = read_until(&mut r, "OK Goodbye");
    assert!(got.contains(&format!("PID {}\n", p.pid())), "{got}");

    p.signal(libc::SIGTERM);
    assert!(wait_until(Duration::from_secs(10), || !p.is_running()), "driver exits on SIGTERM");
    assert!(!sock.exists(), "socket removed");
    assert!(!pid.exists(), "PID file removed");
}

#[test]
fn corpus_comparison_rules_hold() {
    // compare_dumps.py's own rules (an empty dump, one without DUMPDONE or the same failure on
    // both sides is a failure), on made-up dumps: they run here, without Debian's NUT or the
    // corpus, so that the comparison below cannot pass by comparing nothing.
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compare_dumps.py");
    let out = Command::new("python3").arg(&script).arg("--self-test").output().expect("python3");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("compare_dumps self-test: ok"), "{text}");
}

#[test]
fn compare_with_debian_on_corpus() {
    if !nut_testkit::require_debian_nut("dummy-ups corpus comparison") {
        return;
    }
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/nut-ddl");
    if !corpus.exists() {
        nut_testkit::skip(
            "dummy-ups corpus comparison",
            &format!("{} not found", corpus.display()),
            nut_testkit::Prereq::NutDdl,
        );
        return;
    }
    // The full run (540 files, clients included) takes minutes; the test checks the socket
    // dumps of every file, and the client views on a slice.
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/compare_dumps.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(bin("dummy-ups"))
        .arg(&corpus)
        .env("NUT_OUR_VERSION", nut_core::NUT_VERSION)
        .output()
        .expect("python3");
    let text = String::from_utf8_lossy(&out.stdout);
    println!("{text}");
    assert!(out.status.success(), "dummy-ups differs from Debian's:\n{text}");
}
