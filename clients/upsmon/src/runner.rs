//! The I/O around the [`Machine`]: polling upsd through nut-client with NUT's wire sequence,
//! delivering notifications, signals, reloads, and the shutdown request.
//!
//! Wire sequence per UPS, as NUT 2.8.5's upsmon: `STARTTLS` (TLS with upsmon.conf's CERT*
//! settings when upsd offers it; plain text continues after an ERR unless FORCESSL),
//! `USERNAME`, `PASSWORD`, `LOGIN <ups>` for every MONITOR line (power value 0 too), then
//! `PRIMARY <ups>` (falling back to `MASTER`) for primaries; every cycle `GET VAR <ups>
//! ups.status`, `ups.mode.buzzwords` and `experimental.ups.mode.buzzwords` (plus `ups.alarm`
//! when the status has ALARM); `GET NUMLOGINS` during host sync; `FSD <ups>`; `LOGOUT` on
//! exit. On top of that, one `WATCH` connection per upsd ([`crate::watch`]) ends the wait
//! between polls when our upsd pushes a change.
//!
//! The wait between polls is also where a suspend, a stopped process or a clock change shows:
//! the wall clock moves by more than the wait asked for (or backwards). The runner measures
//! it ([`jumped`]) and hands it to the machine as [`Event::TimeJump`].

use std::collections::{HashMap, VecDeque};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use nut_client::{CertHost, Client, ErrCode, Error, TlsOptions};
use nut_conf::upsd_users::{Role, UpsdUsers};
use nut_conf::upsmon_conf::Monitor;

use crate::check;
use crate::config::{self, Loaded};
use crate::deliver::{self, log, Children};
use crate::machine::{Action, Event, Level, Machine, Phase};
use crate::privsep::Shutdowner;
use crate::sleep::SleepMsg;
use crate::watch::{Family, Watches};

static SIG_TERM: AtomicBool = AtomicBool::new(false);
/// The signal that asked upsmon to stop, for NUT's `Signal 15: exiting`.
static SIG_TERM_NUM: AtomicI32 = AtomicI32::new(0);
static SIG_HUP: AtomicBool = AtomicBool::new(false);
static SIG_FSD: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(sig: libc::c_int) {
    match sig {
        libc::SIGHUP => SIG_HUP.store(true, Ordering::SeqCst),
        libc::SIGUSR1 => SIG_FSD.store(true, Ordering::SeqCst),
        _ => {
            SIG_TERM_NUM.store(sig, Ordering::SeqCst);
            SIG_TERM.store(true, Ordering::SeqCst);
        }
    }
}

/// Installs the handlers: SIGTERM/SIGINT/SIGQUIT stop, SIGHUP reloads, SIGUSR1 forces a
/// shutdown (`upsmon -c fsd`).
pub fn install_signals() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: the handler only stores to atomics, which is async-signal-safe.
    unsafe {
        for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT, libc::SIGHUP, libc::SIGUSR1] {
            libc::signal(sig, handler);
        }
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// The running monitor.
pub struct Runner {
    machine: Machine,
    loaded: Loaded,
    conns: HashMap<String, Client>,
    children: Children,
    shut: Shutdowner,
    start: Instant,
    wake: u64,
    local_users: Option<(UpsdUsers, String)>,
    /// Event subscriptions (`WATCH`) on each upsd that supports them.
    watches: Watches,
    /// Connect timeout and the like (`-W`, `NUT_DEFAULT_CONNECT_TIMEOUT`).
    opts: nut_client::Options,
    /// The debug level from the command line (`-D`, `NUT_DEBUG_LEVEL`), which a reload
    /// without DEBUG_MIN returns to.
    debug_args: u8,
    /// News from logind about the OS going to sleep and waking up ([`crate::sleep`]).
    sleep: Option<std::sync::mpsc::Receiver<SleepMsg>>,
    /// The wall and monotonic clocks when last compared ([`drifted`]).
    clocks: (SystemTime, Instant),
    /// The shutdown phase last told to the service manager (0 none, 1 waiting for
    /// secondaries, 2 shutting down).
    announced: u8,
}

/// How much later than asked a wait may end on the wall clock before upsmon takes it for a
/// suspend, a stopped process or a clock change (NUT 2.8.5's `sleep_overhead_tolerance`).
pub const JUMP_TOLERANCE_MS: i64 = 5000;

