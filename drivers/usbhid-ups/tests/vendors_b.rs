//! NUT 2.8.5's `liebert-hid` (Phoenixtec units), `powercom-hid`, `salicru-hid`,
//! `delta_ups-hid` and `legrand-hid` tables on real recordings.
//!
//! Two kinds of tests:
//! * per device, the variables, status and commands NUT's table gives for the recorded
//!   reports, worked out by hand from NUT's table and the values NUT printed (comments say
//!   how), with status bits flipped in the replayed reports;
//! * over every recording that exists (the repository's copy and `../shared/testdata/
//!   hid-descriptors`, or `$NUT_HID_DESCRIPTORS_DIR`): each variable of these subdrivers
//!   whose field NUT printed as a raw value is published as NUT's table formats that value;
//!   and, where nut-ddl (`$NUT_DDL_DIR` or `../shared/testdata/nut-ddl`) has a dump of the
//!   same model taken with the same subdriver, the dump's variables that come from recorded
//!   reports are published (with the same values when the recording was taken from the
//!   dump's own log).
//!
//! Tests marked `#[ignore = "waits for the engine: ..."]` state NUT's behaviour that needs
//! engine work in progress elsewhere; run them with `--include-ignored`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use nut_hid::recording::{parse_values_tsv, ValueRow};
use nut_hid::ReportType;
use usbhid_ups::hidups::{HidUps, Snapshot};
use usbhid_ups::subdrivers::{delta, flag, legrand, liebert, powercom, salicru, Conv, Subdriver};
use usbhid_ups::transport::replay::{FaultInjector, Replay};

/// The subdrivers this file covers.
const MINE: [&Subdriver; 5] =
    [&liebert::SUBDRIVER, &powercom::SUBDRIVER, &salicru::SUBDRIVER, &delta::SUBDRIVER, &legrand::SUBDRIVER];

fn is_mine(s: &Subdriver) -> bool {
    MINE.iter().any(|m| m.name == s.name)
}

fn repo_recordings() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/nut-hid/tests/data")
}

fn shared_recordings() -> Option<PathBuf> {
    let dir = std::env::var_os("NUT_HID_DESCRIPTORS_DIR").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/hid-descriptors")
    });
    dir.is_dir().then_some(dir)
}

fn ddl_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("NUT_DDL_DIR").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/nut-ddl")
    });
    dir.is_dir().then_some(dir)
}

/// Every recording (`.hex`), by file name: the shared collection's copy when it has one.
fn all_recordings() -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    for dir in [Some(repo_recordings()), shared_recordings()].into_iter().flatten() {
        let Ok(rd) = std::fs::read_dir(&dir) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "hex") {
                out.insert(e.file_name().to_string_lossy().to_string(), p);
            }
        }
    }
    out
}

fn open_path(hex: &Path, sub: &'static Subdriver) -> (HidUps, FaultInjector) {
    let r = Replay::open(hex).unwrap_or_else(|e| panic!("{}: {e}", hex.display()));
    let f = r.faults();
    (HidUps::new(Box::new(r), sub).unwrap_or_else(|e| panic!("{}: {e}", hex.display())), f)
}

/// The USB vendors of these subdrivers' devices.
const VENDORS: [u16; 5] = [0x06da, 0x0d9f, 0x2e66, 0x05dd, 0x1cb0];

/// A recording opened as the driver opens a device (the subdriver its claim picks), when the
/// subdriver is one of these. A recording of one of these vendors must open.
fn open_routed(name: &str, hex: &Path) -> Option<HidUps> {
    let vid = vid_pid(name)?.0;
    let ups =
        match Replay::open(hex).map_err(|e| e.to_string()).and_then(|r| usbhid_ups::open_ups(Box::new(r))) {
            Ok(u) => u,
            Err(e) if VENDORS.contains(&vid) => panic!("{name}: {e}"),
            Err(_) => return None,
        };
    is_mine(ups.subdriver).then_some(ups)
}

/// A named recording with an explicit subdriver (as `subdriver = ...` in ups.conf).
fn open(name: &str, sub: &'static Subdriver) -> (HidUps, FaultInjector) {
    open_path(&repo_recordings().join(name), sub)
}

fn expect(snap: &Snapshot, want: &[(&str, &str)]) {
    for (k, v) in want {
        assert_eq!(snap.vars.get(*k).map(String::as_str), Some(*v), "{k}: {:#?}", snap.vars);
    }
}

fn absent(snap: &Snapshot, names: &[&str]) {
    for k in names {
        assert!(!snap.vars.contains_key(*k), "{k} is not in NUT's table for this device: {:#?}", snap.vars);
    }
}

/// The report holding `path` as the device now answers it (without the id byte); all zeros
/// when the recording does not have that report.
fn report_of(ups: &mut HidUps, path: &str) -> (nut_hid::Field, Vec<u8>) {
    let f = ups.field(path).cloned().unwrap_or_else(|| panic!("no field {path}"));
    let data = ups.read_report(f.report_type, f.report_id).unwrap_or_else(|_| {
        let len = ups.descriptor.wire_length(f.report_type, f.report_id).expect("length");
        vec![0; len - usize::from(ups.descriptor.uses_report_ids)]
    });
    (f, data)
}

/// Make the device answer with `path` = `value` from now on (as the UPS would after a change).
fn set(ups: &mut HidUps, faults: &FaultInjector, path: &str, value: i64) {
    let (f, mut data) = report_of(ups, path);
    f.store(&mut data, value).expect("fits");
    let mut wire = Vec::new();
    if ups.descriptor.uses_report_ids {
        wire.push(f.report_id);
    }
    wire.extend(data);
    faults.set_report(f.report_type, f.report_id, wire);
}

