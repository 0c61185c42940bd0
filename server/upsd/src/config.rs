//! Loading `upsd.conf`, `ups.conf` and `upsd.users` (parsed by `nut-conf`) into what the server
//! needs, at startup, on reload, and for the check mode (`-t`).

use std::path::{Path, PathBuf};

use nut_conf::ups_conf::UpsConf;
use nut_conf::upsd_conf::UpsdConf;
use nut_conf::upsd_users::UpsdUsers;
use nut_conf::Diagnostic;
use nut_core::cmdvartab::Descriptions;

/// Where NUT looks for `cmdvartab` by default (Debian's DATADIR).
pub const DEFAULT_DATAPATH: &str = "/usr/share/nut";

/// One UPS to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsDef {
    /// Section name.
    pub name: String,
    /// `driver`.
    pub driver: String,
    /// `desc`.
    pub desc: Option<String>,
}

/// Everything read from the configuration directory.
#[derive(Debug, Clone)]
pub struct Config {
    /// The configuration directory.
    pub confpath: PathBuf,
    /// Where the driver sockets are.
    pub statepath: PathBuf,
    /// `upsd.conf`.
    pub upsd: UpsdConf,
    /// The UPSes of `ups.conf`, in file order.
    pub upses: Vec<UpsDef>,
    /// `upsd.users` (empty when the file is missing).
    pub users: UpsdUsers,
    /// Descriptions for GET DESC / CMDDESC.
    pub descs: Descriptions,
    /// Where the descriptions came from, for the startup log.
    pub descs_from: String,
    /// Warnings to log.
    pub warnings: Vec<Diagnostic>,
}

/// Why the configuration can't be used: every error (and warning) with file:line.
#[derive(Debug, Clone)]
pub struct ConfigError(pub Vec<Diagnostic>);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(nut_conf::render(&self.0).trim_end())
    }
}

fn read(path: &Path) -> Result<Option<String>, Diagnostic> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        // The exact owner/mode reason for the account upsd runs as now (after the drop, on
        // reload), with the command that fixes it.
        Err(e) => Err(Diagnostic::error(
            &path.display().to_string(),
            0,
            nut_daemon::files::explain_read_failure(path, &e, "upsd"),
        )),
    }
}

/// Read `<confpath>/<name>` and parse it with `parse`, adding its warnings and errors to
/// `diags`; a missing file is the error `missing`. `None` when the file gave no value.
fn load_file<T>(
    diags: &mut Vec<Diagnostic>,
    confpath: &Path,
    name: &str,
    parse: fn(&str, &str) -> nut_conf::Parsed<T>,
    missing: &str,
) -> Option<T> {
    let path = confpath.join(name);
    let file = path.display().to_string();
    match read(&path) {
        Ok(Some(text)) => match parse(&text, &file) {
            Ok((value, warnings)) => {
                diags.extend(warnings);
                Some(value)
            }
            Err(d) => {
                diags.extend(d);
                None
            }
        },
        Ok(None) => {
            diags.push(Diagnostic::error(&file, 0, missing));
            None
        }
        Err(d) => {
            diags.push(d);
            None
        }
    }
}

/// Permission problems of the files upsd reads, for `reader`, the account upsd runs as after
/// dropping root: it re-reads upsd.conf, ups.conf and upsd.users as that account on reload,
/// so any of them it can't read is an error. upsd.users (and upsd.conf when it holds a
/// CERTIDENT password, and the CERTFILE key) open to others get a warning. `upsd` is the parsed
/// upsd.conf when it could be parsed.
pub fn check_permissions(
    confpath: &Path,
    upsd: Option<&UpsdConf>,
    reader: &nut_daemon::files::Reader,
) -> Vec<Diagnostic> {
    use nut_daemon::files::{check_file, FileKind};
    let mut out = Vec::new();
    let upsd_kind = if upsd.is_some_and(nut_conf::perms::upsd_conf_has_secret) {
        FileKind::Secret
    } else {
        FileKind::Config
    };
    out.extend(check_file(&confpath.join("upsd.conf"), upsd_kind, reader, "upsd"));
    out.extend(check_file(&confpath.join("ups.conf"), FileKind::Config, reader, "upsd"));
    out.extend(check_file(&confpath.join("upsd.users"), FileKind::Secret, reader, "upsd"));
    if let Some(cert) = upsd.and_then(|u| u.certfile.as_deref()) {
        // Read once at startup, as root, before the drop (TLS changes need a restart), so only
        // who else may read the private key matters here.
        let path = if Path::new(cert).is_absolute() { PathBuf::from(cert) } else { confpath.join(cert) };
        out.extend(check_file(&path, FileKind::Secret, reader, "upsd").into_iter().filter(|d| !d.is_error()));
    }
    out
}

