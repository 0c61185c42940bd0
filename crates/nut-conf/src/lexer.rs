//! The parseconf lexer: turns a whole configuration file into logical lines of words.
//!
//! Rules, as observed by running Debian's NUT 2.8.0 (`upsd`, `upsdrvctl`, `dummy-ups`) on
//! crafted files:
//!
//! - Words are separated by spaces, tabs and `\r`; a newline ends the logical line.
//! - `=` outside quotes is a word of its own and also separates words, so `driver=usbhid-ups`,
//!   `driver =usbhid-ups` and `driver = usbhid-ups` are all the three words
//!   `driver`, `=`, `usbhid-ups`.
//! - `"` at the start of a word opens a quoted word, which may contain spaces and `=`;
//!   the closing `"` ends the word (`"a"b` is the two words `a` and `b`). A `"` in the middle
//!   of a bare word is an ordinary character (`ab"c` is the word `ab"c`).
//! - `\` takes the next character literally, inside or outside quotes (`"a\tb"` is `atb`).
//!   A backslash right before the newline joins the next line to this one (the newline is
//!   dropped, also inside quotes): `desc = one\` + `two` gives `onetwo`.
//! - `#` outside quotes starts a comment that runs to the end of the line, even in the middle
//!   of a word (`x#b` is the word `x`).
//! - `#` inside quotes must be escaped (`"a \# b"`): NUT 2.8.0 reports `Parse error:
//!   ups.conf:3: Unbalanced word due to unescaped # in quotes` and reads the rest of the line
//!   as other words. Ours is an error at that line and the line is dropped.
//! - Characters outside 0x20..=0x7f that are not separators (control characters, tabs and
//!   `\r` inside quotes, anything non-ASCII), escaped or not, are dropped from words, as NUT's
//!   `addchar: discarding invalid character (0x01)!` does (each byte of a UTF-8 sequence).
//!   Ours also gives one warning per line naming them.
//!
//! Where we deliberately differ from NUT:
//! - A quote still open at the end of a line is an error at the line where it was opened.
//!   NUT silently drops the newline and keeps reading the following lines into the quoted
//!   word, which swallows the rest of the file; no one means that.
//! - A backslash at the very end of the file (nothing left to join) is a warning; NUT drops it
//!   silently.
//!
//! Every logical line keeps the number of the physical line where it started, so diagnostics
//! point at what the user sees in an editor.

use crate::diag::Diagnostic;

/// One logical line: its first physical line number (1-based) and its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// 1-based number of the physical line where this logical line starts.
    pub line: usize,
    /// The words, unquoted and unescaped; `=` separators are kept as `"="` words.
    pub words: Vec<String>,
}

impl Line {
    /// True when the line is `[name]`: a single word in brackets (anything after it on the
    /// same line is reported by the parsers).
    pub fn section(&self) -> Option<&str> {
        let w = self.words.first()?;
        if w.len() >= 2 && w.starts_with('[') && w.ends_with(']') {
            Some(&w[1..w.len() - 1])
        } else {
            None
        }
    }

