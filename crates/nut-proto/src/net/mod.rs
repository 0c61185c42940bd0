//! The network protocol spoken by upsd on TCP 3493 (NUT protocol 1.3, RFC 9271).
//!
//! Requests are single lines split with [`crate::words::split`]; replies are single lines, or
//! `BEGIN LIST ...` / `END LIST ...` blocks. This module holds the vocabulary both sides need:
//! the `ERR` codes and the request grammar ([`request`]). The reply
//! grammar with the client library.

mod err;
pub mod request;

pub use err::ErrCode;
pub use request::{LexEvent, LineLexer, Request, Verb};
