//! `upsd.users`: the accounts upsd accepts, one `[user]` section each.
//!
//! Per user: `password = x`, `actions = SET FSD` (repeatable, several per line),
//! `instcmds = cmd|ALL` (repeatable, several per line), and `upsmon primary|secondary`
//! (the pre-2.8 words `master`/`slave` mean the same; we keep which word was used).
//!
//! As in NUT 2.8.5: setting names are case-insensitive, `allowfrom` is ignored with a warning,
//! unknown settings are warnings ("Unrecognized user setting"), a second `password` is
//! ignored (the first wins), and besides `SET` and `FSD` the undocumented actions `LOGIN`,
//! `MASTER` and `PRIMARY` grant what `upsmon` grants (NUT's `upsmon primary` is the actions
//! login, master and fsd). Where we differ: a second section for the same user is ignored with
//! a warning (NUT adds its settings to whichever user came before it); an unknown `upsmon`
//! role is an error (NUT logs "Unknown upsmon type" and the user then fails to log in as upsmon,
//! far from the cause); `password secret` and `actions SET` without `=`, which NUT ignores, are
//! read with a warning saying so; any other action word is reported (NUT keeps it, and it
//! grants nothing).

use crate::diag::{Parsed, Sink};
use crate::lexer::lex;

/// The parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsdUsers {
    /// Users in file order (duplicates removed, first wins).
    pub users: Vec<User>,
}

impl UpsdUsers {
    /// The user called `name` (case-sensitive, as NUT compares user names).
    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }
}

/// One `[name]` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    /// The user name.
    pub name: String,
    /// Line of the `[name]` header.
    pub line: usize,
    /// `password`; a user without one cannot log in.
    pub password: Option<String>,
    /// `actions`, in file order.
    pub actions: Vec<Action>,
    /// `instcmds`, as written (`ALL` allows every command).
    pub instcmds: Vec<String>,
    /// `upsmon primary|secondary|master|slave`.
    pub upsmon: Option<UpsmonRole>,
}

impl User {
    /// May this user run `SET VAR`?
    pub fn can_set(&self) -> bool {
        self.actions.contains(&Action::Set)
    }

    /// May this user run `FSD`?
    pub fn can_fsd(&self) -> bool {
        self.actions.contains(&Action::Fsd)
    }

    /// May this user run `LOGIN`? (any upsmon role, or `actions = LOGIN`)
    pub fn can_login(&self) -> bool {
        self.upsmon.is_some() || self.actions.contains(&Action::Login)
    }

    /// May this user run `PRIMARY`/`MASTER`? (upsmon primary, or `actions = PRIMARY|MASTER`)
    pub fn can_primary(&self) -> bool {
        self.upsmon.as_ref().is_some_and(|r| r.role == Role::Primary)
            || self.actions.contains(&Action::Primary)
    }

    /// May this user run instant command `cmd`? (`ALL` in any case allows everything; command
    /// names compare case-insensitively as in NUT.)
    pub fn can_instcmd(&self, cmd: &str) -> bool {
        self.instcmds.iter().any(|c| c.eq_ignore_ascii_case("ALL") || c.eq_ignore_ascii_case(cmd))
    }

    /// Checks a password (exact comparison; NUT keeps them in clear text).
    pub fn password_matches(&self, pass: &str) -> bool {
        self.password.as_deref() == Some(pass)
    }
}

/// `actions` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `SET`: change variables.
    Set,
    /// `FSD`: set forced shutdown.
    Fsd,
    /// `LOGIN` (undocumented; part of any `upsmon` role in NUT).
    Login,
    /// `PRIMARY` or `MASTER` (undocumented; part of `upsmon primary` in NUT).
    Primary,
}

/// A user's upsmon role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpsmonRole {
    /// What it means.
    pub role: Role,
    /// The word as written (`primary`, `master`, ...), to echo it back in messages.
    pub word: String,
    /// Line it was set on.
    pub line: usize,
}

/// upsmon roles; `master`/`slave` are the legacy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The machine powered by the UPS that shuts it down (`primary`, legacy `master`).
    Primary,
    /// Other machines (`secondary`, legacy `slave`).
    Secondary,
}

