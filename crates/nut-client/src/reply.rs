//! Pure parsing of upsd's replies: `TYPE` flags, `GET TRACKING` answers and the checks that a
//! reply belongs to the request that was sent.

/// The flags of a variable from `GET TYPE` (`TYPE <ups> <var> [RW] [ENUM] [RANGE] STRING:<n>|NUMBER`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VarType {
    /// Writable with `SET VAR`.
    pub rw: bool,
    /// Has a list of allowed values (`LIST ENUM`).
    pub enumerated: bool,
    /// Has allowed ranges (`LIST RANGE`).
    pub range: bool,
    /// A string, with its maximum length when upsd gives one (`STRING:32`).
    pub string: Option<Option<usize>>,
    /// A number.
    pub number: bool,
    /// The flag words as received, for anything not covered above.
    pub words: Vec<String>,
}

impl VarType {
    /// Parse the flag words after `TYPE <ups> <var>`.
    pub fn parse<S: AsRef<str>>(words: &[S]) -> VarType {
        let mut t =
            VarType { words: words.iter().map(|w| w.as_ref().to_string()).collect(), ..Default::default() };
        for w in words {
            let w = w.as_ref();
            match w {
                "RW" => t.rw = true,
                "ENUM" => t.enumerated = true,
                "RANGE" => t.range = true,
                "NUMBER" => t.number = true,
                "STRING" => t.string = Some(None),
                _ => {
                    if let Some(n) = w.strip_prefix("STRING:") {
                        t.string = Some(n.parse().ok());
                    }
                }
            }
        }
        t
    }
}

/// The answer to `GET TRACKING <id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrackingStatus {
    /// The driver has not answered yet.
    Pending,
    /// The command or SET succeeded.
    Success,
    /// `ERR <code>`: the command failed (`FAILED`), the id is unknown (`UNKNOWN`) or invalid
    /// (`INVALID-ARGUMENT`). The code is kept as sent.
    Failed(String),
}

impl TrackingStatus {
    /// Parse a reply line; `None` if it is none of the documented answers.
    pub fn parse(line: &str) -> Option<TrackingStatus> {
        let line = line.trim_end();
        match line {
            "PENDING" => Some(TrackingStatus::Pending),
            "SUCCESS" => Some(TrackingStatus::Success),
            _ => line.strip_prefix("ERR ").map(|c| TrackingStatus::Failed(c.trim().to_string())),
        }
    }
}

/// If `words` starts with `prefix`, return the words after it. The comparison ignores ASCII
/// case: NUT matches command words that way, and a lenient check only loses the ability to
/// notice a server echoing a differently cased name, which is harmless.
pub fn strip_words<'a>(words: &'a [String], prefix: &[&str]) -> Option<&'a [String]> {
    if words.len() < prefix.len() {
        return None;
    }
    if !words.iter().zip(prefix).all(|(w, p)| w.eq_ignore_ascii_case(p)) {
        return None;
    }
    Some(&words[prefix.len()..])
}

/// The tracking id in `OK TRACKING <id>`, if the reply has one.
pub fn tracking_id(ok_line: &str) -> Option<&str> {
    ok_line.strip_prefix("OK TRACKING ").map(str::trim).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_flags() {
        let t = VarType::parse(&["RW", "STRING:32"]);
        assert!(t.rw && !t.number && t.string == Some(Some(32)));
        let t = VarType::parse(&["RW", "ENUM", "NUMBER"]);
        assert!(t.rw && t.enumerated && t.number && t.string.is_none());
        let t = VarType::parse(&["RANGE"]);
        assert!(t.range);
    }

    #[test]
    fn tracking() {
        assert_eq!(TrackingStatus::parse("PENDING"), Some(TrackingStatus::Pending));
        assert_eq!(TrackingStatus::parse("SUCCESS\r"), Some(TrackingStatus::Success));
        assert_eq!(TrackingStatus::parse("ERR FAILED"), Some(TrackingStatus::Failed("FAILED".into())));
        assert_eq!(TrackingStatus::parse("what"), None);
        assert_eq!(tracking_id("OK TRACKING 1234-abcd"), Some("1234-abcd"));
        assert_eq!(tracking_id("OK"), None);
    }

    #[test]
    fn prefixes() {
        let w: Vec<String> = ["VAR", "ups1", "battery.charge", "95"].iter().map(|s| s.to_string()).collect();
        assert_eq!(strip_words(&w, &["var", "ups1"]).map(|r| r.len()), Some(2));
        assert!(strip_words(&w, &["VAR", "ups2"]).is_none());
        assert!(strip_words(&w, &["VAR", "ups1", "battery.charge", "95", "x"]).is_none());
    }
}
