//! A connected UPS that survives USB trouble: on a failed read the data is marked stale at
//! once, and the same device is reopened with backoff (1, 2, 4 ... 30 s) until it answers; each
//! state change is logged once.

use std::time::{Duration, Instant};

use crate::hidups::{HidUps, Snapshot};
use crate::transport::TransportError;

/// Longest wait between reconnect attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// What a poll produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll {
    /// Fresh data.
    Data(Snapshot),
    /// The device failed or is still gone: data is stale.
    Stale,
}

/// Recovery state around a [`HidUps`].
pub struct Session {
    /// The UPS.
    pub ups: HidUps,
    failing: bool,
    next_try: Option<Instant>,
    backoff: Duration,
}

impl Session {
    /// Wrap a freshly opened UPS.
    pub fn new(ups: HidUps) -> Session {
        Session { ups, failing: false, next_try: None, backoff: Duration::from_secs(1) }
    }

    /// True while the device is failing.
    pub fn is_failing(&self) -> bool {
        self.failing
    }

    /// One poll at time `now`.
    pub fn poll(&mut self, now: Instant) -> Poll {
        if self.failing {
            if self.next_try.is_some_and(|t| now < t) {
                return Poll::Stale;
            }
            match self.ups.transport().reconnect().map_err(|e| e.to_string()).and_then(|_| self.ups.reload())
            {
                Ok(()) => {
                    tracing::info!("UPS is back: reconnected to the same device");
                    self.failing = false;
                    self.backoff = Duration::from_secs(1);
                }
                Err(e) => {
                    tracing::debug!("reconnect failed: {e}; next try in {:?}", self.backoff);
                    self.next_try = Some(now + self.backoff);
                    self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                    return Poll::Stale;
                }
            }
        }
        match self.ups.update() {
            Ok(s) => Poll::Data(s),
            Err(e) => {
                self.fail(now, &e);
                Poll::Stale
            }
        }
    }

    fn fail(&mut self, now: Instant, e: &TransportError) {
        if !self.failing {
            tracing::warn!("UPS communication lost ({e}): data marked stale, reconnecting");
        }
        self.failing = true;
        // The first retry is at the next poll; drops are usually short (a USB reset).
        self.next_try = Some(now);
    }
}
