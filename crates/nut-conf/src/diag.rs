//! Diagnostics with `file:line`, and the small helpers every parser shares to produce them.

use std::fmt;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The file still works; the line is ignored or a legacy form was understood.
    Warning,
    /// The file cannot be used as written.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One problem found in a configuration file.
///
/// Displays as `file:line: error: message` (or `warning`). A `line` of 0 means the problem
/// concerns the whole file (for example "no UPS is defined") and displays as `file: error: ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file name as the caller passed it (usually the full path).
    pub file: String,
    /// 1-based line number where the logical line starts; 0 for the whole file.
    pub line: usize,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl Diagnostic {
    /// An error at `file:line`.
    pub fn error(file: &str, line: usize, message: impl Into<String>) -> Self {
        Diagnostic { file: file.to_string(), line, severity: Severity::Error, message: message.into() }
    }

    /// A warning at `file:line`.
    pub fn warning(file: &str, line: usize, message: impl Into<String>) -> Self {
        Diagnostic { file: file.to_string(), line, severity: Severity::Warning, message: message.into() }
    }

    /// True for [`Severity::Error`].
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}: {}", self.file, self.severity, self.message)
        } else {
            write!(f, "{}:{}: {}: {}", self.file, self.line, self.severity, self.message)
        }
    }
}

impl std::error::Error for Diagnostic {}

/// What every typed parser returns: the value and its warnings, or every diagnostic (errors
/// and warnings, in line order) when at least one is an error.
pub type Parsed<T> = Result<(T, Vec<Diagnostic>), Vec<Diagnostic>>;

/// Render a list of diagnostics one per line, as a daemon's check mode prints them.
pub fn render(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&d.to_string());
        out.push('\n');
    }
    out
}

/// Collects diagnostics for one file while a parser walks it.
#[derive(Debug)]
pub(crate) struct Sink<'a> {
    pub file: &'a str,
    pub diags: Vec<Diagnostic>,
}

impl<'a> Sink<'a> {
    pub fn new(file: &'a str, diags: Vec<Diagnostic>) -> Self {
        Sink { file, diags }
    }

    pub fn error(&mut self, line: usize, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(self.file, line, message));
    }

    pub fn warn(&mut self, line: usize, message: impl Into<String>) {
        self.diags.push(Diagnostic::warning(self.file, line, message));
    }

    /// Turn the collected diagnostics into the parser result, sorted by line so a user reads
    /// them top-down.
    pub fn finish<T>(mut self, value: T) -> Parsed<T> {
        self.diags.sort_by_key(|d| d.line);
        if self.diags.iter().any(Diagnostic::is_error) {
            Err(self.diags)
        } else {
            Ok((value, self.diags))
        }
    }

    /// Parse an unsigned number for `key`, reporting an error that shows the expected form.
    pub fn number<N: std::str::FromStr>(&mut self, line: usize, key: &str, value: &str) -> Option<N> {
        match value.parse::<N>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.error(line, format!("{key} needs a whole number, not \"{value}\""));
                None
            }
        }
    }

    /// Parse a boolean the way NUT does (`true/yes/on/1`, `false/no/off/0`, any case).
    pub fn boolean(&mut self, line: usize, key: &str, value: &str) -> Option<bool> {
        match parse_bool(value) {
            Some(b) => Some(b),
            None => {
                self.error(
                    line,
                    format!("{key} needs a boolean (true/false, yes/no, on/off, 1/0), not \"{value}\""),
                );
                None
            }
        }
    }

    /// Warn about an unknown directive, suggesting the closest known one.
    pub fn unknown(&mut self, line: usize, what: &str, word: &str, known: &[&str], consequence: &str) {
        let mut msg = format!("unknown {what} \"{word}\"");
        if let Some(s) = suggest(word, known) {
            msg.push_str(&format!("; did you mean \"{s}\"?"));
            if s.eq_ignore_ascii_case(word) && s != word {
                msg.push_str(" (names in this file are case-sensitive)");
            }
        }
        msg.push_str("; ");
        msg.push_str(consequence);
        self.warn(line, msg);
    }
}

/// NUT's boolean words.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "enabled" => Some(true),
        "0" | "false" | "no" | "off" | "disabled" => Some(false),
        _ => None,
    }
}

/// The closest known name to `word`: same letters in another case, or at most one edit away for short words
/// and about a third of the word's length for longer ones, so typos get a "did you mean"
/// and unrelated words don't.
pub fn suggest<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    if let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(word)) {
        return Some(k);
    }
    let lower = word.to_ascii_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    known
        .iter()
        .map(|k| (edit_distance(&lower, &k.to_ascii_lowercase()), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_forms() {
        let d = Diagnostic::warning("upsd.users", 4, "x");
        assert_eq!(d.to_string(), "upsd.users:4: warning: x");
        let d = Diagnostic::error("/etc/nut/ups.conf", 0, "no UPS");
        assert_eq!(d.to_string(), "/etc/nut/ups.conf: error: no UPS");
    }

    #[test]
    fn suggestions() {
        let known = ["MAXAGE", "LISTEN", "STATEPATH", "MAXCONN"];
        assert_eq!(suggest("maxage", &known), Some("MAXAGE"));
        assert_eq!(suggest("LISTN", &known), Some("LISTEN"));
        assert_eq!(suggest("STATPATH", &known), Some("STATEPATH"));
        assert_eq!(suggest("FOO", &known), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn booleans() {
        for t in ["1", "true", "YES", "on"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["0", "false", "No", "off"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        assert_eq!(parse_bool("maybe"), None);
    }
}
