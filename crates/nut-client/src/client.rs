//! The blocking connection to upsd and one method per protocol request.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use nut_proto::words;
use nut_tls::rustls::{ClientConnection, StreamOwned};

use crate::error::{Error, Result};
use crate::reply::{strip_words, tracking_id, TrackingStatus, VarType};
use crate::stream::Stream;
use crate::tls::TlsOptions;

/// NUT's client connect timeout (`NUT_DEFAULT_CONNECT_TIMEOUT`, 2.8.3).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long we wait for a reply before giving up. NUT's library waits 5 s per read; upsd
/// can take longer under load, so we allow a little more.
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest reply line we accept; upsd's lines are far shorter, so anything longer means
/// the peer is not upsd.
const MAX_LINE: usize = 64 * 1024;

/// Connection settings.
#[derive(Debug, Clone)]
pub struct Options {
    /// Time allowed for each TCP connect attempt; zero waits as long as the system does
    /// (NUT's blocking connect, `-W 0`).
    pub connect_timeout: Duration,
    /// Time allowed for each read and write (`None` waits forever).
    pub io_timeout: Option<Duration>,
}

impl Default for Options {
    fn default() -> Self {
        Options { connect_timeout: DEFAULT_CONNECT_TIMEOUT, io_timeout: Some(DEFAULT_IO_TIMEOUT) }
    }
}

/// A connection to upsd.
#[derive(Debug)]
pub struct Client {
    stream: Stream,
    buf: Vec<u8>,
    host: String,
    port: u16,
    addr: String,
}

impl Client {
    /// Connect to upsd at `host:port` with the default timeouts.
    ///
    /// `host` is a name or an address literal (IPv4 or IPv6, without brackets); each resolved
    /// address is tried in turn, as NUT does.
    pub fn connect(host: &str, port: u16) -> Result<Client> {
        Self::connect_with(host, port, &Options::default())
    }

