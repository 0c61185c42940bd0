//! Loading upsmon.conf (parsed by nut-conf) into the machine's [`Settings`] and
//! [`MonitorSpec`]s, plus the parts only the runner needs.

use std::path::{Path, PathBuf};

use nut_client::{CertHost, TlsOptions};

use nut_conf::upsd_users::Role;
use nut_conf::upsmon_conf::{self, Monitor, UpsmonConf};

use crate::machine::{MonitorSpec, Settings, ShutdownExit};
use crate::notify::{NotifyFlags, NotifyTable, NotifyType};

/// A loaded upsmon.conf.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Where it was read from.
    pub path: PathBuf,
    /// The parsed file.
    pub conf: UpsmonConf,
    /// Warnings found while parsing (printed once at start-up).
    pub warnings: Vec<nut_conf::Diagnostic>,
}

impl Loaded {
    /// The machine's view of the settings.
    pub fn settings(&self) -> Settings {
        let c = &self.conf;
        let mut notify = NotifyTable::default();
        for (t, m) in &c.notifymsg {
            if let Some(t) = NotifyType::from_name(t) {
                notify.set_message(t, m.clone());
            }
        }
        for (t, f) in &c.notifyflag {
            if let Some(t) = NotifyType::from_name(t) {
                notify.set_flags(t, NotifyFlags { syslog: f.syslog, wall: f.wall, exec: f.exec });
            }
        }
        Settings {
            minsupplies: c.minsupplies,
            pollfreq: u64::from(c.pollfreq),
            pollfreqalert: u64::from(c.pollfreqalert),
            deadtime: u64::from(c.deadtime),
            hostsync: u64::from(c.hostsync),
            finaldelay: u64::from(c.finaldelay),
            nocommwarntime: u64::from(c.nocommwarntime),
            rbwarntime: u64::from(c.rbwarntime),
            offduration: i64::from(c.offduration),
            oblbduration: c.oblbduration.map_or(0, i64::from),
            overduration: c.overduration.map_or(-1, i64::from),
            alarmcritical: c.alarmcritical,
            shutdownexit: match c.shutdownexit {
                upsmon_conf::ShutdownExit::Yes => ShutdownExit::Yes,
                upsmon_conf::ShutdownExit::No => ShutdownExit::No,
                upsmon_conf::ShutdownExit::After(s) => ShutdownExit::After(u64::from(s)),
            },
            pollfail_log_throttle_max: c.pollfail_log_throttle_max.map_or(-1, i64::from),
            notify,
        }
    }

    /// One spec per MONITOR line.
    pub fn specs(&self) -> Vec<MonitorSpec> {
        self.conf
            .monitors
            .iter()
            .map(|m| MonitorSpec {
                name: m.system.clone(),
                power_value: m.powervalue,
                primary: m.role == Role::Primary,
            })
            .collect()
    }

    /// The MONITOR line for a system name.
    pub fn monitor(&self, system: &str) -> Option<&Monitor> {
        self.conf.monitors.iter().find(|m| m.system == system)
    }

    /// The file name for messages.
    pub fn file(&self) -> String {
        self.path.display().to_string()
    }
}

/// The configuration file: `-f` would go here; NUT uses `$NUT_CONFPATH/upsmon.conf`.
pub fn default_path() -> PathBuf {
    nut_core::paths::conf_path().join("upsmon.conf")
}

/// Reads and parses upsmon.conf; the error lists every problem with file:line.
pub fn load(path: &Path) -> Result<Loaded, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| nut_conf::explain_read_error(&file, e.kind(), &running_as()))?;
    match upsmon_conf::parse(&text, &file) {
        Ok((conf, warnings)) => Ok(Loaded { path: path.to_path_buf(), conf, warnings }),
        Err(diags) => Err(format!("{}\nfix the errors above in {file}", nut_conf::render(&diags).trim_end())),
    }
}