impl Role {
    /// Read `primary|secondary|master|slave`, any case.
    pub fn parse(word: &str) -> Option<Role> {
        match word.to_ascii_lowercase().as_str() {
            "primary" | "master" => Some(Role::Primary),
            "secondary" | "slave" => Some(Role::Secondary),
            _ => None,
        }
    }
}

/// Every user setting upsd.users knows (`allowfrom` is read only to warn that NUT dropped it).
pub const KEYS: &[&str] = &["password", "actions", "instcmds", "upsmon", "allowfrom"];

/// Parse `upsd.users` text; `file` names it in diagnostics.
pub fn parse(text: &str, file: &str) -> Parsed<UpsdUsers> {
    let (lines, diags) = lex(text, file);
    let mut sink = Sink::new(file, diags);
    let mut users = UpsdUsers::default();
    // The section being filled; `None` before the first one, or for an ignored duplicate.
    let mut cur: Option<User> = None;
    let mut in_duplicate = false;

    for line in &lines {
        let n = line.line;
        if let Some(name) = line.section() {
            if let Some(u) = cur.take() {
                finish(&mut sink, &mut users, u);
            }
            if line.words.len() > 1 {
                sink.warn(n, format!("text after [{name}] is ignored; put each setting on its own line"));
            }
            if name.is_empty() {
                sink.error(n, "empty user name \"[]\"; write the user name, e.g. [monuser]");
            }
            if let Some(first) = users.user(name) {
                sink.warn(
                    n,
                    format!(
                        "user [{name}] is defined again (first on line {}); this section is \
                         ignored, merge it into the first one",
                        first.line
                    ),
                );
                in_duplicate = true;
            } else {
                in_duplicate = false;
                cur = Some(User { name: name.to_string(), line: n, ..Default::default() });
            }
            continue;
        }
        // NUT compares setting names ignoring case.
        let lower = line.words[0].to_ascii_lowercase();
        let key = match KEYS.iter().find(|k| **k == lower) {
            Some(k) => *k,
            None => line.words[0].as_str(),
        };
        // Accept both `key = a b` and `key a b`.
        let vals: Vec<&str> = match line.assignment() {
            Some((_, rest)) => rest.iter().map(String::as_str).collect(),
            None => line.words[1..].iter().map(String::as_str).collect(),
        };
        if line.assignment().is_none()
            && matches!(key, "password" | "actions" | "instcmds")
            && !vals.is_empty()
        {
            sink.warn(
                n,
                format!(
                    "NUT's upsd ignores \"{key}\" without \"=\"; this upsd reads it, but write {key} = ... \
                     so that NUT reads it too"
                ),
            );
        }
        if key == "allowfrom" {
            sink.warn(
                n,
                "\"allowfrom\" is ignored since NUT 2.4; remove the line (access is controlled by \
                 LISTEN in upsd.conf and by firewall rules)",
            );
            continue;
        }
        if in_duplicate {
            continue;
        }
        let Some(u) = cur.as_mut() else {
            sink.warn(
                n,
                format!(
                    "\"{key}\" is outside any [user] section and is ignored; start the user with a \
                     line like [monuser] above it"
                ),
            );
            continue;
        };
        match key {
            "password" => match vals.as_slice() {
                [p] => {
                    if u.password.is_some() {
                        sink.warn(
                            n,
                            format!(
                                "password of [{}] is set again; ignored, the first one is kept (as NUT does)",
                                u.name
                            ),
                        );
                    } else {
                        u.password = Some(p.to_string());
                    }
                }
                [] => sink.error(n, "password needs a value; write: password = \"your password\""),
                [p, ..] => {
                    // Never echo the password: diagnostics end up in logs.
                    sink.warn(
                        n,
                        format!(
                            "the password of [{}] has {} words and only the first is used; quote a \
                             password with spaces: password = \"your password\"",
                            u.name,
                            vals.len()
                        ),
                    );
                    if u.password.is_none() {
                        u.password = Some(p.to_string());
                    }
                }
            },
            "actions" => {
                if vals.is_empty() {
                    sink.error(n, "actions needs a value; write: actions = SET FSD");
                }
                for v in vals {
                    match v.to_ascii_uppercase().as_str() {
                        "SET" => u.actions.push(Action::Set),
                        "FSD" => u.actions.push(Action::Fsd),
                        "LOGIN" => u.actions.push(Action::Login),
                        "PRIMARY" | "MASTER" => u.actions.push(Action::Primary),
                        _ => sink.warn(
                            n,
                            format!(
                                "unknown action \"{v}\" grants nothing and is ignored; the actions are SET and \
                                 FSD (and LOGIN, PRIMARY, which \"upsmon\" grants)"
                            ),
                        ),
                    }
                }
            }
            "instcmds" => {
                if vals.is_empty() {
                    sink.error(n, "instcmds needs a value; write: instcmds = ALL (or a command name)");
                }
                u.instcmds.extend(vals.iter().map(|v| v.to_string()));
            }
            "upsmon" => {
                if line.assignment().is_some() {
                    sink.warn(
                        n,
                        "write \"upsmon primary\" without \"=\" (NUT reads this form too, but first logs \
                         \"Unknown upsmon type =\")",
                    );
                }
                match vals.as_slice() {
                    [w] => match Role::parse(w) {
                        Some(role) => u.upsmon = Some(UpsmonRole { role, word: w.to_string(), line: n }),
                        None => sink.error(
                            n,
                            format!(
                                "unknown upsmon role \"{w}\"; write upsmon primary (the machine \
                                 the UPS powers that shuts it down) or upsmon secondary"
                            ),
                        ),
                    },
                    _ => sink.error(n, "upsmon needs one word; write: upsmon primary (or secondary)"),
                }
            }
            _ => sink.unknown(n, "user setting", key, KEYS, "the line is ignored"),
        }
    }
    if let Some(u) = cur.take() {
        finish(&mut sink, &mut users, u);
    }
    sink.finish(users)
}

