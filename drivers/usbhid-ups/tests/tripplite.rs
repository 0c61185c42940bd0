//! NUT 2.8.5's tripplite-hid tables on real recordings of the devices it drives: Tripp Lite
//! (09ae) and the Delta-built Minuteman PRO1500RT2U (05dd:a0a0, which NUT 2.8.5 gives this
//! subdriver). Every recording decodes to what NUT printed for the same report bytes with the
//! scale factors NUT's device table picks for the id, same-model nut-ddl dumps name the same
//! variables, and the status words behave as NUT's lookup tables say.

mod vendor_data;

use usbhid_ups::subdrivers::Subdriver;
use vendor_data::*;

fn tl_fixtures() -> Vec<Fixture> {
    fixtures(|v, p| claimed(v, p, "tripplite-hid.c").is_some())
}

fn sub(fx: &Fixture) -> &'static Subdriver {
    claimed(fx.vid, fx.pid, "tripplite-hid.c").expect("a tripplite-hid id")
}

fn recording(stem: &str) -> Option<Fixture> {
    vendor_data::recording(&format!("tripplite recording {stem}"), tl_fixtures(), stem)
}

#[test]
fn every_recording_publishes_what_nut_decoded() {
    let n = check_recordings(&tl_fixtures(), sub);
    assert!(n >= 1, "no Tripp Lite recording with report data in {}", descriptors_dir().display());
}

#[test]
fn same_model_dumps_name_the_same_variables() {
    check_same_model_dumps(
        "tripplite::same_model_dumps_name_the_same_variables",
        &tl_fixtures(),
        &["tripp-lite", "minuteman"],
        sub,
    );
}

/// 09ae:3016 speaks the Smart1500LCD protocol: NUT multiplies its line voltages by 100000
/// (the descriptor gives volts an exponent of 1, so the raw 1214 reads as 0.001214 V).
#[test]
fn smart1500lcd_protocol_is_rescaled() {
    let Some(fx) = recording("09ae-3016-tripp-lite-ups") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    let snap = update(&mut ups, &fx.stem);
    expect_vars(
        &fx.stem,
        &snap,
        &[("input.voltage", "121.4"), ("ups.delay.shutdown", "20"), ("ups.delay.start", "30")],
    );
}

/// Minuteman PRO1500RT2U (NUT PR 1848's values): NUT 2.8.5 reads it with the Tripp Lite
/// table at scale 1, so its line voltages, whose descriptor exponent is wrong, read 0.0, as
/// NUT publishes them.
#[test]
fn minuteman_pro1500rt2u_publishes_nuts_variables() {
    let Some(fx) = recording("05dd-a0a0-minuteman-pro1500rt2u") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    let snap = update(&mut ups, &fx.stem);
    expect_vars(
        &fx.stem,
        &snap,
        &[
            ("battery.charge", "100"),
            ("battery.charge.warning", "30"),
            ("battery.runtime", "2117"),
            ("battery.voltage", "0.0"),
            ("battery.voltage.nominal", "36.0"),
            ("input.voltage", "0.0"),
            ("input.voltage.nominal", "120"),
            ("input.transfer.low", "87.0"),
            ("input.transfer.high", "153.0"),
            ("output.voltage", "0.0"),
            ("output.voltage.nominal", "120"),
            ("output.frequency.nominal", "60"),
            ("output.current", "220.0"),
            ("ups.power", "236.0"),
            ("ups.power.nominal", "1500"),
            ("ups.load", "22"),
            ("ups.beeper.status", "enabled"),
            ("ups.timer.shutdown", "65535"),
            ("ups.timer.start", "65535"),
            ("ups.timer.reboot", "65535"),
            ("ups.delay.shutdown", "20"),
            ("ups.delay.start", "30"),
        ],
    );
    assert_eq!(snap.status, "OL");
    let mut rw: Vec<&str> = ups.writable().into_iter().map(|(n, _)| n).collect();
    rw.sort_unstable();
    assert_eq!(rw, ["input.transfer.high", "input.transfer.low", "ups.delay.shutdown", "ups.delay.start"]);
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
            "shutdown.reboot",
            "shutdown.stop"
        ]
    );
}

#[test]
fn commands_write_nuts_values() {
    let Some(fx) = recording("05dd-a0a0-minuteman-pro1500rt2u") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    ups.instcmd("load.off.delay").expect("load.off.delay");
    assert_eq!(get(&mut ups, "UPS.OutletSystem.Outlet.DelayBeforeShutdown"), 20);
    ups.instcmd("load.on.delay").expect("load.on.delay");
    assert_eq!(get(&mut ups, "UPS.OutletSystem.Outlet.DelayBeforeStartup"), 30);
    ups.instcmd("shutdown.reboot").expect("shutdown.reboot");
    assert_eq!(get(&mut ups, "UPS.OutletSystem.Outlet.DelayBeforeReboot"), 10);
    ups.instcmd("beeper.mute").expect("mute");
    assert_eq!(update(&mut ups, "muted").vars["ups.beeper.status"], "muted");
    ups.setvar("input.transfer.low", "90").expect("write");
    assert_eq!(update(&mut ups, "written").vars["input.transfer.low"], "90.0");
}

