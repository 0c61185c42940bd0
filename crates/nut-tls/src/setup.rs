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
    let mut plan: Vec<Planned> = vec![
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
    let (files, notes) = write_plan(dir, plan, group, force)?;
    Ok(Setup { files, ca: dir.join("ca.pem"), certfile: dir.join("upsd.pem"), notes })
}

/// One file to write: path, contents, mode, what it is, whether `group` may read it.
type Planned = (PathBuf, String, u32, String, bool);

/// Write `plan` (refusing to replace existing files without `force`), setting each mode
/// explicitly and the group of the files meant for the daemon's group.
fn write_plan(
    dir: &Path,
    plan: Vec<Planned>,
    group: Option<&str>,
    force: bool,
) -> Result<(Vec<Written>, Vec<String>), TlsError> {
    std::fs::create_dir_all(dir)
        .map_err(|source| TlsError::Read { path: dir.display().to_string(), source })?;
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
    Ok((files, notes))
}

// ----- NSS databases (Debian's NUT is built with NSS) -------------------------------------

/// Whether `path` is an NSS certificate database (the directory NUT's NSS builds take as
/// `CERTPATH`): `cert9.db`/`key4.db` (SQL format) or the older `cert8.db`/`key3.db`.
pub fn is_nss_db(path: &Path) -> bool {
    path.is_dir() && ["cert9.db", "key4.db", "cert8.db", "key3.db"].iter().any(|f| path.join(f).is_file())
}

/// One certificate in an NSS database, as `certutil -L` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NssCert {
    /// Its nickname (`CERTIDENT`'s first argument names the server's).
    pub nickname: String,
    /// Its trust attributes (`CT,C,C`, `u,u,u`, ...).
    pub trust: String,
}

impl NssCert {
    /// The database holds its private key (trust flag `u`).
    pub fn has_key(&self) -> bool {
        self.trust.contains('u')
    }

    /// Trusted as a CA for TLS (`C`, `T` or `c` in the SSL field).
    pub fn is_ca(&self) -> bool {
        self.trust.split(',').next().is_some_and(|ssl| ssl.contains(['C', 'T', 'c']))
    }
}

/// Parse `certutil -L -d <db>` output.
pub fn parse_certutil_list(text: &str) -> Vec<NssCert> {
    let mut out = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with("Certificate Nickname") {
            in_table = true;
            continue;
        }
        let t = line.trim();
        if !in_table || t.is_empty() || t == "SSL,S/MIME,JAR/XPI" {
            continue;
        }
        let trimmed = line.trim_end();
        let Some(i) = trimmed.rfind(char::is_whitespace) else { continue };
        let trust = trimmed[i + 1..].to_string();
        if trust.matches(',').count() != 2 {
            continue;
        }
        out.push(NssCert { nickname: trimmed[..i].trim().to_string(), trust });
    }
    out
}

/// The PEM blocks of kind `label` (`CERTIFICATE`, `PRIVATE KEY`, ...) in `text`, each with
/// its BEGIN and END lines, dropping what tools print around them.
pub fn pem_blocks(text: &str, label: &str) -> Vec<String> {
    let (begin, end) = (format!("-----BEGIN {label}-----"), format!("-----END {label}-----"));
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(b) = rest.find(&begin) {
        let Some(e) = rest[b..].find(&end) else { break };
        out.push(format!("{}\n", &rest[b..b + e + end.len()]));
        rest = &rest[b + e + end.len()..];
    }
    out
}

/// What [`export_nss`] took out of a database, as PEM text.
#[derive(Debug, Clone)]
pub struct NssExport {
    /// The database's directory.
    pub db: PathBuf,
    /// The server certificate's nickname; `None` for a client's database (upsmon, upsc),
    /// which holds only the CAs it trusts.
    pub nickname: Option<String>,
    /// The server certificate, the chain the database holds for it, then its private key:
    /// a `CERTFILE` (empty for a client's database).
    pub certfile_pem: String,
    /// The certificates the database trusts as CAs (for `CERTPATH` in upsd and the clients);
    /// empty when it trusts none.
    pub ca_pem: String,
    /// Their nicknames.
    pub ca_nicknames: Vec<String>,
}

