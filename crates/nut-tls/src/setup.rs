//! Making a private CA and upsd's certificate in one step (`nut-tls-setup`), so that users get a
//! working, verified TLS setup without learning openssl or certutil.
//!
//! Keys are ECDSA P-256: every TLS stack NUT is built with (OpenSSL, NSS) and rustls accept them.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};

use crate::TlsError;

/// Everything made by [`make_ca_and_server`], as PEM text.
#[derive(Debug, Clone)]
pub struct Made {
    /// The CA certificate (public: copy it to the clients).
    pub ca_cert_pem: String,
    /// The CA private key.
    pub ca_key_pem: String,
    /// upsd's certificate, signed by the CA.
    pub server_cert_pem: String,
    /// upsd's private key.
    pub server_key_pem: String,
    /// Client certificates (name, certificate PEM, key PEM) for `CERTREQUEST`.
    pub clients: Vec<(String, String, String)>,
}

fn gen_err(e: rcgen::Error) -> TlsError {
    TlsError::Generate(e.to_string())
}

/// The civil date (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i32, u8, u8) {
    // Howard Hinnant's algorithm, valid for the whole proleptic Gregorian calendar.
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

fn validity(params: &mut CertificateParams, days: u32) {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64 / 86_400).unwrap_or(0);
    // One day of slack before now, for clocks that are a little behind.
    let (y, m, d) = civil_from_days(now - 1);
    params.not_before = rcgen::date_time_ymd(y, m, d);
    let (y, m, d) = civil_from_days(now + i64::from(days));
    params.not_after = rcgen::date_time_ymd(y, m, d);
}

/// Make a CA and a server certificate valid for `hosts` (DNS names or IP addresses) for
/// `days` days.
pub fn make_ca_and_server(hosts: &[String], days: u32) -> Result<Made, TlsError> {
    make_all(hosts, &[], days)
}

/// [`make_ca_and_server`] plus one client certificate per name in `clients`.
pub fn make_all(hosts: &[String], clients: &[String], days: u32) -> Result<Made, TlsError> {
    if hosts.is_empty() {
        return Err(TlsError::Settings("at least one --host is needed".into()));
    }
    let ca_key = KeyPair::generate().map_err(gen_err)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(gen_err)?;
    // A per-CA tag in the name: two CAs made by this tool (on two machines) never share a
    // subject, so a wrong CA is reported as "unknown issuer", not as a bad signature.
    let tag: String = ca_key.public_key_raw().iter().rev().take(4).map(|b| format!("{b:02x}")).collect();
    ca.distinguished_name.push(DnType::CommonName, format!("NUT CA {} {tag}", hosts[0]));
    ca.distinguished_name.push(DnType::OrganizationName, "Network UPS Tools");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages =
        vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    validity(&mut ca, days);
    let ca_cert = ca.self_signed(&ca_key).map_err(gen_err)?;

    let key = KeyPair::generate().map_err(gen_err)?;
    let mut sp = CertificateParams::new(hosts.to_vec()).map_err(gen_err)?;
    sp.distinguished_name.push(DnType::CommonName, hosts[0].clone());
    sp.distinguished_name.push(DnType::OrganizationName, "Network UPS Tools");
    sp.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    validity(&mut sp, days);
    let server = sp.signed_by(&key, &ca_cert, &ca_key).map_err(gen_err)?;

    let mut out_clients = Vec::new();
    for name in clients {
        let ck = KeyPair::generate().map_err(gen_err)?;
        let mut cp = CertificateParams::new(Vec::<String>::new()).map_err(gen_err)?;
        cp.distinguished_name.push(DnType::CommonName, name.clone());
        cp.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        validity(&mut cp, days);
        let c = cp.signed_by(&ck, &ca_cert, &ca_key).map_err(gen_err)?;
        out_clients.push((name.clone(), c.pem(), ck.serialize_pem()));
    }

    Ok(Made {
        ca_cert_pem: ca_cert.pem(),
        ca_key_pem: ca_key.serialize_pem(),
        server_cert_pem: server.pem(),
        server_key_pem: key.serialize_pem(),
        clients: out_clients,
    })
}

/// One file written by [`write_files`].
#[derive(Debug, Clone)]
pub struct Written {
    /// Where.
    pub path: PathBuf,
    /// Mode bits set.
    pub mode: u32,
    /// What it is, for the summary.
    pub what: String,
}

/// The result of [`write_files`].
#[derive(Debug, Clone)]
pub struct Setup {
    /// Files written, in order.
    pub files: Vec<Written>,
    /// The CA file (for CERTPATH).
    pub ca: PathBuf,
    /// upsd's CERTFILE.
    pub certfile: PathBuf,
    /// Notes (e.g. a group that could not be set).
    pub notes: Vec<String>,
}

