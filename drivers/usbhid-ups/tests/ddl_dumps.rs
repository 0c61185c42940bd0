//! Acceptance (issue 9, item 5): the variables our usbhid-ups publishes from a recorded device
//! are compared with the nut-ddl dump of the same model.
//!
//! Data: every `<vid>-<pid>-<model>.hex` with a `.values.tsv` (the report bytes NUT read) in
//! `shared/testdata/hid-descriptors` (or `$NUT_HID_DESCRIPTORS_DIR`), and every usbhid-ups
//! `.dev` in `shared/testdata/nut-ddl` (or `$NUT_DDL_DIR`); whatever files are there. USB
//! strings come with the recording (`<stem>.strings.txt`) or from `tests/data/<stem>.strings.txt`
//! (transcribed from the same log, source in the file).
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
//! The driver is run as the dump's contributor ran NUT:
//! - with the subdriver that made the dump (its `driver.version.data`, through
//!   [`SUBDRIVER_NAMES`]): when NUT 2.8.5 gives the device to another subdriver, ours runs with
//!   `subdriver = <that subdriver>`, which bypasses the claim as NUT 2.8.5's does (usbhid-ups.c);
//!   the output of the subdriver 2.8.5 claims it with is then compared with nothing, and the
//!   report says so;
//! - with the dump's `driver.parameter.*` and `driver.flag.*` that usbhid-ups knows, as `-x`.
//!
//! What is compared:
//! - names, for every pair: each variable the dump has must be published, and nothing else,
//!   except:
//!   - `driver.*` (the NUT version, build and configuration of whoever made the dump);
//!   - when the recording has no USB strings, what comes from them (the manufacturer/product/
//!     serial strings and the string-indexed variables of the subdriver's table);
//!   - variables the subdriver reads only from reports the recording does not hold (most
//!     `.values.tsv` transcribe part of a log);
//!   - variables the subdriver's table gained or lost after the dump's NUT version
//!     (`tests/data/nut_hid_table_history.tsv`, one row per NUT commit): an older NUT could not
//!     publish them, or published them from a table entry 2.8.5 no longer has;
//!   - for a dump of another unit (not the same report data), variables the dump has whose
//!     every path in the subdriver's table is absent from the recording's report descriptor:
//!     that unit's descriptor had paths this one has not, so neither NUT nor we can publish them
//!     from this recording. They are listed in the report, never excused by name;
//! - values, for same-report-data pairs, of every variable both publish except those that vary
//!   over time (measurements: voltages, currents, frequencies, temperatures, load, power,
//!   charge, runtime, timers, and `ups.status`/`ups.alarm`, as a dump is a later snapshot than
//!   the first reads the recording holds) and values the DDL marks `#BAD:`.
//!
//! Every mismatch fails the test (run with `--nocapture` to read the whole report). What does
//! not depend on the vendor tables ([`ALWAYS`]: the driver runs, `device.type`, `driver.name`,
//! the USB ids) is reported apart. The report ends with the subdrivers no pair exercises.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use usbhid_ups::device_table::{self, MatchOpts, NUT_SUBDRIVERS};
use usbhid_ups::subdrivers::{Conv, Subdriver};
use usbhid_ups::transport::replay::Replay;
use usbhid_ups::transport::{Transport, TransportError};

/// Variables a subdriver's identity hook takes from the USB strings besides manufacturer,
/// model and serial: (NUT file, variables, where NUT does it). Not comparable when the
/// recording has no strings.
const FROM_USB_STRINGS: &[(&str, &[&str], &str)] = &[(
    "apc-hid.c",
    &["ups.firmware", "ups.firmware.aux"],
    "apc-hid.c:473 apc_format_model cuts them from the product string",
)];

