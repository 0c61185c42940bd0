//! HID report descriptor parsing: never panics, and a parsed descriptor is self-consistent.
//!
//! Properties: the item splitter accepts whatever the parser accepted; every field lies inside
//! its report's declared length, has a size of 1..=256 bits and a non-empty usage path; report
//! IDs are 0 unless the descriptor declares IDs; a printed usage path reads back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_hid::{parse, path_to_string, ReportType};

fuzz_target!(|data: &[u8]| {
    let Ok(desc) = parse(data) else { return };
    assert!(nut_hid::item::items(data).is_ok(), "parse accepted bytes the item splitter rejects");
    for f in &desc.fields {
        assert!((1..=256).contains(&f.size), "field size {}", f.size);
        assert!(!f.path.is_empty(), "field without a usage path");
        assert!(
            desc.uses_report_ids || f.report_id == 0,
            "report id {} without Report ID items",
            f.report_id
        );
        let len = *desc
            .report_lengths
            .get(&(f.report_type, f.report_id))
            .expect("every field's report has a length");
        let end = u64::from(f.offset) + u64::from(f.size);
        assert!(end <= len as u64 * 8, "field ends at bit {end}, report has {len} bytes");
        let wire = desc.wire_length(f.report_type, f.report_id).expect("wire length");
        assert_eq!(wire, len + usize::from(desc.uses_report_ids));

        // A printed path reads back, and prints the same again. (Not necessarily the same
        // nodes: names such as "Undefined" exist on several pages, as in NUT's tables.)
        let s = path_to_string(&f.path, &[]);
        let back =
            nut_hid::usage::string_to_path(&s, &[]).unwrap_or_else(|| panic!("path {s} does not read back"));
        assert_eq!(path_to_string(&back, &[]), s);
    }
    for rt in [ReportType::Input, ReportType::Output, ReportType::Feature] {
        let ids = desc.report_ids(rt);
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "report ids not ascending: {ids:?}");
    }
});
