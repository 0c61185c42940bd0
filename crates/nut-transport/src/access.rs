//! Why a device node could not be opened, and the fix: NUT's report (the error, the user the
//! driver runs as, the node's owner, group and mode, "Things to try") with the concrete
//! command for this OS: serial ports belong to group `dialout` on Debian and most Linux
//! systems, `dialer` on OpenBSD, `uucp` elsewhere (FreeBSD, macOS, Arch's older rules). Pure:
//! the caller passes what `stat` and the user database said, so it is tested with fake data.

/// What `stat` and the group database say about the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    /// Owner uid.
    pub uid: u32,
    /// Owner name, if the user database knows it.
    pub owner: Option<String>,
    /// Group gid.
    pub gid: u32,
    /// Group name, if known.
    pub group: Option<String>,
    /// `st_mode` (only the permission bits are used).
    pub mode: u32,
}

/// The user the driver runs as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runner {
    /// Its uid.
    pub uid: u32,
    /// Its name, if known.
    pub name: Option<String>,
    /// The gids of the groups it is in (primary and supplementary).
    pub gids: Vec<u32>,
}

/// Which conventions to suggest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Debian and other Linux systems: group `dialout`, `usermod -a -G`.
    Linux,
    /// OpenBSD: group `dialer`, `usermod -G`.
    OpenBsd,
    /// FreeBSD, macOS and the rest: group `uucp`.
    Other,
}

impl Os {
    /// The OS this program was built for.
    pub fn current() -> Os {
        if cfg!(target_os = "linux") {
            Os::Linux
        } else if cfg!(target_os = "openbsd") {
            Os::OpenBsd
        } else {
            Os::Other
        }
    }

    /// The group that owns serial ports by convention.
    pub fn serial_group(self) -> &'static str {
        match self {
            Os::Linux => "dialout",
            Os::OpenBsd => "dialer",
            Os::Other => "uucp",
        }
    }

    fn add_to_group(self, user: &str, group: &str) -> String {
        match self {
            Os::Linux => format!("usermod -a -G {group} {user}"),
            Os::OpenBsd => format!("usermod -G {group} {user}"),
            Os::Other => format!("pw groupmod {group} -m {user} (FreeBSD) or dseditgroup -o edit -a {user} -t user {group} (macOS)"),
        }
    }
}

fn who(name: &Option<String>, id: u32) -> String {
    match name {
        Some(n) => format!("{n} ({id})"),
        None => format!("{id}"),
    }
}

