//! Event scripts with a fake clock: a small simulated world answers the machine's polls, and
//! each test changes the world and checks the notifications and the shutdown decision.

#![allow(clippy::field_reassign_with_default)]

use std::collections::HashMap;

use super::*;

/// A fake upsd: what each UPS reports, and the login counts for host sync.
struct Sim {
    m: Machine,
    now: Millis,
    wake: Millis,
    status: HashMap<String, Option<String>>,
    numlogins: u32,
    /// What `ups.mode.buzzwords` (and the experimental one) hold, per UPS.
    buzz: HashMap<String, Vec<String>>,
    /// `ups.alarm` (`None`: it cannot be read).
    alarm: Option<String>,
    /// Whether upsd accepts FSD.
    fsd_ok: bool,
    actions: Vec<Action>,
    exited: bool,
}

impl Sim {
    fn new(settings: Settings, monitors: &[(&str, u32, bool)]) -> Sim {
        let specs = monitors
            .iter()
            .map(|(n, pv, p)| MonitorSpec { name: n.to_string(), power_value: *pv, primary: *p })
            .collect();
        let m = Machine::new(settings, specs, 0).expect("valid config");
        Sim {
            m,
            now: 0,
            wake: 0,
            status: HashMap::new(),
            numlogins: 1,
            buzz: HashMap::new(),
            alarm: Some("Replace battery!".into()),
            fsd_ok: true,
            actions: Vec::new(),
            exited: false,
        }
    }

    fn primary() -> Sim {
        Sim::new(Settings::default(), &[("ups@localhost", 1, true)])
    }

    fn secondary() -> Sim {
        Sim::new(Settings::default(), &[("ups@server", 1, false)])
    }

    /// Sets what `ups` reports from now on (`None`: the poll fails).
    fn set(&mut self, ups: &str, status: Option<&str>) -> &mut Sim {
        self.status.insert(ups.to_string(), status.map(str::to_string));
        self
    }

    /// Sets the single UPS's status.
    fn all(&mut self, status: Option<&str>) -> &mut Sim {
        let names: Vec<String> = self.m.upses.iter().map(|u| u.spec.name.clone()).collect();
        for n in names {
            self.set(&n, status);
        }
        self
    }

    fn feed(&mut self, e: Event) -> Vec<Action> {
        let acts = self.m.handle(e, self.now);
        self.actions.extend(acts.iter().cloned());
        acts
    }

    /// Feeds `first` and everything it leads to, answering the machine's requests as the
    /// runner does.
    fn drive(&mut self, first: Event) {
        let mut queue = vec![first];
        while let Some(e) = queue.pop() {
            let acts = self.feed(e);
            let mut answers = Vec::new();
            let mut requests = false;
            for a in acts {
                match a {
                    Action::Poll(u) => {
                        requests = true;
                        answers.push(match self.status.get(&u).cloned().flatten() {
                            Some(status) => Event::Status {
                                buzzwords: self.buzz.get(&u).cloned().unwrap_or_default(),
                                ups: u,
                                status,
                                alarm: self.alarm.clone(),
                            },
                            None => Event::PollFailed {
                                ups: u,
                                reason: "Connection refused".into(),
                                connection_lost: false,
                                connect_failed: false,
                            },
                        });
                    }
                    Action::QueryNumLogins(u) => {
                        requests = true;
                        answers.push(Event::NumLogins { ups: u, count: Some(self.numlogins) });
                    }
                    Action::SetFsd(u) => answers.push(Event::FsdSet { ups: u, ok: self.fsd_ok }),
                    Action::SleepUntil(t) => self.wake = t.max(self.now + 1),
                    Action::Exit(_) => self.exited = true,
                    _ => {}
                }
            }
            for e in answers {
                let _ = self.feed(e);
            }
            if requests {
                queue.push(Event::CycleDone);
            }
        }
    }

    /// Runs the machine until `secs` seconds from now have passed, answering its requests.
    fn run(&mut self, secs: u64) -> &mut Sim {
        let end = self.now + secs * 1000;
        while !self.exited && self.wake <= end {
            self.now = self.now.max(self.wake);
            self.drive(Event::Tick);
        }
        self.now = self.now.max(end);
        self
    }

