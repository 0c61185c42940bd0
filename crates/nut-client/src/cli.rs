//! Helpers shared by the client programs (upsc, upscmd, upsrw, upslog): NUT-style fatal
//! messages followed by our hint line, the interactive user name / password prompts, the
//! login, tracking and reply handling of the requests upscmd and upsrw queue for a driver, and
//! NUT 2.8.5's connect timeout (`-W`, `NUT_DEFAULT_CONNECT_TIMEOUT`).
#![allow(unsafe_code)]

use std::fs::OpenOptions;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use crate::error::Error;

/// Print `msg` on stderr as it is (NUT's `fprintf(stderr, ...)` lines).
pub fn say(msg: &str) {
    let mut e = io::stderr().lock();
    let _ = writeln!(e, "{msg}");
}

/// How serious a line that NUT sends through its logger (`upslogx`, `fatalx`) is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// `fatalx` and `LOG_ERR`.
    Error,
    /// `LOG_WARNING`.
    Warning,
    /// `LOG_INFO` and `LOG_NOTICE`.
    Info,
}

/// Log one line as NUT's `upslogx`/`fatalx` would: through the program's logger when it has
/// installed one (`nut_daemon::log`, which adds NUT's elapsed-time prefix while debugging and
/// goes to syslog once in the background), else on stderr as it is.
pub fn log(sev: Severity, msg: &str) {
    if !tracing::dispatcher::has_been_set() {
        return say(msg);
    }
    match sev {
        Severity::Error => tracing::error!("{msg}"),
        Severity::Warning => tracing::warn!("{msg}"),
        Severity::Info => tracing::info!("{msg}"),
    }
}

/// Write `s` to stdout and flush; a closed pipe (`upsc ups | head -1`) is not an error worth
/// reporting.
pub fn print(s: &str) {
    let mut o = io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

/// Log `msg` as an error and give the exit status 1, as NUT's `fatalx`.
pub fn fatal(msg: &str) -> ExitCode {
    log(Severity::Error, msg);
    ExitCode::FAILURE
}

/// Print NUT's line for an error (`{prefix}{nut_message}`), then our hint on a second line
/// when we have one. Scripts matching NUT's first line keep working.
pub fn report(program: &str, prefix: &str, e: &Error) {
    log(Severity::Error, &format!("{prefix}{}", e.nut_message()));
    if let Some(h) = e.hint() {
        log(Severity::Error, &format!("{program}: hint: {h}"));
    }
}

/// Parse the `<ups>[@<host>[:<port>]]` operand and connect to its upsd, as upscmd and upsrw
/// do: a bad name prints NUT's parse message and `Error: invalid UPS definition...`, a failed
/// connection `Error: <NUT's message>` and our hint. The `Err` is the exit status.
pub fn connect_ups(program: &str, operand: &str) -> Result<(crate::UpsName, crate::Client), ExitCode> {
    connect_ups_with(program, operand, &crate::Options::default())
}

/// [`connect_ups`] with explicit connection settings (`-W`).
pub fn connect_ups_with(
    program: &str,
    operand: &str,
    opts: &crate::Options,
) -> Result<(crate::UpsName, crate::Client), ExitCode> {
    let name = crate::UpsName::parse(operand).map_err(|e| {
        say(e.nut_message());
        fatal("Error: invalid UPS definition.  Required format: upsname[@hostname[:port]]")
    })?;
    match connect(&name.host, name.port, opts) {
        Ok(c) => Ok((name, c)),
        Err(e) => {
            report(program, "Error: ", &e);
            Err(ExitCode::FAILURE)
        }
    }
}

/// Connect as NUT's clients do ([`crate::Client::connect_env_with`]); when the connect timed
/// out, first log NUT's warning naming the address
/// (`upscli_tryconnect: Connection to host timed out: '127.0.0.1'`).
pub fn connect(host: &str, port: u16, opts: &crate::Options) -> crate::Result<crate::Client> {
    crate::Client::connect_env_with(host, port, opts).inspect_err(|e| {
        if let Some(w) = timed_out_warning(e) {
            log(Severity::Warning, &w);
        }
    })
}

/// NUT's warning for a connect that timed out, or `None` for any other error.
pub fn timed_out_warning(e: &Error) -> Option<String> {
    match e {
        Error::Connect { addr, source } if source.raw_os_error() == Some(libc::ETIMEDOUT) => {
            let ip = addr.parse::<std::net::SocketAddr>().map(|a| a.ip().to_string()).unwrap_or(addr.clone());
            Some(format!("upscli_tryconnect: Connection to host timed out: '{ip}'"))
        }
        _ => None,
    }
}

/// NUT's built-in connect timeout of upsc, upscmd, upsrw and upslog, in seconds.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: &str = "10";

/// Parse a number of seconds as NUT's `upscli_set_default_connect_timeout` does: surrounding
/// white space is ignored; only digits, signs, `.` and exponents (`1.5`, `2e1`); no overflow
/// or underflow; negative values are refused except zero. Zero (`0`, `-0`, `0.0`) means no
/// timeout: the connect waits as long as the system does (`Duration::ZERO`). Fractions count
/// to the microsecond.
pub fn parse_connect_timeout(s: &str) -> Option<Duration> {
    let t = s.trim_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    if t.is_empty() || !t.chars().all(|c| "-+.0123456789Ee".contains(c)) {
        return None;
    }
    let x: f64 = t.parse().ok()?;
    if !x.is_finite() {
        return None;
    }
    let mantissa = t.split(['e', 'E']).next().unwrap_or("");
    if x == 0.0 && mantissa.chars().any(|c| ('1'..='9').contains(&c)) {
        return None; // underflow: strtod reports ERANGE
    }
    if x.abs() <= f64::EPSILON {
        return Some(Duration::ZERO);
    }
    if x < 0.0 {
        return None;
    }
    // Whole seconds plus the microseconds, truncated as NUT's timeval is.
    Some(Duration::from_micros((x * 1e6) as u64))
}

/// The connect timeout in force and where it came from, decided as NUT 2.8.5's
/// `upscli_init_default_connect_timeout`: the program's default, overridden by a valid
/// `NUT_DEFAULT_CONNECT_TIMEOUT`, overridden by a valid `-W`. An invalid value is ignored with
/// NUT's warning (the previous choice stays).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTimeout {
    /// The timeout; zero waits as long as the system does.
    pub timeout: Duration,
    /// NUT's name for the source: `default_secs`, `envvar_secs` or `cli_secs`.
    pub source: &'static str,
    /// NUT's warnings about ignored values, to log.
    pub warnings: Vec<String>,
}

