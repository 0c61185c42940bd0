//! Acceptance test 5: our upsd under abuse. For each kind of abuse (binary garbage, a 1 MiB
//! line, a flood of unknown commands, half-open and idle connections, a client that sends
//! requests and never reads) upsd must stay alive, keep answering a second client promptly (a
//! `GET VAR` round trip under 1 s while the abuse goes on) and answer with NUT's ERR codes.
//! A broken upsd.conf must be reported with `upsd.conf:<line>:`.
//!
//! The stacks use Debian's dummy-ups when installed (these tests are about upsd), else ours.
//! `NUT_COMPAT_CANDIDATE=debian` points them at Debian's upsd, which is known to fail the
//! never-reads case (it blocks every client) and the config message format.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nut_testkit::{wait_until, Conn, Impl, Proc, Stack};
use nut_tests::{candidate, repo_root, require_ours};

const KNOWN_ERRS: &[&str] = &[
    "ACCESS-DENIED",
    "UNKNOWN-UPS",
    "VAR-NOT-SUPPORTED",
    "CMD-NOT-SUPPORTED",
    "INVALID-ARGUMENT",
    "INSTCMD-FAILED",
    "SET-FAILED",
    "READONLY",
    "TOO-LONG",
    "FEATURE-NOT-SUPPORTED",
    "FEATURE-NOT-CONFIGURED",
    "ALREADY-SSL-MODE",
    "DRIVER-NOT-CONNECTED",
    "DATA-STALE",
    "ALREADY-LOGGED-IN",
    "INVALID-PASSWORD",
    "ALREADY-SET-PASSWORD",
    "INVALID-USERNAME",
    "ALREADY-SET-USERNAME",
    "USERNAME-REQUIRED",
    "PASSWORD-REQUIRED",
    "UNKNOWN-COMMAND",
    "INVALID-VALUE",
];

/// Start the stack under test, or `None` (with a notice) when it cannot run here.
fn stack() -> Option<Stack> {
    let upsd = candidate();
    require_ours(upsd, &["upsd"]);
    let driver = if nut_testkit::debian_nut_available() {
        Impl::Debian
    } else {
        if upsd == Impl::Debian && !nut_testkit::require_debian_nut("robustness") {
            return None;
        }
        Impl::Ours
    };
    let dev = repo_root().join("tests/devices/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev");
    Some(
        Stack::builder()
            .upsd(upsd)
            .dummy("ups1", dev, driver)
            .start()
            .unwrap_or_else(|e| panic!("stack: {e}")),
    )
}

/// One GET VAR round trip on a fresh connection; panics if it is slower than `limit`.
fn probe(stack: &Stack, limit: Duration, during: &str) -> Duration {
    let t0 = Instant::now();
    let mut c =
        Conn::connect(stack.port()).unwrap_or_else(|e| panic!("{during}: second client cannot connect: {e}"));
    c.set_timeout(limit + Duration::from_secs(2)).expect("timeout");
    let r = c.request("GET VAR ups1 ups.status");
    let took = t0.elapsed();
    let r = r.unwrap_or_else(|e| panic!("{during}: second client got no answer within {took:?}: {e}"));
    assert!(r[0].starts_with("VAR ups1 ups.status "), "{during}: second client got {r:?}");
    assert!(took < limit, "{during}: GET VAR round trip took {took:?} (limit {limit:?})");
    took
}

fn assert_alive(stack: &mut Stack, during: &str) {
    assert!(
        stack.upsd_alive(),
        "{during}: upsd died; its output:\n{}",
        nut_testkit::stack::tail(&stack.upsd_log(), 30)
    );
}

/// Read whatever the server sends within `window` (or until EOF).
fn read_for(s: &mut TcpStream, window: Duration) -> (Vec<u8>, bool) {
    let deadline = Instant::now() + window;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (buf, false);
        }
        s.set_read_timeout(Some(left.max(Duration::from_millis(1)))).expect("timeout");
        match s.read(&mut chunk) {
            Ok(0) => return (buf, true),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                return (buf, false)
            }
            Err(_) => return (buf, true),
        }
    }
}