/// The raw value the device now holds at `path`.
fn read(ups: &mut HidUps, path: &str) -> i64 {
    let (f, data) = report_of(ups, path);
    f.logical_value(&data).expect("value")
}

/// A named recording with an explicit subdriver, whose device also answers `extra` (path,
/// value) in reports the log did not record (zeros elsewhere), from the start: NUT offers a
/// command only when its report reads at start-up.
fn open_answering(name: &str, sub: &'static Subdriver, extra: &[(&str, i64)]) -> (HidUps, FaultInjector) {
    use usbhid_ups::transport::Transport;
    let hex = repo_recordings().join(name);
    let mut r = Replay::open(&hex).unwrap_or_else(|e| panic!("{}: {e}", hex.display()));
    let faults = r.faults();
    let desc = nut_hid::parse(&r.descriptor().expect("descriptor")).expect("parses");
    let ids = usize::from(desc.uses_report_ids);
    for (path, value) in extra {
        let mut fields: Vec<&nut_hid::Field> =
            desc.fields.iter().filter(|f| nut_hid::path_to_string(&f.path, sub.usages) == *path).collect();
        fields.sort_by_key(|f| f.report_type != ReportType::Feature);
        let f = fields.first().unwrap_or_else(|| panic!("no field {path}"));
        let len = desc.wire_length(f.report_type, f.report_id).expect("length");
        let mut wire = r.get_report(f.report_type, f.report_id, len).unwrap_or_else(|_| {
            let mut w = vec![0; len];
            if ids == 1 {
                w[0] = f.report_id;
            }
            w
        });
        f.store(&mut wire[ids..], *value).expect("fits");
        faults.set_report(f.report_type, f.report_id, wire.clone());
        // Later fields of the same report build on this one.
        r.set_report(f.report_type, f.report_id, &wire).expect("replay");
    }
    (HidUps::new(Box::new(r), sub).expect("parses"), faults)
}

fn tokens(s: &Snapshot) -> BTreeSet<String> {
    s.status.split_whitespace().map(str::to_string).collect()
}

/// Set each path to the value, check `token` appears; put the old values back and check it
/// is gone.
fn flip(ups: &mut HidUps, faults: &FaultInjector, changes: &[(&str, i64)], token: &str) {
    let old: Vec<(&str, i64)> = changes.iter().map(|(p, _)| (*p, read(ups, p))).collect();
    for (p, v) in changes {
        set(ups, faults, p, *v);
    }
    let on = ups.update().expect("update");
    assert!(tokens(&on).contains(token), "{changes:?} -> {token}: {}", on.status);
    for (p, v) in &old {
        set(ups, faults, p, *v);
    }
    let off = ups.update().expect("update");
    assert!(!tokens(&off).contains(token), "{changes:?} undone: {}", off.status);
}

// ---------------------------------------------------------------------------------------
// liebert-hid: Phoenixtec (06da:ffff) units.

/// PowerWalker VI 1200 SHL (NUT issue 1270, NUT 2.7.4 log). The values NUT 2.8.5's liebert
/// table gives for the recorded reports: PercentLoad 8, RemainingCapacity 100, RunTimeToEmpty
/// 5245 (the first read), Flow.[4] 5 VA / 230 V / 50 Hz, Output 234 V at 49.8 Hz (report 0x42
/// `f2 01 ea 00`), Input.[1] 234 V, Test 6, AudibleAlarmControl 2, battery 27.2 V (raw 272,
/// unit exponent 6 on volts = 10^-1).
#[test]
fn phoenixtec_vi_1200_shl_publishes_nut_liebert_table() {
    // The log has no read of the delay reports: let the device answer them (no countdown).
    let delays = [("UPS.PowerSummary.DelayBeforeShutdown", 0), ("UPS.PowerSummary.DelayBeforeStartup", 0)];
    let (mut ups, _) = open_answering("06da-ffff-powerwalker-vi-1200-shl.hex", &liebert::SUBDRIVER, &delays);
    let snap = ups.update().expect("update");
    expect(
        &snap,
        &[
            ("battery.voltage", "27.20"),
            ("battery.charge", "100"),
            ("experimental.battery.capacity", "100"),
            ("experimental.battery.capacity.nominal", "100"),
            ("battery.runtime", "5245"),
            ("ups.load", "8"),
            ("ups.power.nominal", "5"),
            ("ups.test.result", "No test initiated"),
            ("ups.beeper.status", "enabled"),
            ("output.voltage", "234.0"),
            ("output.voltage.nominal", "230"),
            ("output.frequency", "49.80"),
            ("output.frequency.nominal", "50"),
            ("input.voltage", "234.0"),
            // DEFAULT_ONDELAY / DEFAULT_OFFDELAY: the DelayBefore* paths exist.
            ("ups.delay.start", "30"),
            ("ups.delay.shutdown", "20"),
            ("driver.version.data", "Phoenixtec/Liebert HID 0.41"),
            // No manufacturer string in the recording: NUT's fallback.
            ("ups.mfr", "Liebert"),
        ],
    );
    // What NUT's 2.7.4 MGE table gave this unit (nut-ddl PowerWalker__VI_1200_SHL) is not in
    // NUT 2.8.5's liebert table.
    absent(&snap, &["ups.type", "outlet.1.status", "battery.charge.low", "ups.timer.shutdown"]);
    // ACPresent 1, Charging 1, Good 1, others 0 (the exact ups.status: nut_285_status_rules).
    assert!(tokens(&snap).contains("OL") && !tokens(&snap).contains("OB"), "{}", snap.status);
    assert_eq!(snap.alarm, "");
    let mut cmds = ups.commands();
    cmds.sort();
    for c in ["beeper.toggle", "load.off.delay", "load.on.delay", "shutdown.stop", "test.battery.start"] {
        assert!(cmds.contains(&c), "{c}: {cmds:?}");
    }
    for c in ["test.battery.start.quick", "beeper.enable", "shutdown.reboot"] {
        assert!(!cmds.contains(&c), "{c} is not in NUT's liebert table: {cmds:?}");
    }
}

