//! Blocking client library for upsd's network protocol (NUT protocol 1.3).
//!
//! Every client program (upsc, upscmd, upsrw, upslog, upsmon, dummy-ups in relay mode)
//! reaches upsd through [`Client`]:
//!
//! ```no_run
//! let name = nut_client::UpsName::parse("ups1@localhost:3493")?;
//! let mut c = nut_client::Client::connect(&name.host, name.port)?;
//! let charge = c.get_var(&name.ups, "battery.charge")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Errors carry NUT's own wording ([`Error::nut_message`]) for programs that must print what
//! NUT prints, and a hint saying what to do ([`Error::hint`]).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
mod client;
mod error;
mod name;
mod reply;
mod stream;
mod tls;

pub use client::{redact, Client, Options, DEFAULT_CONNECT_TIMEOUT, DEFAULT_IO_TIMEOUT};
pub use error::{nut_err_text, strerror, Error, Result};
pub use name::{HostPort, NameError, UpsName, DEFAULT_HOST};
pub use nut_proto::ErrCode;
pub use reply::{strip_words, tracking_id, TrackingStatus, VarType};
pub use stream::Stream;
pub use tls::{CertHost, HostTls, TlsOptions};

/// Quote a request word only when it needs it (parseconf rules), as NUT's clients do.
pub fn quote_if_needed(s: &str) -> String {
    nut_proto::words::quote_if_needed(s).into_owned()
}

/// Put a value between double quotes with `"` and `\` escaped, as upsd expects for SET.
pub fn quote(s: &str) -> String {
    nut_proto::words::quote(s)
}