impl ConnectTimeout {
    /// Decide from the `-W` value (`cli`) and the `NUT_DEFAULT_CONNECT_TIMEOUT` value (`env`),
    /// with [`DEFAULT_CONNECT_TIMEOUT_SECS`] as the default.
    pub fn resolve(cli: Option<&str>, env: Option<&str>) -> ConnectTimeout {
        let mut ct = ConnectTimeout {
            timeout: parse_connect_timeout(DEFAULT_CONNECT_TIMEOUT_SECS).unwrap_or_default(),
            source: "default_secs",
            warnings: Vec::new(),
        };
        for (value, source, what) in
            [(env, "envvar_secs", "NUT_DEFAULT_CONNECT_TIMEOUT"), (cli, "cli_secs", "cli_secs")]
        {
            let Some(v) = value else { continue };
            match parse_connect_timeout(v) {
                Some(t) => {
                    ct.timeout = t;
                    ct.source = source;
                }
                None => ct.warnings.push(format!(
                    "upscli_init_default_connect_timeout: {what}='{v}' value was not recognized, ignored"
                )),
            }
        }
        ct
    }

    /// [`ConnectTimeout::resolve`] with `NUT_DEFAULT_CONNECT_TIMEOUT` from the environment.
    pub fn from_env(cli: Option<&str>) -> ConnectTimeout {
        Self::resolve(cli, std::env::var("NUT_DEFAULT_CONNECT_TIMEOUT").ok().as_deref())
    }

    /// NUT's debug line (level 1) saying which timeout applies.
    pub fn debug_line(&self) -> String {
        format!(
            "upscli_init_default_connect_timeout: upscli_default_connect_timeout={}.{:06} sec assigned from: {}",
            self.timeout.as_secs(),
            self.timeout.subsec_micros(),
            self.source
        )
    }

