//! The link to one driver: connect to `<statepath>/<driver>-<ups>`, ask for DUMPALL, apply
//! what the driver sends to the UPS's variable tree, forward SET/INSTCMD, PING when the
//! driver is quiet, and reconnect (with a fresh DUMPALL) when it restarts.

use std::path::Path;
use std::time::Duration;

use nut_proto::sock::DriverMsg;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::mpsc;
use tokio::time::{interval, Instant, MissedTickBehavior};

use crate::state::{DataChange, Shared};

/// A driver line longer than this is garbage; it is dropped.
const MAX_DRIVER_LINE: usize = 64 * 1024;
/// First delay before reconnecting; doubles up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(250);
/// Longest delay between connection attempts.
const MAX_RETRY: Duration = Duration::from_secs(2);

/// Keep UPS `name` linked to its driver while it stays in the configuration with this
/// `generation`.
pub async fn run(server: Shared, name: String, generation: u64) {
    let mut retry = FIRST_RETRY;
    let mut reported = false;
    loop {
        let (socket, driver) = {
            let core = server.lock();
            match core.ups(&name) {
                Some(u) if u.generation == generation => (u.socket.clone(), u.driver.clone()),
                _ => return,
            }
        };
        let sockname = socket.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        match UnixStream::connect(&socket).await {
            Ok(stream) => {
                tracing::info!("Connected to UPS [{name}]: {sockname}");
                reported = false;
                retry = FIRST_RETRY;
                let why = session(&server, &name, generation, stream).await;
                let still_ours = {
                    let mut core = server.lock();
                    let maxage = core.maxage;
                    match core.ups_mut(&name) {
                        Some(u) if u.generation == generation => {
                            u.on_disconnect();
                            crate::watch::publish(u, maxage);
                            true
                        }
                        _ => false,
                    }
                };
                if !still_ours {
                    return;
                }
                tracing::warn!("Driver link for UPS [{name}] lost: {why}; reconnecting");
            }
            Err(e) => {
                if !reported {
                    tracing::warn!("Can't connect to UPS [{name}] ({sockname}): {e}");
                    tracing::warn!("{}", hint(&socket, &driver, &name, &e));
                    reported = true;
                } else {
                    tracing::debug!("Can't connect to UPS [{name}] ({sockname}): {e}");
                }
            }
        }
        tokio::time::sleep(retry).await;
        retry = (retry * 2).min(MAX_RETRY);
    }
}

/// What to do about a driver socket we can't open.
fn hint(socket: &Path, driver: &str, ups: &str, e: &std::io::Error) -> String {
    let start = format!("start the driver: upsdrvctl start {ups} (or: {driver} -a {ups})");
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            let mut msg = format!("driver socket {} does not exist: {start}", socket.display());
            let name = socket.file_name().map(|s| s.to_os_string()).unwrap_or_default();
            let ours = socket.parent().map(Path::to_path_buf).unwrap_or_default();
            for dir in ["/run/nut", "/var/run/nut", "/var/state/ups", "/tmp"] {
                let other = Path::new(dir).join(&name);
                if Path::new(dir) != ours && other.exists() {
                    msg.push_str(&format!(
                        "; a socket exists at {}: the driver uses another STATEPATH than upsd ({}); \
                         make upsd.conf STATEPATH, ups.conf statepath and NUT_STATEPATH agree",
                        other.display(),
                        ours.display()
                    ));
                }
            }
            msg
        }
        std::io::ErrorKind::ConnectionRefused => {
            format!("driver socket {} exists but nobody listens (the driver died): {start}", socket.display())
        }
        std::io::ErrorKind::PermissionDenied => format!(
            "no permission to open {}: run upsd and the drivers as the same user (upsd -u, ups.conf user=)",
            socket.display()
        ),
        _ => start,
    }
}

/// How long a driver may stay quiet before it is PINGed, and how often the link checks. A
/// healthy driver must be heard again well within MAXAGE, even a short one: the quiet time
/// (MAXAGE/3) plus one check interval leaves a third of MAXAGE for the PONG. (A fixed 1 s
/// check with a 1 s floor let a quiet, healthy driver go unheard for 2 s, so MAXAGE 2 flapped
/// to DATA-STALE.)
fn ping_timing(maxage: Duration) -> (Duration, Duration) {
    let quiet = (maxage / 3).max(Duration::from_millis(100));
    let check_every = (quiet / 2).clamp(Duration::from_millis(50), Duration::from_secs(1));
    (quiet, check_every)
}

