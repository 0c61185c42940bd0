//! Driver behaviour on the replay transport: interrupt events between polls, `pollfreq`
//! (full vs quick walks), `pollonly`, `interruptonly`, `lowbatt`, `onlinedischarge*`,
//! `ignorelb`, and the option parsing behind them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use nut_hid::ReportType;
use usbhid_ups::hidups::{Snapshot, Walk};
use usbhid_ups::session::{Poll, PollOpts, Session};
use usbhid_ups::transport::replay::{FaultInjector, Replay};
use usbhid_ups::{settings, Settings};

fn recording(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/nut-hid/tests/data").join(name)
}

/// The Eaton 3S with the given settings (options as `ups.conf` would give them).
fn eaton(opts: &[(&str, Option<&str>)]) -> (Session, FaultInjector) {
    let set = parse(opts).expect("valid options");
    let r = Replay::open(&recording("0463-ffff-eaton-3s-700.hex")).expect("recording loads");
    let faults = r.faults();
    let engine = usbhid_ups::engine_opts(&set, &set.poll, &Default::default());
    let mut ups = usbhid_ups::open_ups_with(Box::new(r), engine).expect("descriptor parses");
    ups.policy = set.policy;
    let poll = PollOpts { interrupt_wait: Duration::from_millis(1), ..set.poll };
    (Session::with_opts(ups, poll, set.throttle_sec), faults)
}

fn parse(opts: &[(&str, Option<&str>)]) -> Result<Settings, String> {
    settings(
        |k| opts.iter().find(|(n, _)| *n == k).and_then(|(_, v)| v.map(str::to_string)),
        |k| opts.iter().any(|(n, _)| *n == k),
        |k| format!("ups.conf:{}", 10 + opts.iter().position(|(n, _)| *n == k).unwrap_or(0)),
    )
}

fn data(s: &mut Session, now: Instant) -> Snapshot {
    match s.poll(now) {
        Poll::Data(snap) => snap,
        Poll::Stale | Poll::GiveUp(_) => panic!("stale"),
    }
}

// Report 0x01 (Feature and Input): PresentStatus bits ACPresent, BelowRemainingCapacityLimit,
// Charging, CommunicationLost, Discharging, Good, InternalFailure, NeedReplacement, then
// Overload and ShutdownImminent bytes. Report 0x06: RemainingCapacity (8 bits) and
// RunTimeToEmpty (32 bits).
const ON_LINE_CHARGING: [u8; 4] = [0x01, 0x25, 0, 0];
const ON_BATTERY: [u8; 4] = [0x01, 0x30, 0, 0];
const ON_LINE_DISCHARGING: [u8; 4] = [0x01, 0x31, 0, 0];
const DEVICE_LOW_BATTERY: [u8; 4] = [0x01, 0x32, 0, 0];

fn charge(pct: u8) -> Vec<u8> {
    vec![0x06, pct, 0x20, 0x0d, 0, 0]
}

#[test]
fn interrupt_events_update_values_between_full_polls() {
    let (mut s, faults) = eaton(&[("pollfreq", Some("30"))]);
    let t0 = Instant::now();
    assert_eq!(data(&mut s, t0).vars["battery.charge"], "100");
    // The UPS notifies a new charge on the interrupt pipe; a GET_REPORT would still say 100,
    // and the quick poll does not read the charge report: the event is what updates it.
    faults.push_event(charge(57));
    let snap = data(&mut s, t0 + Duration::from_secs(2));
    assert_eq!(s.last_walk, Some(Walk::Quick));
    assert_eq!(snap.vars["battery.charge"], "57");
    // Events change status too.
    faults.push_event(ON_BATTERY.to_vec());
    faults.set_report(ReportType::Feature, 1, ON_BATTERY.to_vec());
    assert_eq!(data(&mut s, t0 + Duration::from_secs(4)).status, "OB DISCHRG");
    // At pollfreq the full walk reads the device again.
    let snap = data(&mut s, t0 + Duration::from_secs(30));
    assert_eq!(s.last_walk, Some(Walk::Full));
    assert_eq!(snap.vars["battery.charge"], "100");
}

