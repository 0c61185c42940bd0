//! Byte-level tests of our upsd over TCP on 127.0.0.1, fed by a fake driver (a Unix socket
//! served by the test, speaking the driver socket protocol).

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use common::*;
use nut_testkit::{wait_until, TempDir};

#[test]
fn read_only_verbs_match_nut_byte_for_byte() {
    let u = start_upsd("", &[]);
    let _d1 = FakeDriver::start(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));
    let mut c = u.connect();
    // Version strings are NUT 2.8.5 release builds' (netmisc.c, netget.c).
    let cases: &[(&str, &str)] = &[
        ("VER", "Network UPS Tools upsd 2.8.5 - https://www.networkupstools.org/historic/v2.8.5/index.html\n"),
        ("netver", "1.3\n"),
        ("PROTVER", "1.3\n"),
        ("HELP", "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS\n"),
        ("VER x", "ERR INVALID-ARGUMENT\n"),
        ("STARTTLS", "ERR FEATURE-NOT-CONFIGURED\n"),
        ("BOGUS", "ERR UNKNOWN-COMMAND\n"),
        ("", "ERR UNKNOWN-COMMAND\n"),
        (
            "LIST UPS",
            "BEGIN LIST UPS\nUPS ups1 \"First UPS\"\nUPS ups2 \"Description unavailable\"\nEND LIST UPS\n",
        ),
        (
            "list var UPS1",
            "BEGIN LIST VAR UPS1\nVAR UPS1 alpha.var \"a\"\nVAR UPS1 battery.charge \"100\"\n\
             VAR UPS1 input.sensitivity \"high\"\nVAR UPS1 ups.delay.shutdown \"20\"\nVAR UPS1 ups.id \"myid\"\n\
             VAR UPS1 ups.mfr \"Acme \\\"Power\\\"\"\nVAR UPS1 ups.status \"OL\"\nVAR UPS1 Zeta.var \"z\"\nEND LIST VAR UPS1\n",
        ),
        (
            "list rw ups1",
            "BEGIN LIST RW ups1\nRW ups1 input.sensitivity \"high\"\nRW ups1 ups.delay.shutdown \"20\"\n\
             RW ups1 ups.id \"myid\"\nEND LIST RW ups1\n",
        ),
        ("LIST CMD ups1", "BEGIN LIST CMD ups1\nCMD ups1 load.off\nCMD ups1 test.battery.start\nEND LIST CMD ups1\n"),
        (
            "LIST ENUM ups1 input.sensitivity",
            "BEGIN LIST ENUM ups1 input.sensitivity\nENUM ups1 input.sensitivity \"high\"\n\
             ENUM ups1 input.sensitivity \"low\"\nEND LIST ENUM ups1 input.sensitivity\n",
        ),
        (
            "LIST RANGE ups1 ups.delay.shutdown",
            "BEGIN LIST RANGE ups1 ups.delay.shutdown\nRANGE ups1 ups.delay.shutdown \"10\" \"60\"\n\
             END LIST RANGE ups1 ups.delay.shutdown\n",
        ),
        ("LIST CLIENT ups1", "BEGIN LIST CLIENT ups1\nEND LIST CLIENT ups1\n"),
        ("LIST ENUM ups1 nosuch", "ERR VAR-NOT-SUPPORTED\n"),
        ("LIST VAR nosuch", "ERR UNKNOWN-UPS\n"),
        ("LIST VAR ups2", "ERR DRIVER-NOT-CONNECTED\n"),
        ("GET VAR ups1 UPS.STATUS", "VAR ups1 UPS.STATUS \"OL\"\n"),
        ("GET VAR ups1 nosuch", "ERR VAR-NOT-SUPPORTED\n"),
        ("GET VAR ups2 server.version", "VAR ups2 server.version \"2.8.5\"\n"),
        (
            "GET VAR ups1 SERVER.INFO",
            "VAR ups1 server.info \"Network UPS Tools upsd 2.8.5 - https://www.networkupstools.org/historic/v2.8.5/index.html\"\n",
        ),
        ("GET TYPE ups1 input.sensitivity", "TYPE ups1 input.sensitivity RW ENUM STRING:8\n"),
        ("GET TYPE ups1 ups.delay.shutdown", "TYPE ups1 ups.delay.shutdown RW RANGE NUMBER\n"),
        ("GET TYPE ups1 ups.status", "TYPE ups1 ups.status NUMBER\n"),
        ("GET DESC ups1 ups.status", "DESC ups1 ups.status \"UPS status\"\n"),
        ("GET DESC ups1 no.such", "DESC ups1 no.such \"Description unavailable\"\n"),
        ("GET CMDDESC ups1 load.off", "CMDDESC ups1 load.off \"Turn off the load immediately\"\n"),
        ("GET UPSDESC ups1", "UPSDESC ups1 \"First UPS\"\n"),
        ("GET UPSDESC ups2", "UPSDESC ups2 \"Unavailable\"\n"),
        ("GET NUMLOGINS ups1", "NUMLOGINS ups1 0\n"),
        ("GET TRACKING", "OFF\n"),
        ("GET TRACKING x", "ERR FEATURE-NOT-CONFIGURED\n"),
        ("GET VAR ups1", "ERR INVALID-ARGUMENT\n"),
        ("LOGIN ups1", "ERR USERNAME-REQUIRED\n"),
        ("GET DESC ups1 a=b", "DESC ups1 a \"Description unavailable\"\n"),
    ];
    for (req, want) in cases {
        assert_eq!(c.req(req), *want, "request {req:?}");
    }
    // WinNUT's CR CR LF and comments are trimmed; a `#` inside quotes is a silent parse error.
    c.w.write_all(b"VER\r\r\nGET DESC ups1 \"a#b\"\n").unwrap();
    assert_eq!(
        c.reply(),
        "Network UPS Tools upsd 2.8.5 - https://www.networkupstools.org/historic/v2.8.5/index.html\n"
    );
    assert_eq!(c.req("NETVER # comment"), "1.3\n");
}

