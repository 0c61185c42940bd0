//! Catching before runtime what users hit at runtime: MONITOR lines compared with a local
//! upsd.users, file permissions, SHUTDOWNCMD/NOTIFYCMD/POWERDOWNFLAG sanity, and whether each
//! upsd answers. Also the explanation logged when upsd answers ACCESS-DENIED.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use nut_conf::upsd_users::{Role, UpsdUsers};
use nut_conf::upsmon_conf::Monitor;
use nut_conf::Diagnostic;

use crate::config::Loaded;

/// True when `host` names this machine, so its upsd.users is probably the one next to
/// upsmon.conf.
pub fn is_local(host: &str) -> bool {
    host == "localhost"
        || host == "::1"
        || host.starts_with("127.")
        || local_hostname().is_some_and(|h| h == host)
}

fn local_hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname").ok().map(|s| s.trim().to_string())
}

/// Compares one MONITOR line with upsd.users: the user must exist, the password match, and
/// the upsmon role allow what the MONITOR line asks for. Pure.
pub fn monitor_vs_users(
    m: &Monitor,
    conf_file: &str,
    users: &UpsdUsers,
    users_file: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let sys = &m.system;
    let Some(u) = users.user(&m.user) else {
        out.push(Diagnostic::error(
            conf_file,
            m.line,
            format!(
                "MONITOR {sys} logs in as user [{}], but {users_file} has no [{}] section: upsd will answer \
                 ACCESS-DENIED. Add to {users_file}: [{}] password = <the password of this MONITOR line> upsmon {}",
                m.user,
                m.user,
                m.user,
                role_word(m.role)
            ),
        ));
        return out;
    };
    if !u.password_matches(&m.pass) {
        out.push(Diagnostic::error(
            conf_file,
            m.line,
            format!(
                "MONITOR {sys}: the password for user [{}] differs from `password` in {users_file} (section at line {}): \
                 upsd will answer ACCESS-DENIED. Make them the same",
                m.user, u.line
            ),
        ));
    }
    match &u.upsmon {
        None => out.push(Diagnostic::error(
            conf_file,
            m.line,
            format!(
                "MONITOR {sys}: user [{}] in {users_file} (line {}) has no `upsmon` setting, so LOGIN is refused \
                 with ACCESS-DENIED. Add `upsmon {}` to that section",
                m.user,
                u.line,
                role_word(m.role)
            ),
        )),
        Some(r) if m.role == Role::Primary && r.role == Role::Secondary => out.push(Diagnostic::error(
            conf_file,
            m.line,
            format!(
                "MONITOR {sys} asks for the primary role, but user [{}] is `upsmon {}` in {users_file}:{}: PRIMARY \
                 will be refused and this host could not set FSD for its secondaries. Write `upsmon primary` there, \
                 or `secondary` on this MONITOR line",
                m.user, r.word, r.line
            ),
        )),
        Some(_) => {}
    }
    out
}

fn role_word(r: Role) -> &'static str {
    match r {
        Role::Primary => "primary",
        Role::Secondary => "secondary",
    }
}

/// Reads upsd.users next to upsmon.conf, if there is one and it is readable.
pub fn local_users(confdir: &Path) -> Option<(UpsdUsers, String)> {
    let path = confdir.join("upsd.users");
    let file = path.display().to_string();
    let text = std::fs::read_to_string(&path).ok()?;
    let users = match nut_conf::upsd_users::parse(&text, &file) {
        Ok((u, _)) => u,
        Err(_) => return None,
    };
    Some((users, file))
}

/// The log line for an ACCESS-DENIED answer at runtime: who, which UPS, what is missing in
/// which file.
pub fn explain_access_denied(
    m: &Monitor,
    conf_file: &str,
    request: &str,
    local: Option<&(UpsdUsers, String)>,
) -> String {
    let base = format!(
        "upsd at {}:{} refused {request} for user [{}] on UPS [{}] (MONITOR at {conf_file}:{})",
        m.host, m.port, m.user, m.ups, m.line
    );
    if is_local(&m.host) {
        if let Some((users, file)) = local {
            let found = monitor_vs_users(m, conf_file, users, file);
            if let Some(d) = found.first() {
                return format!("{base}: {}", d.message);
            }
            return format!(
                "{base}: {file} looks right for this MONITOR line; was upsd reloaded after editing it? (upsd -c reload)"
            );
        }
    }
    format!(
        "{base}: in upsd.users on {} the section [{}] needs the same password as the MONITOR line and `upsmon {}`; \
         reload upsd afterwards (upsd -c reload)",
        m.host,
        m.user,
        role_word(m.role)
    )
}