#[test]
fn phoenixtec_status_bits() {
    let (mut ups, faults) = open("06da-ffff-powerwalker-vi-1200-shl.hex", &liebert::SUBDRIVER);
    let ps = "UPS.PowerSummary.PresentStatus";
    let on_battery =
        [(format!("{ps}.ACPresent"), 0), (format!("{ps}.Charging"), 0), (format!("{ps}.Discharging"), 1)];
    let on_battery: Vec<(&str, i64)> = on_battery.iter().map(|(p, v)| (p.as_str(), *v)).collect();
    flip(&mut ups, &faults, &on_battery, "OB");
    flip(&mut ups, &faults, &on_battery, "DISCHRG");
    flip(&mut ups, &faults, &[(&format!("{ps}.BelowRemainingCapacityLimit"), 1)], "LB");
    flip(&mut ups, &faults, &[(&format!("{ps}.Overload"), 1)], "OVER");
    // "Good" = 0 is NUT's off_info: the output is off.
    flip(&mut ups, &faults, &[(&format!("{ps}.Good"), 0)], "OFF");
    flip(&mut ups, &faults, &[("UPS.PowerConverter.Input.[1].PresentStatus.Buck", 1)], "TRIM");
    flip(&mut ups, &faults, &[("UPS.PowerConverter.Input.[1].PresentStatus.Boost", 1)], "BOOST");
}

#[test]
fn phoenixtec_commands_write_nut_values() {
    let delays = [("UPS.PowerSummary.DelayBeforeShutdown", 0)];
    let (mut ups, _) = open_answering("06da-ffff-powerwalker-vi-1200-shl.hex", &liebert::SUBDRIVER, &delays);
    ups.update().expect("update");
    ups.instcmd("test.battery.start").expect("test.battery.start");
    assert_eq!(read(&mut ups, "UPS.BatterySystem.Battery.Test"), 1);
    ups.instcmd("beeper.toggle").expect("beeper.toggle");
    assert_eq!(read(&mut ups, "UPS.PowerSummary.AudibleAlarmControl"), 1);
    ups.instcmd("load.off.delay").expect("load.off.delay");
    assert_eq!(read(&mut ups, "UPS.PowerSummary.DelayBeforeShutdown"), 20, "offdelay default");
}

/// PowerWalker VFI 2000 RT (NUT issue 1114). liebert-hid names no vendor usages, so its
/// transfer points are NUT's hex paths: ffff0057/58 (MGE calls them Low/HighVoltageBypassTransfer)
/// 184 and 264 V, ffff00f9/f8 45 and 55 Hz; the plain transfer points 120 and 276 V.
#[test]
fn phoenixtec_vfi_2000_rt_vendor_paths() {
    let (mut ups, _) = open("06da-ffff-powerwalker-vfi-2000-rt.hex", &liebert::SUBDRIVER);
    assert!(ups.field("UPS.PowerConverter.Output.ffff0057").is_some(), "hex vendor path");
    let snap = ups.update().expect("update");
    expect(
        &snap,
        &[
            ("input.transfer.low", "184"),
            ("input.transfer.high", "264"),
            ("input.frequency.transfer.low", "45"),
            ("input.frequency.transfer.high", "55"),
            ("output.transfer.low", "120.0"),
            ("output.transfer.high", "276.0"),
            ("ups.power.nominal", "2000"),
            ("output.voltage.nominal", "220"),
            ("input.voltage", "237.0"),
            ("battery.charge", "99"),
            ("battery.runtime", "11387"),
            ("ups.load", "0"),
        ],
    );
    // The MGE table's names for the same fields (mge-hid claims 06da only for AEG units).
    absent(&snap, &["input.transfer.bypass.low", "ups.realpower.nominal", "outlet.1.status"]);
    assert!(tokens(&snap).contains("OL"), "{}", snap.status);
}

// ---------------------------------------------------------------------------------------
// powercom-hid.

/// Powercom BNT-800AP ("HID UPS Battery", NUT issue 1695): the first (on mains) read.
/// AudibleAlarmControl 2 is "disabled" in Powercom's own beeper table; ManufacturerDate
/// 17455 = 2014/01/15; DelayBeforeShutdown 0 reads back as 0 s.
#[test]
fn powercom_bnt_publishes_nut_powercom_table() {
    let (mut ups, _) = open("0d9f-0004-powercom-hid-ups-battery-996b.hex", &powercom::SUBDRIVER);
    let snap = ups.update().expect("update");
    expect(
        &snap,
        &[
            ("battery.charge", "100"),
            ("battery.charge.low", "10"),
            ("battery.charge.warning", "30"),
            ("battery.runtime", "2100"),
            ("battery.mfr.date", "2014/01/15"),
            ("battery.temperature", "39.0"),
            ("ups.beeper.status", "disabled"),
            ("ups.load", "6"),
            ("ups.date", "2014/01/15"),
            ("ups.test.result", "Done and passed"),
            ("ups.timer.shutdown", "0"),
            ("input.voltage", "228.0"),
            ("input.voltage.nominal", "220"),
            ("input.frequency", "50.0"),
            ("output.voltage", "228.0"),
            ("output.voltage.nominal", "220"),
            ("output.frequency", "50.0"),
            // Powercom's table default for the start delay is 60 s, not DEFAULT_ONDELAY.
            ("ups.delay.start", "60"),
            ("ups.delay.shutdown", "20"),
            ("ups.mfr", "PowerCOM"),
            ("driver.version.data", "PowerCOM HID 0.74"),
        ],
    );
    // NUT's table does not map these paths of this unit.
    absent(&snap, &["output.frequency.nominal", "ups.power.nominal", "battery.voltage.nominal"]);
    assert_eq!(snap.status, "OL");
    let cmds = ups.commands();
    for c in
        ["beeper.toggle", "beeper.enable", "beeper.disable", "test.battery.start.quick", "shutdown.return"]
    {
        assert!(cmds.contains(&c), "{c}: {cmds:?}");
    }
    assert!(!cmds.contains(&"test.battery.start.deep"), "{cmds:?}");
}

