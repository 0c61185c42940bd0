//! A connected UPS that survives USB trouble: on a failed read the data is marked stale at
//! once, and the same device is reopened with backoff (1, 2, 4 ... 30 s) until it answers; each
//! state change is logged once. The timing rules are nut-transport's [`Recovery`], shared with
//! the other drivers.
//!
//! Each poll first drains the interrupt-in pipe (unless `pollonly`): the events set the values
//! they carry. Then it reads the device: a full walk every `pollfreq`, after a reconnect and
//! after a command or write; a quick walk (status reports only) otherwise; no reads at all
//! after the first full walk with `interruptonly`. A report the device refuses or mangles
//! loses only its own values (see [`crate::hidups::Quirk`]); a walk that reads nothing, a
//! vanished device or a silent interrupt pipe (`interrupt_pipe_no_events_tolerance`) mark the
//! data stale and reopen the device.

use std::time::{Duration, Instant};

use nut_transport::recover::{Recovery, Step};

use crate::hidups::{HidUps, Snapshot, Walk};
use crate::policy::DischargeLog;
use crate::transport::TransportError;

/// How the device is read (NUT's `pollfreq`, `pollonly`, `interruptonly`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOpts {
    /// Period of full updates (`pollfreq`, default 30 s).
    pub pollfreq: Duration,
    /// Ignore the interrupt pipe (`pollonly`).
    pub pollonly: bool,
    /// Do not poll after the first full update: events only (`interruptonly`).
    pub interruptonly: bool,
    /// How long one poll waits for the first interrupt report.
    pub interrupt_wait: Duration,
    /// At most this many interrupt reports are read per poll (a chatty device can't starve
    /// the socket).
    pub max_events: usize,
    /// `interrupt_pipe_no_events_tolerance`: after more than this many polls in a row without
    /// any interrupt report the device is reopened (frozen controllers); `None` = never
    /// (NUT's -1).
    pub no_events_tolerance: Option<u64>,
    /// `waitbeforereconnect`: after the device fails, wait this long before reopening it.
    pub wait_before_reconnect: Duration,
}

impl Default for PollOpts {
    fn default() -> PollOpts {
        PollOpts {
            pollfreq: Duration::from_secs(30),
            pollonly: false,
            interruptonly: false,
            interrupt_wait: Duration::from_millis(100),
            max_events: 32,
            no_events_tolerance: None,
            wait_before_reconnect: Duration::ZERO,
        }
    }
}

/// Longest wait between reconnect attempts.
pub const MAX_BACKOFF: Duration = nut_transport::recover::MAX_BACKOFF;

/// What a poll produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll {
    /// Fresh data.
    Data(Snapshot),
    /// The device failed or is still gone: data is stale.
    Stale,
    /// `reconnect_max_tries` is used up: the driver stops (the text says why).
    GiveUp(String),
}

/// Recovery state around a [`HidUps`].
pub struct Session {
    /// The UPS.
    pub ups: HidUps,
    /// How the device is read.
    pub opts: PollOpts,
    recovery: Recovery,
    last_full: Option<Instant>,
    /// When to repeat the OL+DISCHRG warning (`onlinedischarge_log_throttle_*`).
    pub discharge_log: DischargeLog,
    /// The walk the last successful poll did (for tests and debug output).
    pub last_walk: Option<Walk>,
    /// Counts reconnection attempts against `reconnect_max_tries`.
    pub reconnect: nut_driver::reconnect::Reconnect,
    /// UPS name, for the reconnection messages.
    pub upsname: String,
    /// Polls in a row that brought no interrupt report.
    no_events: u64,
}

impl Session {
    /// Wrap a freshly opened UPS.
    pub fn new(ups: HidUps) -> Session {
        Session::with_opts(ups, PollOpts::default(), None)
    }

    /// Wrap a UPS with polling options and `onlinedischarge_log_throttle_sec`.
    pub fn with_opts(ups: HidUps, opts: PollOpts, throttle_sec: Option<i64>) -> Session {
        Session {
            ups,
            recovery: Recovery::new(opts.wait_before_reconnect),
            opts,
            last_full: None,
            discharge_log: DischargeLog::new(throttle_sec),
            last_walk: None,
            reconnect: nut_driver::reconnect::Reconnect::default(),
            upsname: String::new(),
            no_events: 0,
        }
    }

    /// True while the device is failing.
    pub fn is_failing(&self) -> bool {
        self.recovery.is_failing()
    }