/// The user name this process runs as, for messages.
pub fn running_as() -> String {
    let uid = nut_daemon::privs::euid();
    if uid == 0 {
        return "root".into();
    }
    std::env::var("USER").unwrap_or_else(|_| format!("uid {uid}"))
}

/// The NSS certificate database in `certpath`, if that is what it names: NUT's NSS builds
/// (Debian's among them) take `CERTPATH` as an NSS database directory (`cert9.db`,
/// `key4.db`; older `cert8.db`), optionally with NSS's `sql:`/`dbm:` prefix.
pub fn nss_database(certpath: &str) -> Option<PathBuf> {
    let (prefixed, dir) = match certpath.split_once(':') {
        Some((p, rest)) if ["sql", "dbm", "extern", "rdb", "multiaccess"].contains(&p) => (true, rest),
        _ => (false, certpath),
    };
    let dir = PathBuf::from(dir);
    let has_db = ["cert9.db", "cert8.db", "key4.db", "key3.db"].iter().any(|f| dir.join(f).is_file());
    (prefixed || (dir.is_dir() && has_db)).then_some(dir)
}

/// TLS settings this upsmon cannot use, found before a connection is tried: NUT's upsmon
/// refuses to start when its TLS library cannot be initialised from them, and so do we. An
/// NSS database (NUT's NSS builds) is named as such, with the command that converts it.
pub fn tls_findings(loaded: &Loaded) -> Vec<nut_conf::Diagnostic> {
    use nut_conf::Diagnostic;
    let c = &loaded.conf;
    let file = loaded.file();
    let lines = c.cert_lines;
    let mut out = Vec::new();
    let nss = c.certpath.as_deref().and_then(nss_database);
    if let (Some(path), Some(dir)) = (c.certpath.as_deref(), &nss) {
        out.push(Diagnostic::error(
            &file,
            lines.certpath,
            format!(
                "CERTPATH {path} is an NSS certificate database, as NUT's NSS builds (Debian's) use; this \
                 upsmon reads PEM files instead and will not start with it (TLS would silently be off): \
                 convert it with `nut-tls-setup --from-nss {}` and put the CERTPATH (and CERTFILE) lines \
                 it prints in {file}",
                dir.display()
            ),
        ));
    }
    if let Some((name, _)) = &c.certident {
        if c.certfile.is_some() {
            out.push(Diagnostic::warning(
                &file,
                lines.certident,
                format!(
                    "CERTIDENT \"{name}\" is not used: with CERTFILE the client certificate is the one in that \
                     file (as with NUT 2.8.5's OpenSSL build, where CERTIDENT does nothing), and its key must \
                     not be encrypted; remove the CERTIDENT line"
                ),
            ));
        } else {
            let dir = nss
                .as_ref()
                .map(|d| d.display().to_string())
                .or_else(|| c.certpath.clone())
                .unwrap_or_else(|| "<NSS database directory>".into());
            out.push(Diagnostic::error(
                &file,
                lines.certident,
                format!(
                    "CERTIDENT \"{name}\" names this client's certificate in an NSS database (NUT's NSS \
                     builds); this upsmon takes the client certificate and key from a PEM file in CERTFILE \
                     and will not start without it: convert the database with `nut-tls-setup --from-nss \
                     {dir}` and put the CERTFILE line it prints in {file}"
                ),
            ));
        }
    }
    if out.iter().any(|d| d.is_error()) {
        return out;
    }
    // Whatever else the TLS layer refuses (a missing CA file, a CERTFILE without its key),
    // checked for each upsd this host talks to: CERTHOST can change the settings per host.
    let tls = tls_options(c);
    let mut seen: Vec<String> = Vec::new();
    for m in &c.monitors {
        if let Err(e) = nut_tls::client_config(&tls.for_host(&m.host).settings) {
            let msg = e.to_string();
            if !seen.contains(&msg) {
                let line = if msg.contains(c.certfile.as_deref().unwrap_or("\0")) {
                    lines.certfile
                } else {
                    lines.certpath
                };
                out.push(Diagnostic::error(&file, line, format!("TLS settings for {}: {msg}", m.host)));
                seen.push(msg);
            }
        }
    }
    out
}