#[test]
fn powercom_status_bits_and_timers() {
    let (mut ups, faults) = open("0d9f-0004-powercom-hid-ups-battery-996b.hex", &powercom::SUBDRIVER);
    ups.update().expect("update");
    // This unit reports its status twice (UPS.PowerSummary.PresentStatus and
    // UPS.PresentStatus, reports 0x0a and 0x26); NUT reads both, the later entry wins, so a
    // change shows when both say it, as they do on the device.
    let both = |bit: &str, v: i64| {
        [(format!("UPS.PowerSummary.PresentStatus.{bit}"), v), (format!("UPS.PresentStatus.{bit}"), v)]
    };
    for (bit, v, token) in [
        ("ACPresent", 0, "OB"),
        ("BelowRemainingCapacityLimit", 1, "LB"),
        ("ShutdownImminent", 1, "LB"),
        ("RemainingTimeLimitExpired", 1, "LB"),
        ("NeedReplacement", 1, "RB"),
        ("Overload", 1, "OVER"),
    ] {
        let ch = both(bit, v);
        let ch: Vec<(&str, i64)> = ch.iter().map(|(p, v)| (p.as_str(), *v)).collect();
        flip(&mut ups, &faults, &ch, token);
    }
    flip(&mut ups, &faults, &[("UPS.PresentStatus.Boost", 1)], "BOOST");
    flip(&mut ups, &faults, &[("UPS.PresentStatus.Buck", 1)], "TRIM");
    // BatteryPresent 0 is nobattery_info's "nobattery".
    for p in ["UPS.PowerSummary.PresentStatus.BatteryPresent", "UPS.PresentStatus.BatteryPresent"] {
        set(&mut ups, &faults, p, 0);
    }
    assert!(ups.update().expect("update").alarm.contains("No battery installed!"));
    for p in ["UPS.PowerSummary.PresentStatus.BatteryPresent", "UPS.PresentStatus.BatteryPresent"] {
        set(&mut ups, &faults, p, 1);
    }
    // A running shutdown timer of 1 min 5 s (minutes in the high byte).
    set(&mut ups, &faults, "UPS.PowerSummary.DelayBeforeShutdown", 0x0105);
    assert_eq!(ups.update().expect("update").vars["ups.timer.shutdown"], "65");
}

/// The same unit's last logged read: on battery, 78 %, mains 0 V, output 216 V, 7 % load,
/// DelayBeforeShutdown `02 00` (0 min 2 s).
#[test]
fn powercom_bnt_on_battery_read() {
    let name = "0d9f-0004-powercom-hid-ups-battery-996b";
    let (mut ups, faults) = open(&format!("{name}.hex"), &powercom::SUBDRIVER);
    let text = std::fs::read_to_string(repo_recordings().join(format!("{name}.values.tsv"))).expect("values");
    // Every logged read in order: each report ends with its last state.
    for r in parse_values_tsv(&text).expect("parses") {
        faults.set_report(r.report_type, r.report_id, r.report_bytes);
    }
    let snap = ups.update().expect("update");
    assert_eq!(snap.status, "OB DISCHRG");
    expect(
        &snap,
        &[
            ("battery.charge", "78"),
            ("battery.runtime", "1500"),
            ("ups.load", "7"),
            ("input.voltage", "0.0"),
            ("input.frequency", "0.0"),
            ("output.voltage", "216.0"),
            ("ups.timer.shutdown", "2"),
        ],
    );
}

/// NUT converts the seconds of shutdown.return with powercom_shutdown_info: 20 s (offdelay)
/// with the "AC restart" flag 0x40 is 0x0054; shutdown.stayoff has flag 0x80.
#[test]
fn powercom_shutdown_commands_encode_the_delay() {
    let (mut ups, _) = open("0d9f-0004-powercom-hid-ups-battery-996b.hex", &powercom::SUBDRIVER);
    ups.update().expect("update");
    ups.instcmd("shutdown.return").expect("shutdown.return");
    assert_eq!(read(&mut ups, "UPS.PowerSummary.DelayBeforeShutdown"), 0x0054);
    ups.instcmd("shutdown.stayoff").expect("shutdown.stayoff");
    assert_eq!(read(&mut ups, "UPS.PowerSummary.DelayBeforeShutdown"), 0x0094);
}

