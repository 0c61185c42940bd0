//! Issue 12, the apcsmart driver (APC Smart protocol), end to end against `ups-sim`.
//!
//! 1. Compatibility: for every description in `tests/devices/apcsmart/`, Debian's NUT 2.8.0
//!    `/lib/nut/apcsmart` and ours, each on its own simulator pty, publish the same variables
//!    and values in their one-shot dump (`-d 1`), apart from driver.version* and the variables
//!    every 2.8.5 driver adds (driver.state, driver.debug: `nut_tests::qx::documented_diff`);
//!    ours must also hold each description's `expect` lines (the values its sources state).
//!    One description also goes through upsd on each side (Debian's driver behind Debian's
//!    upsd, ours behind ours), read with Debian's upsc, upscmd -l and upsrw, and the same SET
//!    is made on both.
//! 2. A power failure played by the simulator reaches our upsmon: ONBATT, LOWBATT, SHUTDOWNCMD.
//! 3. Faults (garbage, replies cut short, unanswered commands, silence, unplug and return):
//!    NUT's apcsmart marks the data stale at the first failed status or variable read
//!    (`upsdrv_updateinfo`: `update_status()` / `update_info()` failing call
//!    `dstate_datastale()`), so within one poll; stale values are never served as fresh; the
//!    driver recovers by itself (same PID).
//! 4. Configuration and serial errors: bad shutdown options refused with NUT's message, the
//!    940-0095B cable on a port without modem-control lines, a UPS that never answers.
//!
//! `cargo build -p apcsmart -p ups-sim -p upsd -p upsmon` first: the tests run the built binaries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nut_testkit::sim::{descriptions, devices_dir, run_dump, Dump, UpsSim};
use nut_testkit::stack::tail;
use nut_testkit::{bin, debian_bin, require_debian_nut, wait_until, Impl};
use nut_tests::faults::{exactly, FaultRig, WhileStale};
use nut_tests::qx::{compare_vars, load_desc};
use nut_tests::serial::{upsc_vars, SerialStack};
use nut_tests::upsmon::Upsmon;
use nut_tests::{par_map, require_ours};

const DRIVER: &str = "apcsmart";
/// A dump is killed after this long (one takes a few seconds; unanswered commands cost 3 s).
const DUMP_TIMEOUT: Duration = Duration::from_secs(120);
/// The description used through upsd, for the power failure and the faults.
const MAIN: &str = "smart-ups-700-doc";

fn desc_path(name: &str) -> PathBuf {
    devices_dir(DRIVER).join(format!("{name}.sim"))
}

fn check_expects(desc: &ups_sim::Desc, d: &Dump) -> Vec<String> {
    let mut bad = Vec::new();
    for (var, want) in &desc.expects {
        let got = d.get(var);
        let ok = if var == "ups.status" {
            got.is_some_and(|g| g.split(' ').any(|t| t == want))
        } else {
            // The UPS pads some strings with blanks (nut-180's model); the sources quote them trimmed.
            got.map(str::trim) == Some(want.as_str())
        };
        if !ok {
            bad.push(format!("{var}: the description's sources say {want:?}, ours {got:?}"));
        }
    }
    bad
}

