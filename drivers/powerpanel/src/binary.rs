//! CyberPower's binary protocol, as pure functions and tables: 1200 bps, commands ending in
//! CR, answers of fixed sizes with raw bytes. Facts from NUT 2.8.5's powerp-bin.c
//! ("Powerpanel-Binary 0.65").
//!
//! ```text
//! F\r       -> .PR2200    .x.<.1100\r   model (10), nominal V (byte), nominal Hz (byte), firmware
//! D\r       -> # iV oV load _ chrg temp freq _ f0 f1 f2 f3 \r   (14 bytes; f0+f1 = f2+f3 = 255)
//! R\x02\r   -> 2 bytes, the second the setting's code          (a register read)
//! Q\x02 c\r -> echo of the first 3 bytes                        (a register write)
//! ```
//!
//! Two series: PR (values as they are) and OP (models starting `OP`, or the older numeric
//! `rOnn`), whose readings need NUT's approximations.

use crate::cstr::{rtrim_spaces, strtok, text};

/// The protocol's name for `protocol=`.
pub const NAME: &str = "binary";
/// NUT's version string of its binary subdriver.
pub const VERSION: &str = "Powerpanel-Binary 0.65";
/// Line speed.
pub const SPEED: u32 = 1200;
/// Sent first (nothing is read back).
pub const WAKE: &[u8] = b"\r\r";
/// The identification query (also the detection).
pub const IDENT: &[u8] = b"F\r";
/// The status query.
pub const STATUS: &[u8] = b"D\r";
/// The status answer's size.
pub const STATUS_LEN: usize = 14;
/// The shortest identification answer NUT accepts (without the CR).
pub const IDENT_MIN: usize = 20;
/// `ups.delay.start` and `ups.delay.shutdown` (fixed: the protocol has no delays).
pub const DELAYS: (&str, &str) = ("45", "0");

/// The series, which decides how readings and settings are coded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// PR series (and anything not OP).
    Pr,
    /// OP series.
    Op,
}

/// A setting value and its code (NUT's `valtab_t`).
pub type ValTab = &'static [(&'static str, i8)];

const TRAN_HIGH_PR: ValTab = &[
    ("138", -9),
    ("139", -8),
    ("140", -7),
    ("141", -6),
    ("142", -5),
    ("143", -4),
    ("144", -3),
    ("145", -2),
    ("146", -1),
    ("147", 0),
];
const TRAN_HIGH_OP: ValTab = &[
    ("140", -5),
    ("141", -4),
    ("142", -3),
    ("143", -2),
    ("144", -1),
    ("145", 0),
    ("146", 1),
    ("147", 2),
    ("148", 3),
    ("149", 4),
    ("150", 5),
];
const TRAN_LOW_PR: ValTab = &[
    ("88", 0),
    ("89", 1),
    ("90", 2),
    ("91", 3),
    ("92", 4),
    ("93", 5),
    ("94", 6),
    ("95", 7),
    ("96", 8),
    ("97", 9),
];
const TRAN_LOW_OP: ValTab = &[
    ("85", -5),
    ("86", -4),
    ("87", -3),
    ("88", -2),
    ("89", -1),
    ("90", 0),
    ("91", 1),
    ("92", 2),
    ("93", 3),
    ("94", 4),
    ("95", 5),
];
const BATT_LOW_PR: ValTab =
    &[("25", -6), ("30", -5), ("35", -3), ("40", -1), ("45", 0), ("50", 2), ("55", 4), ("60", 6)];
const BATT_LOW_OP: ValTab = &[
    ("15", -8),
    ("18", -7),
    ("19", -6),
    ("20", -5),
    ("22", -4),
    ("24", -3),
    ("25", -2),
    ("26", -1),
    ("28", 0),
    ("30", 1),
    ("32", 2),
    ("34", 3),
    ("35", 4),
    ("36", 5),
    ("38", 6),
    ("40", 7),
];
const OUT_VOLT_PR: ValTab = &[("110", -10), ("120", 0), ("130", 10)];
const OUT_VOLT_OP: ValTab = &[("110", -2), ("115", -1), ("120", 0), ("124", 1), ("128", 2), ("130", 3)];
const YES_NO: ValTab = &[("yes", 2), ("no", 0)];

