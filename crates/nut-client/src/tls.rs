//! TLS options in upsmon.conf's terms (`CERTPATH`, `CERTVERIFY`, `FORCESSL`, `CERTHOST`,
//! `CERTFILE`), and their environment-variable form for upsc, upscmd, upsrw and upslog.
//!
//! NUT 2.8.0's upsc/upscmd/upsrw/upslog never use TLS; ours don't either unless one of the
//! `NUT_*` variables of [`TlsOptions::from_env`] is set, so their default behaviour is NUT's.

use std::path::PathBuf;

/// `CERTHOST <host> <certname> <certverify> <forcessl>`: settings for one upsd host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertHost {
    /// The host as written in `MONITOR ups@host` (compared case-insensitively).
    pub host: String,
    /// The name upsd's certificate must carry (checked against its subjectAltName).
    pub cert_name: String,
    /// Verify the certificate (a configured CA is always used anyway; see [`TlsOptions`]).
    pub verify: bool,
    /// Refuse to talk to this host without TLS.
    pub forcessl: bool,
}

/// How a client uses STARTTLS.
///
/// The server's certificate is verified whenever a CA is configured (`certpath`) or
/// `certverify` is set (which then needs `certpath`), unless `danger_skip_verify`. Without a
/// CA and without `certverify` the connection is encrypted but the server is not
/// authenticated, which is NUT's `CERTVERIFY 0`.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// `CERTPATH`: CA certificates, a PEM file or a directory of PEM files.
    pub certpath: Option<PathBuf>,
    /// `CERTFILE`: this client's certificate and key in one PEM file, for upsd's CERTREQUEST.
    pub certfile: Option<PathBuf>,
    /// `CERTVERIFY 1`.
    pub certverify: bool,
    /// `FORCESSL 1`: fail when upsd does not do TLS instead of continuing in plain text.
    pub forcessl: bool,
    /// `CERTHOST` lines.
    pub certhosts: Vec<CertHost>,
    /// Accept any certificate even though a CA is configured (debugging only).
    pub danger_skip_verify: bool,
}

/// The settings that apply to one host.
#[derive(Debug, Clone)]
pub struct HostTls {
    /// For building the rustls configuration.
    pub settings: nut_tls::ClientSettings,
    /// The name the certificate is checked against.
    pub name: String,
    /// Refuse plain text.
    pub forcessl: bool,
}

impl TlsOptions {
    /// The settings for `host`: its `CERTHOST` line if there is one, else the global ones.
    pub fn for_host(&self, host: &str) -> HostTls {
        let ch = self
            .certhosts
            .iter()
            .find(|c| c.host.eq_ignore_ascii_case(host))
            .or_else(|| self.certhosts.iter().find(|c| c.host == "*"));
        let (verify, forcessl, name) = match ch {
            Some(c) => (c.verify, c.forcessl, c.cert_name.clone()),
            None => (self.certverify, self.forcessl, host.to_string()),
        };
        HostTls {
            settings: nut_tls::ClientSettings {
                certpath: self.certpath.clone(),
                verify,
                certfile: self.certfile.clone(),
                danger_skip_verify: self.danger_skip_verify,
            },
            name,
            forcessl,
        }
    }

    /// TLS options from the environment, or `None` when none is set (then clients connect in
    /// plain text without trying STARTTLS, as NUT 2.8.0's upsc/upscmd/upsrw/upslog do):
    ///
    /// - `NUT_CERTPATH`: CA file or directory; STARTTLS is tried and the certificate verified.
    /// - `NUT_CERTVERIFY=1`, `NUT_FORCESSL=1`: as in upsmon.conf.
    /// - `NUT_CERTFILE`: client certificate and key (PEM).
    /// - `NUT_CERTHOST`: the name upsd's certificate must carry (default: the host given).
    /// - `NUT_STARTTLS=1`: try STARTTLS even without a CA (encrypted, not authenticated).
    /// - `NUT_TLS_DANGER_SKIP_VERIFY=1`: do not verify even with a CA (debugging only).
    pub fn from_env() -> Option<TlsOptions> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// [`TlsOptions::from_env`] with a custom lookup (for tests).
    pub fn from_lookup(env: impl Fn(&str) -> Option<String>) -> Option<TlsOptions> {
        let get = |k: &str| env(k).filter(|v| !v.is_empty());
        let flag = |k: &str| get(k).is_some_and(|v| !matches!(v.as_str(), "0" | "no" | "false" | "off"));
        let certpath = get("NUT_CERTPATH").map(PathBuf::from);
        let certfile = get("NUT_CERTFILE").map(PathBuf::from);
        let certverify = flag("NUT_CERTVERIFY");
        let forcessl = flag("NUT_FORCESSL");
        let starttls = flag("NUT_STARTTLS");
        let danger = flag("NUT_TLS_DANGER_SKIP_VERIFY");
        let certhost = get("NUT_CERTHOST");
        if certpath.is_none()
            && certfile.is_none()
            && !certverify
            && !forcessl
            && !starttls
            && certhost.is_none()
        {
            return None;
        }
        let mut o = TlsOptions {
            certpath,
            certfile,
            certverify,
            forcessl,
            certhosts: Vec::new(),
            danger_skip_verify: danger,
        };
        if let Some(name) = certhost {
            // Applies to whatever host is contacted: stored as a wildcard resolved in
            // `Client::connect_env`.
            o.certhosts.push(CertHost { host: "*".into(), cert_name: name, verify: certverify, forcessl });
        }
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_off_by_default_and_certhost_overrides() {
        assert!(TlsOptions::from_lookup(|_| None).is_none());
        let o =
            TlsOptions::from_lookup(|k| (k == "NUT_CERTPATH").then(|| "/ca.pem".to_string())).expect("on");
        let h = o.for_host("ups.example");
        assert!(h.settings.verifies());
        assert_eq!(h.name, "ups.example");
        assert!(!h.forcessl);
        let o = TlsOptions {
            forcessl: false,
            certhosts: vec![CertHost {
                host: "UPS.example".into(),
                cert_name: "upsd.internal".into(),
                verify: true,
                forcessl: true,
            }],
            ..Default::default()
        };
        let h = o.for_host("ups.example");
        assert_eq!(h.name, "upsd.internal");
        assert!(h.forcessl && h.settings.verify);
        assert!(!o.for_host("other").forcessl);
    }
}
