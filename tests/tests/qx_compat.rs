//! Issue 10, acceptance 1: our nutdrv_qx and blazer_ser publish what Debian's NUT 2.8.0 ones
//! publish for the same device.
//!
//! For every device description in `tests/devices/qx/` that names the driver, two `ups-sim`
//! instances play the same description on two ptys; Debian's driver runs its one-shot dump
//! (`-a q -u root -d 1`) on one, ours on the other, and the variables and values must be the
//! same apart from the documented 2.8.0/2.8.5 differences (`nut_tests::qx::documented_diff`:
//! driver.version*, variables 2.8.0 did not have, nutdrv_qx's raw battery.voltage, megatec's
//! Megatec-IC `I` fields). One description per driver is also compared through upsd (ours
//! behind our upsd, Debian's behind Debian's) with Debian's `upsc`.
//!
//! Descriptions whose protocol Debian 2.8.0 lacks (it says "Device not supported!" without
//! sending a command) cannot be compared; ours must still read them, with the values the
//! description's sources state (`expect` lines), and each is listed on stderr. A description
//! our driver cannot read is a failure, listed with the driver's last output lines.
//!
//! `cargo build --workspace --bins` first: the tests run the built binaries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nut_testkit::sim::{descriptions, run_dump, Dump, UpsSim};
use nut_testkit::stack::tail;
use nut_testkit::{bin, debian_bin, require_debian_nut, wait_until, Impl};
use nut_tests::qx::{compare_vars, load_desc, options_text};
use nut_tests::serial::{upsc_vars, SerialStack};
use nut_tests::{par_map, require_ours};

/// A dump is killed after this long (a working one takes a few seconds; a protocol probe
/// over silent commands takes longer).
const DUMP_TIMEOUT: Duration = Duration::from_secs(90);

/// Comparisons run at once: each spends most of its time waiting on serial timeouts.
const THREADS: usize = 4;

/// What one description gave.
enum Outcome {
    /// Same variables and values (count of variables compared).
    Same(usize),
    /// Debian 2.8.0 lacks the protocol; ours read the device and matched the description's
    /// `expect` lines (count of them).
    OnlyOurs(usize),
    /// Both drivers refused the device, as the description says they should.
    BothRefused,
    /// Something to fix (the message says what).
    Failed(String),
}

fn protocol_of(opts: &[(String, Option<String>)]) -> Option<&str> {
    opts.iter().find(|(k, _)| k == "protocol").and_then(|(_, v)| v.as_deref())
}

/// Debian 2.8.0's nutdrv_qx, given a protocol it does not have, says "Device not supported!"
/// without sending the device a single command.
fn debian_lacks_protocol(d: &Dump, sim: &UpsSim) -> bool {
    d.stderr.contains("Device not supported!") && !sim.events().iter().any(|l| l.starts_with("rx "))
}

fn last_lines(d: &Dump) -> String {
    format!("status {:?}; stderr:\n{}", d.status, tail(&d.stderr, 8))
}

/// The `expect` lines of a description, checked on a dump (for `ups.status`, the token must
/// be present).
fn check_expects(desc: &ups_sim::Desc, d: &Dump) -> Vec<String> {
    let mut bad = Vec::new();
    for (var, want) in &desc.expects {
        let got = d.get(var);
        let ok = if var == "ups.status" {
            got.is_some_and(|g| g.split(' ').any(|t| t == want))
        } else {
            got == Some(want.as_str())
        };
        if !ok {
            bad.push(format!("{var}: the description's sources say {want:?}, ours {got:?}"));
        }
    }
    bad
}

fn compare_one(path: &Path, driver: &str) -> Outcome {
    let desc = load_desc(path);
    let name = desc.name.clone();
    let Some(hint) = desc.driver(driver) else { return Outcome::Failed(format!("{name}: no {driver} line")) };
    let opts = hint.options.clone();
    let Some(theirs_bin) = debian_bin(driver) else {
        return Outcome::Failed(format!("{name}: Debian's {driver} is not installed"));
    };
    let sim_theirs = UpsSim::start(path);
    let sim_ours = UpsSim::start(path);
    let (theirs, ours) = std::thread::scope(|s| {
        let t = s.spawn(|| run_dump(&theirs_bin, sim_theirs.port(), &opts, DUMP_TIMEOUT));
        let o = run_dump(&bin(driver), sim_ours.port(), &opts, DUMP_TIMEOUT);
        (t.join().expect("Debian dump thread"), o)
    });
    let label = format!("{name} ({driver} {})", options_text(&opts));
    if let Some(why) = desc.refusal(driver) {
        return if ours.ok() {
            Outcome::Failed(format!("{label}: ours published a dump where NUT refuses the device ({why})"))
        } else if theirs.ok() {
            Outcome::Failed(format!("{label}: Debian's published a dump, the description says it refuses"))
        } else {
            Outcome::BothRefused
        };
    }
    if driver == "nutdrv_qx" && debian_lacks_protocol(&theirs, &sim_theirs) {
        if !ours.ok() {
            return Outcome::Failed(format!(
                "{label}: our driver does not read this device (Debian 2.8.0 lacks the protocol, so only the \
                 description's expect lines apply); {}",
                last_lines(&ours)
            ));
        }
        let bad = check_expects(&desc, &ours);
        return if bad.is_empty() {
            Outcome::OnlyOurs(desc.expects.len())
        } else {
            Outcome::Failed(format!("{label}: {}", bad.join("; ")))
        };
    }
    if !theirs.ok() {
        return Outcome::Failed(format!("{label}: Debian's driver gave no dump; {}", last_lines(&theirs)));
    }
    if !ours.ok() {
        return Outcome::Failed(format!(
            "{label}: our driver does not read this device; {}",
            last_lines(&ours)
        ));
    }
    let diffs = compare_vars(
        driver,
        protocol_of(&opts),
        &theirs.vars,
        &ours.vars,
        sim_theirs.port(),
        sim_ours.port(),
    );
    if diffs.is_empty() {
        Outcome::Same(theirs.vars.len())
    } else {
        Outcome::Failed(format!("{label}: {} difference(s):\n    {}", diffs.len(), diffs.join("\n    ")))
    }
}