/// NUT 2.8.5's test after a wait that asked for `asked` ms: the wall clock moved `wall` ms.
/// More than the tolerance beyond what was asked (the system slept or the clock was set
/// forward) or backwards at all is a jump.
pub fn jumped(asked: u64, wall: i64) -> bool {
    wall < 0 || wall > asked as i64 + JUMP_TOLERANCE_MS
}

/// Whether the wall clock moved `wall` ms while the monotonic clock moved `mono` ms, by more
/// than the tolerance either way: the system was suspended (the monotonic clock stands still
/// then) or the clock was set, whatever upsmon was doing at the time (a poll included, which
/// [`jumped`] does not see).
pub fn drifted(wall: i64, mono: u64) -> bool {
    (wall - mono as i64).abs() > JUMP_TOLERANCE_MS
}

/// Milliseconds from `a` to `b` on the wall clock, negative when it went back.
fn wall_ms(a: SystemTime, b: SystemTime) -> i64 {
    match b.duration_since(a) {
        Ok(d) => d.as_millis() as i64,
        Err(e) => -(e.duration().as_millis() as i64),
    }
}

impl Runner {
    /// Builds the runner; `machine` was made from `loaded`.
    pub fn new(machine: Machine, loaded: Loaded, shut: Shutdowner) -> Runner {
        let local_users = loaded.path.parent().and_then(check::local_users);
        Runner {
            machine,
            loaded,
            conns: HashMap::new(),
            children: Children::default(),
            shut,
            start: Instant::now(),
            wake: 0,
            local_users,
            watches: Watches::default(),
            opts: nut_client::Options::default(),
            debug_args: 0,
            sleep: None,
            clocks: (SystemTime::now(), Instant::now()),
            announced: 0,
        }
    }

    /// Listens to the OS's sleep and wake-up announcements ([`crate::sleep::watch`]).
    pub fn with_sleep_watch(mut self, rx: std::sync::mpsc::Receiver<SleepMsg>) -> Runner {
        self.sleep = Some(rx);
        self
    }

    /// Handles what the sleep watcher said; `Some` when upsmon must exit.
    fn sleep_news(&mut self) -> Option<ExitCode> {
        let msgs: Vec<SleepMsg> = match &self.sleep {
            Some(rx) => rx.try_iter().collect(),
            None => return None,
        };
        for msg in msgs {
            match msg {
                SleepMsg::Ready { inhibitor } => {
                    if inhibitor {
                        log(Level::Info, "upsmon: initialized OS integration for sleep inhibitor");
                    }
                    log(Level::Info, "upsmon: initialized OS integration for sleep/wake monitoring");
                }
                SleepMsg::Unavailable(why) => {
                    log(Level::Debug, &format!("no OS integration for sleep/wake monitoring: {why}"))
                }
                SleepMsg::NoInhibitor(why) => log(
                    Level::Warning,
                    &format!("upsmon: failed to initialize OS integration for sleep inhibitor ({why})"),
                ),
                SleepMsg::Preparing(done) => {
                    let code = self.process(Event::SleepStarting);
                    // SUSPEND_STARTING is on its way: let the sleep go ahead.
                    let _ = done.send(());
                    if code.is_some() {
                        return code;
                    }
                }
                SleepMsg::Finished { wall } => {
                    if let Some(code) = self.process(Event::SleepFinished { wall }) {
                        return Some(code);
                    }
                }
            }
        }
        None
    }

    /// Sets the connect timeout (`-W`, `NUT_DEFAULT_CONNECT_TIMEOUT`).
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Runner {
        self.opts.connect_timeout = timeout;
        self
    }

    /// The debug level the command line asked for, which a reload without DEBUG_MIN restores.
    pub fn with_debug_args(mut self, level: u8) -> Runner {
        self.debug_args = level;
        self
    }

