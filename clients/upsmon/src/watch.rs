//! The event subscription (`WATCH`, docs/event-subscription.md): one extra connection per upsd
//! on which our upsd pushes `EVENT <ups> ...` lines when a status changes, so upsmon polls at
//! once instead of up to POLLFREQ seconds later.
//!
//! Decisions are still made from ordinary polls on the normal connection: an event only says
//! "poll this UPS now". A reader thread per upsd turns lines into [`WatchMsg`]s on a channel;
//! the runner waits on that channel instead of sleeping. When a server answers `ERR
//! UNKNOWN-COMMAND` (NUT's upsd) or the connection fails, upsmon simply keeps polling and tries
//! the watch again later.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::machine::{Level, Millis};

/// How long to wait before asking a server that refused `WATCH` again (it may be upgraded).
pub const UNSUPPORTED_RETRY: Millis = 300_000;

/// `upsmon -4` / `-6`: which address family connections use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// IPv4 only.
    V4,
    /// IPv6 only.
    V6,
}

/// Resolves `host:port` to the addresses upsmon may use, in resolver order, keeping only
/// `family` when given (as NUT's `-4`/`-6` set the resolver's address family).
pub fn resolve(host: &str, port: u16, family: Option<Family>) -> Result<Vec<std::net::SocketAddr>, String> {
    let all: Vec<_> =
        (host, port).to_socket_addrs().map_err(|e| format!("cannot resolve {host}: {e}"))?.collect();
    let kept: Vec<_> = all
        .into_iter()
        .filter(|a| match family {
            None => true,
            Some(Family::V4) => a.is_ipv4(),
            Some(Family::V6) => a.is_ipv6(),
        })
        .collect();
    if kept.is_empty() {
        let which = if family == Some(Family::V6) { "IPv6 (upsmon -6)" } else { "IPv4 (upsmon -4)" };
        return Err(format!("{host} has no {which} address"));
    }
    Ok(kept)
}

/// What a watch thread reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchMsg {
    /// upsd accepted `WATCH <ups>`.
    Watching {
        /// The server (`host:port`).
        key: String,
        /// Thread generation, to ignore messages from a stopped thread.
        generation: u64,
        /// The UPS name as sent.
        ups: String,
    },
    /// Something changed for this UPS: poll it.
    Event {
        /// The server (`host:port`).
        key: String,
        /// Thread generation.
        generation: u64,
        /// The UPS name as upsd echoed it.
        ups: String,
    },
    /// The watch connection ended or never worked.
    Ended {
        /// The server (`host:port`).
        key: String,
        /// Thread generation.
        generation: u64,
        /// Why, for the log.
        reason: String,
        /// True when upsd does not know `WATCH` (NUT's upsd).
        unsupported: bool,
    },
}

/// One line from a watch connection, parsed.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// `OK`: a `WATCH` was accepted.
    Ok,
    /// `EVENT <ups> ...`.
    Event(String),
    /// `ERR UNKNOWN-COMMAND` (or `ERR UNKNOWN-CMD`): the server has no event subscription.
    Unsupported,
    /// Another `ERR <code>` (e.g. UNKNOWN-UPS): that UPS is only polled.
    Err(String),
    /// Anything else is ignored.
    Other,
}

/// Parses one line of a watch connection (pure).
pub fn parse_line(line: &str) -> Line {
    let line = line.trim_end_matches(['\r', '\n']);
    let mut words = line.split_whitespace();
    match words.next() {
        Some("OK") => Line::Ok,
        Some("EVENT") => match words.next() {
            Some(ups) => Line::Event(ups.to_string()),
            None => Line::Other,
        },
        Some("ERR") => match words.next() {
            Some("UNKNOWN-COMMAND") | Some("UNKNOWN-CMD") => Line::Unsupported,
            Some(code) => Line::Err(code.to_string()),
            None => Line::Other,
        },
        _ => Line::Other,
    }
}

#[derive(Debug)]
struct Server {
    generation: u64,
    /// A clone of the running thread's socket once connected, to stop it.
    stream: Arc<Mutex<Option<TcpStream>>>,
    running: bool,
    retry_at: Millis,
    /// Whether the "not supported" line was logged already (logged once per server).
    told_unsupported: bool,
}

/// What [`Watches::handle`] returns: the `(server, UPS)` to poll now, if any, and log lines.
pub type Handled = (Option<(String, String)>, Vec<(Level, String)>);

