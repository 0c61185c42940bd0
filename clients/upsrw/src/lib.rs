//! `upsrw`: lists a UPS's writable variables and sets them through upsd.
//!
//! Output, messages and exit codes are NUT 2.8's, without the `Init SSL` noise. Additions
//! on stderr only: a `upsrw: hint: ...` line after errors we can explain, and NUT 2.8.5's
//! note that a plain `OK` (without `-w`) only means upsd queued the change.
//!
//! NUT 2.8.5's common flags: `-D` (repeatable) raises the debug level (debug lines on stderr;
//! without it `NUT_DEBUG_LEVEL` applies) and `-W <secs>` sets the connect timeout (default
//! 10 s, or `NUT_DEFAULT_CONNECT_TIMEOUT`; 0 waits as long as the system does; an unreadable
//! value is ignored with NUT's warning). `-h` prints NUT 2.8.0's text.

use std::process::ExitCode;
use std::time::Duration;

use nut_client::cli::{self, fatal, print, report, say, ConnectTimeout};
use nut_client::{quote_if_needed, Client};
use nut_core::getopt::{self, Opt};
use nut_core::num::atoi;

const USAGE: &str = "
usage: upsrw [-h]
       upsrw [-s <variable>] [-u <username>] [-p <password>] [-w] [-t <timeout>] <ups>

Demo program to set variables within UPS hardware.

  -h            display this help text
  -s <variable>\tspecify variable to be changed
\t\tuse -s VAR=VALUE to avoid prompting for value
  -l            show all possible read/write variables.
  -u <username> set username for command authentication
  -p <password> set password for command authentication
  -w            wait for the completion of setting by the driver
                and return its actual result from the device
  -t <timeout>\tset a timeout when using -w (in seconds, default: 10)

  <ups>         UPS identifier - <upsname>[@<hostname>[:<port>]]

Call without -s to show all possible read/write variables (same as -l).
";

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    // glibc names the program as invoked in its flag errors.
    let argv0 = args.first().map(String::as_str).unwrap_or("upsrw");
    let p = getopt::parse(&args[1.min(args.len())..], "+Dhls:p:t:u:wVW:");
    nut_daemon::log::init_client("upsrw", p.count('D'), false);
    let mut wait_connect = None;
    let (mut set, mut wait, mut user, mut pass, mut timeout) = (None, false, None, None, 10u64);
    for o in &p.opts {
        match o {
            Opt::Flag('D') => {}
            Opt::Arg('W', v) => wait_connect = Some(v.clone()),
            // -l is the default action; NUT accepts it for clarity.
            Opt::Flag('l') => {}
            Opt::Flag('w') => wait = true,
            Opt::Arg('s', v) => set = Some(v.clone()),
            Opt::Arg('u', v) => user = Some(v.clone()),
            Opt::Arg('p', v) => pass = Some(v.clone()),
            Opt::Arg('t', v) => match cli::parse_timeout(v) {
                Ok(t) => timeout = t,
                Err(m) => return fatal(&m),
            },
            Opt::Flag('V') => {
                // NUT's upsrw prints its version on stdout (upsc and upscmd use stderr).
                print(&format!("{}\n", nut_core::banner("upsrw")));
                return ExitCode::SUCCESS;
            }
            bad @ (Opt::Unknown(_) | Opt::MissingArg(_)) => {
                say(&bad.glibc_message(argv0).unwrap_or_default());
                return usage();
            }
            _ => return usage(),
        }
    }
    let opts = ConnectTimeout::apply(wait_connect.as_deref());
    let Some(first) = p.operands.first() else { return usage() };
    let (name, mut c) = match cli::connect_ups_with("upsrw", first, &opts) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let code = match set {
        Some(s) => do_set(&mut c, &name.ups, &s, user, pass, wait.then(|| Duration::from_secs(timeout))),
        None => print_rwlist(&mut c, &name.ups),
    };
    let _ = c.logout();
    code
}

