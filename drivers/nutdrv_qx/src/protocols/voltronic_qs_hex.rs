//! NUT's `voltronic-qs-hex` protocol (nutdrv_qx_voltronic-qs-hex.c, "Voltronic-QS-Hex 0.11"):
//! Voltronic Power units answering `M` with `P` or `T` and a `QS` status whose fields are
//! binary. The answer is first rewritten into text (each byte as two hex digits, the status
//! and rating bytes as 8 binary digits, escaped bytes restored), then cut like any other.

use super::blazer;
use super::voltronic_qs::{claim_m_then_qs, cmd, delay, shutdown};
use crate::format::{format, Arg};
use crate::model::{qxflags as qf, Ctx, InfoRw, Item, ItemError, Subdriver};

/// `ups.delay.start` range.
pub static R_ONDELAY: &[InfoRw] = &[InfoRw::new("60"), InfoRw::new("599940")];
/// `ups.delay.shutdown` range.
pub static R_OFFDELAY: &[InfoRw] = &[InfoRw::new("12"), InfoRw::new("540")];

/// A field of the (rewritten) `QS` answer.
const fn qs(
    info_type: &'static str,
    answer_len: u16,
    from: u16,
    to: u16,
    dfl: &'static str,
    qxflags: u32,
    preprocess: crate::model::ValueFn,
) -> Item {
    Item {
        info_type,
        command: "QS\r",
        answer_len,
        leading: b'#',
        from,
        to,
        dfl: if dfl.is_empty() { None } else { Some(dfl) },
        qxflags,
        preprocess_answer: Some(refine_answer),
        preprocess: Some(preprocess),
        ..Item::NONE
    }
}

/// The table.
pub static TABLE: &[Item] = &[
    // > M  < P (or T)
    Item {
        info_type: "ups.firmware.aux",
        command: "M\r",
        answer_len: 2,
        dfl: Some("PM-%s"),
        qxflags: qf::STATIC,
        preprocess: Some(protocol),
        ..Item::NONE
    },
    // > QS  < #6c01 35 6c01 35 03 519a 1312d0 e6 1e 00001001          (P, rewritten)
    //       < #6901 6c 6802 6c 00 5fd7 12c000 e4 1e 00001001 00000010 (T, rewritten)
    qs("input.voltage", 47, 1, 7, "%.1f", 0, voltage),
    qs("output.voltage", 47, 9, 15, "%.1f", 0, voltage),
    qs("ups.load", 47, 17, 18, "%d", 0, load),
    qs("output.frequency", 47, 20, 30, "%.1f", 0, frequency),
    qs("battery.voltage", 47, 32, 36, "%.2f", 0, battery_voltage),
    qs("ups.status", 47, 38, 38, "", qf::QUICK_POLL, blazer::process_status_bits),
    qs("ups.status", 47, 39, 39, "", qf::QUICK_POLL, blazer::process_status_bits),
    qs("ups.status", 47, 40, 40, "", qf::QUICK_POLL, blazer::process_status_bits),
    qs("ups.alarm", 47, 41, 41, "", 0, blazer::process_status_bits),
    qs("ups.type", 47, 42, 42, "%s", qf::STATIC, blazer::process_status_bits),
    qs("ups.status", 47, 43, 43, "", qf::QUICK_POLL, blazer::process_status_bits),
    qs("ups.status", 47, 44, 44, "", qf::QUICK_POLL, blazer::process_status_bits),
    qs("ups.beeper.status", 47, 45, 45, "%s", 0, blazer::process_status_bits),
    // The ratings byte of the T protocol (skipped unless the device says T).
    qs("output.frequency.nominal", 56, 47, 47, "%.1f", qf::SKIP, ratings_bits),
    qs("battery.voltage.nominal", 56, 48, 49, "%.1f", qf::SKIP, ratings_bits),
    qs("output.voltage.nominal", 56, 52, 54, "%.1f", qf::SKIP, ratings_bits),
    Item { from: 0, to: 0, ..cmd("beeper.toggle", "Q\r") },
    Item { from: 0, to: 0, ..cmd("load.off", "S00R0000\r") },
    Item { from: 0, to: 0, ..cmd("load.on", "C\r") },
    Item { from: 0, to: 0, ..shutdown("shutdown.return", "S%s\r") },
    Item { from: 0, to: 0, ..shutdown("shutdown.stayoff", "S%sR0000\r") },
    Item { from: 0, to: 0, ..cmd("shutdown.stop", "C\r") },
    Item { from: 0, to: 0, qxflags: qf::CMD | qf::SKIP, ..cmd("test.battery.start.quick", "T\r") },
    delay("ups.delay.start", R_ONDELAY, "180"),
    delay("ups.delay.shutdown", R_OFFDELAY, "30"),
];

