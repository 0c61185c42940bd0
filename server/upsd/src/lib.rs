//! `upsd`, the NUT network server: serves the data of the UPS drivers on TCP 3493, speaking
//! NUT 2.8.0's protocol byte for byte.
//!
//! Layout (after mini-redis): [`listener`] binds the LISTEN addresses and accepts clients,
//! [`connection`] runs one task per client, [`commands`] holds one module per request verb,
//! [`state`] the per-UPS variable trees that [`driver_link`] fills from the driver sockets,
//! [`auth`] the users and [`tracking`] the TRACKING results. [`server`] ties them together and
//! handles reload; [`config`] reads the three configuration files through `nut-conf`;
//! [`access`] applies tcp-wrappers (hosts.allow, hosts.deny) as Debian's libwrap-linked upsd.
//!
//! Flags are NUT 2.8.5's (`-c reload|stop` and their prefixes, `-P pid`, `-D -F -FF -B -h -r
//! -q -u -V -4 -6`; `-i`/`-p` stop with NUT's message) plus `-t`, which checks upsd.conf,
//! ups.conf, upsd.users, the TLS settings and the tcp-wrappers rules for upsd, prints every
//! problem as `file:line: ...` and exits non-zero if one is an error.

pub mod access;
pub mod auth;
pub mod commands;
pub mod config;
pub mod connection;
pub mod driver_link;
pub mod listener;
pub mod server;
pub mod state;
pub mod tls;
pub mod tracking;
pub mod watch;

use std::process::ExitCode;

use nut_core::getopt;

use crate::listener::{Family, ListenSpec};

// NUT 2.8.5's option string (`+`: flags end at the first operand), plus `-t`.
const OPTSTRING: &str = "+c:DFBhr:qu:V46tP:i:p:";