fn assert_err_lines(bytes: &[u8], during: &str) -> usize {
    let text = String::from_utf8_lossy(bytes);
    let mut n = 0;
    for l in text.lines() {
        let code = l.strip_prefix("ERR ").map(|r| r.split(' ').next().unwrap_or(""));
        assert!(
            code.is_some_and(|c| KNOWN_ERRS.contains(&c)),
            "{during}: reply line {l:?} is not `ERR <NUT code>`"
        );
        n += 1;
    }
    n
}

#[test]
fn binary_garbage_gets_err_codes() {
    let Some(mut st) = stack() else { return };
    let mut s = TcpStream::connect(("127.0.0.1", st.port())).expect("connect");
    // Deterministic pseudo-random bytes without quotes or backslashes (which would make the
    // parser swallow the following lines, as NUT does), one "line" per 64 bytes.
    let mut x: u32 = 0x1234_5678;
    let mut data = Vec::new();
    for i in 0..64 * 256 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let mut b = (x & 0xff) as u8;
        if matches!(b, b'"' | b'\\' | b'\n' | b'\r' | b' ' | b'\t' | 0) {
            b = b'#' + 1;
        }
        data.push(if i % 64 == 63 { b'\n' } else { b });
    }
    s.write_all(&data).expect("send garbage");
    let (got, _) = read_for(&mut s, Duration::from_secs(3));
    let n = assert_err_lines(&got, "garbage");
    assert!(n > 0, "garbage: upsd answered nothing to 256 garbage lines");
    assert_alive(&mut st, "garbage");
    probe(&st, Duration::from_secs(1), "after garbage");
    // The same connection still works.
    s.write_all(b"VER\n").expect("send VER");
    let (got, _) = read_for(&mut s, Duration::from_secs(2));
    assert!(String::from_utf8_lossy(&got).contains("Network UPS Tools upsd"), "VER after garbage: {got:?}");
}

#[test]
fn a_one_mib_line_is_refused_without_harm() {
    let Some(mut st) = stack() else { return };
    let mut s = TcpStream::connect(("127.0.0.1", st.port())).expect("connect");
    let big = vec![b'A'; 1 << 20];
    let port = st.port();
    let writer = std::thread::spawn(move || {
        let _ = s.write_all(&big);
        let _ = s.write_all(b"\n");
        s
    });
    // While the line streams in, others are served.
    for _ in 0..3 {
        probe(&st, Duration::from_secs(1), "during a 1 MiB line");
    }
    let mut s = writer.join().expect("writer");
    let (got, eof) = read_for(&mut s, Duration::from_secs(3));
    if !eof || !got.is_empty() {
        let n = assert_err_lines(&got, "1 MiB line");
        assert!(n > 0 || eof, "1 MiB line: neither an ERR reply nor a closed connection");
    }
    assert_alive(&mut st, "1 MiB line");
    probe(&st, Duration::from_secs(1), "after a 1 MiB line");
    let _ = port;
}

#[test]
fn a_flood_of_unknown_commands_gets_one_err_each() {
    let Some(mut st) = stack() else { return };
    let mut c = Conn::connect(st.port()).expect("connect");
    let n = 2000;
    let mut req = Vec::new();
    for i in 0..n {
        req.extend_from_slice(format!("FROBNICATE {i}\n").as_bytes());
    }
    let port = st.port();
    let mut w = c.stream().try_clone().expect("clone");
    let t = std::thread::spawn(move || w.write_all(&req));
    for i in 0..n {
        let l = c.read_line().unwrap_or_else(|e| panic!("reply {i} of {n}: {e}"));
        assert_eq!(l, "ERR UNKNOWN-COMMAND", "reply {i}");
    }
    t.join().expect("writer").expect("write");
    assert_alive(&mut st, "unknown commands");
    probe(&st, Duration::from_secs(1), "after unknown commands");
    let _ = port;
}

