//! One client connection: read bytes, split them into requests, answer into a buffer, and
//! write the buffer in as few writes as possible.
//!
//! Back-pressure: replies go to a per-connection buffer. While it holds more than
//! [`OUT_LIMIT`] bytes (a client that sends requests and never reads), we stop reading that
//! client's requests; its own socket buffers fill and it stalls alone. Every other client is
//! served by its own task and never waits for it (NUT's single poll loop freezes for
//! everybody in that case).
//!
//! Cost: the connection is one hand-written poll function ([`Conn::poll_io`]) rather than a
//! `select!` over futures, so a request costs one `read`, one `write` and (when the client is
//! not quicker than us) one `epoll_wait`, like a minimal epoll server, and an idle connection
//! keeps no future state besides its idle timer. Reads land in a buffer shared by all
//! connections (the runtime is single-threaded), replies are formatted into a shared buffer
//! too, and the request lexer with its word buffers is shared while no line is half read: a
//! connection only keeps buffers of its own while it has unanswered input, unsent output or a
//! partial line.

use std::cell::Cell;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use nut_proto::net::{LexEvent, LineLexer};
use nut_tls::rustls::ServerConfig;
use tokio::net::TcpStream;
use tokio::sync::futures::OwnedNotified;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{sleep, Instant, Sleep};

use crate::commands::{dispatch, forget_connection, Out, Session};
use crate::state::Shared;
use crate::tls::Transport;

/// Stop reading requests while this much output is waiting for the client.
pub const OUT_LIMIT: usize = 256 * 1024;
/// Bytes read per system call.
const READ_CHUNK: usize = 16 * 1024;
/// The shared output buffer is given back at this capacity or below (a `LIST VAR` burst may
/// have grown it far beyond what a usual batch of replies needs).
const KEEP_OUT: usize = 64 * 1024;

thread_local! {
    // Every read lands here first, and only bytes that cannot be answered right away are
    // copied into the connection's own buffer: a per-connection READ_CHUNK buffer would cost
    // 16 KiB of RSS for every idle client.
    static READ_BUF: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    // Replies are formatted here and stay with the connection only if the socket did not
    // take them all.
    static OUT_BUF: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
    // The lexer (with its reusable word buffers) of whichever connection is parsing; a
    // connection keeps its own only while a line is half read.
    static LEXER: Cell<Option<Box<LineLexer>>> = const { Cell::new(None) };
}

/// Per-connection settings.
#[derive(Debug, Clone)]
pub struct ConnSettings {
    /// Drop a client that sent nothing for this long (NUT: 60 s).
    pub idle_timeout: Duration,
    /// The TLS configuration when `CERTFILE` is set (STARTTLS is accepted).
    pub tls: Option<Arc<ServerConfig>>,
}

