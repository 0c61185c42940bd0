//! NUT's hardware compatibility list (`data/driver.list.in`, format version 2) and which of its
//! rows our drivers serve natively: the pure part of `tests/tests/hcl_coverage.rs`, which
//! writes `docs/hardware-coverage.md`.

use std::collections::BTreeMap;

/// One device row: `"manufacturer" "device-type" "support-level" "model name" "model extra"
/// "driver [options]"`, then an optional `# comment`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line in the file.
    pub line: usize,
    pub manufacturer: String,
    pub model: String,
    /// The driver field as written (`blazer_ser or bestups`, `genericups upstype=7`,
    /// `usbhid-ups (experimental)`).
    pub driver: String,
}

/// A malformed line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HclError {
    pub line: usize,
    pub msg: String,
}

impl std::fmt::Display for HclError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

/// Parse the list. Lines starting with `#` and blank lines are skipped; every other line must
/// hold six quoted fields.
pub fn parse(text: &str) -> Result<Vec<Row>, HclError> {
    let mut rows = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let mut fields = Vec::new();
        let mut rest = t;
        while fields.len() < 6 {
            rest = rest.trim_start();
            let Some(body) = rest.strip_prefix('"') else {
                return Err(HclError {
                    line,
                    msg: format!("field {} is not a quoted string", fields.len() + 1),
                });
            };
            let Some(end) = body.find('"') else {
                return Err(HclError { line, msg: "unterminated quoted string".into() });
            };
            fields.push(body[..end].to_string());
            rest = &body[end + 1..];
        }
        let rest = rest.trim_start();
        if !(rest.is_empty() || rest.starts_with('#')) {
            return Err(HclError { line, msg: format!("unexpected text after the driver field: {rest:?}") });
        }
        rows.push(Row {
            line,
            manufacturer: fields[0].clone(),
            model: fields[3].clone(),
            driver: fields[5].clone(),
        });
    }
    Ok(rows)
}

/// One way a row may be driven: a driver program and the `name=value` options the row asks
/// for (notes in parentheses and words such as `with` are dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub driver: String,
    pub options: Vec<(String, String)>,
}

/// The alternatives of a driver field (`blazer_ser or bestups` gives two). A leading
/// `driver=` is accepted (one row writes the section line that way).
pub fn choices(field: &str) -> Vec<Choice> {
    // Drop parenthesised notes: `usbhid-ups (experimental)`, `nutdrv_qx (USB ID 0665:5161)`.
    let mut plain = String::with_capacity(field.len());
    let mut depth = 0usize;
    for c in field.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain
        .split(" or ")
        .filter_map(|alt| {
            let mut words = alt.split_whitespace();
            let first = words.next()?;
            let driver = first.strip_prefix("driver=").unwrap_or(first).to_string();
            let options = words
                .filter_map(|w| w.split_once('=').map(|(k, v)| (k.to_string(), v.to_string())))
                .collect();
            Some(Choice { driver, options })
        })
        .collect()
}

/// What a row needs of our drivers, answered by the caller from the drivers' own tables:
/// does program `driver` exist here, and does it accept option `name` = `value` (a protocol
/// or subdriver name, a genericups type)?
pub trait Ours {
    fn has_driver(&self, driver: &str) -> bool;
    /// `None` when the option is not one whose value a table decides (ports, ids, delays).
    fn accepts(&self, driver: &str, name: &str, value: &str) -> Option<bool>;
}

/// Whether some alternative of the row is a driver of ours that accepts the row's options.
pub fn served(row: &Row, ours: &dyn Ours) -> Option<Choice> {
    choices(&row.driver).into_iter().find(|c| {
        ours.has_driver(&c.driver)
            && c.options.iter().all(|(k, v)| ours.accepts(&c.driver, k, v).unwrap_or(true))
    })
}

/// Rows per driver program (the first alternative of each row), and how many of them we
/// serve: `driver -> (rows, served)`.
pub fn by_driver(rows: &[Row], ours: &dyn Ours) -> BTreeMap<String, (usize, usize)> {
    let mut m: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for r in rows {
        let first = choices(&r.driver).into_iter().next().map(|c| c.driver).unwrap_or_default();
        let e = m.entry(first).or_default();
        e.0 += 1;
        if served(r, ours).is_some() {
            e.1 += 1;
        }
    }
    m
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    struct Fake;
    impl Ours for Fake {
        fn has_driver(&self, d: &str) -> bool {
            matches!(d, "blazer_ser" | "genericups" | "nutdrv_qx")
        }
        fn accepts(&self, d: &str, k: &str, v: &str) -> Option<bool> {
            match (d, k) {
                ("genericups", "upstype") => Some(v.parse::<u32>().is_ok_and(|n| n < 24)),
                ("nutdrv_qx", "protocol") => Some(v != "nope"),
                _ => None,
            }
        }
    }

    #[test]
    fn rows_fields_and_comments() {
        let text = "# header\n\n\"2E\"\t\"ups\"\t\"2\"\t\"PS1000L\"\t\"USB\"\t\"nutdrv_qx\"\t# https://x\n\"A\" \"ups\" \"1\" \"M\" \"\" \"genericups upstype=7\"\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].line, 3);
        assert_eq!(rows[0].manufacturer, "2E");
        assert_eq!(rows[1].driver, "genericups upstype=7");
        for (bad, msg) in [
            ("\"A\" \"b\"\n", "field 3"),
            ("\"A\" \"b\" \"c\" \"d\" \"e\" \"f\" junk\n", "unexpected text"),
            ("\"A\" \"b\" \"c\" \"d\" \"e\" \"f\n", "unterminated"),
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.line, 1);
            assert!(e.msg.contains(msg), "{bad:?}: {e}");
        }
    }

    #[test]
    fn alternatives_notes_and_options() {
        let c = choices("blazer_ser or bestups");
        assert_eq!(c.iter().map(|c| c.driver.as_str()).collect::<Vec<_>>(), ["blazer_ser", "bestups"]);
        assert_eq!(choices("usbhid-ups (experimental)")[0].driver, "usbhid-ups");
        assert_eq!(choices("powercom (requires 'usbserial' kernel module)")[0].options, []);
        let c = &choices("driver=nutdrv_qx port=auto protocol=hunnox novendor")[0];
        assert_eq!(c.driver, "nutdrv_qx");
        assert_eq!(c.options, [("port".into(), "auto".into()), ("protocol".into(), "hunnox".into())]);
    }

    #[test]
    fn a_row_is_served_when_a_driver_and_its_table_accept_it() {
        let row = |d: &str| Row { line: 1, manufacturer: "m".into(), model: "x".into(), driver: d.into() };
        assert!(served(&row("genericups upstype=7"), &Fake).is_some());
        assert!(served(&row("genericups upstype=99"), &Fake).is_none());
        assert!(served(&row("nutdrv_qx protocol=nope"), &Fake).is_none());
        assert!(served(&row("nutdrv_qx port=/dev/ttyUSB0"), &Fake).is_some());
        assert!(served(&row("bestups or blazer_ser"), &Fake).is_some());
        assert!(served(&row("snmp-ups (experimental)"), &Fake).is_none());
        let m = by_driver(&[row("bestups or blazer_ser"), row("snmp-ups")], &Fake);
        assert_eq!(m["bestups"], (1, 1));
        assert_eq!(m["snmp-ups"], (1, 0));
    }
}
