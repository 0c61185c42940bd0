//! The text formats of a recorded device, read as they are in `testdata/hid-descriptors`:
//!
//! * `<stem>.hex`: the report descriptor as hex bytes separated by white space;
//! * `<stem>.values.tsv`: `#` comments, a header, then `path type report_id offset size value
//!   report_bytes match` rows (report bytes start with the report ID);
//! * `<stem>.reports.txt`: `#` comments, then `report_id(decimal) <TAB> bytes` lines, or
//!   typed lines `feature report 0x0c: <hex>`; `feature report 0x0c: STALL` records that the
//!   device refuses GET_REPORT for that report;
//! * `<stem>.interrupts.txt` (ours, optional): the interrupt-in traffic, `#` comments, then
//!   `milliseconds <TAB> hex bytes` lines (time since the recording started listening, the
//!   report with its id byte), in order;
//! * `<stem>.strings.txt` (ours, optional): the device's USB string descriptors, `#` comments,
//!   then `key <TAB> text` lines. `key` is `manufacturer`, `product` or `serial` for the
//!   device descriptor's iManufacturer/iProduct/iSerialNumber strings, or a decimal string
//!   index (1-255) for the strings HID fields point at (`UPS.PowerSummary.iDeviceChemistry`
//!   holds such an index). The text runs to the end of the line, spaces included. The header
//!   should say where the strings come from (a `lsusb -v` output, a NUT debug log, a dump).
//!
//! Parsers only; finding and reading the files is the caller's business.

use crate::parser::ReportType;

/// A malformed line in a recording file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct RecordingError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> RecordingError {
    RecordingError { line, message: message.into() }
}

/// Parse hex bytes separated by white space (`#` starts a comment).
pub fn parse_hex(text: &str) -> Result<Vec<u8>, RecordingError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("");
        for tok in line.split_whitespace() {
            let b = u8::from_str_radix(tok.trim_start_matches("0x"), 16)
                .map_err(|_| err(n + 1, format!("'{tok}' is not a hex byte")))?;
            out.push(b);
        }
    }
    Ok(out)
}

/// Format bytes as lower-case hex separated by spaces.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ")
}

/// Format descriptor bytes as a `.hex` file: `header` lines as `#` comments, then 16 bytes
/// per line.
pub fn format_hex_file(bytes: &[u8], header: &[&str]) -> String {
    let mut out = String::new();
    for h in header {
        out.push_str(&format!("# {h}\n"));
    }
    for chunk in bytes.chunks(16) {
        out.push_str(&to_hex(chunk));
        out.push('\n');
    }
    out
}

/// Format a `.values.tsv` file (the inverse of [`parse_values_tsv`]).
pub fn format_values_tsv(rows: &[ValueRow], header: &[&str]) -> String {
    let mut out = String::new();
    for h in header {
        out.push_str(&format!("# {h}\n"));
    }
    out.push_str("path\ttype\treport_id\toffset\tsize\tvalue\treport_bytes\tmatch\n");
    for r in rows {
        out.push_str(&format!(
            "{}\t{}\t0x{:02x}\t{}\t{}\t{}\t{}\t{}\n",
            r.path,
            r.report_type.name(),
            r.report_id,
            r.offset,
            r.size,
            r.value,
            to_hex(&r.report_bytes),
            r.matching
        ));
    }
    out
}

/// One row of a `.values.tsv` file.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueRow {
    /// 1-based line number in the file.
    pub line: usize,
    /// NUT's path string.
    pub path: String,
    /// Report type.
    pub report_type: ReportType,
    /// Report ID.
    pub report_id: u8,
    /// Bit offset after the ID byte.
    pub offset: u32,
    /// Size in bits.
    pub size: u32,
    /// The value as NUT printed it.
    pub value: String,
    /// The whole report, first byte = report ID.
    pub report_bytes: Vec<u8>,
    /// `raw`, `signed` or `scaled`.
    pub matching: String,
}

