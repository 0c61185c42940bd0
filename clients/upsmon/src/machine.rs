//! upsmon's decisions as a state machine with no I/O: events and the time go in, actions come
//! out (the rustls shape). The runner performs the actions (polls, notifications, the
//! shutdown) and feeds the results back as events.
//!
//! One monitoring cycle, as in NUT's main loop:
//! 1. [`Event::Tick`] → one [`Action::Poll`] per UPS;
//! 2. the runner answers each with [`Event::Status`] or [`Event::PollFailed`];
//! 3. [`Event::CycleDone`] → the power value is recalculated, and either a shutdown starts or
//!    [`Action::SleepUntil`] says when the next tick is due.
//!
//! During a primary's host sync the requests are [`Action::QueryNumLogins`] instead, answered
//! by [`Event::NumLogins`] and closed by [`Event::CycleDone`] the same way.
//!
//! Time is a plain millisecond counter (`now`), so tests drive the machine with a fake clock.

use crate::notify::{format_message, NotifyFlags, NotifyTable, NotifyType};

/// Milliseconds on a monotonic clock.
pub type Millis = u64;

/// One `MONITOR` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorSpec {
    /// `ups@host[:port]` exactly as written; notifications and logs use this spelling.
    pub name: String,
    /// Power value: how many of this host's power supplies the UPS feeds (0 = monitor only).
    pub power_value: u32,
    /// True for `primary`/`master`, false for `secondary`/`slave`.
    pub primary: bool,
}

/// What upsmon does after handing SHUTDOWNCMD to the privileged parent (`SHUTDOWNEXIT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShutdownExit {
    /// Log out and exit at once (NUT's default).
    Yes,
    /// Keep monitoring (and notifying) until killed.
    No,
    /// Keep monitoring for this many seconds, then exit.
    After(u64),
}

/// The upsmon.conf settings the decisions depend on, with NUT's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// MINSUPPLIES: power value that must stay available (0 disables shutdowns).
    pub minsupplies: u32,
    /// POLLFREQ, seconds between polls while on line power.
    pub pollfreq: u64,
    /// POLLFREQALERT, seconds between polls while any UPS is on battery.
    pub pollfreqalert: u64,
    /// DEADTIME: seconds without an answer before a UPS last seen on battery counts as dead.
    pub deadtime: u64,
    /// HOSTSYNC: seconds a primary waits for secondaries, and a secondary for the primary.
    pub hostsync: u64,
    /// FINALDELAY: seconds between the SHUTDOWN notification and SHUTDOWNCMD.
    pub finaldelay: u64,
    /// NOCOMMWARNTIME: seconds between NOCOMM repeats.
    pub nocommwarntime: u64,
    /// RBWARNTIME: seconds between REPLBATT repeats.
    pub rbwarntime: u64,
    /// OFFDURATION: seconds a UPS may be OFF before it is critical; negative disables.
    pub offduration: i64,
    /// OBLBDURATION: seconds OB+LB must last before it is critical; 0 or less means at once.
    pub oblbduration: i64,
    /// OVERDURATION: seconds a UPS on battery may be OVER before it is critical; negative
    /// disables.
    pub overduration: i64,
    /// ALARMCRITICAL: whether ALARM on battery is critical.
    pub alarmcritical: bool,
    /// SHUTDOWNEXIT.
    pub shutdownexit: ShutdownExit,
    /// POLLFAIL_LOG_THROTTLE_MAX: negative logs every failed poll, 0 only the first of a
    /// streak, N every Nth.
    pub pollfail_log_throttle_max: i64,
    /// NOTIFYMSG and NOTIFYFLAG.
    pub notify: NotifyTable,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            minsupplies: 1,
            pollfreq: 5,
            pollfreqalert: 5,
            deadtime: 15,
            hostsync: 15,
            finaldelay: 5,
            nocommwarntime: 300,
            rbwarntime: 43200,
            offduration: 30,
            oblbduration: 0,
            overduration: -1,
            alarmcritical: true,
            shutdownexit: ShutdownExit::Yes,
            pollfail_log_throttle_max: -1,
            notify: NotifyTable::default(),
        }
    }
}