fn compare_all(test: &str, driver: &str) {
    if !require_debian_nut(test) {
        return;
    }
    require_ours(Impl::Ours, &[driver, "ups-sim"]);
    let t0 = Instant::now();
    let paths: Vec<PathBuf> =
        descriptions("qx").into_iter().filter(|p| load_desc(p).driver(driver).is_some()).collect();
    assert!(!paths.is_empty(), "no description names {driver}");
    let outcomes = par_map(&paths, THREADS, |p| compare_one(p, driver));
    let mut same = Vec::new();
    let mut only_ours = Vec::new();
    let mut refused = Vec::new();
    let mut failures = Vec::new();
    for (p, o) in paths.iter().zip(outcomes) {
        let name = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        match o {
            Outcome::Same(n) => same.push(format!("{name} ({n} variables)")),
            Outcome::OnlyOurs(n) => only_ours.push(format!("{name} ({n} expect lines)")),
            Outcome::BothRefused => refused.push(name),
            Outcome::Failed(m) => failures.push(m),
        }
    }
    eprintln!(
        "{test}: {} of {} descriptions compared equal with Debian 2.8.0's {driver} in {:.1} s: {}",
        same.len(),
        paths.len(),
        t0.elapsed().as_secs_f64(),
        same.join(", ")
    );
    if !refused.is_empty() {
        eprintln!("{test}: refused by both drivers, as the descriptions say: {}", refused.join(", "));
    }
    if !only_ours.is_empty() {
        eprintln!(
            "{test}: NOT COMPARED with Debian (its 2.8.0 {driver} lacks the protocol; ours checked against the \
             description's expect lines only): {}",
            only_ours.join(", ")
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {} descriptions fail for {driver}:\n\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n\n")
    );
}

#[test]
fn nutdrv_qx_publishes_what_debian_publishes_for_every_description() {
    compare_all("nutdrv_qx_publishes_what_debian_publishes_for_every_description", "nutdrv_qx");
}

#[test]
fn blazer_ser_publishes_what_debian_publishes_for_the_megatec_descriptions() {
    compare_all("blazer_ser_publishes_what_debian_publishes_for_the_megatec_descriptions", "blazer_ser");
}

/// upsc's view, once two reads in a row agree (the driver's first full dump is complete).
fn settled_upsc(st: &SerialStack) -> BTreeMap<String, String> {
    let upsc = Path::new("/usr/bin/upsc");
    let mut prev: Option<BTreeMap<String, String>> = None;
    let mut last = String::new();
    let mut got = None;
    let settled = wait_until(Duration::from_secs(20), || {
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
    assert!(settled, "upsc did not settle within 20 s (last output:\n{last})");
    got.unwrap_or_default()
}

/// One description through the whole stack on each side: Debian's driver behind Debian's
/// upsd, ours behind ours, both read with Debian's upsc.
fn compare_through_upsd(test: &str, desc_name: &str, driver: &str) {
    if !require_debian_nut(test) {
        return;
    }
    require_ours(Impl::Ours, &[driver, "upsd", "ups-sim"]);
    let path = nut_testkit::sim::devices_dir("qx").join(format!("{desc_name}.qx"));
    let desc = load_desc(&path);
    let opts = desc.driver(driver).map(|h| h.options.clone()).unwrap_or_default();
    let t0 = Instant::now();
    let sim_theirs = UpsSim::start(&path);
    let sim_ours = UpsSim::start(&path);
    let (theirs, ours) = std::thread::scope(|s| {
        let t = s.spawn(|| SerialStack::start(Impl::Debian, driver, sim_theirs.port(), &opts, &[]));
        let o = SerialStack::start(Impl::Ours, driver, sim_ours.port(), &opts, &[]);
        (t.join().expect("Debian stack thread"), o)
    });
    let theirs = theirs.unwrap_or_else(|e| panic!("Debian's {driver} + upsd on {desc_name}: {e}"));
    let ours = ours.unwrap_or_else(|e| panic!("our {driver} + upsd on {desc_name}: {e}"));
    let want = settled_upsc(&theirs);
    let got = settled_upsc(&ours);
    assert!(want.len() > 15, "Debian's upsc listed too little: {want:?}");
    let diffs = compare_vars(driver, protocol_of(&opts), &want, &got, sim_theirs.port(), sim_ours.port());
    assert!(
        diffs.is_empty(),
        "{desc_name} ({driver}) through upsd, read with Debian's upsc: {} difference(s):\n  {}",
        diffs.len(),
        diffs.join("\n  ")
    );
    eprintln!(
        "{test}: {} variables the same through upsd in {:.1} s",
        want.len(),
        t0.elapsed().as_secs_f64()
    );
}

#[test]
fn nutdrv_qx_megatec_through_upsd_matches_debian() {
    compare_through_upsd("nutdrv_qx_megatec_through_upsd_matches_debian", "megatec", "nutdrv_qx");
}

#[test]
fn blazer_ser_megatec_through_upsd_matches_debian() {
    compare_through_upsd("blazer_ser_megatec_through_upsd_matches_debian", "megatec", "blazer_ser");
}