    /// The notifications so far as `TYPE ups` lines (`TYPE` alone for host-wide ones).
    fn notes(&self) -> Vec<String> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Notify(n) => Some(match &n.ups {
                    Some(u) => format!("{} {u}", n.ntype),
                    None => n.ntype.to_string(),
                }),
                _ => None,
            })
            .collect()
    }

    fn count(&self, want: &Action) -> usize {
        self.actions.iter().filter(|a| *a == want).count()
    }

    fn shut_down(&self) -> bool {
        self.count(&Action::Shutdown) > 0
    }

    /// The log lines so far.
    fn logs(&self) -> Vec<String> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Log(_, m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }

    /// The messages of the notifications of type `t`.
    fn messages(&self, t: NotifyType) -> Vec<String> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Notify(n) if n.ntype == t => Some(n.message.clone()),
                _ => None,
            })
            .collect()
    }

    /// Time of the first action matching `f`, measured by replaying: the index is enough for
    /// ordering checks.
    fn position(&self, want: &Action) -> Option<usize> {
        self.actions.iter().position(|a| a == want)
    }
}

#[test]
fn long_outage_to_low_battery_shuts_the_primary_down() {
    let mut s = Sim::primary();
    s.all(Some("OL")).run(10).all(Some("OB DISCHRG")).run(20).all(Some("OB DISCHRG LB")).run(30);
    // NUT 2.8.5: FSD once upsd accepted it; no SHUTDOWN_HOSTSYNC when nobody else is logged in.
    assert_eq!(s.notes(), ["ONBATT ups@localhost", "LOWBATT ups@localhost", "FSD ups@localhost", "SHUTDOWN"]);
    assert_eq!(s.count(&Action::SetFsd("ups@localhost".into())), 1);
    let pd = s.position(&Action::WritePowerdownFlag).expect("powerdown flag written");
    let sd = s.position(&Action::Shutdown).expect("shutdown");
    assert!(pd < sd, "POWERDOWNFLAG is written before SHUTDOWNCMD runs");
    assert!(s.exited);
    assert_eq!(s.actions.last(), Some(&Action::Exit(0)));
}

#[test]
fn finaldelay_separates_the_notification_from_the_command() {
    let mut s = Sim::secondary();
    s.all(Some("OL")).run(5).all(Some("FSD OB LB"));
    s.run(5);
    // The poll at t=10 saw FSD; SHUTDOWNCMD must wait FINALDELAY (5 s) after SHUTDOWN.
    assert!(s.notes().contains(&"SHUTDOWN".to_string()));
    assert!(!s.shut_down(), "SHUTDOWNCMD ran before FINALDELAY expired");
    s.run(5);
    assert!(s.shut_down());
}

#[test]
fn power_blip_before_low_battery_never_shuts_down() {
    let mut s = Sim::primary();
    s.all(Some("OL CHRG")).run(10).all(Some("OB DISCHRG")).run(12).all(Some("OL CHRG")).run(600);
    assert_eq!(s.notes(), ["ONBATT ups@localhost", "ONLINE ups@localhost"]);
    assert!(!s.shut_down());
    assert_eq!(s.m.phase(), Phase::Monitoring);
}

#[test]
fn first_ol_is_silent_but_first_ob_is_news() {
    let mut s = Sim::primary();
    s.all(Some("OL")).run(30);
    assert!(s.notes().is_empty());
    let mut s = Sim::primary();
    s.all(Some("OB")).run(1);
    assert_eq!(s.notes(), ["ONBATT ups@localhost"]);
}

#[test]
fn polls_faster_on_battery() {
    let mut st = Settings::default();
    st.pollfreq = 30;
    st.pollfreqalert = 2;
    let mut s = Sim::new(st, &[("u@h", 1, true)]);
    s.all(Some("OL")).run(1);
    assert_eq!(s.wake, 30_000);
    s.all(Some("OB")).run(30);
    assert_eq!(s.wake, 32_000);
}

#[test]
fn primary_waits_for_secondaries_to_log_out() {
    let mut s = Sim::primary();
    s.numlogins = 3;
    s.all(Some("OL")).run(1).all(Some("OB LB")).run(5);
    assert!(matches!(s.m.phase(), Phase::HostSync { .. }));
    assert!(!s.notes().contains(&"SHUTDOWN".to_string()));
    s.run(3);
    assert!(!s.notes().contains(&"SHUTDOWN".to_string()));
    s.numlogins = 1;
    s.run(1);
    assert!(s.notes().contains(&"SHUTDOWN".to_string()), "logouts end the wait at once");
    s.run(10);
    assert!(s.shut_down());
}

