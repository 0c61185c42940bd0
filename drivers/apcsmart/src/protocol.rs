//! Pure functions over the Smart protocol's bytes: assembling a reply (the UPS ends it with
//! CR LF and may mix alert characters into it), the command set `a`, the capability string
//! `^Z`, the status register, value conversion and the option formats of apcsmart(8).
//! No I/O: [`crate::session`] does the exchanges.

use crate::tables::{self, Check, Fmt, VarDef};

/// Longest reply kept (NUT's 512-byte buffer, less its terminating NUL).
pub const MAX_REPLY: usize = 511;

/// What the reader does with the characters that are not part of a reply value. The sets
/// are NUT's: which bytes are dropped, which are alerts, and whether `*` (the UPS saying it
/// is about to turn off) answers a shutdown command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Ordinary reads: CR, `|`, `&` and every alert character are dropped.
    Plain,
    /// Polls: CR, `|`, `&` dropped; alert characters act on the status.
    AlertAware,
    /// The capability answer: CR, `|`, `&`, `$`, `!`, `%`, `+`, `?`, `=` dropped (`#` is
    /// part of the answer).
    Caps,
    /// The command set answer: only CR is dropped (alert characters are its second field).
    CmdSet,
    /// Answer to a shutdown command: as [`Mode::Plain`], and `*` counts as `OK`.
    Shutdown,
}

const IGN_AA: &[u8] = b"\r|&";
const ALERT_CHARS: &[u8] = b"$!%+#?=";
const IGN_CC: &[u8] = b"\r|&$!%+?=";

impl Mode {
    fn ignores(self, b: u8) -> bool {
        match self {
            Mode::Plain | Mode::Shutdown => IGN_AA.contains(&b) || ALERT_CHARS.contains(&b),
            Mode::AlertAware => IGN_AA.contains(&b),
            Mode::Caps => IGN_CC.contains(&b),
            Mode::CmdSet => b == b'\r',
        }
    }

    fn alert(self, b: u8) -> bool {
        self == Mode::AlertAware && ALERT_CHARS.contains(&b)
    }
}

/// What one received byte means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feed {
    /// Part of the reply (or dropped): read on.
    More,
    /// An alert character: apply it, read on.
    Alert(u8),
    /// The reply is complete (LF received).
    Line(Vec<u8>),
    /// `*` while waiting for a shutdown answer: taken as `OK`.
    Star,
    /// More than [`MAX_REPLY`] bytes without LF.
    Overflow,
}

/// Assembles one reply from the bytes received.
#[derive(Debug, Clone, Default)]
pub struct Reader {
    buf: Vec<u8>,
}

impl Reader {
    /// A reader with nothing received.
    pub fn new() -> Reader {
        Reader::default()
    }

    /// Whether part of a reply has been received.
    pub fn partial(&self) -> bool {
        !self.buf.is_empty()
    }

    /// Forget a partial reply.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Take one byte.
    pub fn feed(&mut self, b: u8, mode: Mode) -> Feed {
        if b == b'\n' {
            return Feed::Line(std::mem::take(&mut self.buf));
        }
        if b == b'*' {
            if mode == Mode::Shutdown {
                self.buf.clear();
                return Feed::Star;
            }
            return Feed::More;
        }
        if mode.ignores(b) {
            return Feed::More;
        }
        if mode.alert(b) {
            return Feed::Alert(b);
        }
        if self.buf.len() >= MAX_REPLY {
            self.buf.clear();
            return Feed::Overflow;
        }
        self.buf.push(b);
        Feed::More
    }
}

/// Every complete reply and alert in `bytes` (for tests and fuzzing: the session feeds
/// bytes as they arrive).
pub fn split_replies(bytes: &[u8], mode: Mode) -> (Vec<Vec<u8>>, Vec<u8>) {
    let mut r = Reader::new();
    let (mut lines, mut alerts) = (Vec::new(), Vec::new());
    for &b in bytes {
        match r.feed(b, mode) {
            Feed::Line(l) => lines.push(l),
            Feed::Alert(a) => alerts.push(a),
            Feed::Star => lines.push(b"OK".to_vec()),
            Feed::More | Feed::Overflow => {}
        }
    }
    (lines, alerts)
}

