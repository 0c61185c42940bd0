//! Descriptions of variables and instant commands, from NUT's `cmdvartab`.
//!
//! upsd answers `GET DESC` and `GET CMDDESC` from this table; the text ships inside the binary
//! (from `data/cmdvartab`, NUT's own file) so descriptions never go missing, and a
//! `cmdvartab` file in the configuration directory, when present, is used instead.

use std::collections::HashMap;

/// NUT's `cmdvartab`, compiled in.
pub const BUILTIN: &str = include_str!("../data/cmdvartab");

/// Text returned when a variable or command has no description.
pub const UNAVAILABLE: &str = "Description unavailable";

/// Variable and command descriptions.
#[derive(Debug, Clone, Default)]
pub struct Descriptions {
    vars: HashMap<String, String>,
    cmds: HashMap<String, String>,
}

impl Descriptions {
    /// The compiled-in table.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN)
    }

    /// Parse a `cmdvartab` text: `VARDESC <name> "<text>"` and `CMDDESC <name> "<text>"`
    /// lines; anything else (comments, unknown lines) is skipped, as upsd does.
    pub fn parse(text: &str) -> Self {
        let mut d = Self::default();
        for line in text.lines() {
            let Ok(words) = nut_proto::words::split(line) else { continue };
            if words.len() < 3 {
                continue;
            }
            let map = match words[0].as_str() {
                "VARDESC" => &mut d.vars,
                "CMDDESC" => &mut d.cmds,
                _ => continue,
            };
            map.insert(words[1].clone(), words[2].clone());
        }
        d
    }

    /// Description of a variable.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// Description of an instant command.
    pub fn cmd(&self, name: &str) -> Option<&str> {
        self.cmds.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_nut_descriptions() {
        let d = Descriptions::builtin();
        assert_eq!(d.var("ups.status"), Some("UPS status"));
        assert_eq!(d.var("battery.charge"), Some("Battery charge (percent of full)"));
        assert!(d.cmd("load.off").is_some());
        assert_eq!(d.var("no.such.var"), None);
    }
}