#[test]
fn hostsync_expiry_forces_the_primary_down() {
    let mut s = Sim::primary();
    s.numlogins = 2;
    s.all(Some("OB LB")).run(14);
    assert!(!s.notes().contains(&"SHUTDOWN".to_string()));
    s.run(2);
    assert!(s.notes().contains(&"SHUTDOWN".to_string()));
    assert!(s
        .actions
        .contains(&Action::Log(Level::Info, "Host sync timer expired, forcing shutdown".into())));
}

#[test]
fn secondary_shuts_down_on_fsd_from_the_primary() {
    let mut s = Sim::secondary();
    s.all(Some("OB")).run(6).all(Some("FSD OB LB")).run(20);
    assert_eq!(s.notes(), ["ONBATT ups@server", "FSD ups@server", "LOWBATT ups@server", "SHUTDOWN"]);
    assert!(s.shut_down());
    assert_eq!(s.count(&Action::SetFsd("ups@server".into())), 0, "secondaries never set FSD");
}

#[test]
fn secondary_gives_the_primary_hostsync_seconds_before_acting_on_ob_lb() {
    let mut s = Sim::secondary();
    s.all(Some("OB LB")).run(15);
    assert!(!s.notes().contains(&"SHUTDOWN".to_string()), "{:?}", s.notes());
    s.run(10);
    assert!(s.notes().contains(&"SHUTDOWN".to_string()));
    assert!(
        s.logs().iter().any(|l| l.starts_with("Giving up on the primary for UPS [ups@server] after ")
            && l.ends_with(" sec since last comms")),
        "{:?}",
        s.logs()
    );
}

#[test]
fn comm_loss_while_on_battery_is_critical_after_deadtime() {
    let mut s = Sim::primary();
    s.all(Some("OB")).run(6).all(None).run(10);
    assert_eq!(s.notes(), ["ONBATT ups@localhost", "COMMBAD ups@localhost"]);
    assert!(!s.notes().contains(&"SHUTDOWN".to_string()), "DEADTIME (15 s) has not passed yet");
    s.run(30);
    assert!(s.notes().contains(&"SHUTDOWN".to_string()));
    assert!(s.shut_down());
}

#[test]
fn comm_loss_while_online_is_not_critical() {
    let mut s = Sim::primary();
    s.all(Some("OL")).run(6).all(None).run(299);
    assert_eq!(s.notes(), ["COMMBAD ups@localhost"]);
    s.run(10);
    assert_eq!(s.notes(), ["COMMBAD ups@localhost", "NOCOMM ups@localhost"], "NOCOMMWARNTIME is 300 s");
    s.all(Some("OL")).run(5);
    assert_eq!(s.notes().last().map(String::as_str), Some("COMMOK ups@localhost"));
    assert!(!s.shut_down());
}

#[test]
fn minsupplies_one_of_two_failing_upses_does_not_shut_down() {
    let mut s = Sim::new(Settings::default(), &[("a@h", 1, true), ("b@h", 1, true)]);
    s.set("a@h", Some("OL")).set("b@h", Some("OL")).run(5);
    s.set("a@h", Some("OB LB")).run(60);
    assert!(!s.shut_down());
    assert_eq!(s.notes(), ["ONBATT a@h", "LOWBATT a@h"]);
    s.set("b@h", Some("OB LB")).run(60);
    assert!(s.shut_down(), "with both critical, MINSUPPLIES 1 cannot be met");
}

#[test]
fn minsupplies_two_needs_both() {
    let mut st = Settings::default();
    st.minsupplies = 2;
    let mut s = Sim::new(st, &[("a@h", 1, true), ("b@h", 1, false)]);
    s.set("a@h", Some("OL")).set("b@h", Some("OL")).run(5).set("a@h", Some("OB LB")).run(30);
    assert!(s.shut_down());
    assert_eq!(s.count(&Action::SetFsd("a@h".into())), 1);
    assert_eq!(s.count(&Action::SetFsd("b@h".into())), 0);
}

#[test]
fn total_power_below_minsupplies_is_rejected() {
    let mut st = Settings::default();
    st.minsupplies = 3;
    let specs = vec![MonitorSpec { name: "a@h".into(), power_value: 2, primary: true }];
    let err = Machine::new(st, specs, 0).err().unwrap_or_default();
    assert!(err.contains("less than MINSUPPLIES"), "{err}");
}

