//! bcmxcp (Powerware/Eaton BCM/XCP over a serial port), end to end on the simulator, against
//! Debian's NUT 2.8.0 `/lib/nut/bcmxcp` on the same description (tests/devices/bcmxcp/).
//!
//! The description plays a PW5125 1500i with the values of a NUT device dump
//! (shared/testdata/nut-ddl/Powerware/Powerware__PW5125__bcmxcp__2.7.4__01.dev) in frames laid
//! out as NUT's driver reads them. Debian's driver and ours, each on its own simulator, must
//! publish the same variables and values (driver.version*, and the variables NUT 2.8.5's
//! framework adds to every driver, aside), list the same instant commands and writable
//! variables through upsd, and send the UPS the same frames for the same INSTCMDs and SETs
//! (an out-of-range SET sends nothing on either side). NUT's bcmxcp code is the same in 2.8.0
//! and 2.8.5 but for log texts and the shutdown loop (`git diff v2.8.0 v2.8.5 -- drivers/bcmxcp.c`),
//! so no value difference is expected.
//!
//! Also: a power failure reaches upsmon (ONBATT, LOWBATT, SHUTDOWNCMD), and faults (garbage
//! start bytes, checksum errors, cut replies, timeouts, silence, unplug and return) make the data
//! stale within a poll (three tries of a second each), never serve old values as fresh, and
//! recover without a restart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use nut_testkit::sim::{descriptions, devices_dir, run_dump, Dump, UpsSim};
use nut_testkit::stack::tail;
use nut_testkit::{bin, debian_bin, require_debian_nut, wait_until, Conn, Impl, TempDir};
use nut_tests::serial::{upsc_vars, SerialStack};
use nut_tests::upsmon::Upsmon;
use nut_tests::{require_ours, DRIVER_2_8_5_CMDS, DRIVER_2_8_5_VARS};

fn desc() -> PathBuf {
    devices_dir("bcmxcp").join("pw5125.sim")
}

/// Our variables that Debian's 2.8.0 framework does not publish, or publishes differently
/// (and the port: each driver has its own simulator).
fn framework_only(var: &str) -> bool {
    var.starts_with("driver.version") || DRIVER_2_8_5_VARS.contains(&var) || var == "driver.parameter.port"
}

fn dump(driver: &Path, desc: &Path, state: &str) -> (Dump, Vec<String>) {
    let mut sim = UpsSim::start(desc);
    if state != "online" {
        sim.control(&format!("state {state}"));
    }
    let d = run_dump(driver, sim.port(), &[], Duration::from_secs(60));
    (d, sim.events())
}

fn differences(want: &BTreeMap<String, String>, got: &BTreeMap<String, String>) -> Vec<String> {
    let mut bad = Vec::new();
    for (k, v) in want {
        if framework_only(k) {
            continue;
        }
        if got.get(k) != Some(v) {
            bad.push(format!("{k}: Debian {v:?}, ours {:?}", got.get(k)));
        }
    }
    for (k, v) in got {
        if !framework_only(k) && !want.contains_key(k) {
            bad.push(format!("{k}: ours {v:?}, Debian does not publish it"));
        }
    }
    bad
}

