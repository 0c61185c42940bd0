//! Corrupted and mis-framed recordings through the driver's replay path: every one gives a
//! clear error naming the file and line (or the descriptor byte), never a panic or a value
//! decoded from the wrong bytes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use nut_testkit::TempDir;
use usbhid_ups::session::{Poll, Session};
use usbhid_ups::transport::replay::Replay;

const STEM: &str = "0463-ffff-eaton-3s-700";

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/nut-hid/tests/data")
}

/// Copy the Eaton recording into a temp dir, letting `edit` change one file's text.
fn copy_with(ext: &str, edit: impl Fn(&str) -> String) -> (TempDir, PathBuf) {
    let dir = TempDir::new().expect("temp dir");
    for e in ["hex", "values.tsv", "reports.txt", "strings.txt"] {
        let text = std::fs::read_to_string(data_dir().join(format!("{STEM}.{e}"))).expect("fixture");
        let text = if e == ext { edit(&text) } else { text };
        std::fs::write(dir.path().join(format!("{STEM}.{e}")), text).expect("write");
    }
    let hex = dir.path().join(format!("{STEM}.hex"));
    (dir, hex)
}

/// Open and poll like the driver does; the error text if anything fails.
fn run(hex: &Path) -> Result<Poll, String> {
    let r = Replay::open(hex).map_err(|e| e.to_string())?;
    let ups = usbhid_ups::open_ups(Box::new(r))?;
    Ok(Session::new(ups).poll(Instant::now()))
}

/// Replace the report bytes (7th column) of the first data row of `values.tsv`.
fn edit_first_row(text: &str, f: impl Fn(&str) -> String) -> String {
    let mut done = false;
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if done || l.starts_with('#') || l.starts_with("path\t") {
                return l.to_string();
            }
            done = true;
            let mut cols: Vec<String> = l.split('\t').map(str::to_string).collect();
            cols[6] = f(&cols[6]);
            cols.join("\t")
        })
        .collect();
    lines.join("\n") + "\n"
}

fn first_row_line(text: &str) -> usize {
    text.lines().position(|l| !l.starts_with('#') && !l.starts_with("path\t")).expect("a row") + 1
}

fn tsv() -> String {
    std::fs::read_to_string(data_dir().join(format!("{STEM}.values.tsv"))).expect("fixture")
}

#[test]
fn bytes_of_another_report_name_file_and_line() {
    let line = first_row_line(&tsv());
    let (_d, hex) = copy_with("values.tsv", |t| edit_first_row(t, |b| format!("21{}", &b[2..])));
    let e = run(&hex).expect_err("must be rejected");
    assert!(e.contains(&format!("values.tsv:line {line}:")), "{e}");
    assert!(e.contains("belong to another report"), "{e}");
}

#[test]
fn short_and_long_recorded_reports_are_served_as_device_quirks() {
    // A recording may show a report shorter or longer than declared: that is what some
    // devices send, so the replay serves it and the driver copes (see tests/quirks.rs).
    for edit in [
        Box::new(|b: &str| b[..b.len() - 3].to_string()) as Box<dyn Fn(&str) -> String>,
        Box::new(|b: &str| format!("{b} 00")),
    ] {
        let (_d, hex) = copy_with("values.tsv", |t| edit_first_row(t, &edit));
        assert!(matches!(run(&hex), Ok(Poll::Data(_))));
    }
}

#[test]
fn reports_txt_misframed() {
    let (_d, hex) = copy_with("reports.txt", |t| t.replacen("\n6\t06 64", "\n6\t07 64", 1));
    let e = run(&hex).expect_err("rejected");
    assert!(e.contains("reports.txt:line") && e.contains("another report"), "{e}");
    let (_d, hex) = copy_with("reports.txt", |t| t.replacen("\n8\t08 14", "\n200\tc8 14", 1));
    let e = run(&hex).expect_err("rejected");
    assert!(e.contains("0xc8 is not in the report descriptor"), "{e}");
    let (_d, hex) = copy_with("reports.txt", |t| format!("{t}feature report 0x08: STOP\n"));
    let e = run(&hex).expect_err("rejected");
    assert!(e.contains("reports.txt:line") && e.contains("'STOP' is not hex"), "{e}");
}

#[test]
fn garbled_text_files_name_file_and_line() {
    let (_d, hex) = copy_with("hex", |t| t.replacen("05 84", "05 8g", 1));
    let e = run(&hex).expect_err("rejected");
    assert!(e.contains(".hex:line") && e.contains("'8g' is not a hex byte"), "{e}");
    let (_d, hex) = copy_with("values.tsv", |t| t.replacen("\tFeature\t", "\tFeature ", 1));
    let e = run(&hex).expect_err("rejected");
    assert!(e.contains("values.tsv:line"), "{e}");
    let (_d, hex) = copy_with("strings.txt", |t| format!("{t}vendor\tX\n"));
    let e = run(&hex).expect_err("rejected");
    assert!(e.contains("strings.txt:line") && e.contains("unknown key 'vendor'"), "{e}");
}

#[test]
fn truncated_descriptors_fail_cleanly_or_decode_a_prefix_correctly() {
    let good = match run(&data_dir().join(format!("{STEM}.hex"))) {
        Ok(Poll::Data(s)) => s,
        other => panic!("fixture must replay: {other:?}"),
    };
    let bytes = nut_hid::recording::parse_hex(
        &std::fs::read_to_string(data_dir().join(format!("{STEM}.hex"))).expect("fixture"),
    )
    .expect("hex");
    for cut in (0..bytes.len()).step_by(13) {
        let (_d, hex) = copy_with("hex", |_| nut_hid::recording::to_hex(&bytes[..cut]));
        match run(&hex) {
            Err(e) => assert!(!e.is_empty()),
            // A cut that still parses must not invent values: whatever it publishes from
            // the reports equals what the whole descriptor gives.
            Ok(Poll::Data(s)) => {
                for (k, v) in &s.vars {
                    if let Some(g) = good.vars.get(k) {
                        assert_eq!(v, g, "cut at {cut}: {k}");
                    }
                }
            }
            Ok(Poll::Stale | Poll::GiveUp(_)) => {}
        }
    }
}

#[test]
fn garbled_descriptors_never_panic() {
    let bytes = nut_hid::recording::parse_hex(
        &std::fs::read_to_string(data_dir().join(format!("{STEM}.hex"))).expect("fixture"),
    )
    .expect("hex");
    // A fixed linear congruential sequence: reproducible byte flips.
    let mut x: u32 = 12345;
    for _ in 0..150 {
        let mut b = bytes.clone();
        for _ in 0..4 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let i = (x >> 8) as usize % b.len();
            b[i] = (x >> 24) as u8;
        }
        let (_d, hex) = copy_with("hex", |_| nut_hid::recording::to_hex(&b));
        let _ = run(&hex);
    }
}

#[test]
fn the_driver_binary_reports_misframed_recordings() {
    let (_d, hex) = copy_with("values.tsv", |t| edit_first_row(t, |b| format!("21{}", &b[2..])));
    let state = TempDir::new().expect("temp dir");
    let out = std::process::Command::new(nut_testkit::bin("usbhid-ups"))
        .env("NUT_STATEPATH", state.path())
        .env("NUT_ALTPIDPATH", state.path())
        .args(["-s", "x", "-u", "root", "-D", "-d", "1", "-x"])
        .arg(format!("port={}", hex.display()))
        .args(["-x", "explore"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("values.tsv:line") && !err.contains("panicked"), "{err}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.lines().any(|l| l.contains(": ")),
        "no values printed from a mis-framed recording: {stdout}"
    );
}
