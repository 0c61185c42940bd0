//! STARTTLS for upsd: the TLS configuration built from upsd.conf at start (a bad `CERTFILE`
//! stops upsd with the file, the line and what is wrong, as NUT 2.8.6 does), and the
//! [`Transport`] a connection reads and writes through: plain TCP until STARTTLS, then rustls.
//!
//! The plain path costs one enum match per read or write; TLS work only happens on
//! connections that asked for it.

use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use nut_conf::upsd_conf::CertRequest;
use nut_tls::rustls::{ServerConfig, ServerConnection};
use nut_tls::{ClientCertMode, ServerSettings};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::config::Config;

/// What upsd.conf's TLS lines say that is not a broken file: NUT's NSS-only settings, which
/// this upsd cannot use (errors: a configuration that asks for TLS it cannot have does not
/// start, rather than serving in clear), and settings that have no effect here (warnings).
/// Every message names upsd.conf's line.
pub fn diagnostics(cfg: &Config) -> Vec<nut_conf::Diagnostic> {
    let u = &cfg.upsd;
    let file = cfg.confpath.join("upsd.conf").display().to_string();
    let line = |k: &str| u.line_of(k).unwrap_or(0);
    let mut out = Vec::new();
    let nss_db =
        u.certpath.as_deref().map(|p| resolve(&cfg.confpath, p)).filter(|p| nut_tls::setup::is_nss_db(p));
    let convert = |db: &str| {
        format!(
            "convert it with:  nut-tls-setup --from-nss {db} --dir {}  (it reads CERTIDENT from upsd.conf, writes \
             upsd.pem and ca.pem, and prints the lines to change), or make a new certificate with nut-tls-setup",
            cfg.confpath.display()
        )
    };
    match (&u.certfile, &nss_db, &u.certident) {
        (None, Some(db), ident) => out.push(nut_conf::Diagnostic::error(
            &file,
            line("CERTPATH"),
            format!(
                "CERTPATH {} is an NSS certificate database{}: NUT's NSS build (Debian's packages) reads it, \
                 this upsd reads PEM files (CERTFILE) and would serve without TLS; {}",
                db.display(),
                ident.as_ref().map(|i| format!(" (certificate {:?} from CERTIDENT)", i.name)).unwrap_or_default(),
                convert(&db.display().to_string())
            ),
        )),
        (None, None, Some(i)) => out.push(nut_conf::Diagnostic::error(
            &file,
            line("CERTIDENT"),
            format!(
                "CERTIDENT names the certificate {:?} of an NSS database, which NUT's NSS build (Debian's \
                 packages) reads from CERTPATH; this upsd reads PEM files (CERTFILE) and would serve without \
                 TLS; {}",
                i.name,
                convert("<database directory>")
            ),
        )),
        (Some(_), Some(db), _) => out.push(nut_conf::Diagnostic::error(
            &file,
            line("CERTPATH"),
            format!(
                "CERTPATH {} is an NSS certificate database; here CERTPATH names the PEM CA certificates that \
                 client certificates are checked against: {}",
                db.display(),
                convert(&db.display().to_string())
            ),
        )),
        _ => {}
    }
    if u.certfile.is_some() && u.certident.is_some() {
        out.push(nut_conf::Diagnostic::warning(
            &file,
            line("CERTIDENT"),
            "CERTIDENT is for NUT's NSS builds: with CERTFILE it has no use here (the key in CERTFILE must \
             not be encrypted); remove the line",
        ));
    }
    if u.certfile.is_some() && !u.disable_weak_ssl && u.line_of("DISABLE_WEAK_SSL").is_some() {
        out.push(nut_conf::Diagnostic::warning(
            &file,
            line("DISABLE_WEAK_SSL"),
            "DISABLE_WEAK_SSL false cannot enable TLS 1.0/1.1 or SSL here: this upsd only speaks TLS 1.2 \
             and 1.3 (as NUT does with DISABLE_WEAK_SSL true); clients limited to older versions cannot \
             connect",
        ));
    }
    if u.certfile.is_none() && nss_db.is_none() && u.certident.is_none() {
        if u.certrequest.is_some_and(|r| r != CertRequest::No) {
            out.push(nut_conf::Diagnostic::warning(
                &file,
                line("CERTREQUEST"),
                "CERTREQUEST is set but CERTFILE is not: STARTTLS is off and no client certificate is asked for",
            ));
        } else if u.certpath.is_some() {
            out.push(nut_conf::Diagnostic::warning(
                &file,
                line("CERTPATH"),
                "CERTPATH is set but CERTFILE is not: STARTTLS is off (CERTPATH only names the CAs that client \
                 certificates are checked against)",
            ));
        }
    }
    out
}

