//! One logging layer for every program, with NUT's rules.
//!
//! Programs log through `tracing` (`error!`, `warn!`, `info!` for what NUT logs with
//! `upslogx`; `debug!` and `trace!` for NUT's `upsdebugx` levels 1 and 2+). This module decides
//! where each line goes and what it looks like:
//!
//! - **stderr** while in the foreground. With a debug level above 0 each line starts with the
//!   seconds since start-up (`   0.001234\t`), as NUT's do; debug lines carry NUT's `[D1]`
//!   tag (`[D1:<pid>]` with `NUT_DEBUG_PID` set).
//! - **syslog** (facility daemon, the program name as ident, with the pid) once the program
//!   goes to the background ([`backgrounded`], called by
//!   [`crate::background::daemonize`]), and also in the foreground for the daemons that NUT
//!   sends there from the start (upsd, upssched, drivers without debugging:
//!   [`syslog_also`]). Going to the background stops stderr output.
//! - `NUT_DEBUG_SYSLOG` bends that as NUT's does: `stderr` keeps stderr attached and never
//!   uses syslog, `none`/`false` never uses syslog (and detaches stderr as usual),
//!   `syslog`/`true`/`default`/unset is the normal behaviour.
//!
//! The debug level is NUT's `nut_debug_level`: the `-D` count, else `NUT_DEBUG_LEVEL`; a
//! configured minimum (`DEBUG_MIN`, `debug_min`) raises it ([`set_debug_min`]); it can be set
//! at run time ([`set_debug_level`]: a reload with `DEBUG_MIN`, a driver's `driver.debug`).
//! Level 0 shows notices, warnings and errors; 1 adds `debug!`; 2 or more adds `trace!`.
//! Without debugging, each `-q` raises the threshold (warnings and errors, errors only, none).
//! `RUST_LOG`, when set, replaces the level filter for developers (`target=level,...`, as
//! tracing-subscriber's `Targets` reads it; no regular expressions).

use std::ffi::CString;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{span, Event, Metadata, Subscriber};

/// The log levels, for the light macros.
pub use tracing::Level;
use tracing_subscriber::filter::Targets;

/// What `NUT_DEBUG_SYSLOG` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyslogMode {
    /// Unset, `syslog`, `true`, `default` or an unknown value: syslog as NUT normally uses it.
    Default,
    /// `stderr`: never syslog; going to the background keeps stderr attached.
    Stderr,
    /// `none` or `false`: never syslog; going to the background detaches stderr as usual.
    Off,
}

impl SyslogMode {
    /// NUT's reading of a `NUT_DEBUG_SYSLOG` value (`None`: unset).
    pub fn parse(value: Option<&str>) -> SyslogMode {
        match value {
            Some("stderr") => SyslogMode::Stderr,
            Some("none") | Some("false") => SyslogMode::Off,
            _ => SyslogMode::Default,
        }
    }

    /// NUT's complaint about a `NUT_DEBUG_SYSLOG` value it does not know (it then uses syslog
    /// as usual), or `None` for a known value or an unset variable.
    pub fn unknown_value_note(value: Option<&str>) -> Option<String> {
        match value {
            None | Some("stderr" | "none" | "false" | "syslog" | "true" | "default") => None,
            Some(v) => Some(format!(
                "syslog_is_disabled: unknown NUT_DEBUG_SYSLOG='{v}' value, ignored (assuming enabled)"
            )),
        }
    }

    /// The mode from this process's environment (read once).
    pub fn current() -> SyslogMode {
        static MODE: OnceLock<SyslogMode> = OnceLock::new();
        *MODE.get_or_init(|| SyslogMode::parse(std::env::var("NUT_DEBUG_SYSLOG").ok().as_deref()))
    }

    /// Whether syslog may be used at all.
    pub fn syslog_allowed(self) -> bool {
        self == SyslogMode::Default
    }

    /// Whether going to the background keeps stderr.
    pub fn keeps_stderr(self) -> bool {
        self == SyslogMode::Stderr
    }
}

const TO_STDERR: u8 = 1;
const TO_SYSLOG: u8 = 2;