fn compare_one(path: &Path) -> Result<usize, String> {
    let desc = load_desc(path);
    let name = desc.name.clone();
    let opts = desc.driver(DRIVER).map(|h| h.options.clone()).ok_or(format!("{name}: no apcsmart line"))?;
    let theirs_bin = debian_bin(DRIVER).ok_or("Debian's apcsmart is not installed")?;
    let sim_theirs = UpsSim::start(path);
    let sim_ours = UpsSim::start(path);
    let (theirs, ours) = std::thread::scope(|s| {
        let t = s.spawn(|| run_dump(&theirs_bin, sim_theirs.port(), &opts, DUMP_TIMEOUT));
        let o = run_dump(&bin(DRIVER), sim_ours.port(), &opts, DUMP_TIMEOUT);
        (t.join().expect("Debian dump thread"), o)
    });
    let last = |d: &Dump| format!("status {:?}; stderr:\n{}", d.status, tail(&d.stderr, 8));
    if !theirs.ok() {
        return Err(format!("{name}: Debian's apcsmart gave no dump; {}", last(&theirs)));
    }
    if !ours.ok() {
        return Err(format!("{name}: our apcsmart does not read this device; {}", last(&ours)));
    }
    let mut bad = compare_vars(DRIVER, None, &theirs.vars, &ours.vars, sim_theirs.port(), sim_ours.port());
    bad.extend(check_expects(&desc, &ours));
    if theirs.vars.len() < 20 {
        bad.push(format!("Debian's dump has only {} variables", theirs.vars.len()));
    }
    if bad.is_empty() {
        Ok(theirs.vars.len())
    } else {
        Err(format!("{name}: {} difference(s):\n    {}", bad.len(), bad.join("\n    ")))
    }
}

#[test]
fn apcsmart_publishes_what_debian_publishes_for_every_description() {
    let test = "apcsmart_publishes_what_debian_publishes_for_every_description";
    if !require_debian_nut(test) {
        return;
    }
    require_ours(Impl::Ours, &[DRIVER, "ups-sim"]);
    let t0 = Instant::now();
    let paths = descriptions(DRIVER);
    assert!(paths.len() >= 10, "expected the apcsmart descriptions, found {paths:?}");
    let outcomes = par_map(&paths, 4, |p| compare_one(p));
    let mut same = Vec::new();
    let mut failures = Vec::new();
    for (p, o) in paths.iter().zip(outcomes) {
        let name = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        match o {
            Ok(n) => same.push(format!("{name} ({n} variables)")),
            Err(m) => failures.push(m),
        }
    }
    eprintln!(
        "{test}: {} of {} descriptions compared equal with Debian 2.8.0's apcsmart in {:.1} s: {}",
        same.len(),
        paths.len(),
        t0.elapsed().as_secs_f64(),
        same.join(", ")
    );
    assert!(failures.is_empty(), "{} description(s) differ:\n\n{}", failures.len(), failures.join("\n\n"));
}

/// The on-battery and low-battery reply sets give the same dumps on both drivers too
/// (ups.status OB / OB LB, the transfer reason, the falling charge and runtime).
#[test]
fn on_battery_and_low_battery_dumps_match_debian() {
    let test = "on_battery_and_low_battery_dumps_match_debian";
    if !require_debian_nut(test) {
        return;
    }
    require_ours(Impl::Ours, &[DRIVER, "ups-sim"]);
    let theirs_bin = debian_bin(DRIVER).expect("Debian's apcsmart");
    for (state, status) in [("onbattery", "OB"), ("lowbatt", "OB LB")] {
        let mut sim_theirs = UpsSim::start(&desc_path(MAIN));
        let mut sim_ours = UpsSim::start(&desc_path(MAIN));
        sim_theirs.control(&format!("state {state}"));
        sim_ours.control(&format!("state {state}"));
        let (theirs, ours) = std::thread::scope(|s| {
            let t = s.spawn(|| run_dump(&theirs_bin, sim_theirs.port(), &[], DUMP_TIMEOUT));
            let o = run_dump(&bin(DRIVER), sim_ours.port(), &[], DUMP_TIMEOUT);
            (t.join().expect("Debian dump thread"), o)
        });
        assert!(theirs.ok() && ours.ok(), "{state}: Debian's {:?} / ours {:?}", theirs.stderr, ours.stderr);
        assert_eq!(theirs.get("ups.status"), Some(status), "{state}: Debian's status");
        let diffs = compare_vars(DRIVER, None, &theirs.vars, &ours.vars, sim_theirs.port(), sim_ours.port());
        assert!(diffs.is_empty(), "{state}: {}", diffs.join("\n"));
    }
}

