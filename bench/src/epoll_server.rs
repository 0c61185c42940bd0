//! The practical limit: a minimal single-threaded epoll server that answers every request line
//! with one fixed `VAR` line. Whatever a real upsd does on top (parsing, lookup, formatting) is
//! extra cost over this; the kernel work (wakeups, reads, writes) is the same.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::args::Opts;

const REPLY: &[u8] = b"VAR ups1 ups.status \"OL\"\n";

fn ctl(ep: i32, op: i32, fd: i32) -> std::io::Result<()> {
    let mut ev = libc::epoll_event { events: libc::EPOLLIN as u32, u64: fd as u64 };
    // SAFETY: `ep` is our epoll descriptor and `ev` lives across the call.
    if unsafe { libc::epoll_ctl(ep, op, fd, &mut ev) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Serve on 127.0.0.1:`--port` until killed or `--max-secs` (default 1800) have passed.
pub fn run(o: &Opts) -> Result<Value, String> {
    let port: u16 = o.num("port", 0)?;
    let max = Duration::from_secs_f64(o.num("max-secs", 1800.0)?);
    let l =
        TcpListener::bind(("127.0.0.1", port)).map_err(|e| format!("cannot bind 127.0.0.1:{port}: {e}"))?;
    l.set_nonblocking(true).map_err(|e| e.to_string())?;
    // SAFETY: plain system call.
    let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if ep < 0 {
        return Err(format!("epoll_create1: {}", std::io::Error::last_os_error()));
    }
    let lfd = l.as_raw_fd();
    ctl(ep, libc::EPOLL_CTL_ADD, lfd).map_err(|e| e.to_string())?;
    let mut conns: HashMap<i32, TcpStream> = HashMap::new();
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 512];
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::with_capacity(64 * 1024);
    let mut served = 0u64;
    let t0 = Instant::now();
    while t0.elapsed() < max {
        // SAFETY: `events` has room for `events.len()` entries.
        let n = unsafe { libc::epoll_wait(ep, events.as_mut_ptr(), events.len() as i32, 1000) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == ErrorKind::Interrupted {
                continue;
            }
            return Err(format!("epoll_wait: {e}"));
        }
        for ev in &events[..n as usize] {
            let fd = ev.u64 as i32;
            if fd == lfd {
                loop {
                    match l.accept() {
                        Ok((s, _)) => {
                            let _ = s.set_nonblocking(true);
                            let _ = s.set_nodelay(true);
                            let sfd = s.as_raw_fd();
                            if ctl(ep, libc::EPOLL_CTL_ADD, sfd).is_ok() {
                                conns.insert(sfd, s);
                            }
                        }
                        Err(_) => break,
                    }
                }
                continue;
            }
            let Some(s) = conns.get_mut(&fd) else { continue };
            let close = match s.read(&mut buf) {
                Ok(0) => true,
                Ok(k) => {
                    // Partial lines are rare here (whole request lines arrive in one segment);
                    // count newlines and answer each.
                    let lines = buf[..k].iter().filter(|&&b| b == b'\n').count();
                    out.clear();
                    for _ in 0..lines {
                        out.extend_from_slice(REPLY);
                    }
                    served += lines as u64;
                    !out.is_empty() && s.write_all(&out).is_err()
                }
                Err(e) => e.kind() != ErrorKind::WouldBlock && e.kind() != ErrorKind::Interrupted,
            };
            if close {
                let _ = ctl(ep, libc::EPOLL_CTL_DEL, fd);
                conns.remove(&fd);
            }
        }
    }
    // SAFETY: closing our own descriptor.
    unsafe { libc::close(ep) };
    Ok(json!({"served": served}))
}
