//! Splitting lines into words, and quoting words back, with NUT's parseconf rules.
//!
//! [`split`] runs the streaming lexer of [`crate::net::request::LineLexer`] over one line, so
//! every wire format (network requests and replies, driver socket lines) is split by the same
//! code, with NUT 2.8.0's exact rules: quotes only open at the start of a word, an unquoted `=`
//! is a word of its own, a backslash takes the next character literally, `#` outside quotes
//! starts a comment and inside quotes is an error, and only bytes 0x20..=0x7f (printable
//! ASCII and DEL) are kept.
//!
//! [`quote`] produces the form upsd and drivers put on the wire: the value between double
//! quotes, with `"`, `\` and `#` escaped by a backslash (NUT's `pconf_encode`).

use thiserror::Error;

use crate::net::request::{LexEvent, LineLexer};

/// Why a line could not be split into words.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WordsError {
    /// A `"` was opened and the line ended before it was closed.
    #[error("unbalanced word due to unescaped \" at end of line")]
    UnbalancedQuote,
    /// The line ends with a lone backslash, which escapes nothing.
    #[error("backslash at end of line escapes nothing")]
    TrailingBackslash,
    /// A `#` inside quotes must be escaped (`\#`).
    #[error("unbalanced word due to unescaped # in quotes")]
    HashInQuotes,
}

/// Split one line into words. The line should not contain its newline; anything after an
/// embedded newline is ignored. A trailing `\r` is white space (WinNUT ends requests in
/// CR CR LF).
///
/// ```
/// use nut_proto::words::split;
/// assert_eq!(split(r#"SET VAR ups1 ups.id "my \"big\" ups""#).unwrap(),
///            vec!["SET", "VAR", "ups1", "ups.id", r#"my "big" ups"#]);
/// assert_eq!(split("driver=usbhid-ups").unwrap(), vec!["driver", "=", "usbhid-ups"]);
/// ```
pub fn split(line: &str) -> Result<Vec<String>, WordsError> {
    let mut lx = LineLexer::new();
    for &b in line.as_bytes().iter().chain(std::iter::once(&b'\n')) {
        match lx.feed(b) {
            LexEvent::Pending => {}
            LexEvent::Line => return Ok(lx.words().to_vec()),
            LexEvent::Error(_) => return Err(WordsError::HashInQuotes),
        }
    }
    // The final newline did not end the line: it was escaped, or a quote is still open.
    let trailing = line.bytes().rev().take_while(|&b| b == b'\\').count();
    if trailing % 2 == 1 && !line.contains('"') {
        Err(WordsError::TrailingBackslash)
    } else {
        Err(WordsError::UnbalancedQuote)
    }
}

/// Escape `"`, `\` and `#` with a backslash (NUT's `pconf_encode`), without adding quotes.
pub fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains(['"', '\\', '#']) {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 4);
    for c in value.chars() {
        if matches!(c, '"' | '\\' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

/// Put a value on the wire: `"` + [`escape`]d value + `"`.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    out.push_str(&escape(value));
    out.push('"');
    out
}

/// Append a quoted value to `out` without an intermediate allocation (for hot reply paths).
pub fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    out.push_str(&escape(value));
    out.push('"');
}

/// Quote a word only if it needs it (spaces, quotes, backslashes, `#`, `=`, or empty), so simple
/// words stay bare as NUT writes them.
pub fn quote_if_needed(word: &str) -> std::borrow::Cow<'_, str> {
    let needs =
        word.is_empty() || word.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\\' | '#' | '='));
    if needs {
        std::borrow::Cow::Owned(quote(word))
    } else {
        std::borrow::Cow::Borrowed(word)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_words_and_whitespace() {
        assert_eq!(
            split("  GET\tVAR ups1  battery.charge \r\r").unwrap(),
            vec!["GET", "VAR", "ups1", "battery.charge"]
        );
        assert!(split("").unwrap().is_empty());
        assert!(split("   \r").unwrap().is_empty());
    }

    #[test]
    fn quotes_escapes_and_comments() {
        assert_eq!(split(r#"a "" b"#).unwrap(), vec!["a", "", "b"]);
        assert_eq!(split(r#"x\ y "q\\w""#).unwrap(), vec!["x y", r"q\w"]);
        assert_eq!(split("desc = \"a \\# b\" # comment").unwrap(), vec!["desc", "=", "a # b"]);
        // A quote opens a quoted word only at the start of a word (NUT 2.8.0).
        assert_eq!(split("ab\"c d\"e").unwrap(), vec!["ab\"c", "d\"e"]);
        assert_eq!(split("a=b").unwrap(), vec!["a", "=", "b"]);
    }

    #[test]
    fn errors() {
        assert_eq!(split("a \"b"), Err(WordsError::UnbalancedQuote));
        assert_eq!(split("a \"b\\"), Err(WordsError::UnbalancedQuote));
        assert_eq!(split("a b\\"), Err(WordsError::TrailingBackslash));
        assert_eq!(split("a \"b # c\""), Err(WordsError::HashInQuotes));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(r#"a "b" \c #d"#), r#""a \"b\" \\c \#d""#);
        assert_eq!(quote_if_needed("ups1"), "ups1");
        assert_eq!(quote_if_needed("two words"), "\"two words\"");
        assert_eq!(quote_if_needed(""), "\"\"");
    }

    proptest! {
        #[test]
        // Only printable ASCII survives NUT's lexer, so that is what round-trips.
        fn quote_then_split_round_trips(s in "[ -~]*") {
            let line = format!("SETINFO x {}", quote(&s));
            let words = split(&line).unwrap();
            prop_assert_eq!(words.len(), 3);
            prop_assert_eq!(&words[2], &s);
        }

        #[test]
        fn split_never_panics(s in "\\PC*") {
            let _ = split(&s);
        }
    }
}