/// Why [`Conn::poll_io`] returned.
enum Step {
    /// Close the connection, for this reason (logged at debug level).
    Exit(&'static str),
    /// `OK STARTTLS` has been sent: switch to TLS.
    StartTls,
}

const CLIENT_CLOSED: &str = "client closed the connection";
const WRITE_FAILED: &str = "write failure";
const KICKED: &str = "kicked (its UPS was removed from ups.conf, or it did not read its events)";

/// Serve one client until it leaves, idles out, sends LOGOUT or is kicked. `permit` (its
/// MAXCONN slot) is released when it is gone.
///
/// Not an `async fn`: an async fn keeps its arguments for its whole life beside what is made
/// of them, and this future is what every idle client costs. Everything is built here, and
/// the task only holds the [`Conn`], the socket and the idle timer.
pub fn serve(
    server: Shared,
    stream: TcpStream,
    peer: SocketAddr,
    settings: Arc<ConnSettings>,
    permit: OwnedSemaphorePermit,
) -> impl Future<Output = ()> {
    // Replies are already batched, so Nagle would only add a delayed-ACK round trip.
    let _ = stream.set_nodelay(true);
    let id = server.lock().new_client_id();
    tracing::debug!("Connect from {}", peer.ip());
    let fd = std::os::fd::AsRawFd::as_raw_fd(&stream);
    let mut c = Conn {
        session: Session::new(id, peer.ip(), fd, settings.tls.is_some()),
        server,
        lexer: None,
        out: Out::default(),
        sent: 0,
        rest: Vec::new(),
        rpos: 0,
        last_read: coarse_ms(),
        idle_armed: false,
        settings,
        kicked: None,
        yield_next: false,
        _permit: permit,
    };
    let mut stream = Transport::Plain(stream);
    // An async block, not an async fn taking `c` and `stream`: that would keep each twice (the
    // argument and the local it is moved into).
    async move {
        // The idle timer is armed once and only moved when it fires early: resetting a timer
        // on every read would cost a timer-wheel update per request. It counts from the last
        // complete request, not the last byte: a client that dribbles bytes of a line it never
        // finishes (slowloris) is idle too, and would otherwise hold its MAXCONN slot forever.
        let idle = sleep(c.settings.idle_timeout);
        tokio::pin!(idle);
        let reason = loop {
            match std::future::poll_fn(|cx| c.poll_io(cx, &mut stream, idle.as_mut())).await {
                Step::Exit(reason) => break reason,
                Step::StartTls => {
                    // Everything from here on is TLS, including whatever the client sent after
                    // its STARTTLS line.
                    let Some(config) = c.settings.tls.clone() else { break "STARTTLS without CERTFILE" };
                    let tcp = match stream {
                        Transport::Plain(tcp) | Transport::Tls(tcp, _, _) => tcp,
                    };
                    let early = std::mem::take(&mut c.rest);
                    // Boxed: the handshake's state would otherwise make every connection's
                    // task (idle ones included) as large as itself.
                    let accepted = Box::pin(crate::tls::accept(
                        tcp,
                        config,
                        &early[c.rpos..],
                        c.session.addr,
                        c.settings.idle_timeout,
                    ))
                    .await;
                    c.rpos = 0;
                    match accepted {
                        Ok(t) => {
                            stream = t;
                            c.session.tls_active = true;
                            c.last_read = coarse_ms();
                        }
                        Err(e) => {
                            tracing::warn!("{e}");
                            let mut core = c.server.lock();
                            forget_connection(&mut core, &c.session);
                            return;
                        }
                    }
                }
            }
        };
        stream.close();
        tracing::debug!("Disconnect from {} ({reason})", c.session.addr);
        let mut core = c.server.lock();
        forget_connection(&mut core, &c.session);
    }
}

/// Milliseconds on CLOCK_MONOTONIC_COARSE: read without the TSC, a few nanoseconds, and exact
/// to a clock tick (at most 10 ms), plenty for an idle timeout counted in seconds. Every batch
/// of requests stamps its time, so this is on the path of every request.
fn coarse_ms() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes into the valid timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_COARSE, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// A connection's state between wakeups (the socket and the idle timer live beside it in
/// [`serve`], which moves the socket on STARTTLS).
struct Conn {
    server: Shared,
    session: Session,
    /// This connection's lexer while a line is half read (else the shared one is used).
    lexer: Option<Box<LineLexer>>,
    /// Output not yet written, from `sent` on (empty, without capacity, when all was sent).
    out: Out,
    sent: usize,
    /// Input read but not yet processed, from `rpos` on (kept while the output is full, or
    /// after LOGOUT or STARTTLS).
    rest: Vec<u8>,
    rpos: usize,
    /// When the last complete request arrived ([`coarse_ms`]).
    last_read: u64,
    /// The idle timer holds our waker: it only needs a poll again once it has fired.
    idle_armed: bool,
    /// Shared by all connections.
    settings: Arc<ConnSettings>,
    /// Waits for the session's kick, once the session has one.
    kicked: Option<Pin<Box<OwnedNotified>>>,
    /// A full chunk was read: let other connections run before reading more.
    yield_next: bool,
    /// The MAXCONN slot.
    _permit: OwnedSemaphorePermit,
}

impl Conn {
    /// Serve until the connection must close or switch to TLS; `Pending` leaves the task's
    /// waker with everything that can make progress: the socket (read, or write while output
    /// waits), the event queue, the kick and the idle timer.
    fn poll_io(
        &mut self,
        cx: &mut Context<'_>,
        stream: &mut Transport,
        mut idle: Pin<&mut Sleep>,
    ) -> Poll<Step> {
        loop {
            if let Some(k) = self.kicked.as_mut() {
                if k.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Step::Exit(KICKED));
                }
            }

            // A request that waited for a host name lookup (tcp-wrappers) is answered first.
            if self.poll_deferred(cx) {
                continue;
            }