/// NUT's initinfo: a configured ondelay replaces the table's default ups.delay.start "60",
/// and load.on.delay then uses it (powercom_startup_info: whole minutes, bytes swapped).
#[test]
fn powercom_configured_ondelay_replaces_the_table_default() {
    let (mut ups, _) = open("0d9f-0004-powercom-hid-ups-battery-996b.hex", &powercom::SUBDRIVER);
    ups.set_delays(None, None, (20, 30));
    assert_eq!(ups.update().expect("update").vars["ups.delay.start"], "60", "the table's default");
    ups.instcmd("load.on.delay").expect("load.on.delay");
    assert_eq!(read(&mut ups, "UPS.PowerSummary.DelayBeforeStartup"), 0x0100, "1 minute");
    ups.set_delays(Some(45), Some(180), (20, 30));
    let snap = ups.update().expect("update");
    assert_eq!(
        (snap.vars["ups.delay.start"].as_str(), snap.vars["ups.delay.shutdown"].as_str()),
        ("180", "45")
    );
    ups.instcmd("load.on.delay").expect("load.on.delay");
    assert_eq!(read(&mut ups, "UPS.PowerSummary.DelayBeforeStartup"), 0x0300, "3 minutes");
    ups.setvar("ups.delay.start", "120").expect("writable");
    assert_eq!(ups.update().expect("update").vars["ups.delay.start"], "120");
}

/// NUT reads report 0xa4 for the battery voltage: " 26.6 3" on mains in this recording.
#[test]
fn powercom_battery_voltage_from_q1_report() {
    let (mut ups, _) = open("0d9f-0004-powercom-hid-ups-battery-996b.hex", &powercom::SUBDRIVER);
    expect(&ups.update().expect("update"), &[("battery.voltage", "26.6")]);
}

// ---------------------------------------------------------------------------------------
// salicru-hid.

/// Salicru SLC TWIN PRO2 (NUT issue 1312): the log covers only the battery system reports;
/// of those NUT's table maps BatterySystem.Battery.Test (1 = "Done and passed") and the
/// test commands. Flow.[1].ConfigFrequency (50) and Battery.PresentStatus.Present are in the
/// recording but not in NUT's table.
#[test]
fn salicru_twin_pro2() {
    let (mut ups, faults) = open("2e66-0201-salicru-slc-twin-pro2-3kva.hex", &salicru::SUBDRIVER);
    let snap = ups.update().expect("update");
    expect(
        &snap,
        &[
            ("ups.test.result", "Done and passed"),
            ("ups.mfr", "Salicru"),
            ("driver.version.data", "Salicru HID 0.4"),
        ],
    );
    absent(&snap, &["input.frequency.nominal", "output.frequency.nominal"]);
    set(&mut ups, &faults, "UPS.BatterySystem.Battery.PresentStatus.Present", 0);
    assert_eq!(ups.update().expect("update").alarm, "", "Present is not in NUT's salicru table");
    let mut cmds = ups.commands();
    cmds.sort();
    assert_eq!(cmds, ["test.battery.start.deep", "test.battery.start.quick", "test.battery.stop"]);
    ups.instcmd("test.battery.start.deep").expect("deep test");
    assert_eq!(read(&mut ups, "UPS.BatterySystem.Battery.Test"), 2);
    // NUT's test_read_info has no 0: the variable keeps what it had (or stays unset).
    let before = ups.update().expect("update").vars.get("ups.test.result").cloned();
    set(&mut ups, &faults, "UPS.BatterySystem.Battery.Test", 0);
    let after = ups.update().expect("update").vars.get("ups.test.result").cloned();
    assert!(after.is_none() || after == before, "{before:?} -> {after:?}");
    // The Twin Pro 2 status bits of NUT's table.
    flip(&mut ups, &faults, &[("UPS.PowerSummary.PresentStatus.Overload", 1)], "OVER");
    set(&mut ups, &faults, "UPS.PowerSummary.PresentStatus.OverTemperature", 1);
    assert!(ups.update().expect("update").alarm.contains("Temperature too high!"));
}

// ---------------------------------------------------------------------------------------
// delta_ups-hid.