fn usage() -> String {
    // NUT's text, line for line (the options are indented by two spaces), plus `-t`.
    const LINES: &[&str] = &[
        "Network server for UPS data.",
        "",
        "usage: upsd [OPTIONS]",
        "",
        "  -c <command>\tsend <command> via signal to background process",
        "\t\tcommands:",
        "\t\t - reload: reread configuration files",
        "\t\t - stop: stop process and exit",
        "  -P <pid>\tsend the signal above to specified PID (bypassing PID file)",
        "  -D\t\traise debugging level (and stay foreground by default)",
        "  -F\t\tstay foregrounded even if no debugging is enabled",
        "  -FF\t\tstay foregrounded and still save the PID file",
        "  -B\t\tstay backgrounded even if debugging is bumped",
        "  -h\t\tdisplay this help",
        "  -r <dir>\tchroots to <dir>",
        "  -q\t\traise log level threshold",
        "  -u <user>\tswitch to <user> (if started as root)",
        "  -V\t\tdisplay the version of this software",
        "  -4\t\tIPv4 only",
        "  -6\t\tIPv6 only",
        "  -t\t\tcheck upsd.conf, ups.conf and upsd.users, print every problem, and exit",
        "\t\t(non-zero if there is an error)",
    ];
    let mut s = nut_core::banner("upsd");
    s.push('\n');
    for l in LINES {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> ExitCode {
    let p = getopt::parse(&args[1.min(args.len())..], OPTSTRING);
    if let Some(e) = p.first_error() {
        eprintln!("{}\n{}", e.glibc_message("upsd").unwrap_or_default(), usage());
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
    if let Some(extra) = p.operands.first() {
        eprintln!("upsd: unexpected argument {extra:?} (upsd takes no operands)\n{}", usage());
        return ExitCode::FAILURE;
    }
    eprintln!("{}", nut_core::banner("upsd"));
    if p.has('i') || p.has('p') {
        // NUT 2.8.0 and 2.8.5 stop here with this text.
        eprintln!(
            "Specifying a listening addresses with '-i <address>' and '-p <port>'\n\
             is deprecated. Use 'LISTEN <address> [<port>]' in 'upsd.conf' instead.\n\
             See 'man 8 upsd.conf' for more information."
        );
        return ExitCode::FAILURE;
    }

    let env = |k: &str| std::env::var(k).ok();
    let confpath = nut_core::paths::conf_path();
    let pidpath = nut_core::paths::pid_path();

    let pid = match p.value('P').map(parse_pid) {
        None => None,
        Some(Ok(pid)) => Some(pid),
        Some(Err(e)) => {
            eprintln!("upsd: {e}\n{}", usage());
            return ExitCode::FAILURE;
        }
    };
    if let Some(cmd) = p.value('c') {
        let Some(cmd) = control_command(cmd) else {
            eprintln!("upsd: unknown command {cmd:?} for -c: use reload or stop\n{}", usage());
            return ExitCode::FAILURE;
        };
        return match nut_daemon::control::send("upsd", &pidpath, cmd, pid) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("upsd: {e}");
                eprintln!("Failed to signal the currently running daemon (if any)");
                if pid.is_none() {
                    eprintln!(
                        "Try 'systemctl {cmd} nut-server' or add '-P $PID' argument (a daemon started with \
                         -F writes no PID file; -FF does)"
                    );
                }
                ExitCode::FAILURE
            }
        };
    }

    if p.has('t') {
        let mut diags = config::check(&confpath, env);
        let loaded = config::load(&confpath, env).ok();
        // The files as the account upsd would run as: -u, or `nut` when root.
        let user =
            run_as_user(p.value('u'), nut_daemon::privs::euid(), |u| nut_daemon::privs::lookup(u).is_ok());
        match nut_daemon::privs::reader_for(user) {
            Ok(reader) => {
                diags.extend(config::check_permissions(&confpath, loaded.as_ref().map(|c| &c.upsd), &reader))
            }
            Err(e) => diags.push(nut_conf::Diagnostic::error("upsd", 0, e)),
        }
        // tcp-wrappers: the rules for upsd in hosts.allow and hosts.deny.
        let (allow, deny) = access::paths_from(env);
        diags.extend(access::check_files(&allow, &deny));
        print!("{}", nut_conf::render(&diags));
        let mut errors = diags.iter().filter(|d| d.is_error()).count();
        if let Some(cfg) = &loaded {
            let tls_diags = tls::diagnostics(cfg);
            print!("{}", nut_conf::render(&tls_diags));
            let tls_errors = tls_diags.iter().filter(|d| d.is_error()).count();
            errors += tls_errors;
            if tls_errors == 0 {
                if let Err(e) = tls::load(cfg) {
                    println!("{e}");
                    errors += 1;
                }
            }
        }
        if errors > 0 {
            eprintln!("upsd: {errors} error(s) in the configuration in {}", confpath.display());
            return ExitCode::FAILURE;
        }
        println!("upsd: configuration in {} is OK", confpath.display());
        return ExitCode::SUCCESS;
    }

    let debug = p.count('D');
    nut_daemon::log::init_with_quiet("upsd", debug.min(255) as u8, p.count('q').min(255) as u8);
    // As NUT's upsd (syslogbit_set): log to syslog from the start, not only once in the
    // background.
    nut_daemon::log::syslog_also();

    match run(&p, &confpath, &pidpath, pid) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// NUT's reading of `-c <command>`: any prefix of `reload` (the empty word included), else
/// any prefix of `stop`.
fn control_command(arg: &str) -> Option<&'static str> {
    if "reload".starts_with(arg) {
        Some("reload")
    } else if "stop".starts_with(arg) {
        Some("stop")
    } else {
        None
    }
}

/// `-P <pid>`: a positive process id.
fn parse_pid(arg: &str) -> Result<i32, String> {
    match arg.trim().parse::<i32>() {
        Ok(pid) if pid > 0 => Ok(pid),
        _ => Err(format!("-P needs a process id (a positive number), not {arg:?}")),
    }
}

fn run(
    p: &getopt::Parsed,
    confpath: &std::path::Path,
    pidpath: &std::path::Path,
    pid: Option<i32>,
) -> Result<(), String> {
    // The level from the command line (-D, else NUT_DEBUG_LEVEL): a reload without DEBUG_MIN
    // goes back to it.
    let cli_debug = nut_daemon::log::debug_level();
    let cfg = config::load(confpath, |k| std::env::var(k).ok()).map_err(|e| e.to_string())?;
    if let Some(min) = cfg.upsd.debug_min {
        // -D can only raise the level above DEBUG_MIN.
        nut_daemon::log::set_debug_min(min.min(255) as u8);
    }
    tracing::debug!("debug level is '{}'", nut_daemon::log::debug_level());
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
    // Decide the account now: upsd re-reads its files as that account on reload, so a file it
    // could not read then is an error now, with the fix, rather than a failed reload later.
    let user = run_as_user(p.value('u'), nut_daemon::privs::euid(), |u| nut_daemon::privs::lookup(u).is_ok());
    let reader = nut_daemon::privs::reader_for(user)?;
    let perms = config::check_permissions(confpath, Some(&cfg.upsd), &reader);
    if nut_daemon::files::log_diagnostics(&perms) {
        return Err(format!(
            "upsd would run as user {} and could not re-read its configuration on reload: fix the \
             permissions above (or choose another account with -u)",
            reader.name
        ));
    }
    // Read the certificate before binding and forking, so a broken one stops upsd with the
    // reason on the terminal.
    for d in tls::diagnostics(&cfg).iter().filter(|d| !d.is_error()) {
        tracing::warn!("{d}");
    }
    let tls = tls::load(&cfg)?;

    let pidfile_path = pidpath.join("upsd.pid");
    // With -P, NUT checks that process instead of the PID file.
    let previous = match pid {
        Some(pid) => Some((pid, format!("given with -P {pid}"))),
        None => nut_daemon::pidfile::read(&pidfile_path)
            .ok()
            .map(|pid| (pid, format!("PID {pid} in {}", pidfile_path.display()))),
    };
    if let Some((pid, from)) = previous {
        // SAFETY: kill with signal 0 only checks that the process exists.
        if pid != std::process::id() as i32 && unsafe { libc::kill(pid, 0) } == 0 {
            return Err(format!(
                "Fatal error: A previous upsd instance is already running! ({from}) \
                 Either stop the previous instance first, or use the 'reload' command (upsd -c reload)."
            ));
        }
    }

    let family = match (p.has('4'), p.has('6')) {
        (true, false) => Family::V4,
        (false, true) => Family::V6,
        _ => Family::Any,
    };
    // Without LISTEN lines NUT listens on ::1 and 127.0.0.1, each only when -4/-6 allows it.
    let specs: Vec<ListenSpec> = if cfg.upsd.listen.is_empty() {
        cfg.upsd
            .listen_or_default()
            .into_iter()
            .filter(|(addr, _)| match family {
                Family::V4 => !addr.contains(':'),
                Family::V6 => addr.contains(':'),
                Family::Any => true,
            })
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
    let listeners = listener::bind_all(&specs, family, cfg.upsd.allow_not_all_listeners)?;

    // The service manager's socket is opened while its path is still reachable (chroot).
    nut_daemon::notify::init();
    if let Some(dir) = p.value('r') {
        chroot(dir)?;
    }
    if let Some(user) = user {
        nut_daemon::privs::drop_to(user).map_err(|e| format!("can't switch to user {user}: {e}"))?;
        tracing::debug!("running as user {user}");
    }

    // tcp-wrappers, read as the account (and in the chroot) upsd serves from, as libwrap
    // reads them in NUT's upsd, and before going to the background so that problems reach
    // the terminal too.
    let (allow, deny) = access::paths_from(|k| std::env::var(k).ok());
    let access = access::Access::new(allow, deny);

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
    if foreground_flags >= 2 && !background {
        tracing::info!("Running as foreground process, but saving a PID file anyway");
    }

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
        server::run(cfg, tokio_listeners, tls, cli_debug, access).await
    })
}

/// NUT's compiled-in account, used when root starts upsd without `-u`.
pub const DEFAULT_USER: &str = "nut";

/// The user to switch to: `-u` if given (a missing user is then an error), else, when running
/// as root, [`DEFAULT_USER`] if it exists; without it upsd keeps running as root with a
/// warning rather than refusing to start.
fn run_as_user(explicit: Option<&str>, euid: u32, exists: impl Fn(&str) -> bool) -> Option<&str> {
    if explicit.is_some() {
        return explicit;
    }
    if euid != 0 {
        return None;
    }
    if exists(DEFAULT_USER) {
        return Some(DEFAULT_USER);
    }
    tracing::warn!(
        "Running as root: user {DEFAULT_USER:?} does not exist (create it with useradd --system {DEFAULT_USER}, \
         or choose an account with -u <user>)"
    );
    None
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_without_u_drops_to_nut_when_it_exists() {
        assert_eq!(run_as_user(Some("ups"), 0, |_| false), Some("ups"));
        assert_eq!(run_as_user(None, 0, |u| u == "nut"), Some("nut"));
        assert_eq!(run_as_user(None, 0, |_| false), None);
        assert_eq!(run_as_user(None, 1000, |_| true), None);
    }
}
