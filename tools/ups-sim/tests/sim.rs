//! The simulator answers as its description says: round trips, state changes, faults,
//! unplug/replug, the timeline. A test opens the simulated port itself, like a driver.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nut_testkit::sim::{devices_dir, UpsSim};
use nut_testkit::wait_until;

const T: Duration = Duration::from_secs(10);

fn sim(desc: &Path) -> UpsSim {
    UpsSim::start_with(Path::new(env!("CARGO_BIN_EXE_ups-sim")), desc)
}

fn device(name: &str) -> PathBuf {
    devices_dir("qx").join(name)
}

fn open_port(p: &Path) -> File {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(p)
        .unwrap_or_else(|e| panic!("open {}: {e}", p.display()))
}

/// Read until `term` has arrived (or the deadline passes); returns what came, or the error
/// the port gave.
fn read_until(port: &mut File, term: u8, timeout: Duration) -> std::io::Result<Vec<u8>> {
    let mut got = Vec::new();
    let mut err = None;
    wait_until(timeout, || {
        let mut buf = [0u8; 256];
        match port.read(&mut buf) {
            Ok(0) => {
                err = Some(std::io::Error::from(std::io::ErrorKind::UnexpectedEof));
                true
            }
            Ok(n) => {
                got.extend_from_slice(&buf[..n]);
                got.contains(&term)
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(e) => {
                err = Some(e);
                true
            }
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(got),
    }
}

fn ask(port: &mut File, cmd: &[u8]) -> Vec<u8> {
    port.write_all(cmd).expect("write command");
    read_until(port, b'\r', T).expect("read reply")
}

const Q1_ONLINE: &[u8] = b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r";

#[test]
fn replies_as_described_and_switches_state_on_commands() {
    let mut s = sim(&device("megatec.qx"));
    let mut port = open_port(s.port());
    assert_eq!(ask(&mut port, b"Q1\r"), Q1_ONLINE);
    assert_eq!(ask(&mut port, b"I\r"), b"#NOT_A_LIVE_UPS  TESTING    TESTING   \r");
    // A command the description does not list: this unit stays silent.
    port.write_all(b"XYZ\r").expect("write");
    assert!(s.wait_event(T, |l| l == r#"noreply "XYZ\r" unknown"#).is_some(), "{:?}", s.events());
    // The self-test command switches to the test reply set (status bit b2), CT back.
    port.write_all(b"T\r").expect("write");
    assert!(s.wait_event(T, |l| l == "state test").is_some());
    assert_eq!(ask(&mut port, b"Q1\r"), b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000100\r");
    port.write_all(b"CT\r").expect("write");
    assert!(s.wait_event(T, |l| l == "state online").is_some());
    // The control line switches now.
    s.control("state lowbatt");
    assert_eq!(ask(&mut port, b"Q1\r"), b"(000.0 195.0 230.0 014 49.0 22.7 30.0 11000000\r");
    s.control("state online");
    assert_eq!(ask(&mut port, b"Q1\r"), Q1_ONLINE);
}

#[test]
fn faults_cut_chunks_garbage_timeout() {
    let mut s = sim(&device("megatec.qx"));
    let mut port = open_port(s.port());

    s.control("cut 10");
    port.write_all(b"Q1\r").expect("write");
    let tx = s.wait_event(T, |l| l.starts_with("tx ")).expect("a reply");
    assert_eq!(tx, r#"tx "(215.0 195""#);
    let mut got = Vec::new();
    assert!(wait_until(T, || {
        let mut b = [0u8; 64];
        if let Ok(n) = port.read(&mut b) {
            got.extend_from_slice(&b[..n]);
        }
        got.len() >= 10
    }));
    assert_eq!(got, &Q1_ONLINE[..10]);
    // Only the next reply was cut.
    assert_eq!(ask(&mut port, b"Q1\r"), Q1_ONLINE);

    s.control("chunks 16 30ms");
    s.mark();
    port.write_all(b"Q1\r").expect("write");
    assert_eq!(read_until(&mut port, b'\r', T).expect("read"), Q1_ONLINE);
    // The simulator reports a chunk after writing it: the last event may follow the bytes.
    assert!(s.wait_event(T, |l| l.starts_with("tx ") && l.ends_with(r#"\r""#)).is_some(), "{:?}", s.events());
    let pieces: Vec<String> = s.events().into_iter().filter(|l| l.starts_with("tx ")).collect();
    let last = pieces.len();
    assert!(last >= 3, "{pieces:?}");
    assert_eq!(
        pieces[last - 3..],
        [r#"tx "(215.0 195.0 230""#, r#"tx ".0 014 49.0 22.7""#, r#"tx " 30.0 00000000\r""#]
    );

    s.control(r#"garbage "\x00\xff" 1"#);
    assert_eq!(ask(&mut port, b"Q1\r"), [&b"\x00\xff"[..], Q1_ONLINE].concat());

    s.control("timeout 2");
    s.mark();
    port.write_all(b"Q1\r").expect("write");
    assert!(s.wait_event(T, |l| l == r#"noreply "Q1\r" timeout"#).is_some());
    port.write_all(b"Q1\r").expect("write");
    assert!(s.wait_event(T, |l| l == r#"noreply "Q1\r" timeout"#).is_some());
    assert_eq!(ask(&mut port, b"Q1\r"), Q1_ONLINE);

    s.control("silent");
    s.mark();
    for _ in 0..3 {
        port.write_all(b"Q1\r").expect("write");
        assert!(s.wait_event(T, |l| l == r#"noreply "Q1\r" timeout"#).is_some());
    }
    s.control("clear");
    assert_eq!(ask(&mut port, b"Q1\r"), Q1_ONLINE);
}

#[test]
fn unplug_closes_the_port_and_replug_makes_a_new_one_at_the_link() {
    let mut s = sim(&device("megatec.qx"));
    let mut port = open_port(s.port());
    assert_eq!(ask(&mut port, b"Q1\r"), Q1_ONLINE);
    let before = std::fs::read_link(s.port()).expect("link");

    s.control("unplug");
    // The driver's open port is dead (hang-up: EOF or EIO), and the link is gone.
    assert!(read_until(&mut port, b'\r', T).is_err());
    assert!(!s.port().exists());
    assert!(OpenOptions::new().read(true).open(s.port()).is_err());

    s.control("replug");
    let after = std::fs::read_link(s.port()).expect("link after replug");
    assert!(after.starts_with("/dev/pts"), "{after:?} (was {before:?})");
    let mut port = open_port(s.port());
    assert_eq!(ask(&mut port, b"Q1\r"), Q1_ONLINE);

    // With a pause, the port comes back by itself.
    s.mark();
    s.control("unplug 200ms");
    assert!(s.wait_event(T, |l| l.starts_with("replugged ")).is_some());
    let mut port = open_port(s.port());
    assert_eq!(ask(&mut port, b"Q1\r"), Q1_ONLINE);
}

#[test]
fn timeline_switches_state_and_applies_faults() {
    let dir = nut_testkit::TempDir::new().expect("temp dir");
    let desc = dir.path().join("t.qx");
    let text = std::fs::read_to_string(device("megatec.qx")).expect("read megatec.qx")
        + "\nat 100ms state onbattery\nat 300ms timeout *\n";
    std::fs::write(&desc, text).expect("write description");
    let started = Instant::now();
    let mut s = sim(&desc);
    assert!(s.wait_event(T, |l| l == "state onbattery").is_some(), "{:?}", s.events());
    assert!(started.elapsed() >= Duration::from_millis(100));
    let mut port = open_port(s.port());
    s.wait_event(T, |l| l == "timeline 300ms").expect("the second timeline entry");
    port.write_all(b"Q1\r").expect("write");
    assert!(s.wait_event(T, |l| l == r#"noreply "Q1\r" timeout"#).is_some());
    s.control("clear");
    assert_eq!(ask(&mut port, b"Q1\r"), b"(000.0 195.0 230.0 014 49.0 22.7 30.0 10000000\r");
}

#[test]
fn bad_control_lines_are_refused_and_the_simulator_carries_on() {
    let mut s = sim(&device("megatec.qx"));
    let stdin_line = |s: &mut UpsSim, l: &str| {
        // control() panics on refusal: check the refusal through the events.
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.control(l)));
        assert!(r.is_err(), "{l:?} should be refused");
    };
    stdin_line(&mut s, "state nosuchstate");
    stdin_line(&mut s, "cut many");
    stdin_line(&mut s, "chunks 0 1ms");
    stdin_line(&mut s, "frobnicate");
    let mut port = open_port(s.port());
    assert_eq!(ask(&mut port, b"Q1\r"), Q1_ONLINE);
}

#[test]
fn sigterm_stops_it_and_removes_the_link() {
    let mut s = sim(&device("q1.qx"));
    let link = s.port().to_path_buf();
    assert!(link.exists());
    s.signal_term();
    assert!(s.wait_event(T, |l| l == "stopped").is_some());
    assert!(wait_until(T, || !link.exists() && std::fs::symlink_metadata(&link).is_err()));
}

#[test]
fn every_description_parses_cites_its_source_and_names_a_driver() {
    let all = nut_testkit::sim::descriptions("qx");
    assert!(all.len() >= 20, "{} descriptions", all.len());
    for p in all {
        let text = std::fs::read_to_string(&p).expect("read");
        let d = ups_sim::parse(&text).unwrap_or_else(|e| panic!("{}:{}: {}", p.display(), e.line, e.msg));
        assert!(!d.sources.is_empty(), "{}: no source line", p.display());
        for s in &d.sources {
            let file = s.split_whitespace().next().unwrap_or("");
            let on_disk = nut_testkit::workspace_root().join("..").join(file);
            assert!(
                file.starts_with("shared/testdata/qx-transcripts/") && file.ends_with(".txt"),
                "{}: source {s:?} is not a transcript file",
                p.display()
            );
            // The transcripts live beside the repository; check them when they are there.
            if nut_testkit::workspace_root().join("../shared/testdata/qx-transcripts").is_dir() {
                assert!(on_disk.is_file(), "{}: {} does not exist", p.display(), on_disk.display());
            }
        }
        assert!(d.driver("nutdrv_qx").is_some(), "{}: no nutdrv_qx hint", p.display());
        assert_eq!(p.file_stem().and_then(|s| s.to_str()), Some(d.name.as_str()), "file name = device name");
    }
}

/// `framing prefix`, `every`, `send` and `corrupt` on a real pty: single-letter commands with
/// no terminator (APC Smart style), a UPS that streams a packet while on battery, an
/// unsolicited notice, and a reply whose last byte is flipped.
#[test]
fn prefix_framing_streams_and_unsolicited_bytes_on_a_pty() {
    let dir = nut_testkit::TempDir::new().expect("temp dir");
    let desc = dir.path().join("t.sim");
    std::fs::write(
        &desc,
        "device t\nsource written for this test\nframing prefix\nunknown reply \"NA\\r\\n\"\n\
         state online\n  \"Y\" -> \"SM\\r\\n\"\n  \"Q\" -> \"08\\r\\n\"\n\
         state onbattery like online\n  \"Q\" -> \"10\\r\\n\"\n  every 100ms \"S\\r\\n\"\n",
    )
    .expect("write description");
    let mut s = sim(&desc);
    let mut port = open_port(s.port());
    port.write_all(b"YQ").expect("write");
    let mut got = Vec::new();
    while got.len() < 8 {
        got.extend(read_until(&mut port, b'\n', T).expect("read"));
    }
    assert_eq!(got, b"SM\r\n08\r\n");
    port.write_all(b"x").expect("write");
    assert_eq!(read_until(&mut port, b'\n', T).expect("read"), b"NA\r\n");
    s.control("send \"!\"");
    assert!(read_until(&mut port, b'!', T).expect("read").ends_with(b"!"));
    s.control("state onbattery");
    // Two streamed packets arrive without any command.
    s.mark();
    for _ in 0..2 {
        assert!(s.wait_event(T, |l| l == r#"tx "S\r\n""#).is_some(), "{:?}", s.events());
    }
    s.control("corrupt");
    s.control("state online");
    port.write_all(b"Q").expect("write");
    assert!(s.wait_event(T, |l| l == r#"tx "08\r\xF5""#).is_some(), "{:?}", s.events());
}

/// The descriptions of every other driver family (`tests/devices/<driver>/*.sim`) parse, cite
/// their sources, name the driver of their directory, and are named after their device.
#[test]
fn every_family_description_parses_cites_a_source_and_names_its_driver() {
    let root = nut_testkit::workspace_root().join("tests/devices");
    let mut seen = 0;
    for fam in std::fs::read_dir(&root).expect("tests/devices").flatten() {
        let family = fam.file_name().to_string_lossy().into_owned();
        if family == "qx" || !fam.path().is_dir() {
            continue;
        }
        for p in nut_testkit::sim::descriptions(&family) {
            seen += 1;
            let text = std::fs::read_to_string(&p).expect("read");
            let d = ups_sim::parse(&text).unwrap_or_else(|e| panic!("{}:{}: {}", p.display(), e.line, e.msg));
            assert!(!d.sources.is_empty(), "{}: no source line", p.display());
            assert!(d.driver(&family).is_some(), "{}: no `driver {family}` line", p.display());
            assert_eq!(
                p.file_stem().and_then(|s| s.to_str()),
                Some(d.name.as_str()),
                "file name = device name"
            );
        }
    }
    assert!(seen > 0, "no description outside tests/devices/qx");
}
