//! `upscmd`: lists and runs a UPS's instant commands through upsd.
//!
//! Output, messages and exit codes are NUT 2.8's, without the `Init SSL` noise. Additions
//! on stderr only: a `upscmd: hint: ...` line after errors we can explain, and NUT 2.8.5's
//! note that a plain `OK` (without `-w`) only means upsd queued the command.
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

const USAGE: &str = "
usage: upscmd [-h]
       upscmd [-l <ups>]
       upscmd [-u <username>] [-p <password>] [-w] [-t <timeout>] <ups> <command> [<value>]

Administration program to initiate instant commands on UPS hardware.

  -h\t\tdisplay this help text
  -l <ups>\tshow available commands on UPS <ups>
  -u <username>\tset username for command authentication
  -p <password>\tset password for command authentication
  -w            wait for the completion of command by the driver
                and return its actual result from the device
  -t <timeout>\tset a timeout when using -w (in seconds, default: 10)

  <ups>\t\tUPS identifier - <upsname>[@<hostname>[:<port>]]
  <command>\tValid instant command - test.panel.start, etc.
  [<value>]\tAdditional data for command - number of seconds, etc.
";

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    // glibc names the program as invoked in its flag errors.
    let argv0 = args.first().map(String::as_str).unwrap_or("upscmd");
    let p = getopt::parse(&args[1.min(args.len())..], "+Dlhu:p:t:wVW:");
    nut_daemon::log::init_client("upscmd", p.count('D'), false);
    let mut wait_connect = None;
    let (mut list, mut wait, mut user, mut pass, mut timeout) = (false, false, None, None, 10u64);
    for o in &p.opts {
        match o {
            Opt::Flag('D') => {}
            Opt::Arg('W', v) => wait_connect = Some(v.clone()),
            Opt::Flag('l') => list = true,
            Opt::Flag('w') => wait = true,
            Opt::Arg('u', v) => user = Some(v.clone()),
            Opt::Arg('p', v) => pass = Some(v.clone()),
            Opt::Arg('t', v) => match cli::parse_timeout(v) {
                Ok(t) => timeout = t,
                Err(m) => return fatal(&m),
            },
            Opt::Flag('V') => {
                say(&nut_core::banner("upscmd"));
                return ExitCode::SUCCESS;
            }
            bad @ (Opt::Unknown(_) | Opt::MissingArg(_)) => {
                say(&bad.glibc_message(argv0).unwrap_or_default());
                return usage();
            }
            _ => return usage(),
        }
    }
    let ops = &p.operands;
    let opts = ConnectTimeout::apply(wait_connect.as_deref());
    let Some(first) = ops.first() else { return usage() };
    let (name, mut c) = match cli::connect_ups_with("upscmd", first, &opts) {
        Ok(v) => v,
        Err(code) => return code,
    };
    if list {
        return list_cmds(&mut c, &name.ups);
    }
    let Some(cmd) = ops.get(1) else { return usage() };
    let user = match cli::username(user, false) {
        Ok(u) => u,
        Err(m) => return fatal(&m),
    };
    if let Err(m) = cli::login_for_request(&mut c, &user, pass, wait) {
        return fatal(&m);
    }
    do_cmd(&mut c, &name.ups, cmd, ops.get(2).map(String::as_str), wait.then(|| Duration::from_secs(timeout)))
}

fn do_cmd(c: &mut Client, ups: &str, cmd: &str, param: Option<&str>, wait: Option<Duration>) -> ExitCode {
    let q = quote_if_needed;
    let line = match param {
        Some(p) => format!("INSTCMD {} {} {}", q(ups), q(cmd), q(p)),
        None => format!("INSTCMD {} {}", q(ups), q(cmd)),
    };
    if let Err(e) = c.send_line(&line) {
        return fatal(&format!("Can't send instant command: {}", e.nut_message()));
    }
    let reply = match c.read_line() {
        Ok(r) => r,
        Err(e) => return fatal(&format!("Instant command failed: {}", e.nut_message())),
    };
    let note = "OK means upsd queued the command for the driver; use -w to wait for its result";
    let code = cli::report_queued(c, "upscmd", &reply, wait, note);
    if code == ExitCode::SUCCESS {
        let _ = c.logout();
    }
    code
}

fn list_cmds(c: &mut Client, ups: &str) -> ExitCode {
    let cmds = match c.list_cmd(ups) {
        Ok(v) => v,
        Err(e) => {
            report("upscmd", "Error: ", &e);
            return ExitCode::FAILURE;
        }
    };
    let mut out = format!("Instant commands supported on UPS [{ups}]:\n\n");
    for cmd in &cmds {
        match c.get_cmddesc(ups, cmd) {
            Ok(d) => out.push_str(&format!("{cmd} - {d}\n")),
            Err(_) => out.push_str(&format!("{cmd}\n")),
        }
    }
    let _ = c.logout();
    print(&out);
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    print(&format!("{}\n{USAGE}", nut_core::banner("upscmd")));
    ExitCode::SUCCESS
}
