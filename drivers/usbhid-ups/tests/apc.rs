//! NUT 2.8.5's apc-hid tables on real APC recordings (051d): every recording decodes to what
//! NUT printed for the same report bytes, the Back-UPS CS 500 recording publishes exactly the
//! variables of NUT's upsc dump taken from the same log, same-model nut-ddl dumps name the
//! same variables, writable variables and commands, and the status words behave as NUT's
//! lookup tables say.

mod vendor_data;

use nut_hid::ReportType;
use usbhid_ups::subdrivers::apc;
use usbhid_ups::transport::DeviceInfo;
use vendor_data::*;

fn apc_fixtures() -> Vec<Fixture> {
    fixtures(|v, p| claimed(v, p, "apc-hid.c").is_some())
}

fn sub(fx: &Fixture) -> &'static usbhid_ups::subdrivers::Subdriver {
    claimed(fx.vid, fx.pid, "apc-hid.c").expect("an APC id")
}

#[test]
fn every_recording_publishes_what_nut_decoded() {
    let n = check_recordings(&apc_fixtures(), sub);
    assert!(n >= 1, "no APC recording with report data in {}", descriptors_dir().display());
}

/// NUT 2.8.0's upsc output for the Back-UPS CS 500 of the same log (nut-ddl
/// APC__Back-UPS_CS_500__usbhid-ups__2.8.0__01.dev): every variable NUT took from the HID
/// reports, with its value, and nothing else.
#[test]
fn recordings_equal_nuts_dump_of_the_same_log() {
    require_same_log(
        "apc::recordings_equal_nuts_dump_of_the_same_log",
        check_same_log_dumps(&apc_fixtures(), sub),
    );
}

#[test]
fn same_model_dumps_name_the_same_variables() {
    check_same_model_dumps("apc::same_model_dumps_name_the_same_variables", &apc_fixtures(), &["apc"], sub);
}

/// The Back-UPS ES 850G2 dump (NUT 2.8.0) lists load.off, which NUT derives from the table's
/// load.off.delay, and no shutdown.return (the unit has no startup delay).
#[test]
fn same_model_dumps_list_the_same_commands() {
    if ddl_dir().is_none() {
        nut_testkit::skip(
            "apc::same_model_dumps_list_the_same_commands",
            "no nut-ddl copy",
            nut_testkit::Prereq::NutDdl,
        );
        return;
    }
    assert!(check_same_model_command_lists(&apc_fixtures(), &["apc"], sub) >= 1);
}

#[test]
fn back_ups_cs_500_status_words() {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let Some(fx) =
        recording("apc::back_ups_cs_500_status_words", apc_fixtures(), "051d-0002-apc-back-ups-cs-500")
    else {
        return;
    };
    let (mut ups, faults) = open(&fx, sub(&fx), tmp.path());
    assert_eq!(update(&mut ups, "cs 500").status, "OL");
    // UPS.PowerSummary.ACPresent is NUT's online_info: 0 = offline.
    set(&mut ups, &faults, "UPS.PowerSummary.ACPresent", 0);
    set(&mut ups, &faults, "UPS.PowerSummary.Discharging", 1);
    assert_eq!(tokens(&update(&mut ups, "on battery")), ["OB", "DISCHRG"]);
    set(&mut ups, &faults, "UPS.PowerSummary.BelowRemainingCapacityLimit", 1);
    assert!(tokens(&update(&mut ups, "low")).contains(&"LB"));
    set(&mut ups, &faults, "UPS.PowerSummary.BelowRemainingCapacityLimit", 0);
    set(&mut ups, &faults, "UPS.PowerSummary.ShutdownImminent", 1);
    assert!(tokens(&update(&mut ups, "shutdown imminent")).contains(&"LB"));
    set(&mut ups, &faults, "UPS.PowerSummary.ShutdownImminent", 0);
    set(&mut ups, &faults, "UPS.PowerSummary.Discharging", 0);
    set(&mut ups, &faults, "UPS.PowerSummary.ACPresent", 1);
    // Charging below 100 % (the APC table has no fully-charged flag: NUT looks at the charge).
    set(&mut ups, &faults, "UPS.PowerSummary.RemainingCapacity", 80);
    set(&mut ups, &faults, "UPS.PowerSummary.Charging", 1);
    assert_eq!(update(&mut ups, "charging").status, "OL CHRG");
    // APCStatusFlag (apcstatusflag_info): 8 and 16 are running, 0 is off; other values keep
    // what the last one said.
    set(&mut ups, &faults, "UPS.PowerSummary.Charging", 0);
    set(&mut ups, &faults, "UPS.PowerSummary.APCStatusFlag", 0);
    assert_eq!(update(&mut ups, "flag 0").status, "OL OFF");
    set(&mut ups, &faults, "UPS.PowerSummary.APCStatusFlag", 16);
    assert_eq!(update(&mut ups, "flag 16").status, "OL");
}

