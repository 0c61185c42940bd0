//! The driver's Unix socket `<statepath>/<driver>-<ups>`: any number of clients (upsd,
//! upsdrvctl, local tools) connect and speak the socket protocol (nut-protocols.md §b.2).
//!
//! The server is single-threaded and non-blocking, driven by `poll(2)` from the run loop, like
//! NUT's drivers: a slow client never blocks the driver, it just accumulates output (up to a
//! limit, after which it is disconnected, as NUT does when a write fails).

use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};

use nut_proto::sock::{DriverMsg, ServerMsg};

use crate::state::wire_line;

/// Output a client may have pending before it is dropped (a client that never reads).
const MAX_PENDING: usize = 8 << 20;
/// Longest request line accepted; longer input is discarded.
const MAX_LINE: usize = 64 << 10;

/// One connected client.
#[derive(Debug)]
pub struct Client {
    stream: UnixStream,
    inbuf: Vec<u8>,
    outbuf: Vec<u8>,
    /// Whether unsolicited change broadcasts go to this client (`NOBROADCAST` clears it).
    pub broadcast: bool,
    closing: bool,
    dead: bool,
    blocked: bool,
}

impl Client {
    /// Queue a message for this client.
    pub fn send(&mut self, msg: &DriverMsg) {
        self.send_raw(&wire_line(msg));
    }

    fn send_raw(&mut self, line: &str) {
        if self.outbuf.len() + line.len() > MAX_PENDING {
            nut_daemon::warn!("driver socket client does not read its data; disconnecting it");
            self.dead = true;
            return;
        }
        self.outbuf.extend_from_slice(line.as_bytes());
    }

    /// Close the connection once the pending output is written (after `LOGOUT`).
    pub fn close_after_flush(&mut self) {
        self.closing = true;
    }

    fn flush(&mut self) {
        while !self.outbuf.is_empty() && !self.dead {
            match self.stream.write(&self.outbuf) {
                Ok(0) => self.dead = true,
                Ok(n) => {
                    self.outbuf.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.blocked = true;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => self.dead = true,
            }
        }
        if self.closing && self.outbuf.is_empty() {
            self.dead = true;
        }
    }

    /// Read what is available and return the complete lines.
    fn read_lines(&mut self) -> Vec<String> {
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.dead = true;
                    break;
                }
                Ok(n) => {
                    self.inbuf.extend_from_slice(&buf[..n]);
                    if self.inbuf.len() > MAX_LINE && !self.inbuf.contains(&b'\n') {
                        nut_daemon::warn!("driver socket: request line too long, discarded");
                        self.inbuf.clear();
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.dead = true;
                    break;
                }
            }
        }
        let mut lines = Vec::new();
        while let Some(pos) = self.inbuf.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.inbuf.drain(..=pos).collect();
            let text = String::from_utf8_lossy(&raw[..raw.len() - 1]);
            lines.push(text.trim_end_matches('\r').to_string());
        }
        lines
    }
}

/// The listening socket and its clients.
#[derive(Debug)]
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    clients: Vec<Client>,
}

/// A request read from a client, with the index of that client.
#[derive(Debug)]
pub struct Request {
    /// Which client sent it (index into the server's client list for this round).
    pub client: usize,
    /// The parsed request.
    pub msg: ServerMsg,
}

