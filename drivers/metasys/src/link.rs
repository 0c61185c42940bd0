//! One command/answer exchange with the UPS, over any byte link ([`Wire`]): the serial port
//! in the driver, a scripted fake in the tests.
//!
//! As NUT's metasys: a command is tried up to [`TRIES`] times; the last try is preceded by
//! 100 zero bytes (the protocol's way to reset the UPS's receiver); each stage of an answer
//! (STX, length, the rest) may take up to [`STAGE_TIMEOUT`]. An answer must be a good frame
//! (STX, length, checksum) for the command sent; anything else is thrown away with whatever
//! else is pending, and the command is sent again. A port that went away ends the exchange
//! at once (the driver then reopens it).

use std::time::Duration;

use crate::proto::{self, FrameError};

/// Tries per command (NUT: 5).
pub const TRIES: usize = 5;
/// The wait for each part of an answer (NUT: 1 s).
pub const STAGE_TIMEOUT: Duration = Duration::from_secs(1);
/// Zero bytes sent before the last try.
pub const RESET_ZEROS: usize = 100;

/// What a link can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// Fewer bytes than wanted before the deadline.
    #[error("timed out ({got} byte(s) received)")]
    Timeout {
        /// Bytes received.
        got: usize,
    },
    /// The port is gone (unplugged, hung up, I/O error).
    #[error("{0}")]
    Lost(String),
}

/// A byte link to the UPS.
pub trait Wire {
    /// Write all of `bytes`.
    fn send(&mut self, bytes: &[u8]) -> Result<(), WireError>;
    /// Read exactly `n` bytes within `timeout`.
    fn recv(&mut self, n: usize, timeout: Duration) -> Result<Vec<u8>, WireError>;
    /// Throw away pending input.
    fn flush_input(&mut self) -> Result<(), WireError>;
    /// Close and open the port again.
    fn reopen(&mut self) -> Result<(), WireError>;
}

/// Why an exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// No good answer in [`TRIES`] tries; `silent` when not one byte came back.
    #[error("no valid answer to command 0x{command:02x} in {TRIES} tries (last: {last})")]
    NoAnswer {
        /// The command.
        command: u8,
        /// Nothing at all came back, on any try.
        silent: bool,
        /// The last problem.
        last: String,
    },
    /// The port went away.
    #[error("{0}")]
    Lost(String),
    /// The command itself cannot be framed (a bug, not a device problem).
    #[error(transparent)]
    Frame(#[from] FrameError),
}

enum Attempt {
    Got(Vec<u8>),
    Bad { what: String, any_byte: bool },
}

fn read_frame(w: &mut dyn Wire, timeout: Duration) -> Result<Attempt, ExchangeError> {
    let stage = |w: &mut dyn Wire, n: usize| match w.recv(n, timeout) {
        Ok(b) => Ok(Ok(b)),
        Err(WireError::Timeout { got }) => Ok(Err(got)),
        Err(WireError::Lost(e)) => Err(ExchangeError::Lost(e)),
    };
    let stx = match stage(w, 1)? {
        Ok(b) => b[0],
        Err(_) => return Ok(Attempt::Bad { what: "no answer (STX)".into(), any_byte: false }),
    };
    if stx != proto::STX {
        return Ok(Attempt::Bad { what: FrameError::NoStart(stx).to_string(), any_byte: true });
    }
    let len = match stage(w, 1)? {
        Ok(b) => b[0],
        Err(_) => return Ok(Attempt::Bad { what: "no length byte".into(), any_byte: true }),
    };
    let want = match proto::body_len(len) {
        Ok(n) => n,
        Err(e) => return Ok(Attempt::Bad { what: e.to_string(), any_byte: true }),
    };
    let body = match stage(w, want)? {
        Ok(b) => b,
        Err(got) => {
            return Ok(Attempt::Bad { what: FrameError::Short { got, want }.to_string(), any_byte: true })
        }
    };
    match proto::decode_body(len, &body) {
        Ok(d) => Ok(Attempt::Got(d.to_vec())),
        Err(e) => Ok(Attempt::Bad { what: e.to_string(), any_byte: true }),
    }
}

