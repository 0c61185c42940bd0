//! TLS for NUT's `STARTTLS`, with rustls and the `ring` provider.
//!
//! - [`load_cert_and_key`] reads a `CERTFILE` the way NUT's OpenSSL build expects it: one PEM
//!   file with the certificate chain and the private key, checked to belong together.
//! - [`load_roots`] reads a `CERTPATH`: one PEM file of CA certificates, or a directory of them.
//! - [`server_config`] builds upsd's configuration (`CERTFILE`, `CERTPATH`, `CERTREQUEST`,
//!   `DISABLE_WEAK_SSL`); [`client_config`] the clients' (`CERTPATH`, `CERTVERIFY`, client
//!   `CERTFILE`, and the explicitly named [`ClientSettings::danger_skip_verify`]).
//! - [`explain`] turns a rustls error into a sentence that says what to fix.
//! - [`setup`] makes a CA and a server certificate for `nut-tls-setup`.
//!
//! Every error names the file and says what is wrong with it and how to fix it.

pub mod setup;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use thiserror::Error;

pub use rustls;

/// What went wrong while preparing TLS.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read.
    #[error(
        "{path}: cannot read it: {source} (check that it exists and that the daemon's user can read it)"
    )]
    Read {
        /// The file.
        path: String,
        /// The system error.
        source: std::io::Error,
    },
    /// A file was read but its contents can't be used.
    #[error("{path}: {problem}")]
    BadFile {
        /// The file.
        path: String,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// The settings contradict each other or miss something.
    #[error("{0}")]
    Settings(String),
    /// A server or client name that can't be used for certificate checks.
    #[error("{name:?} is not a valid host name or IP address for a certificate check")]
    BadName {
        /// The name as given.
        name: String,
    },
    /// Making a certificate failed (nut-tls-setup).
    #[error("cannot make the certificate: {0}")]
    Generate(String),
    /// Converting an NSS database failed (nut-tls-setup --from-nss): what and how to fix it.
    #[error("{0}")]
    Nss(String),
}

/// The crypto provider every configuration uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_file(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read { path: path.display().to_string(), source })
}

fn bad(path: &Path, problem: impl Into<String>) -> TlsError {
    TlsError::BadFile { path: path.display().to_string(), problem: problem.into() }
}

/// A certificate chain with its private key, ready for rustls.
#[derive(Debug)]
pub struct CertAndKey {
    /// The certificate first, then the intermediates.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key of the first certificate.
    pub key: PrivateKeyDer<'static>,
}

/// Read a PEM file holding a certificate chain and its private key (NUT's `CERTFILE`).
pub fn load_cert_and_key(path: &Path) -> Result<CertAndKey, TlsError> {
    let data = read_file(path)?;
    parse_cert_and_key(&data).map_err(|problem| bad(path, problem))
}

/// [`load_cert_and_key`] on bytes; the `Err` says what is wrong with the contents.
pub fn parse_cert_and_key(data: &[u8]) -> Result<CertAndKey, String> {
    const FIX: &str = "CERTFILE must be one PEM file with the server's certificate (and any intermediates) \
                       followed by its unencrypted private key, e.g. `cat server.crt server.key > upsd.pem`, \
                       or run nut-tls-setup to make one";
    let text = String::from_utf8_lossy(data);
    if !text.contains("-----BEGIN ") {
        return Err(format!("no PEM data in the file ({FIX})"));
    }
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(data)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("a certificate in the file is not valid PEM: {e} ({FIX})"))?;
    if chain.is_empty() {
        return Err(format!("no certificate (-----BEGIN CERTIFICATE-----) in the file ({FIX})"));
    }
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(
            "the private key is encrypted with a pass phrase; upsd cannot ask for it. Decrypt it \
                    with `openssl pkey -in key.pem -out key-plain.pem` and put that in the file (mode 0640)"
                .to_string(),
        );
    }
    let key = match PrivateKeyDer::from_pem_slice(data) {
        Ok(k) => k,
        Err(rustls::pki_types::pem::Error::NoItemsFound) => {
            return Err(format!("no private key (-----BEGIN PRIVATE KEY-----) in the file ({FIX})"));
        }
        Err(e) => return Err(format!("the private key is not valid PEM: {e} ({FIX})")),
    };
    let ck = CertifiedKey::from_der(chain.clone(), key.clone_key(), &provider()).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => format!(
            "the private key does not belong to the first certificate in the file (put the server's own \
             certificate first and its matching key in the same file; {FIX})"
        ),
        other => format!("the certificate or key cannot be used: {other} ({FIX})"),
    })?;
    drop(ck);
    Ok(CertAndKey { chain, key })
}

