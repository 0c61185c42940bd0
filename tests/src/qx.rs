//! Helpers for the Q1-family end-to-end tests (`qx_compat`, `qx_power_failure`, `qx_faults`):
//! reading the simulator's device descriptions, the documented differences between Debian's
//! NUT 2.8.0 and NUT 2.8.5 (our target) in what nutdrv_qx publishes. The stack these tests run
//! (driver on a simulator port behind upsd) is [`crate::serial::SerialStack`].

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// A description file parsed; panics with file:line on a bad one (the simulator's own tests
/// check every description, so this only fires on a broken checkout).
pub fn load_desc(p: &Path) -> ups_sim::Desc {
    let text = fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    ups_sim::parse(&text).unwrap_or_else(|e| panic!("{}:{}: {}", p.display(), e.line, e.msg))
}

/// The `ups.conf` options of a description's `driver` line, as `name=value` words.
pub fn options_text(opts: &[(String, Option<String>)]) -> String {
    opts.iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How a variable may legitimately differ between Debian's NUT 2.8.0 and ours (NUT 2.8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diff {
    /// Not compared: the value names the program version (`driver.version*`).
    Version,
    /// Compared as numbers: NUT 2.8.5's nutdrv_qx passes `battery.voltage` on as the device
    /// sent it (`qx_multiply_battvolt`, nutdrv_qx.c 248-270, without `battery_voltage_reports_one_pack`),
    /// 2.8.0 formatted it `%.2f`.
    Numeric,
    /// Not compared: NUT 2.8.5 cuts megatec's `I` answer the Megatec IC way
    /// (nutdrv_qx_megatec.c 99-103: shorter device.mfr and device.model, plus ups.serial and
    /// battery.runtime); 2.8.0 cut it as the other dialects (15/10/10 characters). Checked
    /// against NUT 2.8.5's table in drivers/nutdrv_qx/tests/tables.rs.
    MegatecVendorFields,
    /// Not compared: a variable NUT 2.8.5 drivers publish that 2.8.0's do not have
    /// (`driver.state`, added in NUT 2.8.1's main.c; `driver.debug`/`driver.flag.allow_killpower`
    /// of 2.8.1+ likewise).
    NewIn285,
    /// Checked against NUT 2.8.5's rule: 2.8.5 guesses `battery.voltage.low` and `.high` from
    /// `battery.voltage.nominal` (104/120 and 130/120 of it, `%.2f`) whenever the device or
    /// ups.conf lacks either, replacing both (qx_initbattery, nutdrv_qx.c 498-548 at v2.8.5);
    /// 2.8.0 guessed only when the device reported no charge or runtime (nutdrv_qx.c 279-315
    /// at v2.8.0). Ours must hold 2.8.5's guess.
    GuessedBatteryVoltages,
}

/// Which documented difference, if any, covers `var` for `driver` with `protocol`.
pub fn documented_diff(driver: &str, protocol: Option<&str>, var: &str) -> Option<Diff> {
    if var.starts_with("driver.version") {
        return Some(Diff::Version);
    }
    if matches!(var, "driver.state" | "driver.debug" | "driver.flag.allow_killpower") {
        return Some(Diff::NewIn285);
    }
    if driver == "nutdrv_qx" && var == "battery.voltage" {
        return Some(Diff::Numeric);
    }
    if driver == "nutdrv_qx" && matches!(var, "battery.voltage.low" | "battery.voltage.high") {
        return Some(Diff::GuessedBatteryVoltages);
    }
    if driver == "nutdrv_qx"
        && protocol == Some("megatec")
        && matches!(
            var,
            "device.mfr"
                | "device.model"
                | "ups.firmware"
                | "ups.serial"
                | "device.serial"
                | "battery.runtime"
        )
    {
        return Some(Diff::MegatecVendorFields);
    }
    None
}