    /// Connection settings with this timeout.
    pub fn options(&self) -> crate::Options {
        crate::Options { connect_timeout: self.timeout, ..crate::Options::default() }
    }

    /// What a client does with `-W` at start: decide with the environment, log NUT's warnings
    /// for values it cannot read and its debug line, and return the connection settings.
    pub fn apply(cli_secs: Option<&str>) -> crate::Options {
        let ct = Self::from_env(cli_secs);
        for w in &ct.warnings {
            log(Severity::Warning, w);
        }
        tracing::debug!("{}", ct.debug_line());
        ct.options()
    }
}

/// The login name of the current user, used as the default in `Username (<name>): `.
pub fn current_user() -> String {
    // SAFETY: getpwuid returns a pointer to static storage or NULL; we copy the name out
    // immediately and this program is single-threaded at this point.
    unsafe {
        let pw = libc::getpwuid(libc::getuid());
        if !pw.is_null() && !(*pw).pw_name.is_null() {
            return std::ffi::CStr::from_ptr((*pw).pw_name).to_string_lossy().into_owned();
        }
    }
    std::env::var("USER").unwrap_or_else(|_| "root".into())
}

/// Print `prompt` on stdout and read one line from stdin; `None` at end of input.
pub fn prompt_line(prompt: &str) -> Option<String> {
    let mut out = io::stdout().lock();
    let _ = out.write_all(prompt.as_bytes());
    let _ = out.flush();
    drop(out);
    let mut line = String::new();
    match io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
    }
}

/// Read a password like `getpass(3)`: from the terminal with echo off, or, when there is no
/// terminal, with the prompt on stderr and the answer from stdin. `None` when nothing could
/// be read (end of input), so callers skip `PASSWORD` as NUT does.
pub fn getpass(prompt: &str) -> Option<String> {
    if let Ok(tty) = OpenOptions::new().read(true).write(true).open("/dev/tty") {
        return read_tty_password(tty, prompt);
    }
    let mut e = io::stderr().lock();
    let _ = e.write_all(prompt.as_bytes());
    let _ = e.flush();
    drop(e);
    let mut line = String::new();
    match io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
    }
}

fn read_tty_password(mut tty: std::fs::File, prompt: &str) -> Option<String> {
    use std::os::fd::AsRawFd;
    let fd = tty.as_raw_fd();
    // SAFETY: termios is plain data; tcgetattr fills it for a valid open fd.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    let have_termios = unsafe { libc::tcgetattr(fd, &mut saved) } == 0;
    if have_termios {
        let mut quiet = saved;
        quiet.c_lflag &= !(libc::ECHO | libc::ECHONL);
        // SAFETY: fd is valid and `quiet` is a copy of the terminal's own settings.
        unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &quiet) };
    }
    let _ = tty.write_all(prompt.as_bytes());
    let _ = tty.flush();
    let mut line = String::new();
    let r = io::BufReader::new(&tty).read_line(&mut line);
    if have_termios {
        // SAFETY: restores the settings read above on the same fd.
        unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &saved) };
        let _ = tty.write_all(b"\n");
    }
    match r {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
    }
}

/// Send `USERNAME` and, when given, `PASSWORD`, with the messages NUT's upscmd/upsrw print on
/// failure. The `Err` is the text to print before exiting with status 1.
pub fn send_credentials(c: &mut crate::Client, user: &str, pass: Option<&str>) -> Result<(), String> {
    c.send_line(&format!("USERNAME {}", nut_proto::words::quote_if_needed(user)))
        .map_err(|e| format!("Can't set username: {}", e.nut_message()))?;
    let r = c.read_line().map_err(|e| format!("Set username failed: {}", e.nut_message()))?;
    if !r.starts_with("OK") {
        return Err(format!("Set username failed: {r}"));
    }
    let Some(pass) = pass else { return Ok(()) };
    c.send_line(&format!("PASSWORD {}", nut_proto::words::quote_if_needed(pass)))
        .map_err(|e| format!("Can't set password: {}", e.nut_message()))?;
    let r = c.read_line().map_err(|e| format!("Set password failed: {}", e.nut_message()))?;
    if !r.starts_with("OK") {
        return Err(format!("Set password failed: {r}"));
    }
    Ok(())
}