#[test]
fn pollfreq_separates_full_and_quick_walks() {
    let (mut s, faults) = eaton(&[("pollfreq", Some("10"))]);
    let t0 = Instant::now();
    data(&mut s, t0);
    assert_eq!(s.last_walk, Some(Walk::Full));
    let full_reads = faults.report_reads();
    // The device goes on battery and its charge drops: a quick walk sees the status only.
    faults.set_report(ReportType::Feature, 1, ON_BATTERY.to_vec());
    faults.set_report(ReportType::Feature, 6, charge(80));
    let before = faults.report_reads();
    let snap = data(&mut s, t0 + Duration::from_secs(2));
    assert_eq!(s.last_walk, Some(Walk::Quick));
    assert!(faults.report_reads() - before < full_reads, "a quick walk reads fewer reports");
    assert_eq!(snap.status, "OB DISCHRG");
    assert_eq!(snap.vars["battery.charge"], "100");
    let snap = data(&mut s, t0 + Duration::from_secs(10));
    assert_eq!(s.last_walk, Some(Walk::Full));
    assert_eq!(snap.vars["battery.charge"], "80");
    // A command forces the next walk to be full (the value it changed is read back).
    s.ups.instcmd("beeper.enable").expect("command");
    data(&mut s, t0 + Duration::from_secs(11));
    assert_eq!(s.last_walk, Some(Walk::Full));
}

#[test]
fn pollonly_never_reads_the_interrupt_pipe() {
    let (mut s, faults) = eaton(&[("pollonly", None)]);
    let t0 = Instant::now();
    data(&mut s, t0);
    faults.push_event(charge(33));
    let snap = data(&mut s, t0 + Duration::from_secs(2));
    assert_eq!(faults.interrupt_reads(), 0);
    assert_eq!(snap.vars["battery.charge"], "100");
}

#[test]
fn interruptonly_reads_the_device_once_then_only_events() {
    let (mut s, faults) = eaton(&[("interruptonly", None), ("pollfreq", Some("5"))]);
    let t0 = Instant::now();
    data(&mut s, t0);
    let reads = faults.report_reads();
    faults.set_report(ReportType::Feature, 1, ON_BATTERY.to_vec());
    let snap = data(&mut s, t0 + Duration::from_secs(60));
    assert_eq!(s.last_walk, Some(Walk::Events));
    assert_eq!(snap.status, "OL", "no poll: the changed report is not read");
    faults.push_event(ON_BATTERY.to_vec());
    faults.push_event(charge(42));
    let snap = data(&mut s, t0 + Duration::from_secs(62));
    assert_eq!(snap.status, "OB DISCHRG");
    assert_eq!(snap.vars["battery.charge"], "42");
    assert_eq!(faults.report_reads(), reads, "no GET_REPORT after the first walk");
}

#[test]
fn lowbatt_sets_the_level_and_derives_lb() {
    let (mut s, faults) = eaton(&[("lowbatt", Some("50"))]);
    let t0 = Instant::now();
    let snap = data(&mut s, t0);
    assert_eq!(snap.vars["battery.charge.low"], "50");
    assert_eq!(snap.status, "OL");
    faults.set_report(ReportType::Feature, 1, ON_BATTERY.to_vec());
    faults.set_report(ReportType::Feature, 6, charge(49));
    let snap = data(&mut s, t0 + Duration::from_secs(30));
    assert_eq!(snap.status, "OB DISCHRG LB");
    // Without the option the UPS's own limit (20 %) decides: no LB at 49 %.
    let (mut plain, f2) = eaton(&[]);
    f2.set_report(ReportType::Feature, 1, ON_BATTERY.to_vec());
    f2.set_report(ReportType::Feature, 6, charge(49));
    assert_eq!(data(&mut plain, t0).status, "OB DISCHRG");
}

#[test]
fn onlinedischarge_options_reinterpret_ol_dischrg() {
    let t0 = Instant::now();
    for (opts, want) in [
        (vec![], "OL DISCHRG"),
        (vec![("onlinedischarge", None)], "OB DISCHRG"),
        // NUT 2.8.5 sets CAL and drops OL when the option says OL+DISCHRG is a calibration.
        (vec![("onlinedischarge_calibration", None)], "CAL DISCHRG"),
        (vec![("onlinedischarge_log_throttle_sec", Some("0"))], "OL DISCHRG"),
    ] {
        let (mut s, faults) = eaton(&opts);
        faults.set_report(ReportType::Feature, 1, ON_LINE_DISCHARGING.to_vec());
        let snap = data(&mut s, t0);
        assert_eq!(snap.status, want, "{opts:?}");
        assert_eq!(snap.unexplained_online_discharge, opts.is_empty() || opts[0].0.ends_with("sec"));
    }
}

