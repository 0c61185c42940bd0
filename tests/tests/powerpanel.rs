//! Issue 12, acceptance 1-3 for powerpanel (CyberPower serial UPSes, text and binary
//! protocols): our driver against Debian's NUT 2.8.0 `/lib/nut/powerpanel` on the simulator
//! descriptions of `tests/devices/powerpanel/` (one text, two binary: PR and OP series), a
//! power failure through upsd to upsmon on each protocol, and device faults under continuous
//! polling.
//!
//! 1. For every description and each of its reply sets (`online`, `onbattery`, `lowbattery`),
//!    Debian's driver and ours dump (`-a q -u root -d 1`) on two simulators playing it; the
//!    variables and values must be the same apart from [`documented`] differences. Through
//!    upsd, Debian's `upscmd -l` and `upsrw -l` print the same for both drivers, and both
//!    accept the same instant command and SET (waited for with `-w`).
//! 2. A power failure played by the simulator reaches our upsmon: ONBATT, LOWBATT, SHUTDOWNCMD.
//! 3. Garbage, corrupted and cut answers, unanswered commands, silence and unplugging: NUT's
//!    powerpanel serves the last values for 3 failed polls and marks the data stale at the
//!    4th (powerpanel.c `upsdrv_updateinfo`), so stale within 4 polls (each costing the poll
//!    interval plus the answer wait); never stale values as fresh; 3 failed polls are
//!    absorbed; recovery without a restart.
//!
//! `cargo build -p powerpanel -p ups-sim -p upsd -p upsmon` first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::sim::{descriptions, devices_dir, run_dump, Dump, UpsSim};
use nut_testkit::stack::tail;
use nut_testkit::{bin, debian_bin, require_debian_nut, wait_until, Impl, Proc, TempDir};
use nut_tests::faults::{FaultRig, WhileStale};
use nut_tests::qx::load_desc;
use nut_tests::serial::SerialStack;
use nut_tests::upsmon::Upsmon;
use nut_tests::{require_ours, without_driver_2_8_5_additions};

const DRIVER: &str = "powerpanel";
const DUMP_TIMEOUT: Duration = Duration::from_secs(60);
const STATES: &[&str] = &["online", "onbattery", "lowbattery"];

/// Why a variable may differ between Debian's 2.8.0 and ours (NUT 2.8.5).
fn documented(var: &str, theirs: Option<&str>, ours: Option<&str>) -> Option<&'static str> {
    if var.starts_with("driver.version") {
        return Some("names the program version");
    }
    if nut_tests::DRIVER_2_8_5_VARS.contains(&var) {
        return Some("added by NUT 2.8.1+'s driver framework (main.c), not in 2.8.0");
    }
    // NUT commit fd3d9ba61 (issue #2807, in 2.8.5): powerp-txt.c publishes these with "%f"
    // instead of 2.8.0's "%g" ("12.000000" for "12"). Same number, checked.
    if matches!(var, "battery.voltage.nominal" | "battery.capacity") {
        let num = |s: Option<&str>| s.and_then(|s| s.parse::<f64>().ok());
        if num(theirs).is_some() && num(theirs) == num(ours) && ours.is_some_and(|o| o.ends_with("000000")) {
            return Some("NUT 2.8.5 prints %f where 2.8.0 printed %g (commit fd3d9ba61, #2807)");
        }
    }
    None
}

/// Descriptions Debian's 2.8.0 cannot read, and why: ours is checked against the values their
/// sources give (`expect` lines) and the status of each state, and the skip is said on stderr.
const NEWER_THAN_DEBIAN: &[(&str, &str)] = &[(
    "cst135xlu-text",
    "its status answer needs NUT 2.8.2's field-by-field parser (commit cfa95d1ef, NEWS 2.8.2 [#2156]); \
     2.8.0's fixed formats fail at the V field (\"Status read failed!\", no ups.status ever)",
)];