#[test]
fn calibration_ob_lb_is_not_critical() {
    let mut s = Sim::primary();
    s.all(Some("OL")).run(1).all(Some("OB LB CAL")).run(60);
    assert!(!s.shut_down());
    assert_eq!(s.notes(), ["ONBATT ups@localhost", "LOWBATT ups@localhost", "CAL ups@localhost"]);
    s.all(Some("OL")).run(5);
    assert_eq!(s.notes()[3..], ["NOTCAL ups@localhost", "ONLINE ups@localhost"]);
}

#[test]
fn off_is_critical_after_offduration() {
    let mut s = Sim::primary();
    s.all(Some("OL")).run(1).all(Some("OFF")).run(25);
    assert_eq!(s.notes(), ["OFF ups@localhost"]);
    assert!(!s.shut_down());
    s.run(20);
    assert!(s.shut_down());
}

#[test]
fn negative_offduration_disables_off_as_critical() {
    let mut st = Settings::default();
    st.offduration = -1;
    let mut s = Sim::new(st, &[("u@h", 1, true)]);
    s.all(Some("OFF")).run(600);
    assert!(!s.shut_down());
}

#[test]
fn oblbduration_delays_the_decision() {
    let mut st = Settings::default();
    st.oblbduration = 20;
    let mut s = Sim::new(st, &[("u@h", 1, true)]);
    s.all(Some("OL")).run(1).all(Some("OB LB")).run(15);
    assert!(!s.notes().contains(&"SHUTDOWN".to_string()));
    s.all(Some("OL")).run(30);
    assert!(!s.shut_down(), "power came back within OBLBDURATION");
    s.all(Some("OB LB")).run(40);
    assert!(s.shut_down());
}

#[test]
fn overload_is_critical_only_when_communication_is_lost_for_overduration() {
    // upsmon.conf(5) 2.8.5: OVERDURATION only matters for an overloaded UPS that stopped
    // communicating; an overload alone never shuts down.
    let mut st = Settings::default();
    st.overduration = 10;
    let mut s = Sim::new(st.clone(), &[("u@h", 1, true)]);
    s.all(Some("OB OVER")).run(120);
    assert!(!s.shut_down(), "overloaded on battery, but communicating");
    assert_eq!(s.notes(), ["ONBATT u@h", "OVER u@h"]);

    let mut s = Sim::new(st.clone(), &[("u@h", 1, true)]);
    s.all(Some("OL OVER")).run(2).all(None).run(5);
    assert!(!s.shut_down(), "not yet OVERDURATION (10 s) since the overload began");
    assert!(s.logs().iter().any(|l| l.contains("waiting for OVERDURATION to elapse")), "{:?}", s.logs());
    s.run(10);
    assert!(s.shut_down(), "overloaded and silent for longer than OVERDURATION");

    st.overduration = -1;
    let mut s = Sim::new(st, &[("u@h", 1, true)]);
    s.all(Some("OL OVER")).run(2).all(None).run(600);
    assert!(!s.shut_down(), "OVERDURATION -1 (the default) never assumes it dead");
}

#[test]
fn alarm_is_critical_only_without_communication_and_follows_alarmcritical() {
    let mut s = Sim::primary();
    s.all(Some("OL ALARM")).run(30).all(Some("OB ALARM")).run(60);
    assert!(!s.shut_down(), "NUT 2.8.5: an alarm while communicating is only notified");
    assert_eq!(s.notes(), ["ALARM ups@localhost", "ONBATT ups@localhost"]);
    assert_eq!(
        s.messages(NotifyType::Alarm),
        ["UPS ups@localhost: one or more active alarms: [Replace battery!]"]
    );
    s.all(None).run(10);
    assert!(s.shut_down(), "last seen in ALARM and silent: assumed dead (ALARMCRITICAL)");

    let mut st = Settings::default();
    st.alarmcritical = false;
    let mut s = Sim::new(st, &[("u@h", 1, true)]);
    s.all(Some("OL ALARM")).run(5).all(None).run(600);
    assert!(!s.shut_down(), "ALARMCRITICAL off");
}

