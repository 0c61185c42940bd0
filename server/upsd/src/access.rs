//! tcp-wrappers for the commands that need a login, as Debian's upsd (linked with libwrap)
//! does: before `LOGIN`, `PRIMARY`/`MASTER`, `FSD`, `SET` and `INSTCMD` it asks
//! `/etc/hosts.allow` and `/etc/hosts.deny` about daemon `upsd`, the client's address and the
//! NUT user name, and answers `ERR ACCESS-DENIED` when they say no.
//!
//! The rules are evaluated by [`nut_conf::hosts_access`]; this module reads the files and
//! looks up host names. libwrap re-reads the files for every check; we look at the files'
//! identity and times at most once every [`LOOK_EVERY`] (a changed file is read again at the
//! first command after that), so that a check costs no system call in the common case, and
//! none at all, not even for the local address, when no rule concerns upsd. SIGHUP re-reads
//! them at once. Problems are logged when a file is (re)read, with file:line.
//!
//! `NUT_HOSTS_ALLOW` and `NUT_HOSTS_DENY` (our own variables, not NUT's) name other files,
//! for tests and for installations that keep these rules elsewhere.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nut_conf::hosts_access::{self, Decision, Endpoint, Outcome, Reason, Request, Table, Which};
use nut_conf::Diagnostic;

/// The daemon name upsd gives libwrap (NUT passes its program name).
pub const DAEMON: &str = "upsd";
/// libwrap's files.
pub const HOSTS_ALLOW: &str = "/etc/hosts.allow";
/// libwrap's files.
pub const HOSTS_DENY: &str = "/etc/hosts.deny";
/// How long the files are trusted unchanged before their metadata is looked at again.
pub const LOOK_EVERY: Duration = Duration::from_secs(1);

/// A file's identity and times: a change means it must be read again.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Absent,
    Meta { dev: u64, ino: u64, len: u64, mtime: (i64, i64), ctime: (i64, i64) },
    Error(String),
}

fn seen(path: &Path) -> Seen {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(m) => Seen::Meta {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Seen::Absent,
        Err(e) => Seen::Error(e.to_string()),
    }
}

/// Read and parse one file.
fn read_table(path: &Path, is_deny: bool) -> Table {
    let file = path.display().to_string();
    match std::fs::read(path) {
        Ok(bytes) => hosts_access::parse(&String::from_utf8_lossy(&bytes), &file, DAEMON, is_deny),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Table::absent(&file),
        Err(e) => Table::unreadable(&file, &e.to_string(), is_deny),
    }
}

#[derive(Debug)]
struct Cached {
    seen: Seen,
    table: Arc<Table>,
}

#[derive(Debug)]
struct Files {
    allow: Cached,
    deny: Cached,
    /// Rules that failed closed already warned about since the files were read (one warning
    /// each, then debug lines: a client retrying every few seconds must not flood the log).
    warned: HashSet<(String, usize)>,
    /// When the files' metadata was last looked at.
    looked: Instant,
}

/// The two files, kept parsed.
#[derive(Debug)]
pub struct Access {
    allow_path: PathBuf,
    deny_path: PathBuf,
    files: Mutex<Files>,
}

/// What a command may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Go on.
    Allowed(Decision),
    /// Answer `ERR ACCESS-DENIED`.
    Denied(Decision),
    /// A host name must be looked up first ([`lookup_name`]).
    NeedName(Which),
}

/// The files named by `NUT_HOSTS_ALLOW` / `NUT_HOSTS_DENY`, else libwrap's.
pub fn paths_from(env: impl Fn(&str) -> Option<String>) -> (PathBuf, PathBuf) {
    let get =
        |k: &str, d: &str| PathBuf::from(env(k).filter(|s| !s.is_empty()).unwrap_or_else(|| d.to_string()));
    (get("NUT_HOSTS_ALLOW", HOSTS_ALLOW), get("NUT_HOSTS_DENY", HOSTS_DENY))
}

/// Read both files now, for `upsd -t`: every problem with file:line.
pub fn check_files(allow: &Path, deny: &Path) -> Vec<Diagnostic> {
    let mut d = read_table(allow, false).diagnostics().to_vec();
    d.extend(read_table(deny, true).diagnostics().iter().cloned());
    d
}

