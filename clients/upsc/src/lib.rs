//! `upsc`: lists a UPS's variables, the UPSes of a server, or the clients of a UPS.
//!
//! Output, messages and exit codes are NUT 2.8's. Two deliberate differences: no
//! `Init SSL without certificate database` noise, and after NUT's error line a second
//! stderr line (`upsc: hint: ...`) says how to fix the problem. `-V` names `upsc` (NUT 2.8.0
//! prints `upscmd` there by mistake). `-h` prints NUT 2.8.0's text.
//!
//! NUT 2.8.5's flags: `-D` (repeatable) raises the debug level (debug lines on stderr; without
//! it `NUT_DEBUG_LEVEL` applies), `-W <secs>` sets the connect timeout (default 10 s, or
//! `NUT_DEFAULT_CONNECT_TIMEOUT`; 0 waits as long as the system does; an unreadable value is
//! ignored with NUT's warning), and `-j` prints JSON on stdout exactly as 2.8.5 does:
//! - `upsc -j ups` → `{\n  "battery.charge": "95",\n  ...\n}\n` (`{\n\n}\n` when empty);
//! - `upsc -j ups var` → the bare value as a JSON string: `"95"\n`;
//! - `upsc -j -l` → `[\n  "ups1",\n  "ups2"\n]\n`; `-j -L` → `{\n  "ups1": "desc",\n  ...\n}\n`;
//! - `upsc -j -c ups` → `[\n  "127.0.0.1"\n]\n`;
//! - errors: `{"error": "<NUT's message>"}\n`, except a failed variable list, which closes the
//!   object it opened: `{\n  "error": "Unknown UPS"\n}\n`. stderr and the exit code are as
//!   without `-j`.
//!
//! Strings are escaped as NUT's `json_print_esc`: `"` `\\` and `\b \f \n \r \t`, other control
//! characters as `\u00XX`, everything else as is.

use std::process::ExitCode;

use nut_client::cli::{self, log, print, report, say, ConnectTimeout, Severity};
use nut_client::{Client, HostPort, Options, UpsName};
use nut_core::getopt::{self, Opt};
use tracing::debug;

const USAGE: &str = "
usage: upsc -l | -L [<hostname>[:port]]
       upsc <ups> [<variable>]
       upsc -c <ups>

Demo program to display UPS variables.

First form (lists UPSes):
  -l         - lists each UPS on <hostname>, one per line.
  -L         - lists each UPS followed by its description (from ups.conf).
               Default hostname: localhost

Second form (lists variables and values):
  <ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form
  <variable> - optional, display this variable only.
               Default: list all variables for <host>

Third form (lists clients connected to a device):
  -c         - lists each client connected on <ups>, one per line.
  <ups>      - upsd server, <upsname>[@<hostname>[:<port>]] form
";

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    // glibc names the program as invoked in its flag errors.
    let argv0 = args.first().map(String::as_str).unwrap_or("upsc");
    let p = getopt::parse(&args[1.min(args.len())..], "+DhlLcVW:j");
    nut_daemon::log::init_client("upsc", p.count('D'), false);
    let (mut list, mut verbose, mut clients, mut json) = (false, false, false, false);
    let mut wait = None;
    for o in &p.opts {
        match o {
            Opt::Flag('D') => {}
            Opt::Flag('l') => list = true,
            Opt::Flag('L') => {
                list = true;
                verbose = true;
            }
            Opt::Flag('c') => clients = true,
            Opt::Flag('j') => json = true,
            Opt::Arg('W', v) => wait = Some(v.clone()),
            Opt::Flag('V') => {
                say(&nut_core::banner("upsc"));
                return ExitCode::SUCCESS;
            }
            bad @ (Opt::Unknown(_) | Opt::MissingArg(_)) => {
                say(&bad.glibc_message(argv0).unwrap_or_default());
                return usage();
            }
            _ => return usage(),
        }
    }
    let out = Out { json, opts: ConnectTimeout::apply(wait.as_deref()) };
    let code = if list {
        list_upses(&out, p.operands.first().map(String::as_str), verbose)
    } else if clients {
        list_clients(&out, p.operands.first().map(String::as_str))
    } else {
        show_vars(&out, p.operands.first().map(String::as_str), p.operands.get(1).map(String::as_str))
    };
    debug!("clean_exit: finished, exiting");
    match code {
        Ok(()) => ExitCode::SUCCESS,
        Err(()) => ExitCode::FAILURE,
    }
}