/// Read and check the three files. `env` looks up environment variables (tests pass a fake).
pub fn load(confpath: &Path, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
    let mut diags: Vec<Diagnostic> = Vec::new();

    let upsd = load_file(
        &mut diags,
        confpath,
        "upsd.conf",
        nut_conf::upsd_conf::parse,
        "the file is missing; create it (an empty file gives NUT's defaults: listen on localhost \
         port 3493), or point NUT_CONFPATH at the directory that holds it",
    );
    let ups_file = confpath.join("ups.conf").display().to_string();
    let ups = load_file(
        &mut diags,
        confpath,
        "ups.conf",
        nut_conf::ups_conf::parse,
        "the file is missing; define each UPS there ([name], driver = ..., port = ...)",
    );
    // NUT 2.8.0 refuses to start without upsd.users (and keeps the old users on reload).
    let users = load_file(
        &mut diags,
        confpath,
        "upsd.users",
        nut_conf::upsd_users::parse,
        "the file is missing (NUT's upsd does not start without it); create it with a [user] \
         section for upsmon, upscmd and upsrw, or empty (chmod 640) if nobody needs to log in",
    )
    .unwrap_or_default();

    let upses: Vec<UpsDef> = ups
        .as_ref()
        .map(|c: &UpsConf| {
            c.sections
                .iter()
                .map(|s| UpsDef { name: s.name.clone(), driver: s.driver.clone(), desc: s.desc.clone() })
                .collect()
        })
        .unwrap_or_default();
    let mut upsd = upsd;
    if let Some(u) = upsd.as_mut() {
        // NUT 2.8.5: these two may come from the environment (nut.conf, service units), which
        // then wins over upsd.conf.
        let upsd_file = confpath.join("upsd.conf").display().to_string();
        for (var, field) in [
            ("ALLOW_NO_DEVICE", &mut u.allow_no_device),
            ("ALLOW_NOT_ALL_LISTENERS", &mut u.allow_not_all_listeners),
        ] {
            if let Some(v) = env(var) {
                match nut_conf::upsd_conf::env_boolean(&v) {
                    Some(b) => *field = b,
                    None => diags.push(Diagnostic::warning(
                        &upsd_file,
                        0,
                        format!(
                            "{var}={v:?} in the environment is not a boolean (true/yes/on/1 or \
                             false/no/off/0): the environment is ignored and upsd.conf's setting is used"
                        ),
                    )),
                }
            }
        }
    }
    if let (Some(u), Some(_)) = (&upsd, &ups) {
        if upses.is_empty() && !u.allow_no_device {
            diags.push(Diagnostic::error(
                &ups_file,
                0,
                "no UPS is defined: add a [name] section with driver and port, or set \
                 ALLOW_NO_DEVICE true in upsd.conf to start without one",
            ));
        }
    }

    if diags.iter().any(Diagnostic::is_error) {
        return Err(ConfigError(diags));
    }
    let upsd = upsd.unwrap_or_default();
    let statepath =
        PathBuf::from(statepath(&upsd, ups.as_ref(), &confpath.join("upsd.conf"), &env, &mut diags));
    let datapath = upsd
        .datapath
        .clone()
        .or_else(|| env("NUT_DATAPATH").filter(|s| !s.is_empty()))
        .unwrap_or_else(|| DEFAULT_DATAPATH.to_string());
    let (descs, descs_from) =
        load_descriptions(&[Path::new(&datapath).join("cmdvartab"), confpath.join("cmdvartab")]);
    Ok(Config {
        confpath: confpath.to_path_buf(),
        statepath,
        upsd,
        upses,
        users,
        descs,
        descs_from,
        warnings: diags,
    })
}

