//! Acceptance (issue 9, item 5): the variables our usbhid-ups publishes from a recorded device
//! are compared with the nut-ddl dump of the same model.
//!
//! Data: every `<vid>-<pid>-<model>.hex` with a `.values.tsv` (the report bytes NUT read) in
//! `shared/testdata/hid-descriptors` (or `$NUT_HID_DESCRIPTORS_DIR`), and every usbhid-ups
//! `.dev` in `shared/testdata/nut-ddl` (or `$NUT_DDL_DIR`); whatever files are there.
//!
//! Pairing (a recording can pair with several dumps):
//! - the dump was made by usbhid-ups (the driver field of its name: `usbhid-ups`, or the
//!   `usbhid_ups` some contributors wrote); the older `hidups`/`newhidups` drivers published
//!   other names;
//! - the model part of the dump's name (`Back-UPS_CS_500`) is, word for word and ignoring case
//!   and punctuation, the end of the recording's model part (`apc-back-ups-cs-500`: the
//!   recording's name starts with the brand);
//! - the dump's `ups.vendorid`/`ups.productid`, when it has them, are the recording's ids.
//!
//! A dump was taken *with the same report data* when it and the recording come from the same
//! report: the dump's `DEVICE:URL:REPORT` and the `# source` lines of the `.values.tsv` name
//! the same NUT GitHub issue or pull request, or the `.values.tsv` names the dump's file.
//!
//! What is compared:
//! - names, for every pair: each variable the dump has must be published, and nothing else,
//!   except `driver.*` (the NUT version, build and configuration of whoever made the dump) and,
//!   when the recording has no `.strings.txt`, what comes from USB string descriptors (the
//!   manufacturer/product/serial strings and the string-indexed variables of the subdriver's
//!   table), which the recording does not hold, and variables the subdriver reads only from
//!   reports the recording does not hold (most `.values.tsv` transcribe part of a log);
//! - values, for same-report-data pairs, of every variable both publish except those that vary
//!   over time (measurements: voltages, currents, frequencies, temperatures, load, power,
//!   charge, runtime, timers, and `ups.status`/`ups.alarm`, as a dump is a later snapshot than
//!   the first reads the recording holds) and values the DDL marks `#BAD:`.
//! - The driver is run as the dump's contributor ran NUT: its `driver.parameter.*` and
//!   `driver.flag.*` that usbhid-ups knows are passed as `-x` options.
//!
//! Routing: the vendor tables are being ported from NUT (issue 9) by several people; the
//! mismatches of pairs whose subdriver is listed in [`PENDING`] are printed (run with
//! `--nocapture` to read them) and do not fail the test; every other pair must match. A
//! pending subdriver whose pairs all match fails the test until it is taken off the list.
//! What does not depend on the vendor tables ([`ALWAYS`]: the driver runs, `device.type`,
//! `driver.name`, the USB ids) must match for every pair.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use usbhid_ups::device_table::{self, MatchOpts};
use usbhid_ups::subdrivers::Conv;
use usbhid_ups::transport::replay::Replay;
use usbhid_ups::transport::{Transport, TransportError};

/// Subdrivers whose NUT tables are still being ported (NUT file, who ports it).
const PENDING: &[(&str, &str)] = &[
    ("mge-hid.c", "hid-mge"),
    ("apc-hid.c", "hid-vendors-a"),
    ("cps-hid.c", "hid-vendors-a"),
    ("tripplite-hid.c", "hid-vendors-a"),
    ("liebert-hid.c", "hid-vendors-b"),
    ("powercom-hid.c", "hid-vendors-b"),
    ("salicru-hid.c", "hid-vendors-b"),
    ("delta_ups-hid.c", "hid-vendors-b"),
];

