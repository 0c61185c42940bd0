//! The byte stream under a [`crate::Client`]: plain TCP, or TLS after STARTTLS.
//!
//! The client reads lines through its own buffer instead of a `BufReader`, so the plain
//! socket can be handed to the TLS layer without losing buffered bytes, and the `Client` API
//! is the same either way.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use nut_tls::rustls::{ClientConnection, StreamOwned};

/// A connection to upsd.
#[derive(Debug)]
#[non_exhaustive]
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS (rustls) after a successful STARTTLS.
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    /// Set the read and write timeouts (`None` blocks forever).
    pub fn set_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        let s = self.tcp();
        s.set_read_timeout(t)?;
        s.set_write_timeout(t)
    }

    /// Close both directions; errors are ignored because the peer may already be gone.
    pub fn shutdown(&mut self) {
        if let Stream::Tls(s) = self {
            s.conn.send_close_notify();
            let _ = s.conn.complete_io(&mut s.sock);
        }
        let _ = self.tcp().shutdown(std::net::Shutdown::Both);
    }

    /// The underlying TCP socket (for addresses and socket options).
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }

    /// Whether the stream is encrypted.
    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}