#[test]
fn auth_fsd_set_instcmd_and_tracking() {
    let u = start_upsd("", &[]);
    let d1 = FakeDriver::start(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));

    let mut mon = u.connect();
    assert_eq!(mon.req("USERNAME mon"), "OK\n");
    assert_eq!(mon.req("USERNAME mon"), "ERR ALREADY-SET-USERNAME\n");
    assert_eq!(mon.req("LOGIN ups1"), "ERR PASSWORD-REQUIRED\n");
    assert_eq!(mon.req("PASSWORD pass"), "OK\n");
    assert_eq!(mon.req("LOGIN ups1"), "OK\n");
    assert_eq!(mon.req("LOGIN ups1"), "ERR ALREADY-LOGGED-IN\n");
    assert_eq!(mon.req("PRIMARY ups1"), "OK PRIMARY-GRANTED\n");
    assert_eq!(mon.req("MASTER ups1"), "OK MASTER-GRANTED\n");
    assert_eq!(mon.req("SET VAR ups1 ups.id x"), "ERR ACCESS-DENIED\n");

    let mut other = u.connect();
    assert_eq!(other.req("GET NUMLOGINS ups1"), "NUMLOGINS ups1 1\n");
    assert_eq!(
        other.req("LIST CLIENT ups1"),
        "BEGIN LIST CLIENT ups1\nCLIENT ups1 127.0.0.1\nEND LIST CLIENT ups1\n"
    );
    // A wrong password is accepted at PASSWORD time and refused when used.
    assert_eq!(other.req("USERNAME sec"), "OK\n");
    assert_eq!(other.req("PASSWORD wrong"), "OK\n");
    assert_eq!(other.req("LOGIN ups1"), "ERR ACCESS-DENIED\n");

    // FSD latch, shown in GET and LIST.
    assert_eq!(mon.req("FSD ups1"), "OK FSD-SET\n");
    assert_eq!(other.req("GET VAR ups1 ups.status"), "VAR ups1 ups.status \"FSD OL\"\n");
    assert!(other.req("LIST VAR ups1").contains("VAR ups1 ups.status \"FSD OL\"\n"));
    assert_eq!(mon.req("LOGOUT"), "OK Goodbye\n");
    assert_eq!(other.req("GET NUMLOGINS ups1"), "NUMLOGINS ups1 0\n");

    let mut adm = u.connect();
    adm.req("USERNAME admin");
    adm.req("PASSWORD secret");
    assert_eq!(adm.req("LOGIN ups1"), "ERR ACCESS-DENIED\n");
    assert_eq!(adm.req("SET VAR ups1 ups.id abcdef"), "ERR TOO-LONG\n");
    assert_eq!(adm.req("SET VAR ups1 input.sensitivity medium"), "ERR INVALID-VALUE\n");
    assert_eq!(adm.req("SET VAR ups1 ups.delay.shutdown 70"), "ERR INVALID-VALUE\n");
    assert_eq!(adm.req("SET VAR ups1 battery.charge 5"), "ERR READONLY\n");
    assert_eq!(adm.req("SET VAR ups1 ups.delay.shutdown 30"), "OK\n");
    assert_eq!(adm.req("SET VAR ups1 ups.id \"a b\""), "OK\n");
    assert_eq!(adm.req("INSTCMD ups1 nosuch"), "ERR CMD-NOT-SUPPORTED\n");
    assert_eq!(adm.req("INSTCMD ups1 test.battery.start 60"), "OK\n");
    assert_eq!(adm.req("SET TRACKING ON"), "OK\n");
    let r = adm.req("INSTCMD ups1 LOAD.OFF");
    let id = r.strip_prefix("OK TRACKING ").expect("tracking id").trim_end().to_string();
    assert_eq!(id.len(), 36);
    assert!(wait_until(Duration::from_secs(5), || adm.req(&format!("GET TRACKING {id}")) == "SUCCESS\n"));
    assert_eq!(adm.req("GET TRACKING 00000000-0000-4000-8000-000000000000"), "ERR UNKNOWN\n");
    let got = d1.received();
    assert!(got.contains(&"SET ups.delay.shutdown \"30\"".to_string()), "{got:?}");
    assert!(got.contains(&"SET ups.id \"a b\"".to_string()), "{got:?}");
    assert!(got.contains(&"INSTCMD test.battery.start 60".to_string()), "{got:?}");
    assert!(got.contains(&format!("INSTCMD LOAD.OFF TRACKING {id}")), "{got:?}");
}

