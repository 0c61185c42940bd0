//! End to end: the replayed Eaton 3S (`port = <recording>.hex` in ups.conf) served by our
//! usbhid-ups, through upsd, read with Debian's `upsc`, shows the variables of the matching
//! nut-ddl dump.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::{bin, free_port, require_debian_nut, wait_until, Proc, TempDir};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/nut-hid/tests/data").join(name)
}

/// The nut-ddl dump of an Eaton 3S 550, copied into `tests/data` (see SOURCES.md there).
const DDL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/Eaton__3S_550__usbhid-ups__2.6.5__01.dev");

fn ddl_dump() -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(DDL).ok()?;
    Some(
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(": "))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

fn nut_cmd(program: &Path, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.env("NUT_CONFPATH", dir).env("NUT_STATEPATH", dir).env("NUT_ALTPIDPATH", dir);
    c.stdout(Stdio::null()).stderr(Stdio::null());
    c
}

fn upsc(port: u16) -> Option<BTreeMap<String, String>> {
    let out = Command::new("/usr/bin/upsc").arg(format!("eaton@127.0.0.1:{port}")).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    Some(text.lines().filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.into(), v.into())).collect())
}

/// Start our upsd and wait for data from the driver.
fn start_upsd(dir: &Path, port: u16) -> (Proc, &'static str, BTreeMap<String, String>) {
    let candidates: Vec<(PathBuf, &'static str)> = vec![(bin("upsd"), "our")];
    for (program, label) in candidates {
        let mut cmd = nut_cmd(&program, dir);
        cmd.args(["-u", "root", "-F"]);
        let mut p = Proc::spawn(cmd);
        let mut vars = None;
        let ok = wait_until(Duration::from_secs(8), || {
            vars = upsc(port).filter(|v| v.contains_key("battery.charge"));
            vars.is_some() || !p.is_running()
        });
        if let (true, Some(v)) = (ok, vars) {
            return (p, label, v);
        }
        eprintln!(
            "NOTICE: {label} upsd ({}) does not serve data yet; trying the next one",
            program.display()
        );
    }
    panic!("no upsd served the replayed UPS: see the driver and upsd output with -DD");
}

#[test]
fn replayed_eaton_3s_through_upsd_shows_the_ddl_variables() {
    if !require_debian_nut("replayed_eaton_3s_through_upsd_shows_the_ddl_variables") {
        return;
    }
    let Some(ddl) = ddl_dump() else {
        nut_testkit::skip(
            "replayed_eaton_3s_through_upsd",
            &format!("{DDL} is not available"),
            nut_testkit::Prereq::NutDdl,
        );
        return;
    };
    let dir = TempDir::new().expect("temp dir");
    let port = free_port();
    let hex = data("0463-ffff-eaton-3s-700.hex");
    std::fs::write(
        dir.path().join("ups.conf"),
        format!("[eaton]\n\tdriver = usbhid-ups\n\tport = {}\n", hex.display()),
    )
    .expect("ups.conf");
    std::fs::write(
        dir.path().join("upsd.conf"),
        format!("LISTEN 127.0.0.1 {port}\nSTATEPATH {}\n", dir.path().display()),
    )
    .expect("upsd.conf");
    std::fs::write(dir.path().join("upsd.users"), "[admin]\n\tpassword = adminpw\n\tactions = SET\n")
        .expect("upsd.users");

    let mut drv = nut_cmd(&bin("usbhid-ups"), dir.path());
    drv.args(["-a", "eaton", "-u", "root", "-F"]);
    let mut driver = Proc::spawn(drv);
    let sock = dir.path().join("usbhid-ups-eaton");
    assert!(
        wait_until(Duration::from_secs(10), || sock.exists() || !driver.is_running()) && sock.exists(),
        "usbhid-ups did not create {}",
        sock.display()
    );
    let (_upsd, which, got) = start_upsd(dir.path(), port);
    eprintln!("upsd used: {which}");

    // Every variable of the dump that comes from the device: all but the driver's version
    // strings (another NUT version) and its start-up parameters, and outlet.2.* (the recorded
    // unit is a 3S 700 whose descriptor has two outlets, the dumped 3S 550 has three).
    let mut missing = Vec::new();
    for k in ddl.keys() {
        let from_device = !k.starts_with("driver.version")
            && !k.starts_with("outlet.2.")
            && !matches!(k.as_str(), "driver.parameter.port" | "driver.parameter.pollinterval");
        if from_device && !got.contains_key(k) {
            missing.push(k.clone());
        }
    }
    assert!(missing.is_empty(), "upsc lacks {missing:?}; it shows {got:#?}");

    // Values the two units share (identity, status, settings at their defaults).
    for k in [
        "battery.charge",
        "battery.charge.low",
        "battery.type",
        "device.mfr",
        "device.model",
        "device.serial",
        "device.type",
        "driver.name",
        "driver.parameter.pollfreq",
        "outlet.1.desc",
        "outlet.1.status",
        "outlet.desc",
        "ups.delay.shutdown",
        "ups.delay.start",
        "ups.firmware",
        "ups.mfr",
        "ups.model",
        "ups.productid",
        "ups.serial",
        "ups.timer.shutdown",
        "ups.timer.start",
        "ups.vendorid",
    ] {
        assert_eq!(got.get(k), ddl.get(k), "{k}");
    }
    // The dump (NUT 2.6.5) says "OL CHRG" at 100 % charge; NUT 2.8.5 only believes Charging
    // below 100 % when the UPS reports neither FullyCharged nor its absence, as this one.
    assert_eq!(ddl.get("ups.status").map(String::as_str), Some("OL CHRG"));
    assert_eq!(got.get("ups.status").map(String::as_str), Some("OL"));
    // Values that differ by model come from the 3S 700's reports, decoded as NUT decoded them.
    for (k, v) in [
        ("ups.power.nominal", "700"),
        ("output.voltage", "230.0"),
        ("output.voltage.nominal", "230"),
        ("output.frequency.nominal", "50"),
        ("battery.runtime", "3360"),
        ("ups.load", "5"),
    ] {
        assert_eq!(got.get(k).map(String::as_str), Some(v), "{k}");
    }
    drop(driver);
}