/// Write `made` into `dir`: `ca.pem` (0644), `ca.key` (0600), `upsd.pem` (certificate + key,
/// 0640, group `group` when given and it exists) and `client-<name>.pem` (0600). Existing
/// files are only replaced with `force`.
pub fn write_files(dir: &Path, made: &Made, group: Option<&str>, force: bool) -> Result<Setup, TlsError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| TlsError::Read { path: dir.display().to_string(), source })?;
    let mut plan: Vec<(PathBuf, String, u32, String, bool)> = vec![
        (dir.join("ca.pem"), made.ca_cert_pem.clone(), 0o644, "CA certificate (public)".into(), false),
        (
            dir.join("ca.key"),
            made.ca_key_pem.clone(),
            0o600,
            "CA private key (keep it secret; needed only to sign more certificates)".into(),
            false,
        ),
        (
            dir.join("upsd.pem"),
            format!("{}{}", made.server_cert_pem, made.server_key_pem),
            0o640,
            "upsd's certificate and private key (CERTFILE)".into(),
            true,
        ),
    ];
    for (name, cert, key) in &made.clients {
        plan.push((
            dir.join(format!("client-{name}.pem")),
            format!("{cert}{key}"),
            0o640,
            format!("client certificate and key for {name} (upsmon.conf CERTFILE)"),
            true,
        ));
    }
    if !force {
        let existing: Vec<String> =
            plan.iter().filter(|p| p.0.exists()).map(|p| p.0.display().to_string()).collect();
        if !existing.is_empty() {
            return Err(TlsError::Settings(format!(
                "{} already exist(s); not overwriting (use --force to replace them, or --dir for another place)",
                existing.join(", ")
            )));
        }
    }
    let gid = group.and_then(group_id);
    let mut notes = Vec::new();
    if let (Some(g), None) = (group, gid) {
        notes.push(format!(
            "group {g:?} does not exist: upsd.pem stays owned by the current user; make it readable by the \
             user upsd runs as (chown root:<group> upsd.pem)"
        ));
    }
    let mut files = Vec::new();
    for (path, text, mode, what, secret_for_group) in plan {
        let _ = std::fs::remove_file(&path);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&path)
            .map_err(|source| TlsError::Read { path: path.display().to_string(), source })?;
        f.write_all(text.as_bytes())
            .map_err(|source| TlsError::Read { path: path.display().to_string(), source })?;
        // The umask may have removed bits; set the mode explicitly.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(|source| TlsError::Read { path: path.display().to_string(), source })?;
        if secret_for_group {
            if let Some(gid) = gid {
                if let Err(e) = chown_group(&path, gid) {
                    notes.push(format!(
                        "cannot give {} to group {:?}: {e}",
                        path.display(),
                        group.unwrap_or("")
                    ));
                }
            }
        }
        files.push(Written { path, mode, what });
    }
    Ok(Setup { files, ca: dir.join("ca.pem"), certfile: dir.join("upsd.pem"), notes })
}

fn group_id(name: &str) -> Option<u32> {
    let c = std::ffi::CString::new(name).ok()?;
    // SAFETY: getgrnam returns NULL or a pointer to static storage, read immediately.
    unsafe {
        let g = libc::getgrnam(c.as_ptr());
        if g.is_null() {
            None
        } else {
            Some((*g).gr_gid)
        }
    }
}

fn chown_group(path: &Path, gid: u32) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidInput, "path with NUL"))?;
    // SAFETY: chown with a valid NUL-terminated path; uid -1 keeps the owner.
    let rc = unsafe { libc::chown(c.as_ptr(), u32::MAX, gid) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn writes_files_with_modes_and_refuses_to_overwrite() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().expect("tempdir");
        let made = make_all(&["localhost".into(), "127.0.0.1".into()], &["mon".into()], 30).expect("make");
        let s = write_files(d.path(), &made, None, false).expect("write");
        let mode = |n: &str| std::fs::metadata(d.path().join(n)).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode("upsd.pem"), 0o640);
        assert_eq!(mode("ca.key"), 0o600);
        assert_eq!(mode("ca.pem"), 0o644);
        assert_eq!(mode("client-mon.pem"), 0o640);
        crate::load_cert_and_key(&s.certfile).expect("upsd.pem loads");
        crate::load_roots(&s.ca).expect("ca.pem loads");
        let e = write_files(d.path(), &made, None, false).unwrap_err().to_string();
        assert!(e.contains("--force"), "{e}");
        write_files(d.path(), &made, None, true).expect("forced");
    }
}