/// Things that happen to upsmon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The time asked for by the last [`Action::SleepUntil`] has come.
    Tick,
    /// A poll answered `ups.status` (and `ups.alarm` when the status has ALARM).
    Status {
        /// The MONITOR name.
        ups: String,
        /// The `ups.status` value as upsd sent it (upsd prefixes `FSD`).
        status: String,
        /// `ups.alarm`, if it was read.
        alarm: Option<String>,
        /// `ups.mode.buzzwords` and `experimental.ups.mode.buzzwords`, where upsd had them
        /// (NUT 2.8.5 reads both every poll: vendor modes such as `vendor:apc:HE` mean ECO).
        buzzwords: Vec<String>,
    },
    /// A poll failed: no connection, an ERR reply (DATA-STALE, DRIVER-NOT-CONNECTED...).
    PollFailed {
        /// The MONITOR name.
        ups: String,
        /// Why, in words for the log.
        reason: String,
        /// True when an established connection was lost (not just an ERR reply). NUT then
        /// forgets the line state: the first OL after reconnecting notifies ONLINE unless the
        /// UPS was already on line power before.
        connection_lost: bool,
        /// True when no connection could be made at all (NUT logs `UPS [x]: connect failed:
        /// ...` then, instead of `Poll UPS [x] failed - ...`).
        connect_failed: bool,
    },
    /// `GET NUMLOGINS` answered during host sync; `None` if it failed.
    NumLogins {
        /// The MONITOR name.
        ups: String,
        /// The login count, our own login included.
        count: Option<u32>,
    },
    /// The answer to [`Action::SetFsd`]: whether upsd accepted `FSD <ups>`.
    FsdSet {
        /// The MONITOR name.
        ups: String,
        /// upsd answered OK.
        ok: bool,
    },
    /// upsd pushed a change for this UPS (event subscription): poll it now instead of at the
    /// next tick. Ignored while a shutdown is under way, when NUT would not poll either.
    Changed(String),
    /// All requests of the last batch were answered.
    CycleDone,
    /// The user asked for a forced shutdown (`upsmon -c fsd`, SIGUSR1).
    FsdRequested,
    /// The privileged parent is gone: a shutdown could not be carried out.
    ParentGone,
    /// The wait between two polls took a different time on the wall clock than asked for:
    /// the system slept (suspend, hibernation), the process was stopped, or the clock was
    /// changed. NUT 2.8.5 then behaves as after a wake-up from sleep.
    TimeJump {
        /// Wall-clock time that passed during the wait, in milliseconds (negative when the
        /// clock went back).
        wall: i64,
        /// The time the wait was meant to take, in milliseconds.
        expected: u64,
    },
    /// The OS announced that it is going to sleep (logind's `PrepareForSleep(true)`).
    SleepStarting,
    /// The OS announced that it woke up (`PrepareForSleep(false)`), `wall` ms after it
    /// announced the sleep.
    SleepFinished {
        /// Wall-clock milliseconds since [`Event::SleepStarting`].
        wall: i64,
    },
    /// A reload signal came while dozing before a sleep: NUT then stops waiting for the
    /// wake-up.
    DozeInterrupted,
}

/// Log levels, syslog's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum Level {
    Debug,
    Info,
    Notice,
    Warning,
    Err,
    Crit,
    Alert,
}

/// A notification ready to deliver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// The type (`NOTIFYTYPE`).
    pub ntype: NotifyType,
    /// The MONITOR name (`UPSNAME`); `None` for host-wide events such as SHUTDOWN.
    pub ups: Option<String>,
    /// The expanded message (NOTIFYCMD's argument, the WALL and syslog text).
    pub message: String,
    /// Where it goes.
    pub flags: NotifyFlags,
}

/// Things upsmon must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Poll this UPS (reconnecting and logging in first if needed); answer with
    /// [`Event::Status`] or [`Event::PollFailed`].
    Poll(String),
    /// Ask `GET NUMLOGINS` for this UPS; answer with [`Event::NumLogins`].
    QueryNumLogins(String),
    /// Send `FSD <ups>` (this host is its primary); answer with [`Event::FsdSet`].
    SetFsd(String),
    /// Deliver a notification (syslog, WALL, NOTIFYCMD as its flags say).
    Notify(Notification),
    /// Write a log line.
    Log(Level, String),
    /// Write a message to every logged-in terminal.
    Wall(String),
    /// Ask the privileged parent to write POWERDOWNFLAG.
    WritePowerdownFlag,
    /// Ask the privileged parent to run SHUTDOWNCMD.
    Shutdown,
    /// Send LOGOUT on every connection.
    LogoutAll,
    /// Exit with this code.
    Exit(u8),
    /// Nothing to do before this time; then send [`Event::Tick`].
    SleepUntil(Millis),
    /// Re-read upsmon.conf, as a reload (`-c reload`) does.
    Reload,
    /// Close every upsd connection; the next poll connects and logs in again.
    Reconnect,
}

/// Where upsmon is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Polling and waiting for trouble.
    Monitoring,
    /// A primary set FSD and waits for the secondaries to log out.
    HostSync {
        /// When the wait started.
        started: Millis,
        /// How many rounds of `GET NUMLOGINS` were answered so far.
        rounds: u32,
    },
    /// The SHUTDOWN notification went out; SHUTDOWNCMD runs at `until`.
    FinalDelay {
        /// When to run SHUTDOWNCMD.
        until: Millis,
    },
    /// SHUTDOWNCMD was requested; upsmon keeps monitoring until `exit_at` (SHUTDOWNEXIT).
    ShutdownIssued {
        /// When to exit, if ever.
        exit_at: Option<Millis>,
    },
}

/// What upsmon knows about one UPS.
#[derive(Clone, Debug)]
struct UpsState {
    spec: MonitorSpec,
    /// None until the first poll, then whether the last poll worked.
    comm_ok: Option<bool>,
    last_nocomm_warn: Millis,
    pollfail_streak: u64,
    last_poll: Millis,
    last_noncrit: Millis,
    /// None until the first OL or OB.
    line_known: bool,
    online: bool,
    onbatt: bool,
    lowbatt: bool,
    fsd: bool,
    /// FSD was notified (seen in the status, or set by this primary) and has not cleared
    /// since: NUT's `lastfsdnotify`, which survives a wake-up reset of the flags.
    fsd_notified: bool,
    cal: bool,
    off: bool,
    bypass: bool,
    eco: bool,
    alarm: bool,
    /// The `ups.alarm` text of the last ALARM notification ("n/a" when it could not be read).
    alarm_text: String,
    over: bool,
    trim: bool,
    boost: bool,
    /// Unclassified status tokens, in the order of the last status.
    other: Vec<String>,
    off_since: Option<Millis>,
    oblb_since: Option<Millis>,
    over_since: Option<Millis>,
    last_rbwarn: Option<Millis>,
    numlogins: Option<u32>,
}

