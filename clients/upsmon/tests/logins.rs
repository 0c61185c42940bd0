//! Logins as NUT does them: every MONITOR line logs in, power value 0 ("monitoring only")
//! included, so `GET NUMLOGINS`, `LIST CLIENT`, a refused password and what a primary waits
//! for during HOSTSYNC are the same with Debian's upsmon 2.8.0 and ours, against Debian's
//! upsd and ours (four combinations, run at the same time).

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Impl, MonConf, Stack, Upsmon, ONLINE_DEV};
use nut_testkit::wait_until;

const COMBOS: [(Impl, Impl); 4] = [
    (Impl::Debian, Impl::Debian),
    (Impl::Ours, Impl::Debian),
    (Impl::Ours, Impl::Ours),
    (Impl::Debian, Impl::Ours),
];

/// Runs `f(upsmon, upsd)` for the four combinations in parallel and returns the results in
/// [`COMBOS`] order.
fn all_four<T: Send + 'static>(f: fn(Impl, Impl) -> T) -> Vec<(Impl, Impl, T)> {
    let handles: Vec<_> = COMBOS.iter().map(|&(m, s)| (m, s, std::thread::spawn(move || f(m, s)))).collect();
    handles
        .into_iter()
        .map(|(m, s, h)| match h.join() {
            Ok(t) => (m, s, t),
            Err(e) => std::panic::resume_unwind(e),
        })
        .collect()
}

fn monitor_only(stack: &Stack, password: &str, extra: &str) -> MonConf<'static> {
    MonConf {
        monitors: Vec::new(),
        host: stack.addr.clone(),
        port: stack.port,
        extra: format!(
            "MONITOR ups1@{}:{} 0 sec {password} secondary\nMINSUPPLIES 0\n{extra}",
            stack.addr, stack.port
        ),
        wrap: Vec::new(),
        flags: String::new(),
    }
}

/// What upsd sees of one monitoring-only upsmon, and whether that upsmon still notices a
/// power failure.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    numlogins: Option<u32>,
    clients: Option<Vec<String>>,
    login_refused_logged: bool,
    onbatt_notified: bool,
}

fn observe(mon: Impl, upsd: Impl, password: &'static str) -> Seen {
    let stack = Stack::new(upsd, &[("ups1", ONLINE_DEV, "dev")]);
    let m = Upsmon::start(mon, &monitor_only(&stack, password, ""));
    let refused =
        format!("Login on UPS [ups1@{}:{}] failed - got [ERR ACCESS-DENIED]", stack.addr, stack.port);
    let settled = if password == "pw" {
        wait_until(Duration::from_secs(15), || stack.numlogins("ups1") == Some(1))
    } else {
        wait_until(Duration::from_secs(15), || m.log().contains(&refused))
    };
    let what = format!("{mon:?} upsmon, {upsd:?} upsd");
    assert!(
        settled,
        "{what}: no login and no refusal\nupsmon log:\n{}\nupsd log:\n{}",
        m.log(),
        stack.upsd_log()
    );
    let numlogins = stack.numlogins("ups1");
    let clients = stack.clients("ups1");
    // Logged in or not, the UPS is still watched.
    stack.set("ups1", "OB DISCHRG");
    let onbatt = wait_until(Duration::from_secs(20), || m.notes().iter().any(|(_, n)| n == "ONBATT ups1"));
    Seen { numlogins, clients, login_refused_logged: m.log().contains(&refused), onbatt_notified: onbatt }
}

#[test]
fn a_monitoring_only_line_logs_in_like_nut() {
    if !common::debian_available("monitoring-only logins") {
        return;
    }
    let runs = all_four(|m, s| observe(m, s, "pw"));
    for (m, s, seen) in &runs {
        assert_eq!(
            *seen,
            Seen {
                numlogins: Some(1),
                clients: Some(vec!["127.0.0.1".into()]),
                login_refused_logged: false,
                onbatt_notified: true
            },
            "{m:?} upsmon against {s:?} upsd"
        );
    }
}

#[test]
fn a_wrong_password_on_a_monitoring_only_line_is_reported_and_the_ups_still_watched() {
    if !common::debian_available("monitoring-only logins") {
        return;
    }
    let runs = all_four(|m, s| observe(m, s, "wrong"));
    for (m, s, seen) in &runs {
        assert_eq!(
            *seen,
            Seen {
                numlogins: Some(0),
                clients: Some(Vec::new()),
                login_refused_logged: true,
                onbatt_notified: true
            },
            "{m:?} upsmon against {s:?} upsd"
        );
    }
}

fn now_ns() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

