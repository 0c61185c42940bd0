//! `upsc`: lists a UPS's variables, the UPSes of a server, or the clients of a UPS.
//!
//! Output, messages and exit codes are NUT 2.8's. Two deliberate differences: no
//! `Init SSL without certificate database` noise, and after NUT's error line a second
//! stderr line (`upsc: hint: ...`) says how to fix the problem. `-V` names `upsc` (NUT 2.8.0
//! prints `upscmd` there by mistake).
//!
//! `-j` prints JSON on stdout (NUT 2.8.5 added the flag); the format we chose:
//! - `upsc -j ups` → an object of variable names to string values, one per line:
//!   `{\n  "battery.charge": "95",\n  ...\n}`
//! - `upsc -j ups var` → `{\n  "var": "value"\n}`
//! - `upsc -j -l host` → an array of UPS names; `-j -L` → an object of names to descriptions;
//!   `-j -c ups` → an array of client addresses.
//! - On error, stdout gets `{"error": "<NUT's message>"}`, stderr and the exit code are as
//!   without `-j`.

use std::process::ExitCode;

use nut_client::cli::{print, report, say};
use nut_client::{Client, HostPort, UpsName};
use nut_core::getopt::{self, Opt};

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
    let p = getopt::parse(&args[1.min(args.len())..], "+hlLcVj");
    let (mut list, mut verbose, mut clients, mut json) = (false, false, false, false);
    for o in &p.opts {
        match o {
            Opt::Flag('l') => list = true,
            Opt::Flag('L') => {
                list = true;
                verbose = true;
            }
            Opt::Flag('c') => clients = true,
            Opt::Flag('j') => json = true,
            Opt::Flag('V') => {
                say(&nut_core::banner("upsc"));
                return ExitCode::SUCCESS;
            }
            Opt::Unknown(c) => {
                say(&format!("{argv0}: invalid option -- '{c}'"));
                return usage();
            }
            _ => return usage(),
        }
    }
    let out = Out { json };
    let code = if list {
        list_upses(&out, p.operands.first().map(String::as_str), verbose)
    } else if clients {
        list_clients(&out, p.operands.first().map(String::as_str))
    } else {
        show_vars(&out, p.operands.first().map(String::as_str), p.operands.get(1).map(String::as_str))
    };
    match code {
        Ok(()) => ExitCode::SUCCESS,
        Err(()) => ExitCode::FAILURE,
    }
}

fn usage() -> ExitCode {
    print(&format!("{}\n{USAGE}", nut_core::banner("upsc")));
    ExitCode::SUCCESS
}

/// Where results go: text as NUT prints it, or JSON.
struct Out {
    json: bool,
}

impl Out {
    /// Report a fatal error: NUT's line(s) on stderr, plus `{"error": ...}` on stdout in
    /// JSON mode.
    fn fail<T>(&self, nut_text: &str, err: Option<&nut_client::Error>) -> Result<T, ()> {
        match err {
            Some(e) => report("upsc", "Error: ", e),
            None => say(nut_text),
        }
        if self.json {
            let msg = err
                .map(|e| e.nut_message())
                .unwrap_or_else(|| nut_text.trim_start_matches("Error: ").to_string());
            print(&format!("{{\"error\": {}}}\n", js(&msg)));
        }
        Err(())
    }
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
    let mut c = connect(out, &hp.host, hp.port)?;
    let upses = match c.list_ups() {
        Ok(u) => u,
        Err(e) => return out.fail("", Some(&e)),
    };
    let _ = c.logout();
    let mut s = String::new();
    if out.json {
        if verbose {
            let items: Vec<(String, String)> = upses;
            s = json_object(&items);
        } else {
            let names: Vec<String> = upses.iter().map(|(n, _)| js(n)).collect();
            s = format!("[{}]\n", names.join(", "));
        }
    } else {
        for (name, desc) in &upses {
            if verbose {
                s.push_str(&format!("{name}: {desc}\n"));
            } else {
                s.push_str(&format!("{name}\n"));
            }
        }
    }
    print(&s);
    Ok(())
}

fn list_clients(out: &Out, name: Option<&str>) -> Result<(), ()> {
    let n = parse_name(out, name)?;
    let mut c = connect(out, &n.host, n.port)?;
    let clients = match c.list_client(&n.ups) {
        Ok(v) => v,
        Err(e) => return out.fail("", Some(&e)),
    };
    let _ = c.logout();
    if out.json {
        let items: Vec<String> = clients.iter().map(|a| js(a)).collect();
        print(&format!("[{}]\n", items.join(", ")));
    } else {
        print(&clients.iter().map(|a| format!("{a}\n")).collect::<String>());
    }
    Ok(())
}

fn show_vars(out: &Out, name: Option<&str>, var: Option<&str>) -> Result<(), ()> {
    let n = parse_name(out, name)?;
    let mut c = connect(out, &n.host, n.port)?;
    if let Some(var) = var {
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
            print(&json_object(&[(var.to_string(), v)]));
        } else {
            print(&format!("{v}\n"));
        }
        return Ok(());
    }
    let vars = match c.list_var(&n.ups) {
        Ok(v) => v,
        Err(e) => return out.fail("", Some(&e)),
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
    res.or_else(|()| {
        out.fail("Error: invalid UPS definition.\nRequired format: upsname[@hostname[:port]]", None)
    })
}

fn connect(out: &Out, host: &str, port: u16) -> Result<Client, ()> {
    Client::connect_env(host, port).or_else(|e| out.fail("", Some(&e)))
}

fn js(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn json_object(items: &[(String, String)]) -> String {
    if items.is_empty() {
        return "{}\n".into();
    }
    let body: Vec<String> = items.iter().map(|(k, v)| format!("  {}: {}", js(k), js(v))).collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_layout() {
        let v = vec![("a.b".to_string(), "x \"y\"".to_string()), ("c".to_string(), "1".to_string())];
        assert_eq!(json_object(&v), "{\n  \"a.b\": \"x \\\"y\\\"\",\n  \"c\": \"1\"\n}\n");
        assert_eq!(json_object(&[]), "{}\n");
    }
}
