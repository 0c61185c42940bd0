//! `nut-tls-setup`: make a private CA and upsd's certificate and key with the right
//! permissions, then print the exact lines to add to upsd.conf and upsmon.conf; or, with
//! `--from-nss`, convert the NSS database of a NUT NSS build (Debian's: `CERTPATH` +
//! `CERTIDENT` in upsd.conf) into the PEM files this upsd reads, and print the lines to change.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: nut-tls-setup [--dir DIR] [--host NAME]... [--client NAME]... [--days N] [--group GROUP] [--force]
       nut-tls-setup --from-nss [DBDIR] [--nickname NAME] [--password-file FILE] [--upsd-conf FILE]
                     [--dir DIR] [--group GROUP] [--force]

Make a private CA and a certificate for upsd, so clients can check they talk to the real upsd.

With --from-nss, convert instead the NSS certificate database of a NUT built with NSS (Debian's
packages: CERTPATH and CERTIDENT in upsd.conf) into upsd.pem (certificate, chain and key: CERTFILE)
and ca.pem (the CAs it trusts), with certutil and pk12util (package libnss3-tools) and openssl.
A client's database (upsmon.conf's CERTPATH: no private key, only trusted CAs) becomes ca.pem
alone, for CERTPATH in upsmon.conf and NUT_CERTPATH for upsc.
  DBDIR             the database (default: CERTPATH in upsd.conf)
  --nickname NAME   upsd's certificate (default: CERTIDENT's name in upsd.conf, else the only
                    certificate with a private key)
  --password-file F the database password (default: CERTIDENT's password in upsd.conf)
  --upsd-conf FILE  where to read CERTPATH and CERTIDENT (default: $NUT_CONFPATH/upsd.conf or
                    /etc/nut/upsd.conf)

  --dir DIR       where to write ca.pem, ca.key and upsd.pem (default: $NUT_CONFPATH or /etc/nut)
  --host NAME     a name or IP address clients use to reach upsd (repeatable; default: this
                  machine's host name, localhost, 127.0.0.1 and ::1)
  --client NAME   also make client-NAME.pem, a client certificate for upsd's CERTREQUEST
  --days N        validity in days (default 3650)
  --group GROUP   group that may read upsd.pem (default: nut, when it exists)
  --force         replace existing files
  -h, --help      show this text
";

fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into the buffer.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let s = String::from_utf8_lossy(&buf[..end]).into_owned();
    (!s.is_empty()).then_some(s)
}

fn group_exists(name: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(name) else { return false };
    // SAFETY: getgrnam with a valid C string; only the NULL test is used.
    unsafe { !libc::getgrnam(c.as_ptr()).is_null() }
}

/// `--from-nss`: convert an NSS database and print the upsd.conf lines to change.
fn from_nss_mode(
    db: Option<PathBuf>,
    nickname: Option<String>,
    password_file: Option<PathBuf>,
    conf: &std::path::Path,
    dir: &std::path::Path,
    group: Option<&str>,
    force: bool,
) -> ExitCode {
    // upsd.conf's CERTPATH/CERTIDENT, when it can be read (a missing file is no news: the
    // database, nickname and password may all come from the command line).
    let parsed = match std::fs::read_to_string(conf) {
        Ok(t) => match nut_conf::upsd_conf::parse(&t, &conf.display().to_string()) {
            Ok((c, _)) => Some(c),
            Err(errors) => {
                eprintln!(
                    "nut-tls-setup: warning: {} has errors, so its CERTPATH and CERTIDENT are not used:\n{}",
                    conf.display(),
                    nut_conf::render(&errors).trim_end()
                );
                None
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            eprintln!(
                "nut-tls-setup: warning: cannot read {}: {e}; its CERTPATH and CERTIDENT are not used (run as \
                 a user who can read it, or give the database, --nickname and --password-file)",
                conf.display()
            );
            None
        }
    };
    let relative = |p: &str| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            conf.parent().unwrap_or(std::path::Path::new(".")).join(p)
        }
    };
    let Some(db) = db.or_else(|| parsed.as_ref().and_then(|c| c.certpath.as_deref()).map(relative)) else {
        eprintln!(
            "nut-tls-setup: which NSS database? Give its directory (--from-nss DIR), or set CERTPATH in {}",
            conf.display()
        );
        return ExitCode::FAILURE;
    };
    let ident = parsed.as_ref().and_then(|c| c.certident.clone());
    let nickname = nickname.or_else(|| ident.as_ref().map(|i| i.name.clone()));
    let password = match &password_file {
        Some(f) => match std::fs::read_to_string(f) {
            Ok(t) => Some(t.lines().next().unwrap_or("").to_string()),
            Err(e) => {
                eprintln!("nut-tls-setup: cannot read {}: {e}", f.display());
                return ExitCode::FAILURE;
            }
        },
        None => ident.as_ref().map(|i| i.pass.clone()),
    };
    let export = match nut_tls::setup::export_nss(&db, nickname.as_deref(), password.as_deref()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("nut-tls-setup: {e}");
            return ExitCode::FAILURE;
        }
    };
    let setup = match nut_tls::setup::write_nss_files(dir, &export, group, force) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("nut-tls-setup: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(nickname) = &export.nickname else {
        return client_side_lines(&export, &setup);
    };
    println!(
        "Converted the NSS database {} (certificate {nickname:?}) into the PEM files this upsd reads:",
        export.db.display(),
    );
    println!();
    for f in &setup.files {
        println!("  {}  (mode {:04o})  {}", f.path.display(), f.mode, f.what);
    }
    for n in &setup.notes {
        println!("  note: {n}");
    }
    let line = |key: &str| {
        parsed.as_ref().and_then(|c| c.line_of(key)).map(|n| format!("line {n}: ")).unwrap_or_default()
    };
    let has_ca = !export.ca_pem.is_empty();
    println!();
    println!("Change {}, then restart upsd:", conf.display());
    println!();
    let certrequest = parsed.as_ref().and_then(|c| c.certrequest);
    let wants_client_certs = certrequest.is_some_and(|r| r != nut_conf::upsd_conf::CertRequest::No);
    if wants_client_certs && has_ca {
        println!("  {}CERTPATH {}   (was the NSS database)", line("CERTPATH"), setup.ca.display());
    } else {
        println!("  {}remove CERTPATH {}", line("CERTPATH"), db.display());
    }
    println!("  {}remove CERTIDENT (this upsd reads the key from CERTFILE)", line("CERTIDENT"));
    println!("  add:     CERTFILE {}", setup.certfile.display());
    if wants_client_certs && !has_ca {
        println!(
            "  (CERTREQUEST asks for client certificates, but the database trusts no CA: CERTPATH must name"
        );
        println!("   a PEM file of the CAs that signed them)");
    }
    println!();
    if has_ca {
        println!(
            "Clients: NUT's NSS builds (Debian's upsmon, upsc) keep their NSS database in CERTPATH; ours"
        );
        println!(
            "read PEM: CERTPATH {} in upsmon.conf, NUT_CERTPATH={} for upsc.",
            setup.ca.display(),
            setup.ca.display()
        );
    }
    ExitCode::SUCCESS
}

