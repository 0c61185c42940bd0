//! Permission policy for NUT's files, as a pure function of the numbers `stat(2)` gives.
//!
//! Two questions are asked of every file a daemon reads:
//!
//! - can the account the daemon runs as (after dropping root) read it, and if not, why
//!   (owner, group, mode) and what fixes it: an ERROR, because the daemon re-reads the file on
//!   reload as that account and would fail then;
//! - for files holding passwords or keys (`upsd.users`, `upsmon.conf`, `upsd.conf` with
//!   `CERTIDENT`, a `CERTFILE`), can anybody beyond the owner and the daemon's group read or
//!   write it: a WARNING naming the `chmod 0640 ... && chown root:<group> ...` fix, NUT's
//!   recommendation.
//!
//! The caller (nut-daemon's `files` module) does the `stat` and the user database lookups and
//! passes the results in; nothing here touches the system, so every case is unit-tested.

use crate::Diagnostic;

/// What `stat(2)` says about a file or directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// `st_mode` (only the permission bits and the directory flag are used).
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// Group gid.
    pub gid: u32,
    /// True for a directory.
    pub is_dir: bool,
}

/// Names for the numbers in a [`FileStat`], for the messages (`root`, `nut`, or the number
/// when the id has no name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerNames {
    /// The owner's user name.
    pub user: String,
    /// The group's name.
    pub group: String,
}

/// The account that must read the file: the one the daemon runs as after dropping root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    /// User name (`nut`).
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Name of the primary group, used in the suggested `chown root:<group>`.
    pub group_name: String,
    /// Supplementary group ids (the primary group may be repeated here).
    pub groups: Vec<u32>,
}

impl Reader {
    /// True if the account is in group `gid` (primary or supplementary).
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }
}

/// Why a file matters, which decides the checks and the wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// Holds passwords or a private key: must be readable by the daemon and by nobody else
    /// beyond root and the daemon's group.
    Secret,
    /// Ordinary configuration (`ups.conf`, a `.dev` file): must be readable by the daemon.
    Config,
}

/// Which permission class (owner, group, other) applies to `reader`, as the kernel decides:
/// the first that matches, without falling through (an owner without the read bit can't read
/// even when "other" may).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Root,
    Owner,
    Group,
    Other,
}

fn class(st: &FileStat, reader: &Reader) -> Class {
    if reader.uid == 0 {
        Class::Root
    } else if st.uid == reader.uid {
        Class::Owner
    } else if reader.in_group(st.gid) {
        Class::Group
    } else {
        Class::Other
    }
}

/// True if `reader` has every bit of `want` (4 read, 2 write, 1 execute/search) on the file.
pub fn allows(st: &FileStat, reader: &Reader, want: u32) -> bool {
    let bits = match class(st, reader) {
        // Root reads, writes and searches anything (CAP_DAC_OVERRIDE); executing a file is
        // never asked here.
        Class::Root => return true,
        Class::Owner => (st.mode >> 6) & 7,
        Class::Group => (st.mode >> 3) & 7,
        Class::Other => st.mode & 7,
    };
    bits & want == want
}

fn describe(st: &FileStat, names: &OwnerNames) -> String {
    format!("owned by {}:{} with mode {:04o}", names.user, names.group, st.mode & 0o7777)
}

fn who_runs(reader: &Reader, program: &str) -> String {
    format!("{}, which {program} runs as,", who(reader))
}

fn who(reader: &Reader) -> String {
    format!("user {} (uid {}, group {})", reader.name, reader.uid, reader.group_name)
}

/// The fix NUT recommends for a file the daemon reads.
fn fix(path: &str, reader: &Reader) -> String {
    format!("chmod 0640 {path} && chown root:{} {path}", reader.group_name)
}

