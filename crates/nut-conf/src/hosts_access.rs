//! tcp-wrappers access rules (`/etc/hosts.allow`, `/etc/hosts.deny`), evaluated for one
//! daemon the way Debian's libwrap (7.6.q) does, without any I/O.
//!
//! Debian's upsd is linked with libwrap: for the commands that need a login (`LOGIN`,
//! `PRIMARY`/`MASTER`, `FSD`, `SET`, `INSTCMD`) it asks `hosts_access()` about daemon `upsd`,
//! the client's address and the NUT user name, and answers `ERR ACCESS-DENIED` when it says
//! no. This module is that decision: [`parse`] turns each file into a [`Table`] (with every
//! problem as a [`Diagnostic`] with file:line), and [`check`] walks the two tables:
//!
//! - `hosts.allow` first, then `hosts.deny`; the first rule that matches decides; no match
//!   means allow; a missing file is an empty one. A `hosts.deny` that exists but cannot be read
//!   denies everybody (libwrap's `cannot open`); an unreadable `hosts.allow` is skipped.
//! - A rule is `daemon_list : client_list [ : option : ... ]`. Lists are separated by blanks
//!   or commas, `EXCEPT` nests (`a EXCEPT b EXCEPT c` is `a EXCEPT (b EXCEPT c)`), matching is
//!   case-insensitive. Daemon patterns: names, wildcards `*`/`?`, `ALL`, `daemon@host` (the
//!   host part is matched against the local end of the connection). Client patterns: `ALL`,
//!   `LOCAL`, `KNOWN`, `UNKNOWN`, `PARANOID`, addresses, `a.b.c.` prefixes, `n.n.n.n/m.m.m.m`
//!   and `n.n.n.n/len` (the net must have no bits outside the mask, as in libwrap, where
//!   `10.0.0.1/8` never matches), `[v6]` and `[v6]/len`, `.domain` suffixes, host names,
//!   wildcards, and `user@host` (the user is the NUT user name, as upsd passes it to libwrap).
//! - Options (hosts_options(5)): `allow` and `deny` (last), `keepalive`, `linger N` (applied
//!   to the client's socket) and `severity` (which only changes libwrap's own logging, unused
//!   by upsd) are carried out. An option libwrap would refuse (unknown name, missing or
//!   unexpected value, `allow`/`deny` not last, an empty option) denies, as libwrap does.
//!
//! What this module cannot do is reported by [`parse`] as an error at the rule's line and
//! **fails closed**: when such a rule may match (its daemon list may name the daemon), the
//! client is denied, naming the rule, and never let through on a guess. That covers NIS
//! netgroups (`@group`), patterns read from a file (`/path`), and the options that run
//! programs or change the daemon itself (`spawn`, `twist`, `aclexec`, `banners`, `rfc931`,
//! `user`, `group`, `umask`, `nice`, `setenv`; `%` expansions only occur in those). Rules
//! whose daemon list cannot name the daemon (`sshd: ...`) are never reported: the files are
//! shared with every other wrapped daemon.
//!
//! libwrap's quirks are kept and reported as warnings: a line without `:` is skipped; `#`
//! starts a comment only in the first column; a backslash at the end of a line joins the next
//! one; malformed `net/mask` patterns never match. A line that Debian's libwrap cannot read
//! whole (the last line without a newline, or one longer than its 2048-byte buffer), whatever
//! daemon it names, ends the file: the rules after it are not used and, when no rule before
//! it matched, `hosts.allow` leaves the decision to `hosts.deny` and `hosts.deny` denies every
//! client (an error then, a warning in `hosts.allow`).
//!
//! Host names need lookups, which are I/O: [`check`] answers [`Outcome::NeedName`] when a
//! rule needs the client's (or server's) host name that the [`Request`] does not carry yet;
//! the caller looks it up (reverse lookup, confirmed by a forward lookup: `unknown` when there
//! is no name, `paranoid` when the two disagree, as libwrap does) and asks again.

use std::net::IpAddr;

use crate::Diagnostic;

/// libwrap reads rules into a 2048-byte buffer.
const BUFLEN: usize = 2048;
/// libwrap's separators inside lists.
const SEP: &[char] = &[',', ' ', '\t', '\r', '\n'];
/// libwrap's name of a host without a name.
pub const UNKNOWN: &str = "unknown";
/// libwrap's name of a host whose reverse and forward lookups disagree.
pub const PARANOID: &str = "paranoid";

/// A pattern that can only be matched against one string (daemon, user, address or name).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Str {
    /// Contains `*` or `?` (stored lower-case).
    Wild(String),
    /// Starts with `.`: matches the end of a longer string.
    Suffix(String),
    /// `ALL`.
    All,
    /// `KNOWN`: anything but `unknown`.
    Known,
    /// Ends with `.`: matches the start of a string.
    Prefix(String),
    /// `[v6]`: an IPv6 address compared as an address.
    V6(Option<std::net::Ipv6Addr>),
    /// Anything else: equal, ignoring case.
    Exact(String),
}

/// A host pattern (client list, or the host part of `daemon@host`).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    /// `@netgroup`: not supported.
    Netgroup(String),
    /// `/file`: not supported.
    File(String),
    /// `KNOWN`: name and address known.
    Known,
    /// `LOCAL`: a known name without a dot.
    Local,
    /// `net/mask`: matched against the address only.
    Masked(Mask),
    /// Matched against the address, and against the host name when `name` (libwrap's
    /// `NOT_INADDR`: the pattern is not made of digits, dots and slashes only).
    Str { pat: Str, name: bool },
}

/// The two kinds of `net/mask` pattern, or why one never matches.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Mask {
    V4 { net: u32, mask: u32 },
    V6 { net: u128, len: u8 },
    Never(String),
}

/// One client pattern: `host` or `user@host`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ClientPat {
    user: Option<Str>,
    host: Host,
}

/// One daemon pattern: `daemon` or `daemon@host`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DaemonPat {
    daemon: Str,
    host: Option<Host>,
}

/// A pattern list with its exceptions.
#[derive(Debug, Clone, PartialEq, Eq)]
struct List<P> {
    any_of: Vec<P>,
    except: Option<Box<List<P>>>,
}

/// One option of a rule, as libwrap would carry it out.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Opt {
    Allow,
    Deny,
    Keepalive,
    Linger(u32),
    /// `severity`: changes libwrap's own log level only.
    Severity,
    /// libwrap refuses the option and denies.
    Refused(String),
    /// We cannot carry it out: fail closed.
    Unsupported(String),
}

/// One rule of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    line: usize,
    daemons: List<DaemonPat>,
    clients: List<ClientPat>,
    /// `None` without an option field.
    options: Option<Vec<Opt>>,
}

/// What a file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// No such file: an empty table.
    Absent,
    /// The file exists but could not be read.
    Unreadable(String),
    /// Rules, in file order.
    Rules(Vec<Rule>),
}

/// One access control file, parsed for one daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    file: String,
    state: State,
    /// The line where libwrap stops reading, and why: after the rules, hosts.allow then
    /// leaves the decision to hosts.deny, and hosts.deny denies.
    stop: Option<(usize, String)>,
    diagnostics: Vec<Diagnostic>,
}

impl Table {
    /// A file that does not exist (libwrap treats it as empty).
    pub fn absent(file: &str) -> Table {
        Table { file: file.to_string(), state: State::Absent, stop: None, diagnostics: Vec::new() }
    }

