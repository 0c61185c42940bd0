//! `reconnect_max_tries` and `reconnect_report_freq`: how long a driver that lost its device
//! keeps trying to reconnect. These ups.conf settings are planned for NUT 2.8.6; we follow its
//! ups.conf(5):
//!
//! - `reconnect_max_tries`: after that many failed attempts the driver exits (status 1), so a
//!   service manager or an administrator restarts it from scratch; 0 exits as soon as the
//!   device is lost; negative (the default) retries forever;
//! - `reconnect_report_freq`: while retrying, log progress every N attempts; 0 or negative
//!   (the default) only logs the start.
//!
//! [`Reconnect`] is the pure counter (NUT's `reconnect_trying()`); drivers that reconnect call
//! [`Reconnect::trying`] before each attempt and [`Reconnect::success`] once the device
//! answers again, and give up with [`crate::DriverError::GiveUp`].

use crate::config::Context;

/// What to do about one more attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trying {
    /// Try.
    Continue,
    /// Stop the driver: the text says why.
    GiveUp(String),
}

/// The reconnection counter of one driver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconnect {
    max_tries: i32,
    report_freq: i32,
    count: u32,
}

impl Default for Reconnect {
    fn default() -> Reconnect {
        Reconnect { max_tries: -1, report_freq: -1, count: 0 }
    }
}

impl Reconnect {
    /// A counter with the settings (unset: retry forever, no progress lines).
    pub fn new(max_tries: Option<i32>, report_freq: Option<i32>) -> Reconnect {
        Reconnect { max_tries: max_tries.unwrap_or(-1), report_freq: report_freq.unwrap_or(-1), count: 0 }
    }

    /// The counter for a driver's settings.
    pub fn from_context(ctx: &Context) -> Reconnect {
        Reconnect::new(ctx.reconnect_max_tries, ctx.reconnect_report_freq)
    }

    /// Failed attempts so far in the current outage.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// One more attempt is about to be made for UPS `ups`: count it, log as NUT does, and say
    /// whether to go on.
    pub fn trying(&mut self, ups: &str) -> Trying {
        if self.max_tries == 0 {
            let why = format!("Driver lost connection to the device [{ups}] and will exit immediately");
            nut_daemon::warn!("{why}");
            return Trying::GiveUp(why);
        }
        if self.count == 0 {
            if self.max_tries < 0 {
                nut_daemon::warn!("Driver reconnecting to the device [{ups}], will try indefinitely");
            } else {
                nut_daemon::warn!(
                    "Driver reconnecting to the device [{ups}], will try for max {} attempts, then will exit",
                    self.max_tries
                );
            }
        } else if self.report_freq > 0 && self.count.is_multiple_of(self.report_freq as u32) {
            nut_daemon::warn!("Driver still reconnecting to the device [{ups}] for {} attempts", self.count);
        }
        self.count = self.count.saturating_add(1);
        if self.max_tries > 0 && self.count > self.max_tries as u32 {
            let why = format!(
                "Driver lost connection to the device [{ups}] and tried to reconnect for {} times, now will \
                 exit as configured",
                self.count
            );
            nut_daemon::warn!("{why}");
            return Trying::GiveUp(why);
        }
        Trying::Continue
    }

    /// The device answers again.
    pub fn success(&mut self, ups: &str) {
        if self.count > 0 {
            nut_daemon::debug!("Driver reconnected to the device [{ups}] after {} attempts", self.count);
            nut_daemon::info!("Communications with UPS [{ups}] re-established");
        }
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_retries_forever() {
        let mut r = Reconnect::default();
        for _ in 0..1000 {
            assert_eq!(r.trying("u"), Trying::Continue);
        }
        r.success("u");
        assert_eq!(r.count(), 0);
    }

    #[test]
    fn max_tries_attempts_then_gives_up_and_success_resets() {
        let mut r = Reconnect::new(Some(2), None);
        assert_eq!(r.trying("u"), Trying::Continue);
        assert_eq!(r.trying("u"), Trying::Continue);
        assert!(matches!(r.trying("u"), Trying::GiveUp(w) if w.contains("tried to reconnect for 3 times")));
        let mut r = Reconnect::new(Some(2), None);
        r.trying("u");
        r.trying("u");
        r.success("u");
        assert_eq!(r.trying("u"), Trying::Continue, "a new outage starts from zero");
    }

    #[test]
    fn zero_exits_at_once() {
        let mut r = Reconnect::new(Some(0), Some(1));
        assert!(matches!(r.trying("u"), Trying::GiveUp(w) if w.contains("will exit immediately")));
    }
}
