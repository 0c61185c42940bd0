//! Every device description drives Debian's NUT 2.8.0 serial drivers (`/lib/nut/nutdrv_qx`
//! with the description's protocol, `/lib/nut/blazer_ser` for the Megatec-compatible ones) to
//! a sensible one-shot dump, with the values the sources state (`expect` lines). Nothing
//! Debian prints is stored: the comparison with our drivers runs both live.
//!
//! Debian 2.8.0's nutdrv_qx lacks some protocols NUT 2.8.5 has; those descriptions are
//! skipped visibly (README.md lists them).

use std::path::Path;
use std::time::Duration;

use nut_testkit::sim::{descriptions, run_dump, Dump, UpsSim};
use nut_testkit::{debian_bin, require_debian_nut, skip, Prereq};
use ups_sim::Desc;

const DUMP_TIMEOUT: Duration = Duration::from_secs(60);

fn load(p: &Path) -> Desc {
    let text = std::fs::read_to_string(p).expect("read description");
    ups_sim::parse(&text).unwrap_or_else(|e| panic!("{}:{}: {}", p.display(), e.line, e.msg))
}

/// Debian 2.8.0's nutdrv_qx, given a protocol it does not have, says "Device not supported!"
/// without sending the device a single command.
fn unsupported_protocol(d: &Dump, sim: &UpsSim) -> bool {
    d.stderr.contains("Device not supported!") && !sim.events().iter().any(|l| l.starts_with("rx "))
}

fn check_dump(test: &str, desc_path: &Path, desc: &Desc, driver: &str, failures: &mut Vec<String>) {
    let Some(bin) = debian_bin(driver) else {
        skip(test, &format!("Debian's {driver} is not installed"), Prereq::DebianNut);
        return;
    };
    let Some(hint) = desc.driver(driver) else { return };
    let sim = UpsSim::start_with(Path::new(env!("CARGO_BIN_EXE_ups-sim")), desc_path);
    let dump = run_dump(&bin, sim.port(), &hint.options, DUMP_TIMEOUT);
    let name = &desc.name;
    if driver == "nutdrv_qx" && unsupported_protocol(&dump, &sim) {
        skip(
            test,
            &format!(
                "{name}: Debian 2.8.0's nutdrv_qx lacks this protocol ({}); it sent the device nothing",
                hint.options
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Prereq::Machine,
        );
        return;
    }
    if let Some(why) = desc.refusal(driver) {
        if dump.ok() {
            failures
                .push(format!("{name}/{driver}: expected a refusal ({why}), got a dump:\n{}", dump.stdout));
        }
        return;
    }
    if !dump.ok() {
        failures.push(format!(
            "{name}/{driver}: no dump (status {:?})\nstdout:\n{}\nstderr:\n{}\nsimulator:\n{}",
            dump.status,
            dump.stdout,
            dump.stderr,
            sim.events().join("\n")
        ));
        return;
    }
    let mut bad = Vec::new();
    if dump.get("driver.name") != Some(driver) {
        bad.push(format!("driver.name {:?}", dump.get("driver.name")));
    }
    let status = dump.get("ups.status").unwrap_or("");
    if !status.split(' ').any(|t| t == "OL" || t == "OB") {
        bad.push(format!("ups.status {status:?} has neither OL nor OB"));
    }
    for (var, want) in &desc.expects {
        let got = dump.get(var);
        // ups.status: the stated token must be there (the driver may add others, e.g. BOOST).
        let ok = if var == "ups.status" {
            got.is_some_and(|g| g.split(' ').any(|t| t == want))
        } else {
            got == Some(want.as_str())
        };
        if !ok {
            bad.push(format!("{var}: want {want:?}, got {got:?}"));
        }
    }
    if !bad.is_empty() {
        failures.push(format!("{name}/{driver}: {}\ndump:\n{}", bad.join("; "), dump.stdout));
    }
}

fn run_all(test: &str, driver: &str) {
    if !require_debian_nut(test) {
        return;
    }
    let mut failures = Vec::new();
    let mut ran = 0;
    for p in descriptions("qx") {
        let desc = load(&p);
        if desc.driver(driver).is_some() {
            ran += 1;
            check_dump(test, &p, &desc, driver, &mut failures);
        }
    }
    assert!(ran > 0, "no description names {driver}");
    assert!(failures.is_empty(), "{} of {ran} failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn debian_nutdrv_qx_dumps_every_description() {
    run_all("debian_nutdrv_qx_dumps_every_description", "nutdrv_qx");
}

#[test]
fn debian_blazer_ser_dumps_the_megatec_descriptions() {
    run_all("debian_blazer_ser_dumps_the_megatec_descriptions", "blazer_ser");
}

/// The reply sets we added (on battery, low battery, following NUT's protocol documents) mean
/// what we say to Debian's drivers: OB, then OB LB.
#[test]
fn debian_drivers_read_the_added_battery_states() {
    let test = "debian_drivers_read_the_added_battery_states";
    if !require_debian_nut(test) {
        return;
    }
    let mut failures = Vec::new();
    let mut ran = 0;
    for p in descriptions("qx") {
        let desc = load(&p);
        for driver in ["nutdrv_qx", "blazer_ser"] {
            let (Some(hint), Some(bin)) = (desc.driver(driver), debian_bin(driver)) else { continue };
            if desc.refusal(driver).is_some() {
                continue;
            }
            for (state, tokens) in [("onbattery", &["OB"][..]), ("lowbatt", &["OB", "LB"][..])] {
                if desc.state_index(state).is_none() {
                    continue;
                }
                let mut sim = UpsSim::start_with(Path::new(env!("CARGO_BIN_EXE_ups-sim")), &p);
                sim.control(&format!("state {state}"));
                let dump = run_dump(&bin, sim.port(), &hint.options, DUMP_TIMEOUT);
                if unsupported_protocol(&dump, &sim) {
                    continue;
                }
                ran += 1;
                let status = dump.get("ups.status").unwrap_or("");
                if !tokens.iter().all(|t| status.split(' ').any(|s| s == *t)) {
                    failures.push(format!(
                        "{}/{driver}/{state}: ups.status {status:?}, want {tokens:?}",
                        desc.name
                    ));
                }
            }
        }
    }
    assert!(ran >= 10, "only {ran} runs");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