/// Writable settings: variable, register, value tables for PR and OP.
pub const VARS: &[(&str, u8, [ValTab; 2])] = &[
    ("input.transfer.high", 0x02, [TRAN_HIGH_PR, TRAN_HIGH_OP]),
    ("input.transfer.low", 0x04, [TRAN_LOW_PR, TRAN_LOW_OP]),
    ("battery.charge.low", 0x08, [BATT_LOW_PR, BATT_LOW_OP]),
    ("ups.start.battery", 0x0f, [YES_NO, YES_NO]),
    ("output.voltage.nominal", 0x18, [OUT_VOLT_PR, OUT_VOLT_OP]),
];

/// The value table of a setting for a series.
pub fn table(tabs: &[ValTab; 2], series: Series) -> ValTab {
    tabs[series as usize]
}

/// The register read command.
pub fn read_command(register: u8) -> [u8; 3] {
    [b'R', register, b'\r']
}

/// The value of a register read's answer (its second byte). NUT compares the byte, as an
/// unsigned char, with the table's signed codes: a negative code never matches, so those
/// settings read as unknown (NUT logs a warning and leaves the variable out), as here.
pub fn decode_setting(tab: ValTab, answer: &[u8]) -> Option<&'static str> {
    let b = i16::from(*answer.get(1)?);
    tab.iter().find(|(_, code)| i16::from(*code) == b).map(|(v, _)| *v)
}

/// The register write command for `value`, if the table has it.
pub fn write_command(register: u8, tab: ValTab, value: &str) -> Option<[u8; 4]> {
    let (_, code) = tab.iter().find(|(v, _)| v.eq_ignore_ascii_case(value))?;
    Some([b'Q', register, *code as u8, b'\r'])
}

/// Instant commands: name and bytes; the UPS echoes all but the last byte.
pub const COMMANDS: &[(&str, &[u8])] = &[
    ("test.battery.start.quick", b"T\x98\r"),
    ("test.battery.stop", b"CT\r"),
    ("beeper.toggle", b"B\r"),
    ("shutdown.reboot", b"S\x00\x00R\x00\x01W\r"),
    // On battery this one brings the load back when the power returns.
    ("shutdown.stayoff", b"S\x00\x00W\r"),
    ("shutdown.stop", b"C\r"),
];

/// Older models answering `rOnn` for their model.
pub const MODELS: &[(&str, &str)] = &[
    ("rO10", "OP1000AVR"),
    ("rO27", "OP320AVR"),
    ("rO29", "OP500AVR"),
    ("rO31", "OP800AVR"),
    ("rO33", "OP850AVR"),
    ("rO37", "OP900AVR"),
    ("rO39", "OP650AVR"),
    ("rO41", "OP700AVR"),
    ("rO43", "OP1250AVR"),
    ("rO45", "OP1500AVR"),
];

/// The identification answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// Which series.
    pub series: Series,
    /// `ups.model`.
    pub model: Option<String>,
    /// `input.voltage.nominal`.
    pub voltage: Option<u8>,
    /// `input.frequency.nominal`.
    pub frequency: Option<u8>,
    /// `ups.firmware`: `a.bcd` from the fourth field.
    pub firmware: Option<String>,
}

/// Decode the answer to [`IDENT`] (without its CR): at least [`IDENT_MIN`] bytes from `.`.
pub fn ident(answer: &[u8]) -> Option<Ident> {
    if answer.len() < IDENT_MIN || answer[0] != b'.' {
        return None;
    }
    let series = if answer[1..].starts_with(b"OP") || answer[1..].starts_with(b"rO") {
        Series::Op
    } else {
        Series::Pr
    };
    let mut t = strtok(&answer[1..], b".");
    let model = t.next().map(|s| match MODELS.iter().find(|(code, _)| s.starts_with(code.as_bytes())) {
        Some((_, m)) => (*m).to_string(),
        None => text(rtrim_spaces(s)),
    });
    let voltage = t.next().map(|s| s[0]);
    let frequency = t.next().map(|s| s[0]);
    // "%c.%c%c%c": a short field ends the string where C would read its NUL.
    let firmware = t.next().map(|s| {
        let mut f = vec![s[0], b'.'];
        f.extend(s[1..].iter().take(3));
        text(&f)
    });
    Some(Ident { series, model, voltage, frequency, firmware })
}

/// The status answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// Input voltage (raw).
    pub i_volt: u8,
    /// Output voltage (raw).
    pub o_volt: u8,
    /// Load (raw).
    pub o_load: u8,
    /// Battery charge (raw).
    pub b_chrg: u8,
    /// Temperature (raw).
    pub u_temp: u8,
    /// Input frequency (raw).
    pub i_freq: u8,
    /// Status bytes.
    pub flags: [u8; 4],
}