/// Read CA certificates from `path`: a PEM file, or a directory whose files hold PEM
/// certificates (OpenSSL's `CApath` layout works, as does a folder of `.pem`/`.crt` files).
pub fn load_roots(path: &Path) -> Result<RootCertStore, TlsError> {
    let meta = std::fs::metadata(path)
        .map_err(|source| TlsError::Read { path: path.display().to_string(), source })?;
    let mut files: Vec<PathBuf> = Vec::new();
    if meta.is_dir() {
        let rd = std::fs::read_dir(path)
            .map_err(|source| TlsError::Read { path: path.display().to_string(), source })?;
        for e in rd.flatten() {
            let p = e.path();
            if p.is_file() {
                files.push(p);
            }
        }
        files.sort();
    } else {
        files.push(path.to_path_buf());
    }
    let mut store = RootCertStore::empty();
    let mut problems = Vec::new();
    for f in &files {
        let data = match std::fs::read(f) {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("{}: {e}", f.display()));
                continue;
            }
        };
        for c in CertificateDer::pem_slice_iter(&data) {
            match c {
                Ok(c) => {
                    if let Err(e) = store.add(c) {
                        problems.push(format!("{}: a certificate was refused: {e}", f.display()));
                    }
                }
                Err(e) => problems.push(format!("{}: not valid PEM: {e}", f.display())),
            }
        }
    }
    if store.is_empty() {
        let nss = meta.is_dir() && (path.join("cert9.db").exists() || path.join("cert8.db").exists());
        let what = if nss {
            "this is an NSS certificate database; this NUT reads PEM CA certificates instead. Export the CA \
             with `certutil -L -d <dir> -n <ca name> -a > ca.pem` and point CERTPATH at ca.pem"
                .to_string()
        } else {
            "no CA certificate (-----BEGIN CERTIFICATE-----) found; CERTPATH must be a PEM file of CA \
             certificates or a directory of them (nut-tls-setup writes ca.pem)"
                .to_string()
        };
        let extra = if problems.is_empty() { String::new() } else { format!(" [{}]", problems.join("; ")) };
        return Err(bad(path, format!("{what}{extra}")));
    }
    Ok(store)
}

/// `CERTREQUEST`: whether upsd asks clients for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientCertMode {
    /// 0: never ask.
    #[default]
    No,
    /// 1: ask; a client without one is accepted, a client with one must present a valid one.
    Request,
    /// 2: refuse clients without a certificate signed by a CA in `CERTPATH`.
    Require,
}

/// upsd's TLS settings.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// `CERTFILE`: PEM certificate chain and private key.
    pub certfile: PathBuf,
    /// `CERTPATH`: CAs that sign client certificates (needed for `CERTREQUEST` 1 and 2).
    pub certpath: Option<PathBuf>,
    /// `CERTREQUEST`.
    pub certrequest: ClientCertMode,
    /// `DISABLE_WEAK_SSL`: only TLS 1.2 and 1.3. rustls never offers anything older, so this
    /// changes nothing; it is accepted so NUT configurations keep working.
    pub disable_weak_ssl: bool,
}

/// Build upsd's TLS configuration. Every problem with the files is reported here, at start.
pub fn server_config(s: &ServerSettings) -> Result<Arc<ServerConfig>, TlsError> {
    let ck = load_cert_and_key(&s.certfile)?;
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Settings(format!("TLS versions: {e}")))?;
    let builder = match s.certrequest {
        ClientCertMode::No => builder.with_no_client_auth(),
        mode => {
            let Some(ca) = &s.certpath else {
                return Err(TlsError::Settings(
                    "CERTREQUEST asks clients for certificates, but CERTPATH (the CA that signs them) is not \
                     set: add `CERTPATH /etc/nut/ca.pem` to upsd.conf or set CERTREQUEST 0"
                        .to_string(),
                ));
            };
            let roots = Arc::new(load_roots(ca)?);
            let vb = WebPkiClientVerifier::builder_with_provider(roots, provider());
            let vb = if mode == ClientCertMode::Request { vb.allow_unauthenticated() } else { vb };
            let v = vb.build().map_err(|e| TlsError::Settings(format!("client certificate check: {e}")))?;
            builder.with_client_cert_verifier(v)
        }
    };
    let cfg = builder.with_single_cert(ck.chain, ck.key).map_err(|e| bad(&s.certfile, e.to_string()))?;
    Ok(Arc::new(cfg))
}

