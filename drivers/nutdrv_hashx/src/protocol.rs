//! The "#*" protocol as NUT 2.8.5's nutdrv_hashx speaks it (drivers/nutdrv_hashx.c), as pure
//! functions. Every command is ASCII ended by CR; every reply starts with `#` and ends with
//! CR (the CR is not part of the replies given to these functions):
//!
//! - a status value (`#0` success, `#-1` failure, `#-3` unknown command, `#-4` bad value,
//!   `#-10` unavailable now) answers the bare CR of the probe, `K..` settings and the tests;
//! - `K19:<16 characters>` sets a session identifier, and `X19` then answers a hash of it;
//!   NUT always sends `OoNUTisAMAZINGoO` and checks for `#74279F35A48F5F13`;
//! - `X41`: `#model,firmware,?,?` (`#1200,PE02022.002,000000000000,000000000000000000`);
//! - `X27`: `#nominal V,high V,low V,?,?` (`#230,290,162,10,300`);
//! - `X72`: `#VA,W,nominal V,low Hz,high Hz,current` (`#1200,0720,230,40,70,05.20`);
//! - `B`: `#I<in V>O<out V>L<load %>B<charge %>V<batt V>F<in Hz>H<out Hz>R<runtime min>S`
//!   followed by status bytes with the top bit set (`...R040S\x80\x84\xd0\x80\x80\xc0`).
//!
//! The parsers follow NUT's C: fields are read with `str_to_int`/`str_to_double` (whole
//! field, blanks trimmed) and the status line with `sscanf("I%fO%fL%dB%dV%fF%fH%fR%dS")`,
//! whose prefix rules are reproduced here (a field that does not parse ends the scan; the
//! fields before it count). Nothing here panics on any input.

/// What ends commands and replies.
pub const ENDCHAR: u8 = b'\r';
/// The session identifier NUT sends (`K19:`).
pub const SESSION_ID: &str = "OoNUTisAMAZINGoO";
/// The hash the UPS answers to `X19` after that identifier.
pub const SESSION_HASH: &str = "74279F35A48F5F13";

/// Get the session hash.
pub const GET_SESSION_HASH: &str = "X19";
/// Set the session identifier (`K19:<id>`).
pub const SET_SESSION_ID: &str = "K19";
/// Device information.
pub const GET_DEVICE_INFO: &str = "X41";
/// Input voltage settings.
pub const GET_INPUT_VOLTAGE_SETTINGS: &str = "X27";
/// Power ratings.
pub const GET_POWER_INFO: &str = "X72";
/// The status line.
pub const GET_STATUS: &str = "B";

/// NUT's status values.
pub mod status {
    /// Done.
    pub const SUCCESS: i32 = 0;
    /// Generic failure (also the answer to the bare CR probe).
    pub const FAILURE: i32 = -1;
    /// Unknown or unsupported command.
    pub const NOT_SUPPORTED: i32 = -3;
    /// Bad parameter (`K60:foo`).
    pub const VALUE_INVALID: i32 = -4;
    /// Not now (`AH` while charging).
    pub const UNAVAILABLE: i32 = -10;
}

/// A command as sent: the text and CR.
pub fn frame(cmd: &str) -> Vec<u8> {
    let mut v = cmd.as_bytes().to_vec();
    v.push(ENDCHAR);
    v
}

/// The setting command of the handshake: `K19:OoNUTisAMAZINGoO`.
pub fn session_command() -> String {
    format!("{SET_SESSION_ID}:{SESSION_ID}")
}

/// A reply that cannot be used, with NUT's wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadReply(pub String);

/// Printable form of a reply for messages (bytes outside ASCII as `\xNN`).
pub fn show(reply: &[u8]) -> String {
    let mut s = String::new();
    for &b in reply {
        if (0x20..0x7f).contains(&b) {
            s.push(b as char);
        } else {
            s.push_str(&format!("\\x{b:02x}"));
        }
    }
    s
}

/// True when the reply does not start with `#` (NUT logs "Unexpected reply for #-protocol"
/// and still reads it from its second byte).
pub fn unexpected_start(reply: &[u8]) -> bool {
    !reply.is_empty() && reply[0] != b'#'
}