/// Why a status answer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// Not 14 bytes.
    #[error("status answer of {0} bytes, 14 expected")]
    Size(usize),
    /// Does not start with `#` and end with CR (NUT does not look; a shifted or cut answer
    /// is caught here before its bytes are taken for readings).
    #[error("status answer does not start with '#' and end with CR")]
    Frame,
    /// A status byte and its complement do not add up to 255.
    #[error("checksum flags[{0}..{1}] failed")]
    Checksum(usize, usize),
}

/// Decode the answer to [`STATUS`] (all 14 bytes, CR included).
pub fn status(a: &[u8]) -> Result<Status, StatusError> {
    if a.len() != STATUS_LEN {
        return Err(StatusError::Size(a.len()));
    }
    if a[0] != b'#' || a[13] != b'\r' {
        return Err(StatusError::Frame);
    }
    let flags = [a[9], a[10], a[11], a[12]];
    if u16::from(flags[0]) + u16::from(flags[1]) != 255 {
        return Err(StatusError::Checksum(0, 1));
    }
    if u16::from(flags[2]) + u16::from(flags[3]) != 255 {
        return Err(StatusError::Checksum(2, 3));
    }
    Ok(Status { i_volt: a[1], o_volt: a[2], o_load: a[3], b_chrg: a[5], u_temp: a[6], i_freq: a[7], flags })
}

/// Status bits of the first status byte.
pub mod bits {
    /// On battery.
    pub const OB: u8 = 0x80;
    /// Low battery.
    pub const LB: u8 = 0x40;
    /// Test in progress.
    pub const TEST: u8 = 0x04;
    /// Beeper enabled.
    pub const BEEPER: u8 = 0x01;
}

/// OP series: voltage approximation.
pub fn op_volt(b: u8) -> i32 {
    if b < 26 {
        return 0;
    }
    (f32::from(b) * 200.0 / 230.0 + 6.0) as i32
}

/// OP series: load approximation.
pub fn op_load(b: u8) -> i32 {
    if b > 108 {
        return 200;
    }
    i32::from(b) * 200 / 108
}

/// OP series: charge approximation.
pub fn op_chrg(b: u8) -> i32 {
    match b {
        198..=255 => 100,
        0..=150 => 0,
        _ => (i32::from(b) - 151) * 100 / 46,
    }
}

/// OP series: temperature approximation.
pub fn op_temp(b: u8) -> f32 {
    let x = f64::from(f32::from(b) / 32.0);
    (x * x + 10.0) as f32
}

/// OP series: frequency approximation.
pub fn op_freq(b: u8) -> f32 {
    (12600.0 / (f64::from(b) + 32.0)) as f32
}

/// What a status answer publishes, in NUT's order. `nominal_out` is the current
/// `output.voltage.nominal`, published as the output voltage while on battery or testing
/// (nothing when unknown: NUT would print "(null)").
pub fn values(st: &Status, series: Series, nominal_out: Option<&str>) -> Vec<(&'static str, String)> {
    let mut v = Vec::new();
    let f0 = st.flags[0];
    let on_nominal = f0 & (bits::OB | bits::TEST) != 0;
    let one = |x: f32| format!("{:.1}", f64::from(x));
    match series {
        Series::Op => {
            v.push(("input.voltage", op_volt(st.i_volt).to_string()));
            if on_nominal {
                if let Some(n) = nominal_out {
                    v.push(("output.voltage", n.to_string()));
                }
            } else {
                // NUT computes it from the input byte.
                v.push(("output.voltage", op_volt(st.i_volt).to_string()));
            }
            v.push(("ups.load", op_load(st.o_load).to_string()));
            v.push(("battery.charge", op_chrg(st.b_chrg).to_string()));
            v.push(("ups.temperature", one(op_temp(st.u_temp))));
            v.push(("input.frequency", one(op_freq(st.i_freq))));
        }
        Series::Pr => {
            v.push(("input.voltage", st.i_volt.to_string()));
            if on_nominal {
                if let Some(n) = nominal_out {
                    v.push(("output.voltage", n.to_string()));
                }
            } else {
                v.push(("output.voltage", st.o_volt.to_string()));
            }
            v.push(("ups.load", st.o_load.to_string()));
            v.push(("battery.charge", st.b_chrg.to_string()));
            v.push(("ups.temperature", st.u_temp.to_string()));
            let f = if st.i_freq == 0 { 0.0 } else { 45.0 + f32::from(st.i_freq) / 10.0 };
            v.push(("input.frequency", one(f)));
        }
    }
    v.push(("ups.beeper.status", if f0 & bits::BEEPER != 0 { "enabled" } else { "disabled" }.into()));
    v
}