#[test]
fn publishes_what_debian_publishes_online_on_battery_and_low_battery() {
    if !require_debian_nut("bcmxcp::publishes_what_debian_publishes_online_on_battery_and_low_battery") {
        return;
    }
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim"]);
    let theirs_bin = debian_bin("bcmxcp").expect("Debian's bcmxcp");
    let all = descriptions("bcmxcp");
    assert!(all.len() >= 2, "{all:?}");
    for (path, (state, status)) in all.iter().flat_map(|p| {
        [("online", "OL"), ("onbattery", "OB"), ("lowbatt", "OB LB")].into_iter().map(move |s| (p, s))
    }) {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let text = std::fs::read_to_string(path).expect("description");
        let parsed = ups_sim::desc::parse(&text).expect("description parses");
        let ((theirs, _), (ours, rx)) = std::thread::scope(|s| {
            let t = s.spawn(|| dump(&theirs_bin, path, state));
            let o = dump(&bin("bcmxcp"), path, state);
            (t.join().expect("Debian thread"), o)
        });
        assert!(
            theirs.ok(),
            "Debian's bcmxcp -d 1 ({state}): {:?}\n{}",
            theirs.status,
            tail(&theirs.stderr, 15)
        );
        assert!(ours.ok(), "our bcmxcp -d 1 ({state}): {:?}\n{}", ours.status, tail(&ours.stderr, 15));
        assert!(theirs.vars.len() > 50, "Debian published too little: {:?}", theirs.vars);
        let bad = differences(&theirs.vars, &ours.vars);
        assert!(bad.is_empty(), "{name} {state}: {} difference(s):\n  {}", bad.len(), bad.join("\n  "));
        let tokens: Vec<&str> =
            ours.get("ups.status").unwrap_or_default().split(' ').filter(|t| *t != "ALARM").collect();
        assert_eq!(tokens.join(" "), status, "{name} {state}");
        if state == "online" {
            // The description's expect lines (the device dump's values) hold for ours too.
            for (var, want) in &parsed.expects {
                let ok = match ours.get(var) {
                    Some(got) if var == "ups.status" => got.split(' ').any(|t| t == want),
                    Some(got) => got.trim() == want,
                    None => false,
                };
                assert!(ok, "{var}: the description expects {want:?}, ours {:?}", ours.get(var));
            }
            // NUT's start-up: ESC out of the menu, authorization, A0 (request-only mode).
            let first: Vec<&str> =
                rx.iter().filter(|e| e.starts_with("rx ")).take(3).map(String::as_str).collect();
            assert_eq!(
                first,
                ["rx \"\\x1D\"", "rx \"\\xAB\\x04\\xCFi\\xE8\\xD5\\\\\"", "rx \"\\xAB\\x01\\xA0\\xB4\""]
            );
        }
        eprintln!("bcmxcp {name} {state}: {} variables the same as Debian's", theirs.vars.len());
    }
}

fn login(c: &mut Conn) {
    assert_eq!(c.request("USERNAME admin").expect("USERNAME"), ["OK"]);
    assert_eq!(c.request("PASSWORD adminpw").expect("PASSWORD"), ["OK"]);
}

fn stack(which: Impl, sim: &UpsSim) -> SerialStack {
    SerialStack::start(which, "bcmxcp", sim.port(), &[], &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("{} bcmxcp + upsd on the simulator: {e}", which.label()))
}

fn listing(c: &mut Conn, what: &str, prefix: &str) -> Vec<String> {
    c.request(&format!("LIST {what} q"))
        .expect("LIST")
        .into_iter()
        .filter_map(|l| l.strip_prefix(prefix).map(str::to_string))
        .filter(|l| {
            let name = l.split(' ').next().unwrap_or_default();
            !DRIVER_2_8_5_CMDS.contains(&name)
                && !DRIVER_2_8_5_VARS.contains(&name)
                && !name.starts_with("driver.")
        })
        .collect()
}

/// Polls: the blocks the driver reads every poll.
const POLLS: [&str; 7] =
    ["\\xAB\\x014", "\\xAB\\x015", "\\xAB\\x013", "\\xAB\\x016", "\\xAB\\x01;", "\\xAB\\x01<", "\\xAB\\x01A"];

/// The frames the simulator received from event `from` on, polls left out.
fn frames_since(sim: &UpsSim, from: usize) -> Vec<String> {
    sim.events()
        .into_iter()
        .skip(from)
        .filter(|e| e.starts_with("rx ") && !POLLS.iter().any(|p| e.starts_with(&format!("rx \"{p}"))))
        .collect()
}

/// Send a request; wait until the driver has sent `last` to the UPS (when not empty).
/// Returns upsd's answer and where the simulator's events stood before.
fn request(sim: &mut UpsSim, c: &mut Conn, req: &str, last: &str) -> (Vec<String>, usize) {
    let from = sim.events().len();
    sim.mark();
    let r = c.request(req).expect("request");
    if !last.is_empty() {
        let seen = sim.wait_event(Duration::from_secs(15), |e| e == last).is_some();
        assert!(seen, "{req}: {last} never sent; saw {:?}", frames_since(sim, from));
    }
    (r, from)
}

