//! Issue 10, acceptance 3: device faults under continuous polling. `ups-sim` plays the megatec
//! description; our nutdrv_qx polls it every second (`pollinterval = 1`) behind our upsd, and
//! a client keeps asking upsd for `ups.status` while the simulator sends garbage, leaves
//! commands unanswered, cuts replies short, falls silent, or is unplugged and plugged back.
//!
//! What a user relies on (NUT 2.8.5's nutdrv_qx, `upsdrv_updateinfo`, nutdrv_qx.c 3373-3448):
//! - a device that stops answering sensibly makes the data stale: the driver tolerates
//!   MAXTRIES (3, nutdrv_qx.h 133) + 1 failed polls and calls `dstate_datastale` on the
//!   next, so upsd answers `ERR DATA-STALE` after 5 failed polls, each costing the poll
//!   interval plus at most the serial wait (SER_WAIT_SEC, 1 s, nutdrv_qx.c 65): within
//!   5 x (1 s + 1 s) here, plus slack for a loaded machine ([`STALE_BOUND`]);
//! - until then upsd serves the last good values, and a short hiccup (fewer failed polls)
//!   never makes the data stale;
//! - stale values are never served as fresh: while the fault lasts the simulator switches
//!   the UPS to another state (on line <-> on battery), and the first value served after
//!   `ERR DATA-STALE` must be the new one;
//! - the driver recovers by itself (same PID, no restart) once the device answers again.
//!
//! The simulator's event lines say when a fault is in effect (`ok <control line>`,
//! `noreply`, `unplugged`, `replugged`); nothing sleeps for a fixed time. Figures are printed
//! with a `qx_faults:` prefix.

use std::time::{Duration, Instant};

use nut_testkit::sim::{devices_dir, UpsSim};
use nut_testkit::Impl;
use nut_tests::faults::{exactly, FaultRig, WhileStale};
use nut_tests::require_ours;
use nut_tests::serial::SerialStack;

/// Failed polls NUT's nutdrv_qx tolerates before the data goes stale, plus the one that
/// makes it stale (MAXTRIES + 2).
const FAILED_POLLS_TO_STALE: u32 = 5;
/// `pollinterval` in the test's ups.conf.
const POLL: Duration = Duration::from_secs(1);
/// The serial wait for an answer (NUT's SER_WAIT_SEC).
const CMD_TIMEOUT: Duration = Duration::from_secs(1);
/// Slack for a loaded machine (several test binaries share two cores).
const SLACK: Duration = Duration::from_secs(4);
/// From the fault to `ERR DATA-STALE`, at most.
const STALE_BOUND: Duration = Duration::from_secs(
    (FAILED_POLLS_TO_STALE as u64) * (POLL.as_secs() + CMD_TIMEOUT.as_secs()) + SLACK.as_secs(),
);
/// From the device answering again to fresh data, at most: the next poll, plus slack.
const RECOVER_BOUND: Duration = Duration::from_secs(POLL.as_secs() + CMD_TIMEOUT.as_secs() + SLACK.as_secs());

/// The status the simulator's states give: `online` -> OL, `onbattery` -> OB.
fn status_of(state: &str) -> &'static str {
    match state {
        "onbattery" => "OB",
        _ => "OL",
    }
}

