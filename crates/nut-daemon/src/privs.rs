//! Dropping root privileges to the configured user (`-u`, `RUN_AS_USER`, `user=`).
//!
//! A daemon opens what needs root (ports below 1024, devices, PID files) first, then drops to the
//! unprivileged user for everything that parses input from the network or devices.

use std::ffi::CString;

/// The account a daemon switches to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// User name.
    pub name: String,
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
}

/// Look a user up in the password database.
pub fn lookup(user: &str) -> Result<Account, String> {
    let cname = CString::new(user).map_err(|_| format!("user name {user:?} contains a NUL byte"))?;
    // SAFETY: getpwnam returns NULL or a pointer to static storage valid until the next call;
    // we copy the fields out immediately and make no other passwd calls in between.
    let pw = unsafe { libc::getpwnam(cname.as_ptr()) };
    if pw.is_null() {
        return Err(format!(
            "user {user:?} does not exist: create it (useradd --system {user}) or choose another with -u / RUN_AS_USER"
        ));
    }
    // SAFETY: pw is non-null and points to a valid passwd record (see above).
    let (uid, gid) = unsafe { ((*pw).pw_uid, (*pw).pw_gid) };
    Ok(Account { name: user.to_string(), uid, gid })
}

/// The effective user id of this process.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

/// Switch to `user` (supplementary groups, group, then user). A no-op when not running as root
/// or when already that user, so running a daemon as an ordinary user just works.
pub fn drop_to(user: &str) -> Result<(), String> {
    if euid() != 0 {
        return Ok(());
    }
    let acct = lookup(user)?;
    if acct.uid == 0 {
        return Ok(());
    }
    let cname = CString::new(user).map_err(|_| "bad user name".to_string())?;
    // SAFETY: plain libc calls with valid arguments; failures are checked through return codes.
    unsafe {
        if libc::initgroups(cname.as_ptr(), acct.gid as _) != 0 {
            return Err(format!("initgroups({user}) failed: {}", std::io::Error::last_os_error()));
        }
        if libc::setgid(acct.gid) != 0 {
            return Err(format!("setgid({}) failed: {}", acct.gid, std::io::Error::last_os_error()));
        }
        if libc::setuid(acct.uid) != 0 {
            return Err(format!("setuid({}) failed: {}", acct.uid, std::io::Error::last_os_error()));
        }
        // setuid as root sets the real, effective and saved ids: getting root back must fail.
        // If it doesn't, the drop did not happen and running on would be a lie.
        if libc::setuid(0) == 0 {
            return Err(format!("switched to {user} but could still regain root; refusing to run"));
        }
    }
    Ok(())
}

/// NUT's compiled-in account (`RUN_AS_USER`), used when root starts a daemon without `-u`.
pub const DEFAULT_USER: &str = "nut";

/// The account a daemon switches to: `explicit` (`-u`, `user =`) if given; else, when running
/// as root, [`DEFAULT_USER`] if it exists (as NUT's upsd and drivers do); else none (an
/// ordinary user keeps its identity, and root without a `nut` account stays root, with a
/// warning).
pub fn run_as(explicit: Option<&str>) -> Option<String> {
    choose_user(explicit, euid(), |u| lookup(u).is_ok())
}

fn choose_user(explicit: Option<&str>, euid: u32, exists: impl Fn(&str) -> bool) -> Option<String> {
    if let Some(u) = explicit {
        return Some(u.to_string());
    }
    if euid != 0 {
        return None;
    }
    if exists(DEFAULT_USER) {
        return Some(DEFAULT_USER.to_string());
    }
    crate::warn!(
        "Running as root: user {DEFAULT_USER:?} does not exist (create it with useradd --system \
         {DEFAULT_USER}, or choose an account with -u <user>)"
    );
    None
}

/// The name of user `uid`, or the number when it has none.
pub fn user_name(uid: u32) -> String {
    // SAFETY: getpwuid returns NULL or a pointer to static storage; we copy the name at once.
    unsafe {
        let pw = libc::getpwuid(uid);
        if pw.is_null() || (*pw).pw_name.is_null() {
            return uid.to_string();
        }
        std::ffi::CStr::from_ptr((*pw).pw_name).to_string_lossy().into_owned()
    }
}

