//! The `WATCH` event subscription (docs/event-subscription.md) over TCP, driven by the fake
//! driver: initial state, STATUS/ALARM on change, the FSD prefix, data-state transitions,
//! errors, isolation from ordinary clients, no idle timeout, and a watcher that never reads.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;
use nut_testkit::wait_until;

/// Read one line (with its newline).
fn line(c: &mut Client) -> String {
    let mut l = String::new();
    c.r.read_line(&mut l).expect("read event line");
    l
}

fn watch(u: &Upsd, ups: &str) -> Client {
    let mut c = u.connect();
    assert_eq!(c.req(&format!("WATCH {ups}")), "OK\n");
    c
}

#[test]
fn initial_state_changes_alarm_and_fsd() {
    let u = start_upsd("", &[]);
    let d = FakeDriver::start(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));

    // The UPS name is echoed in the client's spelling.
    let mut w = watch(&u, "UPS1");
    assert_eq!(line(&mut w), "EVENT UPS1 STATUS \"OL\"\n");

    // Other variables do not make events; ups.status does.
    d.push("SETINFO battery.charge \"50\"\nSETINFO ups.status \"OB\"\n");
    assert_eq!(line(&mut w), "EVENT UPS1 STATUS \"OB\"\n");
    // Setting the same value again is not a change.
    d.push("SETINFO ups.status \"OB\"\nSETINFO ups.status \"OB LB\"\n");
    assert_eq!(line(&mut w), "EVENT UPS1 STATUS \"OB LB\"\n");

    d.push("SETINFO ups.alarm \"Replace \\\"battery\\\"!\"\n");
    assert_eq!(line(&mut w), "EVENT UPS1 ALARM \"Replace \\\"battery\\\"!\"\n");
    // A second watcher gets the alarm in its initial state.
    let mut w2 = watch(&u, "ups1");
    assert_eq!(line(&mut w2), "EVENT ups1 STATUS \"OB LB\"\n");
    assert_eq!(line(&mut w2), "EVENT ups1 ALARM \"Replace \\\"battery\\\"!\"\n");
    d.push("DELINFO ups.alarm\n");
    assert_eq!(line(&mut w), "EVENT UPS1 ALARM \"\"\n");
    assert_eq!(line(&mut w2), "EVENT ups1 ALARM \"\"\n");

    // The FSD latch shows as a prefix, as in GET VAR.
    let mut adm = u.connect();
    adm.req("USERNAME admin");
    adm.req("PASSWORD secret");
    assert_eq!(adm.req("FSD ups1"), "OK FSD-SET\n");
    assert_eq!(line(&mut w), "EVENT UPS1 STATUS \"FSD OB LB\"\n");
    assert_eq!(line(&mut w2), "EVENT ups1 STATUS \"FSD OB LB\"\n");

    // Requests on a watching connection are still answered.
    assert_eq!(w.req("GET VAR ups1 battery.charge"), "VAR ups1 battery.charge \"50\"\n");
}

#[test]
fn data_state_transitions() {
    let u = start_upsd("", &[]);
    let d = FakeDriver::start(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));

    // ups2 has no driver.
    let mut w2 = watch(&u, "ups2");
    assert_eq!(line(&mut w2), "EVENT ups2 DRIVER-NOT-CONNECTED\n");

    let mut w = watch(&u, "ups1");
    assert_eq!(line(&mut w), "EVENT ups1 STATUS \"OL\"\n");
    d.push("DATASTALE\n");
    assert_eq!(line(&mut w), "EVENT ups1 DATA-STALE\n");
    // A new watcher of a stale UPS gets the error as its initial state.
    let mut s = watch(&u, "ups1");
    assert_eq!(line(&mut s), "EVENT ups1 DATA-STALE\n");
    // Changes while stale are not sent; DATA-OK repeats the current status.
    d.push("SETINFO ups.status \"OB\"\nDATAOK\n");
    assert_eq!(line(&mut w), "EVENT ups1 DATA-OK\n");
    assert_eq!(line(&mut w), "EVENT ups1 STATUS \"OB\"\n");

    d.stop();
    assert_eq!(line(&mut w), "EVENT ups1 DRIVER-NOT-CONNECTED\n");
    // The restarted driver's full dump brings the data back.
    let _d2 = FakeDriver::start(&u.socket("ups1"));
    assert_eq!(line(&mut w), "EVENT ups1 DATA-OK\n");
    assert_eq!(line(&mut w), "EVENT ups1 STATUS \"OL\"\n");
    // Nothing went to the watcher of the other UPS.
    assert_eq!(w2.req("NETVER"), "1.3\n");
}