#[test]
fn same_commands_writable_variables_and_frames_as_debian_through_upsd() {
    if !require_debian_nut("bcmxcp::same_commands_writable_variables_and_frames_as_debian_through_upsd") {
        return;
    }
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim", "upsd"]);
    let mut sim_t = UpsSim::start(&desc());
    let mut sim_o = UpsSim::start(&desc());
    let (theirs, ours) = std::thread::scope(|s| {
        let t = s.spawn(|| stack(Impl::Debian, &sim_t));
        (t.join().expect("Debian stack"), stack(Impl::Ours, &sim_o))
    });
    let mut ct = theirs.connect().expect("client");
    let mut co = ours.connect().expect("client");
    for c in [&mut ct, &mut co] {
        c.set_timeout(Duration::from_secs(20)).expect("timeout");
    }
    // Debian's clients on both stacks: upscmd -l, upsrw -l, upsc.
    let upsc = Path::new("/usr/bin/upsc");
    for (args, what) in [(&["-l"][..], "upscmd"), (&["-l"][..], "upsrw")] {
        let prog = Path::new("/usr/bin").join(what);
        let a: Vec<String> = args.iter().map(|s| s.to_string()).chain([theirs.target()]).collect();
        let b: Vec<String> = args.iter().map(|s| s.to_string()).chain([ours.target()]).collect();
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let b: Vec<&str> = b.iter().map(String::as_str).collect();
        let t = theirs.run(&prog, &a, Duration::from_secs(15)).expect("Debian's client");
        let o = ours.run(&prog, &b, Duration::from_secs(15)).expect("Debian's client on ours");
        let strip = |s: String| nut_tests::without_driver_2_8_5_additions(&s);
        assert_eq!(strip(o.out()), strip(t.out()), "{what} -l");
    }
    let cmds = listing(&mut co, "CMD", "CMD q ");
    assert_eq!(cmds, listing(&mut ct, "CMD", "CMD q "));
    assert!(
        cmds.contains(&"outlet.2.load.off".to_string()) && cmds.contains(&"beeper.mute".to_string()),
        "{cmds:?}"
    );
    let rw = listing(&mut co, "RW", "RW q ");
    assert_eq!(rw, listing(&mut ct, "RW", "RW q "));
    assert!(rw.iter().any(|l| l.starts_with("outlet.1.delay.start ")), "{rw:?}");
    // The values through upsd, once settled.
    let settled = |st: &SerialStack| {
        let mut prev = BTreeMap::new();
        let mut got = BTreeMap::new();
        let ok = wait_until(Duration::from_secs(20), || {
            let Ok(o) = st.run(upsc, &[&st.target()], Duration::from_secs(10)) else { return false };
            let v = upsc_vars(&o.out());
            if v.contains_key("ups.status") && v == prev {
                got = v;
                return true;
            }
            prev = v;
            false
        });
        assert!(ok, "upsc did not settle");
        got
    };
    let bad = differences(&settled(&theirs), &settled(&ours));
    assert!(bad.is_empty(), "through upsd: {}", bad.join("\n  "));
    login(&mut ct);
    login(&mut co);
    // Each request, and the last frame it must make the driver send (after the authorization).
    let auth = "rx \"\\xAB\\x04\\xCFi\\xE8\\xD5\\\\\"";
    let cases: [(&str, &str); 9] = [
        ("INSTCMD q test.battery.start", "rx \"\\xAB\\x03\\xB1\\n\\x1Ey\""),
        ("INSTCMD q beeper.disable", "rx \"\\xAB\\x04\\x95\\x06\\x00\\x00\\xB6\""),
        ("INSTCMD q load.on", "rx \"\\xAB\\x01\\x89\\xCB\""),
        ("INSTCMD q outlet.2.load.off", "rx \"\\xAB\\x02\\x8B\\x02\\xC6\""),
        ("SET VAR q output.voltage.nominal 120", "rx \"\\xAB\\x04\\x95\\x0Bx\\x009\""),
        ("SET VAR q output.voltage.nominal 230", "rx \"\\xAB\\x04\\x95\\x0B\\xE6\\x00\\xCB\""),
        ("SET VAR q battery.packs 2", "rx \"\\xAB\\x04\\x95\\x0F\\x02\\x00\\xAB\""),
        ("SET VAR q outlet.1.delay.start 10", "rx \"\\xAB\\x05\\x97\\x02\\x01\\n\\x00\\xAC\""),
        // Out of NUT's range (0..5): nothing reaches the UPS but the authorization.
        ("SET VAR q battery.packs 9", ""),
    ];
    for (req, last) in cases {
        let (rt, from_t) = request(&mut sim_t, &mut ct, req, last);
        let (ro, from_o) = request(&mut sim_o, &mut co, req, last);
        assert_eq!(ro, rt, "{req}: upsd's answer");
        if last.is_empty() {
            // Give both drivers time to act on it; then only polls (and perhaps the
            // authorization NUT sends before checking the range) may have been sent.
            sim_t.mark();
            sim_o.mark();
            for s in [&mut sim_t, &mut sim_o] {
                for _ in 0..2 {
                    assert!(s.wait_event(Duration::from_secs(10), |e| e == "rx \"\\xAB\\x013!\"").is_some());
                }
            }
            let odd = |f: Vec<String>| f.into_iter().filter(|e| e != auth).collect::<Vec<_>>();
            assert_eq!(odd(frames_since(&sim_o, from_o)), Vec::<String>::new(), "{req}: ours sent");
            assert_eq!(odd(frames_since(&sim_t, from_t)), Vec::<String>::new(), "{req}: Debian sent");
            continue;
        }
        let (fo, ft) = (frames_since(&sim_o, from_o), frames_since(&sim_t, from_t));
        assert_eq!(fo, [auth, last], "{req}: ours sent");
        assert_eq!(ft, [auth, last], "{req}: Debian sent");
    }
    // Acknowledges: accepted (31), out of range (35), busy (33): NUT's log texts.
    let logged = wait_until(Duration::from_secs(10), || {
        let l = ours.driver_log();
        l.contains("[output.voltage.nominal] Parameter out of range")
            && l.contains("[battery.packs] Busy or disabled by front panel")
    });
    assert!(logged, "{}", tail(&ours.driver_log(), 20));
}

