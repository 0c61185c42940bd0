//! The whole stack under a real systemd (issue 11, acceptance 2): `tests/systemd/boot-stack.sh`
//! boots systemd 252 in a `systemd-nspawn` container over a copy-on-write overlay of this
//! machine's root (nothing on the host changes; the container has its own loopback), installs
//! the package with `apt-get install ./nut-rs_*.deb` (which removes Debian's nut-server and
//! nut-client there), configures three dummy-ups UPSes, and checks:
//!
//! - `systemctl start nut.target` gives one `nut-driver@` instance per ups.conf section (made
//!   by nut-driver-enumerator), upsd and upsmon active as `Type=notify` units (so systemd got
//!   READY), `upsc` answering for every UPS and upsmon logged in;
//! - after `systemctl restart` of nut-server, nut-monitor, two driver instances,
//!   nut-driver.target and nut.target, every UPS is served again and upsmon is back;
//! - `systemctl reload nut-server` keeps it active and serving;
//! - adding a section to ups.conf starts its instance (the path unit re-runs the enumerator)
//!   and upsd serves it; removing one stops its instance;
//! - `systemctl stop nut.target` stops upsd.
//!
//! The package comes from `scripts/build-deb.sh` (release build), or `NUT_DEB`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::{require, workspace_root, Prereq};

#[test]
fn the_stack_runs_from_its_units_under_a_real_systemd() {
    if !require("systemd_boot::stack", Prereq::Nspawn) || !require("systemd_boot::stack", Prereq::DpkgDev) {
        return;
    }
    // Its own output directory: another test may be building the package at the same time.
    let out_dir = nut_testkit::TempDir::new().expect("tempdir");
    let deb = match std::env::var_os("NUT_DEB") {
        Some(p) => PathBuf::from(p),
        None => {
            let out = Command::new(workspace_root().join("scripts/build-deb.sh"))
                .args(["--profile", "release", "--out"])
                .arg(out_dir.path())
                .stdin(Stdio::null())
                .output()
                .expect("run scripts/build-deb.sh");
            assert!(out.status.success(), "build-deb.sh failed:\n{}", String::from_utf8_lossy(&out.stderr));
            PathBuf::from(String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().trim())
        }
    };
    assert!(deb.is_file(), "no package at {}", deb.display());
    let log = std::env::temp_dir().join(format!("nut-boot-stack-{}.log", std::process::id()));
    let mut child = Command::new(workspace_root().join("tests/systemd/boot-stack.sh"))
        .arg(&deb)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).expect("log file"))
        .stderr(Stdio::from(std::fs::File::options().append(true).open(&log).expect("log file")))
        .spawn()
        .expect("run tests/systemd/boot-stack.sh");
    // The script stops the container and unmounts everything itself, also on failure.
    let done = nut_testkit::wait_until(Duration::from_secs(600), || matches!(child.try_wait(), Ok(Some(_))));
    if !done {
        let _ = Command::new("kill").arg(child.id().to_string()).status();
        let _ = child.wait();
    }
    let status = child.wait().expect("wait for boot-stack.sh");
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    eprintln!("{output}");
    assert!(done, "boot-stack.sh did not finish within 10 minutes");
    assert!(
        status.success() && output.trim_end().ends_with("PASS"),
        "the stack under systemd failed ({status}):\n{output}"
    );
}