/// A primary and a monitoring-only host on one UPS; the UPS goes OB LB. Returns how long
/// the primary took from then to SHUTDOWNCMD, whether the monitoring-only host notified the
/// FSD the primary set, and whether it shut down.
fn primary_with_watcher(mon: Impl, upsd: Impl, watcher_extra: &str) -> (Duration, bool, bool) {
    let stack = Stack::new(upsd, &[("ups1", ONLINE_DEV, "dev")]);
    let mut pc = MonConf::on(&stack, &[("ups1", "primary")]);
    pc.extra = "HOSTSYNC 8\n".into();
    let mut primary = Upsmon::start(mon, &pc);
    let mut watcher = Upsmon::start(mon, &monitor_only(&stack, "pw", watcher_extra));
    let want = if watcher_extra.is_empty() { 2 } else { 1 };
    let what = format!("{mon:?} upsmons, {upsd:?} upsd");
    assert!(
        wait_until(Duration::from_secs(15), || stack.numlogins("ups1") == Some(want)),
        "{what}: expected {want} logins, upsd says {:?}",
        stack.numlogins("ups1")
    );
    let t0 = now_ns();
    stack.set("ups1", "OB DISCHRG LB");
    assert!(
        wait_until(Duration::from_secs(30), || primary.shut_down()),
        "{what}: the primary never shut down\n{}",
        primary.log()
    );
    let took = Duration::from_nanos(primary.shutdown_at().unwrap_or(t0).saturating_sub(t0) as u64);
    // The monitoring-only host polls every second and saw FSD well before the primary's
    // HOSTSYNC ran out; had it taken FSD for a reason to shut down, it would have then
    // (FINALDELAY 0).
    let saw_fsd =
        wait_until(Duration::from_secs(10), || watcher.notes().iter().any(|(_, n)| n == "FSD ups1"));
    let watcher_down = watcher.shut_down();
    primary.stop();
    watcher.stop();
    (took, saw_fsd, watcher_down)
}

#[test]
fn a_primary_waits_hostsync_for_a_monitoring_only_host_like_nut() {
    if !common::debian_available("HOSTSYNC with a monitoring-only host") {
        return;
    }
    let runs = all_four(|m, s| primary_with_watcher(m, s, ""));
    for (m, s, (took, saw_fsd, watcher_down)) in &runs {
        // FSD is set within a poll or two of OB LB; the monitoring-only host sees FSD but keeps
        // running (MINSUPPLIES 0) and stays logged in, so the primary waits HOSTSYNC (8 s).
        assert!(*took >= Duration::from_secs(8), "{m:?} upsmons, {s:?} upsd: shut down after {took:?}");
        assert!(saw_fsd, "{m:?} upsmons, {s:?} upsd: the monitoring-only host never notified FSD");
        assert!(!watcher_down, "{m:?} upsmons, {s:?} upsd: the monitoring-only host shut down");
    }
}

#[test]
fn login_monitor_only_off_spares_the_primary_the_wait() {
    if !common::debian_available("LOGIN_MONITOR_ONLY") {
        return;
    }
    // Our option (off by default): a monitoring-only line of ours only reads the status. The
    // primary (Debian's or ours) then sees no other login and shuts down at once.
    for upsd in [Impl::Ours, Impl::Debian] {
        let stack = Stack::new(upsd, &[("ups1", ONLINE_DEV, "dev")]);
        let mut pc = MonConf::on(&stack, &[("ups1", "primary")]);
        pc.extra = "HOSTSYNC 8\n".into();
        let mut primary = Upsmon::start(Impl::Debian, &pc);
        let watcher = Upsmon::start(Impl::Ours, &monitor_only(&stack, "pw", "LOGIN_MONITOR_ONLY off\n"));
        assert!(wait_until(Duration::from_secs(15), || stack.numlogins("ups1") == Some(1)));
        // The watcher does read the status.
        stack.set("ups1", "OB DISCHRG");
        assert!(wait_until(Duration::from_secs(10), || watcher
            .notes()
            .iter()
            .any(|(_, n)| n == "ONBATT ups1")));
        assert_eq!(stack.numlogins("ups1"), Some(1), "{upsd:?} upsd: only the primary is logged in");
        let t0 = now_ns();
        stack.set("ups1", "OB DISCHRG LB");
        assert!(wait_until(Duration::from_secs(30), || primary.shut_down()), "{}", primary.log());
        let took = Duration::from_nanos(primary.shutdown_at().unwrap_or(t0).saturating_sub(t0) as u64);
        assert!(took < Duration::from_secs(6), "{upsd:?} upsd: the primary waited {took:?}");
        primary.stop();
    }
}