fn do_set(
    c: &mut Client,
    ups: &str,
    spec: &str,
    user: Option<String>,
    pass: Option<String>,
    wait: Option<Duration>,
) -> ExitCode {
    let (var, value) = match spec.split_once('=') {
        Some((k, v)) => (k.to_string(), v.to_string()),
        None => {
            // Like NUT, an unreadable answer sets the empty value.
            let v = cli::prompt_line(&format!("Enter new value for {spec}: ")).unwrap_or_default();
            (spec.to_string(), v)
        }
    };
    let user = match cli::username(user, true) {
        Ok(u) => u,
        Err(m) => return fatal(&m),
    };
    if let Err(m) = cli::login_for_request(c, &user, pass, wait.is_some()) {
        return fatal(&m);
    }
    let line =
        format!("SET VAR {} {} {}", quote_if_needed(ups), quote_if_needed(&var), nut_client::quote(&value));
    if let Err(e) = c.send_line(&line) {
        return fatal(&format!("Can't set variable: {}", e.nut_message()));
    }
    let reply = match c.read_line() {
        Ok(r) => r,
        Err(e) => return fatal(&format!("Set variable failed: {}", e.nut_message())),
    };
    let note = "OK means upsd queued the change for the driver; use -w to wait for its result";
    cli::report_queued(c, "upsrw", &reply, wait, note)
}

fn print_rwlist(c: &mut Client, ups: &str) -> ExitCode {
    let vars = match c.list_rw(ups) {
        Ok(v) => v,
        Err(e) => {
            report("upsrw", "Error: ", &e);
            return ExitCode::FAILURE;
        }
    };
    let mut out = String::new();
    for (var, _) in &vars {
        out.push_str(&format!("[{var}]\n"));
        match c.get_desc(ups, var) {
            Ok(d) => out.push_str(&format!("{d}\n")),
            Err(_) => out.push_str("Description unavailable\n"),
        }
        if let Err(e) = describe_type(c, ups, var, &mut out) {
            print(&out);
            report("upsrw", "Error: ", &e);
            return ExitCode::FAILURE;
        }
        out.push('\n');
    }
    print(&out);
    ExitCode::SUCCESS
}

/// The `Type:` block of one variable, in NUT's format: ENUM and RANGE list their options and
/// mark the current value `SELECTED`; STRING shows its maximum length.
fn describe_type(c: &mut Client, ups: &str, var: &str, out: &mut String) -> nut_client::Result<()> {
    let t = c.get_type(ups, var)?;
    for w in &t.words {
        match w.as_str() {
            "ENUM" => {
                let cur = c.get_var(ups, var)?;
                out.push_str("Type: ENUM\n");
                for v in c.list_enum(ups, var)? {
                    let sel = if v == cur { " SELECTED" } else { "" };
                    out.push_str(&format!("Option: \"{v}\"{sel}\n"));
                }
                return Ok(());
            }
            "RANGE" => {
                let cur = atoi(&c.get_var(ups, var)?);
                out.push_str("Type: RANGE\n");
                for (min, max) in c.list_range(ups, var)? {
                    let (lo, hi) = (atoi(&min), atoi(&max));
                    let sel = if cur >= lo && cur <= hi { " SELECTED" } else { "" };
                    out.push_str(&format!("Option: \"{lo}-{hi}\"{sel}\n"));
                }
                return Ok(());
            }
            "NUMBER" => {
                let v = c.get_var(ups, var)?;
                out.push_str(&format!("Type: NUMBER\nValue: {v}\n"));
                return Ok(());
            }
            "RW" => {}
            w if w.starts_with("STRING:") => {
                let v = c.get_var(ups, var)?;
                out.push_str(&format!("Type: STRING\nMaximum length: {}\nValue: {v}\n", atoi(&w[7..])));
                return Ok(());
            }
            other => out.push_str(&format!("Type: {other} (unrecognized)\n\n")),
        }
    }
    Ok(())
}

fn usage() -> ExitCode {
    print(&format!("{}\n{USAGE}", nut_core::banner("upsrw")));
    ExitCode::SUCCESS
}
