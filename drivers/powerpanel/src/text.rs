//! CyberPower's text protocol, as pure functions and tables: 2400 bps, commands ending in CR,
//! answers starting with `#` and ending in CR. Facts from NUT 2.8.5's powerp-txt.c
//! ("Powerpanel-Text 0.65").
//!
//! ```text
//! P4\r -> #BC1200     ,1.600,000000000000,CYBER POWER      model, firmware, serial, maker
//! P3\r -> #12.0,002,008.0,00                                battery: nominal V, packs, Ah
//! P2\r -> #1200,0720,120,47,63                              VA, W, nominal V, freq low/high
//! P1\r -> #120,138,088,20                                   nominal V, transfer high/low, low charge
//! P6\r P7\r P8\r                                            the values P1's fields may be set to
//! D\r  -> #I119.0O119.0L000B100T027F060.0S..                status: letter-tagged fields
//! ```

use crate::cstr::{rtrim_spaces, strtod, strtok, strtol, text};

/// The protocol's name for `protocol=`.
pub const NAME: &str = "text";
/// NUT's version string of its text subdriver.
pub const VERSION: &str = "Powerpanel-Text 0.65";
/// Line speed.
pub const SPEED: u32 = 2400;
/// Sent first (many devices do not answer it).
pub const WAKE: &[u8] = b"\r\r";
/// The identification query (also the detection).
pub const IDENT: &[u8] = b"P4\r";
/// The status query.
pub const STATUS: &[u8] = b"D\r";
/// Cancel a pending shutdown (sent at start-up).
pub const CANCEL: &[u8] = b"C\r";
/// The answer to a command that worked.
pub const ACK: &[u8] = b"#0";
/// The shortest identification answer NUT accepts.
pub const IDENT_MIN: usize = 46;
/// Queries NUT sends at start-up whose answers nobody decodes.
pub const UNKNOWN_QUERIES: &[&[u8]] = &[b"P5\r", b"P9\r"];

/// How a rating field is published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    /// `%li` of `strtol`.
    Int,
    /// `%f` of `strtod` (NUT 2.8.5; 2.8.0 used `%g`).
    Float,
}

