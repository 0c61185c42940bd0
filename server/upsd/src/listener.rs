//! Listening sockets (`LISTEN` lines) and the accept loop with the `MAXCONN` limit.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::connection::{self, ConnSettings};
use crate::state::Shared;

/// Which address families `-4` / `-6` allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Both (default).
    Any,
    /// `-4`
    V4,
    /// `-6`
    V6,
}

impl Family {
    fn allows(self, a: &IpAddr) -> bool {
        match self {
            Family::Any => true,
            Family::V4 => a.is_ipv4(),
            Family::V6 => a.is_ipv6(),
        }
    }
}

/// A `LISTEN` line resolved to socket addresses.
#[derive(Debug, Clone)]
pub struct ListenSpec {
    /// As written, for messages.
    pub addr: String,
    /// Port.
    pub port: u16,
    /// Where in upsd.conf (0 for the default).
    pub line: usize,
}

/// Resolve one LISTEN address (`*` is every IPv4 and IPv6 address, as in NUT 2.8.1).
fn resolve(spec: &ListenSpec, family: Family) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = if spec.addr == "*" {
        vec![
            SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), spec.port),
            SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), spec.port),
        ]
    } else if let Ok(ip) = spec.addr.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        vec![SocketAddr::new(ip, spec.port)]
    } else {
        use std::net::ToSocketAddrs;
        (spec.addr.as_str(), spec.port)
            .to_socket_addrs()
            .map_err(|e| format!("can't resolve {}: {e}", spec.addr))?
            .collect()
    };
    Ok(addrs.into_iter().filter(|a| family.allows(&a.ip())).collect())
}