/// The `ups.status` tokens, in NUT's order.
pub fn tokens(st: &Status) -> Vec<&'static str> {
    let f = st.flags[0];
    let mut t = vec![if f & bits::OB != 0 { "OB" } else { "OL" }];
    if f & bits::LB != 0 {
        t.push("LB");
    }
    if f & (bits::OB | bits::TEST) == 0 && st.o_volt != 0 {
        let (o, i) = (f64::from(st.o_volt), f64::from(st.i_volt));
        if o < 0.5 * i {
        } else if o < 0.95 * i {
            t.push("TRIM");
        } else if o < 1.05 * i {
            // NUT: "appears to be in BYPASS state", no token.
        } else if o < 1.5 * i {
            t.push("BOOST");
        }
    }
    if f & bits::TEST != 0 {
        t.push("TEST");
    }
    if f == 0 {
        t.push("OFF");
    }
    t
}

/// On battery (for the shutdown choice).
pub fn on_battery(st: &Status) -> bool {
    st.flags[0] & bits::OB != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuts_sample_identification() {
        let i = ident(b".PR2200    .x.<.1100").expect("ident");
        assert_eq!(i.series, Series::Pr);
        assert_eq!(i.model.as_deref(), Some("PR2200"));
        assert_eq!((i.voltage, i.frequency), (Some(b'x'), Some(b'<')));
        assert_eq!(i.firmware.as_deref(), Some("1.100"));
        let i = ident(b".rO45      .x.<.5100").expect("ident");
        assert_eq!((i.series, i.model.as_deref()), (Series::Op, Some("OP1500AVR")));
        assert_eq!(ident(b".OP1500      .x.<.51").expect("20 bytes").firmware.as_deref(), Some("5.1"));
        assert!(ident(b".PR2200    .x.<.11").is_none(), "19 bytes");
        assert!(ident(b"#PR2200    .x.<.1100").is_none());
    }

    #[test]
    fn status_checks_and_values() {
        let a = b"#\xb0\xb0\x18\x00\x64\x29\x32\x00\x01\xfe\x00\xff\r";
        let s = status(a).expect("status");
        assert_eq!(tokens(&s), ["OL"]);
        let v = values(&s, Series::Pr, Some("120"));
        assert_eq!(v[0], ("input.voltage", "176".into()));
        assert_eq!(v[5], ("input.frequency", "50.0".into()));
        assert_eq!(v[6], ("ups.beeper.status", "enabled".into()));
        let mut bad = *a;
        bad[10] = 0;
        assert_eq!(status(&bad), Err(StatusError::Checksum(0, 1)));
        let mut bad = *a;
        bad[13] = 0xf2;
        assert_eq!(status(&bad), Err(StatusError::Frame));
        assert_eq!(status(&a[..13]), Err(StatusError::Size(13)));
        let ob = b"#\x00\xb0\x18\x00\x64\x29\x32\x00\xc0\x3f\x00\xff\r";
        let s = status(ob).expect("status");
        assert_eq!(tokens(&s), ["OB", "LB"]);
        assert_eq!(values(&s, Series::Pr, Some("120"))[1], ("output.voltage", "120".into()));
    }

    #[test]
    fn op_series_approximations() {
        assert_eq!(op_volt(25), 0);
        assert_eq!(op_volt(130), 119);
        assert_eq!(op_load(108), 200);
        assert_eq!(op_load(54), 100);
        assert_eq!(op_chrg(197), 100);
        assert_eq!(op_chrg(150), 0);
        assert_eq!(op_chrg(174), 50);
        assert_eq!(format!("{:.1}", f64::from(op_temp(160))), "35.0");
        assert_eq!(format!("{:.1}", f64::from(op_freq(178))), "60.0");
    }

    #[test]
    fn settings_read_and_write() {
        let (_, reg, tabs) = VARS[0];
        let pr = table(&tabs, Series::Pr);
        assert_eq!(decode_setting(pr, b"#\x00"), Some("147"));
        assert_eq!(decode_setting(pr, &[b'#', 0xf7]), None, "negative codes never match, as in NUT");
        assert_eq!(write_command(reg, pr, "138"), Some([b'Q', 2, 0xf7, b'\r']));
        assert_eq!(write_command(reg, pr, "150"), None);
        assert_eq!(decode_setting(YES_NO, b"#\x02"), Some("yes"));
    }
}