/// NUT gives 05dd:a0a0 (Minuteman PRO1500RT2U, Delta-built; NUT PR 1848, NUT 2.8.0.1 log) to
/// tripplite-hid; with `subdriver = "Delta UPS"` it runs NUT's Delta table, which these
/// values follow (raw rows of the log): transfer points 87/153 V, Flow 120 V / 60 Hz /
/// 1500 VA, ActivePower 236 W, Outlet load 22 %, DeltaOutputSource 0, start delay 0, the
/// outlet timers 65535, battery 36 V nominal.
#[test]
fn delta_table_on_a_delta_built_minuteman() {
    let (mut ups, faults) = open("05dd-a0a0-minuteman-pro1500rt2u.hex", &delta::SUBDRIVER);
    let snap = ups.update().expect("update");
    expect(
        &snap,
        &[
            ("input.voltage.nominal", "120.0"),
            ("input.transfer.low", "87.0"),
            ("input.transfer.high", "153.0"),
            ("input.source", "normal"),
            ("battery.voltage.nominal", "36.0"),
            ("battery.charge", "100"),
            ("battery.charge.warning", "30"),
            ("battery.runtime", "2117"),
            ("battery.capacity", "100"),
            ("output.voltage.nominal", "120.0"),
            ("output.frequency.nominal", "60.0"),
            ("ups.beeper.status", "enabled"),
            ("ups.power.nominal", "1500"),
            ("ups.realpower", "236.0"),
            ("ups.load", "22.0"),
            ("ups.delay.start", "0"),
            ("ups.timer.start", "65535"),
            ("ups.timer.shutdown", "65535"),
            ("ups.timer.reboot", "65535"),
            ("ups.mfr", "Delta"),
            ("driver.version.data", "Delta UPS HID 0.6"),
        ],
    );
    // ACPresent 1, FullyCharged 1; PowerConverter "Used" 1 is NUT's nobattery_info: battery
    // present.
    assert_eq!(snap.status, "OL");
    assert_eq!(snap.alarm, "");
    flip(&mut ups, &faults, &[("UPS.PowerConverter.PresentStatus.Buck", 1)], "TRIM");
    flip(&mut ups, &faults, &[("UPS.PowerConverter.PresentStatus.Boost", 1)], "BOOST");
    flip(&mut ups, &faults, &[("UPS.PowerConverter.PresentStatus.Overload", 1)], "OVER");
    flip(&mut ups, &faults, &[("UPS.PowerSummary.PresentStatus.NeedReplacement", 1)], "RB");
    flip(&mut ups, &faults, &[("UPS.PowerSummary.PresentStatus.ShutdownImminent", 1)], "LB");
    set(&mut ups, &faults, "UPS.PowerConverter.PresentStatus.Used", 0);
    assert!(ups.update().expect("update").alarm.contains("No battery installed!"));
    set(&mut ups, &faults, "UPS.PowerConverter.PresentStatus.Used", 1);
    // DeltaOutputSource 2.
    set(&mut ups, &faults, "UPS.OutletSystem.Outlet.DeltaOutputSource", 2);
    expect(&ups.update().expect("update"), &[("input.source", "bypass/reserve")]);

    let cmds = ups.commands();
    for c in ["beeper.on", "beeper.off", "beeper.enable", "beeper.disable", "beeper.mute"] {
        assert!(cmds.contains(&c), "{c}: {cmds:?}");
    }
    for c in ["load.on.delay", "load.off.delay", "shutdown.stop", "shutdown.reboot"] {
        assert!(cmds.contains(&c), "{c}: {cmds:?}");
    }
    ups.instcmd("shutdown.reboot").expect("shutdown.reboot");
    assert_eq!(read(&mut ups, "UPS.OutletSystem.Outlet.DelayBeforeReboot"), 10);
    ups.instcmd("beeper.mute").expect("beeper.mute");
    assert_eq!(read(&mut ups, "UPS.PowerSummary.AudibleAlarmControl"), 3);
    // Writable numbers of NUT's table (ST_FLAG_RW without a string type).
    let rw: Vec<&str> = ups.writable().into_iter().map(|(n, _)| n).collect();
    for v in ["input.transfer.low", "input.transfer.high", "ups.delay.start"] {
        assert!(rw.contains(&v), "{v}: {rw:?}");
    }
    ups.setvar("input.transfer.low", "90").expect("set");
    assert_eq!(read(&mut ups, "UPS.PowerConverter.Output.LowVoltageTransfer"), 90);
}

// ---------------------------------------------------------------------------------------
// legrand-hid.

/// Legrand KEOR PDU 800 (NUT PR 1138): the log decoded only input report 0x0b (ACPresent 1,
/// Charging 1). Its delays are on UPS.Output, its tests on UPS.Output.Test.
#[test]
fn legrand_keor_pdu_800() {
    // Only report 0x0b was logged: let the device answer the reports of the commands too.
    let idle = [
        ("UPS.Output.DelayBeforeShutdown", 0),
        ("UPS.Output.DelayBeforeStartup", 0),
        ("UPS.Output.Test", 0),
        ("UPS.PowerSummary.AudibleAlarmControl", 2),
    ];
    let (mut ups, faults) = open_answering("1cb0-0038-legrand-keor-pdu-800.hex", &legrand::SUBDRIVER, &idle);
    let snap = ups.update().expect("update");
    assert!(tokens(&snap).contains("OL"), "{}", snap.status);
    expect(
        &snap,
        &[
            ("ups.delay.shutdown", "20"),
            ("ups.delay.start", "30"),
            ("ups.mfr", "Legrand"),
            ("driver.version.data", "Legrand HID 0.2"),
        ],
    );
    let cmds = ups.commands();
    for c in [
        "load.off.delay",
        "load.on.delay",
        "test.battery.start.quick",
        "test.battery.start.deep",
        "test.battery.stop",
        "beeper.enable",
        "beeper.disable",
    ] {
        assert!(cmds.contains(&c), "{c}: {cmds:?}");
    }
    // Legrand's table disables the beeper with 3 (muted), where others use 1.
    ups.instcmd("beeper.disable").expect("beeper.disable");
    assert_eq!(read(&mut ups, "UPS.PowerSummary.AudibleAlarmControl"), 3);
    ups.instcmd("test.battery.start.quick").expect("test");
    assert_eq!(read(&mut ups, "UPS.Output.Test"), 1);
    flip(&mut ups, &faults, &[("UPS.Output.Overload", 1)], "OVER");
    // Voltages: PowerSummary.Voltage goes through NUT's divide_by_10_conversion.
    set(&mut ups, &faults, "UPS.PowerSummary.Voltage", 136);
    let v = ups.field("UPS.PowerSummary.Voltage").cloned().expect("field");
    let f = ups.read_report(v.report_type, v.report_id).expect("report");
    let phys = v.value(&f).expect("value");
    assert_eq!(ups.update().expect("update").vars["battery.voltage"], format!("{:.1}", phys * 0.1));
}

// ---------------------------------------------------------------------------------------
// Engine features NUT's tables rely on.

/// NUT adds load.off, load.on, shutdown.return and shutdown.stayoff whenever load.off.delay and
/// load.on.delay exist (upsdrv_initinfo).
#[test]
fn composite_commands_where_both_delays_exist() {
    for (file, sub) in [
        ("06da-ffff-powerwalker-vi-1200-shl.hex", &liebert::SUBDRIVER),
        ("1cb0-0038-legrand-keor-pdu-800.hex", &legrand::SUBDRIVER),
        ("05dd-a0a0-minuteman-pro1500rt2u.hex", &delta::SUBDRIVER),
    ] {
        let (probe, _) = open(file, sub);
        let delays: Vec<(&str, i64)> = sub
            .all_cmds()
            .filter(|c| c.cmd == "load.off.delay" || c.cmd == "load.on.delay")
            .filter(|c| probe.field(c.path).is_some())
            .map(|c| (c.path, 0))
            .collect();
        let (mut ups, _) = open_answering(file, sub, &delays);
        ups.update().expect("update");
        let cmds = ups.commands();
        for c in ["load.off", "load.on", "shutdown.return", "shutdown.stayoff"] {
            assert!(cmds.contains(&c), "{file}: {c}: {cmds:?}");
        }
    }
}