/// Every check, for `upsmon --check-config`. Network checks use a short timeout.
pub fn check_all(loaded: &Loaded) -> Vec<Diagnostic> {
    let file = loaded.file();
    let c = &loaded.conf;
    let mut out = loaded.warnings.clone();
    if let Ok(meta) = std::fs::metadata(&loaded.path) {
        let mode = meta.permissions().mode();
        if mode & 0o004 != 0 {
            out.push(Diagnostic::warning(
                &file,
                0,
                format!(
                    "is readable by every user (mode {:04o}) but holds upsd passwords: chown root:nut {file} && chmod 0640 {file}",
                    mode & 0o7777
                ),
            ));
        }
    }
    if c.monitors.is_empty() {
        out.push(Diagnostic::error(
            &file,
            0,
            "no MONITOR line: add `MONITOR ups@localhost 1 upsmon <password> primary`",
        ));
    }
    if loaded.conf.total_power() < u64::from(c.minsupplies) {
        out.push(Diagnostic::error(
            &file,
            0,
            format!(
                "total power value ({}) is less than MINSUPPLIES ({}): upsmon refuses to start; fix the power values or MINSUPPLIES",
                loaded.conf.total_power(),
                c.minsupplies
            ),
        ));
    }
    if c.shutdowncmd.is_none() {
        out.push(Diagnostic::warning(
            &file,
            0,
            "no SHUTDOWNCMD: upsmon cannot shut this machine down; add `SHUTDOWNCMD \"/sbin/shutdown -h +0\"`",
        ));
    }
    if let Some(cmd) = &c.notifycmd {
        let prog = cmd.split_whitespace().next().unwrap_or("");
        if prog.starts_with('/') && !is_executable(Path::new(prog)) {
            out.push(Diagnostic::error(
                &file,
                0,
                format!("NOTIFYCMD program {prog} does not exist or is not executable: chmod +x {prog}, or fix the path"),
            ));
        }
    } else if c.notifyflag.iter().any(|(_, f)| f.exec) {
        out.push(Diagnostic::warning(
            &file,
            0,
            "a NOTIFYFLAG has EXEC, but NOTIFYCMD is not set: nothing will run",
        ));
    }
    if let Some(pd) = &c.powerdownflag {
        if let Some(dir) = Path::new(pd).parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.is_dir() {
                out.push(Diagnostic::warning(
                    &file,
                    0,
                    format!(
                        "POWERDOWNFLAG {pd}: directory {} does not exist, so the flag cannot be written",
                        dir.display()
                    ),
                ));
            }
        }
    }
    let confdir = loaded.path.parent().unwrap_or(Path::new("."));
    let users_path = confdir.join("upsd.users");
    let local = local_users(confdir);
    for m in &c.monitors {
        // Every line logs in (power value 0 too, as in NUT) unless LOGIN_MONITOR_ONLY is off.
        let logs_in = m.powervalue > 0 || c.login_monitor_only;
        if logs_in && is_local(&m.host) {
            match &local {
                Some((users, ufile)) => out.extend(monitor_vs_users(m, &file, users, ufile)),
                None if users_path.exists() => out.push(Diagnostic::warning(
                    &file,
                    m.line,
                    format!(
                        "cannot read {} to compare it with MONITOR {} (run the check as root, or as a member of the nut group)",
                        users_path.display(),
                        m.system
                    ),
                )),
                None => {}
            }
        }
        out.extend(reachability(m, &file));
    }
    out
}

