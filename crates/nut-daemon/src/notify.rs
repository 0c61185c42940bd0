//! The service manager's notify protocol (systemd's `sd_notify(3)`), spoken without libsystemd:
//! datagrams of `KEY=value` lines sent to the socket named by `NOTIFY_SOCKET`, as NUT 2.8.5's
//! `upsnotify()` sends them from upsd, upsmon and the drivers.
//!
//! - `READY=1` (the first one with `MAINPID=<pid>`, as NUT does, so that a driver started by
//!   `upsdrvctl -FF` or upsmon's unprivileged child becomes the unit's main process; units
//!   that allow this use `NotifyAccess=all`);
//! - `RELOADING=1` + `MONOTONIC_USEC=<CLOCK_MONOTONIC>` (what `Type=notify-reload` needs) and
//!   `READY=1` again once the reload is done;
//! - `STOPPING=1`, once, optionally after a `STATUS=<text>` line;
//! - `WATCHDOG=1` at half of `WATCHDOG_USEC`, only when `WATCHDOG_PID` is unset or names this
//!   process (or its parent, once this process announced itself with `MAINPID`: how systemd's
//!   issue 25961 is worked around by NUT). The daemon calls [`watchdog_tick`] from its main
//!   loop, and bounds its waits with [`watchdog_wait`], so a hung loop stops the pings;
//! - `EXTEND_TIMEOUT_USEC=<µs>` while a shutdown takes long (upsmon).
//!
//! The environment is left as it is (NUT calls `sd_notify(0, ...)`), so children such as a
//! driver exec'ed by upsdrvctl inherit it. Without `NOTIFY_SOCKET` every call does nothing (one
//! debug line says so, unless `NUT_QUIET_INIT_UPSNOTIFY` is true/yes/on/1); a failed send is
//! logged once at debug level and never stops the daemon.
//!
//! The message formats, the address and the watchdog period are pure functions
//! ([`parse_addr`], [`format_message`], [`watchdog_period`]); [`Notifier`] does the sending.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// NUT's `UPSNOTIFY_EXTEND_TIMEOUT_USEC_INFINITY` (`INT64_MAX`): upsmon asks for it when a
/// power-fail shutdown starts, so the service manager does not kill it half-way.
pub const EXTEND_TIMEOUT_INFINITY_USEC: u64 = i64::MAX as u64;

/// Longest `sun_path` content (the kernel's 108 bytes less a terminating NUL).
const SUN_PATH_MAX: usize = 107;

/// Where the notifications go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Addr {
    /// A socket file (`/run/systemd/notify`).
    Path(PathBuf),
    /// A Linux abstract socket: the name after the `@`.
    Abstract(Vec<u8>),
}

/// Why `NOTIFY_SOCKET` cannot be used.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddrError {
    /// Set but empty.
    #[error("NOTIFY_SOCKET is empty")]
    Empty,
    /// Neither `/path` nor `@name` (`vsock:` and relative paths are not supported).
    #[error("NOTIFY_SOCKET={0:?} is neither an absolute path nor an @abstract name")]
    Unsupported(String),
    /// Longer than a Unix socket address can hold.
    #[error("NOTIFY_SOCKET is {0} bytes long, more than a socket address holds ({SUN_PATH_MAX})")]
    TooLong(usize),
}

/// Parses `NOTIFY_SOCKET` as sd_notify(3) reads it: an absolute path or `@` + abstract name.
pub fn parse_addr(value: &[u8]) -> Result<Addr, AddrError> {
    match value.first() {
        None => Err(AddrError::Empty),
        Some(_) if value.len() > SUN_PATH_MAX => Err(AddrError::TooLong(value.len())),
        Some(b'/') => Ok(Addr::Path(PathBuf::from(OsStr::from_bytes(value)))),
        Some(b'@') if value.len() > 1 => Ok(Addr::Abstract(value[1..].to_vec())),
        Some(_) => Err(AddrError::Unsupported(String::from_utf8_lossy(value).into_owned())),
    }
}

