//! The client library against a real upsd (Debian's, or ours with `NUT_TEST_UPSD=ours`):
//! every request helper, error codes, PRIMARY, LOGIN/NUMLOGINS and TRACKING.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use nut_client::{Client, ErrCode, TrackingStatus};
use nut_testkit::stack::{Impl, Stack};

fn stack(dir: &std::path::Path) -> Option<Stack> {
    if !nut_testkit::require_debian_nut("nut-client upsd") {
        return None;
    }
    let dev = dir.join("ups1.dev");
    std::fs::write(&dev, "ups.status: OL\nbattery.charge: 95\nups.id: \"my \\\"big\\\" ups\"\n")
        .expect("write .dev");
    let upsd =
        if std::env::var("NUT_TEST_UPSD").as_deref() == Ok("ours") { Impl::Ours } else { Impl::Debian };
    Some(
        Stack::builder()
            .dummy("ups1", &dev, Impl::Debian)
            .desc("Test UPS")
            .upsd(upsd)
            .start()
            .expect("stack"),
    )
}

#[test]
fn requests_and_replies() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let mut c = Client::connect("127.0.0.1", s.port()).expect("connect");
    assert!(c.ver().expect("VER").starts_with("Network UPS Tools upsd "));
    assert_eq!(c.netver().expect("NETVER"), "1.3");
    assert_eq!(c.list_ups().expect("LIST UPS"), vec![("ups1".to_string(), "Test UPS".to_string())]);
    assert_eq!(c.get_upsdesc("ups1").expect("UPSDESC"), "Test UPS");
    let vars = c.list_var("ups1").expect("LIST VAR");
    assert!(vars.contains(&("ups.id".to_string(), "my \"big\" ups".to_string())), "{vars:?}");
    assert_eq!(c.get_var("ups1", "battery.charge").expect("GET VAR"), "95");
    assert!(c.get_type("ups1", "ups.id").expect("TYPE").string.is_some());
    assert_eq!(c.get_desc("ups1", "battery.charge").expect("DESC"), "Battery charge (percent of full)");
    assert!(c.list_cmd("ups1").expect("LIST CMD").contains(&"load.off".to_string()));
    assert!(!c.get_cmddesc("ups1", "load.off").expect("CMDDESC").is_empty());
    assert!(c.list_rw("ups1").is_ok());
    let e = c.get_var("nosuch", "ups.status").unwrap_err();
    assert_eq!(e.code(), Some(ErrCode::UnknownUps));
    assert_eq!(e.nut_message(), "Unknown UPS");
    let e = c.get_var("ups1", "no.such").unwrap_err();
    assert_eq!(e.code(), Some(ErrCode::VarNotSupported));
    let raw = c.request("LIST UPS").expect("raw LIST");
    assert_eq!(raw.first().map(String::as_str), Some("BEGIN LIST UPS"));
    assert_eq!(raw.last().map(String::as_str), Some("END LIST UPS"));
    // Neither upsd in this stack has CERTFILE: STARTTLS is refused and nothing else changes.
    let e = c.starttls(&nut_client::TlsOptions::default()).unwrap_err();
    assert_eq!(e.code(), Some(ErrCode::FeatureNotConfigured), "{e}");
    // The connection is still usable after the refused STARTTLS.
    assert_eq!(c.get_var("ups1", "battery.charge").expect("GET VAR"), "95");
    c.logout().expect("LOGOUT");
}

#[test]
fn upsmon_session_and_tracking() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let Some(s) = stack(tmp.path()) else { return };
    let mut mon = Client::connect("127.0.0.1", s.port()).expect("connect");
    assert_eq!(mon.login("ups1").unwrap_err().code(), Some(ErrCode::UsernameRequired));
    mon.username("mon").expect("USERNAME");
    mon.password("monpw").expect("PASSWORD");
    mon.login("ups1").expect("LOGIN");
    assert!(mon.primary("ups1").expect("PRIMARY").starts_with("OK"));
    let mut c = Client::connect("localhost", s.port()).expect("connect by name");
    assert_eq!(c.get_numlogins("ups1").expect("NUMLOGINS"), 1);
    assert_eq!(c.list_client("ups1").expect("LIST CLIENT"), vec!["127.0.0.1".to_string()]);

    c.username("admin").expect("USERNAME");
    c.password("adminpw").expect("PASSWORD");
    c.set_tracking(true).expect("SET TRACKING ON");
    let id = c.instcmd("ups1", "load.off", None).expect("INSTCMD").expect("tracking id");
    let mut last = TrackingStatus::Pending;
    let done = nut_testkit::wait_until(Duration::from_secs(10), || {
        last = c.get_tracking(&id).expect("GET TRACKING");
        last != TrackingStatus::Pending
    });
    assert!(done, "tracking result arrives");
    let id = c.set_var("ups1", "battery.charge", "80").expect("SET VAR").expect("tracking id");
    assert!(nut_testkit::wait_until(Duration::from_secs(10), || {
        c.get_tracking(&id).expect("GET TRACKING") == TrackingStatus::Success
    }));
    assert_eq!(c.instcmd("ups1", "no.such", None).unwrap_err().code(), Some(ErrCode::CmdNotSupported));
    mon.fsd("ups1").expect("FSD");
    assert!(c.get_var("ups1", "ups.status").expect("status").starts_with("FSD "));
}

#[test]
fn connection_refused_says_what_to_do() {
    let port = nut_testkit::free_port();
    let e = Client::connect("127.0.0.1", port).unwrap_err();
    assert_eq!(e.nut_message(), "Connection failure: Connection refused");
    assert!(e.to_string().contains("is upsd running? check LISTEN in upsd.conf"), "{e}");
}