/// Build the TLS configuration when `CERTFILE` is set. The `Err` names upsd.conf's line and
/// the certificate file, says what is wrong and how to fix it; the errors of [`diagnostics`]
/// (NSS-only settings) are refused too.
pub fn load(cfg: &Config) -> Result<Option<Arc<ServerConfig>>, String> {
    let u = &cfg.upsd;
    let conf_file = cfg.confpath.join("upsd.conf");
    let errors: Vec<nut_conf::Diagnostic> = diagnostics(cfg).into_iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        return Err(format!(
            "{}; upsd does not start with TLS settings it cannot use",
            nut_conf::render(&errors).trim_end()
        ));
    }
    let Some(certfile) = &u.certfile else { return Ok(None) };
    let settings = ServerSettings {
        certfile: resolve(&cfg.confpath, certfile),
        certpath: u.certpath.as_deref().map(|p| resolve(&cfg.confpath, p)),
        certrequest: match u.certrequest {
            None | Some(CertRequest::No) => ClientCertMode::No,
            Some(CertRequest::Request) => ClientCertMode::Request,
            Some(CertRequest::Require) => ClientCertMode::Require,
        },
        disable_weak_ssl: u.disable_weak_ssl,
    };
    nut_tls::server_config(&settings).map(Some).map_err(|e| {
        let key = if matches!(&e, nut_tls::TlsError::BadFile { path, .. } | nut_tls::TlsError::Read { path, .. }
            if Some(Path::new(path)) == settings.certpath.as_deref())
        {
            "CERTPATH"
        } else if matches!(e, nut_tls::TlsError::Settings(_)) {
            "CERTREQUEST"
        } else {
            "CERTFILE"
        };
        let line = u.line_of(key).unwrap_or(0);
        format!(
            "{}:{line}: {key}: {e}; upsd does not start with a broken TLS setup (fix the file, or remove the \
             {key} line to serve without TLS)",
            conf_file.display()
        )
    })
}

/// Relative paths in upsd.conf are taken from the configuration directory.
fn resolve(confpath: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        confpath.join(p)
    }
}

/// Blocking-style `Read`/`Write` over a non-blocking tokio socket, for rustls: would-block
/// surfaces as `WouldBlock`.
struct SockIo<'a>(&'a TcpStream);

impl Read for SockIo<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl Write for SockIo<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a connection reads and writes through.
pub enum Transport {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS after STARTTLS.
    Tls(TcpStream, Box<ServerConnection>, Buffered),
}

/// Whether rustls holds decrypted bytes we have not read yet (the socket may then never
/// become readable again, so the connection must not wait for it).
#[derive(Debug, Default, Clone, Copy)]
pub struct Buffered(bool);

impl Transport {
    /// Read into `buf`, registering the task's waker when nothing can be read yet; `Ok(0)` is
    /// the end of the stream.
    ///
    /// Plain TCP goes through tokio's `poll_read`, which takes a short read as "drained": the
    /// next call waits for the next readiness event instead of making a `read` that can only
    /// fail with EAGAIN (one system call less per request).
    pub fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        if let Transport::Plain(s) = self {
            let mut rb = ReadBuf::new(buf);
            return Pin::new(s).poll_read(cx, &mut rb).map_ok(|()| rb.filled().len());
        }
        loop {
            if let Transport::Tls(s, _, Buffered(false)) = self {
                ready!(s.poll_read_ready(cx))?;
            }
            match self.try_read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => return Poll::Ready(r),
            }
        }
    }

    /// Write from `data`, registering the task's waker when the socket is full; returns how
    /// much of `data` was taken (TLS may keep encrypted records for [`Transport::poll_flush`]).
    pub fn poll_write(&mut self, cx: &mut Context<'_>, data: &[u8]) -> Poll<io::Result<usize>> {
        match self {
            Transport::Plain(s) => Pin::new(s).poll_write(cx, data),
            Transport::Tls(_, conn, _) => {
                let n = conn.writer().write(data)?;
                let flushed = self.poll_flush(cx)?;
                if n == 0 && !data.is_empty() {
                    return match flushed {
                        Poll::Pending => Poll::Pending,
                        Poll::Ready(()) => Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                    };
                }
                Poll::Ready(Ok(n))
            }
        }
    }

    /// Push pending encrypted output to the socket; `Pending` (with the waker registered)
    /// while some of it waits for room.
    pub fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Transport::Tls(s, conn, _) = self else { return Poll::Ready(Ok(())) };
        loop {
            flush_tls(s, conn)?;
            if !conn.wants_write() {
                return Poll::Ready(Ok(()));
            }
            ready!(s.poll_write_ready(cx))?;
        }
    }

    /// Read decrypted (or plain) bytes without waiting; `Ok(0)` is the end of the stream.
    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.try_read(buf),
            Transport::Tls(s, conn, buffered) => {
                let r = tls_read(s, conn, buf);
                buffered.0 =
                    conn.process_new_packets().map(|st| st.plaintext_bytes_to_read() > 0).unwrap_or(true);
                r
            }
        }
    }

    /// Say goodbye properly on TLS (close_notify), best effort.
    pub fn close(&mut self) {
        if let Transport::Tls(s, conn, _) = self {
            conn.send_close_notify();
            let _ = flush_tls(s, conn);
        }
    }
}

