//! nutdrv_hashx ("#*" protocol serial UPSes), end to end on the simulator.
//!
//! Debian's NUT 2.8.0 has no nutdrv_hashx (it came with NUT 2.8.3), so there is no reference
//! driver to run: what our driver publishes is checked against the facts NUT 2.8.5 gives,
//! each cited where it is used: the sample replies next to each command in
//! drivers/nutdrv_hashx.c and the way its upsdrv_initinfo/upsdrv_updateinfo decode them, its
//! table of observed status bytes, its `hashx_cmd[]` (instant commands; no writable variable,
//! `upsdrv_makevartable` adds none) and docs/man/nutdrv_hashx.txt (no driver option; "The
//! driver shutdown function is not implemented"). The device description
//! (tests/devices/nutdrv_hashx/atlantis-a03-s1200.sim) is built from those samples; its
//! `expect` lines must agree with this test's table.
//!
//! Also: a power failure reaches upsmon (ONBATT, LOWBATT, SHUTDOWNCMD), and faults (garbage,
//! cut replies, timeouts, silence, unplug and return; the protocol has no checksum) make the
//! data stale at the first failed poll, as NUT's driver (`dstate_datastale` on any failed
//! `B`), never serve old values as fresh, and recover without a restart.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use nut_testkit::sim::{devices_dir, run_dump, UpsSim};
use nut_testkit::stack::tail;
use nut_testkit::{bin, wait_until, Conn, Impl};
use nut_tests::require_ours;
use nut_tests::serial::SerialStack;
use nut_tests::upsmon::Upsmon;

fn desc() -> PathBuf {
    devices_dir("nutdrv_hashx").join("atlantis-a03-s1200.sim")
}

/// What NUT 2.8.5's nutdrv_hashx publishes for the sample replies of its source, and why.
const EXPECTED: [(&str, &str); 23] = [
    // upsdrv_initinfo sets these three as constants.
    ("device.type", "ups"),
    ("ups.type", "online"),
    ("ups.mode", "line-interactive"),
    // X41 "#1200,PE02022.002,000000000000,000000000000000000": field 1 model, 2 firmware.
    ("device.model", "1200"),
    ("ups.firmware", "PE02022.002"),
    // X27 "#230,290,162,10,300": nominal, failure upper and lower bounds (%d).
    ("input.voltage.high.critical", "290"),
    ("input.voltage.low.critical", "162"),
    // X72 "#1200,0720,230,40,70,05.20": VA, W, nominal V (%d), Hz low/high, current (%.1f);
    // its nominal voltage is set after X27's.
    ("ups.power.nominal", "1200"),
    ("ups.realpower.nominal", "720"),
    ("input.voltage.nominal", "230"),
    ("input.frequency.low", "40.0"),
    ("input.frequency.high", "70.0"),
    ("output.current.nominal", "5.2"),
    // B "#I239.0O237.0L007B100V27.0F50.1H50.1R040S\x80\x84\xd0\x80\x80\xc0": %.1f for the
    // voltages and frequencies, %d for load and charge, runtime minutes * 60.
    ("input.voltage", "239.0"),
    ("output.voltage", "237.0"),
    ("ups.load", "7"),
    ("battery.charge", "100"),
    ("battery.voltage", "27.0"),
    ("input.frequency", "50.1"),
    ("output.frequency", "50.1"),
    ("battery.runtime", "2400"),
    // Status bytes 80 84 d0 80 80 c0 ("On AC, fully charged"): byte 1 has 0x04 (on AC),
    // byte 2 has 0x50 (resting), byte 4 lacks 0x20 (HB).
    ("battery.charger.status", "resting"),
    ("ups.status", "OL HB"),
];

/// NUT 2.8.5's `hashx_cmd[]`, sorted as `LIST CMD` sends them (plus the framework's own).
const COMMANDS: [&str; 9] = [
    "beeper.disable",
    "beeper.enable",
    "calibrate.start",
    "calibrate.stop",
    "experimental.test.beeper.start",
    "experimental.test.beeper.stop",
    "test.battery.start.deep",
    "test.battery.start.quick",
    "test.battery.stop",
];