/// Parse a `.values.tsv` file.
pub fn parse_values_tsv(text: &str) -> Result<Vec<ValueRow>, RecordingError> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let ln = n + 1;
        if line.starts_with('#') || line.trim().is_empty() || line.starts_with("path\t") {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 7 {
            return Err(err(ln, format!("expected 8 tab-separated columns, got {}", cols.len())));
        }
        let report_type = ReportType::from_name(cols[1])
            .ok_or_else(|| err(ln, format!("unknown report type '{}'", cols[1])))?;
        let report_id = u8::from_str_radix(cols[2].trim_start_matches("0x"), 16)
            .map_err(|_| err(ln, format!("bad report id '{}'", cols[2])))?;
        let offset = cols[3].parse().map_err(|_| err(ln, format!("bad offset '{}'", cols[3])))?;
        let size = cols[4].parse().map_err(|_| err(ln, format!("bad size '{}'", cols[4])))?;
        let report_bytes = parse_hex(cols[6]).map_err(|e| err(ln, e.message))?;
        rows.push(ValueRow {
            line: ln,
            path: cols[0].to_string(),
            report_type,
            report_id,
            offset,
            size,
            value: cols[5].to_string(),
            report_bytes,
            matching: cols.get(7).copied().unwrap_or("").to_string(),
        });
    }
    Ok(rows)
}

/// Parse a `.reports.txt` file into (report id, whole report bytes) pairs (STALL lines are
/// left out).
pub fn parse_reports_txt(text: &str) -> Result<Vec<(u8, Vec<u8>)>, RecordingError> {
    Ok(parse_reports_txt_lines(text)?.into_iter().filter(|r| !r.stall).map(|r| (r.id, r.bytes)).collect())
}

/// One report of a `.reports.txt` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    /// 1-based line number.
    pub line: usize,
    /// The report type when the line says it (`input report 0x0b: ...`); plain lines are
    /// Feature reports (GET_REPORT dumps).
    pub report_type: ReportType,
    /// Report id.
    pub id: u8,
    /// The whole report (first byte = id when ids are used); empty for a STALL.
    pub bytes: Vec<u8>,
    /// The device STALLed GET_REPORT for this report (`... report 0x0c: STALL`).
    pub stall: bool,
}

/// Format a `.reports.txt` file of typed lines (`feature report 0x0c: 0c 64`, `... STALL`);
/// `header` lines become `#` comments.
pub fn format_reports_txt(lines: &[ReportLine], header: &[&str]) -> String {
    let mut out = String::new();
    for h in header {
        out.push_str(&format!("# {h}\n"));
    }
    for l in lines {
        let what = if l.stall { "STALL".to_string() } else { to_hex(&l.bytes) };
        out.push_str(&format!("{} report 0x{:02x}: {what}\n", l.report_type.name().to_lowercase(), l.id));
    }
    out
}

/// One report of a `.interrupts.txt` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterruptLine {
    /// 1-based line number.
    pub line: usize,
    /// Milliseconds since the recording started listening.
    pub at_ms: u64,
    /// The report as it came (first byte = id when ids are used).
    pub bytes: Vec<u8>,
}

/// Parse a `.interrupts.txt` file; times must not go backwards.
pub fn parse_interrupts_txt(text: &str) -> Result<Vec<InterruptLine>, RecordingError> {
    let mut out: Vec<InterruptLine> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let ln = n + 1;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (at, hex) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| err(ln, "expected '<milliseconds> <TAB> <hex bytes>'"))?;
        let at_ms: u64 =
            at.trim().parse().map_err(|_| err(ln, format!("bad time '{at}': give milliseconds")))?;
        if out.last().is_some_and(|l| l.at_ms > at_ms) {
            return Err(err(ln, "time goes backwards: lines must be in the order the reports came"));
        }
        let bytes = parse_hex(hex).map_err(|e| err(ln, e.message))?;
        if bytes.is_empty() {
            return Err(err(ln, "no report bytes"));
        }
        out.push(InterruptLine { line: ln, at_ms, bytes });
    }
    Ok(out)
}

