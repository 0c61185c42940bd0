//! Issue 12: nhs_ser (NHS Sistemas Eletronicos nobreaks) end to end on the simulator.
//!
//! NO DEBIAN COMPARISON IS POSSIBLE: nhs_ser is new in NUT 2.8.x and Debian's NUT 2.8.0 has no
//! such driver (/lib/nut/nhs_ser does not exist). What ours publishes is checked instead against
//! the values the NUT 2.8.5 man page (docs/man/nhs_ser.txt: the options and their defaults) and
//! the documented packet layout (NUT 2.8.5 drivers/nhs_ser.c as the fact source: byte positions,
//! the two-part values, the checksum, the status bits, the model table) give, worked by hand in
//! each description's `expect` lines (tests/devices/nhs_ser/*.sim).
//!
//! 1. `publishes_what_the_packet_layout_documents`: every description, our one-shot dump, every
//!    `expect` line (and, for the fully described premium-1500-120v, nothing else), then the
//!    on-battery and low-battery reply sets;
//! 2. `through_upsd`: the same values through our upsd with upsc, no instant commands of its
//!    own (NUT 2.8.5's nhs_ser registers none) and no writable variable;
//! 3. `mains_failure_then_low_battery_notifies_and_shuts_down`: ONBATT, LOWBATT, SHUTDOWNCMD;
//! 4. faults under polling (silence, damaged end markers, checksum errors, cut packets,
//!    unplug/replug; noise between packets is not a fault): stale within a poll plus the read
//!    window, never stale values served as fresh, recovery without restart.
//!
//! Streamed packets come every second (`every 1s`); the driver polls every second
//! (`pollinterval = 1`) and waits up to 3 s per poll for a good data packet (READ_WINDOW in
//! drivers/nhs_ser/src/driver.rs). Figures are printed with an `nhs_ser:` prefix.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use nut_testkit::sim::{descriptions, devices_dir, run_dump, Dump, UpsSim};
use nut_testkit::stack::tail;
use nut_testkit::{bin, debian_bin, wait_until, Conn, Impl};
use nut_tests::faults::{FaultRig, WhileStale};
use nut_tests::qx::load_desc;
use nut_tests::require_ours;
use nut_tests::serial::{upsc_vars, SerialStack};
use nut_tests::upsmon::Upsmon;

const DUMP_TIMEOUT: Duration = Duration::from_secs(30);
/// `pollinterval` in the stacks' ups.conf.
const POLL: Duration = Duration::from_secs(1);
/// How long one poll waits for a data packet (the driver's READ_WINDOW).
const READ_WINDOW: Duration = Duration::from_secs(3);
/// Slack for a loaded machine.
const SLACK: Duration = Duration::from_secs(4);
/// From the fault to `ERR DATA-STALE`, at most: the poll under way, the next poll's window.
const STALE_BOUND: Duration =
    Duration::from_secs(2 * (POLL.as_secs() + READ_WINDOW.as_secs()) + SLACK.as_secs());
/// From the device streaming again to fresh data: the next poll, plus the reopen backoff after
/// an unplug (1, 2, 4 s ...).
const RECOVER_BOUND: Duration =
    Duration::from_secs(POLL.as_secs() + READ_WINDOW.as_secs() + 8 + SLACK.as_secs());

fn note_no_debian() {
    let msg = "nhs_ser: NOT compared with Debian: nhs_ser is new in NUT 2.8.x, Debian's NUT 2.8.0 has no \
               /lib/nut/nhs_ser; checked against the NUT 2.8.5 man page and the documented packet layout \
               (the descriptions' expect lines)";
    eprintln!("{msg}");
    println!("{msg}");
}

fn desc_path(name: &str) -> PathBuf {
    devices_dir("nhs_ser").join(format!("{name}.sim"))
}

fn options(desc: &ups_sim::Desc) -> Vec<(String, Option<String>)> {
    desc.driver("nhs_ser").map(|d| d.options.clone()).unwrap_or_default()
}

fn dump(sim: &UpsSim, desc: &ups_sim::Desc) -> Dump {
    let d = run_dump(&bin("nhs_ser"), sim.port(), &options(desc), DUMP_TIMEOUT);
    assert!(
        d.ok(),
        "{}: our nhs_ser gave no data: status {:?}\nstderr:\n{}\nsimulator events:\n{}",
        desc.name,
        d.status,
        tail(&d.stderr, 15),
        tail(&sim.events().join("\n"), 10)
    );
    d
}

