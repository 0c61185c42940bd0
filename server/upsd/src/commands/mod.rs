//! One module per request verb, and the single dispatch `match` that routes a parsed line to
//! them.
//!
//! Each command appends its reply to the connection's [`Out`] buffer; the connection sends
//! the whole buffer in one write after the batch of requests it read, so a `LIST VAR` leaves
//! in one segment.

mod fsd;
mod get;
mod help;
mod instcmd;
mod list;
mod login;
mod logout;
mod netver;
mod password;
mod primary;
mod set;
mod starttls;
mod tracking;
mod username;
mod ver;
mod watch;

use std::net::IpAddr;
use std::sync::Arc;

use nut_conf::hosts_access::Which;
use nut_proto::net::{Request, Verb};
use nut_proto::ErrCode;
use tokio::sync::{mpsc, Notify};

use crate::state::{ClientId, Core, Server};

/// NUT formats every reply line into a 512-byte buffer, so longer lines are cut (newline
/// included). We cut at the same place so replies stay byte-identical.
pub const MAX_REPLY_LINE: usize = 512;

/// The `VER` reply and the value of `server.info`.
pub fn ver_string() -> String {
    nut_core::server_info()
}

/// Per-connection protocol state.
#[derive(Debug)]
pub struct Session {
    /// Connection id.
    pub id: ClientId,
    /// Peer address, as LIST CLIENT and the logs show it.
    pub addr: IpAddr,
    /// `USERNAME`, once given (boxed strings: every connection carries these fields).
    pub username: Option<Box<str>>,
    /// `PASSWORD`, once given.
    pub password: Option<Box<str>>,
    /// The UPS this client did `LOGIN` to (its configured name).
    pub login_ups: Option<Box<str>>,
    /// `SET TRACKING ON`.
    pub tracking: bool,
    /// Notified to close this connection (its UPS was removed on reload, or it did not read
    /// its events). Made by the first LOGIN or WATCH ([`Session::kick_handle`]): most
    /// connections never need one, and each costs an allocation and a poll per wakeup.
    pub kick: Option<Arc<Notify>>,
    /// Set by LOGOUT: close after sending the reply.
    pub closing: bool,
    /// `CERTFILE` was configured (STARTTLS is answered differently).
    pub tls_configured: bool,
    /// The connection already runs TLS (a second STARTTLS gets ALREADY-SSL-MODE).
    pub tls_active: bool,
    /// The socket, for tcp-wrappers (its local address, `keepalive`/`linger` options).
    pub fd: i32,
    /// tcp-wrappers state, made when a rule first needs a host name (boxed: most
    /// connections never need one).
    pub wrap: Option<Box<WrapState>>,
    /// `OK STARTTLS` was queued: the connection switches to TLS once it is sent.
    pub start_tls: bool,
    /// The event subscription, after the first `WATCH` (boxed: few connections have one).
    pub watch: Option<Box<WatchSession>>,
}

/// Host names looked up for tcp-wrappers, and the request waiting for a lookup.
#[derive(Debug, Default)]
pub struct WrapState {
    /// The client's host name (libwrap's `unknown`/`paranoid` included), once looked up.
    pub client_name: Option<String>,
    /// The local end's host name, once looked up.
    pub server_name: Option<String>,
    /// A lookup under way: which name, and where its result arrives.
    pub lookup: Option<(Which, tokio::sync::oneshot::Receiver<String>)>,
    /// The request line that waits for the lookup (answered when it arrives).
    pub deferred: Option<Vec<String>>,
}

impl Session {
    /// True while a request waits for a host name lookup: no further request is read.
    pub fn waiting(&self) -> bool {
        self.wrap.as_ref().is_some_and(|w| w.deferred.is_some())
    }
}

/// A connection's `WATCH` state.
#[derive(Debug)]
pub struct WatchSession {
    /// Given to each watched UPS.
    pub tx: mpsc::Sender<String>,
    /// Drained by the connection into its output.
    pub rx: mpsc::Receiver<String>,
    /// Configured names of the watched UPSes.
    pub upses: Vec<String>,
}

impl Session {
    /// A fresh session for a client at `addr` on socket `fd`.
    pub fn new(id: ClientId, addr: IpAddr, fd: i32, tls_configured: bool) -> Session {
        Session {
            id,
            addr,
            username: None,
            password: None,
            login_ups: None,
            tracking: false,
            kick: None,
            closing: false,
            tls_configured,
            tls_active: false,
            fd,
            wrap: None,
            start_tls: false,
            watch: None,
        }
    }

