//! [`FaultRig`]: the fault-injection check every serial driver's tests run (issue 10 and 12,
//! acceptance 3). A simulator, our driver and upsd ([`SerialStack`]), and a client that stays
//! connected: a fault is injected with the simulator's control lines, upsd must keep serving
//! the last good status until it says `ERR DATA-STALE` (within a bound), must keep saying so
//! while the UPS changes state behind the fault, and once the fault ends must serve only the
//! new state (never the old one as fresh), from the same driver process.

use std::time::{Duration, Instant};

use nut_testkit::sim::UpsSim;
use nut_testkit::stack::tail;
use nut_testkit::Conn;

use crate::serial::SerialStack;

/// Does a `GET VAR q ups.status` reply show the status of this simulator state?
pub type StatusCheck = fn(reply: &[String], state: &str) -> bool;

/// A check run once the data is fresh again (values of the new state, say).
pub type AfterFresh = Box<dyn Fn(&mut Conn, &str, &str)>;

/// What the driver is seen doing while the data is stale.
#[derive(Debug, Clone, Copy)]
pub enum WhileStale {
    /// It keeps polling: wait for this many simulator events starting with one of these
    /// prefixes (`rx `, `noreply `), checking DATA-STALE after each. A port that is gone
    /// (unplug faults) may show none.
    Attempts(&'static [&'static str]),
    /// The UPS streams and the driver sends nothing: check DATA-STALE for this long.
    For(Duration),
}

/// See the module documentation.
pub struct FaultRig {
    pub sim: UpsSim,
    pub st: SerialStack,
    pub c: Conn,
    pid: u32,
    /// The simulator's current state: `online` or `onbattery`.
    pub state: &'static str,
    /// Printed before each figure line (`metasys_faults`).
    label: &'static str,
    stale_bound: Duration,
    recover_bound: Duration,
    is_status: StatusCheck,
    while_stale: WhileStale,
    after_fresh: Option<AfterFresh>,
}

/// The reply for status `s` exactly: `VAR q ups.status "<s>"`.
pub fn exactly(reply: &[String], status: &str) -> bool {
    reply.len() == 1 && reply[0] == format!("VAR q ups.status \"{status}\"")
}

impl FaultRig {
    /// Connect to the stack and check the start state (`online`) is being served.
    pub fn new(
        label: &'static str,
        sim: UpsSim,
        st: SerialStack,
        bounds: (Duration, Duration),
        is_status: StatusCheck,
        while_stale: WhileStale,
    ) -> FaultRig {
        let mut c = st.connect().expect("client");
        c.set_timeout(Duration::from_secs(5)).expect("client timeout");
        let pid = st.driver_pid().expect("driver pid");
        let mut rig = FaultRig {
            sim,
            st,
            c,
            pid,
            state: "online",
            label,
            stale_bound: bounds.0,
            recover_bound: bounds.1,
            is_status,
            while_stale,
            after_fresh: None,
        };
        let r = rig.status();
        assert!((rig.is_status)(&r, "online"), "at start: {r:?}{}", rig.context());
        rig
    }

    /// Run `check(client, state, fault)` each time the data is fresh again.
    pub fn after_fresh(mut self, check: AfterFresh) -> FaultRig {
        self.after_fresh = Some(check);
        self
    }

