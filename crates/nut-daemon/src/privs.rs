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
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_exists_and_unknown_user_says_how_to_fix() {
        assert_eq!(lookup("root").unwrap().uid, 0);
        let err = lookup("no-such-user-xyz").unwrap_err();
        assert!(err.contains("useradd"), "{err}");
    }

    #[test]
    fn dropping_to_root_is_a_no_op() {
        drop_to("root").unwrap();
    }
}
