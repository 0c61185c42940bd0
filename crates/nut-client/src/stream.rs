//! The byte stream under a [`crate::Client`]: plain TCP today, TLS after STARTTLS later.
//!
//! The client reads lines through its own buffer instead of a `BufReader`, so that when
//! STARTTLS lands the plain socket can be handed to the TLS layer without losing buffered
//! bytes, and the `Client` API does not change.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A connection to upsd.
#[derive(Debug)]
#[non_exhaustive]
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
}

impl Stream {
    /// Set the read and write timeouts (`None` blocks forever).
    pub fn set_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Stream::Plain(s) => {
                s.set_read_timeout(t)?;
                s.set_write_timeout(t)
            }
        }
    }

    /// Close both directions; errors are ignored because the peer may already be gone.
    pub fn shutdown(&self) {
        match self {
            Stream::Plain(s) => {
                let _ = s.shutdown(std::net::Shutdown::Both);
            }
        }
    }

    /// The underlying TCP socket (for addresses and socket options).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
        }
    }
}
