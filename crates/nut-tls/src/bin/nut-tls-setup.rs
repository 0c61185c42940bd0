//! `nut-tls-setup`: make a private CA and upsd's certificate and key with the right
//! permissions, then print the exact lines to add to upsd.conf and upsmon.conf.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: nut-tls-setup [--dir DIR] [--host NAME]... [--client NAME]... [--days N] [--group GROUP] [--force]

Make a private CA and a certificate for upsd, so clients can check they talk to the real upsd.

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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut dir: Option<PathBuf> = None;
    let mut hosts: Vec<String> = Vec::new();
    let mut clients: Vec<String> = Vec::new();
    let mut days: u32 = 3650;
    let mut group: Option<String> = None;
    let mut force = false;
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
            other => {
                eprintln!("nut-tls-setup: unknown argument {other:?}\n\n{USAGE}");
                return ExitCode::FAILURE;
            }
        }
        i += 1;
    }
    let dir = dir.unwrap_or_else(|| {
        std::env::var("NUT_CONFPATH")
            .ok()
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/etc/nut"))
    });
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