/// Where lines go (`TO_STDERR` | `TO_SYSLOG`).
static SINKS: AtomicU8 = AtomicU8::new(TO_STDERR);
/// NUT's `nut_debug_level`, as used now.
static DEBUG: AtomicU8 = AtomicU8::new(0);
/// The `-q` count.
static QUIET: AtomicU8 = AtomicU8::new(0);
/// `RUST_LOG`, read once: when it parses, it decides instead of the level.
static RUST_LOG: OnceLock<Option<Targets>> = OnceLock::new();
/// `NUT_DEBUG_PID` is set.
static SHOW_PID: AtomicBool = AtomicBool::new(false);
/// `openlog` was called.
static SYSLOG_OPEN: AtomicBool = AtomicBool::new(false);
/// Start of the program, for the elapsed-time prefix.
static START: OnceLock<Instant> = OnceLock::new();
/// [`init`] has run: before it, the light macros drop their lines, as `tracing` does with no
/// subscriber.
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// The starting debug level: the `-D` count when given, else `NUT_DEBUG_LEVEL` (a number;
/// anything else counts as 0), as NUT's daemons choose it. `NUT_DEBUG_LEVEL` does not make a
/// daemon stay in the foreground: callers decide that from the `-D` count alone.
pub fn starting_level(cli_count: u8, env_value: Option<&str>) -> u8 {
    if cli_count > 0 {
        return cli_count;
    }
    env_value.and_then(|v| v.trim().parse::<u32>().ok()).map(|n| n.min(u8::MAX.into()) as u8).unwrap_or(0)
}

/// Install the logger for `program` with NUT's `-D` count. Calling it twice is harmless (the
/// second call only updates the level), which keeps tests that run several daemons in one
/// process simple.
pub fn init(program: &str, debug_level: u8) {
    init_with_quiet(program, debug_level, 0);
}

/// [`init`] with NUT's `-q` count (`quiet`), which raises the threshold when there is no
/// debugging: one `-q` hides notices (only warnings and errors), two leave errors only, three
/// or more silence the log.
pub fn init_with_quiet(program: &str, debug_level: u8, quiet: u8) {
    START.get_or_init(Instant::now);
    let level = starting_level(debug_level, std::env::var("NUT_DEBUG_LEVEL").ok().as_deref());
    DEBUG.store(level, Ordering::Relaxed);
    QUIET.store(quiet, Ordering::Relaxed);
    SHOW_PID.store(std::env::var_os("NUT_DEBUG_PID").is_some(), Ordering::Relaxed);
    open_syslog(program);
    RUST_LOG.get_or_init(|| std::env::var("RUST_LOG").ok().and_then(|v| v.parse::<Targets>().ok()));
    // The first call installs the subscriber; later ones fail here harmlessly.
    let _ = tracing::subscriber::set_global_default(NutSubscriber);
    INSTALLED.store(true, Ordering::Relaxed);
    static NOTED: AtomicBool = AtomicBool::new(false);
    let value = std::env::var("NUT_DEBUG_SYSLOG").ok();
    if let Some(note) = SyslogMode::unknown_value_note(value.as_deref()) {
        if !NOTED.swap(true, Ordering::Relaxed) {
            crate::info!("{note}");
        }
    }
}

/// [`init`] for a client program (upsc, upscmd, upsrw, upslog) from its `-D` count, with
/// the debug lines NUT 2.8.5's clients start with: where the level came from when it is
/// `NUT_DEBUG_LEVEL`'s, then `Starting NUT client: <program>` (unless `quiet_start`, as upslog).
pub fn init_client(program: &str, dash_d: usize, quiet_start: bool) {
    init(program, dash_d.min(usize::from(u8::MAX)) as u8);
    let level = debug_level();
    if dash_d == 0 && level > 0 {
        crate::debug!(
            "Defaulting debug verbosity to NUT_DEBUG_LEVEL={level} since none was requested by command-line options"
        );
    }
    if !quiet_start {
        crate::debug!("Starting NUT client: {program}");
    }
}

/// The debug level now in force.
pub fn debug_level() -> u8 {
    DEBUG.load(Ordering::Relaxed)
}

/// Set the debug level (a reload that finds `DEBUG_MIN`, a write to `driver.debug`).
pub fn set_debug_level(level: u8) {
    DEBUG.store(level, Ordering::Relaxed);
}

