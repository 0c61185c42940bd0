//! Putting it together: build the shared state from the configuration, start one driver link
//! per UPS and the accept loops, and handle SIGHUP (reload) and SIGTERM/SIGINT (exit).

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Semaphore;

use crate::auth::Users;
use crate::config::{self, Config};
use crate::connection::ConnSettings;
use crate::listener;
use crate::state::{Core, Server, Shared, Ups};

/// NUT drops clients that stay silent this long.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Build the shared state for `cfg` with its tcp-wrappers files (no driver links started
/// yet).
pub fn build(cfg: &Config, access: crate::access::Access) -> Shared {
    let mut core = Core::new(
        Users::new(cfg.users.clone()),
        cfg.descs.clone(),
        Duration::from_secs(u64::from(cfg.upsd.maxage)),
        Duration::from_secs(u64::from(cfg.upsd.trackingdelay)),
    );
    for d in &cfg.upses {
        let socket = nut_core::paths::driver_socket(&cfg.statepath, &d.driver, &d.name);
        core.upses.push(Ups::new(d.name.clone(), d.desc.clone(), d.driver.clone(), socket));
    }
    Server::new(core, access)
}

/// Start the driver links of every UPS in the state.
pub fn start_links(server: &Shared) {
    let names: Vec<(String, u64)> =
        server.lock().upses.iter().map(|u| (u.name.clone(), u.generation)).collect();
    for (name, generation) in names {
        tokio::spawn(crate::driver_link::run(server.clone(), name, generation));
    }
}

/// Apply a re-read configuration: users, limits, descriptions, and the UPS list (new UPSes
/// get a link, removed ones lose theirs and their logged-in clients, a changed driver
/// reconnects).
pub fn reload(server: &Shared, cfg: &Config) {
    let mut spawn = Vec::new();
    {
        let mut core = server.lock();
        core.users = Users::new(cfg.users.clone());
        core.descs = cfg.descs.clone();
        core.maxage = Duration::from_secs(u64::from(cfg.upsd.maxage));
        core.tracking.set_keep(Duration::from_secs(u64::from(cfg.upsd.trackingdelay)));

        let mut kept = Vec::new();
        for old in std::mem::take(&mut core.upses) {
            if cfg.upses.iter().any(|d| d.name == old.name) {
                kept.push(old);
            } else {
                tracing::info!("UPS {} disappeared during reload", old.name);
                for l in &old.logins {
                    tracing::info!("Kicking client {} (was on UPS [{}])", l.addr, old.name);
                    l.kick.notify_one();
                }
                // Watchers are closed too, so they re-WATCH and learn the UPS is gone
                // (ERR UNKNOWN-UPS) instead of waiting for events that never come.
                for w in &old.watch.watchers {
                    w.kick.notify_one();
                }
            }
        }
        let mut upses = Vec::new();
        for d in &cfg.upses {
            let socket = nut_core::paths::driver_socket(&cfg.statepath, &d.driver, &d.name);
            match kept.iter().position(|u| u.name == d.name) {
                Some(i) => {
                    let mut u = kept.remove(i);
                    u.desc = d.desc.clone();
                    if u.socket != socket {
                        // Another driver (or statepath): a new link replaces the old one.
                        u.generation += 1;
                        u.driver = d.driver.clone();
                        u.socket = socket;
                        u.on_disconnect();
                        crate::watch::publish(&mut u, core.maxage);
                        spawn.push((u.name.clone(), u.generation));
                    }
                    upses.push(u);
                }
                None => {
                    tracing::info!("New UPS [{}] from reload", d.name);
                    upses.push(Ups::new(d.name.clone(), d.desc.clone(), d.driver.clone(), socket));
                    spawn.push((d.name.clone(), 0));
                }
            }
        }
        if upses.is_empty() {
            tracing::warn!("Warning: no UPSes currently defined!");
        }
        core.upses = upses;
    }
    for (name, generation) in spawn {
        tokio::spawn(crate::driver_link::run(server.clone(), name, generation));
    }
}