/// The variables a driver publishes about the UPS (not `driver.*`).
fn ups_vars(vars: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    vars.iter().filter(|(k, _)| !k.starts_with("driver.")).map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn check_expects(desc: &ups_sim::Desc, got: &BTreeMap<String, String>) -> Vec<String> {
    desc.expects
        .iter()
        .filter(|(k, v)| got.get(k) != Some(v))
        .map(|(k, v)| format!("{k}: the layout gives {v:?}, ours {:?}", got.get(k)))
        .collect()
}

/// Switch the simulator to `state` and wait until it has streamed a packet of that state.
fn switch(sim: &mut UpsSim, state: &str) {
    sim.control(&format!("state {state}"));
    let got = sim.wait_event(Duration::from_secs(10), |l| l.starts_with("tx "));
    assert!(got.is_some(), "the simulator streamed nothing in state {state}");
}

#[test]
fn publishes_what_the_packet_layout_documents() {
    require_ours(Impl::Ours, &["nhs_ser", "ups-sim"]);
    note_no_debian();
    let descs = descriptions("nhs_ser");
    assert!(descs.len() >= 2, "descriptions missing: {descs:?}");
    for p in descs {
        let desc = load_desc(&p);
        assert!(desc.expects.len() > 20, "{}: too few expect lines", desc.name);
        let mut sim = UpsSim::start(&p);
        let d = dump(&sim, &desc);
        let vars = ups_vars(&d.vars);
        let bad = check_expects(&desc, &vars);
        assert!(bad.is_empty(), "{}: {}", desc.name, bad.join("\n"));
        if desc.name == "premium-1500-120v" {
            // Described completely: nothing published beyond what the layout gives.
            let extra: Vec<_> = vars.keys().filter(|k| !desc.expects.iter().any(|(e, _)| e == *k)).collect();
            assert!(extra.is_empty(), "{}: published beyond the description: {extra:?}", desc.name);
        }
        assert_eq!(d.get("driver.name"), Some("nhs_ser"));
        assert_eq!(d.get("driver.version.internal"), Some("0.04"));
        // The hardware information was asked for with NUT's long request.
        assert!(
            sim.events().iter().any(|l| l == "rx \"\\xFF\\tS\\x83\\x00\\x00\\x00\\xDF\\xFE\""),
            "{}: no hardware information request: {:?}",
            desc.name,
            sim.events()
        );

        switch(&mut sim, "onbattery");
        let ob = dump(&sim, &desc);
        let st = ob.get("ups.status").unwrap_or_default().to_string();
        assert!(st.split(' ').any(|t| t == "OB") && !st.contains("LB"), "{}: on battery: {st:?}", desc.name);
        assert_eq!(ob.get("battery.charger.status"), Some("DISCHARGING"), "{}", desc.name);
        assert_eq!(ob.get("input.voltage"), Some("0.00"), "{}", desc.name);
        assert!(ob.get("ups.alarm").is_some_and(|a| a.contains("[NETWORK FAILURE]")), "{}", desc.name);

        switch(&mut sim, "lowbatt");
        let lb = dump(&sim, &desc);
        let st = lb.get("ups.status").unwrap_or_default().to_string();
        let toks: Vec<&str> = st.split(' ').collect();
        assert!(toks.contains(&"OB") && toks.contains(&"LB"), "{}: low battery: {st:?}", desc.name);
        assert!(lb.get("ups.alarm").is_some_and(|a| a.contains("[LOW BATTERY]")), "{}", desc.name);
        println!("nhs_ser: {}: {} variables as the layout gives; OB, OB LB", desc.name, vars.len());
    }
}

#[test]
fn through_upsd() {
    require_ours(Impl::Ours, &["nhs_ser", "upsd", "upsc", "upscmd", "upsrw", "ups-sim"]);
    note_no_debian();
    let p = desc_path("premium-1500-120v");
    let desc = load_desc(&p);
    let sim = UpsSim::start(&p);
    let st = SerialStack::start(Impl::Ours, "nhs_ser", sim.port(), &options(&desc), &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("our nhs_ser + upsd: {e}"));
    // Debian's upsc where installed (the wire is NUT's), else ours.
    let upsc = debian_bin("upsc").filter(|p| p.starts_with("/usr")).unwrap_or_else(|| bin("upsc"));
    let mut last = BTreeMap::new();
    let complete = wait_until(Duration::from_secs(20), || {
        let Ok(o) = st.run(&upsc, &[&st.target()], Duration::from_secs(10)) else { return false };
        last = ups_vars(&upsc_vars(&o.out()));
        check_expects(&desc, &last).is_empty()
    });
    assert!(complete, "upsc through upsd: {}", check_expects(&desc, &last).join("\n"));

    // No instant commands of its own, nothing writable.
    let out = st.run(&bin("upscmd"), &["-l", &st.target()], Duration::from_secs(10)).expect("upscmd -l");
    let cmds: Vec<String> = out
        .out()
        .lines()
        .skip_while(|l| !l.is_empty())
        .skip(1)
        .filter_map(|l| l.split(" - ").next().map(str::to_string))
        .collect();
    assert!(
        cmds.iter().all(|c| c.starts_with("driver.") || c == "shutdown.default"),
        "nhs_ser lists instant commands NUT 2.8.5's does not have: {cmds:?}\n{}",
        out.out()
    );
    let mut c = st.connect().expect("client");
    // Only the framework's own writable variables (driver.debug, driver.flag.allow_killpower).
    let rw = c.request("LIST RW q").expect("LIST RW");
    assert!(
        rw.iter().filter(|l| l.starts_with("RW ")).all(|l| l.starts_with("RW q driver.")),
        "nhs_ser has writable variables NUT 2.8.5's does not have: {rw:?}"
    );
    println!("nhs_ser: through upsd with {}: {} variables, commands {cmds:?}", upsc.display(), last.len());
}

fn status_tokens(c: &mut Conn) -> Vec<String> {
    let r = c.request("GET VAR q ups.status").expect("GET");
    r.first()
        .and_then(|l| l.strip_prefix("VAR q ups.status \""))
        .map(|s| s.trim_end_matches('"').split(' ').map(str::to_string).collect())
        .unwrap_or_default()
}

#[test]
fn mains_failure_then_low_battery_notifies_and_shuts_down() {
    require_ours(Impl::Ours, &["nhs_ser", "upsd", "upsmon", "ups-sim"]);
    note_no_debian();
    let t_start = Instant::now();
    let p = desc_path("premium-1500-120v");
    let desc = load_desc(&p);
    let mut sim = UpsSim::start(&p);
    let st = SerialStack::start(Impl::Ours, "nhs_ser", sim.port(), &options(&desc), &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("our nhs_ser + upsd: {e}"));
    let mut c = st.connect().expect("client");
    assert_eq!(status_tokens(&mut c), ["OL"]);

    let mon = Upsmon::start(st.port());
    let logged_in = wait_until(Duration::from_secs(15), || {
        c.request("GET NUMLOGINS q").is_ok_and(|r| r == ["NUMLOGINS q 1"])
    });
    assert!(logged_in, "our upsmon did not log in to q within 15 s; its log:\n{}", tail(&mon.log(), 20));

    // The mains fail: status bits 0x05 (on battery, mains failure).
    sim.control("state onbattery");
    let t_ob = mon.await_note("ONBATT", Duration::from_secs(20), &st, Some(&sim));
    let toks = status_tokens(&mut c);
    assert!(toks.contains(&"OB".to_string()) && !toks.contains(&"LB".to_string()), "{toks:?}");
    assert!(mon.marker().is_none(), "SHUTDOWNCMD ran on battery alone (MINSUPPLIES 1 is still met)");

    // The battery runs low: status bits 0x07.
    sim.control("state lowbatt");
    let t_lb = mon.await_note("LOWBATT", Duration::from_secs(20), &st, Some(&sim));
    let t0 = Instant::now();
    let shut = wait_until(Duration::from_secs(20), || mon.marker().is_some());
    assert!(
        shut,
        "SHUTDOWNCMD did not run within 20 s of LOWBATT: notifications {:?}\nupsmon log:\n{}",
        mon.notes(),
        tail(&mon.log(), 30)
    );
    let t_shut = t0.elapsed();
    let toks = status_tokens(&mut c);
    for t in ["FSD", "OB", "LB"] {
        assert!(toks.contains(&t.to_string()), "ups.status after the primary's shutdown: {toks:?}");
    }
    assert!(mon.dir().join("killpower").exists(), "upsmon did not write its POWERDOWNFLAG");
    let notes = mon.notes();
    let pos = |w: &str| notes.iter().position(|n| n.split(' ').next() == Some(w));
    assert!(pos("ONBATT") < pos("LOWBATT"), "notifications out of order: {notes:?}");
    assert!(!notes.iter().any(|n| n.starts_with("COMMBAD") || n.starts_with("NOCOMM")), "{notes:?}");
    println!(
        "nhs_ser: power failure: ONBATT {:.2} s after the mains failed, LOWBATT {:.2} s after the battery ran \
         low, SHUTDOWNCMD {:.2} s after LOWBATT; whole test {:.1} s",
        t_ob.as_secs_f64(),
        t_lb.as_secs_f64(),
        t_shut.as_secs_f64(),
        t_start.elapsed().as_secs_f64()
    );
}

/// What upsd serves for each reply set of premium-1500-120v.
fn status_of(state: &str) -> &'static str {
    match state {
        "onbattery" => "VAR q ups.status \"ALARM OB\"",
        _ => "VAR q ups.status \"OL\"",
    }
}