/// The name of group `gid`, or the number when it has none.
pub fn group_name(gid: u32) -> String {
    // SAFETY: getgrgid returns NULL or a pointer to static storage; we copy the name at once.
    unsafe {
        let gr = libc::getgrgid(gid);
        if gr.is_null() || (*gr).gr_name.is_null() {
            return gid.to_string();
        }
        std::ffi::CStr::from_ptr((*gr).gr_name).to_string_lossy().into_owned()
    }
}

/// Every group `acct` belongs to (primary and supplementary), as `initgroups` would set them.
pub fn groups_of(acct: &Account) -> Vec<u32> {
    let Ok(cname) = CString::new(acct.name.as_str()) else { return vec![acct.gid] };
    let mut n: libc::c_int = 64;
    loop {
        let mut buf = vec![0 as libc::gid_t; n as usize];
        let mut count = n;
        // SAFETY: buf holds `count` entries; getgrouplist writes at most that many and updates
        // count (to the number needed when it returns -1).
        let rc = unsafe { libc::getgrouplist(cname.as_ptr(), acct.gid, buf.as_mut_ptr(), &mut count) };
        if rc >= 0 {
            buf.truncate(count.max(0) as usize);
            return buf;
        }
        if count <= n || n > 65536 {
            return vec![acct.gid];
        }
        n = count;
    }
}

/// The groups of this process (effective and supplementary).
fn current_groups() -> Vec<u32> {
    // SAFETY: getgroups(0, NULL) returns the count; the second call fills a buffer that large.
    unsafe {
        let n = libc::getgroups(0, std::ptr::null_mut());
        if n <= 0 {
            return vec![libc::getegid()];
        }
        let mut buf = vec![0 as libc::gid_t; n as usize];
        let got = libc::getgroups(n, buf.as_mut_ptr());
        buf.truncate(got.max(0) as usize);
        buf.push(libc::getegid());
        buf
    }
}

/// The account that will read the configuration once privileges are dropped: `user` when this
/// process is root and will switch to it, else this process's own identity (which is also
/// what `drop_to` keeps when not root).
pub fn reader_for(user: Option<&str>) -> Result<nut_conf::perms::Reader, String> {
    if euid() == 0 {
        if let Some(user) = user {
            let acct = lookup(user)?;
            let groups = groups_of(&acct);
            return Ok(nut_conf::perms::Reader {
                group_name: group_name(acct.gid),
                name: acct.name,
                uid: acct.uid,
                gid: acct.gid,
                groups,
            });
        }
    }
    let uid = euid();
    // SAFETY: getegid has no preconditions.
    let gid = unsafe { libc::getegid() };
    Ok(nut_conf::perms::Reader {
        name: user_name(uid),
        uid,
        gid,
        group_name: group_name(gid),
        groups: current_groups(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn root_exists_and_unknown_user_says_how_to_fix() {
        assert_eq!(lookup("root").unwrap().uid, 0);
        let err = lookup("no-such-user-xyz").unwrap_err();
        assert!(err.contains("useradd"), "{err}");
    }

    #[test]
    fn reader_of_root_and_of_nobody() {
        let me = reader_for(None).unwrap();
        assert_eq!(me.uid, euid());
        assert!(me.groups.contains(&me.gid));
        assert_eq!(user_name(0), "root");
        assert_eq!(group_name(0), "root");
        assert_eq!(user_name(4_000_000_000), "4000000000");
        if euid() == 0 {
            if let Ok(acct) = lookup("nobody") {
                let r = reader_for(Some("nobody")).unwrap();
                assert_eq!((r.uid, r.gid), (acct.uid, acct.gid));
                assert!(r.groups.contains(&acct.gid));
                assert_eq!(r.group_name, group_name(acct.gid));
            }
        }
    }

    #[test]
    fn root_without_an_account_drops_to_nut_when_it_exists() {
        assert_eq!(choose_user(Some("ups"), 0, |_| false).as_deref(), Some("ups"));
        assert_eq!(choose_user(None, 0, |u| u == "nut").as_deref(), Some("nut"));
        assert_eq!(choose_user(None, 0, |_| false), None);
        assert_eq!(choose_user(None, 1000, |_| true), None);
        assert_eq!(choose_user(Some("x"), 1000, |_| true).as_deref(), Some("x"));
    }

    #[test]
    fn dropping_to_root_is_a_no_op() {
        drop_to("root").unwrap();
    }
}
