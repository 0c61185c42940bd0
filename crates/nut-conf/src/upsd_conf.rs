//! `upsd.conf`: the network server's settings. Keywords are case-sensitive, as in NUT
//! (`maxage 20` is ignored by upsd; we warn and suggest `MAXAGE`).
//!
//! NUT 2.8.0's upsd logs `upsd.conf: invalid directive ...` and carries on for unknown
//! keywords, missing arguments and non-numeric values. We keep unknown keywords as warnings but
//! make a recognised keyword with a missing or invalid value an error: a daemon that silently
//! runs with `MAXAGE` 0 or no `LISTEN` is worse than one that refuses to start and says which
//! line to fix. `LISTEN`'s port must be a number (NUT also accepts a service name from
//! /etc/services); the error says to write 3493.

use crate::diag::{Parsed, Sink};
use crate::lexer::lex;

/// Default `MAXAGE` (seconds before a driver's data counts as stale).
pub const DEFAULT_MAXAGE: u32 = 15;
/// Default `TRACKINGDELAY` (seconds TRACKING results are kept).
pub const DEFAULT_TRACKINGDELAY: u32 = 3600;
/// NUT's TCP port.
pub const DEFAULT_PORT: u16 = 3493;

/// The parsed file, with NUT's defaults for everything not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsdConf {
    /// `MAXAGE` (15).
    pub maxage: u32,
    /// `TRACKINGDELAY` (3600).
    pub trackingdelay: u32,
    /// `ALLOW_NO_DEVICE`: start with an empty ups.conf (false).
    pub allow_no_device: bool,
    /// `ALLOW_NOT_ALL_LISTENERS`: start even if some LISTEN addresses fail (false).
    pub allow_not_all_listeners: bool,
    /// `STATEPATH`: where the driver sockets are.
    pub statepath: Option<String>,
    /// `DATAPATH`: where upsd finds its data files (undocumented).
    pub datapath: Option<String>,
    /// `LISTEN` lines in order; empty means localhost only (127.0.0.1 and ::1).
    pub listen: Vec<Listen>,
    /// `MAXCONN`: connection limit.
    pub maxconn: Option<u32>,
    /// `CERTFILE`: PEM file with certificate and key.
    pub certfile: Option<String>,
    /// `CERTPATH`: certificate database or CA directory.
    pub certpath: Option<String>,
    /// `CERTIDENT <name> <pass>`.
    pub certident: Option<CertIdent>,
    /// `CERTREQUEST`: whether clients must present certificates.
    pub certrequest: Option<CertRequest>,
    /// `DISABLE_WEAK_SSL` (false).
    pub disable_weak_ssl: bool,
    /// `DEBUG_MIN` (any case, as in NUT): minimum debug level at start; on reload, the level
    /// to apply as-is.
    pub debug_min: Option<u32>,
    /// The line of the last occurrence of each directive that was read (keyed by its
    /// upper-case name), for messages that point at the line to change.
    pub lines: std::collections::BTreeMap<String, usize>,
}

impl Default for UpsdConf {
    fn default() -> Self {
        UpsdConf {
            maxage: DEFAULT_MAXAGE,
            trackingdelay: DEFAULT_TRACKINGDELAY,
            allow_no_device: false,
            allow_not_all_listeners: false,
            statepath: None,
            datapath: None,
            listen: Vec::new(),
            maxconn: None,
            certfile: None,
            certpath: None,
            certident: None,
            certrequest: None,
            disable_weak_ssl: false,
            debug_min: None,
            lines: std::collections::BTreeMap::new(),
        }
    }
}

impl UpsdConf {
    /// The line of the last `key` directive (upper case), if the file has one.
    pub fn line_of(&self, key: &str) -> Option<usize> {
        self.lines.get(key).copied()
    }

    /// The addresses to listen on: the `LISTEN` lines, or NUT's default of localhost
    /// (127.0.0.1 and ::1) on 3493. `*` (2.8.1) is kept as written for the server to expand.
    pub fn listen_or_default(&self) -> Vec<(String, u16)> {
        if self.listen.is_empty() {
            vec![("127.0.0.1".to_string(), DEFAULT_PORT), ("::1".to_string(), DEFAULT_PORT)]
        } else {
            self.listen.iter().map(|l| (l.addr.clone(), l.port.unwrap_or(DEFAULT_PORT))).collect()
        }
    }
}

