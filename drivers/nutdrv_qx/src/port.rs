//! How the engine talks to its device: one command, one answer.
//!
//! [`QxPort`] is implemented by the serial adapter ([`crate::serial`]), by the USB bridges
//! (`crate::bridges`, one framing per USB-to-serial chip) and, for tests, by [`FakePort`].

use std::collections::VecDeque;
use std::time::Duration;

/// Why an exchange with the device failed.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// No (complete) answer within the timeout.
    #[error("timeout waiting for the answer")]
    Timeout,
    /// The device is gone (unplugged, closed).
    #[error("device disconnected: {0}")]
    Disconnected(String),
    /// Any other I/O error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The transport does not support this (e.g. a bridge that can't send that command).
    #[error("{0}")]
    Unsupported(String),
}

/// A connection to a Q* device.
pub trait QxPort {
    /// Send `cmd` (bytes, usually ending with CR) and return the answer, up to and including
    /// its terminating CR when there is one. An empty answer is valid (commands that are not
    /// acknowledged).
    fn command(&mut self, cmd: &[u8], timeout: Duration) -> Result<Vec<u8>, PortError>;

    /// Close and open the device again after an error.
    fn reconnect(&mut self) -> Result<(), PortError>;
}

/// A scripted device for tests: answers each command from a table (command → answer), or
/// from a queue of expected exchanges; records what was sent.
#[derive(Debug, Default, Clone)]
pub struct FakePort {
    /// Fixed answers: the same answer every time the command is sent.
    pub answers: Vec<(Vec<u8>, Vec<u8>)>,
    /// One-shot answers, consumed first when their command matches the head.
    pub queue: VecDeque<(Vec<u8>, Option<Vec<u8>>)>,
    /// Everything sent, in order.
    pub sent: Vec<Vec<u8>>,
    /// Number of reconnections asked.
    pub reconnects: usize,
}

impl FakePort {
    /// A device that answers `cmd` with `answer` (both without the CRs: they are added).
    pub fn with(pairs: &[(&str, &str)]) -> Self {
        let mut p = FakePort::default();
        for (c, a) in pairs {
            p.answers.push((format!("{c}\r").into_bytes(), format!("{a}\r").into_bytes()));
        }
        p
    }

    /// Add a raw answer (bytes as sent on the wire, CRs included).
    pub fn raw(&mut self, cmd: &[u8], answer: &[u8]) {
        self.answers.retain(|(c, _)| c != cmd);
        self.answers.push((cmd.to_vec(), answer.to_vec()));
    }

    /// Parse a transcript: `> cmd` / `< answer` lines with C escapes (`\r`, `\xNN`), as in
    /// NUT's testing tables. A CR is added to a command or answer that has none.
    pub fn from_transcript(text: &str) -> Self {
        let mut p = FakePort::default();
        let mut pending: Option<Vec<u8>> = None;
        for line in text.lines() {
            if let Some(c) = line.strip_prefix("> ") {
                let mut c = unescape(c);
                if !c.ends_with(b"\r") {
                    c.push(b'\r');
                }
                pending = Some(c);
            } else if let Some(a) = line.strip_prefix("< ").or_else(|| (line == "<").then_some("")) {
                if let Some(c) = pending.take() {
                    let a = unescape(a);
                    p.answers.retain(|(x, _)| *x != c);
                    p.answers.push((c, a));
                }
            }
        }
        p
    }
}

/// C string escapes (`\r`, `\n`, `\t`, `\\`, `\"`, `\xNN`, `\0`) to bytes.
pub fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' || i + 1 >= b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        i += 1;
        match b[i] {
            b'r' => out.push(b'\r'),
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'0' => out.push(0),
            b'x' => {
                let hex: Vec<u8> =
                    b[i + 1..].iter().take(2).take_while(|c| c.is_ascii_hexdigit()).copied().collect();
                let v = std::str::from_utf8(&hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok());
                match v {
                    Some(v) => {
                        out.push(v);
                        i += hex.len();
                    }
                    None => out.extend_from_slice(b"\\x"),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

impl QxPort for FakePort {
    fn command(&mut self, cmd: &[u8], _timeout: Duration) -> Result<Vec<u8>, PortError> {
        self.sent.push(cmd.to_vec());
        if self.queue.front().is_some_and(|(c, _)| c == cmd) {
            if let Some((_, a)) = self.queue.pop_front() {
                return a.ok_or(PortError::Timeout);
            }
        }
        self.answers.iter().find(|(c, _)| c == cmd).map(|(_, a)| a.clone()).ok_or(PortError::Timeout)
    }

    fn reconnect(&mut self) -> Result<(), PortError> {
        self.reconnects += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_c_strings() {
        assert_eq!(unescape(r"(1\r"), b"(1\r");
        assert_eq!(unescape(r"\x28\x0d\xzz"), b"(\r\\xzz");
        assert_eq!(unescape("tail\\"), b"tail\\");
    }

    #[test]
    fn transcript_answers() {
        let mut p = FakePort::from_transcript("# c\n> Q1\\r\n< (230.0\\r\n> F\n< #1\n");
        assert_eq!(p.command(b"Q1\r", Duration::ZERO).ok(), Some(b"(230.0\r".to_vec()));
        assert_eq!(p.command(b"F\r", Duration::ZERO).ok(), Some(b"#1".to_vec()));
        assert!(p.command(b"I\r", Duration::ZERO).is_err());
    }
}