    /// A file that exists but could not be read (`why`). In `hosts.deny` libwrap then denies
    /// every client; in `hosts.allow` it goes on with `hosts.deny`.
    pub fn unreadable(file: &str, why: &str, is_deny: bool) -> Table {
        let consequence = if is_deny {
            Diagnostic::error(
                file,
                0,
                format!(
                    "cannot read it ({why}): libwrap, and so upsd, denies every client the commands that \
                     need a login until it can; fix its permissions (it is normally 0644 root:root)"
                ),
            )
        } else {
            Diagnostic::warning(
                file,
                0,
                format!(
                    "cannot read it ({why}): its rules are skipped, as libwrap does, and hosts.deny alone \
                     decides; fix its permissions (it is normally 0644 root:root)"
                ),
            )
        };
        Table {
            file: file.to_string(),
            state: State::Unreadable(why.to_string()),
            stop: None,
            diagnostics: vec![consequence],
        }
    }

    /// The file name given to [`parse`].
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Every problem found, with its line (errors are rules that fail closed).
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// Whether the file exists (readable or not).
    pub fn exists(&self) -> bool {
        self.state != State::Absent
    }

    /// How many rules may concern the daemon.
    pub fn rule_count(&self) -> usize {
        match &self.state {
            State::Rules(r) => r.len(),
            _ => 0,
        }
    }
}

/// One end of the connection: its address and, once looked up, its host name (`unknown` or
/// `paranoid` when it has none that can be trusted).
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'a> {
    /// The address.
    pub addr: IpAddr,
    /// The host name, if already looked up.
    pub name: Option<&'a str>,
}

/// What libwrap is asked about.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The daemon name (`upsd`).
    pub daemon: &'a str,
    /// The user name (upsd passes the NUT user name given with `USERNAME`).
    pub user: &'a str,
    /// The client.
    pub client: Endpoint<'a>,
    /// The local end of the connection (for `daemon@host` patterns).
    pub server: Endpoint<'a>,
}

/// Which host name [`check`] needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The client's.
    Client,
    /// The local end's.
    Server,
}

/// Why access was granted or refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// No rule matched: allowed.
    NoMatch,
    /// A rule matched (allowed in hosts.allow, denied in hosts.deny, unless an option said
    /// otherwise).
    Rule {
        /// The file.
        file: String,
        /// The rule's line.
        line: usize,
        /// `allow`/`deny` option or a refused option, when one decided.
        option: Option<String>,
    },
    /// A rule that may match could not be evaluated: denied.
    FailClosed {
        /// The file.
        file: String,
        /// The rule's line.
        line: usize,
        /// What could not be done.
        why: String,
    },
    /// hosts.deny exists but could not be read: denied.
    Unreadable {
        /// The file.
        file: String,
        /// The system's reason.
        why: String,
    },
    /// No rule matched before the line of hosts.deny that libwrap cannot read whole: denied.
    Truncated {
        /// The file.
        file: String,
        /// The line.
        line: usize,
        /// What is wrong with it.
        why: String,
    },
}

/// The verdict for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the command may run.
    pub allowed: bool,
    /// Why.
    pub reason: Reason,
    /// `keepalive` was among the options of the deciding rule.
    pub keepalive: bool,
    /// `linger N` was among the options of the deciding rule.
    pub linger: Option<u32>,
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verdict = if self.allowed { "allowed" } else { "denied" };
        match &self.reason {
            Reason::NoMatch => write!(f, "{verdict}: no rule in hosts.allow or hosts.deny matches"),
            Reason::Rule { file, line, option: None } => write!(f, "{verdict} by {file}:{line}"),
            Reason::Rule { file, line, option: Some(o) } => write!(f, "{verdict} by {file}:{line} ({o})"),
            Reason::FailClosed { file, line, why } => {
                write!(f, "{verdict} by {file}:{line}, a rule upsd cannot evaluate ({why})")
            }
            Reason::Unreadable { file, why } => write!(f, "{verdict}: {file} cannot be read ({why})"),
            Reason::Truncated { file, line, why } => {
                write!(f, "{verdict}: libwrap stops reading {file} at line {line}, which {why}")
            }
        }
    }
}

/// The answer of [`check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Decided.
    Decided(Decision),
    /// Look up this host name and ask again with it in the [`Request`].
    NeedName(Which),
}

// ----- three-valued matching ---------------------------------------------------------------

/// A match result: yes, no, or not known yet (a name is needed) or not knowable.
#[derive(Debug, Clone, PartialEq, Eq)]
enum M {
    Yes,
    No,
    Need(Which),
    Cannot(String),
}

impl M {
    fn from(b: bool) -> M {
        if b {
            M::Yes
        } else {
            M::No
        }
    }

    /// Kleene OR; among unknowns a needed name comes first (it may settle the question).
    fn or(self, other: M) -> M {
        match (self, other) {
            (M::Yes, _) | (_, M::Yes) => M::Yes,
            (M::Need(w), _) | (_, M::Need(w)) => M::Need(w),
            (M::Cannot(c), _) | (_, M::Cannot(c)) => M::Cannot(c),
            _ => M::No,
        }
    }

    /// Kleene AND.
    fn and(self, other: M) -> M {
        match (self, other) {
            (M::No, _) | (_, M::No) => M::No,
            (M::Need(w), _) | (_, M::Need(w)) => M::Need(w),
            (M::Cannot(c), _) | (_, M::Cannot(c)) => M::Cannot(c),
            _ => M::Yes,
        }
    }

    fn not(self) -> M {
        match self {
            M::Yes => M::No,
            M::No => M::Yes,
            other => other,
        }
    }
}

/// The request as the matcher sees it: `server: None` while parsing, when the local end is
/// not known (`daemon@host` then counts as possibly matching).
struct Ctx<'a> {
    daemon: &'a str,
    user: &'a str,
    client: Option<Endpoint<'a>>,
    server: Option<Endpoint<'a>>,
}