/// Subdriver names NUT releases used (`driver.version.data` without its version) and the NUT
/// file that defined each, with the first and last release that had the name. Source: the
/// `#define *_HID_VERSION` line of every drivers/*-hid.c at each release tag v2.0.4 .. v2.8.5
/// of networkupstools/nut.
const SUBDRIVER_NAMES: &[(&str, &str, &str, &str)] = &[
    ("APC HID", "apc-hid.c", "2.2.1", "2.8.5"),
    ("APC/CyberPower HID", "apc-hid.c", "2.0.4", "2.2.0"),
    ("Arduino HID", "arduino-hid.c", "2.8.0", "2.8.5"),
    ("Belkin HID", "belkin-hid.c", "2.0.4", "2.7.2"),
    ("Belkin/Liebert HID", "belkin-hid.c", "2.7.3", "2.8.5"),
    ("CyberPower HID", "cps-hid.c", "2.2.1", "2.8.5"),
    ("Delta UPS HID", "delta_ups-hid.c", "2.8.0", "2.8.5"),
    ("EXPLORE HID", "explore-hid.c", "2.0.5", "2.8.5"),
    ("EcoFlow HID", "ecoflow-hid.c", "2.8.3", "2.8.5"),
    ("Ever HID", "ever-hid.c", "2.8.0", "2.8.5"),
    ("Legrand HID", "legrand-hid.c", "2.8.0", "2.8.5"),
    ("Liebert HID", "liebert-hid.c", "2.2.1", "2.7.2"),
    ("MGE HID", "mge-hid.c", "2.0.4", "2.8.5"),
    ("Phoenixtec/Liebert HID", "liebert-hid.c", "2.7.3", "2.8.5"),
    ("PowerCOM HID", "powercom-hid.c", "2.4.2", "2.8.5"),
    ("Powervar HID", "powervar-hid.c", "2.8.0", "2.8.5"),
    ("Salicru HID", "salicru-hid.c", "2.8.0", "2.8.5"),
    ("TrippLite HID", "tripplite-hid.c", "2.0.5", "2.8.5"),
    ("iDowell HID", "idowell-hid.c", "2.6.0", "2.8.5"),
    ("openUPS HID", "openups-hid.c", "2.7.1", "2.8.5"),
];

/// What `driver.version.data` names (`MGE HID 1.40`, `TrippLite HID 0.1 (experimental)`): the
/// NUT file of that subdriver, or `None` for a name no NUT release had.
fn subdriver_file(version_data: &str) -> Option<&'static str> {
    let s = version_data.trim().trim_end_matches("(experimental)").trim_end();
    let base = match s.rsplit_once(' ') {
        Some((b, v)) if v.chars().all(|c| c.is_ascii_digit() || c == '.') => b,
        _ => s,
    };
    SUBDRIVER_NAMES.iter().find(|(n, ..)| *n == base).map(|(_, f, ..)| *f)
}

/// A NUT version (`2.7.4`, `2.8.2.1`, `2.7.4-1-gb34f2434`) as numbers to compare; a development
/// build after a release (`-1-g...`) sorts after it.
fn version(v: &str) -> Vec<u32> {
    let (base, dev) = match v.split_once('-') {
        Some((b, rest)) => (b, rest.split('-').next().and_then(|n| n.parse::<u32>().ok())),
        None => (v, None),
    };
    let mut out: Vec<u32> = base.split('.').map_while(|n| n.parse().ok()).collect();
    out.extend(dev);
    out
}

/// One change of a NUT subdriver table: (file, variable) gained or lost in a release, or
/// (`source`) a variable the table already had gained a new entry reading another HID path, so
/// that devices without the older paths publish it from that release on.
struct Change {
    file: String,
    var: String,
    gained: bool,
    release: String,
    commit: String,
    /// For a `source` row: the HID path of the new entry.
    source: Option<String>,
}

fn table_history() -> Vec<Change> {
    let text = include_str!("data/nut_hid_table_history.tsv");
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        assert!(
            (f.len() == 5 && matches!(f[2], "gained" | "lost") || f.len() == 6 && f[2] == "source")
                && version(f[3]).len() == 3,
            "nut_hid_table_history.tsv:{}: malformed row {line:?}",
            n + 1
        );
        out.push(Change {
            file: f[0].into(),
            var: f[1].into(),
            gained: f[2] != "lost",
            release: f[3].into(),
            commit: f[4].into(),
            source: f.get(5).map(|p| p.to_string()),
        });
    }
    out
}

/// The change that makes `var` of `file` legitimately absent from (`gained`) or present only in
/// (`!gained`) a dump taken by NUT `dump_version`: one made in a later release.
fn later_change<'a>(
    h: &'a [Change],
    file: &str,
    var: &str,
    gained: bool,
    dump_version: &str,
) -> Option<&'a Change> {
    let v = version(dump_version);
    h.iter().find(|c| c.file == file && c.var == var && c.gained == gained && v < version(&c.release))
}

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
    /// The `.hex` the driver replays (in a temporary copy when the strings come from tests/data).
    hex: PathBuf,
    stem: String,
    vid: u16,
    pid: u16,
    model: Vec<String>,
    header: String,
    has_strings: bool,
    _copy: Option<nut_testkit::TempDir>,
}