/// The simulator on the megatec description, our driver and upsd, and a client.
fn rig() -> FaultRig {
    require_ours(Impl::Ours, &["nutdrv_qx", "upsd", "ups-sim"]);
    let sim = UpsSim::start(&devices_dir("qx").join("megatec.qx"));
    let opts = [("protocol".to_string(), Some("megatec".to_string()))];
    let st = SerialStack::start(Impl::Ours, "nutdrv_qx", sim.port(), &opts, &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("our nutdrv_qx + upsd on the megatec simulator: {e}"));
    FaultRig::new(
        "qx_faults",
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
    // Bytes before every reply: the answer no longer starts with '(' (and is longer than
    // the 47 bytes megatec's Q1 wants).
    rig.stale_then_recover("garbage", &["garbage \"\\x15@#\\xfe junk \" *"], 2, &["clear"]);
    // A garbage line of its own (terminated): the driver takes it for the answer.
    rig.stale_then_recover("garbage line", &["garbage \"NAK?\\r\" *"], 2, &["clear"]);
}

#[test]
fn partial_replies_make_the_data_stale_and_it_recovers() {
    let mut rig = rig();
    // Replies cut after 20 bytes: no terminator ever comes, each read times out.
    rig.stale_then_recover("partial replies", &["cut 20 *"], 2, &["clear"]);
}

#[test]
fn silence_makes_the_data_stale_and_it_recovers() {
    let mut rig = rig();
    rig.stale_then_recover("silence", &["silent"], 2, &["clear"]);
}

/// N unanswered commands: more than the driver tolerates makes the data stale and the
/// driver recovers by itself when the device answers again (no `clear`).
#[test]
fn a_run_of_timeouts_makes_the_data_stale_and_it_recovers_by_itself() {
    let mut rig = rig();
    // 5 polls make it stale; one more unanswered one is seen while stale, then answers resume.
    rig.stale_then_recover("8 timeouts", &["timeout 8"], 1, &[]);
}

/// Fewer failed polls than NUT tolerates (MAXTRIES): the data never goes stale, and the
/// values served are the good ones throughout.
#[test]
fn a_short_hiccup_does_not_make_the_data_stale() {
    let mut rig = rig();
    rig.sim.mark();
    rig.sim.control("timeout 3");
    let t0 = Instant::now();
    for i in 0..3 {
        let got = rig.sim.wait_event(STALE_BOUND, |l| l.starts_with("noreply ") && l.ends_with(" timeout"));
        assert!(got.is_some(), "unanswered command {} of 3 never came{}", i + 1, rig.context());
        assert_eq!(
            rig.status(),
            ["VAR q ups.status \"OL\""],
            "after {} unanswered command(s){}",
            i + 1,
            rig.context()
        );
    }
    // The next commands are answered again: still fresh, never stale on the way.
    for _ in 0..2 {
        let got = rig.sim.wait_event(STALE_BOUND, |l| l.starts_with("tx \"("));
        assert!(got.is_some(), "the driver stopped polling after the hiccup{}", rig.context());
        assert_eq!(rig.status(), ["VAR q ups.status \"OL\""], "after the hiccup{}", rig.context());
    }
    // Slow replies in small pieces are not a fault either.
    rig.sim.control("chunks 4 30ms *");
    rig.switch_state();
    let mut replies = 0;
    while replies < 3 {
        let got = rig.sim.wait_event(STALE_BOUND, |l| l.starts_with("tx ") && l.ends_with("\\r\""));
        assert!(got.is_some(), "no complete chunked reply{}", rig.context());
        replies += 1;
        let r = rig.status();
        assert_ne!(r, ["ERR DATA-STALE"], "chunked replies made the data stale{}", rig.context());
    }
    assert_eq!(rig.status(), ["VAR q ups.status \"OB\""], "chunked replies are read{}", rig.context());
    assert_eq!(rig.st.driver_pid(), Some(rig.pid()));
    println!("qx_faults: 3 timeouts and chunked replies: never stale ({:.1} s)", t0.elapsed().as_secs_f64());
}

#[test]
fn unplug_makes_the_data_stale_and_replug_recovers() {
    let mut rig = rig();
    rig.sim.mark();
    rig.sim.control("unplug");
    let stale = rig.await_stale("unplug");
    // No port: nothing reaches the simulator while unplugged; upsd keeps saying stale.
    rig.switch_state();
    assert_eq!(rig.status(), ["ERR DATA-STALE"], "unplugged{}", rig.context());
    assert_eq!(rig.c.request("LIST VAR q").expect("LIST VAR"), ["ERR DATA-STALE"]);
    rig.sim.control("replug");
    let fresh = rig.await_fresh("replug");
    // And again: the driver follows a second unplug/replug as well.
    rig.sim.control("unplug");
    let stale2 = rig.await_stale("second unplug");
    rig.switch_state();
    rig.sim.control("replug");
    let fresh2 = rig.await_fresh("second replug");
    println!(
        "qx_faults: unplug: DATA-STALE {:.2} s / {:.2} s after the unplug (bound {:.0} s), fresh {:.2} s / {:.2} s \
         after the replug",
        stale.as_secs_f64(),
        stale2.as_secs_f64(),
        STALE_BOUND.as_secs_f64(),
        fresh.as_secs_f64(),
        fresh2.as_secs_f64()
    );
}