/// The text NUT's C sees: the bytes up to the first NUL (C strings), lossily as UTF-8.
fn c_text(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// NUT's `str_to_int(s, 10)`: blanks trimmed, then an optional sign and decimal digits and
/// nothing else, within `int`.
pub fn c_str_to_int(s: &str) -> Option<i32> {
    let t = s.trim_matches(is_c_space);
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.strip_prefix('+').unwrap_or(t).parse::<i32>().ok()
}

/// NUT's `str_to_double(s, 10)`: blanks trimmed, only `-+.0123456789Ee`, the whole text one
/// number, not out of range.
pub fn c_str_to_double(s: &str) -> Option<f64> {
    let t = s.trim_matches(is_c_space);
    if t.is_empty() || !t.bytes().all(|b| b"-+.0123456789Ee".contains(&b)) {
        return None;
    }
    let v: f64 = t.parse().ok()?;
    // strtod's ERANGE: overflow, or an underflow of a non-zero number to 0.
    let nonzero_digit =
        t.split(['e', 'E']).next().is_some_and(|m| m.bytes().any(|b| (b'1'..=b'9').contains(&b)));
    if !v.is_finite() || (v == 0.0 && nonzero_digit) {
        return None;
    }
    Some(v)
}

/// A status value reply (`#0`, `#-1`): 2 or 3 bytes, the number after the first byte.
pub fn parse_status_value(reply: &[u8]) -> Result<i32, BadReply> {
    if reply.len() < 2 || reply.len() > 3 {
        return Err(BadReply(format!("Not an UPS status value: {}", show(reply))));
    }
    let text = c_text(&reply[1..]);
    c_str_to_int(&text).ok_or_else(|| BadReply(format!("Failed to convert {} to number", show(&reply[1..]))))
}

/// `X41`'s fields used: the model (published as `device.model`) and, if there is a second
/// field, the firmware (`ups.firmware`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// First field.
    pub model: String,
    /// Second field.
    pub firmware: Option<String>,
}

/// `X41`: NUT needs at least 3 bytes.
pub fn parse_device_info(reply: &[u8]) -> Result<DeviceInfo, BadReply> {
    if reply.len() < 3 {
        return Err(BadReply(format!("unexpected UPS info response: {}", show(reply))));
    }
    let text = c_text(&reply[1..]);
    let mut f = text.split(',');
    let model = f.next().unwrap_or("").to_string();
    let firmware = f.next().map(str::to_string);
    Ok(DeviceInfo { model, firmware })
}

/// `X27`'s fields used.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoltageSettings {
    /// `input.voltage.nominal`.
    pub nominal: Option<i32>,
    /// `input.voltage.high.critical` (power failure above).
    pub high: Option<i32>,
    /// `input.voltage.low.critical` (power failure below).
    pub low: Option<i32>,
}

/// `X27` (NUT needs at least 3 bytes). A field that does not parse is left out; the
/// following ones are still read.
pub fn parse_voltage_settings(reply: &[u8]) -> Result<VoltageSettings, BadReply> {
    if reply.len() < 3 {
        return Err(BadReply(format!("unexpected UPS voltage settings response: {}", show(reply))));
    }
    let text = c_text(&reply[1..]);
    let mut f = text.split(',');
    let mut next = || f.next().and_then(c_str_to_int);
    Ok(VoltageSettings { nominal: next(), high: next(), low: next() })
}

/// `X72`'s fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PowerInfo {
    /// `ups.power.nominal` (VA).
    pub va: Option<i32>,
    /// `ups.realpower.nominal` (W).
    pub watts: Option<i32>,
    /// `input.voltage.nominal`.
    pub nominal_voltage: Option<i32>,
    /// `input.frequency.low`.
    pub freq_low: Option<f64>,
    /// `input.frequency.high`.
    pub freq_high: Option<f64>,
    /// `output.current.nominal`.
    pub current: Option<f64>,
    /// More than six fields: NUT warns that the values may be misassigned.
    pub extra_fields: bool,
}

/// `X72` (NUT needs at least 3 bytes).
pub fn parse_power_info(reply: &[u8]) -> Result<PowerInfo, BadReply> {
    if reply.len() < 3 {
        return Err(BadReply(format!("unexpected UPS power info response: {}", show(reply))));
    }
    let text = c_text(&reply[1..]);
    let f: Vec<&str> = text.split(',').collect();
    let int = |i: usize| f.get(i).and_then(|s| c_str_to_int(s));
    let dbl = |i: usize| f.get(i).and_then(|s| c_str_to_double(s));
    Ok(PowerInfo {
        va: int(0),
        watts: int(1),
        nominal_voltage: int(2),
        freq_low: dbl(3),
        freq_high: dbl(4),
        current: dbl(5),
        extra_fields: f.len() > 6,
    })
}