fn usage() -> ExitCode {
    print(&format!("{}\n{USAGE}", nut_core::banner("upsc")));
    ExitCode::SUCCESS
}

/// Where results go: text as NUT prints it, or JSON; and how to connect.
struct Out {
    json: bool,
    opts: Options,
}

impl Out {
    /// Report a fatal error: NUT's line(s) on stderr (`nut_text`, or `Error: ` and the
    /// client error's message plus our hint), and in JSON mode `{"error": ...}` on stdout.
    fn fail<T>(&self, nut_text: &str, err: Option<&nut_client::Error>) -> Result<T, ()> {
        if self.json {
            print(&format!("{{\"error\": \"{}\"}}\n", json_esc(&error_text(nut_text, err))));
        }
        self.fail_text(nut_text, err)
    }

    /// The stderr part of [`Out::fail`].
    fn fail_text<T>(&self, nut_text: &str, err: Option<&nut_client::Error>) -> Result<T, ()> {
        match err {
            Some(e) => report("upsc", "Error: ", e),
            None => log(Severity::Error, nut_text),
        }
        Err(())
    }
}

/// The message NUT puts in a JSON error: its text without the `Error: ` prefix.
fn error_text(nut_text: &str, err: Option<&nut_client::Error>) -> String {
    err.map(|e| e.nut_message()).unwrap_or_else(|| nut_text.trim_start_matches("Error: ").to_string())
}

fn list_upses(out: &Out, host: Option<&str>, verbose: bool) -> Result<(), ()> {
    let hp = match host {
        None => HostPort { host: nut_client::DEFAULT_HOST.into(), port: nut_core::DEFAULT_PORT },
        Some(h) => match HostPort::parse(h) {
            Ok(hp) => hp,
            Err(e) => {
                say(e.nut_message());
                return out.fail("Error: invalid hostname.\nRequired format: [hostname[:port]]", None);
            }
        },
    };
    debug!("upsname='(null)' hostname='{}' port='{}'", hp.host, hp.port);
    let mut c = connect(out, &hp.host, hp.port)?;
    debug!("Calling list_upses()");
    let upses = match c.list_ups() {
        Ok(u) => u,
        Err(e) => return out.fail("", Some(&e)),
    };
    let _ = c.logout();
    let s = if out.json {
        let items: Vec<String> = upses
            .iter()
            .map(|(name, desc)| match verbose {
                true => format!("  \"{}\": \"{}\"", json_esc(name), json_esc(desc)),
                false => format!("  \"{}\"", json_esc(name)),
            })
            .collect();
        let (open, close) = if verbose { ('{', '}') } else { ('[', ']') };
        format!("{open}\n{}\n{close}\n", items.join(",\n"))
    } else {
        let line = |(name, desc): &(String, String)| match verbose {
            true => format!("{name}: {desc}\n"),
            false => format!("{name}\n"),
        };
        upses.iter().map(line).collect()
    };
    print(&s);
    Ok(())
}

fn list_clients(out: &Out, name: Option<&str>) -> Result<(), ()> {
    let n = parse_name(out, name)?;
    let mut c = connect(out, &n.host, n.port)?;
    debug!("Calling list_clients()");
    let clients = match c.list_client(&n.ups) {
        Ok(v) => v,
        Err(e) => return out.fail("", Some(&e)),
    };
    let _ = c.logout();
    if out.json {
        let items: Vec<String> = clients.iter().map(|a| format!("  \"{}\"", json_esc(a))).collect();
        print(&format!("[\n{}\n]\n", items.join(",\n")));
    } else {
        print(&clients.iter().map(|a| format!("{a}\n")).collect::<String>());
    }
    Ok(())
}