fn compare(
    theirs: &BTreeMap<String, String>,
    ours: &BTreeMap<String, String>,
    pt: &Path,
    po: &Path,
) -> Vec<String> {
    let norm = |v: &BTreeMap<String, String>, port: &Path| -> BTreeMap<String, String> {
        let port = port.to_string_lossy();
        v.iter().map(|(k, x)| (k.clone(), if *x == port { "<port>".into() } else { x.clone() })).collect()
    };
    let (t, o) = (norm(theirs, pt), norm(ours, po));
    let keys: BTreeSet<&String> = t.keys().chain(o.keys()).collect();
    let mut out = Vec::new();
    for k in keys {
        let (a, b) = (t.get(k).map(String::as_str), o.get(k).map(String::as_str));
        if a != b && documented(k, a, b).is_none() {
            out.push(format!("{k}: Debian {a:?}, ours {b:?}"));
        }
    }
    out
}

fn dump_in_state(
    driver_bin: &Path,
    path: &Path,
    state: &str,
    opts: &[(String, Option<String>)],
) -> (Dump, UpsSim) {
    let mut sim = UpsSim::start(path);
    if state != "online" {
        sim.control(&format!("state {state}"));
    }
    let d = run_dump(driver_bin, sim.port(), opts, DUMP_TIMEOUT);
    (d, sim)
}