/// The `B` status line. Values are those `sscanf` converted (NUT publishes each only when it
/// is not negative); `status_bytes` the bytes after the first `S`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusLine {
    /// `I`: input voltage.
    pub input_voltage: Option<f32>,
    /// `O`: output voltage.
    pub output_voltage: Option<f32>,
    /// `L`: load, %.
    pub load: Option<i32>,
    /// `B`: battery charge, %.
    pub charge: Option<i32>,
    /// `V`: battery voltage.
    pub battery_voltage: Option<f32>,
    /// `F`: input frequency.
    pub input_frequency: Option<f32>,
    /// `H`: output frequency.
    pub output_frequency: Option<f32>,
    /// `R`: runtime, minutes.
    pub runtime_min: Option<i32>,
    /// The bytes after the first `S` (before any NUL of the line, as C's `strchr`).
    pub status_bytes: Option<Vec<u8>>,
}

/// C's `%f` on `s` from `i`: leading blanks, then the longest number prefix (decimal with
/// optional exponent, `inf`, `infinity`, `nan`). `None` when nothing converts (a matching
/// failure, which includes a dangling exponent such as `1e` followed by a non-digit, as the
/// C standard's "100ergs" example). Hexadecimal floats are not recognised.
fn scan_float(s: &[u8], i: &mut usize) -> Option<f64> {
    let mut j = *i;
    while j < s.len() && is_c_space(s[j] as char) {
        j += 1;
    }
    let start = j;
    if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
        j += 1;
    }
    let word = |w: &str, at: usize| {
        s.len() >= at + w.len() && s[at..at + w.len()].eq_ignore_ascii_case(w.as_bytes())
    };
    for w in ["infinity", "inf", "nan"] {
        if word(w, j) {
            let end = j + w.len();
            let neg = s[start] == b'-';
            *i = end;
            return Some(match (w, neg) {
                ("nan", _) => f64::NAN,
                (_, true) => f64::NEG_INFINITY,
                _ => f64::INFINITY,
            });
        }
    }
    let digits_from = j;
    while j < s.len() && s[j].is_ascii_digit() {
        j += 1;
    }
    let int_digits = j - digits_from;
    let mut frac_digits = 0;
    if j < s.len() && s[j] == b'.' {
        j += 1;
        let f0 = j;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        frac_digits = j - f0;
    }
    if int_digits + frac_digits == 0 {
        return None;
    }
    if j < s.len() && (s[j] == b'e' || s[j] == b'E') {
        let mut k = j + 1;
        if k < s.len() && (s[k] == b'+' || s[k] == b'-') {
            k += 1;
        }
        let e0 = k;
        while k < s.len() && s[k].is_ascii_digit() {
            k += 1;
        }
        if k == e0 {
            return None;
        }
        j = k;
    }
    let text = std::str::from_utf8(&s[start..j]).ok()?;
    let v: f64 = text.parse().ok()?;
    *i = j;
    Some(v)
}

/// C's `%d`: leading blanks, optional sign, at least one digit; saturated to `int`.
fn scan_int(s: &[u8], i: &mut usize) -> Option<i32> {
    let mut j = *i;
    while j < s.len() && is_c_space(s[j] as char) {
        j += 1;
    }
    let neg = j < s.len() && s[j] == b'-';
    if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
        j += 1;
    }
    let d0 = j;
    let mut v: i64 = 0;
    while j < s.len() && s[j].is_ascii_digit() {
        v = (v * 10 + i64::from(s[j] - b'0')).min(i64::from(i32::MAX) + 1);
        j += 1;
    }
    if j == d0 {
        return None;
    }
    *i = j;
    let v = if neg { -v } else { v };
    Some(v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32)
}

/// `B`: NUT's `sscanf(buf + 1, "I%fO%fL%dB%dV%fF%fH%fR%dS")` (at least one field must
/// convert, else "Impossible to parse"), and the status bytes after `strchr(buf, 'S')`.
pub fn parse_status(reply: &[u8]) -> Result<StatusLine, BadReply> {
    let end = reply.iter().position(|&b| b == 0).unwrap_or(reply.len());
    let c = &reply[..end];
    let body = if c.is_empty() { c } else { &c[1..] };
    let mut out = StatusLine::default();
    let mut i = 0;
    let mut converted = 0;
    // (literal, is the field an int, slot number)
    let fields: [(u8, bool); 8] = [
        (b'I', false),
        (b'O', false),
        (b'L', true),
        (b'B', true),
        (b'V', false),
        (b'F', false),
        (b'H', false),
        (b'R', true),
    ];
    for (n, (lit, int)) in fields.iter().enumerate() {
        if i >= body.len() || body[i] != *lit {
            break;
        }
        i += 1;
        if *int {
            let Some(v) = scan_int(body, &mut i) else { break };
            match n {
                2 => out.load = Some(v),
                3 => out.charge = Some(v),
                _ => out.runtime_min = Some(v),
            }
        } else {
            let Some(v) = scan_float(body, &mut i) else { break };
            let v = v as f32;
            match n {
                0 => out.input_voltage = Some(v),
                1 => out.output_voltage = Some(v),
                4 => out.battery_voltage = Some(v),
                5 => out.input_frequency = Some(v),
                _ => out.output_frequency = Some(v),
            }
        }
        converted += 1;
    }
    if converted == 0 {
        return Err(BadReply(format!("Impossible to parse: {}", show(body))));
    }
    out.status_bytes = c.iter().position(|&b| b == b'S').map(|p| reply[p + 1..].to_vec());
    Ok(out)
}

