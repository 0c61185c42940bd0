//! Our nutdrv_qx with `protocol = voltronic-axpert` (and with auto-detection) on a pty that
//! answers as an Axpert unit does: NUT's testing answers for that subdriver, with the CRC
//! before the CR of every answer, and only to commands carrying their CRC. Debian's NUT
//! 2.8.0 has no voltronic-axpert subdriver, so there is no live comparison; the values are
//! the ones NUT 2.8.5's table gives for these answers (see the subdriver's unit tests).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use nut_testkit::{bin, Proc};
use nutdrv_qx::port::unescape;
use nutdrv_qx::protocols::voltronic_axpert::with_crc;

const TRANSCRIPT: &str = "/work/shared/testdata/qx-transcripts/nut-testing-tables/voltronic-axpert.txt";

/// C escapes for bytes a transcript line can't hold as they are.
fn escape(b: &[u8]) -> String {
    b.iter()
        .map(|&c| {
            if (0x20..0x7f).contains(&c) && c != b'\\' {
                (c as char).to_string()
            } else {
                format!("\\x{c:02x}")
            }
        })
        .collect()
}

/// The transcript with CRCs on both sides.
fn with_crcs(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let (tag, rest) = match (line.strip_prefix("> "), line.strip_prefix("< ")) {
            (Some(c), _) => ("> ", c),
            (_, Some(a)) => ("< ", a),
            _ => continue,
        };
        let mut b = unescape(rest);
        if tag == "> " && !b.ends_with(b"\r") {
            b.push(b'\r');
        }
        let b = with_crc(&b).unwrap_or(b);
        out.push_str(&format!("{tag}{}\n", escape(&b)));
    }
    out
}

fn dump(dir: &Path) -> Vec<(String, String)> {
    let out = Command::new("timeout")
        .arg("120")
        .arg(bin("nutdrv_qx"))
        .args(["-a", "q", "-u", "root", "-d", "1"])
        .env("NUT_CONFPATH", dir)
        .env("NUT_STATEPATH", dir.join("state"))
        .output()
        .expect("run driver");
    assert!(out.status.success(), "nutdrv_qx -d 1 failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn axpert_on_a_pty_with_crcs() {
    let Ok(text) = std::fs::read_to_string(TRANSCRIPT) else {
        eprintln!("SKIPPED axpert_on_a_pty_with_crcs: {TRANSCRIPT} missing (shared transcripts not on this machine)");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("state")).expect("state dir");
    let crc_transcript = dir.path().join("axpert-crc.txt");
    std::fs::write(&crc_transcript, with_crcs(&text)).expect("transcript");
    let link = dir.path().join("tty");
    let mut cmd = Command::new("python3");
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pty_responder.py"))
        .arg(&crc_transcript)
        .arg(&link);
    cmd.stdout(Stdio::piped());
    let mut sim = Proc::spawn(cmd);
    let mut ready = String::new();
    let stdout = sim.child_mut().stdout.take().expect("responder stdout");
    BufReader::new(stdout).read_line(&mut ready).expect("responder ready line");
    assert_eq!(ready.trim(), "ready");
    for protocol in ["\n protocol = voltronic-axpert\n", "\n"] {
        std::fs::write(
            dir.path().join("ups.conf"),
            format!("[q]\n driver = nutdrv_qx\n port = {}{protocol}", link.display()),
        )
        .expect("ups.conf");
        let got = dump(dir.path());
        let get = |k: &str| got.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        for (k, v) in [
            ("driver.version.data", "Voltronic-Axpert 0.02"),
            ("device.type", "scd"),
            ("device.firmware.aux", "P30"),
            ("device.firmware", "0X00074.50"),
            ("device.serial", "12345679012345"),
            ("device.model", "INVERTEX5K"),
            ("device.model.type", "Off-grid"),
            ("battery.type", "AGM"),
            ("input.voltage", "233.5"),
            ("output.power", "467.0"),
            ("battery.voltage", "54.0"),
            ("battery.charge", "100.0"),
            ("ups.load", "9"),
            ("ups.status", "OB CHRG"),
        ] {
            assert_eq!(get(k), Some(v), "{k} ({})", protocol.trim());
        }
        assert_eq!(get("ups.beeper.status"), None);
    }
    sim.terminate(Duration::from_secs(5));
}
