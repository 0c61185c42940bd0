//! Reading values out of report bytes with a parsed descriptor.
//!
//! Input layout: two bytes of descriptor length (little endian, taken modulo the rest), the
//! descriptor, then the report data. Properties: reading never panics; a value that reads
//! also converts to physical and back without panicking; the logical value lies in the
//! declared logical range (NUT's GetValue clamps it); storing the raw bits just read leaves
//! the report unchanged; a stored value reads back as its low `size` bits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_hid::parse;
use nut_hid::value::format_g;

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let rest = &data[2..];
    let n = usize::from(u16::from_le_bytes([data[0], data[1]])) % rest.len();
    let (desc_bytes, report) = rest.split_at(n.max(1));
    let Ok(desc) = parse(desc_bytes) else { return };
    for f in desc.fields.iter().take(4096) {
        let Ok(raw) = f.raw_value(report) else {
            assert!(f.value(report).is_err());
            continue;
        };
        let logical = f.logical_value(report).expect("raw value read, logical must too");
        let physical = f.value(report).expect("raw value read, value must too");
        let _ = format_g(physical);
        let _ = f.to_logical(physical);

        let (lo, hi) = (f.logical_min.min(f.logical_max), f.logical_min.max(f.logical_max));
        assert!((lo..=hi).contains(&logical), "logical {logical} outside {lo}..={hi}");

        let mut buf = report.to_vec();
        f.store(&mut buf, i64::from(raw)).expect("store where a read succeeded");
        assert_eq!(buf, report, "storing the raw value just read changed the report");

        let probe = i64::from(raw) ^ 0x5a5a_5a5a;
        f.store(&mut buf, probe).expect("store where a read succeeded");
        let mask = if f.size >= 32 { u32::MAX } else { (1u32 << f.size) - 1 };
        assert_eq!(f.raw_value(&buf).expect("read back"), (probe as u32) & mask);
    }
});