/// ups.status as NUT 2.8.5's ups_status_set makes it: CHRG only when the UPS says it is not
/// fully charged, or (when it says neither) while battery.charge is between 0 and 100
/// exclusive. nut-ddl's Keor PDU 800 dump says "OL CHRG": it was taken with NUT 2.8.0, whose
/// rule was different.
#[test]
fn nut_285_status_rules() {
    for (file, sub, want) in [
        ("06da-ffff-powerwalker-vi-1200-shl.hex", &liebert::SUBDRIVER, "OL"), // charging at 100 %
        ("06da-ffff-powerwalker-vfi-2000-rt.hex", &liebert::SUBDRIVER, "OL CHRG"), // 99 %
        ("1cb0-0038-legrand-keor-pdu-800.hex", &legrand::SUBDRIVER, "OL"),    // no battery.charge
        ("0d9f-0004-powercom-hid-ups-battery-996b.hex", &powercom::SUBDRIVER, "OL"),
        ("05dd-a0a0-minuteman-pro1500rt2u.hex", &delta::SUBDRIVER, "OL"),
    ] {
        let (mut ups, _) = open(file, sub);
        assert_eq!(ups.update().expect("update").status, want, "{file}");
    }
}

/// NUT's quick update reads the HU_FLAG_QUICK_POLL entries: a changed status report shows at
/// the next quick poll, without an interrupt event.
#[test]
fn quick_poll_reads_the_status_map_entries() {
    use std::time::Instant;
    use usbhid_ups::session::{Poll, PollOpts, Session};
    let (ups, faults) = open("06da-ffff-powerwalker-vi-1200-shl.hex", &liebert::SUBDRIVER);
    let opts = PollOpts { pollonly: true, ..PollOpts::default() };
    let mut s = Session::with_opts(ups, opts, None);
    let Poll::Data(first) = s.poll(Instant::now()) else { panic!("no data") };
    assert!(tokens(&first).contains("OL"), "{}", first.status);
    set(&mut s.ups, &faults, "UPS.PowerSummary.PresentStatus.ACPresent", 0);
    let Poll::Data(next) = s.poll(Instant::now()) else { panic!("no data") };
    assert!(tokens(&next).contains("OB"), "{}", next.status);
}

/// Writable string variables carry NUT's maximum length (info_len).
#[test]
fn writable_lengths_are_nuts() {
    let (ups, _) = open("0d9f-0004-powercom-hid-ups-battery-996b.hex", &powercom::SUBDRIVER);
    let rw = ups.writable();
    assert!(rw.contains(&("ups.delay.start", 8)), "{rw:?}");
    assert!(rw.contains(&("ups.delay.shutdown", 8)), "{rw:?}");
}

// ---------------------------------------------------------------------------------------
// Over every recording.

/// The rows NUT printed for the report the replay serves for `(rt, id)`.
fn rows_for<'a>(rows: &'a [ValueRow], ups: &mut HidUps, rt: ReportType, id: u8) -> Vec<&'a ValueRow> {
    let Ok(served) = ups.read_report(rt, id) else { return Vec::new() };
    let skip = usize::from(ups.descriptor.uses_report_ids);
    rows.iter()
        .filter(|r| r.report_type == rt && r.report_id == id)
        .filter(|r| r.report_bytes.get(skip..) == Some(&served[..]))
        .collect()
}

/// NUT's `date_conversion_fun`.
fn nut_date(v: f64) -> String {
    let d = v as i64;
    if d == 0 {
        return "not set".into();
    }
    format!("{:04}/{:02}/{:02}", 1980 + (d >> 9), (d >> 5) & 0x0f, d & 0x1f)
}

/// C's `%.Nf` (the only number formats these tables use).
fn printf_fixed(fmt: &str, v: f64) -> String {
    let prec = fmt.strip_prefix("%.").and_then(|f| f.strip_suffix('f')).and_then(|n| n.parse::<usize>().ok());
    format!("{v:.*}", prec.unwrap_or_else(|| panic!("unexpected format {fmt}")))
}

/// The text NUT's table gives `v` through `conv`, `None` when NUT sets nothing (a lookup
/// miss) and `Err` when it cannot be known here (a USB string).
fn nut_text(conv: Conv, fmt: &str, v: f64) -> Result<Option<String>, ()> {
    Ok(match conv {
        Conv::Number => Some(printf_fixed(fmt, v)),
        Conv::Lookup(t) => t.iter().find(|(k, _)| *k == v as i64).map(|(_, s)| s.to_string()),
        Conv::Fun(f) => (f.fun)(v),
        Conv::Date => Some(nut_date(v)),
        Conv::KelvinToCelsius => {
            Some(if (273.0..=373.0).contains(&v) { format!("{:.1}", v - 273.15) } else { format!("{v:.1}") })
        }
        _ => return Err(()),
    })
}

fn vid_pid(name: &str) -> Option<(u16, u16)> {
    Some((u16::from_str_radix(name.get(0..4)?, 16).ok()?, u16::from_str_radix(name.get(5..9)?, 16).ok()?))
}

