//! Parsing `ups[@host[:port]]` names the way NUT's `upscli_splitname` does.
//!
//! Every NUT client takes a UPS as `ups1`, `ups1@server`, `ups1@server:3493` or
//! `ups1@[::1]:3493`. The host defaults to `localhost` and the port to 3493. Host-only
//! arguments (`upsc -l host[:port]`) follow `upscli_splitaddr`, which is the part after `@`.

use std::fmt;

use thiserror::Error;

use nut_core::DEFAULT_PORT;

/// The host used when a name has no `@host` part.
pub const DEFAULT_HOST: &str = "localhost";

/// A parsed `ups[@host[:port]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsName {
    /// The UPS name as upsd knows it (the part before `@`).
    pub ups: String,
    /// Host name or address literal, without brackets.
    pub host: String,
    /// TCP port of upsd.
    pub port: u16,
}

/// A host and port as given to `upsc -l host[:port]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPort {
    /// Host name or address literal, without brackets.
    pub host: String,
    /// TCP port of upsd.
    pub port: u16,
}

/// Why a `ups[@host[:port]]` or `host[:port]` could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// Nothing to parse (empty string, or only `@`).
    #[error("empty UPS name: expected upsname[@hostname[:port]]")]
    EmptyName,
    /// Nothing after `@`, or an empty host.
    #[error("empty host name: expected upsname@hostname[:port] or hostname[:port]")]
    EmptyHost,
    /// `[` without a matching `]`.
    #[error("missing closing bracket in [address literal] {0:?}")]
    MissingBracket(String),
    /// `:` not followed by a number in 1..=65535.
    #[error("no valid port after ':' in {0:?} (expected 1-65535)")]
    BadPort(String),
}

impl UpsName {
    /// Parse `ups[@host[:port]]` with NUT's rules.
    ///
    /// Like NUT, text after the UPS name up to a second `@` is ignored, an empty host part
    /// (`ups@`) is refused, and the port is read as a decimal prefix (`:3493x` is 3493).
    pub fn parse(s: &str) -> Result<UpsName, NameError> {
        // NUT takes the first non-empty '@'-separated token as the UPS name (strtok), so a
        // leading '@' is skipped rather than giving an empty name.
        let ups = s.split('@').find(|t| !t.is_empty()).ok_or(NameError::EmptyName)?;
        match s.find('@') {
            None => Ok(UpsName { ups: ups.to_string(), host: DEFAULT_HOST.into(), port: DEFAULT_PORT }),
            Some(at) => {
                let hp = HostPort::parse(&s[at + 1..])?;
                Ok(UpsName { ups: ups.to_string(), host: hp.host, port: hp.port })
            }
        }
    }
}

/// Shown as `ups@host:port`, in a form [`UpsName::parse`] reads back to the same name.
impl fmt::Display for UpsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A host needs brackets when it holds ':' (IPv6) and also when it starts with '['
        // (only a bracketed literal can give one: "u@[[x]" is host "[x"); unbracketed,
        // "u@[x:3493" would read as an unclosed literal. A bracketed host never holds ']',
        // so wrapping it again is always unambiguous.
        if self.host.contains(':') || self.host.starts_with('[') {
            write!(f, "{}@[{}]:{}", self.ups, self.host, self.port)
        } else {
            write!(f, "{}@{}:{}", self.ups, self.host, self.port)
        }
    }
}

impl HostPort {
    /// Parse `host[:port]` or `[addr]:port` with NUT's `upscli_splitaddr` rules.
    pub fn parse(s: &str) -> Result<HostPort, NameError> {
        if s.is_empty() {
            return Err(NameError::EmptyHost);
        }
        let (host, rest) = if let Some(inner) = s.strip_prefix('[') {
            let close = inner.find(']').ok_or_else(|| NameError::MissingBracket(s.to_string()))?;
            let host = &inner[..close];
            let rest = &inner[close + 1..];
            // After "]" only ":port" counts; anything else means the default port.
            (host, rest.strip_prefix(':'))
        } else {
            let host = s.split(':').find(|t| !t.is_empty()).ok_or(NameError::EmptyHost)?;
            (host, s.find(':').map(|i| &s[i + 1..]))
        };
        if host.is_empty() {
            return Err(NameError::EmptyHost);
        }
        let port = match rest {
            None => DEFAULT_PORT,
            Some(p) => parse_port(p).ok_or_else(|| NameError::BadPort(s.to_string()))?,
        };
        Ok(HostPort { host: host.to_string(), port })
    }
}

impl NameError {
    /// The line NUT's `upscli_splitname` / `upscli_splitaddr` prints for this problem.
    pub fn nut_message(&self) -> &'static str {
        match self {
            NameError::EmptyName => "upscli_splitname: can't parse empty string",
            NameError::EmptyHost => "upscli_splitaddr: can't parse empty string",
            NameError::MissingBracket(_) => "upscli_splitaddr: missing closing bracket in [domain literal]",
            NameError::BadPort(_) => "upscli_splitaddr: no port specified after ':' separator",
        }
    }
}

