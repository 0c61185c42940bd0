//! C library number parsing as NUT's drivers use it (`strtol`, `strtod`, `strtok`), pure.

/// `strtol(s, NULL, 10)`: leading blanks, a sign, the digits that follow; 0 without any;
/// saturating like glibc.
pub fn strtol(s: &[u8]) -> i64 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let neg = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut v: i64 = 0;
    while let Some(d) = s.get(i).filter(|c| c.is_ascii_digit()) {
        let d = i64::from(d - b'0');
        v = if neg { v.saturating_mul(10).saturating_sub(d) } else { v.saturating_mul(10).saturating_add(d) };
        i += 1;
    }
    v
}

/// `strtod(s, NULL)` for decimal numbers: leading blanks, a sign, digits with one point, an
/// exponent; 0.0 without any digit.
pub fn strtod(s: &[u8]) -> f64 {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let start = i;
    if matches!(s.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let mut digits = 0;
    while s.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
        digits += 1;
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return 0.0;
    }
    let mut end = i;
    if matches!(s.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(s.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        if s.get(j).is_some_and(u8::is_ascii_digit) {
            while s.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            end = j;
        }
    }
    std::str::from_utf8(&s[start..end]).ok().and_then(|t| t.parse::<f64>().ok()).unwrap_or(0.0)
}

/// `strtok` over a C string: the bytes up to the first NUL, split at any of `delims`, empty
/// pieces skipped.
pub fn strtok<'a>(s: &'a [u8], delims: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let s = s.split(|&b| b == 0).next().unwrap_or_default();
    s.split(move |b| delims.contains(b)).filter(|t| !t.is_empty())
}

/// NUT's `str_rtrim(s, ' ')`.
pub fn rtrim_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().rposition(|&b| b != b' ').map_or(0, |p| p + 1);
    &s[..n]
}

/// Bytes as a published string (up to a NUL, as C sees it; invalid UTF-8 replaced).
pub fn text(s: &[u8]) -> String {
    String::from_utf8_lossy(s.split(|&b| b == 0).next().unwrap_or_default()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_as_the_c_library_does() {
        assert_eq!(strtol(b" 042x"), 42);
        assert_eq!(strtol(b"-7"), -7);
        assert_eq!(strtol(b"x"), 0);
        assert_eq!(strtol(b"99999999999999999999999"), i64::MAX);
        assert_eq!(strtod(b"12.0,"), 12.0);
        assert_eq!(strtod(b"008.0"), 8.0);
        assert_eq!(strtod(b"1e2x"), 100.0);
        assert_eq!(strtod(b"1e"), 1.0);
        assert_eq!(strtod(b".5"), 0.5);
        assert_eq!(strtod(b"."), 0.0);
        assert_eq!(strtod(b""), 0.0);
    }

    #[test]
    fn strtok_skips_empty_pieces_and_stops_at_nul() {
        let t: Vec<&[u8]> = strtok(b",a,,b,\0c", b",").collect();
        assert_eq!(t, [b"a".as_slice(), b"b".as_slice()]);
        assert_eq!(rtrim_spaces(b"BC1200   "), b"BC1200");
        assert_eq!(rtrim_spaces(b"   "), b"");
    }
}