/// upsc's view, once two reads in a row agree.
fn settled_upsc(st: &SerialStack) -> BTreeMap<String, String> {
    let upsc = Path::new("/usr/bin/upsc");
    let mut prev: Option<BTreeMap<String, String>> = None;
    let mut last = String::new();
    let mut got = None;
    let settled = wait_until(Duration::from_secs(30), || {
        let Ok(o) = st.run(upsc, &[&st.target()], Duration::from_secs(10)) else { return false };
        last = format!("{}{}", o.out(), o.err());
        let v = upsc_vars(&o.out());
        if v.contains_key("ups.status") && prev.as_ref() == Some(&v) {
            got = Some(v);
            return true;
        }
        prev = Some(v);
        false
    });
    assert!(settled, "upsc did not settle within 30 s (last output:\n{last})");
    got.unwrap_or_default()
}

/// The non-empty lines of a client's output, sorted.
fn lines(st: &SerialStack, prog: &str, args: &[&str]) -> Vec<String> {
    let o = st
        .run(Path::new(prog), args, Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("{prog} {args:?}: {e}"));
    let text = nut_tests::without_driver_2_8_5_additions(&o.out());
    let mut v: Vec<String> =
        text.lines().filter(|l| !l.trim().is_empty()).map(|l| l.replace(&st.target(), "<ups>")).collect();
    v.sort();
    v
}

#[test]
fn through_upsd_same_variables_commands_and_sets_as_debian() {
    let test = "through_upsd_same_variables_commands_and_sets_as_debian";
    if !require_debian_nut(test) {
        return;
    }
    require_ours(Impl::Ours, &[DRIVER, "upsd", "ups-sim"]);
    let t0 = Instant::now();
    let path = desc_path(MAIN);
    let sim_theirs = UpsSim::start(&path);
    let sim_ours = UpsSim::start(&path);
    let (theirs, ours) = std::thread::scope(|s| {
        let t = s.spawn(|| SerialStack::start(Impl::Debian, DRIVER, sim_theirs.port(), &[], &[]));
        let o = SerialStack::start(Impl::Ours, DRIVER, sim_ours.port(), &[], &[]);
        (t.join().expect("Debian stack thread"), o)
    });
    let theirs = theirs.unwrap_or_else(|e| panic!("Debian's apcsmart + upsd: {e}"));
    let ours = ours.unwrap_or_else(|e| panic!("our apcsmart + upsd: {e}"));
    let want = settled_upsc(&theirs);
    let got = settled_upsc(&ours);
    assert!(want.len() > 30, "Debian's upsc listed too little: {want:?}");
    let diffs = compare_vars(DRIVER, None, &want, &got, sim_theirs.port(), sim_ours.port());
    assert!(
        diffs.is_empty(),
        "{MAIN} through upsd: {} difference(s):\n  {}",
        diffs.len(),
        diffs.join("\n  ")
    );

    // The same instant commands (without those NUT 2.8.5's driver core adds to every UPS).
    let cmds = |st: &SerialStack| lines(st, "/usr/bin/upscmd", &["-l", &st.target()]);
    let (ct, co) = (cmds(&theirs), cmds(&ours));
    assert!(ct.iter().any(|l| l.starts_with("test.battery.start")), "Debian's list: {ct:?}");
    assert_eq!(co, ct, "upscmd -l");

    // The same writable variables, with their enumerations (upsrw lists them).
    let rw = |st: &SerialStack| lines(st, "/usr/bin/upsrw", &[&st.target()]);
    let (rt, ro) = (rw(&theirs), rw(&ours));
    assert!(rt.iter().any(|l| l.contains("input.transfer.high")), "Debian's upsrw: {rt:?}");
    assert_eq!(ro, rt, "upsrw listing");

    // The same SET: input.transfer.high steps from 132 to 135 with '-' (the description models
    // one step), on both.
    for st in [&theirs, &ours] {
        let o = st
            .run(
                Path::new("/usr/bin/upsrw"),
                &["-s", "input.transfer.high=135", "-u", "admin", "-p", "adminpw", "-w", &st.target()],
                Duration::from_secs(30),
            )
            .expect("upsrw -s");
        // upsrw -w waits for the driver's answer (TRACKING): SUCCESS.
        assert!(format!("{}{}", o.out(), o.err()).contains("SUCCESS"), "upsrw -s: {}{}", o.out(), o.err());
        let ok = wait_until(Duration::from_secs(20), || {
            settled_upsc(st).get("input.transfer.high").map(String::as_str) == Some("135")
        });
        assert!(ok, "input.transfer.high did not become 135; driver log:\n{}", tail(&st.driver_log(), 20));
    }
    assert!(sim_ours.events().iter().any(|l| l == "rx \"-\""), "ours never sent '-'");

    // The same instant command: test.battery.start sends W, answered OK, on both.
    for (st, sim) in [(&theirs, &sim_theirs), (&ours, &sim_ours)] {
        let o = st
            .run(
                Path::new("/usr/bin/upscmd"),
                &["-u", "admin", "-p", "adminpw", "-w", &st.target(), "test.battery.start"],
                Duration::from_secs(30),
            )
            .expect("upscmd");
        assert!(format!("{}{}", o.out(), o.err()).contains("SUCCESS"), "upscmd: {}{}", o.out(), o.err());
        assert!(sim.events().iter().any(|l| l == "rx \"W\""), "no W reached the UPS");
    }
    eprintln!(
        "{test}: {} variables, commands, RW list and a SET the same in {:.1} s",
        want.len(),
        t0.elapsed().as_secs_f64()
    );
}