impl UpsState {
    fn new(spec: MonitorSpec, now: Millis) -> Self {
        UpsState {
            spec,
            comm_ok: None,
            last_nocomm_warn: now,
            pollfail_streak: 0,
            last_poll: now,
            last_noncrit: now,
            line_known: false,
            online: false,
            onbatt: false,
            lowbatt: false,
            fsd: false,
            fsd_notified: false,
            cal: false,
            off: false,
            bypass: false,
            eco: false,
            alarm: false,
            alarm_text: String::new(),
            over: false,
            trim: false,
            boost: false,
            other: Vec::new(),
            off_since: None,
            oblb_since: None,
            over_since: None,
            last_rbwarn: None,
            numlogins: None,
        }
    }

    /// True when this host is the UPS's primary (`primary`/`master` on its MONITOR line):
    /// it sets FSD on it and waits for its secondaries, whatever the power value (NUT's
    /// `ST_PRIMARY`, which a power value of 0 does not clear).
    fn is_primary(&self) -> bool {
        self.spec.primary
    }

    /// Forgets what the last readings said (NUT's `ups->status = 0` after a wake-up): the
    /// next poll reports every condition that still holds as if it were new. What was
    /// already notified once per episode (FSD, replace battery, unclassified tokens, the
    /// line state used to suppress the first ONLINE) is kept, as NUT keeps it.
    fn forget_readings(&mut self, now: Millis) {
        self.online = false;
        self.onbatt = false;
        self.lowbatt = false;
        self.fsd = false;
        self.cal = false;
        self.off = false;
        self.bypass = false;
        self.eco = false;
        self.alarm = false;
        self.over = false;
        self.trim = false;
        self.boost = false;
        self.off_since = None;
        self.over_since = None;
        self.oblb_since = None;
        self.last_poll = now;
        self.last_noncrit = now;
    }
}

/// True when a `ups.mode.buzzwords` value names a vendor's ECO-like mode. NUT 2.8.5 looks
/// for the mode names `ECO`, `ESS`, `HE` and `SMART` after a colon (`vendor:apc:HE`,
/// `vendor:mge-hid:ESS`); `vendor:mge-hid:normal` is not one.
///
/// NUT 2.8.5's code joins its four `!strstr(...)` tests with `||`, so it takes any non-empty
/// value that lacks one of the four words (`vendor:mge-hid:normal` included) for ECO and
/// would notify ECO for every Eaton UPS in normal mode; we follow what `docs/nut-names.txt`
/// describes and the code evidently means.
pub fn is_eco_buzzword(value: &str) -> bool {
    [":ECO", ":ESS", ":HE", ":SMART"].iter().any(|w| value.contains(w))
}

/// upsmon's decision logic.
#[derive(Clone, Debug)]
pub struct Machine {
    settings: Settings,
    upses: Vec<UpsState>,
    phase: Phase,
    last_noparent: Option<Millis>,
    /// The OS said it is going to sleep: no polls until it says it woke up (NUT "dozes").
    dozing: bool,
}

impl Machine {
    /// Builds the machine; fails like NUT when the MONITOR lines cannot ever satisfy
    /// MINSUPPLIES, since such a host would shut down at the first poll.
    pub fn new(settings: Settings, monitors: Vec<MonitorSpec>, now: Millis) -> Result<Machine, String> {
        check_supplies(&settings, &monitors)?;
        Ok(Machine {
            settings,
            upses: monitors.into_iter().map(|m| UpsState::new(m, now)).collect(),
            phase: Phase::Monitoring,
            last_noparent: None,
            dozing: false,
        })
    }

    /// Applies a reloaded configuration, keeping what is known about UPSes still monitored.
    pub fn reload(
        &mut self,
        settings: Settings,
        monitors: Vec<MonitorSpec>,
        now: Millis,
    ) -> Result<Vec<Action>, String> {
        check_supplies(&settings, &monitors)?;
        let mut out = Vec::new();
        let mut old = std::mem::take(&mut self.upses);
        for spec in monitors {
            match old.iter().position(|u| u.spec.name == spec.name) {
                Some(i) => {
                    let mut u = old.remove(i);
                    u.spec = spec;
                    self.upses.push(u);
                }
                None => self.upses.push(UpsState::new(spec, now)),
            }
        }
        for u in old {
            out.push(Action::Log(Level::Info, format!("No longer monitoring UPS [{}]", u.spec.name)));
        }
        self.settings = settings;
        Ok(out)
    }