    /// The handle that closes this connection, made on first use.
    pub fn kick_handle(&mut self) -> Arc<Notify> {
        self.kick.get_or_insert_with(|| Arc::new(Notify::new())).clone()
    }

    /// `user@addr` as NUT's log lines show a client.
    pub fn who(&self) -> String {
        format!("{}@{}", self.username.as_deref().unwrap_or(""), self.addr)
    }
}

/// A connection's pending output.
#[derive(Debug, Default)]
pub struct Out {
    /// Bytes not yet written to the socket.
    pub buf: Vec<u8>,
}

impl Out {
    /// Start a reply line; finish it with [`Out::end`].
    pub fn begin(&mut self) -> usize {
        self.buf.len()
    }

    /// Finish the line started at `start`: add the newline and cut it like NUT does.
    pub fn end(&mut self, start: usize) {
        self.buf.push(b'\n');
        if self.buf.len() - start > MAX_REPLY_LINE {
            self.buf.truncate(start + MAX_REPLY_LINE);
        }
    }

    /// Append raw text to the current line.
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.buf.extend_from_slice(s.as_bytes());
        self
    }

    /// Append `"value"` with `"` and `\` escaped.
    pub fn quoted(&mut self, s: &str) -> &mut Self {
        self.buf.push(b'"');
        self.buf.extend_from_slice(nut_proto::words::escape(s).as_bytes());
        self.buf.push(b'"');
        self
    }

    /// A whole line built from parts separated by single spaces.
    pub fn line(&mut self, parts: &[&str]) {
        let start = self.begin();
        for (i, p) in parts.iter().enumerate() {
            if i > 0 {
                self.buf.push(b' ');
            }
            self.push(p);
        }
        self.end(start);
    }

    /// `ERR <CODE>`.
    pub fn err(&mut self, code: ErrCode) {
        self.line(&["ERR", code.as_str()]);
    }
}

/// What a command works with.
pub struct Ctx<'a> {
    /// The locked shared state.
    pub core: &'a mut Core,
    /// This client's session.
    pub session: &'a mut Session,
    /// Reply buffer.
    pub out: &'a mut Out,
}

/// A command's result: `Err` becomes `ERR <code>`.
pub type CmdResult = Result<(), ErrCode>;

/// tcp-wrappers' word on a command that needs a login (NUT checks it after USERNAME and
/// PASSWORD, before the arguments).
fn wrappers(server: &Server, session: &mut Session) -> Result<(), Option<Which>> {
    let user = session.username.as_deref().unwrap_or("");
    let fd = session.fd;
    let local = move || crate::access::local_addr(fd).unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
    let (cn, sn) = match &session.wrap {
        Some(w) => (w.client_name.as_deref(), w.server_name.as_deref()),
        None => (None, None),
    };
    match server.access.check(user, session.addr, local, cn, sn) {
        crate::access::Verdict::Allowed(d) => {
            crate::access::apply_socket_options(session.fd, &d);
            Ok(())
        }
        crate::access::Verdict::Denied(d) => {
            crate::access::apply_socket_options(session.fd, &d);
            tracing::debug!(
                "while authenticating {user} found that tcp-wrappers says access should be denied: {d}"
            );
            Err(None)
        }
        crate::access::Verdict::NeedName(w) => {
            let addr = if w == Which::Client { session.addr } else { local() };
            let (tx, rx) = tokio::sync::oneshot::channel();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(crate::access::lookup_name(addr));
            });
            session.wrap.get_or_insert_with(Default::default).lookup = Some((w, rx));
            Err(Some(w))
        }
    }
}

