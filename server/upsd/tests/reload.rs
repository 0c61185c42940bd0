//! SIGHUP reload: a UPS added to ups.conf comes up, a removed one goes away with its
//! clients, and the clients of untouched UPSes keep their connections, logins and data.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, Read};
use std::time::Duration;

use common::*;
use nut_testkit::wait_until;

#[test]
fn sighup_adds_and_removes_upses_without_touching_the_others() {
    let u = start_upsd("", &[]);
    let d1 = FakeDriver::start(&u.socket("ups1"));
    let _d2 = FakeDriver::start(&u.socket("ups2"));
    let _d3 = FakeDriver::start(&u.socket("ups3"));
    assert!(u.wait_status("ups1", "VAR ups1 ups.status \"OL\"\n"));
    assert!(u.wait_status("ups2", "VAR ups2 ups.status \"OL\"\n"));

    let login = |ups: &str| {
        let mut c = u.connect();
        assert_eq!(c.req("USERNAME mon"), "OK\n");
        assert_eq!(c.req("PASSWORD pass"), "OK\n");
        assert_eq!(c.req(&format!("LOGIN {ups}")), "OK\n");
        c
    };
    let mut on1 = login("ups1");
    let mut on2 = login("ups2");
    let mut watch1 = u.connect();
    assert_eq!(watch1.req("WATCH ups1"), "OK\n");
    assert_eq!(watch1.reply(), "EVENT ups1 STATUS \"OL\"\n");
    let mut watch2 = u.connect();
    assert_eq!(watch2.req("WATCH ups2"), "OK\n");
    assert_eq!(watch2.reply(), "EVENT ups2 STATUS \"OL\"\n");
    let mut plain = u.connect();
    assert_eq!(plain.req("GET VAR ups1 battery.charge"), "VAR ups1 battery.charge \"100\"\n");

    // ups2 goes, ups3 comes; ups1 stays as it was.
    std::fs::write(
        u.dir.path().join("ups.conf"),
        "[ups1]\n driver = dummy-ups\n port = a.dev\n desc = \"First UPS\"\n\
         [ups3]\n driver = dummy-ups\n port = c.dev\n desc = \"Third\"\n",
    )
    .unwrap();
    u.proc.signal(libc::SIGHUP);
    assert!(wait_until(Duration::from_secs(10), || plain.req("LIST UPS")
        == "BEGIN LIST UPS\nUPS ups1 \"First UPS\"\nUPS ups3 \"Third\"\nEND LIST UPS\n"));
    assert!(u.wait_status("ups3", "VAR ups3 ups.status \"OL\"\n"));

    // The clients of ups2 are closed: the logged-in one and the watcher.
    for c in [&mut on2, &mut watch2] {
        let mut rest = Vec::new();
        assert!(c.r.read_to_end(&mut rest).is_ok(), "connection of removed UPS not closed");
    }
    assert_eq!(plain.req("GET VAR ups2 ups.status"), "ERR UNKNOWN-UPS\n");
    assert_eq!(plain.req("WATCH ups2"), "ERR UNKNOWN-UPS\n");

    // ups1's clients kept their connection, login and data, without a reconnect of the driver.
    assert_eq!(on1.req("GET NUMLOGINS ups1"), "NUMLOGINS ups1 1\n");
    assert_eq!(on1.req("GET VAR ups1 battery.charge"), "VAR ups1 battery.charge \"100\"\n");
    assert_eq!(
        plain.req("LIST CLIENT ups1"),
        "BEGIN LIST CLIENT ups1\nCLIENT ups1 127.0.0.1\nEND LIST CLIENT ups1\n"
    );
    assert_eq!(d1.received().iter().filter(|l| *l == "DUMPALL").count(), 1);
    d1.push("SETINFO ups.status \"OB\"\n");
    // The watcher's next line is the change: nothing (no DRIVER-NOT-CONNECTED) came before it.
    let mut l = String::new();
    watch1.r.read_line(&mut l).unwrap();
    assert_eq!(l, "EVENT ups1 STATUS \"OB\"\n");
    assert_eq!(on1.req("GET VAR ups1 ups.status"), "VAR ups1 ups.status \"OB\"\n");
}
