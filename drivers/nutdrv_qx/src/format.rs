//! A printf for one argument: the `dfl` formats of the protocol tables (`%s`, `%.1f`, `%03d`,
//! `%04.1f`, `%x`...) with text before and after the conversion. Pure; a format it does not
//! understand gives `None` (the item then fails, as NUT refuses an incompatible format).

/// The argument.
#[derive(Debug, Clone, Copy)]
pub enum Arg<'a> {
    /// A number (for `%f`, `%d`, `%x`...: integer conversions truncate).
    Num(f64),
    /// A string (for `%s`; a number conversion parses it).
    Str(&'a str),
}

/// Format `arg` with `fmt`. `%%` is a literal percent sign.
pub fn format(fmt: &str, arg: Arg<'_>) -> Option<String> {
    let b = fmt.as_bytes();
    let mut out = String::new();
    let mut used = false;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c != b'%' {
            let ch = fmt[i..].chars().next()?;
            out.push(ch);
            i += ch.len_utf8();
            continue;
        }
        i += 1;
        if b.get(i) == Some(&b'%') {
            out.push('%');
            i += 1;
            continue;
        }
        if used {
            return None;
        }
        used = true;
        let (mut left, mut zero, mut plus, mut space, mut alt) = (false, false, false, false, false);
        while let Some(&f) = b.get(i) {
            match f {
                b'-' => left = true,
                b'0' => zero = true,
                b'+' => plus = true,
                b' ' => space = true,
                b'#' => alt = true,
                _ => break,
            }
            i += 1;
        }
        let mut width = 0usize;
        while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            width = width.checked_mul(10)?.checked_add(usize::from(d - b'0'))?;
            i += 1;
        }
        let mut prec: Option<usize> = None;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let mut p = 0usize;
            while let Some(d) = b.get(i).filter(|d| d.is_ascii_digit()) {
                p = p.checked_mul(10)?.checked_add(usize::from(d - b'0'))?;
                i += 1;
            }
            prec = Some(p);
        }
        // Length modifiers are accepted and ignored.
        while matches!(b.get(i), Some(b'l' | b'h' | b'L' | b'z' | b'j')) {
            i += 1;
        }
        let conv = *b.get(i)?;
        i += 1;
        if width > 512 || prec.is_some_and(|p| p > 64) {
            return None;
        }
        let num = |a: Arg<'_>| -> f64 {
            match a {
                Arg::Num(n) => n,
                Arg::Str(s) => parse_leading_f64(s),
            }
        };
        let (sign_ok, body) = match conv {
            b's' => {
                let s = match arg {
                    Arg::Str(s) => s.to_string(),
                    Arg::Num(n) => format!("{n}"),
                };
                let s = match prec {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                };
                (false, s)
            }
            b'c' => match arg {
                Arg::Str(s) => (false, s.chars().next().map(String::from).unwrap_or_default()),
                Arg::Num(n) => (false, char::from_u32(n as u32).map(String::from).unwrap_or_default()),
            },
            b'f' | b'F' => {
                let v = num(arg);
                (true, format!("{:.*}", prec.unwrap_or(6), v))
            }
            b'e' | b'E' => {
                let v = num(arg);
                let s = c_exp(v, prec.unwrap_or(6));
                (true, if conv == b'E' { s.to_uppercase() } else { s })
            }
            b'g' | b'G' => {
                let v = num(arg);
                (true, c_g(v, prec.unwrap_or(6), alt))
            }
            b'd' | b'i' | b'u' => {
                let v = num(arg).trunc();
                let mut s = format!("{:.0}", v.abs());
                if let Some(p) = prec {
                    while s.len() < p {
                        s.insert(0, '0');
                    }
                }
                if v < 0.0 {
                    s.insert(0, '-');
                }
                (true, s)
            }
            b'x' | b'X' | b'o' => {
                let v = num(arg).trunc();
                if v < 0.0 || v > u64::MAX as f64 {
                    return None;
                }
                let v = v as u64;
                let s = match conv {
                    b'x' => format!("{v:x}"),
                    b'X' => format!("{v:X}"),
                    _ => format!("{v:o}"),
                };
                (false, s)
            }
            _ => return None,
        };
        let mut body = body;
        if sign_ok && !body.starts_with('-') {
            if plus {
                body.insert(0, '+');
            } else if space {
                body.insert(0, ' ');
            }
        }
        let len = body.chars().count();
        if len < width {
            let pad = width - len;
            if left {
                body.push_str(&" ".repeat(pad));
            } else if zero
                && conv != b's'
                && conv != b'c'
                && !(prec.is_some() && matches!(conv, b'd' | b'i' | b'u'))
            {
                let at = usize::from(body.starts_with(['-', '+', ' ']));
                body.insert_str(at, &"0".repeat(pad));
            } else {
                body.insert_str(0, &" ".repeat(pad));
            }
        }
        out.push_str(&body);
    }
    Some(out)
}

