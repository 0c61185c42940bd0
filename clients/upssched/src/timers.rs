//! The timer daemon's state with no I/O: requests and the time in, commands to run out.
//!
//! Semantics follow NUT 2.8.0 as observed with Debian's upssched: starting a timer whose name
//! already runs adds a second one (both fire), and a cancel removes the oldest timer with that
//! name. The 2.8.5 verbs add a shared start (no duplicate) and a cancel limited to timers the
//! same UPS started. Unlike NUT, a fired timer runs CMDSCRIPT with the UPSNAME and NOTIFYTYPE
//! of the invocation that started it, not those of whichever invocation started the daemon.

/// Milliseconds on a monotonic clock.
pub type Millis = u64;

/// One running timer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timer {
    /// Name, passed to CMDSCRIPT when it fires.
    pub name: String,
    /// UPSNAME of the invocation that started it.
    pub ups: String,
    /// NOTIFYTYPE of the invocation that started it.
    pub ntype: String,
    /// When it fires.
    pub due: Millis,
}

/// A request to the daemon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// START-TIMER (`shared: false`) or START-TIMER-SHARED.
    Start {
        /// The timer to add (its `due` is relative: seconds from now, times 1000).
        timer: Timer,
        /// Do nothing when a timer with this name already runs.
        shared: bool,
    },
    /// CANCEL-TIMER, or CANCEL-TIMER-MATCHED when `ups` is set.
    Cancel {
        /// Timer name.
        name: String,
        /// Only cancel a timer this UPS started.
        ups: Option<String>,
        /// Command to run if nothing was cancelled.
        cmd: Option<String>,
    },
}

/// What the caller must do after a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing more.
    Done,
    /// Run CMDSCRIPT with this command (a cancel found no timer).
    Run(String),
}

/// The running timers, oldest first.
#[derive(Clone, Debug, Default)]
pub struct Timers {
    list: Vec<Timer>,
}

impl Timers {
    /// Applies a request at time `now`.
    pub fn handle(&mut self, req: Request, now: Millis) -> Outcome {
        match req {
            Request::Start { mut timer, shared } => {
                if !(shared && self.list.iter().any(|t| t.name == timer.name)) {
                    timer.due += now;
                    self.list.push(timer);
                }
                Outcome::Done
            }
            Request::Cancel { name, ups, cmd } => {
                let pos = self
                    .list
                    .iter()
                    .position(|t| t.name == name && ups.as_deref().filter(|u| *u != t.ups).is_none());
                match (pos, cmd) {
                    (Some(i), _) => {
                        self.list.remove(i);
                        Outcome::Done
                    }
                    (None, Some(cmd)) => Outcome::Run(cmd),
                    (None, None) => Outcome::Done,
                }
            }
        }
    }

    /// Removes and returns the timers due at `now`, in the order they fire.
    pub fn due(&mut self, now: Millis) -> Vec<Timer> {
        let (mut fired, keep): (Vec<Timer>, Vec<Timer>) = self.list.drain(..).partition(|t| t.due <= now);
        self.list = keep;
        fired.sort_by_key(|t| t.due);
        fired
    }

    /// When the next timer fires.
    pub fn next_due(&self) -> Option<Millis> {
        self.list.iter().map(|t| t.due).min()
    }

    /// True when no timer runs (the daemon then exits, as NUT's does).
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The running timers, oldest first.
    pub fn list(&self) -> &[Timer] {
        &self.list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(name: &str, ups: &str, secs: u64, shared: bool) -> Request {
        Request::Start {
            timer: Timer { name: name.into(), ups: ups.into(), ntype: "ONBATT".into(), due: secs * 1000 },
            shared,
        }
    }

    fn names(t: &[Timer]) -> Vec<&str> {
        t.iter().map(|t| t.name.as_str()).collect()
    }

    #[test]
    fn timers_fire_in_order_of_expiry() {
        let mut t = Timers::default();
        t.handle(start("late", "u", 10, false), 0);
        t.handle(start("early", "u", 5, false), 1000);
        assert_eq!(t.next_due(), Some(6000));
        assert!(t.due(5999).is_empty());
        assert_eq!(names(&t.due(20_000)), ["early", "late"]);
        assert!(t.is_empty());
    }

    #[test]
    fn duplicate_start_adds_a_second_timer_and_cancel_removes_the_oldest() {
        // Observed with Debian's upssched 2.8.0: two ONBATT from two UPSes start two timers,
        // one ONLINE cancels one of them, and the other still fires.
        let mut t = Timers::default();
        t.handle(start("onbatt", "u1", 2, false), 0);
        t.handle(start("onbatt", "u2", 2, false), 100);
        let cancel = Request::Cancel { name: "onbatt".into(), ups: None, cmd: Some("online".into()) };
        assert_eq!(t.handle(cancel.clone(), 200), Outcome::Done);
        let fired = t.due(5000);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].ups, "u2");
        assert_eq!(
            t.handle(cancel, 6000),
            Outcome::Run("online".into()),
            "nothing left to cancel runs the command"
        );
    }

    #[test]
    fn shared_start_keeps_one_timer() {
        let mut t = Timers::default();
        t.handle(start("s", "u1", 10, true), 0);
        t.handle(start("s", "u2", 10, true), 5000);
        assert_eq!(t.list().len(), 1);
        assert_eq!(t.next_due(), Some(10_000), "not restarted");
    }

    #[test]
    fn matched_cancel_only_touches_the_same_ups() {
        let mut t = Timers::default();
        t.handle(start("x", "u1", 10, false), 0);
        let other = Request::Cancel { name: "x".into(), ups: Some("u2".into()), cmd: Some("c".into()) };
        assert_eq!(t.handle(other, 1), Outcome::Run("c".into()));
        assert_eq!(t.list().len(), 1);
        let same = Request::Cancel { name: "x".into(), ups: Some("u1".into()), cmd: None };
        assert_eq!(t.handle(same, 2), Outcome::Done);
        assert!(t.is_empty());
    }
}