fn shared(env: &str, name: &str) -> Option<PathBuf> {
    let p = std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| nut_testkit::workspace_root().join("../shared/testdata").join(name));
    p.is_dir().then_some(p)
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// GitHub issues and pull requests of the networkupstools projects named in `text`, as
/// `repo#N`.
fn references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let key = "github.com/networkupstools/";
    let mut rest = text;
    while let Some(i) = rest.find(key) {
        rest = &rest[i + key.len()..];
        let mut parts = rest.splitn(3, '/');
        let (Some(repo), Some(kind), Some(tail)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let n: String = tail.chars().take_while(char::is_ascii_digit).collect();
        if (kind == "issues" || kind == "pull") && !n.is_empty() {
            out.insert(format!("{repo}#{n}"));
        }
    }
    out
}

struct Recording {
    hex: PathBuf,
    stem: String,
    vid: u16,
    pid: u16,
    model: Vec<String>,
    header: String,
    has_strings: bool,
}

fn recordings(dir: &Path) -> Vec<Recording> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        let Some(stem) = p.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".hex")) else {
            continue;
        };
        let tsv = dir.join(format!("{stem}.values.tsv"));
        let (Ok(text), Some(vid), Some(pid)) = (
            std::fs::read_to_string(&tsv),
            stem.get(0..4).and_then(|s| u16::from_str_radix(s, 16).ok()),
            stem.get(5..9).and_then(|s| u16::from_str_radix(s, 16).ok()),
        ) else {
            continue;
        };
        let header = text.lines().filter(|l| l.starts_with('#')).collect::<Vec<_>>().join("\n");
        out.push(Recording {
            hex: p.clone(),
            stem: stem.to_string(),
            vid,
            pid,
            model: words(stem.get(10..).unwrap_or("")),
            header,
            has_strings: dir.join(format!("{stem}.strings.txt")).exists(),
        });
    }
    out.sort_by(|a, b| a.stem.cmp(&b.stem));
    out
}

struct Dump {
    rel: String,
    file: String,
    model: Vec<String>,
    version: String,
    vars: BTreeMap<String, String>,
    bad: BTreeSet<String>,
    refs: BTreeSet<String>,
}

fn dumps(dir: &Path) -> Vec<Dump> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "dev") {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut out = Vec::new();
    for p in files {
        let file = p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_string();
        let parts: Vec<&str> = file.trim_end_matches(".dev").split("__").collect();
        if parts.len() < 4 || !matches!(parts[2], "usbhid-ups" | "usbhid_ups") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else { continue };
        let mut vars = BTreeMap::new();
        let mut bad = BTreeSet::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let Some((k, v)) = line.split_once(": ") else { continue };
            let (v, note) = match v.split_once("\t#") {
                Some((v, note)) => (v, Some(note)),
                None => (v, None),
            };
            if note.is_some_and(|n| n.starts_with("BAD")) {
                bad.insert(k.to_string());
            }
            vars.insert(k.to_string(), v.trim_end().to_string());
        }
        let urls: String = text.lines().filter(|l| l.starts_with("# DEVICE:URL:REPORT")).collect();
        out.push(Dump {
            rel: p.strip_prefix(dir).unwrap_or(&p).display().to_string(),
            file: file.clone(),
            model: words(parts[1]),
            version: parts[3].to_string(),
            vars,
            bad,
            refs: references(&urls),
        });
    }
    out
}

fn pairs<'a>(recs: &'a [Recording], dumps: &'a [Dump]) -> Vec<(&'a Recording, &'a Dump)> {
    let mut out = Vec::new();
    for r in recs {
        for d in dumps {
            let n = d.model.len();
            let model = n > 0 && n <= r.model.len() && r.model[r.model.len() - n..] == d.model[..];
            let id = |k: &str, want: u16| {
                d.vars.get(k).is_none_or(|v| u16::from_str_radix(v.trim(), 16).ok() == Some(want))
            };
            if model && id("ups.vendorid", r.vid) && id("ups.productid", r.pid) {
                out.push((r, d));
            }
        }
    }
    out
}

fn same_report_data(r: &Recording, d: &Dump) -> bool {
    r.header.contains(&d.file) || !references(&r.header).is_disjoint(&d.refs)
}