    /// Where upsmon is in its life.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Handles one event at time `now` and returns what to do, in order.
    pub fn handle(&mut self, event: Event, now: Millis) -> Vec<Action> {
        let mut out = Vec::new();
        match event {
            Event::Tick => self.tick(now, &mut out),
            Event::Status { ups, status, alarm, buzzwords } => {
                if let Some(i) = self.index(&ups) {
                    self.parse_status(i, &status, alarm.as_deref(), &buzzwords, now, &mut out);
                }
            }
            Event::PollFailed { ups, reason, connection_lost, connect_failed } => {
                if let Some(i) = self.index(&ups) {
                    // NUT forgets the line state of a dropped connection but keeps the OL
                    // flag: the next OL is news only if the UPS was not on line power
                    // before (e.g. upsd had only answered WAIT so far).
                    if connection_lost {
                        self.upses[i].line_known = true;
                    }
                    let line = if connect_failed {
                        format!("UPS [{ups}]: connect failed: {reason}")
                    } else {
                        format!("Poll UPS [{ups}] failed - {reason}")
                    };
                    self.poll_failed(i, &line, now, &mut out);
                }
            }
            Event::NumLogins { ups, count } => {
                if let Some(i) = self.index(&ups) {
                    self.upses[i].numlogins = count;
                }
            }
            Event::FsdSet { ups, ok } => {
                // NUT 2.8.5 notifies FSD once upsd confirmed it, unless already seen.
                if let Some(i) = self.index(&ups).filter(|_| ok) {
                    self.upses[i].fsd = true;
                    if !self.upses[i].fsd_notified {
                        self.upses[i].fsd_notified = true;
                        self.notify(Some(i), NotifyType::Fsd, "", &mut out);
                    }
                }
            }
            Event::Changed(ups) => {
                let polling = matches!(self.phase, Phase::Monitoring | Phase::ShutdownIssued { .. });
                if polling && self.index(&ups).is_some() {
                    out.push(Action::Poll(ups));
                }
            }
            Event::CycleDone => self.cycle_done(now, &mut out),
            Event::FsdRequested => {
                out.push(Action::Log(Level::Crit, "User requested FSD".into()));
                self.force_shutdown(now, &mut out);
            }
            Event::ParentGone => {
                if self.last_noparent.filter(|t| now.saturating_sub(*t) < 120_000).is_none() {
                    self.last_noparent = Some(now);
                    out.push(Action::Log(Level::Alert, "Parent died - shutdown impossible".into()));
                    self.notify(None, NotifyType::NoParent, "", &mut out);
                }
            }
            Event::TimeJump { wall, expected } => self.time_jump(wall, expected, now, &mut out),
            Event::SleepStarting => {
                if self.phase == Phase::Monitoring && !self.dozing {
                    self.notify(None, NotifyType::SuspendStarting, "", &mut out);
                    out.push(Action::Log(Level::Info, "upsmon: Processing OS going to sleep".into()));
                    out.push(Action::Log(
                        Level::Info,
                        "upsmon: Dozing off until system tells us otherwise; send a SIGHUP or SIGTERM to break the loop manually".into(),
                    ));
                    self.dozing = true;
                }
            }
            Event::SleepFinished { wall } => {
                // Not dozing: the wake-up was already seen on the clocks (or the sleep was
                // never announced to us, and then the clocks see it).
                if self.phase == Phase::Monitoring && self.dozing {
                    out.push(Action::Log(Level::Info, "upsmon: Dozing off finished".into()));
                    self.wake_up(wall, now, &mut out);
                }
            }
            Event::DozeInterrupted => {
                if self.dozing {
                    self.dozing = false;
                    out.push(Action::Log(
                        Level::Warning,
                        "upsmon: OS was last known to be preparing for sleep, and we were interrupted by a reload signal. If the sleep does happen later, the system might shut down after wake-up if UPS info is stale after a known critical power state!".into(),
                    ));
                }
            }
        }
        out
    }

    /// True while the OS is about to sleep (between its announcements).
    pub fn dozing(&self) -> bool {
        self.dozing
    }

    fn index(&self, ups: &str) -> Option<usize> {
        self.upses.iter().position(|u| u.spec.name == ups)
    }

    fn tick(&mut self, now: Millis, out: &mut Vec<Action>) {
        match self.phase {
            // Dozing before a sleep: nothing is polled until the OS says it woke up (the
            // network may already be gone).
            Phase::Monitoring if self.dozing => out.push(Action::SleepUntil(now + 1000)),
            Phase::Monitoring => self.poll_all(out),
            Phase::HostSync { .. } => {
                for u in self.upses.iter_mut().filter(|u| u.is_primary()) {
                    u.numlogins = None;
                    out.push(Action::QueryNumLogins(u.spec.name.clone()));
                }
                if out.is_empty() {
                    // No primary entries left (a reload removed them): nothing to wait for.
                    self.do_shutdown(now, out);
                }
            }
            Phase::FinalDelay { until } => {
                if now >= until {
                    self.finish_shutdown(now, out);
                } else {
                    out.push(Action::SleepUntil(until));
                }
            }
            Phase::ShutdownIssued { exit_at } => {
                if exit_at.is_some_and(|t| now >= t) {
                    out.push(Action::LogoutAll);
                    out.push(Action::Exit(0));
                } else {
                    self.poll_all(out);
                }
            }
        }
    }

    /// The wait between polls took `wall` ms on the wall clock instead of `expected`: NUT
    /// 2.8.5 logs it and carries on as after a wake-up from sleep ([`Machine::wake_up`]), so
    /// no decision rests on readings from before the jump (a UPS last seen on battery would
    /// otherwise look dead for longer than DEADTIME).
    fn time_jump(&mut self, wall: i64, expected: u64, now: Millis, out: &mut Vec<Action>) {
        if self.dozing && self.phase == Phase::Monitoring {
            // The sleep was announced; this is its end (the wake-up news may come later).
            self.wake_up(wall, now, out);
            return;
        }
        let secs = format!("{:.6}", wall as f64 / 1000.0);
        if wall < 0 {
            out.push(Action::Log(
                Level::Warning,
                format!("It seems the system clock was changed into the past by {secs} seconds"),
            ));
        } else {
            out.push(Action::Log(
                Level::Warning,
                format!(
                    "It seems we have slept without warning or the system clock was changed by {secs} seconds"
                ),
            ));
        }
        out.push(Action::Log(Level::Debug, format!("the wait was meant to take {expected} ms")));
        // NUT 2.8.6's notification for exactly this case; its message carries the jump.
        let table = &self.settings.notify;
        let ntype = NotifyType::SuspendTimejumpUnexpected;
        out.push(Action::Notify(Notification {
            ntype,
            ups: None,
            message: format_message(table.message(ntype), &format!("{secs} seconds"), ""),
            flags: table.flags(ntype),
        }));
        if self.phase != Phase::Monitoring {
            // NUT is inside its shutdown sequence then and does not look at the clock.
            return;
        }
        self.wake_up(wall, now, out);
    }