#[test]
fn status_bits() {
    let Some(fx) = recording("05dd-a0a0-minuteman-pro1500rt2u") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, faults) = open(&fx, sub(&fx), tmp.path());
    for (path, token) in [
        ("UPS.PowerConverter.PresentStatus.Buck", "TRIM"),
        ("UPS.PowerConverter.PresentStatus.Boost", "BOOST"),
        ("UPS.PowerConverter.PresentStatus.Overload", "OVER"),
        ("UPS.PowerSummary.PresentStatus.BelowRemainingCapacityLimit", "LB"),
        ("UPS.PowerSummary.PresentStatus.ShutdownImminent", "LB"),
        ("UPS.PowerSummary.PresentStatus.NeedReplacement", "RB"),
    ] {
        set(&mut ups, &faults, path, 1);
        assert!(tokens(&update(&mut ups, path)).contains(&token), "{path} -> {token}");
        set(&mut ups, &faults, path, 0);
        assert!(!tokens(&update(&mut ups, path)).contains(&token), "{path} cleared");
    }
    set(&mut ups, &faults, "UPS.PowerSummary.PresentStatus.ACPresent", 0);
    set(&mut ups, &faults, "UPS.PowerSummary.PresentStatus.Discharging", 1);
    assert_eq!(update(&mut ups, "on battery").status, "OB DISCHRG");
    set(&mut ups, &faults, "UPS.PowerConverter.PresentStatus.OverTemperature", 1);
    assert!(update(&mut ups, "hot").alarm.contains("Temperature too high!"));
}

/// NUT's commfault_info on InternalFailure, and awaitingpower_info: alarms, as
/// ups_alarm_set raises them ("Internal UPS fault!", "Awaiting power!"); a fully discharged
/// battery (depleted) hides DISCHRG.
#[test]
fn fault_alarms_and_depleted_battery() {
    let Some(fx) = recording("05dd-a0a0-minuteman-pro1500rt2u") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, faults) = open(&fx, sub(&fx), tmp.path());
    // Two entries feed COMMFAULT; the later one (PowerConverter) decides, as in NUT.
    set(&mut ups, &faults, "UPS.PowerSummary.PresentStatus.InternalFailure", 1);
    assert_eq!(update(&mut ups, "fault, cleared by the later entry").alarm, "");
    set(&mut ups, &faults, "UPS.PowerConverter.PresentStatus.InternalFailure", 1);
    assert_eq!(update(&mut ups, "fault").alarm, "Internal UPS fault!");
    set(&mut ups, &faults, "UPS.PowerConverter.PresentStatus.InternalFailure", 0);
    set(&mut ups, &faults, "UPS.PowerConverter.PresentStatus.AwaitingPower", 1);
    assert_eq!(update(&mut ups, "awaiting").alarm, "Awaiting power!");
    set(&mut ups, &faults, "UPS.PowerConverter.PresentStatus.AwaitingPower", 0);
    set(&mut ups, &faults, "UPS.PowerSummary.PresentStatus.ACPresent", 0);
    set(&mut ups, &faults, "UPS.PowerSummary.PresentStatus.Discharging", 1);
    set(&mut ups, &faults, "UPS.PowerSummary.PresentStatus.FullyDischarged", 1);
    assert_eq!(update(&mut ups, "empty").status, "OB");
}

/// NUT's tripplite_format_mfr has no fallback: without a USB manufacturer string there is
/// no ups.mfr.
#[test]
fn no_manufacturer_without_the_usb_string() {
    let Some(fx) = recording("05dd-a0a0-minuteman-pro1500rt2u") else { return };
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let (mut ups, _) = open(&fx, sub(&fx), tmp.path());
    let snap = update(&mut ups, &fx.stem);
    assert!(!snap.vars.contains_key("ups.mfr"), "{:?}", snap.vars.get("ups.mfr"));
}

/// NUT adds load.off and load.on (the delay commands with 0) and shutdown.return and
/// shutdown.stayoff (both delays) to the table's commands when the table's delay command has
/// its path in the descriptor (NUT's find_nut_info), even if its report does not read.
#[test]
fn derived_commands() {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    for fx in tl_fixtures().iter().filter(|f| f.has_reports()) {
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
    let n = check_same_model_command_lists(&tl_fixtures(), &["tripp-lite", "minuteman"], sub);
    eprintln!("{n} same-model command list(s) compared");
}