/// Apply a configured minimum (`DEBUG_MIN`, `debug_min`) at start-up: `-D` and
/// `NUT_DEBUG_LEVEL` can only raise the level above it.
pub fn set_debug_min(min: u8) {
    DEBUG.fetch_max(min, Ordering::Relaxed);
}

/// Send lines to syslog too, while still in the foreground (NUT's `syslogbit_set`: upsd,
/// upssched and drivers without debugging do it, so that start-up problems reach the log).
/// Does nothing when `NUT_DEBUG_SYSLOG` disables syslog.
pub fn syslog_also() {
    if SyslogMode::current().syslog_allowed() {
        SINKS.fetch_or(TO_SYSLOG, Ordering::Relaxed);
    }
}

/// The program went to the background: lines go to syslog and no longer to stderr, unless
/// `NUT_DEBUG_SYSLOG` says otherwise (`stderr` keeps stderr and no syslog; `none` neither).
/// ([`crate::background::daemonize`] then logs NUT's `Startup successful` line.)
pub fn backgrounded() {
    let mode = SyslogMode::current();
    let mut sinks = SINKS.load(Ordering::Relaxed);
    if mode.syslog_allowed() {
        sinks |= TO_SYSLOG;
    }
    if !mode.keeps_stderr() {
        sinks &= !TO_STDERR;
    }
    SINKS.store(sinks, Ordering::Relaxed);
}

/// Whether lines go to syslog now.
pub fn to_syslog() -> bool {
    SINKS.load(Ordering::Relaxed) & TO_SYSLOG != 0
}

/// Whether lines go to stderr now.
pub fn to_stderr() -> bool {
    SINKS.load(Ordering::Relaxed) & TO_STDERR != 0
}

fn open_syslog(program: &str) {
    if !SyslogMode::current().syslog_allowed() || SYSLOG_OPEN.swap(true, Ordering::Relaxed) {
        return;
    }
    // openlog keeps the pointer: the ident must live as long as the process.
    let ident = CString::new(program.replace('\0', "")).unwrap_or_default();
    let ident: &'static std::ffi::CStr = Box::leak(ident.into_boxed_c_str());
    // SAFETY: `ident` is a NUL-terminated string that is never freed. LOG_NDELAY connects to
    // /dev/log now, before any chroot or privilege drop, as NUT does.
    unsafe { libc::openlog(ident.as_ptr(), libc::LOG_PID | libc::LOG_NDELAY, libc::LOG_DAEMON) };
}

/// Whether an event of `level` passes the debug level and `-q` count.
fn level_enabled(level: Level, debug: u8, quiet: u8) -> bool {
    match level {
        Level::TRACE => debug >= 2,
        Level::DEBUG => debug >= 1,
        _ if debug > 0 => true,
        Level::INFO => quiet == 0,
        Level::WARN => quiet <= 1,
        _ => quiet <= 2,
    }
}

/// NUT's upsdebugx level of a tracing level (0 for the upslogx ones).
fn nut_level(level: Level) -> u8 {
    match level {
        Level::TRACE => 2,
        Level::DEBUG => 1,
        _ => 0,
    }
}

fn syslog_priority(level: Level) -> libc::c_int {
    match level {
        Level::ERROR => libc::LOG_ERR,
        Level::WARN => libc::LOG_WARNING,
        Level::INFO => libc::LOG_INFO,
        _ => libc::LOG_DEBUG,
    }
}

/// The text of one line without the elapsed-time prefix: `[D<n>]` (or `[D<n>:<pid>]`) for
/// debug lines, then the message and any other fields as `key=value`.
pub fn format_line(level: u8, pid: Option<u32>, message: &str, fields: &[(String, String)]) -> String {
    let mut s = String::with_capacity(message.len() + 16);
    if level > 0 {
        match pid {
            Some(p) => {
                let _ = write!(s, "[D{level}:{p}] ");
            }
            None => {
                let _ = write!(s, "[D{level}] ");
            }
        }
    }
    s.push_str(message);
    for (k, v) in fields {
        let _ = write!(s, " {k}={v}");
    }
    s
}

/// NUT's elapsed-time prefix of stderr lines when debugging: `%4.0f.%06ld\t`.
pub fn elapsed_prefix(elapsed: std::time::Duration) -> String {
    format!("{:4}.{:06}\t", elapsed.as_secs(), elapsed.subsec_micros())
}