// ---- 2. power failure -------------------------------------------------------------------

#[test]
fn mains_failure_then_low_battery_notifies_and_shuts_down() {
    require_ours(Impl::Ours, &[DRIVER, "upsd", "upsmon", "ups-sim"]);
    let t_start = Instant::now();
    let mut sim = UpsSim::start(&desc_path(MAIN));
    let st = SerialStack::start(Impl::Ours, DRIVER, sim.port(), &[], &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("our apcsmart + upsd on {MAIN}: {e}"));
    let mut c = st.connect().expect("client");
    assert_eq!(c.request("GET VAR q ups.status").expect("GET"), ["VAR q ups.status \"OL\""]);
    let mon = Upsmon::start(st.port());
    let logged_in = wait_until(Duration::from_secs(15), || {
        c.request("GET NUMLOGINS q").is_ok_and(|r| r == ["NUMLOGINS q 1"])
    });
    assert!(logged_in, "our upsmon did not log in to q within 15 s; its log:\n{}", tail(&mon.log(), 20));

    // The mains fail: the UPS sends its '!' alert and its status register says OB.
    sim.control("state onbattery");
    sim.control("send \"!\"");
    let t_ob = mon.await_note("ONBATT", Duration::from_secs(20), &st, Some(&sim));
    let st_ob = c.request("GET VAR q ups.status").expect("GET");
    assert_eq!(st_ob, ["VAR q ups.status \"OB\""]);
    let v = wait_until(Duration::from_secs(10), || {
        c.request("GET VAR q input.voltage").is_ok_and(|r| r == ["VAR q input.voltage \"000.0\""])
    });
    assert!(v, "input.voltage did not follow the on-battery reply set");
    assert!(mon.marker().is_none(), "SHUTDOWNCMD ran on battery alone");

    // The battery runs low ('%' alert, LB in the register): LOWBATT, then the shutdown.
    sim.control("state lowbatt");
    sim.control("send \"%\"");
    let t_lb = mon.await_note("LOWBATT", Duration::from_secs(20), &st, Some(&sim));
    let t0 = Instant::now();
    let shut = wait_until(Duration::from_secs(20), || mon.marker().is_some());
    assert!(shut, "SHUTDOWNCMD did not run within 20 s of LOWBATT; upsmon log:\n{}", tail(&mon.log(), 30));
    let t_shut = t0.elapsed();
    let status = c.request("GET VAR q ups.status").expect("GET");
    assert_eq!(status, ["VAR q ups.status \"FSD OB LB\""], "ups.status after the primary's shutdown");
    assert!(mon.dir().join("killpower").exists(), "upsmon did not write its POWERDOWNFLAG");
    let notes = mon.notes();
    let pos = |w: &str| notes.iter().position(|n| n.split(' ').next() == Some(w));
    assert!(pos("ONBATT") < pos("LOWBATT"), "notifications out of order: {notes:?}");
    assert!(!notes.iter().any(|n| n.starts_with("COMMBAD") || n.starts_with("NOCOMM")), "{notes:?}");
    println!(
        "apcsmart_power_failure: ONBATT {:.2} s after the mains failed, LOWBATT {:.2} s after the battery ran \
         low, SHUTDOWNCMD {:.2} s after LOWBATT; whole test {:.1} s",
        t_ob.as_secs_f64(),
        t_lb.as_secs_f64(),
        t_shut.as_secs_f64(),
        t_start.elapsed().as_secs_f64()
    );
}