/// Measurements and state: a dump is a snapshot taken at another moment than the reads.
fn varies_over_time(name: &str) -> bool {
    const EXACT: &[&str] =
        &["battery.charge", "battery.runtime", "ups.status", "ups.alarm", "ups.test.result"];
    const SUFFIX: &[&str] = &[
        ".voltage",
        ".current",
        ".frequency",
        ".temperature",
        ".load",
        ".power",
        ".realpower",
        ".humidity",
        ".powerfactor",
        ".efficiency",
    ];
    EXACT.contains(&name) || SUFFIX.iter().any(|s| name.ends_with(s)) || name.starts_with("ups.timer.")
}

/// The options the dump's contributor gave NUT, for our driver: `-x` arguments.
fn dump_options(d: &Dump) -> Vec<String> {
    let specs = usbhid_ups::option_specs();
    let mut out = Vec::new();
    for (k, v) in &d.vars {
        let name = k.strip_prefix("driver.parameter.").or_else(|| k.strip_prefix("driver.flag."));
        let Some(spec) = name.and_then(|n| specs.iter().find(|s| s.name == n)) else { continue };
        if matches!(spec.name, "port" | "pollinterval" | "synchronous" | "record") {
            continue;
        }
        // Some NUT versions published flags as parameters (`driver.parameter.pollonly: enabled`).
        if spec.kind == nut_driver::OptKind::Flag || k.starts_with("driver.flag.") {
            out.push(spec.name.to_string());
        } else {
            out.push(format!("{}={v}", spec.name));
        }
    }
    out
}

/// What our driver publishes for the recording: one update of the binary (`-d 1`).
fn ours(r: &Recording, opts: &[String]) -> Result<BTreeMap<String, String>, String> {
    let dir = nut_testkit::TempDir::new().unwrap();
    let mut c = Command::new(nut_testkit::bin("usbhid-ups"));
    c.env("NUT_STATEPATH", dir.path()).env("NUT_ALTPIDPATH", dir.path()).env("NUT_CONFPATH", dir.path());
    c.env_remove("NUT_DEBUG_LEVEL");
    c.args(["-s", "ddl", "-u", "root", "-d", "1", "-x", &format!("port={}", r.hex.display())]);
    for o in opts {
        c.args(["-x", o]);
    }
    let out = c.output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// Variables that come from USB string descriptors for this device's subdriver.
fn from_strings(r: &Recording) -> BTreeSet<String> {
    let mut out: BTreeSet<String> =
        ["ups.mfr", "ups.model", "ups.serial", "device.mfr", "device.model", "device.serial"]
            .map(str::to_string)
            .into();
    let info = Replay::open(&r.hex).map(|t| t.info()).unwrap();
    if let Ok(c) = device_table::claim(&info, &MatchOpts::default()) {
        out.extend(c.subdriver.all_vars().filter(|m| m.conv == Conv::StringId).map(|m| m.var.to_string()));
    }
    out
}

/// Variables that do not depend on the vendor tables: they must match for every pair, pending
/// or not.
const ALWAYS: &[&str] = &["device.type", "driver.name", "ups.vendorid", "ups.productid"];

/// Variables the subdriver maps only to reports the recording does not hold (the recordings
/// are transcribed from debug logs, often partial): nothing can be published for them.
fn unrecorded_reports(r: &Recording) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(t) = Replay::open(&r.hex) else { return out };
    let info = t.info();
    let Ok(c) = device_table::claim(&info, &MatchOpts::default()) else { return out };
    let Ok(mut ups) = usbhid_ups::hidups::HidUps::new(Box::new(t), c.subdriver) else { return out };
    let mut recorded: BTreeMap<String, bool> = BTreeMap::new();
    for m in c.subdriver.all_vars().filter(|m| !m.var.is_empty()) {
        let Some(f) = ups.field(m.path).cloned() else { continue };
        let has = m.flags & usbhid_ups::subdrivers::flag::ABSENT != 0
            || !matches!(ups.read_report(f.report_type, f.report_id), Err(TransportError::NotSupported));
        *recorded.entry(m.var.to_string()).or_insert(false) |= has;
    }
    out.extend(recorded.into_iter().filter(|(_, has)| !has).map(|(v, _)| v));
    out
}

