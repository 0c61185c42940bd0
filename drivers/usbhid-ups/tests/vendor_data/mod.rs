//! Shared by the vendor table tests (apc.rs, cps.rs, tripplite.rs, belkin.rs): the recorded
//! devices of `shared/testdata/hid-descriptors` (every file there, so that recordings added
//! later are tested too), the matching nut-ddl dumps, and the checks that compare what our
//! tables publish from a recording with what NUT printed from the same report bytes.
//!
//! Data directories: `$NUT_HID_DESCRIPTORS_DIR`, else `../shared/testdata/hid-descriptors`
//! beside the repository, else the repository's own copy `crates/nut-hid/tests/data`;
//! `$NUT_DDL_DIR`, else `../shared/testdata/nut-ddl` (the dump checks skip visibly without it).

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use nut_hid::recording::{parse_values_tsv, ValueRow};
use nut_hid::ReportType;
use usbhid_ups::hidups::{HidUps, Snapshot};
use usbhid_ups::subdrivers::{flag, Conv, Subdriver, VarMap};
use usbhid_ups::transport::replay::{FaultInjector, Replay};

/// Where the recordings are.
pub fn descriptors_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("NUT_HID_DESCRIPTORS_DIR") {
        return PathBuf::from(d);
    }
    let shared = nut_testkit::workspace_root().join("../shared/testdata/hid-descriptors");
    if shared.is_dir() {
        return shared;
    }
    nut_testkit::workspace_root().join("crates/nut-hid/tests/data")
}

/// The nut-ddl copy, if present.
pub fn ddl_dir() -> Option<PathBuf> {
    let d = std::env::var_os("NUT_DDL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| nut_testkit::workspace_root().join("../shared/testdata/nut-ddl"));
    d.is_dir().then_some(d)
}

/// Our own companions of the recordings (`tests/data/<stem>.strings.txt`).
pub fn own_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// One recorded device.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The `.hex` file.
    pub hex: PathBuf,
    /// File name without `.hex`.
    pub stem: String,
    /// USB ids from the name.
    pub vid: u16,
    /// USB product id.
    pub pid: u16,
    /// The `.values.tsv` rows (empty without one).
    pub rows: Vec<ValueRow>,
    /// The `.upsc.txt` variables (NUT's output for the same device and log), if any.
    pub upsc: Option<BTreeMap<String, String>>,
    /// Where the upsc dump comes from (its header names the nut-ddl file).
    pub upsc_source: Option<String>,
}

impl Fixture {
    /// True when report bytes were recorded (values.tsv or reports.txt).
    pub fn has_reports(&self) -> bool {
        !self.rows.is_empty() || self.hex.with_extension("reports.txt").exists()
    }

    /// Report ids the recording has bytes for.
    pub fn recorded_ids(&self) -> BTreeSet<u8> {
        self.rows.iter().map(|r| r.report_id).collect()
    }

    /// The row NUT printed for `path` (the first one, of the report type the engine reads).
    pub fn nut_row(&self, path: &str, rt: ReportType) -> Option<&ValueRow> {
        self.rows
            .iter()
            .find(|r| r.path == path && r.report_type == rt)
            .or_else(|| self.rows.iter().find(|r| r.path == path))
    }

    /// The value NUT printed for `path`.
    pub fn nut_value(&self, path: &str, rt: ReportType) -> Option<f64> {
        self.nut_row(path, rt)?.value.trim().parse().ok()
    }
}

fn ids_of(name: &str) -> Option<(u16, u16)> {
    let vid = u16::from_str_radix(name.get(0..4)?, 16).ok()?;
    let pid = u16::from_str_radix(name.get(5..9)?, 16).ok()?;
    Some((vid, pid))
}

/// Parse `name: value` lines (a `.upsc.txt` or the upsc part of a nut-ddl `.dev`); trailing
/// `#` annotations after a tab are the DDL's own and are dropped.
pub fn parse_upsc(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once(": ") else { continue };
        let v = v.split("\t#").next().unwrap_or("");
        if k.contains(char::is_whitespace) {
            continue;
        }
        out.entry(k.to_string()).or_insert_with(|| v.to_string());
    }
    out
}