/// Bind and listen on `addr` with plain system calls, before any runtime exists (so this can
/// happen before the fork into the background, with errors still on the terminal).
fn bind_one(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use std::os::fd::FromRawFd;
    let domain = if addr.is_ipv4() { libc::AF_INET } else { libc::AF_INET6 };
    // SAFETY: socket(2) with constant arguments; the fd is owned by the TcpListener below.
    let fd = unsafe { libc::socket(domain, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh socket that nothing else owns.
    let listener = unsafe { std::net::TcpListener::from_raw_fd(fd) };
    let one: libc::c_int = 1;
    let setopt = |level: libc::c_int, name: libc::c_int| {
        // SAFETY: setsockopt on a valid socket with a pointer to a live c_int of the given size.
        unsafe {
            libc::setsockopt(
                fd,
                level,
                name,
                (&one as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        }
    };
    setopt(libc::SOL_SOCKET, libc::SO_REUSEADDR);
    // IPv6 sockets only take IPv6 (NUT 2.8.1), so `LISTEN ::` and `LISTEN 0.0.0.0` can coexist
    // on one port.
    if addr.is_ipv6() {
        setopt(libc::IPPROTO_IPV6, libc::IPV6_V6ONLY);
    }
    let rc = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr { s_addr: u32::from(*a.ip()).to_be() },
                sin_zero: [0; 8],
            };
            // SAFETY: bind with a pointer to a live sockaddr_in and its exact size.
            unsafe {
                libc::bind(
                    fd,
                    (&sin as *const libc::sockaddr_in).cast(),
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                )
            }
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: bind with a pointer to a live sockaddr_in6 and its exact size.
            unsafe {
                libc::bind(
                    fd,
                    (&sin6 as *const libc::sockaddr_in6).cast(),
                    std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                )
            }
        }
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // A deep backlog so that bursts of connects wait for accept instead of having their SYN
    // dropped and retried a second later (the kernel caps it at net.core.somaxconn).
    // SAFETY: listen(2) on the socket we own.
    if unsafe { libc::listen(fd, 4096) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// Whether a LISTEN address, as written, names localhost: NUT 2.8.5 forgives failures of these
/// (the same socket asked for under several names, or `::1` on a host without IPv6).
pub fn is_localhost_name(addr: &str) -> bool {
    matches!(
        addr.trim_start_matches('[').trim_end_matches(']'),
        "localhost" | "localhost6" | "127.0.0.1" | "::1"
    )
}

/// What the LISTEN lines came to, as NUT 2.8.5 judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenVerdict {
    /// Every LISTEN line got its socket.
    AllUp,
    /// Only lines naming localhost failed: accepted (NUT logs it at debug level 1).
    LocalhostDiscrepancy,
    /// Some lines failed and ALLOW_NOT_ALL_LISTENERS accepts it (a warning).
    AllowedPartial,
    /// Some lines failed: upsd refuses to start.
    Refuse,
    /// No line got a socket.
    NoneUp,
}

/// NUT 2.8.5's rule over the LISTEN lines: `lines` holds, per line, the address as written
/// and whether it got at least one socket.
pub fn judge(lines: &[(&str, bool)], allow_partial: bool) -> ListenVerdict {
    if !lines.iter().any(|(_, ok)| *ok) {
        return ListenVerdict::NoneUp;
    }
    let failed: Vec<&str> = lines.iter().filter(|(_, ok)| !*ok).map(|(a, _)| *a).collect();
    if failed.is_empty() {
        ListenVerdict::AllUp
    } else if failed.iter().all(|a| is_localhost_name(a)) {
        ListenVerdict::LocalhostDiscrepancy
    } else if allow_partial {
        ListenVerdict::AllowedPartial
    } else {
        ListenVerdict::Refuse
    }
}

/// Bind every LISTEN address, with NUT 2.8.5's rules: a line is served when at least one of
/// its addresses is bound (or was already bound by an earlier line: `LISTEN localhost` then
/// `LISTEN 127.0.0.1` on the same port is one socket); failures of lines that name localhost
/// are forgiven; any other failure refuses to start unless `allow_partial`
/// (ALLOW_NOT_ALL_LISTENERS); no socket at all always does.
pub fn bind_all(
    specs: &[ListenSpec],
    family: Family,
    allow_partial: bool,
) -> Result<Vec<std::net::TcpListener>, String> {
    let mut out = Vec::new();
    let mut bound: Vec<SocketAddr> = Vec::new();
    let mut lines: Vec<(&str, bool)> = Vec::new();
    let mut failures = Vec::new();
    let at = |spec: &ListenSpec| {
        if spec.line == 0 {
            "(default, no LISTEN line)".to_string()
        } else {
            format!("(upsd.conf line {})", spec.line)
        }
    };
    for spec in specs {
        let addrs = match resolve(spec, family) {
            Ok(a) => a,
            Err(e) => {
                tracing::error!("not listening on {} port {}: {e}", spec.addr, spec.port);
                failures.push(format!("{e} {}", at(spec)));
                lines.push((spec.addr.as_str(), false));
                continue;
            }
        };
        if addrs.is_empty() {
            let msg = format!(
                "not listening on {} port {}: it has no {} address",
                spec.addr,
                spec.port,
                if family == Family::V4 { "IPv4 (-4)" } else { "IPv6 (-6)" }
            );
            tracing::error!("{msg}");
            failures.push(format!("{msg} {}", at(spec)));
            lines.push((spec.addr.as_str(), false));
            continue;
        }
        let mut ok = false;
        for a in addrs {
            if bound.contains(&a) {
                tracing::debug!(
                    "{} port {} ({}) is already listened on for an earlier LISTEN line",
                    spec.addr,
                    spec.port,
                    a.ip()
                );
                ok = true;
                continue;
            }
            match bind_one(a) {
                Ok(l) => {
                    if spec.addr == a.ip().to_string() || spec.addr == "*" {
                        tracing::info!("listening on {} port {}", a.ip(), a.port());
                    } else {
                        tracing::info!("listening on {} port {} ({})", spec.addr, a.port(), a.ip());
                    }
                    out.push(l);
                    bound.push(a);
                    ok = true;
                }
                Err(e) => {
                    let hint = match e.kind() {
                        std::io::ErrorKind::AddrInUse => {
                            " (another upsd, or NUT's, already listens there: stop it or change LISTEN)"
                        }
                        std::io::ErrorKind::PermissionDenied => " (ports below 1024 need root)",
                        std::io::ErrorKind::AddrNotAvailable => {
                            " (no interface has this address: fix the LISTEN line)"
                        }
                        _ => "",
                    };
                    let msg = format!("not listening on {} port {}: {e}{hint}", a.ip(), a.port());
                    tracing::error!("{msg}");
                    failures.push(format!("{msg} {}", at(spec)));
                }
            }
        }
        lines.push((spec.addr.as_str(), ok));
    }
    let served = lines.iter().filter(|(_, ok)| *ok).count();
    tracing::debug!("tried to set up {} listening sockets, succeeded with {served}", lines.len());
    match judge(&lines, allow_partial) {
        ListenVerdict::AllUp => Ok(out),
        ListenVerdict::LocalhostDiscrepancy => {
            tracing::debug!(
                "discrepancy corresponds to addresses related to localhost; assuming that it was attempted \
                 under several names which resolved to same IP:PORT socket specs (so only the first one of \
                 each succeeded)"
            );
            Ok(out)
        }
        ListenVerdict::AllowedPartial => {
            tracing::warn!(
                "WARNING: some listening interfaces were not available, but the ALLOW_NOT_ALL_LISTENERS \
                 setting is active"
            );
            Ok(out)
        }
        ListenVerdict::Refuse => {
            tracing::info!(
                "Reconcile available NUT server IP addresses and LISTEN configuration, or consider the \
                 ALLOW_NOT_ALL_LISTENERS setting!"
            );
            Err(format!(
                "Fatal error: some listening interfaces were not available: {}; set ALLOW_NOT_ALL_LISTENERS \
                 true in upsd.conf (or ALLOW_NOT_ALL_LISTENERS=true in the environment) to start with the others",
                failures.join("; ")
            ))
        }
        ListenVerdict::NoneUp => Err(format!(
            "no listening interface available: {}",
            if failures.is_empty() {
                "no LISTEN address matches -4/-6".to_string()
            } else {
                failures.join("; ")
            }
        )),
    }
}

/// Accept clients on `listener` forever, at most `maxconn` at a time across all listeners.
///
/// At a limit (MAXCONN, or no file descriptor left) new clients are accepted and closed at
/// once: a clean refusal instead of a connection left hanging in the backlog, and no busy loop
/// on a listening socket that stays readable (NUT spins at 100% CPU there). The log gets one
/// line when refusals start and one when clients are accepted again, not one per client: a
/// flood must not fill the disk.
pub async fn accept_loop(
    server: Shared,
    listener: TcpListener,
    limit: Arc<Semaphore>,
    maxconn: usize,
    settings: Arc<ConnSettings>,
) {
    // A spare descriptor (a duplicate of the listening socket, so it works in a chroot too):
    // closed when we run out, so the pending client can be accepted and then refused.
    let mut reserve = spare_fd(&listener);
    let (mut refused_maxconn, mut refused_fds) = (0u64, 0u64);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) if out_of_fds(&e) => {
                if refused_fds == 0 {
                    tracing::warn!(
                        "Out of file descriptors ({e}): refusing new clients until some leave; raise the \
                         descriptor limit (ulimit -n, or LimitNOFILE= in the service unit) or lower MAXCONN \
                         in upsd.conf"
                    );
                }
                let Some(spare) = reserve.take().or_else(|| spare_fd(&listener)) else {
                    // Not even one descriptor to spare: wait instead of spinning on EMFILE.
                    refused_fds += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                drop(spare);
                // The freed descriptor takes the waiting client (or waits for the next one,
                // which also clears the listener's readiness, so nothing spins).
                let accepted = listener.accept().await;
                reserve = spare_fd(&listener);
                match accepted {
                    // Another descriptor came free meanwhile: this client can be served.
                    Ok(x) if reserve.is_some() => x,
                    Ok((stream, _)) => {
                        drop(stream);
                        refused_fds += 1;
                        reserve = spare_fd(&listener);
                        continue;
                    }
                    Err(_) => continue,
                }
            }
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            if refused_maxconn == 0 {
                tracing::warn!(
                    "Refusing client {} and any other new client: MAXCONN ({maxconn}) connections are open; \
                     raise MAXCONN in upsd.conf if this is expected",
                    peer.ip()
                );
            }
            refused_maxconn += 1;
            drop(stream);
            continue;
        };
        if refused_maxconn > 0 {
            tracing::info!("Accepting clients again, after refusing {refused_maxconn} at the MAXCONN limit");
            refused_maxconn = 0;
        }
        if refused_fds > 0 {
            tracing::info!(
                "Accepting clients again, after refusing {refused_fds} for lack of file descriptors"
            );
            refused_fds = 0;
        }
        tokio::spawn(connection::serve(server.clone(), stream, peer, settings.clone(), permit));
    }
}

/// True for accept errors that mean "no descriptor (or kernel memory) for a new socket".
fn out_of_fds(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM))
}

