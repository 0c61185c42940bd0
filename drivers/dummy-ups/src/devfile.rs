//! Reading `.dev` and `.seq` files exactly as NUT 2.8.0's dummy-ups reads them.
//!
//! The files look like `upsc` output (`name: value`), but dummy-ups tokenizes them with NUT's
//! configuration lexer, and its quirks decide what a user sees, so we reproduce them (checked
//! against Debian's dummy-ups on every file of the NUT devices dump library):
//! - words are split on white space, and `=` is always a word of its own (`ID=18` reads as
//!   `ID = 18`); `"..."` groups words; a backslash takes the next byte
//!   literally; `#` outside quotes starts a comment;
//! - a quote is not closed by the end of the line: it runs on into the next lines (their
//!   newlines dropped) until a closing `"`; a `#` inside quotes is an error that drops the
//!   words collected so far and resumes after the `#`;
//! - a backslash before the newline joins the next line to this one;
//! - bytes outside printable ASCII (`0x20..=0x7f`) are dropped from words (so UTF-8 text
//!   loses its non-ASCII letters, and tabs inside quotes vanish);
//! - the variable name is the first word up to its first `:` (anything after that colon in the
//!   same word is lost); the value is the other words joined by single spaces;
//! - a line with no value reuses the value of the previous line (NUT keeps the buffer), except
//!   `ups.status`, which becomes empty; values are cut to 127 bytes;
//! - `TIMER <seconds>` pauses the sequence;
//! - `ALARM <text>` (NUT 2.8.5) raises an alarm: the texts of several add up in `ups.alarm`
//!   and `ups.status` gets the `ALARM` token; `ALARM` alone clears the alarms. Like `TIMER`,
//!   any first word starting with `ALARM` counts, and the text feeds the value buffer.
//!
//! [`parse`] is pure: text in, entries out.

use nut_core::num::atoi;

/// One meaningful line of a definition file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// Set `var` to `value`.
    Set {
        /// Variable name.
        var: String,
        /// Value (may be empty, which dummy-ups ignores).
        value: String,
        /// Line where the entry ended (for messages).
        line: usize,
    },
    /// `TIMER <seconds>`: wait before reading on.
    Timer(u64),
    /// `ALARM <text>` raises an alarm; `ALARM` alone (`None`) clears them.
    Alarm(Option<String>),
    /// A line dummy-ups could not tokenize; it is skipped.
    Error {
        /// Line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
}

/// Longest value dummy-ups keeps from a file line (its buffer is 128 bytes).
pub const MAX_VALUE: usize = 127;

#[derive(Clone, Copy, PartialEq, Eq)]
enum St {
    Start,
    Collect,
    CollectLiteral,
    Quote,
    QuoteLiteral,
    Comment,
}

/// Split the file into logical lines of words, with NUT's lexer rules. Lines that hit an
/// error come back as `Err` with their line number.
pub fn lex(text: &[u8]) -> Vec<(usize, Result<Vec<String>, String>)> {
    let mut out = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word: Vec<u8> = Vec::new();
    let mut st = St::Start;
    let mut line = 1usize;
    let add = |word: &mut Vec<u8>, b: u8| {
        if (0x20..=0x7f).contains(&b) {
            word.push(b);
        }
    };
    let finish_word = |words: &mut Vec<String>, word: &mut Vec<u8>| {
        words.push(String::from_utf8_lossy(word).into_owned());
        word.clear();
    };
    for &b in text {
        match st {
            St::Start => match b {
                b'\n' => {
                    if !words.is_empty() {
                        out.push((line, Ok(std::mem::take(&mut words))));
                    }
                }
                b'\\' => st = St::CollectLiteral,
                b'"' => st = St::Quote,
                b'#' => st = St::Comment,
                b'=' => words.push("=".to_string()),
                b if b.is_ascii_whitespace() || b == 0x0b => {}
                b => {
                    add(&mut word, b);
                    st = St::Collect;
                }
            },
            St::Comment => {
                if b == b'\n' {
                    if !words.is_empty() {
                        out.push((line, Ok(std::mem::take(&mut words))));
                    }
                    st = St::Start;
                }
            }
            St::Collect => match b {
                b'#' => {
                    finish_word(&mut words, &mut word);
                    st = St::Comment;
                }
                b'\n' => {
                    finish_word(&mut words, &mut word);
                    out.push((line, Ok(std::mem::take(&mut words))));
                    st = St::Start;
                }
                b'\\' => st = St::CollectLiteral,
                b'=' => {
                    finish_word(&mut words, &mut word);
                    words.push("=".to_string());
                    st = St::Start;
                }
                b if b.is_ascii_whitespace() || b == 0x0b => {
                    finish_word(&mut words, &mut word);
                    st = St::Start;
                }
                b => add(&mut word, b),
            },
            St::CollectLiteral => {
                add(&mut word, b);
                st = St::Collect;
            }
            St::Quote => match b {
                b'#' => {
                    out.push((line, Err("Unbalanced word due to unescaped # in quotes".to_string())));
                    words.clear();
                    word.clear();
                    st = St::Start;
                }
                b'"' => {
                    finish_word(&mut words, &mut word);
                    st = St::Start;
                }
                b'\\' => st = St::QuoteLiteral,
                b => add(&mut word, b),
            },
            St::QuoteLiteral => {
                add(&mut word, b);
                st = St::Quote;
            }
        }
        if b == b'\n' {
            line += 1;
        }
    }
    // End of file: a file without a final newline still ends its last line.
    match st {
        St::Collect | St::CollectLiteral => {
            finish_word(&mut words, &mut word);
            out.push((line, Ok(words)));
        }
        St::Quote | St::QuoteLiteral => {
            out.push((line, Err("Unbalanced word due to unescaped \" at end of file".to_string())));
        }
        St::Start | St::Comment => {
            if !words.is_empty() {
                out.push((line, Ok(words)));
            }
        }
    }
    out
}

