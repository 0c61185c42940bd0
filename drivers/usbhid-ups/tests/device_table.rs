//! Acceptance (issue 9, item 1): every USB id of NUT 2.8.5's usbhid-ups is taken by the same
//! subdriver as NUT's, through NUT's claim rules in NUT's order, including the ids that depend
//! on the options (`productid`, `explore`, `subdriver`) and on the device's strings.
//!
//! The list below is NUT's, transcribed from tag v2.8.5 of networkupstools/nut: the
//! `usb_device_id_t` table of each `drivers/*-hid.c` (file and line of each entry), 111
//! entries for 110 distinct vendor:product pairs (06da:ffff is listed by mge-hid.c and
//! liebert-hid.c). The last column is the subdriver whose claim function takes the device when
//! no matching option is given, following `subdriver_list` in usbhid-ups.c (explore, mge, apc,
//! arduino, belkin, cps, delta_ups, ecoflow, ever, idowell, legrand, liebert, openups,
//! powercom, powervar, salicru, tripplite): mge-hid.c gives 06da:ffff to liebert-hid.c unless
//! a string says "AEG", and takes KSTAR's 09d6:0001 only when the manufacturer string says
//! "KSTAR" (given below).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use usbhid_ups::device_table::{self, MatchOpts, NUT_SUBDRIVERS};
use usbhid_ups::transport::DeviceInfo;

