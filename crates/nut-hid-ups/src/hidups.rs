//! The engine: reads the device's reports and interprets the subdriver tables as NUT 2.8.5's
//! usbhid-ups.c does (`hid_ups_walk`, `ups_infoval_set`, `process_boolean_info`,
//! `ups_status_set`, `ups_alarm_set`, `instcmd`, `setvar`), producing NUT variables with their
//! flags, lengths and enumerated values, `ups.status` and `ups.alarm`.
//!
//! - **Mapping.** A table path names the first Feature field whose usage path starts with it
//!   (Input with `interruptonly`), as NUT's `FindObject_with_Path`. At the first walk (NUT's
//!   INIT) an entry is kept if its variable is not published yet when it is reached, so the
//!   first entry that yields a value wins; status and `ups.alarm` entries are always kept;
//!   `ABSENT` entries publish their default.
//! - **Walks.** Init and full walks read every kept entry (a full walk skips `STATIC`, and
//!   `SEMI_STATIC` unless a command or SET changed the device, when the interrupt pipe is in
//!   use); quick walks read `QUICK_POLL` entries only (and, for subdrivers not ported whole
//!   from NUT, the status entries). Each report is read once per walk.
//! - **Values persist** between walks, as NUT's dstate and `ups_status` do: a value that
//!   cannot be read or converted keeps its previous text; a status bit keeps its last write.
//! - **Report quirks** ([`Quirk`]): a short report is zero-padded and only the fields it
//!   carries are used; a long one is truncated; a STALLed, timed-out or mis-framed report
//!   loses its own values for that walk only; each quirk is logged once per report. A walk
//!   that reads nothing at all means the device is gone.
//! - **Descriptor fixes**: NUT's parser rule (a Logical Maximum below the minimum is read
//!   unsigned) always applies; the subdriver's `fix_report_desc` runs unless
//!   `disable_fix_report_desc`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use nut_hid::{parse, path_to_string, usage, value::format_g, Descriptor, Field, ReportType};

use crate::policy::{self, Policy, Tracker};
use crate::subdrivers::{
    default_names, flag, Conv, ConvFn, Delay, DeviceView, Identity, Names, StatusBit, Subdriver,
    SubdriverState, VarMap,
};
use crate::transport::{DeviceInfo, Transport, TransportError};

/// NUT's buffer for a string-id conversion (usbhid-ups.c `stringid_conversion_fun`: 20).
pub const STRINGID_BUFLEN: usize = 20;
/// NUT's buffer for the strings the subdrivers read by path (`HIDGetItemString` into a
/// `SMALLBUF`: 512).
pub const ITEM_STRING_BUFLEN: usize = 512;

/// Variables the status composition adds or removes on each update.
pub const TRANSIENT_VARS: [&str; 2] = ["input.transfer.reason", "experimental.ups.mode.buzzwords"];

/// Everything one update publishes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    /// Variables (without `ups.status`/`ups.alarm`).
    pub vars: BTreeMap<String, String>,
    /// `ups.status` tokens joined by spaces.
    pub status: String,
    /// `ups.alarm` text, empty when none.
    pub alarm: String,
    /// On line and discharging with no option saying why (see [`crate::policy`]).
    pub unexplained_online_discharge: bool,
    /// Flags, maximum length and enumerated values of the variables that have them.
    pub meta: BTreeMap<String, VarMeta>,
    /// Variables that must not be published now (from [`TRANSIENT_VARS`]).
    pub gone: Vec<String>,
}

/// What NUT's `dstate_setflags`, `dstate_setaux` and `dstate_addenum` say about a variable.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VarMeta {
    /// Writable with SET VAR.
    pub rw: bool,
    /// A string (else a number).
    pub string: bool,
    /// Maximum length of a string.
    pub aux: Option<i64>,
    /// Enumerated values (NUT's `HU_FLAG_ENUM` on a writable lookup variable).
    pub enums: Vec<String>,
}

/// Errors from commands and SET VAR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    /// The command or variable is not supported by this device.
    #[error("not supported by this UPS")]
    Unknown,
    /// The value is not acceptable.
    #[error("invalid value")]
    Invalid,
    /// The device failed.
    #[error("{0}")]
    Transport(#[from] TransportError),
}

/// Which reports an update reads from the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// Every report a variable comes from (NUT's full update, every `pollfreq`).
    Full,
    /// Only the reports holding status bits (NUT's quick update, every `pollinterval`).
    Quick,
    /// Nothing is read: the values interrupt events delivered are interpreted
    /// (`interruptonly`).
    Events,
}

/// NUT's walk modes after the first (INIT) walk, which [`HidUps::init_walk`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// After a reconnect: every used entry, flags published again.
    Reinit,
    Full,
    Quick,
    Events,
}

/// Why an interrupt-in report was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Empty transfer.
    #[error("empty interrupt report")]
    Empty,
    /// No fields with this report id exist in the descriptor.
    #[error("interrupt report 0x{0:02x} is not in the report descriptor")]
    UnknownReport(u8),
    /// Shorter than the descriptor says (kept for callers matching on it; short reports are
    /// now used as far as they go, see [`Quirk::ShortEvent`]).
    #[error("interrupt report 0x{id:02x} has {have} data byte(s), the descriptor says {need}")]
    Short {
        /// Report id.
        id: u8,
        /// Bytes present (after the id).
        have: usize,
        /// Bytes needed.
        need: usize,
    },
}

/// The GET_REPORT length asked for with `maxreport` (unless the descriptor declares more):
/// a whole buffer, for firmware that answers with more than it describes.
pub const MAX_REPORT_REQUEST: usize = 256;

/// How the engine reads the device (options of `ups.conf`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineOpts {
    /// `interruptonly`: table paths name Input fields; after the first walk only interrupt
    /// reports bring values.
    pub interrupt_only: bool,
    /// The interrupt pipe is read (not `pollonly`): STATIC entries are read once, SEMI_STATIC
    /// ones only after a change, flags are published at the first walk only.
    pub use_interrupts: bool,
    /// `disable_fix_report_desc`: do not run the subdriver's descriptor fix.
    pub disable_fix_report_desc: bool,
    /// `maxreport`: ask for the largest report instead of the declared length (firmware
    /// that answers wrongly sized requests badly).
    pub maxreport: bool,
}

impl Default for EngineOpts {
    fn default() -> EngineOpts {
        EngineOpts {
            interrupt_only: false,
            use_interrupts: true,
            disable_fix_report_desc: false,
            maxreport: false,
        }
    }
}

/// A report that does not match what the descriptor says, or that the device refused. Each
/// is logged once per report (and kind); the values of the other reports are unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Quirk {
    /// GET_REPORT answered with fewer bytes than declared: zero-padded, the fields beyond
    /// the end are not used.
    ShortReport {
        /// Report type.
        report_type: ReportType,
        /// Report id.
        id: u8,
        /// Data bytes received (after the id).
        have: usize,
        /// Data bytes declared.
        want: usize,
    },
    /// GET_REPORT answered with more bytes than declared: truncated.
    LongReport {
        /// Report type.
        report_type: ReportType,
        /// Report id.
        id: u8,
        /// Data bytes received.
        have: usize,
        /// Data bytes declared.
        want: usize,
    },
    /// The device STALLs GET_REPORT for this report: its values are not available.
    Stall {
        /// Report type.
        report_type: ReportType,
        /// Report id.
        id: u8,
    },
    /// GET_REPORT failed otherwise (timeout, I/O error): skipped for that walk.
    Failed {
        /// Report type.
        report_type: ReportType,
        /// Report id.
        id: u8,
        /// The error.
        error: String,
    },
    /// The answer starts with another report id: not used.
    WrongId {
        /// Report type.
        report_type: ReportType,
        /// Report id asked for.
        id: u8,
        /// First byte of the answer.
        got: Option<u8>,
    },
    /// An interrupt report shorter than declared: the fields it carries are used.
    ShortEvent {
        /// Report id.
        id: u8,
        /// Data bytes received.
        have: usize,
        /// Data bytes declared.
        want: usize,
    },
    /// An interrupt report longer than declared: truncated.
    LongEvent {
        /// Report id.
        id: u8,
        /// Data bytes received.
        have: usize,
        /// Data bytes declared.
        want: usize,
    },
    /// An interrupt report whose id has no Input fields: read with the Feature layout of
    /// that id (NUT files it under the id and its walks then read it).
    EventWithoutInput {
        /// Report id.
        id: u8,
    },
    /// NUT's parser rule: a Logical Maximum below the minimum was read as unsigned.
    AssumedLogicalMax {
        /// Report id.
        id: u8,
        /// The maximum used.
        max: i64,
    },
}