/// One `LISTEN <addr> [port]` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    /// Address or host name as written (`*` means every IPv4 and IPv6 address).
    pub addr: String,
    /// Port, if given (default 3493).
    pub port: Option<u16>,
    /// Line of the directive, for bind error messages.
    pub line: usize,
}

/// `CERTIDENT <name> <pass>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertIdent {
    /// Certificate name (nickname in the NSS database).
    pub name: String,
    /// Password of the database or key.
    pub pass: String,
}

/// `CERTREQUEST`: 0 (`NO`), 1 (`REQUEST`) or 2 (`REQUIRE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertRequest {
    /// Don't ask clients for a certificate.
    No,
    /// Ask, but accept clients without one.
    Request,
    /// Refuse clients without a valid certificate.
    Require,
}

/// Every keyword upsd.conf knows, for suggestions.
pub const KEYWORDS: &[&str] = &[
    "MAXAGE",
    "TRACKINGDELAY",
    "ALLOW_NO_DEVICE",
    "ALLOW_NOT_ALL_LISTENERS",
    "STATEPATH",
    "DATAPATH",
    "LISTEN",
    "MAXCONN",
    "CERTFILE",
    "CERTPATH",
    "CERTIDENT",
    "CERTREQUEST",
    "DISABLE_WEAK_SSL",
    "DEBUG_MIN",
];

