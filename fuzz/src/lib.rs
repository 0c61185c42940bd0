//! Invariant checks shared by the fuzz targets.
//!
//! Every configuration parser in nut-conf has the same contract, so the eight conf targets
//! call [`check_conf`] with their own `parse`/`check` pair instead of repeating the checks.

use nut_conf::{Diagnostic, Parsed};

/// The file name the targets pass to the parsers; diagnostics must carry it unchanged.
pub const FILE: &str = "/etc/nut/fuzz.conf";

/// Number of physical lines a diagnostic may point at: one more than the newlines, so the
/// last line counts whether or not the file ends in a newline.
pub fn line_count(text: &str) -> usize {
    text.bytes().filter(|&b| b == b'\n').count() + 1
}

/// Check the contract of a nut-conf parser on `text`:
/// - diagnostics name [`FILE`] and a line within the text (0 means the whole file);
/// - they come sorted by line, as the module documentation promises;
/// - `Err` holds at least one error, `Ok` holds only warnings;
/// - `check` returns the same diagnostics as `parse`.
pub fn check_conf<T>(text: &str, parsed: Parsed<T>, checked: Vec<Diagnostic>) {
    let lines = line_count(text);
    let diags = match parsed {
        Ok((_, warnings)) => {
            assert!(warnings.iter().all(|d| !d.is_error()), "Ok result carries an error: {warnings:?}");
            warnings
        }
        Err(diags) => {
            assert!(diags.iter().any(Diagnostic::is_error), "Err result without an error: {diags:?}");
            diags
        }
    };
    for d in &diags {
        assert_eq!(d.file, FILE, "diagnostic names the wrong file: {d:?}");
        assert!(d.line <= lines, "diagnostic at line {} of a {lines}-line text: {d:?}", d.line);
        // Rendering must not panic either (daemons print every diagnostic).
        let _ = d.to_string();
    }
    assert!(diags.windows(2).all(|w| w[0].line <= w[1].line), "diagnostics not in line order: {diags:?}");
    assert_eq!(diags, checked, "check() and parse() disagree");
    lexer_invariants(text);
}

/// The shared lexer: logical lines are non-empty, start within the text, and come in order.
fn lexer_invariants(text: &str) {
    let lines = line_count(text);
    let (logical, diags) = nut_conf::lex(text, FILE);
    for l in &logical {
        assert!(!l.words.is_empty(), "lexer yielded an empty line: {l:?}");
        assert!(l.line >= 1 && l.line <= lines, "logical line {} of a {lines}-line text", l.line);
    }
    assert!(logical.windows(2).all(|w| w[0].line < w[1].line), "logical lines out of order");
    for d in &diags {
        assert!(d.line <= lines, "lexer diagnostic at line {} of a {lines}-line text: {d:?}", d.line);
    }
}
