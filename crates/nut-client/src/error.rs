//! Errors of the client library.
//!
//! Each error has two texts: [`Error::nut_message`] is the exact wording of NUT's
//! `upscli_strerror` (our clients print it where NUT does, so scripts that grep NUT's output
//! keep working), and [`Error::hint`] says what to do about it, printed on a second line.
//! `Display` combines the facts with the hint for library users.

use std::io;

use thiserror::Error;

use nut_proto::ErrCode;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong talking to upsd.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// upsd answered `ERR <code> [extra]`.
    #[error("upsd refused {request:?}: ERR {code_text}{}", hint_suffix(*code))]
    Server {
        /// The parsed code, or `None` for a name outside NUT's documented set.
        code: Option<ErrCode>,
        /// The code as sent (e.g. `DATA-STALE`).
        code_text: String,
        /// The request that was refused, without the newline.
        request: String,
    },
    /// The host name did not resolve.
    #[error("cannot resolve host {host:?}: {source} (check the name in ups@host, or use an IP address)")]
    Resolve {
        /// The host as given.
        host: String,
        /// The resolver's error.
        source: io::Error,
    },
    /// No address of the host accepted a connection.
    #[error("cannot connect to upsd at {addr}: {source}{}", connect_hint(source))]
    Connect {
        /// The last address tried, as `host:port` text.
        addr: String,
        /// Why the last attempt failed.
        source: io::Error,
    },
    /// Sending a request failed.
    #[error("cannot send to upsd at {addr}: {source}")]
    Send {
        /// Peer address.
        addr: String,
        /// The socket error.
        source: io::Error,
    },
    /// Reading a reply failed (including a read timeout).
    #[error("cannot read from upsd at {addr}: {source}{}", recv_hint(source))]
    Recv {
        /// Peer address.
        addr: String,
        /// The socket error.
        source: io::Error,
    },
    /// upsd closed the connection.
    #[error(
        "upsd at {addr} closed the connection (it stopped or restarted, or dropped this client: \
         check upsd's log; clients idle for 60 s are dropped)"
    )]
    Disconnected {
        /// Peer address.
        addr: String,
    },
    /// upsd's reply does not match the request.
    #[error(
        "unexpected reply from upsd to {request:?}: {reply:?} (check that the host and port are \
         those of a NUT upsd, not another service)"
    )]
    Protocol {
        /// The request, without the newline.
        request: String,
        /// The reply line that did not fit.
        reply: String,
    },
    /// A reply line could not be split into words.
    #[error(
        "cannot parse reply {reply:?} from upsd: {reason} (check that the host and port are \
         those of a NUT upsd, not another service)"
    )]
    Parse {
        /// The reply line.
        reply: String,
        /// Why it could not be split.
        reason: String,
    },
    /// An argument cannot be sent (contains a newline).
    #[error("invalid argument {0:?}: requests cannot contain line breaks")]
    InvalidArgument(String),
    /// STARTTLS was requested but this build has no TLS support.
    #[error("STARTTLS is not supported by this build of nut-client (connect without TLS, or use a build with TLS support)")]
    TlsNotSupported,
    /// The TLS settings can't be used (missing or bad CA or certificate file).
    #[error("TLS setup: {0}")]
    TlsSetup(String),
    /// The TLS handshake failed (certificate refused, peer refused ours...).
    #[error("TLS with upsd at {addr} failed: {reason}")]
    Tls {
        /// Peer address.
        addr: String,
        /// What went wrong, with what to fix.
        reason: String,
    },
    /// FORCESSL is set but upsd does not do TLS.
    #[error(
        "upsd at {addr} does not do TLS ({reason}) but FORCESSL is set: set CERTFILE in upsd.conf \
         (nut-tls-setup makes one), or drop FORCESSL"
    )]
    TlsRequired {
        /// Peer address.
        addr: String,
        /// upsd's answer to STARTTLS.
        reason: String,
    },
}

fn hint_suffix(code: Option<ErrCode>) -> String {
    match code.map(ErrCode::explain) {
        Some(h) if !h.is_empty() => format!(" ({h})"),
        _ => String::new(),
    }
}

fn connect_hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => " (is upsd running? check LISTEN in upsd.conf and the port)",
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            " (no answer within the timeout: check the host, the port and firewalls)"
        }
        _ => "",
    }
}

fn recv_hint(e: &io::Error) -> &'static str {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            " (no reply within the timeout: upsd is busy or hung)"
        }
        _ => "",
    }
}

impl Error {
    /// The `ERR` code when upsd refused the request with a known code.
    pub fn code(&self) -> Option<ErrCode> {
        match self {
            Error::Server { code, .. } => *code,
            _ => None,
        }
    }