/// The simulator, our driver and upsd, and a client that stays connected (nut_tests::faults).
fn rig() -> FaultRig {
    require_ours(Impl::Ours, &["nhs_ser", "upsd", "ups-sim"]);
    let p = desc_path("premium-1500-120v");
    let desc = load_desc(&p);
    let sim = UpsSim::start(&p);
    let st = SerialStack::start(Impl::Ours, "nhs_ser", sim.port(), &options(&desc), &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("our nhs_ser + upsd: {e}"));
    FaultRig::new(
        "nhs_ser",
        sim,
        st,
        (STALE_BOUND, RECOVER_BOUND),
        |r, state| r.len() == 1 && r[0] == status_of(state),
        WhileStale::For(2 * (POLL + READ_WINDOW)),
    )
}

#[test]
fn silence_makes_the_data_stale_and_it_recovers() {
    let mut rig = rig();
    rig.stale_then_recover("silence", &["silent"], 0, &["clear"]);
}

#[test]
fn damaged_packets_make_the_data_stale_and_it_recovers() {
    let mut rig = rig();
    // The last byte of every packet flipped: no end marker, no packet.
    rig.stale_then_recover("damaged end markers", &["corrupt *"], 0, &["clear"]);
    // Packets cut after 12 bytes: the next header restarts the packet, none completes.
    rig.stale_then_recover("cut packets", &["cut 12 *"], 0, &["clear"]);
}

