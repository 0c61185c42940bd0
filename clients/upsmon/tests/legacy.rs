//! The legacy role words: `MONITOR ... master|slave` in upsmon.conf and `upsmon master|slave`
//! in upsd.users (NUT before 2.8 spelled primary/secondary that way; NUT 2.8 still accepts
//! them). Debian's upsmon 2.8.0 with those words must work against our upsd exactly as with
//! the new words: the master sets FSD, the slave shuts down first and logs out, the master
//! sees the logout and shuts down with POWERDOWNFLAG. Ours must do the same.

mod common;

use std::time::Duration;

use common::{Impl, MonConf, Stack, Upsmon, ONLINE_DEV};
use nut_testkit::wait_until;

fn master_and_slave(mon_impl: Impl) {
    let stack = Stack::new(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")]);
    let conf = |role: &'static str, user: &'static str| MonConf {
        monitors: vec![("ups1", role, user)],
        host: stack.addr.clone(),
        port: stack.port,
        // A long HOSTSYNC: the master must see the slave's logout, not give up waiting.
        extra: "HOSTSYNC 20\n".into(),
        wrap: Vec::new(),
        flags: String::new(),
    };
    let mut master = Upsmon::start(mon_impl, &conf("master", "oldmaster"));
    let mut slave = Upsmon::start(mon_impl, &conf("slave", "oldslave"));
    // Both logged in (the master counts as one login, the slave as another).
    let logged_in = wait_until(Duration::from_secs(15), || {
        nut_client::Client::connect(&stack.addr, stack.port)
            .and_then(|mut c| c.get_numlogins("ups1"))
            .is_ok_and(|n| n == 2)
    });
    assert!(logged_in, "{mon_impl:?}: both upsmons should log in; upsd log:\n{}", stack.upsd_log());
    stack.set("ups1", "OB DISCHRG LB");
    let done = wait_until(Duration::from_secs(30), || master.shut_down());
    let what = format!("{mon_impl:?} upsmon with master/slave against our upsd");
    assert!(
        done,
        "{what}: the master did not shut down\nmaster log:\n{}\nslave log:\n{}\nupsd log:\n{}",
        master.log(),
        slave.log(),
        stack.upsd_log()
    );
    let (Some(s), Some(m)) = (slave.shutdown_at(), master.shutdown_at()) else {
        panic!("{what}: the slave did not shut down:\n{}", slave.log());
    };
    assert!(s < m, "{what}: the slave must shut down before the master ({s} vs {m})");
    assert!(master.powerdown_flag(), "{what}: the master writes POWERDOWNFLAG");
    // NUT 2.8.0 writes POWERDOWNFLAG on a secondary too (observed; its man page says primary
    // only). Ours does the same so `upsmon -K` answers alike; see the README.
    assert!(slave.powerdown_flag(), "{what}: the slave writes POWERDOWNFLAG as NUT 2.8.0 does");
    // The master learnt of the logout well before HOSTSYNC ran out.
    assert!(m - s < 15_000_000_000, "{what}: the master waited for HOSTSYNC instead of the logout");
    let upsd_log = stack.upsd_log();
    assert!(!upsd_log.contains("denied") && !upsd_log.contains("DENIED"), "{what}: {upsd_log}");
    master.stop();
    slave.stop();
}

#[test]
fn debian_upsmon_master_and_slave_work_against_our_upsd() {
    if !common::debian_available("legacy master/slave") {
        return;
    }
    master_and_slave(Impl::Debian);
}

#[test]
fn our_upsmon_master_and_slave_work_against_our_upsd() {
    if !nut_testkit::require("our upsmon master/slave", nut_testkit::Prereq::Unshare) {
        return;
    }
    master_and_slave(Impl::Ours);
}