/// Check one file read by `program` running as `reader`: an error if `reader` can't read it,
/// and for [`FileKind::Secret`] a warning if others than the owner and its group may read or
/// write it (or its group may write it). Diagnostics are whole-file (`line` 0).
///
/// ```
/// use nut_conf::perms::{check_file, FileKind, FileStat, OwnerNames, Reader};
/// let nut = Reader { name: "nut".into(), uid: 102, gid: 105, group_name: "nut".into(), groups: vec![] };
/// let st = FileStat { mode: 0o644, uid: 0, gid: 105, is_dir: false };
/// let names = OwnerNames { user: "root".into(), group: "nut".into() };
/// let d = check_file("/etc/nut/upsd.users", FileKind::Secret, &st, &names, &nut, "upsd");
/// assert!(d[0].message.contains("chmod 0640 /etc/nut/upsd.users && chown root:nut /etc/nut/upsd.users"));
/// ```
pub fn check_file(
    path: &str,
    kind: FileKind,
    st: &FileStat,
    names: &OwnerNames,
    reader: &Reader,
    program: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if st.is_dir {
        out.push(Diagnostic::error(path, 0, "this is a directory; a file is expected here"));
        return out;
    }
    if !allows(st, reader, 4) {
        let why = match class(st, reader) {
            Class::Owner => {
                format!("{} owns it but the mode gives the owner no read permission", reader.name)
            }
            Class::Group => format!(
                "{} is in group {} but the mode gives the group no read permission",
                reader.name, names.group
            ),
            _ => format!(
                "{} is neither its owner nor in group {}, and others may not read it",
                reader.name, names.group
            ),
        };
        out.push(Diagnostic::error(
            path,
            0,
            format!(
                "{program} runs as {} and cannot read this file: it is {} ({why}). {program} reads it \
                 again as that user after dropping root privileges (on reload, or when the file changes), so fix it now: {}{}",
                who(reader),
                describe(st, names),
                fix(path, reader),
                if kind == FileKind::Secret { "" } else { " (or chmod 0644 if it holds no secret)" }
            ),
        ));
    }
    if kind == FileKind::Secret {
        let world = st.mode & 0o007;
        let group_write = st.mode & 0o020 != 0;
        if world != 0 || group_write {
            let mut what = Vec::new();
            if world & 4 != 0 {
                what.push("readable by every user");
            }
            if world & 2 != 0 {
                what.push("writable by every user");
            }
            if world & 1 != 0 && world & 6 == 0 {
                what.push("executable by every user");
            }
            if group_write {
                what.push("writable by its group");
            }
            out.push(Diagnostic::warning(
                path,
                0,
                format!(
                    "this file holds passwords or keys but is {} ({}); NUT recommends mode 0640, owner \
                     root and the group {} runs as: {}",
                    what.join(" and "),
                    describe(st, names),
                    program,
                    fix(path, reader)
                ),
            ));
        }
    }
    out
}

/// Check that `reader` can enter directory `path` (needed to reach any file inside): an error
/// naming the fix otherwise. `need_write` also requires creating files there (a state path
/// where a driver makes its socket and PID file).
pub fn check_dir(
    path: &str,
    st: &FileStat,
    names: &OwnerNames,
    reader: &Reader,
    program: &str,
    need_write: bool,
) -> Option<Diagnostic> {
    if !st.is_dir {
        return Some(Diagnostic::error(path, 0, "this is not a directory"));
    }
    let (search, write) = (allows(st, reader, 1), allows(st, reader, 3));
    if need_write && !write {
        return Some(Diagnostic::error(
            path,
            0,
            format!(
                "{} cannot create files in directory {path} (owned by {}:{} with mode {:04o}), and {program} \
                 makes its socket and PID file there as that user. NUT's state path belongs to the daemons' \
                 group: chown root:{} {path} && chmod 0770 {path}",
                who_runs(reader, program),
                names.user,
                names.group,
                st.mode & 0o7777,
                reader.group_name
            ),
        ));
    }
    if !search {
        return Some(Diagnostic::error(
            path,
            0,
            format!(
                "{} cannot enter directory {path} (owned by {}:{} with mode {:04o}). Let the group in: \
                 chgrp {} {path} && chmod g+x {path} (or chmod o+x {path})",
                who_runs(reader, program),
                names.user,
                names.group,
                st.mode & 0o7777,
                reader.group_name
            ),
        ));
    }
    None
}

/// Check a device node (`/dev/bus/usb/BBB/DDD`, a serial port) that a driver opened as root
/// and reopens as `reader` after a reconnect: a warning naming the fix when `reader` could not
/// open it for reading and writing.
pub fn check_device(
    path: &str,
    st: &FileStat,
    names: &OwnerNames,
    reader: &Reader,
    program: &str,
) -> Option<Diagnostic> {
    if allows(st, reader, 6) {
        return None;
    }
    Some(Diagnostic::warning(
        path,
        0,
        format!(
            "{program} opened this device as root, but {} could not open it again after a reconnect (it \
             is {}): install NUT's udev rules so the device belongs to group {} (Debian's nut-server \
             ships /lib/udev/rules.d/62-nut-usbups.rules; then: udevadm control --reload-rules && \
             udevadm trigger), or for a quick test: chgrp {} {path} && chmod g+rw {path}",
            who(reader),
            describe(st, names),
            reader.group_name,
            reader.group_name
        ),
    ))
}