    /// `key = value...`: the key, and the words after the `=`.
    pub fn assignment(&self) -> Option<(&str, &[String])> {
        if self.words.len() >= 2 && self.words[1] == "=" {
            Some((&self.words[0], &self.words[2..]))
        } else {
            None
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between words.
    Start,
    /// Inside a bare word.
    Bare,
    /// Inside a quoted word.
    Quoted,
    /// In a comment, until the newline.
    Comment,
}

/// Split a whole file into logical lines with NUT's parseconf rules. Lines without words
/// (blank or comment-only) are left out. Problems are returned as diagnostics against `file`;
/// the lexer never fails as a whole, so the parsers can report every problem at once.
pub fn lex(text: &str, file: &str) -> (Vec<Line>, Vec<Diagnostic>) {
    let mut lines = Vec::new();
    let mut diags = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut state = State::Start;
    // Physical line being read, and the one where the current logical line started.
    let mut phys = 1usize;
    let mut start = 1usize;
    let mut quote_line = 1usize;
    // A line with an unterminated quote is dropped after its error, so that later checks
    // don't complain about half a directive.
    let mut broken = false;
    let mut chars = text.chars().peekable();
    // Characters dropped on the current physical line, for its warning.
    let mut dropped: Vec<char> = Vec::new();

    // Keep a character in a word only if NUT would (printable ASCII and DEL).
    let keep = |c: char, cur: &mut String, dropped: &mut Vec<char>| {
        if (' '..='\x7f').contains(&c) {
            cur.push(c);
        } else {
            dropped.push(c);
        }
    };
    let flush_dropped = |dropped: &mut Vec<char>, diags: &mut Vec<Diagnostic>, line: usize| {
        if !dropped.is_empty() {
            diags.push(Diagnostic::warning(file, line, dropped_message(dropped)));
            dropped.clear();
        }
    };

    let end_line = |words: &mut Vec<String>, lines: &mut Vec<Line>, start: usize, broken: bool| {
        if !words.is_empty() && !broken {
            lines.push(Line { line: start, words: std::mem::take(words) });
        }
        words.clear();
    };

    while let Some(c) = chars.next() {
        if c == '\n' {
            flush_dropped(&mut dropped, &mut diags, phys);
        }
        match state {
            State::Comment => {
                if c == '\n' {
                    end_line(&mut words, &mut lines, start, broken);
                    broken = false;
                    phys += 1;
                    start = phys;
                    state = State::Start;
                }
            }
            State::Quoted => match c {
                '"' => {
                    words.push(std::mem::take(&mut cur));
                    state = State::Start;
                }
                '\\' => match chars.next() {
                    Some('\n') => {
                        flush_dropped(&mut dropped, &mut diags, phys);
                        phys += 1;
                    }
                    Some(n) => keep(n, &mut cur, &mut dropped),
                    None => {}
                },
                '#' => {
                    diags.push(Diagnostic::error(
                        file,
                        phys,
                        "unescaped # inside a quoted value (NUT reads it as the start of a \
                         comment and reports \"Unbalanced word due to unescaped # in quotes\"); \
                         write \\# for a literal #",
                    ));
                    cur.clear();
                    broken = true;
                    state = State::Comment;
                }
                '\n' => {
                    diags.push(Diagnostic::error(
                        file,
                        quote_line,
                        "this quote is never closed on its line; add the closing \" (or end the \
                         line with \\ to continue the value on the next line)",
                    ));
                    cur.clear();
                    broken = true;
                    end_line(&mut words, &mut lines, start, broken);
                    broken = false;
                    phys += 1;
                    start = phys;
                    state = State::Start;
                }
                c => keep(c, &mut cur, &mut dropped),
            },
            State::Start | State::Bare => {
                let in_word = state == State::Bare;
                match c {
                    '\n' => {
                        if in_word {
                            words.push(std::mem::take(&mut cur));
                        }
                        end_line(&mut words, &mut lines, start, broken);
                        broken = false;
                        phys += 1;
                        start = phys;
                        state = State::Start;
                    }
                    ' ' | '\t' | '\r' | '\x0b' | '\x0c' => {
                        if in_word {
                            words.push(std::mem::take(&mut cur));
                        }
                        state = State::Start;
                    }
                    '#' => {
                        if in_word {
                            words.push(std::mem::take(&mut cur));
                        }
                        state = State::Comment;
                    }
                    '=' => {
                        if in_word {
                            words.push(std::mem::take(&mut cur));
                        }
                        words.push("=".to_string());
                        state = State::Start;
                    }
                    '"' if !in_word => {
                        quote_line = phys;
                        state = State::Quoted;
                    }
                    '\\' => match chars.next() {
                        Some('\n') => {
                            flush_dropped(&mut dropped, &mut diags, phys);
                            phys += 1;
                        }
                        Some(n) => {
                            // NUT starts a word here even when the character is then dropped.
                            keep(n, &mut cur, &mut dropped);
                            state = State::Bare;
                        }
                        None => diags.push(Diagnostic::warning(
                            file,
                            phys,
                            "the file ends with a backslash, which joins nothing; remove it",
                        )),
                    },
                    c => {
                        // Like NUT, an invalid character still starts a word (which may end
                        // up empty) even though the character itself is dropped.
                        keep(c, &mut cur, &mut dropped);
                        state = State::Bare;
                    }
                }
            }
        }
    }
    flush_dropped(&mut dropped, &mut diags, phys);
    match state {
        State::Bare => words.push(cur),
        State::Quoted => {
            diags.push(Diagnostic::error(
                file,
                quote_line,
                "this quote is never closed before the end of the file; add the closing \"",
            ));
            broken = true;
        }
        State::Start | State::Comment => {}
    }
    end_line(&mut words, &mut lines, start, broken);
    // A quote left open across continuation lines is reported at its first line, after
    // warnings about later lines: keep the diagnostics in line order.
    diags.sort_by_key(|d| d.line);
    (lines, diags)
}

/// The warning for characters NUT drops from words: which ones, and what to do.
fn dropped_message(dropped: &[char]) -> String {
    let mut codes = Vec::new();
    for c in dropped {
        let mut buf = [0u8; 4];
        let bytes: Vec<String> = c.encode_utf8(&mut buf).bytes().map(|b| format!("0x{b:02x}")).collect();
        codes.push(bytes.join(" "));
    }
    format!(
        "{} character(s) outside printable ASCII ({}) dropped from the words on this line, as NUT \
         does; remove them or replace them with plain ASCII",
        dropped.len(),
        codes.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(text: &str) -> Vec<(usize, Vec<String>)> {
        let (lines, diags) = lex(text, "t");
        assert!(diags.is_empty(), "{diags:?}");
        lines.into_iter().map(|l| (l.line, l.words)).collect()
    }

    fn one(text: &str) -> Vec<String> {
        let mut w = words(text);
        assert_eq!(w.len(), 1, "{w:?}");
        w.remove(0).1
    }

    /// Each case was checked against Debian's NUT 2.8.0 through `desc = <value>` in ups.conf
    /// and `LIST UPS` on upsd: (line as written, words we produce).
    #[test]
    fn table_of_words() {
        let cases: &[(&str, &[&str])] = &[
            ("driver=usbhid-ups", &["driver", "=", "usbhid-ups"]),
            ("driver =usbhid-ups", &["driver", "=", "usbhid-ups"]),
            ("driver= usbhid-ups", &["driver", "=", "usbhid-ups"]),
            ("  driver = \"usbhid-ups\"", &["driver", "=", "usbhid-ups"]),
            ("desc = \"a=b\"", &["desc", "=", "a=b"]),
            ("desc = a=b", &["desc", "=", "a", "=", "b"]),
            ("desc = ab\"c d\"e", &["desc", "=", "ab\"c", "d\"e"]),
            ("desc = \"a\"b", &["desc", "=", "a", "b"]),
            ("desc = x#b", &["desc", "=", "x"]),
            ("desc = #x", &["desc", "="]),
            ("desc = \"\" x", &["desc", "=", "", "x"]),
            ("desc = a\\\"b", &["desc", "=", "a\"b"]),
            ("desc = \"a\\\\b\"", &["desc", "=", "a\\b"]),
            ("desc = \\#x", &["desc", "=", "#x"]),
            ("desc = \"a\\tb\"", &["desc", "=", "atb"]),
            ("desc = a\\ b", &["desc", "=", "a b"]),
            ("desc = \"a \\# b\" # comment", &["desc", "=", "a # b"]),
            (
                "MONITOR ups@localhost 1 monuser secret primary",
                &["MONITOR", "ups@localhost", "1", "monuser", "secret", "primary"],
            ),
            ("NOTIFYMSG ONBATT \"UPS %s on battery\"", &["NOTIFYMSG", "ONBATT", "UPS %s on battery"]),
            ("[ups] # comment", &["[ups]"]),
            ("\t[ups]\r", &["[ups]"]),
        ];
        for (text, want) in cases {
            assert_eq!(one(text), *want, "{text}");
        }
    }

    #[test]
    fn line_numbers_skip_blank_and_comment_lines() {
        let w = words("# head\n\n[a]\n  driver = x # c\n\n\tport=y\n");
        assert_eq!(
            w,
            vec![
                (3, vec!["[a]".to_string()]),
                (4, vec!["driver".into(), "=".into(), "x".into()]),
                (6, vec!["port".into(), "=".into(), "y".into()]),
            ]
        );
    }

    #[test]
    fn continuation_joins_lines_and_keeps_the_first_number() {
        let w = words("a\ndesc = one\\\ntwo\nnext\n");
        assert_eq!(w[1], (2, vec!["desc".into(), "=".into(), "onetwo".into()]));
        assert_eq!(w[2], (4, vec!["next".into()]));
        let w = words("desc = \"one \\\ntwo\"\nx");
        assert_eq!(w[0].1[2], "one two");
        assert_eq!(w[1].0, 3);
        let w = words("desc = one \\\n  two\n");
        assert_eq!(w[0].1, vec!["desc", "=", "one", "two"]);
    }

    #[test]
    fn no_trailing_newline_and_crlf() {
        assert_eq!(words("a b"), vec![(1, vec!["a".into(), "b".into()])]);
        assert_eq!(words("a\r\nb\r\n"), vec![(1, vec!["a".into()]), (2, vec!["b".into()])]);
    }

    #[test]
    fn unterminated_quote_is_an_error_at_its_line_and_later_lines_survive() {
        let (lines, diags) = lex("a = 1\ndesc = \"open\nport = x\n", "ups.conf");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].line, 2);
        assert!(diags[0].is_error());
        assert!(diags[0].to_string().starts_with("ups.conf:2: error: "), "{}", diags[0]);
        assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), vec![1, 3]);