// ---- 3. faults --------------------------------------------------------------------------

/// `pollinterval` in the test's ups.conf.
const POLL: Duration = Duration::from_secs(1);
/// NUT's apcsmart waits 3 s for an answer (SER_D3), and a poll reads up to ~15 variables: a
/// failed poll ends within one read timeout after the fault reaches it.
const READ_TIMEOUT: Duration = Duration::from_secs(3);
/// Slack for a loaded machine.
const SLACK: Duration = Duration::from_secs(5);
/// From the fault to `ERR DATA-STALE`: the poll running when it starts may finish on good
/// answers, the next one fails (one poll interval and one read timeout), plus slack.
const STALE_BOUND: Duration =
    Duration::from_secs(2 * POLL.as_secs() + READ_TIMEOUT.as_secs() + SLACK.as_secs());
/// From the device answering again to fresh data: a nudge ('Y', at most 1.5 s + ESC 1.5 s
/// when it fails once more), then a whole poll, plus slack.
const RECOVER_BOUND: Duration =
    Duration::from_secs(POLL.as_secs() + 2 * READ_TIMEOUT.as_secs() + SLACK.as_secs() + 6);

fn status_of(state: &str) -> &'static str {
    if state == "onbattery" {
        "OB"
    } else {
        "OL"
    }
}

/// The simulator, our driver and upsd, and a client that stays connected (nut_tests::faults).
fn rig() -> FaultRig {
    require_ours(Impl::Ours, &[DRIVER, "upsd", "ups-sim"]);
    let sim = UpsSim::start(&desc_path(MAIN));
    let st = SerialStack::start(Impl::Ours, DRIVER, sim.port(), &[], &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("our apcsmart + upsd on {MAIN}: {e}"));
    FaultRig::new(
        "apcsmart_faults",
        sim,
        st,
        (STALE_BOUND, RECOVER_BOUND),
        |r, state| exactly(r, status_of(state)),
        WhileStale::Attempts(&["rx "]),
    )
}

#[test]
fn garbage_replies_make_the_data_stale_and_it_recovers() {
    let mut rig = rig();
    // Bytes before every reply: no answer is a value any more ("\x15@junk08" is no status).
    rig.stale_then_recover("garbage", &["garbage \"\\x15@#\\xfe junk \" *"], 2, &["clear"]);
    // A garbage line of its own (LF-terminated): the driver takes it for the answer.
    rig.stale_then_recover("garbage line", &["garbage \"NAK?\\r\\n\" *"], 2, &["clear"]);
}

#[test]
fn partial_replies_make_the_data_stale_and_it_recovers() {
    let mut rig = rig();
    // Replies cut after 2 bytes: the LF never comes, each read ends in a partial timeout.
    rig.stale_then_recover("partial replies", &["cut 2 *"], 2, &["clear"]);
}

