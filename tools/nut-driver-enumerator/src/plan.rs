//! The pure part: ups.conf sections → instance names, section fingerprints, and what to
//! change so the `nut-driver@` instances match the file.

use crate::md5;

/// The template unit every driver instance comes from.
pub const TEMPLATE: &str = "nut-driver";

/// One ups.conf section as the enumerator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The section name (`[ups1]` → `ups1`).
    pub name: String,
    /// Its `driver`.
    pub driver: String,
    /// Fingerprint of its lines (see [`fingerprint`]).
    pub checksum: String,
}

/// True when systemd accepts `name` as an instance: letters, digits, `:`, `-`, `_` and `.`
/// (systemd also takes `\`, which it reads as an escape: we do not), and a unit name under
/// 256 bytes.
pub fn systemd_accepts(name: &str) -> bool {
    !name.is_empty()
        && TEMPLATE.len() + 1 + name.len() + ".service".len() < 256
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_' | b'.'))
}

/// The instance name for a section: the name itself when systemd accepts it, else NUT's
/// `MD5_<md5 of "name\n">` (the same hash NUT's script makes, so instances it created keep
/// their names).
pub fn instance_name(device: &str) -> String {
    if systemd_accepts(device) {
        device.to_string()
    } else {
        format!("MD5_{}", md5::hex(format!("{device}\n").as_bytes()))
    }
}

/// `nut-driver@<instance>.service`.
pub fn unit_name(instance: &str) -> String {
    format!("{TEMPLATE}@{instance}.service")
}

/// The instance part of a full or short unit name (`nut-driver@ups1.service` → `ups1`).
pub fn instance_of(unit_or_instance: &str) -> &str {
    let s = unit_or_instance.rsplit_once('@').map_or(unit_or_instance, |(_, i)| i);
    s.strip_suffix(".service").unwrap_or(s)
}

/// The lines of each part of ups.conf, as the fingerprints see them: trimmed, without blank
/// and comment-only lines. `starts` are the 1-based lines where sections start (in file
/// order); the result has the global part first, then one entry per section.
pub fn split_parts(text: &str, starts: &[usize]) -> Vec<Vec<String>> {
    let mut parts: Vec<Vec<String>> = vec![Vec::new(); starts.len() + 1];
    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let part = starts.iter().take_while(|&&s| s <= lineno).count();
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        parts[part].push(line.to_string());
    }
    parts
}

/// The fingerprint of a part's lines: a change of anything but blank lines, comments and
/// indentation changes it.
pub fn fingerprint(lines: &[String]) -> String {
    md5::hex(lines.join("\n").as_bytes())
}

/// What systemd has now: one registered instance and what we saved with it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Registered {
    /// The instance name.
    pub instance: String,
    /// The section name saved in its drop-in, if any.
    pub device: Option<String>,
    /// The section fingerprint saved in its drop-in, if any.
    pub checksum: Option<String>,
}

/// What to do so the instances match ups.conf.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Instances whose section is gone: stop, disable, forget.
    pub remove: Vec<String>,
    /// New sections: (instance, device) to enable and start.
    pub add: Vec<(String, String)>,
    /// Sections whose lines changed: (instance, device) to restart and re-fingerprint.
    pub changed: Vec<(String, String)>,
    /// Kept instances to restart because the global part of ups.conf changed.
    pub restart_all: Vec<String>,
    /// The global part changed (save its new fingerprint).
    pub global_changed: bool,
}

impl Plan {
    /// Nothing to do.
    pub fn is_empty(&self) -> bool {
        self.remove.is_empty() && self.add.is_empty() && self.changed.is_empty() && !self.global_changed
    }
}

/// Compare ups.conf (`devices`, `global` fingerprint) with the registered instances and the
/// saved global fingerprint.
pub fn reconcile(
    devices: &[Device],
    global: &str,
    registered: &[Registered],
    saved_global: Option<&str>,
) -> Plan {
    let mut plan = Plan::default();
    let wanted: Vec<(String, &Device)> = devices.iter().map(|d| (instance_name(&d.name), d)).collect();
    for r in registered {
        if !wanted.iter().any(|(i, _)| *i == r.instance) {
            plan.remove.push(r.instance.clone());
        }
    }
    for (inst, dev) in &wanted {
        match registered.iter().find(|r| r.instance == *inst) {
            None => plan.add.push((inst.clone(), dev.name.clone())),
            Some(r) if r.checksum.as_deref() != Some(dev.checksum.as_str()) => {
                plan.changed.push((inst.clone(), dev.name.clone()))
            }
            Some(_) => {}
        }
    }
    plan.global_changed = saved_global != Some(global);
    // A first run (nothing saved yet) has nothing running to restart.
    if plan.global_changed && saved_global.is_some() {
        plan.restart_all = wanted
            .iter()
            .filter(|(i, _)| {
                registered.iter().any(|r| r.instance == *i) && !plan.changed.iter().any(|(c, _)| c == i)
            })
            .map(|(i, _)| i.clone())
            .collect();
    }
    plan
}