/// A client's database (upsmon, upsc: no private key, only trusted CAs) became `ca.pem`:
/// print what to change in upsmon.conf and for the clients.
fn client_side_lines(export: &nut_tls::setup::NssExport, setup: &nut_tls::setup::Setup) -> ExitCode {
    println!(
        "Converted the NSS database {} (a client's: no private key, only the CAs it trusts: {}) into \
         the PEM file our upsmon and clients read:",
        export.db.display(),
        export.ca_nicknames.join(", ")
    );
    println!();
    for f in &setup.files {
        println!("  {}  (mode {:04o})  {}", f.path.display(), f.mode, f.what);
    }
    for n in &setup.notes {
        println!("  note: {n}");
    }
    println!();
    println!("Change upsmon.conf, then reload upsmon (upsmon -c reload):");
    println!();
    println!("  CERTPATH {}   (was the NSS database)", setup.ca.display());
    println!("  remove CERTIDENT (it names a certificate in the NSS database)");
    println!("  CERTVERIFY 1 and FORCESSL 1 keep their meaning");
    println!();
    println!("For upsc, upscmd and upsrw: NUT_CERTPATH={} NUT_CERTVERIFY=1", setup.ca.display());
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir: Option<PathBuf> = None;
    let mut hosts: Vec<String> = Vec::new();
    let mut clients: Vec<String> = Vec::new();
    let mut days: u32 = 3650;
    let mut group: Option<String> = None;
    let mut force = false;
    let mut from_nss: Option<Option<PathBuf>> = None;
    let mut nickname: Option<String> = None;
    let mut password_file: Option<PathBuf> = None;
    let mut upsd_conf: Option<PathBuf> = None;
    let mut i = 0;
    let need = |i: usize, opt: &str| -> Result<String, ExitCode> {
        args.get(i + 1).cloned().ok_or_else(|| {
            eprintln!("nut-tls-setup: {opt} needs a value\n\n{USAGE}");
            ExitCode::FAILURE
        })
    };
    while i < args.len() {
        let a = args[i].as_str();
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k, Some(v.to_string())),
            _ => (a, None),
        };
        let value = |i: &mut usize| -> Result<String, ExitCode> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            let v = need(*i, key)?;
            *i += 1;
            Ok(v)
        };
        match key {
            "-h" | "--help" => {
                print!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            "--dir" => match value(&mut i) {
                Ok(v) => dir = Some(PathBuf::from(v)),
                Err(c) => return c,
            },
            "--host" => match value(&mut i) {
                Ok(v) => hosts.push(v),
                Err(c) => return c,
            },
            "--client" => match value(&mut i) {
                Ok(v) => clients.push(v),
                Err(c) => return c,
            },
            "--group" => match value(&mut i) {
                Ok(v) => group = Some(v),
                Err(c) => return c,
            },
            "--days" => match value(&mut i).map(|v| v.parse::<u32>()) {
                Ok(Ok(n)) if n > 0 => days = n,
                Ok(_) => {
                    eprintln!("nut-tls-setup: --days needs a positive number of days");
                    return ExitCode::FAILURE;
                }
                Err(c) => return c,
            },
            "--force" => force = true,
            "--from-nss" => {
                let v = inline.clone().or_else(|| {
                    let next = args.get(i + 1).filter(|a| !a.starts_with('-')).cloned();
                    if next.is_some() {
                        i += 1;
                    }
                    next
                });
                from_nss = Some(v.map(PathBuf::from));
            }
            "--nickname" => match value(&mut i) {
                Ok(v) => nickname = Some(v),
                Err(c) => return c,
            },
            "--password-file" => match value(&mut i) {
                Ok(v) => password_file = Some(PathBuf::from(v)),
                Err(c) => return c,
            },
            "--upsd-conf" => match value(&mut i) {
                Ok(v) => upsd_conf = Some(PathBuf::from(v)),
                Err(c) => return c,
            },
            other => {
                eprintln!("nut-tls-setup: unknown argument {other:?}\n\n{USAGE}");
                return ExitCode::FAILURE;
            }
        }
        i += 1;
    }
    let confdir = std::env::var("NUT_CONFPATH")
        .ok()
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/etc/nut"));
    let dir = dir.unwrap_or_else(|| confdir.clone());
    // The lines printed name absolute paths: upsd takes relative ones from its own directory.
    let dir =
        if dir.is_absolute() { dir } else { std::env::current_dir().map(|c| c.join(&dir)).unwrap_or(dir) };
    if let Some(db) = from_nss {
        let group = group.or_else(|| group_exists("nut").then(|| "nut".to_string()));
        let conf = upsd_conf.unwrap_or_else(|| confdir.join("upsd.conf"));
        return from_nss_mode(db, nickname, password_file, &conf, &dir, group.as_deref(), force);
    }
    if nickname.is_some() || password_file.is_some() || upsd_conf.is_some() {
        eprintln!("nut-tls-setup: --nickname, --password-file and --upsd-conf go with --from-nss\n\n{USAGE}");
        return ExitCode::FAILURE;
    }
    if hosts.is_empty() {
        hosts.extend(hostname());
        for h in ["localhost", "127.0.0.1", "::1"] {
            if !hosts.iter().any(|x| x == h) {
                hosts.push(h.to_string());
            }
        }
    }
    let group = group.or_else(|| group_exists("nut").then(|| "nut".to_string()));

    let made = match nut_tls::setup::make_all(&hosts, &clients, days) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("nut-tls-setup: {e}");
            return ExitCode::FAILURE;
        }
    };
    let setup = match nut_tls::setup::write_files(&dir, &made, group.as_deref(), force) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("nut-tls-setup: {e}");
            return ExitCode::FAILURE;
        }
    };

    println!("Made a CA and a certificate for upsd valid for: {}", hosts.join(", "));
    println!();
    for f in &setup.files {
        println!("  {}  (mode {:04o})  {}", f.path.display(), f.mode, f.what);
    }
    for n in &setup.notes {
        println!("  note: {n}");
    }
    let ca = setup.ca.display();
    println!();
    println!("1. Add to upsd.conf, then restart upsd:");
    println!();
    println!("CERTFILE {}", setup.certfile.display());
    println!();
    println!("2. Copy {ca} to every machine that runs upsmon, and add to its upsmon.conf:");
    println!();
    println!("CERTPATH {ca}");
    println!("CERTVERIFY 1");
    println!("FORCESSL 1");
    println!();
    println!("   upsmon's MONITOR lines must name upsd by one of: {}", hosts.join(", "));
    println!("   (or add `CERTHOST <host> \"{}\" 1 1` for another name).", hosts[0]);
    println!();
    println!("3. For upsc, upscmd, upsrw and upslog: export NUT_CERTPATH={ca} NUT_FORCESSL=1");
    println!();
    println!("NUT builds that use NSS (Debian's and Ubuntu's packages) read an NSS database instead of");
    println!("ca.pem in upsmon.conf's CERTPATH; make one with (package libnss3-tools):");
    println!("   mkdir -p /etc/nut/nssdb && certutil -N -d /etc/nut/nssdb --empty-password");
    println!("   certutil -A -d /etc/nut/nssdb -n \"NUT CA\" -t \"CT,,\" -a -i {ca}");
    println!("and set CERTPATH /etc/nut/nssdb there.");
    ExitCode::SUCCESS
}