/// The report for a failed open of `port` with error `error` (strerror text). `node` is
/// `None` when the node can't be stat'ed (a wrong `port`, or a path the user can't search).
pub fn open_failure(port: &str, error: &str, node: Option<&NodeInfo>, runner: &Runner, os: Os) -> String {
    let mut s = format!("Unable to open {port}: {error}\n\n");
    let Some(node) = node else {
        s.push_str("Things to try:\n\n - Check 'port=' in ups.conf\n\n - Check owner/permissions of all parts of path\n");
        return s;
    };
    let user = runner.name.clone().unwrap_or_else(|| runner.uid.to_string());
    s.push_str(&format!("  Current user id: {}\n", who(&runner.name, runner.uid)));
    s.push_str(&format!("Serial port owner: {}\n", who(&node.owner, node.uid)));
    s.push_str(&format!("Serial port group: {}\n", who(&node.group, node.gid)));
    s.push_str(&format!("     Mode of port: {:04o}\n\n", node.mode & 0o7777));
    s.push_str("Things to try:\n\n");
    let group_rw = node.mode & 0o060 == 0o060;
    let in_group = runner.gids.contains(&node.gid);
    let group = node.group.clone().unwrap_or_else(|| node.gid.to_string());
    if runner.uid != 0 && group_rw && !in_group {
        s.push_str(&format!(
            " - Add user '{user}' to group '{group}', which may read and write {port}: {}\n   then restart the driver (group membership is read at login/start)\n\n",
            os.add_to_group(&user, &group)
        ));
    } else if runner.uid != 0 && in_group && !group_rw {
        s.push_str(&format!(
            " - Give group '{group}' read/write access: chmod g+rw {port} (and make it permanent in the device rules)\n\n"
        ));
    } else if runner.uid != 0 && !group_rw {
        let conventional = os.serial_group();
        s.push_str(&format!(
            " - Serial ports usually belong to group '{conventional}' with mode 0660: chgrp {conventional} {port} && chmod g+rw {port}\n   (permanently through udev/devfs rules), then add user '{user}' to it: {}\n\n",
            os.add_to_group(&user, conventional)
        ));
    }
    s.push_str(" - Use another port (with the right permissions)\n\n");
    s.push_str(" - Fix the port owner/group or permissions on this port\n\n");
    s.push_str(" - Run this driver as another user (upsdrvctl -u or 'user=...' in ups.conf).\n");
    s.push_str("   See upsdrvctl(8) and ups.conf(5).\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(gid: u32, group: &str, mode: u32) -> NodeInfo {
        NodeInfo { uid: 0, owner: Some("root".into()), gid, group: Some(group.into()), mode: 0o20000 | mode }
    }

    fn nut(gids: &[u32]) -> Runner {
        Runner { uid: 112, name: Some("nut".into()), gids: gids.to_vec() }
    }

    #[test]
    fn debian_dialout_names_node_user_and_fix() {
        let m = open_failure(
            "/dev/ttyS0",
            "Permission denied",
            Some(&node(20, "dialout", 0o660)),
            &nut(&[118]),
            Os::Linux,
        );
        assert!(
            m.starts_with("Unable to open /dev/ttyS0: Permission denied\n\n  Current user id: nut (112)\n"),
            "{m}"
        );
        assert!(
            m.contains(
                "Serial port owner: root (0)\nSerial port group: dialout (20)\n     Mode of port: 0660\n"
            ),
            "{m}"
        );
        assert!(m.contains("Add user 'nut' to group 'dialout'"), "{m}");
        assert!(m.contains("usermod -a -G dialout nut"), "{m}");
    }

    #[test]
    fn openbsd_and_others_use_their_group() {
        let m = open_failure(
            "/dev/cua00",
            "Permission denied",
            Some(&node(117, "dialer", 0o660)),
            &nut(&[]),
            Os::OpenBsd,
        );
        assert!(m.contains("usermod -G dialer nut"), "{m}");
        // A node only root may use: the conventional group of the OS is suggested.
        let m = open_failure(
            "/dev/cuau0",
            "Permission denied",
            Some(&node(0, "wheel", 0o600)),
            &nut(&[]),
            Os::Other,
        );
        assert!(m.contains("chgrp uucp /dev/cuau0 && chmod g+rw /dev/cuau0"), "{m}");
        assert!(m.contains("pw groupmod uucp -m nut"), "{m}");
        let m = open_failure(
            "/dev/ttyUSB0",
            "Permission denied",
            Some(&node(0, "root", 0o600)),
            &nut(&[]),
            Os::Linux,
        );
        assert!(m.contains("chgrp dialout /dev/ttyUSB0"), "{m}");
    }

    #[test]
    fn in_group_without_group_write_and_missing_node() {
        let m = open_failure(
            "/dev/ttyS1",
            "Permission denied",
            Some(&node(20, "dialout", 0o640)),
            &nut(&[20]),
            Os::Linux,
        );
        assert!(m.contains("chmod g+rw /dev/ttyS1"), "{m}");
        assert!(!m.contains("usermod"), "{m}");
        let m = open_failure("/dev/ttyXX", "No such file or directory", None, &nut(&[]), Os::Linux);
        assert_eq!(
            m,
            "Unable to open /dev/ttyXX: No such file or directory\n\nThings to try:\n\n - Check 'port=' in ups.conf\n\n - Check owner/permissions of all parts of path\n"
        );
        // Unknown names: numbers are printed.
        let n = NodeInfo { uid: 5, owner: None, gid: 6, group: None, mode: 0o660 };
        let r = Runner { uid: 7, name: None, gids: vec![] };
        let m = open_failure("/dev/x", "Permission denied", Some(&n), &r, Os::Linux);
        assert!(m.contains("  Current user id: 7\nSerial port owner: 5\nSerial port group: 6\n"), "{m}");
        assert!(m.contains("usermod -a -G 6 7"), "{m}");
    }
}