/// Every recording whose USB ids `take` accepts, in name order.
/// The table NUT 2.8.5's claims give a device with these ids and no USB strings, when the
/// subdriver of NUT's `file` takes it (the device table's choice, with its per-id variant).
pub fn claimed(vendor_id: u16, product_id: u16, file: &str) -> Option<&'static Subdriver> {
    let d = usbhid_ups::transport::DeviceInfo { vendor_id, product_id, ..Default::default() };
    let c = usbhid_ups::device_table::claim(&d, &usbhid_ups::device_table::MatchOpts::default()).ok()?;
    (c.nut.file == file).then_some(c.subdriver)
}

/// The recording `stem` among `fixtures`. Missing from the shared recordings, it is a failure;
/// without them (only the project's own copies), a visible skip of `test`.
pub fn recording(test: &str, fixtures: Vec<Fixture>, stem: &str) -> Option<Fixture> {
    let found = fixtures.into_iter().find(|f| f.stem == stem);
    if found.is_none() {
        assert!(
            !nut_testkit::Prereq::HidDescriptors.available(),
            "recording {stem} is missing from {}",
            descriptors_dir().display()
        );
        nut_testkit::skip(test, &format!("recording {stem} not found"), nut_testkit::Prereq::HidDescriptors);
    }
    found
}

/// Skips `test` visibly when no recording has NUT's dump of the same log (`n` is how many
/// were compared); with the shared recordings present, that is a failure.
pub fn require_same_log(test: &str, n: usize) {
    if n == 0 {
        assert!(!nut_testkit::Prereq::HidDescriptors.available(), "{test}: no recording has a .upsc.txt");
        nut_testkit::skip(test, "no recording has a .upsc.txt", nut_testkit::Prereq::HidDescriptors);
    }
}

pub fn fixtures(take: impl Fn(u16, u16) -> bool) -> Vec<Fixture> {
    let dir = descriptors_dir();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().to_string()))
        .filter(|n| n.ends_with(".hex"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let Some((vid, pid)) = ids_of(&name) else { continue };
        if !take(vid, pid) {
            continue;
        }
        let hex = dir.join(&name);
        let stem = name.trim_end_matches(".hex").to_string();
        let tsv = hex.with_extension("values.tsv");
        let rows = if tsv.exists() {
            let text = std::fs::read_to_string(&tsv).expect("readable");
            parse_values_tsv(&text).unwrap_or_else(|e| panic!("{}: {e}", tsv.display()))
        } else {
            Vec::new()
        };
        let upsc_file = hex.with_extension("upsc.txt");
        let (upsc, upsc_source) = if upsc_file.exists() {
            let text = std::fs::read_to_string(&upsc_file).expect("readable");
            let source = text.lines().next().filter(|l| l.starts_with('#')).map(str::to_string);
            (Some(parse_upsc(&text)), source)
        } else {
            (None, None)
        };
        out.push(Fixture { hex, stem, vid, pid, rows, upsc, upsc_source });
    }
    out
}

/// Open a recording with `sub`. When we keep a `.strings.txt` for it (tests/data) and the
/// recording has none, the recording is copied beside ours into `tmp` first.
pub fn open(fx: &Fixture, sub: &'static Subdriver, tmp: &Path) -> (HidUps, FaultInjector) {
    let ours = own_data_dir().join(format!("{}.strings.txt", fx.stem));
    let hex = if ours.exists() && !fx.hex.with_extension("strings.txt").exists() {
        for ext in ["hex", "values.tsv", "reports.txt"] {
            let from = fx.hex.with_extension(ext);
            if from.exists() {
                std::fs::copy(&from, tmp.join(format!("{}.{ext}", fx.stem))).expect("copy");
            }
        }
        std::fs::copy(&ours, tmp.join(format!("{}.strings.txt", fx.stem))).expect("copy");
        tmp.join(format!("{}.hex", fx.stem))
    } else {
        fx.hex.clone()
    };
    let r = Replay::open(&hex).unwrap_or_else(|e| panic!("{}: {e}", fx.stem));
    let faults = r.faults();
    let mut ups = HidUps::new(Box::new(r), sub).unwrap_or_else(|e| panic!("{}: {e}", fx.stem));
    if sub.name.starts_with("CyberPower") {
        // What the driver's options give CyberPower devices without offdelay/ondelay set:
        // NUT's DEFAULT_OFFDELAY_CPS and DEFAULT_ONDELAY_CPS.
        ups.offdelay = "60".into();
        ups.ondelay = "120".into();
    }
    (ups, faults)
}