/// `tests/data/<stem>.strings.txt`: USB strings transcribed for a shared recording.
fn our_strings(stem: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(format!("{stem}.strings.txt"))
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
        let mut hex = p.clone();
        let mut copy = None;
        let mut has_strings = dir.join(format!("{stem}.strings.txt")).exists();
        if !has_strings && our_strings(stem).exists() {
            // The replay reads `<stem>.strings.txt` next to the `.hex`: a copy of the recording
            // with our transcription of its strings.
            let tmp = nut_testkit::TempDir::new().unwrap();
            for e in std::fs::read_dir(dir).unwrap().flatten() {
                let name = e.file_name().to_string_lossy().to_string();
                if name.strip_prefix(stem).is_some_and(|r| r.starts_with('.')) {
                    std::fs::copy(e.path(), tmp.path().join(&name)).unwrap();
                }
            }
            std::fs::copy(our_strings(stem), tmp.path().join(format!("{stem}.strings.txt"))).unwrap();
            hex = tmp.path().join(format!("{stem}.hex"));
            copy = Some(tmp);
            has_strings = true;
        }
        out.push(Recording {
            hex,
            stem: stem.to_string(),
            vid,
            pid,
            model: words(stem.get(10..).unwrap_or("")),
            header,
            has_strings,
            _copy: copy,
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
            vars.insert(k.to_string(), v.trim_end_matches('\r').to_string());
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

/// The NUT 2.8.5 claim of the recording's device (ids and strings, no options).
fn claimed(r: &Recording) -> Option<device_table::Claimed> {
    let info = Replay::open(&r.hex).map(|t| t.info()).unwrap();
    device_table::claim(&info, &MatchOpts::default()).ok()
}

/// Variables that come from USB string descriptors for this subdriver.
fn from_strings(file: &str, sub: &'static Subdriver) -> BTreeSet<String> {
    let mut out: BTreeSet<String> =
        ["ups.mfr", "ups.model", "ups.serial", "device.mfr", "device.model", "device.serial"]
            .map(str::to_string)
            .into();
    out.extend(sub.all_vars().filter(|m| m.conv == Conv::StringId).map(|m| m.var.to_string()));
    for (_, vars, _) in FROM_USB_STRINGS.iter().filter(|(f, _, _)| *f == file) {
        out.extend(vars.iter().map(|v| v.to_string()));
    }
    out
}

/// What the recording's descriptor and reports allow `sub` to publish.
#[derive(Default)]
struct Coverage {
    /// Variables `sub` maps only to reports the recording does not hold (the recordings are
    /// transcribed from debug logs, often partial): nothing can be published for them.
    no_report: BTreeSet<String>,
    /// Variables `sub`'s table has, none of whose paths is in the recording's descriptor.
    no_path: BTreeSet<String>,
    /// The table's paths that are in the recording's descriptor.
    paths: BTreeSet<String>,
}

fn coverage(r: &Recording, sub: &'static Subdriver) -> Coverage {
    let mut out = Coverage::default();
    let Ok(t) = Replay::open(&r.hex) else { return out };
    let Ok(mut ups) = usbhid_ups::hidups::HidUps::new(Box::new(t), sub) else { return out };
    let mut recorded: BTreeMap<String, bool> = BTreeMap::new();
    let mut in_descriptor: BTreeMap<String, bool> = BTreeMap::new();
    for m in sub.all_vars().filter(|m| !m.var.is_empty()) {
        let field = ups.field(m.path).cloned();
        if field.is_some() {
            out.paths.insert(m.path.to_string());
        }
        *in_descriptor.entry(m.var.to_string()).or_insert(false) |= field.is_some() || m.path.is_empty();
        let Some(f) = field else { continue };
        let has = m.flags & usbhid_ups::subdrivers::flag::ABSENT != 0
            || !matches!(ups.read_report(f.report_type, f.report_id), Err(TransportError::NotSupported));
        *recorded.entry(m.var.to_string()).or_insert(false) |= has;
    }
    out.no_report.extend(recorded.into_iter().filter(|(_, has)| !has).map(|(v, _)| v));
    out.no_path.extend(in_descriptor.into_iter().filter(|(_, has)| !has).map(|(v, _)| v));
    out
}

/// Variables that do not depend on the vendor tables: they must match for every pair, pending
/// or not.
const ALWAYS: &[&str] = &["device.type", "driver.name", "ups.vendorid", "ups.productid"];

/// One mismatch, by variable.
struct Mismatch {
    var: String,
    what: String,
}

struct Outcome {
    title: String,
    /// NUT file of the subdriver the dump was compared with.
    file: &'static str,
    /// NUT file of the subdriver 2.8.5 claims the device with, when the dump's differs.
    claimed_other: Option<&'static str>,
    failures: Vec<Mismatch>,
    /// Mismatches of [`ALWAYS`] variables.
    always: Vec<String>,
    notes: Vec<String>,
}

/// The subdriver a dump is compared with: the one that made the dump (forced with `subdriver`
/// when NUT 2.8.5 claims the device with another), else the claim's.
struct Used {
    file: &'static str,
    table: &'static Subdriver,
    /// `subdriver = <name>`, when the claim is bypassed.
    forced: Option<&'static str>,
    note: Option<String>,
}

fn used_subdriver(r: &Recording, d: &Dump) -> Result<Used, String> {
    let claim = claimed(r);
    let named = d.vars.get("driver.version.data");
    match (named.and_then(|v| subdriver_file(v)), claim) {
        (Some(f), Some(c)) if f == c.nut.file => Ok(Used { file: f, table: c.subdriver, forced: None, note: None }),
        (Some(f), _) => {
            let n = NUT_SUBDRIVERS.iter().find(|n| n.file == f).ok_or(format!("{f} is not one of NUT 2.8.5's"))?;
            Ok(Used { file: f, table: n.subdriver, forced: Some(n.subdriver.name), note: None })
        }
        (None, Some(c)) => Ok(Used {
            file: c.nut.file,
            table: c.subdriver,
            forced: None,
            note: Some(format!(
                "the dump's subdriver ({}) is no NUT release's: compared with the one NUT 2.8.5 claims the device with",
                named.map_or("not in the dump", String::as_str)
            )),
        }),
        (None, None) => Err("no subdriver of NUT 2.8.5 claims the device".into()),
    }
}

fn compare(r: &Recording, d: &Dump, history: &[Change]) -> Outcome {
    let same = same_report_data(r, d);
    let claim_file = claimed(r).map_or("(none)", |c| c.nut.file);
    let mut title = format!(
        "{} vs {} (NUT {}; {})",
        r.stem,
        d.rel,
        d.version,
        if same { "same report data" } else { "other report data: names only" }
    );
    let mut failures = Vec::new();
    let mut notes = Vec::new();
    let used = match used_subdriver(r, d) {
        Ok(u) => u,
        Err(e) => {
            let always = vec![e];
            return Outcome { title, file: "(none)", claimed_other: None, failures, always, notes };
        }
    };
    let mut opts = dump_options(d);
    if let Some(name) = used.forced {
        title.push_str(&format!(
            "; {}, run with subdriver = \"{name}\" as the dump was made with {}, NUT 2.8.5 claims it with {claim_file}",
            used.file,
            d.vars.get("driver.version.data").map_or("?", String::as_str)
        ));
        opts.retain(|o| !o.starts_with("subdriver="));
        opts.push(format!("subdriver={name}"));
    } else {
        title.push_str(&format!("; {}", used.file));
    }
    let claimed_other = (used.file != claim_file).then_some(claim_file);
    notes.extend(used.note);
    let got = match ours(r, &opts) {
        Ok(v) => v,
        Err(e) => {
            let always = vec![format!("the driver did not run: {e}")];
            return Outcome { title, file: used.file, claimed_other, failures, always, notes };
        }
    };
    let unrecorded = if r.has_strings { BTreeSet::new() } else { from_strings(used.file, used.table) };
    let cov = coverage(r, used.table);
    let compared =
        |k: &String| !k.starts_with("driver.") && !unrecorded.contains(k) && !cov.no_report.contains(k);
    let mut later = Vec::new();
    let mut no_path = Vec::new();
    for k in d.vars.keys().filter(|k| compared(k) && !got.contains_key(*k)) {
        if let Some(c) = later_change(history, used.file, k, false, &d.version) {
            later.push(format!("{k} (dropped in NUT {}, {})", c.release, c.commit));
        } else if !same && cov.no_path.contains(k) {
            no_path.push(k.as_str());
        } else {
            failures.push(Mismatch { var: k.clone(), what: "missing (NUT publishes, we do not)".into() });
        }
    }
    for k in got.keys().filter(|k| compared(k) && !d.vars.contains_key(*k)) {
        let change = later_change(history, used.file, k, true, &d.version);
        if let Some(c) = change.filter(|c| c.source.as_ref().is_none_or(|p| cov.paths.contains(p))) {
            let what = match &c.source {
                Some(p) => format!("an entry reading {p}"),
                None => "the variable".to_string(),
            };
            later.push(format!("{k} ({what} added in NUT {}, {})", c.release, c.commit));
        } else {
            failures.push(Mismatch { var: k.clone(), what: "extra (we publish, NUT did not)".into() });
        }
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
            failures.push(Mismatch { var: k.clone(), what: format!("value {line}") });
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
    let skipped: Vec<&str> = d
        .vars
        .keys()
        .filter(|k| !k.starts_with("driver.") && unrecorded.contains(*k))
        .map(String::as_str)
        .collect();
    if !skipped.is_empty() {
        notes.push(format!("not compared (USB strings, not recorded): {}", skipped.join(", ")));
    }
    let partial: Vec<&str> =
        d.vars.keys().filter(|k| cov.no_report.contains(*k)).map(String::as_str).collect();
    if !partial.is_empty() {
        notes.push(format!("not compared (their reports are not in the recording): {}", partial.join(", ")));
    }
    if !no_path.is_empty() {
        notes.push(format!(
            "not compared (the dump's unit had paths this recording's descriptor lacks: none of the paths {} \
             reads them from is in it): {}",
            used.file,
            no_path.join(", ")
        ));
    }
    if !later.is_empty() {
        notes.push(format!(
            "not compared ({} changed after NUT {}): {}",
            used.file,
            d.version,
            later.join(", ")
        ));
    }
    if !drift.is_empty() {
        notes.push(format!("values that may differ (time, other data, #BAD): {}", drift.join("; ")));
    }
    Outcome { title, file: used.file, claimed_other, failures, always, notes }
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
    let history = table_history();
    let recs = recordings(&rec_dir);
    let dumps = dumps(&ddl_dir);
    let pairs = pairs(&recs, &dumps);
    assert!(!recs.is_empty() && !dumps.is_empty(), "no recordings or no usbhid-ups dumps found");
    let mut report = String::new();
    let mut failed = Vec::new();
    let mut compared_files: BTreeSet<&str> = BTreeSet::new();
    // Recording -> (files its dumps were compared with, the file 2.8.5 claims it with).
    let mut by_rec: BTreeMap<&str, (BTreeSet<&str>, Option<&str>, &Recording)> = BTreeMap::new();
    for (r, d) in &pairs {
        let o = compare(r, d, &history);
        compared_files.insert(o.file);
        let e = by_rec.entry(r.stem.as_str()).or_insert((BTreeSet::new(), None, r));
        e.0.insert(o.file);
        if o.claimed_other.is_some() {
            e.1 = o.claimed_other;
        }
        report.push_str(&format!("\n== {}\n", o.title));
        for f in &o.always {
            report.push_str(&format!("   MISMATCH (any subdriver) {f}\n"));
        }
        for m in &o.failures {
            report.push_str(&format!("   MISMATCH {}: {}\n", m.var, m.what));
        }
        for n in &o.notes {
            report.push_str(&format!("   note: {n}\n"));
        }
        if o.failures.is_empty() && o.always.is_empty() {
            report.push_str("   all compared variables match\n");
        }
        if !o.failures.is_empty() || !o.always.is_empty() {
            failed.push(o.title.clone());
        }
    }
    // The subdriver NUT 2.8.5 claims a device with, when every dump of it was made by another.
    for (stem, (files, claim, r)) in &by_rec {
        let Some(claim) = claim.filter(|c| !files.contains(c)) else { continue };
        report.push_str(&format!(
            "\n== {stem}: NUT 2.8.5 claims it with {claim}, no dump was taken with that subdriver: "
        ));
        match ours(r, &[]) {
            Ok(v) => report.push_str(&format!(
                "its output ({} variables) is compared with nothing\n",
                v.keys().filter(|k| !k.starts_with("driver.")).count()
            )),
            Err(e) => {
                report.push_str(&format!("the driver did not run: {e}\n"));
                failed.push(format!("{stem} with {claim}"));
            }
        }
    }
    let unpaired: Vec<&str> =
        NUT_SUBDRIVERS.iter().map(|n| n.file).filter(|f| !compared_files.contains(f)).collect();
    println!(
        "{} recording(s) with report data, {} usbhid-ups dump(s), {} pair(s):{report}\n\
         subdrivers no pair exercises ({}): {}",
        recs.len(),
        dumps.len(),
        pairs.len(),
        unpaired.len(),
        unpaired.join(", ")
    );
    assert!(failed.is_empty(), "pairs that must match do not: {failed:#?}\n{report}");
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
        _copy: None,
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

#[test]
fn the_subdriver_a_dump_names_and_the_nut_version_it_ran() {
    assert_eq!(subdriver_file("MGE HID 1.40"), Some("mge-hid.c"));
    assert_eq!(subdriver_file("TrippLite HID 0.1 (experimental)"), Some("tripplite-hid.c"));
    assert_eq!(subdriver_file("APC/CyberPower HID 0.9"), Some("apc-hid.c"));
    assert_eq!(subdriver_file("Belkin HID 0.15"), Some("belkin-hid.c"));
    assert_eq!(subdriver_file("Liebert HID 0.3"), Some("liebert-hid.c"));
    assert_eq!(subdriver_file("LiebertPSP HID 0.1"), None, "no NUT release had it");
    assert!(version("2.7.4") < version("2.7.4-1-gb34f2434"));
    assert!(version("2.7.4-1-gb34f2434") < version("2.8.0"));
    assert!(version("2.8.2.1") < version("2.8.3") && version("2.8.2") < version("2.8.2.1"));
    assert!(version("2.6.0") < version("2.8.3") && version("2.10.0") > version("2.8.5"));
    // Every subdriver of NUT 2.8.5 is named, to its own file (the names of our port are NUT's).
    for n in NUT_SUBDRIVERS {
        assert_eq!(subdriver_file(n.subdriver.name), Some(n.file), "{}", n.subdriver.name);
    }
    for (name, file, _, last) in SUBDRIVER_NAMES {
        assert!(
            NUT_SUBDRIVERS.iter().any(|n| n.file == *file),
            "{name}: {file} is not one of NUT 2.8.5's subdriver files"
        );
        if *last == "2.8.5" {
            assert!(NUT_SUBDRIVERS.iter().any(|n| subdriver_file(n.subdriver.name) == Some(file)));
        }
    }
}

#[test]
fn table_history_excuses_only_changes_after_the_dump() {
    let h = table_history();
    // NUT commits cc00bbf44 and dc845d763, first released in 2.8.3.
    let bs = later_change(&h, "cps-hid.c", "battery.status", true, "2.7.4").unwrap();
    assert_eq!((bs.release.as_str(), &bs.commit[..9]), ("2.8.3", "cc00bbf44"));
    let is = later_change(&h, "cps-hid.c", "input.sensitivity", true, "2.7.1").unwrap();
    assert_eq!((is.release.as_str(), &is.commit[..9]), ("2.8.3", "dc845d763"));
    assert!(later_change(&h, "cps-hid.c", "battery.status", true, "2.8.3").is_none());
    assert!(later_change(&h, "cps-hid.c", "battery.status", true, "2.8.2.1").is_some());
    assert!(
        later_change(&h, "apc-hid.c", "battery.status", true, "2.0.4").is_none(),
        "not an apc-hid.c change"
    );
    assert!(later_change(&h, "liebert-hid.c", "battery.voltage.nominal", false, "2.7.4").is_some());
    assert!(later_change(&h, "liebert-hid.c", "battery.voltage.nominal", false, "2.8.1").is_none());
}

/// The history's end state is NUT 2.8.5's tables: a variable last gained (and not lost since)
/// must be in our port of that file, one last lost must not.
#[test]
fn table_history_ends_in_our_nut_2_8_5_tables() {
    let h = table_history();
    let mut last: BTreeMap<(&str, &str), &Change> = BTreeMap::new();
    for c in h.iter().filter(|c| c.source.is_none()) {
        let e = last.entry((c.file.as_str(), c.var.as_str())).or_insert(c);
        if version(&c.release) >= version(&e.release) {
            *e = c;
        }
    }
    let mut wrong = Vec::new();
    for ((file, var), c) in &last {
        let Some(n) = NUT_SUBDRIVERS.iter().find(|n| n.file == *file) else { continue };
        let ours = n.subdriver.all_vars().any(|m| m.var == *var);
        if ours != c.gained {
            wrong.push(format!(
                "{file} {var}: {} in NUT {} ({}), {} our table",
                if c.gained { "added" } else { "removed" },
                c.release,
                c.commit,
                if ours { "still in" } else { "not in" }
            ));
        }
    }
    assert!(wrong.is_empty(), "our tables differ from NUT 2.8.5's:\n{}", wrong.join("\n"));
}
