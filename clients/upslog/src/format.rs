//! upslog's format strings: parsing the `%...%` escapes (pure) and expanding them.
//!
//! Parsing follows NUT 2.8.5's `compile_format`: `%%` is a percent sign, `%t` a TAB (2.8.5),
//! and `%<cmd>[ <arg>]%` an escape whose command is matched case-insensitively by prefix in
//! the order HOST, UPSHOST, PID, TIME, VAR, ETIME (so `%hostname%` is `%HOST%`):
//! `%VAR name%` a UPS variable (`NA` when unavailable; `INVALID` without a name or when the
//! name has no dot), `%TIME fmt%` the local time through strftime with `@` standing for `%`,
//! `%HOST%` the local host name, `%UPSHOST%` the `ups@host` being logged, `%PID%` our PID and
//! `%ETIME%` the Unix time. Any other escape, and a `%` without a closing one, expands to
//! `INVALID` (for the latter, the text after the `%` follows as literal text). One
//! difference: `%TIME%` without a format expands to `INVALID` where NUT crashes.

/// NUT's default format.
pub const DEFAULT_FORMAT: &str = "%TIME @Y@m@d @H@M@S% %VAR battery.charge% %VAR input.voltage% %VAR ups.load% [%VAR ups.status%] %VAR ups.temperature% %VAR input.frequency%";

/// One piece of a parsed format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text copied as is.
    Lit(String),
    /// `%TIME fmt%`, with `@` already turned into `%` for strftime.
    Time(String),
    /// `%VAR name%`.
    Var(String),
    /// `%HOST%`.
    Host,
    /// `%UPSHOST%`.
    UpsHost,
    /// `%PID%`.
    Pid,
    /// `%ETIME%`.
    ETime,
    /// Any other escape.
    Invalid,
}

/// Split a format string into pieces. Never fails.
pub fn parse(fmt: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut i = 0;
    while let Some(c) = fmt[i..].chars().next() {
        if c != '%' {
            lit.push(c);
            i += c.len_utf8();
            continue;
        }
        let rest = &fmt[i + 1..];
        if rest.starts_with('%') {
            lit.push('%');
            i += 2;
            continue;
        }
        if rest.starts_with('t') {
            lit.push('\t');
            i += 2;
            continue;
        }
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        match rest.find('%') {
            // No closing '%': INVALID, and what follows is read again as text.
            None => {
                out.push(Piece::Invalid);
                i += 1;
            }
            Some(j) => {
                out.push(escape(&rest[..j]));
                i += j + 2;
            }
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    out
}

/// One `%cmd[ arg]%` escape (without the percent signs).
fn escape(esc: &str) -> Piece {
    let (cmd, arg) = match esc.split_once(' ') {
        Some((c, a)) => (c, Some(a)),
        None => (esc, None),
    };
    let is = |name: &str| cmd.get(..name.len()).is_some_and(|p| p.eq_ignore_ascii_case(name));
    if is("HOST") {
        Piece::Host
    } else if is("UPSHOST") {
        Piece::UpsHost
    } else if is("PID") {
        Piece::Pid
    } else if is("TIME") {
        arg.map_or(Piece::Invalid, |f| Piece::Time(f.replace('@', "%")))
    } else if is("VAR") {
        match arg {
            Some(v) if v.contains('.') => Piece::Var(v.to_string()),
            _ => Piece::Invalid,
        }
    } else if is("ETIME") {
        Piece::ETime
    } else {
        Piece::Invalid
    }
}

/// What the pieces are expanded with; `var` returns `None` for an unavailable variable.
pub struct Context<'a> {
    /// Local host name.
    pub host: &'a str,
    /// The `ups@host[:port]` as given on the command line.
    pub upshost: &'a str,
    /// Our process id.
    pub pid: u32,
    /// Unix time of this line.
    pub now: i64,
    /// strftime over `now` in local time.
    pub strftime: &'a dyn Fn(&str) -> String,
    /// Variable lookup.
    pub var: &'a mut dyn FnMut(&str) -> Option<String>,
}

/// Expand pieces into one log line (without the newline).
pub fn expand(pieces: &[Piece], cx: &mut Context<'_>) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Lit(t) => s.push_str(t),
            Piece::Time(f) => s.push_str(&(cx.strftime)(f)),
            Piece::Var(v) => s.push_str(&(cx.var)(v).unwrap_or_else(|| "NA".into())),
            Piece::Host => s.push_str(cx.host),
            Piece::UpsHost => s.push_str(cx.upshost),
            Piece::Pid => s.push_str(&cx.pid.to_string()),
            Piece::ETime => s.push_str(&cx.now.to_string()),
            Piece::Invalid => s.push_str("INVALID"),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_format_pieces() {
        let p = parse(DEFAULT_FORMAT);
        assert_eq!(p[0], Piece::Time("%Y%m%d %H%M%S".into()));
        assert_eq!(p[2], Piece::Var("battery.charge".into()));
        assert!(p.contains(&Piece::Lit(" [".into())));
    }

    #[test]
    fn expansion() {
        let p =
            parse("%UPSHOST% %HOST% %PID% %ETIME% %TIME @H:@M% %VAR ups.status% %VAR nope.x% %% %FOO% x%t.");
        let mut var = |v: &str| (v == "ups.status").then(|| "OL CHRG".to_string());
        let tf = |f: &str| format!("<{f}>");
        let mut cx = Context {
            host: "vm",
            upshost: "ups1@h:1",
            pid: 42,
            now: 1700000000,
            strftime: &tf,
            var: &mut var,
        };
        assert_eq!(expand(&p, &mut cx), "ups1@h:1 vm 42 1700000000 <%H:%M> OL CHRG NA % INVALID x\t.");
    }

    #[test]
    fn odd_formats_do_not_panic() {
        assert_eq!(parse("%"), vec![Piece::Invalid]);
        assert_eq!(parse("a%b"), vec![Piece::Lit("a".into()), Piece::Invalid, Piece::Lit("b".into())]);
        assert_eq!(parse("%TIME%"), vec![Piece::Invalid]);
        assert_eq!(parse("%VAR%|a"), vec![Piece::Invalid, Piece::Lit("|a".into())]);
        assert_eq!(parse(""), vec![]);
        assert_eq!(parse("é%%ü"), vec![Piece::Lit("é%ü".into())]);
    }

    #[test]
    fn nut_matching_rules() {
        // Commands match case-insensitively by prefix, HOST before UPSHOST.
        assert_eq!(parse("%hostname%"), vec![Piece::Host]);
        assert_eq!(parse("%UpsHost%"), vec![Piece::UpsHost]);
        assert_eq!(parse("%PIDS%"), vec![Piece::Pid]);
        assert_eq!(parse("%variable ups.load%"), vec![Piece::Var("ups.load".into())]);
        assert_eq!(parse("%TIMESTAMP @H%"), vec![Piece::Time("%H".into())]);
        assert_eq!(parse("%P%"), vec![Piece::Invalid]);
        // A variable needs a dotted name; the argument is kept as given.
        assert_eq!(parse("%VAR status%"), vec![Piece::Invalid]);
        assert_eq!(parse("%VAR  ups.load%"), vec![Piece::Var(" ups.load".into())]);
        // %t is a TAB (NUT 2.8.5), also inside text and before an escape.
        assert_eq!(parse("a%tb%t%PID%"), vec![Piece::Lit("a\tb\t".into()), Piece::Pid]);
        assert_eq!(
            parse("%UPSHOST%%t%VAR ups.status%"),
            vec![Piece::UpsHost, Piece::Lit("\t".into()), Piece::Var("ups.status".into())]
        );
    }
}