#[test]
fn silence_past_maxage_is_data_stale() {
    let u = start_upsd("MAXAGE 2\n", &[]);
    start_silent_driver(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));
    let mut w = watch(&u, "ups1");
    let first = line(&mut w);
    // The data may already be stale by the time WATCH arrives on a slow machine.
    if first == "EVENT ups1 STATUS \"OL\"\n" {
        assert_eq!(line(&mut w), "EVENT ups1 DATA-STALE\n");
    } else {
        assert_eq!(first, "EVENT ups1 DATA-STALE\n");
    }
}

#[test]
fn errors_and_clients_that_never_watch() {
    let u = start_upsd("", &[("NUT_UPSD_IDLE_TIMEOUT", "1")]);
    let d = FakeDriver::start(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));

    let mut c = u.connect();
    assert_eq!(c.req("WATCH nosuch"), "ERR UNKNOWN-UPS\n");
    assert_eq!(c.req("WATCH"), "ERR INVALID-ARGUMENT\n");
    assert_eq!(c.req("WATCH ups1 extra"), "ERR INVALID-ARGUMENT\n");

    let mut w = watch(&u, "ups1");
    assert_eq!(line(&mut w), "EVENT ups1 STATUS \"OL\"\n");
    // A plain connection sees only replies to its requests while the status changes.
    let mut plain = u.connect();
    for (i, st) in ["OB", "OL", "OB LB"].iter().enumerate() {
        d.push(&format!("SETINFO ups.status \"{st}\"\n"));
        assert_eq!(line(&mut w), format!("EVENT ups1 STATUS \"{st}\"\n"), "change {i}");
        assert_eq!(plain.req("GET VAR ups1 ups.status"), format!("VAR ups1 ups.status \"{st}\"\n"));
    }
    // Then it idles out without having received a single unrequested byte ...
    let mut rest = Vec::new();
    plain.r.get_mut().set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let n = plain.r.read_to_end(&mut rest).expect("idle client closed");
    assert_eq!((n, rest), (0, Vec::new()));
    // ... while the watcher, silent just as long, is kept and still gets events.
    d.push("SETINFO ups.status \"OL\"\n");
    assert_eq!(line(&mut w), "EVENT ups1 STATUS \"OL\"\n");
}

#[test]
fn a_watcher_that_never_reads_is_dropped_without_stalling_anyone() {
    let u = start_upsd("", &[]);
    let d = FakeDriver::start(&u.socket("ups1"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));

    let mut hog = TcpStream::connect(("127.0.0.1", u.port)).unwrap();
    hog.write_all(b"WATCH ups1\n").unwrap();
    let mut reader = watch(&u, "ups1");
    assert_eq!(line(&mut reader), "EVENT ups1 STATUS \"OL\"\n");

    // Far more event bytes than the hog's output buffer, queue and socket buffers hold.
    let pad = "x".repeat(200);
    let total = 80_000;
    // The driver sends batches of changes; the good watcher reads each batch before the next.
    let batch = 1000;
    for start in (0..total).step_by(batch) {
        let mut text = String::new();
        for i in start..start + batch {
            text.push_str(&format!("SETINFO ups.status \"OB {i} {pad}\"\n"));
        }
        d.push(&text);
        for i in start..start + batch {
            assert_eq!(line(&mut reader), format!("EVENT ups1 STATUS \"OB {i} {pad}\"\n"));
        }
    }
    // Ordinary requests were never blocked.
    let mut c = u.connect();
    assert_eq!(c.req("GET VAR ups1 ups.status"), format!("VAR ups1 ups.status \"OB {} {pad}\"\n", total - 1));
    // The hog was cut off: reading what it was sent ends in EOF before the last event.
    hog.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let closed = wait_until(Duration::from_secs(20), || match hog.read(&mut buf) {
        Ok(0) => true,
        Ok(n) => {
            got.extend_from_slice(&buf[..n]);
            false
        }
        Err(_) => true,
    });
    assert!(closed, "never-reading watcher was not closed");
    let text = String::from_utf8_lossy(&got);
    assert!(!text.contains(&format!("\"OB {} ", total - 1)), "hog got every event");
}
