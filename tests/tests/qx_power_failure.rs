//! Issue 10, acceptance 2: a power failure end to end through our whole stack.
//!
//! `ups-sim` plays the megatec description (its `onbattery` and `lowbatt` reply sets set the
//! Q1 status bits 7 and 6, as NUT's Megatec protocol document says) → our nutdrv_qx → our
//! upsd → our upsmon (primary, MINSUPPLIES 1, NOTIFYCMD a script appending `$NOTIFYTYPE
//! $UPSNAME` to a file, SHUTDOWNCMD a script writing a marker). The mains fail: NOTIFYCMD gets
//! ONBATT; the battery runs low: LOWBATT, then upsmon sets FSD on upsd and runs SHUTDOWNCMD
//! (NUT's upsmon man page, "SHUTDOWN"). States change through the simulator's control lines;
//! every step is awaited with a deadline, no sleeps. Figures are printed with a
//! `qx_power_failure:` prefix.

use std::time::{Duration, Instant};

use nut_testkit::sim::{devices_dir, UpsSim};
use nut_testkit::stack::tail;
use nut_testkit::{wait_until, Impl};
use nut_tests::require_ours;
use nut_tests::serial::SerialStack;
use nut_tests::upsmon::Upsmon;

#[test]
fn mains_failure_then_low_battery_notifies_and_shuts_down() {
    require_ours(Impl::Ours, &["nutdrv_qx", "upsd", "upsmon", "ups-sim"]);
    let t_start = Instant::now();
    let mut sim = UpsSim::start(&devices_dir("qx").join("megatec.qx"));
    let opts = [("protocol".to_string(), Some("megatec".to_string()))];
    let st = SerialStack::start(Impl::Ours, "nutdrv_qx", sim.port(), &opts, &["pollinterval = 1"])
        .unwrap_or_else(|e| panic!("our nutdrv_qx + upsd on the megatec simulator: {e}"));
    let mut c = st.connect().expect("client");
    assert_eq!(c.request("GET VAR q ups.status").expect("GET"), ["VAR q ups.status \"OL\""]);

    let mon = Upsmon::start(st.port());
    // upsmon is in once it has logged in to q.
    let logged_in = wait_until(Duration::from_secs(15), || {
        c.request("GET NUMLOGINS q").is_ok_and(|r| r == ["NUMLOGINS q 1"])
    });
    assert!(logged_in, "our upsmon did not log in to q within 15 s; its log:\n{}", tail(&mon.log(), 20));
    // On line, nothing to say yet (upsmon does not notify the first OL it sees).
    assert!(
        !mon.notes().iter().any(|n| n.starts_with("ONBATT") || n.starts_with("LOWBATT")),
        "notifications before the power failure: {:?}",
        mon.notes()
    );

    // The mains fail.
    sim.control("state onbattery");
    let t_ob = mon.await_note("ONBATT", Duration::from_secs(20), &st, Some(&sim));
    assert_eq!(c.request("GET VAR q ups.status").expect("GET"), ["VAR q ups.status \"OB\""]);
    // (input.voltage follows at the next full poll, every `pollfreq`: quick polls only read
    // the status bits, as in NUT's nutdrv_qx.)
    assert!(mon.marker().is_none(), "SHUTDOWNCMD ran on battery alone (MINSUPPLIES 1 is still met)");

    // The battery runs low: LOWBATT, then the shutdown.
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
    assert_eq!(mon.marker().as_deref(), Some("shutdown\n"));

    // The primary set FSD on upsd before shutting down, and wrote its POWERDOWNFLAG.
    let status = c.request("GET VAR q ups.status").expect("GET");
    assert_eq!(status, ["VAR q ups.status \"FSD OB LB\""], "ups.status after the primary's shutdown");
    assert!(mon.dir().join("killpower").exists(), "upsmon did not write its POWERDOWNFLAG");

    // upsmon announces the shutdown too (NOTIFYCMD runs in a child of its own, so the line
    // may land after the marker). The notifications came in order: ONBATT, LOWBATT, SHUTDOWN.
    let announced = wait_until(Duration::from_secs(5), || {
        mon.notes().iter().any(|n| n.split(' ').next() == Some("SHUTDOWN"))
    });
    let notes = mon.notes();
    assert!(announced, "no SHUTDOWN notification: {notes:?}");
    let pos = |w: &str| notes.iter().position(|n| n.split(' ').next() == Some(w));
    assert!(
        pos("ONBATT") < pos("LOWBATT") && pos("LOWBATT") < pos("SHUTDOWN"),
        "notifications out of order: {notes:?}"
    );
    assert!(!notes.iter().any(|n| n.starts_with("COMMBAD") || n.starts_with("NOCOMM")), "{notes:?}");
    println!(
        "qx_power_failure: ONBATT {:.2} s after the mains failed, LOWBATT {:.2} s after the battery ran low, \
         SHUTDOWNCMD {:.2} s after LOWBATT; notifications {notes:?}; whole test {:.1} s",
        t_ob.as_secs_f64(),
        t_lb.as_secs_f64(),
        t_shut.as_secs_f64(),
        t_start.elapsed().as_secs_f64()
    );
}
