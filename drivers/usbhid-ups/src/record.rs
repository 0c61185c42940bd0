//! The recorder: `usbhid-ups -s NAME -x port=auto -x record=<dir or stem>
//! [-x record_seconds=N]` writes the device it opens (real or replayed) in the formats of the
//! shared test data (`testdata/hid-descriptors`), which the replay transport reads back, so a
//! user's recording attached to a bug report is a test fixture as it is:
//!
//! * `<stem>.hex`: the report descriptor, as the device sent it (before any fix);
//! * `<stem>.reports.txt`: every report's answer to GET_REPORT as it came, short or long, and
//!   `STALL` for a report the device refuses;
//! * `<stem>.values.tsv`: every Feature and Input field with its value as our driver decodes it
//!   (after the subdriver's descriptor fix) and the whole report bytes, with NUT's `match`
//!   column (`raw`, `signed` or `scaled`);
//! * `<stem>.strings.txt`: the USB strings (manufacturer, product, serial and every string
//!   index a HID field points at);
//! * `<stem>.interrupts.txt`: the interrupt-in reports that came while listening (default
//!   [`DEFAULT_LISTEN`]), with their times.
//!
//! The stem's file name starts with the USB ids (`0463-ffff-...`), which replay needs.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nut_hid::recording::{self, InterruptLine, ReportLine, Strings, ValueRow};
use nut_hid::value::format_g;
use nut_hid::{path_to_string, ReportType};

use crate::hidups::HidUps;
use crate::transport::TransportError;

/// How long `-x record` listens to the interrupt pipe unless `-x record_seconds` says.
pub const DEFAULT_LISTEN: Duration = Duration::from_secs(10);

/// The files' contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    /// `.hex` text.
    pub hex: String,
    /// `.values.tsv` text.
    pub values: String,
    /// `.strings.txt` text.
    pub strings: String,
    /// `.reports.txt` text.
    pub reports: String,
    /// `.interrupts.txt` text (`None`: the pipe was not listened to).
    pub interrupts: Option<String>,
}

/// Where to write: `arg` is a directory (existing, or ending in `/`) or a stem (a trailing
/// `.hex` is dropped). The file name gets the `vvvv-pppp-` prefix when it lacks it.
pub fn stem(arg: &Path, is_dir: bool, vid: u16, pid: u16, product: Option<&str>) -> PathBuf {
    let ids = format!("{vid:04x}-{pid:04x}");
    let slug = |s: &str| {
        let s: String =
            s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
        if s.is_empty() {
            "ups".to_string()
        } else {
            s
        }
    };
    if is_dir || arg.to_string_lossy().ends_with('/') {
        return arg.join(format!("{ids}-{}", slug(product.unwrap_or("ups"))));
    }
    let name = arg.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let name = name.strip_suffix(".hex").unwrap_or(&name).to_string();
    let name =
        if name.len() >= 10 && name[..9].eq_ignore_ascii_case(&ids) { name } else { format!("{ids}-{name}") };
    arg.with_file_name(name)
}

/// True for usage names that hold a USB string index (`iManufacturer`, `iDeviceChemistry`).
fn is_string_index(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or("");
    let mut c = last.chars();
    c.next() == Some('i') && c.next().is_some_and(|c| c.is_ascii_uppercase())
}

/// NUT's `match` column: how the printed value relates to the raw field.
fn matching(f: &nut_hid::Field, data: &[u8], value: &str) -> &'static str {
    let Ok(raw) = f.raw_value(data) else { return "scaled" };
    if raw.to_string() == value {
        return "raw";
    }
    let signed = if f.size > 0 && f.size < 32 && raw & (1 << (f.size - 1)) != 0 {
        i64::from(raw) - (1i64 << f.size)
    } else {
        i64::from(raw as i32)
    };
    if signed.to_string() == value {
        "signed"
    } else {
        "scaled"
    }
}

/// Read everything from the device and format the files, without listening to the
/// interrupt pipe. `source` goes in the headers.
pub fn capture(ups: &mut HidUps, source: &str) -> Result<Files, TransportError> {
    capture_listening(ups, source, None)
}