impl Quirk {
    fn key(&self) -> (u8, Option<ReportType>, u8) {
        match self {
            Quirk::ShortReport { report_type, id, .. } => (0, Some(*report_type), *id),
            Quirk::LongReport { report_type, id, .. } => (1, Some(*report_type), *id),
            Quirk::Stall { report_type, id } => (2, Some(*report_type), *id),
            Quirk::Failed { report_type, id, .. } => (3, Some(*report_type), *id),
            Quirk::WrongId { report_type, id, .. } => (4, Some(*report_type), *id),
            Quirk::ShortEvent { id, .. } => (5, None, *id),
            Quirk::LongEvent { id, .. } => (6, None, *id),
            Quirk::EventWithoutInput { id } => (7, None, *id),
            Quirk::AssumedLogicalMax { id, .. } => (8, None, *id),
        }
    }
}

impl std::fmt::Display for Quirk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Quirk::ShortReport { report_type, id, have, want } => write!(
                f,
                "{} report 0x{id:02x} is short: {have} of {want} data bytes; the fields beyond them are not \
                 used (the other values are)",
                report_type.name()
            ),
            Quirk::LongReport { report_type, id, have, want } => write!(
                f,
                "{} report 0x{id:02x} is longer than its descriptor says: {have} data bytes for {want}; the \
                 extra bytes are ignored",
                report_type.name()
            ),
            Quirk::Stall { report_type, id } => write!(
                f,
                "the UPS refuses (STALLs) GET_REPORT for {} report 0x{id:02x}: its values are not \
                 available, the other values are",
                report_type.name()
            ),
            Quirk::Failed { report_type, id, error } => write!(
                f,
                "can't read {} report 0x{id:02x} ({error}): its values keep their last reading",
                report_type.name()
            ),
            Quirk::WrongId { report_type, id, got } => write!(
                f,
                "asked for {} report 0x{id:02x}, the UPS answered with {}: not used",
                report_type.name(),
                got.map_or("nothing".to_string(), |g| format!("report 0x{g:02x}"))
            ),
            Quirk::ShortEvent { id, have, want } => write!(
                f,
                "interrupt report 0x{id:02x} is short: {have} of {want} data bytes; the fields it carries \
                 are used"
            ),
            Quirk::LongEvent { id, have, want } => write!(
                f,
                "interrupt report 0x{id:02x} is longer than its descriptor says: {have} data bytes for \
                 {want}; the extra bytes are ignored"
            ),
            Quirk::EventWithoutInput { id } => write!(
                f,
                "interrupt report 0x{id:02x} has no Input fields in the report descriptor: read with the \
                 layout of Feature report 0x{id:02x}"
            ),
            Quirk::AssumedLogicalMax { id, max } => write!(
                f,
                "LogMax is less than LogMin. Vendor HID report descriptor may be incorrect; interpreting \
                 LogMax as {max} in ReportID: 0x{id:02x}"
            ),
        }
    }
}

/// One report as last read: the data after the id byte (zero-padded to the declared
/// length) and how many of those bytes the device actually sent.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Slot {
    data: Vec<u8>,
    valid: usize,
}

/// A table entry in use, with the field it reads.
#[derive(Debug, Clone, Copy)]
struct Item {
    map: &'static VarMap,
    field: usize,
}

/// A connected UPS.
pub struct HidUps {
    transport: Box<dyn Transport>,
    /// The subdriver in use.
    pub subdriver: &'static Subdriver,
    /// The parsed report descriptor (after fixes).
    pub descriptor: Descriptor,
    /// Names of usages: the subdriver's vendor tables.
    pub tables: &'static [usage::UsageTable],
    /// `offdelay` (seconds) used by `load.off.delay` and `ups.delay.shutdown`.
    pub offdelay: String,
    /// `ondelay` (seconds).
    pub ondelay: String,
    /// How status bits become `ups.status` (NUT's status options).
    pub policy: Policy,
    /// How the device is read.
    pub opts: EngineOpts,
    /// How many fixes the subdriver's `fix_report_desc` made.
    pub descriptor_fixes: usize,
    info: DeviceInfo,
    strings: HashMap<u8, Option<String>>,
    items: Vec<Item>,
    cmds: Vec<&'static str>,
    /// Commands NUT adds in initinfo (load.off, load.on, shutdown.return/stayoff) that have
    /// no table entry: run by composing the delay commands.
    initialized: bool,
    reinit: bool,
    cache: HashMap<(ReportType, u8), Slot>,
    /// Reports read (or failed) during the current walk.
    fresh: HashSet<(ReportType, u8)>,
    failed: HashSet<(ReportType, u8)>,
    vars: BTreeMap<String, String>,
    meta: BTreeMap<String, VarMeta>,
    /// ABSENT entries whose value is the configured delay (`offdelay`/`ondelay`).
    delay_vars: Vec<(&'static str, &'static str)>,
    bits: BTreeMap<StatusBit, bool>,
    walk_alarms: Vec<String>,
    /// Mode buzzwords conversions set in this update (NUT's `buzzmode_set`).
    walk_buzzwords: Vec<&'static str>,
    alarm: String,
    data_changed: bool,
    tracker: Tracker,
    quirks: Vec<Quirk>,
    quirk_keys: HashSet<(u8, Option<ReportType>, u8)>,
    /// The subdriver's per-device state ([`Subdriver::state`]); taken out while one of its
    /// conversions runs (a conversion inside it then uses the plain function).
    state: Option<Box<dyn SubdriverState>>,
}

/// Format a number as C's printf does with a format holding one floating conversion
/// (`%[flags][width][.precision]f|F|e|E|g|G`, text around it, `%%`), which is how NUT's
/// `dstate_setinfo_dynamic` uses a table's format. `None` for a format NUT would refuse
/// (no conversion, or another kind such as `%s` or `%d`).
pub fn printf_f(fmt: &str, v: f64) -> Option<String> {
    let mut out = String::new();
    let mut chars = fmt.chars().peekable();
    let mut converted = false;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push('%');
            continue;
        }
        if converted {
            return None;
        }
        let (mut left, mut plus, mut space, mut zero, mut alt) = (false, false, false, false, false);
        while let Some(&f) = chars.peek() {
            match f {
                '-' => left = true,
                '+' => plus = true,
                ' ' => space = true,
                '0' => zero = true,
                '#' => alt = true,
                _ => break,
            }
            chars.next();
        }
        let mut width = String::new();
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(d);
            chars.next();
        }
        let mut precision: Option<usize> = None;
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut p = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                p.push(d);
                chars.next();
            }
            precision = Some(p.parse::<usize>().unwrap_or(0).min(64));
        }
        // Length modifiers that still mean a double.
        if chars.peek() == Some(&'l') || chars.peek() == Some(&'L') {
            chars.next();
        }
        let conv = chars.next()?;
        let body = match conv {
            'f' | 'F' => format!("{:.*}", precision.unwrap_or(6), v.abs()),
            'e' | 'E' => c_exp(v.abs(), precision.unwrap_or(6), conv == 'E'),
            'g' | 'G' => {
                let g = c_g(v.abs(), precision.unwrap_or(6), alt);
                if conv == 'G' {
                    g.to_uppercase()
                } else {
                    g
                }
            }
            _ => return None,
        };
        let body =
            if alt && precision == Some(0) && matches!(conv, 'f' | 'F') { format!("{body}.") } else { body };
        let sign = if v.is_sign_negative() && v != 0.0 || (v == 0.0 && v.is_sign_negative()) {
            "-"
        } else if plus {
            "+"
        } else if space {
            " "
        } else {
            ""
        };
        // Formats come from the compiled tables; a width or precision past 64 is still capped.
        let width: usize = width.parse::<usize>().unwrap_or(0).min(64);
        let len = sign.len() + body.len();
        let pad = width.saturating_sub(len);
        if left {
            out.push_str(sign);
            out.push_str(&body);
            out.push_str(&" ".repeat(pad));
        } else if zero && v.is_finite() {
            out.push_str(sign);
            out.push_str(&"0".repeat(pad));
            out.push_str(&body);
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(sign);
            out.push_str(&body);
        }
        converted = true;
    }
    converted.then_some(out)
}

