//! A program using the client library while upsd is killed (kill -9) and restarted on the same
//! port: requests on the old connection fail at once with an error that says upsd closed the
//! connection (never a hang, never a stale answer), connecting while upsd is down says the
//! connection was refused, and a new connection works once upsd is back. Runs our upsd and
//! our dummy-ups (the load and fault suite is `tests/tests/load_fault.rs`).

use std::time::{Duration, Instant};

use nut_client::{Client, Error};
use nut_testkit::stack::{Impl, Stack, UpsSpec};
use nut_testkit::wait_until;

#[test]
fn kill_9_of_upsd_gives_a_clear_error_and_a_new_connection_works_after_restart() {
    let mut st = Stack::builder()
        .upsd(Impl::Ours)
        .file("ups1.dev", b"ups.status: OL\nbattery.charge: 77\n")
        .ups(UpsSpec::dummy_ups("ups1", "ups1.dev", Impl::Ours))
        .start()
        .unwrap_or_else(|e| panic!("our upsd + dummy-ups: {e}"));
    let port = st.port();
    let mut c = Client::connect("127.0.0.1", port).expect("connect");
    c.set_timeout(Some(Duration::from_secs(5))).expect("timeout");
    assert_eq!(c.get_var("ups1", "battery.charge").expect("GET VAR"), "77");

    let pid = st.upsd_pid().expect("upsd pid");
    // SAFETY: kill(2) on the PID of the stack's own upsd.
    unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
    assert!(wait_until(Duration::from_secs(5), || !st.upsd_alive()), "upsd survived kill -9");

    // The old connection: a prompt, clear error.
    let t0 = Instant::now();
    let e = c.get_var("ups1", "battery.charge").expect_err("a request to a killed upsd succeeded");
    let took = t0.elapsed();
    assert!(took < Duration::from_secs(2), "the request waited {took:?} for a killed upsd");
    assert!(
        matches!(e, Error::Disconnected { .. } | Error::Send { .. } | Error::Recv { .. }),
        "unexpected error kind: {e:?}"
    );
    let msg = e.to_string();
    eprintln!("nut-client after kill -9 of upsd ({took:?}): {msg}");
    assert!(msg.contains(&format!("127.0.0.1:{port}")), "the error does not name upsd's address: {msg}");
    assert!(e.code().is_none(), "a lost connection is not an ERR from upsd: {e:?}");
    assert!(msg.contains("stopped or restarted"), "the error does not suggest upsd stopped: {msg}");

    // Connecting while upsd is down: refused, with the hint to check upsd.
    let e = Client::connect("127.0.0.1", port).expect_err("connected to a killed upsd");
    let msg = e.to_string();
    assert!(msg.contains("refused") && msg.contains("is upsd running"), "connect error: {msg}");

    // upsd is back on the same port: a new connection works.
    st.start_upsd().unwrap_or_else(|e| panic!("restart upsd: {e}"));
    st.wait_data().unwrap_or_else(|e| panic!("data after the restart: {e}"));
    let mut c = Client::connect("127.0.0.1", port).expect("connect after the restart");
    assert_eq!(c.get_var("ups1", "battery.charge").expect("GET VAR after the restart"), "77");
}