/// The watch connections of one upsmon.
pub struct Watches {
    tx: Sender<WatchMsg>,
    /// Messages from the threads; the runner waits on this.
    pub rx: Receiver<WatchMsg>,
    servers: HashMap<String, Server>,
    next_generation: u64,
    /// `-4`/`-6`.
    pub family: Option<Family>,
}

impl Default for Watches {
    fn default() -> Self {
        let (tx, rx) = channel();
        Watches { tx, rx, servers: HashMap::new(), next_generation: 1, family: None }
    }
}

impl Watches {
    /// Starts a watch for each server in `wanted` (`host:port` → (host, port, UPS names))
    /// that has none and whose retry time has come.
    pub fn ensure(&mut self, now: Millis, wanted: &HashMap<String, (String, u16, Vec<String>)>) {
        for (key, (host, port, upses)) in wanted {
            let s = self.servers.entry(key.clone()).or_insert(Server {
                generation: 0,
                stream: Arc::default(),
                running: false,
                retry_at: 0,
                told_unsupported: false,
            });
            if s.running || now < s.retry_at {
                continue;
            }
            let generation = self.next_generation;
            self.next_generation += 1;
            s.generation = generation;
            s.running = true;
            let (tx, key, host, port, upses) =
                (self.tx.clone(), key.clone(), host.clone(), *port, upses.clone());
            let family = self.family;
            s.stream = Arc::default();
            let stx = s.stream.clone();
            let spawned = std::thread::Builder::new()
                .name("upsmon-watch".into())
                .spawn(move || watch_thread(&key, generation, (&host, port, family), &upses, &tx, &stx));
            if spawned.is_err() {
                s.running = false;
                s.retry_at = now + 60_000;
            }
        }
    }

    /// Handles a thread's message; returns the UPS to poll for an event, and log lines.
    pub fn handle(&mut self, msg: WatchMsg, now: Millis, pollfreq_ms: Millis) -> Handled {
        let mut logs = Vec::new();
        match msg {
            WatchMsg::Watching { key, generation, ups } => {
                if self.current(&key, generation) {
                    logs.push((Level::Info, format!("Watching UPS [{ups}] on upsd {key} for events")));
                }
                (None, logs)
            }
            WatchMsg::Event { key, generation, ups } => {
                if self.current(&key, generation) {
                    (Some((key, ups)), logs)
                } else {
                    (None, logs)
                }
            }
            WatchMsg::Ended { key, generation, reason, unsupported } => {
                if !self.current(&key, generation) {
                    return (None, logs);
                }
                if let Some(s) = self.servers.get_mut(&key) {
                    s.running = false;
                    if unsupported {
                        s.retry_at = now + UNSUPPORTED_RETRY;
                        if !s.told_unsupported {
                            s.told_unsupported = true;
                            logs.push((
                                Level::Info,
                                format!(
                                    "upsd {key} has no event subscription ({reason}): polling every POLLFREQ seconds as NUT does"
                                ),
                            ));
                        }
                    } else {
                        s.retry_at = now + pollfreq_ms.max(1000);
                        logs.push((
                            Level::Debug,
                            format!(
                                "Watch connection to upsd {key} ended ({reason}): polling, retrying later"
                            ),
                        ));
                    }
                }
                (None, logs)
            }
        }
    }

    fn current(&self, key: &str, generation: u64) -> bool {
        self.servers.get(key).is_some_and(|s| s.generation == generation)
    }

    /// Stops every watch (reload, exit); they start again at the next [`Watches::ensure`].
    pub fn stop_all(&mut self) {
        for (_, s) in self.servers.drain() {
            if let Some(st) = s.stream.lock().ok().and_then(|mut g| g.take()) {
                let _ = st.shutdown(Shutdown::Both);
            }
        }
    }
}

fn connect(host: &str, port: u16, family: Option<Family>) -> Result<TcpStream, String> {
    let addrs = resolve(host, port, family)?;
    let mut last = format!("no address for {host}");
    for a in addrs {
        match TcpStream::connect_timeout(&a, Duration::from_secs(10)) {
            Ok(s) => return Ok(s),
            Err(e) => last = e.to_string(),
        }
    }
    Err(last)
}

/// Turns on TCP keepalive so a server that vanished without a reset is noticed: upsd sends
/// nothing on an idle watch connection.
fn keepalive(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    let fd = s.as_raw_fd();
    let set = |level: libc::c_int, opt: libc::c_int, v: libc::c_int| {
        // SAFETY: setsockopt on a socket we own, with a pointer to a live c_int and its size.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                opt,
                (&v as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    };
    set(libc::SOL_SOCKET, libc::SO_KEEPALIVE, 1);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, 30);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, 10);
    set(libc::IPPROTO_TCP, libc::TCP_KEEPCNT, 3);
}

