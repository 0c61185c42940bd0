//! One client connection: read bytes, split them into requests, answer into a buffer, and
//! write the buffer in as few writes as possible.
//!
//! Back-pressure: replies go to a per-connection buffer. While it holds more than
//! [`OUT_LIMIT`] bytes (a client that sends requests and never reads), we stop reading that
//! client's requests; its own socket buffers fill and it stalls alone. Every other client is
//! served by its own task and never waits for it (NUT's single poll loop freezes for
//! everybody in that case).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use nut_proto::net::{LexEvent, LineLexer};
use nut_tls::rustls::ServerConfig;
use tokio::net::TcpStream;
use tokio::time::{sleep_until, Instant};

use crate::commands::{dispatch, forget_connection, Out, Session};
use crate::state::Shared;
use crate::tls::Transport;

/// Stop reading requests while this much output is waiting for the client.
pub const OUT_LIMIT: usize = 256 * 1024;
/// Bytes read per system call.
const READ_CHUNK: usize = 16 * 1024;
/// A connection keeps an input buffer up to this capacity between reads; a larger one (left by
/// a burst of pipelined requests) is released at the next small read.
const KEEP_INBUF: usize = 256;

thread_local! {
    // Every read lands here first (the runtime is single-threaded), and only the bytes read
    // are copied into the connection's own buffer: a per-connection READ_CHUNK buffer would
    // cost 16 KiB of RSS for every idle client.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0u8; READ_CHUNK]);
}

/// Per-connection settings.
#[derive(Debug, Clone)]
pub struct ConnSettings {
    /// Drop a client that sent nothing for this long (NUT: 60 s).
    pub idle_timeout: Duration,
    /// The TLS configuration when `CERTFILE` is set (STARTTLS is accepted).
    pub tls: Option<Arc<ServerConfig>>,
}

