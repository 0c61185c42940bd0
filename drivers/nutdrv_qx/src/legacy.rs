//! What blazer_ser / blazer_usb do differently from nutdrv_qx at start-up (NUT 2.8.5
//! drivers/blazer.c, `blazer_initinfo`, `blazer_rating`, `blazer_vendor`):
//!
//! - the device is recognised by its status answer alone; the rating (`F`) and vendor (`I`,
//!   zinto's `FW?`) queries are read afterwards, three tries each, and a device that does
//!   not answer them is still used ("Rating information unavailable", "Vendor information
//!   unavailable");
//! - the rating answer is read as blank-separated words, not fixed columns: a word that is
//!   not a number is left out, and a missing word ends the reading (the words before it stay
//!   published, the answer counts as failed);
//! - the vendor answer is cut into 15 + 10 + 10 characters after the `#`, each trimmed of
//!   trailing blanks only, and published even when that leaves nothing.
//!
//! The parsers are pure; [`read_rating`] / [`read_vendor`] send the queries and publish.

use crate::engine;
use crate::format::{format, parse_leading_f64, Arg};
use crate::model::Ctx;
use crate::port::PortError;

/// Tries per query (NUT's MAXTRIES in blazer.c).
pub const TRIES: usize = 3;

/// Why an answer was not usable (the text is for the debug log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// Fewer bytes than the query's minimum.
    #[error("short reply ({got} < {min})")]
    Short {
        /// Bytes received.
        got: usize,
        /// Bytes needed.
        min: usize,
    },
    /// The first byte is not the expected one.
    #[error("invalid start character [{0:02x}]")]
    Start(u8),
    /// A word is missing (what came before it is in [`Rating::values`]).
    #[error("parsing failed")]
    Parsing,
}

/// The variables the rating answer gave, in order, and whether the answer was complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    /// (variable, formatted value) in the answer's order.
    pub values: Vec<(&'static str, String)>,
    /// `Err(Parsing)` when a word was missing: `values` holds the ones before it.
    pub outcome: Result<(), AnswerError>,
}

/// The rating words and their formats (`#220.0 000 024.0 50.0`).
const RATING: &[(&str, &str)] = &[
    ("input.voltage.nominal", "%.0f"),
    ("input.current.nominal", "%.1f"),
    ("battery.voltage.nominal", "%.1f"),
    ("input.frequency.nominal", "%.0f"),
];

/// Minimum rating answer length, CR included.
pub const RATING_LEN: usize = 22;
/// Minimum vendor answer length, CR included.
pub const VENDOR_LEN: usize = 39;
/// The vendor fields and their widths (`#-------------   ------     VT12046Q  `).
const VENDOR: &[(&str, usize)] = &[("ups.mfr", 15), ("ups.model", 10), ("ups.firmware", 10)];

/// The answer as the C string NUT's drivers see (up to the first NUL).
fn c_str(raw: &[u8]) -> &[u8] {
    &raw[..raw.iter().position(|&b| b == 0).unwrap_or(raw.len())]
}

/// Splits words as C's `strtok` does: the first word ends at a blank only, the next ones at
/// a blank, CR or LF.
fn words(s: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = s;
    let mut delims: &[u8] = b" ";
    loop {
        let start = rest.iter().position(|b| !delims.contains(b)).unwrap_or(rest.len());
        rest = &rest[start..];
        if rest.is_empty() {
            return out;
        }
        let end = rest.iter().position(|b| delims.contains(b)).unwrap_or(rest.len());
        out.push(&rest[..end]);
        rest = &rest[(end + 1).min(rest.len())..];
        delims = b" \r\n";
    }
}

/// Reads the rating answer (`F`), the way blazer's drivers do. `battery_nominal` is a
/// `battery.voltage.nominal` already known (from ups.conf), which wins over the answer's.
pub fn parse_rating(raw: &[u8], battery_nominal: Option<&str>) -> Result<Rating, AnswerError> {
    if raw.len() < RATING_LEN {
        return Err(AnswerError::Short { got: raw.len(), min: RATING_LEN });
    }
    let s = c_str(raw);
    if s.first() != Some(&b'#') {
        return Err(AnswerError::Start(s.first().copied().unwrap_or(0)));
    }
    let w = words(&s[1..]);
    let mut rating = Rating { values: Vec::new(), outcome: Ok(()) };
    for (i, (var, fmt)) in RATING.iter().enumerate() {
        let Some(word) = w.get(i) else {
            rating.outcome = Err(AnswerError::Parsing);
            return Ok(rating);
        };
        if !word.iter().all(|b| b.is_ascii_digit() || *b == b'.') {
            nut_driver::trace!("blazer_rating: non numerical value [{}]", String::from_utf8_lossy(word));
            continue;
        }
        let text = String::from_utf8_lossy(word);
        let v = match (*var, battery_nominal) {
            ("battery.voltage.nominal", Some(known)) => parse_leading_f64(known),
            _ => parse_leading_f64(&text),
        };
        if let Some(out) = format(fmt, Arg::Num(v)) {
            rating.values.push((var, out));
        }
    }
    Ok(rating)
}