impl Server {
    /// Bind the socket at `path`, replacing a stale socket file left by a crashed driver.
    pub fn bind(path: &Path) -> io::Result<Server> {
        if path.exists() {
            // A live driver answers on the socket; a dead one leaves a file that refuses.
            if UnixStream::connect(path).is_ok() {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!(
                        "{} is served by another running driver; stop it first (upsdrvctl stop, or \
                         the driver's -c exit)",
                        path.display()
                    ),
                ));
            }
            let _ = std::fs::remove_file(path);
        }
        let listener = UnixListener::bind(path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!(
                    "cannot create the driver socket {}: {e} (check that the state path exists \
                     and is writable: statepath in ups.conf or NUT_STATEPATH)",
                    path.display()
                ),
            )
        })?;
        listener.set_nonblocking(true)?;
        // upsd may run as another user of the same group: let the group in, as NUT does.
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660));
        }
        Ok(Server { listener, path: path.to_path_buf(), clients: Vec::new() })
    }

    /// Where the socket lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file descriptors to poll and their events (listener first, then clients in order).
    pub fn poll_fds(&self) -> Vec<libc::pollfd> {
        let mut v = vec![libc::pollfd { fd: self.listener.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
        for c in &self.clients {
            let mut ev = libc::POLLIN;
            if !c.outbuf.is_empty() {
                ev |= libc::POLLOUT;
            }
            v.push(libc::pollfd { fd: c.stream.as_raw_fd(), events: ev, revents: 0 });
        }
        v
    }

    /// Accept new clients, read requests from readable clients and write pending output.
    /// Malformed lines are logged and skipped; they never stop the driver.
    pub fn service(&mut self, fds: &[libc::pollfd]) -> Vec<Request> {
        let mut reqs = Vec::new();
        for (i, c) in self.clients.iter_mut().enumerate() {
            let Some(p) = fds.get(i + 1) else { continue };
            if p.fd != c.stream.as_raw_fd() {
                continue;
            }
            if p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0 {
                for line in c.read_lines() {
                    if line.trim().is_empty() {
                        continue;
                    }
                    match ServerMsg::parse(&line) {
                        Ok(msg) => reqs.push(Request { client: i, msg }),
                        Err(e) => nut_daemon::info!("Unknown command on socket: {line:?} ({e})"),
                    }
                }
            }
            if p.revents & libc::POLLOUT != 0 {
                c.flush();
            }
        }
        if fds.first().is_some_and(|p| p.revents & libc::POLLIN != 0) {
            self.accept();
        }
        reqs
    }

    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    nut_daemon::debug!("new connection on the driver socket");
                    self.clients.push(Client {
                        stream,
                        inbuf: Vec::new(),
                        outbuf: Vec::new(),
                        broadcast: true,
                        closing: false,
                        dead: false,
                        blocked: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
    }

    /// The client at `i` (from a [`Request`]).
    pub fn client(&mut self, i: usize) -> Option<&mut Client> {
        self.clients.get_mut(i)
    }

    /// Send messages to every client that accepts broadcasts.
    pub fn broadcast(&mut self, msgs: &[DriverMsg]) {
        if msgs.is_empty() {
            return;
        }
        let text: String = msgs.iter().map(wire_line).collect();
        for c in self.clients.iter_mut().filter(|c| c.broadcast) {
            c.send_raw(&text);
        }
    }

    /// Try to write pending output now and drop the clients that went away. Call after
    /// handling requests and broadcasting, before the next poll.
    pub fn flush_and_reap(&mut self) {
        for c in &mut self.clients {
            c.flush();
        }
        self.clients.retain(|c| !c.dead);
    }

    /// True (once) if a client's socket buffer filled up since the last call. NUT's drivers in
    /// `synchronous = auto` mode then switch to `yes` and say so in
    /// `driver.parameter.synchronous`.
    pub fn take_blocked(&mut self) -> bool {
        let mut any = false;
        for c in &mut self.clients {
            any |= std::mem::take(&mut c.blocked);
        }
        any
    }

    /// Number of connected clients.
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    /// Raw fd of the listener (for tests).
    pub fn listener_fd(&self) -> RawFd {
        self.listener.as_raw_fd()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};

    fn pump(s: &mut Server) -> Vec<Request> {
        let mut fds = s.poll_fds();
        // SAFETY: fds is a valid, exclusively borrowed array of pollfd for the call's duration.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 200) };
        let r = s.service(&fds);
        s.flush_and_reap();
        r
    }

    #[test]
    fn accepts_parses_and_broadcasts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dummy-ups-x");
        let mut s = Server::bind(&path).unwrap();
        let mut c = UnixStream::connect(&path).unwrap();
        pump(&mut s);
        assert_eq!(s.client_count(), 1);
        c.write_all(b"PING\nBOGUS line\n\"unbalanced\nSET ups.id \"a b\" TRACKING 1\n").unwrap();
        let mut reqs = Vec::new();
        for _ in 0..5 {
            reqs.extend(pump(&mut s));
            if reqs.len() >= 2 {
                break;
            }
        }
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].msg, ServerMsg::Ping);
        s.broadcast(&[DriverMsg::SetInfo("ups.id".into(), "a b".into())]);
        s.flush_and_reap();
        let mut r = BufReader::new(c.try_clone().unwrap());
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert_eq!(line, "SETINFO ups.id \"a b\"\n");
        drop(c);
        drop(r);
        for _ in 0..5 {
            pump(&mut s);
            if s.client_count() == 0 {
                break;
            }
        }
        assert_eq!(s.client_count(), 0);
        drop(s);
        assert!(!path.exists(), "socket removed on drop");
    }

    #[test]
    fn refuses_a_live_socket_and_replaces_a_stale_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d-u");
        let s = Server::bind(&path).unwrap();
        assert!(Server::bind(&path).is_err());
        std::mem::forget(s);
        // The listener fd leaked above still accepts; simulate a dead driver with a plain file.
        let path2 = dir.path().join("d-v");
        {
            let l = UnixListener::bind(&path2).unwrap();
            drop(l);
        }
        assert!(Server::bind(&path2).is_ok());
    }
}
