//! masterguard on the sample answers NUT 2.8.5 documents in its table
//! (tests/data/masterguard-samples.txt; its masterguard_testing table is empty): the claim,
//! the values the start-up walk publishes, the Q3 status bits, the commands and writes that
//! carry the slave address. And Debian 2.8.0: its masterguard (0.02) cannot claim any device
//! (its claim asks for an item "series" its table names "experimental.series"; fixed after
//! 2.8.0), so there is no dump to compare with; the test checks that this is still why.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_driver::{CmdResult, State};
use nutdrv_qx::engine;
use nutdrv_qx::model::{status, Ctx, Runtime, WalkMode};
use nutdrv_qx::port::FakePort;
use nutdrv_qx::protocols::masterguard::SUBDRIVER;

fn sample() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/masterguard-samples.txt"))
        .expect("masterguard sample answers")
}

/// Claim, start-up walk, initinfo, a full walk; the state, the status bits, the runtime.
fn start(port: &mut FakePort, opts: &[(&str, &str)]) -> Option<(State, Runtime)> {
    let options: BTreeMap<String, String> =
        opts.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut rt = Runtime::new(SUBDRIVER.table, options);
    let mut state = State::new();
    let mut ctx = Ctx { rt: &mut rt, state: &mut state, port };
    if !(SUBDRIVER.claim)(&mut ctx) {
        return None;
    }
    assert!(engine::walk(&mut ctx, WalkMode::Init, None), "init walk");
    (SUBDRIVER.initinfo.expect("initinfo"))(&mut ctx).expect("initinfo");
    ctx.rt.status = 0;
    assert!(engine::walk(&mut ctx, WalkMode::FullUpdate, None), "full walk");
    Some((state, rt))
}

#[test]
fn masterguard_sample_answers() {
    let mut port = FakePort::from_transcript(&sample());
    let (s, rt) = start(&mut port, &[]).expect("masterguard claims its sample answers");
    let want = [
        ("device.mfr", "Masterguard"),
        ("battery.type", "PbAc"),
        ("load.high", "140"),
        ("ups.id", "00"),
        ("ups.firmware", "10.06"),
        ("ups.firmware.aux", "03.09"),
        // "A  700  + 0 Bat Pack-19": the rack A700.
        ("device.model", "A700-19"),
        ("ups.power.nominal", "700"),
        ("input.voltage.nominal", "230"),
        ("input.frequency.nominal", "50.00"),
        // 12 cells of 2.30 V nominal, 2.27 V now.
        ("battery.voltage.nominal", "27.60"),
        ("battery.voltage", "27.24"),
        ("ambient.0.temperature.low", "10"),
        ("ambient.0.temperature.high", "40"),
        ("input.voltage.low.critical", "160"),
        ("input.voltage.high.critical", "276"),
        ("input.frequency.low", "47.00"),
        ("input.frequency.high", "53.00"),
        ("input.voltage", "225.9"),
        ("output.voltage", "229.3"),
        ("ups.load", "43"),
        // 43 % of 700 VA, rounded; current = power / output voltage.
        ("ups.power", "302"),
        ("output.current", "1.32"),
        ("output.current.nominal", "3.06"),
        ("input.frequency", "50.0"),
        ("ups.temperature", "23.4"),
        ("ambient.0.temperature", "23.4"),
        // 017.03 = 17 min 3 s.
        ("battery.runtime", "1023"),
        ("battery.charge", "100"),
        ("ups.type", "online"),
        ("ups.test.result", "no test in progress"),
        ("battery.packs", "0"),
        ("ups.beeper.status", "enabled"),
        ("device.part", "6A1212"),
        ("device.serial", "2782"),
        // 1869 days 19:06:37.
        ("device.uptime", "161550397"),
        ("output.voltage.nominal", "230"),
        ("ups.delay.shutdown", "30"),
        ("ups.delay.start", "180"),
    ];
    for (k, v) in want {
        assert_eq!(s.get_info(k), Some(v), "{k}");
    }
    assert_eq!(rt.status, status::OL);
    assert!(rt.alarms.is_empty(), "{:?}", rt.alarms);
    // The writable ones, with the model's battery pack range (0..0 for the A700) and the
    // output voltages MSO listed.
    assert_eq!(s.var("ups.id").map(|v| v.ranges.clone()), Some(vec![(0, 99)]));
    assert_eq!(s.var("battery.packs").map(|v| v.ranges.clone()), Some(vec![(0, 0)]));
    assert_eq!(
        s.var("output.voltage.nominal").map(|v| v.enums.clone()),
        Some(vec!["220".to_string(), "230".into(), "240".into()])
    );
    assert!(s.var("device.uptime").is_some_and(|v| v.flags.rw));
    // The ,XX commands went out with the unit's address.
    for c in ["GS,00\r", "GBS,00\r", "GSN,00\r", "DRC,00\r"] {
        assert!(port.sent.iter().any(|x| x == c.as_bytes()), "{c} sent");
    }
    assert!(!port.sent.iter().any(|x| x.ends_with(b",XX\r")), "no command left with XX");
}