/// Reads the vendor answer (`I` / `FW?`): manufacturer, model, firmware, trailing blanks
/// trimmed (possibly to nothing).
pub fn parse_vendor(raw: &[u8]) -> Result<Vec<(&'static str, String)>, AnswerError> {
    if raw.len() < VENDOR_LEN {
        return Err(AnswerError::Short { got: raw.len(), min: VENDOR_LEN });
    }
    let s = c_str(raw);
    if s.first() != Some(&b'#') {
        return Err(AnswerError::Start(s.first().copied().unwrap_or(0)));
    }
    let mut out = Vec::new();
    let mut at = 1;
    for (var, len) in VENDOR {
        let field = s.get(at..(at + len).min(s.len())).unwrap_or(&[]);
        let text = String::from_utf8_lossy(field);
        out.push((*var, text.trim_end_matches(' ').to_string()));
        at += len + 1;
    }
    Ok(out)
}

/// Minimum status answer length, CR included.
pub const STATUS_LEN: usize = 46;

/// Whether a status answer (`Q1`, `QS`, `D`) is one blazer's drivers accept: long enough,
/// starting with `(`, seven values and eight status bits (`0`/`1`) as blank-separated words.
pub fn status_ok(raw: &[u8]) -> Result<(), AnswerError> {
    if raw.len() < STATUS_LEN {
        return Err(AnswerError::Short { got: raw.len(), min: STATUS_LEN });
    }
    let s = c_str(raw);
    if s.first() != Some(&b'(') {
        return Err(AnswerError::Start(s.first().copied().unwrap_or(0)));
    }
    let w = words(&s[1..]);
    match w.get(7) {
        Some(bits) if bits.iter().take_while(|b| matches!(b, b'0' | b'1')).count() == 8 => Ok(()),
        _ => Err(AnswerError::Parsing),
    }
}

/// blazer's detection: the status query alone (its `input.voltage` item) gives an answer
/// [`status_ok`] accepts; the value is published as the table says.
pub fn claim(ctx: &mut Ctx<'_>) -> bool {
    let Some(idx) = ctx.rt.find("input.voltage", 0, 0) else { return false };
    let item = ctx.rt.items[idx];
    let answer = match engine::process(ctx, &item, None, None) {
        Ok(a) => a,
        Err(e) => {
            nut_driver::debug!("Status read failed: {e}");
            return false;
        }
    };
    if let Err(e) = status_ok(&answer.raw) {
        nut_driver::debug!("Status read failed: {e}");
        return false;
    }
    engine::infoval_set_answer(ctx, &item, &answer.value, Some(&answer.raw)) == Ok(engine::Used::Published)
}

/// Sends a query; a timeout is an empty answer (a short reply), as in NUT.
fn ask(ctx: &mut Ctx<'_>, cmd: &str) -> Result<Vec<u8>, PortError> {
    match ctx.command(cmd.as_bytes()) {
        Err(PortError::Timeout) => Ok(Vec::new()),
        r => r,
    }
}

/// Reads and publishes the rating (three tries). Returns true when a complete answer came.
pub fn read_rating(ctx: &mut Ctx<'_>, cmd: &str) -> bool {
    for n in 1..=TRIES {
        let raw = match ask(ctx, cmd) {
            Ok(r) => r,
            Err(e) => {
                nut_driver::debug!("Rating read {n} failed: {e}");
                continue;
            }
        };
        let known = ctx.state.get_info("battery.voltage.nominal").map(str::to_string);
        match parse_rating(&raw, known.as_deref()) {
            Ok(r) => {
                for (var, v) in &r.values {
                    ctx.state.set_info(var, v);
                }
                match r.outcome {
                    Ok(()) => {
                        nut_driver::trace!("Ratings read in {n} tries");
                        return true;
                    }
                    Err(e) => nut_driver::debug!("blazer_rating: {e}; Rating read {n} failed"),
                }
            }
            Err(e) => nut_driver::debug!("blazer_rating: {e}; Rating read {n} failed"),
        }
    }
    nut_driver::debug!("Rating information unavailable");
    false
}