#[test]
fn silence_makes_the_data_stale_and_it_recovers() {
    let mut rig = rig();
    rig.stale_then_recover("silence", &["silent"], 2, &["clear"]);
}

#[test]
fn a_single_unanswered_command_makes_the_data_stale_and_it_recovers_by_itself() {
    let mut rig = rig();
    // NUT's apcsmart has no retry count: one unanswered read fails the poll, and the data is
    // stale. The next commands are answered: the driver recovers without help, at the next
    // poll (no state change here: the fault is over before the test could make one).
    rig.sim.mark();
    rig.sim.control("timeout 1");
    let stale = rig.await_stale("1 timeout");
    let fresh = rig.await_fresh("1 timeout");
    println!(
        "apcsmart_faults: 1 timeout: DATA-STALE {:.2} s after it, fresh again {:.2} s later",
        stale.as_secs_f64(),
        fresh.as_secs_f64()
    );
}

#[test]
fn slow_replies_in_pieces_are_not_a_fault() {
    let mut rig = rig();
    rig.sim.mark();
    rig.sim.control("chunks 2 30ms *");
    rig.switch_state();
    let mut replies = 0;
    while replies < 6 {
        let got = rig.sim.wait_event(STALE_BOUND, |l| l.starts_with("tx ") && l.ends_with("\\n\""));
        assert!(got.is_some(), "no complete chunked reply{}", rig.context());
        replies += 1;
        assert_ne!(rig.status(), ["ERR DATA-STALE"], "chunked replies made the data stale{}", rig.context());
    }
    let ok = wait_until(STALE_BOUND, || rig.status() == ["VAR q ups.status \"OB\""]);
    assert!(ok, "chunked replies are read{}", rig.context());
    assert_eq!(rig.st.driver_pid(), Some(rig.pid()));
}

#[test]
fn unplug_makes_the_data_stale_and_replug_recovers() {
    let mut rig = rig();
    rig.sim.mark();
    rig.sim.control("unplug");
    let stale = rig.await_stale("unplug");
    rig.switch_state();
    assert_eq!(rig.status(), ["ERR DATA-STALE"], "unplugged{}", rig.context());
    rig.sim.control("replug");
    let fresh = rig.await_fresh("replug");
    rig.sim.control("unplug");
    let stale2 = rig.await_stale("second unplug");
    rig.switch_state();
    rig.sim.control("replug");
    let fresh2 = rig.await_fresh("second replug");
    println!(
        "apcsmart_faults: unplug: DATA-STALE {:.2} s / {:.2} s after the unplug, fresh {:.2} s / {:.2} s after the \
         replug",
        stale.as_secs_f64(),
        stale2.as_secs_f64(),
        fresh.as_secs_f64(),
        fresh2.as_secs_f64()
    );
}

// ---- 4. configuration and serial errors ---------------------------------------------------

/// Run a driver once (`-a q -u root -d 1`) with a ups.conf section of `options` on `port`.
fn run_once(driver: &Path, port: &Path, options: &[(&str, &str)], timeout: Duration) -> Dump {
    let opts: Vec<(String, Option<String>)> =
        options.iter().map(|(k, v)| (k.to_string(), Some(v.to_string()))).collect();
    run_dump(driver, port, &opts, timeout)
}