/// A full update.
pub fn update(ups: &mut HidUps, what: &str) -> Snapshot {
    ups.update().unwrap_or_else(|e| panic!("{what}: the replayed device failed: {e}"))
}

/// NUT's `date_conversion_fun`.
pub fn nut_date(v: f64) -> String {
    let d = v as i64;
    if d == 0 {
        return "not set".into();
    }
    format!("{:04}/{:02}/{:02}", 1980 + (d >> 9), (d >> 5) & 0x0f, d & 0x1f)
}

/// NUT's `kelvin_celsius_conversion_fun`.
pub fn nut_kelvin(v: f64) -> String {
    if (273.0..=373.0).contains(&v) {
        format!("{:.1}", v - 273.15)
    } else {
        format!("{v:.1}")
    }
}

/// printf of NUT's `%.Nf` formats.
pub fn printf(fmt: &str, v: f64) -> String {
    let prec: usize = fmt.trim_start_matches("%.").trim_end_matches('f').parse().expect("a %.Nf format");
    format!("{v:.prec$}")
}

/// What NUT publishes for a variable entry given the value it read: `Some(None)` when the
/// entry yields nothing (a lookup miss), `None` when this test cannot tell (a USB string).
pub fn nut_text(m: &VarMap, v: f64) -> Option<Option<String>> {
    Some(match m.conv {
        Conv::Number => Some(printf(m.fmt, v)),
        Conv::Lookup(t) => t.iter().find(|(k, _)| *k == v as i64).map(|(_, s)| s.to_string()),
        Conv::Fun(f) => (f.fun)(v),
        Conv::Date => Some(nut_date(v)),
        Conv::KelvinToCelsius => Some(nut_kelvin(v)),
        _ => return None,
    })
}

/// The number NUT read for a field from a `.values.tsv` row. `raw` and `signed` rows are
/// exact; `scaled` rows were transcribed as NUT printed them, sometimes rounded ("13" for
/// 13.43 V): the value is decoded from the row's bytes and must agree with the printed one to
/// the printed precision.
pub fn nut_number(ups: &HidUps, field: &nut_hid::Field, row: &ValueRow) -> Result<f64, String> {
    let printed: f64 = row.value.trim().parse().map_err(|_| format!("'{}' is not a number", row.value))?;
    if row.matching != "scaled" {
        return Ok(printed);
    }
    let data = if ups.descriptor.uses_report_ids {
        row.report_bytes.get(1..).unwrap_or(&[])
    } else {
        &row.report_bytes
    };
    let decoded = field.value(data).map_err(|e| e.to_string())?;
    let decimals = row.value.trim().split_once('.').map_or(0, |(_, d)| d.len());
    let tolerance = 10f64.powi(-(decimals as i32));
    if (decoded - printed).abs() > tolerance {
        return Err(format!("decodes to {decoded}, NUT printed {}", row.value));
    }
    Ok(decoded)
}

/// Variables the driver publishes beside the table's (identity, and what options set).
pub const NOT_FROM_TABLES: &[&str] = &[
    "device.type",
    "device.mfr",
    "device.model",
    "device.serial",
    "ups.mfr",
    "ups.model",
    "ups.serial",
    "ups.vendorid",
    "ups.productid",
    "ups.firmware",
    "ups.firmware.aux",
    "driver.version.data",
    "input.transfer.reason",
];

