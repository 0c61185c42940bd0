//! upsmon.conf's TLS settings against our upsd with a certificate from `nut-tls-setup`:
//! CERTPATH + CERTVERIFY + FORCESSL work end to end; FORCESSL refuses a upsd without TLS;
//! a certificate from another CA is refused with a log line that says so. Also `-4`/`-6`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Impl, MonConf, Stack, Upsmon, ONLINE_DEV};
use nut_testkit::{wait_until, TempDir};

/// A CA and upsd certificate for 127.0.0.1 in `dir`: (ca.pem, upsd.pem).
fn certificates(dir: &Path) -> (PathBuf, PathBuf) {
    let out = Command::new(nut_testkit::bin("nut-tls-setup"))
        .args(["--dir", &dir.display().to_string(), "--host", "127.0.0.1", "--host", "localhost"])
        .output()
        .expect("run nut-tls-setup");
    assert!(out.status.success(), "nut-tls-setup: {}", String::from_utf8_lossy(&out.stderr));
    (dir.join("ca.pem"), dir.join("upsd.pem"))
}

fn tls_stack(certfile: Option<&Path>) -> Stack {
    let extra = certfile.map(|c| format!("CERTFILE {}\n", c.display())).unwrap_or_default();
    Stack::new_full(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")], "127.0.0.1", &[], &extra)
}

fn tls_upsmon(stack: &Stack, ca: &Path) -> Upsmon {
    let mut mc = MonConf::on(stack, &[("ups1", "primary")]);
    mc.extra = format!("CERTPATH {}\nCERTVERIFY 1\nFORCESSL 1\n", ca.display());
    Upsmon::start(Impl::Ours, &mc)
}

fn logins(stack: &Stack) -> Option<u32> {
    nut_client::Client::connect(&stack.addr, stack.port).and_then(|mut c| c.get_numlogins("ups1")).ok()
}

#[test]
fn verified_tls_with_forcessl_monitors_normally() {
    let certs = TempDir::new().expect("temp dir");
    let (ca, upsd_pem) = certificates(certs.path());
    let stack = tls_stack(Some(&upsd_pem));
    let mon = tls_upsmon(&stack, &ca);
    assert!(
        wait_until(Duration::from_secs(10), || logins(&stack) == Some(1)),
        "upsmon did not log in over TLS:\n{}\nupsd:\n{}",
        mon.log(),
        stack.upsd_log()
    );
    stack.set("ups1", "OB DISCHRG");
    assert!(
        wait_until(Duration::from_secs(10), || mon.notes().iter().any(|(_, n)| n == "ONBATT ups1")),
        "no ONBATT over TLS:\n{}",
        mon.log()
    );
}

#[test]
fn forcessl_refuses_a_upsd_without_tls() {
    let certs = TempDir::new().expect("temp dir");
    let (ca, _) = certificates(certs.path());
    let stack = tls_stack(None);
    let mon = tls_upsmon(&stack, &ca);
    assert!(
        wait_until(Duration::from_secs(10), || mon.log().contains("SSL")),
        "upsmon should log why it does not talk to a plain-text upsd:\n{}",
        mon.log()
    );
    assert_eq!(logins(&stack), Some(0), "no login in plain text under FORCESSL");
}

#[test]
fn a_certificate_from_another_ca_is_refused() {
    let (a, b) = (TempDir::new().expect("temp dir"), TempDir::new().expect("temp dir"));
    let (_, upsd_pem) = certificates(a.path());
    let (other_ca, _) = certificates(b.path());
    let stack = tls_stack(Some(&upsd_pem));
    let mon = tls_upsmon(&stack, &other_ca);
    assert!(
        wait_until(Duration::from_secs(10), || mon.log().contains("SSL error")),
        "upsmon should log the refused certificate:\n{}",
        mon.log()
    );
    assert_eq!(logins(&stack), Some(0), "no login with an unverified upsd");
}

/// `-4`/`-6` restrict the address family, as NUT's do: against a upsd on 127.0.0.1, `-6`
/// cannot connect and says why, `-4` works.
#[test]
fn dash_4_and_dash_6_pick_the_address_family() {
    let stack = Stack::new(Impl::Ours, &[("ups1", ONLINE_DEV, "dev")]);
    let mut mc = MonConf::on(&stack, &[("ups1", "primary")]);
    mc.flags = "-6".into();
    let v6 = Upsmon::start(Impl::Ours, &mc);
    assert!(
        wait_until(Duration::from_secs(10), || v6.log().contains("has no IPv6 (upsmon -6) address")),
        "{}",
        v6.log()
    );
    mc.flags = "-4".into();
    let _v4 = Upsmon::start(Impl::Ours, &mc);
    assert!(wait_until(Duration::from_secs(10), || logins(&stack) == Some(1)), "-4 logs in over IPv4");
}
