//! usbhid-ups's USB options from ups.conf, as nut_usb_addvars(8) and ups.conf(5) of NUT 2.8.5
//! describe them: `LIBUSB_DEBUG` (global or per section) reaches libusb; the `usb_*` options
//! are the driver's (published as its parameters) and are checked with file:line;
//! `usb_hid_ep_out` is checked and kept, as NUT does (usbhid-ups sends reports over the control
//! endpoint).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use nut_testkit::{bin, wait_until, Proc, TempDir};

fn recording() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/nut-hid/tests/data/0463-ffff-eaton-3s-700.hex")
}

fn run(dir: &TempDir, conf: &str, args: &[&str]) -> Output {
    std::fs::write(dir.path().join("ups.conf"), conf).unwrap();
    let mut c = Command::new(bin("usbhid-ups"));
    for k in ["NUT_CONFPATH", "NUT_STATEPATH", "NUT_ALTPIDPATH"] {
        c.env(k, dir.path());
    }
    c.env_remove("LIBUSB_DEBUG").args(["-a", "u", "-u", "root"]).args(args).stdin(Stdio::null());
    // An impossible match: the driver stops after libusb's start-up whatever is plugged in.
    c.output().unwrap()
}

const NO_DEVICE: &str = " port = auto\n vendorid = ffff\n productid = fffe\n";

#[test]
fn libusb_debug_from_ups_conf_reaches_libusb() {
    let dir = TempDir::new().unwrap();
    let err = |o: &Output| String::from_utf8_lossy(&o.stderr).to_string();
    let quiet = run(&dir, &format!("[u]\n driver = usbhid-ups\n{NO_DEVICE}"), &["-F"]);
    assert!(!quiet.status.success());
    assert!(!err(&quiet).contains("libusb: debug"), "{}", err(&quiet));
    let global = run(&dir, &format!("LIBUSB_DEBUG = 4\n[u]\n driver = usbhid-ups\n{NO_DEVICE}"), &["-F"]);
    assert!(err(&global).contains("Enabling LIBUSB_DEBUG=4 from ups.conf"), "{}", err(&global));
    assert!(err(&global).contains("libusb: debug [libusb_init"), "{}", err(&global));
    // The section's value wins over the global one (0: libusb quiet again).
    let section = run(
        &dir,
        &format!("LIBUSB_DEBUG = 4\n[u]\n driver = usbhid-ups\n{NO_DEVICE} LIBUSB_DEBUG = 0\n"),
        &["-F"],
    );
    assert!(err(&section).contains("Enabling LIBUSB_DEBUG=0 from ups.conf"), "{}", err(&section));
    assert!(!err(&section).contains("libusb: debug"), "{}", err(&section));
}

#[test]
fn usb_options_are_checked_with_file_and_line() {
    let dir = TempDir::new().unwrap();
    let hex = recording();
    let base = format!("[u]\n driver = usbhid-ups\n port = {}\n", hex.display());
    let ok =
        run(&dir, &format!("{base} usb_hid_rep_index = 0\n usb_set_altinterface\n"), &["--check-config"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let bad = run(&dir, &format!("{base} usb_config_index = zz\n"), &["--check-config"]);
    let e = String::from_utf8_lossy(&bad.stderr);
    assert!(!bad.status.success());
    assert!(e.contains("ups.conf:4: could not parse usb_config_index = \"zz\""), "{e}");
    // usb_hid_ep_out is checked as NUT checks it (hexadecimal) and accepted: usbhid-ups sends
    // reports over the control endpoint, in NUT as here.
    let ok = run(&dir, &format!("{base} pollonly\n usb_hid_ep_out = 1\n"), &["--check-config"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    let out = run(&dir, &format!("{base} pollonly\n usb_hid_ep_out = 1g\n"), &["--check-config"]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(e.contains("ups.conf:5: could not parse usb_hid_ep_out = \"1g\""), "{e}");
    // The same refusal at start, before the device is touched.
    let out = run(&dir, &format!("{base} usb_hid_ep_out = 1g\n"), &["-F"]);
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && e.contains("ups.conf:4: could not parse usb_hid_ep_out"), "{e}");
}

#[test]
fn usb_options_are_published_as_driver_parameters() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("ups.conf"),
        format!(
            "[u]\n driver = usbhid-ups\n port = {}\n usb_hid_ep_in = 1\n usb_set_altinterface\n",
            recording().display()
        ),
    )
    .unwrap();
    let mut c = Command::new(bin("usbhid-ups"));
    for k in ["NUT_CONFPATH", "NUT_STATEPATH", "NUT_ALTPIDPATH"] {
        c.env(k, dir.path());
    }
    c.args(["-a", "u", "-u", "root", "-F"]).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    let _p = Proc::spawn(c);
    let sock = dir.path().join("usbhid-ups-u");
    assert!(wait_until(Duration::from_secs(15), || sock.exists()));
    let mut dump = String::new();
    assert!(wait_until(Duration::from_secs(15), || {
        dump = dumpall(&sock);
        dump.contains("driver.state \"quiet\"")
    }));
    assert!(dump.contains("SETINFO driver.parameter.usb_hid_ep_in \"1\"\n"), "{dump}");
    assert!(dump.contains("SETINFO driver.flag.usb_set_altinterface \"enabled\"\n"), "{dump}");
}

fn dumpall(sock: &std::path::Path) -> String {
    use std::io::{BufRead, BufReader, Write};
    let Ok(s) = std::os::unix::net::UnixStream::connect(sock) else { return String::new() };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    (&s).write_all(b"DUMPALL\n").unwrap();
    let mut out = String::new();
    for line in BufReader::new(&s).lines() {
        let Ok(line) = line else { break };
        out.push_str(&line);
        out.push('\n');
        if line == "DUMPDONE" {
            break;
        }
    }
    out
}