#[test]
fn publishes_what_nuts_source_decodes_from_its_sample_replies() {
    require_ours(Impl::Ours, &["nutdrv_hashx", "ups-sim"]);
    // No Debian reference: NUT 2.8.0 has no nutdrv_hashx (see the module comment).
    let sim = UpsSim::start(&desc());
    let d = run_dump(&bin("nutdrv_hashx"), sim.port(), &[], Duration::from_secs(30));
    assert!(d.ok(), "our nutdrv_hashx -d 1: {:?}\n{}", d.status, tail(&d.stderr, 15));
    let mut bad = Vec::new();
    for (var, want) in EXPECTED {
        if d.get(var) != Some(want) {
            bad.push(format!("{var}: NUT's source gives {want:?}, ours {:?}", d.get(var)));
        }
    }
    // Nothing else but the framework's driver.* variables.
    for var in d.vars.keys() {
        if !var.starts_with("driver.") && !EXPECTED.iter().any(|(v, _)| v == var) {
            bad.push(format!("{var}: published, NUT's driver does not"));
        }
    }
    // The description's own `expect` lines say the same.
    let text = std::fs::read_to_string(desc()).expect("description");
    let parsed = ups_sim::desc::parse(&text).expect("description parses");
    for (var, want) in &parsed.expects {
        let ok = match d.get(var) {
            Some(got) if var == "ups.status" => got.split(' ').any(|t| t == want),
            got => got == Some(want.as_str()),
        };
        if !ok {
            bad.push(format!("{var}: the description expects {want:?}, ours {:?}", d.get(var)));
        }
    }
    assert!(bad.is_empty(), "{}\n{}", bad.join("\n"), tail(&d.stderr, 10));
    // The handshake as NUT's upsdrv_initinfo sends it: bare CR, K19:<id>, X19, X41, X27, X72.
    let rx: Vec<String> = sim.events().into_iter().filter(|e| e.starts_with("rx ")).take(6).collect();
    assert_eq!(
        rx,
        [
            "rx \"\\r\"",
            "rx \"K19:OoNUTisAMAZINGoO\\r\"",
            "rx \"X19\\r\"",
            "rx \"X41\\r\"",
            "rx \"X27\\r\"",
            "rx \"X72\\r\""
        ]
    );
}

fn login(c: &mut Conn) {
    assert_eq!(c.request("USERNAME admin").expect("USERNAME"), ["OK"]);
    assert_eq!(c.request("PASSWORD adminpw").expect("PASSWORD"), ["OK"]);
}

fn stack(sim: &UpsSim) -> SerialStack {
    SerialStack::start(Impl::Ours, "nutdrv_hashx", sim.port(), &[], &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("our nutdrv_hashx + upsd on the simulator: {e}"))
}

fn status(c: &mut Conn) -> Vec<String> {
    c.request("GET VAR q ups.status").expect("GET VAR")
}

/// The tokens of a `VAR q ups.status "..."` reply, CHRG/DISCHRG left out: NUT 2.8.5's
/// status_commit adds one of them for a poll when battery.charge changed and the driver did
/// not say (dstate.c), which this driver never does.
fn tokens(r: &[String]) -> Option<Vec<String>> {
    let v = r.first()?.strip_prefix("VAR q ups.status \"")?.strip_suffix('"')?;
    Some(v.split(' ').filter(|t| *t != "CHRG" && *t != "DISCHRG").map(str::to_string).collect())
}