/// The TLS settings of upsmon.conf (CERTPATH, CERTFILE, CERTVERIFY, FORCESSL, CERTHOST).
pub fn tls_options(c: &UpsmonConf) -> TlsOptions {
    TlsOptions {
        certpath: c.certpath.as_ref().map(PathBuf::from),
        certfile: c.certfile.as_ref().map(PathBuf::from),
        certverify: c.certverify,
        forcessl: c.forcessl,
        certhosts: c
            .certhosts
            .iter()
            .map(|h| CertHost {
                host: h.host.clone(),
                cert_name: h.certname.clone(),
                verify: h.certverify,
                forcessl: h.forcessl,
            })
            .collect(),
        danger_skip_verify: false,
    }
}

/// The checks upsmon makes before it starts and before it accepts a reloaded file: `Err`
/// lists every problem, one per line.
pub fn startup_checks(loaded: &Loaded) -> Result<(), String> {
    let problems: Vec<String> =
        tls_findings(loaded).iter().filter(|d| d.is_error()).map(|d| d.to_string()).collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(text: &str) -> Loaded {
        let (conf, warnings) = upsmon_conf::parse(text, "upsmon.conf").expect("valid upsmon.conf");
        Loaded { path: PathBuf::from("upsmon.conf"), conf, warnings }
    }

    #[test]
    fn nss_database_is_named_with_the_conversion_command() {
        let dir = std::env::temp_dir().join(format!("upsmon-nss-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::write(dir.join("cert9.db"), b"SQLite format 3\0").expect("write");
        let d = dir.display();
        let l = loaded(&format!(
            "MONITOR ups@localhost 1 u p secondary\nCERTPATH {d}\nCERTIDENT \"My nut client\" secret\n"
        ));
        let f: Vec<String> = tls_findings(&l).iter().map(|d| d.to_string()).collect();
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].starts_with("upsmon.conf:2: error: CERTPATH"), "{f:?}");
        assert!(f[0].contains(&format!("nut-tls-setup --from-nss {d}")), "{f:?}");
        assert!(f[1].starts_with("upsmon.conf:3: error: CERTIDENT \"My nut client\""), "{f:?}");
        assert!(f[1].contains("CERTFILE"), "{f:?}");
        assert!(startup_checks(&l).is_err());
        // NSS's own prefix names a database even before looking at the directory.
        let l = loaded("MONITOR ups@localhost 1 u p secondary\nCERTPATH sql:/etc/nut/cert\n");
        let f = tls_findings(&l);
        assert!(f[0].message.contains("--from-nss /etc/nut/cert"), "{f:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn certident_with_a_pem_certfile_is_pointed_out() {
        let l = loaded(
            "MONITOR ups@localhost 1 u p secondary\nCERTFILE /nonexistent/c.pem\nCERTIDENT \"c\" \"pw\"\n",
        );
        let f = tls_findings(&l);
        assert!(f[0].to_string().starts_with("upsmon.conf:3: warning: CERTIDENT \"c\" is not used"), "{f:?}");
        // The missing CERTFILE itself is an error found after it.
        assert!(f.iter().any(|d| d.is_error() && d.line == 2), "{f:?}");
    }

    #[test]
    fn pem_settings_and_no_tls_pass() {
        assert!(startup_checks(&loaded("MONITOR ups@localhost 1 u p secondary\n")).is_ok());
        let l = loaded("MONITOR ups@localhost 1 u p secondary\nCERTPATH /nonexistent/ca.pem\n");
        let e = startup_checks(&l).expect_err("a CA file that does not exist");
        assert!(e.starts_with("upsmon.conf:2: error: TLS settings for localhost:"), "{e}");
    }
}