    /// NUT 2.8.5's handling of a wake-up: SUSPEND_FINISHED, every reading forgotten,
    /// upsmon.conf re-read, fresh connections, and a poll at once.
    fn wake_up(&mut self, wall: i64, now: Millis, out: &mut Vec<Action>) {
        self.dozing = false;
        let secs = format!("{:.6}", wall as f64 / 1000.0);
        self.notify(None, NotifyType::SuspendFinished, "", out);
        out.push(Action::Log(
            Level::Info,
            format!(
                "upsmon: Processing OS wake-up after sleep; {secs} seconds since previous loop cycle start"
            ),
        ));
        for u in &mut self.upses {
            u.forget_readings(now);
        }
        out.push(Action::Reconnect);
        out.push(Action::Reload);
        self.poll_all(out);
    }

    fn poll_all(&mut self, out: &mut Vec<Action>) {
        for u in &self.upses {
            out.push(Action::Poll(u.spec.name.clone()));
        }
        if self.upses.is_empty() {
            out.push(Action::SleepUntil(0));
        }
    }

    fn cycle_done(&mut self, now: Millis, out: &mut Vec<Action>) {
        match self.phase {
            Phase::Monitoring => {
                self.recalc(now, out);
                if self.phase == Phase::Monitoring {
                    out.push(Action::SleepUntil(now + self.sleep_secs() * 1000));
                }
            }
            Phase::HostSync { started, rounds } => {
                let rounds = rounds + 1;
                self.phase = Phase::HostSync { started, rounds };
                let max = self.upses.iter().filter(|u| u.is_primary()).filter_map(|u| u.numlogins).max();
                if max.unwrap_or(0) <= 1 {
                    out.push(Action::Log(Level::Info, "All secondaries have logged out".into()));
                    self.do_shutdown(now, out);
                } else if now.saturating_sub(started) > self.settings.hostsync * 1000 {
                    out.push(Action::Log(Level::Info, "Host sync timer expired, forcing shutdown".into()));
                    self.do_shutdown(now, out);
                } else {
                    // NUT 2.8.5 says so once, and only when there is somebody to wait for.
                    if rounds == 1 {
                        self.notify(None, NotifyType::ShutdownHostsync, "", out);
                    }
                    // NUT re-asks four times a second.
                    out.push(Action::SleepUntil(now + 250));
                }
            }
            Phase::FinalDelay { until } => out.push(Action::SleepUntil(until)),
            Phase::ShutdownIssued { exit_at } => {
                let next = now + self.sleep_secs() * 1000;
                out.push(Action::SleepUntil(exit_at.map_or(next, |t| t.min(next))));
            }
        }
    }

    /// POLLFREQALERT while any UPS runs on battery, else POLLFREQ.
    fn sleep_secs(&self) -> u64 {
        if self.upses.iter().any(|u| u.onbatt) {
            self.settings.pollfreqalert.max(1)
        } else {
            self.settings.pollfreq.max(1)
        }
    }

