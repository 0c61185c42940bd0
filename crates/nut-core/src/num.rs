//! Numbers read the way NUT's C code reads them.
//!
//! NUT parses many numbers with C's `atoi`, which never fails: it takes an optional sign and
//! the leading digits and ignores the rest (`"230.5"` is 230, `"abc"` is 0). Where our
//! programs must accept exactly what NUT accepts (`upsrw` ranges, `upslog -i`, `TIMER` in
//! dummy-ups files, upsd's checks on `SET VAR`), they use [`atoi`].

/// C's `atoi`: leading white space, an optional sign, then the leading digits; 0 when there
/// are none. Values too large for an `i64` saturate (glibc's `strtol` does the same).
pub fn atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::atoi;

    #[test]
    fn atoi_like_c() {
        assert_eq!(atoi("30.5"), 30);
        assert_eq!(atoi("230.5"), 230);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(""), 0);
        assert_eq!(atoi(" -7x"), -7);
        assert_eq!(atoi(" -5x"), -5);
        assert_eq!(atoi("+12"), 12);
        assert_eq!(atoi("-"), 0);
        assert_eq!(atoi("99999999999999999999999"), i64::MAX);
    }
}
