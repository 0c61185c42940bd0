//! dummy-ups' `.dev`/`.seq` reader: never panics; every entry points at a line of the input;
//! names and values hold only the bytes NUT's lexer keeps; values and ALARM texts respect
//! dummy-ups' buffer.
#![no_main]

use dummy_ups::devfile::{lex, parse, Entry, MAX_VALUE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let lines = data.iter().filter(|&&b| b == b'\n').count() + 1;
    let lexed = lex(data);
    assert!(lexed.windows(2).all(|w| w[0].0 <= w[1].0), "lexed lines out of order");
    for (line, r) in &lexed {
        assert!(*line >= 1 && *line <= lines, "line {line} of {lines}");
        if let Ok(words) = r {
            assert!(!words.is_empty());
            for w in words {
                assert!(
                    w.bytes().all(|b| (0x20..=0x7f).contains(&b)),
                    "kept byte outside 0x20..=0x7f: {w:?}"
                );
            }
        }
    }
    for e in parse(data) {
        match e {
            Entry::Set { var, value, line } => {
                assert!(line >= 1 && line <= lines, "entry at line {line} of {lines}");
                assert!(value.len() <= MAX_VALUE, "value of {} bytes", value.len());
                assert!(!var.contains(':'), "variable name keeps its colon: {var:?}");
            }
            Entry::Error { line, .. } => assert!(line >= 1 && line <= lines),
            Entry::Timer(_) => {}
            // The alarm text is the line's words joined, within the same buffer as a value.
            Entry::Alarm(text) => {
                if let Some(t) = text {
                    assert!(!t.is_empty() && t.len() <= MAX_VALUE, "alarm text of {} bytes", t.len());
                }
            }
        }
    }
});