/// NUT keeps its status bits between updates (`ups_status`): a value that a boolean table
/// does not list changes nothing.
#[test]
fn unlisted_status_values_keep_the_last_state() {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let fx =
        apc_fixtures().into_iter().find(|f| f.stem == "051d-0002-apc-back-ups-cs-500").expect("recording");
    let (mut ups, faults) = open(&fx, sub(&fx), tmp.path());
    set(&mut ups, &faults, "UPS.PowerSummary.APCStatusFlag", 0);
    assert_eq!(update(&mut ups, "flag 0").status, "OL OFF");
    set(&mut ups, &faults, "UPS.PowerSummary.APCStatusFlag", 3);
    assert_eq!(update(&mut ups, "flag 3").status, "OL OFF");
    set(&mut ups, &faults, "UPS.PowerSummary.APCStatusFlag", 8);
    assert_eq!(update(&mut ups, "flag 8").status, "OL");
    set(&mut ups, &faults, "UPS.PowerSummary.APCStatusFlag", 3);
    assert_eq!(update(&mut ups, "flag 3 again").status, "OL");
}

#[test]
fn back_ups_es_850g2_commands_and_writes() {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let Some(fx) = recording(
        "apc::back_ups_es_850g2_commands_and_writes",
        apc_fixtures(),
        "051d-0002-apc-back-ups-es-850g2",
    ) else {
        return;
    };
    let (mut ups, faults) = open(&fx, sub(&fx), tmp.path());
    let snap = update(&mut ups, "850g2");
    // Values NUT printed (values.tsv): APCSensitivity 1, AudibleAlarmControl 2.
    assert_eq!(snap.vars.get("input.sensitivity").map(String::as_str), Some("medium"));
    assert_eq!(snap.vars.get("ups.delay.shutdown").map(String::as_str), Some("20"));
    // load.off.delay writes NUT's DEFAULT_OFFDELAY to the first delay NUT's table lists that
    // the unit has (UPS.PowerSummary.DelayBeforeShutdown), shutdown.stop -1 there.
    ups.instcmd("load.off.delay").expect("load.off.delay");
    assert_eq!(get(&mut ups, "UPS.PowerSummary.DelayBeforeShutdown"), 20);
    ups.instcmd("shutdown.stop").expect("shutdown.stop");
    assert_eq!(get(&mut ups, "UPS.PowerSummary.DelayBeforeShutdown"), -1);
    ups.instcmd("test.battery.start.quick").expect("test");
    assert_eq!(get(&mut ups, "UPS.Battery.Test"), 1);
    ups.instcmd("test.panel.start").expect("panel test");
    assert_eq!(get(&mut ups, "UPS.APCPanelTest"), 1);
    ups.instcmd("beeper.disable").expect("beeper");
    assert_eq!(get(&mut ups, "UPS.PowerSummary.AudibleAlarmControl"), 1);
    assert!(ups.instcmd("load.on.delay").is_err(), "no DelayBeforeStartup on this unit");
    ups.setvar("input.transfer.high", "270").expect("write");
    assert_eq!(get(&mut ups, "UPS.Input.HighVoltageTransfer"), 270);
    // APCLineFailCause: the input.transfer.reason status bits do not disturb ups.status.
    set(&mut ups, &faults, "UPS.Input.APCLineFailCause", 2);
    assert_eq!(update(&mut ups, "vrange").status, snap.status);
}

#[test]
fn input_sensitivity_is_written_by_name() {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let fx =
        apc_fixtures().into_iter().find(|f| f.stem == "051d-0002-apc-back-ups-es-850g2").expect("recording");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    ups.setvar("input.sensitivity", "high").expect("a word of apc_sensitivity_info");
    assert_eq!(get(&mut ups, "UPS.Input.APCSensitivity"), 2);
    assert!(ups.setvar("input.sensitivity", "normal").is_err(), "not an APC word");
}

#[test]
fn line_fail_cause_is_the_transfer_reason() {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let fx =
        apc_fixtures().into_iter().find(|f| f.stem == "051d-0002-apc-back-ups-es-850g2").expect("recording");
    let (mut ups, faults) = open(&fx, sub(&fx), tmp.path());
    let reason = |ups: &mut usbhid_ups::hidups::HidUps| {
        update(ups, "cause").vars.get("input.transfer.reason").cloned()
    };
    // Two boolean tables on one usage: 7 sets frange and leaves vrange alone, 0 clears both,
    // values neither lists (3, 5, 6 ...) change nothing; vrange is reported first.
    for (cause, want) in [
        (7, Some("input frequency out of range")),
        (0, None),
        (2, Some("input voltage out of range")),
        (7, Some("input voltage out of range")),
        (0, None),
        (3, None),
        (9, Some("input voltage out of range")),
        (3, Some("input voltage out of range")),
    ] {
        set(&mut ups, &faults, "UPS.Input.APCLineFailCause", cause);
        assert_eq!(reason(&mut ups).as_deref(), want, "APCLineFailCause {cause}");
    }
}