struct Outcome {
    title: String,
    nut_file: String,
    failures: Vec<String>,
    /// Mismatches of [`ALWAYS`] variables.
    always: Vec<String>,
    notes: Vec<String>,
}

fn compare(r: &Recording, d: &Dump) -> Outcome {
    let info = Replay::open(&r.hex).map(|t| t.info()).unwrap();
    let nut_file =
        device_table::claim(&info, &MatchOpts::default()).map_or("(none)", |c| c.nut.file).to_string();
    let same = same_report_data(r, d);
    let title = format!(
        "{} vs {} (NUT {}; {}; {nut_file})",
        r.stem,
        d.rel,
        d.version,
        if same { "same report data" } else { "other report data: names only" }
    );
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    let got = match ours(r, &dump_options(d)) {
        Ok(v) => v,
        Err(e) => {
            let always = vec![format!("the driver did not run: {e}")];
            return Outcome { title, nut_file, failures, always, notes };
        }
    };
    let unrecorded = if r.has_strings { BTreeSet::new() } else { from_strings(r) };
    let no_report = unrecorded_reports(r);
    let compared =
        |k: &String| !k.starts_with("driver.") && !unrecorded.contains(k) && !no_report.contains(k);
    let missing: Vec<&String> = d.vars.keys().filter(|k| compared(k) && !got.contains_key(*k)).collect();
    let extra: Vec<&String> = got.keys().filter(|k| compared(k) && !d.vars.contains_key(*k)).collect();
    if !missing.is_empty() {
        failures.push(format!("missing (NUT publishes, we do not): {}", join(&missing)));
    }
    if !extra.is_empty() {
        failures.push(format!("extra (we publish, NUT did not): {}", join(&extra)));
    }
    let mut drift = Vec::new();
    for (k, want) in &d.vars {
        let Some(have) = got.get(k) else { continue };
        if !compared(k) || have == want {
            continue;
        }
        let line = format!("{k}: NUT \"{want}\", ours \"{have}\"");
        if !same || varies_over_time(k) || d.bad.contains(k) {
            drift.push(line);
        } else {
            failures.push(format!("value {line}"));
        }
    }
    let always = ALWAYS
        .iter()
        .filter_map(|k| {
            let want = d.vars.get(*k)?;
            let have = got.get(*k);
            (have != Some(want)).then(|| format!("{k}: NUT \"{want}\", ours {have:?}"))
        })
        .collect();
    let skipped: Vec<&String> =
        d.vars.keys().filter(|k| !k.starts_with("driver.") && unrecorded.contains(*k)).collect();
    if !skipped.is_empty() {
        notes.push(format!("not compared (USB strings, not recorded): {}", join(&skipped)));
    }
    let partial: Vec<&String> = d.vars.keys().filter(|k| no_report.contains(*k)).collect();
    if !partial.is_empty() {
        notes.push(format!("not compared (their reports are not in the recording): {}", join(&partial)));
    }
    if !drift.is_empty() {
        notes.push(format!("values that may differ (time, other data, #BAD): {}", drift.join("; ")));
    }
    Outcome { title, nut_file, failures, always, notes }
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

#[test]
fn published_variables_match_the_nut_ddl_dump_of_the_same_model() {
    let test = "published_variables_match_the_nut_ddl_dump_of_the_same_model";
    let (Some(rec_dir), Some(ddl_dir)) =
        (shared("NUT_HID_DESCRIPTORS_DIR", "hid-descriptors"), shared("NUT_DDL_DIR", "nut-ddl"))
    else {
        nut_testkit::skip(
            test,
            "shared/testdata/hid-descriptors and nut-ddl are not both available (set NUT_HID_DESCRIPTORS_DIR, NUT_DDL_DIR)",
            nut_testkit::Prereq::NutDdl,
        );
        return;
    };
    let recs = recordings(&rec_dir);
    let dumps = dumps(&ddl_dir);
    let pairs = pairs(&recs, &dumps);
    assert!(!recs.is_empty() && !dumps.is_empty(), "no recordings or no usbhid-ups dumps found");
    let mut report = String::new();
    let mut failed = Vec::new();
    let mut pending_ok: BTreeMap<&str, bool> = BTreeMap::new();
    for (r, d) in &pairs {
        let o = compare(r, d);
        let pending = PENDING.iter().find(|(f, _)| *f == o.nut_file);
        let tag = match pending {
            Some((_, who)) => format!("pending: {who}"),
            None => "must match".to_string(),
        };
        report.push_str(&format!("\n== {} [{tag}]\n", o.title));
        for f in &o.always {
            report.push_str(&format!("   MISMATCH (any subdriver) {f}\n"));
        }
        for f in &o.failures {
            report.push_str(&format!("   MISMATCH {f}\n"));
        }
        for n in &o.notes {
            report.push_str(&format!("   note: {n}\n"));
        }
        if o.failures.is_empty() && o.always.is_empty() {
            report.push_str("   all compared variables match\n");
        }
        if !o.always.is_empty() {
            failed.push(o.title.clone());
        }
        match pending {
            Some((f, _)) => *pending_ok.entry(f).or_insert(true) &= o.failures.is_empty(),
            None if !o.failures.is_empty() => failed.push(o.title.clone()),
            None => {}
        }
    }
    println!(
        "{} recording(s) with report data, {} usbhid-ups dump(s), {} pair(s):{report}",
        recs.len(),
        dumps.len(),
        pairs.len()
    );
    let done: Vec<&&str> = pending_ok.iter().filter(|(_, ok)| **ok).map(|(f, _)| f).collect();
    assert!(failed.is_empty(), "pairs that must match do not: {failed:#?}\n{report}");
    assert!(done.is_empty(), "every pair of {done:?} matches now: take it off PENDING\n{report}");
}

#[test]
fn pairing_and_same_data_rules() {
    assert_eq!(words("Back-UPS_CS_500"), ["back", "ups", "cs", "500"]);
    let refs = references(
        "# source: https://github.com/networkupstools/nut/issues/2271#issuecomment-1 and \
         https://github.com/networkupstools/nut-ddl/pull/40",
    );
    assert_eq!(refs, ["nut#2271".to_string(), "nut-ddl#40".to_string()].into());
    let rec = Recording {
        hex: PathBuf::new(),
        stem: "051d-0002-apc-back-ups-cs-500".into(),
        vid: 0x051d,
        pid: 0x0002,
        model: words("apc-back-ups-cs-500"),
        header: "# source: https://github.com/networkupstools/nut/issues/1776".into(),
        has_strings: false,
    };
    let dump = |model: &str, pid: &str, url: &str| Dump {
        rel: String::new(),
        file: format!("APC__{model}__usbhid-ups__2.8.0__01.dev"),
        model: words(model),
        version: "2.8.0".into(),
        vars: [("ups.productid".to_string(), pid.to_string())].into(),
        bad: BTreeSet::new(),
        refs: references(url),
    };
    let recs = [rec];
    let ds = [
        dump("Back-UPS_CS_500", "0002", "https://github.com/networkupstools/nut/issues/1776"),
        dump("Back-UPS_CS_500", "0002", "https://lists.example/1"),
        dump("Back-UPS_CS_500", "0003", ""),
        dump("CS_5000", "0002", ""),
        dump("UPS_CS_500", "0002", ""),
    ];
    let p = pairs(&recs, &ds);
    assert_eq!(p.len(), 3, "same model and ids; a trailing part of the model name pairs too");
    assert!(same_report_data(p[0].0, p[0].1));
    assert!(!same_report_data(p[1].0, p[1].1));
    assert!(varies_over_time("input.voltage") && varies_over_time("ups.timer.shutdown"));
    assert!(!varies_over_time("input.voltage.nominal") && !varies_over_time("battery.charge.low"));
}
