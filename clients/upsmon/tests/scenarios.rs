//! Power scenarios against real daemons, some driven by dummy-ups `.seq` files and some by
//! rewriting `.dev` files. Each scenario runs in four combinations, at the same time:
//! Debian's upsmon 2.8.0 and ours, each against Debian's upsd + dummy-ups and against ours.
//! The notification sequences (type and UPS, in order) and the shutdown decisions must match.
//!
//! Debian 2.8.0 predates some notify types (BYPASS, OVER, SHUTDOWN_HOSTSYNC, NOTCAL, ...), so
//! sequences are compared on the types 2.8.0 knows; each scenario lists what only ours sends
//! (NUT 2.8.5 behaviour, such as a primary notifying FSD when it sets it; see the README).

mod common;

use std::time::Duration;

use common::{Impl, MonConf, Stack, Upsmon, ONLINE_DEV, TYPES_2_8_0};
use nut_testkit::wait_until;

#[derive(Clone, Copy, Debug)]
enum Step {
    Status(&'static str, &'static str),
    Hold(u64),
    KillDriver(&'static str),
    StartDriver(&'static str),
    KillUpsd,
    StartUpsd,
    Fsd(&'static str),
}

/// Where a UPS's data comes from.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// A `.dev` file starting on line power, rewritten by [`Step::Status`].
    Dev,
    /// A `.seq` file that dummy-ups plays by itself (`TIMER` lines).
    Seq(&'static str),
}

struct Scenario {
    upses: &'static [(&'static str, Source)],
    monitors: &'static [(&'static str, &'static str)],
    minsupplies: u32,
    steps: &'static [Step],
    /// What Debian's upsmon 2.8.0 notifies (and ours, on the 2.8.0 types).
    expect: &'static [&'static str],
    /// Notifications only ours sends, in order, on top of `expect`.
    ours_extra: &'static [&'static str],
    shutdown: bool,
}

#[derive(Debug)]
struct Outcome {
    notes: Vec<(u128, String)>,
    shutdown: bool,
}

fn run(mon_impl: Impl, stack_impl: Impl, sc: &Scenario) -> Outcome {
    let files: Vec<(&str, &str, &str)> = sc
        .upses
        .iter()
        .map(|(u, src)| match src {
            Source::Dev => (*u, ONLINE_DEV, "dev"),
            Source::Seq(text) => (*u, *text, "seq"),
        })
        .collect();
    let mut stack = Stack::new(stack_impl, &files);
    let mut mc = MonConf::on(&stack, sc.monitors);
    mc.extra = format!("MINSUPPLIES {}\n", sc.minsupplies);
    let mut mon = Upsmon::start(mon_impl, &mc);
    // Let upsmon connect and see the initial OL.
    std::thread::sleep(Duration::from_secs(3));
    for step in sc.steps {
        match *step {
            Step::Status(u, s) => stack.set(u, s),
            Step::Hold(secs) => std::thread::sleep(Duration::from_secs(secs)),
            Step::KillDriver(u) => stack.stop_driver(u),
            Step::StartDriver(u) => stack.start_driver(u),
            Step::KillUpsd => stack.stop_upsd(),
            Step::StartUpsd => stack.start_upsd(),
            Step::Fsd(u) => stack.fsd(u),
        }
    }
    if sc.shutdown {
        wait_until(Duration::from_secs(10), || mon.shut_down());
    }
    std::thread::sleep(Duration::from_secs(1));
    mon.stop();
    let out = Outcome { notes: mon.notes(), shutdown: mon.shut_down() };
    if std::env::var_os("SCENARIO_DEBUG").is_some() {
        eprintln!("{mon_impl:?} upsmon, {stack_impl:?} upsd: {out:?}\n{}", mon.log());
    }
    out
}

/// Both upsmons fork every NOTIFYCMD run, so notifications sent in the same poll cycle (LOWBATT
/// and SHUTDOWN, COMMOK and ONLINE) reach the log in either order. Entries less than 300 ms
/// apart form one burst; bursts keep their order, and entries within a burst are sorted.
fn bursts(notes: &[(u128, String)]) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut last = None;
    for (t, n) in notes {
        match last {
            Some(prev) if t.saturating_sub(prev) < 300_000_000 => {
                if let Some(b) = out.last_mut() {
                    b.push(n.clone());
                }
            }
            _ => out.push(vec![n.clone()]),
        }
        last = Some(*t);
    }
    out
}