/// Format a `.interrupts.txt` file (the inverse of [`parse_interrupts_txt`]).
pub fn format_interrupts_txt(lines: &[InterruptLine], header: &[&str]) -> String {
    let mut out = String::new();
    for h in header {
        out.push_str(&format!("# {h}\n"));
    }
    for l in lines {
        out.push_str(&format!("{}\t{}\n", l.at_ms, to_hex(&l.bytes)));
    }
    out
}

/// [`parse_reports_txt`] with line numbers and types. Two line forms exist in the recordings:
/// `<id decimal> <TAB> <hex bytes>` and `<input|feature> report 0x<id hex>: <hex>` (hex
/// possibly without spaces, as `usbhid-dump` prints it, or `STALL`).
pub fn parse_reports_txt_lines(text: &str) -> Result<Vec<ReportLine>, RecordingError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let ln = n + 1;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let lower = line.trim_start().to_ascii_lowercase();
        let original = line.trim_start();
        let typed = ["input", "feature", "output"].iter().find_map(|t| {
            lower
                .strip_prefix(t)
                .and_then(|r| r.trim_start().strip_prefix("report"))
                // The same bytes of the line as written (to_ascii_lowercase keeps lengths).
                .map(|r| (*t, original[original.len() - r.len()..].to_string()))
        });
        if let Some((t, rest)) = typed {
            let (id, hex) = rest
                .split_once(':')
                .ok_or_else(|| err(ln, format!("expected '{t} report 0x<id>: <hex bytes>'")))?;
            let id = id.trim();
            let id = u8::from_str_radix(id.trim_start_matches("0x"), 16)
                .map_err(|_| err(ln, format!("bad report id '{id}'")))?;
            let report_type = ReportType::from_name(&format!("{}{}", &t[..1].to_uppercase(), &t[1..]))
                .unwrap_or(ReportType::Feature);
            if hex.trim().eq_ignore_ascii_case("stall") {
                out.push(ReportLine { line: ln, report_type, id, bytes: Vec::new(), stall: true });
                continue;
            }
            let compact: String = hex.chars().filter(|c| !c.is_whitespace()).collect();
            if !compact.len().is_multiple_of(2) || !compact.is_ascii() {
                return Err(err(ln, "odd number of hex digits: a byte is cut"));
            }
            let bytes = (0..compact.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&compact[i..i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| err(ln, format!("'{}' is not hex", hex.trim())))?;
            out.push(ReportLine { line: ln, report_type, id, bytes, stall: false });
            continue;
        }
        let (id, bytes) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| err(ln, "expected '<report id> <hex bytes>'"))?;
        let id: u8 = id.trim().parse().map_err(|_| err(ln, format!("bad report id '{id}'")))?;
        let bytes = parse_hex(bytes).map_err(|e| err(ln, e.message))?;
        out.push(ReportLine { line: ln, report_type: ReportType::Feature, id, bytes, stall: false });
    }
    Ok(out)
}

/// How recorded report bytes compare with the length the descriptor declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// As declared.
    Exact,
    /// Fewer bytes than declared (a device quirk the driver must survive).
    Short {
        /// Bytes recorded (with the id byte).
        have: usize,
        /// Bytes declared (with the id byte).
        want: usize,
    },
    /// More bytes than declared (another quirk).
    Long {
        /// Bytes recorded (with the id byte).
        have: usize,
        /// Bytes declared (with the id byte).
        want: usize,
    },
}

