//! NUT's wire formats as pure functions over strings.
//!
//! - [`words`]: splitting a line into words with NUT's parseconf rules (quotes, backslash
//!   escapes, `#` comments) and quoting values back. Every NUT text format uses it: network
//!   requests and replies, the driver socket and the configuration files.
//! - [`net`]: the network protocol spoken by upsd on TCP 3493 (requests, `ERR` codes).
//! - [`sock`]: the driver socket protocol between a driver and upsd.
//!
//! It doesn't open sockets, read files or look at clocks: callers feed lines in and get values
//! out, which is what makes it fuzzable and reusable from every program.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod net;
pub mod sock;
pub mod words;

pub use net::ErrCode;