/// Where the driver sockets are, by NUT 2.8.5's precedence: `NUT_STATEPATH` from the
/// environment, else `statepath` in ups.conf's global section (where the drivers put their
/// sockets), else upsd.conf's `STATEPATH`, else the built-in default. A setting that loses
/// to another value gets a warning.
fn statepath(
    upsd: &UpsdConf,
    ups: Option<&UpsConf>,
    upsd_file: &Path,
    env: &impl Fn(&str) -> Option<String>,
    diags: &mut Vec<Diagnostic>,
) -> String {
    let ups_file = upsd_file.with_file_name("ups.conf").display().to_string();
    let upsd_file = upsd_file.display().to_string();
    let line = upsd.line_of("STATEPATH").unwrap_or(0);
    let from_env = env("NUT_STATEPATH").filter(|s| !s.is_empty());
    let from_ups = ups.and_then(|u| u.globals.statepath.clone());
    if let Some(sp) = &from_env {
        if let Some(theirs) = from_ups.as_ref().filter(|t| *t != sp) {
            diags.push(Diagnostic::warning(
                &ups_file,
                0,
                format!(
                    "Ignoring STATEPATH='{theirs}' from ups.conf configuration file, in favor of \
                     NUT_STATEPATH='{sp}' environment variable"
                ),
            ));
        }
        if let Some(mine) = upsd.statepath.as_ref().filter(|m| *m != sp) {
            diags.push(Diagnostic::warning(
                &upsd_file,
                line,
                format!(
                    "Ignoring STATEPATH='{mine}' from upsd.conf configuration file, in favor of \
                     NUT_STATEPATH='{sp}' environment variable"
                ),
            ));
        }
        return sp.clone();
    }
    if let Some(sp) = from_ups {
        if let Some(mine) = upsd.statepath.as_ref().filter(|m| **m != sp) {
            diags.push(Diagnostic::warning(
                &upsd_file,
                line,
                format!(
                    "STATEPATH {mine} is not used: ups.conf sets statepath {sp}, where the drivers put \
                     their sockets, and NUT 2.8.5's upsd follows it (remove one of the two)"
                ),
            ));
        }
        return sp;
    }
    upsd.statepath.clone().unwrap_or_else(|| nut_core::paths::state_path_from(env).display().to_string())
}

/// The first readable cmdvartab of `candidates`, else the built-in copy.
fn load_descriptions(candidates: &[PathBuf]) -> (Descriptions, String) {
    for p in candidates {
        if let Ok(text) = std::fs::read_to_string(p) {
            return (Descriptions::parse(&text), p.display().to_string());
        }
    }
    (Descriptions::builtin(), "built-in table".to_string())
}