#[test]
fn stale_disconnected_and_reconnect_after_driver_restart() {
    let u = start_upsd("", &[]);
    let d1 = FakeDriver::start(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));
    let mut c = u.connect();
    d1.push("DATASTALE\n");
    assert!(wait_until(Duration::from_secs(5), || c.req("LIST VAR ups1") == "ERR DATA-STALE\n"));
    assert_eq!(c.req("GET VAR ups1 ups.status"), "ERR DATA-STALE\n");
    assert_eq!(c.req("GET UPSDESC ups1"), "UPSDESC ups1 \"First UPS\"\n");
    d1.push("DATAOK\nSETINFO ups.status \"OB LB\"\n");
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OB LB\"\n"));

    d1.stop();
    assert!(wait_until(Duration::from_secs(5), || c.req("GET VAR ups1 ups.status")
        == "ERR DRIVER-NOT-CONNECTED\n"));
    assert_eq!(c.req("LIST VAR ups1"), "ERR DRIVER-NOT-CONNECTED\n");
    // The restarted driver gets a fresh DUMPALL and its data replaces the old.
    let d2 = FakeDriver::start(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));
    assert_eq!(d2.received().first().map(String::as_str), Some("DUMPALL"));
}

#[test]
fn silent_driver_goes_stale_after_maxage() {
    let u = start_upsd("MAXAGE 2\n", &[]);
    start_silent_driver(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));
    let mut c = u.connect();
    assert!(wait_until(Duration::from_secs(6), || c.req("GET VAR ups1 ups.status") == "ERR DATA-STALE\n"));
}

#[test]
fn hostile_clients_do_not_harm_others() {
    let u = start_upsd("", &[]);
    let _d1 = FakeDriver::start(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));

    // Garbage and a 1 MiB line: answered like NUT, connection still usable.
    let mut g = u.connect();
    g.w.write_all(b"\xff\xfe\x00garbage \"unterminated\n\"\n").unwrap();
    let mut big = b"GET VAR ups1 ".to_vec();
    big.resize(big.len() + (1 << 20), b'x');
    big.push(b'\n');
    g.w.write_all(&big).unwrap();
    assert_eq!(g.reply(), "ERR UNKNOWN-COMMAND\n");
    assert_eq!(g.reply(), "ERR VAR-NOT-SUPPORTED\n");
    assert_eq!(g.req("NETVER"), "1.3\n");

    // A client that sends many requests and never reads.
    let mut hog = TcpStream::connect(("127.0.0.1", u.port)).unwrap();
    hog.set_write_timeout(Some(Duration::from_millis(200))).unwrap();
    let burst = "LIST VAR ups1\n".repeat(1000);
    for _ in 0..200 {
        if hog.write_all(burst.as_bytes()).is_err() {
            break;
        }
    }
    // Everyone else is still served promptly.
    let mut c = u.connect();
    let t0 = std::time::Instant::now();
    for _ in 0..100 {
        assert_eq!(c.req("GET VAR ups1 battery.charge"), "VAR ups1 battery.charge \"100\"\n");
    }
    assert!(t0.elapsed() < Duration::from_secs(5), "took {:?}", t0.elapsed());
    drop(hog);
}