/// A reply as text, one char per byte (ISO 8859-1), so that [`bytes`] gives the bytes back.
/// NUT handles replies as C strings: a NUL byte ends them.
pub fn text(reply: &[u8]) -> String {
    let end = reply.iter().position(|&b| b == 0).unwrap_or(reply.len());
    reply[..end].iter().map(|&b| char::from(b)).collect()
}

/// The bytes of a reply made by [`text`].
pub fn bytes(text: &str) -> Vec<u8> {
    text.chars().map(|c| u32::from(c).min(0xff) as u8).collect()
}

/// Apply an alert character to the status register.
pub fn apply_alert(status: u8, alert: u8) -> u8 {
    match tables::ALERTS.iter().find(|(c, _, _)| *c == alert) {
        Some(&(_, set, clear)) => (status & !clear) | set,
        None => status,
    }
}

/// The status tokens of a status register value (`OFF` when no bit is set).
pub fn status_tokens(status: u8) -> Vec<&'static str> {
    if status == 0 {
        return vec!["OFF"];
    }
    tables::STATUS_BITS.iter().filter(|(bit, _)| status & bit != 0).map(|&(_, t)| t).collect()
}

/// The `Q` answer: two hexadecimal digits. NUT takes whatever `strtol` makes of the answer
/// (0, i.e. `OFF`, for garbage); we refuse an answer that is not hexadecimal, so a corrupted
/// reply is a failed read rather than a false status.
pub fn parse_status(reply: &str) -> Option<u8> {
    let s = reply.trim();
    if s.is_empty() || s.len() > 8 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(s, 16).ok().map(|v| (v & 0xff) as u8)
}

