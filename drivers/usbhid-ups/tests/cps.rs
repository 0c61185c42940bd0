//! NUT 2.8.5's cps-hid tables on real CyberPower recordings (0764): every recording decodes
//! to what NUT printed for the same report bytes, same-model nut-ddl dumps name the same
//! variables, the CP1500PFCLCD and CP1300EPFCLCD publish NUT's variables (CPS delays,
//! battery.status, input.sensitivity ...), commands write NUT's values, and NUT's report
//! descriptor fix applies to these models.

mod vendor_data;

use usbhid_ups::subdrivers::{cps, Subdriver};
use usbhid_ups::transport::DeviceInfo;
use vendor_data::*;

fn cps_fixtures() -> Vec<Fixture> {
    fixtures(|v, p| claimed(v, p, "cps-hid.c").is_some())
}

fn sub(fx: &Fixture) -> &'static Subdriver {
    claimed(fx.vid, fx.pid, "cps-hid.c").expect("a CyberPower id")
}

fn recording(stem: &str) -> Option<Fixture> {
    vendor_data::recording(&format!("cps recording {stem}"), cps_fixtures(), stem)
}

#[test]
fn every_recording_publishes_what_nut_decoded() {
    let n = check_recordings(&cps_fixtures(), sub);
    assert!(n >= 1, "no CyberPower recording with report data in {}", descriptors_dir().display());
}

#[test]
fn same_model_dumps_name_the_same_variables() {
    check_same_model_dumps(
        "cps::same_model_dumps_name_the_same_variables",
        &cps_fixtures(),
        &["cyberpower"],
        sub,
    );
}

/// CP1500PFCLCD (NUT issue 2642, NUT 2.8.2's values): every variable NUT 2.8.5's table maps
/// from the recorded reports, as NUT formats it. The USB strings (battery type, firmware,
/// the iOEMInformation battery date) were not recorded.
#[test]
fn cp1500pfclcd_publishes_nuts_variables() {
    let Some(fx) = recording("0764-0501-cyberpower-cp1500pfclcd") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    let snap = update(&mut ups, &fx.stem);
    let want = [
        ("battery.charge", "100"),
        ("battery.charge.low", "10"),
        ("battery.charge.warning", "20"),
        ("battery.runtime", "9180"),
        ("battery.runtime.low", "300"),
        ("battery.voltage", "24.0"),
        ("battery.voltage.nominal", "24"),
        ("battery.status", "100%"),
        ("input.voltage", "121.0"),
        ("input.voltage.nominal", "120"),
        ("input.transfer.low", "88"),
        ("input.transfer.high", "139"),
        ("input.sensitivity", "normal"),
        ("output.voltage", "121.0"),
        ("ups.load", "3"),
        ("ups.beeper.status", "enabled"),
        ("ups.test.result", "No test initiated"),
        ("ups.timer.shutdown", "-60"),
        ("ups.timer.start", "-60"),
        ("ups.delay.shutdown", "60"),
        ("ups.delay.start", "120"),
        ("ups.realpower.nominal", "900"),
        ("ups.mfr", "CPS"),
    ];
    expect_vars(&fx.stem, &snap, &want);
    // USB strings were not recorded: battery.type, battery.mfr.date (iOEMInformation) and
    // ups.firmware have nothing to show.
    let table_vars: Vec<&str> = snap
        .vars
        .keys()
        .map(String::as_str)
        .filter(|k| !NOT_FROM_TABLES.contains(k) && !only_usb_strings(&fx, &ups, sub(&fx), k))
        .collect();
    let mut names: Vec<&str> =
        want.iter().map(|(k, _)| *k).filter(|k| !NOT_FROM_TABLES.contains(k)).collect();
    names.sort_unstable();
    assert_eq!(table_vars, names, "nothing else (no common table)");
    assert_eq!(snap.status, "OL");
    // NUT's ST_FLAG_RW variables of cps_hid2nut that this unit has.
    let mut rw: Vec<&str> = ups.writable().into_iter().map(|(n, _)| n).collect();
    rw.sort_unstable();
    assert_eq!(
        rw,
        [
            "battery.charge.low",
            "battery.runtime.low",
            "input.sensitivity",
            "input.transfer.high",
            "input.transfer.low",
            "ups.delay.shutdown",
            "ups.delay.start"
        ]
    );
}

/// CP1300EPFCLCD (NUT PR 1245, NUT 2.7.4's values): a 230 V unit with its beeper disabled.
#[test]
fn cp1300epfclcd_publishes_nuts_variables() {
    let Some(fx) = recording("0764-0501-cyberpower-cp1300epfclcd") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    let snap = update(&mut ups, &fx.stem);
    expect_vars(
        &fx.stem,
        &snap,
        &[
            ("battery.runtime", "4170"),
            ("battery.voltage", "24.0"),
            ("input.voltage", "222.0"),
            ("input.voltage.nominal", "230"),
            ("input.transfer.low", "170"),
            ("input.transfer.high", "260"),
            ("ups.beeper.status", "disabled"),
            ("ups.load", "6"),
            ("ups.realpower.nominal", "780"),
        ],
    );
    // The log has no report 0x12 (UPS.Output.Voltage): nothing is made up for it.
    assert!(!snap.vars.contains_key("output.voltage"));
}