/// Reads and publishes the vendor information (three tries). Returns true when it came.
pub fn read_vendor(ctx: &mut Ctx<'_>, cmd: &str) -> bool {
    for n in 1..=TRIES {
        let raw = match ask(ctx, cmd) {
            Ok(r) => r,
            Err(e) => {
                nut_driver::debug!("Vendor information read {n} failed: {e}");
                continue;
            }
        };
        match parse_vendor(&raw) {
            Ok(fields) => {
                for (var, v) in &fields {
                    ctx.state.set_info(var, v);
                }
                nut_driver::info!("Vendor information read in {n} tries");
                return true;
            }
            Err(e) => nut_driver::debug!("blazer_vendor: {e}; Vendor information read {n} failed"),
        }
    }
    nut_driver::debug!("Vendor information unavailable");
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(r: &Rating) -> Vec<(&str, &str)> {
        r.values.iter().map(|(k, v)| (*k, v.as_str())).collect()
    }

    #[test]
    fn rating_of_a_full_answer() {
        let r = parse_rating(b"#230.0 000 024.0 50.0\r", None).expect("parsed");
        assert_eq!(
            vals(&r),
            [
                ("input.voltage.nominal", "230"),
                ("input.current.nominal", "0.0"),
                ("battery.voltage.nominal", "24.0"),
                ("input.frequency.nominal", "50"),
            ]
        );
        assert_eq!(r.outcome, Ok(()));
    }

    #[test]
    fn rating_with_three_words_stops_before_the_frequency() {
        // nut-674 (DigiTECH 650VA): dots only, three words.
        let r = parse_rating(b"#   .        .     . \r", None).expect("parsed");
        assert_eq!(
            vals(&r),
            [
                ("input.voltage.nominal", "0"),
                ("input.current.nominal", "0.0"),
                ("battery.voltage.nominal", "0.0"),
            ]
        );
        assert_eq!(r.outcome, Err(AnswerError::Parsing));
    }

    #[test]
    fn rating_skips_words_that_are_not_numbers() {
        let r = parse_rating(b"#230.0 --- 024.0 50.0 \r", None).expect("parsed");
        let names: Vec<_> = r.values.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, ["input.voltage.nominal", "battery.voltage.nominal", "input.frequency.nominal"]);
        assert_eq!(r.outcome, Ok(()));
    }

    #[test]
    fn rating_battery_nominal_from_the_configuration_wins() {
        let r = parse_rating(b"#230.0 000 024.0 50.0\r", Some("48")).expect("parsed");
        assert!(r.values.contains(&("battery.voltage.nominal", "48.0".to_string())));
    }

    #[test]
    fn rating_refuses_short_and_foreign_answers() {
        assert_eq!(parse_rating(b"#230.0 000 024.0\r", None), Err(AnswerError::Short { got: 17, min: 22 }));
        assert_eq!(parse_rating(b"(230.0 000 024.0 50.0\r", None), Err(AnswerError::Start(b'(')));
        assert_eq!(parse_rating(b"", None), Err(AnswerError::Short { got: 0, min: 22 }));
    }

    #[test]
    fn vendor_fields_keep_empty_values() {
        // nut-2208 (Fry's MEC0003): blank manufacturer and model, firmware V3.8.
        let v = parse_vendor(b"#                           V3.8      \r").expect("parsed");
        assert_eq!(
            v,
            [("ups.mfr", String::new()), ("ups.model", String::new()), ("ups.firmware", "V3.8".to_string())]
        );
    }

    #[test]
    fn vendor_fields_trim_trailing_blanks_only() {
        // blazer_ser's own test answer.
        let v = parse_vendor(b"#NOT_A_LIVE_UPS  TESTING    TESTING   \r").expect("parsed");
        assert_eq!(
            v.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(),
            ["NOT_A_LIVE_UPS", "TESTING", "TESTING"]
        );
        // Leading blanks stay.
        let v = parse_vendor(b"#  ACME            UPS 1K     1.0     \r").expect("parsed");
        assert_eq!(v.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>(), ["  ACME", "  UPS 1K", "  1.0"]);
    }

    #[test]
    fn vendor_refuses_short_and_foreign_answers() {
        assert!(matches!(parse_vendor(b"#ABC\r"), Err(AnswerError::Short { .. })));
        assert_eq!(parse_vendor(b"(                           V3.8      \r"), Err(AnswerError::Start(b'(')));
    }

    #[test]
    fn status_needs_seven_values_and_eight_bits() {
        assert_eq!(status_ok(b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r"), Ok(()));
        // A value that is not a number is still a word.
        assert_eq!(status_ok(b"(215.0 195.0 230.0 --- 49.0 22.7 30.0 00000000\r"), Ok(()));
        assert_eq!(status_ok(b"(215.0 195.0 230.0 014 49.0 22.7 30.0 0000000x\r"), Err(AnswerError::Parsing));
        assert_eq!(
            status_ok(b"(215.0 195.0 230.0 014 49.0 22.7 30.0 000000000\r"),
            Err(AnswerError::Parsing)
        );
        assert_eq!(status_ok(b"(215.0 195.0 230.0 014 49.0 22.7 30.000000000\r"), Err(AnswerError::Parsing));
        assert_eq!(
            status_ok(b"#215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r"),
            Err(AnswerError::Start(b'#'))
        );
        assert!(matches!(status_ok(b"(215.0 195.0 230.0\r"), Err(AnswerError::Short { .. })));
    }

    #[test]
    fn words_split_as_strtok() {
        assert_eq!(words(b"  a b\r\nc  "), vec![&b"a"[..], b"b", b"c"]);
        // The first word ends at a blank only.
        assert_eq!(words(b"a\rb c"), vec![&b"a\rb"[..], b"c"]);
        assert!(words(b"   ").is_empty());
    }
}