#[test]
fn instant_commands_and_no_writable_variables_through_upsd() {
    require_ours(Impl::Ours, &["nutdrv_hashx", "ups-sim", "upsd"]);
    let mut sim = UpsSim::start(&desc());
    let st = stack(&sim);
    let mut c = st.connect().expect("client");
    let cmds: Vec<String> = c
        .request("LIST CMD q")
        .expect("LIST CMD")
        .into_iter()
        .filter_map(|l| l.strip_prefix("CMD q ").map(str::to_string))
        .filter(|n| !n.starts_with("driver.") && n != "shutdown.default")
        .collect();
    assert_eq!(cmds, COMMANDS, "NUT 2.8.5's hashx_cmd[]");
    let rw: Vec<String> = c
        .request("LIST RW q")
        .expect("LIST RW")
        .into_iter()
        .filter(|l| l.starts_with("RW q ") && !l.starts_with("RW q driver."))
        .collect();
    assert!(rw.is_empty(), "NUT's nutdrv_hashx has no writable variable: {rw:?}");
    login(&mut c);
    // test.battery.start.quick sends "A" (hashx_cmd[]); the UPS answers #0 and tests: status
    // bytes 88 80 88 88 80 c0 ("Testing battery, fully charged") read CAL OB HB in NUT.
    sim.mark();
    assert_eq!(c.request("INSTCMD q test.battery.start.quick").expect("INSTCMD"), ["OK"]);
    assert!(sim.wait_event(Duration::from_secs(10), |e| e == "rx \"A\\r\"").is_some(), "no A sent");
    let testing =
        wait_until(Duration::from_secs(10), || status(&mut c) == ["VAR q ups.status \"CAL OB HB\""]);
    assert!(testing, "status while testing: {:?}", status(&mut c));
    assert_eq!(c.request("INSTCMD q test.battery.stop").expect("INSTCMD"), ["OK"]);
    let back = wait_until(Duration::from_secs(10), || status(&mut c) == ["VAR q ups.status \"OL HB\""]);
    assert!(back, "status after KA: {:?}", status(&mut c));
    // beeper.enable sends K60:1. A refused command (AH answers #-10, "unavailable") is
    // accepted by upsd and fails in the driver; the driver logs NUT's message.
    sim.mark();
    assert_eq!(c.request("INSTCMD q beeper.enable").expect("INSTCMD"), ["OK"]);
    assert!(sim.wait_event(Duration::from_secs(10), |e| e == "rx \"K60:1\\r\"").is_some());
    assert_eq!(c.request("INSTCMD q test.battery.start.deep").expect("INSTCMD"), ["OK"]);
    let logged = wait_until(Duration::from_secs(10), || {
        st.driver_log().contains("Failed to execute command [test.battery.start.deep]")
    });
    assert!(logged, "{}", tail(&st.driver_log(), 10));
    assert_eq!(c.request("INSTCMD q load.off").expect("INSTCMD"), ["ERR CMD-NOT-SUPPORTED"]);
    assert_eq!(c.request("SET VAR q ups.delay.shutdown 20").expect("SET"), ["ERR VAR-NOT-SUPPORTED"]);
}

#[test]
fn power_failure_reaches_upsmon_onbatt_lowbatt_shutdowncmd() {
    require_ours(Impl::Ours, &["nutdrv_hashx", "ups-sim", "upsd", "upsmon"]);
    let t_start = Instant::now();
    let mut sim = UpsSim::start(&desc());
    let st = stack(&sim);
    let mut c = st.connect().expect("client");
    assert_eq!(status(&mut c), ["VAR q ups.status \"OL HB\""]);
    let mon = Upsmon::start(st.port());
    let in_ = wait_until(Duration::from_secs(15), || {
        c.request("GET NUMLOGINS q").is_ok_and(|r| r == ["NUMLOGINS q 1"])
    });
    assert!(in_, "upsmon did not log in: {}", tail(&mon.log(), 20));
    // Status bytes c0 83 8c 80 80 c0 ("Discharging"): OB HB.
    sim.control("state onbattery");
    let t_ob = mon.await_note("ONBATT", Duration::from_secs(20), &st, Some(&sim));
    assert_eq!(tokens(&status(&mut c)), Some(vec!["OB".into(), "HB".into()]));
    assert_eq!(
        c.request("GET VAR q battery.charger.status").expect("GET"),
        ["VAR q battery.charger.status \"discharging\""]
    );
    assert!(mon.marker().is_none(), "SHUTDOWNCMD on battery alone");
    // c0 83 8c 80 a0 c0 ("Discharging Battery very low"): OB LB.
    sim.control("state lowbatt");
    let t_lb = mon.await_note("LOWBATT", Duration::from_secs(20), &st, Some(&sim));
    let t0 = Instant::now();
    let shut = wait_until(Duration::from_secs(20), || mon.marker().is_some());
    assert!(shut, "no SHUTDOWNCMD: {:?}\n{}", mon.notes(), tail(&mon.log(), 30));
    let t_shut = t0.elapsed();
    assert_eq!(tokens(&status(&mut c)), Some(vec!["FSD".into(), "OB".into(), "LB".into()]));
    // e0 83 8c 80 a0 c0 ("Discharging Battery alarm"): NUT's alarm text.
    sim.control("state alarm");
    let alarm = wait_until(Duration::from_secs(10), || {
        c.request("GET VAR q ups.alarm")
            .is_ok_and(|r| r == ["VAR q ups.alarm \"Battery is critically low, UPS is about to turn off!\""])
    });
    assert!(alarm, "{:?}", c.request("GET VAR q ups.alarm"));
    println!(
        "nutdrv_hashx_power_failure: ONBATT {:.2} s, LOWBATT {:.2} s, SHUTDOWNCMD {:.2} s after LOWBATT; \
         whole test {:.1} s",
        t_ob.as_secs_f64(),
        t_lb.as_secs_f64(),
        t_shut.as_secs_f64(),
        t_start.elapsed().as_secs_f64()
    );
}