/// A client's TLS settings (upsmon.conf's `CERTPATH`, `CERTVERIFY`, `CERTFILE`).
#[derive(Debug, Clone, Default)]
pub struct ClientSettings {
    /// CA certificates (PEM file or directory). When set, the server's certificate is always
    /// verified (unless [`ClientSettings::danger_skip_verify`]).
    pub certpath: Option<PathBuf>,
    /// `CERTVERIFY 1`: verify the server certificate (needs `certpath`).
    pub verify: bool,
    /// Client certificate and key (PEM, as upsd's CERTFILE), for upsd's `CERTREQUEST`.
    pub certfile: Option<PathBuf>,
    /// Accept any server certificate even though a CA is configured. Only for debugging: it
    /// gives encryption without knowing who the peer is.
    pub danger_skip_verify: bool,
}

impl ClientSettings {
    /// Whether the server's certificate is checked with these settings.
    pub fn verifies(&self) -> bool {
        !self.danger_skip_verify && (self.verify || self.certpath.is_some())
    }
}

/// Build a client configuration. Without a CA and without `verify`, the connection is
/// encrypted but the server is not authenticated (NUT's default for `CERTVERIFY 0`).
pub fn client_config(s: &ClientSettings) -> Result<Arc<ClientConfig>, TlsError> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Settings(format!("TLS versions: {e}")))?;
    let builder = if s.verifies() {
        let Some(ca) = &s.certpath else {
            return Err(TlsError::Settings(
                "CERTVERIFY 1 needs CERTPATH: the CA certificate (PEM file or directory) that signed upsd's \
                 certificate (nut-tls-setup prints the line to add)"
                    .to_string(),
            ));
        };
        builder.with_root_certificates(load_roots(ca)?)
    } else {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerification(provider())))
    };
    let cfg = match &s.certfile {
        Some(f) => {
            let ck = load_cert_and_key(f)?;
            builder.with_client_auth_cert(ck.chain, ck.key).map_err(|e| bad(f, e.to_string()))?
        }
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(cfg))
}

/// The name the server certificate is checked against: a DNS name or an IP address literal
/// (brackets around IPv6 are removed).
pub fn server_name(name: &str) -> Result<ServerName<'static>, TlsError> {
    let n = name.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(n.to_string()).map_err(|_| TlsError::BadName { name: name.to_string() })
}