/// Parse `upsd.conf` text; `file` names it in diagnostics.
pub fn parse(text: &str, file: &str) -> Parsed<UpsdConf> {
    let (lines, diags) = lex(text, file);
    let mut sink = Sink::new(file, diags);
    let mut conf = UpsdConf::default();
    for line in &lines {
        let n = line.line;
        // NUT compares keywords case-sensitively, except DEBUG_MIN ("debug_min also
        // acceptable, to be on par with ups.conf").
        let key = match line.words[0].as_str() {
            k if k.eq_ignore_ascii_case("DEBUG_MIN") => "DEBUG_MIN",
            k => k,
        };
        if KEYWORDS.contains(&key) {
            conf.lines.insert(key.to_string(), n);
        }
        // upsd.conf has no `=`; accept `KEY = value` quietly rather than misreading "=".
        let args: Vec<&str> = line.words[1..]
            .iter()
            .enumerate()
            .filter(|(i, w)| !(*i == 0 && *w == "="))
            .map(|(_, w)| w.as_str())
            .collect();
        let want = |sink: &mut Sink, min: usize, max: usize, usage: &str| -> bool {
            if args.len() < min {
                sink.error(n, format!("{key} needs a value; write: {usage}"));
                false
            } else {
                if args.len() > max {
                    sink.warn(
                        n,
                        format!(
                            "extra words after {key} are ignored; write: {usage} (quote values with spaces)"
                        ),
                    );
                }
                true
            }
        };
        match key {
            "MAXAGE" => {
                if want(&mut sink, 1, 1, "MAXAGE 15") {
                    if let Some(v) = sink.number(n, key, args[0]) {
                        conf.maxage = v;
                    }
                }
            }
            "TRACKINGDELAY" => {
                if want(&mut sink, 1, 1, "TRACKINGDELAY 3600") {
                    if let Some(v) = sink.number(n, key, args[0]) {
                        conf.trackingdelay = v;
                    }
                }
            }
            "ALLOW_NO_DEVICE" => {
                if want(&mut sink, 1, 1, "ALLOW_NO_DEVICE true") {
                    if let Some(v) = number_or_boolean(&mut sink, n, key, args[0]) {
                        conf.allow_no_device = v;
                    }
                }
            }
            "ALLOW_NOT_ALL_LISTENERS" => {
                if want(&mut sink, 1, 1, "ALLOW_NOT_ALL_LISTENERS true") {
                    if let Some(v) = number_or_boolean(&mut sink, n, key, args[0]) {
                        conf.allow_not_all_listeners = v;
                    }
                }
            }
            "DISABLE_WEAK_SSL" => {
                if want(&mut sink, 1, 1, "DISABLE_WEAK_SSL true") {
                    if let Some(v) = sink.boolean(n, key, args[0]) {
                        conf.disable_weak_ssl = v;
                    }
                }
            }
            "STATEPATH" => {
                if want(&mut sink, 1, 1, "STATEPATH /run/nut") {
                    conf.statepath = Some(args[0].to_string());
                }
            }
            "DATAPATH" => {
                if want(&mut sink, 1, 1, "DATAPATH /usr/share/nut") {
                    conf.datapath = Some(args[0].to_string());
                }
            }
            "LISTEN" => {
                if want(&mut sink, 1, 2, "LISTEN 127.0.0.1 3493") {
                    let port = match args.get(1) {
                        None => Some(None),
                        Some(p) => match p.parse::<u16>() {
                            Ok(v) if v > 0 => Some(Some(v)),
                            _ => {
                                sink.error(
                                    n,
                                    format!(
                                        "LISTEN port must be a number from 1 to 65535, not \"{p}\" \
                                         (NUT's port is 3493): LISTEN {} 3493",
                                        args[0]
                                    ),
                                );
                                None
                            }
                        },
                    };
                    if args[0].chars().all(|ch| ch.is_ascii_digit()) {
                        // Seen in a how-to: "LISTEN 3493" makes upsd bind to the address
                        // 3493 (0.0.13.149), which fails at startup.
                        sink.error(
                            n,
                            format!(
                                "LISTEN takes an address first, then the port: \"LISTEN {0}\" \
                                 would listen on address {0}; write LISTEN 127.0.0.1 {0}",
                                args[0]
                            ),
                        );
                    } else if let Some(port) = port {
                        conf.listen.push(Listen { addr: args[0].to_string(), port, line: n });
                    }
                }
            }
            "MAXCONN" => {
                if want(&mut sink, 1, 1, "MAXCONN 1024") {
                    if let Some(v) = sink.number(n, key, args[0]) {
                        conf.maxconn = Some(v);
                    }
                }
            }
            "CERTFILE" => {
                if want(&mut sink, 1, 1, "CERTFILE /etc/nut/upsd.pem") {
                    conf.certfile = Some(args[0].to_string());
                }
            }
            "CERTPATH" => {
                if want(&mut sink, 1, 1, "CERTPATH /etc/nut/cert") {
                    conf.certpath = Some(args[0].to_string());
                }
            }
            "CERTIDENT" => {
                if want(&mut sink, 2, 2, "CERTIDENT \"cert name\" \"password\"") {
                    conf.certident = Some(CertIdent { name: args[0].to_string(), pass: args[1].to_string() });
                }
            }
            "CERTREQUEST" => {
                if want(&mut sink, 1, 1, "CERTREQUEST 0 (or NO, 1/REQUEST, 2/REQUIRE)") {
                    conf.certrequest = match args[0].to_ascii_uppercase().as_str() {
                        "0" | "NO" => Some(CertRequest::No),
                        "1" | "REQUEST" => Some(CertRequest::Request),
                        "2" | "REQUIRE" => Some(CertRequest::Require),
                        _ => {
                            sink.error(
                                n,
                                format!(
                                    "CERTREQUEST must be 0 (NO), 1 (REQUEST) or 2 (REQUIRE), not \"{}\"",
                                    args[0]
                                ),
                            );
                            None
                        }
                    };
                }
            }
            "DEBUG_MIN" => {
                if want(&mut sink, 1, 1, "DEBUG_MIN 1") {
                    if let Some(v) = sink.number(n, key, args[0]) {
                        conf.debug_min = Some(v);
                    }
                }
            }
            "ACL" | "ACCEPT" | "REJECT" => sink.warn(
                n,
                format!(
                    "{key} is no longer supported since NUT 2.4 and is ignored; remove the line and \
                     control access with LISTEN (which addresses upsd binds) and firewall rules"
                ),
            ),
            _ => sink.unknown(n, "directive", key, KEYWORDS, "the line is ignored"),
        }
    }
    sink.finish(conf)
}