fn status(c: &mut Conn) -> Vec<String> {
    c.request("GET VAR q ups.status").expect("GET VAR")
}

/// The tokens of a `VAR q ups.status "..."` reply, without ALARM (the alarm block's texts are
/// in ups.alarm) and CHRG/DISCHRG (NUT 2.8.5's status_commit may add one when battery.charge
/// changed).
fn tokens(r: &[String]) -> Option<Vec<String>> {
    let v = r.first()?.strip_prefix("VAR q ups.status \"")?.strip_suffix('"')?;
    Some(v.split(' ').filter(|t| !["ALARM", "CHRG", "DISCHRG"].contains(t)).map(str::to_string).collect())
}

#[test]
fn power_failure_reaches_upsmon_onbatt_lowbatt_shutdowncmd() {
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim", "upsd", "upsmon"]);
    let t_start = Instant::now();
    let mut sim = UpsSim::start(&desc());
    let st = stack(Impl::Ours, &sim);
    let mut c = st.connect().expect("client");
    assert_eq!(status(&mut c), ["VAR q ups.status \"OL\""]);
    let mon = Upsmon::start(st.port());
    let in_ = wait_until(Duration::from_secs(15), || {
        c.request("GET NUMLOGINS q").is_ok_and(|r| r == ["NUMLOGINS q 1"])
    });
    assert!(in_, "upsmon did not log in: {}", tail(&mon.log(), 20));
    // Status F0 and the UPS_ON_BATTERY alarm.
    sim.control("state onbattery");
    let t_ob = mon.await_note("ONBATT", Duration::from_secs(20), &st, Some(&sim));
    assert_eq!(tokens(&status(&mut c)), Some(vec!["OB".into()]));
    assert_eq!(c.request("GET VAR q ups.alarm").expect("GET"), ["VAR q ups.alarm \"UPS_ON_BATTERY\""]);
    assert_eq!(
        c.request("GET VAR q battery.charger.status").expect("GET"),
        ["VAR q battery.charger.status \"discharging\""]
    );
    assert!(mon.marker().is_none(), "SHUTDOWNCMD on battery alone");
    // The BATTERY_LOW alarm too: OB LB.
    sim.control("state lowbatt");
    let t_lb = mon.await_note("LOWBATT", Duration::from_secs(20), &st, Some(&sim));
    let t0 = Instant::now();
    let shut = wait_until(Duration::from_secs(20), || mon.marker().is_some());
    assert!(shut, "no SHUTDOWNCMD: {:?}\n{}", mon.notes(), tail(&mon.log(), 30));
    let t_shut = t0.elapsed();
    assert_eq!(tokens(&status(&mut c)), Some(vec!["FSD".into(), "OB".into(), "LB".into()]));
    println!(
        "bcmxcp_power_failure: ONBATT {:.2} s, LOWBATT {:.2} s, SHUTDOWNCMD {:.2} s after LOWBATT; whole test {:.1} s",
        t_ob.as_secs_f64(),
        t_lb.as_secs_f64(),
        t_shut.as_secs_f64(),
        t_start.elapsed().as_secs_f64()
    );
}