fn is_executable(p: &Path) -> bool {
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Connects to the MONITOR's upsd and asks for the UPS's status.
fn reachability(m: &Monitor, file: &str) -> Vec<Diagnostic> {
    let opts = nut_client::Options {
        connect_timeout: Duration::from_secs(3),
        io_timeout: Some(Duration::from_secs(3)),
    };
    let mut c = match nut_client::Client::connect_with(&m.host, m.port, &opts) {
        Ok(c) => c,
        Err(e) => {
            return vec![Diagnostic::error(file, m.line, format!("MONITOR {}: {e}", m.system))];
        }
    };
    let r = c.get_var(&m.ups, "ups.status");
    let _ = c.logout();
    match r {
        Ok(_) => Vec::new(),
        Err(e) if e.code() == Some(nut_proto::net::ErrCode::UnknownUps) => vec![Diagnostic::error(
            file,
            m.line,
            format!(
                "MONITOR {}: upsd at {}:{} has no UPS named [{}]: use a name from `upsc -l {}:{}` (ups.conf section names)",
                m.system, m.host, m.port, m.ups, m.host, m.port
            ),
        )],
        Err(e) => vec![Diagnostic::warning(file, m.line, format!("MONITOR {}: {e}", m.system))],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monitor(line: &str) -> Monitor {
        let text = format!("{line}\n");
        let (c, _) = nut_conf::upsmon_conf::parse(&text, "upsmon.conf").expect("valid MONITOR line");
        c.monitors[0].clone()
    }

    fn users(text: &str) -> UpsdUsers {
        nut_conf::upsd_users::parse(text, "upsd.users").expect("valid upsd.users").0
    }

    #[test]
    fn matching_files_pass() {
        let m = monitor("MONITOR eaton@localhost 1 upsmon secret primary");
        let u = users("[upsmon]\n password = secret\n upsmon primary\n");
        assert!(monitor_vs_users(&m, "upsmon.conf", &u, "upsd.users").is_empty());
        let u = users("[upsmon]\n password = secret\n upsmon master\n");
        assert!(monitor_vs_users(&m, "upsmon.conf", &u, "upsd.users").is_empty(), "legacy word");
    }

    #[test]
    fn each_mismatch_is_named_with_file_and_line() {
        let m = monitor("MONITOR eaton@localhost 1 upsmon secret primary");
        let d = monitor_vs_users(&m, "upsmon.conf", &users("[admin]\n password = x\n"), "upsd.users");
        assert!(
            d[0].to_string()
                .starts_with("upsmon.conf:1: error: MONITOR eaton@localhost logs in as user [upsmon]"),
            "{d:?}"
        );
        let d = monitor_vs_users(
            &m,
            "upsmon.conf",
            &users("[upsmon]\n password = other\n upsmon primary\n"),
            "upsd.users",
        );
        assert!(d[0].message.contains("password"), "{d:?}");
        let d = monitor_vs_users(&m, "upsmon.conf", &users("[upsmon]\n password = secret\n"), "upsd.users");
        assert!(d[0].message.contains("no `upsmon` setting"), "{d:?}");
        let d = monitor_vs_users(
            &m,
            "upsmon.conf",
            &users("[upsmon]\n password = secret\n upsmon slave\n"),
            "upsd.users",
        );
        assert!(d[0].message.contains("PRIMARY will be refused"), "{d:?}");
    }

    #[test]
    fn access_denied_explanation_names_user_ups_and_file() {
        let m = monitor("MONITOR eaton@localhost 1 upsmon secret primary");
        let local =
            (users("[upsmon]\n password = nope\n upsmon primary\n"), "/etc/nut/upsd.users".to_string());
        let msg = explain_access_denied(&m, "/etc/nut/upsmon.conf", "LOGIN", Some(&local));
        assert!(
            msg.contains("user [upsmon]")
                && msg.contains("UPS [eaton]")
                && msg.contains("/etc/nut/upsd.users"),
            "{msg}"
        );
        let remote = monitor("MONITOR eaton@nas.example 1 upsmon secret secondary");
        let msg = explain_access_denied(&remote, "/etc/nut/upsmon.conf", "LOGIN", None);
        assert!(msg.contains("upsd.users on nas.example") && msg.contains("upsmon secondary"), "{msg}");
    }
}