    /// NUT's own message for this error (`upscli_strerror`), e.g. `Unknown UPS` or
    /// `Connection failure: Connection refused`.
    pub fn nut_message(&self) -> String {
        match self {
            Error::Server { code_text, .. } => nut_err_text(code_text).to_string(),
            Error::Resolve { .. } => "No such host".into(),
            Error::Connect { source, .. } => format!("Connection failure: {}", strerror(source)),
            Error::Send { source, .. } => format!("Write error: {}", strerror(source)),
            Error::Recv { source, .. } => format!("Read error: {}", strerror(source)),
            Error::Disconnected { .. } => "Server disconnected".into(),
            Error::Protocol { .. } => "Protocol error".into(),
            Error::Parse { reason, .. } => format!("Parse error: {reason}"),
            Error::InvalidArgument(_) => "Invalid argument".into(),
            Error::TlsNotSupported => "SSL is not available".into(),
            Error::TlsSetup(r) => format!("SSL error: {r}"),
            Error::Tls { reason, .. } => format!("SSL error: {reason}"),
            Error::TlsRequired { reason, .. } => format!("SSL failed: {reason}"),
        }
    }

    /// A sentence saying how to fix the problem, when we know one.
    pub fn hint(&self) -> Option<String> {
        let h = match self {
            Error::Server { code: Some(c), .. } => c.explain(),
            Error::Resolve { .. } => "check the host name in ups@host, or use an IP address",
            Error::Connect { source, addr } => {
                return match source.kind() {
                    io::ErrorKind::ConnectionRefused => Some(format!(
                        "nothing listens on {addr}: is upsd running? check LISTEN in upsd.conf and the port"
                    )),
                    io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => Some(format!(
                        "no answer from {addr} within the timeout: check the host, the port and firewalls"
                    )),
                    _ => None,
                };
            }
            Error::Recv { source, .. }
                if matches!(source.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) =>
            {
                "upsd did not answer within the timeout: it may be busy or hung"
            }
            Error::Disconnected { .. } => "upsd closed the connection: check upsd's log",
            Error::Protocol { .. } => {
                "the server does not speak NUT's protocol as expected: check the host and port"
            }
            Error::TlsNotSupported => "connect without STARTTLS, or use a build with TLS support",
            Error::TlsSetup(_) => "fix CERTPATH/CERTFILE (nut-tls-setup makes a working set)",
            Error::Tls { .. } => {
                "check that CERTPATH holds the CA that signed upsd's CERTFILE and that the host name matches"
            }
            Error::TlsRequired { .. } => {
                "enable TLS in upsd (CERTFILE in upsd.conf; nut-tls-setup makes one), or drop FORCESSL"
            }
            _ => "",
        };
        (!h.is_empty()).then(|| h.to_string())
    }
}

/// NUT's text for an `ERR` code name (libupsclient's table); unknown names give
/// `Unknown error`, as NUT does for codes outside its table.
pub fn nut_err_text(code: &str) -> &'static str {
    match code {
        "VAR-NOT-SUPPORTED" => "Variable not supported by UPS",
        "UNKNOWN-UPS" => "Unknown UPS",
        "ACCESS-DENIED" => "Access denied",
        "PASSWORD-REQUIRED" => "Password required",
        "PASSWORD-INCORRECT" => "Password incorrect",
        "MISSING-ARGUMENT" => "Missing argument",
        "DATA-STALE" => "Data stale",
        "VAR-UNKNOWN" => "Variable unknown",
        "ALREADY-LOGGED-IN" => "Already logged in",
        "ALREADY-SET-PASSWORD" => "Already set password",
        "UNKNOWN-TYPE" => "Unknown variable type",
        "UNKNOWN-VAR" => "Unknown variable",
        "READONLY" => "Read-only variable",
        "TOO-LONG" => "New value is too long",
        "INVALID-VALUE" => "Invalid value for variable",
        "SET-FAILED" => "Set command failed",
        "UNKNOWN-INSTCMD" => "Unknown instant command",
        "INSTCMD-FAILED" => "Instant command failed",
        "CMD-NOT-SUPPORTED" => "Instant command not supported",
        "INVALID-USERNAME" => "Invalid username",
        "ALREADY-SET-USERNAME" => "Already set username",
        "UNKNOWN-COMMAND" => "Unknown command",
        "INVALID-PASSWORD" => "Invalid password",
        "USERNAME-REQUIRED" => "Username required",
        "DRIVER-NOT-CONNECTED" => "Driver not connected",
        "INVALID-ARGUMENT" => "Invalid argument",
        _ => "Unknown error",
    }
}

/// The C library's `strerror` text for an I/O error, as NUT prints it (Rust's Display adds
/// " (os error N)", which NUT's messages don't have).
pub fn strerror(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(target_os = "linux")]
    fn nut_messages_match_libupsclient() {
        let e = Error::Server {
            code: Some(ErrCode::UnknownUps),
            code_text: "UNKNOWN-UPS".into(),
            request: "GET VAR x y".into(),
        };
        assert_eq!(e.nut_message(), "Unknown UPS");
        assert!(e.hint().is_some_and(|h| h.contains("upsc -l")));
        let e = Error::Connect {
            addr: "127.0.0.1:3493".into(),
            source: io::Error::from_raw_os_error(libc_econnrefused()),
        };
        assert_eq!(e.nut_message(), "Connection failure: Connection refused");
        assert!(e.to_string().contains("is upsd running?"));
        assert_eq!(nut_err_text("FEATURE-NOT-SUPPORTED"), "Unknown error");
    }

    #[cfg(target_os = "linux")]
    fn libc_econnrefused() -> i32 {
        111
    }
}