/// Check that recorded report bytes belong to the report they are filed under: they start
/// with the report id when the device uses ids, and the report exists. A length that differs
/// from the descriptor's is a device quirk, returned as such (real devices send short and long
/// reports, and a recording must be able to show them); bytes of another report would
/// decode to wrong values, so they are an error.
pub fn check_framing(
    desc: &crate::Descriptor,
    rt: ReportType,
    id: u8,
    bytes: &[u8],
    line: usize,
) -> Result<Framing, RecordingError> {
    if desc.uses_report_ids && bytes.first() != Some(&id) {
        return Err(err(
            line,
            format!(
                "report bytes start with {} but the report id is 0x{id:02x}: the bytes belong to another report",
                bytes.first().map_or("nothing".to_string(), |b| format!("0x{b:02x}"))
            ),
        ));
    }
    let want = desc
        .wire_length(rt, id)
        .or_else(|| desc.wire_length(ReportType::Feature, id))
        .or_else(|| desc.wire_length(ReportType::Input, id))
        .ok_or_else(|| err(line, format!("report 0x{id:02x} is not in the report descriptor")))?;
    let have = bytes.len();
    Ok(match have.cmp(&want) {
        std::cmp::Ordering::Equal => Framing::Exact,
        std::cmp::Ordering::Less => Framing::Short { have, want },
        std::cmp::Ordering::Greater => Framing::Long { have, want },
    })
}

/// The USB strings of a recorded device (a `.strings.txt` file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strings {
    /// iManufacturer of the device descriptor.
    pub manufacturer: Option<String>,
    /// iProduct of the device descriptor.
    pub product: Option<String>,
    /// iSerialNumber of the device descriptor.
    pub serial: Option<String>,
    /// Other string descriptors by index, in file order.
    pub by_index: Vec<(u8, String)>,
}

impl Strings {
    /// The string with descriptor index `index`.
    pub fn get(&self, index: u8) -> Option<&str> {
        self.by_index.iter().find(|(i, _)| *i == index).map(|(_, s)| s.as_str())
    }
}

/// Parse a `.strings.txt` file.
pub fn parse_strings_txt(text: &str) -> Result<Strings, RecordingError> {
    let mut out = Strings::default();
    for (n, line) in text.lines().enumerate() {
        let ln = n + 1;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let (key, value) = line
            .split_once('\t')
            .ok_or_else(|| err(ln, "expected '<manufacturer|product|serial|index> <TAB> <text>'"))?;
        let value = value.to_string();
        match key.trim() {
            "manufacturer" => out.manufacturer = Some(value),
            "product" => out.product = Some(value),
            "serial" => out.serial = Some(value),
            k => match k.parse::<u8>() {
                Ok(i) if i > 0 => {
                    if out.get(i).is_some() {
                        return Err(err(ln, format!("string index {i} is given twice")));
                    }
                    out.by_index.push((i, value));
                }
                _ => {
                    return Err(err(
                        ln,
                        format!("unknown key '{k}': use manufacturer, product, serial or an index 1-255"),
                    ))
                }
            },
        }
    }
    Ok(out)
}