#[derive(Default)]
struct Fields {
    message: String,
    rest: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            self.rest.push((field.name().to_string(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            self.rest.push((field.name().to_string(), format!("{value:?}")));
        }
    }
}

/// The `tracing` subscriber that filters by the NUT debug level (or `RUST_LOG`) and writes
/// the lines. Our programs log events only, never spans, so it keeps no span registry (the
/// registry's slab cost every driver 32 KiB of heap).
struct NutSubscriber;

impl Subscriber for NutSubscriber {
    fn register_callsite(&self, _meta: &'static Metadata<'static>) -> Interest {
        // The level changes at run time: ask `enabled` every time.
        Interest::sometimes()
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        match RUST_LOG.get().and_then(Option::as_ref) {
            Some(targets) => targets.would_enable(meta.target(), meta.level()),
            None => {
                level_enabled(*meta.level(), DEBUG.load(Ordering::Relaxed), QUIET.load(Ordering::Relaxed))
            }
        }
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    // Spans are not used: every span gets the same id and nothing is recorded for it.
    fn new_span(&self, _span: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }

    fn record(&self, _span: &span::Id, _values: &span::Record<'_>) {}

    fn record_follows_from(&self, _span: &span::Id, _follows: &span::Id) {}

    fn enter(&self, _span: &span::Id) {}

    fn exit(&self, _span: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let level = *event.metadata().level();
        let mut f = Fields::default();
        event.record(&mut f);
        write_event(level, &f.message, &f.rest);
    }
}

/// Whether a line of `level` from `target` (a module path) is logged now: the NUT debug level
/// and `-q` count, or `RUST_LOG` when it is set. Used by the light macros ([`crate::debug!`]...).
#[doc(hidden)]
pub fn enabled(target: &str, level: Level) -> bool {
    if !INSTALLED.load(Ordering::Relaxed) {
        return false;
    }
    match RUST_LOG.get().and_then(Option::as_ref) {
        Some(targets) => targets.would_enable(target, &level),
        None => level_enabled(level, DEBUG.load(Ordering::Relaxed), QUIET.load(Ordering::Relaxed)),
    }
}

/// Write one line of the light macros (the caller checked [`enabled`]).
#[doc(hidden)]
#[inline(never)]
pub fn emit(level: Level, args: std::fmt::Arguments<'_>) {
    match args.as_str() {
        Some(text) => write_event(level, text, &[]),
        None => write_event(level, &args.to_string(), &[]),
    }
}

/// Log at NUT's upslogx level (error): `nut_daemon::error!("...", args)`. The light macros
/// take `format!` arguments only (no `tracing` fields) and cost one level test and one call
/// per site, where a `tracing` event carries its own metadata: drivers, one process per UPS,
/// use them to stay small. Lines look the same either way.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => {
        if $crate::log::enabled(module_path!(), $crate::log::Level::ERROR) {
            $crate::log::emit($crate::log::Level::ERROR, format_args!($($arg)+))
        }
    };
}

/// Log a warning (NUT's upslogx), as [`crate::error!`].
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => {
        if $crate::log::enabled(module_path!(), $crate::log::Level::WARN) {
            $crate::log::emit($crate::log::Level::WARN, format_args!($($arg)+))
        }
    };
}

/// Log a notice (NUT's upslogx), as [`crate::error!`].
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => {
        if $crate::log::enabled(module_path!(), $crate::log::Level::INFO) {
            $crate::log::emit($crate::log::Level::INFO, format_args!($($arg)+))
        }
    };
}

/// Log at NUT's upsdebugx level 1, as [`crate::error!`].
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => {
        if $crate::log::enabled(module_path!(), $crate::log::Level::DEBUG) {
            $crate::log::emit($crate::log::Level::DEBUG, format_args!($($arg)+))
        }
    };
}

/// Log at NUT's upsdebugx level 2 and up, as [`crate::error!`].
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => {
        if $crate::log::enabled(module_path!(), $crate::log::Level::TRACE) {
            $crate::log::emit($crate::log::Level::TRACE, format_args!($($arg)+))
        }
    };
}