fn eq_ci(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// `*` and `?` wildcards (case-insensitive, as Debian's libwrap behaves), in time
/// proportional to the product of the lengths (backtracking only to the last `*`).
fn wild(pat: &[u8], s: &[u8]) -> bool {
    let (mut p, mut i) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() && pat[p] == b'*' {
            star = Some((p, i));
            p += 1;
        } else if p < pat.len() && (pat[p] == b'?' || pat[p].eq_ignore_ascii_case(&s[i])) {
            p += 1;
            i += 1;
        } else if let Some((sp, si)) = star {
            p = sp + 1;
            i = si + 1;
            star = Some((sp, si + 1));
        } else {
            return false;
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

impl Str {
    fn parse(tok: &str) -> Str {
        if tok.contains(['*', '?']) {
            Str::Wild(tok.to_ascii_lowercase())
        } else if tok.starts_with('.') {
            Str::Suffix(tok.to_string())
        } else if eq_ci(tok, "ALL") {
            Str::All
        } else if eq_ci(tok, "KNOWN") {
            Str::Known
        } else if tok.ends_with('.') {
            Str::Prefix(tok.to_string())
        } else if tok.len() >= 2 && tok.starts_with('[') && tok.ends_with(']') {
            Str::V6(tok[1..tok.len() - 1].parse().ok())
        } else {
            Str::Exact(tok.to_string())
        }
    }

    fn matches(&self, s: &str) -> bool {
        match self {
            Str::Wild(p) => wild(p.as_bytes(), s.as_bytes()),
            Str::Suffix(p) => {
                s.len() > p.len()
                    && s.is_char_boundary(s.len() - p.len())
                    && eq_ci(p, &s[s.len() - p.len()..])
            }
            Str::All => true,
            Str::Known => !eq_ci(s, UNKNOWN),
            Str::Prefix(p) => s.len() >= p.len() && s.is_char_boundary(p.len()) && eq_ci(p, &s[..p.len()]),
            // As libwrap: an IPv6 pattern, even a v4-mapped one, never matches an IPv4 client.
            Str::V6(a) => match (a, s.parse::<IpAddr>()) {
                (Some(a), Ok(IpAddr::V6(ip))) => *a == ip,
                _ => false,
            },
            Str::Exact(p) => eq_ci(p, s),
        }
    }
}

/// libwrap's `dot_quad_addr`: four dot-separated numbers in C notation (decimal, `0` octal,
/// `0x` hex), each at most 255; `255.255.255.255` is its error value, so it is refused too.
fn dot_quad(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut v: u32 = 0;
    for p in parts {
        let n = if let Some(h) = p.strip_prefix("0x").or_else(|| p.strip_prefix("0X")) {
            u32::from_str_radix(h, 16).ok()?
        } else if p.len() > 1 && p.starts_with('0') {
            u32::from_str_radix(&p[1..], 8).ok()?
        } else {
            p.parse::<u32>().ok()?
        };
        if n > 255 || p.is_empty() {
            return None;
        }
        v = (v << 8) | n;
    }
    (v != u32::MAX).then_some(v)
}

/// C's `atoi`: an optional sign and the leading digits (0 when there are none).
fn atoi(s: &str) -> i64 {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).take(12).collect();
    let n = digits.parse::<i64>().unwrap_or(0);
    if neg {
        -n
    } else {
        n
    }
}

impl Mask {
    fn parse(net: &str, mask: &str) -> Mask {
        let tok = format!("{net}/{mask}");
        if net.len() >= 2 && net.starts_with('[') && net.ends_with(']') {
            let Ok(addr) = net[1..net.len() - 1].parse::<std::net::Ipv6Addr>() else {
                return Mask::Never(format!("{tok}: {net} is not an IPv6 address"));
            };
            let len = atoi(mask);
            if !(0..=128).contains(&len) {
                return Mask::Never(format!("{tok}: an IPv6 prefix length is 0 to 128"));
            }
            return Mask::V6 { net: u128::from(addr), len: len as u8 };
        }
        let Some(n) = dot_quad(net) else {
            return Mask::Never(format!(
                "bad net/mask expression {tok}: {net} is not an IPv4 address a.b.c.d"
            ));
        };
        let m = if mask.contains('.') {
            match dot_quad(mask) {
                Some(m) => m,
                None => {
                    return Mask::Never(format!(
                        "bad net/mask expression {tok}: the mask must be a.b.c.d (not 255.255.255.255: \
                         write the address alone) or a length from 1 to 32"
                    ))
                }
            }
        } else {
            match atoi(mask) {
                len @ 1..=32 => u32::MAX << (32 - len as u32),
                _ => {
                    return Mask::Never(format!(
                        "bad net/mask expression {tok}: an IPv4 prefix length is 1 to 32 (ALL matches everything)"
                    ))
                }
            }
        };
        if n & !m != 0 {
            return Mask::Never(format!(
                "{tok} has address bits outside the mask, and libwrap compares the masked client address \
                 with {net} as written: write {}/{mask}",
                std::net::Ipv4Addr::from(n & m)
            ));
        }
        Mask::V4 { net: n, mask: m }
    }

    fn matches(&self, addr: IpAddr) -> bool {
        match (self, addr.to_canonical()) {
            (Mask::V4 { net, mask }, IpAddr::V4(a)) => u32::from(a) & mask == *net,
            (Mask::V6 { net, len }, IpAddr::V6(a)) => {
                let m = if *len == 0 { 0 } else { u128::MAX << (128 - u32::from(*len)) };
                u128::from(a) & m == net & m
            }
            _ => false,
        }
    }
}

/// libwrap's `split_at`: split at the first `delim` outside `[...]`.
fn split_at(s: &str, delim: char) -> Option<(&str, &str)> {
    let mut depth = 0i32;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            c if c == delim && depth == 0 => return Some((&s[..i], &s[i + c.len_utf8()..])),
            _ => {}
        }
    }
    None
}

/// Split `tok` at `@`, looking from its second character (so `@group` is not split).
fn split_user(tok: &str) -> Option<(&str, &str)> {
    let first = tok.chars().next()?.len_utf8();
    split_at(&tok[first..], '@').map(|(a, b)| (&tok[..first + a.len()], b))
}

impl Host {
    fn parse(tok: &str) -> Host {
        if let Some(g) = tok.strip_prefix('@') {
            Host::Netgroup(g.to_string())
        } else if tok.starts_with('/') {
            Host::File(tok.to_string())
        } else if eq_ci(tok, "KNOWN") {
            Host::Known
        } else if eq_ci(tok, "LOCAL") {
            Host::Local
        } else if let Some((net, mask)) = split_at(tok, '/') {
            Host::Masked(Mask::parse(net, mask))
        } else {
            let pat = Str::parse(tok);
            let name = !matches!(pat, Str::V6(_)) && tok.chars().any(|c| !matches!(c, '0'..='9' | '.' | '/'));
            Host::Str { pat, name }
        }
    }

    /// Why this pattern can never match, for a warning.
    fn never(&self) -> Option<String> {
        match self {
            Host::Masked(Mask::Never(why)) => Some(why.clone()),
            Host::Str { pat: Str::V6(None), .. } => Some("[...] must hold an IPv6 address".to_string()),
            _ => None,
        }
    }

    /// What this module cannot evaluate.
    fn unsupported(&self) -> Option<String> {
        match self {
            Host::Netgroup(g) => Some(format!("NIS netgroup @{g}: netgroups are not supported")),
            Host::File(f) => Some(format!("host patterns read from the file {f} are not supported")),
            _ => None,
        }
    }

    fn matches(&self, end: Option<Endpoint<'_>>, which: Which) -> M {
        if let Some(why) = self.unsupported() {
            return M::Cannot(why);
        }
        // While parsing, the local end is unknown: it may or may not match (not `Yes`: under
        // EXCEPT a yes would become a no, and `upsd EXCEPT upsd@host` would be dropped).
        let Some(end) = end else { return M::Need(which) };
        let name = || end.name.ok_or(which);
        let known = |n: &str| !eq_ci(n, UNKNOWN) && !eq_ci(n, PARANOID);
        match self {
            Host::Known => match name() {
                Ok(n) => M::from(known(n)),
                Err(w) => M::Need(w),
            },
            Host::Local => match name() {
                Ok(n) => M::from(known(n) && !n.contains('.')),
                Err(w) => M::Need(w),
            },
            Host::Masked(m) => M::from(m.matches(end.addr)),
            Host::Str { pat, name: by_name } => {
                if pat.matches(&end.addr.to_canonical().to_string()) {
                    M::Yes
                } else if !by_name {
                    M::No
                } else {
                    match name() {
                        Ok(n) => M::from(pat.matches(n)),
                        Err(w) => M::Need(w),
                    }
                }
            }
            Host::Netgroup(_) | Host::File(_) => M::No,
        }
    }
}

impl ClientPat {
    fn parse(tok: &str) -> ClientPat {
        match split_user(tok) {
            Some((user, host)) => ClientPat { user: Some(Str::parse(user)), host: Host::parse(host) },
            None => ClientPat { user: None, host: Host::parse(tok) },
        }
    }