#[test]
fn ignorelb_replaces_the_device_flag_with_the_limits() {
    // ignorelb is the framework's (every driver's, as in NUT 2.8.5): the driver reports the
    // device's LB and the status helpers drop it and use the limits instead.
    let t0 = Instant::now();
    let published = |snap: &Snapshot, ignorelb: bool| {
        let mut st = nut_driver::State::new();
        if ignorelb {
            st.set_info("driver.flag.ignorelb", "enabled");
        }
        usbhid_ups::publish(&mut st, snap);
        st.get_info("ups.status").unwrap_or_default().to_string()
    };
    // The UPS raises its low-battery flag at 100 % charge (a known firmware bug).
    let (mut s, faults) = eaton(&[]);
    faults.set_report(ReportType::Feature, 1, DEVICE_LOW_BATTERY.to_vec());
    let snap = data(&mut s, t0);
    assert_eq!(snap.status, "OB DISCHRG LB");
    assert_eq!(published(&snap, false), "OB DISCHRG LB");
    assert_eq!(published(&snap, true), "OB DISCHRG");
    // Below battery.charge.low (20 % on this UPS) the framework raises LB itself.
    faults.set_report(ReportType::Feature, 6, charge(19));
    faults.set_report(ReportType::Feature, 1, ON_BATTERY.to_vec());
    let snap = data(&mut s, t0 + Duration::from_secs(30));
    assert_eq!(published(&snap, true), "OB DISCHRG LB");
}

#[test]
fn usb_options_are_parsed_as_nut_does() {
    let set = parse(&[
        ("usb_config_index", Some("1")),
        ("usb_hid_rep_index", Some("0x02")),
        ("usb_hid_desc_index", Some("a")),
        ("usb_hid_ep_in", Some("3")),
        ("usb_set_altinterface", None),
    ])
    .expect("valid");
    let u = set.usb;
    assert_eq!((u.config_index, u.interface, u.desc_index, u.ep_in), (Some(1), Some(2), Some(10), Some(3)));
    assert_eq!(u.altinterface, Some(0), "the flag alone means bAlternateSetting 0");
    assert_eq!(parse(&[("usb_set_altinterface", Some("2"))]).expect("valid").usb.altinterface, Some(2));
    let e = parse(&[("pollonly", None), ("usb_hid_rep_index", Some("zz"))]).expect_err("bad hex");
    assert!(e.starts_with("ups.conf:11: could not parse usb_hid_rep_index"), "{e}");
    // usb_hid_ep_out is checked as NUT checks it (hex) and kept: usbhid-ups sends reports over
    // the control endpoint, in NUT as here, so nothing else reads it.
    assert_eq!(parse(&[("usb_hid_ep_out", Some("1"))]).expect("valid").usb.ep_out, Some(1));
    let e = parse(&[("usb_hid_ep_out", Some("x1"))]).expect_err("bad hex");
    assert!(e.starts_with("ups.conf:10: could not parse usb_hid_ep_out"), "{e}");
    assert!(parse(&[("usb_set_altinterface", Some("x"))]).is_err());
    assert!(parse(&[("usb_config_index", Some("100"))]).is_err(), "above 0xff");
}

#[test]
fn malformed_events_change_nothing_short_ones_what_they_carry() {
    let (mut s, faults) = eaton(&[]);
    let t0 = Instant::now();
    let before = data(&mut s, t0);
    for junk in [vec![], vec![0x06], vec![0xee, 1, 2, 3], vec![0x01]] {
        faults.push_event(junk);
    }
    let after = data(&mut s, t0 + Duration::from_secs(2));
    assert_eq!(before, after);
    // A short report carries RemainingCapacity (byte 0) but not RunTimeToEmpty (bytes 1-4):
    // the charge is taken, the runtime keeps its value.
    faults.push_event(vec![0x06, 50]);
    let snap = data(&mut s, t0 + Duration::from_secs(3));
    assert_eq!((snap.vars["battery.charge"].as_str(), snap.vars["battery.runtime"].as_str()), ("50", "3360"));
    // Extra trailing bytes are tolerated, as from real devices that pad reports.
    faults.push_event(vec![0x06, 61, 0x20, 0x0d, 0, 0, 0xff, 0xff]);
    assert_eq!(data(&mut s, t0 + Duration::from_secs(4)).vars["battery.charge"], "61");
    let _ = ON_LINE_CHARGING;
}

#[test]
fn option_errors_name_the_option() {
    for (opts, needle) in [
        (vec![("pollfreq", Some("0"))], "pollfreq"),
        (vec![("pollfreq", Some("soon"))], "pollfreq"),
        (vec![("lowbatt", Some("120"))], "lowbatt"),
        (vec![("onlinedischarge_log_throttle_sec", Some("x"))], "onlinedischarge_log_throttle_sec"),
    ] {
        let e = parse(&opts).expect_err("invalid");
        assert!(e.contains(needle), "{e}");
    }
    let ok = parse(&[("pollfreq", Some("15")), ("lowbatt", Some("25")), ("allow_duplicates", None)])
        .expect("valid");
    assert_eq!(ok.poll.pollfreq, Duration::from_secs(15));
    // pollonly and interruptonly together: polling wins (the driver warns at start).
    let both = parse(&[("pollonly", None), ("interruptonly", None)]).expect("accepted, as NUT");
    assert!(both.poll.pollonly && !both.poll.interruptonly);
    assert_eq!(ok.policy.lowbatt, Some(25.0));
    assert!(ok.allow_duplicates);
}