/// (vendor id, product id, `drivers/<file>:<line>` at NUT v2.8.5, subdriver NUT picks).
const NUT_2_8_5_IDS: &[(u16, u16, &str, &str)] = &[
    (0x051d, 0x0000, "apc-hid.c:92", "apc-hid.c"),
    (0x051d, 0x0002, "apc-hid.c:94", "apc-hid.c"),
    (0x051d, 0x0003, "apc-hid.c:96", "apc-hid.c"),
    (0x051d, 0x0004, "apc-hid.c:100", "apc-hid.c"),
    (0x051d, 0x0005, "apc-hid.c:106", "apc-hid.c"),
    (0x2341, 0x0036, "arduino-hid.c:49", "arduino-hid.c"),
    (0x2341, 0x8036, "arduino-hid.c:50", "arduino-hid.c"),
    (0x2a03, 0x0036, "arduino-hid.c:51", "arduino-hid.c"),
    (0x2a03, 0x8036, "arduino-hid.c:52", "arduino-hid.c"),
    (0x2a03, 0x0040, "arduino-hid.c:53", "arduino-hid.c"),
    (0x2a03, 0x8040, "arduino-hid.c:54", "arduino-hid.c"),
    (0x050d, 0x0980, "belkin-hid.c:51", "belkin-hid.c"),
    (0x050d, 0x0900, "belkin-hid.c:53", "belkin-hid.c"),
    (0x050d, 0x0910, "belkin-hid.c:55", "belkin-hid.c"),
    (0x050d, 0x0912, "belkin-hid.c:57", "belkin-hid.c"),
    (0x050d, 0x0551, "belkin-hid.c:59", "belkin-hid.c"),
    (0x050d, 0x0750, "belkin-hid.c:61", "belkin-hid.c"),
    (0x050d, 0x0751, "belkin-hid.c:63", "belkin-hid.c"),
    (0x050d, 0x0375, "belkin-hid.c:65", "belkin-hid.c"),
    (0x050d, 0x0f51, "belkin-hid.c:67", "belkin-hid.c"),
    (0x050d, 0x1100, "belkin-hid.c:69", "belkin-hid.c"),
    (0x10af, 0x0000, "belkin-hid.c:72", "belkin-hid.c"),
    (0x10af, 0x0001, "belkin-hid.c:74", "belkin-hid.c"),
    (0x10af, 0x0002, "belkin-hid.c:76", "belkin-hid.c"),
    (0x10af, 0x0004, "belkin-hid.c:78", "belkin-hid.c"),
    (0x10af, 0x0008, "belkin-hid.c:80", "belkin-hid.c"),
    (0x0764, 0x0005, "cps-hid.c:86", "cps-hid.c"),
    (0x0764, 0x0501, "cps-hid.c:88", "cps-hid.c"),
    (0x0764, 0x0601, "cps-hid.c:90", "cps-hid.c"),
    (0x0483, 0xa430, "cps-hid.c:93", "cps-hid.c"),
    (0x05dd, 0x041b, "delta_ups-hid.c:42", "delta_ups-hid.c"),
    (0x3746, 0xffff, "ecoflow-hid.c:40", "ecoflow-hid.c"),
    (0x0483, 0xa113, "ever-hid.c:52", "ever-hid.c"),
    (0x2e51, 0xffff, "ever-hid.c:53", "ever-hid.c"),
    (0x2e51, 0x0000, "ever-hid.c:54", "ever-hid.c"),
    (0x075d, 0x0300, "idowell-hid.c:43", "idowell-hid.c"),
    (0x1cb0, 0x0038, "legrand-hid.c:53", "legrand-hid.c"),
    (0x1cb0, 0x0032, "legrand-hid.c:54", "legrand-hid.c"),
    (0x06da, 0xffff, "liebert-hid.c:45", "liebert-hid.c"),
    (0x0463, 0x0001, "mge-hid.c:90", "mge-hid.c"),
    (0x0463, 0xffff, "mge-hid.c:91", "mge-hid.c"),
    (0x047c, 0xffff, "mge-hid.c:94", "mge-hid.c"),
    (0x0592, 0x0004, "mge-hid.c:97", "mge-hid.c"),
    (0x03f0, 0x1fe5, "mge-hid.c:100", "mge-hid.c"),
    (0x03f0, 0x1fe6, "mge-hid.c:102", "mge-hid.c"),
    (0x03f0, 0x1fe7, "mge-hid.c:104", "mge-hid.c"),
    (0x03f0, 0x1fe8, "mge-hid.c:105", "mge-hid.c"),
    (0x2b2d, 0xffff, "mge-hid.c:108", "mge-hid.c"),
    (0x06da, 0xffff, "mge-hid.c:109", "liebert-hid.c"),
    (0x04b3, 0x0001, "mge-hid.c:112", "mge-hid.c"),
    (0x09d6, 0x0001, "mge-hid.c:116", "mge-hid.c"),
    (0x04d8, 0xd004, "openups-hid.c:78", "openups-hid.c"),
    (0x04d8, 0xd005, "openups-hid.c:79", "openups-hid.c"),
    (0x0d9f, 0x00a2, "powercom-hid.c:40", "powercom-hid.c"),
    (0x0d9f, 0x00a3, "powercom-hid.c:42", "powercom-hid.c"),
    (0x0d9f, 0x00a4, "powercom-hid.c:44", "powercom-hid.c"),
    (0x0d9f, 0x00a5, "powercom-hid.c:46", "powercom-hid.c"),
    (0x0d9f, 0x00a6, "powercom-hid.c:48", "powercom-hid.c"),
    (0x0d9f, 0x0004, "powercom-hid.c:50", "powercom-hid.c"),
    (0x0d9f, 0x0001, "powercom-hid.c:51", "powercom-hid.c"),
    (0x4234, 0x0002, "powervar-hid.c:44", "powervar-hid.c"),
    (0x2e66, 0x0101, "salicru-hid.c:46", "salicru-hid.c"),
    (0x2e66, 0x0201, "salicru-hid.c:50", "salicru-hid.c"),
    (0x2e66, 0x0202, "salicru-hid.c:51", "salicru-hid.c"),
    (0x2e66, 0x0203, "salicru-hid.c:52", "salicru-hid.c"),
    (0x2e66, 0x0300, "salicru-hid.c:56", "salicru-hid.c"),
    (0x2e66, 0x0302, "salicru-hid.c:60", "salicru-hid.c"),
    (0x09ae, 0x1003, "tripplite-hid.c:83", "tripplite-hid.c"),
    (0x09ae, 0x1007, "tripplite-hid.c:85", "tripplite-hid.c"),
    (0x09ae, 0x1008, "tripplite-hid.c:87", "tripplite-hid.c"),
    (0x09ae, 0x1009, "tripplite-hid.c:88", "tripplite-hid.c"),
    (0x09ae, 0x1010, "tripplite-hid.c:89", "tripplite-hid.c"),
    (0x09ae, 0x1330, "tripplite-hid.c:91", "tripplite-hid.c"),
    (0x09ae, 0x2005, "tripplite-hid.c:93", "tripplite-hid.c"),
    (0x09ae, 0x2007, "tripplite-hid.c:95", "tripplite-hid.c"),
    (0x09ae, 0x2008, "tripplite-hid.c:97", "tripplite-hid.c"),
    (0x09ae, 0x2009, "tripplite-hid.c:99", "tripplite-hid.c"),
    (0x09ae, 0x2010, "tripplite-hid.c:101", "tripplite-hid.c"),
    (0x09ae, 0x2011, "tripplite-hid.c:102", "tripplite-hid.c"),
    (0x09ae, 0x2012, "tripplite-hid.c:103", "tripplite-hid.c"),
    (0x09ae, 0x2013, "tripplite-hid.c:104", "tripplite-hid.c"),
    (0x09ae, 0x2014, "tripplite-hid.c:105", "tripplite-hid.c"),
    (0x09ae, 0x3008, "tripplite-hid.c:106", "tripplite-hid.c"),
    (0x09ae, 0x3009, "tripplite-hid.c:107", "tripplite-hid.c"),
    (0x09ae, 0x3010, "tripplite-hid.c:108", "tripplite-hid.c"),
    (0x09ae, 0x3011, "tripplite-hid.c:109", "tripplite-hid.c"),
    (0x09ae, 0x3012, "tripplite-hid.c:111", "tripplite-hid.c"),
    (0x09ae, 0x3013, "tripplite-hid.c:113", "tripplite-hid.c"),
    (0x09ae, 0x3014, "tripplite-hid.c:115", "tripplite-hid.c"),
    (0x09ae, 0x3015, "tripplite-hid.c:117", "tripplite-hid.c"),
    (0x09ae, 0x3016, "tripplite-hid.c:119", "tripplite-hid.c"),
    (0x09ae, 0x3024, "tripplite-hid.c:121", "tripplite-hid.c"),
    (0x09ae, 0x4001, "tripplite-hid.c:123", "tripplite-hid.c"),
    (0x09ae, 0x4002, "tripplite-hid.c:125", "tripplite-hid.c"),
    (0x09ae, 0x4003, "tripplite-hid.c:127", "tripplite-hid.c"),
    (0x09ae, 0x4004, "tripplite-hid.c:129", "tripplite-hid.c"),
    (0x09ae, 0x4005, "tripplite-hid.c:131", "tripplite-hid.c"),
    (0x09ae, 0x4006, "tripplite-hid.c:132", "tripplite-hid.c"),
    (0x09ae, 0x4007, "tripplite-hid.c:133", "tripplite-hid.c"),
    (0x09ae, 0x4008, "tripplite-hid.c:134", "tripplite-hid.c"),
    (0x03f0, 0x0001, "tripplite-hid.c:137", "tripplite-hid.c"),
    (0x03f0, 0x1fe0, "tripplite-hid.c:139", "tripplite-hid.c"),
    (0x03f0, 0x1fe1, "tripplite-hid.c:141", "tripplite-hid.c"),
    (0x03f0, 0x1fe2, "tripplite-hid.c:143", "tripplite-hid.c"),
    (0x03f0, 0x1fe3, "tripplite-hid.c:145", "tripplite-hid.c"),
    (0x03f0, 0x1f06, "tripplite-hid.c:147", "tripplite-hid.c"),
    (0x03f0, 0x1f08, "tripplite-hid.c:149", "tripplite-hid.c"),
    (0x03f0, 0x1f09, "tripplite-hid.c:151", "tripplite-hid.c"),
    (0x03f0, 0x1f0a, "tripplite-hid.c:153", "tripplite-hid.c"),
    (0x05dd, 0xa011, "tripplite-hid.c:156", "tripplite-hid.c"),
    (0x05dd, 0xa0a0, "tripplite-hid.c:158", "tripplite-hid.c"),
];