#[test]
fn a_new_alarm_text_is_notified_again_and_an_unreadable_one_is_n_a() {
    let mut s = Sim::primary();
    s.alarm = None;
    s.all(Some("OL ALARM")).run(5);
    s.alarm = Some("Fan failure".into());
    s.run(5);
    s.run(5);
    s.alarm = None;
    s.run(5);
    s.all(Some("OL")).run(5);
    assert_eq!(
        s.messages(NotifyType::Alarm),
        [
            "UPS ups@localhost: one or more active alarms: [n/a]",
            "UPS ups@localhost: one or more active alarms: [Fan failure]"
        ]
    );
    assert_eq!(
        s.messages(NotifyType::NotAlarm),
        ["UPS ups@localhost is no longer in an alarm state (no active alarms)"]
    );
}

#[test]
fn fragile_states_without_communication_are_critical_at_once() {
    for status in ["OL CAL", "OL BYPASS", "OFF"] {
        let mut s = Sim::primary();
        s.all(Some(status)).run(2).all(None).run(4);
        assert!(
            s.actions.contains(&Action::SetFsd("ups@localhost".into())),
            "{status}, then silent: assumed dead at the first failed poll"
        );
    }
    let mut s = Sim::primary();
    s.all(Some("OL TRIM")).run(2).all(None).run(600);
    assert!(!s.shut_down(), "TRIM says nothing about the UPS being dead");
}

#[test]
fn replace_battery_repeats_after_rbwarntime() {
    let mut st = Settings::default();
    st.rbwarntime = 100;
    let mut s = Sim::new(st, &[("u@h", 1, true)]);
    s.all(Some("OL RB")).run(99);
    assert_eq!(s.notes(), ["REPLBATT u@h"]);
    s.run(10);
    assert_eq!(s.notes(), ["REPLBATT u@h", "REPLBATT u@h"]);
}

#[test]
fn bypass_trim_boost_eco_and_unknown_tokens_come_and_go() {
    let mut s = Sim::primary();
    s.all(Some("OL")).run(1);
    s.all(Some("OL BYPASS")).run(5).all(Some("OL TRIM")).run(5).all(Some("OL BOOST ECO")).run(5);
    s.all(Some("OL OVERHEAT")).run(5).all(Some("OL")).run(5);
    let u = "ups@localhost";
    // NUT 2.8.5 clears BOOST before it looks at ECO.
    let want: Vec<String> =
        ["BYPASS", "NOTBYPASS", "TRIM", "NOTTRIM", "BOOST", "ECO", "NOTBOOST", "NOTECO", "OTHER", "NOTOTHER"]
            .iter()
            .map(|t| format!("{t} {u}"))
            .collect();
    assert_eq!(s.notes(), want);
    assert!(!s.shut_down());
}

#[test]
fn user_fsd_on_a_primary_sets_fsd_and_syncs() {
    let mut s = Sim::primary();
    s.all(Some("OL")).run(1);
    let acts = s.feed(Event::FsdRequested);
    assert!(acts.contains(&Action::SetFsd("ups@localhost".into())));
    s.run(30);
    assert!(s.shut_down());
}

#[test]
fn user_fsd_on_a_secondary_shuts_it_down() {
    let mut s = Sim::secondary();
    s.all(Some("OL")).run(1);
    let acts = s.feed(Event::FsdRequested);
    assert!(!acts.iter().any(|a| matches!(a, Action::SetFsd(_))));
    s.run(10);
    assert!(s.shut_down());
}

#[test]
fn shutdownexit_no_keeps_monitoring() {
    let mut st = Settings::default();
    st.shutdownexit = ShutdownExit::No;
    st.finaldelay = 0;
    let mut s = Sim::new(st, &[("u@h", 1, false)]);
    s.all(Some("FSD OB LB")).run(1);
    assert!(s.shut_down());
    s.all(Some("OL")).run(30);
    assert!(!s.exited);
    assert_eq!(s.count(&Action::Shutdown), 1, "SHUTDOWNCMD runs once");
    assert!(s.notes().contains(&"ONLINE u@h".to_string()));
}

#[test]
fn shutdownexit_delay_exits_later() {
    let mut st = Settings::default();
    st.shutdownexit = ShutdownExit::After(20);
    st.finaldelay = 0;
    let mut s = Sim::new(st, &[("u@h", 1, false)]);
    s.all(Some("FSD OB LB")).run(10);
    assert!(s.shut_down() && !s.exited);
    s.run(15);
    assert!(s.exited);
}