    /// NUT's `parse_status()`: conditions that ended are cleared first (so their NOT*
    /// notifications come before the new ones of this poll), in NUT's order, then each
    /// token is handled in the order upsd sent them.
    fn parse_status(
        &mut self,
        i: usize,
        status: &str,
        alarm: Option<&str>,
        buzzwords: &[String],
        now: Millis,
        out: &mut Vec<Action>,
    ) {
        // An empty answer counts as a dead UPS, as in NUT.
        if status.trim().is_empty() {
            let line = format!("Poll UPS [{}] failed - empty ups.status", self.upses[i].spec.name);
            self.poll_failed(i, &line, now, out);
            return;
        }
        self.ups_is_avail(i, out);
        let u = &mut self.upses[i];
        u.last_poll = now;
        u.pollfail_streak = 0;
        let has = |t: &str| nut_core::status::has(status, t);

        if !has("LB") {
            self.upses[i].lowbatt = false;
        }
        if !has("FSD") {
            self.upses[i].fsd = false;
            self.upses[i].fsd_notified = false;
        }
        for (token, ntype) in TOGGLES {
            if !has(token) && *self.toggle(i, token) {
                *self.toggle(i, token) = false;
                self.notify(Some(i), ntype.ended(), "", out);
            }
        }
        if !has("OFF") {
            self.upses[i].off_since = None;
        }
        if !has("OVER") {
            self.upses[i].over_since = None;
        }
        // ECO comes from the status token or, since NUT 2.8.3, from a vendor mode in the
        // buzzwords; a buzzword keeps ECO on even without the token.
        let eco_buzzword = buzzwords.iter().any(|b| is_eco_buzzword(b));
        if !has("ECO") && !eco_buzzword {
            if self.upses[i].eco {
                self.upses[i].eco = false;
                self.notify(Some(i), NotifyType::NotEco, "", out);
            }
        } else if eco_buzzword {
            self.eco_on(i, out);
        }

        let mut other: Vec<String> = Vec::new();
        for token in nut_core::status::tokens(status) {
            match token {
                "OL" => self.on_line(i, out),
                "OB" => self.on_batt(i, out),
                "LB" => {
                    if !self.upses[i].lowbatt {
                        self.upses[i].lowbatt = true;
                        self.notify(Some(i), NotifyType::LowBatt, "", out);
                    }
                }
                "RB" => {
                    let warn = self.settings.rbwarntime * 1000;
                    if self.upses[i].last_rbwarn.filter(|t| now.saturating_sub(*t) <= warn).is_none() {
                        self.upses[i].last_rbwarn = Some(now);
                        self.notify(Some(i), NotifyType::ReplBatt, "", out);
                    }
                }
                "FSD" => {
                    self.upses[i].fsd = true;
                    if !self.upses[i].fsd_notified {
                        self.upses[i].fsd_notified = true;
                        self.notify(Some(i), NotifyType::Fsd, "", out);
                    }
                }
                "ECO" => self.eco_on(i, out),
                "ALARM" => {
                    // The alarm text is news when ALARM starts, and again whenever it
                    // changes while ALARM lasts (NUT 2.8.5).
                    let u = &mut self.upses[i];
                    if !u.alarm {
                        u.alarm = true;
                        u.alarm_text = alarm.unwrap_or("n/a").to_string();
                        let text = u.alarm_text.clone();
                        self.notify(Some(i), NotifyType::Alarm, &text, out);
                    } else if let Some(a) = alarm.filter(|a| *a != u.alarm_text) {
                        u.alarm_text = a.to_string();
                        self.notify(Some(i), NotifyType::Alarm, a, out);
                    }
                }
                _ => {
                    if let Some((_, ntype)) = TOGGLES.iter().find(|(t, _)| *t == token) {
                        if !*self.toggle(i, token) {
                            *self.toggle(i, token) = true;
                            self.notify(Some(i), *ntype, "", out);
                        }
                    } else if nut_core::status::is_other(token) && !other.iter().any(|o| o == token) {
                        other.push(token.to_string());
                    }
                }
            }
        }

        let u = &mut self.upses[i];
        if u.off && u.off_since.is_none() {
            u.off_since = Some(now);
        }
        if u.over && u.over_since.is_none() {
            u.over_since = Some(now);
        }
        if u.onbatt && u.lowbatt {
            u.oblb_since.get_or_insert(now);
        } else {
            u.oblb_since = None;
        }

        // Tokens no standard handler knows (OTHER/NOTOTHER): notify when one appears or
        // goes away (not when they only change places).
        let mut was = self.upses[i].other.clone();
        let mut now_set = other.clone();
        was.sort();
        now_set.sort();
        self.upses[i].other = other.clone();
        if was != now_set {
            if other.is_empty() {
                self.notify(Some(i), NotifyType::NotOther, "", out);
            } else {
                self.notify(Some(i), NotifyType::Other, &other.join(" "), out);
            }
        }
    }

    fn eco_on(&mut self, i: usize, out: &mut Vec<Action>) {
        if !self.upses[i].eco {
            self.upses[i].eco = true;
            self.notify(Some(i), NotifyType::Eco, "", out);
        }
    }

    fn toggle(&mut self, i: usize, token: &str) -> &mut bool {
        let u = &mut self.upses[i];
        match token {
            "CAL" => &mut u.cal,
            "OFF" => &mut u.off,
            "BYPASS" => &mut u.bypass,
            "ALARM" => &mut u.alarm,
            "OVER" => &mut u.over,
            "TRIM" => &mut u.trim,
            _ => &mut u.boost,
        }
    }

    fn on_line(&mut self, i: usize, out: &mut Vec<Action>) {
        let u = &mut self.upses[i];
        if u.online {
            return;
        }
        // The first OL after start-up is not news.
        let notify = u.line_known;
        u.line_known = true;
        u.online = true;
        u.onbatt = false;
        if notify {
            self.notify(Some(i), NotifyType::Online, "", out);
        }
    }

    fn on_batt(&mut self, i: usize, out: &mut Vec<Action>) {
        let u = &mut self.upses[i];
        if u.onbatt {
            return;
        }
        u.line_known = true;
        u.onbatt = true;
        u.online = false;
        self.notify(Some(i), NotifyType::OnBatt, "", out);
    }

    fn ups_is_avail(&mut self, i: usize, out: &mut Vec<Action>) {
        let was = self.upses[i].comm_ok.replace(true);
        if was == Some(false) {
            self.notify(Some(i), NotifyType::CommOk, "", out);
        }
    }

    /// A failed poll; `line` is what to log (subject to POLLFAIL_LOG_THROTTLE_MAX).
    fn poll_failed(&mut self, i: usize, line: &str, now: Millis, out: &mut Vec<Action>) {
        let throttle = self.settings.pollfail_log_throttle_max;
        let u = &mut self.upses[i];
        u.pollfail_streak += 1;
        let streak = u.pollfail_streak;
        let log =
            throttle < 0 || streak == 1 || (throttle > 0 && streak.checked_rem(throttle as u64) == Some(0));
        if log {
            out.push(Action::Log(Level::Err, line.to_string()));
        }
        if u.comm_ok != Some(false) {
            u.comm_ok = Some(false);
            u.last_nocomm_warn = now;
            self.notify(Some(i), NotifyType::CommBad, "", out);
            return;
        }
        if now.saturating_sub(u.last_nocomm_warn) > self.settings.nocommwarntime * 1000 {
            u.last_nocomm_warn = now;
            self.notify(Some(i), NotifyType::NoComm, "", out);
        }
    }