/// C's `strtol(s, NULL, 10)`: leading blanks, a sign, digits; 0 when there are none.
pub fn leading_int(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut n: i64 = 0;
    for b in rest.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

/// A raw value as NUT publishes it.
pub fn convert(fmt: Fmt, raw: &str) -> String {
    match fmt {
        Fmt::Leave => raw.to_string(),
        Fmt::Minutes => leading_int(raw).saturating_mul(60).to_string(),
        Fmt::Hours => leading_int(raw).saturating_mul(3600).to_string(),
        Fmt::Reason => match raw.as_bytes().first() {
            Some(b'R') => "unacceptable utility voltage rate of change".into(),
            Some(b'H') => "high utility voltage".into(),
            Some(b'L') => "low utility voltage".into(),
            Some(b'T') => "line voltage notch or spike".into(),
            Some(b'O') => "no transfers yet since turnon".into(),
            Some(b'S') => "simulated power failure or UPS test".into(),
            _ => raw.to_string(),
        },
    }
}

fn digits(s: &str, lo: usize, hi: usize) -> bool {
    (lo..=hi).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a raw answer passes a variable's format check.
pub fn check(c: Check, raw: &str) -> bool {
    match c {
        Check::Any => true,
        Check::Temp2 => {
            raw.len() == 5 && raw.as_bytes()[2] == b'.' && digits(&raw[..2], 2, 2) && digits(&raw[3..], 2, 2)
        }
        Check::Uptime => {
            raw.len() == 5 && raw.as_bytes()[3] == b'.' && digits(&raw[..3], 3, 3) && digits(&raw[4..], 1, 1)
        }
        Check::Firmware3 => {
            let parts: Vec<&str> = raw.split('.').collect();
            parts.len() == 3
                && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
        }
    }
}

/// The values of a packed answer (`12.34,NO`): at most [`tables::PACK_MAX`] fields, an
/// empty field as `N/A`; true when fields were left out.
pub fn split_packed(raw: &str, fmt: Fmt) -> (Vec<String>, bool) {
    let fields: Vec<&str> = raw.split(',').collect();
    let over = fields.len() > tables::PACK_MAX;
    let vals = fields
        .iter()
        .take(tables::PACK_MAX)
        .map(|f| if f.is_empty() { "N/A".to_string() } else { convert(fmt, f) })
        .collect();
    (vals, over)
}

/// The name of field `i` (from 0) of a packed variable: `ambient.0.x` gives `ambient.1.x`.
pub fn packed_name(def: &VarDef, i: usize) -> String {
    def.name.replacen(".0.", &format!(".{}.", i + 1), 1)
}

/// The command set (`a`): `protocol.alerts.commands[.extensions]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CmdSet {
    /// The command bytes the UPS takes.
    pub cmds: Vec<u8>,
    /// Two-byte commands (prefix, second byte) announced in the fourth field.
    pub dual: Vec<(u8, u8)>,
}

/// Parse the `a` answer; `None` when it does not have NUT's shape
/// (`^[0-9]\.[^.]*\.[^.]+(\.[^.]+)?$`): the UPS is then an old one.
pub fn parse_cmdset(reply: &[u8]) -> Option<CmdSet> {
    let end = reply.iter().position(|&b| b == 0).unwrap_or(reply.len());
    let r = &reply[..end];
    if r.len() < 2 || !r[0].is_ascii_digit() || r[1] != b'.' {
        return None;
    }
    let fields: Vec<&[u8]> = r[2..].split(|&b| b == b'.').collect();
    match fields.len() {
        2 if !fields[1].is_empty() => {}
        3 if !fields[1].is_empty() && !fields[2].is_empty() => {}
        _ => return None,
    }
    let mut set = CmdSet { cmds: fields[1].to_vec(), dual: Vec::new() };
    if let Some(tail) = fields.get(2) {
        let mut prefix = None;
        for (j, &b) in tail.iter().enumerate() {
            if tail.get(j + 1) == Some(&b':') {
                prefix = Some(b);
                continue;
            }
            if b == b':' {
                continue;
            }
            if let Some(p) = prefix {
                set.dual.push((p, b));
            }
        }
    }
    Some(set)
}

/// One group of the capability string: the values command `cmd` takes in locale `loc`
/// (`4` = every locale).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapEntry {
    /// Command byte.
    pub cmd: u8,
    /// Locale character.
    pub loc: u8,
    /// Raw values.
    pub values: Vec<String>,
}

/// The capability string ran past its end (NUT stops with "capability string has
/// overflowed" unless the firmware is known to do this).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapsOverflow;

/// Why a capability string was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapsError {
    /// It does not start with `#`.
    BadStart(u8),
}

/// Parse the `^Z` answer: `#` then groups of command, locale, count (`'0'`-based), field
/// length and the values; Matrix-UPS units put `##` before every group. Returns the groups
/// read, and [`CapsOverflow`] when the string ended inside a group header.
pub fn parse_caps(reply: &[u8]) -> Result<(Vec<CapEntry>, Option<CapsOverflow>), CapsError> {
    let end = reply.iter().position(|&b| b == 0).unwrap_or(reply.len());
    let r = &reply[..end];
    let at = |i: usize| r.get(i).copied().unwrap_or(0);
    if at(0) != b'#' {
        return Err(CapsError::BadStart(at(0)));
    }
    let matrix = at(1) == b'#';
    let mut p = if matrix { 0 } else { 1 };
    let mut out = Vec::new();
    while at(p) != 0 {
        if matrix {
            p += 2;
        }
        if p >= r.len() {
            return Ok((out, Some(CapsOverflow)));
        }
        let (cmd, loc, n, l) = (at(p), at(p + 1), at(p + 2), at(p + 3));
        let (n, l) =
            if n < b'0' || l < b'0' { (0, 0) } else { (usize::from(n - b'0'), usize::from(l - b'0')) };
        let mut e = p + 4;
        let mut values = Vec::with_capacity(n);
        for _ in 0..n {
            let lo = e.min(r.len());
            let hi = (e + l).min(r.len());
            values.push(String::from_utf8_lossy(&r[lo..hi]).into_owned());
            e += l;
        }
        out.push(CapEntry { cmd, loc, values });
        p = e;
    }
    Ok((out, None))
}