/// The section an instance runs: the name saved in its drop-in, else the section whose
/// instance name it is.
pub fn device_for_instance(instance: &str, saved: Option<&str>, devices: &[Device]) -> Option<String> {
    if let Some(s) = saved.filter(|s| !s.is_empty()) {
        return Some(s.to_string());
    }
    devices.iter().find(|d| instance_name(&d.name) == instance).map(|d| d.name.clone())
}

/// Quote a section name for a systemd `Environment=` line the way NUT's script does
/// (`Environment='DEVICE="name"'`), and read it back.
pub fn device_dropin(device: &str) -> String {
    format!("[Service]\nEnvironment='DEVICE=\"{device}\"'\n")
}

/// The value of `Environment='KEY=value'` (quotes around the value removed) in a drop-in.
pub fn dropin_value(text: &str, key: &str) -> Option<String> {
    let prefix = format!("Environment='{key}=");
    text.lines().find_map(|l| {
        let v = l.trim().strip_prefix(&prefix)?.strip_suffix('\'')?;
        let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v);
        Some(v.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(name: &str, sum: &str) -> Device {
        Device { name: name.into(), driver: "dummy-ups".into(), checksum: sum.into() }
    }

    fn reg(inst: &str, sum: &str) -> Registered {
        Registered { instance: inst.into(), device: None, checksum: Some(sum.into()) }
    }

    #[test]
    fn names_systemd_cannot_use_become_nuts_md5_form() {
        assert_eq!(instance_name("ups1"), "ups1");
        assert_eq!(instance_name("my.ups-2:a_b"), "my.ups-2:a_b");
        // md5sum of "ups one\n", as NUT's `echo "$1" | md5sum` computes it.
        assert_eq!(instance_name("ups one"), "MD5_a68bdef2f1ab5a00b08c002984432556");
        assert!(instance_name("ups/x").starts_with("MD5_"));
        assert!(instance_name("back\\slash").starts_with("MD5_"));
        assert!(instance_name(&"x".repeat(250)).starts_with("MD5_"));
        assert_eq!(instance_of("nut-driver@ups1.service"), "ups1");
        assert_eq!(instance_of("ups1"), "ups1");
    }

    #[test]
    fn reconcile_adds_removes_and_restarts_changed() {
        let devices = [dev("a", "1"), dev("b", "2"), dev("c", "3")];
        let p = reconcile(&devices, "g", &[], None);
        assert_eq!(p.add.len(), 3);
        assert!(p.remove.is_empty() && p.changed.is_empty() && p.restart_all.is_empty());
        assert!(p.global_changed);

        let now = [reg("a", "1"), reg("b", "2"), reg("c", "3")];
        assert!(reconcile(&devices, "g", &now, Some("g")).is_empty());

        let p = reconcile(&[dev("a", "1"), dev("c", "9")], "g", &now, Some("g"));
        assert_eq!(p.remove, vec!["b".to_string()]);
        assert_eq!(p.changed, vec![("c".to_string(), "c".to_string())]);
        assert!(p.add.is_empty());

        let p = reconcile(&devices, "g2", &now, Some("g"));
        assert!(p.global_changed);
        assert_eq!(p.restart_all, vec!["a", "b", "c"]);
    }

    #[test]
    fn parts_ignore_comments_blank_lines_and_indentation() {
        let text = "maxretry = 3\n\n[a]\n  driver = x\n# note\n  port = y\n[b]\ndriver = z\n";
        let parts = split_parts(text, &[3, 7]);
        assert_eq!(parts[0], vec!["maxretry = 3"]);
        assert_eq!(parts[1], vec!["[a]", "driver = x", "port = y"]);
        assert_eq!(parts[2], vec!["[b]", "driver = z"]);
        let again = split_parts("maxretry = 3\n[a]\ndriver = x\nport = y\n[b]\ndriver = z\n", &[2, 5]);
        assert_eq!(fingerprint(&parts[1]), fingerprint(&again[1]));
    }

    #[test]
    fn dropins_round_trip() {
        assert_eq!(dropin_value(&device_dropin("ups one"), "DEVICE").as_deref(), Some("ups one"));
        assert_eq!(
            dropin_value("[Service]\nEnvironment='SECTION_CHECKSUM=abc'\n", "SECTION_CHECKSUM").as_deref(),
            Some("abc")
        );
        assert_eq!(dropin_value("[Service]\n", "DEVICE"), None);
    }
}
