//! The driver socket protocol: lines exchanged over `<statepath>/<driver>-<ups>` between a
//! driver and upsd (or upsdrvctl, or any local tool).
//!
//! [`DriverMsg`] is what a driver sends (state updates, answers); [`ServerMsg`] is what the
//! other side sends (requests). Both parse from a line and format back to the exact text NUT
//! uses, so NUT's drivers work with our upsd and ours with NUT's upsd.

mod driver_msg;
mod server_msg;
mod var;

pub use driver_msg::DriverMsg;
pub use server_msg::ServerMsg;
pub use var::{name_key, with_name_key, Var};

use thiserror::Error;

use crate::words::WordsError;

/// NUT's limits on socket lines: at most this many words...
pub const MAX_ARGS: usize = 32;
/// ...of at most this many bytes each.
pub const MAX_ARG_LEN: usize = 512;

/// Why a socket line could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SockError {
    /// The line's quoting is broken.
    #[error("bad quoting: {0}")]
    Words(#[from] WordsError),
    /// The line is empty.
    #[error("empty line")]
    Empty,
    /// The first word is not a message of the protocol.
    #[error("unknown message {0:?}")]
    Unknown(String),
    /// The message has the wrong number of arguments.
    #[error("{0} expects {1}")]
    Arity(&'static str, &'static str),
    /// A numeric argument is not a number.
    #[error("{0}: {1:?} is not a number")]
    NotANumber(&'static str, String),
    /// Too many words or a word too long.
    #[error("line exceeds the protocol limits ({MAX_ARGS} words of {MAX_ARG_LEN} bytes)")]
    TooLong,
}

/// Variable flags carried by `SETFLAGS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Flags {
    /// Writable with `SET VAR`.
    pub rw: bool,
    /// A string (with a maximum length from `SETAUX`) rather than a number.
    pub string: bool,
    /// Explicitly numeric (NUT 2.8 drivers send it; NUT treats non-STRING as NUMBER anyway).
    pub number: bool,
}

impl Flags {
    /// Parse flag words (`RW`, `STRING`, `NUMBER`); unknown words are ignored like NUT does.
    pub fn from_words<S: AsRef<str>>(words: &[S]) -> Self {
        let mut f = Flags::default();
        for w in words {
            match w.as_ref() {
                "RW" => f.rw = true,
                "STRING" => f.string = true,
                "NUMBER" => f.number = true,
                _ => {}
            }
        }
        f
    }

    /// The flag words in NUT's order.
    pub fn words(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.rw {
            v.push("RW");
        }
        if self.string {
            v.push("STRING");
        }
        if self.number {
            v.push("NUMBER");
        }
        v
    }
}

pub(crate) fn split_checked(line: &str) -> Result<Vec<String>, SockError> {
    let words = crate::words::split(line)?;
    if words.is_empty() {
        return Err(SockError::Empty);
    }
    if words.len() > MAX_ARGS || words.iter().any(|w| w.len() > MAX_ARG_LEN) {
        return Err(SockError::TooLong);
    }
    Ok(words)
}

pub(crate) fn int(name: &'static str, s: &str) -> Result<i64, SockError> {
    s.parse().map_err(|_| SockError::NotANumber(name, s.to_string()))
}
