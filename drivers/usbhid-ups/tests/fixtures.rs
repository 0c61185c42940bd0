//! Every recording of the shared test data through the driver: each `.hex` opens (or, when its
//! descriptor is corrupted, fails with a clear error, also from the binary, never a panic),
//! and for each `.values.tsv` row the driver has the field NUT printed, names its usage path
//! with its subdriver's usage tables (vendor pages included), and decodes the value NUT
//! printed (raw and scaled rows, after the subdriver's descriptor fix).
//!
//! The recordings: `$NUT_HID_DESCRIPTORS_DIR`, else `../shared/testdata/hid-descriptors` beside
//! the repository, else the copy in nut-hid's tests; whatever files are there.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use nut_hid::{recording, usage, value::format_g};
use usbhid_ups::transport::replay::Replay;

fn shared_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("NUT_HID_DESCRIPTORS_DIR") {
        return PathBuf::from(d);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let shared = root.join("../../../shared/testdata/hid-descriptors");
    if shared.is_dir() {
        shared
    } else {
        eprintln!("note: {} is absent; using the copy in crates/nut-hid/tests/data", shared.display());
        root.join("../../crates/nut-hid/tests/data")
    }
}

fn hex_files() -> Vec<PathBuf> {
    let dir = shared_dir();
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .collect();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().expect("stem").to_string_lossy().to_string()
}

/// The usage nodes of a printed path: with the subdriver's tables, or (a log taken with
/// another subdriver or NUT version) with any subdriver's table.
fn nodes(printed: &str, own: &[usage::UsageTable]) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = usage::string_to_path(printed, own).into_iter().collect();
    for (_, t) in usage::BY_SUBDRIVER {
        out.extend(usage::string_to_path(printed, &[*t]));
    }
    out
}

#[test]
fn every_recording_decodes_through_the_driver_as_nut_printed_it() {
    let (mut rows_checked, mut files, mut own_names, mut awaiting_fix) = (0, 0, 0, 0);
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    for hex in hex_files() {
        let name = stem(&hex);
        // The descriptor with the log's own reports only (a `.reports.txt` may come from
        // another unit of the model).
        let copy = tmp.path().join(format!("{name}.hex"));
        std::fs::copy(&hex, &copy).expect("copy");
        if hex.with_extension("values.tsv").exists() {
            std::fs::copy(hex.with_extension("values.tsv"), copy.with_extension("values.tsv")).expect("copy");
        }
        let replay = Replay::open(&copy).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut ups = match usbhid_ups::open_ups(Box::new(replay)) {
            Ok(u) => u,
            Err(e) => {
                assert!(e.starts_with("report descriptor"), "{name}: unclear error: {e}");
                assert!(!hex.with_extension("values.tsv").exists(), "{name} has values but fails: {e}");
                eprintln!("{name}: refused: {e}");
                continue;
            }
        };
        let tsv = hex.with_extension("values.tsv");
        if !tsv.exists() {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&tsv).expect("tsv");
        // What the driver decodes from the replayed reports (the first occurrence of each
        // report in the log is what the replay answers).
        let explored: Vec<Vec<String>> =
            ups.explore().iter().map(|l| l.split('\t').map(str::to_string).collect()).collect();
        let mut seen = HashSet::new();
        for r in recording::parse_values_tsv(&text).expect("tsv") {
            let key = (r.report_type, r.report_id, r.offset);
            let field = ups
                .descriptor
                .fields
                .iter()
                .find(|f| {
                    f.report_type == r.report_type
                        && f.report_id == r.report_id
                        && f.offset == r.offset
                        && f.size == r.size
                })
                .unwrap_or_else(|| panic!("{name}:{}: no field for {}", r.line, r.path))
                .clone();
            let ours = nut_hid::path_to_string(&field.path, ups.tables);
            if ours == r.path {
                own_names += 1;
            } else {
                assert!(
                    nodes(&r.path, ups.tables).contains(&field.path),
                    "{name}:{}: NUT printed {}, the driver names the field {ours}",
                    r.line,
                    r.path
                );
            }
            rows_checked += 1;
            // Values: the first reading of each field (later rows are re-reads after a change).
            if !seen.insert(key) {
                continue;
            }
            let row = explored
                .iter()
                .find(|c| {
                    c[1] == r.report_type.name()
                        && c[2] == format!("0x{:02x}", r.report_id)
                        && c[3] == r.offset.to_string()
                })
                .unwrap_or_else(|| panic!("{name}:{}: explore lacks {}", r.line, r.path));
            let v = &row[5];
            let same = *v == r.value
                || (!r.value.contains('.') && v.parse::<f64>().is_ok_and(|x| format_g(x.trunc()) == r.value));
            if !same && ups.subdriver.fix_report_desc.is_none() {
                // NUT printed it after its subdriver fixed the descriptor; ours has no fix yet.
                let data = &r.report_bytes[1..];
                let raw = i64::from(field.raw_value(data).expect("fits"));
                if raw < field.logical_min || raw > field.logical_max {
                    eprintln!(
                        "note: {name}:{}: {} needs the {} subdriver's fix_report_desc (ours {v}, NUT {})",
                        r.line, r.path, ups.subdriver.name, r.value
                    );
                    awaiting_fix += 1;
                    continue;
                }
            }
            assert!(same, "{name}:{}: {} ours {v} NUT {}", r.line, r.path, r.value);
        }
    }
    eprintln!(
        "{rows_checked} rows of {files} recordings: {own_names} named exactly as NUT printed, {awaiting_fix} \
         awaiting a subdriver's descriptor fix"
    );
    assert!(files > 0 && rows_checked > 0);
}

#[test]
fn a_corrupted_descriptor_is_refused_clearly_by_the_binary() {
    // Every shared descriptor that does not parse, plus one made here: a read that starts
    // with other bytes (as the corrupted VP1600ELCD read in NUT's issues) and a cut one.
    let dir = nut_testkit::TempDir::new().expect("temp dir");
    let good = recording::parse_hex(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../crates/nut-hid/tests/data/0463-ffff-eaton-3s-700.hex"),
        )
        .expect("fixture"),
    )
    .expect("hex");
    let mut shifted = vec![0x81, 0x06, 0x00, 0x22, 0x00, 0x00, 0x30, 0x02];
    shifted.extend_from_slice(&good);
    let mut cases: Vec<PathBuf> = Vec::new();
    for (n, bytes) in [("shifted", shifted), ("cut", good[..good.len() / 2].to_vec())] {
        let p = dir.path().join(format!("0764-0501-{n}.hex"));
        std::fs::write(&p, recording::to_hex(&bytes)).expect("write");
        cases.push(p);
    }
    cases.extend(hex_files().into_iter().filter(|h| {
        let bytes = recording::parse_hex(&std::fs::read_to_string(h).expect("read")).expect("hex");
        nut_hid::parse(&bytes).is_err()
    }));
    for hex in cases {
        let out = std::process::Command::new(nut_testkit::bin("usbhid-ups"))
            .args(["-s", "x", "-x"])
            .arg(format!("port={}", hex.display()))
            .args(["-x", "explore"])
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}", hex.display());
        assert!(err.contains(": report descriptor "), "{}: {err}", hex.display());
        assert!(!err.contains("panicked"), "{err}");
        // Only the banner (NUT prints it on stdout): no variable was published.
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.lines().all(|l| l.starts_with("Network UPS Tools")), "{stdout}");
    }
}