#[test]
fn masterguard_second_unit_on_a_parallel_set_with_faults() {
    // NUT's second Q3 sample (unit 01): on line, battery low, bypass, end of battery life,
    // no battery connected. WH/GS answers of that unit derived from the first unit's.
    let text = sample()
        .replace(
            "(00 225.9 225.9 229.3 043 50.0 02.27 23.4 017.03 100 00000000 00000000",
            "(01 226.9 226.9 226.9 039 50.0 02.30 21.8 000.00 000 01100000 00011000",
        )
        .replace("< (00 10.06", "< (01 10.06")
        .replace(",00\\r", ",01\\r")
        .replace("< (00,", "< (01,");
    let mut port = FakePort::from_transcript(&text);
    let (s, rt) = start(&mut port, &[]).expect("claim");
    assert_eq!(s.get_info("ups.id"), Some("01"));
    assert_eq!(rt.status, status::OL | status::LB | status::BYPASS | status::RB);
    assert_eq!(rt.alarms, ["no battery connected"]);
    assert_eq!(s.get_info("battery.runtime"), Some("0"));
    assert!(port.sent.iter().any(|x| x == b"GBS,01\r"));
    // slave_address must match the unit's.
    let mut port = FakePort::from_transcript(&text);
    assert!(start(&mut port, &[("slave_address", "0")]).is_none());
    let mut port = FakePort::from_transcript(&text);
    assert!(start(&mut port, &[("slave_address", "1")]).is_some());
    let mut port = FakePort::from_transcript(&text);
    assert!(start(&mut port, &[("slave_address", "x1")]).is_none());
}

#[test]
fn masterguard_refuses_other_devices() {
    // A Megatec unit: no WH.
    let mut port = FakePort::with(&[
        ("Q1", "(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000"),
        ("F", "#230.0 000 024.0 50.0"),
    ]);
    assert!(start(&mut port, &[]).is_none());
    // An unknown series or model.
    for (from, to) in [("A  700", "X  700"), ("A  700", "A  800")] {
        let mut port = FakePort::from_transcript(&sample().replace(from, to));
        assert!(start(&mut port, &[]).is_none(), "{to}");
    }
}

/// A started device for commands and writes.
struct Dev {
    rt: Runtime,
    state: State,
    port: FakePort,
}

impl Dev {
    fn start() -> Dev {
        let mut d = Dev {
            rt: Runtime::new(SUBDRIVER.table, BTreeMap::new()),
            state: State::new(),
            port: FakePort::from_transcript(&sample()),
        };
        let mut ctx = Ctx { rt: &mut d.rt, state: &mut d.state, port: &mut d.port };
        assert!((SUBDRIVER.claim)(&mut ctx));
        assert!(engine::walk(&mut ctx, WalkMode::Init, None));
        (SUBDRIVER.initinfo.expect("initinfo"))(&mut ctx).expect("initinfo");
        d
    }

    fn last(&self) -> String {
        String::from_utf8_lossy(self.port.sent.last().map(Vec::as_slice).unwrap_or(b"")).into_owned()
    }

    fn cmd(&mut self, cmd: &str, arg: Option<&str>) -> (CmdResult, String) {
        let mut ctx = Ctx { rt: &mut self.rt, state: &mut self.state, port: &mut self.port };
        let r = engine::instcmd(&mut ctx, (None, None), cmd, arg);
        (r, self.last())
    }

    fn set(&mut self, var: &str, val: &str) -> (CmdResult, String) {
        let mut ctx = Ctx { rt: &mut self.rt, state: &mut self.state, port: &mut self.port };
        let r = engine::setvar(&mut ctx, var, Some(val), None);
        (r, self.last())
    }
}