    /// NUT's `recalc()`: add up the power value of every UPS that is not critical, and shut
    /// down when it falls below MINSUPPLIES.
    fn recalc(&mut self, now: Millis, out: &mut Vec<Action>) {
        let mut available: u64 = 0;
        for i in 0..self.upses.len() {
            let deadtime = self.settings.deadtime * 1000;
            let u = &mut self.upses[i];
            // A UPS we cannot reach and last saw on battery may be empty by now.
            if now.saturating_sub(u.last_poll) > deadtime && u.onbatt && !u.lowbatt {
                out.push(Action::Log(Level::Debug, format!("Promoting dead UPS: {}", u.spec.name)));
                u.lowbatt = true;
                u.oblb_since.get_or_insert(now);
            }
            if !(u.onbatt && u.lowbatt) || u.cal {
                u.last_noncrit = now;
            }
            if self.is_critical(i, now, out) {
                out.push(Action::Log(Level::Debug, format!("Critical UPS: {}", self.upses[i].spec.name)));
            } else {
                available += u64::from(self.upses[i].spec.power_value);
            }
        }
        if available < u64::from(self.settings.minsupplies) {
            out.push(Action::Log(
                Level::Warning,
                format!(
                    "Too few UPS(es) are healthy ({available}<{}), initiating forced shutdown",
                    self.settings.minsupplies
                ),
            ));
            self.force_shutdown(now, out);
        }
    }

    /// NUT 2.8.5's `is_ups_critical()`.
    fn is_critical(&self, i: usize, now: Millis, out: &mut Vec<Action>) -> bool {
        let u = &self.upses[i];
        let s = &self.settings;
        let name = &u.spec.name;
        let held_secs = |since: Option<Millis>| since.map_or(0, |t| now.saturating_sub(t) / 1000);
        let warn = |out: &mut Vec<Action>, msg: String| out.push(Action::Log(Level::Warning, msg));

        // FSD: a primary (or the UPS itself) is forcing a shutdown.
        if u.fsd {
            return true;
        }

        // Not communicating: a UPS last seen in a fragile state is assumed dead. (One last
        // seen on battery becomes critical through DEADTIME, in recalc.)
        if u.comm_ok == Some(false) {
            if u.trim {
                warn(out, format!("UPS [{name}] was last known to be trimming incoming voltage and currently is not communicating, but we make no assumptions if it is dead now"));
            }
            if u.boost {
                warn(out, format!("UPS [{name}] was last known to be boosting incoming voltage and currently is not communicating, but we make no assumptions if it is dead now"));
            }
            if u.over {
                if s.overduration >= 0 {
                    let held = held_secs(u.over_since);
                    if held < s.overduration as u64 {
                        warn(out, format!("UPS [{name}] was last known to be overloaded for {held} sec out of {} sec threshold and currently is not communicating, just so you know (waiting for OVERDURATION to elapse)", s.overduration));
                    } else {
                        warn(out, format!("UPS [{name}] was last known to be overloaded for longer than the set threshold of {} sec and is still not communicating, assuming dead", s.overduration));
                        return true;
                    }
                } else {
                    warn(out, format!("UPS [{name}] was last known to be overloaded and currently is not communicating, but we make no assumptions if it is dead now"));
                }
            }
            if u.alarm {
                if s.alarmcritical {
                    warn(out, format!("UPS [{name}] was last known to be in an ALARM state and currently is not communicating, assuming dead. If this is in error and causes unwanted shutdowns, consider disabling the upsmon ALARMCRITICAL option."));
                    return true;
                }
                out.push(Action::Log(Level::Debug, format!("UPS [{name}] was last known to be in an ALARM state and currently is not communicating. It is not assumed dead as the upsmon ALARMCRITICAL option was disabled.")));
            }
            if u.cal {
                warn(out, format!("UPS [{name}] was last known to be calibrating and currently is not communicating, assuming dead"));
                return true;
            }
            if u.bypass {
                warn(out, format!("UPS [{name}] was last known to be on BYPASS and currently is not communicating, assuming dead"));
                return true;
            }
            if u.off && s.offduration >= 0 {
                warn(out, format!("UPS [{name}] was last known to be (administratively) OFF and currently is not communicating, assuming dead"));
                return true;
            }
        }

        // Administratively OFF for longer than OFFDURATION (at once with 0).
        if u.off && s.offduration >= 0 {
            let expired = s.offduration == 0 || held_secs(u.off_since) > s.offduration as u64;
            if expired {
                warn(out, format!("UPS [{name}] is reported as (administratively) OFF"));
                return true;
            }
        }

        if !(u.onbatt && u.lowbatt) {
            return false;
        }
        // OB+LB from here on.
        if u.cal {
            warn(
                out,
                format!(
                    "UPS [{name}] is OB+LB now, but it is also calibrating - not declaring a critical state"
                ),
            );
            return false;
        }
        if s.oblbduration > 0 {
            let held = held_secs(u.oblb_since);
            if held < s.oblbduration as u64 {
                warn(
                    out,
                    format!("UPS [{name}] is still OB+LB for {held} sec out of {} delay", s.oblbduration),
                );
                return false;
            }
        }
        // A primary declares it critical so it sets FSD for everybody.
        if u.is_primary() {
            return true;
        }
        // A secondary gives the primary HOSTSYNC seconds to set FSD first.
        let waited = now.saturating_sub(u.last_noncrit);
        if waited > s.hostsync * 1000 {
            warn(
                out,
                format!(
                    "Giving up on the primary for UPS [{name}] after {} sec since last comms",
                    waited / 1000
                ),
            );
            return true;
        }
        false
    }