/// `awd`: one to three digits.
pub fn valid_awd(s: &str) -> bool {
    digits(s, 1, 3)
}

/// `sdtype`: one digit 0 to 5.
pub fn valid_sdtype(s: &str) -> bool {
    s.len() == 1 && (b'0'..=b'5').contains(&s.as_bytes()[0])
}

/// `advorder`: `no`, or one to five digits 0 to 4.
pub fn valid_advorder(s: &str) -> bool {
    s.eq_ignore_ascii_case("no")
        || ((1..=5).contains(&s.len()) && s.bytes().all(|b| (b'0'..=b'4').contains(&b)))
}

/// `cshdelay`: 0 to 9.9 seconds, one decimal at most (`^([0-9]\.?|[0-9]?\.[0-9])$`).
pub fn valid_cshdelay(s: &str) -> bool {
    let b = s.as_bytes();
    match b.len() {
        1 => b[0].is_ascii_digit(),
        2 => (b[0].is_ascii_digit() && b[1] == b'.') || (b[0] == b'.' && b[1].is_ascii_digit()),
        3 => b[0].is_ascii_digit() && b[1] == b'.' && b[2].is_ascii_digit(),
        _ => false,
    }
}

/// The bytes of the hard hibernate command for an `awd` value: `@` and three digits, or
/// two when exactly two are given.
pub fn at_command(awd: &str) -> Vec<u8> {
    let width: usize = if awd.len() == 2 { 2 } else { 3 };
    let mut v = vec![tables::cmd::GRACEDOWN];
    v.resize(1 + width.saturating_sub(awd.len()), b'0');
    v.extend_from_slice(awd.as_bytes());
    v
}

/// The bytes that write an EEPROM string: `-`, the value, CRs up to 8 characters.
pub fn string_write(value: &str) -> Vec<u8> {
    let mut v = vec![tables::cmd::NEXT];
    v.extend_from_slice(value.as_bytes());
    while v.len() < tables::STRLEN + 1 {
        v.push(b'\r');
    }
    v
}

