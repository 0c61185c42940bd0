//! Messages for when a configuration file can't be read. Pure: the caller does the reading and
//! passes the error kind and the account it runs as.

use std::io::ErrorKind;

/// The base name of a path (`/etc/nut/upsd.users` gives `upsd.users`).
fn base(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Files holding passwords, which NUT recommends to be `0640 root:nut`.
fn is_secret(name: &str) -> bool {
    matches!(name, "upsd.users" | "upsmon.conf" | "upsd.conf" | "nutauth.conf")
}

/// Explain why `path` could not be read, and what to do, for `kind` (from `io::Error::kind()`)
/// when running as the account `running_as` (e.g. "nut" or "root").
///
/// ```
/// use std::io::ErrorKind;
/// let m = nut_conf::explain_read_error("/etc/nut/upsd.users", ErrorKind::PermissionDenied, "nut");
/// assert!(m.contains("chown root:nut /etc/nut/upsd.users"));
/// ```
pub fn explain_read_error(path: &str, kind: ErrorKind, running_as: &str) -> String {
    let name = base(path);
    match kind {
        ErrorKind::NotFound => {
            let sample = format!("{path}.sample");
            format!(
                "can't read {path}: no such file. Create it (NUT ships an example: cp {sample} \
                 {path}, then edit it), or point NUT_CONFPATH at the directory that holds {name}"
            )
        }
        ErrorKind::PermissionDenied => {
            if is_secret(name) {
                format!(
                    "can't read {path}: permission denied for user \"{running_as}\". This file \
                     holds passwords: make it readable by root and the nut group only, and run \
                     the daemon as a member of that group: chown root:nut {path} && chmod 0640 {path}"
                )
            } else {
                format!(
                    "can't read {path}: permission denied for user \"{running_as}\". The account \
                     the program runs as must be able to read it: chown root:nut {path} && chmod \
                     0640 {path} (and make sure \"{running_as}\" is in group nut and can enter \
                     the directory)"
                )
            }
        }
        ErrorKind::IsADirectory => {
            format!("can't read {path}: it is a directory; {name} must be a file")
        }
        ErrorKind::InvalidData => {
            format!("can't read {path}: it is not valid UTF-8 text; save it as plain text (UTF-8 or ASCII)")
        }
        other => format!("can't read {path}: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_fix() {
        let m = explain_read_error("/etc/nut/upsmon.conf", ErrorKind::PermissionDenied, "nut");
        assert!(m.contains("\"nut\"") && m.contains("chmod 0640 /etc/nut/upsmon.conf"), "{m}");
        assert!(m.contains("passwords"), "{m}");
        let m = explain_read_error("/etc/nut/ups.conf", ErrorKind::PermissionDenied, "nut");
        assert!(m.contains("chown root:nut /etc/nut/ups.conf") && !m.contains("passwords"), "{m}");
        let m = explain_read_error("/etc/nut/ups.conf", ErrorKind::NotFound, "root");
        assert!(m.contains("cp /etc/nut/ups.conf.sample /etc/nut/ups.conf"), "{m}");
        assert!(m.contains("NUT_CONFPATH"), "{m}");
        let m = explain_read_error("/etc/nut", ErrorKind::IsADirectory, "root");
        assert!(m.contains("directory"), "{m}");
        let m = explain_read_error("x", ErrorKind::Other, "root");
        assert!(m.starts_with("can't read x: "), "{m}");
    }
}