#[test]
fn checksum_errors_make_the_data_stale_and_it_recovers() {
    let mut rig = rig();
    rig.sim.mark();
    // badsum streams the online packet with its checksum byte off by one.
    rig.sim.control("state badsum");
    let stale = rig.await_stale("checksum errors");
    let t0 = Instant::now();
    while t0.elapsed() < 2 * (POLL + READ_WINDOW) {
        assert_eq!(rig.status(), ["ERR DATA-STALE"], "checksum errors{}", rig.context());
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(rig.st.driver_log().contains("bad data packet checksum"), "not logged{}", rig.context());
    rig.state = "onbattery";
    rig.sim.control("state onbattery");
    let fresh = rig.await_fresh("checksum errors");
    println!(
        "nhs_ser: checksum errors: DATA-STALE {:.2} s after they began, fresh {:.2} s after they ended",
        stale.as_secs_f64(),
        fresh.as_secs_f64()
    );
}

#[test]
fn noise_between_packets_is_not_a_fault() {
    let mut rig = rig();
    rig.sim.mark();
    // Bytes before every packet that are neither a header nor an end marker: the framer skips them.
    rig.sim.control("garbage \"\\x00\\x15 noise \\x13\" *");
    rig.switch_state();
    let t0 = Instant::now();
    let new = status_of(rig.state);
    let got = wait_until(RECOVER_BOUND, || rig.c.request("GET VAR q ups.status").is_ok_and(|r| r == [new]));
    assert!(got, "the new state was not read through the noise{}", rig.context());
    while t0.elapsed() < 2 * (POLL + READ_WINDOW) {
        assert_eq!(rig.status(), [new], "noise made the data stale{}", rig.context());
        std::thread::sleep(Duration::from_millis(100));
    }
    rig.sim.control("clear");
    println!("nhs_ser: noise between packets: never stale ({:.1} s)", t0.elapsed().as_secs_f64());
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
        "nhs_ser: unplug: DATA-STALE {:.2} s / {:.2} s after the unplug, fresh {:.2} s / {:.2} s after the replug",
        stale.as_secs_f64(),
        stale2.as_secs_f64(),
        fresh.as_secs_f64(),
        fresh2.as_secs_f64()
    );
}

#[test]
fn a_silent_port_names_the_speed_and_what_to_try() {
    require_ours(Impl::Ours, &["nhs_ser", "ups-sim"]);
    note_no_debian();
    let p = desc_path("premium-1500-120v");
    let desc = load_desc(&p);
    let mut sim = UpsSim::start(&p);
    sim.control("silent");
    let d = run_dump(&bin("nhs_ser"), sim.port(), &options(&desc), DUMP_TIMEOUT);
    // As NUT, the driver does not stop (the UPS may start streaming later), but it says so.
    assert!(d.get("ups.status").is_none(), "data from a silent port: {:?}", d.vars);
    for want in ["at 2400 baud", "baud = N", "data marked stale"] {
        assert!(d.stderr.contains(want), "no {want:?} in:\n{}", d.stderr);
    }
    // ah is required (NUT's message).
    let d = run_dump(&bin("nhs_ser"), sim.port(), &[], DUMP_TIMEOUT);
    assert!(d.status.is_some_and(|s| !s.success()), "started without ah");
    assert!(d.stderr.contains("Please set AH (Ampere Hour)"), "{}", d.stderr);
}