/// The subdriver.
pub static SUBDRIVER: Subdriver = Subdriver {
    name: "Voltronic-QS-Hex",
    version: "0.11",
    claim,
    table: TABLE,
    initups: Some(blazer::initups_light),
    initinfo: None,
    options: blazer::OPTS_LIGHT,
    accepted: None,
    rejected: Some("N\r"),
};

fn claim(ctx: &mut Ctx<'_>) -> bool {
    claim_m_then_qs(ctx, SUBDRIVER.rejected)
}

/// A byte as 8 binary digits.
fn bits(b: u8) -> String {
    format!("{b:08b}")
}

/// Rewrite a binary `QS` answer into text: `#`, then per space-separated token each byte as
/// two lower-case hex digits (tokens 10 and 11, status and ratings, as 8 binary digits);
/// `(` followed by 0..4 stands for an escaped CR, XON, XOFF, LF or space. The result must
/// have 10 tokens (46 characters) or 11 (55). Pure.
pub fn refine(raw: &[u8]) -> Option<String> {
    if raw.first() != Some(&b'#') {
        return None;
    }
    let mut out = String::from("#");
    let mut token = 1;
    let mut i = 1;
    while i < raw.len() {
        let b = raw[i];
        if b == b' ' {
            out.push(' ');
            token += 1;
            i += 1;
            continue;
        }
        if b == b'(' {
            let restored = match raw.get(i + 1) {
                Some(0) => Some(0x0d),
                Some(1) => Some(0x11),
                Some(2) => Some(0x13),
                Some(3) => Some(0x0a),
                Some(4) => Some(0x20),
                _ => None,
            };
            if let Some(r) = restored {
                // NUT writes the restored byte in hex even in the status tokens.
                out.push_str(&format!("{r:02x}"));
                i += 2;
                continue;
            }
        } else if b == b'\r' {
            break;
        }
        if token != 10 && token != 11 {
            out.push_str(&format!("{b:02x}"));
        } else {
            out.push_str(&bits(b));
        }
        i += 1;
    }
    let ok = (token == 10 && out.len() == 46) || (token == 11 && out.len() == 55);
    if !ok {
        nut_driver::debug!("noncompliant reply: {out}");
        return None;
    }
    Some(out)
}

fn refine_answer(_ctx: &mut Ctx<'_>, item: &Item, raw: Vec<u8>) -> Result<Vec<u8>, ItemError> {
    if raw.is_empty() {
        return Ok(raw);
    }
    match refine(&raw) {
        Some(t) => Ok(format!("{t}\r").into_bytes()),
        None => Err(ItemError::new(format!("noncompliant reply [{}]", item.info_type))),
    }
}

/// C `strtol(s, &end, 16)`: the number and the rest.
fn strtol16(s: &str) -> (i64, &str) {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .filter(|r| r.starts_with(|c: char| c.is_ascii_hexdigit()))
        .unwrap_or(t);
    let n = t.find(|c: char| !c.is_ascii_hexdigit()).unwrap_or(t.len());
    if n == 0 {
        return (0, s);
    }
    let mut v: i64 = 0;
    for c in t[..n].chars() {
        v = v.saturating_mul(16).saturating_add(i64::from(c.to_digit(16).unwrap_or(0)));
    }
    (if neg { -v } else { v }, &t[n..])
}

fn hex_fields(item: &Item, value: &str, spaces: bool) -> Result<(), ItemError> {
    if value.chars().all(|c| c.is_ascii_hexdigit() || (spaces && c == ' ')) {
        Ok(())
    } else {
        Err(ItemError::new(format!("non numerical value [{}: {value}]", item.info_type)))
    }
}

fn out(item: &Item, v: f64) -> Result<String, ItemError> {
    format(item.dfl.unwrap_or("%f"), Arg::Num(v))
        .ok_or_else(|| ItemError::new(format!("bad format for {}", item.info_type)))
}