/// A fault: inject, stale (within a poll interval plus the reply wait: NUT goes stale at the
/// first failed `B`), the UPS changes state meanwhile, the fault ends, fresh with the new
/// state (never the old one), same driver process.
fn fault(name: &str, inject: &[&str], end: &[&str]) {
    let mut sim = UpsSim::start(&desc());
    let mut st = stack(&sim);
    let pid = st.driver_pid();
    let mut c = st.connect().expect("client");
    c.set_timeout(Duration::from_secs(5)).expect("timeout");
    assert_eq!(status(&mut c), ["VAR q ups.status \"OL HB\""]);
    let bound = Duration::from_secs(1 + 1 + 4); // poll 1 s + reply wait 1 s + slack
    for l in inject {
        sim.control(l);
    }
    let t0 = Instant::now();
    loop {
        let r = status(&mut c);
        if r == ["ERR DATA-STALE"] {
            break;
        }
        assert_eq!(r, ["VAR q ups.status \"OL HB\""], "{name}: before stale");
        assert!(t0.elapsed() < bound, "{name}: not stale within {bound:?}\n{}", tail(&st.driver_log(), 10));
        std::thread::sleep(Duration::from_millis(50));
    }
    let t_stale = t0.elapsed();
    sim.control("state onbattery");
    // Two more polls reach the simulator (or the port is gone): still stale.
    if !inject.iter().any(|l| l.starts_with("unplug")) {
        for _ in 0..2 {
            sim.mark();
            assert!(
                sim.wait_event(Duration::from_secs(10), |e| e.starts_with("rx ")).is_some(),
                "{name}: polling stopped"
            );
            assert_eq!(status(&mut c), ["ERR DATA-STALE"], "{name}: during the fault");
        }
    }
    for l in end {
        sim.control(l);
    }
    let t1 = Instant::now();
    loop {
        let r = status(&mut c);
        if tokens(&r) == Some(vec!["OB".into(), "HB".into()]) {
            break;
        }
        assert_eq!(r, ["ERR DATA-STALE"], "{name}: stale data served as fresh");
        assert!(
            t1.elapsed() < Duration::from_secs(20),
            "{name}: no recovery\n{}",
            tail(&st.driver_log(), 10)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(st.driver_alive() && st.driver_pid() == pid, "{name}: the driver was restarted");
    println!(
        "nutdrv_hashx_faults: {name}: stale {:.2} s after the fault, fresh {:.2} s after it ended",
        t_stale.as_secs_f64(),
        t1.elapsed().as_secs_f64()
    );
}

#[test]
fn garbage_before_replies() {
    require_ours(Impl::Ours, &["nutdrv_hashx", "ups-sim", "upsd"]);
    // The reply no longer starts with '#' and its fields no longer line up.
    fault("garbage", &["garbage \"X\" *"], &["clear"]);
}

#[test]
fn replies_cut_short() {
    require_ours(Impl::Ours, &["nutdrv_hashx", "ups-sim", "upsd"]);
    fault("cut", &["cut 20 *"], &["clear"]);
}

#[test]
fn silence_then_answers_again() {
    require_ours(Impl::Ours, &["nutdrv_hashx", "ups-sim", "upsd"]);
    fault("silent", &["silent"], &["clear"]);
}

#[test]
fn unplugged_and_plugged_back() {
    require_ours(Impl::Ours, &["nutdrv_hashx", "ups-sim", "upsd"]);
    fault("unplug", &["unplug"], &["replug"]);
}

#[test]
fn no_ups_on_the_port_is_said_with_the_speed() {
    require_ours(Impl::Ours, &["nutdrv_hashx", "ups-sim"]);
    let mut sim = UpsSim::start(&desc());
    sim.control("silent");
    let d = run_dump(&bin("nutdrv_hashx"), sim.port(), &[], Duration::from_secs(30));
    assert!(!d.ok(), "started with no answer");
    assert!(d.stderr.contains("no reply to the #-protocol probe at 2400 baud"), "{}", tail(&d.stderr, 8));
    assert_eq!(
        sim.events().iter().filter(|e| *e == "rx \"\\r\"").count(),
        4,
        "NUT probes four times with a bare CR"
    );
}