/// Serve one client until it leaves, idles out, sends LOGOUT or is kicked.
pub async fn serve(server: Shared, stream: TcpStream, peer: SocketAddr, settings: ConnSettings) {
    // Replies are already batched, so Nagle would only add a delayed-ACK round trip.
    let _ = stream.set_nodelay(true);
    let mut stream = Transport::Plain(stream);
    let id = server.lock().new_client_id();
    let mut session = Session::new(id, peer.ip(), settings.tls.is_some());
    let kick = session.kick.clone();
    tracing::debug!("Connect from {}", peer.ip());

    let mut lexer = LineLexer::new();
    let mut out = Out::default();
    // Output already written from the front of `out.buf`.
    let mut sent = 0usize;
    let mut inbuf: Vec<u8> = Vec::new();
    // Unprocessed input is `inbuf[ipos..iend]` (kept when the output buffer filled up).
    let (mut ipos, mut iend) = (0usize, 0usize);
    // The idle timer is armed once and only moved when it fires early: resetting a timer on
    // every read would cost a timer-wheel update per request. It counts from the last complete
    // request, not the last byte: a client that dribbles bytes of a line it never finishes
    // (slowloris) is idle too, and would otherwise hold its MAXCONN slot forever.
    let mut last_read = Instant::now();
    let mut got_line = false;
    let idle = sleep_until(last_read + settings.idle_timeout);
    tokio::pin!(idle);
    let mut reason = "client closed the connection";

    'conn: loop {
        // Process buffered input while there is room for the replies.
        while ipos < iend && out.buf.len() - sent < OUT_LIMIT && !session.closing && !session.start_tls {
            let b = inbuf[ipos];
            ipos += 1;
            match lexer.feed(b) {
                LexEvent::Pending => {}
                LexEvent::Line => {
                    dispatch(&server, &mut session, lexer.words(), &mut out);
                    lexer.clear_line();
                    got_line = true;
                }
                LexEvent::Error(msg) => {
                    // NUT drops the rest of what it read with the bad line and starts afresh.
                    tracing::info!("Parse error on sock: {msg}");
                    lexer.restart();
                    ipos = iend;
                }
            }
        }
        if got_line {
            got_line = false;
            last_read = Instant::now();
        }

        // Write what we can without waiting.
        while sent < out.buf.len() {
            match stream.try_write(&out.buf[sent..]) {
                Ok(n) => sent += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    tracing::debug!("write to {} failed: {e}", peer.ip());
                    reason = "write failure";
                    break 'conn;
                }
            }
        }
        if let Err(e) = stream.flush() {
            tracing::debug!("write to {} failed: {e}", peer.ip());
            reason = "write failure";
            break;
        }
        if sent == out.buf.len() {
            out.buf.clear();
            sent = 0;
            if session.closing && !stream.wants_write() {
                break;
            }
            if session.start_tls {
                // `OK STARTTLS` has left in plain text: everything from here on is TLS,
                // including whatever the client sent after its STARTTLS line.
                session.start_tls = false;
                let Some(config) = settings.tls.clone() else { break };
                let tcp = match stream {
                    Transport::Plain(tcp) | Transport::Tls(tcp, _, _) => tcp,
                };
                // Boxed: the handshake's state would otherwise make every connection's task
                // (idle ones included) as large as itself.
                match Box::pin(crate::tls::accept(
                    tcp,
                    config,
                    &inbuf[ipos..iend],
                    peer.ip(),
                    settings.idle_timeout,
                ))
                .await
                {
                    Ok(t) => {
                        stream = t;
                        session.tls_active = true;
                        ipos = iend;
                        last_read = Instant::now();
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!("{e}");
                        let mut core = server.lock();
                        forget_connection(&mut core, &session);
                        return;
                    }
                }
            }
        } else if sent > OUT_LIMIT {
            // Keep the buffer from growing without bound while the client reads slowly.
            out.buf.drain(..sent);
            sent = 0;
        }

        let pending_out = sent < out.buf.len() || stream.wants_write();
        let want_read =
            ipos == iend && !pending_out_full(&out, sent) && !session.closing && !session.start_tls;
        // Watchers only wait for events (never for the idle timeout); events are taken only
        // while there is room for them, so a watcher that does not read fills its bounded
        // queue and is dropped by the publisher instead of growing our buffer.
        let watching = session.watch.is_some();
        let want_event = watching && !pending_out_full(&out, sent) && !session.closing;
        tokio::select! {
            ev = next_event(&mut session.watch), if want_event => {
                if let Some(text) = ev {
                    out.buf.extend_from_slice(text.as_bytes());
                    if let Some(w) = session.watch.as_mut() {
                        while !pending_out_full(&out, sent) {
                            match w.rx.try_recv() {
                                Ok(t) => out.buf.extend_from_slice(t.as_bytes()),
                                Err(_) => break,
                            }
                        }
                    }
                }
            }
            r = stream.readable(), if want_read => {
                if r.is_err() {
                    reason = "read failure";
                    break;
                }
                let read = SCRATCH.with(|scratch| {
                    let mut scratch = scratch.borrow_mut();
                    let r = stream.try_read(&mut scratch);
                    if let Ok(n) = r {
                        if inbuf.capacity() > KEEP_INBUF && n <= KEEP_INBUF {
                            inbuf = Vec::new();
                        }
                        inbuf.clear();
                        inbuf.extend_from_slice(&scratch[..n]);
                    }
                    r
                });
                match read {
                    Ok(0) => break,
                    Ok(n) => {
                        ipos = 0;
                        iend = n;
                        if n == READ_CHUNK {
                            // A bulk sender (pipelined requests, or a flood of garbage) gets
                            // one chunk per turn: without this, the runtime's budget lets one
                            // connection run through up to 128 chunks (2 MiB) while every
                            // other client waits.
                            tokio::task::yield_now().await;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(_) => {
                        reason = "read failure";
                        break;
                    }
                }
            }
            r = stream.writable(), if pending_out => {
                if r.is_err() {
                    reason = "write failure";
                    break;
                }
            }
            _ = &mut idle, if !watching => {
                let deadline = last_read + settings.idle_timeout;
                if deadline > Instant::now() {
                    idle.as_mut().reset(deadline);
                    continue;
                }
                reason = "idle timeout";
                break;
            }
            _ = kick.notified() => {
                reason = "kicked (its UPS was removed from ups.conf, or it did not read its events)";
                break;
            }
        }
    }

    stream.close();
    tracing::debug!("Disconnect from {} ({reason})", peer.ip());
    let mut core = server.lock();
    forget_connection(&mut core, &session);
}

/// The next queued event text (pending forever when not watching; the sender half lives in
/// the session, so the queue never closes while it is polled).
async fn next_event(watch: &mut Option<crate::commands::WatchSession>) -> Option<String> {
    match watch {
        Some(w) => w.rx.recv().await,
        None => std::future::pending().await,
    }
}

fn pending_out_full(out: &Out, sent: usize) -> bool {
    out.buf.len() - sent >= OUT_LIMIT
}