fn tls_read(s: &TcpStream, conn: &mut ServerConnection, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match conn.reader().read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        if conn.read_tls(&mut SockIo(s))? == 0 {
            return Ok(0);
        }
        if let Err(e) = conn.process_new_packets() {
            // Tell the client why (the alert), then give up on the connection.
            let _ = flush_tls(s, conn);
            return Err(io::Error::new(io::ErrorKind::InvalidData, nut_tls::explain(&e, None)));
        }
    }
}

/// Write TLS records until none are left or the socket would block.
fn flush_tls(s: &TcpStream, conn: &mut ServerConnection) -> io::Result<()> {
    while conn.wants_write() {
        match conn.write_tls(&mut SockIo(s)) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Switch `tcp` to TLS after `OK STARTTLS` was sent: feed bytes the client already sent
/// (`early`), run the handshake within `timeout`, and log the result.
pub async fn accept(
    tcp: TcpStream,
    config: Arc<ServerConfig>,
    early: &[u8],
    peer: IpAddr,
    timeout: Duration,
) -> Result<Transport, String> {
    let mut conn = ServerConnection::new(config).map_err(|e| format!("cannot start TLS with {peer}: {e}"))?;
    let mut rest = early;
    while !rest.is_empty() {
        if conn.read_tls(&mut rest).map_err(|e| format!("TLS input from {peer}: {e}"))? == 0 {
            break;
        }
        if let Err(e) = conn.process_new_packets() {
            let _ = flush_tls(&tcp, &mut conn);
            return Err(format!("TLS handshake with {peer} failed: {}", nut_tls::explain(&e, None)));
        }
    }
    match tokio::time::timeout(timeout, handshake(&tcp, &mut conn)).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("TLS handshake with {peer} failed: {e}")),
        Err(_) => return Err(format!("TLS handshake with {peer} failed: no progress within {timeout:?}")),
    }
    let version = conn.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default();
    let suite = conn.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default();
    let client_cert = if conn.peer_certificates().is_some_and(|c| !c.is_empty()) {
        ", client certificate verified"
    } else {
        ""
    };
    tracing::info!("TLS handshake with {peer} succeeded: {version} {suite}{client_cert}");
    let buffered = conn.process_new_packets().map(|st| st.plaintext_bytes_to_read() > 0).unwrap_or(true);
    Ok(Transport::Tls(tcp, Box::new(conn), Buffered(buffered)))
}

async fn handshake(tcp: &TcpStream, conn: &mut ServerConnection) -> Result<(), String> {
    loop {
        while conn.wants_write() {
            match conn.write_tls(&mut SockIo(tcp)) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    tcp.writable().await.map_err(|e| e.to_string())?;
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        if !conn.is_handshaking() {
            return Ok(());
        }
        match conn.read_tls(&mut SockIo(tcp)) {
            Ok(0) => return Err("the client closed the connection during the handshake".into()),
            Ok(_) => {
                if let Err(e) = conn.process_new_packets() {
                    let _ = flush_tls(tcp, conn);
                    return Err(nut_tls::explain(&e, None));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                tcp.readable().await.map_err(|e| e.to_string())?;
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}