    /// The driver's PID when the rig started.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn status(&mut self) -> Vec<String> {
        self.c.request("GET VAR q ups.status").unwrap_or_else(|e| panic!("GET VAR q ups.status: upsd: {e}"))
    }

    pub fn context(&self) -> String {
        format!(
            "\ndriver log:\n{}\nsimulator events (last):\n{}",
            tail(&self.st.driver_log(), 15),
            tail(&self.sim.events().join("\n"), 12)
        )
    }

    /// Switch the simulator's reply set, so old and new data can be told apart.
    pub fn switch_state(&mut self) {
        self.state = if self.state == "online" { "onbattery" } else { "online" };
        let line = format!("state {}", self.state);
        self.sim.control(&line);
    }

    /// The fault is in effect now: poll upsd until `ERR DATA-STALE`; until then only the last
    /// good status may be served. Returns how long it took.
    pub fn await_stale(&mut self, fault: &str) -> Duration {
        let t0 = Instant::now();
        loop {
            let r = self.status();
            if r == ["ERR DATA-STALE"] {
                return t0.elapsed();
            }
            assert!(
                (self.is_status)(&r, self.state),
                "{fault}: upsd served {r:?} before the data went stale (want the last good {}){}",
                self.state,
                self.context()
            );
            assert!(
                t0.elapsed() < self.stale_bound,
                "{fault}: the data did not go stale within {:?}; last reply {r:?}{}",
                self.stale_bound,
                self.context()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// While stale, the UPS changes state; upsd must keep saying DATA-STALE (after each of
    /// `polls` attempts of the driver, or for the [`WhileStale::For`] time).
    pub fn stays_stale_while_the_ups_changes(&mut self, fault: &str, polls: usize) {
        self.switch_state();
        match self.while_stale {
            WhileStale::Attempts(prefixes) => {
                for _ in 0..polls {
                    let got =
                        self.sim.wait_event(self.stale_bound, |l| prefixes.iter().any(|p| l.starts_with(p)));
                    assert!(
                        got.is_some() || fault.starts_with("unplug"),
                        "{fault}: the driver stopped talking to the UPS{}",
                        self.context()
                    );
                    assert_eq!(
                        self.status(),
                        ["ERR DATA-STALE"],
                        "{fault}: while the fault lasts{}",
                        self.context()
                    );
                }
            }
            WhileStale::For(d) => {
                let t0 = Instant::now();
                while t0.elapsed() < d {
                    assert_eq!(
                        self.status(),
                        ["ERR DATA-STALE"],
                        "{fault}: while the fault lasts{}",
                        self.context()
                    );
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        }
        let list = self.c.request("LIST VAR q").expect("LIST VAR");
        assert_eq!(list, ["ERR DATA-STALE"], "{fault}: LIST VAR while stale");
    }

    /// The device answers again: poll upsd until the new status; only `ERR DATA-STALE` may
    /// come before it, never the old one. Then the [`FaultRig::after_fresh`] check, and the
    /// driver must be the same process. Returns how long it took.
    pub fn await_fresh(&mut self, fault: &str) -> Duration {
        let t0 = Instant::now();
        loop {
            let r = self.status();
            if (self.is_status)(&r, self.state) {
                break;
            }
            assert!(
                r == ["ERR DATA-STALE"],
                "{fault}: upsd served {r:?} after the fault (want DATA-STALE until {}): stale data served as fresh{}",
                self.state,
                self.context()
            );
            assert!(
                t0.elapsed() < self.recover_bound,
                "{fault}: no fresh data within {:?} of the device answering again{}",
                self.recover_bound,
                self.context()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let took = t0.elapsed();
        let list = self.c.request("LIST VAR q").expect("LIST VAR");
        assert_eq!(
            list.first().map(String::as_str),
            Some("BEGIN LIST VAR q"),
            "{fault}: LIST VAR after recovery"
        );
        if let Some(check) = &self.after_fresh {
            check(&mut self.c, self.state, fault);
        }
        assert!(self.st.driver_alive(), "{fault}: the driver exited{}", self.context());
        assert_eq!(self.st.driver_pid(), Some(self.pid), "{fault}: the driver was restarted");
        took
    }

    /// A whole fault: inject (control lines), wait stale, change the UPS, end the fault (`end`
    /// control lines, or nothing when it ends by itself), wait fresh; prints the figures.
    pub fn stale_then_recover(
        &mut self,
        fault: &str,
        inject: &[&str],
        polls_while_stale: usize,
        end: &[&str],
    ) {
        self.sim.mark();
        for l in inject {
            self.sim.control(l);
        }
        let stale = self.await_stale(fault);
        self.stays_stale_while_the_ups_changes(fault, polls_while_stale);
        for l in end {
            self.sim.control(l);
        }
        let fresh = self.await_fresh(fault);
        println!(
            "{}: {fault}: DATA-STALE {:.2} s after the fault began (bound {:.0} s), fresh {:.2} s after it ended",
            self.label,
            stale.as_secs_f64(),
            self.stale_bound.as_secs_f64(),
            fresh.as_secs_f64()
        );
    }
}
