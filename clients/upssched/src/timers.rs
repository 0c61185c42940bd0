//! The timer daemon's state with no I/O: requests and the time in, commands to run out.
//!
//! Semantics are NUT 2.8.5's: starting a timer whose name already runs adds a second one
//! (both fire); a shared start (`START-TIMER-SHARED`) instead adds the caller's UPSNAME,
//! NOTIFYTYPE and NOTIFYMSG to the timer of that name already running; `CANCEL-TIMER`
//! removes every timer of that name (NUT 2.8.0 removed only the oldest). A fired timer runs
//! CMDSCRIPT with the UPSNAMEs, NOTIFYTYPEs and NOTIFYMSGs of the invocations that started
//! it ([`Timer::env`]).

/// Milliseconds on a monotonic clock.
pub type Millis = u64;

/// One running timer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timer {
    /// Name, passed to CMDSCRIPT when it fires.
    pub name: String,
    /// UPSNAME of each invocation that started (or shared) it, without repeats.
    pub upsnames: Vec<String>,
    /// NOTIFYTYPE of each, without repeats.
    pub ntypes: Vec<String>,
    /// NOTIFYMSG of each, without repeats.
    pub msgs: Vec<String>,
    /// When it fires.
    pub due: Millis,
}

impl Timer {
    /// A timer started by one invocation; empty values are not recorded (as in NUT).
    pub fn new(name: &str, due: Millis, ups: &str, ntype: &str, msg: &str) -> Timer {
        let mut t =
            Timer { name: name.to_string(), upsnames: Vec::new(), ntypes: Vec::new(), msgs: Vec::new(), due };
        t.add(ups, ntype, msg);
        t
    }

    /// Records another invocation's values (a shared start).
    fn add(&mut self, ups: &str, ntype: &str, msg: &str) {
        for (list, v) in [(&mut self.upsnames, ups), (&mut self.ntypes, ntype), (&mut self.msgs, msg)] {
            if !v.is_empty() && !list.iter().any(|x| x == v) {
                list.push(v.to_string());
            }
        }
    }

    /// The environment CMDSCRIPT gets when this timer fires, as NUT 2.8.5 sets it:
    /// `UPSNAME` and `NOTIFYTYPE` comma-separated, `NOTIFYMSG` joined with ".\t"; a variable
    /// with no value is left out.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (k, list, sep) in [
            ("UPSNAME", &self.upsnames, ","),
            ("NOTIFYTYPE", &self.ntypes, ","),
            ("NOTIFYMSG", &self.msgs, ".\t"),
        ] {
            if !list.is_empty() {
                out.push((k, list.join(sep)));
            }
        }
        out
    }
}