/// True if the parsed `upsd.conf` holds a secret (a `CERTIDENT` password), which makes the file
/// itself a [`FileKind::Secret`].
pub fn upsd_conf_has_secret(conf: &crate::upsd_conf::UpsdConf) -> bool {
    conf.certident.is_some()
}

/// The kind of a file from its name alone: `upsd.users` and `upsmon.conf` always hold
/// passwords; for `upsd.conf` and `ups.conf` it depends on their contents (see
/// [`upsd_conf_has_secret`], [`ups_conf_has_secret`]), so they count as configuration here.
pub fn kind_for_name(path: &str) -> FileKind {
    match path.rsplit('/').next().unwrap_or(path) {
        "upsd.users" | "upsmon.conf" => FileKind::Secret,
        _ => FileKind::Config,
    }
}

/// True if `ups.conf` holds a secret: a driver option such as SNMP `community`,
/// `authPassword`/`privPassword` or a network driver's `password`.
pub fn ups_conf_has_secret(conf: &crate::ups_conf::UpsConf) -> bool {
    conf.sections.iter().any(|s| s.options.iter().any(|o| crate::ups_conf::is_secret_key(&o.key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nut() -> Reader {
        Reader { name: "nut".into(), uid: 102, gid: 105, group_name: "nut".into(), groups: vec![105] }
    }

    fn root() -> Reader {
        Reader { name: "root".into(), uid: 0, gid: 0, group_name: "root".into(), groups: vec![0] }
    }

    fn f(mode: u32, uid: u32, gid: u32) -> FileStat {
        FileStat { mode, uid, gid, is_dir: false }
    }

    fn names(user: &str, group: &str) -> OwnerNames {
        OwnerNames { user: user.into(), group: group.into() }
    }

    const P: &str = "/etc/nut/upsd.users";

    #[test]
    fn nut_recommended_layout_is_silent() {
        let d = check_file(P, FileKind::Secret, &f(0o640, 0, 105), &names("root", "nut"), &nut(), "upsd");
        assert!(d.is_empty(), "{d:?}");
        // Owned by the daemon's user, private: fine too.
        let d = check_file(P, FileKind::Secret, &f(0o600, 102, 105), &names("nut", "nut"), &nut(), "upsd");
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn world_readable_secret_gets_the_exact_fix() {
        let d = check_file(P, FileKind::Secret, &f(0o644, 0, 105), &names("root", "nut"), &nut(), "upsd");
        assert_eq!(d.len(), 1, "{d:?}");
        assert!(!d[0].is_error());
        let m = &d[0].message;
        assert!(m.contains("readable by every user"), "{m}");
        assert!(m.contains("mode 0644"), "{m}");
        assert!(m.contains("chmod 0640 /etc/nut/upsd.users && chown root:nut /etc/nut/upsd.users"), "{m}");
        // Writable by everybody and by the group are named too.
        let d = check_file(P, FileKind::Secret, &f(0o666, 0, 105), &names("root", "nut"), &nut(), "upsd");
        assert!(d[0].message.contains("readable by every user and writable by every user"), "{d:?}");
        let d = check_file(P, FileKind::Secret, &f(0o660, 0, 105), &names("root", "nut"), &nut(), "upsd");
        assert!(d[0].message.contains("writable by its group"), "{d:?}");
        // The group in the fix is the daemon's group, whatever the file has now.
        let ups =
            Reader { name: "ups".into(), uid: 50, gid: 60, group_name: "upsgrp".into(), groups: vec![] };
        let d = check_file(P, FileKind::Secret, &f(0o644, 0, 0), &names("root", "root"), &ups, "upsd");
        assert!(d.iter().any(|x| x.message.contains("chown root:upsgrp")), "{d:?}");
        // A non-secret file may be world-readable.
        let d = check_file(
            "/etc/nut/ups.conf",
            FileKind::Config,
            &f(0o644, 0, 0),
            &names("root", "root"),
            &nut(),
            "upsd",
        );
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn unreadable_file_says_why_and_how_to_fix() {
        // root:root 0600: nut is "other".
        let d = check_file(P, FileKind::Secret, &f(0o600, 0, 0), &names("root", "root"), &nut(), "upsd");
        assert_eq!(d.len(), 1);
        assert!(d[0].is_error());
        let m = &d[0].message;
        assert!(m.contains("upsd runs as user nut (uid 102, group nut)"), "{m}");
        assert!(m.contains("owned by root:root with mode 0600"), "{m}");
        assert!(m.contains("neither its owner nor in group root"), "{m}");
        assert!(m.contains("chmod 0640 /etc/nut/upsd.users && chown root:nut /etc/nut/upsd.users"), "{m}");
        // Group without read.
        let d = check_file(P, FileKind::Secret, &f(0o600, 0, 105), &names("root", "nut"), &nut(), "upsd");
        assert!(d[0].message.contains("in group nut but the mode gives the group no read"), "{d:?}");
        // Owner without read, although others may: the kernel does not fall through.
        let d = check_file(P, FileKind::Config, &f(0o044, 102, 0), &names("nut", "root"), &nut(), "upsd");
        assert!(d[0].is_error() && d[0].message.contains("owns it"), "{d:?}");
        // Supplementary group membership counts.
        let mut r = nut();
        r.groups.push(7);
        let d = check_file(P, FileKind::Secret, &f(0o640, 0, 7), &names("root", "lp"), &r, "upsd");
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn root_reads_everything_but_still_gets_warnings() {
        let d = check_file(P, FileKind::Secret, &f(0o000, 5, 5), &names("x", "x"), &root(), "upsmon");
        assert!(d.is_empty(), "{d:?}");
        let d = check_file(P, FileKind::Secret, &f(0o604, 0, 0), &names("root", "root"), &root(), "upsmon");
        assert_eq!(d.len(), 1);
        assert!(d[0].message.contains("chown root:root"), "{d:?}");
    }

    #[test]
    fn directories() {
        let dir = |mode, uid, gid| FileStat { mode, uid, gid, is_dir: true };
        let d = check_dir("/tmp/x", &dir(0o700, 0, 0), &names("root", "root"), &nut(), "upsd", false)
            .expect("error");
        assert!(d.message.contains("user nut (uid 102, group nut), which upsd runs as, cannot enter directory /tmp/x (owned by root:root with mode 0700)"), "{d}");
        assert!(d.message.contains("chgrp nut /tmp/x && chmod g+x /tmp/x"), "{d}");
        assert!(
            check_dir("/etc/nut", &dir(0o755, 0, 0), &names("root", "root"), &nut(), "upsd", false).is_none()
        );
        let d = check_dir("/run/nut", &dir(0o755, 0, 0), &names("root", "root"), &nut(), "dummy-ups", true)
            .expect("error");
        assert!(d.message.contains("chown root:nut /run/nut && chmod 0770 /run/nut"), "{d}");
        assert!(
            check_dir("/run/nut", &dir(0o770, 0, 105), &names("root", "nut"), &nut(), "d", true).is_none()
        );
        assert!(
            check_dir("/run/nut", &dir(0o700, 0, 0), &names("root", "root"), &root(), "d", true).is_none()
        );
        assert!(check_dir("/x", &f(0o644, 0, 0), &names("root", "root"), &nut(), "d", false).is_some());
    }

    #[test]
    fn directory_where_a_file_is_expected() {
        let st = FileStat { mode: 0o755, uid: 0, gid: 0, is_dir: true };
        let d = check_file(P, FileKind::Secret, &st, &names("root", "root"), &nut(), "upsd");
        assert!(d[0].is_error() && d[0].message.contains("directory"), "{d:?}");
    }

    #[test]
    fn secrets_in_parsed_files() {
        let (c, _) = crate::ups_conf::parse("[u]\n driver = snmp-ups\n port = h\n community = x\n", "u")
            .expect("valid");
        assert!(ups_conf_has_secret(&c));
        let (c, _) = crate::ups_conf::parse("[u]\n driver = dummy-ups\n port = h\n", "u").expect("valid");
        assert!(!ups_conf_has_secret(&c));
        let (c, _) = crate::upsd_conf::parse("CERTIDENT \"n\" \"p\"\n", "u").expect("valid");
        assert!(upsd_conf_has_secret(&c));
    }

    #[test]
    fn device_nodes_need_read_and_write() {
        let dev = f(0o664, 0, 0);
        let d = check_device("/dev/bus/usb/001/004", &dev, &names("root", "root"), &nut(), "usbhid-ups")
            .expect("warning");
        assert!(!d.is_error());
        assert!(
            d.message.contains("chgrp nut /dev/bus/usb/001/004 && chmod g+rw /dev/bus/usb/001/004"),
            "{d}"
        );
        let dev = f(0o664, 0, 105);
        assert!(check_device("/dev/x", &dev, &names("root", "nut"), &nut(), "u").is_none());
    }

    #[test]
    fn kinds_by_name() {
        assert_eq!(kind_for_name("/etc/nut/upsd.users"), FileKind::Secret);
        assert_eq!(kind_for_name("upsmon.conf"), FileKind::Secret);
        assert_eq!(kind_for_name("/etc/nut/ups.conf"), FileKind::Config);
    }
}