fn show_vars(out: &Out, name: Option<&str>, var: Option<&str>) -> Result<(), ()> {
    let n = parse_name(out, name)?;
    let mut c = connect(out, &n.host, n.port)?;
    if let Some(var) = var {
        debug!("Calling printvar({var})");
        // NUT 1.x used variable names without dots; NUT refuses them with this line.
        if !var.contains('.') {
            return out.fail("Error: old-style variable names are not supported", None);
        }
        let v = match c.get_var(&n.ups, var) {
            Ok(v) => v,
            Err(e) => return out.fail("", Some(&e)),
        };
        let _ = c.logout();
        if out.json {
            print(&format!("\"{}\"\n", json_esc(&v)));
        } else {
            print(&format!("{v}\n"));
        }
        return Ok(());
    }
    debug!("Calling list_vars()");
    let vars = match c.list_var(&n.ups) {
        Ok(v) => v,
        Err(e) => {
            // NUT has already opened the object when the list fails: the error goes inside.
            if out.json {
                print(&format!("{{\n  \"error\": \"{}\"\n}}\n", json_esc(&e.nut_message())));
            }
            return out.fail_text("", Some(&e));
        }
    };
    let _ = c.logout();
    if out.json {
        print(&json_object(&vars));
    } else {
        print(&vars.iter().map(|(k, v)| format!("{k}: {v}\n")).collect::<String>());
    }
    Ok(())
}

fn parse_name(out: &Out, name: Option<&str>) -> Result<UpsName, ()> {
    let res = match name {
        Some(s) => UpsName::parse(s).map_err(|e| say(e.nut_message())),
        None => Err(()),
    };
    let n = res.or_else(|()| {
        out.fail("Error: invalid UPS definition.\nRequired format: upsname[@hostname[:port]]", None)
    })?;
    debug!("upsname='{}' hostname='{}' port='{}'", n.ups, n.host, n.port);
    Ok(n)
}

fn connect(out: &Out, host: &str, port: u16) -> Result<Client, ()> {
    cli::connect(host, port, &out.opts).or_else(|e| out.fail("", Some(&e)))
}

/// A string escaped as NUT's `json_print_esc` does (without the quotes).
fn json_esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\u{8}' => o.push_str("\\b"),
            '\u{c}' => o.push_str("\\f"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 32 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

/// NUT's `-j` object of variables: one `"name": "value"` per line, `{\n\n}\n` when empty.
fn json_object(items: &[(String, String)]) -> String {
    let body: Vec<String> =
        items.iter().map(|(k, v)| format!("  \"{}\": \"{}\"", json_esc(k), json_esc(v))).collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_layout_is_nuts() {
        let v = vec![("a.b".to_string(), "x \"y\"".to_string()), ("c".to_string(), "1".to_string())];
        assert_eq!(json_object(&v), "{\n  \"a.b\": \"x \\\"y\\\"\",\n  \"c\": \"1\"\n}\n");
        assert_eq!(json_object(&[]), "{\n\n}\n");
    }

    #[test]
    fn json_escapes_like_json_print_esc() {
        assert_eq!(json_esc("a\"b\\c"), "a\\\"b\\\\c");
        assert_eq!(json_esc("\u{8}\u{c}\n\r\t"), "\\b\\f\\n\\r\\t");
        assert_eq!(json_esc("\u{1}\u{1f}"), "\\u0001\\u001f");
        // DEL and non-ASCII pass through, as NUT prints them.
        assert_eq!(json_esc("\u{7f}é/"), "\u{7f}é/");
        // Every escape is valid JSON.
        let all: String = (0u8..128).map(char::from).collect();
        let parsed: String = serde_json::from_str(&format!("\"{}\"", json_esc(&all))).expect("valid JSON");
        assert_eq!(parsed, all);
    }
}