#[test]
fn a_primary_waits_for_secondaries_and_says_so_once() {
    let mut s = Sim::primary();
    s.numlogins = 2;
    s.all(Some("OB LB")).run(3);
    assert_eq!(
        s.notes(),
        ["ONBATT ups@localhost", "LOWBATT ups@localhost", "FSD ups@localhost", "SHUTDOWN_HOSTSYNC"]
    );
    s.run(20);
    assert_eq!(s.notes()[4..], ["SHUTDOWN"], "SHUTDOWN_HOSTSYNC once, then SHUTDOWN at HOSTSYNC");
}

#[test]
fn fsd_is_notified_only_when_upsd_accepts_it() {
    let mut s = Sim::primary();
    s.fsd_ok = false;
    s.all(Some("OB LB")).run(3);
    assert_eq!(s.notes(), ["ONBATT ups@localhost", "LOWBATT ups@localhost", "SHUTDOWN"]);
}

#[test]
fn a_monitor_only_primary_entry_still_gets_fsd_and_is_waited_for_like_nut() {
    // NUT sets ST_PRIMARY from the role word whatever the power value: it sets FSD on that
    // UPS too and waits for its logins during HOSTSYNC.
    let mut s = Sim::new(Settings::default(), &[("a@h", 1, true), ("watch@h", 0, true)]);
    s.numlogins = 2;
    s.set("a@h", Some("OB LB")).set("watch@h", Some("OL")).run(3);
    assert_eq!(s.count(&Action::SetFsd("watch@h".into())), 1);
    assert_eq!(
        s.count(&Action::QueryNumLogins("watch@h".into())),
        s.count(&Action::QueryNumLogins("a@h".into()))
    );
    assert!(matches!(s.m.phase(), Phase::HostSync { .. }));
}

#[test]
fn eco_from_vendor_buzzwords() {
    let mut s = Sim::primary();
    let u = "ups@localhost".to_string();
    s.buzz.insert(u.clone(), vec!["vendor:mge-hid:normal".into()]);
    s.all(Some("OL")).run(5);
    assert!(s.notes().is_empty(), "a normal mode is not ECO: {:?}", s.notes());
    s.buzz.insert(u.clone(), vec!["vendor:apc:HE".into()]);
    s.run(5);
    s.buzz.insert(u.clone(), vec!["".into(), "vendor:mge-hid:ESS".into()]);
    s.run(5);
    s.buzz.insert(u.clone(), vec!["vendor:mge-hid:normal".into()]);
    s.run(5);
    s.all(Some("OL ECO")).run(5);
    s.buzz.insert(u.clone(), vec!["vendor:x:SMART".into()]);
    s.all(Some("OL")).run(5);
    s.buzz.remove(&u);
    s.run(5);
    assert_eq!(
        s.notes(),
        ["ECO ups@localhost", "NOTECO ups@localhost", "ECO ups@localhost", "NOTECO ups@localhost"]
    );
    for w in ["vendor:eaton:ECO", "vendor:apc:HE", "vendor:mge-hid:ESS", "a:b:SMART x"] {
        assert!(is_eco_buzzword(w), "{w}");
    }
    for w in ["", "vendor:mge-hid:normal", "ECO"] {
        assert!(!is_eco_buzzword(w), "{w}");
    }
}

#[test]
fn a_time_jump_forgets_the_readings_and_polls_again_like_a_wake_up() {
    let mut s = Sim::primary();
    s.all(Some("OL CAL")).run(10);
    assert_eq!(s.notes(), ["CAL ups@localhost"]);
    s.drive(Event::TimeJump { wall: 3_600_000, expected: 5000 });
    let acts = &s.actions;
    assert!(acts.contains(&Action::Reconnect) && acts.contains(&Action::Reload), "{acts:?}");
    // NUT 2.8.5 (2.8.6 adds SUSPEND_TIMEJUMP_UNEXPECTED first): SUSPEND_FINISHED, then every
    // condition that still holds is reported afresh.
    assert_eq!(
        s.notes()[1..],
        ["SUSPEND_TIMEJUMP_UNEXPECTED", "SUSPEND_FINISHED", "ONLINE ups@localhost", "CAL ups@localhost"]
    );
    assert_eq!(
        s.messages(NotifyType::SuspendTimejumpUnexpected),
        ["Unexpected clock change by 3600.000000 seconds, treating as wake up from sleep"]
    );
    assert!(s.logs().contains(
        &"It seems we have slept without warning or the system clock was changed by 3600.000000 seconds"
            .to_string()
    ));
    s.feed(Event::TimeJump { wall: -7000, expected: 5000 });
    assert!(s
        .logs()
        .contains(&"It seems the system clock was changed into the past by -7.000000 seconds".to_string()));
}