/// NUT's `%.1f` of a float value.
pub fn one_decimal(v: f64) -> String {
    format!("{v:.1}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // The sample replies of NUT 2.8.5's drivers/nutdrv_hashx.c (the comments next to each
    // command's #define and in upsdrv_initinfo/upsdrv_updateinfo).
    const STATUS: &[u8] = b"#I239.0O237.0L007B100V27.0F50.1H50.1R040S\x80\x84\xd0\x80\x80\xc0";

    #[test]
    fn the_sample_replies_of_nuts_driver() {
        assert_eq!(parse_status_value(b"#0"), Ok(0));
        assert_eq!(parse_status_value(b"#-1"), Ok(-1));
        assert!(parse_status_value(b"#-10").is_err(), "4 bytes: NUT reads no status value");
        assert!(parse_status_value(b"#").is_err());
        assert!(parse_status_value(b"#x").is_err());
        assert_eq!(
            parse_device_info(b"#1200,PE02022.002,000000000000,000000000000000000").unwrap(),
            DeviceInfo { model: "1200".into(), firmware: Some("PE02022.002".into()) }
        );
        assert_eq!(
            parse_voltage_settings(b"#230,290,162,10,300").unwrap(),
            VoltageSettings { nominal: Some(230), high: Some(290), low: Some(162) }
        );
        let p = parse_power_info(b"#1200,0720,230,40,70,05.20").unwrap();
        assert_eq!(
            (p.va, p.watts, p.nominal_voltage, p.freq_low, p.freq_high, p.current, p.extra_fields),
            (Some(1200), Some(720), Some(230), Some(40.0), Some(70.0), Some(5.2), false)
        );
        let s = parse_status(STATUS).unwrap();
        assert_eq!(s.input_voltage, Some(239.0));
        assert_eq!(s.output_voltage, Some(237.0));
        assert_eq!(s.load, Some(7));
        assert_eq!(s.charge, Some(100));
        assert_eq!(s.battery_voltage, Some(27.0));
        assert_eq!(s.input_frequency.map(|f| one_decimal(f64::from(f))), Some("50.1".into()));
        assert_eq!(s.runtime_min, Some(40));
        assert_eq!(s.status_bytes.as_deref(), Some(&b"\x80\x84\xd0\x80\x80\xc0"[..]));
    }

    #[test]
    fn partial_and_broken_status_lines() {
        let s = parse_status(b"#I239.0O2x").unwrap();
        assert_eq!((s.input_voltage, s.output_voltage, s.load), (Some(239.0), Some(2.0), None));
        assert_eq!(s.status_bytes, None);
        assert!(parse_status(b"#X239").is_err(), "no field converts");
        assert!(parse_status(b"").is_err());
        assert!(parse_status(b"#I1e").is_err(), "a dangling exponent is a matching failure");
        let s = parse_status(b"#I 12.5e1O-3L99999999999S\x80").unwrap();
        assert_eq!((s.input_voltage, s.output_voltage, s.load), (Some(125.0), Some(-3.0), Some(i32::MAX)));
        assert_eq!(s.status_bytes.as_deref(), Some(&b"\x80"[..]));
        // A NUL ends the C string: nothing after it is seen.
        let s = parse_status(b"#I1\0S\x80\x80").unwrap();
        assert_eq!(s.status_bytes, None);
    }

    #[test]
    fn c_number_rules() {
        assert_eq!(c_str_to_int(" 0720 "), Some(720));
        assert_eq!(c_str_to_int("+5"), Some(5));
        assert_eq!(c_str_to_int("5x"), None);
        assert_eq!(c_str_to_int("-"), None);
        assert_eq!(c_str_to_int("99999999999"), None);
        assert_eq!(c_str_to_double("05.20"), Some(5.2));
        assert_eq!(c_str_to_double("1e999"), None);
        assert_eq!(c_str_to_double("1e-999"), None);
        assert_eq!(c_str_to_double("0.0"), Some(0.0));
        assert_eq!(c_str_to_double("inf"), None);
        assert_eq!(frame("B"), b"B\r");
        assert_eq!(session_command(), "K19:OoNUTisAMAZINGoO");
    }
}