/// Accepts any server certificate (still checking the handshake signatures, so the session
/// keys are bound to the presented key).
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A sentence for a TLS failure: what happened and what to fix. `name` is the name the
/// certificate was checked against (client side), if any.
pub fn explain(e: &rustls::Error, name: Option<&str>) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => "the server's certificate is not signed by a CA in CERTPATH (wrong CA file, \
                                 or a self-signed certificate: point CERTPATH at the CA that signed upsd's \
                                 CERTFILE)"
                .to_string(),
            C::NotValidForName | C::NotValidForNameContext { .. } => format!(
                "the server's certificate is not valid for the name {:?} (use the name the certificate was \
                 made for, set it with CERTHOST, or remake the certificate with nut-tls-setup --host <name>)",
                name.unwrap_or("")
            ),
            C::Expired | C::ExpiredContext { .. } => {
                "the certificate has expired: make a new one (nut-tls-setup)".to_string()
            }
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the certificate is not valid yet: check the clocks of both machines".to_string()
            }
            C::BadSignature => "the certificate's signature does not match the CA in CERTPATH (another CA with \
                                the same name signed it, or it is corrupted): point CERTPATH at the CA that \
                                signed upsd's CERTFILE"
                .to_string(),
            other => format!("the certificate was refused: {other:?}"),
        },
        rustls::Error::AlertReceived(
            a @ (rustls::AlertDescription::UnknownCA
            | rustls::AlertDescription::BadCertificate
            | rustls::AlertDescription::CertificateUnknown),
        ) => format!(
            "the peer does not accept our certificate (alert {a:?}): give it the CA that signed our certificate \
             (for NUT's NSS builds, import ca.pem into the CERTPATH database with certutil), and check the host \
             name it uses"
        ),
        rustls::Error::AlertReceived(a) => {
            format!("the peer refused the TLS handshake (alert {a:?}); check its log for the reason")
        }
        rustls::Error::NoCertificatesPresented => {
            "the client presented no certificate, but CERTREQUEST requires one".to_string()
        }
        rustls::Error::InvalidMessage(m) => {
            format!("the peer does not speak TLS as expected ({m:?}); is it really upsd with STARTTLS?")
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cert_and_key_problems_are_explained() {
        let e = parse_cert_and_key(b"hello").unwrap_err();
        assert!(e.contains("no PEM data"), "{e}");
        let made = setup::make_ca_and_server(&["localhost".into()], 365).expect("generate");
        let e = parse_cert_and_key(made.server_cert_pem.as_bytes()).unwrap_err();
        assert!(e.contains("no private key"), "{e}");
        let e = parse_cert_and_key(made.server_key_pem.as_bytes()).unwrap_err();
        assert!(e.contains("no certificate"), "{e}");
        let other = setup::make_ca_and_server(&["localhost".into()], 365).expect("generate");
        let mixed = format!("{}{}", made.server_cert_pem, other.server_key_pem);
        let e = parse_cert_and_key(mixed.as_bytes()).unwrap_err();
        assert!(e.contains("does not belong"), "{e}");
        let good = format!("{}{}", made.server_cert_pem, made.server_key_pem);
        assert_eq!(parse_cert_and_key(good.as_bytes()).expect("valid").chain.len(), 1);
        let e = parse_cert_and_key(
            format!("{}-----BEGIN ENCRYPTED PRIVATE KEY-----\n", made.server_cert_pem).as_bytes(),
        )
        .unwrap_err();
        assert!(e.contains("encrypted"), "{e}");
    }

    #[test]
    fn roots_from_file_dir_and_nss_db() {
        let d = tempfile::tempdir().expect("tempdir");
        let made = setup::make_ca_and_server(&["localhost".into()], 365).expect("generate");
        std::fs::write(d.path().join("ca.pem"), &made.ca_cert_pem).expect("write");
        assert_eq!(load_roots(&d.path().join("ca.pem")).expect("file").len(), 1);
        assert_eq!(load_roots(d.path()).expect("dir").len(), 1);
        let nss = tempfile::tempdir().expect("tempdir");
        std::fs::write(nss.path().join("cert9.db"), b"SQLite").expect("write");
        let e = load_roots(nss.path()).unwrap_err().to_string();
        assert!(e.contains("NSS certificate database") && e.contains("certutil"), "{e}");
        let e = load_roots(&d.path().join("missing.pem")).unwrap_err().to_string();
        assert!(e.contains("missing.pem: cannot read it"), "{e}");
    }

    #[test]
    fn verification_needs_a_ca() {
        let s = ClientSettings { verify: true, ..Default::default() };
        let e = client_config(&s).unwrap_err().to_string();
        assert!(e.contains("CERTVERIFY 1 needs CERTPATH"), "{e}");
        assert!(client_config(&ClientSettings::default()).is_ok());
        let s = ClientSettings { certpath: Some("/x".into()), ..Default::default() };
        assert!(s.verifies());
        let s =
            ClientSettings { certpath: Some("/x".into()), danger_skip_verify: true, ..Default::default() };
        assert!(!s.verifies());
    }

    #[test]
    fn certrequest_needs_certpath() {
        let d = tempfile::tempdir().expect("tempdir");
        let made = setup::make_ca_and_server(&["localhost".into()], 365).expect("generate");
        let f = d.path().join("upsd.pem");
        std::fs::write(&f, format!("{}{}", made.server_cert_pem, made.server_key_pem)).expect("write");
        let s = ServerSettings {
            certfile: f,
            certpath: None,
            certrequest: ClientCertMode::Require,
            disable_weak_ssl: true,
        };
        let e = server_config(&s).unwrap_err().to_string();
        assert!(e.contains("CERTPATH"), "{e}");
        let s = ServerSettings { certrequest: ClientCertMode::No, ..s };
        assert!(server_config(&s).is_ok());
    }
}