/// `strtod`: the longest numeric prefix (after blanks), 0 when none.
pub fn parse_leading_f64(s: &str) -> f64 {
    let t = s.trim_start();
    let b = t.as_bytes();
    let mut end = 0;
    let mut seen_digit = false;
    let mut seen_dot = false;
    if matches!(b.first(), Some(b'+' | b'-')) {
        end = 1;
    }
    while let Some(&c) = b.get(end) {
        if c.is_ascii_digit() {
            seen_digit = true;
        } else if c == b'.' && !seen_dot {
            seen_dot = true;
        } else {
            break;
        }
        end += 1;
    }
    if !seen_digit {
        return 0.0;
    }
    // Optional exponent.
    let mut e = end;
    if matches!(b.get(e), Some(b'e' | b'E')) {
        e += 1;
        if matches!(b.get(e), Some(b'+' | b'-')) {
            e += 1;
        }
        let start = e;
        while b.get(e).is_some_and(u8::is_ascii_digit) {
            e += 1;
        }
        if e > start {
            end = e;
        }
    }
    t[..end].parse().unwrap_or(0.0)
}

/// `strtol` base 10: the longest integer prefix, 0 when none.
pub fn parse_leading_i64(s: &str) -> i64 {
    let t = s.trim_start();
    let b = t.as_bytes();
    let mut end = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    while b.get(end).is_some_and(u8::is_ascii_digit) {
        end += 1;
    }
    t[..end].parse().unwrap_or(0)
}

fn c_exp(v: f64, prec: usize) -> String {
    let s = format!("{:.*e}", prec, v);
    // Rust writes 1.5e2; C writes 1.5e+02.
    match s.split_once('e') {
        Some((m, e)) => {
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', e),
            };
            format!("{m}e{sign}{digits:0>2}")
        }
        None => s,
    }
}

fn c_g(v: f64, prec: usize, alt: bool) -> String {
    let p = if prec == 0 { 1 } else { prec };
    if v == 0.0 {
        return "0".into();
    }
    // C's rule: X is the exponent %e would print at precision P-1 (after rounding, so 9.9996
    // at P=4 has X=1); P > X >= -4 gives %f with precision P-1-X, anything else %e.
    let e_form = format!("{:.*e}", p - 1, v);
    let exp: i32 = e_form.split_once('e').and_then(|(_, x)| x.parse().ok()).unwrap_or(0);
    let s = if exp < -4 || exp >= p as i32 {
        c_exp(v, p - 1)
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        format!("{:.*}", decimals, v)
    };
    if alt {
        return s;
    }
    // Strip trailing zeros of the fraction.
    match s.split_once('e') {
        Some((m, e)) => format!("{}e{e}", strip_zeros(m)),
        None => strip_zeros(&s).to_string(),
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_formats() {
        let f = |fmt: &str, v: f64| format(fmt, Arg::Num(v));
        assert_eq!(f("%.1f", 215.04).as_deref(), Some("215.0"));
        assert_eq!(f("%.0f", 14.5).as_deref(), Some("14"));
        assert_eq!(f("%03.0f", 5.0).as_deref(), Some("005"));
        assert_eq!(f("%03d", 7.9).as_deref(), Some("007"));
        assert_eq!(f("%.2d", 3.0).as_deref(), Some("03"));
        assert_eq!(f("S%02d", 3.0).as_deref(), Some("S03"));
        assert_eq!(f("%x", 255.0).as_deref(), Some("ff"));
        assert_eq!(f("%g", 0.5).as_deref(), Some("0.5"));
        // printf's %g picks the style after rounding to the precision (glibc's output).
        assert_eq!(f("%.4g", 9.9996).as_deref(), Some("10"));
        assert_eq!(f("%.3g", 999.6).as_deref(), Some("1e+03"));
        assert_eq!(f("%g", 1000.0).as_deref(), Some("1000"));
        assert_eq!(f("%g", 0.0001).as_deref(), Some("0.0001"));
        assert_eq!(f("%g", 0.00001).as_deref(), Some("1e-05"));
        assert_eq!(f("%g", 123456789.0).as_deref(), Some("1.23457e+08"));
        assert_eq!(f("%5.1f%%", 2.25).as_deref(), Some("  2.2%"));
        assert_eq!(format("%s\r", Arg::Str("ab")).as_deref(), Some("ab\r"));
        assert_eq!(format("%s %s", Arg::Str("x")), None);
        assert_eq!(format("%q", Arg::Str("x")), None);
        assert_eq!(format("%99999999999999999999d", Arg::Num(1.0)), None);
    }

    #[test]
    fn strtod_like() {
        assert_eq!(parse_leading_f64(" 12.5V"), 12.5);
        assert_eq!(parse_leading_f64("abc"), 0.0);
        assert_eq!(parse_leading_f64("1e3x"), 1000.0);
        assert_eq!(parse_leading_i64("-42z"), -42);
        assert_eq!(parse_leading_i64(""), 0);
    }
}