/// A request to the daemon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Request {
    /// START-TIMER (`shared: false`) or START-TIMER-SHARED.
    Start {
        /// The timer to add (its `due` is relative: seconds from now, times 1000).
        timer: Timer,
        /// Join the running timer of this name, if there is one.
        shared: bool,
    },
    /// CANCEL-TIMER, or CANCEL-TIMER-MATCHED when `ups` is set.
    Cancel {
        /// Timer name.
        name: String,
        /// Only cancel timers this UPS started (or shared).
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
                // NUT 2.8.5 joins the first timer of that name.
                if let Some(t) = self.list.iter_mut().find(|t| shared && t.name == timer.name) {
                    let (u, n, m) =
                        (timer.upsnames.join(","), timer.ntypes.join(","), timer.msgs.join(".\t"));
                    t.add(&u, &n, &m);
                } else {
                    timer.due += now;
                    self.list.push(timer);
                }
                Outcome::Done
            }
            Request::Cancel { name, ups, cmd } => {
                let before = self.list.len();
                self.list
                    .retain(|t| !(t.name == name && ups.as_ref().is_none_or(|u| t.upsnames.contains(u))));
                match cmd {
                    Some(cmd) if self.list.len() == before => Outcome::Run(cmd),
                    _ => Outcome::Done,
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

/// C's `%g` for a whole number of seconds, as NUT's `upssched -l` prints the time left
/// (`27`, `-3`, `1.2e+06`).
pub fn format_g(secs: i64) -> String {
    if secs.unsigned_abs() < 1_000_000 {
        return secs.to_string();
    }
    // Six significant digits, exponent form, trailing zeros dropped.
    let s = format!("{:.5e}", secs as f64);
    let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    let exp: i32 = exp.parse().unwrap_or(0);
    format!("{mantissa}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(name: &str, ups: &str, secs: u64, shared: bool) -> Request {
        Request::Start {
            timer: Timer::new(name, secs * 1000, ups, "ONBATT", &format!("UPS {ups} on battery")),
            shared,
        }
    }

    fn cancel(name: &str, ups: Option<&str>, cmd: Option<&str>) -> Request {
        Request::Cancel { name: name.into(), ups: ups.map(str::to_string), cmd: cmd.map(str::to_string) }
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
    fn cancel_removes_every_timer_of_that_name_like_nut_2_8_5() {
        // NEWS 2.8.5: "CANCEL-TIMER no longer stops at first hit" (2.8.0 removed the oldest).
        let mut t = Timers::default();
        t.handle(start("onbatt", "u1", 2, false), 0);
        t.handle(start("onbatt", "u2", 2, false), 100);
        t.handle(start("other", "u2", 2, false), 100);
        assert_eq!(t.handle(cancel("onbatt", None, Some("online")), 200), Outcome::Done);
        assert_eq!(names(&t.due(5000)), ["other"]);
        assert_eq!(
            t.handle(cancel("onbatt", None, Some("online")), 6000),
            Outcome::Run("online".into()),
            "nothing left to cancel runs the command"
        );
        assert_eq!(t.handle(cancel("onbatt", None, None), 6000), Outcome::Done);
    }

    #[test]
    fn shared_start_joins_the_running_timer_and_reports_every_caller() {
        let mut t = Timers::default();
        t.handle(start("s", "u1", 10, true), 0);
        t.handle(start("s", "u2", 10, true), 5000);
        t.handle(start("s", "u1", 10, true), 6000);
        assert_eq!(t.list().len(), 1);
        assert_eq!(t.next_due(), Some(10_000), "not restarted");
        let fired = t.due(10_000);
        assert_eq!(
            fired[0].env(),
            [
                ("UPSNAME", "u1,u2".to_string()),
                ("NOTIFYTYPE", "ONBATT".to_string()),
                ("NOTIFYMSG", "UPS u1 on battery.\tUPS u2 on battery".to_string())
            ]
        );
        // A plain start next to it makes its own timer.
        t.handle(start("s", "u3", 1, true), 20_000);
        t.handle(start("s", "u4", 1, false), 20_000);
        assert_eq!(t.list().len(), 2);
    }

    #[test]
    fn empty_values_are_left_out_of_the_environment() {
        let t = Timer::new("x", 0, "u", "", "");
        assert_eq!(t.env(), [("UPSNAME", "u".to_string())]);
    }

    #[test]
    fn matched_cancel_only_touches_timers_of_the_same_ups() {
        let mut t = Timers::default();
        t.handle(start("x", "u1", 10, false), 0);
        t.handle(start("x", "u1", 10, false), 0);
        assert_eq!(t.handle(cancel("x", Some("u2"), Some("c")), 1), Outcome::Run("c".into()));
        assert_eq!(t.list().len(), 2);
        assert_eq!(t.handle(cancel("x", Some("u1"), Some("c")), 2), Outcome::Done);
        assert!(t.is_empty(), "every matching timer goes");
    }

    #[test]
    fn time_left_prints_like_c_percent_g() {
        assert_eq!(format_g(27), "27");
        assert_eq!(format_g(-3), "-3");
        assert_eq!(format_g(999_999), "999999");
        assert_eq!(format_g(1_000_000), "1e+06");
        assert_eq!(format_g(1_234_567), "1.23457e+06");
    }
}