/// Handle one request line (already split into words). A request that must wait for a host
/// name lookup (tcp-wrappers) is kept in the session and answered later
/// ([`Session::waiting`]).
pub fn dispatch(server: &Server, session: &mut Session, words: &[String], out: &mut Out) {
    // With -DD every request is logged, as NUT does at its debug levels; the password is
    // masked so a debug log can be shared without leaking it.
    tracing::trace!("{}: {}", session.addr, loggable(words));
    let Some(verb) = words.first().and_then(|w| Verb::parse(w)) else {
        out.err(ErrCode::UnknownCommand);
        return;
    };
    if verb.needs_credentials() {
        if session.username.is_none() {
            out.err(ErrCode::UsernameRequired);
            return;
        }
        if session.password.is_none() {
            out.err(ErrCode::PasswordRequired);
            return;
        }
        match wrappers(server, session) {
            Ok(()) => {}
            Err(None) => {
                out.err(ErrCode::AccessDenied);
                return;
            }
            Err(Some(_)) => {
                session.wrap.get_or_insert_with(Default::default).deferred = Some(words.to_vec());
                return;
            }
        }
    }
    let req = match Request::parse(verb, &words[1..]) {
        Ok(r) => r,
        Err(code) => {
            out.err(code);
            return;
        }
    };
    let mut core = server.lock();
    let mut cx = Ctx { core: &mut core, session, out };
    let result = match req {
        Request::Fsd(ups) => fsd::run(&mut cx, ups),
        Request::GetCmdDesc(ups, cmd) => get::cmddesc(&mut cx, ups, cmd),
        Request::GetDesc(ups, var) => get::desc(&mut cx, ups, var),
        Request::GetNumLogins(ups) => get::numlogins(&mut cx, ups),
        Request::GetTracking(id) => tracking::get(&mut cx, id),
        Request::GetType(ups, var) => get::type_(&mut cx, ups, var),
        Request::GetUpsDesc(ups) => get::upsdesc(&mut cx, ups),
        Request::GetVar(ups, var) => get::var(&mut cx, ups, var),
        Request::Help => help::run(&mut cx),
        Request::Instcmd(ups, cmd, param) => instcmd::run(&mut cx, ups, cmd, param),
        Request::ListClient(ups) => list::client(&mut cx, ups),
        Request::ListCmd(ups) => list::cmd(&mut cx, ups),
        Request::ListEnum(ups, var) => list::enum_(&mut cx, ups, var),
        Request::ListRange(ups, var) => list::range(&mut cx, ups, var),
        Request::ListRw(ups) => list::rw(&mut cx, ups),
        Request::ListUps => list::ups(&mut cx),
        Request::ListVar(ups) => list::var(&mut cx, ups),
        Request::Login(ups) => login::run(&mut cx, ups),
        Request::Logout => logout::run(&mut cx),
        Request::Netver => netver::run(&mut cx),
        Request::Password(p) => password::run(&mut cx, p),
        Request::Primary(ups, master) => primary::run(&mut cx, ups, master),
        Request::SetTracking(on) => tracking::set(&mut cx, on),
        Request::SetVar(ups, var, value) => set::run(&mut cx, ups, var, value),
        Request::Starttls => starttls::run(&mut cx),
        Request::Username(u) => username::run(&mut cx, u),
        Request::Ver => ver::run(&mut cx),
        Request::Watch(ups) => watch::run(&mut cx, ups),
    };
    if let Err(code) = result {
        cx.out.err(code);
    }
}

/// Forget a client's LOGIN when it disconnects (NUMLOGINS goes down; NUT logs nothing).
pub fn forget_client(core: &mut Core, session: &Session) {
    if let Some(name) = &session.login_ups {
        if let Some(ups) = core.ups_mut(name) {
            ups.logins.retain(|l| l.client != session.id);
        }
    }
}

/// Forget a closing connection's LOGIN and its event subscriptions.
pub fn forget_connection(core: &mut Core, session: &Session) {
    forget_client(core, session);
    if let Some(w) = &session.watch {
        for name in &w.upses {
            if let Some(ups) = core.ups_mut(name) {
                crate::watch::remove(ups, session.id);
            }
        }
    }
}

/// A request line as it may appear in a log: the words quoted as on the wire, with the
/// argument of `PASSWORD` (any case) replaced by `****`.
pub fn loggable(words: &[String]) -> String {
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if i > 0 && words[0].eq_ignore_ascii_case("PASSWORD") {
            out.push_str("****");
        } else {
            out.push_str(&nut_proto::words::quote_if_needed(w));
        }
    }
    out
}

#[cfg(test)]
mod log_tests {
    use super::*;

    #[test]
    fn password_is_masked_in_logged_requests() {
        let w = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(loggable(&w(&["PASSWORD", "hunter2"])), "PASSWORD ****");
        assert_eq!(loggable(&w(&["password", "a b", "c"])), "password **** ****");
        assert_eq!(loggable(&w(&["USERNAME", "admin"])), "USERNAME admin");
        assert_eq!(loggable(&w(&["GET", "VAR", "ups1", "ups.status"])), "GET VAR ups1 ups.status");
        assert_eq!(loggable(&w(&[])), "");
    }
}