fn log_diagnostics(t: &Table) {
    for d in t.diagnostics() {
        if d.is_error() {
            tracing::error!("tcp-wrappers: {d}");
        } else {
            tracing::warn!("tcp-wrappers: {d}");
        }
    }
}

impl Access {
    /// Read `allow` and `deny` now, logging their problems.
    pub fn new(allow: PathBuf, deny: PathBuf) -> Access {
        let read = |p: &Path, is_deny| Cached { seen: seen(p), table: Arc::new(read_table(p, is_deny)) };
        let files = Files {
            allow: read(&allow, false),
            deny: read(&deny, true),
            warned: HashSet::new(),
            looked: Instant::now(),
        };
        for t in [&files.allow.table, &files.deny.table] {
            log_diagnostics(t);
        }
        tracing::debug!(
            "tcp-wrappers: {} rule(s) for {DAEMON} in {}, {} in {}",
            files.allow.table.rule_count(),
            allow.display(),
            files.deny.table.rule_count(),
            deny.display()
        );
        Access { allow_path: allow, deny_path: deny, files: Mutex::new(files) }
    }

    /// Re-read both files (SIGHUP).
    pub fn reload(&self) {
        let mut guard = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let f = &mut *guard;
        for (c, p, is_deny) in [(&mut f.allow, &self.allow_path, false), (&mut f.deny, &self.deny_path, true)]
        {
            c.seen = seen(p);
            c.table = Arc::new(read_table(p, is_deny));
            log_diagnostics(&c.table);
        }
        f.warned.clear();
        f.looked = Instant::now();
    }

    /// The current tables, re-read when a file changed since the last look (at most one look
    /// every [`LOOK_EVERY`]).
    fn tables(&self) -> (Arc<Table>, Arc<Table>) {
        let mut guard = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let f = &mut *guard;
        let now = Instant::now();
        if now.duration_since(f.looked) < LOOK_EVERY {
            return (f.allow.table.clone(), f.deny.table.clone());
        }
        f.looked = now;
        let mut changed = false;
        for (c, p, is_deny) in [(&mut f.allow, &self.allow_path, false), (&mut f.deny, &self.deny_path, true)]
        {
            let now = seen(p);
            if now != c.seen {
                tracing::info!("tcp-wrappers: {} changed, reading it again", p.display());
                c.seen = now;
                c.table = Arc::new(read_table(p, is_deny));
                log_diagnostics(&c.table);
                changed = true;
            }
        }
        if changed {
            f.warned.clear();
        }
        (f.allow.table.clone(), f.deny.table.clone())
    }

    /// libwrap's verdict for `user` on the connection from `client` to the local address
    /// `server` gives (asked only when a rule concerns upsd), with the host names looked up
    /// so far.
    pub fn check(
        &self,
        user: &str,
        client: IpAddr,
        server: impl FnOnce() -> IpAddr,
        client_name: Option<&str>,
        server_name: Option<&str>,
    ) -> Verdict {
        let (allow, deny) = self.tables();
        if hosts_access::allows_all(&allow, &deny) {
            return Verdict::Allowed(Decision {
                allowed: true,
                reason: Reason::NoMatch,
                keepalive: false,
                linger: None,
            });
        }
        let req = Request {
            daemon: DAEMON,
            user,
            client: Endpoint { addr: client, name: client_name },
            server: Endpoint { addr: server(), name: server_name },
        };
        match hosts_access::check(&allow, &deny, &req) {
            Outcome::NeedName(w) => Verdict::NeedName(w),
            Outcome::Decided(d) if d.allowed => Verdict::Allowed(d),
            Outcome::Decided(d) => {
                let loud = match &d.reason {
                    Reason::FailClosed { file, line, .. } => {
                        let mut f = self.files.lock().unwrap_or_else(|p| p.into_inner());
                        f.warned.insert((file.clone(), *line))
                    }
                    _ => false,
                };
                if loud {
                    tracing::warn!("tcp-wrappers: {user}@{client} {d}");
                }
                Verdict::Denied(d)
            }
        }
    }
}