    /// NUT's `forceshutdown()`: a primary sets FSD on its UPSes and waits for its
    /// secondaries; a secondary shuts down at once.
    fn force_shutdown(&mut self, now: Millis, out: &mut Vec<Action>) {
        if self.phase != Phase::Monitoring {
            return;
        }
        let mut primary = false;
        for u in &self.upses {
            if u.is_primary() {
                primary = true;
                out.push(Action::Log(Level::Warning, format!("Setting FSD on UPS {}", u.spec.name)));
                // Answered with Event::FsdSet, which notifies FSD (NUT 2.8.5).
                out.push(Action::SetFsd(u.spec.name.clone()));
            }
        }
        if !primary {
            self.do_shutdown(now, out);
            return;
        }
        out.push(Action::Log(
            Level::Info,
            "This system is a primary... waiting for secondaries to logout...".into(),
        ));
        self.phase = Phase::HostSync { started: now, rounds: 0 };
        for u in self.upses.iter_mut().filter(|u| u.is_primary()) {
            u.numlogins = None;
            out.push(Action::QueryNumLogins(u.spec.name.clone()));
        }
    }

    /// NUT's `doshutdown()` up to FINALDELAY.
    fn do_shutdown(&mut self, now: Millis, out: &mut Vec<Action>) {
        out.push(Action::Log(Level::Crit, "Executing automatic power-fail shutdown".into()));
        out.push(Action::Wall("Executing automatic power-fail shutdown".into()));
        self.notify(None, NotifyType::Shutdown, "", out);
        if self.settings.finaldelay > 0 {
            let until = now + self.settings.finaldelay * 1000;
            self.phase = Phase::FinalDelay { until };
            out.push(Action::SleepUntil(until));
        } else {
            self.finish_shutdown(now, out);
        }
    }

    fn finish_shutdown(&mut self, now: Millis, out: &mut Vec<Action>) {
        out.push(Action::WritePowerdownFlag);
        out.push(Action::Shutdown);
        match self.settings.shutdownexit {
            ShutdownExit::Yes => {
                self.phase = Phase::ShutdownIssued { exit_at: Some(now) };
                out.push(Action::LogoutAll);
                out.push(Action::Exit(0));
            }
            ShutdownExit::No => {
                self.phase = Phase::ShutdownIssued { exit_at: None };
                out.push(Action::SleepUntil(now + self.sleep_secs() * 1000));
            }
            ShutdownExit::After(secs) => {
                let at = now + secs * 1000;
                self.phase = Phase::ShutdownIssued { exit_at: Some(at) };
                out.push(Action::SleepUntil(at.min(now + self.sleep_secs() * 1000)));
            }
        }
    }

    fn notify(&self, ups: Option<usize>, ntype: NotifyType, extra: &str, out: &mut Vec<Action>) {
        let name = ups.map(|i| self.upses[i].spec.name.as_str());
        out.push(Action::Notify(notification(&self.settings.notify, ntype, name, extra)));
    }
}

/// The status tokens with an X/NOTX notification pair, in the order NUT 2.8.5 clears them
/// (ECO is handled apart: the buzzwords can set it too).
const TOGGLES: &[(&str, NotifyType)] = &[
    ("CAL", NotifyType::Cal),
    ("OFF", NotifyType::Off),
    ("BYPASS", NotifyType::Bypass),
    ("ALARM", NotifyType::Alarm),
    ("OVER", NotifyType::Over),
    ("TRIM", NotifyType::Trim),
    ("BOOST", NotifyType::Boost),
];

impl NotifyType {
    /// The NOT* partner of a condition type (CAL → NOTCAL); other types map to themselves.
    fn ended(self) -> NotifyType {
        match self {
            NotifyType::Cal => NotifyType::NotCal,
            NotifyType::Off => NotifyType::NotOff,
            NotifyType::Bypass => NotifyType::NotBypass,
            NotifyType::Eco => NotifyType::NotEco,
            NotifyType::Alarm => NotifyType::NotAlarm,
            NotifyType::Over => NotifyType::NotOver,
            NotifyType::Trim => NotifyType::NotTrim,
            NotifyType::Boost => NotifyType::NotBoost,
            other => other,
        }
    }
}

/// Builds a notification with the configured message and flags; also used by the
/// test-notification command, which fires one without any power event.
pub fn notification(table: &NotifyTable, ntype: NotifyType, ups: Option<&str>, extra: &str) -> Notification {
    Notification {
        ntype,
        ups: ups.map(str::to_string),
        message: format_message(table.message(ntype), ups.unwrap_or(""), extra),
        flags: table.flags(ntype),
    }
}

fn check_supplies(settings: &Settings, monitors: &[MonitorSpec]) -> Result<(), String> {
    let total: u64 = monitors.iter().map(|m| u64::from(m.power_value)).sum();
    if total < u64::from(settings.minsupplies) {
        return Err(format!(
            "Fatal error: total power value ({total}) less than MINSUPPLIES ({}): add MONITOR lines or lower MINSUPPLIES in upsmon.conf",
            settings.minsupplies
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
