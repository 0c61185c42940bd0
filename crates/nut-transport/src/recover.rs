//! The stale-and-reconnect rules usbhid-ups proved, for any driver: on the first failed read
//! the data is marked stale at once (the caller publishes it) and the failure is logged once;
//! the first reopen is tried at the next poll (drops are usually short, a USB reset or a
//! replug) or after `waitbeforereconnect`; each failed reopen doubles the wait (1, 2, 4 ...
//! 30 s, never less than `waitbeforereconnect`); a reopen that works ends the outage and the
//! next poll reads everything afresh.
//!
//! [`Recovery`] is the pure state machine (time is passed in); how many attempts are allowed
//! (`reconnect_max_tries`) is nut-driver's `Reconnect` counter, asked before each attempt.

use std::time::{Duration, Instant};

/// Longest wait between reconnect attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// First wait after a failed reconnect attempt.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(1);

/// What the caller should do at this poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The device works: read it.
    Read,
    /// The device is failing and it is time to try reopening it.
    Reconnect,
    /// The device is failing and the next attempt is later: data stays stale.
    Wait,
}

/// Recovery state of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    failing: bool,
    next_try: Option<Instant>,
    backoff: Duration,
    /// `waitbeforereconnect`: after the device fails, wait at least this long before
    /// reopening it.
    pub wait_before_reconnect: Duration,
}

impl Default for Recovery {
    fn default() -> Recovery {
        Recovery::new(Duration::ZERO)
    }
}

impl Recovery {
    /// A working device, with `waitbeforereconnect`.
    pub fn new(wait_before_reconnect: Duration) -> Recovery {
        Recovery { failing: false, next_try: None, backoff: FIRST_BACKOFF, wait_before_reconnect }
    }

    /// True while the device is failing (its data is stale).
    pub fn is_failing(&self) -> bool {
        self.failing
    }

    /// What to do at time `now`.
    pub fn step(&self, now: Instant) -> Step {
        match (self.failing, self.next_try) {
            (false, _) => Step::Read,
            (true, Some(t)) if now < t => Step::Wait,
            (true, _) => Step::Reconnect,
        }
    }

    /// A read or write failed at `now`. Returns true when this starts an outage (log it
    /// then, once; the data must be marked stale now).
    pub fn failed(&mut self, now: Instant) -> bool {
        let first = !self.failing;
        self.failing = true;
        self.next_try = Some(now + self.wait_before_reconnect);
        first
    }

    /// A reconnect attempt at `now` failed: returns the wait before the next one.
    pub fn attempt_failed(&mut self, now: Instant) -> Duration {
        let wait = self.backoff.max(self.wait_before_reconnect);
        self.next_try = Some(now + wait);
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        wait
    }

    /// A reconnect attempt worked: the outage is over.
    pub fn reconnected(&mut self) {
        self.failing = false;
        self.next_try = None;
        self.backoff = FIRST_BACKOFF;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_retry_at_next_poll_then_doubling_backoff_capped() {
        let t0 = Instant::now();
        let mut r = Recovery::default();
        assert_eq!(r.step(t0), Step::Read);
        assert!(r.failed(t0), "first failure starts the outage");
        assert!(!r.failed(t0), "a second failure is the same outage");
        assert_eq!(r.step(t0), Step::Reconnect, "retry at once");
        let waits: Vec<u64> = (0..7).map(|_| r.attempt_failed(t0).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(r.step(t0 + Duration::from_secs(29)), Step::Wait);
        assert_eq!(r.step(t0 + Duration::from_secs(30)), Step::Reconnect);
        r.reconnected();
        assert_eq!(r.step(t0), Step::Read);
        r.failed(t0);
        assert_eq!(r.attempt_failed(t0), FIRST_BACKOFF, "a new outage starts from 1 s");
    }

    #[test]
    fn wait_before_reconnect_is_a_floor() {
        let t0 = Instant::now();
        let mut r = Recovery::new(Duration::from_secs(5));
        r.failed(t0);
        assert_eq!(r.step(t0 + Duration::from_secs(4)), Step::Wait);
        assert_eq!(r.step(t0 + Duration::from_secs(5)), Step::Reconnect);
        assert_eq!(r.attempt_failed(t0).as_secs(), 5);
        assert_eq!(r.attempt_failed(t0).as_secs(), 5);
        assert_eq!(r.attempt_failed(t0).as_secs(), 5);
        assert_eq!(r.attempt_failed(t0).as_secs(), 8);
    }
}