#[test]
fn requests_pipelined_behind_a_reply_over_the_output_limit_are_answered() {
    // A reply larger than the output limit (256 KiB) stops the reading of the requests behind
    // it until the output drains; they are then answered at once, not when the idle timer
    // wakes the connection up (60 s; the client's read timeout is 5 s).
    let u = start_upsd("", &[]);
    let d = FakeDriver::start(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));
    let x = "x".repeat(60);
    d.push(&(0..6000).map(|i| format!("SETINFO test.var{i} \"{x}\"\n")).collect::<String>());
    let mut c = u.connect();
    assert!(wait_until(Duration::from_secs(10), || c.req("GET VAR ups1 test.var5999").starts_with("VAR ")));
    for _ in 0..3 {
        c.w.write_all(b"LIST VAR ups1\nGET VAR ups1 ups.status\nNETVER\n").unwrap();
        let list = c.reply();
        assert!(list.len() > 256 * 1024 && list.ends_with("END LIST VAR ups1\n"), "{}", list.len());
        assert_eq!(c.reply(), "VAR ups1 ups.status \"OL\"\n");
        assert_eq!(c.reply(), "1.3\n");
    }
}

#[test]
fn maxconn_refuses_cleanly_and_idle_clients_are_dropped() {
    let u = start_upsd("MAXCONN 2\n", &[("NUT_UPSD_IDLE_TIMEOUT", "2")]);
    // The start-up probe's connection may still hold a slot for a moment.
    let usable = || {
        let mut c = u.connect();
        let ok = c.w.write_all(b"NETVER\n").is_ok() && {
            let mut l = String::new();
            c.r.read_line(&mut l).is_ok() && l == "1.3\n"
        };
        ok.then_some(c)
    };
    let mut a = None;
    assert!(wait_until(Duration::from_secs(5), || {
        a = usable();
        a.is_some()
    }));
    let mut a = a.unwrap();
    let mut b = usable().expect("second connection within MAXCONN 2");
    assert_eq!(b.req("NETVER"), "1.3\n");
    // The third is closed at once without a reply.
    let mut third = TcpStream::connect(("127.0.0.1", u.port)).unwrap();
    third.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = third.write_all(b"NETVER\n");
    let mut buf = [0u8; 16];
    assert!(matches!(third.read(&mut buf), Ok(0) | Err(_)));
    // Silent clients are dropped after the idle timeout, freeing their slots.
    let mut buf = [0u8; 16];
    assert!(matches!(a.r.get_mut().read(&mut buf), Ok(0)), "idle client not dropped");
    drop(b);
    assert!(wait_until(Duration::from_secs(5), || usable().is_some()));
    drop(u.proc);
}

#[test]
fn check_mode_reports_every_problem_with_file_and_line() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    std::fs::write(d.join("upsd.conf"), "MAXAGE soon\nLISTEN 127.0.0.1 notaport\n").unwrap();
    std::fs::write(d.join("ups.conf"), "[ups1]\n port = x\n").unwrap();
    std::fs::write(d.join("upsd.users"), "[u]\n password = p\n upsmon boss\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_upsd")).arg("-t").env("NUT_CONFPATH", d).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    for want in ["upsd.conf:1: error", "upsd.conf:2: error", "ups.conf:1: error", "upsd.users:3: error"] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    std::fs::write(d.join("upsd.conf"), "").unwrap();
    std::fs::write(d.join("ups.conf"), "[ups1]\n driver = dummy-ups\n port = x\n").unwrap();
    std::fs::write(d.join("upsd.users"), "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_upsd")).arg("-t").env("NUT_CONFPATH", d).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}