#[test]
fn commands_write_nuts_cps_values() {
    let Some(fx) = recording("0764-0501-cyberpower-cp1500pfclcd") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    let mut cmds = table_commands(&ups);
    cmds.sort_unstable();
    assert_eq!(
        cmds,
        [
            "beeper.disable",
            "beeper.enable",
            "beeper.mute",
            "beeper.off",
            "beeper.on",
            "load.off.delay",
            "load.on.delay",
            "shutdown.stop",
            "test.battery.start.deep",
            "test.battery.start.quick",
            "test.battery.stop"
        ]
    );
    // DEFAULT_OFFDELAY_CPS and DEFAULT_ONDELAY_CPS: 60 s and 120 s (the delays count in
    // minutes on these units: logical 1 and 2 of the -60..1966020 s physical range).
    ups.instcmd("load.off.delay").expect("load.off.delay");
    assert_eq!(get_physical(&mut ups, "UPS.Output.DelayBeforeShutdown"), 60.0);
    ups.instcmd("load.on.delay").expect("load.on.delay");
    assert_eq!(get_physical(&mut ups, "UPS.Output.DelayBeforeStartup"), 120.0);
    ups.instcmd("test.battery.start.deep").expect("deep test");
    assert_eq!(get(&mut ups, "UPS.Output.Test"), 2);
    ups.instcmd("beeper.disable").expect("beeper");
    assert_eq!(get(&mut ups, "UPS.PowerSummary.AudibleAlarmControl"), 1);
    let snap = update(&mut ups, "after the commands");
    assert_eq!(snap.vars["ups.beeper.status"], "disabled");
    assert_eq!(snap.vars["ups.timer.shutdown"], "60");
    assert_eq!(snap.vars["ups.timer.start"], "120");
}

#[test]
fn status_bits() {
    let Some(fx) = recording("0764-0501-cyberpower-cp1500pfclcd") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, faults) = open(&fx, sub(&fx), tmp.path());
    for (path, token) in [
        ("UPS.Output.Overload", "OVER"),
        ("UPS.Output.Boost", "BOOST"),
        ("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", "LB"),
        ("UPS.PowerSummary.PresentStatus.RemainingTimeLimitExpired", "LB"),
        ("UPS.PowerSummary.PresentStatus.Discharging", "DISCHRG"),
    ] {
        set(&mut ups, &faults, path, 1);
        assert!(tokens(&update(&mut ups, path)).contains(&token), "{path} -> {token}");
        set(&mut ups, &faults, path, 0);
        assert!(!tokens(&update(&mut ups, path)).contains(&token), "{path} cleared");
    }
    set(&mut ups, &faults, "UPS.PowerSummary.PresentStatus.ACPresent", 0);
    assert_eq!(tokens(&update(&mut ups, "on battery"))[0], "OB");
}

/// NUT charges the battery only when the UPS says so and it is not full: with
/// fullycharged_info (0 = "notfullycharged") a charging, not full CyberPower shows CHRG.
#[test]
fn charging_follows_fully_charged() {
    let Some(fx) = recording("0764-0501-cyberpower-cp1500pfclcd") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, faults) = open(&fx, sub(&fx), tmp.path());
    set(&mut ups, &faults, "UPS.PowerSummary.PresentStatus.FullyCharged", 0);
    set(&mut ups, &faults, "UPS.PowerSummary.PresentStatus.Charging", 1);
    assert_eq!(update(&mut ups, "charging").status, "OL CHRG");
}

/// NUT turns a physical value into a logical one by truncation (`(long)` in PhyToLogical):
/// shutdown.stop's -1 s on the -60..1966020 s range of logical -1..32767 is logical -1.
#[test]
fn shutdown_stop_writes_minus_one() {
    let Some(fx) = recording("0764-0501-cyberpower-cp1500pfclcd") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    ups.instcmd("load.off.delay").expect("load.off.delay");
    ups.instcmd("shutdown.stop").expect("shutdown.stop");
    assert_eq!(get(&mut ups, "UPS.Output.DelayBeforeShutdown"), -1);
}

#[test]
fn input_sensitivity_is_an_enumeration() {
    let Some(fx) = recording("0764-0501-cyberpower-cp1500pfclcd") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    ups.setvar("input.sensitivity", "high").expect("cps_sensitivity_info word");
    assert_eq!(get(&mut ups, "UPS.Output.CPSInputSensitivity"), 2);
    assert!(ups.setvar("input.sensitivity", "medium").is_err(), "APC's word, not CyberPower's");
}

