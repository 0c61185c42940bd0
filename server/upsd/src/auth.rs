//! Who may do what, from `upsd.users`.
//!
//! USERNAME and PASSWORD are accepted blindly (NUT answers OK to anything) and checked only
//! when a privileged request arrives, each time: a wrong password gives ACCESS-DENIED then,
//! never at PASSWORD time.

use nut_conf::upsd_users::{Role, UpsdUsers};

/// A privileged operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right<'a> {
    /// `FSD`: `actions = FSD`, or an upsmon primary.
    Fsd,
    /// `INSTCMD`: `instcmds = <cmd>` or `ALL`.
    Instcmd(&'a str),
    /// `LOGIN`: any upsmon role.
    Login,
    /// `PRIMARY`/`MASTER`: upsmon primary.
    Primary,
    /// `SET VAR`: `actions = SET`.
    Set,
}

/// The accounts.
#[derive(Debug, Clone, Default)]
pub struct Users {
    users: UpsdUsers,
}

impl Users {
    /// Wrap the parsed file.
    pub fn new(users: UpsdUsers) -> Users {
        Users { users }
    }

    /// Number of accounts, for the startup log.
    pub fn len(&self) -> usize {
        self.users.users.len()
    }

    /// True when upsd.users defines nobody.
    pub fn is_empty(&self) -> bool {
        self.users.users.is_empty()
    }

    /// May `user` with `password` do `right`? Unknown users and wrong passwords may not.
    pub fn allows(&self, user: Option<&str>, password: Option<&str>, right: Right<'_>) -> bool {
        let (Some(user), Some(password)) = (user, password) else { return false };
        let Some(u) = self.users.user(user) else {
            tracing::debug!("user {user} not found");
            return false;
        };
        if !u.password_matches(password) {
            tracing::debug!("password mismatch for user {user}");
            return false;
        }
        let role = u.upsmon.as_ref().map(|r| r.role);
        match right {
            Right::Set => u.can_set(),
            Right::Fsd => u.can_fsd() || role == Some(Role::Primary),
            Right::Instcmd(cmd) => u.can_instcmd(cmd),
            Right::Login => u.can_login(),
            Right::Primary => u.can_primary(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users() -> Users {
        let text = "[admin]\n password = secret\n actions = SET FSD\n instcmds = ALL\n\
                    [mon]\n password = pass\n upsmon primary\n\
                    [sec]\n password = pass\n upsmon slave\n\
                    [lim]\n password = pw\n instcmds = load.off\n";
        let (u, _) = nut_conf::upsd_users::parse(text, "upsd.users").expect("valid");
        Users::new(u)
    }

    #[test]
    fn rights_follow_nut() {
        let u = users();
        let ok = |n: &str, p: &str, r: Right<'_>| u.allows(Some(n), Some(p), r);
        assert!(ok("admin", "secret", Right::Set));
        assert!(ok("admin", "secret", Right::Fsd));
        assert!(!ok("admin", "secret", Right::Login));
        assert!(!ok("admin", "wrong", Right::Set));
        assert!(ok("mon", "pass", Right::Login));
        assert!(ok("mon", "pass", Right::Primary));
        assert!(ok("mon", "pass", Right::Fsd));
        assert!(!ok("mon", "pass", Right::Set));
        assert!(ok("sec", "pass", Right::Login));
        assert!(!ok("sec", "pass", Right::Primary));
        assert!(!ok("sec", "pass", Right::Fsd));
        assert!(ok("lim", "pw", Right::Instcmd("LOAD.OFF")));
        assert!(!ok("lim", "pw", Right::Instcmd("beeper.toggle")));
        assert!(!ok("nobody", "pw", Right::Login));
        assert!(!u.allows(None, Some("x"), Right::Login));
    }
}
