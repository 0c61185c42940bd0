//! The replayed Eaton 3S publishes NUT's variables, and the session recovers from faults
//! injected on the replay transport without a restart.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use usbhid_ups::session::{Poll, Session};
use usbhid_ups::transport::replay::{Fault, Replay};

fn recording(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/nut-hid/tests/data").join(name)
}

fn eaton() -> (Session, usbhid_ups::transport::replay::FaultInjector) {
    let r = Replay::open(&recording("0463-ffff-eaton-3s-700.hex")).expect("recording loads");
    let faults = r.faults();
    let ups = usbhid_ups::open_ups(Box::new(r)).expect("descriptor parses");
    (Session::new(ups), faults)
}

#[test]
fn eaton_3s_publishes_the_ddl_variables() {
    let (mut s, _) = eaton();
    let Poll::Data(snap) = s.poll(Instant::now()) else { panic!("no data") };
    // Variables of nut-ddl Eaton__3S_550__usbhid-ups__2.6.5__01.dev that come from HID reports.
    for v in [
        "battery.charge",
        "battery.charge.low",
        "battery.runtime",
        "input.transfer.high",
        "input.transfer.low",
        "outlet.1.desc",
        "outlet.1.id",
        "outlet.1.status",
        "outlet.1.switchable",
        "outlet.desc",
        "outlet.id",
        "outlet.switchable",
        "output.frequency.nominal",
        "output.voltage",
        "output.voltage.nominal",
        "ups.beeper.status",
        "ups.delay.shutdown",
        "ups.delay.start",
        "ups.load",
        "ups.power.nominal",
        "ups.timer.shutdown",
        "ups.timer.start",
        "ups.vendorid",
        "ups.productid",
    ] {
        assert!(snap.vars.contains_key(v), "missing {v}: {:?}", snap.vars);
    }
    assert_eq!(snap.vars["battery.charge"], "100");
    assert_eq!(snap.vars["ups.power.nominal"], "700");
    assert_eq!(snap.vars["output.voltage"], "230.0");
    assert_eq!(snap.vars["ups.timer.shutdown"], "-1");
    assert_eq!(snap.vars["ups.delay.shutdown"], "20");
    assert_eq!(snap.status, "OL CHRG");
    assert_eq!(snap.vars["driver.version.data"], "MGE HID 1.58");
}

#[test]
fn recovers_from_unplug_stall_short_read_and_garbage() {
    let (mut s, faults) = eaton();
    let t0 = Instant::now();
    assert!(matches!(s.poll(t0), Poll::Data(_)));
    for f in [Fault::Stall, Fault::ShortRead, Fault::Garbage] {
        faults.inject(f);
        assert_eq!(s.poll(t0), Poll::Stale, "{f:?} must mark data stale at once");
        assert!(matches!(s.poll(t0), Poll::Data(_)), "{f:?}: fresh data at the next poll");
    }
    // Unplugged for "a minute": every poll is stale, reconnects back off, never a panic.
    faults.inject(Fault::Unplug);
    let mut now = t0;
    for _ in 0..30 {
        assert_eq!(s.poll(now), Poll::Stale);
        now += Duration::from_secs(2);
    }
    faults.inject(Fault::Plug);
    // Within the longest backoff the same device is reopened and data is fresh again.
    let deadline = now + usbhid_ups::session::MAX_BACKOFF + Duration::from_secs(2);
    let mut fresh = false;
    while now <= deadline {
        if let Poll::Data(snap) = s.poll(now) {
            assert_eq!(snap.vars["battery.charge"], "100");
            fresh = true;
            break;
        }
        now += Duration::from_secs(2);
    }
    assert!(fresh, "data still stale after the device came back");
    assert!(!s.is_failing());
}

#[test]
fn commands_and_writes_reach_the_device() {
    let (mut s, _) = eaton();
    assert!(s.ups.commands().contains(&"beeper.enable"));
    s.ups.instcmd("beeper.enable").expect("command");
    let Poll::Data(snap) = s.poll(Instant::now()) else { panic!("no data") };
    assert_eq!(snap.vars["ups.beeper.status"], "enabled");
    s.ups.setvar("battery.charge.low", "30").expect("write");
    let Poll::Data(snap) = s.poll(Instant::now()) else { panic!("no data") };
    assert_eq!(snap.vars["battery.charge.low"], "30");
    assert!(s.ups.instcmd("no.such.command").is_err());
}

#[test]
fn apc_back_ups_cs_500_matches_upsc_dump() {
    let r = Replay::open(&recording("051d-0002-apc-back-ups-cs-500.hex")).expect("recording loads");
    let mut s = Session::new(usbhid_ups::open_ups(Box::new(r)).expect("parses"));
    let Poll::Data(snap) = s.poll(Instant::now()) else { panic!("no data") };
    let dump = std::fs::read_to_string(recording("051d-0002-apc-back-ups-cs-500.upsc.txt")).expect("dump");
    // Values that come from HID reports (strings need the USB string descriptors, not recorded).
    for key in [
        "battery.charge",
        "battery.charge.low",
        "battery.charge.warning",
        "battery.runtime",
        "battery.voltage.nominal",
        "ups.status",
    ] {
        let want = dump.lines().find_map(|l| l.strip_prefix(&format!("{key}: "))).expect("in dump");
        let got = if key == "ups.status" {
            snap.status.clone()
        } else {
            snap.vars.get(key).cloned().unwrap_or_default()
        };
        assert_eq!(got, want, "{key}");
    }
}

#[test]
fn a_recording_of_the_replayed_device_replays_to_the_same_variables() {
    let dir = nut_testkit::TempDir::new().expect("temp dir");
    for name in ["0463-ffff-eaton-3s-700.hex", "051d-0002-apc-back-ups-cs-500.hex"] {
        let orig = Replay::open(&recording(name)).expect("loads");
        let mut ups = usbhid_ups::open_ups(Box::new(orig)).expect("parses");
        let files = usbhid_ups::record::capture(&mut ups, name).expect("records");
        let stem = usbhid_ups::record::stem(dir.path(), true, 0, 0, None);
        let stem = stem.with_file_name(name.trim_end_matches(".hex"));
        let hex = usbhid_ups::record::write(&stem, &files).expect("writes");
        let want = Session::new(ups).poll(Instant::now());
        let again = Replay::open(&hex).expect("the recording loads");
        let got = Session::new(usbhid_ups::open_ups(Box::new(again)).expect("parses")).poll(Instant::now());
        assert!(matches!(want, Poll::Data(_)));
        assert_eq!(got, want, "{name}");
    }
}

#[test]
fn record_flag_writes_files_that_replay() {
    let bin = nut_testkit::bin("usbhid-ups");
    let dir = nut_testkit::TempDir::new().expect("temp dir");
    let fixture = recording("0463-ffff-eaton-3s-700.hex");
    let out = std::process::Command::new(&bin)
        .args(["-s", "rec", "-x"])
        .arg(format!("port={}", fixture.display()))
        .arg("-x")
        .arg(format!("record={}", dir.path().display()))
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hex = dir.path().join("0463-ffff-eaton-3s.hex");
    assert!(hex.exists(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(dir.path().join("0463-ffff-eaton-3s.strings.txt").exists());
    let explore = |port: &std::path::Path| {
        let o = std::process::Command::new(&bin)
            .args(["-s", "x", "-x"])
            .arg(format!("port={}", port.display()))
            .args(["-x", "explore"])
            .output()
            .expect("runs");
        String::from_utf8_lossy(&o.stdout).to_string()
    };
    assert_eq!(explore(&hex), explore(&fixture));
}
