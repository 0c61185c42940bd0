//! The rules of `upsdrvctl -F start` once the drivers run as its children (pure: events and
//! time in, decisions out), as NUT 2.8.5 applies them:
//!
//! - SIGTERM, SIGINT, SIGQUIT: stop every driver, then exit 0;
//! - SIGHUP (reload), SIGUSR1 (reload-or-exit), SIGURG (dump): passed on to every driver;
//!   a reload-or-exit opens a 60-second window;
//! - a driver that exits within that window, or with the code a driver uses after
//!   reload-or-exit (128 + SIGUSR1), is started again: it left to take new settings;
//! - any other exit ends the bundle: the other drivers are stopped and upsdrvctl exits 1, so
//!   the service manager restarts everything. (NUT only notices drivers that call `exit`; a
//!   driver killed by a signal is treated here like one that exited, except that SIGUSR1 or
//!   SIGUSR2 in the window counts as the reload-or-exit.)

use std::time::{Duration, Instant};

/// How long after a reload-or-exit a driver's exit counts as part of the reload.
pub const RELOAD_WINDOW: Duration = Duration::from_secs(60);

/// How a child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// `exit(code)`.
    Code(i32),
    /// Killed by a signal.
    Signal(i32),
}

/// What to do about a signal upsdrvctl received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnSignal {
    /// Stop the drivers and exit 0.
    Stop,
    /// Send this signal to every driver.
    Forward(libc::c_int),
    /// Not one of ours.
    Ignore,
}

/// What to do about a driver that ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnExit {
    /// Start it again.
    Restart,
    /// Stop the others and exit 1.
    Abort,
}

/// The supervisor's memory: when the last reload-or-exit was passed on.
#[derive(Debug, Clone, Default)]
pub struct Supervisor {
    last_dangerous_reload: Option<Instant>,
}

impl Supervisor {
    /// A new supervisor.
    pub fn new() -> Supervisor {
        Supervisor::default()
    }

    /// A signal arrived at `now`.
    pub fn on_signal(&mut self, sig: libc::c_int, now: Instant) -> OnSignal {
        match sig {
            libc::SIGTERM | libc::SIGINT | libc::SIGQUIT => OnSignal::Stop,
            libc::SIGUSR1 => {
                self.last_dangerous_reload = Some(now);
                OnSignal::Forward(sig)
            }
            libc::SIGHUP | libc::SIGURG => OnSignal::Forward(sig),
            _ => OnSignal::Ignore,
        }
    }

    /// A driver ended at `now`.
    pub fn on_exit(&self, how: Ended, now: Instant) -> OnExit {
        let in_window =
            self.last_dangerous_reload.is_some_and(|t| now.saturating_duration_since(t) < RELOAD_WINDOW);
        let reload_exit = match how {
            Ended::Code(c) => c - 128 == libc::SIGUSR1 || c - 128 == libc::SIGUSR2,
            Ended::Signal(s) => in_window && (s == libc::SIGUSR1 || s == libc::SIGUSR2),
        };
        let restart = match how {
            Ended::Code(_) => in_window || reload_exit,
            Ended::Signal(_) => reload_exit,
        };
        if restart {
            OnExit::Restart
        } else {
            OnExit::Abort
        }
    }

    /// Seconds since the last reload-or-exit, for NUT's debug line.
    pub fn since_dangerous_reload(&self, now: Instant) -> Option<Duration> {
        self.last_dangerous_reload.map(|t| now.saturating_duration_since(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_stop_or_pass_on() {
        let mut s = Supervisor::new();
        let t = Instant::now();
        assert_eq!(s.on_signal(libc::SIGTERM, t), OnSignal::Stop);
        assert_eq!(s.on_signal(libc::SIGINT, t), OnSignal::Stop);
        assert_eq!(s.on_signal(libc::SIGQUIT, t), OnSignal::Stop);
        assert_eq!(s.on_signal(libc::SIGHUP, t), OnSignal::Forward(libc::SIGHUP));
        assert_eq!(s.on_signal(libc::SIGURG, t), OnSignal::Forward(libc::SIGURG));
        assert_eq!(s.since_dangerous_reload(t), None);
        assert_eq!(s.on_signal(libc::SIGUSR1, t), OnSignal::Forward(libc::SIGUSR1));
        assert_eq!(s.since_dangerous_reload(t), Some(Duration::ZERO));
        assert_eq!(s.on_signal(libc::SIGCHLD, t), OnSignal::Ignore);
    }

    #[test]
    fn exits_abort_unless_part_of_a_reload() {
        let mut s = Supervisor::new();
        let t0 = Instant::now();
        // No reload: any end aborts the bundle.
        assert_eq!(s.on_exit(Ended::Code(0), t0), OnExit::Abort);
        assert_eq!(s.on_exit(Ended::Code(1), t0), OnExit::Abort);
        assert_eq!(s.on_exit(Ended::Signal(libc::SIGKILL), t0), OnExit::Abort);
        assert_eq!(s.on_exit(Ended::Signal(libc::SIGUSR1), t0), OnExit::Abort);
        // The exit code of a reload-or-exit restarts at any time.
        assert_eq!(s.on_exit(Ended::Code(128 + libc::SIGUSR1), t0), OnExit::Restart);
        // After SIGUSR1: any exit within 60 s restarts.
        s.on_signal(libc::SIGUSR1, t0);
        assert_eq!(s.on_exit(Ended::Code(0), t0 + Duration::from_secs(59)), OnExit::Restart);
        assert_eq!(s.on_exit(Ended::Signal(libc::SIGUSR1), t0 + Duration::from_secs(1)), OnExit::Restart);
        assert_eq!(s.on_exit(Ended::Signal(libc::SIGSEGV), t0 + Duration::from_secs(1)), OnExit::Abort);
        assert_eq!(s.on_exit(Ended::Code(1), t0 + Duration::from_secs(61)), OnExit::Abort);
        // SIGHUP opens no window.
        let mut s = Supervisor::new();
        s.on_signal(libc::SIGHUP, t0);
        assert_eq!(s.on_exit(Ended::Code(0), t0), OnExit::Abort);
    }
}