    /// One poll at time `now`.
    pub fn poll(&mut self, now: Instant) -> Poll {
        // `opts` is public: a changed `waitbeforereconnect` applies from the next failure.
        self.recovery.wait_before_reconnect = self.opts.wait_before_reconnect;
        match self.recovery.step(now) {
            Step::Read => {}
            Step::Wait => return Poll::Stale,
            Step::Reconnect => {
                if let nut_driver::reconnect::Trying::GiveUp(why) = self.reconnect.trying(&self.upsname) {
                    return Poll::GiveUp(why);
                }
                match self
                    .ups
                    .transport()
                    .reconnect()
                    .map_err(|e| e.to_string())
                    .and_then(|_| self.ups.reload())
                {
                    Ok(()) => {
                        nut_driver::info!("UPS is back: reconnected to the same device");
                        self.reconnect.success(&self.upsname);
                        self.recovery.reconnected();
                        self.last_full = None;
                    }
                    Err(e) => {
                        let wait = self.recovery.attempt_failed(now);
                        nut_driver::debug!("reconnect failed: {e}; next try in {wait:?}");
                        return Poll::Stale;
                    }
                }
            }
        }
        if !self.opts.pollonly {
            match self.read_events() {
                Ok(0) => {
                    self.no_events += 1;
                    if self.opts.no_events_tolerance.is_some_and(|t| self.no_events > t) {
                        nut_driver::warn!(
                            "Got 0 HID objects {} times in a row (interrupt_pipe_no_events_tolerance is {}): \
                             reconnecting",
                            self.no_events,
                            self.opts.no_events_tolerance.unwrap_or_default()
                        );
                        self.no_events = 0;
                        self.fail(now, &TransportError::Io("the interrupt pipe is silent".into()));
                        return Poll::Stale;
                    }
                }
                Ok(_) => self.no_events = 0,
                Err(e) => {
                    self.fail(now, &e);
                    return Poll::Stale;
                }
            }
        }
        let full_due = self.last_full.is_none_or(|t| now.saturating_duration_since(t) >= self.opts.pollfreq);
        let first = self.last_full.is_none();
        let walk = if self.ups.take_dirty() || first || (full_due && !self.opts.interruptonly) {
            Walk::Full
        } else if self.opts.interruptonly {
            Walk::Events
        } else {
            Walk::Quick
        };
        if let Err(e) = self.ups.refresh(walk) {
            self.fail(now, &e);
            return Poll::Stale;
        }
        if walk == Walk::Full {
            self.last_full = Some(now);
        }
        self.last_walk = Some(walk);
        let snap = self.ups.snapshot_at(now);
        self.discharge_log.hovercharge =
            self.ups.policy.onlinedischarge_log_throttle_hovercharge.unwrap_or(100);
        let charge = snap.vars.get("battery.charge").map(String::as_str);
        if self.discharge_log.should_log(snap.unexplained_online_discharge, now, charge) {
            nut_driver::warn!(
                "UPS is in OL+DISCHRG state: is it calibrating (set 'onlinedischarge_calibration')? Some \
                 models (e.g. CyberPower UT) report OL+DISCHRG when on battery (set 'onlinedischarge')"
            );
        }
        Poll::Data(snap)
    }

    /// Drain the interrupt pipe: wait up to `interrupt_wait` for the first report, then take
    /// what is already queued. Reports that do not fit the descriptor are logged and skipped.
    /// Returns how many reports arrived.
    fn read_events(&mut self) -> Result<usize, TransportError> {
        let mut n = 0;
        let mut wait = self.opts.interrupt_wait;
        for _ in 0..self.opts.max_events {
            let report = match self.ups.transport().interrupt(wait) {
                Ok(Some(r)) => r,
                Ok(None) | Err(TransportError::Timeout) => break,
                Err(e) => return Err(e),
            };
            n += 1;
            match self.ups.apply_event(&report) {
                Ok(k) => nut_driver::trace!("interrupt report set {k} value(s)"),
                Err(e) => nut_driver::debug!("ignoring interrupt report: {e}"),
            }
            wait = Duration::from_millis(1);
        }
        Ok(n)
    }

    fn fail(&mut self, now: Instant, e: &TransportError) {
        self.recovery.wait_before_reconnect = self.opts.wait_before_reconnect;
        if self.recovery.failed(now) {
            nut_driver::warn!("UPS communication lost ({e}): data marked stale, reconnecting");
        }
    }
}
