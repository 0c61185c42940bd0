//! Checking the permissions of the files a daemon reads, for the account it runs as after
//! dropping root: a thin wrapper that stats the file and its directories and hands the numbers
//! to the pure policy in [`nut_conf::perms`].
//!
//! Every daemon calls [`check_file`] for each configuration file at startup (logging warnings,
//! and refusing to start on errors) and in its check mode (printing everything). A missing
//! file gives nothing here: the caller already reports that with its own wording.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

pub use nut_conf::perms::{FileKind, Reader};
use nut_conf::perms::{FileStat, OwnerNames};
use nut_conf::Diagnostic;

use crate::privs;

fn facts(meta: &std::fs::Metadata) -> (FileStat, OwnerNames) {
    let st = FileStat { mode: meta.mode(), uid: meta.uid(), gid: meta.gid(), is_dir: meta.is_dir() };
    let names = OwnerNames { user: privs::user_name(st.uid), group: privs::group_name(st.gid) };
    (st, names)
}

/// The directories above `path`, outermost first (`/`, `/etc`, `/etc/nut` for
/// `/etc/nut/upsd.users`). A relative path is taken from the current directory.
fn ancestors(path: &Path) -> Vec<std::path::PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map(|d| d.join(path)).unwrap_or_else(|_| path.to_path_buf())
    };
    let mut v: Vec<_> = abs.ancestors().skip(1).map(Path::to_path_buf).collect();
    v.reverse();
    v
}

/// The first directory on the way to `path` that `reader` cannot enter, as an error.
fn check_ancestors(path: &Path, reader: &Reader, program: &str) -> Option<Diagnostic> {
    for dir in ancestors(path) {
        let Ok(meta) = std::fs::metadata(&dir) else { continue };
        let (st, names) = facts(&meta);
        if let Some(d) =
            nut_conf::perms::check_dir(&dir.display().to_string(), &st, &names, reader, program, false)
        {
            // Name the file the user cares about, then the directory in the way.
            return Some(Diagnostic::error(
                &path.display().to_string(),
                0,
                format!("{program} cannot reach this file: {}", d.message),
            ));
        }
    }
    None
}

/// Check file `path` for `reader` (see [`nut_conf::perms::check_file`]), including the
/// directories leading to it. Missing files give no diagnostic.
///
/// `program` names the daemon in the messages (`upsd`, `upsmon`, `dummy-ups`).
pub fn check_file(path: &Path, kind: FileKind, reader: &Reader, program: &str) -> Vec<Diagnostic> {
    let file = path.display().to_string();
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => {
            return vec![Diagnostic::error(
                &file,
                0,
                nut_conf::explain_read_error(&file, e.kind(), &reader.name),
            )]
        }
    };
    let (st, names) = facts(&meta);
    let mut out = Vec::new();
    if let Some(d) = check_ancestors(path, reader, program) {
        out.push(d);
        // The file's own mode still matters for the warning about secrets.
        out.extend(
            nut_conf::perms::check_file(&file, kind, &st, &names, reader, program)
                .into_iter()
                .filter(|d| !d.is_error()),
        );
        return out;
    }
    nut_conf::perms::check_file(&file, kind, &st, &names, reader, program)
}

/// Check that `reader` can create files in directory `dir` (a driver's state path, for its
/// socket and PID file), including the directories leading to it.
pub fn check_dir_writable(dir: &Path, reader: &Reader, program: &str) -> Vec<Diagnostic> {
    let name = dir.display().to_string();
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) => {
            return vec![Diagnostic::error(
                &name,
                0,
                format!(
                    "can't use this state path: {e}; create it for the daemons' group: mkdir -p {name} \
                     && chown root:{} {name} && chmod 0770 {name} (or set statepath / NUT_STATEPATH)",
                    reader.group_name
                ),
            )]
        }
    };
    if let Some(d) = check_ancestors(dir, reader, program) {
        return vec![d];
    }
    let (st, names) = facts(&meta);
    nut_conf::perms::check_dir(&name, &st, &names, reader, program, true).into_iter().collect()
}

