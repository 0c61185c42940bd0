//! Quoted byte strings of the description format and of the event lines: `"Q1\r"`,
//! `"#\x6C\x01 \x35\r"`. Escapes: `\r`, `\n`, `\t`, `\0`, `\\`, `\"`, `\xNN`; every other
//! byte stands for itself (UTF-8 text is kept as its bytes).

use thiserror::Error;

/// Why a quoted string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EscapeError {
    #[error("expected a quoted string (\"...\")")]
    NotQuoted,
    #[error("unterminated quoted string")]
    Unterminated,
    #[error("unknown escape \\{0}")]
    UnknownEscape(char),
    #[error("\\x needs two hex digits")]
    BadHex,
}

/// Read one quoted string at the start of `s` (leading blanks skipped). Returns the bytes and
/// the rest of `s` after the closing quote.
pub fn parse_quoted(s: &str) -> Result<(Vec<u8>, &str), EscapeError> {
    let s = s.trim_start();
    let body = s.strip_prefix('"').ok_or(EscapeError::NotQuoted)?;
    let bytes = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Ok((out, &body[i + 1..])),
            b'\\' => {
                let Some(&e) = bytes.get(i + 1) else { return Err(EscapeError::Unterminated) };
                i += 2;
                match e {
                    b'r' => out.push(b'\r'),
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'0' => out.push(0),
                    b'\\' => out.push(b'\\'),
                    b'"' => out.push(b'"'),
                    b'x' => {
                        let hex = bytes.get(i..i + 2).ok_or(EscapeError::BadHex)?;
                        let hex = std::str::from_utf8(hex).map_err(|_| EscapeError::BadHex)?;
                        let v = u8::from_str_radix(hex, 16).map_err(|_| EscapeError::BadHex)?;
                        out.push(v);
                        i += 2;
                    }
                    other => {
                        let c = body[i - 1..].chars().next().unwrap_or(other as char);
                        return Err(EscapeError::UnknownEscape(c));
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Err(EscapeError::Unterminated)
}

/// Quote `bytes` so that [`parse_quoted`] gives them back: printable ASCII as is, `\r`, `\n`,
/// `\t`, `\\`, `\"` named, every other byte as `\xNN`.
pub fn quote(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('"');
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02X}")),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_byte() {
        let all: Vec<u8> = (0..=255u8).collect();
        let q = quote(&all);
        let (back, rest) = parse_quoted(&q).unwrap();
        assert_eq!(back, all);
        assert_eq!(rest, "");
    }

    #[test]
    fn escapes_and_rest() {
        let (b, rest) = parse_quoted(r#"  "Q1\r\x6c\"x" -> none"#).unwrap();
        assert_eq!(b, b"Q1\r\x6c\"x");
        assert_eq!(rest, " -> none");
    }

    #[test]
    fn errors() {
        assert_eq!(parse_quoted("Q1"), Err(EscapeError::NotQuoted));
        assert_eq!(parse_quoted("\"Q1"), Err(EscapeError::Unterminated));
        assert_eq!(parse_quoted("\"\\q\""), Err(EscapeError::UnknownEscape('q')));
        assert_eq!(parse_quoted("\"\\x4\""), Err(EscapeError::BadHex));
        assert_eq!(parse_quoted("\"\\"), Err(EscapeError::Unterminated));
    }
}