/// Format and write one line to the sinks (stderr with the elapsed prefix, syslog).
fn write_event(level: Level, message: &str, rest: &[(String, String)]) {
    let pid = SHOW_PID.load(Ordering::Relaxed).then(std::process::id);
    let line = format_line(nut_level(level), pid, message, rest);
    let sinks = SINKS.load(Ordering::Relaxed);
    if sinks & TO_STDERR != 0 {
        let mut out = String::with_capacity(line.len() + 16);
        if DEBUG.load(Ordering::Relaxed) > 0 {
            out.push_str(&elapsed_prefix(START.get_or_init(Instant::now).elapsed()));
        }
        out.push_str(&line);
        out.push('\n');
        // One write per line, so lines of several threads do not mix.
        let _ = std::io::stderr().lock().write_all(out.as_bytes());
    }
    if sinks & TO_SYSLOG != 0 && SYSLOG_OPEN.load(Ordering::Relaxed) {
        let text = CString::new(line.replace('\0', "")).unwrap_or_default();
        // SAFETY: both strings are NUL-terminated; "%s" takes exactly one string argument.
        unsafe { libc::syslog(syslog_priority(level), c"%s".as_ptr(), text.as_ptr()) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_raises_the_threshold_and_debug_wins() {
        assert!(level_enabled(Level::INFO, 0, 0));
        assert!(!level_enabled(Level::DEBUG, 0, 0));
        assert!(!level_enabled(Level::INFO, 0, 1));
        assert!(level_enabled(Level::WARN, 0, 1));
        assert!(!level_enabled(Level::WARN, 0, 2));
        assert!(level_enabled(Level::ERROR, 0, 2));
        assert!(!level_enabled(Level::ERROR, 0, 5));
        assert!(level_enabled(Level::DEBUG, 1, 3));
        assert!(level_enabled(Level::INFO, 1, 3));
        assert!(!level_enabled(Level::TRACE, 1, 0));
        assert!(level_enabled(Level::TRACE, 3, 0));
    }

    #[test]
    fn cli_count_wins_over_nut_debug_level() {
        assert_eq!(starting_level(0, None), 0);
        assert_eq!(starting_level(0, Some("3")), 3);
        assert_eq!(starting_level(2, Some("5")), 2);
        assert_eq!(starting_level(0, Some("x")), 0);
        assert_eq!(starting_level(0, Some("999")), 255);
    }

    #[test]
    fn nut_debug_syslog_values() {
        assert_eq!(SyslogMode::parse(None), SyslogMode::Default);
        assert_eq!(SyslogMode::parse(Some("stderr")), SyslogMode::Stderr);
        assert_eq!(SyslogMode::parse(Some("none")), SyslogMode::Off);
        assert_eq!(SyslogMode::parse(Some("false")), SyslogMode::Off);
        assert_eq!(SyslogMode::parse(Some("default")), SyslogMode::Default);
        assert_eq!(SyslogMode::parse(Some("bogus")), SyslogMode::Default);
        assert!(SyslogMode::Stderr.keeps_stderr() && !SyslogMode::Stderr.syslog_allowed());
        assert!(!SyslogMode::Off.keeps_stderr() && !SyslogMode::Off.syslog_allowed());
        // NUT says so when it does not know the value.
        for v in
            [None, Some("stderr"), Some("none"), Some("false"), Some("syslog"), Some("true"), Some("default")]
        {
            assert_eq!(SyslogMode::unknown_value_note(v), None, "{v:?}");
        }
        assert_eq!(
            SyslogMode::unknown_value_note(Some("bogus")).as_deref(),
            Some("syslog_is_disabled: unknown NUT_DEBUG_SYSLOG='bogus' value, ignored (assuming enabled)")
        );
    }

    #[test]
    fn lines_look_like_nuts() {
        assert_eq!(
            format_line(0, None, "listening on 127.0.0.1 port 3493", &[]),
            "listening on 127.0.0.1 port 3493"
        );
        assert_eq!(format_line(1, None, "Connect from 127.0.0.1", &[]), "[D1] Connect from 127.0.0.1");
        assert_eq!(format_line(2, Some(42), "x", &[("k".into(), "v".into())]), "[D2:42] x k=v");
        assert_eq!(elapsed_prefix(std::time::Duration::from_micros(1_000_123)), "   1.000123\t");
    }
}
