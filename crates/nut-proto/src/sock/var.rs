//! One variable as the driver socket describes it, and the case-insensitive key both ends of
//! the socket file it under.
//!
//! A driver (its store) and upsd (its copy of each driver's tree) keep the same record for a
//! variable and order variables and commands the way NUT's tree does: by `strcasecmp`, which
//! is the order of `DUMPALL` and therefore of `upsc` output. Keying a `BTreeMap` by
//! [`name_key`] gives exactly that order and case-insensitive lookups.

use super::Flags;

/// One variable: what `SETINFO`, `SETFLAGS`, `SETAUX`, `ADDENUM` and `ADDRANGE` build up.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Var {
    /// The name as first set (lookups ignore ASCII case, like NUT).
    pub name: String,
    /// Current value.
    pub value: String,
    /// RW / STRING / NUMBER.
    pub flags: Flags,
    /// Maximum length of a STRING value (`SETAUX`); 0 when unset.
    pub aux: i64,
    /// Allowed values, in the order they were added.
    pub enums: Vec<String>,
    /// Allowed ranges `(min, max)`, in the order they were added.
    pub ranges: Vec<(i64, i64)>,
}

/// The key a variable or command name is filed under: ASCII lower case, so a `BTreeMap`
/// iterates in NUT's `strcasecmp` order and finds `UPS.Status` as `ups.status`.
pub fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Run `f` with [`name_key`]`(name)` without allocating for names up to 128 bytes (lookups
/// are on the path of every `GET VAR`).
pub fn with_name_key<R>(name: &str, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; 128];
    match buf.get_mut(..name.len()) {
        Some(b) => {
            b.copy_from_slice(name.as_bytes());
            b.make_ascii_lowercase();
            // ASCII lower-casing keeps UTF-8 valid; the fallback only guards the impossible.
            match std::str::from_utf8(b) {
                Ok(k) => f(k),
                Err(_) => f(&name_key(name)),
            }
        }
        None => f(&name_key(name)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_like_strcasecmp() {
        let mut names = vec!["Zeta", "alpha", "UPS.STATUS", "input.L1.voltage", "input.frequency"];
        names.sort_by_key(|n| name_key(n));
        assert_eq!(names, vec!["alpha", "input.frequency", "input.L1.voltage", "UPS.STATUS", "Zeta"]);
    }

    #[test]
    fn borrowed_key_matches_owned_key() {
        let long = "X".repeat(300);
        for name in ["Battery.Charge", "", long.as_str()] {
            assert_eq!(with_name_key(name, str::to_string), name_key(name));
        }
    }
}
