//! nut-scanner (issue 9): the USB devices it lists as usbhid-ups UPSes are exactly the 110
//! vendor:product pairs of NUT 2.8.5's HID subdriver tables. nut-scanner filters the USB bus with
//! `device_table::listed` (tools/nut-scanner/src/lib.rs); `tests/device_table.rs` checks that
//! our tables hold NUT's 111 entries (110 pairs) and nothing else. Here: `listed` accepts every
//! one of those pairs and no other product id of any vendor the tables know, nor ids of
//! vendors they do not know (a real bus cannot be faked for the scan itself).

use std::collections::BTreeSet;

use usbhid_ups::device_table::{listed, NUT_SUBDRIVERS};

#[test]
fn nut_scanner_lists_exactly_the_110_pairs_of_the_device_table() {
    let pairs: BTreeSet<(u16, u16)> =
        NUT_SUBDRIVERS.iter().flat_map(|n| n.ids.iter().map(|e| (e.vendor_id, e.product_id))).collect();
    assert_eq!(pairs.len(), 110, "NUT 2.8.5's HID tables list 110 distinct vendor:product pairs");
    let vendors: BTreeSet<u16> = pairs.iter().map(|p| p.0).collect();
    // Every product id of every known vendor, and of a few vendors no table has (USB-IF's
    // 0x0000/0xffff, Linux Foundation 0x1d6b, a common serial adapter 0x0403, 0x0665 which
    // only NUT's Megatec USB drivers know).
    let mut accepted = BTreeSet::new();
    for vid in vendors.iter().copied().chain([0x0000, 0xffff, 0x1d6b, 0x0403, 0x0665]) {
        for pid in 0..=u16::MAX {
            if listed(vid, pid) {
                accepted.insert((vid, pid));
            }
        }
    }
    let extra: Vec<String> = accepted.difference(&pairs).map(|(v, p)| format!("{v:04x}:{p:04x}")).collect();
    let missing: Vec<String> = pairs.difference(&accepted).map(|(v, p)| format!("{v:04x}:{p:04x}")).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "listed but not in the tables: {extra:?}; not listed: {missing:?}"
    );
}