#[test]
fn powerpanel_publishes_what_debian_publishes_for_every_description_and_state() {
    let test = "powerpanel_publishes_what_debian_publishes_for_every_description_and_state";
    if !require_debian_nut(test) {
        return;
    }
    require_ours(Impl::Ours, &[DRIVER, "ups-sim"]);
    let theirs_bin = debian_bin(DRIVER).expect("Debian's powerpanel");
    let paths: Vec<PathBuf> = descriptions(DRIVER);
    assert!(paths.len() >= 2, "descriptions in tests/devices/powerpanel: {paths:?}");
    let mut failures = Vec::new();
    let mut compared = Vec::new();
    for p in &paths {
        let desc = load_desc(p);
        let Some(hint) = desc.driver(DRIVER) else { panic!("{}: no `driver powerpanel` line", p.display()) };
        let opts = hint.options.clone();
        let newer = NEWER_THAN_DEBIAN.iter().find(|(n, _)| *n == desc.name);
        if let Some((_, why)) = newer {
            eprintln!("{test}: {} NOT COMPARED with Debian 2.8.0: {why}", desc.name);
        }
        for state in STATES {
            if newer.is_some() {
                let (ours, _sim) = dump_in_state(&bin(DRIVER), p, state, &opts);
                let want_status = match *state {
                    "online" => "OL",
                    "onbattery" => "OB",
                    _ => "OB LB",
                };
                if ours.get("ups.status") != Some(want_status) {
                    failures.push(format!(
                        "{} in {state}: ours {:?}: {}",
                        desc.name,
                        ours.get("ups.status"),
                        tail(&ours.stderr, 5)
                    ));
                }
                if *state == "online" {
                    for (var, want) in &desc.expects {
                        let got = ours.get(var);
                        let ok = if var == "ups.status" {
                            got.is_some_and(|g| g.split(' ').any(|t| t == want))
                        } else {
                            got == Some(want.as_str())
                        };
                        if !ok {
                            failures.push(format!(
                                "{}: {var}: the description's sources say {want:?}, ours {got:?}",
                                desc.name
                            ));
                        }
                    }
                }
                continue;
            }
            let ((theirs, st), (ours, so)) = std::thread::scope(|s| {
                let t = s.spawn(|| dump_in_state(&theirs_bin, p, state, &opts));
                let o = dump_in_state(&bin(DRIVER), p, state, &opts);
                (t.join().expect("Debian dump thread"), o)
            });
            let label = format!("{} in state {state}", desc.name);
            if !theirs.ok() || theirs.get("ups.status").is_none() {
                failures
                    .push(format!("{label}: Debian's powerpanel gave no dump: {}", tail(&theirs.stderr, 8)));
                continue;
            }
            if !ours.ok() {
                failures.push(format!("{label}: ours gave no dump: {}", tail(&ours.stderr, 8)));
                continue;
            }
            let diffs = compare(&theirs.vars, &ours.vars, st.port(), so.port());
            if diffs.is_empty() {
                compared.push(format!("{label} ({} variables)", theirs.vars.len()));
            } else {
                failures.push(format!("{label}:\n    {}", diffs.join("\n    ")));
            }
            let want_status = match *state {
                "online" => "OL",
                "onbattery" => "OB",
                _ => "OB LB",
            };
            if ours.get("ups.status") != Some(want_status) {
                failures.push(format!(
                    "{label}: ups.status {:?}, the description means {want_status}",
                    ours.get("ups.status")
                ));
            }
            if *state == "online" {
                for (var, want) in &desc.expects {
                    let got = ours.get(var);
                    let ok = if var == "ups.status" {
                        got.is_some_and(|g| g.split(' ').any(|t| t == want))
                    } else {
                        got == Some(want.as_str())
                    };
                    if !ok {
                        failures.push(format!("{label}: {var}: the description says {want:?}, ours {got:?}"));
                    }
                }
            }
        }
    }
    eprintln!("{test}: the same as Debian's: {}", compared.join(", "));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn client(name: &str) -> PathBuf {
    debian_bin(name).unwrap_or_else(|| panic!("Debian's {name}"))
}

/// What one stack answers to Debian's clients: `upscmd -l`, `upsrw -l`, an instant command
/// and a SET (both waited for with `-w`), then the variable read back.
fn client_views(st: &SerialStack, cmd: &str, set: &str) -> Vec<(String, String)> {
    let t = st.target();
    let var = set.split('=').next().unwrap_or_default();
    let runs: [(&str, Vec<&str>); 5] = [
        ("upscmd", vec!["-l", &t]),
        ("upsrw", vec!["-l", &t]),
        ("upscmd", vec!["-u", "admin", "-p", "adminpw", "-w", &t, cmd]),
        ("upsrw", vec!["-u", "admin", "-p", "adminpw", "-w", "-s", set, &t]),
        ("upsc", vec![&t, var]),
    ];
    runs.iter()
        .map(|(prog, args)| {
            let o = st
                .run(&client(prog), args, Duration::from_secs(20))
                .unwrap_or_else(|e| panic!("{prog}: {e}"));
            let label = format!("{prog} {}", args.join(" ").replace(&t, "q@host"));
            let text = format!("exit {:?}\n{}{}", o.code, without_driver_2_8_5_additions(&o.out()), o.err());
            (label, text)
        })
        .collect()
}

fn same_through_upsd(test: &str, desc: &str, cmd: &str, set: &str) {
    if !require_debian_nut(test) {
        return;
    }
    require_ours(Impl::Ours, &[DRIVER, "upsd", "ups-sim"]);
    let path = devices_dir(DRIVER).join(format!("{desc}.sim"));
    let sim_t = UpsSim::start(&path);
    let sim_o = UpsSim::start(&path);
    let (theirs, ours) = std::thread::scope(|s| {
        let t = s.spawn(|| SerialStack::start(Impl::Debian, DRIVER, sim_t.port(), &[], &[]));
        let o = SerialStack::start(Impl::Ours, DRIVER, sim_o.port(), &[], &[]);
        (t.join().expect("Debian stack"), o)
    });
    let theirs = theirs.unwrap_or_else(|e| panic!("Debian's powerpanel + upsd: {e}"));
    let ours = ours.unwrap_or_else(|e| panic!("our powerpanel + upsd: {e}"));
    let want = client_views(&theirs, cmd, set);
    let got = client_views(&ours, cmd, set);
    assert!(want[0].1.contains("shutdown.stop"), "Debian's upscmd -l: {}", want[0].1);
    assert!(want[2].1.contains("SUCCESS"), "Debian's {}: {}", want[2].0, want[2].1);
    assert!(want[3].1.contains("SUCCESS"), "Debian's {}: {}", want[3].0, want[3].1);
    for ((label, w), (_, g)) in want.iter().zip(&got) {
        assert_eq!(g, w, "{label}: ours (left) differs from Debian's (right)");
    }
    eprintln!("{test}: upscmd -l, upsrw -l, {cmd}, SET {set} answered the same");
}

#[test]
fn powerpanel_text_answers_the_same_commands_and_sets_as_debian_through_upsd() {
    same_through_upsd(
        "powerpanel_text_answers_the_same_commands_and_sets_as_debian_through_upsd",
        "op1250-text",
        "beeper.disable",
        "input.transfer.low=90",
    );
}

#[test]
fn powerpanel_binary_answers_the_same_commands_and_sets_as_debian_through_upsd() {
    same_through_upsd(
        "powerpanel_binary_answers_the_same_commands_and_sets_as_debian_through_upsd",
        "pr3000e-binary",
        "beeper.toggle",
        "input.transfer.low=90",
    );
}

/// A UPS that never answers: the driver stops and says what it tried; a bad `protocol` and a
/// delay the binary protocol cannot take are refused with where they were set.
#[test]
fn powerpanel_refuses_with_what_to_check() {
    require_ours(Impl::Ours, &[DRIVER, "ups-sim"]);
    let path = devices_dir(DRIVER).join("pr3000e-binary.sim");
    let mut sim = UpsSim::start(&path);
    sim.control("silent");
    let d = run_dump(&bin(DRIVER), sim.port(), &[], DUMP_TIMEOUT);
    assert!(!d.ok());
    assert!(
        d.stderr.contains("CyberPower UPS not found on")
            && d.stderr.contains("F at 1200 baud")
            && d.stderr.contains("P4 at 2400 baud"),
        "stderr: {}",
        d.stderr
    );
    sim.control("clear");
    let opt = |k: &str, v: &str| vec![(k.to_string(), Some(v.to_string()))];
    let d = run_dump(&bin(DRIVER), sim.port(), &opt("protocol", "smart"), DUMP_TIMEOUT);
    assert!(!d.ok() && d.stderr.contains("protocol = smart: must be text or binary"), "stderr: {}", d.stderr);
    let d = run_dump(&bin(DRIVER), sim.port(), &opt("ondelay", "2"), DUMP_TIMEOUT);
    assert!(
        !d.ok() && d.stderr.contains("Setting 'ondelay' not supported by Powerpanel-Binary 0.65 driver"),
        "stderr: {}",
        d.stderr
    );
    // The text protocol's delays are checked as NUT checks them, with where they were set.
    let text_sim = UpsSim::start(&devices_dir(DRIVER).join("op1250-text.sim"));
    let d = run_dump(&bin(DRIVER), text_sim.port(), &opt("offdelay", "5"), DUMP_TIMEOUT);
    assert!(
        !d.ok()
            && d.stderr.contains("ups.conf:")
            && d.stderr.contains("Shutdown delay '5' out of range [6..600]"),
        "stderr: {}",
        d.stderr
    );
    // protocol=text on a binary UPS finds nothing.
    let d = run_dump(&bin(DRIVER), sim.port(), &opt("protocol", "text"), DUMP_TIMEOUT);
    assert!(!d.ok() && d.stderr.contains("P4 at 2400 baud"), "stderr: {}", d.stderr);
}

fn power_failure(desc: &str) {
    require_ours(Impl::Ours, &[DRIVER, "upsd", "upsmon", "ups-sim"]);
    let mut sim = UpsSim::start(&devices_dir(DRIVER).join(format!("{desc}.sim")));
    let st = SerialStack::start(Impl::Ours, DRIVER, sim.port(), &[], &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("our powerpanel + upsd: {e}"));
    let mut c = st.connect().expect("client");
    assert_eq!(c.request("GET VAR q ups.status").expect("GET"), ["VAR q ups.status \"OL\""]);
    let mon = Upsmon::start(st.port());
    let logged_in = wait_until(Duration::from_secs(15), || {
        c.request("GET NUMLOGINS q").is_ok_and(|r| r == ["NUMLOGINS q 1"])
    });
    assert!(logged_in, "upsmon did not log in: {}", tail(&mon.log(), 20));
    sim.control("state onbattery");
    let t_ob = mon.await_note("ONBATT", Duration::from_secs(20), &st, Some(&sim));
    let r = c.request("GET VAR q ups.status").expect("GET");
    assert!(has(&r, "OB") && !has(&r, "OL"), "{r:?}");
    assert!(mon.marker().is_none(), "SHUTDOWNCMD ran on battery alone");
    sim.control("state lowbattery");
    let t_lb = mon.await_note("LOWBATT", Duration::from_secs(20), &st, Some(&sim));
    let shut = wait_until(Duration::from_secs(20), || mon.marker().is_some());
    assert!(shut, "no SHUTDOWNCMD after LOWBATT: {:?}\n{}", mon.notes(), tail(&mon.log(), 30));
    let r = c.request("GET VAR q ups.status").expect("GET");
    assert!(["FSD", "OB", "LB"].iter().all(|t| has(&r, t)), "after the primary's shutdown: {r:?}");
    let notes = mon.notes();
    let pos = |w: &str| notes.iter().position(|n| n.split(' ').next() == Some(w));
    assert!(pos("ONBATT") < pos("LOWBATT"), "{notes:?}");
    assert!(!notes.iter().any(|n| n.starts_with("COMMBAD") || n.starts_with("NOCOMM")), "{notes:?}");
    println!(
        "powerpanel_power_failure ({desc}): ONBATT {:.2} s after the mains failed, LOWBATT {:.2} s after the \
         battery ran low; notifications {notes:?}",
        t_ob.as_secs_f64(),
        t_lb.as_secs_f64()
    );
}

#[test]
fn powerpanel_text_mains_failure_then_low_battery_notifies_and_shuts_down() {
    power_failure("op1250-text");
}

#[test]
fn powerpanel_binary_mains_failure_then_low_battery_notifies_and_shuts_down() {
    power_failure("pr3000e-binary");
}

// ---- Faults -------------------------------------------------------------------------------

/// `pollinterval` in the fault tests.
const POLL: Duration = Duration::from_secs(1);
/// The driver's wait for an answer (NUT waits 100-200 ms plus 250 ms; ours 1 s).
const ANSWER_WAIT: Duration = Duration::from_secs(1);
/// Failed polls up to and including the one that makes the data stale (NUT: 3 + 1).
const FAILED_POLLS_TO_STALE: u64 = 4;
/// Slack for a loaded machine.
const SLACK: Duration = Duration::from_secs(4);
/// From the fault to `ERR DATA-STALE`.
const STALE_BOUND: Duration = Duration::from_secs(
    (FAILED_POLLS_TO_STALE + 1) * (POLL.as_secs() + ANSWER_WAIT.as_secs()) + SLACK.as_secs(),
);
/// From the device answering again to fresh data: the poll in progress and the next.
const RECOVER_BOUND: Duration =
    Duration::from_secs(2 * (POLL.as_secs() + ANSWER_WAIT.as_secs()) + SLACK.as_secs());

/// The tokens of a `GET VAR q ups.status` reply (none for an error). NUT 2.8.5's framework
/// adds DISCHRG/CHRG for one poll when `battery.charge` moves and the driver said neither
/// (dstate.c `status_commit`), so tests look at tokens, not the whole string.
fn tokens(r: &[String]) -> Vec<String> {
    match r {
        [one] => one
            .strip_prefix("VAR q ups.status \"")
            .and_then(|x| x.strip_suffix('"'))
            .map(|x| x.split(' ').map(str::to_string).collect())
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn has(r: &[String], token: &str) -> bool {
    tokens(r).iter().any(|t| t == token)
}

fn status_of(state: &str) -> &'static str {
    if state == "onbattery" {
        "OB"
    } else {
        "OL"
    }
}

/// The simulator, our driver and upsd, and a client that stays connected (nut_tests::faults).
fn rig(desc: &str, charge: (&'static str, &'static str)) -> FaultRig {
    require_ours(Impl::Ours, &[DRIVER, "upsd", "ups-sim"]);
    let sim = UpsSim::start(&devices_dir(DRIVER).join(format!("{desc}.sim")));
    let st = SerialStack::start(Impl::Ours, DRIVER, sim.port(), &[], &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("our powerpanel + upsd: {e}"));
    FaultRig::new(
        "powerpanel_faults",
        sim,
        st,
        (STALE_BOUND, RECOVER_BOUND),
        |r, state| has(r, status_of(state)),
        WhileStale::Attempts(&["rx "]),
    )
    .after_fresh(Box::new(move |c, state, fault| {
        let want = if state == "onbattery" { charge.1 } else { charge.0 };
        assert_eq!(
            c.request("GET VAR q battery.charge").expect("GET"),
            [format!("VAR q battery.charge \"{want}\"")],
            "{fault}: battery.charge after recovery"
        );
    }))
}

#[test]
fn powerpanel_binary_bad_answers_make_the_data_stale_and_it_recovers() {
    let mut rig = rig("pr3000e-binary", ("100", "90"));
    rig.stale_then_recover("binary garbage", &["garbage \"\\x15\" *"], 2, &["clear"]);
    // The last byte of every answer flipped: the status answer no longer ends in CR.
    rig.stale_then_recover("binary corrupted", &["corrupt *"], 2, &["clear"]);
    rig.stale_then_recover("binary cut", &["cut 9 *"], 2, &["clear"]);
    rig.stale_then_recover("binary silence", &["silent"], 2, &["clear"]);
}

#[test]
fn powerpanel_text_bad_answers_make_the_data_stale_and_it_recovers() {
    let mut rig = rig("op1250-text", ("100", "95"));
    rig.stale_then_recover("text garbage line", &["garbage \"NAK\\r\" *"], 2, &["clear"]);
    rig.stale_then_recover("text silence", &["silent"], 2, &["clear"]);
    // 6 unanswered polls: stale at the 4th, then it answers again by itself.
    rig.stale_then_recover("6 timeouts", &["timeout 6"], 1, &[]);
}

#[test]
fn powerpanel_three_failed_polls_do_not_make_the_data_stale() {
    let mut rig = rig("pr3000e-binary", ("100", "90"));
    rig.sim.mark();
    rig.sim.control("timeout 3");
    for i in 0..3 {
        let got = rig.sim.wait_event(STALE_BOUND, |l| l.starts_with("noreply ") && l.ends_with(" timeout"));
        assert!(got.is_some(), "unanswered poll {} never came{}", i + 1, rig.context());
        assert_eq!(
            rig.status(),
            ["VAR q ups.status \"OL\""],
            "after {} failed poll(s){}",
            i + 1,
            rig.context()
        );
    }
    for _ in 0..2 {
        let got = rig.sim.wait_event(STALE_BOUND, |l| l.starts_with("tx \"#"));
        assert!(got.is_some(), "the driver stopped polling{}", rig.context());
        let r = rig.status();
        assert!(has(&r, "OL"), "after the hiccup: {r:?}{}", rig.context());
    }
    assert_eq!(rig.st.driver_pid(), Some(rig.pid()));
}

#[test]
fn powerpanel_unplug_makes_the_data_stale_and_replug_recovers() {
    let mut rig = rig("pr3000e-binary", ("100", "90"));
    for round in ["unplug", "second unplug"] {
        rig.sim.mark();
        rig.sim.control("unplug");
        let stale = rig.await_stale(round);
        rig.switch_state();
        assert_eq!(rig.status(), ["ERR DATA-STALE"], "{round}{}", rig.context());
        rig.sim.control("replug");
        let fresh = rig.await_fresh(round);
        println!(
            "powerpanel_faults: {round}: DATA-STALE {:.2} s after, fresh {:.2} s after the replug",
            stale.as_secs_f64(),
            fresh.as_secs_f64()
        );
    }
}

// ---- Kill power (-k): shutdown.default ----------------------------------------------------

/// Run `driver_bin -a q -k -u root` against a simulator playing `desc` in `state`; return its
/// exit status and the commands the simulator received, as bytes.
fn kill_power(
    driver_bin: &Path,
    desc: &Path,
    state: &str,
) -> (Option<std::process::ExitStatus>, Vec<Vec<u8>>, String) {
    let mut sim = UpsSim::start(desc);
    if state != "online" {
        sim.control(&format!("state {state}"));
    }
    let dir = TempDir::new().expect("temp dir");
    let name = driver_bin.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    std::fs::write(
        dir.path().join("ups.conf"),
        nut_testkit::sim::ups_conf_section("q", &name, sim.port(), &[]),
    )
    .expect("ups.conf");
    let err = dir.path().join("stderr");
    let mut cmd = Command::new(driver_bin);
    cmd.args(["-a", "q", "-k", "-u", "root"])
        .env("NUT_CONFPATH", dir.path())
        .env("NUT_STATEPATH", dir.path())
        .env("NUT_ALTPIDPATH", dir.path())
        .env_remove("NUT_DEBUG_LEVEL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).expect("stderr"));
    let mut p = Proc::spawn(cmd);
    let mut status = None;
    wait_until(DUMP_TIMEOUT, || {
        status = p.child_mut().try_wait().ok().flatten();
        status.is_some()
    });
    drop(p);
    let rx = sim
        .events()
        .iter()
        .filter_map(|l| l.strip_prefix("rx "))
        .filter_map(|q| ups_sim::escape::parse_quoted(q).ok().map(|(b, _)| b))
        .collect();
    (status, rx, std::fs::read_to_string(&err).unwrap_or_default())
}

/// `-k` sends what NUT's powerpanel sends: `shutdown.return` with the text protocol (Z01: off
/// after the default 60 s); with the binary protocol, which has none, it reads the status and
/// sends `shutdown.reboot` on line and `shutdown.stayoff` on battery.
#[test]
fn powerpanel_kill_power_sends_what_debian_sends() {
    let test = "powerpanel_kill_power_sends_what_debian_sends";
    if !require_debian_nut(test) {
        return;
    }
    require_ours(Impl::Ours, &[DRIVER, "ups-sim"]);
    let theirs = debian_bin(DRIVER).expect("Debian's powerpanel");
    // The shutdown commands only (the start-ups differ: NUT 2.8.0 detects and goes straight to
    // the shutdown, ours reads the device first).
    let shutdowns = |rx: Vec<Vec<u8>>| -> Vec<Vec<u8>> {
        rx.into_iter().filter(|f| matches!(f.first(), Some(b'S' | b'Z'))).collect()
    };
    for (desc, state, expect) in [
        ("op1250-text", "online", b"Z01\r".to_vec()),
        ("pr3000e-binary", "online", b"S\x00\x00R\x00\x01W\r".to_vec()),
        ("pr3000e-binary", "onbattery", b"S\x00\x00W\r".to_vec()),
    ] {
        let path = devices_dir(DRIVER).join(format!("{desc}.sim"));
        let (st, rx, err) = kill_power(&theirs, &path, state);
        assert!(st.is_some(), "Debian's -k on {desc} did not finish: {err}");
        let want = shutdowns(rx);
        assert_eq!(want, std::slice::from_ref(&expect), "Debian's -k on {desc} ({state})");
        let (so, rx, err) = kill_power(&bin(DRIVER), &path, state);
        assert!(so.is_some_and(|s| s.success()), "our -k on {desc}: {so:?} {err}");
        assert_eq!(shutdowns(rx), want, "our -k on {desc} ({state}) vs Debian's");
    }
}