/// The host name of `addr` as libwrap finds it: the reverse lookup, confirmed by a forward
/// lookup of that name that gives the same name back (or is `localhost`) and includes the
/// address; `unknown` when there is no name, `paranoid` when the lookups disagree. Blocking.
pub fn lookup_name(addr: IpAddr) -> String {
    let addr = addr.to_canonical();
    let Some(name) = reverse(addr) else { return hosts_access::UNKNOWN.to_string() };
    if name.parse::<IpAddr>().is_ok() {
        tracing::warn!(
            "tcp-wrappers: host name/name mismatch: reverse lookup of {addr} results in non-FQDN {name}"
        );
        return hosts_access::PARANOID.to_string();
    }
    match forward(&name, addr.is_ipv4()) {
        None => {
            tracing::warn!("tcp-wrappers: can't verify hostname: getaddrinfo({name}) failed");
            hosts_access::PARANOID.to_string()
        }
        Some((canon, _)) if !canon.eq_ignore_ascii_case(&name) && !name.eq_ignore_ascii_case("localhost") => {
            tracing::warn!("tcp-wrappers: host name/name mismatch: {name} != {canon}");
            hosts_access::PARANOID.to_string()
        }
        Some((_, addrs)) if !addrs.contains(&addr) => {
            tracing::warn!("tcp-wrappers: host name/address mismatch: {addr} != {name}");
            hosts_access::PARANOID.to_string()
        }
        Some(_) => name,
    }
}

fn sockaddr(addr: IpAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: an all-zero sockaddr_storage is a valid (AF_UNSPEC) value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        IpAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: 0,
                sin_addr: libc::in_addr { s_addr: u32::from(a).to_be() },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is large enough and aligned for any sockaddr.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        IpAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: 0,
                sin6_flowinfo: 0,
                sin6_addr: libc::in6_addr { s6_addr: a.octets() },
                sin6_scope_id: 0,
            };
            // SAFETY: as above.
            unsafe { std::ptr::write((&mut ss as *mut libc::sockaddr_storage).cast(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (ss, len as libc::socklen_t)
}

fn reverse(addr: IpAddr) -> Option<String> {
    let (ss, len) = sockaddr(addr);
    let mut host = [0 as libc::c_char; 1025];
    // SAFETY: getnameinfo reads `len` bytes of the sockaddr and writes a NUL-terminated name
    // of at most host.len() bytes.
    let rc = unsafe {
        libc::getnameinfo(
            (&ss as *const libc::sockaddr_storage).cast(),
            len,
            host.as_mut_ptr(),
            host.len() as libc::socklen_t,
            std::ptr::null_mut(),
            0,
            libc::NI_NAMEREQD,
        )
    };
    if rc != 0 {
        return None;
    }
    // SAFETY: getnameinfo succeeded, so `host` holds a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(host.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

/// The canonical name and addresses of `name` in one family.
fn forward(name: &str, v4: bool) -> Option<(String, Vec<IpAddr>)> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: an all-zero addrinfo is a valid hints value.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = if v4 { libc::AF_INET } else { libc::AF_INET6 };
    hints.ai_socktype = libc::SOCK_STREAM;
    hints.ai_flags = libc::AI_CANONNAME;
    let mut res: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: getaddrinfo with a valid name and hints; the result is freed below.
    if unsafe { libc::getaddrinfo(c.as_ptr(), std::ptr::null(), &hints, &mut res) } != 0 || res.is_null() {
        return None;
    }
    let mut canon = name.to_string();
    let mut addrs = Vec::new();
    let mut p = res;
    while !p.is_null() {
        // SAFETY: p walks the list getaddrinfo returned, which stays valid until freeaddrinfo.
        let ai = unsafe { &*p };
        if p == res && !ai.ai_canonname.is_null() {
            // SAFETY: ai_canonname is a NUL-terminated string owned by the list.
            canon = unsafe { std::ffi::CStr::from_ptr(ai.ai_canonname) }.to_string_lossy().into_owned();
        }
        if !ai.ai_addr.is_null() {
            match ai.ai_family {
                libc::AF_INET => {
                    // SAFETY: an AF_INET entry's ai_addr points at a sockaddr_in.
                    let sin = unsafe { &*(ai.ai_addr as *const libc::sockaddr_in) };
                    addrs.push(IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr))));
                }
                libc::AF_INET6 => {
                    // SAFETY: an AF_INET6 entry's ai_addr points at a sockaddr_in6.
                    let sin6 = unsafe { &*(ai.ai_addr as *const libc::sockaddr_in6) };
                    addrs.push(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)));
                }
                _ => {}
            }
        }
        p = ai.ai_next;
    }
    // SAFETY: res came from getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(res) };
    Some((canon, addrs))
}