/// Compare Debian's variables (`theirs`) with ours; `port_*` are the two simulator paths
/// (`driver.parameter.port` names each driver's own pty). Returns one line per difference not
/// covered by [`documented_diff`].
pub fn compare_vars(
    driver: &str,
    protocol: Option<&str>,
    theirs: &BTreeMap<String, String>,
    ours: &BTreeMap<String, String>,
    port_theirs: &Path,
    port_ours: &Path,
) -> Vec<String> {
    let norm = |v: &BTreeMap<String, String>, port: &Path| -> BTreeMap<String, String> {
        let port = port.to_string_lossy();
        v.iter()
            .map(|(k, val)| (k.clone(), if *val == port { "<port>".to_string() } else { val.clone() }))
            .collect()
    };
    let (t, o) = (norm(theirs, port_theirs), norm(ours, port_ours));
    let mut out = Vec::new();
    let keys: std::collections::BTreeSet<&String> = t.keys().chain(o.keys()).collect();
    for k in keys {
        let diff = documented_diff(driver, protocol, k);
        match (t.get(k), o.get(k), diff) {
            (_, _, Some(Diff::Version | Diff::MegatecVendorFields | Diff::NewIn285)) => {}
            (Some(a), Some(b), Some(Diff::Numeric)) => {
                if a.trim().parse::<f64>().ok() != b.trim().parse::<f64>().ok()
                    || a.trim().parse::<f64>().is_err()
                {
                    out.push(format!("{k}: Debian {a:?}, ours {b:?} (compared as numbers)"));
                }
            }
            (a, b, Some(Diff::GuessedBatteryVoltages)) if a != b => {
                let nominal = o.get("battery.voltage.nominal").and_then(|n| n.trim().parse::<f64>().ok());
                let factor = if k == "battery.voltage.low" { 104.0 } else { 130.0 };
                let guess = nominal.map(|n| format!("{:.2}", factor * n / 120.0));
                if b.is_none() || b != guess.as_ref() {
                    out.push(format!("{k}: Debian {a:?}, ours {b:?} (NUT 2.8.5 guesses {guess:?})"));
                }
            }
            (Some(a), Some(b), _) if a == b => {}
            (Some(a), Some(b), _) => out.push(format!("{k}: Debian {a:?}, ours {b:?}")),
            (Some(a), None, _) => out.push(format!("{k}: Debian {a:?}, ours missing")),
            (None, Some(b), _) => out.push(format!("{k}: Debian missing, ours {b:?}")),
            (None, None, _) => {}
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn differences_outside_the_documented_list_are_reported() {
        let a = Path::new("/a/tty");
        let b = Path::new("/b/tty");
        let theirs = map(&[
            ("driver.version", "2.8.0"),
            ("driver.parameter.port", "/a/tty"),
            ("battery.voltage", "22.70"),
            ("input.voltage", "215.0"),
            ("ups.status", "OL"),
        ]);
        let ours = map(&[
            ("driver.version", "2.8.5"),
            ("driver.state", "quiet"),
            ("driver.parameter.port", "/b/tty"),
            ("battery.voltage", "22.7"),
            ("input.voltage", "215"),
            ("ups.load", "14"),
        ]);
        let d = compare_vars("nutdrv_qx", Some("q1"), &theirs, &ours, a, b);
        assert_eq!(
            d,
            [
                "input.voltage: Debian \"215.0\", ours \"215\"",
                "ups.load: Debian missing, ours \"14\"",
                "ups.status: Debian \"OL\", ours missing",
            ]
        );
        // blazer_ser formats battery.voltage itself in both versions: compared as text.
        let d = compare_vars("blazer_ser", None, &theirs, &ours, a, b);
        assert!(d.iter().any(|l| l.starts_with("battery.voltage")), "{d:?}");
        // megatec's I fields are a documented difference for nutdrv_qx only.
        let t = map(&[("device.mfr", "NOT_A_LIVE_UPS")]);
        let o = map(&[("device.mfr", "NOT_A_L")]);
        assert!(compare_vars("nutdrv_qx", Some("megatec"), &t, &o, a, b).is_empty());
        assert_eq!(compare_vars("blazer_ser", None, &t, &o, a, b).len(), 1);
    }
}
