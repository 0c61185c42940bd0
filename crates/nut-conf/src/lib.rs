//! NUT's configuration files: one parseconf lexer and a typed parser per file, with file:line
//! diagnostics.
//!
//! Every parser is a pure function over the file's text: callers read the file (see
//! [`explain_read_error`] for the message when that fails) and pass the text and the file name
//! used in diagnostics. Each module has:
//!
//! - `parse(text, file) -> Parsed<T>`: `Ok((value, warnings))`, or `Err(diagnostics)` with every
//!   error and warning (in line order) when at least one error was found;
//! - `check(text, file) -> Vec<Diagnostic>`: every diagnostic, for the daemons' check modes.
//!
//! Modules: [`ups_conf`], [`upsd_conf`], [`upsd_users`], [`upsmon_conf`], [`upssched_conf`],
//! [`nut_conf`] (shell syntax), [`cgi_conf`] (`hosts.conf` and `upsset.conf`), all on top of the
//! one parseconf [`lexer`]; [`hosts_access`] reads tcp-wrappers' `hosts.allow`/`hosts.deny`
//! (not a NUT file: libwrap's own syntax) and decides for a request as libwrap does.
//!
//! [`Diagnostic`] displays as `file:line: error: message`; messages say what to write instead.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cgi_conf;
pub mod diag;
pub mod hosts_access;
mod io;
pub mod lexer;
pub mod notify;
pub mod nut_conf;
pub mod perms;
pub mod ups_conf;
pub mod upsd_conf;
pub mod upsd_users;
pub mod upsmon_conf;
pub mod upssched_conf;

#[cfg(test)]
mod testutil;

pub use diag::{render, Diagnostic, Parsed, Severity};
pub use io::explain_read_error;
pub use lexer::{lex, Line};

/// Quote a word for a suggestion only when it needs it.
pub(crate) fn quote_if_needed(word: &str) -> String {
    if word.is_empty() || word.chars().any(|c| c.is_whitespace() || matches!(c, '"' | '\\' | '#' | '=')) {
        let mut out = String::from("\"");
        for c in word.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
        out
    } else {
        word.to_string()
    }
}