/// A private directory (mode 0700) removed with its contents when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, TlsError> {
        use std::os::unix::fs::DirBuilderExt;
        let base = std::env::temp_dir();
        for i in 0..100u32 {
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
            let p = base.join(format!("nut-tls-setup.{}.{nanos}.{i}", std::process::id()));
            match std::fs::DirBuilder::new().mode(0o700).create(&p) {
                Ok(()) => return Ok(TempDir(p)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(source) => return Err(TlsError::Read { path: p.display().to_string(), source }),
            }
        }
        Err(TlsError::Nss(format!("cannot make a private directory in {}", base.display())))
    }

    /// Write a secret file (0600) in the directory.
    fn secret(&self, name: &str, text: &str) -> Result<PathBuf, TlsError> {
        let p = self.0.join(name);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&p)
            .map_err(|source| TlsError::Read { path: p.display().to_string(), source })?;
        f.write_all(text.as_bytes())
            .map_err(|source| TlsError::Read { path: p.display().to_string(), source })?;
        Ok(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Run a tool, returning its standard output; the error says which package provides it.
fn run_tool(program: &str, args: &[&std::ffi::OsStr]) -> Result<String, TlsError> {
    let package = if program == "openssl" { "openssl" } else { "libnss3-tools" };
    let out = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            TlsError::Nss(format!("cannot run {program}: {e} (install it with: apt-get install {package})"))
        })?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let mut msg = format!("{program} failed: {}", err.trim());
        if err.contains("SEC_ERROR_BAD_PASSWORD") {
            msg.push_str(
                " (the database password is wrong: give the one from CERTIDENT with --password-file FILE, or \
                 let nut-tls-setup read CERTIDENT from upsd.conf)",
            );
        }
        return Err(TlsError::Nss(msg));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Take the server certificate `nickname` (else the only certificate with a private key that
/// is not a CA) with its key and chain, and every trusted CA, out of the NSS database `db`.
/// A database with no private key at all and no `nickname` asked for is a client's (upsmon,
/// upsc: only the CAs they trust): then only the CAs are taken. Tools used:
/// with `certutil` and `pk12util` (package libnss3-tools) and `openssl` (for the private key:
/// NSS tools only export it in PKCS#12). `password` is the database's (CERTIDENT's second
/// argument); `None` for a database without one.
pub fn export_nss(db: &Path, nickname: Option<&str>, password: Option<&str>) -> Result<NssExport, TlsError> {
    if !is_nss_db(db) {
        return Err(TlsError::Nss(format!(
            "{} is not an NSS certificate database (no cert9.db or cert8.db in it)",
            db.display()
        )));
    }
    let prefix = if db.join("cert9.db").is_file() { "sql:" } else { "dbm:" };
    let dbarg = std::ffi::OsString::from(format!("{prefix}{}", db.display()));
    let os = |s: &str| std::ffi::OsString::from(s);
    let list = parse_certutil_list(&run_tool("certutil", &[&os("-L"), &os("-d"), &dbarg])?);
    let nickname = match nickname {
        Some(n) => {
            if !list.iter().any(|c| c.nickname == n) {
                return Err(TlsError::Nss(format!(
                    "no certificate named {n:?} in {} (it holds: {})",
                    db.display(),
                    list.iter().map(|c| format!("{:?}", c.nickname)).collect::<Vec<_>>().join(", ")
                )));
            }
            n.to_string()
        }
        None => {
            let servers: Vec<&NssCert> = list.iter().filter(|c| c.has_key() && !c.is_ca()).collect();
            match servers.as_slice() {
                [one] => one.nickname.clone(),
                [] if !list.iter().any(NssCert::has_key) && list.iter().any(NssCert::is_ca) => {
                    let (ca_pem, ca_nicknames) = export_cas(&dbarg, &list)?;
                    return Ok(NssExport {
                        db: db.to_path_buf(),
                        nickname: None,
                        certfile_pem: String::new(),
                        ca_pem,
                        ca_nicknames,
                    });
                }
                [] => {
                    return Err(TlsError::Nss(format!(
                        "no server certificate with its private key in {} (trust flag u); name it with --nickname",
                        db.display()
                    )))
                }
                many => {
                    return Err(TlsError::Nss(format!(
                        "{} holds several certificates with a private key ({}): name upsd's with --nickname \
                         (CERTIDENT's first argument)",
                        db.display(),
                        many.iter().map(|c| format!("{:?}", c.nickname)).collect::<Vec<_>>().join(", ")
                    )))
                }
            }
        }
    };
    let tmp = TempDir::new()?;
    let pwfile = tmp.secret("db.pw", &format!("{}\n", password.unwrap_or("")))?;
    let p12pass =
        format!("{:x}{:x}", std::process::id(), UNIX_EPOCH.elapsed().map(|d| d.as_nanos()).unwrap_or(7));
    let p12passfile = tmp.secret("p12.pw", &format!("{p12pass}\n"))?;
    let p12 = tmp.0.join("server.p12");
    run_tool(
        "pk12util",
        &[
            &os("-o"),
            p12.as_os_str(),
            &os("-n"),
            &os(&nickname),
            &os("-d"),
            &dbarg,
            &os("-k"),
            pwfile.as_os_str(),
            &os("-w"),
            p12passfile.as_os_str(),
        ],
    )?;
    let passin = os(&format!("file:{}", p12passfile.display()));
    let openssl = |extra: &[&str]| -> Result<String, TlsError> {
        let mut args: Vec<std::ffi::OsString> = vec![os("pkcs12"), os("-in"), p12.clone().into_os_string()];
        args.push(os("-passin"));
        args.push(passin.clone());
        args.extend(extra.iter().map(|a| os(a)));
        let refs: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        run_tool("openssl", &refs)
    };
    let leaf = pem_blocks(&openssl(&["-nokeys", "-clcerts"])?, "CERTIFICATE");
    let chain = pem_blocks(&openssl(&["-nokeys", "-cacerts"])?, "CERTIFICATE");
    let key = pem_blocks(&openssl(&["-nocerts", "-nodes"])?, "PRIVATE KEY");
    let (Some(leaf), Some(key)) = (leaf.first(), key.first()) else {
        return Err(TlsError::Nss(format!(
            "the export of {nickname:?} from {} holds no certificate or no private key",
            db.display()
        )));
    };
    let mut certfile_pem = leaf.clone();
    for c in &chain {
        certfile_pem.push_str(c);
    }
    certfile_pem.push_str(key);
    crate::parse_cert_and_key(certfile_pem.as_bytes())
        .map_err(|e| TlsError::Nss(format!("the converted certificate and key do not work: {e}")))?;

    let (ca_pem, ca_nicknames) = export_cas(&dbarg, &list)?;
    Ok(NssExport { db: db.to_path_buf(), nickname: Some(nickname), certfile_pem, ca_pem, ca_nicknames })
}

/// The PEM text of every certificate of `list` trusted as a CA, and their nicknames.
fn export_cas(dbarg: &std::ffi::OsStr, list: &[NssCert]) -> Result<(String, Vec<String>), TlsError> {
    let os = |s: &str| std::ffi::OsString::from(s);
    let mut ca_pem = String::new();
    let mut ca_nicknames = Vec::new();
    for c in list.iter().filter(|c| c.is_ca()) {
        let pem =
            run_tool("certutil", &[&os("-L"), &os("-d"), dbarg, &os("-n"), &os(&c.nickname), &os("-a")])?;
        for b in pem_blocks(&pem, "CERTIFICATE") {
            ca_pem.push_str(&b);
        }
        ca_nicknames.push(c.nickname.clone());
    }
    Ok((ca_pem, ca_nicknames))
}

/// Write an [`NssExport`] into `dir`: `upsd.pem` (0640, group `group`; not for a client's
/// database) and, when the database trusts CAs, `ca.pem` (0644).
pub fn write_nss_files(
    dir: &Path,
    export: &NssExport,
    group: Option<&str>,
    force: bool,
) -> Result<Setup, TlsError> {
    let mut plan: Vec<Planned> = Vec::new();
    if let Some(nickname) = &export.nickname {
        plan.push((
            dir.join("upsd.pem"),
            export.certfile_pem.clone(),
            0o640,
            format!("upsd's certificate {nickname:?} with its chain and private key (CERTFILE)"),
            true,
        ));
    }
    if !export.ca_pem.is_empty() {
        plan.push((
            dir.join("ca.pem"),
            export.ca_pem.clone(),
            0o644,
            format!("the CA certificates the database trusts: {}", export.ca_nicknames.join(", ")),
            false,
        ));
    }
    let (files, notes) = write_plan(dir, plan, group, force)?;
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
    fn certutil_listing() {
        let text = "\nCertificate Nickname                                         Trust Attributes\n\
                    \x20                                                            SSL,S/MIME,JAR/XPI\n\n\
                    My CA                                                        CTu,Cu,Cu\n\
                    upsd server                                                  u,u,u\n\
                    Other CA                                                     CT,C,C\n";
        let l = parse_certutil_list(text);
        assert_eq!(
            l,
            vec![
                NssCert { nickname: "My CA".into(), trust: "CTu,Cu,Cu".into() },
                NssCert { nickname: "upsd server".into(), trust: "u,u,u".into() },
                NssCert { nickname: "Other CA".into(), trust: "CT,C,C".into() },
            ]
        );
        assert!(l[0].is_ca() && l[0].has_key());
        assert!(!l[1].is_ca() && l[1].has_key());
        assert!(l[2].is_ca() && !l[2].has_key());
    }

    #[test]
    fn pem_blocks_drop_what_tools_print_around_them() {
        let t = "Bag Attributes\n    friendlyName: x\nsubject=CN = a\n-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n\
                 junk\n-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n";
        assert_eq!(
            pem_blocks(t, "CERTIFICATE"),
            vec![
                "-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n".to_string(),
                "-----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n".to_string()
            ]
        );
        assert!(pem_blocks(t, "PRIVATE KEY").is_empty());
    }

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
