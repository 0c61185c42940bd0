//! Every recorded descriptor parses, and for every `.values.tsv` row our parser finds a field
//! with NUT's path, report type, report id, offset and size, and reads the value NUT printed
//! from the recorded report bytes.

use std::path::{Path, PathBuf};

use nut_hid::{parse, path_to_string, recording, usage, value::format_g, DescriptorError};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn hex_files() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .expect("tests/data exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "hex"))
        .collect();
    v.sort();
    v
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The usage tables NUT used when it printed each log. The Back-UPS CS 500 log (NUT
/// 2.8.0-Windows) printed APC vendor usages as hex, the ES 850G2 log (2.7.4) by name.
fn tables_for(stem: &str) -> &'static [usage::UsageTable] {
    if stem.starts_with("051d-0002-apc-back-ups-cs-500") {
        return &[];
    }
    let vid = u16::from_str_radix(&stem[..4], 16).expect("vid prefix");
    usage::tables_for_vendor(vid)
}

#[test]
fn every_descriptor_parses() {
    let files = hex_files();
    assert!(files.len() >= 25, "expected the recorded descriptors in tests/data");
    for f in files {
        let bytes = recording::parse_hex(&read(&f)).expect("hex");
        let d = parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        // The vendor-page-only Megatec bridge has no Power Device usages at all.
        if !f.to_string_lossy().contains("megatec-vendor-page") {
            assert!(!d.fields.is_empty(), "{}: no fields", f.display());
        }
    }
}

#[test]
fn values_tsv_rows_match_layout_and_value() {
    let mut checked = 0;
    for f in hex_files() {
        let tsv = f.with_extension("values.tsv");
        if !tsv.exists() {
            continue;
        }
        let stem = f.file_stem().expect("stem").to_string_lossy().to_string();
        let tables = tables_for(&stem);
        let d = parse(&recording::parse_hex(&read(&f)).expect("hex")).expect("parses");
        for r in recording::parse_values_tsv(&read(&tsv)).expect("tsv") {
            let field = d
                .fields
                .iter()
                .find(|x| {
                    x.report_type == r.report_type
                        && x.report_id == r.report_id
                        && x.offset == r.offset
                        && x.size == r.size
                        && path_to_string(&x.path, tables) == r.path
                })
                .unwrap_or_else(|| {
                    panic!("{stem}:{}: no field {} {:?} {}", r.line, r.path, r.report_type, r.offset)
                });
            let data = &r.report_bytes[1..];
            let v = field.value(data).expect("value fits the report");
            // Logs from NUT before 2.8 printed whole numbers (`%ld`), 2.8 prints `%g`.
            let ok = format_g(v) == r.value || (!r.value.contains('.') && format_g(v.trunc()) == r.value);
            assert!(ok, "{stem}:{}: {} ours {} NUT {}", r.line, r.path, format_g(v), r.value);
            if r.matching == "raw" {
                assert_eq!(field.raw_value(data).expect("fits").to_string(), r.value, "{stem}:{}", r.line);
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} rows checked");
}

#[test]
fn corrupted_descriptors_give_clear_errors() {
    let good = recording::parse_hex(&read(&data_dir().join("0463-ffff-eaton-3s-700.hex"))).expect("hex");
    // Cut inside the 4-byte Logical Maximum at byte 78 (`27 ff ff ff 7f`): a truncated read.
    let err = parse(&good[..81]).expect_err("truncated");
    assert!(matches!(err, DescriptorError::Truncated { offset: 78, need: 4, have: 2, .. }), "{err:?}");
    assert!(err.to_string().contains("truncated at byte 78"), "{err}");
    // Cut at an item boundary: collections are left open.
    let err = parse(&good[..good.len() - 1]).expect_err("unclosed");
    assert_eq!(err, DescriptorError::Unclosed { open: 1 });
    assert!(err.to_string().contains("not closed"));
}

#[test]
fn reports_txt_reads_with_descriptor_layout() {
    let f = data_dir().join("0463-ffff-eaton-3s-700.reports.txt");
    let reports = recording::parse_reports_txt(&read(&f)).expect("reports");
    let d =
        parse(&recording::parse_hex(&read(&f.with_file_name("0463-ffff-eaton-3s-700.hex"))).expect("hex"))
            .expect("parses");
    let tables = usage::tables_for_vendor(0x0463);
    // Report 0x0c byte 6 is PowerSummary.RemainingCapacity (100 %).
    let rc = d
        .fields
        .iter()
        .find(|x| path_to_string(&x.path, tables) == "UPS.PowerSummary.RemainingCapacity")
        .expect("field");
    let (_, bytes) = reports.iter().find(|(id, _)| *id == rc.report_id).expect("report");
    assert_eq!(rc.value(&bytes[1..]).expect("fits"), 100.0);
}