/// Check a device node the driver opened as root and may reopen as `reader` after a
/// reconnect (see [`nut_conf::perms::check_device`]).
pub fn check_device(path: &Path, reader: &Reader, program: &str) -> Option<Diagnostic> {
    let meta = std::fs::metadata(path).ok()?;
    let (st, names) = facts(&meta);
    nut_conf::perms::check_device(&path.display().to_string(), &st, &names, reader, program)
}

/// Whether `reader` has the permission bits `want` (4 read, 2 write, 1 search) on `path`, by
/// its owner, group and mode; `None` when it can't be stat'ed.
pub fn allows(path: &Path, reader: &Reader, want: u32) -> Option<bool> {
    let meta = std::fs::metadata(path).ok()?;
    let (st, _) = facts(&meta);
    Some(nut_conf::perms::allows(&st, reader, want))
}

/// Explain why re-reading `path` failed with `err` for the current (already dropped) account:
/// the exact owner/mode reason when the file can be stat'ed, else the generic explanation.
/// Daemons use it when a reload fails.
pub fn explain_read_failure(path: &Path, err: &std::io::Error, program: &str) -> String {
    let file = path.display().to_string();
    let reader = match privs::reader_for(None) {
        Ok(r) => r,
        Err(_) => return nut_conf::explain_read_error(&file, err.kind(), "?"),
    };
    if err.kind() == std::io::ErrorKind::PermissionDenied {
        let kind = nut_conf::perms::kind_for_name(&file);
        let diags = check_file(path, kind, &reader, program);
        if let Some(d) = diags.into_iter().find(Diagnostic::is_error) {
            return d.message;
        }
    }
    nut_conf::explain_read_error(&file, err.kind(), &reader.name)
}

/// Log `diags` (errors as errors, warnings as warnings) and return true if one is an error.
pub fn log_diagnostics(diags: &[Diagnostic]) -> bool {
    let mut bad = false;
    for d in diags {
        if d.is_error() {
            bad = true;
            crate::error!("{d}");
        } else {
            crate::warn!("{d}");
        }
    }
    bad
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn set_mode(p: &Path, mode: u32) {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn world_readable_secret_warns_with_the_real_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("upsd.users");
        std::fs::write(&p, "[u]\n password = x\n").unwrap();
        set_mode(&p, 0o644);
        let me = privs::reader_for(None).unwrap();
        let d = check_file(&p, FileKind::Secret, &me, "upsd");
        assert_eq!(d.len(), 1, "{d:?}");
        let fix = format!("chmod 0640 {0} && chown root:{1} {0}", p.display(), me.group_name);
        assert!(d[0].message.contains(&fix), "{}", d[0]);
        set_mode(&p, 0o640);
        assert!(check_file(&p, FileKind::Secret, &me, "upsd").is_empty());
        // Missing files are the caller's business.
        assert!(check_file(&dir.path().join("nope"), FileKind::Secret, &me, "upsd").is_empty());
    }

    #[test]
    fn unreadable_for_the_user_after_the_drop() {
        // A file readable by root only, checked for another account (what the daemon will be).
        let dir = tempfile::tempdir().unwrap();
        set_mode(dir.path(), 0o755);
        let p = dir.path().join("upsd.users");
        std::fs::write(&p, "").unwrap();
        set_mode(&p, 0o600);
        let other = Reader {
            name: "someone".into(),
            uid: 4_000_000,
            gid: 4_000_000,
            group_name: "somegroup".into(),
            groups: vec![],
        };
        let d = check_file(&p, FileKind::Secret, &other, "upsd");
        assert!(d.iter().any(|d| d.is_error() && d.message.contains("cannot read this file")), "{d:?}");
        // A closed directory on the way is named.
        set_mode(dir.path(), 0o700);
        let d = check_file(&p, FileKind::Secret, &other, "upsd");
        assert!(d[0].message.contains("cannot enter directory"), "{d:?}");
        assert!(d[0].message.contains(&dir.path().display().to_string()), "{d:?}");
        let d = check_dir_writable(dir.path(), &other, "dummy-ups");
        assert!(d[0].is_error(), "{d:?}");
        let me = privs::reader_for(None).unwrap();
        assert!(check_dir_writable(dir.path(), &me, "dummy-ups").is_empty());
        let d = check_dir_writable(&dir.path().join("missing"), &me, "dummy-ups");
        assert!(d[0].message.contains("mkdir -p"), "{d:?}");
    }
}
