//! NUT 2.8.5's belkin-hid tables ("Belkin/Liebert HID 0.23") on real recordings of the devices
//! it drives. No Belkin (050d) report descriptor exists in any public source; NUT 2.8.5 gives
//! the Liebert GXT4/PowerSure units (10af) this same subdriver, and their recordings exercise
//! its Liebert part: voltage exponents, the flat PowerSummary status bits and the PSI5 paths.

mod vendor_data;

use usbhid_ups::subdrivers::Subdriver;
use vendor_data::*;

fn belkin_fixtures() -> Vec<Fixture> {
    fixtures(|v, p| claimed(v, p, "belkin-hid.c").is_some())
}

fn sub(fx: &Fixture) -> &'static Subdriver {
    claimed(fx.vid, fx.pid, "belkin-hid.c").expect("a belkin-hid id")
}

fn recording(stem: &str) -> Option<Fixture> {
    vendor_data::recording(&format!("belkin recording {stem}"), belkin_fixtures(), stem)
}

#[test]
fn every_recording_publishes_what_nut_decoded() {
    let n = check_recordings(&belkin_fixtures(), sub);
    assert!(n >= 1, "no Belkin/Liebert recording with report data in {}", descriptors_dir().display());
}

#[test]
fn same_model_dumps_name_the_same_variables() {
    check_same_model_dumps(
        "belkin::same_model_dumps_name_the_same_variables",
        &belkin_fixtures(),
        &["belkin", "liebert"],
        sub,
    );
}

/// Liebert PSA5 (NUT issue 2816): its descriptor gives volts an exponent of 1, so NUT reads
/// 1213 as 0.001213 V and liebert_line_voltage_fun makes that 121.3 V again; frequencies come
/// through divide_by_100 (605 read as 6050 Hz is 60.5 Hz).
#[test]
fn psa5_voltages_and_frequencies_are_corrected() {
    let Some(fx) = recording("10af-0002-liebert-psa5") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    let snap = update(&mut ups, &fx.stem);
    expect_vars(
        &fx.stem,
        &snap,
        &[
            ("input.voltage", "121.3"),
            ("output.voltage", "121.3"),
            ("battery.voltage", "27.4"),
            ("input.frequency", "60.5"),
            ("output.frequency", "60.5"),
            ("input.voltage.nominal", "120"),
            ("output.voltage.nominal", "120"),
            ("battery.voltage.nominal", "24"),
            ("battery.capacity", "1500"),
            ("ups.load", "25"),
            ("ups.mfr", "Belkin"),
        ],
    );
    assert_eq!(tokens(&snap)[0], "OL");
    // Liebert units have none of the BELKINControls paths: no commands, nothing writable.
    assert!(ups.commands().is_empty(), "{:?}", ups.commands());
    assert!(ups.writable().is_empty(), "{:?}", ups.writable());
}

/// GXT4 (NUT issue 1346): status bits flat under UPS.PowerSummary, through NUT's liebert_*
/// functions ("!online" when ACPresent is 0).
#[test]
fn gxt4_flat_status_bits() {
    let Some(fx) = recording("10af-0000-liebert-gxt4") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, faults) = open(&fx, sub(&fx), tmp.path());
    let snap = update(&mut ups, &fx.stem);
    expect_vars(&fx.stem, &snap, &[("battery.charge", "100"), ("battery.charge.low", "20")]);
    assert_eq!(tokens(&snap)[0], "OL");
    set(&mut ups, &faults, "UPS.PowerSummary.ACPresent", 0);
    set(&mut ups, &faults, "UPS.PowerSummary.Charging", 0);
    set(&mut ups, &faults, "UPS.PowerSummary.Discharging", 1);
    assert_eq!(update(&mut ups, "on battery").status, "OB DISCHRG");
    set(&mut ups, &faults, "UPS.PowerSummary.BelowRemainingCapacityLimit", 1);
    // belkin_hid2nut maps BelowRemainingCapacityLimit only under PresentStatus: the flat
    // one of this firmware is ignored, as in NUT ("broken!" in NUT's table).
    assert_eq!(update(&mut ups, "flat low battery").status, "OB DISCHRG");
    set(&mut ups, &faults, "UPS.PowerSummary.ACPresent", 1);
    set(&mut ups, &faults, "UPS.PowerSummary.Discharging", 0);
    assert_eq!(update(&mut ups, "back").status, "OL");
}

/// PowerSure PSA/PSI5 status bits under PresentStatus.
#[test]
fn psa5_present_status_bits() {
    let Some(fx) = recording("10af-0002-liebert-psa5") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, faults) = open(&fx, sub(&fx), tmp.path());
    for (path, token) in [
        ("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", "LB"),
        ("UPS.PowerSummary.PresentStatus.ShutdownImminent", "LB"),
        ("UPS.PowerSummary.PresentStatus.NeedReplacement", "RB"),
        ("UPS.PowerSummary.PresentStatus.Discharging", "DISCHRG"),
    ] {
        set(&mut ups, &faults, path, 1);
        assert!(tokens(&update(&mut ups, path)).contains(&token), "{path} -> {token}");
        set(&mut ups, &faults, path, 0);
        assert!(!tokens(&update(&mut ups, path)).contains(&token), "{path} cleared");
    }
    // Paths NUT's Belkin table does not map change nothing (Boost is Tripp Lite's).
    let before = update(&mut ups, "before").status;
    set(&mut ups, &faults, "UPS.PowerConverter.PresentStatus.Boost", 1);
    assert_eq!(update(&mut ups, "boost").status, before);
}

/// The Liebert recordings say "charging" at 100 %: without a fully-charged flag in the Belkin
/// table NUT shows CHRG only below 100 % (ups_status_set).
#[test]
fn charging_at_full_charge_is_not_shown() {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    for stem in ["10af-0002-liebert-psa5", "10af-0000-liebert-gxt4"] {
        let Some(fx) = recording(stem) else { continue };
        let (mut ups, faults) = open(&fx, sub(&fx), tmp.path());
        assert_eq!(update(&mut ups, stem).status, "OL", "{stem}");
        set(&mut ups, &faults, "UPS.PowerSummary.RemainingCapacity", 97);
        assert_eq!(update(&mut ups, stem).status, "OL CHRG", "{stem} at 97 %");
    }
}