/// Voltages: `VVVV SS` -> V * S / 51 (integer), / 256.
fn voltage(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    hex_fields(item, value, true)?;
    let (a, rest) = strtol16(value);
    let (b, _) = strtol16(rest);
    let val = a.saturating_mul(b) / 51;
    out(item, val as f64 / 256.0)
}

/// Load: one hex byte, in %.
fn load(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    hex_fields(item, value, false)?;
    out(item, strtol16(value).0 as f64)
}

/// Frequency: `DDDD NNNNNN` -> N / D, at most 99.9.
fn frequency(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    hex_fields(item, value, true)?;
    let (a, rest) = strtol16(value);
    let (b, _) = strtol16(rest);
    let r = b as f64 / a as f64;
    out(item, if r > 99.9 { 99.9 } else { r })
}

/// Battery voltage: `VV SS` -> V * S / 510.
fn battery_voltage(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    hex_fields(item, value, true)?;
    let (a, rest) = strtol16(value);
    let (b, _) = strtol16(rest);
    out(item, a.saturating_mul(b) as f64 / 510.0)
}

/// The T protocol's ratings byte: bit 47 frequency (50/60 Hz), bits 48-49 battery
/// (12/24/36/48 V), bits 52-54 output voltage (110/120/220/230/240 V).
fn ratings_bits(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !value.chars().all(|c| c == '0' || c == '1') {
        return Err(ItemError::new(format!("unexpected value {}@{}->{value}", item.info_type, item.from)));
    }
    let val: i64 = value.parse().unwrap_or(0);
    let r = match item.from {
        47 => {
            if val == 0 {
                50.0
            } else {
                60.0
            }
        }
        48 => match val {
            0 => 12.0,
            1 => 24.0,
            10 => 36.0,
            _ => 48.0,
        },
        52 => match val {
            0 => 110.0,
            1 => 120.0,
            10 => 220.0,
            11 => 230.0,
            100 => 240.0,
            _ => return Err(ItemError::new(format!("unknown nominal output voltage bits {value}"))),
        },
        _ => return Err(ItemError::new(format!("no ratings bits at {}", item.from))),
    };
    out(item, r)
}