/// Send the frame carrying `data` (command byte first) and return the data of the answer
/// (command byte first, checksum removed).
pub fn exchange(w: &mut dyn Wire, data: &[u8], timeout: Duration) -> Result<Vec<u8>, ExchangeError> {
    let request = proto::frame(data)?;
    let command = data[0];
    let mut silent = true;
    let mut last = String::new();
    for attempt in 0..TRIES {
        if attempt == TRIES - 1 {
            w.send(&[0; RESET_ZEROS]).map_err(lost)?;
        }
        w.send(&request).map_err(lost)?;
        match read_frame(w, timeout)? {
            Attempt::Got(d) if d[0] == command => return Ok(d),
            Attempt::Got(d) => {
                silent = false;
                last = format!("answer to command 0x{:02x} instead", d[0]);
            }
            Attempt::Bad { what, any_byte } => {
                silent &= !any_byte;
                last = what;
            }
        }
        nut_driver::debug!("command 0x{command:02x}, try {}: {last}", attempt + 1);
        w.flush_input().map_err(lost)?;
    }
    Err(ExchangeError::NoAnswer { command, silent, last })
}

fn lost(e: WireError) -> ExchangeError {
    match e {
        WireError::Lost(s) => ExchangeError::Lost(s),
        WireError::Timeout { .. } => ExchangeError::Lost("could not write to the port in time".into()),
    }
}

/// A scripted link for tests: each request written gets the next scripted answer bytes.
#[derive(Debug, Default)]
pub struct FakeWire {
    /// Answers, in order, to the frames written (zeros are not frames and get none).
    pub answers: std::collections::VecDeque<Vec<u8>>,
    /// Everything written.
    pub written: Vec<Vec<u8>>,
    /// Bytes ready to read.
    pub input: std::collections::VecDeque<u8>,
    /// The port is gone.
    pub gone: bool,
}

impl Wire for FakeWire {
    fn send(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        if self.gone {
            return Err(WireError::Lost("gone".into()));
        }
        self.written.push(bytes.to_vec());
        if bytes.first() == Some(&proto::STX) {
            if let Some(a) = self.answers.pop_front() {
                self.input.extend(a);
            }
        }
        Ok(())
    }

    fn recv(&mut self, n: usize, _timeout: Duration) -> Result<Vec<u8>, WireError> {
        if self.gone {
            return Err(WireError::Lost("gone".into()));
        }
        if self.input.len() < n {
            let got = self.input.len();
            self.input.clear();
            return Err(WireError::Timeout { got });
        }
        Ok(self.input.drain(..n).collect())
    }

    fn flush_input(&mut self) -> Result<(), WireError> {
        self.input.clear();
        Ok(())
    }

    fn reopen(&mut self) -> Result<(), WireError> {
        if self.gone {
            return Err(WireError::Lost("gone".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(data: &[u8]) -> Vec<u8> {
        proto::frame(data).expect("test data")
    }

    #[test]
    fn a_good_answer_is_returned_without_checksum() {
        let mut w = FakeWire::default();
        w.answers.push_back(answer(&[3, 0, 0, 150]));
        assert_eq!(exchange(&mut w, &[3], STAGE_TIMEOUT).expect("test data"), [3, 0, 0, 150]);
        assert_eq!(w.written, [vec![2, 2, 3, 5]]);
    }

    #[test]
    fn bad_answers_are_retried_and_the_last_try_resets_first() {
        let mut w = FakeWire::default();
        let mut corrupt = answer(&[3, 0, 0, 150]);
        *corrupt.last_mut().expect("test data") ^= 0xff;
        w.answers.extend([
            corrupt,
            b"garbage".to_vec(),
            answer(&[1, 0, 0, 0, 0, 0, 0]),
            vec![2, 9, 3],
            answer(&[3, 1, 0, 150]),
        ]);
        assert_eq!(exchange(&mut w, &[3], STAGE_TIMEOUT).expect("test data"), [3, 1, 0, 150]);
        assert_eq!(w.written.len(), 6, "5 requests and the zeros");
        assert_eq!(w.written[4], vec![0; RESET_ZEROS]);
    }

    #[test]
    fn five_failures_give_up_and_say_whether_anything_came() {
        let mut w = FakeWire::default();
        match exchange(&mut w, &[0], STAGE_TIMEOUT) {
            Err(ExchangeError::NoAnswer { command: 0, silent: true, .. }) => {}
            other => panic!("{other:?}"),
        }
        let mut w = FakeWire::default();
        w.answers.push_back(vec![0x15]);
        match exchange(&mut w, &[0], STAGE_TIMEOUT) {
            Err(ExchangeError::NoAnswer { silent: false, .. }) => {}
            other => panic!("{other:?}"),
        }
        let mut w = FakeWire { gone: true, ..FakeWire::default() };
        assert!(matches!(exchange(&mut w, &[0], STAGE_TIMEOUT), Err(ExchangeError::Lost(_))));
    }
}