/// A rating query and the variables of its answer's fields.
pub type Rating = (&'static [u8], &'static [(&'static str, Fmt)]);

/// The rating queries and the variables of their fields, in NUT's order.
pub const RATINGS: &[Rating] = &[
    (
        b"P3\r",
        &[
            ("battery.voltage.nominal", Fmt::Float),
            ("battery.packs", Fmt::Int),
            ("battery.capacity", Fmt::Float),
        ],
    ),
    (
        b"P2\r",
        &[
            ("ups.power.nominal", Fmt::Int),
            ("ups.realpower.nominal", Fmt::Int),
            ("input.voltage.nominal", Fmt::Int),
            ("input.frequency.low", Fmt::Int),
            ("input.frequency.high", Fmt::Int),
        ],
    ),
    (
        b"P1\r",
        &[
            ("input.voltage.nominal", Fmt::Int),
            ("input.transfer.high", Fmt::Int),
            ("input.transfer.low", Fmt::Int),
            ("battery.charge.low", Fmt::Int),
        ],
    ),
];

/// Writable variables: the query listing the values allowed, and the write command's
/// prefix and digits (`C2:%03d\r`).
pub const VARS: &[(&str, &[u8], &str, usize)] = &[
    ("input.transfer.high", b"P6\r", "C2:", 3),
    ("input.transfer.low", b"P7\r", "C3:", 3),
    ("battery.charge.low", b"P8\r", "C4:", 2),
];

/// Instant commands with a fixed command (`None`: an old name, see [`ALIASES`]), in NUT's order.
pub const COMMANDS: &[(&str, Option<&[u8]>)] = &[
    ("test.battery.start.quick", Some(b"T\r")),
    ("test.battery.start.deep", Some(b"TL\r")),
    ("test.battery.stop", Some(b"CT\r")),
    ("beeper.enable", Some(b"C7:1\r")),
    ("beeper.disable", Some(b"C7:0\r")),
    ("beeper.on", None),
    ("beeper.off", None),
    ("shutdown.stop", Some(b"C\r")),
];

/// Old command names: (old, new, the warning NUT logs).
pub const ALIASES: &[(&str, &str, &str)] = &[
    ("beeper.off", "beeper.disable", "The 'beeper.off' command has been renamed to 'beeper.disable'"),
    ("beeper.on", "beeper.enable", "The 'beeper.on' command has been renamed to 'beeper.enable'"),
];

/// The shutdown commands, whose bytes depend on the delays.
pub const SHUTDOWNS: &[&str] = &["shutdown.return", "shutdown.stayoff", "shutdown.reboot"];

/// The pieces of the identification answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ident {
    /// `ups.model` (trailing blanks cut).
    pub model: Option<String>,
    /// `ups.firmware`.
    pub firmware: Option<String>,
    /// `ups.serial`.
    pub serial: Option<String>,
    /// `ups.mfr` (trailing blanks cut).
    pub mfr: Option<String>,
}

/// Decode the answer to [`IDENT`] (without its CR): at least [`IDENT_MIN`] bytes from `#`.
pub fn ident(answer: &[u8]) -> Option<Ident> {
    if answer.len() < IDENT_MIN || answer[0] != b'#' {
        return None;
    }
    let mut t = strtok(&answer[1..], b",");
    Some(Ident {
        model: t.next().map(|s| text(rtrim_spaces(s))),
        firmware: t.next().map(text),
        serial: t.next().map(text),
        mfr: t.next().map(|s| text(rtrim_spaces(s))),
    })
}

/// The fields of a `#a,b,c` answer.
pub fn fields(answer: &[u8]) -> Vec<&[u8]> {
    match answer.split_first() {
        Some((_, rest)) => strtok(rest, b",").collect(),
        None => Vec::new(),
    }
}

/// A rating field as published.
pub fn rating(field: &[u8], fmt: Fmt) -> String {
    match fmt {
        Fmt::Int => strtol(field).to_string(),
        Fmt::Float => format!("{:.6}", strtod(field)),
    }
}

/// The allowed values of a writable variable from its query's answer (`#138,139,...`).
pub fn allowed(answer: &[u8]) -> Vec<String> {
    fields(answer).iter().map(|f| strtol(f).to_string()).collect()
}

/// The write command for variable `var` set to `value` (NUT's `atoi` of it).
pub fn set_command(var: &str, value: &str) -> Option<Vec<u8>> {
    let (_, _, prefix, width) = VARS.iter().find(|v| v.0.eq_ignore_ascii_case(var))?;
    let n = strtol(value.as_bytes()) as i32;
    Some(format!("{prefix}{n:0width$}\r").into_bytes())
}

/// `offdelay` and `ondelay` checked and rounded as NUT does: (seconds, minutes); an error
/// names the option at fault and says why.
pub fn delays(offdelay: Option<&str>, ondelay: Option<&str>) -> Result<(i64, i64), (&'static str, String)> {
    let on = ondelay.map_or(1, |v| strtol(v.as_bytes()));
    if !(0..=9999).contains(&on) {
        return Err(("ondelay", format!("Start delay '{on}' out of range [0..9999]")));
    }
    let mut off = offdelay.map_or(60, |v| strtol(v.as_bytes()));
    if !(6..=600).contains(&off) {
        return Err(("offdelay", format!("Shutdown delay '{off}' out of range [6..600]")));
    }
    off -= if off < 60 { off % 6 } else { off % 60 };
    Ok((off, on))
}

/// The command of a shutdown (one of [`SHUTDOWNS`]) with the delays: under a minute in
/// tenths of a minute (`Z.5`), else in minutes (`Z02`).
pub fn shutdown_command(name: &str, offdelay: i64, ondelay: i64) -> Option<Vec<u8>> {
    let off = if offdelay < 60 { format!(".{}", offdelay / 6) } else { format!("{:02}", offdelay / 60) };
    let s = match name {
        "shutdown.return" => format!("Z{off}\r"),
        "shutdown.stayoff" => format!("S{off}\r"),
        "shutdown.reboot" => format!("S{off}R{ondelay:04}\r"),
        _ => return None,
    };
    Some(s.into_bytes())
}

/// The status answer's fields.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Status {
    /// I: input voltage.
    pub i_volt: f32,
    /// O: output voltage.
    pub o_volt: f32,
    /// L: load (%).
    pub o_load: i64,
    /// B: battery charge (%).
    pub b_chrg: i64,
    /// T: temperature.
    pub u_temp: Option<i64>,
    /// F: input frequency.
    pub i_freq: f32,
    /// V: battery voltage.
    pub b_volt: Option<f32>,
    /// H (or HF, or a second F): output frequency.
    pub o_freq: Option<f32>,
    /// R: runtime in minutes.
    pub runtime: Option<i64>,
    /// S: the two status bytes.
    pub flags: [u8; 2],
}

/// Decode the answer to [`STATUS`] (without its CR): `#` then fields, each a letter and its
/// value; at least 3 known fields. Unknown letters are skipped; an `F` after the input
/// frequency is the output frequency.
pub fn status(answer: &[u8]) -> Option<Status> {
    if answer.first() != Some(&b'#') {
        return None;
    }
    let mut st = Status::default();
    let mut valid = 0;
    let mut code: Option<u8> = None;
    let mut value: Vec<u8> = Vec::new();
    let mut seen_i_freq = false;
    for i in 1..=answer.len() {
        let c = answer.get(i).copied();
        if c.is_none() || c.is_some_and(|c| c.is_ascii_alphabetic()) {
            let v = value.as_slice();
            let f = || strtod(v) as f32;
            let known = match code {
                Some(b'I') => {
                    st.i_volt = f();
                    true
                }
                Some(b'O') => {
                    st.o_volt = f();
                    true
                }
                Some(b'L') => {
                    st.o_load = strtol(v);
                    true
                }
                Some(b'B') => {
                    st.b_chrg = strtol(v);
                    true
                }
                Some(b'V') => {
                    st.b_volt = Some(f());
                    true
                }
                Some(b'T') => {
                    st.u_temp = Some(strtol(v));
                    true
                }
                Some(b'F') => {
                    st.i_freq = f();
                    seen_i_freq = true;
                    true
                }
                Some(b'H') => {
                    st.o_freq = Some(f());
                    true
                }
                Some(b'R') => {
                    st.runtime = Some(strtol(v));
                    true
                }
                Some(b'S') => {
                    st.flags = [v.first().copied().unwrap_or(0), v.get(1).copied().unwrap_or(0)];
                    true
                }
                _ => false,
            };
            if known {
                valid += 1;
            }
            code = c.map(|c| if seen_i_freq && c == b'F' { b'H' } else { c });
            value.clear();
            continue;
        }
        if let Some(c) = c {
            value.push(c);
        }
    }
    (valid >= 3).then_some(st)
}

/// What a status answer publishes: (variable, value) in NUT's order.
pub fn values(st: &Status) -> Vec<(&'static str, String)> {
    let mut v = vec![
        ("input.voltage", format!("{:.1}", f64::from(st.i_volt))),
        ("output.voltage", format!("{:.1}", f64::from(st.o_volt))),
        ("ups.load", st.o_load.to_string()),
        ("input.frequency", format!("{:.1}", f64::from(st.i_freq))),
    ];
    if let Some(t) = st.u_temp {
        v.push(("ups.temperature", t.to_string()));
    }
    v.push(("battery.charge", st.b_chrg.to_string()));
    if let Some(b) = st.b_volt {
        v.push(("battery.voltage", format!("{:.1}", f64::from(b))));
        if b > 20.0 && b < 28.0 {
            v.push(("battery.voltage.nominal", format!("{:.6}", 24.0)));
        }
    }
    if let Some(f) = st.o_freq {
        v.push(("output.frequency", format!("{:.1}", f64::from(f))));
    }
    if let Some(r) = st.runtime {
        v.push(("battery.runtime", r.saturating_mul(60).to_string()));
    }
    v
}

/// Status bits of the first status byte.
pub mod bits {
    /// On battery.
    pub const OB: u8 = 0x40;
    /// Low battery.
    pub const LB: u8 = 0x20;
    /// Test in progress.
    pub const TEST: u8 = 0x08;
}

/// The `ups.status` tokens of a status answer, in NUT's order.
pub fn tokens(st: &Status) -> Vec<&'static str> {
    let f = st.flags[0];
    let mut t = vec![if f & bits::OB != 0 { "OB" } else { "OL" }];
    if f & bits::LB != 0 {
        t.push("LB");
    }
    if f & (bits::OB | bits::TEST) == 0 {
        let (o, i) = (f64::from(st.o_volt), f64::from(st.i_volt));
        if o < 0.5 * i {
            // Output voltage too low to say.
        } else if o < 0.95 * i {
            t.push("TRIM");
        } else if o < 1.05 * i {
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
    fn nuts_sample_answers_decode() {
        let i = ident(b"#BC1200     ,1.600,000000000000,CYBER POWER     ").expect("ident");
        assert_eq!(i.model.as_deref(), Some("BC1200"));
        assert_eq!(i.firmware.as_deref(), Some("1.600"));
        assert_eq!(i.serial.as_deref(), Some("000000000000"));
        assert_eq!(i.mfr.as_deref(), Some("CYBER POWER"));
        assert!(ident(b"#BC1200,1.600").is_none(), "shorter than 46");
        let f = fields(b"#12.0,002,008.0,00");
        assert_eq!(rating(f[0], Fmt::Float), "12.000000");
        assert_eq!(rating(f[1], Fmt::Int), "2");
        assert_eq!(allowed(b"#138,139,140"), ["138", "139", "140"]);
    }

    #[test]
    fn status_answers_of_every_known_shape() {
        let s = status(b"#I119.0O119.0L000B100T027F060.0S\x80\x84").expect("status");
        assert_eq!((s.i_volt, s.o_volt, s.o_load, s.b_chrg, s.u_temp), (119.0, 119.0, 0, 100, Some(27)));
        assert_eq!(s.flags, [0x80, 0x84]);
        assert_eq!(tokens(&s), ["OL"]);
        let s = status(b"#I118.0O118.0L029B100F060.0R0218S..").expect("status");
        assert_eq!(s.runtime, Some(218));
        assert_eq!(s.u_temp, None);
        let s = status(b"#I118.1O118.1L13B100V27.5F60.0HF60.0R65Q1.4S\x80\x84\xc0\x88\x80W").expect("status");
        assert_eq!((s.b_volt, s.o_freq, s.i_freq), (Some(27.5), Some(60.0), 60.0));
        let v = values(&s);
        assert!(v.contains(&("battery.voltage.nominal", "24.000000".into())));
        assert!(v.contains(&("battery.runtime", "3900".into())));
        assert!(status(b"#I1O2").is_none(), "fewer than 3 fields");
        assert!(status(b"I119.0O119.0L000B100").is_none(), "no #");
    }

    #[test]
    fn status_tokens() {
        let mut s = Status { i_volt: 230.0, o_volt: 230.0, flags: [0xe0, 0], ..Status::default() };
        assert_eq!(tokens(&s), ["OB", "LB"]);
        s.flags[0] = 0x80;
        s.o_volt = 210.0;
        assert_eq!(tokens(&s), ["OL", "TRIM"]);
        s.o_volt = 250.0;
        assert_eq!(tokens(&s), ["OL", "BOOST"]);
        s.flags[0] = 0x88;
        assert_eq!(tokens(&s), ["OL", "TEST"]);
        s.flags[0] = 0;
        assert_eq!(tokens(&s), ["OL", "BOOST", "OFF"]);
    }

    #[test]
    fn commands_with_delays_and_values() {
        assert_eq!(delays(None, None), Ok((60, 1)));
        assert_eq!(delays(Some("29"), Some("0")), Ok((24, 0)));
        assert_eq!(delays(Some("130"), None), Ok((120, 1)));
        assert_eq!(delays(Some("5"), None).map_err(|e| e.0), Err("offdelay"));
        assert_eq!(delays(None, Some("10000")).map_err(|e| e.0), Err("ondelay"));
        assert_eq!(shutdown_command("shutdown.return", 60, 1).as_deref(), Some(b"Z01\r".as_slice()));
        assert_eq!(shutdown_command("shutdown.stayoff", 24, 1).as_deref(), Some(b"S.4\r".as_slice()));
        assert_eq!(shutdown_command("shutdown.reboot", 120, 3).as_deref(), Some(b"S02R0003\r".as_slice()));
        assert_eq!(set_command("input.transfer.low", "88").as_deref(), Some(b"C3:088\r".as_slice()));
        assert_eq!(set_command("battery.charge.low", "5").as_deref(), Some(b"C4:05\r".as_slice()));
        assert_eq!(set_command("ups.load", "5"), None);
    }
}
