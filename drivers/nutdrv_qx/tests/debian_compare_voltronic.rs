//! Our nutdrv_qx against Debian's NUT 2.8.0 one with `protocol = voltronic`: both run `-d 1`
//! on a pty answering with NUT's testing table for that subdriver, and both dumps must be
//! the same, apart from version lines and two documented 2.8.0/2.8.5 differences:
//! - NUT 2.8.5 publishes `battery.voltage` as the device sent it (`026.5`), 2.8.0 formatted
//!   it `%.2f` (compared as numbers);
//! - NUT 2.8.5's start-up guesstimates `battery.voltage.low`/`.high` from the nominal voltage
//!   whenever one of them is missing (here `.high`), where 2.8.0 only did so when the device
//!   gave no charge or runtime: 2.8.5 publishes `battery.voltage.low: 20.80` and
//!   `battery.voltage.high: 26.00` where 2.8.0 keeps the device's `20.0`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::{bin, debian_bin, require_debian_nut, Proc};

const TRANSCRIPT: &str = "/work/shared/testdata/qx-transcripts/nut-testing-tables/voltronic.txt";

fn dump(exe: &Path, dir: &Path) -> Vec<(String, String)> {
    let out = Command::new("timeout")
        .arg("60")
        .arg(exe)
        .args(["-a", "q", "-u", "root", "-d", "1"])
        .env("NUT_CONFPATH", dir)
        .env("NUT_STATEPATH", dir.join("state"))
        .output()
        .expect("run driver");
    assert!(out.status.success(), "{} -d 1 failed: {}", exe.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(": "))
        .filter(|(k, _)| !k.starts_with("driver.version") && !matches!(*k, "driver.state" | "driver.debug"))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn voltronic_dump_matches_debian() {
    if !require_debian_nut("voltronic_dump_matches_debian") {
        return;
    }
    if !Path::new(TRANSCRIPT).exists() {
        eprintln!("SKIPPED voltronic_dump_matches_debian: {TRANSCRIPT} missing (shared transcripts not on this machine)");
        return;
    }
    let Some(theirs) = debian_bin("nutdrv_qx") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("state")).expect("state dir");
    let link = dir.path().join("tty");
    let mut cmd = Command::new("python3");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pty_responder.py")).arg(TRANSCRIPT).arg(&link);
    cmd.stdout(Stdio::piped());
    let mut sim = Proc::spawn(cmd);
    let mut ready = String::new();
    let stdout = sim.child_mut().stdout.take().expect("responder stdout");
    BufReader::new(stdout).read_line(&mut ready).expect("responder ready line");
    assert_eq!(ready.trim(), "ready");
    std::fs::write(
        dir.path().join("ups.conf"),
        format!("[q]\n driver = nutdrv_qx\n port = {}\n protocol = voltronic\n", link.display()),
    )
    .expect("ups.conf");
    let mut want = dump(&theirs, dir.path());
    let got = dump(&bin("nutdrv_qx"), dir.path());
    sim.terminate(Duration::from_secs(5));
    assert!(want.len() > 50, "Debian's nutdrv_qx published too little: {want:?}");
    // The 2.8.5 battery guesstimation (see the file's comment).
    for (k, v) in want.iter_mut() {
        if k == "battery.voltage.low" {
            assert_eq!(v, "20.0", "2.8.0 keeps the device's low battery voltage");
            *v = "20.80".into();
        }
    }
    want.push(("battery.voltage.high".into(), "26.00".into()));
    want.sort();
    let keys = |v: &[(String, String)]| v.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    let mut got_sorted = got.clone();
    got_sorted.sort();
    assert_eq!(keys(&got_sorted), keys(&want), "variables");
    for ((k, g), (_, w)) in got_sorted.iter().zip(&want) {
        if k == "battery.voltage" {
            assert_eq!(g.parse::<f64>().ok(), w.parse::<f64>().ok(), "{k}");
        } else {
            assert_eq!(g, w, "{k}");
        }
    }
}
