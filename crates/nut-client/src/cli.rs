//! Helpers shared by the client programs (upsc, upscmd, upsrw, upslog): NUT-style fatal
//! messages followed by our hint line, the interactive user name / password prompts, and the
//! login, tracking and reply handling of the requests upscmd and upsrw queue for a driver.
#![allow(unsafe_code)]

use std::fs::OpenOptions;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use crate::error::Error;

/// Print `msg` on stderr as NUT's `fatalx` does (just the text and a newline).
pub fn say(msg: &str) {
    let mut e = io::stderr().lock();
    let _ = writeln!(e, "{msg}");
}

/// Write `s` to stdout and flush; a closed pipe (`upsc ups | head -1`) is not an error worth
/// reporting.
pub fn print(s: &str) {
    let mut o = io::stdout().lock();
    let _ = o.write_all(s.as_bytes());
    let _ = o.flush();
}

/// [`say`] `msg` and give the exit status 1, as NUT's `fatalx`.
pub fn fatal(msg: &str) -> ExitCode {
    say(msg);
    ExitCode::FAILURE
}

/// Print NUT's line for an error (`{prefix}{nut_message}`), then our hint on a second line
/// when we have one. Scripts matching NUT's first line keep working.
pub fn report(program: &str, prefix: &str, e: &Error) {
    say(&format!("{prefix}{}", e.nut_message()));
    if let Some(h) = e.hint() {
        say(&format!("{program}: hint: {h}"));
    }
}

/// Parse the `<ups>[@<host>[:<port>]]` operand and connect to its upsd, as upscmd and upsrw
/// do: a bad name prints NUT's parse message and `Error: invalid UPS definition...`, a failed
/// connection `Error: <NUT's message>` and our hint. The `Err` is the exit status.
pub fn connect_ups(program: &str, operand: &str) -> Result<(crate::UpsName, crate::Client), ExitCode> {
    let name = crate::UpsName::parse(operand).map_err(|e| {
        say(e.nut_message());
        fatal("Error: invalid UPS definition.  Required format: upsname[@hostname[:port]]")
    })?;
    match crate::Client::connect_env(&name.host, name.port) {
        Ok(c) => Ok((name, c)),
        Err(e) => {
            report(program, "Error: ", &e);
            Err(ExitCode::FAILURE)
        }
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
