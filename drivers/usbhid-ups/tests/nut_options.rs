//! Acceptance (issue 9, item 2): a ups.conf section carrying every option NUT 2.8.5's
//! usbhid-ups declares starts the driver on a replayed UPS and passes `--check-config`; an
//! option NUT does not know is still refused with file:line.
//!
//! The list is NUT's, from tag v2.8.5: `upsdrv_makevartable()` in `drivers/usbhid-ups.c`
//! (lines 1301-1370, the USB build; `notification` is only declared in the SHUT build, which
//! is mge-shut) and `nut_usb_addvars()` in `drivers/libusb1.c` (lines 63-107).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use nut_testkit::{bin, wait_until, Proc, TempDir};

/// Every option of NUT 2.8.5's usbhid-ups (USB build), with a valid value (`None`: a flag).
const NUT_2_8_5_OPTIONS: &[(&str, Option<&str>)] = &[
    // drivers/usbhid-ups.c upsdrv_makevartable()
    ("lowbatt", Some("35")),
    ("offdelay", Some("40")),
    ("ondelay", Some("50")),
    ("pollfreq", Some("25")),
    ("pollonly", None),
    ("interrupt_pipe_no_events_tolerance", Some("5")),
    ("onlinedischarge", None),
    ("onlinedischarge_onbattery", None),
    ("onlinedischarge_calibration", None),
    ("onlinedischarge_log_throttle_sec", Some("60")),
    ("onlinedischarge_log_throttle_hovercharge", Some("95")),
    ("lbrb_log_delay_sec", Some("4")),
    ("lbrb_log_delay_without_calibrating", None),
    ("disable_fix_report_desc", None),
    ("powercom_sdcmd_byte_order_fallback", None),
    ("powercom_sdcmd_discrete_delay", None),
    ("subdriver", Some("MGE")),
    ("winhid", None),
    // drivers/libusb1.c nut_usb_addvars()
    ("vendor", Some("EATON")),
    ("product", Some(".*")),
    ("serial", Some(".*")),
    ("vendorid", Some("0463")),
    ("productid", Some("ffff")),
    ("bus", Some(".*")),
    ("device", Some(".*")),
    ("busport", Some(".*")),
    ("allow_duplicates", None),
    ("usb_set_altinterface", Some("0")),
    ("usb_config_index", Some("0")),
    ("usb_hid_rep_index", Some("0")),
    ("usb_hid_desc_index", Some("0")),
    ("usb_hid_ep_in", Some("1")),
    ("usb_hid_ep_out", Some("2")),
    // drivers/usbhid-ups.c, continued
    ("explore", None),
    ("maxreport", None),
    ("interruptonly", None),
    ("interruptsize", Some("8")),
    ("waitbeforereconnect", Some("3")),
];

fn recording() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../crates/nut-hid/tests/data/0463-ffff-eaton-3s-700.hex")
}

fn section(extra: &str) -> String {
    let mut s = format!("[ups]\n\tdriver = usbhid-ups\n\tport = {}\n", recording().display());
    for (k, v) in NUT_2_8_5_OPTIONS {
        match v {
            Some(v) => s.push_str(&format!("\t{k} = \"{v}\"\n")),
            None => s.push_str(&format!("\t{k}\n")),
        }
    }
    s.push_str(extra);
    s
}

fn driver(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(bin("usbhid-ups"));
    for k in ["NUT_CONFPATH", "NUT_STATEPATH", "NUT_ALTPIDPATH"] {
        c.env(k, dir);
    }
    c.env_remove("NUT_DEBUG_LEVEL").args(["-a", "ups", "-u", "root"]).args(args).stdin(Stdio::null());
    c
}

fn run(dir: &Path, conf: &str, args: &[&str]) -> Output {
    std::fs::write(dir.join("ups.conf"), conf).unwrap();
    driver(dir, args).output().unwrap()
}

fn dumpall(sock: &Path) -> String {
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

#[test]
fn every_nut_2_8_5_option_passes_check_config() {
    let dir = TempDir::new().unwrap();
    let out = run(dir.path(), &section(""), &["--check-config"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("checked: no errors"), "{err}");
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn every_nut_2_8_5_option_starts_the_driver_and_is_acted_on() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("ups.conf"), section("")).unwrap();
    let log = dir.path().join("driver.log");
    let mut c = driver(dir.path(), &["-F"]);
    c.stdout(Stdio::null()).stderr(std::fs::File::create(&log).unwrap());
    let mut p = Proc::spawn(c);
    let sock = dir.path().join("usbhid-ups-ups");
    let mut dump = String::new();
    let up = wait_until(Duration::from_secs(20), || {
        dump = dumpall(&sock);
        dump.contains("driver.state \"quiet\"") || !p.is_running()
    });
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(up && p.is_running(), "the driver did not start: {text}");
    for (k, v) in NUT_2_8_5_OPTIONS {
        let want = match v {
            Some(v) => format!("SETINFO driver.parameter.{k} \"{v}\"\n"),
            None => format!("SETINFO driver.flag.{k} \"enabled\"\n"),
        };
        assert!(dump.contains(&want), "{want}in {dump}");
    }
    // subdriver = MGE wins over explore (NUT matches the name first).
    assert!(dump.contains("SETINFO driver.version.data \"MGE HID"), "{dump}");
    // lowbatt is published as battery.charge.low; offdelay/ondelay as the delays.
    assert!(dump.contains("SETINFO battery.charge.low \"35\"\n"), "{dump}");
    assert!(dump.contains("SETINFO ups.delay.shutdown \"40\"\n"), "{dump}");
    assert!(dump.contains("SETINFO ups.delay.start \"50\"\n"), "{dump}");
    // winhid is NUT's Windows backend: warned about and ignored here, as on NUT's Linux builds;
    // pollonly with interruptonly: polling wins, said at start.
    assert!(text.contains("winhid is only supported on WIN32 builds; ignoring option"), "{text}");
    assert!(text.contains("pollonly and interruptonly exclude each other"), "{text}");
    drop(p);
}

#[test]
fn an_option_nut_does_not_know_is_refused_with_its_line() {
    let dir = TempDir::new().unwrap();
    let conf = section("\tnosuchoption = 1\n");
    let line = conf.lines().count();
    for args in [&["--check-config"][..], &["-F"][..]] {
        let out = run(dir.path(), &conf, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{err}");
        assert!(err.contains("'nosuchoption' is not a valid variable for this driver"), "{err}");
        assert!(err.contains(&format!("line {line} of ups.conf")), "{err}");
    }
    // mge-shut's `notification` is not usbhid-ups's (NUT declares it in the SHUT build only).
    let conf = section("\tnotification = 1\n");
    let out = run(dir.path(), &conf, &["--check-config"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("notification"), "{err}");
    // A known option with a value NUT would not take is refused with its line too.
    let conf = section("\tonlinedischarge_log_throttle_hovercharge = 0\n");
    let line = conf.lines().count();
    let out = run(dir.path(), &conf, &["--check-config"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("ups.conf:{line}: invalid onlinedischarge_log_throttle_hovercharge")),
        "{err}"
    );
}