/// One notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    /// Start-up done (or reload done).
    Ready,
    /// Start-up done, and this process (pid) is the unit's main process.
    ReadyWithPid(u32),
    /// A reload begins, at this `CLOCK_MONOTONIC` time in µs.
    Reloading(u64),
    /// The daemon is stopping.
    Stopping,
    /// Keep-alive ping.
    Watchdog,
    /// Allow this many more µs for the current start-up/stop/reload step.
    ExtendTimeout(u64),
    /// Only the `STATUS=` text.
    Status,
}

impl State {
    /// NUT's name of the state in its debug lines (`NOTIFY_STATE_READY` ...).
    pub fn nut_name(self) -> &'static str {
        match self {
            State::Ready => "NOTIFY_STATE_READY",
            State::ReadyWithPid(_) => "NOTIFY_STATE_READY_WITH_PID",
            State::Reloading(_) => "NOTIFY_STATE_RELOADING",
            State::Stopping => "NOTIFY_STATE_STOPPING",
            State::Watchdog => "NOTIFY_STATE_WATCHDOG",
            State::ExtendTimeout(_) => "NOTIFY_STATE_EXTEND_TIMEOUT",
            State::Status => "NOTIFY_STATE_STATUS",
        }
    }
}

/// The datagram for `state`, after a `STATUS=` line when `status` is given (NUT's layout).
/// A line break in the status text would start a new assignment, so it becomes a space.
/// `None` for [`State::Status`] without a text: there is nothing to send.
pub fn format_message(status: Option<&str>, state: State) -> Option<String> {
    let mut out = String::new();
    if let Some(text) = status.filter(|t| !t.is_empty()) {
        out.push_str("STATUS=");
        out.extend(text.chars().map(|c| if c == '\n' || c == '\r' { ' ' } else { c }));
    }
    let body = match state {
        State::Ready => "READY=1".to_string(),
        State::ReadyWithPid(pid) => format!("READY=1\nMAINPID={pid}"),
        State::Reloading(mono) => format!("RELOADING=1\nMONOTONIC_USEC={mono}"),
        State::Stopping => "STOPPING=1".to_string(),
        State::Watchdog => "WATCHDOG=1".to_string(),
        State::ExtendTimeout(usec) => format!("EXTEND_TIMEOUT_USEC={usec}"),
        State::Status => String::new(),
    };
    if body.is_empty() {
        return (!out.is_empty()).then_some(out);
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(&body);
    Some(out)
}

/// How often to ping the watchdog: half of `WATCHDOG_USEC`, when it is a positive number and
/// `WATCHDOG_PID` is unset or names `me`, or names `parent` while `claimed_main` (this
/// process sent `MAINPID`, taking over from the process the service manager started).
pub fn watchdog_period(
    usec: Option<&str>,
    pid: Option<&str>,
    me: u32,
    parent: u32,
    claimed_main: bool,
) -> Option<Duration> {
    let usec: u64 = usec?.trim().parse().ok().filter(|u| *u > 0)?;
    if let Some(p) = pid {
        let p: u32 = p.trim().parse().ok()?;
        if p != me && !(claimed_main && p == parent) {
            return None;
        }
    }
    Some(Duration::from_micros(usec / 2).max(Duration::from_micros(1)))
}

/// True when `NUT_QUIET_INIT_UPSNOTIFY` asks for silence (NUT's accepted words).
pub fn quiet_value(v: Option<&str>) -> bool {
    v.is_some_and(|v| ["true", "yes", "on", "1"].iter().any(|w| v.eq_ignore_ascii_case(w)))
}

/// `CLOCK_MONOTONIC` in µs, as systemd's `MONOTONIC_USEC` wants it.
pub fn monotonic_usec() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the valid struct.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    (ts.tv_sec as u64).saturating_mul(1_000_000).saturating_add(ts.tv_nsec as u64 / 1000)
}

fn getpid() -> u32 {
    std::process::id()
}