/// `strtol`-like: the leading decimal digits, which must form a number in 1..=65535.
fn parse_port(p: &str) -> Option<u16> {
    let digits: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: u32 = digits.parse().ok()?;
    u16::try_from(n).ok().filter(|n| *n >= 1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn n(ups: &str, host: &str, port: u16) -> UpsName {
        UpsName { ups: ups.into(), host: host.into(), port }
    }

    #[test]
    fn defaults() {
        assert_eq!(UpsName::parse("ups1").unwrap(), n("ups1", "localhost", 3493));
        assert_eq!(UpsName::parse("ups1@nas").unwrap(), n("ups1", "nas", 3493));
        assert_eq!(UpsName::parse("ups1@nas:3500").unwrap(), n("ups1", "nas", 3500));
    }

    #[test]
    fn ipv6_literals() {
        assert_eq!(UpsName::parse("ups1@[::1]:3500").unwrap(), n("ups1", "::1", 3500));
        assert_eq!(UpsName::parse("ups1@[::1]").unwrap(), n("ups1", "::1", 3493));
        assert_eq!(UpsName::parse("ups1@[fe80::1]x").unwrap(), n("ups1", "fe80::1", 3493));
        assert_eq!(UpsName::parse("ups1@[::1").unwrap_err(), NameError::MissingBracket("[::1".into()));
    }

    #[test]
    fn bad_ports_and_empty_parts() {
        assert!(matches!(UpsName::parse("ups1@host:"), Err(NameError::BadPort(_))));
        assert!(matches!(UpsName::parse("ups1@host:0"), Err(NameError::BadPort(_))));
        assert!(matches!(UpsName::parse("ups1@host:70000"), Err(NameError::BadPort(_))));
        assert!(matches!(UpsName::parse("ups1@host:x"), Err(NameError::BadPort(_))));
        assert_eq!(UpsName::parse("ups1@host:3500x").unwrap(), n("ups1", "host", 3500));
        assert_eq!(UpsName::parse(""), Err(NameError::EmptyName));
        assert_eq!(UpsName::parse("@"), Err(NameError::EmptyName));
        assert_eq!(UpsName::parse("ups1@"), Err(NameError::EmptyHost));
        assert_eq!(HostPort::parse(":"), Err(NameError::EmptyHost));
        // NUT reads "@host" as UPS "host" at host "host" (strtok skips the empty token).
        assert_eq!(UpsName::parse("@h:1").unwrap(), n("h:1", "h", 1));
    }

    #[test]
    fn host_port_alone() {
        assert_eq!(
            HostPort::parse("localhost:3500").unwrap(),
            HostPort { host: "localhost".into(), port: 3500 }
        );
        assert_eq!(HostPort::parse("127.0.0.1").unwrap().port, 3493);
    }

    #[test]
    fn display_brackets_ipv6() {
        assert_eq!(n("u", "::1", 1).to_string(), "u@[::1]:1");
        assert_eq!(n("u", "h", 2).to_string(), "u@h:2");
    }

    /// NUT's upscli_splitaddr takes everything between the first '[' and the next ']' as the
    /// host, so "u@[[x]" names host "[x"; its display must read back to the same name.
    #[test]
    fn display_parses_back_for_odd_hosts() {
        for input in ["u@[[x]", "u@[[x]:7", "u@[[::1]:9", "u@a]b", "u@[a]b]", "@h:1", "u@[x", "u@h"] {
            let Ok(name) = UpsName::parse(input) else { continue };
            let shown = name.to_string();
            assert_eq!(UpsName::parse(&shown), Ok(name.clone()), "{input:?} shown as {shown:?}");
        }
        assert_eq!(UpsName::parse("u@[[x]").unwrap(), n("u", "[x", 3493));
        assert_eq!(n("u", "[x", 3493).to_string(), "u@[[x]:3493");
    }

    /// Every string of up to 6 characters over the characters that matter to the grammar:
    /// whatever parses, its display parses back to it.
    #[test]
    fn display_round_trips_exhaustively() {
        const ALPHABET: &[char] = &['u', '@', '[', ']', ':', '1'];
        let mut inputs = vec![String::new()];
        for _ in 0..6 {
            let longer: Vec<String> =
                inputs.iter().flat_map(|s| ALPHABET.iter().map(move |c| format!("{s}{c}"))).collect();
            for input in &longer {
                if let Ok(name) = UpsName::parse(input) {
                    let shown = name.to_string();
                    assert_eq!(UpsName::parse(&shown), Ok(name), "{input:?} shown as {shown:?}");
                }
            }
            inputs = longer;
        }
    }
}
