//! What the driver does when a poll fails, as a state machine without I/O.
//!
//! Two kinds of failure, handled as NUT's nutdrv_qx does:
//! - the device answered badly or not at all (timeout, garbage, short reply): the port is
//!   fine, so it is *not* reopened; NUT counts [`MAXTRIES`] + 1 such polls in a row
//!   ("status read failed"), then marks the data stale; the next good poll brings it back;
//! - the port itself failed (device unplugged, I/O error): the data is stale at once and the
//!   port is reopened, with a backoff between attempts (1, 2, 4 ... 30 s), counted against
//!   `reconnect_max_tries`.

use std::time::{Duration, Instant};

/// Failed polls (device answering badly) before the data is marked stale.
pub const MAXTRIES: usize = 3;
use nut_transport::recover::{Recovery, Step};
pub use nut_transport::recover::{FIRST_BACKOFF, MAX_BACKOFF};

/// What the driver should do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Poll the device.
    Poll,
    /// Try to reopen the port, then poll if that worked.
    Reopen,
    /// Nothing until the next update (the data stays stale).
    Wait,
}

/// What a failed poll means for the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Keep the data as it is for now (NUT's "status read failed" retries).
    Retry,
    /// Mark the data stale.
    Stale,
}

/// The state of the link to the device: NUT's retry count for bad answers, and for a lost
/// port the stale-and-reconnect rules every driver shares (nut-transport's [`Recovery`]).
#[derive(Debug, Clone, Default)]
pub struct Link {
    retry: usize,
    port: Recovery,
}

impl Link {
    /// Before an update: poll, reopen, or wait for the backoff.
    pub fn next(&self, now: Instant) -> Action {
        match self.port.step(now) {
            Step::Read => Action::Poll,
            Step::Reconnect => Action::Reopen,
            Step::Wait => Action::Wait,
        }
    }

    /// A poll failed; `port_failed` when the port itself reported the error.
    pub fn poll_failed(&mut self, port_failed: bool, now: Instant) -> Outcome {
        if port_failed {
            self.port.failed(now);
            return Outcome::Stale;
        }
        if self.retry <= MAXTRIES {
            self.retry += 1;
            Outcome::Retry
        } else {
            Outcome::Stale
        }
    }

    /// Reopening failed: wait the backoff, then double it (up to [`MAX_BACKOFF`]).
    pub fn reopen_failed(&mut self, now: Instant) -> Duration {
        self.port.attempt_failed(now)
    }

    /// The port is open again.
    pub fn reopened(&mut self) {
        self.port.reconnected();
    }

    /// A poll succeeded; true when the data had been marked stale by failed polls (NUT
    /// then logs that communications are re-established).
    pub fn poll_ok(&mut self) -> bool {
        let was_stale = self.retry > MAXTRIES;
        self.retry = 0;
        was_stale
    }

    /// The port is being reopened (or waits to be).
    pub fn is_lost(&self) -> bool {
        self.port.is_failing()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_answers_go_stale_after_maxtries_without_reopening() {
        let now = Instant::now();
        let mut l = Link::default();
        for _ in 0..=MAXTRIES {
            assert_eq!(l.poll_failed(false, now), Outcome::Retry);
            assert_eq!(l.next(now), Action::Poll, "the port is not reopened for a bad answer");
        }
        assert_eq!(l.poll_failed(false, now), Outcome::Stale);
        assert_eq!(l.poll_failed(false, now), Outcome::Stale);
        assert_eq!(l.next(now), Action::Poll);
        assert!(l.poll_ok(), "back from stale");
        assert_eq!(l.poll_failed(false, now), Outcome::Retry);
        assert!(!l.poll_ok(), "a retried failure was never stale");
        assert!(!l.poll_ok());
        assert_eq!(l.poll_failed(false, now), Outcome::Retry, "the count starts again");
    }

    #[test]
    fn a_lost_port_is_stale_at_once_and_reopened_with_backoff() {
        let t0 = Instant::now();
        let mut l = Link::default();
        assert_eq!(l.poll_failed(true, t0), Outcome::Stale);
        assert_eq!(l.next(t0), Action::Reopen);
        let mut waits = Vec::new();
        let mut now = t0;
        for _ in 0..7 {
            let w = l.reopen_failed(now);
            waits.push(w.as_secs());
            assert_eq!(l.next(now), Action::Wait);
            assert_eq!(l.next(now + w - Duration::from_millis(1)), Action::Wait);
            now += w;
            assert_eq!(l.next(now), Action::Reopen);
        }
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        l.reopened();
        assert_eq!(l.next(now), Action::Poll);
        assert_eq!(l.poll_failed(true, now), Outcome::Stale);
        assert_eq!(l.reopen_failed(now), FIRST_BACKOFF, "the backoff restarts after a recovery");
    }
}
