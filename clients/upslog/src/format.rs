//! upslog's format strings: parsing the `%...%` escapes (pure) and expanding them.
//!
//! Escapes, as in NUT: `%%` is a percent sign, `%VAR name%` a UPS variable (`NA` when
//! unavailable), `%TIME fmt%` the local time through strftime with `@` standing for `%`,
//! `%HOST%` the local host name, `%UPSHOST%` the `ups@host` being logged, `%PID%` our PID
//! and `%ETIME%` the Unix time. Any other escape expands to `INVALID`.

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

/// Split a format string into pieces. Never fails: an unterminated `%` is kept as text
/// (NUT crashes there).
pub fn parse(fmt: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut rest = fmt;
    while let Some(i) = rest.find('%') {
        lit.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(j) = after.find('%') else {
            lit.push_str(&rest[i..]);
            rest = "";
            break;
        };
        let esc = &after[..j];
        rest = &after[j + 1..];
        if esc.is_empty() {
            lit.push('%');
            continue;
        }
        if !lit.is_empty() {
            out.push(Piece::Lit(std::mem::take(&mut lit)));
        }
        out.push(escape(esc));
    }
    lit.push_str(rest);
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    out
}

fn escape(esc: &str) -> Piece {
    if let Some(f) = esc.strip_prefix("TIME ") {
        return Piece::Time(f.replace('@', "%"));
    }
    if let Some(v) = esc.strip_prefix("VAR ") {
        return Piece::Var(v.trim().to_string());
    }
    match esc {
        "HOST" => Piece::Host,
        "UPSHOST" => Piece::UpsHost,
        "PID" => Piece::Pid,
        "ETIME" => Piece::ETime,
        _ => Piece::Invalid,
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
            parse("%UPSHOST% %HOST% %PID% %ETIME% %TIME @H:@M% %VAR ups.status% %VAR nope.x% %% %FOO% x%");
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
        assert_eq!(expand(&p, &mut cx), "ups1@h:1 vm 42 1700000000 <%H:%M> OL CHRG NA % INVALID x%");
    }

    #[test]
    fn odd_formats_do_not_panic() {
        assert_eq!(parse("%"), vec![Piece::Lit("%".into())]);
        assert_eq!(parse("%TIME%"), vec![Piece::Invalid]);
        assert_eq!(parse("%VAR%|a"), vec![Piece::Invalid, Piece::Lit("|a".into())]);
        assert_eq!(parse(""), vec![]);
    }
}