fn finish(sink: &mut Sink, users: &mut UpsdUsers, u: User) {
    if u.password.is_none() {
        sink.warn(
            u.line,
            format!("user [{}] has no password and cannot log in; add: password = \"...\"", u.name),
        );
    }
    users.users.push(u);
}

/// Every diagnostic for `upsd.users` (what `upsd`'s check mode prints).
pub fn check(text: &str, file: &str) -> Vec<crate::Diagnostic> {
    match parse(text, file) {
        Ok((_, d)) | Err(d) => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (UpsdUsers, Vec<String>) {
        crate::testutil::ok(parse(text, "upsd.users"))
    }

    #[test]
    fn full_user() {
        let (c, w) = ok("[admin]\n\tpassword = \"s3cr3t pass\"\n\tactions = SET\n\tactions = fsd\n\
             \tinstcmds = test.battery.start load.off\n\tinstcmds = beeper.mute\n\tupsmon primary\n\
             [mon]\n\tpassword=x\n\tupsmon slave\n[cmds]\npassword = y\ninstcmds = all\n");
        assert!(w.is_empty(), "{w:?}");
        let a = c.user("admin").expect("admin");
        assert!(a.password_matches("s3cr3t pass") && !a.password_matches("x"));
        assert_eq!(a.actions, vec![Action::Set, Action::Fsd]);
        assert!(a.can_set() && a.can_fsd());
        assert!(a.can_instcmd("load.off") && a.can_instcmd("BEEPER.MUTE") && !a.can_instcmd("load.on"));
        assert_eq!(a.upsmon, Some(UpsmonRole { role: Role::Primary, word: "primary".into(), line: 7 }));
        let m = c.user("mon").expect("mon");
        assert_eq!(m.upsmon.as_ref().map(|r| (r.role, r.word.as_str())), Some((Role::Secondary, "slave")));
        assert!(!m.can_set() && !m.can_instcmd("load.off"));
        assert!(c.user("cmds").expect("cmds").can_instcmd("anything"));
        assert!(c.user("Admin").is_none());
    }

    #[test]
    fn legacy_and_unknown_lines_warn() {
        let (c, w) = ok("password = orphan\n[u]\npassword = p\nallowfrom = localhost\nupsmon master\n\
             bogus = 1\npasword = 2\nactions = SET DANCE\n");
        assert_eq!(c.user("u").and_then(|u| u.upsmon.as_ref()).map(|r| r.role), Some(Role::Primary));
        assert!(
            w[0].starts_with("upsd.users:1: warning: \"password\" is outside any [user] section"),
            "{w:?}"
        );
        assert_eq!(
            w[1],
            "upsd.users:4: warning: \"allowfrom\" is ignored since NUT 2.4; remove the line (access \
             is controlled by LISTEN in upsd.conf and by firewall rules)"
        );
        assert!(w[2].starts_with("upsd.users:6: warning: unknown user setting \"bogus\""), "{w:?}");
        assert!(w[3].contains("did you mean \"password\"?"), "{w:?}");
        assert!(w[4].starts_with("upsd.users:8: warning: unknown action \"DANCE\""), "{w:?}");
    }

    #[test]
    fn duplicates_keep_the_first_and_missing_password_warns() {
        let (c, w) = ok("[a]\npassword = 1\n[a]\npassword = 2\n[b]\nactions = SET\n");
        assert_eq!(c.users.len(), 2);
        assert!(c.user("a").expect("a").password_matches("1"));
        assert!(
            w[0].starts_with("upsd.users:3: warning: user [a] is defined again (first on line 1)"),
            "{w:?}"
        );
        assert!(w[1].starts_with("upsd.users:5: warning: user [b] has no password"), "{w:?}");
    }

    #[test]
    fn bad_upsmon_role_and_empty_values_are_errors() {
        let Err(e) = parse("[u]\npassword\nupsmon weird\nupsmon\nactions =\n", "upsd.users") else {
            panic!("expected errors")
        };
        let e: Vec<String> = e.iter().filter(|d| d.is_error()).map(ToString::to_string).collect();
        assert!(e[0].starts_with("upsd.users:2: error: password needs a value"), "{e:?}");
        assert!(e[1].starts_with("upsd.users:3: error: unknown upsmon role \"weird\""), "{e:?}");
        assert!(e[2].starts_with("upsd.users:4: error: upsmon needs one word"), "{e:?}");
        assert!(e[3].starts_with("upsd.users:5: error: actions needs a value"), "{e:?}");
    }

    #[test]
    fn upsmon_with_equals_is_accepted_with_a_warning() {
        let (c, w) = ok("[u]\npassword = p\nupsmon = secondary\n");
        assert_eq!(c.users[0].upsmon.as_ref().map(|r| r.role), Some(Role::Secondary));
        assert!(w[0].contains("without \"=\""), "{w:?}");
    }

    #[test]
    fn names_in_any_case_first_password_and_undocumented_actions_as_nut() {
        let (c, w) = ok("[u]\nPassword = first\nPASSWORD = second\nActions = login PRIMARY\n\
             [v]\npassword = p\nactions = master\n");
        let u = c.user("u").expect("u");
        assert!(u.password_matches("first") && !u.password_matches("second"));
        assert!(u.can_login() && u.can_primary() && !u.can_fsd() && u.upsmon.is_none());
        assert!(c.user("v").expect("v").can_primary() && !c.user("v").expect("v").can_login());
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].starts_with("upsd.users:3: warning: password of [u] is set again; ignored"), "{w:?}");
        let (c, w) = ok("[u]\npassword secret\nactions SET\n");
        assert!(c.users[0].password_matches("secret") && c.users[0].can_set());
        assert!(
            w[0].starts_with("upsd.users:2: warning: NUT's upsd ignores \"password\" without \"=\""),
            "{w:?}"
        );
        assert!(w[1].starts_with("upsd.users:3: warning: NUT's upsd ignores \"actions\""), "{w:?}");
    }

    #[test]
    fn password_values_are_never_echoed() {
        for text in [
            "[admin]\n password = Zq9secret more words\n",
            "[admin]\n password Zq9secret more\n",
            "[admin]\n password = \"Zq9secret\n",
        ] {
            let d = check(text, "upsd.users");
            assert!(!d.is_empty(), "{text}");
            for x in &d {
                assert!(!x.to_string().contains("Zq9secret"), "{x}");
            }
        }
    }
}