/// The USB strings of the Back-UPS CS 500 are in its nut-ddl log (tests/data has them as a
/// `.strings.txt`): NUT splits the product string into model and firmware versions.
#[test]
fn identity_from_usb_strings() {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let fx =
        apc_fixtures().into_iter().find(|f| f.stem == "051d-0002-apc-back-ups-cs-500").expect("recording");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    let snap = update(&mut ups, "cs 500");
    let want = fx.upsc.as_ref().expect("upsc");
    for k in [
        "ups.mfr",
        "ups.model",
        "ups.serial",
        "ups.firmware",
        "ups.firmware.aux",
        "battery.type",
        "device.model",
    ] {
        assert_eq!(snap.vars.get(k), want.get(k), "{k}");
    }
}

#[test]
fn fix_report_desc_widens_the_input_voltage_range_of_051d_0002() {
    let mut fixed = 0;
    for fx in apc_fixtures() {
        let bytes =
            nut_hid::recording::parse_hex(&std::fs::read_to_string(&fx.hex).expect("hex")).expect("hex");
        let Ok(mut d) = nut_hid::parse(&bytes) else { continue };
        let before = d.clone();
        let dev = DeviceInfo { vendor_id: fx.vid, product_id: fx.pid, ..DeviceInfo::default() };
        let n = apc::fix_report_desc(&dev, &mut d);
        let hvt = before.fields.iter().find(|f| f.report_id == 0x33 && f.usage() == 0x0084_0054);
        let volt = before.fields.iter().find(|f| f.report_id == 0x31 && f.usage() == 0x0084_0030);
        match (fx.pid, hvt, volt) {
            (0x0002, Some(h), Some(v)) if h.logical_max > v.logical_max => {
                fixed += 1;
                let after =
                    d.fields.iter().find(|f| f.report_id == 0x31 && f.usage() == 0x0084_0030).expect("field");
                assert_eq!((after.logical_min, after.logical_max), (0, 2 * h.logical_max), "{}", fx.stem);
                assert!(n >= 1, "{}", fx.stem);
            }
            _ => assert_eq!((n, &d), (0, &before), "{}: nothing to fix", fx.stem),
        }
    }
    // The Back-UPS ES 850G2 (230 V) declares Input.Voltage 0..255 and HighVoltageTransfer
    // 256..278: NUT widens the voltage to 0..556 and keeps ConfigVoltage at 255.
    if let Some(fx) = apc_fixtures().into_iter().find(|f| f.stem == "051d-0002-apc-back-ups-es-850g2") {
        let bytes =
            nut_hid::recording::parse_hex(&std::fs::read_to_string(&fx.hex).expect("hex")).expect("hex");
        let mut d = nut_hid::parse(&bytes).expect("parses");
        let dev = DeviceInfo { vendor_id: 0x051d, product_id: 0x0002, ..DeviceInfo::default() };
        assert_eq!(apc::fix_report_desc(&dev, &mut d), 2);
        let f = |id, u| d.fields.iter().find(|f| f.report_id == id && f.usage() == u).expect("field").clone();
        assert_eq!((f(0x31, 0x0084_0030).logical_min, f(0x31, 0x0084_0030).logical_max), (0, 556));
        assert_eq!(f(0x30, 0x0084_0040).logical_max, 255);
        let other = DeviceInfo { vendor_id: 0x051d, product_id: 0x0003, ..DeviceInfo::default() };
        let mut d2 = nut_hid::parse(&bytes).expect("parses");
        assert_eq!(apc::fix_report_desc(&other, &mut d2), 0, "only 051d:0002");
        assert!(fixed >= 1);
    }
}

#[test]
fn recorded_values_need_no_rounding_tricks() {
    // A spot check of NUT's formats on real bytes: the CS 500 battery voltage 13.58 V (raw
    // 1358, exponent -2) is "13.6" and its replace date 0x070304 "2004/07/03".
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let Some(fx) = apc_fixtures().into_iter().find(|f| f.stem == "051d-0002-apc-back-ups-cs-500") else {
        return;
    };
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    let snap = update(&mut ups, "cs 500");
    assert_eq!(fx.nut_value("UPS.PowerSummary.Voltage", ReportType::Feature), Some(13.58));
    assert_eq!(snap.vars["battery.voltage"], "13.6");
    assert_eq!(snap.vars["battery.mfr.date"], "2004/07/03");
    assert_eq!(snap.vars["ups.mfr.date"], "2004/07/03");
}