/// apcsmart(8): "Anything else will cause apcsmart to exit" for sdtype, and NUT's format checks
/// of awd, advorder and cshdelay: both drivers refuse a bad value before touching the port,
/// with NUT's message.
#[test]
fn bad_shutdown_options_are_refused_as_nut_refuses_them() {
    let test = "bad_shutdown_options_are_refused_as_nut_refuses_them";
    if !require_debian_nut(test) {
        return;
    }
    require_ours(Impl::Ours, &[DRIVER, "ups-sim"]);
    let sim = UpsSim::start(&desc_path(MAIN));
    let deb = debian_bin(DRIVER).expect("Debian's apcsmart");
    for (key, bad) in [("sdtype", "6"), ("awd", "1234"), ("advorder", "015"), ("cshdelay", "10")] {
        let want = format!("invalid value ({bad}) for option '{key}'");
        for (who, prog) in [("Debian's", deb.clone()), ("our", bin(DRIVER))] {
            let d = run_once(&prog, sim.port(), &[(key, bad)], Duration::from_secs(30));
            assert!(!d.ok() && d.status.is_some_and(|s| !s.success()), "{who} apcsmart took {key}={bad}");
            assert!(
                d.stderr.contains(&want),
                "{who} apcsmart on {key}={bad}: want {want:?} in\n{}",
                d.stderr
            );
        }
    }
    assert!(
        !sim.events().iter().any(|l| l.starts_with("rx ")),
        "a refused option must stop the driver before it talks to the UPS"
    );
    // Good values are taken.
    let d = run_once(
        &bin(DRIVER),
        sim.port(),
        &[("sdtype", "5"), ("awd", "12"), ("advorder", "no"), ("cshdelay", ".5")],
        DUMP_TIMEOUT,
    );
    assert!(d.ok(), "good shutdown options refused: {}", d.stderr);
}

/// A UPS that never answers: the driver gives up after its smart-mode tries with NUT's
/// message, and says what to check (the one speed of the protocol, the cable).
#[test]
fn a_silent_port_is_reported_with_what_to_check() {
    require_ours(Impl::Ours, &[DRIVER, "ups-sim"]);
    let mut sim = UpsSim::start(&desc_path(MAIN));
    sim.control("silent");
    let d = run_once(&bin(DRIVER), sim.port(), &[], DUMP_TIMEOUT);
    assert!(!d.ok() && d.status.is_some_and(|s| !s.success()), "the driver read a silent UPS: {}", d.stdout);
    for want in ["unable to detect an APC Smart protocol UPS on port", "2400 baud", "940-0024C"] {
        assert!(d.stderr.contains(want), "want {want:?} in:\n{}", d.stderr);
    }
    let ys = sim.events().iter().filter(|l| *l == "rx \"Y\"").count();
    assert_eq!(ys, 5, "NUT tries smart mode 5 times at start-up");
}

/// `cable=940-0095B` needs DTR up and RTS down; a port without modem-control lines (a pty, as
/// here) cannot do that: NUT stops (`ser_set_dtr ... failed`), and so do we, saying why.
#[test]
fn the_940_0095b_cable_needs_modem_control_lines() {
    let test = "the_940_0095b_cable_needs_modem_control_lines";
    if !require_debian_nut(test) {
        return;
    }
    require_ours(Impl::Ours, &[DRIVER, "ups-sim"]);
    let sim = UpsSim::start(&desc_path(MAIN));
    let deb = debian_bin(DRIVER).expect("Debian's apcsmart");
    let theirs = run_once(&deb, sim.port(), &[("cable", "940-0095B")], DUMP_TIMEOUT);
    let ours = run_once(&bin(DRIVER), sim.port(), &[("cable", "940-0095B")], DUMP_TIMEOUT);
    assert!(!theirs.ok() && theirs.stderr.contains("ser_set_dtr"), "Debian's: {}", theirs.stderr);
    assert!(!ours.ok(), "ours started with cable=940-0095B on a pty");
    for want in ["DTR", "940-0095B", "modem-control lines"] {
        assert!(ours.stderr.contains(want), "want {want:?} in:\n{}", ours.stderr);
    }
    // Any other cable value is the default cable (NUT compares with 940-0095B only).
    let d = run_once(&bin(DRIVER), sim.port(), &[("cable", "940-0024C")], DUMP_TIMEOUT);
    assert!(d.ok(), "cable=940-0024C: {}", d.stderr);
}