#[test]
fn after_a_time_jump_an_old_on_battery_reading_does_not_shut_down() {
    // On battery, then upsmon stops for a minute (suspend, SIGSTOP) and upsd is gone when it
    // resumes. Without the wake-up handling the stale OB reading outlived DEADTIME and this
    // host would shut down at once; NUT 2.8.5 forgets it.
    let mut s = Sim::primary();
    s.all(Some("OB")).run(5);
    s.now += 60_000;
    s.wake = s.now;
    s.all(None);
    s.drive(Event::TimeJump { wall: 60_000, expected: 5000 });
    s.run(60);
    assert!(!s.shut_down(), "{:?}", s.notes());

    // The same stop without the wake-up handling: the stale reading is critical.
    let mut s = Sim::primary();
    s.all(Some("OB")).run(5);
    s.now += 60_000;
    s.all(None).run(10);
    assert!(s.shut_down());
}

#[test]
fn an_announced_sleep_stops_polling_until_the_wake_up() {
    let mut s = Sim::primary();
    s.all(Some("OB")).run(10);
    s.drive(Event::SleepStarting);
    assert_eq!(s.notes(), ["ONBATT ups@localhost", "SUSPEND_STARTING"]);
    assert!(s.m.dozing());
    let polls = s.actions.iter().filter(|a| matches!(a, Action::Poll(_))).count();
    s.all(None).run(120);
    assert_eq!(
        s.actions.iter().filter(|a| matches!(a, Action::Poll(_))).count(),
        polls,
        "no polls while the OS goes to sleep"
    );
    assert!(!s.shut_down(), "the silent UPS is not promoted dead while dozing");
    s.all(Some("OB"));
    // The runner's clocks see the wake-up first (the nap that spanned the sleep ends), then
    // logind's news comes: one wake-up, and no "unexpected" jump since it was announced.
    s.drive(Event::TimeJump { wall: 3_600_000, expected: 1000 });
    s.drive(Event::SleepFinished { wall: 3_600_000 });
    assert_eq!(s.notes()[2..], ["SUSPEND_FINISHED", "ONBATT ups@localhost"]);
    assert!(!s.m.dozing());

    // Told by logind only (the clocks saw nothing): the same.
    let mut s = Sim::primary();
    s.all(Some("OL")).run(1);
    s.drive(Event::SleepStarting);
    s.drive(Event::SleepFinished { wall: 20_000 });
    assert_eq!(s.notes(), ["SUSPEND_STARTING", "SUSPEND_FINISHED", "ONLINE ups@localhost"]);
    assert!(s.logs().contains(&"upsmon: Dozing off finished".to_string()));
}

#[test]
fn a_reload_signal_ends_the_doze_with_nut_s_warning() {
    let mut s = Sim::primary();
    s.all(Some("OL")).run(1);
    s.drive(Event::SleepStarting);
    s.drive(Event::DozeInterrupted);
    assert!(!s.m.dozing());
    assert!(s.logs().iter().any(|l| l.contains("interrupted by a reload signal")));
    s.run(10);
    assert!(s.actions.iter().filter(|a| matches!(a, Action::Poll(_))).count() >= 2, "polling again");
}

#[test]
fn a_time_jump_during_a_shutdown_changes_nothing() {
    let mut s = Sim::primary();
    s.numlogins = 2;
    s.all(Some("OB LB")).run(3);
    let acts = s.feed(Event::TimeJump { wall: 60_000, expected: 250 });
    assert!(
        !acts.iter().any(|a| matches!(a, Action::Poll(_) | Action::Reconnect | Action::Reload)),
        "{acts:?}"
    );
    assert!(matches!(s.m.phase(), Phase::HostSync { .. }));
}

#[test]
fn monitor_only_entries_never_count_or_shut_down() {
    let mut st = Settings::default();
    st.minsupplies = 1;
    let mut s = Sim::new(st, &[("a@h", 1, true), ("watch@h", 0, true)]);
    s.set("a@h", Some("OL")).set("watch@h", Some("OB LB")).run(60);
    assert!(!s.shut_down());
    assert_eq!(s.notes(), ["ONBATT watch@h", "LOWBATT watch@h"]);
}