    fn now(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// Restricts connections to one address family (`-4`/`-6`).
    pub fn with_family(mut self, family: Option<Family>) -> Runner {
        self.watches.family = family;
        self
    }

    /// Runs until told to stop or until the shutdown is done.
    pub fn run(mut self) -> ExitCode {
        let mut first = true;
        loop {
            if let Some(code) = self.process(Event::Tick) {
                return code;
            }
            if first {
                // Configured, and the first round of connections was tried.
                first = false;
                nut_daemon::notify::ready();
            }
            if self.machine.phase() == Phase::Monitoring {
                self.ensure_watches();
            }
            if let Some(code) = self.wait() {
                return code;
            }
        }
    }

    /// Waits until the next tick is due, handling signals, pushed events and time jumps on
    /// the way; `Some` when upsmon must exit.
    fn wait(&mut self) -> Option<ExitCode> {
        // What the wait asked for, and the wall-clock time spent napping (not polling), to
        // compare as NUT does around its sleep.
        let mut asked = self.wake.saturating_sub(self.now());
        let mut napped_wall: i64 = 0;
        loop {
            self.children.reap();
            // Compare the clocks since the last look (a poll may lie in between).
            let (w0, m0) = self.clocks;
            self.clocks = (SystemTime::now(), Instant::now());
            let (wall, mono) =
                (wall_ms(w0, self.clocks.0), self.clocks.1.duration_since(m0).as_millis() as u64);
            if drifted(wall, mono) && self.machine.phase() == Phase::Monitoring {
                if let Some(code) = self.process(Event::TimeJump { wall, expected: mono }) {
                    return Some(code);
                }
                self.clocks = (SystemTime::now(), Instant::now());
                asked = self.wake.saturating_sub(self.now());
                napped_wall = 0;
                continue;
            }
            // The watchdog is fed from this loop (naps are short), so a stuck loop stops it.
            nut_daemon::notify::watchdog_tick();
            if SIG_TERM.swap(false, Ordering::SeqCst) {
                let why = format!("Signal {}: exiting", SIG_TERM_NUM.load(Ordering::SeqCst));
                log(Level::Info, &why);
                nut_daemon::notify::stopping(Some(&why));
                self.logout_all();
                return Some(ExitCode::SUCCESS);
            }
            if SIG_HUP.swap(false, Ordering::SeqCst) {
                let _ = self.process(Event::DozeInterrupted);
                self.reload();
            }
            if let Some(code) = self.sleep_news() {
                return Some(code);
            }
            if SIG_FSD.swap(false, Ordering::SeqCst) {
                if let Some(code) = self.process(Event::FsdRequested) {
                    return Some(code);
                }
            }
            if !self.shut.parent_alive() {
                if let Some(code) = self.process(Event::ParentGone) {
                    return Some(code);
                }
            }
            let now = self.now();
            if now >= self.wake {
                // A clock set back shows only over the whole wait, as in NUT.
                if napped_wall < 0 && self.machine.phase() == Phase::Monitoring {
                    let code = self.process(Event::TimeJump { wall: napped_wall, expected: asked });
                    self.clocks = (SystemTime::now(), Instant::now());
                    return code;
                }
                return None;
            }
            // Short naps keep signals and the wake-up time responsive without a timer
            // thread; a pushed event ends the nap at once.
            let nap = nut_daemon::notify::watchdog_wait(Duration::from_millis((self.wake - now).min(100)));
            let before = SystemTime::now();
            let got = self.watches.rx.recv_timeout(nap);
            let wall = wall_ms(before, SystemTime::now());
            napped_wall += wall;
            if wall > 0 && jumped(nap.as_millis() as u64, wall) && self.machine.phase() == Phase::Monitoring {
                // Suspended (the monotonic clock the nap runs on stood still while the wall
                // clock went on), stopped, or the clock was set forward: carry on as after a
                // wake-up, then wait for the next tick the machine asks for.
                if let Some(code) = self.process(Event::TimeJump { wall: napped_wall, expected: asked }) {
                    return Some(code);
                }
                self.clocks = (SystemTime::now(), Instant::now());
                asked = self.wake.saturating_sub(self.now());
                napped_wall = 0;
                continue;
            }
            if let Ok(first) = got {
                // Events often come in twos (STATUS and ALARM of one change): take all
                // that are queued and poll each UPS once.
                let mut msgs = vec![first];
                msgs.extend(self.watches.rx.try_iter());
                let pollfreq = self.machine.settings().pollfreq * 1000;
                let mut to_poll: Vec<String> = Vec::new();
                for msg in msgs {
                    let (poll, logs) = self.watches.handle(msg, self.now(), pollfreq);
                    for (level, line) in logs {
                        log(level, &line);
                    }
                    if let Some((key, ups)) = poll {
                        for sys in self.systems_on(&key, &ups) {
                            if !to_poll.contains(&sys) {
                                to_poll.push(sys);
                            }
                        }
                    }
                }
                for sys in to_poll {
                    if let Some(code) = self.process(Event::Changed(sys)) {
                        return Some(code);
                    }
                }
            }
        }
    }

    /// Feeds one event and everything it leads to; `Some` when upsmon must exit.
    fn process(&mut self, first: Event) -> Option<ExitCode> {
        let mut events = VecDeque::from([first]);
        while let Some(ev) = events.pop_front() {
            let actions = self.machine.handle(ev, self.now());
            self.announce_phase();
            let mut requests = false;
            for a in actions {
                match a {
                    Action::Poll(u) => {
                        requests = true;
                        // No event when the login failed: NUT skips that UPS this cycle.
                        if let Some(ev) = self.poll(&u) {
                            events.push_back(ev);
                        }
                    }
                    Action::QueryNumLogins(u) => {
                        requests = true;
                        let count = self.numlogins(&u);
                        events.push_back(Event::NumLogins { ups: u, count });
                    }
                    Action::SetFsd(u) => {
                        let ok = self.set_fsd(&u);
                        events.push_back(Event::FsdSet { ups: u, ok });
                    }
                    Action::Notify(n) => {
                        deliver::notify(&n, self.loaded.conf.notifycmd.as_deref(), &mut self.children)
                    }
                    Action::Log(level, msg) => log(level, &msg),
                    Action::Wall(msg) => deliver::wall(&msg, &mut self.children),
                    Action::WritePowerdownFlag => self.shut.write_pdflag(),
                    Action::Shutdown => self.shut.shutdown(),
                    Action::LogoutAll => self.logout_all(),
                    Action::Exit(code) => return Some(ExitCode::from(code)),
                    Action::SleepUntil(t) => self.wake = t,
                    Action::Reload => self.reload(),
                    Action::Reconnect => {
                        for (sys, mut c) in self.conns.drain() {
                            log(Level::Debug, &format!("Dropping connection to UPS [{sys}]"));
                            let _ = c.logout();
                        }
                    }
                }
            }
            if requests {
                events.push_back(Event::CycleDone);
            }
        }
        None
    }

    /// Tells the service manager about a shutdown in progress, once per phase, before the
    /// phase's actions run: waiting for secondaries gets more time; the power-fail shutdown
    /// itself (FINALDELAY, SHUTDOWNCMD) is STOPPING with no time limit (NUT 2.8.5's
    /// `EXTEND_TIMEOUT_USEC` of `INT64_MAX`), so upsmon is not killed half-way.
    fn announce_phase(&mut self) {
        let phase = match self.machine.phase() {
            Phase::Monitoring => 0,
            Phase::HostSync { .. } => 1,
            _ => 2,
        };
        if phase <= self.announced {
            return;
        }
        self.announced = phase;
        const INFINITY: u64 = nut_daemon::notify::EXTEND_TIMEOUT_INFINITY_USEC;
        if phase == 1 {
            nut_daemon::notify::extend_timeout(INFINITY, Some("Waiting for secondaries to log out"));
        } else {
            nut_daemon::notify::stopping(Some("Executing automatic power-fail shutdown"));
            nut_daemon::notify::extend_timeout(INFINITY, None);
        }
    }

    /// Starts the event subscriptions that are missing (or due for a retry).
    fn ensure_watches(&mut self) {
        let mut wanted: HashMap<String, (String, u16, Vec<String>)> = HashMap::new();
        let tls = self.tls_options();
        // The watch connection is plain text: hosts that must only be spoken to over TLS
        // (FORCESSL) are polled only.
        for m in self.loaded.conf.monitors.iter().filter(|m| !tls.for_host(&m.host).forcessl) {
            let e = wanted
                .entry(format!("{}:{}", m.host, m.port))
                .or_insert_with(|| (m.host.clone(), m.port, Vec::new()));
            if !e.2.contains(&m.ups) {
                e.2.push(m.ups.clone());
            }
        }
        let now = self.now();
        self.watches.ensure(now, &wanted);
    }

    /// The MONITOR names for UPS `ups` on upsd `key` (`host:port`).
    fn systems_on(&self, key: &str, ups: &str) -> Vec<String> {
        self.loaded
            .conf
            .monitors
            .iter()
            .filter(|m| format!("{}:{}", m.host, m.port) == key && m.ups.eq_ignore_ascii_case(ups))
            .map(|m| m.system.clone())
            .collect()
    }

    fn monitor(&self, sys: &str) -> Option<Monitor> {
        self.loaded.monitor(sys).cloned()
    }

    /// Polls one UPS: `Some` event with what upsd said, `None` when this cycle skips it
    /// (connected, but the login failed: NUT polls it unauthenticated from the next cycle on).
    fn poll(&mut self, sys: &str) -> Option<Event> {
        let fail = |reason: String| Event::PollFailed {
            ups: sys.to_string(),
            reason,
            connection_lost: false,
            connect_failed: false,
        };
        let Some(m) = self.monitor(sys) else { return Some(fail("not in upsmon.conf any more".into())) };
        if !self.conns.contains_key(sys) {
            match self.connect(&m) {
                Ok((c, logged_in)) => {
                    self.conns.insert(sys.to_string(), c);
                    if !logged_in {
                        return None;
                    }
                }
                Err(reason) => {
                    return Some(Event::PollFailed {
                        ups: sys.to_string(),
                        reason,
                        connection_lost: false,
                        connect_failed: true,
                    })
                }
            }
        }
        let Some(c) = self.conns.get_mut(sys) else { return Some(fail("no connection".into())) };
        match c.get_var(&m.ups, "ups.status") {
            Ok(status) => {
                // NUT 2.8.5 reads the vendor mode buzzwords every poll (ECO); an ERR (most
                // drivers have neither) just means there are none.
                let mut buzzwords = Vec::new();
                for var in ["ups.mode.buzzwords", "experimental.ups.mode.buzzwords"] {
                    match c.get_var(&m.ups, var) {
                        Ok(v) => buzzwords.push(v),
                        Err(e) if e.code().is_none() => {
                            self.drop_conn(sys);
                            return Some(Event::PollFailed {
                                ups: sys.to_string(),
                                reason: e.nut_message(),
                                connection_lost: true,
                                connect_failed: false,
                            });
                        }
                        Err(_) => {}
                    }
                }
                let Some(c) = self.conns.get_mut(sys) else { return Some(fail("no connection".into())) };
                let alarm = if nut_core::status::has(&status, "ALARM") {
                    c.get_var(&m.ups, "ups.alarm").ok()
                } else {
                    None
                };
                Some(Event::Status { ups: sys.to_string(), status, alarm, buzzwords })
            }
            Err(e) => {
                let reason = match e.code() {
                    Some(ErrCode::UnknownUps) => format!("[{}] does not exist on server {}", m.ups, m.host),
                    _ => e.nut_message(),
                };
                // The connection itself failed: reconnect on the next poll.
                let lost = e.code().is_none();
                if lost {
                    self.drop_conn(sys);
                }
                Some(Event::PollFailed {
                    ups: sys.to_string(),
                    reason,
                    connection_lost: lost,
                    connect_failed: false,
                })
            }
        }
    }

    /// The TLS settings of upsmon.conf.
    fn tls_options(&self) -> TlsOptions {
        crate::config::tls_options(&self.loaded.conf)
    }

    /// Connects and logs in with NUT's sequence: STARTTLS first (TLS when upsd offers it,
    /// plain text on ERR unless FORCESSL), then USERNAME, PASSWORD, LOGIN, PRIMARY. `Err` when
    /// no connection could be made (a communication failure); otherwise the connection and
    /// whether the login (and PRIMARY) worked. As in NUT, a refused login is logged and the
    /// connection kept: the UPS is still polled, just not counted among the logins.
    fn connect(&mut self, m: &Monitor) -> Result<(Client, bool), String> {
        log(Level::Debug, &format!("Trying to connect to UPS [{}]", m.system));
        let mut tls = self.tls_options();
        let mut host = m.host.clone();
        if let Some(family) = self.watches.family {
            // Connect to an address of that family; the certificate is still checked against
            // the name (or CERTHOST) that applies to the host as written.
            let addr = crate::watch::resolve(&m.host, m.port, Some(family))?;
            let ip = addr.first().map(|a| a.ip().to_string()).unwrap_or_default();
            if ip != m.host {
                let ht = tls.for_host(&m.host);
                tls.certhosts.insert(
                    0,
                    CertHost {
                        host: ip.clone(),
                        cert_name: ht.name,
                        verify: ht.settings.verify,
                        forcessl: ht.forcessl,
                    },
                );
                host = ip;
            }
        }
        let c = match Client::connect_tls(&host, m.port, &self.opts, &tls) {
            Ok(c) => c,
            Err(e) => {
                // TLS problems are configuration problems: the poll failure line carries the
                // fix.
                let mut msg = e.nut_message();
                if matches!(e, Error::Tls { .. } | Error::TlsRequired { .. } | Error::TlsSetup(_)) {
                    if let Some(h) = e.hint() {
                        msg = format!("{msg} ({h})");
                    }
                }
                return Err(msg);
            }
        };
        if c.is_tls() {
            log(Level::Debug, &format!("Connected to UPS [{}] with TLS", m.system));
        }
        let mut c = c;
        if m.powervalue == 0 && !self.loaded.conf.login_monitor_only {
            // LOGIN_MONITOR_ONLY off (ours): read-only, not counted in NUMLOGINS.
            return Ok((c, true));
        }
        let file = self.loaded.file();
        let denied = |req: &str, e: &Error| -> String {
            if e.code() == Some(ErrCode::AccessDenied) {
                check::explain_access_denied(m, &file, req, self.local_users.as_ref())
            } else {
                e.nut_message()
            }
        };
        if let Err(e) = c.username(&m.user) {
            log(Level::Err, &format!("Set username on [{}] failed: {}", m.system, e.nut_message()));
            return self.kept_unless_lost(c, e);
        }
        if let Err(e) = c.password(&m.pass) {
            log(Level::Err, &format!("Set password on [{}] failed: {}", m.system, e.nut_message()));
            return self.kept_unless_lost(c, e);
        }
        if let Err(e) = c.login(&m.ups) {
            log(Level::Err, &format!("Login on UPS [{}] failed - got [{}]", m.system, err_line(&e)));
            if e.code().is_some() {
                log(Level::Err, &denied("LOGIN", &e));
            }
            return self.kept_unless_lost(c, e);
        }
        log(Level::Debug, &format!("Logged into UPS {}", m.system));
        if m.role == Role::Primary {
            if let Err(e) = c.primary(&m.ups) {
                log(
                    Level::Alert,
                    &format!("Primary managerial privileges unavailable on UPS [{}]", m.system),
                );
                log(Level::Alert, &format!("Reason: {}", e.nut_message()));
                if e.code().is_some() {
                    log(Level::Err, &denied("PRIMARY", &e));
                }
                return self.kept_unless_lost(c, e);
            }
        }
        Ok((c, true))
    }

    /// After a refused login step: keep the connection (unauthenticated) unless the
    /// connection itself broke.
    fn kept_unless_lost(&self, c: Client, e: Error) -> Result<(Client, bool), String> {
        if e.code().is_none() {
            Err(e.nut_message())
        } else {
            Ok((c, false))
        }
    }

    fn numlogins(&mut self, sys: &str) -> Option<u32> {
        let m = self.monitor(sys)?;
        let c = self.conns.get_mut(sys)?;
        match c.get_numlogins(&m.ups) {
            Ok(n) => Some(n),
            Err(e) => {
                log(Level::Debug, &format!("GET NUMLOGINS {} failed: {}", m.ups, e.nut_message()));
                None
            }
        }
    }

    /// Sends `FSD <ups>`; true when upsd confirmed it.
    fn set_fsd(&mut self, sys: &str) -> bool {
        let Some(m) = self.monitor(sys) else { return false };
        if !self.conns.contains_key(sys) {
            if let Ok((c, _)) = self.connect(&m) {
                self.conns.insert(sys.to_string(), c);
            }
        }
        let r = match self.conns.get_mut(sys) {
            Some(c) => c.fsd(&m.ups).map_err(|e| err_line(&e)),
            None => Err("no connection to upsd".into()),
        };
        match r {
            Ok(()) => true,
            Err(e) => {
                log(Level::Err, &format!("FSD set on UPS {sys} failed: {e}"));
                false
            }
        }
    }

    fn drop_conn(&mut self, sys: &str) {
        if self.conns.remove(sys).is_some() {
            log(Level::Debug, &format!("Dropping connection to UPS [{sys}]"));
        }
    }

    fn logout_all(&mut self) {
        self.watches.stop_all();
        for (_, mut c) in self.conns.drain() {
            let _ = c.logout();
        }
    }

    /// SIGHUP: re-read upsmon.conf, between RELOADING and READY for the service manager.
    fn reload(&mut self) {
        nut_daemon::notify::reloading();
        self.reload_conf();
        nut_daemon::notify::ready();
    }

    /// Re-read upsmon.conf; keep running on the old one if the new one is broken.
    fn reload_conf(&mut self) {
        log(Level::Info, "Reloading configuration");
        let new = match config::load(&self.loaded.path) {
            Ok(l) => l,
            Err(e) => {
                log(Level::Err, &format!("Reload failed: {e}"));
                return;
            }
        };
        if let Err(e) = config::startup_checks(&new) {
            log(Level::Err, &format!("Reload failed: {e}"));
            return;
        }
        match self.machine.reload(new.settings(), new.specs(), self.now()) {
            Ok(actions) => {
                for a in actions {
                    if let Action::Log(l, m) = a {
                        log(l, &m);
                    }
                }
            }
            Err(e) => {
                log(Level::Err, &format!("Reload failed: {e}"));
                return;
            }
        }
        // Connections whose MONITOR line changed (or went away) log in again.
        let stale: Vec<String> =
            self.conns.keys().filter(|k| self.loaded.monitor(k) != new.monitor(k)).cloned().collect();
        for k in stale {
            if let Some(mut c) = self.conns.remove(&k) {
                let _ = c.logout();
            }
        }
        // DEBUG_MIN in the reloaded file sets the level as it is; without it the level goes
        // back to what the command line asked for (NUT 2.8.5).
        match new.conf.debug_min {
            Some(n) => {
                log(Level::Info, &format!("Applying DEBUG_MIN {n} from upsmon.conf"));
                nut_daemon::log::set_debug_level(n.min(u32::from(u8::MAX)) as u8);
            }
            None => {
                if nut_daemon::log::debug_level() != self.debug_args {
                    log(
                        Level::Info,
                        &format!(
                            "Applying debug level {} from original command line arguments",
                            self.debug_args
                        ),
                    );
                }
                nut_daemon::log::set_debug_level(self.debug_args);
            }
        }
        self.shut.reconfigure(
            crate::privsep::ShutdownConf {
                pdflag: new.conf.powerdownflag.clone(),
                shutdowncmd: new.conf.shutdowncmd.clone(),
            },
            &new.file(),
        );
        self.loaded = new;
        // The set of watched UPSes may have changed: subscribe again at the next tick.
        self.watches.stop_all();
        self.local_users = self.loaded.path.parent().and_then(check::local_users);
    }
}

/// The reply as NUT's messages quote it (`ERR ACCESS-DENIED`).
fn err_line(e: &Error) -> String {
    match e {
        Error::Server { code_text, .. } => format!("ERR {code_text}"),
        other => other.nut_message(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nut_s_jump_rule() {
        // A wait of 5 s that took 5.2 s is normal; 10.1 s is a jump (suspend, SIGSTOP, clock
        // set forward); any backward move is one.
        assert!(!jumped(5000, 5200));
        assert!(!jumped(5000, 10_000));
        assert!(jumped(5000, 10_001));
        assert!(jumped(100, 5101));
        assert!(jumped(5000, -1));
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(100);
        assert_eq!(wall_ms(t, t + Duration::from_millis(1500)), 1500);
        assert_eq!(wall_ms(t, t - Duration::from_millis(250)), -250);
    }

    #[test]
    fn clock_drift_rule() {
        // Suspended for a minute during a poll: the monotonic clock saw 20 ms.
        assert!(drifted(60_020, 20));
        // Clock set back by ten seconds.
        assert!(drifted(-9_000, 1000));
        // A slow poll, or a small NTP step: nothing.
        assert!(!drifted(8_000, 7_990));
        assert!(!drifted(600, 1000));
    }
}