/// C's `%.Ne` of a non-negative number.
fn c_exp(v: f64, precision: usize, upper: bool) -> String {
    let s = format!("{:.*e}", precision, v);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    format!("{mant}{e}{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// C's `%.Ng` of a non-negative number.
fn c_g(v: f64, precision: usize, alt: bool) -> String {
    if precision == 6 && !alt {
        return format_g(v);
    }
    let p = precision.max(1);
    let sci = format!("{:.*e}", p - 1, v);
    let exp: i32 = sci.split_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
    let trim = |s: String| {
        if alt || !s.contains('.') {
            s
        } else {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    if exp < -4 || exp >= p as i32 {
        let s = c_exp(v, p - 1, false);
        let (m, e) = s.split_once('e').unwrap_or((&s, ""));
        format!("{}e{e}", trim(m.to_string()))
    } else {
        trim(format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, v))
    }
}

/// C's `atol`: leading blanks, a sign and digits; `None` when there are no digits (NUT would
/// use 0 there; we refuse the value instead).
fn atol(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let end = digits.bytes().position(|b| !b.is_ascii_digit()).unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let n: i64 = digits[..end].parse().ok()?;
    Some(if neg { -n } else { n })
}

/// NUT's `date_conversion_fun`.
fn hid_date(v: f64) -> String {
    let d = v as i64;
    if d == 0 {
        return "not set".into();
    }
    format!("{:04}/{:02}/{:02}", 1980 + (d >> 9), (d >> 5) & 0x0f, d & 0x1f)
}

/// NUT's `date_conversion_reverse` (an unparsable date is refused rather than written as 0).
fn hid_date_reverse(s: &str) -> Option<f64> {
    let (y, m, d) = split_date(s)?;
    if y - 1980 > 127 || m > 12 || d > 31 {
        return Some(0.0);
    }
    Some((((y - 1980) << 9) + (m << 5) + d) as f64)
}

/// NUT's `apc_date_conversion_fun`: hex digits read as decimal, 0xMMDDYY.
fn apc_date(v: f64) -> String {
    let d = v as i64;
    if d == 0 {
        return "not set".into();
    }
    let nib = |s: u32| (d >> s) & 0xf;
    let mut year = nib(0) + 10 * nib(4);
    let month = nib(16) + 10 * nib(20);
    let day = nib(8) + 10 * nib(12);
    year += if year >= 70 { 1900 } else { 2000 };
    format!("{year:04}/{month:02}/{day:02}")
}

/// NUT's `apc_date_conversion_reverse`.
fn apc_date_reverse(s: &str) -> Option<f64> {
    let (y, m, d) = split_date(s)?;
    if y >= 2070 || m > 12 || d > 31 {
        return Some(0.0);
    }
    let y = y % 100;
    let date = (((y / 10) & 0x0f) << 4)
        + (y % 10)
        + (((m / 10) & 0x0f) << 20)
        + ((m % 10) << 16)
        + (((d / 10) & 0x0f) << 12)
        + ((d % 10) << 8);
    Some(date as f64)
}

fn split_date(s: &str) -> Option<(i64, i64, i64)> {
    let mut p = s.trim().splitn(3, '/');
    let y = atol(p.next()?)?;
    let m = atol(p.next()?)?;
    let d = atol(p.next()?)?;
    Some((y, m, d))
}

/// NUT's `kelvin_celsius_conversion_fun`: values outside 273..373 are taken as °C already.
fn kelvin(v: f64) -> String {
    if (273.0..=373.0).contains(&v) {
        format!("{:.1}", v - 273.15)
    } else {
        format!("{v:.1}")
    }
}

fn is_status(m: &VarMap) -> bool {
    matches!(m.conv, Conv::Status(_) | Conv::StatusIfZero(_) | Conv::StatusMap(_))
}

impl HidUps {
    /// Read and parse the descriptor, apply the fixes and read the device once (NUT's INIT
    /// walk), with the default options.
    pub fn new(transport: Box<dyn Transport>, subdriver: &'static Subdriver) -> Result<HidUps, String> {
        HidUps::open(transport, subdriver, EngineOpts::default())
    }

    /// [`HidUps::new`] with options.
    pub fn open(
        mut transport: Box<dyn Transport>,
        subdriver: &'static Subdriver,
        opts: EngineOpts,
    ) -> Result<HidUps, String> {
        let bytes =
            transport.descriptor().map_err(|e| format!("can't read the HID report descriptor: {e}"))?;
        let mut descriptor = parse(&bytes).map_err(|e| e.to_string())?;
        let info = transport.info();
        let mut ups = HidUps {
            transport,
            subdriver,
            descriptor: Descriptor::default(),
            tables: subdriver.usages,
            offdelay: "20".into(),
            ondelay: "30".into(),
            policy: Policy::default(),
            opts,
            descriptor_fixes: 0,
            info,
            strings: HashMap::new(),
            items: Vec::new(),
            cmds: Vec::new(),
            initialized: false,
            reinit: false,
            cache: HashMap::new(),
            fresh: HashSet::new(),
            failed: HashSet::new(),
            vars: BTreeMap::new(),
            meta: BTreeMap::new(),
            delay_vars: Vec::new(),
            bits: BTreeMap::new(),
            walk_alarms: Vec::new(),
            walk_buzzwords: Vec::new(),
            alarm: String::new(),
            data_changed: false,
            tracker: Tracker::default(),
            quirks: Vec::new(),
            quirk_keys: HashSet::new(),
            state: subdriver.state.map(|make| make()),
        };
        let mut assumed: Vec<(u8, i64)> = descriptor
            .fields
            .iter()
            .filter(|f| f.assumed_logical_max)
            .map(|f| (f.report_id, f.logical_max))
            .collect();
        assumed.dedup();
        for (id, max) in assumed {
            ups.quirk(Quirk::AssumedLogicalMax { id, max });
        }
        if let Some(fix) = subdriver.fix_report_desc {
            if ups.opts.disable_fix_report_desc {
                nut_driver::debug!(
                    "NOT Attempting Report Descriptor fix for UPS: Vendor: {:04x}, Product: {:04x} (got \
                     disable_fix_report_desc in config)",
                    ups.info.vendor_id,
                    ups.info.product_id
                );
            } else {
                ups.descriptor_fixes = fix(&ups.info, &mut descriptor);
                if ups.descriptor_fixes > 0 {
                    nut_driver::debug!("Report Descriptor Fixed ({} fix(es))", ups.descriptor_fixes);
                }
            }
        }
        ups.descriptor = descriptor;
        ups.init_walk().map_err(|e| format!("Can't initialize data from HID UPS: {e}"))?;
        Ok(ups)
    }

    /// Re-read the descriptor after a reconnect (a replugged device may have new firmware);
    /// the next walk reads every entry again.
    pub fn reload(&mut self) -> Result<(), String> {
        let bytes =
            self.transport.descriptor().map_err(|e| format!("can't read the HID report descriptor: {e}"))?;
        let d = parse(&bytes).map_err(|e| e.to_string())?;
        self.cache.clear();
        self.strings.clear();
        let mut fixed = d.clone();
        if let (Some(fix), false) = (self.subdriver.fix_report_desc, self.opts.disable_fix_report_desc) {
            fix(&self.info, &mut fixed);
        }
        if fixed != self.descriptor {
            let t = std::mem::replace(&mut self.transport, Box::new(crate::transport::Dead));
            let (off, on, policy) = (self.offdelay.clone(), self.ondelay.clone(), self.policy.clone());
            *self = HidUps::open(t, self.subdriver, self.opts.clone())?;
            self.offdelay = off;
            self.ondelay = on;
            self.policy = policy;
        } else {
            self.reinit = true;
        }
        Ok(())
    }

    /// The transport (for reconnects).
    pub fn transport(&mut self) -> &mut dyn Transport {
        self.transport.as_mut()
    }

    /// The report quirks seen so far, each once.
    pub fn quirks(&self) -> &[Quirk] {
        &self.quirks
    }

    fn quirk(&mut self, q: Quirk) {
        if self.quirk_keys.insert(q.key()) {
            nut_driver::warn!("{q}");
            self.quirks.push(q);
        }
    }

    /// The field a table path names: the first field of the type NUT looks at (Feature, or
    /// Input with `interruptonly`) whose usage path starts with the path's usages.
    fn find_field(&self, path: &str) -> Option<usize> {
        let nodes = usage::string_to_path(path, self.tables)?;
        let rt = if self.opts.interrupt_only { ReportType::Input } else { ReportType::Feature };
        self.find_nodes(&nodes, rt)
    }

    fn find_nodes(&self, nodes: &[u32], rt: ReportType) -> Option<usize> {
        self.descriptor.fields.iter().position(|f| {
            f.report_type == rt && f.path.len() >= nodes.len() && f.path[..nodes.len()] == *nodes
        })
    }

    /// The field for a NUT path, if the device has it (NUT's mapping, see [`HidUps`]).
    pub fn field(&self, path: &str) -> Option<&Field> {
        self.find_field(path).map(|i| &self.descriptor.fields[i])
    }

    fn request_len(&self, rt: ReportType, id: u8) -> Option<usize> {
        let declared = self
            .descriptor
            .wire_length(rt, id)
            .or_else(|| self.descriptor.wire_length(ReportType::Feature, id))
            .or_else(|| self.descriptor.wire_length(ReportType::Input, id))?;
        Some(if self.opts.maxreport { declared.max(MAX_REPORT_REQUEST) } else { declared })
    }

    /// GET_REPORT and check the answer against the descriptor: the quirk it shows, if any.
    fn get_slot(&mut self, rt: ReportType, id: u8) -> Result<Result<Slot, Quirk>, TransportError> {
        let Some(len) = self.request_len(rt, id) else {
            return Ok(Err(Quirk::Stall { report_type: rt, id }));
        };
        let ids = self.descriptor.uses_report_ids;
        let want = self
            .descriptor
            .report_lengths
            .get(&(rt, id))
            .copied()
            .unwrap_or_else(|| len.saturating_sub(usize::from(ids)));
        let bytes = match self.transport.get_report(rt, id, len) {
            Ok(b) => b,
            Err(TransportError::NotSupported) => return Ok(Err(Quirk::Stall { report_type: rt, id })),
            Err(e @ (TransportError::Timeout | TransportError::Io(_))) => {
                return Ok(Err(Quirk::Failed { report_type: rt, id, error: e.to_string() }))
            }
            Err(e) => return Err(e),
        };
        if ids && bytes.first() != Some(&id) {
            return Ok(Err(Quirk::WrongId { report_type: rt, id, got: bytes.first().copied() }));
        }
        let mut data = if ids { bytes[1..].to_vec() } else { bytes };
        let have = data.len();
        let valid = have.min(want);
        if have < want {
            self.quirk(Quirk::ShortReport { report_type: rt, id, have, want });
        } else if have > want && !self.opts.maxreport {
            self.quirk(Quirk::LongReport { report_type: rt, id, have, want });
        }
        data.resize(want, 0);
        Ok(Ok(Slot { data, valid }))
    }

    /// The report for this walk: read once per walk, from the cache only with `cached`.
    fn fetch(&mut self, rt: ReportType, id: u8, cached: bool) -> Result<Option<Slot>, TransportError> {
        let key = (rt, id);
        if cached || self.fresh.contains(&key) {
            return Ok(if self.failed.contains(&key) { None } else { self.cache.get(&key).cloned() });
        }
        self.fresh.insert(key);
        match self.get_slot(rt, id)? {
            Ok(slot) => {
                self.failed.remove(&key);
                self.cache.insert(key, slot.clone());
                Ok(Some(slot))
            }
            Err(q) => {
                self.quirk(q);
                self.failed.insert(key);
                Ok(None)
            }
        }
    }

    /// Read one report and check it is the one asked for; the data after the id byte,
    /// zero-padded to the declared length. A short, long or mis-framed answer is logged once.
    pub fn read_report(&mut self, rt: ReportType, id: u8) -> Result<Vec<u8>, TransportError> {
        match self.get_slot(rt, id)? {
            Ok(s) => Ok(s.data),
            Err(q) => {
                let e = match &q {
                    Quirk::Stall { .. } => TransportError::NotSupported,
                    other => TransportError::Io(other.to_string()),
                };
                self.quirk(q);
                Err(e)
            }
        }
    }

    /// The value of a field in this walk (`None`: its report could not be read, or the
    /// field lies beyond the bytes of a short report).
    fn field_value(&mut self, fi: usize, cached: bool) -> Result<Option<f64>, TransportError> {
        let (rt, id) = (self.descriptor.fields[fi].report_type, self.descriptor.fields[fi].report_id);
        let Some(slot) = self.fetch(rt, id, cached)? else { return Ok(None) };
        let f = &self.descriptor.fields[fi];
        let need = (f.offset as usize + f.size as usize).div_ceil(8);
        if need > slot.valid {
            return Ok(None);
        }
        Ok(f.value(&slot.data).ok())
    }

    /// String `idx`, read into a buffer of `buflen` bytes as NUT's caller does (see
    /// [`Transport::string_for`]; cached by index).
    fn string(&mut self, idx: u8, buflen: usize) -> Option<String> {
        if idx == 0 {
            return None;
        }
        if let Some(s) = self.strings.get(&idx) {
            return s.clone();
        }
        let s = self.transport.string_for(idx, buflen).ok().map(|s| s.trim_end_matches('\n').to_string());
        self.strings.insert(idx, s.clone());
        s
    }

    /// NUT's firmware workaround: report 0x54 of the Tripp Lite SU3000LCD2UHV is never read.
    fn skipped(&self, fi: usize) -> bool {
        self.info.vendor_id == 0x09ae
            && self.info.product_id == 0x1330
            && self.descriptor.fields[fi].report_id == 0x54
    }

    fn begin_walk(&mut self) {
        self.fresh.clear();
        self.failed.clear();
    }

    /// NUT's INIT walk: decides which entries are used, reads them, publishes flags.
    fn init_walk(&mut self) -> Result<(), TransportError> {
        self.begin_walk();
        self.walk_alarms.clear();
        self.identity();
        self.items.clear();
        self.delay_vars.clear();
        for m in self.subdriver.all_vars() {
            let Some(fi) = self.find_field(m.path) else { continue };
            if m.flags & flag::ABSENT != 0 {
                if self.vars.contains_key(m.var) {
                    continue;
                }
                let v = match m.fmt {
                    "offdelay" | "ondelay" => {
                        self.delay_vars.push((m.var, m.fmt));
                        if m.fmt == "offdelay" {
                            self.offdelay.clone()
                        } else {
                            self.ondelay.clone()
                        }
                    }
                    other => other.to_string(),
                };
                self.vars.insert(m.var.to_string(), v);
                self.set_meta(m);
                continue;
            }
            let keep = m.var.is_empty() || m.var == "ups.alarm" || !self.vars.contains_key(m.var);
            if !keep {
                continue;
            }
            self.items.push(Item { map: m, field: fi });
            if self.skipped(fi) {
                continue;
            }
            let Some(v) = self.field_value(fi, false)? else { continue };
            if self.apply(m, v, true) {
                self.set_meta(m);
            }
        }
        // A subdriver that adds its entries to the common table (not ported whole from NUT)
        // means its own status entries to win over the common ones for the same bit: they
        // are written last (a NUT table is walked in its own order).
        if self.subdriver.common {
            let own = |m: &VarMap| self.subdriver.vars.iter().any(|v| std::ptr::eq(v, m));
            let (mut first, mut last): (Vec<Item>, Vec<Item>) = (Vec::new(), Vec::new());
            for it in std::mem::take(&mut self.items) {
                if is_status(it.map) && own(it.map) {
                    last.push(it);
                } else {
                    first.push(it);
                }
            }
            first.extend(last);
            self.items = first;
        }
        // Commands: offered when their report can be read, as NUT's INIT walk does.
        self.cmds.clear();
        for c in self.subdriver.all_cmds() {
            if self.cmds.contains(&c.cmd) {
                continue;
            }
            let Some(fi) = self.find_field(c.path) else { continue };
            if self.field_value(fi, false)?.is_some() {
                self.cmds.push(c.cmd);
            }
        }
        // NUT's initinfo adds these when the delay commands exist.
        let has = |ups: &HidUps, n: &str| ups.cmd_entry(n).is_some();
        let (off, on) = (has(self, "load.off.delay"), has(self, "load.on.delay"));
        for (name, ok) in [
            ("load.off", off),
            ("load.on", on),
            ("shutdown.return", off && on),
            ("shutdown.stayoff", off && on),
        ] {
            if ok && !self.cmds.contains(&name) {
                self.cmds.push(name);
            }
        }
        self.finish_full_walk();
        self.initialized = true;
        if !self.bits.values().any(|b| *b) {
            nut_driver::warn!(
                "No flag bits for 'ups.status' were explicitly reported; it is possible a wrong 'subdriver' \
                 option was requested or detected"
            );
        }
        Ok(())
    }

    fn finish_full_walk(&mut self) {
        let mut texts: Vec<String> = std::mem::take(&mut self.walk_alarms);
        texts.extend(policy::alarms(&self.bits).into_iter().map(str::to_string));
        self.alarm = texts.join(" ");
    }

    /// Whether a quick walk reads this entry.
    fn quick(&self, m: &VarMap) -> bool {
        m.flags & flag::QUICK_POLL != 0 || (self.subdriver.common && is_status(m))
    }

    fn walk(&mut self, mode: Mode) -> Result<(), TransportError> {
        self.begin_walk();
        if mode != Mode::Events {
            // NUT's buzzmode_init before each full or quick walk (interrupt reports come first).
            self.walk_buzzwords.clear();
        }
        let full = !matches!(mode, Mode::Quick);
        if full {
            self.walk_alarms.clear();
        }
        let (mut polled, mut ok) = (0usize, 0usize);
        let use_int = self.opts.use_interrupts;
        for i in 0..self.items.len() {
            let Item { map: m, field: fi } = self.items[i];
            match mode {
                Mode::Quick if !self.quick(m) => continue,
                Mode::Full | Mode::Events => {
                    if m.flags & flag::STATIC != 0 && use_int {
                        continue;
                    }
                    if m.flags & flag::SEMI_STATIC != 0 && !self.data_changed && use_int {
                        continue;
                    }
                }
                _ => {}
            }
            if self.skipped(fi) {
                continue;
            }
            polled += 1;
            let Some(v) = self.field_value(fi, mode == Mode::Events)? else { continue };
            ok += 1;
            if self.apply(m, v, full) && (mode == Mode::Reinit || !use_int) {
                self.set_meta(m);
            }
        }
        if full {
            self.finish_full_walk();
        }
        if polled > 0 && ok == 0 && matches!(mode, Mode::Quick | Mode::Full) {
            return Err(TransportError::Io("no report could be read: the device may be disconnected".into()));
        }
        Ok(())
    }

    /// NUT's `ups_infoval_set`: convert and publish one value. True when a variable was set
    /// (not for status bits and alarms).
    fn apply(&mut self, m: &'static VarMap, v: f64, collect_alarms: bool) -> bool {
        let bit = |ups: &mut HidUps, b: StatusBit, on: bool| {
            if b == StatusBit::EmergencyStop {
                if on && collect_alarms {
                    ups.walk_alarms.push("Emergency stop!".into());
                }
            } else {
                policy::set_bit(&mut ups.bits, b, on);
            }
        };
        let n = v as i64;
        match m.conv {
            Conv::Status(b) => {
                match (b, n) {
                    (StatusBit::Online, 0) => bit(self, StatusBit::Offline, true),
                    (StatusBit::FullyCharged, 0) => bit(self, StatusBit::NotFullyCharged, true),
                    (_, 1) => bit(self, b, true),
                    (_, 0) => bit(self, b, false),
                    _ => {}
                }
                false
            }
            Conv::StatusIfZero(b) => {
                match n {
                    0 => bit(self, b, true),
                    1 => bit(self, b, false),
                    _ => {}
                }
                false
            }
            Conv::StatusMap(map) => {
                if let Some((_, set)) = map.iter().find(|(k, _)| *k == n) {
                    for &(b, on) in *set {
                        bit(self, b, on);
                    }
                }
                false
            }
            Conv::Fun(f) if m.var.is_empty() => {
                // A status entry whose function names the bit (NUT's process_boolean_info).
                if let Some(token) = self.fun(&f, v) {
                    let (on, name) = match token.strip_prefix('!') {
                        Some(rest) => (false, rest),
                        None => (true, token.as_str()),
                    };
                    match StatusBit::from_nut_name(name) {
                        Some(b) => bit(self, b, on),
                        None => nut_driver::debug!("{}: unknown status token {token:?}", f.name),
                    }
                }
                false
            }
            _ => {
                let Some(text) = self.convert(m, v) else {
                    nut_driver::trace!("Lookup [{}] failed for [{}]", format_g(v), m.var);
                    return false;
                };
                if m.var.is_empty() {
                    return false;
                }
                if m.var == "ups.alarm" {
                    if collect_alarms {
                        self.walk_alarms.push(text);
                    }
                    return false;
                }
                self.vars.insert(m.var.to_string(), text);
                true
            }
        }
    }

    /// The text of a value (NUT's `hu_find_infoval` or the table's format).
    fn convert(&mut self, m: &VarMap, v: f64) -> Option<String> {
        match m.conv {
            Conv::Number => printf_f(m.fmt, v),
            Conv::StringId => Some(self.string(v as i64 as u8, STRINGID_BUFLEN).unwrap_or_default()),
            Conv::Lookup(t) => t.iter().find(|(k, _)| *k == v as i64).map(|(_, s)| s.to_string()),
            Conv::Date => Some(hid_date(v)),
            Conv::ApcDate => Some(apc_date(v)),
            Conv::KelvinToCelsius => Some(kelvin(v)),
            Conv::Fun(f) => self.fun(&f, v),
            Conv::Status(_) | Conv::StatusIfZero(_) | Conv::StatusMap(_) => None,
        }
    }

    /// A conversion function, through the subdriver state when it has one for it.
    fn fun(&mut self, f: &ConvFn, v: f64) -> Option<String> {
        if let Some(mut state) = self.state.take() {
            let out = state.convert(f, v, self);
            self.state = Some(state);
            if let Some(out) = out {
                return out;
            }
        }
        (f.fun)(v)
    }

    /// The way back of a conversion function, through the subdriver state when it has one.
    fn nuf(&mut self, f: &ConvFn, text: &str) -> Option<f64> {
        if let Some(mut state) = self.state.take() {
            let out = state.convert_back(f, text, self);
            self.state = Some(state);
            if let Some(out) = out {
                return out;
            }
        }
        f.nuf.and_then(|nuf| nuf(text))
    }

    fn set_meta(&mut self, m: &VarMap) {
        if m.var.is_empty() {
            return;
        }
        let rw = m.flags & flag::RW != 0;
        let string = m.flags & flag::STRING != 0;
        let mut meta = VarMeta {
            rw,
            string,
            aux: string.then_some(if m.len == 0 { 10 } else { i64::from(m.len) }),
            enums: Vec::new(),
        };
        // NUT lists each row of the table whose HID value the table converts (a row of a
        // conversion function's table only when the function accepts its value, which may
        // depend on the device: MGE's nominal output voltages).
        if m.flags & flag::ENUM != 0 && rw {
            let words: Vec<&str> = match m.conv {
                Conv::Lookup(t) => t.iter().map(|(_, w)| *w).collect(),
                Conv::Fun(f) => f
                    .rows
                    .iter()
                    .filter(|(v, _)| self.fun(&f, *v as f64).is_some())
                    .map(|(_, w)| *w)
                    .collect(),
                _ => Vec::new(),
            };
            for w in words {
                if !meta.enums.iter().any(|e| e == w) {
                    meta.enums.push(w.to_string());
                }
            }
        }
        self.meta.insert(m.var.to_string(), meta);
    }

    /// Read every report and build the variables (a full update).
    pub fn update(&mut self) -> Result<Snapshot, TransportError> {
        self.refresh(Walk::Full)?;
        Ok(self.snapshot())
    }

    /// True while a command or write changed the device and no full walk has read it back.
    pub fn needs_full(&self) -> bool {
        self.data_changed
    }

    /// True once after a command or write changed the device (the caller then runs a full
    /// walk, which clears it).
    pub fn take_dirty(&mut self) -> bool {
        self.data_changed
    }

    /// Walk the table: `walk` says which entries are read (see [`Walk`]). After a reconnect
    /// the walk reads every entry whatever `walk` says. Errors mean the device is gone.
    pub fn refresh(&mut self, walk: Walk) -> Result<(), TransportError> {
        if !self.initialized {
            return self.init_walk();
        }
        if std::mem::take(&mut self.reinit) {
            return self.walk(Mode::Reinit);
        }
        let mode = match walk {
            Walk::Full => Mode::Full,
            Walk::Quick => Mode::Quick,
            Walk::Events => Mode::Events,
        };
        self.walk(mode)?;
        if mode != Mode::Quick {
            self.data_changed = false;
        }
        Ok(())
    }

    /// Apply one interrupt-in report (NUT's `HIDGetEvents` and the event loop of
    /// `upsdrv_updateinfo`): each Input field it carries sets the table entry of the same
    /// path (its Feature field, which the walks read). Returns how many entries were set.
    pub fn apply_event(&mut self, report: &[u8]) -> Result<usize, EventError> {
        let (id, data) = if self.descriptor.uses_report_ids {
            let (&id, rest) = report.split_first().ok_or(EventError::Empty)?;
            (id, rest)
        } else if report.is_empty() {
            return Err(EventError::Empty);
        } else {
            (0, report)
        };
        let layout = if self.descriptor.report_lengths.contains_key(&(ReportType::Input, id)) {
            ReportType::Input
        } else if self.descriptor.report_lengths.contains_key(&(ReportType::Feature, id)) {
            self.quirk(Quirk::EventWithoutInput { id });
            ReportType::Feature
        } else {
            return Err(EventError::UnknownReport(id));
        };
        let want = self.descriptor.report_lengths[&(layout, id)];
        let have = data.len();
        if have < want {
            self.quirk(Quirk::ShortEvent { id, have, want });
        } else if have > want {
            self.quirk(Quirk::LongEvent { id, have, want });
        }
        let got = have.min(want);
        // File it like NUT's report buffer: the bytes received replace the old ones.
        let slot = self.cache.entry((layout, id)).or_insert_with(|| Slot { data: vec![0; want], valid: 0 });
        slot.data.resize(want, 0);
        slot.data[..got].copy_from_slice(&data[..got]);
        slot.valid = slot.valid.max(got);
        let buf = slot.data.clone();
        let fields: Vec<usize> = (0..self.descriptor.fields.len())
            .filter(|&i| {
                let f = &self.descriptor.fields[i];
                f.report_type == layout
                    && f.report_id == id
                    && (f.offset as usize + f.size as usize).div_ceil(8) <= got
            })
            .collect();
        let mut n = 0;
        for fi in fields {
            let Ok(v) = self.descriptor.fields[fi].value(&buf) else { continue };
            let path = self.descriptor.fields[fi].path.clone();
            let target = if self.opts.interrupt_only {
                self.find_nodes(&path, ReportType::Input)
            } else {
                self.find_nodes(&path, ReportType::Feature)
                    .or_else(|| self.find_nodes(&path, ReportType::Input))
            };
            let Some(target) = target else { continue };
            let Some(item) = self.items.iter().find(|it| it.field == target).copied() else { continue };
            self.apply(item.map, v, false);
            n += 1;
        }
        Ok(n)
    }

    /// Build the variables and the status from what was read (now).
    pub fn snapshot(&mut self) -> Snapshot {
        self.snapshot_at(Instant::now())
    }

    /// [`HidUps::snapshot`] at time `now` (for the delays of `lbrb_log_delay_sec`).
    pub fn snapshot_at(&mut self, now: Instant) -> Snapshot {
        let mut snap = Snapshot { vars: self.vars.clone(), meta: self.meta.clone(), ..Snapshot::default() };
        for (var, which) in &self.delay_vars {
            let v = if *which == "offdelay" { &self.offdelay } else { &self.ondelay };
            snap.vars.insert(var.to_string(), v.clone());
        }
        if let Some(l) = self.policy.lowbatt {
            if snap.vars.contains_key("battery.charge.low") {
                snap.vars.insert("battery.charge.low".into(), format_g(l));
            }
        }
        let mut policy = self.policy.clone();
        if policy.lbrb_log_delay_sec.is_none() {
            policy.lbrb_log_delay_sec =
                policy::lbrb_default_for(self.info.vendor.as_deref(), self.info.product.as_deref());
        }
        let c = policy::compose(&self.bits, &snap.vars, &policy, &mut self.tracker, now);
        for name in TRANSIENT_VARS {
            snap.vars.remove(name);
        }
        match c.transfer_reason {
            Some(r) => {
                snap.vars.insert(TRANSIENT_VARS[0].into(), r.into());
            }
            None => snap.gone.push(TRANSIENT_VARS[0].into()),
        }
        let mut buzzwords = self.walk_buzzwords.clone();
        for w in c.buzzwords {
            if !buzzwords.contains(&w) {
                buzzwords.push(w);
            }
        }
        if buzzwords.is_empty() {
            snap.gone.push(TRANSIENT_VARS[1].into());
        } else {
            snap.vars.insert(TRANSIENT_VARS[1].into(), buzzwords.join(" "));
        }
        snap.status = c.tokens;
        snap.unexplained_online_discharge = c.unexplained_online_discharge;
        snap.alarm = self.alarm.clone();
        snap
    }

    /// The status bits as last read (NUT's `ups_status`), for tests and debugging.
    pub fn status_bits(&self) -> &BTreeMap<StatusBit, bool> {
        &self.bits
    }

    /// What NUT publishes before its first walk: the device's identity, by the subdriver's
    /// identity rules ([`Subdriver::identity`], else [`default_names`]) over the USB strings
    /// as the device sent them (only a trailing newline removed).
    fn identity(&mut self) {
        let info = self.info.clone();
        fn raw(s: &Option<String>) -> Option<&str> {
            s.as_deref().map(|s| s.strip_suffix('\n').unwrap_or(s))
        }
        let (hook, fallback) = (self.subdriver.identity, self.subdriver.mfr);
        let names = {
            let mut id = Identity {
                vendor_id: info.vendor_id,
                product_id: info.product_id,
                vendor: raw(&info.vendor),
                product: raw(&info.product),
                serial: raw(&info.serial),
                device: self,
            };
            match hook {
                Some(rules) => rules(&mut id),
                None => default_names(&id, fallback),
            }
        };
        if let Some(state) = self.state.as_mut() {
            state.identified(&names);
        }
        let v = &mut self.vars;
        v.insert("device.type".into(), "ups".into());
        v.insert("ups.vendorid".into(), format!("{:04x}", info.vendor_id));
        v.insert("ups.productid".into(), format!("{:04x}", info.product_id));
        v.insert("driver.version.data".into(), self.subdriver.name.into());
        let Names { mfr, model, serial, extra, .. } = names;
        for (ups, device, value) in [
            ("ups.mfr", "device.mfr", mfr),
            ("ups.model", "device.model", model),
            ("ups.serial", "device.serial", serial),
        ] {
            match value {
                Some(text) => {
                    v.insert(ups.into(), text.clone());
                    v.insert(device.into(), text);
                }
                None => {
                    v.remove(ups);
                    v.remove(device);
                }
            }
        }
        for (name, text) in extra {
            v.insert(name.into(), text);
        }
    }

    /// NUT's `upsdrv_initinfo` for the delays: `offdelay`/`ondelay` as configured (else the
    /// defaults); a configured one replaces `ups.delay.shutdown`/`ups.delay.start` whatever
    /// set it (a table's own default, such as Powercom's "60", or the device).
    pub fn set_delays(&mut self, offdelay: Option<i64>, ondelay: Option<i64>, defaults: (i64, i64)) {
        self.offdelay = offdelay.unwrap_or(defaults.0).to_string();
        self.ondelay = ondelay.unwrap_or(defaults.1).to_string();
        for (var, which, configured) in
            [("ups.delay.shutdown", "offdelay", offdelay), ("ups.delay.start", "ondelay", ondelay)]
        {
            let Some(n) = configured else { continue };
            if self.delay_vars.iter().any(|(v, _)| *v == var) {
                continue;
            }
            let absent = self
                .subdriver
                .all_vars()
                .any(|m| m.var == var && m.flags & flag::ABSENT != 0 && self.find_field(m.path).is_some());
            if absent {
                // The server-side variable follows the delay from now on.
                self.vars.remove(var);
                self.delay_vars.push((var, which));
            } else if self.vars.contains_key(var) {
                self.vars.insert(var.to_string(), n.to_string());
            }
        }
    }

    /// Writable variables: (name, maximum length).
    pub fn writable(&self) -> Vec<(&'static str, usize)> {
        let mut out: Vec<(&'static str, usize)> = Vec::new();
        for m in self.subdriver.all_vars() {
            let Some(meta) = self.meta.get(m.var) else { continue };
            if meta.rw && !out.iter().any(|(n, _)| *n == m.var) {
                out.push((m.var, meta.aux.unwrap_or(10) as usize));
            }
        }
        out
    }

    /// Instant commands the device supports.
    pub fn commands(&self) -> Vec<&'static str> {
        self.cmds.clone()
    }

    /// The first command entry with this name whose path the device has.
    fn cmd_entry(&self, name: &str) -> Option<(crate::subdrivers::CmdMap, usize)> {
        self.subdriver.all_cmds().find_map(|c| {
            (c.cmd.eq_ignore_ascii_case(name)).then(|| self.find_field(c.path).map(|f| (*c, f))).flatten()
        })
    }

    /// NUT's `HIDSetDataValue`: write a physical value to a field (read-modify-write of its
    /// report), refused for a constant field.
    fn write_field(&mut self, fi: usize, physical: f64) -> Result<(), ActionError> {
        let field = self.descriptor.fields[fi].clone();
        if field.is_constant() {
            return Err(ActionError::Transport(TransportError::Io(
                "the HID field is constant: the UPS does not take writes there".into(),
            )));
        }
        let (rt, id) = (field.report_type, field.report_id);
        let mut data = match self.get_slot(rt, id)? {
            Ok(s) => s.data,
            Err(q) => {
                self.quirk(q);
                vec![0; self.descriptor.report_lengths.get(&(rt, id)).copied().unwrap_or(1)]
            }
        };
        field.store(&mut data, field.to_logical(physical)).map_err(|_| ActionError::Invalid)?;
        let mut wire = Vec::with_capacity(data.len() + 1);
        if self.descriptor.uses_report_ids {
            wire.push(id);
        }
        wire.extend_from_slice(&data);
        self.transport.set_report(rt, id, &wire)?;
        // NUT flushes its report buffer and does a full walk next.
        self.cache.clear();
        self.data_changed = true;
        Ok(())
    }

    /// The number to write for a text value (NUT's `hu_find_valinfo`, else `atol`).
    fn value_for_device(&mut self, conv: Option<Conv>, text: &str) -> Result<f64, ActionError> {
        match conv {
            Some(Conv::Lookup(t)) => {
                t.iter().find(|(_, w)| *w == text).map(|(k, _)| *k as f64).ok_or(ActionError::Invalid)
            }
            Some(Conv::Fun(f)) => self.nuf(&f, text).ok_or(ActionError::Invalid),
            Some(Conv::Date) => hid_date_reverse(text).ok_or(ActionError::Invalid),
            Some(Conv::ApcDate) => apc_date_reverse(text).ok_or(ActionError::Invalid),
            Some(Conv::Number) | None => atol(text).map(|n| n as f64).ok_or(ActionError::Invalid),
            Some(_) => Err(ActionError::Invalid),
        }
    }

    fn delay_text(&self, which: &str) -> String {
        let var = if which == "offdelay" { "ups.delay.shutdown" } else { "ups.delay.start" };
        match self.delay_vars.iter().find(|(v, _)| *v == var) {
            Some((_, w)) if *w == "offdelay" => self.offdelay.clone(),
            Some(_) => self.ondelay.clone(),
            None => self.vars.get(var).cloned().unwrap_or_else(|| {
                if which == "offdelay" {
                    self.offdelay.clone()
                } else {
                    self.ondelay.clone()
                }
            }),
        }
    }

    /// Run an instant command.
    pub fn instcmd(&mut self, name: &str) -> Result<(), ActionError> {
        self.instcmd_with(name, None)
    }

    /// Run an instant command with an optional parameter (NUT's `instcmd(cmdname,
    /// extradata)`), including NUT's fallbacks: `beeper.on`/`beeper.off` are the old names
    /// of `beeper.enable`/`beeper.disable`; without a table entry, `load.off`/`load.on` are
    /// the delay commands with 0, and `shutdown.return`/`shutdown.stayoff` set
    /// `ups.start.auto` (when the UPS has it) and run `load.on.delay` then `load.off.delay`.
    pub fn instcmd_with(&mut self, name: &str, param: Option<&str>) -> Result<(), ActionError> {
        if name.eq_ignore_ascii_case("beeper.off") {
            nut_driver::warn!("The 'beeper.off' command has been renamed to 'beeper.disable'");
            return self.instcmd_with("beeper.disable", None);
        }
        if name.eq_ignore_ascii_case("beeper.on") {
            nut_driver::warn!("The 'beeper.on' command has been renamed to 'beeper.enable'");
            return self.instcmd_with("beeper.enable", None);
        }
        let Some((c, fi)) = self.cmd_entry(name) else {
            let ondelay = self.delay_text("ondelay");
            let offdelay = self.delay_text("offdelay");
            return match name.to_ascii_lowercase().as_str() {
                "load.on" => self.instcmd_with("load.on.delay", Some("0")),
                "load.off" => self.instcmd_with("load.off.delay", Some("0")),
                "shutdown.return" | "shutdown.stayoff" => {
                    let stay = name.eq_ignore_ascii_case("shutdown.stayoff");
                    if self.vars.contains_key("ups.start.auto") {
                        let _ = self.setvar("ups.start.auto", if stay { "no" } else { "yes" });
                    }
                    self.instcmd_with("load.on.delay", Some(if stay { "-1" } else { &ondelay }))?;
                    // Some UPSes drop commands that come too fast (NUT waits as long).
                    std::thread::sleep(std::time::Duration::from_millis(125));
                    self.instcmd_with("load.off.delay", Some(&offdelay))
                }
                _ => Err(ActionError::Unknown),
            };
        };
        let text = match param {
            Some(p) => p.to_string(),
            None => match c.value {
                "offdelay" | "ondelay" => self.delay_text(c.value),
                v => v.to_string(),
            },
        };
        let value = self.value_for_device(c.conv, &text)?;
        self.write_field(fi, value)
    }

    /// SET VAR.
    pub fn setvar(&mut self, var: &str, value: &str) -> Result<(), ActionError> {
        let m = self
            .subdriver
            .all_vars()
            .find(|m| {
                m.var.eq_ignore_ascii_case(var)
                    && (self.items.iter().any(|it| std::ptr::eq(it.map, *m))
                        || (m.flags & flag::ABSENT != 0 && self.find_field(m.path).is_some()))
            })
            .ok_or(ActionError::Unknown)?;
        if m.flags & flag::RW == 0 {
            return Err(ActionError::Unknown);
        }
        if m.flags & flag::ABSENT != 0 {
            match self.delay_vars.iter().find(|(v, _)| *v == m.var).map(|(_, w)| *w) {
                Some(which) => {
                    atol(value).ok_or(ActionError::Invalid)?;
                    let v = value.trim().to_string();
                    if which == "offdelay" {
                        self.offdelay = v;
                    } else {
                        self.ondelay = v;
                    }
                }
                None => {
                    self.vars.insert(m.var.to_string(), value.to_string());
                }
            }
            return Ok(());
        }
        let fi = self.find_field(m.path).ok_or(ActionError::Unknown)?;
        let conv = match m.conv {
            Conv::Number => None,
            other => Some(other),
        };
        let v = self.value_for_device(conv, value)?;
        self.write_field(fi, v)
    }

    /// Every field with its decoded value, as `.values.tsv` columns
    /// (`path type report_id offset size value`). Reports 254 and 255 of Eaton/MGE and Dell
    /// devices are skipped, as NUT's `HIDDumpTree` does.
    pub fn explore(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        self.begin_walk();
        let eaton = matches!(self.info.vendor_id, 0x0463 | 0x047c);
        for fi in 0..self.descriptor.fields.len() {
            let f = self.descriptor.fields[fi].clone();
            if f.report_type == ReportType::Output || (eaton && f.report_id >= 254) {
                continue;
            }
            let value = self.field_value(fi, false).ok().flatten().map_or("?".to_string(), format_g);
            out.push(format!(
                "{}\t{}\t0x{:02x}\t{}\t{}\t{}",
                path_to_string(&f.path, self.tables),
                f.report_type.name(),
                f.report_id,
                f.offset,
                f.size,
                value
            ));
        }
        out
    }
}

/// The local time zone's offset from UTC now, in seconds (what NUT's `localtime`/`mktime`
/// apply); 0 when the C library cannot tell.
fn local_utc_offset() -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    // SAFETY: localtime_r only reads `t` and fills `tm`, plain data we own; a null result
    // (an unrepresentable time) leaves the zeroed `tm`, offset 0.
    let tm = unsafe {
        let t = now as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        tm
    };
    i64::from(tm.tm_gmtoff as i32)
}

impl DeviceView for HidUps {
    fn vars(&self) -> &BTreeMap<String, String> {
        &self.vars
    }

    fn status(&self, bit: StatusBit) -> bool {
        self.bits.get(&bit.canonical()).copied().unwrap_or(false)
    }

    fn value_at(&mut self, path: &str) -> Option<f64> {
        let fi = self.find_field(path)?;
        self.field_value(fi, false).ok().flatten()
    }

    fn string_at(&mut self, path: &str) -> Option<String> {
        let fi = self.find_field(path)?;
        let (rt, id) = (self.descriptor.fields[fi].report_type, self.descriptor.fields[fi].report_id);
        let slot = self.fetch(rt, id, false).ok()??;
        let idx = self.descriptor.fields[fi].raw_value(&slot.data).ok()?;
        self.string(u8::try_from(idx).ok()?, ITEM_STRING_BUFLEN)
    }

    fn feature_report(&mut self, id: u8) -> Option<Vec<u8>> {
        if self.request_len(ReportType::Feature, id).is_none() {
            // A report the descriptor does not describe (NUT's workarounds ask for 8 bytes).
            return self.transport.get_report(ReportType::Feature, id, 8).ok();
        }
        let slot = self.fetch(ReportType::Feature, id, false).ok()??;
        let mut out = Vec::with_capacity(slot.valid + 1);
        out.push(id);
        out.extend_from_slice(&slot.data[..slot.valid]);
        Some(out)
    }

    fn setvar(&mut self, var: &str, value: &str) -> bool {
        HidUps::setvar(self, var, value).is_ok()
    }

    fn publish(&mut self, var: &str, value: &str) {
        self.vars.insert(var.to_string(), value.to_string());
    }

    fn buzzword(&mut self, word: &'static str) {
        if !self.walk_buzzwords.contains(&word) {
            self.walk_buzzwords.push(word);
        }
    }

    fn delay(&self, which: Delay) -> String {
        match which {
            Delay::Off => self.offdelay.clone(),
            Delay::On => self.ondelay.clone(),
        }
    }

    fn utc_offset(&self) -> i64 {
        local_utc_offset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_as_c() {
        assert_eq!(printf_f("%.0f", 229.6).as_deref(), Some("230"));
        assert_eq!(printf_f("%.1f", 13.58).as_deref(), Some("13.6"));
        assert_eq!(printf_f("%.2f", -0.5).as_deref(), Some("-0.50"));
        assert_eq!(printf_f("%f", 1.5).as_deref(), Some("1.500000"));
        assert_eq!(printf_f("%5.1f", 3.0).as_deref(), Some("  3.0"));
        assert_eq!(printf_f("%05.1f", -3.0).as_deref(), Some("-03.0"));
        assert_eq!(printf_f("%-5.0f|", 7.0).as_deref(), Some("7    |"));
        assert_eq!(printf_f("%+.0f", 7.0).as_deref(), Some("+7"));
        assert_eq!(printf_f("%g", 0.0001).as_deref(), Some("0.0001"));
        assert_eq!(printf_f("%.3g", 1234.5).as_deref(), Some("1.23e+03"));
        assert_eq!(printf_f("%.2e", 1234.5).as_deref(), Some("1.23e+03"));
        assert_eq!(printf_f("%.0f%%", 50.0).as_deref(), Some("50%"));
        // Formats NUT refuses for a double: nothing is published.
        assert_eq!(printf_f("%s", 1.0), None);
        assert_eq!(printf_f("%d", 1.0), None);
        assert_eq!(printf_f("none", 1.0), None);
        assert_eq!(printf_f("%f %f", 1.0), None);
    }

    #[test]
    fn conversions_as_nut() {
        assert_eq!(hid_date(0.0), "not set");
        // (2023-1980)*512 + 5*32 + 17
        assert_eq!(hid_date(f64::from(43 * 512 + 5 * 32 + 17)), "2023/05/17");
        assert_eq!(hid_date_reverse("2023/05/17"), Some(f64::from(43 * 512 + 5 * 32 + 17)));
        assert_eq!(hid_date_reverse("2200/01/01"), Some(0.0), "NUT writes 0 for an impossible date");
        assert_eq!(hid_date_reverse("soon"), None);
        assert_eq!(apc_date(f64::from(0x102202)), "2002/10/22");
        assert_eq!(apc_date(f64::from(0x063199)), "1999/06/31");
        assert_eq!(apc_date_reverse("2002/10/22"), Some(f64::from(0x102202)));
        assert_eq!(kelvin(300.15), "27.0");
        assert_eq!(kelvin(25.0), "25.0", "already Celsius (some HP firmware)");
        assert_eq!((atol(" 42x"), atol("-7"), atol("x"), atol("3.9")), (Some(42), Some(-7), None, Some(3)));
    }
}