fn watch_thread(
    key: &str,
    generation: u64,
    (host, port, family): (&str, u16, Option<Family>),
    upses: &[String],
    tx: &Sender<WatchMsg>,
    stream_slot: &Mutex<Option<TcpStream>>,
) {
    let ended = |reason: String, unsupported: bool| {
        let _ = tx.send(WatchMsg::Ended { key: key.to_string(), generation, reason, unsupported });
    };
    let stream = match connect(host, port, family) {
        Ok(s) => s,
        Err(e) => return ended(e, false),
    };
    keepalive(&stream);
    let _ = stream.set_nodelay(true);
    if let (Ok(c), Ok(mut slot)) = (stream.try_clone(), stream_slot.lock()) {
        *slot = Some(c);
    }
    let mut writer = match stream.try_clone() {
        Ok(w) => w,
        Err(e) => return ended(e.to_string(), false),
    };
    let mut req = String::new();
    for u in upses {
        req.push_str(&format!("WATCH {u}\n"));
    }
    if let Err(e) = writer.write_all(req.as_bytes()) {
        return ended(e.to_string(), false);
    }
    // Replies come in request order: OK (plus the initial state) or ERR for each WATCH.
    let mut pending = upses.iter();
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => return ended("connection closed by upsd".into(), false),
            Ok(_) => {}
            Err(e) => return ended(e.to_string(), false),
        }
        match parse_line(&line) {
            Line::Ok => {
                if let Some(u) = pending.next() {
                    let _ = tx.send(WatchMsg::Watching { key: key.to_string(), generation, ups: u.clone() });
                }
            }
            Line::Event(ups) => {
                if tx.send(WatchMsg::Event { key: key.to_string(), generation, ups }).is_err() {
                    return;
                }
            }
            Line::Unsupported => return ended(line.trim_end().to_string(), true),
            Line::Err(_) => {
                // This UPS is only polled; the others keep their watch.
                pending.next();
            }
            Line::Other => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolving_keeps_only_the_asked_family() {
        let v4 = resolve("127.0.0.1", 3493, Some(Family::V4)).unwrap_or_default();
        assert_eq!(v4.len(), 1);
        let e = resolve("127.0.0.1", 3493, Some(Family::V6)).err().unwrap_or_default();
        assert!(e.contains("no IPv6 (upsmon -6) address"), "{e}");
        assert!(resolve("::1", 3493, Some(Family::V4)).is_err());
    }

    #[test]
    fn lines_are_classified() {
        assert_eq!(parse_line("OK\n"), Line::Ok);
        assert_eq!(parse_line("EVENT ups1 STATUS \"OB\"\r\n"), Line::Event("ups1".into()));
        assert_eq!(parse_line("EVENT ups1 DATA-STALE"), Line::Event("ups1".into()));
        assert_eq!(parse_line("ERR UNKNOWN-COMMAND"), Line::Unsupported);
        assert_eq!(parse_line("ERR UNKNOWN-UPS"), Line::Err("UNKNOWN-UPS".into()));
        assert_eq!(parse_line("EVENT"), Line::Other);
        assert_eq!(parse_line(""), Line::Other);
        assert_eq!(parse_line("\u{0}garbage"), Line::Other);
    }

    #[test]
    fn unsupported_is_logged_once_and_retried_late() {
        let mut w = Watches::default();
        w.servers.insert(
            "h:1".into(),
            Server {
                generation: 7,
                stream: Arc::default(),
                running: true,
                retry_at: 0,
                told_unsupported: false,
            },
        );
        let ended = |g| WatchMsg::Ended {
            key: "h:1".into(),
            generation: g,
            reason: "ERR UNKNOWN-COMMAND".into(),
            unsupported: true,
        };
        let (_, logs) = w.handle(ended(7), 1000, 5000);
        assert_eq!(logs.len(), 1);
        assert_eq!(w.servers["h:1"].retry_at, 1000 + UNSUPPORTED_RETRY);
        if let Some(s) = w.servers.get_mut("h:1") {
            s.running = true;
        }
        let (_, logs) = w.handle(ended(7), 2000, 5000);
        assert!(logs.is_empty(), "logged once per server");
        // A message from an old thread changes nothing.
        let (poll, _) = w.handle(WatchMsg::Event { key: "h:1".into(), generation: 3, ups: "u".into() }, 0, 0);
        assert_eq!(poll, None);
    }
}
