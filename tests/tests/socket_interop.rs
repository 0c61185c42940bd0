//! Acceptance test 2: the driver socket protocol interoperates both ways. Debian's dummy-ups
//! under our upsd, and our dummy-ups under Debian's upsd, must look to Debian's clients exactly
//! like the all-Debian stack (`upsc` list and every single variable, `upsrw -l`, `upscmd -l`,
//! an unknown variable), for the device fixtures in `tests/devices/` plus a deterministic
//! sample of the nut-ddl dumps (every 60th file) when that directory is present.
//!
//! `NUT_COMPAT_CANDIDATE=debian` makes "ours" Debian too, which checks the harness.

use std::path::PathBuf;

use nut_testkit::{require_debian_nut, Impl, Stack};
use nut_tests::{candidate, client_views, compare_views, ddl_dir, dev_files, repo_root, require_ours};

fn devices() -> Vec<PathBuf> {
    let mut v = dev_files(&repo_root().join("tests/devices"));
    if let Some(d) = ddl_dir() {
        v.extend(dev_files(&d).into_iter().step_by(60));
    }
    v
}

fn run_mix(label: &str, drv: Impl, upsd: Impl) {
    let devs = devices();
    let build = |drv: Impl, upsd: Impl| {
        let mut b = Stack::builder().upsd(upsd);
        for (i, d) in devs.iter().enumerate() {
            b = b.dummy(&format!("dev{i:02}"), d, drv).desc(&format!("fixture {i}"));
        }
        b.start()
    };
    let t0 = std::time::Instant::now();
    let reference = build(Impl::Debian, Impl::Debian).unwrap_or_else(|e| panic!("all-Debian stack: {e}"));
    let mixed = build(drv, upsd).unwrap_or_else(|e| panic!("{label} stack: {e}"));
    let mut bad = Vec::new();
    for (i, d) in devs.iter().enumerate() {
        let ups = format!("dev{i:02}");
        let a = client_views(&reference, &ups, None);
        let b = client_views(&mixed, &ups, None);
        for m in compare_views(&a, &b) {
            bad.push(format!("== {ups} ({}): {m}", d.display()));
        }
    }
    // LIST UPS goes through the same path for every UPS: compare it once via upsc -l / -L.
    for args in [["-l"], ["-L"]] {
        let host = format!("127.0.0.1:{}", reference.port());
        let a =
            reference.run("/usr/bin/upsc".as_ref(), &[args[0], &host], std::time::Duration::from_secs(30));
        let host = format!("127.0.0.1:{}", mixed.port());
        let b = mixed.run("/usr/bin/upsc".as_ref(), &[args[0], &host], std::time::Duration::from_secs(30));
        if let Some(why) = nut_tests::judge(nut_tests::Expect::Lines, &a, &b) {
            bad.push(format!("== upsc {}\n{why}", args[0]));
        }
    }
    eprintln!("socket_interop {label}: {} UPSes compared in {:.1?}", devs.len(), t0.elapsed());
    assert!(
        bad.is_empty(),
        "{label}: {} differing client runs against all-Debian. First ones:\n{}",
        bad.len(),
        bad.iter().take(5).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn debian_dummy_ups_under_our_upsd() {
    if !require_debian_nut("socket_interop") {
        return;
    }
    let c = candidate();
    require_ours(c, &["upsd"]);
    run_mix("Debian dummy-ups + our upsd", Impl::Debian, c);
}

#[test]
fn our_dummy_ups_under_debian_upsd() {
    if !require_debian_nut("socket_interop") {
        return;
    }
    let c = candidate();
    require_ours(c, &["dummy-ups"]);
    run_mix("our dummy-ups + Debian upsd", c, Impl::Debian);
}