/// A spare descriptor, or `None` when none is left.
fn spare_fd(listener: &TcpListener) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::AsFd;
    listener.as_fd().try_clone_to_owned().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nut_2_8_5_forgives_only_failures_of_localhost_names() {
        use ListenVerdict::*;
        // localhost + 127.0.0.1 on one port: the second is the same socket.
        assert_eq!(judge(&[("localhost", true), ("127.0.0.1", false)], false), LocalhostDiscrepancy);
        // No IPv6 on the host: ::1 fails, and that is fine.
        assert_eq!(judge(&[("127.0.0.1", true), ("::1", false)], false), LocalhostDiscrepancy);
        assert_eq!(judge(&[("::1", false), ("localhost6", false), ("[::1]", false), ("x", true)], false), {
            LocalhostDiscrepancy
        });
        // Any other address must work, unless ALLOW_NOT_ALL_LISTENERS.
        assert_eq!(judge(&[("127.0.0.2", true), ("192.0.2.1", false)], false), Refuse);
        assert_eq!(judge(&[("127.0.0.2", true), ("192.0.2.1", false)], true), AllowedPartial);
        assert_eq!(judge(&[("127.0.0.1", true), ("192.0.2.1", false), ("::1", false)], false), Refuse);
        // "LOCALHOST" is not NUT's spelling: not forgiven.
        assert_eq!(judge(&[("127.0.0.1", true), ("LOCALHOST", false)], false), Refuse);
        assert_eq!(judge(&[("a", true), ("b", true)], false), AllUp);
        assert_eq!(judge(&[("127.0.0.1", false)], true), NoneUp);
        assert_eq!(judge(&[], true), NoneUp);
    }

    #[test]
    fn a_name_and_its_address_share_one_socket() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("probe");
            l.local_addr().expect("addr").port()
        };
        let spec = |addr: &str, line| ListenSpec { addr: addr.to_string(), port, line };
        let ls = bind_all(&[spec("127.0.0.1", 1), spec("127.0.0.1", 2)], Family::V4, false).expect("binds");
        assert_eq!(ls.len(), 1);
        drop(ls);
        // 192.0.2.1 (TEST-NET-1) is on no interface: EADDRNOTAVAIL, no packet sent.
        let e =
            bind_all(&[spec("127.0.0.1", 1), spec("192.0.2.1", 2)], Family::V4, false).expect_err("refused");
        assert!(
            e.starts_with(
                "Fatal error: some listening interfaces were not available: not listening on 192.0.2.1"
            ),
            "{e}"
        );
        assert!(e.contains("(upsd.conf line 2)"), "{e}");
        assert_eq!(
            bind_all(&[spec("127.0.0.1", 1), spec("192.0.2.1", 2)], Family::V4, true).expect("allowed").len(),
            1
        );
        let e = bind_all(&[spec("::1", 1)], Family::V4, false).expect_err("refused");
        assert!(e.starts_with("no listening interface available: not listening on ::1 port"), "{e}");
    }
}