#[test]
fn noparent_is_throttled() {
    let mut s = Sim::primary();
    let mut n = 0;
    for t in 0..10 {
        s.now = t * 30_000;
        n += s.feed(Event::ParentGone).iter().filter(|a| matches!(a, Action::Notify(_))).count();
    }
    assert_eq!(n, 3, "once every 120 s over 270 s");
}

#[test]
fn custom_messages_and_flags_apply() {
    let mut st = Settings::default();
    st.notify.set_message(NotifyType::OnBatt, "Power failure on %s!");
    st.notify.set_flags(NotifyType::OnBatt, NotifyFlags { syslog: true, wall: false, exec: true });
    let mut s = Sim::new(st, &[("u@h", 1, true)]);
    s.all(Some("OB")).run(1);
    let n = s.actions.iter().find_map(|a| match a {
        Action::Notify(n) => Some(n.clone()),
        _ => None,
    });
    let n = n.expect("a notification");
    assert_eq!(n.message, "Power failure on u@h!");
    assert_eq!(n.flags.to_string(), "SYSLOG+EXEC");
    assert_eq!(n.ups.as_deref(), Some("u@h"));
}

#[test]
fn reload_keeps_state_of_kept_upses() {
    let mut s = Sim::new(Settings::default(), &[("a@h", 1, true), ("b@h", 1, true)]);
    s.set("a@h", Some("OB")).set("b@h", Some("OL")).run(1);
    let spec = vec![MonitorSpec { name: "a@h".into(), power_value: 1, primary: true }];
    let acts = s.m.reload(Settings::default(), spec, s.now).unwrap_or_default();
    assert_eq!(acts, [Action::Log(Level::Info, "No longer monitoring UPS [b@h]".into())]);
    s.run(5);
    assert_eq!(s.notes(), ["ONBATT a@h"], "no second ONBATT after a reload");
}

#[test]
fn poll_failure_logs_can_be_throttled() {
    let mut st = Settings::default();
    st.pollfail_log_throttle_max = 0;
    let mut s = Sim::new(st, &[("u@h", 1, true)]);
    s.all(None).run(60);
    let logs = s.actions.iter().filter(|a| matches!(a, Action::Log(Level::Err, _))).count();
    assert_eq!(logs, 1);
}

#[test]
fn lost_connection_while_on_line_power_is_only_a_comm_blip_like_nut() {
    // Observed with Debian's upsmon 2.8.0 across an upsd restart: COMMBAD, COMMOK, no ONLINE.
    let mut s = Sim::primary();
    s.all(Some("OL")).run(2);
    s.feed(Event::PollFailed {
        ups: "ups@localhost".into(),
        reason: "Server disconnected".into(),
        connection_lost: true,
        connect_failed: false,
    });
    s.run(5);
    assert_eq!(s.notes(), ["COMMBAD ups@localhost", "COMMOK ups@localhost"]);
}

#[test]
fn lost_connection_before_the_first_ol_makes_that_ol_news_like_nut() {
    // NUT 2.8.0 drops the line state with the connection; a UPS that had only answered WAIT
    // is then ONLINE on its first OL after the reconnect.
    let mut s = Sim::primary();
    s.all(Some("WAIT")).run(2);
    s.feed(Event::PollFailed {
        ups: "ups@localhost".into(),
        reason: "Server disconnected".into(),
        connection_lost: true,
        connect_failed: false,
    });
    s.all(Some("OL")).run(5);
    assert_eq!(s.notes(), ["COMMBAD ups@localhost", "COMMOK ups@localhost", "ONLINE ups@localhost"]);
}

#[test]
fn a_pushed_change_polls_that_ups_at_once_but_not_during_a_shutdown() {
    let mut m = Machine::new(
        Settings::default(),
        vec![MonitorSpec { name: "ups@h".into(), power_value: 1, primary: true }],
        0,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(m.handle(Event::Changed("ups@h".into()), 10), [Action::Poll("ups@h".into())]);
    assert!(m.handle(Event::Changed("other@h".into()), 10).is_empty(), "unknown UPS");
    m.handle(Event::FsdRequested, 20);
    assert!(matches!(m.phase(), Phase::HostSync { .. }));
    assert!(m.handle(Event::Changed("ups@h".into()), 30).is_empty(), "no polls during host sync");
}
