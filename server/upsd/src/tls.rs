//! STARTTLS for upsd: the TLS configuration built from upsd.conf at start (a bad `CERTFILE`
//! stops upsd with the file, the line and what is wrong, as NUT 2.8.6 does), and the
//! [`Transport`] a connection reads and writes through: plain TCP until STARTTLS, then rustls.
//!
//! The plain path costs one enum match per read or write; TLS work only happens on
//! connections that asked for it.

use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use nut_conf::upsd_conf::CertRequest;
use nut_tls::rustls::{ServerConfig, ServerConnection};
use nut_tls::{ClientCertMode, ServerSettings};
use tokio::net::TcpStream;

use crate::config::Config;

/// Build the TLS configuration when `CERTFILE` is set. The `Err` names upsd.conf's line and
/// the certificate file, says what is wrong and how to fix it.
pub fn load(cfg: &Config) -> Result<Option<Arc<ServerConfig>>, String> {
    let u = &cfg.upsd;
    let conf_file = cfg.confpath.join("upsd.conf");
    let Some(certfile) = &u.certfile else {
        if u.certrequest.is_some_and(|r| r != CertRequest::No) {
            tracing::warn!(
                "{}: CERTREQUEST is set but CERTFILE is not: STARTTLS is off and no client certificate is asked for",
                conf_file.display()
            );
        }
        return Ok(None);
    };
    if u.certident.is_some() {
        tracing::info!(
            "CERTIDENT is for NUT's NSS build and is ignored: CERTFILE {certfile} holds the certificate and key"
        );
    }
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
        let line = directive_line(&conf_file, key);
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

/// The line of the last `key` directive in `file` (the one that takes effect), or 0.
fn directive_line(file: &Path, key: &str) -> usize {
    let Ok(text) = std::fs::read_to_string(file) else { return 0 };
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.split_whitespace().next() == Some(key))
        .map(|(i, _)| i + 1)
        .last()
        .unwrap_or(0)
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
    /// The TCP socket.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Transport::Plain(s) | Transport::Tls(s, _, _) => s,
        }
    }

    /// Whether TLS is on.
    pub fn is_tls(&self) -> bool {
        matches!(self, Transport::Tls(..))
    }

    /// Wait until [`Transport::try_read`] may make progress.
    pub async fn readable(&self) -> io::Result<()> {
        match self {
            Transport::Plain(s) => s.readable().await,
            Transport::Tls(_, _, Buffered(true)) => Ok(()),
            Transport::Tls(s, _, _) => s.readable().await,
        }
    }

    /// Wait until the socket takes more output.
    pub async fn writable(&self) -> io::Result<()> {
        self.tcp().writable().await
    }

    /// Read decrypted (or plain) bytes without waiting; `Ok(0)` is the end of the stream.
    pub fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
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

    /// Write without waiting; returns how much of `data` was taken.
    pub fn try_write(&mut self, data: &[u8]) -> io::Result<usize> {
        match self {
            Transport::Plain(s) => s.try_write(data),
            Transport::Tls(s, conn, _) => {
                let n = conn.writer().write(data)?;
                flush_tls(s, conn)?;
                if n == 0 && !data.is_empty() {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                Ok(n)
            }
        }
    }

    /// Whether encrypted output is still waiting for the socket.
    pub fn wants_write(&self) -> bool {
        match self {
            Transport::Plain(_) => false,
            Transport::Tls(_, conn, _) => conn.wants_write(),
        }
    }

    /// Push pending encrypted output to the socket without waiting.
    pub fn flush(&mut self) -> io::Result<()> {
        match self {
            Transport::Plain(_) => Ok(()),
            Transport::Tls(s, conn, _) => flush_tls(s, conn),
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
