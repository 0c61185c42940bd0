//! `upsd`, the NUT network server: serves the data of the UPS drivers on TCP 3493, speaking
//! NUT 2.8.0's protocol byte for byte.
//!
//! Layout (after mini-redis): [`listener`] binds the LISTEN addresses and accepts clients,
//! [`connection`] runs one task per client, [`commands`] holds one module per request verb,
//! [`state`] the per-UPS variable trees that [`driver_link`] fills from the driver sockets,
//! [`auth`] the users and [`tracking`] the TRACKING results. [`server`] ties them together and
//! handles reload; [`config`] reads the three configuration files through `nut-conf`.
//!
//! Flags are NUT's (`-c -D -F -FF -B -h -r -q -u -V -4 -6 -P`) plus `-t`, which checks
//! upsd.conf, ups.conf and upsd.users, prints every problem as `file:line: ...` and exits
//! non-zero if one is an error.

pub mod auth;
pub mod commands;
pub mod config;
pub mod connection;
pub mod driver_link;
pub mod listener;
pub mod server;
pub mod state;
pub mod tracking;
pub mod watch;

use std::process::ExitCode;

use nut_core::getopt::{self, Opt};

use crate::listener::{Family, ListenSpec};

const OPTSTRING: &str = "c:DFBhr:qu:V46tP:i:p:";