        let (_, diags) = lex("x\n\ny = \"abc", "f");
        assert_eq!((diags[0].line, diags[0].is_error()), (3, true));
    }

    /// NUT 2.8.0 on `port = "x # y.dev"` in ups.conf line 3: `Parse error:
    /// ups.conf:3: Unbalanced word due to unescaped # in quotes`.
    #[test]
    fn unescaped_hash_in_quotes_is_an_error_at_its_line() {
        let (lines, diags) =
            lex("[src]\n driver = dummy-ups\n port = \"x # y.dev\"\n desc = \"d\"\n", "ups.conf");
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].is_error());
        assert!(diags[0].to_string().starts_with("ups.conf:3: error: "), "{}", diags[0]);
        assert!(diags[0].message.contains("\\#"), "{}", diags[0]);
        // The broken line is dropped; the lines around it survive.
        assert_eq!(lines.iter().map(|l| l.line).collect::<Vec<_>>(), vec![1, 2, 4]);
        // Escaped, it is an ordinary character.
        assert_eq!(one("port = \"x \\# y.dev\""), vec!["port", "=", "x # y.dev"]);
    }

    /// NUT 2.8.0 prints `addchar: discarding invalid character (0x01)!` for each byte outside
    /// 0x20..=0x7f (tab and CR inside quotes included) and leaves them out of the word:
    /// `port = "a\x01b\u{e9}c\x7fd.dev"` opens `abc\x7fd.dev`, quoted or bare.
    #[test]
    fn characters_outside_printable_ascii_are_dropped_with_a_warning() {
        for text in ["port = \"a\x01b\u{e9}c\x7fd.dev\"", "port = a\x01b\u{e9}c\x7fd.dev"] {
            let (lines, diags) = lex(text, "ups.conf");
            assert_eq!(lines[0].words, vec!["port", "=", "abc\x7fd.dev"], "{text:?}");
            assert_eq!(diags.len(), 1, "{diags:?}");
            assert!(!diags[0].is_error());
            let m = diags[0].to_string();
            assert!(m.starts_with("ups.conf:1: warning: 2 character(s)"), "{m}");
            assert!(m.contains("0x01, 0xc3 0xa9"), "{m}");
        }
        let (lines, diags) = lex("desc = \"a\tb\rc\"\nx = \"\\\x02\"\n", "f");
        assert_eq!(lines[0].words[2], "abc");
        assert_eq!(lines[1].words[2], "");
        assert_eq!(diags.iter().map(|d| d.line).collect::<Vec<_>>(), vec![1, 2]);
    }

    #[test]
    fn backslash_at_end_of_file_is_a_warning() {
        let (lines, diags) = lex("desc = one\\", "f");
        assert_eq!(lines[0].words, vec!["desc", "=", "one"]);
        assert_eq!(diags.len(), 1);
        assert!(!diags[0].is_error());
    }

    #[test]
    fn sections_and_assignments() {
        let (lines, _) = lex("[ups]\n[a b]\n[x]y\n[]\nk = v w\nflag\n", "f");
        assert_eq!(lines[0].section(), Some("ups"));
        assert_eq!(lines[1].section(), None);
        assert_eq!(lines[2].section(), None);
        assert_eq!(lines[3].section(), Some(""));
        let (k, v) = lines[4].assignment().expect("assignment");
        assert_eq!((k, v.len()), ("k", 2));
        assert!(lines[5].assignment().is_none());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let (lines, _) = lex(&s, "f");
            for l in &lines {
                prop_assert!(l.words.iter().all(|w| w.chars().all(|c| (' '..='\x7f').contains(&c))));
            }
        }

        #[test]
        fn never_panics_on_config_like_text(s in "[a-z=\"\\\\# \\[\\]\n\t\r]{0,64}") {
            let (lines, diags) = lex(&s, "f");
            for l in &lines {
                prop_assert!(!l.words.is_empty());
                prop_assert!(l.line >= 1 && l.line <= s.matches('\n').count() + 1);
            }
            for d in &diags {
                prop_assert!(d.line >= 1);
            }
            prop_assert!(diags.windows(2).all(|w| w[0].line <= w[1].line));
        }
    }
}