#[test]
fn every_recording_publishes_what_nut_printed() {
    let mut checked = 0;
    for (name, hex) in all_recordings() {
        let Some(mut ups) = open_routed(&name, &hex) else { continue };
        let sub = ups.subdriver;
        let tsv = hex.with_extension("values.tsv");
        let Ok(text) = std::fs::read_to_string(&tsv) else { continue };
        let rows = parse_values_tsv(&text).unwrap_or_else(|e| panic!("{}: {e}", tsv.display()));
        let rows: Vec<ValueRow> =
            rows.into_iter().filter(|r| r.matching == "raw" || r.matching == "signed").collect();
        let snap = ups.update().unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut vars: Vec<&str> = Vec::new();
        for m in sub.all_vars() {
            if !m.var.is_empty() && !vars.contains(&m.var) {
                vars.push(m.var);
            }
        }
        for var in vars {
            // NUT's first entry for `var` whose field exists, whose report is recorded and
            // whose conversion gives a text sets it.
            for m in sub.all_vars().filter(|m| m.var == var) {
                let Some(field) = ups.field(m.path).cloned() else { continue };
                if m.flags & flag::ABSENT != 0 {
                    break;
                }
                if ups.read_report(field.report_type, field.report_id).is_err() {
                    continue;
                }
                let served = rows_for(&rows, &mut ups, field.report_type, field.report_id);
                let Some(row) = served.iter().find(|r| r.offset == field.offset && r.size == field.size)
                else {
                    break; // NUT did not print this field in that read: nothing to compare.
                };
                let v: f64 = row.value.parse().unwrap_or_else(|_| panic!("{name}:{}: value", row.line));
                match nut_text(m.conv, m.fmt, v) {
                    Err(()) => break,
                    Ok(None) => continue,
                    Ok(Some(want)) => {
                        assert_eq!(
                            snap.vars.get(var),
                            Some(&want),
                            "{name}: {var} from {} (line {} of the values, NUT printed {})",
                            m.path,
                            row.line,
                            row.value
                        );
                        checked += 1;
                        break;
                    }
                }
            }
        }
    }
    eprintln!("{checked} variables compared with the values NUT printed");
    assert!(checked > 0, "no recording of these subdrivers with NUT's values");
}

/// `Mfr__Model__driver__version__NN.dev` → (`mfrmodel` normalised, path).
fn ddl_dumps(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let Ok(mfrs) = std::fs::read_dir(dir) else { return out };
    for m in mfrs.flatten() {
        let Ok(files) = std::fs::read_dir(m.path()) else { continue };
        for f in files.flatten() {
            let n = f.file_name().to_string_lossy().to_string();
            if !n.ends_with(".dev") {
                continue;
            }
            let parts: Vec<&str> = n.split("__").collect();
            if parts.len() >= 3 && parts[2].contains("usbhid") {
                out.push((normalise(&format!("{}{}", parts[0], parts[1])), f.path()));
            }
        }
    }
    out
}

fn normalise(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()).collect()
}

fn dump_vars(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(": "))
        .filter(|(k, _)| !k.is_empty() && !k.contains(' '))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A subdriver name without its version (`Legrand HID 0.2` → `Legrand HID`).
fn family(name: &str) -> &str {
    name.rsplit_once(' ').map_or(name, |(f, _)| f)
}

#[test]
fn nut_ddl_dumps_of_the_same_models() {
    let Some(ddl) = ddl_dir() else {
        nut_testkit::skip(
            "nut_ddl_dumps_of_the_same_models",
            "no nut-ddl directory",
            nut_testkit::Prereq::NutDdl,
        );
        return;
    };
    let dumps = ddl_dumps(&ddl);
    let mut compared = 0;
    for (name, hex) in all_recordings() {
        let Some(probe) = open_routed(&name, &hex) else { continue };
        let sub = probe.subdriver;
        let model = normalise(name.get(10..).unwrap_or("").trim_end_matches(".hex"));
        let tsv = hex.with_extension("values.tsv");
        let header: String = std::fs::read_to_string(&tsv)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        let rows =
            std::fs::read_to_string(&tsv).ok().and_then(|t| parse_values_tsv(&t).ok()).unwrap_or_default();
        for (dmodel, dump) in &dumps {
            let file = dump.file_name().map(|f| f.to_string_lossy().to_string()).unwrap_or_default();
            let same_log = header.contains(&file);
            if *dmodel != model && !same_log {
                continue;
            }
            let text = std::fs::read_to_string(dump).expect("dump");
            let want = dump_vars(&text);
            let Some(data) = want.get("driver.version.data") else { continue };
            if family(data) != family(sub.name) {
                eprintln!("{name}: {} was taken with {data}, not {}: not compared", dump.display(), sub.name);
                continue;
            }
            let (mut ups, _) = open_path(&hex, sub);
            let snap = ups.update().expect("update");
            for (var, value) in &want {
                // Variables NUT's table maps from a path whose report was recorded (or that
                // the driver keeps itself).
                let from_recording = sub.all_vars().filter(|m| m.var == var).any(|m| {
                    ups.field(m.path).cloned().is_some_and(|f| {
                        m.flags & flag::ABSENT != 0
                            || rows
                                .iter()
                                .any(|r| r.report_type == f.report_type && r.report_id == f.report_id)
                    })
                });
                if !from_recording {
                    continue;
                }
                let got = snap.vars.get(var);
                assert!(
                    got.is_some(),
                    "{name}: {var} (in {}) is not published: {:#?}",
                    dump.display(),
                    snap.vars
                );
                if same_log {
                    assert_eq!(got, Some(value), "{name}: {var} differs from {}", dump.display());
                }
                compared += 1;
            }
            if same_log {
                assert_eq!(
                    &snap.status,
                    want.get("ups.status").unwrap_or(&snap.status),
                    "{name}: ups.status"
                );
            }
        }
    }
    eprintln!("{compared} nut-ddl variables compared");
}