/// The result of [`check_against_nut`]: what was compared, for the caller's figures.
#[derive(Debug, Default)]
pub struct Checked {
    /// Variables whose value was compared with NUT's.
    pub values: usize,
    /// Problems found (empty = pass).
    pub problems: Vec<String>,
}

/// Compare one full update of a recording with NUT's values for the same report bytes:
/// (1) each variable comes from the first table entry (NUT's order) whose path the device
/// has, whose report was recorded and which yields a value, and equals NUT's conversion of
/// the value NUT printed for that path; (2) every entry whose path NUT printed is published
/// (by it or an earlier entry) unless its conversion yields nothing; (3) `HU_FLAG_ABSENT`
/// entries are published with their default when the path exists; (4) nothing else appears.
pub fn check_against_nut(fx: &Fixture, ups: &HidUps, snap: &Snapshot, sub: &Subdriver) -> Checked {
    let mut c = Checked::default();
    let ids = fx.recorded_ids();
    let mut decided: BTreeMap<&str, Option<String>> = BTreeMap::new();
    let mut from_table: BTreeSet<&str> = BTreeSet::new();
    for m in sub.all_vars() {
        if m.var.is_empty() {
            continue;
        }
        let Some(field) = ups.field(m.path) else { continue };
        from_table.insert(m.var);
        if decided.contains_key(m.var) {
            continue;
        }
        if m.flags & flag::ABSENT != 0 {
            let want = match m.fmt {
                "offdelay" => ups.offdelay.as_str(),
                "ondelay" => ups.ondelay.as_str(),
                other => other,
            };
            decided.insert(m.var, Some(want.to_string()));
            continue;
        }
        if !ids.contains(&field.report_id) {
            continue;
        }
        let value = match fx.nut_row(m.path, field.report_type) {
            Some(row) => match nut_number(ups, field, row) {
                Ok(v) => Some(v),
                Err(e) => {
                    c.problems.push(format!("{}: {}: {e}", fx.stem, m.path));
                    None
                }
            },
            None => None,
        };
        match value.map(|v| nut_text(m, v)) {
            // NUT printed it: this entry decides, if its conversion yields a value.
            Some(Some(Some(text))) => {
                decided.insert(m.var, Some(text));
            }
            Some(Some(None)) => {}
            // A USB string, or a path NUT did not print although the report was read: the
            // engine publishes something we cannot predict here; stop at this entry.
            Some(None) | None => {
                decided.insert(m.var, None);
            }
        }
    }
    for (var, want) in &decided {
        let got = snap.vars.get(*var);
        if let Some(w) = want {
            c.values += 1;
            if got != Some(w) {
                c.problems.push(format!("{}: {var} = {got:?}, NUT: {w:?}", fx.stem));
            }
        }
    }
    for var in snap.vars.keys() {
        if !from_table.contains(var.as_str()) && !NOT_FROM_TABLES.contains(&var.as_str()) {
            c.problems
                .push(format!("{}: {var} published, but no entry of {} maps it here", fx.stem, sub.name));
        }
    }
    c
}

/// A nut-ddl dump: its upsc variables, its `upsrw` variables (name, type, maximum length) and
/// its `upscmd -l` commands, when the dump has those blocks.
#[derive(Debug, Clone, Default)]
pub struct Dump {
    /// File name.
    pub name: String,
    /// The upsc part.
    pub vars: BTreeMap<String, String>,
    /// `[name]` blocks of the UPSRW comment: (type, maximum length).
    pub rw: BTreeMap<String, (String, Option<usize>)>,
    /// Commands of the UPSCMD comment.
    pub cmds: BTreeSet<String>,
}

impl Dump {
    /// NUT's major and minor version from the file name (`..__usbhid-ups__2.7.4__01.dev`).
    pub fn nut_version(&self) -> (u32, u32) {
        let v = self.name.split("__").nth(3).unwrap_or("");
        let mut n = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        (n.next().unwrap_or(0), n.next().unwrap_or(0))
    }
}