/// NUT 2.8.5's debug level after a reload: `DEBUG_MIN` when the re-read upsd.conf has it
/// (applied as-is, lower or higher than before), else the level the command line asked for
/// (`-D`, else `NUT_DEBUG_LEVEL`), as its upsd does (its man page says "unchanged"; its code,
/// which we follow, returns to the command line's level, so that commenting DEBUG_MIN away
/// ends the extra logging as the man page recommends).
pub fn apply_reloaded_debug(debug_min: Option<u32>, cli_debug: u8) {
    match debug_min {
        Some(level) => {
            tracing::info!("Applying DEBUG_MIN {level} from upsd.conf");
            nut_daemon::log::set_debug_level(level.min(255) as u8);
        }
        None => {
            tracing::info!("Applying debug level {cli_debug} from original command line arguments");
            nut_daemon::log::set_debug_level(cli_debug);
        }
    }
}

/// Run until SIGTERM/SIGINT. `listeners` are already bound (before privileges were dropped);
/// `cli_debug` is the debug level the command line asked for (a reload without DEBUG_MIN
/// returns to it); `access` holds the tcp-wrappers files, read at start-up.
pub async fn run(
    cfg: Config,
    listeners: Vec<TcpListener>,
    tls: Option<Arc<nut_tls::rustls::ServerConfig>>,
    cli_debug: u8,
    access: crate::access::Access,
) -> Result<(), String> {
    let server = build(&cfg, access);
    let mut hup = signal(SignalKind::hangup()).map_err(|e| format!("can't handle SIGHUP: {e}"))?;
    let mut term = signal(SignalKind::terminate()).map_err(|e| format!("can't handle SIGTERM: {e}"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("can't handle SIGINT: {e}"))?;

    start_links(&server);
    let maxconn = cfg.upsd.maxconn.map(|n| n as usize).unwrap_or_else(default_maxconn);
    let limit = Arc::new(Semaphore::new(maxconn));
    let settings = Arc::new(ConnSettings { idle_timeout: idle_timeout(), tls });
    for l in listeners {
        tokio::spawn(listener::accept_loop(server.clone(), l, limit.clone(), maxconn, settings.clone()));
    }
    // Every LISTEN socket is bound and listening (a client that connects now is queued and
    // answered as soon as this loop runs): tell the service manager.
    nut_daemon::notify::ready();

    loop {
        // The watchdog is fed from this loop, so a stuck runtime stops the pings.
        nut_daemon::notify::watchdog_tick();
        let watchdog = nut_daemon::notify::watchdog_wait(Duration::from_secs(3600));
        tokio::select! {
            _ = tokio::time::sleep(watchdog) => {}
            _ = hup.recv() => {
                tracing::info!("SIGHUP: reloading configuration");
                nut_daemon::notify::reloading();
                match config::load(&cfg.confpath, |k| std::env::var(k).ok()) {
                    Ok(new) => {
                        apply_reloaded_debug(new.upsd.debug_min, cli_debug);
                        for w in &new.warnings {
                            tracing::warn!("{w}");
                        }
                        if new.upsd.certfile != cfg.upsd.certfile
                            || new.upsd.certpath != cfg.upsd.certpath
                            || new.upsd.certrequest != cfg.upsd.certrequest
                        {
                            tracing::warn!("TLS settings changed in upsd.conf: restart upsd to apply them");
                        }
                        if new.upsd.listen != cfg.upsd.listen {
                            tracing::warn!("LISTEN changed in upsd.conf: restart upsd to apply it");
                        }
                        reload(&server, &new);
                    }
                    Err(e) => tracing::error!("Reload failed: {e}"),
                }
                server.access.reload();
                nut_daemon::notify::ready();
            }
            _ = term.recv() => {
                stop(libc::SIGTERM);
                return Ok(());
            }
            _ = int.recv() => {
                stop(libc::SIGINT);
                return Ok(());
            }
        }
    }
}

/// NUT's exit line, and STOPPING to the service manager before the sockets close.
fn stop(sig: libc::c_int) {
    let why = format!("Signal {sig}: exiting");
    tracing::info!("{why}");
    nut_daemon::notify::stopping(Some(&why));
}

/// `NUT_UPSD_IDLE_TIMEOUT` (seconds) overrides NUT's 60 s, mainly for tests.
fn idle_timeout() -> Duration {
    std::env::var("NUT_UPSD_IDLE_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
        .unwrap_or(IDLE_TIMEOUT)
}

/// Without MAXCONN, allow what the file descriptor limit allows, minus a reserve for driver
/// sockets and files.
fn default_maxconn() -> usize {
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes into the valid struct.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) } == 0;
    let cur = if ok { rl.rlim_cur as usize } else { 1024 };
    cur.saturating_sub(64).max(16)
}