// ---- 5. the NUT DDL dumps of real units -------------------------------------------------

/// One DDL dump: file name, NUT version, variables.
type DdlDump = (String, (u32, u32, u32), BTreeMap<String, String>);

/// The `name: value` lines of the DDL's apcsmart dumps, with the NUT version of each.
fn ddl_apcsmart_dumps() -> Vec<DdlDump> {
    let Some(dir) = nut_tests::ddl_dir() else { return Vec::new() };
    let mut out = Vec::new();
    for p in nut_tests::dev_files(&dir) {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let parts: Vec<&str> = name.split("__").collect();
        if parts.len() < 4 || parts[2] != "apcsmart" {
            continue;
        }
        let v: Vec<u32> = parts[3].split('.').map(|x| x.parse().unwrap_or(0)).collect();
        let ver =
            (v.first().copied().unwrap_or(0), v.get(1).copied().unwrap_or(0), v.get(2).copied().unwrap_or(0));
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let vars = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(": ").map(|(k, v)| (k.to_string(), v.trim_end().to_string())))
            .collect();
        out.push((name, ver, vars));
    }
    out
}

/// What real units published through NUT's apcsmart (the DDL's dumps): every variable of a
/// dump made by the current driver (NUT 2.6.2 on) is one our table publishes, and the values
/// of every dump have the shapes our conversions give (runtimes in whole minutes as seconds,
/// the test interval in whole hours, the transfer reason as one of NUT's sentences, the
/// status as tokens of the status register).
#[test]
fn the_ddl_dumps_of_real_units_fit_our_tables() {
    let dumps = ddl_apcsmart_dumps();
    if dumps.is_empty() {
        nut_testkit::skip(
            "the_ddl_dumps_of_real_units_fit_our_tables",
            "no nut-ddl directory (shared/testdata/nut-ddl or $NUT_DDL_DIR)",
            nut_testkit::Prereq::NutDdl,
        );
        return;
    }
    let ours: Vec<String> = apcsmart::tables::VARS
        .iter()
        .flat_map(|d| {
            if d.pack {
                (0..apcsmart::tables::PACK_MAX)
                    .map(|i| apcsmart::protocol::packed_name(d, i))
                    .collect::<Vec<_>>()
            } else {
                vec![d.name.to_string()]
            }
        })
        .chain(apcsmart::tables::DUAL_VARS.iter().map(|d| d.0.to_string()))
        .chain([apcsmart::tables::F_WITH_DUAL_INPUT.to_string(), "ups.mfr".into(), "ups.status".into()])
        .collect();
    let reasons =
        ["R", "H", "L", "T", "O", "S"].map(|r| apcsmart::protocol::convert(apcsmart::tables::Fmt::Reason, r));
    let mut checked = 0;
    let mut bad = Vec::new();
    for (name, ver, vars) in &dumps {
        for (k, v) in vars {
            if k.starts_with("driver.") || k.starts_with("device.") {
                continue;
            }
            if *ver >= (2, 6, 2) && !ours.contains(k) {
                bad.push(format!("{name}: {k} is not in our table"));
            }
            let ok = match k.as_str() {
                "battery.runtime" | "battery.runtime.low" => v.parse::<i64>().is_ok_and(|s| s % 60 == 0),
                "ups.test.interval" => v.parse::<i64>().is_ok_and(|s| s % 3600 == 0),
                "input.transfer.reason" if *ver >= (2, 6, 2) => reasons.contains(v),
                "ups.status" => v
                    .split(' ')
                    .all(|t| apcsmart::tables::STATUS_BITS.iter().any(|(_, s)| *s == t) || t == "OFF"),
                _ => true,
            };
            if !ok {
                bad.push(format!("{name}: {k} = {v:?} is not what our conversion gives"));
            }
            checked += 1;
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    eprintln!("the_ddl_dumps_of_real_units_fit_our_tables: {} dumps, {checked} values", dumps.len());
}