/// `M`: `P` or `T`; a `T` device also has the ratings byte and the quick battery test.
fn protocol(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !value.eq_ignore_ascii_case("P") && !value.eq_ignore_ascii_case("T") {
        return Err(ItemError::new(format!("invalid protocol [{value}]")));
    }
    let v = format(item.dfl.unwrap_or("%s"), Arg::Str(value)).ok_or_else(|| ItemError::new("bad format"))?;
    if value.eq_ignore_ascii_case("T") {
        for (name, flag) in [
            ("test.battery.start.quick", qf::CMD),
            ("output.frequency.nominal", 0),
            ("battery.voltage.nominal", 0),
            ("output.voltage.nominal", 0),
        ] {
            let idx = ctx.rt.find(name, flag, 0).ok_or_else(|| ItemError::new(format!("no item {name}")))?;
            ctx.rt.items[idx].qxflags &= !qf::SKIP;
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::super::voltronic_qs::tests::{doc_port, get, run, testdata};
    use super::*;
    use crate::port::FakePort;

    #[test]
    fn binary_answer_is_rewritten_as_nut_does() {
        let raw = crate::port::unescape(
            r"#\x6C\x01 \x35 \x6C\x01 \x35 \x03 \x51\x9A \x28\x02\x12\xD0 \xE6 \x1E \x09\r",
        );
        assert_eq!(refine(&raw).as_deref(), Some("#6c01 35 6c01 35 03 519a 1312d0 e6 1e 00001001"));
        assert_eq!(refine(b"#\x01 \x02\r"), None);
        assert_eq!(refine(b"(215.0 195.0\r"), None);
        assert_eq!(refine(b""), None);
    }

    #[test]
    fn nut_testing_table_p_protocol() {
        let Some(t) = testdata("nut-testing-tables/voltronic-qs-hex.txt") else { return };
        let mut port = FakePort::from_transcript(&t);
        let (claimed, s, status, _) = run(&SUBDRIVER, &mut port);
        assert!(claimed);
        assert_eq!(get(&s, "ups.firmware.aux"), Some("PM-P"));
        // 0x6c01 * 0x35 / 51 = 28733 -> / 256 = 112.24
        assert_eq!(get(&s, "input.voltage"), Some("112.2"));
        assert_eq!(get(&s, "output.voltage"), Some("112.2"));
        assert_eq!(get(&s, "ups.load"), Some("3"));
        // 0x1312d0 / 0x519a = 1250000 / 20890
        assert_eq!(get(&s, "output.frequency"), Some("59.8"));
        // 0xe6 * 0x1e / 510 = 230 * 30 / 510
        assert_eq!(get(&s, "battery.voltage"), Some("13.53"));
        // status 0x09 = 00001001: line-interactive, beeper on
        assert_eq!(get(&s, "ups.type"), Some("offline / line interactive"));
        assert_eq!(get(&s, "ups.beeper.status"), Some("enabled"));
        assert_eq!(status, vec!["OL"]);
        // P devices: no ratings byte, no quick test.
        assert_eq!(get(&s, "output.voltage.nominal"), None);
        assert!(!s.has_cmd("test.battery.start.quick"));
        assert!(s.has_cmd("shutdown.return"));
    }

    #[test]
    fn protocol_document_p_example_on_battery() {
        let Some(t) = testdata("protocol-doc-examples/voltronic-qs.txt") else { return };
        let mut port = doc_port(&t, &[("M", 0), ("QS", 0)]);
        let (claimed, s, status, _) = run(&SUBDRIVER, &mut port);
        assert!(claimed);
        // The document: input 12.2 V, output 230.6 V, load 12 %, 50.0 Hz, battery 12.5 V,
        // utility fail.
        assert_eq!(get(&s, "input.voltage"), Some("12.2"));
        assert_eq!(get(&s, "output.voltage"), Some("230.6"));
        assert_eq!(get(&s, "ups.load"), Some("12"));
        assert_eq!(get(&s, "output.frequency"), Some("50.0"));
        assert_eq!(get(&s, "battery.voltage"), Some("12.53"));
        assert!(!status.contains(&"OL"));
        assert_eq!(get(&s, "ups.beeper.status"), Some("enabled"));
    }

    #[test]
    fn protocol_document_t_example_with_ratings() {
        let Some(t) = testdata("protocol-doc-examples/voltronic-qs.txt") else { return };
        let mut port = doc_port(&t, &[("QS", 1)]);
        port.raw(b"M\r", b"T\r");
        let (claimed, s, _, _) = run(&SUBDRIVER, &mut port);
        assert!(claimed);
        assert_eq!(get(&s, "ups.firmware.aux"), Some("PM-T"));
        // The document: output 227.8 V, load 0 %, 50.0 Hz, battery 24.0 V.
        assert_eq!(get(&s, "output.voltage"), Some("227.8"));
        assert_eq!(get(&s, "ups.load"), Some("0"));
        assert_eq!(get(&s, "output.frequency"), Some("50.0"));
        assert_eq!(get(&s, "battery.voltage"), Some("24.00"));
        // Ratings byte 0x23 = 00100011: bit 47 "0" 50 Hz, bits 48-49 "01" 24 V, bits 52-54
        // "011" 230 V.
        assert_eq!(get(&s, "output.frequency.nominal"), Some("50.0"));
        assert_eq!(get(&s, "battery.voltage.nominal"), Some("24.0"));
        assert_eq!(get(&s, "output.voltage.nominal"), Some("230.0"));
        assert!(s.has_cmd("test.battery.start.quick"));
    }

    #[test]
    fn random_answers_never_panic() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let alphabet = [b'#', b' ', b'(', 0, 1, 2, 3, 4, b'\r', 0xff, b'0', b'1', b'a', b'Z'];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let n = (x % 70) as usize;
            let mut raw = vec![b'#'];
            let mut y = x;
            for _ in 0..n {
                y = y.rotate_left(5) ^ 0x9e37_79b9_7f4a_7c15;
                raw.push(if y.is_multiple_of(2) {
                    alphabet[(y as usize / 2) % alphabet.len()]
                } else {
                    y as u8
                });
            }
            if let Some(t) = refine(&raw) {
                assert!(t.len() == 46 || t.len() == 55);
            }
            let text = String::from_utf8_lossy(&raw).into_owned();
            let _ = strtol16(&text);
        }
    }
}