/// Parse a definition file into entries, applying dummy-ups' rules for names, values and
/// `TIMER`. `driver.*` lines are skipped (the driver publishes its own).
pub fn parse(text: &[u8]) -> Vec<Entry> {
    let mut out = Vec::new();
    // dummy-ups keeps its value buffer from line to line: a line without a value reuses it.
    let mut value = String::new();
    for (line, r) in lex(text) {
        let words = match r {
            Ok(w) => w,
            Err(message) => {
                out.push(Entry::Error { line, message });
                continue;
            }
        };
        let Some(first) = words.first() else { continue };
        if first.starts_with("TIMER") {
            let secs = words.get(1).map(|s| atoi(s)).unwrap_or(0);
            out.push(Entry::Timer(secs.max(0) as u64));
            continue;
        }
        if first.starts_with("ALARM") {
            if words.len() > 1 {
                value = words[1..].join(" ");
                value.truncate(MAX_VALUE);
            }
            let text = (words.len() > 1 && !value.is_empty()).then(|| value.clone());
            out.push(Entry::Alarm(text));
            continue;
        }
        let var = first.split(':').next().unwrap_or("").to_string();
        if words.len() > 1 {
            value = words[1..].join(" ");
            // dummy-ups joins the words into a 128-byte buffer.
            value.truncate(MAX_VALUE);
        }
        if var.starts_with("driver.") {
            continue;
        }
        // The status goes through NUT's status helpers, which start from an empty status:
        // a bare `ups.status:` line empties it instead of reusing the previous value.
        let v = if words.len() == 1 && var.starts_with("ups.status") { String::new() } else { value.clone() };
        out.push(Entry::Set { var, value: v, line });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(text: &str) -> Vec<(String, String)> {
        parse(text.as_bytes())
            .into_iter()
            .filter_map(|e| match e {
                Entry::Set { var, value, .. } => Some((var, value)),
                _ => None,
            })
            .collect()
    }

    fn p(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn plain_lines_comments_and_spaces() {
        assert_eq!(
            sets("# header\nups.status: OL\nups.type: offline / line   interactive\n\nbattery.charge: 51.0\t#BAD: x\n"),
            vec![p("ups.status", "OL"), p("ups.type", "offline / line interactive"), p("battery.charge", "51.0")]
        );
    }

    #[test]
    fn nut_quirks() {
        // Empty value and `name:value` without a space reuse the previous value.
        assert_eq!(sets("a: 1\nb:\nc:2\n"), vec![p("a", "1"), p("b", "1"), p("c", "1")]);
        assert_eq!(sets("a: 1\nups.status:\n"), vec![p("a", "1"), p("ups.status", "")]);
        assert_eq!(sets(&format!("a: {}\n", "9".repeat(300)))[0].1.len(), 127);
        // driver.* lines are skipped but still feed the value buffer.
        assert_eq!(sets("driver.name: x\nups.id:\n"), vec![p("ups.id", "x")]);
        // A trailing backslash joins the next line.
        assert_eq!(sets("ups.id: 79/\\\nups.load: 5\n"), vec![p("ups.id", "79/ups.load: 5")]);
        // Quotes group, run across lines, and `#` inside them is an error that resumes after it.
        assert_eq!(sets("a: \"x  y\" z\n"), vec![p("a", "x  y z")]);
        let e = parse(b"ups.mfr: \"Exide\nups.model: m\n# note\nb: 2\n");
        assert!(matches!(e[0], Entry::Error { line: 3, .. }), "{e:?}");
        assert_eq!(e[1], Entry::Set { var: "note".into(), value: String::new(), line: 3 });
        assert_eq!(e[2], Entry::Set { var: "b".into(), value: "2".into(), line: 4 });
        // Non-ASCII bytes vanish.
        assert_eq!(sets("ups.serial: яяMPAQ\n"), vec![p("ups.serial", "MPAQ")]);
        assert_eq!(parse(b"TIMER 5\n"), vec![Entry::Timer(5)]);
        // ALARM with a text raises, alone clears; the text feeds the value buffer.
        assert_eq!(
            parse(b"ALARM [UPS too warm to charge]\nALARM\nALARM \"\"\nups.foo:\n"),
            vec![
                Entry::Alarm(Some("[UPS too warm to charge]".into())),
                Entry::Alarm(None),
                Entry::Alarm(None),
                Entry::Set { var: "ups.foo".into(), value: String::new(), line: 4 },
            ]
        );
        assert_eq!(sets("ups.firmware: UPS 06.5 / ID=18\n"), vec![p("ups.firmware", "UPS 06.5 / ID = 18")]);
        assert_eq!(sets("a: 1\nno newline at end"), vec![p("a", "1"), p("no", "newline at end")]);
    }
}