fn device(vid: u16, pid: u16) -> DeviceInfo {
    // KSTAR's MasterPower unit says so in its manufacturer string (mge-hid.c's claim needs it).
    let vendor = (vid == 0x09d6).then(|| "KSTAR".to_string());
    DeviceInfo { vendor_id: vid, product_id: pid, vendor, ..DeviceInfo::default() }
}

#[test]
fn every_nut_2_8_5_id_goes_to_nut_s_subdriver() {
    let pairs: BTreeSet<(u16, u16)> = NUT_2_8_5_IDS.iter().map(|r| (r.0, r.1)).collect();
    assert_eq!(NUT_2_8_5_IDS.len(), 111);
    assert_eq!(pairs.len(), 110);
    let mut wrong = Vec::new();
    for &(vid, pid, source, want) in NUT_2_8_5_IDS {
        let got = device_table::claim(&device(vid, pid), &MatchOpts::default()).map(|c| c.nut.file);
        if got != Ok(want) {
            wrong.push(format!("{vid:04x}:{pid:04x} ({source}): NUT picks {want}, we pick {got:?}"));
        }
        assert!(device_table::listed(vid, pid), "nut-scanner lists {vid:04x}:{pid:04x}");
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn our_tables_hold_nut_s_entries_and_nothing_else() {
    let nut: BTreeSet<(u16, u16, String)> =
        NUT_2_8_5_IDS.iter().map(|&(v, p, src, _)| (v, p, src.to_string())).collect();
    let ours: BTreeSet<(u16, u16, String)> = NUT_SUBDRIVERS
        .iter()
        .flat_map(|n| {
            n.ids.iter().map(move |e| (e.vendor_id, e.product_id, format!("{}:{}", n.file, e.line)))
        })
        .collect();
    assert_eq!(ours, nut);
}

#[test]
fn options_and_strings_change_the_choice_as_in_nut() {
    let o = MatchOpts::default();
    let pid = MatchOpts { productid: true, ..MatchOpts::default() };
    let explore = MatchOpts { explore: true, ..MatchOpts::default() };
    let with = |vid: u16, p: u16, vendor: Option<&str>, product: Option<&str>| DeviceInfo {
        vendor_id: vid,
        product_id: p,
        vendor: vendor.map(str::to_string),
        product: product.map(str::to_string),
        ..DeviceInfo::default()
    };
    let cases: &[(DeviceInfo, &MatchOpts, Option<&str>)] = &[
        // mge-hid.c: AEG-branded Phoenixtec units are MGE's, the others liebert-hid.c's.
        (with(0x06da, 0xffff, Some("AEG"), None), &o, Some("mge-hid.c")),
        (with(0x06da, 0xffff, None, Some("PROTECT B. (AEG)")), &o, Some("mge-hid.c")),
        (with(0x06da, 0xffff, Some("PHOENIXTEC"), Some("UPS")), &o, Some("liebert-hid.c")),
        // KSTAR only by its name.
        (with(0x09d6, 0x0001, None, None), &o, None),
        (with(0x09d6, 0x0001, None, None), &pid, None),
        // A known vendor's unknown product: only with the productid option.
        (with(0x0463, 0x1234, None, None), &o, None),
        (with(0x0463, 0x1234, None, None), &pid, Some("mge-hid.c")),
        (with(0x051d, 0x0009, None, None), &pid, Some("apc-hid.c")),
        (with(0x10af, 0x0009, None, None), &pid, Some("belkin-hid.c")),
        // With productid set, an earlier subdriver that knows the vendor takes its other
        // products first: Delta before Tripp Lite, CyberPower before Ever, MGE before Tripp Lite.
        (with(0x05dd, 0xa0a0, None, None), &o, Some("tripplite-hid.c")),
        (with(0x05dd, 0xa0a0, None, None), &pid, Some("delta_ups-hid.c")),
        (with(0x0483, 0xa113, None, None), &o, Some("ever-hid.c")),
        (with(0x0483, 0xa113, None, None), &pid, Some("cps-hid.c")),
        (with(0x03f0, 0x1fe0, None, None), &o, Some("tripplite-hid.c")),
        (with(0x03f0, 0x1fe0, None, None), &pid, Some("mge-hid.c")),
        (with(0x03f0, 0x9999, None, None), &o, None),
        // Products other drivers serve, never.
        (with(0x09ae, 0x0001, None, None), &pid, None),
        (with(0x0d9f, 0x0002, None, None), &pid, None),
        (with(0x050d, 0x0218, None, None), &pid, None),
        // Unknown vendors: nothing, unless exploring.
        (with(0x0001, 0x0000, None, None), &pid, None),
        (with(0x0001, 0x0000, None, None), &explore, Some("explore-hid.c")),
        (with(0x0463, 0xffff, None, None), &explore, Some("explore-hid.c")),
    ];
    for (d, opts, want) in cases {
        let got = device_table::claim(d, opts).ok().map(|c| c.nut.file);
        assert_eq!(
            got, *want,
            "{:04x}:{:04x} {:?}/{:?} with {opts:?}",
            d.vendor_id, d.product_id, d.vendor, d.product
        );
    }
}

fn recording(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../crates/nut-hid/tests/data").join(name)
}

/// Run the driver on a recording with `-d 1` (one update, then the variables on stdout).
fn dump(port: &str, extra: &[&str]) -> (bool, String, String) {
    let dir = nut_testkit::TempDir::new().unwrap();
    let mut c = Command::new(nut_testkit::bin("usbhid-ups"));
    c.env("NUT_STATEPATH", dir.path()).env("NUT_ALTPIDPATH", dir.path()).env("NUT_CONFPATH", dir.path());
    c.args(["-s", "t", "-u", "root", "-d", "1", "-x", &format!("port={}", recording(port).display())]);
    for x in extra {
        c.args(["-x", x]);
    }
    let o = c.output().unwrap();
    (o.status.success(), String::from_utf8_lossy(&o.stdout).into(), String::from_utf8_lossy(&o.stderr).into())
}

#[test]
fn the_driver_takes_what_nut_takes_and_subdriver_selects_by_name() {
    let (ok, out, err) = dump("0463-ffff-eaton-3s-700.hex", &[]);
    assert!(ok, "{err}");
    assert!(err.contains("Using subdriver: "), "{err}");
    // A device in no table (5131:2007) is refused, as NUT refuses it...
    let (ok, out2, err) = dump("5131-2007-unknown-vendor.hex", &[]);
    assert!(!ok && err.contains("No matching HID UPS found"), "{out2}{err}");
    // ... unless a subdriver is named: a case-insensitive prefix is enough.
    let (ok, out2, err) = dump("5131-2007-unknown-vendor.hex", &["subdriver=idowell"]);
    assert!(ok, "{err}");
    assert!(out2.contains("driver.version.data: iDowell HID 0.20\n"), "{out2}");
    assert!(out.contains("driver.parameter.pollfreq: 30\n"), "{out}");
    // explore takes the device with NUT's empty explore table (the tree is logged at -D).
    let (ok, out, err) = dump("0463-ffff-eaton-3s-700.hex", &["explore"]);
    assert!(ok, "{err}");
    assert!(out.contains("driver.version.data: EXPLORE HID 0.2\n"), "{out}");
    let bad = dump("0463-ffff-eaton-3s-700.hex", &["subdriver=nosuch"]);
    assert!(
        !bad.0 && bad.2.contains("Configuration requested subdriver 'nosuch' but none matched"),
        "{}",
        bad.2
    );
}

#[test]
fn help_lists_nut_s_subdriver_names() {
    let o = Command::new(nut_testkit::bin("usbhid-ups")).arg("-h").output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Acceptable values for 'subdriver' via -x or ups.conf in this driver"), "{text}");
    for n in NUT_SUBDRIVERS {
        assert!(text.contains(&format!("\t\"{}\"\n", n.subdriver.name)), "{}: {text}", n.subdriver.name);
    }
}