/// Every problem in the three files, for `upsd -t`.
pub fn check(confpath: &Path, env: impl Fn(&str) -> Option<String>) -> Vec<Diagnostic> {
    match load(confpath, env) {
        Ok(c) => c.warnings,
        Err(ConfigError(d)) => d,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().expect("tempdir");
        for (n, t) in files {
            std::fs::write(d.path().join(n), t).expect("write");
        }
        d
    }

    #[test]
    fn loads_upses_users_and_statepath() {
        let d = dir(&[
            ("upsd.conf", "STATEPATH /tmp/st\nMAXAGE 20\n"),
            ("ups.conf", "[ups1]\n driver = dummy-ups\n port = a.dev\n desc = \"One\"\n"),
            ("upsd.users", "[mon]\n password = p\n upsmon primary\n"),
        ]);
        let c = load(d.path(), |_| None).expect("valid");
        assert_eq!(c.statepath, PathBuf::from("/tmp/st"));
        assert_eq!(c.upsd.maxage, 20);
        assert_eq!(
            c.upses,
            vec![UpsDef { name: "ups1".into(), driver: "dummy-ups".into(), desc: Some("One".into()) }]
        );
        assert_eq!(c.users.users.len(), 1);
    }

    #[test]
    fn empty_ups_conf_needs_allow_no_device() {
        let d = dir(&[("upsd.conf", ""), ("ups.conf", ""), ("upsd.users", "")]);
        let e = load(d.path(), |_| None).unwrap_err();
        assert!(e.to_string().contains("ALLOW_NO_DEVICE"), "{e}");
        std::fs::write(d.path().join("upsd.conf"), "ALLOW_NO_DEVICE true\n").expect("write");
        let c = load(d.path(), |_| None).expect("allowed");
        assert!(c.upses.is_empty());
        // A missing upsd.users is fatal, as in NUT.
        std::fs::remove_file(d.path().join("upsd.users")).expect("remove");
        let e = load(d.path(), |_| None).unwrap_err();
        assert!(e.to_string().contains("upsd.users: error: the file is missing"), "{e}");
    }

    #[test]
    fn permissions_for_the_account_after_the_drop() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir(&[
            ("upsd.conf", "CERTIDENT \"upsd\" \"dbpass\"\n"),
            ("ups.conf", "[u]\n driver = dummy-ups\n port = x\n"),
            ("upsd.users", "[mon]\n password = p\n upsmon primary\n"),
        ]);
        let mode = |n: &str, m: u32| {
            std::fs::set_permissions(d.path().join(n), std::fs::Permissions::from_mode(m)).expect("chmod")
        };
        mode("upsd.conf", 0o644);
        mode("ups.conf", 0o644);
        mode("upsd.users", 0o604);
        let me = nut_daemon::privs::reader_for(None).expect("me");
        let cfg = load(d.path(), |_| None).expect("valid");
        let diags = check_permissions(d.path(), Some(&cfg.upsd), &me);
        let text = nut_conf::render(&diags);
        // Both secret files are named with their fix; ups.conf may be world-readable.
        for f in ["upsd.users", "upsd.conf"] {
            let p = d.path().join(f).display().to_string();
            assert!(text.contains(&format!("{p}: warning: ")), "{text}");
            assert!(text.contains(&format!("chmod 0640 {p} && chown root:{} {p}", me.group_name)), "{text}");
        }
        assert_eq!(diags.len(), 2, "{text}");
        // Without CERTIDENT upsd.conf holds no secret.
        mode("upsd.users", 0o640);
        assert!(check_permissions(d.path(), None, &me).is_empty());
    }

    #[test]
    fn statepath_precedence_of_nut_2_8_5() {
        let d = dir(&[
            ("upsd.conf", "STATEPATH /from/upsd\n"),
            ("ups.conf", "statepath = /from/ups\n[u]\n driver = dummy-ups\n port = x\n"),
            ("upsd.users", ""),
        ]);
        let env = |v: Option<&'static str>| {
            move |k: &str| (k == "NUT_STATEPATH").then_some(v).flatten().map(String::from)
        };
        // The environment wins, with NUT's warning naming the ignored line.
        let c = load(d.path(), env(Some("/from/env"))).expect("valid");
        assert_eq!(c.statepath, PathBuf::from("/from/env"));
        let w = nut_conf::render(&c.warnings);
        assert!(w.contains("upsd.conf:1: warning: Ignoring STATEPATH='/from/upsd' from upsd.conf configuration file, in favor of NUT_STATEPATH='/from/env' environment variable"), "{w}");
        assert!(w.contains("ups.conf: warning: Ignoring STATEPATH='/from/ups' from ups.conf configuration file, in favor of NUT_STATEPATH='/from/env' environment variable"), "{w}");
        // Then ups.conf's global statepath, where the drivers put their sockets.
        let c = load(d.path(), env(None)).expect("valid");
        assert_eq!(c.statepath, PathBuf::from("/from/ups"));
        assert!(nut_conf::render(&c.warnings).contains("STATEPATH /from/upsd is not used"));
        // Then upsd.conf.
        std::fs::write(d.path().join("ups.conf"), "[u]\n driver = dummy-ups\n port = x\n").expect("write");
        let c = load(d.path(), env(None)).expect("valid");
        assert_eq!(c.statepath, PathBuf::from("/from/upsd"));
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn allow_no_device_from_the_environment_wins() {
        let d = dir(&[("upsd.conf", "ALLOW_NO_DEVICE false\n"), ("ups.conf", ""), ("upsd.users", "")]);
        let env = |v: &'static str| move |k: &str| (k == "ALLOW_NO_DEVICE").then(|| v.to_string());
        assert!(load(d.path(), env("yes")).expect("allowed by the environment").upses.is_empty());
        assert!(load(d.path(), |_| None).is_err());
        std::fs::write(d.path().join("upsd.conf"), "ALLOW_NO_DEVICE 1\n").expect("write");
        assert!(load(d.path(), |_| None).is_ok());
        let e = load(d.path(), env("off")).unwrap_err().to_string();
        assert!(e.contains("ALLOW_NO_DEVICE"), "{e}");
    }

    #[test]
    fn every_error_has_file_and_line() {
        let d = dir(&[("upsd.conf", "MAXAGE x\n"), ("ups.conf", "[u]\n port = x\n")]);
        let diags = check(d.path(), |_| None);
        let text = nut_conf::render(&diags);
        assert!(text.contains("upsd.conf:1: error"), "{text}");
        assert!(text.contains("ups.conf:1: error"), "{text}");
    }
}