fn canon(bursts: &[Vec<String>]) -> Vec<String> {
    bursts
        .iter()
        .flat_map(|b| {
            let mut b = b.clone();
            b.sort();
            b
        })
        .collect()
}

/// `expect` cut into bursts of the same sizes as an observed run.
fn canon_like(expect: &[&str], observed: &[Vec<String>]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest: Vec<String> = expect.iter().map(|s| s.to_string()).collect();
    for b in observed {
        let n = b.len().min(rest.len());
        let mut chunk: Vec<String> = rest.drain(..n).collect();
        chunk.sort();
        out.extend(chunk);
    }
    out.extend(rest);
    out
}

fn only_2_8_0(notes: &[(u128, String)]) -> Vec<(u128, String)> {
    notes.iter().filter(|(_, n)| TYPES_2_8_0.contains(&n.split(' ').next().unwrap_or(""))).cloned().collect()
}

/// Checks one run against the scenario: Debian's upsmon must send exactly `expect`; ours must
/// send `expect` on the 2.8.0 types plus the documented extras.
fn verify(sc: &Scenario, mon_impl: Impl, stack_impl: Impl, out: &Outcome) {
    let what = format!("{mon_impl:?} upsmon against {stack_impl:?} upsd + dummy-ups");
    let mut mine = out.notes.clone();
    if mon_impl == Impl::Ours {
        for extra in sc.ours_extra {
            let pos = mine.iter().position(|(_, n)| n == extra);
            assert!(pos.is_some(), "{what}: ours should also send {extra}: {:?}", out.notes);
            if let Some(i) = pos {
                mine.remove(i);
            }
        }
        let newer: Vec<&String> = mine
            .iter()
            .map(|(_, n)| n)
            .filter(|n| !TYPES_2_8_0.contains(&n.split(' ').next().unwrap_or("")))
            .collect();
        assert!(newer.is_empty(), "{what}: notifications beyond 2.8.0's not listed in ours_extra: {newer:?}");
        mine = only_2_8_0(&mine);
    }
    let b = bursts(&mine);
    assert_eq!(canon(&b), canon_like(sc.expect, &b), "{what}: {b:?} (all: {:?})", out.notes);
    assert_eq!(out.shutdown, sc.shutdown, "{what}: shutdown decision");
}

/// Runs a scenario in all four combinations at once (they only share the CPU, and spend
/// most of the time waiting) and checks that they agree.
fn all_four(sc: &'static Scenario) {
    if !common::debian_available("upsmon scenario") {
        return;
    }
    let combos = [
        (Impl::Debian, Impl::Debian),
        (Impl::Ours, Impl::Debian),
        (Impl::Ours, Impl::Ours),
        (Impl::Debian, Impl::Ours),
    ];
    let handles: Vec<_> =
        combos.iter().map(|&(m, s)| (m, s, std::thread::spawn(move || run(m, s, sc)))).collect();
    let mut outcomes = Vec::new();
    for (m, s, h) in handles {
        match h.join() {
            Ok(o) => outcomes.push((m, s, o)),
            Err(e) => std::panic::resume_unwind(e),
        }
    }
    for (m, s, o) in &outcomes {
        verify(sc, *m, *s, o);
    }
}

use Step::*;

/// A power blip as dummy-ups plays it: on line, on battery for 4 s, back before LB.
const BLIP_SEQ: &str = "ups.status: OL\nbattery.charge: 100\nTIMER 6\n\
ups.status: OB DISCHRG\nbattery.charge: 90\nTIMER 4\n\
ups.status: OL CHRG\nbattery.charge: 91\nTIMER 600\n";

/// A long outage: on battery, then low battery 4 s later.
const OUTAGE_SEQ: &str = "ups.status: OL\nbattery.charge: 100\nTIMER 6\n\
ups.status: OB DISCHRG\nbattery.charge: 50\nTIMER 4\n\
ups.status: OB DISCHRG LB\nbattery.charge: 5\nTIMER 600\n";

#[test]
fn power_blip_before_low_battery() {
    all_four(&Scenario {
        upses: &[("ups1", Source::Seq(BLIP_SEQ))],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        // The driver plays the file: OB at 6 s, OL again at 10 s (upsmon starts at about 1 s).
        steps: &[Hold(10)],
        expect: &["ONBATT ups1", "ONLINE ups1"],
        ours_extra: &[],
        shutdown: false,
    });
}