    fn matches(&self, cx: &Ctx<'_>) -> M {
        let host = self.host.matches(cx.client, Which::Client);
        match &self.user {
            None => host,
            Some(u) => host.and(M::from(u.matches(cx.user))),
        }
    }
}

impl DaemonPat {
    fn parse(tok: &str) -> DaemonPat {
        match split_user(tok) {
            Some((d, host)) => DaemonPat { daemon: Str::parse(d), host: Some(Host::parse(host)) },
            None => DaemonPat { daemon: Str::parse(tok), host: None },
        }
    }

    fn matches(&self, cx: &Ctx<'_>) -> M {
        let d = M::from(self.daemon.matches(cx.daemon));
        match &self.host {
            None => d,
            Some(h) => d.and(h.matches(cx.server, Which::Server)),
        }
    }
}

impl<P> List<P> {
    fn parse(text: &str, item: fn(&str) -> P) -> List<P> {
        let toks: Vec<&str> = text.split(SEP).filter(|t| !t.is_empty()).collect();
        Self::from_tokens(&toks, item)
    }

    fn from_tokens(toks: &[&str], item: fn(&str) -> P) -> List<P> {
        match toks.iter().position(|t| eq_ci(t, "EXCEPT")) {
            None => List { any_of: toks.iter().map(|t| item(t)).collect(), except: None },
            Some(i) => List {
                any_of: toks[..i].iter().map(|t| item(t)).collect(),
                except: Some(Box::new(Self::from_tokens(&toks[i + 1..], item))),
            },
        }
    }

    fn items(&self) -> Vec<&P> {
        let mut v: Vec<&P> = self.any_of.iter().collect();
        if let Some(e) = &self.except {
            v.extend(e.items());
        }
        v
    }

    fn matches(&self, f: &impl Fn(&P) -> M) -> M {
        let any = self.any_of.iter().fold(M::No, |acc, p| acc.or(f(p)));
        match &self.except {
            None => any,
            Some(e) => any.and(e.matches(f).not()),
        }
    }
}

/// libwrap's option parsing (options.c), for one option field.
fn parse_option(field: &str, last: bool) -> Opt {
    let field = field.trim_matches(|c: char| c.is_ascii_whitespace());
    if field.is_empty() {
        return Opt::Refused("an empty option (a rule ends in \":\"?)".to_string());
    }
    let key_end = field.find(['=', ' ', '\t', '\r', '\n']).unwrap_or(field.len());
    let key = &field[..key_end];
    let mut value = field[key_end..].trim_start_matches([' ', '\t', '\r', '\n']);
    if let Some(v) = value.strip_prefix('=') {
        value = v.trim_start_matches([' ', '\t', '\r', '\n']);
    }
    let value = (!value.is_empty()).then_some(value);
    // name, needs a value, may take a value, must be last
    const TABLE: &[(&str, bool, bool, bool)] = &[
        ("user", true, true, false),
        ("group", true, true, false),
        ("umask", true, true, false),
        ("linger", true, true, false),
        ("keepalive", false, false, false),
        ("spawn", true, true, false),
        ("twist", true, true, true),
        ("aclexec", true, true, false),
        ("rfc931", false, true, false),
        ("setenv", true, true, false),
        ("nice", false, true, false),
        ("severity", true, true, false),
        ("allow", false, false, true),
        ("deny", false, false, true),
        ("banners", true, true, false),
    ];
    let Some(&(name, need, permit, use_last)) = TABLE.iter().find(|(n, ..)| eq_ci(n, key)) else {
        return Opt::Refused(format!("bad option name \"{key}\""));
    };
    if value.is_none() && need {
        return Opt::Refused(format!("option \"{key}\" requires value"));
    }
    if value.is_some() && !permit {
        return Opt::Refused(format!("option \"{key}\" requires no value"));
    }
    if !last && use_last {
        return Opt::Refused(format!("option \"{key}\" must be at end"));
    }
    let value = value.unwrap_or("");
    match name {
        "allow" => Opt::Allow,
        "deny" => Opt::Deny,
        "keepalive" => Opt::Keepalive,
        "linger" => match value.parse::<u32>() {
            Ok(n) if n <= i32::MAX as u32 => Opt::Linger(n),
            _ => Opt::Refused(format!("bad linger value: \"{value}\"")),
        },
        "severity" => {
            // Debian's libwrap knows these names only (authpriv, syslog, ftp, warn, error,
            // panic... are refused, and the client denied).
            const FACILITIES: &[&str] = &[
                "auth", "cron", "daemon", "kern", "lpr", "mail", "news", "user", "uucp", "local0", "local1",
                "local2", "local3", "local4", "local5", "local6", "local7",
            ];
            const LEVELS: &[&str] = &["alert", "crit", "debug", "emerg", "err", "info", "notice", "warning"];
            let ok = match split_at(value, '.') {
                Some((f, l)) => FACILITIES.iter().any(|x| eq_ci(x, f)) && LEVELS.iter().any(|x| eq_ci(x, l)),
                None => LEVELS.iter().any(|x| eq_ci(x, value)),
            };
            if ok {
                Opt::Severity
            } else {
                Opt::Refused(format!("bad syslog facility or severity: \"{value}\""))
            }
        }
        other => Opt::Unsupported(match other {
            "spawn" | "twist" | "aclexec" => format!("option \"{other}\" runs a shell command"),
            "banners" => "option \"banners\" would write text into the NUT protocol".to_string(),
            "rfc931" => "option \"rfc931\" (IDENT lookups)".to_string(),
            _ => format!("option \"{other}\" changes the daemon process itself"),
        }),
    }
}

/// Split the option part at `:` (a `\:` is a literal colon), as libwrap's `get_field`.
fn option_fields(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ':' => out.push(std::mem::take(&mut cur)),
            '\\' if chars.peek() == Some(&':') => {
                cur.push(':');
                chars.next();
            }
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// The logical lines of a file as libwrap reads them: `\` at the end of a line joins the
/// next one. Each comes with its first line number and whether it ended with a newline.
fn logical_lines(text: &str) -> Vec<(usize, String, bool)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let mut n = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let (line, nl, next) = match rest.find('\n') {
            Some(i) => (&rest[..i], true, &rest[i + 1..]),
            None => (rest, false, ""),
        };
        rest = next;
        n += 1;
        if cur.is_empty() {
            start = n;
        }
        if nl {
            if let Some(joined) = line.strip_suffix('\\') {
                cur.push_str(joined);
                continue;
            }
        }
        cur.push_str(line);
        out.push((start, std::mem::take(&mut cur), nl));
    }
    if !cur.is_empty() {
        out.push((start, cur, false));
    }
    out
}

