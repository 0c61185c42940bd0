//! The vendor tables on real recordings: every mapping added for CyberPower and Tripp Lite is
//! checked against the values NUT decoded from these devices (their `.values.tsv`), and each
//! status bit is exercised by flipping it in the replayed report. Phoenixtec/Liebert, Powercom,
//! Salicru, Delta and Legrand: `vendors_b.rs`.

use std::path::PathBuf;
use std::time::Instant;

use nut_hid::ReportType;
use usbhid_ups::hidups::Snapshot;
use usbhid_ups::session::{Poll, Session};
use usbhid_ups::transport::replay::{FaultInjector, Replay};

fn open(name: &str) -> (Session, FaultInjector) {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/nut-hid/tests/data").join(name);
    let r = Replay::open(&p).expect("recording loads");
    let f = r.faults();
    (Session::new(usbhid_ups::open_ups(Box::new(r)).expect("parses")), f)
}

fn poll(s: &mut Session) -> Snapshot {
    match s.poll(Instant::now()) {
        Poll::Data(d) => d,
        Poll::Stale | Poll::GiveUp(_) => panic!("stale"),
    }
}

fn expect(snap: &Snapshot, want: &[(&str, &str)]) {
    for (k, v) in want {
        assert_eq!(snap.vars.get(*k).map(String::as_str), Some(*v), "{k}: {:#?}", snap.vars);
    }
}

/// Set the field at `path` to `value` in the device's report (as the UPS would after a change).
fn set(s: &mut Session, faults: &FaultInjector, path: &str, value: i64) {
    let f = s.ups.field(path).cloned().unwrap_or_else(|| panic!("no field {path}"));
    let mut data = s.ups.read_report(f.report_type, f.report_id).expect("report");
    f.store(&mut data, value).expect("fits");
    let mut wire = vec![f.report_id];
    wire.extend(data);
    faults.set_report(ReportType::Feature, f.report_id, wire);
}

/// Flip each status path on and check the token appears; then clear it again.
fn check_bits(s: &mut Session, faults: &FaultInjector, bits: &[(&str, &str)]) {
    for (path, token) in bits {
        set(s, faults, path, 1);
        let snap = poll_full(s);
        assert!(snap.status.split(' ').any(|t| t == *token), "{path} -> {token}: {}", snap.status);
        set(s, faults, path, 0);
        let snap = poll_full(s);
        assert!(!snap.status.split(' ').any(|t| t == *token), "{path} cleared: {}", snap.status);
    }
}

fn poll_full(s: &mut Session) -> Snapshot {
    s.ups.update().expect("full update")
}

#[test]
fn cyberpower_output_collection() {
    let (mut s, faults) = open("0764-0501-cyberpower-cp1500pfclcd.hex");
    let snap = poll(&mut s);
    expect(
        &snap,
        &[
            ("ups.load", "3"),
            ("ups.timer.shutdown", "-60"),
            ("ups.timer.start", "-60"),
            ("ups.delay.shutdown", "20"),
            ("ups.delay.start", "30"),
            ("ups.test.result", "No test initiated"),
            ("ups.realpower.nominal", "900"),
        ],
    );
    assert_eq!(snap.status, "OL");
    for c in ["test.battery.start.quick", "load.off.delay", "shutdown.stop", "beeper.enable"] {
        assert!(s.ups.commands().contains(&c), "{c}");
    }
    s.ups.instcmd("test.battery.start.quick").expect("test starts");
    check_bits(&mut s, &faults, &[("UPS.Output.Overload", "OVER"), ("UPS.Output.Boost", "BOOST")]);
}

#[test]
fn tripp_lite_converter_status() {
    let (mut s, faults) = open("09ae-3016-tripp-lite-ups.hex");
    // The recording lacks PowerSummary report 0x32 (the power state): NUT sets no OL/OB then.
    assert_eq!(poll(&mut s).status, "");
    check_bits(
        &mut s,
        &faults,
        &[
            ("UPS.PowerConverter.PresentStatus.Boost", "BOOST"),
            ("UPS.PowerConverter.PresentStatus.Buck", "TRIM"),
            ("UPS.PowerConverter.PresentStatus.Overload", "OVER"),
        ],
    );
    set(&mut s, &faults, "UPS.PowerConverter.PresentStatus.OverTemperature", 1);
    assert_eq!(poll_full(&mut s).alarm, "Temperature too high!");
}