/// Which table entry an instant command with its parameter is (NUT matches the name without
/// case; `shutdown.return` takes `at:NNN` for `@`, nothing or `cs` for `S`; the others take
/// no parameter).
pub fn find_cmd(name: &str, param: Option<&str>) -> Option<&'static tables::CmdDef> {
    tables::CMDS.iter().find(|c| {
        if !c.name.eq_ignore_ascii_case(name) {
            return false;
        }
        match c.kind {
            tables::CmdKind::HardAt => param
                .is_some_and(|p| p.len() > 3 && p[..3].eq_ignore_ascii_case("at:") && digits(&p[3..], 1, 3)),
            tables::CmdKind::SoftOrCs => {
                let p = param.unwrap_or("");
                p.is_empty() || p.eq_ignore_ascii_case("cs")
            }
            _ => param.is_none(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_end_at_lf_and_drop_cr() {
        let (l, a) = split_replies(b"118.3\r\n08\r\n", Mode::AlertAware);
        assert_eq!(l, vec![b"118.3".to_vec(), b"08".to_vec()]);
        assert!(a.is_empty());
    }

    #[test]
    fn alerts_are_taken_out_of_replies_in_polls_only() {
        let (l, a) = split_replies(b"!08\r\n", Mode::AlertAware);
        assert_eq!((l, a), (vec![b"08".to_vec()], b"!".to_vec()));
        let (l, a) = split_replies(b"!$08|\r\n", Mode::Plain);
        assert_eq!((l, a), (vec![b"08".to_vec()], vec![]));
        // The command set keeps them: they are its second field.
        let (l, _) = split_replies(b"3.!$%+?=#|.\x01Q\r\n", Mode::CmdSet);
        assert_eq!(l, vec![b"3.!$%+?=#|.\x01Q".to_vec()]);
        // The capability string keeps '#'.
        let (l, _) = split_replies(b"#uD43132\r\n", Mode::Caps);
        assert_eq!(l, vec![b"#uD43132".to_vec()]);
    }

    #[test]
    fn star_answers_a_shutdown_and_is_dropped_elsewhere() {
        assert_eq!(split_replies(b"*", Mode::Shutdown).0, vec![b"OK".to_vec()]);
        assert_eq!(split_replies(b"O*K\r\n", Mode::Plain).0, vec![b"OK".to_vec()]);
    }

    #[test]
    fn overflow_without_lf() {
        let mut r = Reader::new();
        let mut over = false;
        for _ in 0..=MAX_REPLY {
            over |= r.feed(b'x', Mode::Plain) == Feed::Overflow;
        }
        assert!(over);
    }

    #[test]
    fn status_register() {
        assert_eq!(parse_status("08"), Some(0x08));
        assert_eq!(status_tokens(0x08), ["OL"]);
        assert_eq!(status_tokens(0x50), ["OB", "LB"]);
        assert_eq!(status_tokens(0x0a), ["TRIM", "OL"]);
        assert_eq!(status_tokens(0), ["OFF"]);
        assert_eq!(parse_status("NA"), None);
        assert_eq!(parse_status("x8"), None);
        assert_eq!(parse_status(""), None);
        // apcupsd's STATFLAG 0x05000008 (nut-1941): the low byte counts.
        assert_eq!(parse_status("05000008"), Some(0x08));
    }

    #[test]
    fn alerts_change_the_register_as_nut_does() {
        assert_eq!(apply_alert(0x08, b'!'), 0x10);
        assert_eq!(apply_alert(0x10, b'$'), 0x08);
        assert_eq!(apply_alert(0x10, b'%'), 0x50);
        assert_eq!(apply_alert(0x50, b'+'), 0x10);
        assert_eq!(apply_alert(0x08, b'#'), 0x88);
        assert_eq!(apply_alert(0x08, b'?'), 0x28);
        assert_eq!(apply_alert(0x28, b'='), 0x08);
        assert_eq!(apply_alert(0x08, b'&'), 0x08);
    }

    #[test]
    fn conversions() {
        assert_eq!(convert(Fmt::Minutes, "0327:"), "19620");
        assert_eq!(convert(Fmt::Minutes, "02"), "120");
        assert_eq!(convert(Fmt::Hours, "336"), "1209600");
        assert_eq!(convert(Fmt::Hours, "ON"), "0");
        assert_eq!(convert(Fmt::Reason, "O"), "no transfers yet since turnon");
        assert_eq!(convert(Fmt::Reason, "Q"), "Q");
        assert_eq!(convert(Fmt::Leave, "118.3"), "118.3");
    }

    #[test]
    fn checks() {
        assert!(check(Check::Firmware3, "50.9.D"));
        assert!(!check(Check::Firmware3, "GWD"));
        assert!(!check(Check::Firmware3, "5.4."));
        assert!(check(Check::Uptime, "123.4"));
        assert!(!check(Check::Uptime, "12.34"));
        assert!(check(Check::Temp2, "12.34"));
        assert!(!check(Check::Temp2, "80.5"));
    }

    #[test]
    fn packed() {
        let (v, over) = split_packed("NO,NO", Fmt::Leave);
        assert_eq!((v, over), (vec!["NO".to_string(), "NO".into()], false));
        let (v, over) = split_packed("1,,3,4,5", Fmt::Leave);
        assert_eq!(v, ["1", "N/A", "3", "4"]);
        assert!(over);
        let def = tables::VARS.iter().find(|v| v.cmd == b'[').expect("entry");
        assert_eq!(packed_name(def, 1), "ambient.2.temperature.high");
    }

    #[test]
    fn cmdset() {
        let s = parse_cmdset(b"3.!$%+?=#|.\x01\x0e\x1aABQ").expect("valid");
        assert_eq!(s.cmds, b"\x01\x0e\x1aABQ");
        assert!(s.dual.is_empty());
        let s = parse_cmdset(b"4.!$.QF.\x9f:\xd3\xd4").expect("valid");
        assert_eq!(s.dual, [(0x9f, 0xd3), (0x9f, 0xd4)]);
        assert!(parse_cmdset(b"NA").is_none());
        assert!(parse_cmdset(b"3.!$.").is_none());
        assert!(parse_cmdset(b"3.a.b.c.d").is_none());
        assert!(parse_cmdset(b"3..Q").is_some(), "the alert field may be empty");
    }

    #[test]
    fn caps_as_in_the_protocol_page() {
        let (e, over) = parse_caps(b"#uD43132135138129uM43229234239224").expect("caps");
        assert!(over.is_none());
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].cmd, e[0].loc), (b'u', b'D'));
        assert_eq!(e[0].values, ["132", "135", "138", "129"]);
        assert_eq!(e[1].values, ["229", "234", "239", "224"]);
        // Matrix-UPS: "##" before each group.
        let (e, _) = parse_caps(b"##sD41HMLL##q442020507").expect("caps");
        assert_eq!(e[0].values, ["H", "M", "L", "L"]);
        assert_eq!(e[1].values, ["02", "05", "07", ""], "cut short at the end");
        assert_eq!(parse_caps(b"NA"), Err(CapsError::BadStart(b'N')));
        // A group header cut short: no values, no panic.
        let (e, _) = parse_caps(b"#u").expect("caps");
        assert_eq!(e[0].values.len(), 0);
        let (_, over) = parse_caps(b"##").expect("caps");
        assert_eq!(over, Some(CapsOverflow));
    }

    #[test]
    fn option_formats() {
        assert!(
            valid_awd("0") && valid_awd("12") && valid_awd("123") && !valid_awd("1234") && !valid_awd("")
        );
        assert!(valid_sdtype("5") && !valid_sdtype("6") && !valid_sdtype("01"));
        assert!(
            valid_advorder("No")
                && valid_advorder("01234")
                && !valid_advorder("5")
                && !valid_advorder("012340")
        );
        for ok in ["0", "9", "3.", ".5", "3.5"] {
            assert!(valid_cshdelay(ok), "{ok}");
        }
        for bad in ["10", "3.55", "", ".", "a"] {
            assert!(!valid_cshdelay(bad), "{bad}");
        }
    }

    #[test]
    fn command_bytes() {
        assert_eq!(at_command("000"), b"@000");
        assert_eq!(at_command("5"), b"@005");
        assert_eq!(at_command("12"), b"@12");
        assert_eq!(string_write("UPS_1"), b"-UPS_1\r\r\r");
        assert_eq!(string_write("ABCDEFGH"), b"-ABCDEFGH");
    }

    #[test]
    fn command_lookup() {
        use tables::CmdKind;
        assert_eq!(find_cmd("shutdown.return", None).map(|c| c.kind), Some(CmdKind::SoftOrCs));
        assert_eq!(find_cmd("shutdown.return", Some("CS")).map(|c| c.kind), Some(CmdKind::SoftOrCs));
        assert_eq!(find_cmd("shutdown.return", Some("at:12")).map(|c| c.kind), Some(CmdKind::HardAt));
        assert!(find_cmd("shutdown.return", Some("at:1234")).is_none());
        assert!(find_cmd("load.off", Some("x")).is_none());
        assert_eq!(find_cmd("TEST.BATTERY.START", None).map(|c| c.cmd), Some(b'W'));
    }
}