/// Turn on TRACKING for `-w`, with NUT's messages.
pub fn enable_tracking(c: &mut crate::Client) -> Result<(), String> {
    c.send_line("SET TRACKING ON")
        .map_err(|e| format!("Can't enable command tracking: {}", e.nut_message()))?;
    let r = c.read_line().map_err(|e| format!("Enabling command tracking failed: {}", e.nut_message()))?;
    if !r.starts_with("OK") {
        return Err(format!("Enabling command tracking failed. upsd answered: {r}"));
    }
    Ok(())
}

/// After `OK TRACKING <id>`, poll `GET TRACKING <id>` once a second until the answer is not
/// `PENDING` or `timeout` passes. Returns the final answer line (`SUCCESS`, `ERR FAILED`...).
pub fn wait_tracking(
    c: &mut crate::Client,
    id: &str,
    timeout: std::time::Duration,
) -> Result<String, String> {
    let start = std::time::Instant::now();
    loop {
        if start.elapsed() >= timeout {
            return Err("Can't receive status tracking information: timeout".into());
        }
        c.send_line(&format!("GET TRACKING {id}"))
            .map_err(|e| format!("Can't send status tracking request: {}", e.nut_message()))?;
        let r = c
            .read_line()
            .map_err(|e| format!("Can't receive status tracking information: {}", e.nut_message()))?;
        if !r.starts_with("PENDING") {
            return Ok(r);
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

/// Parse `-t <seconds>` as NUT does; the `Err` is NUT's message.
pub fn parse_timeout(s: &str) -> Result<u64, String> {
    s.trim().parse::<u64>().map_err(|_| {
        "Could not convert the provided value for timeout ('-t' option) to unsigned int: Invalid argument"
            .to_string()
    })
}

/// The user name for upscmd/upsrw when `-u` was not given: NUT prompts
/// `Username (<login name>): ` on stdout and an empty answer takes the login name. At end of
/// input upscmd stops with `Error reading from stdin!` (`Err`) while upsrw takes the login
/// name too: `default_at_eof` picks which.
pub fn username(given: Option<String>, default_at_eof: bool) -> Result<String, String> {
    if let Some(u) = given {
        return Ok(u);
    }
    let def = current_user();
    match prompt_line(&format!("Username ({def}): ")) {
        None if !default_at_eof => Err("Error reading from stdin!".into()),
        Some(u) if !u.is_empty() => Ok(u),
        _ => Ok(def),
    }
}

/// Log in as upscmd/upsrw do before a queued request: the password from `-p` or else from
/// [`getpass`] (none sent when empty), `USERNAME`/`PASSWORD` with
/// [`send_credentials`], then `SET TRACKING ON` when `track` (`-w`). The `Err` is the text to
/// print before exiting with status 1.
pub fn login_for_request(
    c: &mut crate::Client,
    user: &str,
    pass: Option<String>,
    track: bool,
) -> Result<(), String> {
    let pass = pass.or_else(|| getpass("Password: ")).filter(|p| !p.is_empty());
    send_credentials(c, user, pass.as_deref())?;
    if track {
        enable_tracking(c)?;
    }
    Ok(())
}

/// What upscmd and upsrw print for upsd's answer to `INSTCMD` / `SET VAR`, and their exit
/// status. Anything but `OK` is `Unexpected response from upsd: <line>` plus our hint for the
/// `ERR` code. With `wait` (`-w`) and a tracking id, the final tracking result is printed;
/// otherwise the `OK` line, and without `-w` our `note` that upsd only queued the request.
pub fn report_queued(
    c: &mut crate::Client,
    program: &str,
    reply: &str,
    wait: Option<std::time::Duration>,
    note: &str,
) -> ExitCode {
    if !reply.starts_with("OK") {
        say(&format!("Unexpected response from upsd: {reply}"));
        let code = reply.strip_prefix("ERR ").and_then(|r| r.split_whitespace().next());
        if let Some(code) = code.and_then(|c| c.parse::<crate::ErrCode>().ok()) {
            if !code.explain().is_empty() {
                say(&format!("{program}: hint: {}", code.explain()));
            }
        }
        return ExitCode::FAILURE;
    }
    match (wait, crate::tracking_id(reply)) {
        (Some(t), Some(id)) => {
            let id = id.to_string();
            match wait_tracking(c, &id, t) {
                Ok(r) => say(&r),
                Err(m) => return fatal(&m),
            }
        }
        _ => {
            say(reply);
            if wait.is_none() {
                say(&format!("{program}: note: {note}"));
            }
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_timeout_values_read_as_nut_does() {
        let ms = |n: u64| Some(Duration::from_millis(n));
        assert_eq!(parse_connect_timeout("10"), ms(10_000));
        assert_eq!(parse_connect_timeout(" 1.5\t"), ms(1_500));
        assert_eq!(parse_connect_timeout("2e1"), ms(20_000));
        assert_eq!(parse_connect_timeout("+3"), ms(3_000));
        assert_eq!(parse_connect_timeout(".25"), ms(250));
        assert_eq!(parse_connect_timeout("0.0000015"), Some(Duration::from_micros(1)));
        // Zero (of any sign) is NUT's blocking connect.
        for zero in ["0", "-0", "0.0", "0e5"] {
            assert_eq!(parse_connect_timeout(zero), Some(Duration::ZERO), "{zero}");
        }
        // Refused: negative, junk, hex, words, overflow, underflow, empty.
        for bad in ["-1", "abc", "1s", "0x10", "inf", "nan", "1e999", "1e-400", "", " ", "1 2", "--1", "1e"] {
            assert_eq!(parse_connect_timeout(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn connect_timeout_sources_in_nuts_order() {
        let t = ConnectTimeout::resolve(None, None);
        assert_eq!((t.timeout, t.source), (Duration::from_secs(10), "default_secs"));
        assert!(t.warnings.is_empty());
        assert_eq!(
            t.debug_line(),
            "upscli_init_default_connect_timeout: upscli_default_connect_timeout=10.000000 sec assigned from: default_secs"
        );
        let t = ConnectTimeout::resolve(None, Some("3"));
        assert_eq!((t.timeout, t.source), (Duration::from_secs(3), "envvar_secs"));
        let t = ConnectTimeout::resolve(Some("0.5"), Some("3"));
        assert_eq!((t.timeout, t.source), (Duration::from_millis(500), "cli_secs"));
        assert!(t.debug_line().ends_with("=0.500000 sec assigned from: cli_secs"));
        let t = ConnectTimeout::resolve(Some("x"), Some("3"));
        assert_eq!((t.timeout, t.source), (Duration::from_secs(3), "envvar_secs"));
        assert_eq!(
            t.warnings,
            ["upscli_init_default_connect_timeout: cli_secs='x' value was not recognized, ignored"]
        );
        let t = ConnectTimeout::resolve(Some("0"), Some("y"));
        assert_eq!((t.timeout, t.source), (Duration::ZERO, "cli_secs"));
        assert_eq!(
            t.warnings,
            ["upscli_init_default_connect_timeout: NUT_DEFAULT_CONNECT_TIMEOUT='y' value was not recognized, ignored"]
        );
        assert_eq!(t.options().connect_timeout, Duration::ZERO);
    }

    #[test]
    fn timed_out_warning_names_the_address() {
        let e = Error::Connect {
            addr: "127.0.0.1:3493".into(),
            source: io::Error::from_raw_os_error(libc::ETIMEDOUT),
        };
        assert_eq!(e.nut_message(), "Connection failure: Connection timed out");
        assert_eq!(
            timed_out_warning(&e).as_deref(),
            Some("upscli_tryconnect: Connection to host timed out: '127.0.0.1'")
        );
        let e = Error::Connect {
            addr: "[::1]:3493".into(),
            source: io::Error::from_raw_os_error(libc::ETIMEDOUT),
        };
        assert_eq!(
            timed_out_warning(&e).as_deref(),
            Some("upscli_tryconnect: Connection to host timed out: '::1'")
        );
        let e = Error::Connect {
            addr: "127.0.0.1:3493".into(),
            source: io::Error::from_raw_os_error(libc::ECONNREFUSED),
        };
        assert_eq!(timed_out_warning(&e), None);
    }
}