/// Parse one access control file for `daemon` (`upsd`); `file` names it in diagnostics and
/// decisions; `is_deny` when it is hosts.deny (where a line libwrap cannot read denies).
pub fn parse(text: &str, file: &str, daemon: &str, is_deny: bool) -> Table {
    let mut rules = Vec::new();
    let mut diags = Vec::new();
    let mut stop = None;
    let parse_cx = Ctx { daemon, user: "", client: None, server: None };
    for (line, content, newline) in logical_lines(text) {
        // Debian's libwrap stops at a line it cannot read whole, whatever it holds.
        let why = if !newline {
            Some("has no newline at the end of the file".to_string())
        } else if content.len() + 1 >= BUFLEN {
            Some(format!("is longer than the {} bytes libwrap reads", BUFLEN - 1))
        } else {
            None
        };
        if let Some(why) = why {
            let fix = if newline { "split it into several rules" } else { "end the file with a newline" };
            // In hosts.allow, an unterminated last line only matters to upsd when it names it.
            let for_daemon = || {
                let daemons = split_at(&content, ':').map_or(content.as_str(), |(d, _)| d);
                List::parse(daemons, DaemonPat::parse).matches(&|p: &DaemonPat| p.matches(&parse_cx)) != M::No
            };
            if is_deny {
                diags.push(Diagnostic::error(
                    file,
                    line,
                    format!(
                        "this line {why}: libwrap stops reading the file here and denies every client that \
                         no rule above matched the commands that need a login, and so does upsd ({fix})"
                    ),
                ));
            } else if newline || for_daemon() {
                diags.push(Diagnostic::warning(
                    file,
                    line,
                    format!(
                        "this line {why}: libwrap stops reading the file here and the rules from this line on \
                         are not used (hosts.deny decides), and so does upsd ({fix})"
                    ),
                ));
            }
            stop = Some((line, why));
            break;
        }
        if content.starts_with('#') || content.chars().all(|c| matches!(c, ' ' | '\t' | '\r')) {
            continue;
        }
        let Some((daemons_text, rest)) = split_at(&content, ':') else {
            // Only worth a word when it looks meant for this daemon.
            let whole = List::parse(&content, DaemonPat::parse);
            if whole.matches(&|p: &DaemonPat| p.matches(&parse_cx)) != M::No {
                diags.push(Diagnostic::warning(
                    file,
                    line,
                    "missing \":\" separator: libwrap skips this line, and so does upsd (write \
                     daemon_list : client_list)",
                ));
            }
            continue;
        };
        let daemons = List::parse(daemons_text, DaemonPat::parse);
        if daemons.matches(&|p: &DaemonPat| p.matches(&parse_cx)) == M::No {
            continue;
        }
        let (clients_text, options_text) = match split_at(rest, ':') {
            Some((c, o)) => (c, Some(o)),
            None => (rest, None),
        };
        let clients = List::parse(clients_text, ClientPat::parse);
        for h in daemons
            .items()
            .iter()
            .filter_map(|d| d.host.as_ref())
            .chain(clients.items().iter().map(|c| &c.host))
        {
            if let Some(why) = h.unsupported() {
                diags.push(Diagnostic::error(
                    file,
                    line,
                    format!("upsd cannot evaluate this rule ({why}): clients it may match are denied (fail closed)"),
                ));
            } else if let Some(why) = h.never() {
                diags.push(Diagnostic::warning(
                    file,
                    line,
                    format!("{why}: this pattern never matches, as with libwrap"),
                ));
            }
        }
        let options = options_text.map(|o| {
            let fields = option_fields(o);
            let n = fields.len();
            let opts: Vec<Opt> =
                fields.iter().enumerate().map(|(i, f)| parse_option(f, i + 1 == n)).collect();
            opts
        });
        for o in options.iter().flatten() {
            match o {
                Opt::Refused(why) => diags.push(Diagnostic::warning(
                    file,
                    line,
                    format!("{why}: libwrap denies the clients this rule matches, and so does upsd"),
                )),
                Opt::Unsupported(why) => diags.push(Diagnostic::error(
                    file,
                    line,
                    format!(
                        "upsd cannot carry out {why}: clients this rule matches are denied (fail closed)"
                    ),
                )),
                _ => {}
            }
        }
        rules.push(Rule { line, daemons, clients, options });
    }
    Table { file: file.to_string(), state: State::Rules(rules), stop, diagnostics: diags }
}

/// What a matching rule decides, given the table's default (`allow` for hosts.allow).
fn apply(rule: &Rule, file: &str, default_allow: bool) -> Decision {
    let mut d = Decision {
        allowed: default_allow,
        reason: Reason::Rule { file: file.to_string(), line: rule.line, option: None },
        keepalive: false,
        linger: None,
    };
    for o in rule.options.iter().flatten() {
        match o {
            Opt::Allow | Opt::Deny => {
                d.allowed = *o == Opt::Allow;
                d.reason = Reason::Rule {
                    file: file.to_string(),
                    line: rule.line,
                    option: Some(if d.allowed { "allow" } else { "deny" }.to_string()),
                };
                return d;
            }
            Opt::Keepalive => d.keepalive = true,
            Opt::Linger(n) => d.linger = Some(*n),
            Opt::Severity => {}
            Opt::Refused(why) => {
                d.allowed = false;
                d.reason =
                    Reason::Rule { file: file.to_string(), line: rule.line, option: Some(why.clone()) };
                return d;
            }
            Opt::Unsupported(why) => {
                d.allowed = false;
                d.reason = Reason::FailClosed { file: file.to_string(), line: rule.line, why: why.clone() };
                return d;
            }
        }
    }
    d
}

/// Walk one table; `None` when no rule matches (and, in hosts.allow, at the line where
/// libwrap stops).
fn walk(t: &Table, cx: &Ctx<'_>, default_allow: bool) -> Option<Outcome> {
    let State::Rules(rules) = &t.state else { return None };
    for r in rules {
        let m = r
            .daemons
            .matches(&|p: &DaemonPat| p.matches(cx))
            .and(r.clients.matches(&|p: &ClientPat| p.matches(cx)));
        match m {
            M::No => continue,
            M::Yes => return Some(Outcome::Decided(apply(r, &t.file, default_allow))),
            M::Need(w) => return Some(Outcome::NeedName(w)),
            M::Cannot(why) => {
                return Some(Outcome::Decided(Decision {
                    allowed: false,
                    reason: Reason::FailClosed { file: t.file.clone(), line: r.line, why },
                    keepalive: false,
                    linger: None,
                }))
            }
        }
    }
    // libwrap's error for the line it could not read: hosts.deny denies, hosts.allow goes on.
    match &t.stop {
        Some((line, why)) if !default_allow => Some(Outcome::Decided(Decision {
            allowed: false,
            reason: Reason::Truncated { file: t.file.clone(), line: *line, why: why.clone() },
            keepalive: false,
            linger: None,
        })),
        _ => None,
    }
}

/// True when [`check`] allows every request with these tables (no rule concerns the daemon,
/// and hosts.deny is readable and whole): the caller may then skip building the request.
pub fn allows_all(allow: &Table, deny: &Table) -> bool {
    allow.rule_count() == 0
        && deny.rule_count() == 0
        && deny.stop.is_none()
        && !matches!(deny.state, State::Unreadable(_))
}