/// Format a `.strings.txt` file (the inverse of [`parse_strings_txt`]); `header` lines become
/// `#` comments.
pub fn format_strings_txt(s: &Strings, header: &[&str]) -> String {
    let mut out = String::new();
    for h in header {
        out.push_str(&format!("# {h}\n"));
    }
    for (k, v) in [("manufacturer", &s.manufacturer), ("product", &s.product), ("serial", &s.serial)] {
        if let Some(v) = v {
            out.push_str(&format!("{k}\t{v}\n"));
        }
    }
    for (i, v) in &s.by_index {
        out.push_str(&format!("{i}\t{v}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_and_tsv() {
        assert_eq!(parse_hex("05 84\n09 04 # c\n"), Ok(vec![5, 0x84, 9, 4]));
        assert!(parse_hex("zz").is_err());
        let rows =
            parse_values_tsv("# c\npath\ttype\nUPS.X\tFeature\t0x20\t0\t8\t1\t20 01\traw\n").expect("ok");
        assert_eq!(rows[0].report_id, 0x20);
        assert_eq!(rows[0].report_bytes, vec![0x20, 1]);
        assert_eq!(parse_reports_txt("# x\n1\t01 25\n").expect("ok"), vec![(1, vec![1, 0x25])]);
        let typed =
            parse_reports_txt_lines("input report 0x0b:   0b9001\nfeature report 0x0B: 0B31\n").expect("ok");
        assert_eq!(typed[0].report_type, ReportType::Input);
        assert_eq!((typed[0].id, typed[0].bytes.clone()), (0x0b, vec![0x0b, 0x90, 0x01]));
        assert_eq!(typed[1].report_type, ReportType::Feature);
        assert!(parse_reports_txt_lines("input report 0x0b: 0b9\n").is_err());
        let stall = parse_reports_txt_lines("# x\nfeature report 0x0c: STALL\n").expect("ok");
        assert!(stall[0].stall && stall[0].bytes.is_empty() && stall[0].id == 0x0c);
        assert_eq!(parse_reports_txt("feature report 0x0c: stall\n").expect("ok"), vec![]);
    }

    #[test]
    fn reports_and_interrupts_round_trip() {
        let lines =
            parse_reports_txt_lines("feature report 0x0c: 0c 64\ninput report 0x01: STALL\n").expect("ok");
        assert_eq!(parse_reports_txt_lines(&format_reports_txt(&lines, &["h"])).expect("ok"), {
            let mut l = lines.clone();
            l[0].line = 2;
            l[1].line = 3;
            l
        });
        let ev = parse_interrupts_txt("# h\n0\t01 25\n1500\t06 64 20\n").expect("ok");
        assert_eq!((ev[1].at_ms, ev[1].bytes.clone()), (1500, vec![6, 0x64, 0x20]));
        let again = parse_interrupts_txt(&format_interrupts_txt(&ev, &["h"])).expect("ok");
        assert_eq!(
            again.iter().map(|l| (l.at_ms, l.bytes.clone())).collect::<Vec<_>>(),
            vec![(0, vec![1, 0x25]), (1500, vec![6, 0x64, 0x20])]
        );
        assert_eq!(parse_interrupts_txt("5\t01\n4\t02\n").map_err(|e| e.line), Err(2));
        assert_eq!(parse_interrupts_txt("soon\t01\n").map_err(|e| e.line), Err(1));
        assert_eq!(parse_interrupts_txt("5\t\n").map_err(|e| e.line), Err(1));
    }

    #[test]
    fn hex_and_values_round_trip() {
        let bytes: Vec<u8> = (0..40).collect();
        assert_eq!(parse_hex(&format_hex_file(&bytes, &["h"])).expect("ok"), bytes);
        let rows = parse_values_tsv("UPS.X\tFeature\t0x20\t0\t8\t1\t20 01\traw\n").expect("ok");
        let again = parse_values_tsv(&format_values_tsv(&rows, &["c"])).expect("ok");
        assert_eq!(again[0].report_bytes, rows[0].report_bytes);
        assert_eq!(again[0].path, rows[0].path);
    }

    #[test]
    fn strings_round_trip_and_errors() {
        let s = parse_strings_txt("# src\nmanufacturer\tEATON\nproduct\tEaton 3S\n5\tPbAc\n").expect("ok");
        assert_eq!(s.manufacturer.as_deref(), Some("EATON"));
        assert_eq!(s.product.as_deref(), Some("Eaton 3S"));
        assert_eq!(s.get(5), Some("PbAc"));
        assert_eq!(parse_strings_txt(&format_strings_txt(&s, &["x"])).expect("ok"), s);
        assert_eq!(parse_strings_txt("vendor\tX\n").map_err(|e| e.line), Err(1));
        assert_eq!(parse_strings_txt("# c\n0\tX\n").map_err(|e| e.line), Err(2));
        assert_eq!(parse_strings_txt("5 PbAc\n").map_err(|e| e.line), Err(1));
        assert_eq!(parse_strings_txt("5\ta\n5\tb\n").map_err(|e| e.line), Err(2));
    }
}