#[test]
fn long_outage_to_low_battery_shuts_the_primary_down() {
    all_four(&Scenario {
        upses: &[("ups1", Source::Seq(OUTAGE_SEQ))],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        // OB at 6 s, OB LB at 10 s.
        steps: &[Hold(9)],
        expect: &["ONBATT ups1", "LOWBATT ups1", "SHUTDOWN"],
        // NUT 2.8.5: the primary notifies FSD once upsd accepted it (no SHUTDOWN_HOSTSYNC:
        // no secondary is logged in).
        ours_extra: &["FSD ups1"],
        shutdown: true,
    });
}

#[test]
fn fsd_from_the_primary_shuts_a_secondary_down() {
    all_four(&Scenario {
        upses: &[("ups1", Source::Dev)],
        monitors: &[("ups1", "secondary")],
        minsupplies: 1,
        steps: &[Status("ups1", "OB DISCHRG"), Hold(3), Fsd("ups1"), Hold(3)],
        expect: &["ONBATT ups1", "FSD ups1", "SHUTDOWN"],
        ours_extra: &[],
        shutdown: true,
    });
}

#[test]
fn comm_loss_while_on_battery_is_critical() {
    all_four(&Scenario {
        upses: &[("ups1", Source::Dev)],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[Status("ups1", "OB DISCHRG"), Hold(3), KillUpsd, Hold(8)],
        expect: &["ONBATT ups1", "COMMBAD ups1", "SHUTDOWN"],
        // upsd is gone, so FSD cannot be set: NUT 2.8.5 does not notify it then.
        ours_extra: &[],
        shutdown: true,
    });
}

#[test]
fn upsd_restart_while_online_is_only_a_comm_blip() {
    all_four(&Scenario {
        upses: &[("ups1", Source::Dev)],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[KillUpsd, Hold(3), StartUpsd, Hold(4)],
        // NUT keeps the OL flag across a reconnect: no second ONLINE.
        expect: &["COMMBAD ups1", "COMMOK ups1"],
        ours_extra: &[],
        shutdown: false,
    });
}

#[test]
fn driver_restart_while_online_is_only_a_comm_blip() {
    all_four(&Scenario {
        upses: &[("ups1", Source::Dev)],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[KillDriver("ups1"), Hold(8), StartDriver("ups1"), Hold(4)],
        expect: &["COMMBAD ups1", "COMMOK ups1"],
        ours_extra: &[],
        shutdown: false,
    });
}

#[test]
fn minsupplies_one_of_two_upses_failing_does_not_shut_down() {
    all_four(&Scenario {
        upses: &[("ups1", Source::Dev), ("ups2", Source::Dev)],
        monitors: &[("ups1", "primary"), ("ups2", "primary")],
        minsupplies: 1,
        steps: &[Status("ups1", "OB DISCHRG"), Hold(2), Status("ups1", "OB DISCHRG LB"), Hold(4)],
        expect: &["ONBATT ups1", "LOWBATT ups1"],
        ours_extra: &[],
        shutdown: false,
    });
}

#[test]
fn battery_replacement_is_notified() {
    all_four(&Scenario {
        upses: &[("ups1", Source::Dev)],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[Status("ups1", "OL RB"), Hold(3), Status("ups1", "OL"), Hold(2)],
        expect: &["REPLBATT ups1"],
        ours_extra: &[],
        shutdown: false,
    });
}

#[test]
fn calibration_on_battery_is_not_critical() {
    all_four(&Scenario {
        upses: &[("ups1", Source::Dev)],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[
            Status("ups1", "OL CAL"),
            Hold(2),
            Status("ups1", "OB CAL"),
            Hold(2),
            Status("ups1", "OB LB CAL"),
            Hold(3),
            Status("ups1", "OL"),
            Hold(3),
        ],
        expect: &["CAL ups1", "ONBATT ups1", "LOWBATT ups1", "ONLINE ups1"],
        ours_extra: &["NOTCAL ups1"],
        shutdown: false,
    });
}

#[test]
fn bypass_and_overload_on_line_power_are_notified_but_not_critical() {
    all_four(&Scenario {
        upses: &[("ups1", Source::Dev)],
        monitors: &[("ups1", "primary")],
        minsupplies: 1,
        steps: &[
            Status("ups1", "OL BYPASS"),
            Hold(2),
            Status("ups1", "OL OVER"),
            Hold(2),
            Status("ups1", "OL"),
            Hold(2),
        ],
        // NUT 2.8.0 has no BYPASS/OVER notifications (2.8.1 and 2.8.3 added them).
        expect: &[],
        ours_extra: &["BYPASS ups1", "NOTBYPASS ups1", "OVER ups1", "NOTOVER ups1"],
        shutdown: false,
    });
}
