//! `packaging/udev/62-nut-usbups.rules`: generated from the drivers' USB id tables
//! (`nut-udev-rules`), so the committed file must be what the generator writes now; every id
//! of every table (usbhid-ups, nutdrv_qx, blazer_usb, bcmxcp_usb, riello_usb) has a rule giving the `nut` group
//! read/write access; the layout is Debian's, and every id Debian's NUT 2.8.0 rules list for
//! these drivers is in ours. `udevadm verify` (udev ≥ 254) checks the syntax where it
//! exists; elsewhere the test checks each line against udev's rule grammar itself.

use std::collections::BTreeSet;
use std::fs;
use std::process::Command;

use nut_testkit::{bin, skip, workspace_root, Prereq};

const RULES: &str = "packaging/udev/62-nut-usbups.rules";

fn committed() -> String {
    fs::read_to_string(workspace_root().join(RULES)).expect("read the committed rules")
}

/// (vendor, product) of every `ATTR{idVendor}==..., ATTR{idProduct}==...` rule.
fn ids(text: &str) -> BTreeSet<(u16, u16)> {
    let re = regex::Regex::new(r#"ATTR\{idVendor\}=="([0-9a-f]{4})", ATTR\{idProduct\}=="([0-9a-f]{4})""#)
        .expect("re");
    re.captures_iter(text)
        .map(|c| (u16::from_str_radix(&c[1], 16).expect("hex"), u16::from_str_radix(&c[2], 16).expect("hex")))
        .collect()
}

#[test]
fn committed_rules_are_fresh() {
    let out = Command::new(bin("nut-udev-rules")).output().expect("run nut-udev-rules");
    assert!(out.status.success());
    let fresh = String::from_utf8(out.stdout).expect("utf-8");
    assert!(
        fresh == committed(),
        "{RULES} is stale (the USB id tables changed): run `cargo run -p nut-udev-rules -- -o {RULES}` and commit it"
    );
    let check = Command::new(bin("nut-udev-rules"))
        .arg("--check")
        .arg(workspace_root().join(RULES))
        .status()
        .expect("run");
    assert!(check.success());
}

#[test]
fn every_id_of_every_driver_is_there_for_group_nut() {
    let text = committed();
    let have = ids(&text);
    for e in nut_usb_ids::all() {
        assert!(
            have.contains(&(e.vendor_id, e.product_id)),
            "{:04x}:{:04x} ({}, NUT drivers/{}:{}) has no rule",
            e.vendor_id,
            e.product_id,
            e.driver,
            e.file,
            e.line
        );
    }
    let rules: Vec<&str> = text.lines().filter(|l| l.starts_with("ATTR{idVendor}")).collect();
    assert_eq!(rules.len(), have.len(), "one rule per id");
    for r in rules {
        assert!(r.ends_with(r#", MODE="0660", GROUP="nut""#), "{r}");
    }
}

#[test]
fn debian_ids_for_our_drivers_are_covered() {
    let test = "udev_rules::debian_ids_for_our_drivers_are_covered";
    let Ok(debian) = fs::read_to_string("/lib/udev/rules.d/62-nut-usbups.rules") else {
        skip(test, "Debian's /lib/udev/rules.d/62-nut-usbups.rules is absent", Prereq::DebianNut);
        return;
    };
    // Debian's layout: the same guard lines and labels.
    let ours = committed();
    for l in [
        r#"ACTION=="remove", GOTO="nut-usbups_rules_end""#,
        r#"SUBSYSTEM=="usb_device", GOTO="nut-usbups_rules_real""#,
        r#"SUBSYSTEM=="usb", GOTO="nut-usbups_rules_real""#,
        r#"GOTO="nut-usbups_rules_end""#,
        r#"LABEL="nut-usbups_rules_real""#,
        r#"LABEL="nut-usbups_rules_end""#,
    ] {
        assert!(debian.lines().any(|d| d == l), "Debian's file changed layout: {l}");
        assert!(ours.lines().any(|o| o == l), "ours lacks {l}");
    }
    // Each Debian rule follows a comment naming its drivers ("#  model  - usbhid-ups").
    let have = ids(&ours);
    let mut missing = Vec::new();
    let mut checked = 0;
    let lines: Vec<&str> = debian.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        let Some(&(v, p)) = ids(l).iter().next() else { continue };
        let comment = if i > 0 { lines[i - 1] } else { "" };
        let drivers = comment.rsplit_once(" - ").map_or("", |(_, d)| d);
        let ours_driver = drivers
            .split(',')
            .map(str::trim)
            .any(|d| ["usbhid-ups", "nutdrv_qx", "blazer_usb", "bcmxcp_usb", "riello_usb"].contains(&d));
        checked += usize::from(ours_driver);
        if ours_driver && !have.contains(&(v, p)) {
            missing.push(format!("{v:04x}:{p:04x} ({drivers})"));
        }
    }
    assert!(checked > 50, "only {checked} Debian rules name our drivers: did the comment format change?");
    assert!(missing.is_empty(), "ids Debian 2.8.0 gives our drivers but we do not: {missing:?}");
}

/// udev's rule grammar, enough for this file: `KEY[{attr}]OP"value"` joined by `, `.
fn syntax_errors(text: &str) -> Vec<String> {
    let item = regex::Regex::new(
        r#"^(ACTION|SUBSYSTEM|ATTR\{[A-Za-z]+\}|MODE|GROUP|GOTO|LABEL)(==|!=|=|\+=|:=)"([^"\\]*)"$"#,
    )
    .expect("re");
    let mut errs = Vec::new();
    let mut labels = BTreeSet::new();
    let mut gotos = BTreeSet::new();
    for (i, l) in text.lines().enumerate() {
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        for part in l.split(", ") {
            match item.captures(part) {
                None => errs.push(format!("line {}: cannot parse {part:?}", i + 1)),
                Some(c) => {
                    let (key, op, val) = (&c[1], &c[2], &c[3]);
                    let matching = key == "ACTION" || key == "SUBSYSTEM" || key.starts_with("ATTR{");
                    if matching && !(op == "==" || op == "!=") && !(key.starts_with("ATTR{") && op == "=") {
                        errs.push(format!("line {}: {key} needs == or !=", i + 1));
                    }
                    if !matching && op != "=" {
                        errs.push(format!("line {}: {key} is assigned with =", i + 1));
                    }
                    match key {
                        "LABEL" => {
                            labels.insert(val.to_string());
                        }
                        "GOTO" => {
                            gotos.insert(val.to_string());
                        }
                        "MODE" if !(val.len() == 4 && val.bytes().all(|b| (b'0'..=b'7').contains(&b))) => {
                            errs.push(format!("line {}: MODE {val}", i + 1))
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    for g in gotos.difference(&labels) {
        errs.push(format!("GOTO=\"{g}\" has no LABEL"));
    }
    errs
}

#[test]
fn rules_are_valid_udev_syntax() {
    let test = "udev_rules::rules_are_valid_udev_syntax";
    let text = committed();
    let errs = syntax_errors(&text);
    assert!(errs.is_empty(), "{errs:?}");
    // Our check does catch mistakes.
    assert!(!syntax_errors("ATTR{idVendor}=\"0001\" MODE=\"0660\"\n").is_empty());
    assert!(!syntax_errors("GOTO=\"nowhere\"\n").is_empty());

    let verify = Command::new("udevadm").arg("verify").arg("--help").output();
    match verify {
        Ok(o) if o.status.success() => {
            let out = Command::new("udevadm")
                .arg("verify")
                .arg(workspace_root().join(RULES))
                .output()
                .expect("udevadm verify");
            assert!(
                out.status.success(),
                "udevadm verify:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        _ => skip(
            test,
            "`udevadm verify` needs udev >= 254 (this machine has an older udev or none); only our own syntax check ran",
            Prereq::Machine,
        ),
    }
}