fn usage() -> String {
    format!(
        "{}\nNetwork server for UPS data.\n\n\
usage: upsd [OPTIONS]\n\n\
  -c <command>\tsend <command> via signal to background process\n\
\t\tcommands:\n\
\t\t - reload: reread configuration files\n\
\t\t - stop: stop process and exit\n\
  -P <pid>\tsend the signal above to specified PID (bypassing PID file)\n\
  -D\t\traise debugging level (and stay foreground by default)\n\
  -F\t\tstay foregrounded even if no debugging is enabled\n\
  -FF\t\tstay foregrounded and still save the PID file\n\
  -B\t\tstay backgrounded even if debugging is bumped\n\
  -h\t\tdisplay this help\n\
  -r <dir>\tchroots to <dir>\n\
  -q\t\traise log level threshold\n\
  -u <user>\tswitch to <user> (if started as root)\n\
  -V\t\tdisplay the version of this software\n\
  -4\t\tIPv4 only\n\
  -6\t\tIPv6 only\n\
  -t\t\tcheck upsd.conf, ups.conf and upsd.users, print every problem, and exit\n\
\t\t(non-zero if there is an error)\n",
        nut_core::banner("upsd")
    )
}

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let p = getopt::parse(&args[1.min(args.len())..], OPTSTRING);
    if let Some(e) = p.first_error() {
        let msg = match e {
            Opt::MissingArg(c) => format!("option requires an argument -- '{c}'"),
            Opt::Unknown(c) => format!("invalid option -- '{c}'"),
            _ => String::new(),
        };
        eprintln!("upsd: {msg}\n{}", usage());
        return ExitCode::FAILURE;
    }
    if p.has('h') {
        print!("{}", usage());
        return ExitCode::SUCCESS;
    }
    if p.has('V') {
        println!("{}", nut_core::banner("upsd"));
        return ExitCode::SUCCESS;
    }
    eprintln!("{}", nut_core::banner("upsd"));

    let env = |k: &str| std::env::var(k).ok();
    let confpath = nut_core::paths::conf_path();
    let pidpath = nut_core::paths::pid_path();

    if let Some(cmd) = p.value('c') {
        let pid = match p.value('P').map(str::parse::<i32>) {
            None => None,
            Some(Ok(pid)) => Some(pid),
            Some(Err(_)) => {
                eprintln!("upsd: -P needs a process id");
                return ExitCode::FAILURE;
            }
        };
        return match nut_daemon::control::send("upsd", &pidpath, cmd, pid) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("upsd: {e}");
                ExitCode::FAILURE
            }
        };
    }

    if p.has('t') {
        let diags = config::check(&confpath, env);
        print!("{}", nut_conf::render(&diags));
        let errors = diags.iter().filter(|d| d.is_error()).count();
        if errors > 0 {
            eprintln!("upsd: {errors} error(s) in the configuration in {}", confpath.display());
            return ExitCode::FAILURE;
        }
        println!("upsd: configuration in {} is OK", confpath.display());
        return ExitCode::SUCCESS;
    }

    let debug = p.count('D');
    nut_daemon::log::init("upsd", debug.min(255) as u8);
    if p.has('i') || p.has('p') {
        tracing::warn!(
            "Specifying a listening addresses with '-i <address>' and '-p <port>' is deprecated. \
             Use 'LISTEN <address> [<port>]' in 'upsd.conf' instead."
        );
    }

    match run(&p, &confpath, &pidpath) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn run(p: &getopt::Parsed, confpath: &std::path::Path, pidpath: &std::path::Path) -> Result<(), String> {
    let cfg = config::load(confpath, |k| std::env::var(k).ok()).map_err(|e| e.to_string())?;
    for w in &cfg.warnings {
        tracing::warn!("{w}");
    }
    if cfg.upses.is_empty() {
        tracing::warn!(
            "Normally at least one UPS must be defined in ups.conf, currently there are none \
             (please configure the file and reload the service)"
        );
    }
    tracing::debug!("descriptions from {}", cfg.descs_from);

    let pidfile_path = pidpath.join("upsd.pid");
    if let Ok(pid) = nut_daemon::pidfile::read(&pidfile_path) {
        // SAFETY: kill with signal 0 only checks that the process exists.
        if pid != std::process::id() as i32 && unsafe { libc::kill(pid, 0) } == 0 {
            return Err(format!(
                "Fatal error: A previous upsd instance is already running! (PID {pid} in {}) \
                 Either stop the previous instance first, or use the 'reload' command (upsd -c reload).",
                pidfile_path.display()
            ));
        }
    }

    let family = match (p.has('4'), p.has('6')) {
        (true, false) => Family::V4,
        (false, true) => Family::V6,
        _ => Family::Any,
    };
    let default_set = cfg.upsd.listen.is_empty();
    let specs: Vec<ListenSpec> = if default_set {
        cfg.upsd
            .listen_or_default()
            .into_iter()
            .map(|(addr, port)| ListenSpec { addr, port, line: 0 })
            .collect()
    } else {
        cfg.upsd
            .listen
            .iter()
            .map(|l| ListenSpec {
                addr: l.addr.clone(),
                port: l.port.unwrap_or(nut_core::DEFAULT_PORT),
                line: l.line,
            })
            .collect()
    };
    let listeners = listener::bind_all(&specs, family, cfg.upsd.allow_not_all_listeners, default_set)?;

    if let Some(dir) = p.value('r') {
        chroot(dir)?;
    }
    let user = p.value('u').unwrap_or("nut");
    nut_daemon::privs::drop_to(user).map_err(|e| format!("can't switch to user {user}: {e}"))?;

    let foreground_flags = p.count('F');
    let background = p.has('B') || (foreground_flags == 0 && p.count('D') == 0);
    if background {
        nut_daemon::background::daemonize().map_err(|e| format!("can't go to the background: {e}"))?;
    }
    let _pidfile = if background || foreground_flags >= 2 {
        Some(nut_daemon::pidfile::PidFile::create(&pidfile_path).map_err(|e| {
            format!(
                "can't write PID file {}: {e} (check NUT_ALTPIDPATH / NUT_STATEPATH)",
                pidfile_path.display()
            )
        })?)
    } else {
        tracing::info!("Running as foreground process, not saving a PID file");
        None
    };

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("can't start the runtime: {e}"))?;
    rt.block_on(async move {
        let mut tokio_listeners = Vec::new();
        for l in listeners {
            tokio_listeners.push(
                tokio::net::TcpListener::from_std(l)
                    .map_err(|e| format!("can't use listening socket: {e}"))?,
            );
        }
        server::run(cfg, tokio_listeners).await
    })
}

fn chroot(dir: &str) -> Result<(), String> {
    let c = std::ffi::CString::new(dir).map_err(|_| format!("bad chroot directory {dir:?}"))?;
    // SAFETY: chroot/chdir with a valid NUL-terminated path.
    let rc = unsafe { libc::chroot(c.as_ptr()) };
    if rc != 0 {
        return Err(format!("chroot({dir}) failed: {}", std::io::Error::last_os_error()));
    }
    std::env::set_current_dir("/").map_err(|e| format!("chdir(/) after chroot failed: {e}"))?;
    Ok(())
}