/// ups.delay.* start at NUT's CyberPower defaults (60/120 s, the driver's offdelay/ondelay
/// defaults for these devices) and SET VAR changes them.
#[test]
fn cps_delays_are_writable() {
    let Some(fx) = recording("0764-0501-cyberpower-cp1500pfclcd") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    assert_eq!(update(&mut ups, "before SET").vars["ups.delay.shutdown"], "60");
    ups.setvar("ups.delay.shutdown", "120").expect("write");
    assert_eq!(update(&mut ups, "after SET").vars["ups.delay.shutdown"], "120");
    assert!(ups.setvar("ups.delay.start", "soon").is_err());
}

/// NUT's cps_fix_report_desc on the real descriptors: both units declare the output voltage
/// (report 0x12) with the high transfer voltage's logical range, which NUT widens to 0..511,
/// and a nominal active power maximum (report 0x18) below 2048, which NUT raises.
#[test]
fn fix_report_desc_on_real_descriptors() {
    let mut fixed = 0;
    for fx in cps_fixtures() {
        let bytes =
            nut_hid::recording::parse_hex(&std::fs::read_to_string(&fx.hex).expect("hex")).expect("hex");
        let Ok(mut d) = nut_hid::parse(&bytes) else { continue };
        let before = d.clone();
        let dev = DeviceInfo { vendor_id: fx.vid, product_id: fx.pid, ..DeviceInfo::default() };
        let n = cps::fix_report_desc(&dev, &mut d);
        let find = |d: &nut_hid::Descriptor, id: u8, u: u32| {
            d.fields
                .iter()
                .find(|f| f.report_id == id && f.usage() == u)
                .map(|f| (f.logical_min, f.logical_max))
        };
        let hvt = find(&before, 0x10, 0x0084_0054);
        let out = find(&before, 0x12, 0x0084_0030);
        if !matches!(fx.pid, 0x0501 | 0x0601) {
            assert_eq!((n, &d), (0, &before), "{}", fx.stem);
            continue;
        }
        if hvt.is_some() && hvt == out {
            assert_eq!(find(&d, 0x12, 0x0084_0030), Some((0, 511)), "{}", fx.stem);
            fixed += 1;
        }
        if let Some((_, max)) = find(&before, 0x18, 0x0084_0044) {
            assert_eq!(find(&d, 0x18, 0x0084_0044).map(|r| r.1), Some(max.max(2048)), "{}", fx.stem);
        }
        // The input voltage (report 0x0f) keeps its own, different range.
        if find(&before, 0x0f, 0x0084_0030) != hvt {
            assert_eq!(find(&d, 0x0f, 0x0084_0030), find(&before, 0x0f, 0x0084_0030), "{}", fx.stem);
        }
        assert!(n >= 1, "{}: {n} fixes", fx.stem);
        let other = DeviceInfo { vendor_id: fx.vid, product_id: 0x0005, ..DeviceInfo::default() };
        let mut untouched = before.clone();
        assert_eq!(cps::fix_report_desc(&other, &mut untouched), 0, "only 0501 and 0601");
    }
    if let Some(fx) = cps_fixtures().into_iter().find(|f| f.stem == "0764-0501-cyberpower-cp1500pfclcd") {
        let bytes =
            nut_hid::recording::parse_hex(&std::fs::read_to_string(&fx.hex).expect("hex")).expect("hex");
        let mut d = nut_hid::parse(&bytes).expect("parses");
        let dev = DeviceInfo { vendor_id: 0x0764, product_id: 0x0501, ..DeviceInfo::default() };
        // Output voltage 136..142 (= HighVoltageTransfer) and ConfigActivePower 0..900.
        assert_eq!(cps::fix_report_desc(&dev, &mut d), 2);
        assert!(fixed >= 1);
    }
}

#[test]
fn the_engine_applies_the_fix() {
    let Some(fx) = recording("0764-0501-cyberpower-cp1500pfclcd") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (ups, _) = open(&fx, sub(&fx), tmp.path());
    let f = ups.field("UPS.Output.Voltage").expect("field");
    assert_eq!((f.logical_min, f.logical_max), (0, 511));
}

/// NUT adds load.off and load.on (the delay commands with 0) and shutdown.return and
/// shutdown.stayoff (both delays) to the table's commands when the table's delay command has
/// its path in the descriptor (NUT's find_nut_info), even if its report does not read.
#[test]
fn derived_commands() {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    for fx in cps_fixtures().iter().filter(|f| f.has_reports()) {
        let (mut ups, _) = open(fx, sub(fx), tmp.path());
        update(&mut ups, &fx.stem);
        let cmds = ups.commands();
        let has = |c: &str| cmds.contains(&c);
        let mapped = mapped_cmds(&ups, sub(fx));
        let (off, on) = (mapped.contains("load.off.delay"), mapped.contains("load.on.delay"));
        assert_eq!((has("load.off"), has("load.on")), (off, on), "{}: {cmds:?}", fx.stem);
        assert_eq!(
            (has("shutdown.return"), has("shutdown.stayoff")),
            (off && on, off && on),
            "{}: {cmds:?}",
            fx.stem
        );
    }
    let n = check_same_model_command_lists(&cps_fixtures(), &["cyberpower"], sub);
    eprintln!("{n} same-model command list(s) compared");
}