/// [`capture`], then listen to the interrupt pipe for `listen` (if given) and record what
/// comes, with the time it came.
pub fn capture_listening(
    ups: &mut HidUps,
    source: &str,
    listen: Option<Duration>,
) -> Result<Files, TransportError> {
    let raw = ups.transport().descriptor()?;
    let info = ups.transport().info();
    let ids = ups.descriptor.uses_report_ids;
    let desc = ups.descriptor.clone();
    // GET_REPORT for every Feature report, and for Input reports that have no Feature report
    // of the same id (NUT only ever reads Feature reports; the rest comes by interrupt).
    let mut wanted: Vec<(ReportType, u8)> = desc
        .report_lengths
        .keys()
        .filter(|(rt, id)| {
            *rt == ReportType::Feature
                || (*rt == ReportType::Input
                    && !desc.report_lengths.contains_key(&(ReportType::Feature, *id)))
        })
        .copied()
        .collect();
    wanted.sort();
    let mut lines: Vec<ReportLine> = Vec::new();
    let mut got: HashMap<(ReportType, u8), Vec<u8>> = HashMap::new();
    let mut notes: Vec<String> = Vec::new();
    for (rt, id) in wanted {
        let len = desc.wire_length(rt, id).unwrap_or(64);
        match ups.transport().get_report(rt, id, len) {
            Ok(bytes) => {
                lines.push(ReportLine { line: 0, report_type: rt, id, bytes: bytes.clone(), stall: false });
                got.insert((rt, id), bytes);
            }
            Err(TransportError::NotSupported) => {
                lines.push(ReportLine { line: 0, report_type: rt, id, bytes: Vec::new(), stall: true })
            }
            Err(e @ (TransportError::Timeout | TransportError::Io(_))) => {
                notes.push(format!("{} report 0x{id:02x}: {e}", rt.name().to_lowercase()))
            }
            Err(e) => return Err(e),
        }
    }
    // The interrupt traffic, with its times.
    let mut events: Vec<InterruptLine> = Vec::new();
    if let Some(listen) = listen {
        let t0 = Instant::now();
        while let Some(left) = listen.checked_sub(t0.elapsed()).filter(|d| !d.is_zero()) {
            match ups.transport().interrupt(left.min(Duration::from_millis(250))) {
                Ok(Some(r)) if !r.is_empty() => {
                    let at_ms = u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX);
                    events.push(InterruptLine { line: 0, at_ms, bytes: r });
                }
                Ok(_) | Err(TransportError::Timeout) => {}
                Err(e) => {
                    notes.push(format!("interrupt pipe: {e} (listening stopped)"));
                    break;
                }
            }
        }
    }
    // Input reports seen on the interrupt pipe give the Input rows (first occurrence).
    for e in &events {
        let id = if ids { e.bytes[0] } else { 0 };
        got.entry((ReportType::Input, id)).or_insert_with(|| e.bytes.clone());
    }
    let mut rows = Vec::new();
    let mut indices: BTreeMap<u8, ()> = BTreeMap::new();
    for f in desc.fields.iter().filter(|f| f.report_type != ReportType::Output) {
        let Some(bytes) = got.get(&(f.report_type, f.report_id)) else { continue };
        let data = if ids { &bytes[1.min(bytes.len())..] } else { &bytes[..] };
        let want = desc.report_lengths.get(&(f.report_type, f.report_id)).copied().unwrap_or(0);
        let data = &data[..data.len().min(want)];
        let Ok(v) = f.value(data) else { continue };
        let path = path_to_string(&f.path, ups.tables);
        if is_string_index(&path) && (1.0..=255.0).contains(&v) {
            indices.insert(v as u8, ());
        }
        let value = format_g(v);
        rows.push(ValueRow {
            line: 0,
            matching: matching(f, data, &value).into(),
            path,
            report_type: f.report_type,
            report_id: f.report_id,
            offset: f.offset,
            size: f.size,
            value,
            report_bytes: bytes.clone(),
        });
    }
    let mut strings = Strings {
        manufacturer: info.vendor.clone(),
        product: info.product.clone(),
        serial: info.serial.clone(),
        by_index: Vec::new(),
    };
    for idx in indices.keys() {
        if let Ok(s) = ups.transport().string(*idx) {
            strings.by_index.push((*idx, s.trim_end_matches('\n').to_string()));
        }
    }
    let who = format!(
        "recorded by usbhid-ups {} from {source} (USB {:04x}:{:04x}, bus {} device {}; subdriver {})",
        crate::VERSION,
        info.vendor_id,
        info.product_id,
        info.bus,
        info.device,
        ups.subdriver.name
    );
    let device = format!(
        "device: {} {} ({:04x}:{:04x})",
        info.vendor.as_deref().unwrap_or("?"),
        info.product.as_deref().unwrap_or("?"),
        info.vendor_id,
        info.product_id
    );
    let mut report_header = vec![who.clone(), "GET_REPORT answers as they came (STALL: refused)".into()];
    report_header.extend(notes.iter().map(|n| format!("failed: {n}")));
    let report_header: Vec<&str> = report_header.iter().map(String::as_str).collect();
    Ok(Files {
        hex: recording::format_hex_file(&raw, &[&who, "HID report descriptor"]),
        values: recording::format_values_tsv(
            &rows,
            &[
                &format!("Values usbhid-ups decoded from this UPS, with the raw report bytes; {device}"),
                &who,
                "report_bytes start with the report id; Input rows come from the interrupt pipe",
                "match: raw = value equals the raw logical field; signed = its two's complement; scaled = \
                 unit exponent or physical range applied",
            ],
        ),
        strings: recording::format_strings_txt(&strings, &[&who, "USB string descriptors"]),
        reports: recording::format_reports_txt(&lines, &report_header),
        interrupts: listen.map(|l| {
            recording::format_interrupts_txt(
                &events,
                &[
                    &who,
                    &format!("interrupt-in reports in {} s of listening: milliseconds, report", l.as_secs()),
                ],
            )
        }),
    })
}