#[test]
fn masterguard_commands_and_writes() {
    let mut d = Dev::start();
    // Delays 30 s / 180 s: S.5R0180, stay off S.5.
    assert_eq!(d.cmd("shutdown.return", None), (CmdResult::Handled, "S.5R0180\r".into()));
    assert_eq!(d.cmd("shutdown.stayoff", None), (CmdResult::Handled, "S.5\r".into()));
    assert_eq!(d.cmd("test.battery.start", Some("10")), (CmdResult::Handled, "T\r".into()));
    assert_eq!(d.cmd("test.battery.start", Some("600")), (CmdResult::Handled, "T10\r".into()));
    assert_eq!(d.cmd("test.battery.start", Some("30")).0, CmdResult::Failed);
    assert_eq!(d.cmd("beeper.disable", None), (CmdResult::Handled, "SS---0,00\r".into()));
    assert_eq!(d.cmd("test.battery.start.deep", None), (CmdResult::Handled, "TUD,00\r".into()));
    assert_eq!(d.cmd("clear.fault.record", None), (CmdResult::Handled, "FCLR,00\r".into()));
    // The write item has no enumeration of its own (upsd checks the published one): any
    // whole number goes out, anything else is refused.
    assert_eq!(d.set("output.voltage.nominal", "240"), (CmdResult::Handled, "PNV=240\r".into()));
    assert_eq!(d.set("output.voltage.nominal", "2x0").0, CmdResult::Unknown);
    // 2 days 1 h 2 min 3 s.
    assert_eq!(d.set("device.uptime", "176523"), (CmdResult::Handled, "SRC0002:01:02:03,00\r".into()));
    assert_eq!(d.set("ups.delay.shutdown", "120").0, CmdResult::Handled);
    assert_eq!(d.state.get_info("ups.delay.shutdown"), Some("120"));
    // The address change goes out with the old address, later commands with the new one.
    assert_eq!(d.set("ups.id", "7"), (CmdResult::Handled, "SS07--,00\r".into()));
    assert_eq!(d.set("ups.id", "100").0, CmdResult::Unknown);
    assert_eq!(d.cmd("beeper.enable", None), (CmdResult::Handled, "SS---1,07\r".into()));
    assert_eq!(d.cmd("shutdown.stayoff", None), (CmdResult::Handled, "S02\r".into()));
}

/// Debian 2.8.0's masterguard refuses the sample device, for the reason its claim logs.
#[test]
fn debian_2_8_0_masterguard_cannot_claim() {
    if !nut_testkit::require_debian_nut("debian_2_8_0_masterguard_cannot_claim") {
        return;
    }
    let Some(theirs) = nut_testkit::debian_bin("nutdrv_qx") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("state")).expect("state dir");
    let link = dir.path().join("tty");
    let mut cmd = Command::new("python3");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pty_responder.py"))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/masterguard-samples.txt"))
        .arg(&link);
    cmd.stdout(Stdio::piped());
    let mut sim = nut_testkit::Proc::spawn(cmd);
    let mut ready = String::new();
    let stdout = sim.child_mut().stdout.take().expect("responder stdout");
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut ready).expect("ready");
    std::fs::write(
        dir.path().join("ups.conf"),
        format!("[q]\n driver = nutdrv_qx\n port = {}\n protocol = masterguard\n", link.display()),
    )
    .expect("ups.conf");
    let run = |exe: &Path, extra: &[&str]| {
        Command::new("timeout")
            .arg("30")
            .arg(exe)
            .args(["-a", "q", "-u", "root", "-d", "1"])
            .args(extra)
            .env("NUT_CONFPATH", dir.path())
            .env("NUT_STATEPATH", dir.path().join("state"))
            .output()
            .expect("run driver")
    };
    let t = run(&theirs, &["-DD"]);
    let err = String::from_utf8_lossy(&t.stderr);
    assert!(!t.status.success(), "Debian 2.8.0's masterguard now reads the device: compare the dumps");
    assert!(err.contains("claim: cannot find series"), "{err}");
    let o = run(&nut_testkit::bin("nutdrv_qx"), &[]);
    sim.terminate(Duration::from_secs(5));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "ours: {}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("driver.version.data: Masterguard 0.05"), "{out}");
    assert!(out.contains("device.model: A700-19"), "{out}");
}
