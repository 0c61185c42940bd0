//! The serial link: a command out (paced, as NUT sends it: 50 ms between bytes), an answer
//! back (up to a CR, or a fixed number of bytes), over any [`Line`]: the serial port in the
//! driver, a scripted [`FakeLine`] in tests and fuzzing.

use std::time::Duration;

/// The wait for an answer (NUT: 100-200 ms pause, then 250 ms; a little more here so a
/// loaded machine does not look like a dead UPS).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(1);
/// NUT's pause between the bytes of a command (UPSDELAY).
pub const PACE: Duration = Duration::from_millis(50);
/// The longest answer line kept (NUT's SMALLBUF).
pub const MAX_LINE: usize = 512;

/// What a link can fail with.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// No (complete) answer in time.
    #[error("no answer in time ({got} byte(s) received)")]
    Timeout {
        /// Bytes received.
        got: usize,
    },
    /// The port is gone.
    #[error("{0}")]
    Lost(String),
}

impl LineError {
    /// The port itself failed (reopen it).
    pub fn is_lost(&self) -> bool {
        matches!(self, LineError::Lost(_))
    }
}

/// A link to the UPS.
pub trait Line {
    /// Set the line speed (the port is reopened at it).
    fn set_speed(&mut self, bps: u32) -> Result<(), LineError>;
    /// Throw away pending input.
    fn flush(&mut self) -> Result<(), LineError>;
    /// Send `bytes`, paced.
    fn send(&mut self, bytes: &[u8]) -> Result<(), LineError>;
    /// The next answer up to CR (the CR removed).
    fn read_line(&mut self, timeout: Duration) -> Result<Vec<u8>, LineError>;
    /// The next `n` bytes.
    fn read_exact(&mut self, n: usize, timeout: Duration) -> Result<Vec<u8>, LineError>;
    /// Close and open the port again.
    fn reopen(&mut self) -> Result<(), LineError>;
}

/// Send `cmd` and read a line.
pub fn ask_line(l: &mut dyn Line, cmd: &[u8]) -> Result<Vec<u8>, LineError> {
    l.flush()?;
    l.send(cmd)?;
    l.read_line(ANSWER_TIMEOUT)
}

/// Send `cmd` and read `n` bytes.
pub fn ask_exact(l: &mut dyn Line, cmd: &[u8], n: usize) -> Result<Vec<u8>, LineError> {
    l.flush()?;
    l.send(cmd)?;
    l.read_exact(n, ANSWER_TIMEOUT)
}

/// A scripted link: each command sent (whole) gets the answer the script has for it.
#[derive(Debug, Default)]
pub struct FakeLine {
    /// (command, answer bytes) pairs; the first match answers.
    pub script: Vec<(Vec<u8>, Vec<u8>)>,
    /// Everything sent.
    pub sent: Vec<Vec<u8>>,
    /// Bytes ready to read.
    pub input: std::collections::VecDeque<u8>,
    /// Speeds set.
    pub speeds: Vec<u32>,
    /// The port is gone.
    pub gone: bool,
}

impl FakeLine {
    fn check(&self) -> Result<(), LineError> {
        if self.gone {
            Err(LineError::Lost("gone".into()))
        } else {
            Ok(())
        }
    }
}

impl Line for FakeLine {
    fn set_speed(&mut self, bps: u32) -> Result<(), LineError> {
        self.check()?;
        self.speeds.push(bps);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), LineError> {
        self.check()?;
        self.input.clear();
        Ok(())
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), LineError> {
        self.check()?;
        self.sent.push(bytes.to_vec());
        if let Some((_, a)) = self.script.iter().find(|(c, _)| c == bytes) {
            self.input.extend(a.iter().copied());
        }
        Ok(())
    }

    fn read_line(&mut self, _timeout: Duration) -> Result<Vec<u8>, LineError> {
        self.check()?;
        match self.input.iter().position(|&b| b == b'\r') {
            Some(p) => {
                let mut l: Vec<u8> = self.input.drain(..=p).collect();
                l.pop();
                l.truncate(MAX_LINE);
                Ok(l)
            }
            None => {
                let got = self.input.len();
                self.input.clear();
                Err(LineError::Timeout { got })
            }
        }
    }

    fn read_exact(&mut self, n: usize, _timeout: Duration) -> Result<Vec<u8>, LineError> {
        self.check()?;
        if self.input.len() < n {
            let got = self.input.len();
            self.input.clear();
            return Err(LineError::Timeout { got });
        }
        Ok(self.input.drain(..n).collect())
    }

    fn reopen(&mut self) -> Result<(), LineError> {
        self.check()
    }
}