/// A fault: inject, stale within a poll (1 s) plus one command's three tries (a second each),
/// the UPS goes on battery meanwhile, the fault ends, fresh with the new state (never the old
/// one), same driver process.
fn fault(name: &str, inject: &[&str], end: &[&str]) {
    let mut sim = UpsSim::start(&desc());
    let mut st = stack(Impl::Ours, &sim);
    let pid = st.driver_pid();
    let mut c = st.connect().expect("client");
    c.set_timeout(Duration::from_secs(5)).expect("timeout");
    assert_eq!(status(&mut c), ["VAR q ups.status \"OL\""]);
    let bound = Duration::from_secs(1 + 3 + 4); // poll 1 s + three tries of 1 s + slack
    for l in inject {
        sim.control(l);
    }
    let t0 = Instant::now();
    loop {
        let r = status(&mut c);
        if r == ["ERR DATA-STALE"] {
            break;
        }
        assert_eq!(r, ["VAR q ups.status \"OL\""], "{name}: before stale");
        assert!(t0.elapsed() < bound, "{name}: not stale within {bound:?}\n{}", tail(&st.driver_log(), 10));
        std::thread::sleep(Duration::from_millis(50));
    }
    let t_stale = t0.elapsed();
    sim.control("state onbattery");
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
        if tokens(&r) == Some(vec!["OB".into()]) {
            break;
        }
        assert_eq!(r, ["ERR DATA-STALE"], "{name}: stale data served as fresh");
        assert!(
            t1.elapsed() < Duration::from_secs(30),
            "{name}: no recovery\n{}",
            tail(&st.driver_log(), 10)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(st.driver_alive() && st.driver_pid() == pid, "{name}: the driver was restarted");
    println!(
        "bcmxcp_faults: {name}: stale {:.2} s after the fault, fresh {:.2} s after it ended",
        t_stale.as_secs_f64(),
        t1.elapsed().as_secs_f64()
    );
}

#[test]
fn garbage_start_bytes_before_replies() {
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim", "upsd"]);
    // A stray start byte: the reply's own AB is then read as its block number.
    fault("garbage", &["garbage \"\\xab\" *"], &["clear"]);
}

#[test]
fn checksum_errors() {
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim", "upsd"]);
    fault("corrupt", &["corrupt *"], &["clear"]);
}

#[test]
fn replies_cut_short() {
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim", "upsd"]);
    fault("cut", &["cut 6 *"], &["clear"]);
}

#[test]
fn timeouts_then_answers_again() {
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim", "upsd"]);
    fault("timeout", &["timeout *"], &["clear"]);
}

#[test]
fn silence_then_answers_again() {
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim", "upsd"]);
    fault("silent", &["silent"], &["clear"]);
}

#[test]
fn unplugged_and_plugged_back() {
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim", "upsd"]);
    fault("unplug", &["unplug"], &["replug"]);
}

#[test]
fn no_ups_on_the_port_is_said_with_the_speeds_tried() {
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim"]);
    let mut sim = UpsSim::start(&desc());
    sim.control("silent");
    let d = run_dump(&bin("bcmxcp"), sim.port(), &[], Duration::from_secs(90));
    assert!(!d.ok(), "started with no answer");
    assert!(
        d.stderr.contains("Can't connect to the UPS on port")
            && d.stderr.contains("19200, 9600, 4800, 2400 or 1200 baud"),
        "{}",
        tail(&d.stderr, 8)
    );
    // NUT's autobaud: at each of the five speeds, ESC then the authorization.
    assert_eq!(sim.events().iter().filter(|e| *e == "rx \"\\x1D\"").count(), 5, "one ESC per speed");
}

#[test]
fn a_speed_bcmxcp_does_not_have_is_refused() {
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim"]);
    let sim = UpsSim::start(&desc());
    let d = run_dump(
        &bin("bcmxcp"),
        sim.port(),
        &[("baud_rate".into(), Some("9601".into()))],
        Duration::from_secs(30),
    );
    assert!(!d.ok());
    assert!(d.stderr.contains("Specified baudrate \"9601\" is invalid!"), "{}", tail(&d.stderr, 8));
    // With a speed it has, it starts there and says so.
    let d = run_dump(
        &bin("bcmxcp"),
        sim.port(),
        &[("baud_rate".into(), Some("9600".into()))],
        Duration::from_secs(30),
    );
    assert!(d.ok(), "{}", tail(&d.stderr, 8));
    assert!(d.stderr.contains("with baudrate 9600"), "{}", tail(&d.stderr, 8));
    assert_eq!(d.get("driver.parameter.baud_rate"), Some("9600"));
}

/// `driver -a q -u root -k` against a simulator on `desc`: exit code, output, the frames the
/// UPS received after the start-up and whether it went to the `off` state.
fn kill_power(driver: &Path, desc: &Path) -> (i32, String, Vec<String>, bool) {
    let mut sim = UpsSim::start(desc);
    let dir = TempDir::new().expect("temp dir");
    std::fs::write(
        dir.path().join("ups.conf"),
        nut_testkit::sim::ups_conf_section("q", "bcmxcp", sim.port(), &[]),
    )
    .expect("ups.conf");
    let mut cmd = Command::new(driver);
    cmd.args(["-a", "q", "-u", "root", "-k"])
        .env("NUT_CONFPATH", dir.path())
        .env("NUT_STATEPATH", dir.path())
        .env("NUT_ALTPIDPATH", dir.path())
        .env_remove("NUT_DEBUG_LEVEL");
    let o = nut_testkit::stack::run_with_timeout(cmd, Duration::from_secs(60)).expect("driver -k");
    let off = sim.wait_event(Duration::from_secs(5), |e| e == "state off").is_some();
    let ev = sim.events();
    let from = ev.iter().position(|e| e == "rx \"\\xAB\\x04\\x95\\xFF\\x00\\x00\\xBD\"").map_or(0, |i| i + 1);
    let frames = ev.into_iter().skip(from).filter(|e| e.starts_with("rx ")).collect();
    (o.code, format!("{}{}", o.out(), o.err()), frames, off)
}

#[test]
fn kill_power_uses_shutdown_delay_as_nut_2_8_5() {
    if !require_debian_nut("bcmxcp::kill_power_uses_shutdown_delay_as_nut_2_8_5") {
        return;
    }
    require_ours(Impl::Ours, &["bcmxcp", "ups-sim"]);
    let auth = "rx \"\\xAB\\x04\\xCFi\\xE8\\xD5\\\\\"";
    // NUT 2.8.5: `-k` runs upsdrv_initinfo (which reads shutdown_delay, default 120) before
    // upsdrv_shutdown: shutdown.return is the authorization then 8A 78 00, which the PW5125
    // accepts; the simulator then reads status 10 (off).
    let ours = kill_power(&bin("bcmxcp"), &desc());
    assert_eq!(ours.0, 0, "our -k: {}", tail(&ours.1, 10));
    assert!(ours.3, "the UPS was not turned off");
    assert_eq!(ours.2, [auth, "rx \"\\xAB\\x03\\x8Ax\\x00P\""], "our frames after start-up");
    // Debian's 2.8.0 ran upsdrv_shutdown right after upsdrv_initups, before initinfo had read
    // shutdown_delay: it sends a delay of 0 (8A 00 00), which this UPS does not answer, then
    // falls back to shutdown.stayoff (8B). NUT moved -k after upsdrv_initinfo in 2.8.3
    // (commit d0b42c4ae, "drivers/main.c: move do_forceshutdown handling to be after
    // upsdrv_initinfo()", issue #2670): a 2.8.0-vs-2.8.5 difference, checked here so that it
    // stays the only one.
    let theirs = kill_power(&debian_bin("bcmxcp").expect("Debian's bcmxcp"), &desc());
    assert_eq!(theirs.0, 0, "Debian's -k: {}", tail(&theirs.1, 10));
    assert!(theirs.3, "Debian's -k did not turn the UPS off");
    let zero = "rx \"\\xAB\\x03\\x8A\\x00\\x00\\xC8\"";
    assert!(theirs.2.iter().any(|e| e.contains("\\x8A")), "{:?}", theirs.2);
    assert_eq!(theirs.2.last().map(String::as_str), Some("rx \"\\xAB\\x01\\x8B\\xC9\""), "{:?}", theirs.2);
    // The simulator sees 2.8.0's 8A 00 00 C8 byte by byte (no rule for it).
    let joined: String =
        theirs.2.iter().map(|e| e.trim_start_matches("rx \"").trim_end_matches('"')).collect();
    assert!(joined.contains(zero.trim_start_matches("rx \"").trim_end_matches('"')), "{joined}");
}