#[test]
fn half_open_and_idle_connections_do_not_block_others() {
    let Some(mut st) = stack() else { return };
    let mut keep = Vec::new();
    for i in 0..100 {
        let mut s = TcpStream::connect(("127.0.0.1", st.port())).expect("connect");
        match i % 4 {
            // Idle: connected, silent.
            0 => {}
            // A partial line, then silence.
            1 => s.write_all(b"GET VAR ups1 ups.sta").expect("partial"),
            // Half-closed: a partial line and no more writes.
            2 => {
                s.write_all(b"LIST VAR ups1").expect("partial");
                s.shutdown(Shutdown::Write).expect("shutdown");
            }
            // A full request, never read, then half-closed.
            _ => {
                s.write_all(b"LIST VAR ups1\n").expect("req");
                s.shutdown(Shutdown::Write).expect("shutdown");
            }
        }
        keep.push(s);
    }
    let mut worst = Duration::ZERO;
    for _ in 0..5 {
        worst = worst.max(probe(&st, Duration::from_secs(1), "with 100 idle/half-open connections"));
    }
    eprintln!("robustness: worst GET VAR round trip with 100 idle/half-open connections: {worst:?}");
    assert_alive(&mut st, "idle/half-open");
    drop(keep);
    assert_alive(&mut st, "after closing idle/half-open");
    probe(&st, Duration::from_secs(1), "after closing idle/half-open");
}

#[test]
fn a_client_that_never_reads_does_not_stall_others() {
    let Some(mut st) = stack() else { return };
    let mut s = TcpStream::connect(("127.0.0.1", st.port())).expect("connect");
    s.set_write_timeout(Some(Duration::from_secs(8))).expect("write timeout");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    // Send LIST VAR requests (each answered by ~30 lines) for a few seconds, never reading:
    // the answers fill the socket buffers and upsd's writes to this client would block.
    let t = std::thread::spawn(move || {
        let req = b"LIST VAR ups1\n".repeat(256);
        let mut sent = 0usize;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) && sent < 64 << 20 {
            match s.write(&req) {
                Ok(n) => sent += n,
                Err(_) => break,
            }
        }
        (s, sent)
    });
    let t0 = Instant::now();
    let mut worst = Duration::ZERO;
    let mut probes = 0;
    while t0.elapsed() < Duration::from_secs(4) {
        worst = worst.max(probe(&st, Duration::from_secs(1), "while a client never reads"));
        probes += 1;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (s, sent) = t.join().expect("writer");
    eprintln!(
        "robustness: never-reading client sent {sent} bytes; {probes} probes, worst round trip {worst:?}"
    );
    assert_alive(&mut st, "never-reading client");
    drop(s);
    probe(&st, Duration::from_secs(1), "after the never-reading client left");
}

/// Start upsd on a broken upsd.conf and wait (bounded) for it to report the line.
fn broken_conf_report(lines: &[&str], want: &str) {
    let upsd = candidate();
    require_ours(upsd, &["upsd"]);
    if upsd == Impl::Debian && !nut_testkit::require_debian_nut("robustness config") {
        return;
    }
    let dev = repo_root().join("tests/devices/APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev");
    let mut b = Stack::builder().upsd(upsd).start_upsd(false);
    if nut_testkit::debian_nut_available() {
        b = b.dummy("ups1", dev, Impl::Debian);
    }
    for l in lines {
        b = b.upsd_line(l);
    }
    let st = b.start().unwrap_or_else(|e| panic!("stack: {e}"));
    let log: PathBuf = st.dir().join("log/upsd-broken.log");
    let f = std::fs::File::create(&log).expect("log");
    let mut cmd = std::process::Command::new(nut_testkit::stack::program(upsd, "upsd"));
    for (k, v) in st.env() {
        cmd.env(k, v);
    }
    cmd.args(["-u", "root", "-F"])
        .stdin(std::process::Stdio::null())
        .stdout(f.try_clone().expect("dup"))
        .stderr(f);
    let mut p = Proc::spawn(cmd);
    let found = wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains(want)) || !p.is_running()
    });
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        found && text.contains(want),
        "upsd did not report `{want}` for a broken upsd.conf; its output:\n{text}"
    );
}

#[test]
fn broken_upsd_conf_is_reported_with_file_and_line() {
    // upsd.conf is LISTEN (1), STATEPATH (2), then our lines from 3.
    broken_conf_report(&["MAXAGE 5", "BOGUSDIRECTIVE 1"], "upsd.conf:4:");
    broken_conf_report(&["MAXAGE \"unterminated"], "upsd.conf:3:");
}