/// NUT's reading of ALLOW_NO_DEVICE and ALLOW_NOT_ALL_LISTENERS: a number (non-zero is true)
/// or a boolean word.
fn number_or_boolean(sink: &mut Sink, line: usize, key: &str, value: &str) -> Option<bool> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value.bytes().any(|b| b != b'0'));
    }
    sink.boolean(line, key, value)
}

/// How NUT 2.8.5's upsd reads `ALLOW_NO_DEVICE` and `ALLOW_NOT_ALL_LISTENERS` from the
/// environment (where they override upsd.conf): a value starting with `true`, `yes`, `on` or
/// `1` (any case) is true, one starting with `false`, `no`, `off` or `0` is false; anything
/// else leaves the file's setting (`None`).
pub fn env_boolean(value: &str) -> Option<bool> {
    let starts =
        |p: &str| value.len() >= p.len() && value.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    if ["TRUE", "YES", "ON", "1"].iter().any(|p| starts(p)) {
        Some(true)
    } else if ["FALSE", "NO", "OFF", "0"].iter().any(|p| starts(p)) {
        Some(false)
    } else {
        None
    }
}

/// Every diagnostic for `upsd.conf` (what `upsd`'s check mode prints).
pub fn check(text: &str, file: &str) -> Vec<crate::Diagnostic> {
    match parse(text, file) {
        Ok((_, d)) | Err(d) => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (UpsdConf, Vec<String>) {
        crate::testutil::ok(parse(text, "upsd.conf"))
    }

    fn errs(text: &str) -> Vec<String> {
        crate::testutil::errs(parse(text, "upsd.conf"), false)
    }

    #[test]
    fn defaults() {
        let (c, w) = ok("");
        assert!(w.is_empty());
        assert_eq!(c, UpsdConf::default());
        assert_eq!((c.maxage, c.trackingdelay), (15, 3600));
        assert_eq!(c.listen_or_default(), vec![("127.0.0.1".to_string(), 3493), ("::1".to_string(), 3493)]);
    }

    #[test]
    fn every_directive() {
        let (c, w) = ok("MAXAGE 30\nTRACKINGDELAY 60\nALLOW_NO_DEVICE true\n\
             ALLOW_NOT_ALL_LISTENERS yes\nSTATEPATH /tmp/s\nDATAPATH /tmp/d\n\
             LISTEN 127.0.0.1 34930\nLISTEN ::1\nLISTEN *\nMAXCONN 100\n\
             CERTFILE /etc/nut/upsd.pem\nCERTPATH /etc/nut/cert\n\
             CERTIDENT \"my cert\" \"pass word\"\nCERTREQUEST REQUIRE\nDISABLE_WEAK_SSL on\nDEBUG_MIN 2\n");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!((c.maxage, c.trackingdelay), (30, 60));
        assert!(c.allow_no_device && c.allow_not_all_listeners && c.disable_weak_ssl);
        assert_eq!(c.statepath.as_deref(), Some("/tmp/s"));
        assert_eq!(c.datapath.as_deref(), Some("/tmp/d"));
        assert_eq!(
            c.listen,
            vec![
                Listen { addr: "127.0.0.1".into(), port: Some(34930), line: 7 },
                Listen { addr: "::1".into(), port: None, line: 8 },
                Listen { addr: "*".into(), port: None, line: 9 },
            ]
        );
        assert_eq!(c.listen_or_default()[1], ("::1".to_string(), 3493));
        assert_eq!(c.maxconn, Some(100));
        assert_eq!(c.certfile.as_deref(), Some("/etc/nut/upsd.pem"));
        assert_eq!(c.certpath.as_deref(), Some("/etc/nut/cert"));
        assert_eq!(c.certident, Some(CertIdent { name: "my cert".into(), pass: "pass word".into() }));
        assert_eq!(c.certrequest, Some(CertRequest::Require));
        assert_eq!(c.debug_min, Some(2));
        for (v, want) in [("0", CertRequest::No), ("1", CertRequest::Request), ("2", CertRequest::Require)] {
            assert_eq!(ok(&format!("CERTREQUEST {v}")).0.certrequest, Some(want));
        }
    }

    #[test]
    fn legacy_acl_and_unknown_keywords_are_warnings() {
        let (c, w) = ok("ACL all 0.0.0.0/0\nACCEPT all\nREJECT all\nmaxage 20\nLISTN 1.2.3.4\nFOO bar\n");
        assert_eq!(c.maxage, 15, "lowercase maxage is ignored as by NUT");
        assert!(w[0].starts_with("upsd.conf:1: warning: ACL is no longer supported"), "{w:?}");
        assert!(w[0].contains("LISTEN"));
        assert!(w[2].starts_with("upsd.conf:3: warning: REJECT"), "{w:?}");
        assert!(
            w[3].contains("upsd.conf:4: warning: unknown directive \"maxage\"; did you mean \"MAXAGE\"? (names in this file are case-sensitive)"),
            "{w:?}"
        );
        assert!(w[4].contains("did you mean \"LISTEN\"?"), "{w:?}");
        assert!(w[5].contains("unknown directive \"FOO\"; the line is ignored"), "{w:?}");
    }

    #[test]
    fn bad_values_are_errors_all_reported_with_lines() {
        let e = errs(
            "MAXAGE abc\nMAXAGE\nLISTEN\nALLOW_NO_DEVICE\nDISABLE_WEAK_SSL maybe\n\
             CERTREQUEST 5\nMAXCONN -3\nTRACKINGDELAY x\nLISTEN 0.0.0.0 nut\nCERTIDENT onlyname\nLISTEN 3493\n",
        );
        let want = [
            "upsd.conf:1: error: MAXAGE needs a whole number, not \"abc\"",
            "upsd.conf:2: error: MAXAGE needs a value; write: MAXAGE 15",
            "upsd.conf:3: error: LISTEN needs a value",
            "upsd.conf:4: error: ALLOW_NO_DEVICE needs a value",
            "upsd.conf:5: error: DISABLE_WEAK_SSL needs a boolean",
            "upsd.conf:6: error: CERTREQUEST must be 0 (NO), 1 (REQUEST) or 2 (REQUIRE)",
            "upsd.conf:7: error: MAXCONN needs a whole number",
            "upsd.conf:8: error: TRACKINGDELAY needs a whole number",
            "upsd.conf:9: error: LISTEN port must be a number",
            "upsd.conf:10: error: CERTIDENT needs a value",
            "upsd.conf:11: error: LISTEN takes an address first, then the port: \"LISTEN 3493\" would listen on address 3493; write LISTEN 127.0.0.1 3493",
        ];
        crate::testutil::assert_prefixes(&e, &want);
    }

    #[test]
    fn debug_min_in_any_case_and_numeric_booleans_as_nut() {
        let (c, w) = ok("debug_min 3\nALLOW_NO_DEVICE 2\nALLOW_NOT_ALL_LISTENERS 0\n");
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.debug_min, Some(3));
        assert_eq!(c.line_of("DEBUG_MIN"), Some(1));
        assert!(c.allow_no_device && !c.allow_not_all_listeners);
        assert_eq!(ok("Debug_Min 0\n").0.debug_min, Some(0));
        let e = errs("DEBUG_MIN -1\n");
        assert!(e[0].starts_with("upsd.conf:1: error: DEBUG_MIN needs a whole number"), "{e:?}");
    }

    #[test]
    fn environment_booleans_are_prefixes_as_in_nut() {
        for t in ["true", "TRUE", "yes", "Yes", "on", "1", "10", "truely", "onwards"] {
            assert_eq!(env_boolean(t), Some(true), "{t}");
        }
        for f in ["false", "NO", "off", "0", "nope", "offline"] {
            assert_eq!(env_boolean(f), Some(false), "{f}");
        }
        for n in ["", "tru", "maybe", "2", " yes"] {
            assert_eq!(env_boolean(n), None, "{n:?}");
        }
    }

    #[test]
    fn extra_words_warn() {
        let (c, w) = ok("MAXAGE 20 30\nLISTEN 127.0.0.1 3493 extra\n");
        assert_eq!(c.maxage, 20);
        assert!(w[0].starts_with("upsd.conf:1: warning: extra words after MAXAGE"), "{w:?}");
        assert_eq!(w.len(), 2);
    }
}
