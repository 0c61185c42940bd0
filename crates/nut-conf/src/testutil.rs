//! Assertions shared by the parsers' unit tests: a parse that must succeed (its warnings as
//! text), a parse that must fail (its errors as text), and a list of diagnostics that must
//! start with the expected lines, in order.

use std::fmt::Debug;

use crate::Parsed;

/// The value and the warnings, as `file:line: warning: ...` lines; panics on errors.
pub fn ok<T>(parsed: Parsed<T>) -> (T, Vec<String>) {
    match parsed {
        Ok((c, w)) => (c, w.iter().map(ToString::to_string).collect()),
        Err(d) => panic!("unexpected errors:\n{}", crate::render(&d)),
    }
}

/// Every diagnostic of a parse that must fail (warnings too, when `errors_only` is false).
pub fn errs<T: Debug>(parsed: Parsed<T>, errors_only: bool) -> Vec<String> {
    match parsed {
        Ok((c, _)) => panic!("expected errors, got {c:?}"),
        Err(d) => d.iter().filter(|d| !errors_only || d.is_error()).map(ToString::to_string).collect(),
    }
}

/// `got` has as many lines as `want`, and each starts with its `want`.
pub fn assert_prefixes(got: &[String], want: &[&str]) {
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (got, want) in got.iter().zip(want) {
        assert!(got.starts_with(want), "{got}\n  wanted {want}");
    }
}
