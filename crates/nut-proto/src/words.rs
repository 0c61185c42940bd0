//! Splitting lines into words, and quoting words back, with NUT's parseconf rules.
//!
//! - Words are separated by spaces and tabs.
//! - `"..."` groups spaces into one word; `""` is an empty word.
//! - A backslash takes the next character literally, inside or outside quotes.
//! - `#` outside quotes starts a comment that runs to the end of the line.
//!
//! [`quote`] produces the form upsd and drivers put on the wire: the value between double
//! quotes, with `"` and `\` escaped by a backslash.

use thiserror::Error;

/// Why a line could not be split into words.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WordsError {
    /// A `"` was opened and the line ended before it was closed.
    #[error("unbalanced word due to unescaped \" at end of line")]
    UnbalancedQuote,
    /// The line ends with a lone backslash, which escapes nothing.
    #[error("backslash at end of line escapes nothing")]
    TrailingBackslash,
}

/// Split one line into words. The line must not contain the newline itself; a trailing `\r`
/// is treated as white space (WinNUT ends requests in CR CR LF).
///
/// ```
/// use nut_proto::words::split;
/// assert_eq!(split(r#"SET VAR ups1 ups.id "my \"big\" ups""#).unwrap(),
///            vec!["SET", "VAR", "ups1", "ups.id", r#"my "big" ups"#]);
/// ```
pub fn split(line: &str) -> Result<Vec<String>, WordsError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    // A word is open once any character (or an opening quote) has been seen, so that `""`
    // yields an empty word.
    let mut open = false;
    let mut quoted = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' => quoted = false,
                '\\' => cur.push(chars.next().ok_or(WordsError::UnbalancedQuote)?),
                c => cur.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                quoted = true;
                open = true;
            }
            '\\' => {
                cur.push(chars.next().ok_or(WordsError::TrailingBackslash)?);
                open = true;
            }
            '#' => break,
            ' ' | '\t' | '\r' | '\n' | '\x0b' | '\x0c' => {
                if open {
                    words.push(std::mem::take(&mut cur));
                    open = false;
                }
            }
            c => {
                cur.push(c);
                open = true;
            }
        }
    }
    if quoted {
        return Err(WordsError::UnbalancedQuote);
    }
    if open {
        words.push(cur);
    }
    Ok(words)
}

/// Escape `"` and `\` with a backslash (NUT's `pconf_encode`), without adding quotes.
pub fn escape(value: &str) -> std::borrow::Cow<'_, str> {
    if !value.contains(['"', '\\']) {
        return std::borrow::Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len() + 4);
    for c in value.chars() {
        if c == '"' || c == '\\' {
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

/// Quote a word only if it needs it (spaces, quotes, backslashes, `#`, or empty), so simple
/// words stay bare as NUT writes them.
pub fn quote_if_needed(word: &str) -> std::borrow::Cow<'_, str> {
    let needs =
        word.is_empty() || word.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\\' | '#'));
    if needs {
        std::borrow::Cow::Owned(quote(word))
    } else {
        std::borrow::Cow::Borrowed(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn plain_words_and_whitespace() {
        assert_eq!(split("  GET\tVAR ups1  battery.charge \r\r").unwrap(), vec![
            "GET",
            "VAR",
            "ups1",
            "battery.charge"
        ]);
        assert!(split("").unwrap().is_empty());
        assert!(split("   \r").unwrap().is_empty());
    }

    #[test]
    fn quotes_escapes_and_comments() {
        assert_eq!(split(r#"a "" b"#).unwrap(), vec!["a", "", "b"]);
        assert_eq!(split(r#"x\ y "q\\w""#).unwrap(), vec!["x y", r"q\w"]);
        assert_eq!(split("desc = \"a # b\" # comment").unwrap(), vec!["desc", "=", "a # b"]);
        assert_eq!(split("ab\"c d\"e").unwrap(), vec!["abc de"]);
    }

    #[test]
    fn errors() {
        assert_eq!(split("a \"b"), Err(WordsError::UnbalancedQuote));
        assert_eq!(split("a \"b\\"), Err(WordsError::UnbalancedQuote));
        assert_eq!(split("a b\\"), Err(WordsError::TrailingBackslash));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote(r#"a "b" \c"#), r#""a \"b\" \\c""#);
        assert_eq!(quote_if_needed("ups1"), "ups1");
        assert_eq!(quote_if_needed("two words"), "\"two words\"");
        assert_eq!(quote_if_needed(""), "\"\"");
    }

    proptest! {
        #[test]
        fn quote_then_split_round_trips(s in "\\PC*") {
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