    /// [`Client::connect`] with explicit timeouts.
    pub fn connect_with(host: &str, port: u16, opts: &Options) -> Result<Client> {
        let addrs: Vec<SocketAddr> = (host, port)
            .to_socket_addrs()
            .map_err(|source| Error::Resolve { host: host.to_string(), source })?
            .collect();
        let mut last = None;
        for a in &addrs {
            let attempt = if opts.connect_timeout.is_zero() {
                TcpStream::connect(a)
            } else {
                TcpStream::connect_timeout(a, opts.connect_timeout)
            };
            match attempt {
                Ok(s) => {
                    // Requests are single short lines; don't let Nagle hold them back.
                    let _ = s.set_nodelay(true);
                    let stream = Stream::Plain(s);
                    stream
                        .set_timeout(opts.io_timeout)
                        .map_err(|source| Error::Connect { addr: a.to_string(), source })?;
                    return Ok(Client {
                        stream,
                        buf: Vec::new(),
                        host: host.to_string(),
                        port,
                        addr: a.to_string(),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    // As NUT does, a timeout ends the attempt (the other addresses would take
                    // as long); the error is the system's ETIMEDOUT, "Connection timed out".
                    last = Some((a.to_string(), io::Error::from_raw_os_error(libc::ETIMEDOUT)));
                    break;
                }
                Err(e) => last = Some((a.to_string(), e)),
            }
        }
        let (addr, source) = last.unwrap_or_else(|| {
            (format!("{host}:{port}"), io::Error::new(io::ErrorKind::NotFound, "host has no addresses"))
        });
        Err(Error::Connect { addr, source })
    }

    /// The host name this client was asked to connect to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port this client connected to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The address actually connected to, as `ip:port` text.
    pub fn peer(&self) -> &str {
        &self.addr
    }

    /// Change the read/write timeout (`None` waits forever).
    pub fn set_timeout(&mut self, t: Option<Duration>) -> Result<()> {
        self.stream.set_timeout(t).map_err(|source| Error::Send { addr: self.addr.clone(), source })
    }

    /// [`Client::connect_with`], then STARTTLS as upsmon does: with TLS when upsd offers it;
    /// in plain text when upsd answers STARTTLS with an error, unless FORCESSL applies to this
    /// host ([`Error::TlsRequired`]). A failed handshake or a refused certificate is always an
    /// error ([`Error::Tls`]).
    pub fn connect_tls(host: &str, port: u16, opts: &Options, tls: &TlsOptions) -> Result<Client> {
        // Check the CA and certificate files before connecting, so a typo is reported as such.
        let ht = tls.for_host(host);
        nut_tls::client_config(&ht.settings).map_err(|e| Error::TlsSetup(e.to_string()))?;
        let mut c = Self::connect_with(host, port, opts)?;
        match c.starttls(tls) {
            Ok(()) => Ok(c),
            Err(Error::Server { code_text, .. }) => {
                if ht.forcessl {
                    Err(Error::TlsRequired {
                        addr: c.addr.clone(),
                        reason: format!("it answered STARTTLS with ERR {code_text}"),
                    })
                } else {
                    Ok(c)
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Connect like NUT 2.8.0's upsc/upscmd/upsrw/upslog (plain text), or with TLS when the
    /// environment asks for it ([`TlsOptions::from_env`]).
    pub fn connect_env(host: &str, port: u16) -> Result<Client> {
        Self::connect_env_with(host, port, &Options::default())
    }

    /// [`Client::connect_env`] with explicit timeouts (the clients' `-W`).
    pub fn connect_env_with(host: &str, port: u16, opts: &Options) -> Result<Client> {
        match TlsOptions::from_env() {
            None => Self::connect_with(host, port, opts),
            Some(tls) => Self::connect_tls(host, port, opts, &tls),
        }
    }

    /// Whether the connection is encrypted.
    pub fn is_tls(&self) -> bool {
        self.stream.is_tls()
    }

    /// Send STARTTLS and, on `OK STARTTLS`, run the TLS handshake with `tls`'s settings for
    /// this host. An `ERR` answer comes back as [`Error::Server`] and the connection stays
    /// usable in plain text; after a failed handshake ([`Error::Tls`]) it is not.
    pub fn starttls(&mut self, tls: &TlsOptions) -> Result<()> {
        if self.stream.is_tls() {
            return Ok(());
        }
        let ht = tls.for_host(&self.host);
        let config = nut_tls::client_config(&ht.settings).map_err(|e| Error::TlsSetup(e.to_string()))?;
        let name = nut_tls::server_name(&ht.name).map_err(|e| Error::TlsSetup(e.to_string()))?;
        self.send_line("STARTTLS")?;
        let reply = self.read_reply("STARTTLS")?;
        if reply != "OK STARTTLS" || !self.buf.is_empty() {
            return Err(Error::Protocol { request: "STARTTLS".into(), reply });
        }
        let tcp = self
            .stream
            .tcp()
            .try_clone()
            .map_err(|source| Error::Send { addr: self.addr.clone(), source })?;
        let mut conn = ClientConnection::new(config, name)
            .map_err(|e| Error::Tls { addr: self.addr.clone(), reason: e.to_string() })?;
        let mut sock = tcp;
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut sock) {
                let reason = match e.get_ref().and_then(|i| i.downcast_ref::<nut_tls::rustls::Error>()) {
                    Some(te) => nut_tls::explain(te, Some(&ht.name)),
                    None if e.kind() == io::ErrorKind::UnexpectedEof => {
                        "upsd closed the connection during the handshake (check upsd's log: it may require a \
                         client certificate, CERTREQUEST 2)"
                            .to_string()
                    }
                    None => e.to_string(),
                };
                return Err(Error::Tls { addr: self.addr.clone(), reason });
            }
        }
        self.stream = Stream::Tls(Box::new(StreamOwned::new(conn, sock)));
        Ok(())
    }

    // ----- Raw line I/O -------------------------------------------------------------------

    /// Send one request line (the newline is added).
    pub fn send_line(&mut self, line: &str) -> Result<()> {
        if line.contains(['\n', '\r']) {
            return Err(Error::InvalidArgument(redact(line)));
        }
        let mut data = Vec::with_capacity(line.len() + 1);
        data.extend_from_slice(line.as_bytes());
        data.push(b'\n');
        self.stream.write_all(&data).map_err(|source| Error::Send { addr: self.addr.clone(), source })
    }

    /// Read one reply line, without its line ending. `ERR` lines are returned as they are.
    pub fn read_line(&mut self) -> Result<String> {
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.buf.drain(..=i).collect();
                line.pop();
                while line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(String::from_utf8_lossy(&line).into_owned());
            }
            if self.buf.len() > MAX_LINE {
                let reply = String::from_utf8_lossy(&self.buf[..80]).into_owned();
                return Err(Error::Protocol { request: String::new(), reply });
            }
            let mut chunk = [0u8; 4096];
            let n = match self.stream.read(&mut chunk) {
                Ok(0) => return Err(Error::Disconnected { addr: self.addr.clone() }),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(Error::Recv { addr: self.addr.clone(), source }),
            };
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Read one reply line and turn `ERR <code>` into [`Error::Server`].
    pub fn read_reply(&mut self, request: &str) -> Result<String> {
        let line = self.read_line()?;
        check_err(&line, request)?;
        Ok(line)
    }

    /// Send a raw request and return the reply lines: one line, or for `LIST` the whole
    /// `BEGIN LIST ...` .. `END LIST ...` block. `ERR` replies become [`Error::Server`].
    pub fn request(&mut self, line: &str) -> Result<Vec<String>> {
        self.send_line(line)?;
        let first = self.read_reply(line)?;
        let Some(rest) = first.strip_prefix("BEGIN LIST") else {
            return Ok(vec![first]);
        };
        let end = format!("END LIST{rest}");
        let mut out = vec![first];
        loop {
            let l = self.read_reply(line)?;
            let done = l == end;
            out.push(l);
            if done {
                return Ok(out);
            }
        }
    }

    // ----- Building blocks ----------------------------------------------------------------

    /// Send a command built from words (quoted as needed) and return its single reply line,
    /// which must start with `OK`.
    pub fn command_ok(&mut self, args: &[&str]) -> Result<String> {
        let line = build(args)?;
        self.send_line(&line)?;
        let reply = self.read_reply(&line)?;
        if !reply.starts_with("OK") {
            return Err(Error::Protocol { request: redact(&line), reply });
        }
        Ok(reply)
    }

    /// `GET <args>`: returns the reply words after the echoed arguments (e.g. the value of
    /// `GET VAR ups var`).
    pub fn get(&mut self, args: &[&str]) -> Result<Vec<String>> {
        let mut all = vec!["GET"];
        all.extend_from_slice(args);
        let line = build(&all)?;
        self.send_line(&line)?;
        let reply = self.read_reply(&line)?;
        let w = split_reply(&reply)?;
        match strip_words(&w, args) {
            Some(rest) => Ok(rest.to_vec()),
            None => Err(Error::Protocol { request: line, reply }),
        }
    }

    /// `LIST <args>`: returns, for each item line, the words after the echoed arguments
    /// (`LIST VAR ups` gives `[var, value]` per line).
    pub fn list(&mut self, args: &[&str]) -> Result<Vec<Vec<String>>> {
        let mut all = vec!["LIST"];
        all.extend_from_slice(args);
        let line = build(&all)?;
        self.send_line(&line)?;
        let first = self.read_reply(&line)?;
        let fw = split_reply(&first)?;
        if !strip_words(&fw, &["BEGIN", "LIST"])
            .and_then(|r| strip_words(r, args))
            .is_some_and(|r| r.is_empty())
        {
            return Err(Error::Protocol { request: line, reply: first });
        }
        let mut items = Vec::new();
        loop {
            let l = self.read_reply(&line)?;
            let w = split_reply(&l)?;
            if let Some(r) = strip_words(&w, &["END", "LIST"]) {
                if strip_words(r, args).is_some_and(|r| r.is_empty()) {
                    return Ok(items);
                }
                return Err(Error::Protocol { request: line, reply: l });
            }
            match strip_words(&w, args) {
                Some(rest) => items.push(rest.to_vec()),
                None => return Err(Error::Protocol { request: line, reply: l }),
            }
        }
    }

    // ----- Session ------------------------------------------------------------------------

    /// `VER`: the server's version line.
    pub fn ver(&mut self) -> Result<String> {
        self.send_line("VER")?;
        self.read_reply("VER")
    }

    /// `NETVER`: the protocol version (`1.3` for NUT 2.8).
    pub fn netver(&mut self) -> Result<String> {
        self.send_line("NETVER")?;
        self.read_reply("NETVER")
    }

    /// `USERNAME <user>`.
    pub fn username(&mut self, user: &str) -> Result<()> {
        self.command_ok(&["USERNAME", user]).map(drop)
    }

    /// `PASSWORD <pass>`. upsd checks credentials only on the first privileged request.
    pub fn password(&mut self, pass: &str) -> Result<()> {
        self.command_ok(&["PASSWORD", pass]).map(drop)
    }

    /// `LOGIN <ups>`: counts this connection toward the UPS's NUMLOGINS (upsmon does this).
    pub fn login(&mut self, ups: &str) -> Result<()> {
        self.command_ok(&["LOGIN", ups]).map(drop)
    }

    /// `PRIMARY <ups>`, falling back to the pre-2.8 `MASTER <ups>` if upsd refuses it.
    /// Returns the OK line (`OK PRIMARY-GRANTED` or `OK MASTER-GRANTED`).
    pub fn primary(&mut self, ups: &str) -> Result<String> {
        match self.command_ok(&["PRIMARY", ups]) {
            Ok(r) => Ok(r),
            Err(Error::Server { .. }) => self.command_ok(&["MASTER", ups]),
            Err(e) => Err(e),
        }
    }

    /// `FSD <ups>`: set the forced-shutdown latch.
    pub fn fsd(&mut self, ups: &str) -> Result<()> {
        self.command_ok(&["FSD", ups]).map(drop)
    }

    /// `LOGOUT`, then close. A server that closes first is fine.
    pub fn logout(&mut self) -> Result<()> {
        let r = self.send_line("LOGOUT").and_then(|()| self.read_line());
        self.stream.shutdown();
        match r {
            Ok(_) | Err(Error::Disconnected { .. }) | Err(Error::Recv { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    // ----- GET ----------------------------------------------------------------------------

    /// `GET VAR <ups> <var>`: the value.
    pub fn get_var(&mut self, ups: &str, var: &str) -> Result<String> {
        self.get_one(&["VAR", ups, var])
    }

    /// `GET TYPE <ups> <var>`.
    pub fn get_type(&mut self, ups: &str, var: &str) -> Result<VarType> {
        Ok(VarType::parse(&self.get(&["TYPE", ups, var])?))
    }

    /// `GET DESC <ups> <var>`: the variable's description.
    pub fn get_desc(&mut self, ups: &str, var: &str) -> Result<String> {
        self.get_one(&["DESC", ups, var])
    }

    /// `GET CMDDESC <ups> <cmd>`: the instant command's description.
    pub fn get_cmddesc(&mut self, ups: &str, cmd: &str) -> Result<String> {
        self.get_one(&["CMDDESC", ups, cmd])
    }

    /// `GET UPSDESC <ups>`: the `desc` from ups.conf.
    pub fn get_upsdesc(&mut self, ups: &str) -> Result<String> {
        self.get_one(&["UPSDESC", ups])
    }

    /// `GET NUMLOGINS <ups>`: how many upsmon clients are logged in.
    pub fn get_numlogins(&mut self, ups: &str) -> Result<u32> {
        let v = self.get_one(&["NUMLOGINS", ups])?;
        v.parse().map_err(|_| Error::Protocol { request: format!("GET NUMLOGINS {ups}"), reply: v })
    }

    fn get_one(&mut self, args: &[&str]) -> Result<String> {
        let w = self.get(args)?;
        match <[String; 1]>::try_from(w) {
            Ok([v]) => Ok(v),
            Err(w) => Err(Error::Protocol { request: format!("GET {}", args.join(" ")), reply: w.join(" ") }),
        }
    }

    // ----- LIST ---------------------------------------------------------------------------

    /// `LIST UPS`: `(name, description)` pairs.
    pub fn list_ups(&mut self) -> Result<Vec<(String, String)>> {
        pairs(self.list(&["UPS"])?, "LIST UPS")
    }

    /// `LIST VAR <ups>`: `(variable, value)` pairs in upsd's order.
    pub fn list_var(&mut self, ups: &str) -> Result<Vec<(String, String)>> {
        pairs(self.list(&["VAR", ups])?, "LIST VAR")
    }

    /// `LIST RW <ups>`: writable `(variable, value)` pairs.
    pub fn list_rw(&mut self, ups: &str) -> Result<Vec<(String, String)>> {
        pairs(self.list(&["RW", ups])?, "LIST RW")
    }

    /// `LIST CMD <ups>`: instant command names.
    pub fn list_cmd(&mut self, ups: &str) -> Result<Vec<String>> {
        singles(self.list(&["CMD", ups])?, "LIST CMD")
    }

    /// `LIST ENUM <ups> <var>`: the allowed values.
    pub fn list_enum(&mut self, ups: &str, var: &str) -> Result<Vec<String>> {
        singles(self.list(&["ENUM", ups, var])?, "LIST ENUM")
    }

    /// `LIST RANGE <ups> <var>`: `(min, max)` pairs.
    pub fn list_range(&mut self, ups: &str, var: &str) -> Result<Vec<(String, String)>> {
        pairs(self.list(&["RANGE", ups, var])?, "LIST RANGE")
    }

    /// `LIST CLIENT <ups>`: addresses of the logged-in clients.
    pub fn list_client(&mut self, ups: &str) -> Result<Vec<String>> {
        singles(self.list(&["CLIENT", ups])?, "LIST CLIENT")
    }

    // ----- Actions ------------------------------------------------------------------------

    /// `SET VAR <ups> <var> "<value>"`. Returns the tracking id when tracking is on.
    pub fn set_var(&mut self, ups: &str, var: &str, value: &str) -> Result<Option<String>> {
        let line = format!(
            "SET VAR {} {} {}",
            words::quote_if_needed(ups),
            words::quote_if_needed(var),
            words::quote(value)
        );
        self.ok_with_tracking(line)
    }

    /// `INSTCMD <ups> <cmd> [<param>]`. Returns the tracking id when tracking is on.
    pub fn instcmd(&mut self, ups: &str, cmd: &str, param: Option<&str>) -> Result<Option<String>> {
        let mut args = vec!["INSTCMD", ups, cmd];
        args.extend(param);
        let line = build(&args)?;
        self.ok_with_tracking(line)
    }

    /// `SET TRACKING ON|OFF`: whether SET and INSTCMD answer `OK TRACKING <id>`.
    pub fn set_tracking(&mut self, on: bool) -> Result<()> {
        self.command_ok(&["SET", "TRACKING", if on { "ON" } else { "OFF" }]).map(drop)
    }

    /// `GET TRACKING <id>`: the state of a tracked SET or INSTCMD. `ERR FAILED`, `ERR UNKNOWN`
    /// and `ERR INVALID-ARGUMENT` are answers here, not errors; other `ERR`s (tracking not
    /// enabled) are errors.
    pub fn get_tracking(&mut self, id: &str) -> Result<TrackingStatus> {
        let line = build(&["GET", "TRACKING", id])?;
        self.send_line(&line)?;
        let reply = self.read_line()?;
        match TrackingStatus::parse(&reply) {
            Some(TrackingStatus::Failed(c))
                if !matches!(c.as_str(), "FAILED" | "UNKNOWN" | "INVALID-ARGUMENT") =>
            {
                check_err(&reply, &line)?;
                Ok(TrackingStatus::Failed(c))
            }
            Some(s) => Ok(s),
            None => Err(Error::Protocol { request: line, reply }),
        }
    }

    fn ok_with_tracking(&mut self, line: String) -> Result<Option<String>> {
        self.send_line(&line)?;
        let reply = self.read_reply(&line)?;
        if !reply.starts_with("OK") {
            return Err(Error::Protocol { request: line, reply });
        }
        Ok(tracking_id(&reply).map(str::to_string))
    }
}

/// Turn an `ERR <code> [extra]` line into [`Error::Server`].
fn check_err(line: &str, request: &str) -> Result<()> {
    let Some(rest) = line.strip_prefix("ERR") else { return Ok(()) };
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return Ok(());
    }
    let code_text = rest.split_whitespace().next().unwrap_or("").to_string();
    Err(Error::Server { code: code_text.parse().ok(), code_text, request: redact(request) })
}

/// A request line fit for an error message or a log: the argument of `PASSWORD` (any case)
/// is replaced by `****`, so a refused or broken login never shows the password.
pub fn redact(line: &str) -> String {
    let trimmed = line.trim_start();
    match trimmed.split_once(char::is_whitespace) {
        Some((verb, _)) if verb.eq_ignore_ascii_case("PASSWORD") => format!("{verb} ****"),
        _ => line.to_string(),
    }
}

/// Join words into a request line, quoting the ones that need it.
fn build(args: &[&str]) -> Result<String> {
    let mut line = String::new();
    let secret = args.first().is_some_and(|v| v.eq_ignore_ascii_case("PASSWORD"));
    for a in args {
        if a.contains(['\n', '\r']) {
            let shown = if secret { "****".to_string() } else { (*a).to_string() };
            return Err(Error::InvalidArgument(shown));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&words::quote_if_needed(a));
    }
    Ok(line)
}

fn split_reply(line: &str) -> Result<Vec<String>> {
    words::split(line).map_err(|e| Error::Parse { reply: line.to_string(), reason: e.to_string() })
}

fn pairs(items: Vec<Vec<String>>, what: &str) -> Result<Vec<(String, String)>> {
    items
        .into_iter()
        .map(|w| match <[String; 2]>::try_from(w) {
            Ok([a, b]) => Ok((a, b)),
            Err(w) => Err(Error::Protocol { request: what.to_string(), reply: w.join(" ") }),
        })
        .collect()
}

fn singles(items: Vec<Vec<String>>, what: &str) -> Result<Vec<String>> {
    items
        .into_iter()
        .map(|w| match <[String; 1]>::try_from(w) {
            Ok([a]) => Ok(a),
            Err(w) => Err(Error::Protocol { request: what.to_string(), reply: w.join(" ") }),
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn err_lines() {
        let e = check_err("ERR DATA-STALE", "GET VAR a b").unwrap_err();
        assert_eq!(e.code(), Some(nut_proto::ErrCode::DataStale));
        assert_eq!(e.nut_message(), "Data stale");
        assert!(check_err("ERRATA", "x").is_ok());
        let e = check_err("ERR WEIRD-THING extra", "x").unwrap_err();
        assert_eq!(e.code(), None);
        assert_eq!(e.nut_message(), "Unknown error");
    }

    #[test]
    fn build_quotes() {
        assert_eq!(build(&["INSTCMD", "ups1", "load.off"]).unwrap(), "INSTCMD ups1 load.off");
        assert_eq!(build(&["USERNAME", "a b"]).unwrap(), "USERNAME \"a b\"");
        assert!(build(&["X", "a\nb"]).is_err());
    }

    #[test]
    fn passwords_never_reach_error_messages() {
        let e = check_err("ERR INVALID-PASSWORD", "PASSWORD \"Zq9 secret\"").unwrap_err();
        assert!(!e.to_string().contains("Zq9"), "{e}");
        assert!(e.to_string().contains("PASSWORD ****"), "{e}");
        let e = build(&["PASSWORD", "Zq9\nx"]).unwrap_err();
        assert!(!e.to_string().contains("Zq9"), "{e}");
        assert_eq!(redact("password abc"), "password ****");
        assert_eq!(redact("GET VAR ups x"), "GET VAR ups x");
        assert_eq!(redact("PASSWORDX y"), "PASSWORDX y");
    }
}