/// The local address of the socket `fd` (the server end, for `upsd@host` rules).
pub fn local_addr(fd: i32) -> Option<IpAddr> {
    // SAFETY: an all-zero sockaddr_storage is valid; getsockname writes at most `len` bytes.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: see above; fd is the connection's socket.
    if unsafe { libc::getsockname(fd, (&mut ss as *mut libc::sockaddr_storage).cast(), &mut len) } != 0 {
        return None;
    }
    match i32::from(ss.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says it is a sockaddr_in.
            let sin = unsafe { &*(&ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr))))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says it is a sockaddr_in6.
            let sin6 = unsafe { &*(&ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            Some(SocketAddr::from((Ipv6Addr::from(sin6.sin6_addr.s6_addr), 0)).ip())
        }
        _ => None,
    }
}

/// Carry out the socket options of the deciding rule (`keepalive`, `linger N`).
pub fn apply_socket_options(fd: i32, d: &Decision) {
    let set = |name: libc::c_int, val: *const libc::c_void, len: usize| {
        // SAFETY: setsockopt on the connection's socket with a pointer to a live value of `len` bytes.
        let rc = unsafe { libc::setsockopt(fd, libc::SOL_SOCKET, name, val, len as libc::socklen_t) };
        if rc != 0 {
            tracing::warn!("tcp-wrappers: setsockopt: {}", std::io::Error::last_os_error());
        }
    };
    if d.keepalive {
        let on: libc::c_int = 1;
        set(libc::SO_KEEPALIVE, (&on as *const libc::c_int).cast(), std::mem::size_of::<libc::c_int>());
    }
    if let Some(secs) = d.linger {
        let l = libc::linger {
            l_onoff: libc::c_int::from(secs != 0),
            l_linger: secs.min(i32::MAX as u32) as libc::c_int,
        };
        set(libc::SO_LINGER, (&l as *const libc::linger).cast(), std::mem::size_of::<libc::linger>());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_are_confirmed() {
        // /etc/hosts names 127.0.0.1 localhost on every Debian system.
        // (An address without an /etc/hosts entry would send a DNS query: tests stay on
        // loopback, so the "unknown" outcome is covered by the pure evaluator's tests.)
        assert_eq!(lookup_name("127.0.0.1".parse().unwrap()), "localhost");
    }

    #[test]
    fn a_changed_file_is_read_again_within_a_look_interval() {
        let d = tempfile::tempdir().unwrap();
        let (allow, deny) = (d.path().join("allow"), d.path().join("deny"));
        let a = Access::new(allow.clone(), deny.clone());
        let c: IpAddr = "10.0.0.1".parse().unwrap();
        let s = || "127.0.0.1".parse().unwrap();
        // No file: allowed without even asking for the local address.
        assert!(matches!(
            a.check("u", c, || panic!("local address asked for"), None, None),
            Verdict::Allowed(_)
        ));
        let seen = |want: fn(&Verdict) -> bool| {
            nut_testkit::wait_until(LOOK_EVERY * 10, || want(&a.check("u", c, s, None, None)))
        };
        std::fs::write(&deny, "upsd: 10.0.0.1\n").unwrap();
        assert!(seen(|v| matches!(v, Verdict::Denied(_))), "new hosts.deny");
        std::fs::write(&allow, "upsd: 10.0.0.1 : allow\n").unwrap();
        assert!(seen(|v| matches!(v, Verdict::Allowed(_))), "new hosts.allow");
        std::fs::remove_file(&allow).unwrap();
        assert!(seen(|v| matches!(v, Verdict::Denied(_))), "hosts.allow removed");
        // SIGHUP's reload reads them at once.
        std::fs::remove_file(&deny).unwrap();
        a.reload();
        assert!(matches!(a.check("u", c, s, None, None), Verdict::Allowed(_)));
    }
}