            // Input left over from an earlier read goes first, while there is room.
            if self.rpos < self.rest.len() && self.has_room() && !self.session.waiting() {
                let rest = std::mem::take(&mut self.rest);
                self.rpos += self.process(&rest[self.rpos..]);
                if self.rpos < rest.len() {
                    self.rest = rest;
                } else {
                    self.rpos = 0;
                }
                // A request that now waits for a host name: its lookup is polled at the top.
                if self.session.waiting() {
                    continue;
                }
            }

            // Write what we can without waiting.
            while self.sent < self.out.buf.len() {
                match stream.poll_write(cx, &self.out.buf[self.sent..]) {
                    Poll::Ready(Ok(n)) if n > 0 => self.sent += n,
                    Poll::Ready(Ok(_)) => return Poll::Ready(Step::Exit(WRITE_FAILED)),
                    Poll::Ready(Err(e)) => {
                        tracing::debug!("write to {} failed: {e}", self.session.addr);
                        return Poll::Ready(Step::Exit(WRITE_FAILED));
                    }
                    Poll::Pending => break,
                }
            }
            let flushed = match stream.poll_flush(cx) {
                Poll::Ready(Ok(())) => true,
                Poll::Ready(Err(e)) => {
                    tracing::debug!("write to {} failed: {e}", self.session.addr);
                    return Poll::Ready(Step::Exit(WRITE_FAILED));
                }
                Poll::Pending => false,
            };
            if self.sent == self.out.buf.len() {
                self.release_out();
                if self.session.closing && flushed {
                    return Poll::Ready(Step::Exit(CLIENT_CLOSED));
                }
                if self.session.start_tls {
                    self.session.start_tls = false;
                    return Poll::Ready(Step::StartTls);
                }
            } else if self.sent > OUT_LIMIT {
                // Keep the buffer from growing without bound while the client reads slowly.
                self.out.buf.drain(..self.sent);
                self.sent = 0;
            }

            if self.yield_next {
                self.yield_next = false;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }

            // Events of watched UPSes, while there is room for them: a watcher that does not
            // read fills its bounded queue and is dropped by the publisher instead of growing
            // our buffer.
            let mut got_event = false;
            if let Some(w) = self.session.watch.as_mut() {
                while self.out.buf.len() - self.sent < OUT_LIMIT && !self.session.closing {
                    match w.rx.poll_recv(cx) {
                        Poll::Ready(Some(text)) => {
                            if self.out.buf.capacity() == 0 {
                                self.out.buf = OUT_BUF.take();
                            }
                            self.out.buf.extend_from_slice(text.as_bytes());
                            got_event = true;
                        }
                        _ => break,
                    }
                }
            }
            if got_event {
                continue;
            }

            // Read more requests when everything read so far is answered and there is room.
            if self.rpos == self.rest.len()
                && self.has_room()
                && !self.session.closing
                && !self.session.start_tls
                && !self.session.waiting()
            {
                let mut buf = READ_BUF.take();
                if buf.len() < READ_CHUNK {
                    buf = vec![0u8; READ_CHUNK];
                }
                let r = stream.poll_read(cx, &mut buf);
                let step = match r {
                    Poll::Ready(Ok(0)) => Some(Step::Exit(CLIENT_CLOSED)),
                    Poll::Ready(Ok(n)) => {
                        let used = self.process(&buf[..n]);
                        if used < n {
                            self.rest.extend_from_slice(&buf[used..n]);
                            self.rpos = 0;
                        }
                        // A bulk sender (pipelined requests, or a flood of garbage) gets one
                        // chunk per turn: without this, the runtime's budget lets one
                        // connection run through up to 128 chunks (2 MiB) while every other
                        // client waits.
                        self.yield_next = n == READ_CHUNK;
                        None
                    }
                    Poll::Ready(Err(e)) => {
                        tracing::debug!("read from {} failed: {e}", self.session.addr);
                        Some(Step::Exit("read failure"))
                    }
                    Poll::Pending => {
                        READ_BUF.set(buf);
                        break;
                    }
                };
                READ_BUF.set(buf);
                if let Some(step) = step {
                    return Poll::Ready(step);
                }
                continue;
            }
            // Input left over that can be answered now (the output drained below OUT_LIMIT
            // in this turn): nothing else would wake this task for it.
            if self.rpos < self.rest.len()
                && self.has_room()
                && !self.session.closing
                && !self.session.start_tls
                && !self.session.waiting()
            {
                continue;
            }
            break;
        }

