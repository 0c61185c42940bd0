//! One line-protocol client connection to upsd (tokio), with a reusable read buffer so the hot
//! loop allocates nothing.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A client connection.
pub struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl Conn {
    /// Connect to upsd on 127.0.0.1:`port`.
    pub async fn connect(port: u16) -> io::Result<Conn> {
        let s = TcpStream::connect(("127.0.0.1", port)).await?;
        // Requests are single lines sent after the previous reply: Nagle never delays them, but
        // setting it keeps the client out of the picture in every case.
        s.set_nodelay(true)?;
        Ok(Conn { s, buf: vec![0; 16 * 1024], start: 0, end: 0 })
    }

    /// Send raw bytes (one or more request lines).
    pub async fn send(&mut self, data: &[u8]) -> io::Result<()> {
        self.s.write_all(data).await
    }

    /// Read the next line; returns its byte range in the buffer (without the newline), valid
    /// until the next read.
    async fn next_line(&mut self) -> io::Result<std::ops::Range<usize>> {
        loop {
            if let Some(pos) = self.buf[self.start..self.end].iter().position(|&b| b == b'\n') {
                let r = self.start..self.start + pos;
                self.start += pos + 1;
                return Ok(r);
            }
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.end == self.buf.len() {
                if self.buf.len() >= 4 << 20 {
                    return Err(io::Error::new(io::ErrorKind::InvalidData, "reply line over 4 MiB"));
                }
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let n = self.s.read(&mut self.buf[self.end..]).await?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "server closed the connection"));
            }
            self.end += n;
        }
    }

    /// Read one line and tell whether it starts with `prefix`.
    pub async fn line_starts_with(&mut self, prefix: &[u8]) -> io::Result<bool> {
        let r = self.next_line().await?;
        Ok(self.buf[r].starts_with(prefix))
    }

    /// Read one line as text.
    pub async fn line(&mut self) -> io::Result<String> {
        let r = self.next_line().await?;
        Ok(String::from_utf8_lossy(&self.buf[r]).into_owned())
    }

    /// Send one request line and read one reply line.
    pub async fn request(&mut self, line: &str) -> io::Result<String> {
        self.send(format!("{line}\n").as_bytes()).await?;
        self.line().await
    }

    /// The underlying stream (for clients that misbehave on purpose).
    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.s
    }
}