/// Write the files beside `stem` (`<stem>.hex` ...); returns the `.hex` path.
pub fn write(stem: &Path, files: &Files) -> std::io::Result<PathBuf> {
    let with = |ext: &str| PathBuf::from(format!("{}.{ext}", stem.display()));
    if let Some(dir) = stem.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(with("hex"), &files.hex)?;
    std::fs::write(with("values.tsv"), &files.values)?;
    std::fs::write(with("strings.txt"), &files.strings)?;
    std::fs::write(with("reports.txt"), &files.reports)?;
    if let Some(i) = &files.interrupts {
        std::fs::write(with("interrupts.txt"), i)?;
    }
    Ok(with("hex"))
}

/// Parse `-x record_seconds=N` (whole seconds, 0 = do not listen).
pub fn listen_time(arg: Option<&str>) -> Result<Duration, String> {
    match arg {
        None => Ok(DEFAULT_LISTEN),
        Some(s) => s
            .trim()
            .parse::<u64>()
            .map(Duration::from_secs)
            .map_err(|_| format!("record_seconds = \"{s}\": give whole seconds (0: do not listen)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_carry_the_ids() {
        let p = Path::new;
        assert_eq!(stem(p("/tmp/r"), true, 0x463, 0xffff, Some("Eaton 3S")), p("/tmp/r/0463-ffff-eaton-3s"));
        assert_eq!(stem(p("/tmp/r/"), false, 0x463, 0xffff, None), p("/tmp/r/0463-ffff-ups"));
        assert_eq!(stem(p("/tmp/my-ups.hex"), false, 0x51d, 2, None), p("/tmp/051d-0002-my-ups"));
        assert_eq!(stem(p("/tmp/051d-0002-x"), false, 0x51d, 2, None), p("/tmp/051d-0002-x"));
        assert!(is_string_index("UPS.PowerSummary.iDeviceChemistry"));
        assert!(!is_string_index("UPS.PowerSummary.Input"));
    }

    #[test]
    fn listen_time_option() {
        assert_eq!(listen_time(None), Ok(DEFAULT_LISTEN));
        assert_eq!(listen_time(Some("3")), Ok(Duration::from_secs(3)));
        assert_eq!(listen_time(Some("0")), Ok(Duration::ZERO));
        assert!(listen_time(Some("-1")).is_err());
    }
}
