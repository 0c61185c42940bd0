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

/// Bind every LISTEN address. A failure is fatal unless `allow_partial` (ALLOW_NOT_ALL_LISTENERS)
/// or `default_set` (no LISTEN line: the ::1 half of the default may be missing); having no
/// socket at all is always fatal.
pub fn bind_all(
    specs: &[ListenSpec],
    family: Family,
    allow_partial: bool,
    default_set: bool,
) -> Result<Vec<std::net::TcpListener>, String> {
    let mut out = Vec::new();
    let mut failures = Vec::new();
    for spec in specs {
        let addrs = match resolve(spec, family) {
            Ok(a) => a,
            Err(e) => {
                failures.push(format!("{e} (upsd.conf line {})", spec.line));
                continue;
            }
        };
        for a in addrs {
            match bind_one(a) {
                Ok(l) => {
                    tracing::info!("listening on {} port {}", a.ip(), a.port());
                    out.push(l);
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
                    tracing::warn!("{msg}");
                    failures.push(msg);
                }
            }
        }
    }
    if out.is_empty() {
        return Err(format!(
            "no listening interface available: {}",
            if failures.is_empty() {
                "no LISTEN address matches -4/-6".to_string()
            } else {
                failures.join("; ")
            }
        ));
    }
    if !failures.is_empty() && !allow_partial && !default_set {
        return Err(format!(
            "{}; set ALLOW_NOT_ALL_LISTENERS true in upsd.conf to start with the others",
            failures.join("; ")
        ));
    }
    Ok(out)
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