/// Parse a `.dev` file.
pub fn parse_dump(name: &str, text: &str) -> Dump {
    let mut d = Dump { name: name.to_string(), vars: parse_upsc(text), ..Dump::default() };
    let mut block = "";
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.contains("FIXME:UPSRW") || line.contains(":UPSRW:") {
            block = "rw";
            continue;
        }
        if line.contains("FIXME:UPSCMD") || line.contains(":UPSCMD:") {
            block = "cmd";
            continue;
        }
        if line.contains("DEVICE:EOC") {
            block = "";
            continue;
        }
        let body = line.trim_start_matches('#').trim();
        match block {
            "rw" => {
                if let Some(n) = body.strip_prefix('[').and_then(|b| b.strip_suffix(']')) {
                    current = Some(n.to_string());
                    d.rw.insert(n.to_string(), (String::new(), None));
                } else if let (Some(n), Some(t)) = (&current, body.strip_prefix("Type: ")) {
                    if let Some(e) = d.rw.get_mut(n) {
                        e.0 = t.to_string();
                    }
                } else if let (Some(n), Some(l)) = (&current, body.strip_prefix("Maximum length: ")) {
                    if let Some(e) = d.rw.get_mut(n) {
                        e.1 = l.trim().parse().ok();
                    }
                }
            }
            "cmd" => {
                if let Some((c, _)) = body.split_once(" - ") {
                    if !c.contains(' ') {
                        d.cmds.insert(c.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    d
}

/// A model name as a comparable key: lower case, runs of other characters as one '-'.
pub fn model_key(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// The nut-ddl usbhid-ups dumps of the same model as a recording: same model name (the
/// recording's name after the ids and the vendor word, against the dump's model field, which
/// may add a variant: "gxt4" matches "GXT4-1500RT120") and, when the dump says, the same USB
/// product id. `vendor_words` are the prefixes the
/// recordings use for this vendor (`apc`, `cyberpower` ...).
pub fn same_model_dumps(fx: &Fixture, vendor_words: &[&str]) -> Vec<Dump> {
    let Some(dir) = ddl_dir() else { return Vec::new() };
    let mut model = fx.stem.get(10..).unwrap_or("").to_string();
    for w in vendor_words {
        if let Some(rest) = model.strip_prefix(&format!("{w}-")) {
            model = rest.to_string();
        }
    }
    let key = model_key(&model);
    let mut out = Vec::new();
    let Ok(makers) = std::fs::read_dir(&dir) else { return out };
    let mut files: Vec<PathBuf> = makers
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .flat_map(|e| {
            std::fs::read_dir(e.path()).into_iter().flatten().filter_map(|f| f.ok()).map(|f| f.path())
        })
        .collect();
    files.sort();
    for f in files {
        let name = f.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let parts: Vec<&str> = name.split("__").collect();
        let dump_key = model_key(parts.get(1).copied().unwrap_or(""));
        let same_model =
            dump_key == key || dump_key.strip_prefix(&key).is_some_and(|rest| rest.starts_with('-'));
        if parts.len() < 4 || parts[2] != "usbhid-ups" || !same_model {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let d = parse_dump(&name, &text);
        let pid_ok = d
            .vars
            .get("ups.productid")
            .and_then(|p| u16::from_str_radix(p.trim(), 16).ok())
            .is_none_or(|p| p == fx.pid);
        if pid_ok {
            out.push(d);
        }
    }
    out
}

/// The variables a table maps from this descriptor (an entry's path exists), for name checks.
pub fn mapped_vars(ups: &HidUps, sub: &Subdriver) -> BTreeSet<String> {
    sub.all_vars()
        .filter(|m| !m.var.is_empty() && ups.field(m.path).is_some())
        .map(|m| m.var.to_string())
        .collect()
}

/// True when every entry for `var` that this device has is a USB string and the recording
/// has no strings.
pub fn only_usb_strings(fx: &Fixture, ups: &HidUps, sub: &Subdriver, var: &str) -> bool {
    let strings = fx.hex.with_extension("strings.txt").exists()
        || own_data_dir().join(format!("{}.strings.txt", fx.stem)).exists();
    !strings
        && sub
            .all_vars()
            .filter(|m| m.var == var && ups.field(m.path).is_some())
            .all(|m| matches!(m.conv, Conv::StringId))
}

/// Commands whose path exists, in table order without repeats.
pub fn mapped_cmds(ups: &HidUps, sub: &Subdriver) -> BTreeSet<String> {
    sub.all_cmds().filter(|c| ups.field(c.path).is_some()).map(|c| c.cmd.to_string()).collect()
}

/// Set the field at `path` to `value` (logical) in the replayed device's report.
pub fn set(ups: &mut HidUps, faults: &FaultInjector, path: &str, value: i64) {
    let f = ups.field(path).cloned().unwrap_or_else(|| panic!("no field {path}"));
    let mut data = ups.read_report(f.report_type, f.report_id).expect("report");
    f.store(&mut data, value).expect("fits");
    let mut wire = Vec::new();
    if ups.descriptor.uses_report_ids {
        wire.push(f.report_id);
    }
    wire.extend(data);
    faults.set_report(f.report_type, f.report_id, wire);
}

/// The logical value of `path` as the replayed device now answers.
pub fn get(ups: &mut HidUps, path: &str) -> i64 {
    let f = ups.field(path).cloned().unwrap_or_else(|| panic!("no field {path}"));
    let data = ups.read_report(f.report_type, f.report_id).expect("report");
    f.logical_value(&data).expect("in the report")
}

/// Commands NUT adds itself when the table has the delay commands (`load.off`/`load.on` as
/// `load.*.delay 0`, `shutdown.return`/`shutdown.stayoff` from both).
pub const DERIVED_COMMANDS: &[&str] = &["load.off", "load.on", "shutdown.return", "shutdown.stayoff"];

/// The device's commands that come from its table entries (without [`DERIVED_COMMANDS`],
/// unless the table has them itself, as Belkin's has load.off/load.on).
pub fn table_commands(ups: &HidUps) -> Vec<&'static str> {
    let own: BTreeSet<&str> = ups.subdriver.all_cmds().map(|c| c.cmd).collect();
    ups.commands().into_iter().filter(|c| !DERIVED_COMMANDS.contains(c) || own.contains(c)).collect()
}

/// The `ups.status` tokens.
pub fn tokens(s: &Snapshot) -> Vec<&str> {
    s.status.split(' ').filter(|t| !t.is_empty()).collect()
}

/// Replay every recording with report data, compare each with NUT's values
/// ([`check_against_nut`]) and fail with every difference. Returns how many were replayed.
pub fn check_recordings(fxs: &[Fixture], sub: fn(&Fixture) -> &'static Subdriver) -> usize {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let mut problems = Vec::new();
    let (mut compared, mut replayed) = (0, 0);
    for fx in fxs.iter().filter(|f| f.has_reports()) {
        let (mut ups, _) = open(fx, sub(fx), tmp.path());
        let snap = update(&mut ups, &fx.stem);
        let c = check_against_nut(fx, &ups, &snap, sub(fx));
        compared += c.values;
        replayed += 1;
        problems.extend(c.problems);
    }
    assert!(
        problems.is_empty(),
        "{} of {compared} values differ from NUT's:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!("{replayed} recording(s), {compared} values equal to NUT's");
    replayed
}

/// Recordings with a `.upsc.txt` (NUT's variables from the same log): every variable NUT
/// took from the HID reports is published with NUT's value (`ups.status` too), and nothing
/// else. Identity (USB strings) and the driver's own variables are left to other tests.
/// A recording with no report bytes (only its descriptor) is checked by name: the variables
/// the table maps from the descriptor are the ones NUT published. Returns how many were
/// compared.
pub fn check_same_log_dumps(fxs: &[Fixture], sub: fn(&Fixture) -> &'static Subdriver) -> usize {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let mut seen = 0;
    for fx in fxs.iter().filter(|f| f.upsc.is_some() && !f.has_reports()) {
        seen += 1;
        let want = fx.upsc.as_ref().expect("upsc");
        let (ups, _) = open(fx, sub(fx), tmp.path());
        let ours: BTreeSet<String> = mapped_vars(&ups, sub(fx));
        let theirs: BTreeSet<String> = want
            .keys()
            .filter(|k| {
                !k.starts_with("driver.") && !NOT_FROM_TABLES.contains(&k.as_str()) && *k != "ups.status"
            })
            .cloned()
            .collect();
        assert_eq!(ours, theirs, "{}: variables mapped from the descriptor vs {:?}", fx.stem, fx.upsc_source);
    }
    for fx in fxs.iter().filter(|f| f.upsc.is_some() && f.has_reports()) {
        seen += 1;
        let want = fx.upsc.as_ref().expect("upsc");
        let (mut ups, _) = open(fx, sub(fx), tmp.path());
        let snap = update(&mut ups, &fx.stem);
        let mut problems = Vec::new();
        let skip = |k: &str| {
            k.starts_with("driver.") || NOT_FROM_TABLES.contains(&k) || only_usb_strings(fx, &ups, sub(fx), k)
        };
        for (k, v) in want {
            if skip(k) {
                continue;
            }
            let got = if k == "ups.status" { Some(&snap.status) } else { snap.vars.get(k) };
            if got != Some(v) {
                problems.push(format!("{k}: ours {got:?}, NUT {v:?}"));
            }
        }
        for k in snap.vars.keys() {
            if !want.contains_key(k) && !skip(k) {
                problems.push(format!("{k}: ours {:?}, not in NUT's dump", snap.vars[k]));
            }
        }
        assert!(problems.is_empty(), "{} vs {:?}:\n{}", fx.stem, fx.upsc_source, problems.join("\n"));
    }
    seen
}

/// Same-model nut-ddl dumps taken with other units and NUT versions ([`same_model_dumps`]):
/// each variable of a dump that the table maps from this descriptor is published (unless the
/// recording lacks its report or it is a USB string), and the dump's `upsrw` and `upscmd -l`
/// lists, when it has them, are the writable variables (type STRING, NUT's lengths) and the
/// table commands found in this descriptor (NUT derives load.off/load.on and
/// shutdown.return/stayoff from the table's delay commands itself).
pub fn check_same_model_dumps(
    test: &str,
    fxs: &[Fixture],
    words: &[&str],
    sub: fn(&Fixture) -> &'static Subdriver,
) {
    if ddl_dir().is_none() {
        nut_testkit::skip(test, "no nut-ddl copy", nut_testkit::Prereq::NutDdl);
        return;
    }
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let mut compared = 0;
    for fx in fxs {
        let dumps = same_model_dumps(fx, words);
        if dumps.is_empty() {
            continue;
        }
        let s = sub(fx);
        let (mut ups, _) = open(fx, s, tmp.path());
        let mapped = mapped_vars(&ups, s);
        let snap = fx.has_reports().then(|| update(&mut ups, &fx.stem));
        for d in &dumps {
            compared += 1;
            for k in d.vars.keys() {
                if !mapped.contains(k) || only_usb_strings(fx, &ups, s, k) {
                    continue;
                }
                if let Some(snap) = &snap {
                    let recorded = s.all_vars().any(|m| {
                        m.var == k
                            && ups.field(m.path).is_some_and(|f| fx.recorded_ids().contains(&f.report_id))
                    });
                    assert!(
                        !recorded || snap.vars.contains_key(k),
                        "{}: {k} of {} not published",
                        fx.stem,
                        d.name
                    );
                }
            }
            // Older NUT versions had fewer entries (CyberPower's input.sensitivity came with
            // 2.8): their lists must be part of ours; 2.8 dumps must equal ours.
            let same_generation = d.nut_version() >= (2, 8);
            let compare = |ours: &BTreeSet<String>, theirs: &BTreeSet<String>, what: &str| {
                if same_generation {
                    assert_eq!(ours, theirs, "{}: {what} vs {}", fx.stem, d.name);
                } else {
                    assert!(
                        theirs.is_subset(ours),
                        "{}: {what} {theirs:?} of {} not all in {ours:?}",
                        fx.stem,
                        d.name
                    );
                }
            };
            if !d.rw.is_empty() {
                let ours: BTreeSet<String> = ups.writable().into_iter().map(|(n, _)| n.to_string()).collect();
                // NUT 2.8.1+ lists the driver's own writable variables (driver.debug ...) too.
                let theirs: BTreeSet<String> =
                    d.rw.keys().filter(|k| !k.starts_with("driver.")).cloned().collect();
                compare(&ours, &theirs, "writable variables");
                for (name, (ty, len)) in d.rw.iter().filter(|(k, _)| !k.starts_with("driver.")) {
                    assert_eq!(ty, "STRING", "{name} in {}", d.name);
                    let m = s.all_vars().find(|m| m.var == name && ups.field(m.path).is_some());
                    assert_eq!(
                        m.map(|m| usize::from(m.len)),
                        *len,
                        "{}: length of {name} vs {}",
                        fx.stem,
                        d.name
                    );
                }
            }
            if !d.cmds.is_empty() {
                let ours = mapped_cmds(&ups, s);
                let derived = ["load.off", "load.on", "shutdown.return", "shutdown.stayoff"];
                let theirs: BTreeSet<String> = d
                    .cmds
                    .iter()
                    .filter(|c| !c.starts_with("driver."))
                    .filter(|c| !derived.contains(&c.as_str()) || ours.contains(*c))
                    .cloned()
                    .collect();
                compare(&ours, &theirs, "commands");
            }
        }
    }
    eprintln!("compared {compared} same-model nut-ddl dump(s)");
}

/// The physical value of `path` as the replayed device now answers.
pub fn get_physical(ups: &mut HidUps, path: &str) -> f64 {
    let f = ups.field(path).cloned().unwrap_or_else(|| panic!("no field {path}"));
    let data = ups.read_report(f.report_type, f.report_id).expect("report");
    f.value(&data).expect("in the report")
}

/// Check that `snap` has exactly these values for these variables.
pub fn expect_vars(what: &str, snap: &Snapshot, want: &[(&str, &str)]) {
    let wrong: Vec<String> = want
        .iter()
        .filter(|(k, v)| snap.vars.get(*k).map(String::as_str) != Some(*v))
        .map(|(k, v)| format!("{k}: ours {:?}, want {v:?}", snap.vars.get(*k)))
        .collect();
    assert!(wrong.is_empty(), "{what}:\n{}", wrong.join("\n"));
}

/// For same-model NUT 2.8 dumps with an `upscmd -l` list: the device's whole command list
/// (the table's and the ones NUT derives from the delay commands) is the dump's, without the
/// driver's own `driver.*` commands. Returns how many dumps were compared.
pub fn check_same_model_command_lists(
    fxs: &[Fixture],
    words: &[&str],
    sub: fn(&Fixture) -> &'static Subdriver,
) -> usize {
    let tmp = nut_testkit::TempDir::new().expect("temp dir");
    let mut compared = 0;
    for fx in fxs {
        for d in
            same_model_dumps(fx, words).iter().filter(|d| !d.cmds.is_empty() && d.nut_version() >= (2, 8))
        {
            let (mut ups, _) = open(fx, sub(fx), tmp.path());
            if fx.has_reports() {
                update(&mut ups, &fx.stem);
            }
            let ours: BTreeSet<String> = ups.commands().into_iter().map(str::to_string).collect();
            let theirs: BTreeSet<String> =
                d.cmds.iter().filter(|c| !c.starts_with("driver.")).cloned().collect();
            assert_eq!(ours, theirs, "{}: commands vs {}", fx.stem, d.name);
            compared += 1;
        }
    }
    compared
}
