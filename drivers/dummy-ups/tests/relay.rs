//! Repeater mode end to end: a source dummy-ups behind our upsd, a relay dummy-ups with
//! `port = src@127.0.0.1:<port>` behind a second upsd of ours, and `upsc` on the relay.
//!
//! The relay shows the source's variables, follows a change of the source's `.dev` file, goes
//! stale when the source upsd dies and recovers when it comes back.
//!
//! On the outage we deliberately differ from NUT 2.8.0: Debian's repeater, with its source upsd
//! stopped (or the source driver gone), keeps serving the last values as fresh for as long as
//! the outage lasts (checked for 40 s: `upsc` still says OL, the driver only logs "Error
//! reconnecting" at debug level). A relay that freezes on OL hides a power failure from the
//! upsmon watching it, so ours marks the data stale and upsd answers ERR DATA-STALE.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use nut_testkit::stack::{Impl, Stack, UpsSpec};
use nut_testkit::{bin, wait_until};

const SRC_DEV: &str = "ups.status: OL\nbattery.charge: 90\nups.mfr: Acme\nups.model: Relay Test\n";

/// `upsc <target> [var]` on our upsc; stdout on success, the error text otherwise.
fn upsc(stack: &Stack, target: &str, var: Option<&str>) -> Result<String, String> {
    let mut args = vec![target];
    args.extend(var);
    let out = stack.run(&bin("upsc"), &args, Duration::from_secs(10))?;
    if out.code == 0 {
        Ok(out.out())
    } else {
        Err(format!("exit {}: {}{}", out.code, out.out(), out.err()))
    }
}

/// The relay's answer to `GET VAR relay ups.status`, as one line.
fn relay_status(relay: &Stack) -> String {
    match relay.connect().and_then(|mut c| c.request("GET VAR relay ups.status")) {
        Ok(lines) => lines.join(" | "),
        Err(e) => format!("connection error: {e}"),
    }
}

#[test]
fn relay_follows_the_source_goes_stale_and_recovers() {
    let mut src_spec = UpsSpec::dummy_ups("src", "src.dev", Impl::Ours);
    src_spec.extra.push("pollinterval = 1".into());
    let mut src = Stack::builder()
        .file("src.dev", SRC_DEV.as_bytes())
        .ups(src_spec)
        .upsd(Impl::Ours)
        .start()
        .expect("source stack (our dummy-ups and upsd) starts");

    let mut relay_spec = UpsSpec::dummy_ups("relay", &format!("src@127.0.0.1:{}", src.port()), Impl::Ours);
    relay_spec.extra.push("pollinterval = 1".into());
    let relay = Stack::builder()
        .ups(relay_spec)
        .upsd(Impl::Ours)
        .start()
        .expect("relay stack (our dummy-ups in repeater mode and upsd) starts");
    let target = relay.target("relay");

    // The source's variables, and the relay's own driver.* ones.
    let all = upsc(&relay, &target, None).expect("upsc on the relay");
    for line in [
        "battery.charge: 90",
        "ups.mfr: Acme",
        "ups.model: Relay Test",
        "ups.status: OL",
        "driver.name: dummy-ups",
        "driver.parameter.mode: repeater",
    ] {
        assert!(all.lines().any(|l| l == line), "relay lacks {line:?}:\n{all}");
    }
    let port_line = format!("driver.parameter.port: src@127.0.0.1:{}", src.port());
    assert!(all.lines().any(|l| l == port_line), "relay lacks {port_line:?}:\n{all}");

    // A change of the source's .dev file reaches the relay.
    std::fs::write(src.dir().join("src.dev"), SRC_DEV.replace("OL", "OB")).unwrap();
    let mut last = String::new();
    assert!(
        wait_until(Duration::from_secs(20), || {
            last = upsc(&relay, &target, Some("ups.status")).unwrap_or_else(|e| e);
            last.trim() == "OB"
        }),
        "relay did not follow OL -> OB; last upsc output: {last}\nrelay driver log:\n{}",
        relay.driver_log("relay")
    );

    // The source upsd dies: the relay's data goes stale.
    let pid = src.upsd_pid().expect("source upsd pid");
    // SAFETY: kill(2) on the PID of the upsd this test started.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    assert!(wait_until(Duration::from_secs(10), || !src.upsd_alive()), "source upsd did not stop");
    assert!(
        wait_until(Duration::from_secs(20), || {
            last = relay_status(&relay);
            last == "ERR DATA-STALE"
        }),
        "relay did not go stale after its source upsd stopped; last reply: {last}\nrelay driver log:\n{}",
        relay.driver_log("relay")
    );
    let err = upsc(&relay, &target, Some("ups.status")).expect_err("upsc fails on stale data");
    assert!(err.contains("Data stale"), "{err}");

    // The source upsd comes back: the relay reconnects and serves fresh data again.
    src.start_upsd().expect("source upsd restarts");
    assert!(
        wait_until(Duration::from_secs(20), || {
            last = relay_status(&relay);
            last == "VAR relay ups.status \"OB\""
        }),
        "relay did not recover after its source upsd came back; last reply: {last}\nrelay driver log:\n{}",
        relay.driver_log("relay")
    );

    // The outage is logged once, naming the source, however many polls it lasted; and the
    // recovery is logged.
    let log = relay.driver_log("relay");
    let source = format!("src@127.0.0.1:{}", src.port());
    assert_eq!(log.matches("can't read the source UPS").count(), 1, "{log}");
    assert!(log.contains(&format!("{source}: can't read the source UPS")), "{log}");
    assert!(log.contains(&format!("{source}: reading the source UPS again")), "{log}");
}