/// Serve one connection to the driver until it breaks; returns why.
async fn session(server: &Shared, name: &str, generation: u64, stream: UnixStream) -> String {
    let (tx, mut rx) = mpsc::unbounded_channel::<String>();
    let maxage = {
        let mut core = server.lock();
        let maxage = core.maxage;
        match core.ups_mut(name) {
            Some(u) if u.generation == generation => u.on_connect(tx),
            _ => return "removed from the configuration".into(),
        }
        maxage
    };
    let (mut rd, mut wr) = stream.into_split();
    if let Err(e) = wr.write_all(b"DUMPALL\n").await {
        return format!("can't send DUMPALL: {e}");
    }

    let (third, check_every) = ping_timing(maxage);
    let mut last_ping = Instant::now();
    let mut was_stale = false;
    let mut tick = interval(check_every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut buf = vec![0u8; 16 * 1024];
    let mut line: Vec<u8> = Vec::new();
    let mut overlong = false;
    let mut msgs: Vec<DriverMsg> = Vec::new();

    loop {
        tokio::select! {
            r = rd.read(&mut buf) => {
                let n = match r {
                    Ok(0) => return "the driver closed the socket (it exited or restarted)".into(),
                    Ok(n) => n,
                    Err(e) => return format!("read error: {e}"),
                };
                for &b in &buf[..n] {
                    if b == b'\n' {
                        if !overlong {
                            let text = String::from_utf8_lossy(&line);
                            match DriverMsg::parse(text.trim_end_matches('\r')) {
                                Ok(m) => msgs.push(m),
                                Err(e) => tracing::debug!("UPS [{name}]: ignoring driver line {text:?}: {e}"),
                            }
                        }
                        line.clear();
                        overlong = false;
                    } else if line.len() < MAX_DRIVER_LINE {
                        line.push(b);
                    } else if !overlong {
                        overlong = true;
                        tracing::warn!("UPS [{name}]: driver sent a line over {MAX_DRIVER_LINE} bytes; dropped");
                    }
                }
                // One lock for the whole chunk: a DUMPALL of hundreds of lines costs one lock.
                let mut published = false;
                {
                let mut core = server.lock();
                let core = &mut *core;
                let maxage = core.maxage;
                let Some(u) = core.upses.iter_mut().find(|u| u.name == name && u.generation == generation) else {
                    return "removed from the configuration".into();
                };
                u.last_heard = std::time::Instant::now();
                for m in msgs.drain(..) {
                    if let DriverMsg::Tracking(id, status) = &m {
                        if let Some(r) = core.tracking.set(id, *status) {
                            tracing::info!("tracking ID: {id}\tresult: {r}");
                        }
                        continue;
                    }
                    // Watchers see every change, not just the state at the end of the read.
                    let publish = !u.watch.watchers.is_empty() && crate::watch::may_change_view(&m);
                    match u.apply(m) {
                        Some(DataChange::Stale) => tracing::debug!("UPS [{name}]: driver says data is stale"),
                        Some(DataChange::Ok) => tracing::debug!("UPS [{name}]: driver says data is ok"),
                        None => {}
                    }
                    if publish {
                        crate::watch::publish(u, maxage);
                        published = true;
                    }
                }
                }
                // A driver that floods changes must not fill the watchers' queues before their
                // connections run: let them take each chunk's events first.
                if published {
                    tokio::task::yield_now().await;
                }
            }
            line = rx.recv() => {
                let Some(line) = line else { return "link closed".into() };
                if let Err(e) = wr.write_all(line.as_bytes()).await {
                    return format!("write error: {e}");
                }
            }
            _ = tick.tick() => {
                let (stale, quiet) = {
                    let mut core = server.lock();
                    let maxage = core.maxage;
                    match core.ups_mut(name) {
                        Some(u) if u.generation == generation => {
                            // Silence past MAXAGE makes the data stale without any message.
                            crate::watch::publish(u, maxage);
                            (u.stale(maxage), u.last_heard.elapsed())
                        }
                        _ => return "removed from the configuration".into(),
                    }
                };
                if stale != was_stale {
                    if stale {
                        tracing::warn!("Data for UPS [{name}] is stale - check driver");
                    } else {
                        tracing::info!("UPS [{name}] data is no longer stale");
                    }
                    was_stale = stale;
                }
                if quiet > third && last_ping.elapsed() > third {
                    last_ping = Instant::now();
                    if let Err(e) = wr.write_all(b"PING\n").await {
                        return format!("write error: {e}");
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_driver_is_pinged_well_within_maxage() {
        for secs in [1u64, 2, 3, 5, 15, 60, 3600] {
            let maxage = Duration::from_secs(secs);
            let (quiet, check) = ping_timing(maxage);
            // Worst case: the driver went quiet just after a check, so the PING leaves one
            // check interval after `quiet`; its PONG then has the rest of MAXAGE.
            assert!(quiet + check <= maxage * 2 / 3, "MAXAGE {secs}: quiet {quiet:?} + check {check:?}");
            assert!(check <= Duration::from_secs(1), "MAXAGE {secs}: staleness checked every {check:?}");
        }
    }
}