fn getppid() -> u32 {
    // SAFETY: getppid has no preconditions.
    unsafe { libc::getppid() as u32 }
}

/// The sender, with what it read from the environment.
pub struct Notifier {
    addr: Result<Addr, Option<AddrError>>,
    quiet: bool,
    watchdog_usec: Option<String>,
    watchdog_pid: Option<String>,
    sock: Mutex<Option<UnixDatagram>>,
    said_unavailable: AtomicBool,
    said_failed: AtomicBool,
    sent_ready: AtomicBool,
    claimed_main: AtomicBool,
    sent_stopping: AtomicBool,
    last_ping: Mutex<Option<Instant>>,
}

impl Notifier {
    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID` and `NUT_QUIET_INIT_UPSNOTIFY`
    /// through `env`, and opens the socket (connected to the address, so that a path still
    /// works after a chroot).
    pub fn from_env(env: impl Fn(&str) -> Option<std::ffi::OsString>) -> Notifier {
        let addr = match env("NOTIFY_SOCKET") {
            None => Err(None),
            Some(v) => parse_addr(v.as_bytes()).map_err(Some),
        };
        let text = |k: &str| env(k).map(|v| v.to_string_lossy().into_owned());
        let n = Notifier {
            addr,
            quiet: quiet_value(text("NUT_QUIET_INIT_UPSNOTIFY").as_deref()),
            watchdog_usec: text("WATCHDOG_USEC"),
            watchdog_pid: text("WATCHDOG_PID"),
            sock: Mutex::new(None),
            said_unavailable: AtomicBool::new(false),
            said_failed: AtomicBool::new(false),
            sent_ready: AtomicBool::new(false),
            claimed_main: AtomicBool::new(false),
            sent_stopping: AtomicBool::new(false),
            last_ping: Mutex::new(None),
        };
        if let Ok(a) = &n.addr {
            if let Ok(s) = open(a) {
                *n.sock.lock().unwrap_or_else(|e| e.into_inner()) = Some(s);
            }
        }
        n
    }

    /// Whether `NOTIFY_SOCKET` names a usable address.
    pub fn enabled(&self) -> bool {
        self.addr.is_ok()
    }

    /// Sends one notification; false when it could not be sent (logged once).
    pub fn send(&self, status: Option<&str>, state: State) -> bool {
        let addr = match &self.addr {
            Ok(a) => a,
            Err(why) => {
                if !self.said_unavailable.swap(true, Ordering::Relaxed) && !self.quiet {
                    match why {
                        None => crate::debug!(
                            "upsnotify: notify about state {} with libsystemd: was requested, but not \
                             running as a service unit now, will not spam more about it",
                            state.nut_name()
                        ),
                        Some(e) => crate::debug!(
                            "upsnotify: failed to notify about state {}: {e}, will not spam more about it",
                            state.nut_name()
                        ),
                    }
                }
                return false;
            }
        };
        let Some(msg) = format_message(status, state) else { return false };
        crate::trace!("upsnotify: posting sd_notify: {}", msg.replace('\n', "\\n"));
        let mut guard = self.sock.lock().unwrap_or_else(|e| e.into_inner());
        // Not open at start-up (or the last send failed): try again now.
        let r = guard.take().map_or_else(|| open(addr), Ok).and_then(|s| {
            s.send(msg.as_bytes())?;
            *guard = Some(s);
            Ok(())
        });
        match r {
            Ok(()) => true,
            Err(e) => {
                if !self.said_failed.swap(true, Ordering::Relaxed) {
                    crate::debug!(
                        "upsnotify: failed to notify about state {} via {}: {e}, will not spam more about it",
                        state.nut_name(),
                        describe(addr)
                    );
                }
                false
            }
        }
    }

    /// `READY=1`; the first time also `MAINPID=<this process>`.
    pub fn ready(&self) {
        if self.sent_ready.swap(true, Ordering::Relaxed) {
            self.send(None, State::Ready);
        } else {
            self.claimed_main.store(true, Ordering::Relaxed);
            self.send(None, State::ReadyWithPid(getpid()));
        }
    }

    /// `RELOADING=1` with the current `MONOTONIC_USEC`.
    pub fn reloading(&self) {
        self.send(None, State::Reloading(monotonic_usec()));
    }

    /// `STOPPING=1` (after `STATUS=<status>` when given), sent once per process.
    pub fn stopping(&self, status: Option<&str>) {
        if !self.sent_stopping.swap(true, Ordering::Relaxed) {
            self.send(status, State::Stopping);
        }
    }

    /// `EXTEND_TIMEOUT_USEC=<usec>` (after `STATUS=<status>` when given).
    pub fn extend_timeout(&self, usec: u64, status: Option<&str>) {
        self.send(status, State::ExtendTimeout(usec));
    }

    /// `STATUS=<text>` alone.
    pub fn status(&self, text: &str) {
        self.send(Some(text), State::Status);
    }

    /// The watchdog period for this process now (`None`: no pings expected from it).
    pub fn watchdog_period(&self) -> Option<Duration> {
        if !self.enabled() {
            return None;
        }
        watchdog_period(
            self.watchdog_usec.as_deref(),
            self.watchdog_pid.as_deref(),
            getpid(),
            getppid(),
            self.claimed_main.load(Ordering::Relaxed),
        )
    }

    /// Sends `WATCHDOG=1` when a period has passed since the last ping (or none was sent).
    pub fn watchdog_tick(&self) {
        let Some(period) = self.watchdog_period() else { return };
        let now = Instant::now();
        let mut last = self.last_ping.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_none_or(|t| now.duration_since(t) >= period) {
            *last = Some(now);
            drop(last);
            self.send(None, State::Watchdog);
        }
    }

    /// `max`, shortened so that a wait ends when the next watchdog ping is due.
    pub fn watchdog_wait(&self, max: Duration) -> Duration {
        let Some(period) = self.watchdog_period() else { return max };
        let last = *self.last_ping.lock().unwrap_or_else(|e| e.into_inner());
        let due = match last {
            None => Duration::ZERO,
            Some(t) => period.saturating_sub(t.elapsed()),
        };
        max.min(due)
    }
}

fn describe(addr: &Addr) -> String {
    match addr {
        Addr::Path(p) => p.display().to_string(),
        Addr::Abstract(n) => format!("@{}", String::from_utf8_lossy(n)),
    }
}

fn open(addr: &Addr) -> std::io::Result<UnixDatagram> {
    let s = UnixDatagram::unbound()?;
    // A service manager that is slow to read must not block the daemon's loop.
    s.set_nonblocking(true)?;
    match addr {
        Addr::Path(p) => s.connect(p)?,
        #[cfg(any(target_os = "linux", target_os = "android"))]
        Addr::Abstract(name) => {
            use std::os::linux::net::SocketAddrExt;
            let a = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
            s.connect_addr(&a)?
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        Addr::Abstract(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "abstract sockets exist on Linux only",
            ))
        }
    }
    Ok(s)
}

static GLOBAL: OnceLock<Notifier> = OnceLock::new();

/// The process's notifier, made from the environment on first use. Call it (or [`init`])
/// before a chroot, so that the socket is opened while its path is reachable.
pub fn global() -> &'static Notifier {
    GLOBAL.get_or_init(|| Notifier::from_env(|k| std::env::var_os(k)))
}

/// Reads the environment and opens the socket now.
pub fn init() {
    let _ = global();
}

/// [`Notifier::ready`] on the process's notifier.
pub fn ready() {
    global().ready();
}

/// [`Notifier::reloading`] on the process's notifier.
pub fn reloading() {
    global().reloading();
}

/// [`Notifier::stopping`] on the process's notifier.
pub fn stopping(status: Option<&str>) {
    global().stopping(status);
}

/// [`Notifier::extend_timeout`] on the process's notifier.
pub fn extend_timeout(usec: u64, status: Option<&str>) {
    global().extend_timeout(usec, status);
}

/// [`Notifier::status`] on the process's notifier.
pub fn status(text: &str) {
    global().status(text);
}

/// [`Notifier::watchdog_tick`] on the process's notifier.
pub fn watchdog_tick() {
    global().watchdog_tick();
}

/// [`Notifier::watchdog_wait`] on the process's notifier.
pub fn watchdog_wait(max: Duration) -> Duration {
    global().watchdog_wait(max)
}

/// [`Notifier::watchdog_period`] on the process's notifier.
pub fn watchdog_period_now() -> Option<Duration> {
    global().watchdog_period()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    #[test]
    fn addresses_as_sd_notify_reads_them() {
        assert_eq!(parse_addr(b"/run/systemd/notify"), Ok(Addr::Path("/run/systemd/notify".into())));
        assert_eq!(parse_addr(b"@sd-notify/1"), Ok(Addr::Abstract(b"sd-notify/1".to_vec())));
        assert_eq!(parse_addr(b""), Err(AddrError::Empty));
        assert!(matches!(parse_addr(b"@"), Err(AddrError::Unsupported(_))));
        assert!(matches!(parse_addr(b"run/notify"), Err(AddrError::Unsupported(_))));
        assert!(matches!(parse_addr(b"vsock:2:1234"), Err(AddrError::Unsupported(_))));
        let long = format!("/{}", "x".repeat(SUN_PATH_MAX));
        assert_eq!(parse_addr(long.as_bytes()), Err(AddrError::TooLong(SUN_PATH_MAX + 1)));
        let fits = format!("/{}", "x".repeat(SUN_PATH_MAX - 1));
        assert!(parse_addr(fits.as_bytes()).is_ok());
    }

    #[test]
    fn messages_as_systemd_defines_them() {
        let f = |s, st| format_message(s, st).unwrap();
        assert_eq!(f(None, State::Ready), "READY=1");
        assert_eq!(f(None, State::ReadyWithPid(42)), "READY=1\nMAINPID=42");
        assert_eq!(f(None, State::Reloading(123456)), "RELOADING=1\nMONOTONIC_USEC=123456");
        assert_eq!(f(None, State::Stopping), "STOPPING=1");
        assert_eq!(f(Some("Signal 15: exiting"), State::Stopping), "STATUS=Signal 15: exiting\nSTOPPING=1");
        assert_eq!(f(None, State::Watchdog), "WATCHDOG=1");
        assert_eq!(
            f(None, State::ExtendTimeout(EXTEND_TIMEOUT_INFINITY_USEC)),
            "EXTEND_TIMEOUT_USEC=9223372036854775807"
        );
        assert_eq!(f(Some("a\nWATCHDOG=1"), State::Status), "STATUS=a WATCHDOG=1");
        assert_eq!(format_message(None, State::Status), None);
        assert_eq!(format_message(Some(""), State::Status), None);
        assert_eq!(f(Some(""), State::Ready), "READY=1");
    }

    #[test]
    fn watchdog_period_is_half_for_this_process_only() {
        let p = |u, pid, claimed| watchdog_period(u, pid, 100, 50, claimed);
        assert_eq!(p(Some("200000"), None, false), Some(Duration::from_millis(100)));
        assert_eq!(p(Some("200000"), Some("100"), false), Some(Duration::from_millis(100)));
        assert_eq!(p(Some("200000"), Some("101"), false), None);
        // The parent's watchdog passes to a child only once the child claimed MAINPID.
        assert_eq!(p(Some("200000"), Some("50"), false), None);
        assert_eq!(p(Some("200000"), Some("50"), true), Some(Duration::from_millis(100)));
        assert_eq!(p(Some("200000"), Some("51"), true), None);
        assert_eq!(p(None, None, false), None);
        assert_eq!(p(Some("0"), None, false), None);
        assert_eq!(p(Some("-5"), None, false), None);
        assert_eq!(p(Some("soon"), None, false), None);
        assert_eq!(p(Some("200000"), Some("me"), false), None);
        assert_eq!(p(Some("1"), None, false), Some(Duration::from_micros(1)));
    }

    #[test]
    fn quiet_words_are_nuts() {
        for w in ["true", "YES", "on", "1"] {
            assert!(quiet_value(Some(w)), "{w}");
        }
        for w in ["", "false", "0", "quiet"] {
            assert!(!quiet_value(Some(w)), "{w}");
        }
        assert!(!quiet_value(None));
    }

    fn notifier(env: &[(&str, &str)]) -> Notifier {
        let env: HashMap<String, OsString> =
            env.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect();
        Notifier::from_env(|k| env.get(k).cloned())
    }

    #[test]
    fn without_notify_socket_nothing_is_sent() {
        let n = notifier(&[("WATCHDOG_USEC", "200000")]);
        assert!(!n.enabled());
        assert!(!n.send(None, State::Ready));
        assert_eq!(n.watchdog_period(), None);
        assert_eq!(n.watchdog_wait(Duration::from_secs(5)), Duration::from_secs(5));
    }

    #[test]
    fn sends_to_a_path_and_survives_a_missing_receiver() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let n = notifier(&[("NOTIFY_SOCKET", path.to_str().unwrap())]);
        // Nobody listens yet: the send fails, quietly.
        assert!(!n.send(None, State::Ready));
        let rx = UnixDatagram::bind(&path).unwrap();
        rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        n.ready();
        n.ready();
        n.stopping(Some("bye"));
        n.stopping(None);
        let mut buf = [0u8; 256];
        let mut got = Vec::new();
        for _ in 0..3 {
            let len = rx.recv(&mut buf).unwrap();
            got.push(String::from_utf8_lossy(&buf[..len]).into_owned());
        }
        assert_eq!(got[0], format!("READY=1\nMAINPID={}", std::process::id()));
        assert_eq!(got[1], "READY=1");
        assert_eq!(got[2], "STATUS=bye\nSTOPPING=1");
        rx.set_nonblocking(true).unwrap();
        assert!(rx.recv(&mut buf).is_err(), "STOPPING is sent once");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn sends_to_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("nut-notify-test-{}", std::process::id());
        let a = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let rx = UnixDatagram::bind_addr(&a).unwrap();
        rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let n = notifier(&[("NOTIFY_SOCKET", &format!("@{name}"))]);
        n.reloading();
        let mut buf = [0u8; 256];
        let len = rx.recv(&mut buf).unwrap();
        let msg = String::from_utf8_lossy(&buf[..len]).into_owned();
        let mono: u64 = msg.strip_prefix("RELOADING=1\nMONOTONIC_USEC=").unwrap().parse().unwrap();
        assert!(mono > 0 && mono <= monotonic_usec());
    }

    #[test]
    fn watchdog_ticks_at_the_period_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let rx = UnixDatagram::bind(&path).unwrap();
        rx.set_nonblocking(true).unwrap();
        // One hour: a second tick right after the first is not due.
        let n = notifier(&[("NOTIFY_SOCKET", path.to_str().unwrap()), ("WATCHDOG_USEC", "7200000000")]);
        assert_eq!(n.watchdog_wait(Duration::from_secs(9)), Duration::ZERO, "first ping due at once");
        n.watchdog_tick();
        n.watchdog_tick();
        let mut buf = [0u8; 64];
        let len = rx.recv(&mut buf).unwrap();
        assert_eq!(&buf[..len], b"WATCHDOG=1");
        assert!(rx.recv(&mut buf).is_err());
        let w = n.watchdog_wait(Duration::from_secs(7200));
        assert!(w > Duration::from_secs(3500) && w <= Duration::from_secs(3600), "{w:?}");
        assert_eq!(n.watchdog_wait(Duration::from_secs(2)), Duration::from_secs(2));
    }
}