        // A kick handle made by this poll's requests needs its first poll to register.
        if let Some(k) = self.kicked.as_mut() {
            if k.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Step::Exit(KICKED));
            }
        }
        // Watchers only wait for events, never for the idle timeout.
        if self.session.watch.is_none() && (!self.idle_armed || idle.is_elapsed()) {
            while idle.as_mut().poll(cx).is_ready() {
                let quiet = Duration::from_millis(coarse_ms().saturating_sub(self.last_read));
                if quiet >= self.settings.idle_timeout {
                    return Poll::Ready(Step::Exit("idle timeout"));
                }
                idle.as_mut().reset(Instant::now() + (self.settings.idle_timeout - quiet));
            }
            self.idle_armed = true;
        }
        Poll::Pending
    }

    /// Whether replies may be added (the output is below [`OUT_LIMIT`]).
    fn has_room(&self) -> bool {
        self.out.buf.len() - self.sent < OUT_LIMIT
    }

    /// Feed `data` to the lexer and answer every complete line into the output; returns how
    /// many bytes were used (fewer than all when the output filled up, or after LOGOUT or
    /// STARTTLS).
    fn process(&mut self, data: &[u8]) -> usize {
        let mut lexer = self.lexer.take().or_else(|| LEXER.take()).unwrap_or_default();
        if self.out.buf.capacity() == 0 {
            self.out.buf = OUT_BUF.take();
        }
        let mut used = 0;
        let mut got_line = false;
        while used < data.len()
            && self.has_room()
            && !self.session.closing
            && !self.session.start_tls
            && !self.session.waiting()
        {
            let (n, event) = lexer.feed_slice(&data[used..]);
            used += n;
            match event {
                LexEvent::Pending => {}
                LexEvent::Line => {
                    dispatch(&self.server, &mut self.session, lexer.words(), &mut self.out);
                    lexer.clear_line();
                    got_line = true;
                }
                LexEvent::Error(msg) => {
                    // NUT drops the rest of what it read with the bad line and starts afresh.
                    tracing::info!("Parse error on sock: {msg}");
                    lexer.restart();
                    used = data.len();
                }
            }
        }
        if got_line {
            self.last_read = coarse_ms();
            if self.kicked.is_none() {
                if let Some(k) = &self.session.kick {
                    self.kicked = Some(Box::pin(k.clone().notified_owned()));
                }
            }
        }
        if lexer.is_idle() {
            LEXER.set(Some(lexer));
        } else {
            self.lexer = Some(lexer);
        }
        used
    }

    /// When a host name lookup for tcp-wrappers has arrived, answer the request that waited
    /// for it; true when that happened (the caller then goes on with the rest).
    fn poll_deferred(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(w) = self.session.wrap.as_mut() else { return false };
        let Some((which, rx)) = w.lookup.as_mut() else { return false };
        let which = *which;
        let name = match Pin::new(rx).poll(cx) {
            Poll::Pending => return false,
            Poll::Ready(Ok(n)) => n,
            // The lookup task is gone (runtime shutting down): libwrap's "no name".
            Poll::Ready(Err(_)) => nut_conf::hosts_access::UNKNOWN.to_string(),
        };
        tracing::debug!("tcp-wrappers: host name of {} is {name}", self.session.addr);
        match which {
            nut_conf::hosts_access::Which::Client => w.client_name = Some(name),
            nut_conf::hosts_access::Which::Server => w.server_name = Some(name),
        }
        w.lookup = None;
        let Some(words) = w.deferred.take() else { return true };
        if self.out.buf.capacity() == 0 {
            self.out.buf = OUT_BUF.take();
        }
        dispatch(&self.server, &mut self.session, &words, &mut self.out);
        self.last_read = coarse_ms();
        if self.kicked.is_none() {
            if let Some(k) = &self.session.kick {
                self.kicked = Some(Box::pin(k.clone().notified_owned()));
            }
        }
        true
    }

    /// All output was sent: give the buffer back for the next connection's replies.
    fn release_out(&mut self) {
        self.sent = 0;
        if self.out.buf.capacity() > 0 {
            let mut buf = std::mem::take(&mut self.out.buf);
            if buf.capacity() <= KEEP_OUT {
                buf.clear();
                OUT_BUF.set(buf);
            }
        }
    }
}