/// libwrap's `hosts_access()` for `req`: `hosts.allow`, then `hosts.deny`, then allow.
pub fn check(allow: &Table, deny: &Table, req: &Request<'_>) -> Outcome {
    // libwrap names an empty user `unknown` (`USERNAME ""` reaches it so).
    let user = if req.user.is_empty() { UNKNOWN } else { req.user };
    let cx = Ctx { daemon: req.daemon, user, client: Some(req.client), server: Some(req.server) };
    if let Some(o) = walk(allow, &cx, true) {
        return o;
    }
    if let State::Unreadable(why) = &deny.state {
        return Outcome::Decided(Decision {
            allowed: false,
            reason: Reason::Unreadable { file: deny.file.clone(), why: why.clone() },
            keepalive: false,
            linger: None,
        });
    }
    if let Some(o) = walk(deny, &cx, false) {
        return o;
    }
    Outcome::Decided(Decision { allowed: true, reason: Reason::NoMatch, keepalive: false, linger: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(allow: &str, deny: &str) -> (Table, Table) {
        (parse(allow, "hosts.allow", "upsd", false), parse(deny, "hosts.deny", "upsd", true))
    }

    /// Decide for `addr` with host name `name` and user `user` (server 127.0.0.1, "localhost").
    fn decide(tables: &(Table, Table), addr: &str, name: &str, user: &str) -> Decision {
        let req = Request {
            daemon: "upsd",
            user,
            client: Endpoint { addr: addr.parse().expect("addr"), name: Some(name) },
            server: Endpoint { addr: "127.0.0.1".parse().expect("addr"), name: Some("localhost") },
        };
        match check(&tables.0, &tables.1, &req) {
            Outcome::Decided(d) => d,
            other => panic!("{other:?}"),
        }
    }

    fn allowed(tables: &(Table, Table), addr: &str, name: &str) -> bool {
        decide(tables, addr, name, "admin").allowed
    }

    #[test]
    fn allow_first_then_deny_then_allow() {
        let tb = t("upsd: 10.0.0.1\n", "upsd: 10.0.0.\nALL: 192.168.\n");
        assert!(allowed(&tb, "10.0.0.1", UNKNOWN));
        assert!(!allowed(&tb, "10.0.0.2", UNKNOWN));
        assert!(!allowed(&tb, "192.168.1.1", UNKNOWN));
        assert!(allowed(&tb, "172.16.0.1", UNKNOWN));
        let d = decide(&tb, "10.0.0.2", UNKNOWN, "x");
        assert_eq!(d.reason, Reason::Rule { file: "hosts.deny".into(), line: 1, option: None });
        assert_eq!(d.to_string(), "denied by hosts.deny:1");
        let none = (Table::absent("hosts.allow"), Table::absent("hosts.deny"));
        assert_eq!(decide(&none, "10.0.0.2", UNKNOWN, "x").reason, Reason::NoMatch);
    }

    #[test]
    fn patterns() {
        let deny = "ALL: ALL\n";
        let cases: &[(&str, &str, &str, bool)] = &[
            ("upsd: 10.0.0.0/8", "10.9.9.9", UNKNOWN, true),
            ("upsd: 10.0.0.0/255.0.0.0", "10.9.9.9", UNKNOWN, true),
            ("upsd: 10.0.0.0/255.0.255.0", "10.5.0.7", UNKNOWN, true),
            ("upsd: 10.0.0.0/255.0.255.0", "10.0.5.7", UNKNOWN, false),
            ("upsd: 10.0.0.1/8", "10.0.0.1", UNKNOWN, false),
            ("upsd: 0.0.0.0/0", "10.0.0.1", UNKNOWN, false),
            ("upsd: 0.0.0.0/0.0.0.0", "10.0.0.1", UNKNOWN, true),
            ("upsd: 10.0.0.0/8x", "10.0.0.1", UNKNOWN, true),
            ("upsd: 012.0.0.0/8", "10.0.0.1", UNKNOWN, true),
            ("upsd: 10.0.0.0/255.255.255.255", "10.0.0.0", UNKNOWN, false),
            ("upsd: 127.0.0.1/32", "127.0.0.1", UNKNOWN, true),
            ("upsd: [2001:db8::]/32", "2001:db8:5::1", UNKNOWN, true),
            ("upsd: [2001:db8::]/32", "2001:db9::1", UNKNOWN, false),
            ("upsd: [2001:db8::1]/64", "2001:db8::2", UNKNOWN, true),
            ("upsd: [2001:db8::]/x", "2001:db9::1", UNKNOWN, true),
            ("upsd: [::1]", "::1", UNKNOWN, true),
            ("upsd: [0:0::1]", "::1", UNKNOWN, true),
            ("upsd: [FE80::1]", "fe80::1", UNKNOWN, true),
            ("upsd: [::ffff:10.0.0.1]", "10.0.0.1", UNKNOWN, false),
            ("upsd: 1.2.", "1.2.0.1", UNKNOWN, true),
            ("upsd: 1.2.", "1.20.0.1", UNKNOWN, false),
            ("upsd: 10.0.*.1", "10.0.5.1", UNKNOWN, true),
            ("upsd: *.Example.com", "1.1.1.1", "a.example.com", true),
            ("upsd: host?", "1.1.1.1", "HOST1", true),
            ("upsd: 10.0.*", "9.9.9.9", "10.0.1.1.example.com", true),
            ("UPSD: .EXAMPLE.com", "1.1.1.1", "a.example.com", true),
            ("upsd: .example.com", "1.1.1.1", "example.com", false),
            ("upsd: .1.1", "10.1.1.1", UNKNOWN, true),
            ("upsd: Myhost", "1.1.1.1", "myhost", true),
            ("upsd: LOCAL", "1.1.1.1", "myhost", true),
            ("upsd: LOCAL", "1.1.1.1", "my.host", false),
            ("upsd: LOCAL", "1.1.1.1", UNKNOWN, false),
            ("upsd: KNOWN", "1.1.1.1", "host.x", true),
            ("upsd: KNOWN", "1.1.1.1", PARANOID, false),
            ("upsd: UNKNOWN", "1.1.1.1", UNKNOWN, true),
            ("upsd: PARANOID", "1.1.1.1", PARANOID, true),
            ("upsd: PARANOID", "1.1.1.1", "x.com", false),
            ("upsd: ALL EXCEPT 10.1. EXCEPT 10.1.1.1", "10.1.1.1", UNKNOWN, true),
            ("upsd: ALL EXCEPT 10.1. EXCEPT 10.1.1.1", "10.1.1.2", UNKNOWN, false),
            ("upsd: ALL except [2001:db8::1]", "2001:db8::1", UNKNOWN, false),
            ("ALL EXCEPT upsd: ALL", "1.1.1.1", UNKNOWN, false),
            ("ups*: 1.1.1.1", "1.1.1.1", UNKNOWN, true),
            ("sshd,upsd 1.1.1.1", "1.1.1.1", UNKNOWN, false),
            ("sshd, upsd : 1.1.1.1", "1.1.1.1", UNKNOWN, true),
            ("upsd@ALL: 1.1.1.1", "1.1.1.1", UNKNOWN, true),
            ("upsd@127.0.0.1: 1.1.1.1", "1.1.1.1", UNKNOWN, true),
            ("upsd@127.0.0.2: 1.1.1.1", "1.1.1.1", UNKNOWN, false),
            ("upsd@localhost: 1.1.1.1", "1.1.1.1", UNKNOWN, true),
            // The local end is only known per connection: an exception naming it keeps the rule.
            ("upsd EXCEPT upsd@10.0.0.9: 1.1.1.1", "1.1.1.1", UNKNOWN, true),
            ("upsd EXCEPT upsd@localhost: 1.1.1.1", "1.1.1.1", UNKNOWN, false),
            ("KNOWN: 1.1.1.1", "1.1.1.1", UNKNOWN, true),
            ("upsd: 1.1.1.1", "::ffff:1.1.1.1", UNKNOWN, true),
            ("ups\\\nd: 1.1.1.1", "1.1.1.1", UNKNOWN, true),
            ("# c \\\nupsd: ALL", "1.1.1.1", UNKNOWN, false),
            (" # c: x\nupsd: 1.1.1.1", "1.1.1.1", UNKNOWN, true),
        ];
        for (allow, addr, name, want) in cases {
            let tb = t(&format!("{allow}\n"), deny);
            assert_eq!(allowed(&tb, addr, name), *want, "{allow:?} for {addr} ({name})");
        }
    }

    #[test]
    fn user_patterns_match_the_nut_user_name() {
        let tb = t("upsd: admin@ALL mon@10.\n", "ALL: ALL\n");
        assert!(decide(&tb, "9.9.9.9", UNKNOWN, "admin").allowed);
        assert!(decide(&tb, "9.9.9.9", UNKNOWN, "ADMIN").allowed);
        assert!(decide(&tb, "10.0.0.1", UNKNOWN, "mon").allowed);
        assert!(!decide(&tb, "9.0.0.1", UNKNOWN, "mon").allowed);
        // An empty user name is libwrap's `unknown`.
        let tb = t("upsd: KNOWN@ALL\n", "ALL: ALL\n");
        assert!(decide(&tb, "9.9.9.9", UNKNOWN, "mon").allowed);
        assert!(!decide(&tb, "9.9.9.9", UNKNOWN, "").allowed);
        assert!(!decide(&tb, "9.9.9.9", UNKNOWN, "unknown").allowed);
    }

    #[test]
    fn options() {
        let tb = t(
            "upsd: 1.1.1.1: deny\nupsd: 2.2.2.2: allow\nupsd: 3.3.3.3: severity auth.info\n\
             upsd: 4.4.4.4: ALLOW\nupsd: 5.5.5.5: deny: allow\nupsd: 6.6.6.6: keepalive: linger 5\n\
             upsd: 7.7.7.7: nosuch\nupsd: 8.8.8.8:\nupsd: 10.0.0.1 : keepalive 1\nupsd: 10.0.0.2: linger x\n\
             upsd: 10.0.0.3: severity local0.bogus\nupsd: 10.0.0.4: severity=warning\nupsd: 10.0.0.5: allow :\n\
             upsd: 10.0.0.6: ALLOW extra\n",
            "upsd: 9.9.9.9: allow\nupsd: 11.1.1.1: severity info\nupsd: ALL EXCEPT 12.1.1.1\n",
        );
        let cases = [
            ("1.1.1.1", false),
            ("2.2.2.2", true),
            ("3.3.3.3", true),
            ("4.4.4.4", true),
            ("5.5.5.5", false),
            ("6.6.6.6", true),
            ("7.7.7.7", false),
            ("8.8.8.8", false),
            ("9.9.9.9", true),
            ("11.1.1.1", false),
            ("12.1.1.1", true),
            ("13.1.1.1", false),
            ("10.0.0.1", false),
            ("10.0.0.2", false),
            ("10.0.0.3", false),
            ("10.0.0.4", true),
            ("10.0.0.5", false),
            ("10.0.0.6", false),
        ];
        for (addr, want) in cases {
            assert_eq!(allowed(&tb, addr, UNKNOWN), want, "{addr}");
        }
        let d = decide(&tb, "6.6.6.6", UNKNOWN, "x");
        assert!(d.keepalive && d.linger == Some(5), "{d:?}");
        let d = decide(&tb, "7.7.7.7", UNKNOWN, "x");
        assert_eq!(d.to_string(), "denied by hosts.allow:7 (bad option name \"nosuch\")");
        // Every refused option is reported, as a warning (libwrap denies as we do).
        let w: Vec<String> = tb.0.diagnostics().iter().map(|d| d.to_string()).collect();
        assert!(
            w.iter().any(|l| l.starts_with("hosts.allow:7: warning: bad option name \"nosuch\"")),
            "{w:#?}"
        );
        assert!(
            w.iter().any(|l| l.starts_with("hosts.allow:5: warning: option \"deny\" must be at end")),
            "{w:#?}"
        );
    }

    #[test]
    fn what_cannot_be_evaluated_is_reported_and_fails_closed() {
        let allow = "sshd: ALL: spawn /bin/echo %a\nupsd: 10.0.0.1: spawn (/bin/echo %a) &\n\
                     upsd: @trusted\nupsd: /etc/nut/clients\nupsd: 10.0.0.9: twist /bin/echo 421\nupsd: ALL\n";
        let tb = t(allow, "");
        let e: Vec<String> = tb.0.diagnostics().iter().map(|d| d.to_string()).collect();
        assert_eq!(e.len(), 4, "{e:#?}");
        assert!(e[0].starts_with(
            "hosts.allow:2: error: upsd cannot carry out option \"spawn\" runs a shell command"
        ));
        assert!(
            e[1].starts_with("hosts.allow:3: error: upsd cannot evaluate this rule (NIS netgroup @trusted")
        );
        assert!(e[2].starts_with(
            "hosts.allow:4: error: upsd cannot evaluate this rule (host patterns read from the file"
        ));
        assert!(e[3].starts_with("hosts.allow:5: error: upsd cannot carry out option \"twist\""));
        // A client the spawn rule matches is denied, naming it...
        let d = decide(&tb, "10.0.0.1", UNKNOWN, "x");
        assert!(!d.allowed);
        assert_eq!(
            d.to_string(),
            "denied by hosts.allow:2, a rule upsd cannot evaluate (option \"spawn\" runs a shell command)"
        );
        // ... and so is every client, since the netgroup on line 3 may hold any of them.
        let d = decide(&tb, "10.0.0.2", UNKNOWN, "x");
        assert!(matches!(d.reason, Reason::FailClosed { line: 3, .. }), "{d:?}");
        // A pattern that matches first settles it: OR with an unknown is still yes.
        let tb = t("upsd: 10.0.0.2 @trusted\n", "ALL: ALL\n");
        assert!(allowed(&tb, "10.0.0.2", UNKNOWN));
        // In hosts.deny, `ALL EXCEPT @group` may or may not match anybody: fails closed.
        let tb = t("", "upsd: ALL EXCEPT @trusted\n");
        assert!(!allowed(&tb, "10.0.0.2", UNKNOWN));
    }

    #[test]
    fn libwrap_quirks_are_kept_and_reported() {
        let tb =
            t("upsd 10.0.0.1\nsshd 10.0.0.1\nupsd: 10.0.0.0/8 10.0.0.1/8 [zz]\nupsd: 11.0.0.2", "ALL: ALL\n");
        let w: Vec<String> = tb.0.diagnostics().iter().map(|d| d.to_string()).collect();
        assert_eq!(w.len(), 4, "{w:#?}");
        assert!(w[0].starts_with("hosts.allow:1: warning: missing \":\" separator"), "{w:#?}");
        assert!(
            w[1].contains("10.0.0.1/8 has address bits outside the mask")
                && w[1].contains("write 10.0.0.0/8")
        );
        assert!(w[2].starts_with("hosts.allow:3: warning: [...] must hold an IPv6 address"));
        assert!(w[3].starts_with("hosts.allow:4: warning: this line has no newline"), "{w:#?}");
        assert!(!allowed(&tb, "11.0.0.2", UNKNOWN), "an unterminated last line is skipped");
        assert!(tb.0.diagnostics().iter().all(|d| !d.is_error()));
    }

    /// Debian's libwrap stops at a line it cannot read whole, whatever daemon it names; in
    /// hosts.deny every client no rule above matched is then denied (checked with Debian's
    /// libwrap.so.0, hosts_access() on the same files and requests).
    #[test]
    fn a_line_libwrap_cannot_read_whole_ends_the_file() {
        // hosts.deny without its last newline denies everybody, even for another daemon's line.
        let tb = t("", "sshd: ALL");
        assert!(!allowed(&tb, "10.0.0.1", UNKNOWN));
        assert_eq!(
            decide(&tb, "10.0.0.1", UNKNOWN, "x").to_string(),
            "denied: libwrap stops reading hosts.deny at line 1, which has no newline at the end of the file"
        );
        let e = &tb.1.diagnostics()[0];
        assert!(
            e.is_error() && e.to_string().starts_with("hosts.deny:1: error: this line has no newline"),
            "{e}"
        );
        // The same in hosts.allow only skips that line.
        let tb = t("upsd: 10.0.0.1: deny", "");
        assert!(allowed(&tb, "10.0.0.1", UNKNOWN));
        assert!(!tb.0.diagnostics()[0].is_error());
        // (and is none of upsd's business when it names another daemon).
        assert!(t("sshd: ALL", "").0.diagnostics().is_empty());
        // A rule above the line still decides.
        let long = |daemon: &str| format!("{daemon}: 10.0.0.1 {}\n", "10.9.9.9 ".repeat(250));
        let tb = t("", &format!("upsd: 10.0.0.1: allow\n{}", long("sshd")));
        assert!(allowed(&tb, "10.0.0.1", UNKNOWN));
        assert!(!allowed(&tb, "10.0.0.2", UNKNOWN));
        // A line too long for libwrap's buffer ends hosts.allow: later rules are not used.
        let allow = format!("{}upsd: ALL\n", long("sshd"));
        assert!(allowed(&t(&allow, ""), "10.0.0.1", UNKNOWN));
        assert!(!allowed(&t(&allow, "upsd: 10.0.0.1\n"), "10.0.0.1", UNKNOWN));
        assert!(allowed(&t(&long("upsd"), ""), "10.0.0.1", UNKNOWN));
        assert!(!allowed(&t("", &long("upsd")), "10.0.0.2", UNKNOWN));
        // 2046 characters and the newline fit in libwrap's buffer, 2047 do not.
        let line = |n: usize| format!("sshd: {}\n", "a".repeat(n - 6));
        assert!(allowed(&t("", &line(2046)), "10.0.0.1", UNKNOWN));
        assert!(!allowed(&t("", &line(2047)), "10.0.0.1", UNKNOWN));
    }

    #[test]
    fn unreadable_files() {
        let allow = Table::unreadable("hosts.allow", "Permission denied", false);
        let deny = Table::unreadable("hosts.deny", "Permission denied", true);
        assert!(!allow.diagnostics()[0].is_error() && deny.diagnostics()[0].is_error());
        let d = decide(&(allow.clone(), Table::absent("hosts.deny")), "1.1.1.1", UNKNOWN, "x");
        assert!(d.allowed);
        let d = decide(&(allow, deny), "1.1.1.1", UNKNOWN, "x");
        assert!(!d.allowed);
        assert_eq!(d.to_string(), "denied: hosts.deny cannot be read (Permission denied)");
    }

    #[test]
    fn host_names_are_asked_for_only_when_needed() {
        let tb = t("upsd: 10.0.0.1 .example.com\n", "upsd: ALL\n");
        let req = |addr: &str, name| Request {
            daemon: "upsd",
            user: "u",
            client: Endpoint { addr: addr.parse().expect("addr"), name },
            server: Endpoint { addr: "127.0.0.1".parse().expect("addr"), name: None },
        };
        // The address matches first: no lookup.
        assert!(matches!(
            check(&tb.0, &tb.1, &req("10.0.0.1", None)),
            Outcome::Decided(Decision { allowed: true, .. })
        ));
        assert_eq!(check(&tb.0, &tb.1, &req("10.0.0.2", None)), Outcome::NeedName(Which::Client));
        assert!(matches!(
            check(&tb.0, &tb.1, &req("10.0.0.2", Some("a.example.com"))),
            Outcome::Decided(Decision { allowed: true, .. })
        ));
        let tb = t("upsd@myhost: ALL\n", "upsd: ALL\n");
        assert_eq!(check(&tb.0, &tb.1, &req("10.0.0.2", None)), Outcome::NeedName(Which::Server));
        // Address patterns never need a name, not even [v6] ones (libwrap looks one up).
        let tb = t("upsd: [::1] 10.0.0.0/8 1.2.\n", "upsd: ALL\n");
        assert!(matches!(
            check(&tb.0, &tb.1, &req("11.0.0.2", None)),
            Outcome::Decided(Decision { allowed: false, .. })
        ));
    }

    #[test]
    fn wildcards() {
        for (p, s, want) in [
            ("*", "", true),
            ("a*c", "abbbc", true),
            ("a*c", "abbbd", false),
            ("?b", "ab", true),
            ("?b", "b", false),
            ("*.EXAMPLE.com", "x.example.COM", true),
            ("a**b*", "ab", true),
        ] {
            assert_eq!(wild(p.as_bytes(), s.as_bytes()), want, "{p} {s}");
        }
        // No exponential backtracking.
        let p = format!("{}b", "*a".repeat(200));
        assert!(!wild(p.as_bytes(), "a".repeat(2000).as_bytes()));
    }

    proptest::proptest! {
        #[test]
        fn any_file_and_request_give_an_answer_without_panicking(
            text in "[ -~\\n\\[\\]:@/.*?]{0,300}",
            user in "[a-z@.*]{0,8}",
            a in proptest::prelude::any::<[u8; 4]>(),
            name in "[a-zA-Z.*?]{0,12}",
        ) {
            let allow = parse(&text, "allow", "upsd", false);
            let deny = parse(&text.replace('a', "b"), "deny", "upsd", true);
            let req = Request {
                daemon: "upsd",
                user: &user,
                client: Endpoint { addr: IpAddr::from(a), name: Some(&name) },
                server: Endpoint { addr: IpAddr::from([127, 0, 0, 1]), name: Some("localhost") },
            };
            let out = check(&allow, &deny, &req);
            if let Outcome::Decided(d) = &out {
                proptest::prop_assert!(d.allowed || d.reason != Reason::NoMatch, "{d:?}");
            }
            if allows_all(&allow, &deny) {
                proptest::prop_assert!(matches!(out, Outcome::Decided(Decision { allowed: true, .. })), "{out:?}");
            }
        }
    }

    #[test]
    fn tables_without_a_rule_for_the_daemon_allow_all() {
        let absent = (Table::absent("hosts.allow"), Table::absent("hosts.deny"));
        assert!(allows_all(&absent.0, &absent.1));
        for (allow, deny, want) in [
            ("", "", true),
            ("sshd: ALL\n# upsd: ALL\n", "sshd: ALL: spawn x\nALL EXCEPT upsd: ALL\n", true),
            ("sshd: ALL", "", true),
            ("", "sshd: ALL", false),
            ("upsd: 10.0.0.1\n", "", false),
            ("", "upsd: 10.0.0.1\n", false),
            ("", "ALL: ALL\n", false),
        ] {
            let tb = t(allow, deny);
            assert_eq!(allows_all(&tb.0, &tb.1), want, "{allow:?} {deny:?}");
        }
        let unreadable = Table::unreadable("hosts.deny", "Permission denied", true);
        assert!(!allows_all(&absent.0, &unreadable));
    }

    #[test]
    fn rules_for_other_daemons_are_not_reported() {
        let tb = t("sshd: @group : spawn x\nin.tftpd: LOCAL: twist y\nsshd: 10.0.0.1/8\n", "");
        assert!(tb.0.diagnostics().is_empty(), "{:?}", tb.0.diagnostics());
        assert_eq!(tb.0.rule_count(), 0);
    }
}
