//! The recorder: `usbhid-ups -s NAME -x port=auto -x record=<dir or stem>` writes the device
//! it opens (real or replayed) in the formats the replay transport reads, so a user can attach
//! the files to a bug report and anyone can run the driver on them:
//!
//! * `<stem>.hex`: the report descriptor;
//! * `<stem>.values.tsv`: every Feature and Input field with its value and the whole report
//!   bytes as the device answered GET_REPORT;
//! * `<stem>.strings.txt`: the USB strings (manufacturer, product, serial and every string
//!   index a HID field points at).
//!
//! The stem's file name starts with the USB ids (`0463-ffff-...`), which replay needs.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use nut_hid::recording::{self, Strings, ValueRow};
use nut_hid::value::format_g;
use nut_hid::{path_to_string, ReportType};

use crate::hidups::HidUps;
use crate::transport::TransportError;

/// The three files' contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    /// `.hex` text.
    pub hex: String,
    /// `.values.tsv` text.
    pub values: String,
    /// `.strings.txt` text.
    pub strings: String,
}

/// Where to write: `arg` is a directory (existing, or ending in `/`) or a stem (a trailing
/// `.hex` is dropped). The file name gets the `vvvv-pppp-` prefix when it lacks it.
pub fn stem(arg: &Path, is_dir: bool, vid: u16, pid: u16, product: Option<&str>) -> PathBuf {
    let ids = format!("{vid:04x}-{pid:04x}");
    let slug = |s: &str| {
        let s: String =
            s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        let s = s.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-");
        if s.is_empty() {
            "ups".to_string()
        } else {
            s
        }
    };
    if is_dir || arg.to_string_lossy().ends_with('/') {
        return arg.join(format!("{ids}-{}", slug(product.unwrap_or("ups"))));
    }
    let name = arg.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let name = name.strip_suffix(".hex").unwrap_or(&name).to_string();
    let name =
        if name.len() >= 10 && name[..9].eq_ignore_ascii_case(&ids) { name } else { format!("{ids}-{name}") };
    arg.with_file_name(name)
}

/// True for usage names that hold a USB string index (`iManufacturer`, `iDeviceChemistry`).
fn is_string_index(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or("");
    let mut c = last.chars();
    c.next() == Some('i') && c.next().is_some_and(|c| c.is_ascii_uppercase())
}

/// Read everything from the device and format the files. `source` goes in the headers.
pub fn capture(ups: &mut HidUps, source: &str) -> Result<Files, TransportError> {
    let raw = ups.transport().descriptor()?;
    let info = ups.transport().info();
    let ids = ups.descriptor.uses_report_ids;
    let fields = ups.descriptor.fields.clone();
    let mut reports: HashMap<(ReportType, u8), Option<Vec<u8>>> = HashMap::new();
    let mut rows = Vec::new();
    let mut indices: BTreeMap<u8, ()> = BTreeMap::new();
    for f in fields.iter().filter(|f| f.report_type != ReportType::Output) {
        let key = (f.report_type, f.report_id);
        if let std::collections::hash_map::Entry::Vacant(slot) = reports.entry(key) {
            let r = match ups.read_report(key.0, key.1) {
                Ok(d) => Some(d),
                Err(TransportError::NotSupported) => None,
                Err(e) => return Err(e),
            };
            slot.insert(r);
        }
        let Some(Some(data)) = reports.get(&key) else { continue };
        let Ok(v) = f.value(data) else { continue };
        let path = path_to_string(&f.path, ups.tables);
        if is_string_index(&path) && (1.0..=255.0).contains(&v) {
            indices.insert(v as u8, ());
        }
        let mut bytes = Vec::with_capacity(data.len() + 1);
        if ids {
            bytes.push(f.report_id);
        }
        bytes.extend_from_slice(data);
        rows.push(ValueRow {
            line: 0,
            path,
            report_type: f.report_type,
            report_id: f.report_id,
            offset: f.offset,
            size: f.size,
            value: format_g(v),
            report_bytes: bytes,
            matching: "recorded".into(),
        });
    }
    let mut strings = Strings {
        manufacturer: info.vendor.clone(),
        product: info.product.clone(),
        serial: info.serial.clone(),
        by_index: Vec::new(),
    };
    for idx in indices.keys() {
        if let Ok(s) = ups.transport().string(*idx) {
            strings.by_index.push((*idx, s.trim_end().to_string()));
        }
    }
    let who = format!(
        "recorded by usbhid-ups {} from {source} (USB {:04x}:{:04x}, bus {} device {})",
        crate::VERSION,
        info.vendor_id,
        info.product_id,
        info.bus,
        info.device
    );
    Ok(Files {
        hex: recording::format_hex_file(&raw, &[&who, "HID report descriptor"]),
        values: recording::format_values_tsv(
            &rows,
            &[&who, "every Feature/Input field as the device answered GET_REPORT; report_bytes start with the report id"],
        ),
        strings: recording::format_strings_txt(&strings, &[&who, "USB string descriptors"]),
    })
}

/// Write the files beside `stem` (`<stem>.hex` ...); returns the `.hex` path.
pub fn write(stem: &Path, files: &Files) -> std::io::Result<PathBuf> {
    let with = |ext: &str| PathBuf::from(format!("{}.{ext}", stem.display()));
    if let Some(dir) = stem.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(with("hex"), &files.hex)?;
    std::fs::write(with("values.tsv"), &files.values)?;
    std::fs::write(with("strings.txt"), &files.strings)?;
    Ok(with("hex"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_carry_the_ids() {
        let p = Path::new;
        assert_eq!(stem(p("/tmp/r"), true, 0x463, 0xffff, Some("Eaton 3S")), p("/tmp/r/0463-ffff-eaton-3s"));
        assert_eq!(stem(p("/tmp/r/"), false, 0x463, 0xffff, None), p("/tmp/r/0463-ffff-ups"));
        assert_eq!(stem(p("/tmp/my-ups.hex"), false, 0x51d, 2, None), p("/tmp/051d-0002-my-ups"));
        assert_eq!(stem(p("/tmp/051d-0002-x"), false, 0x51d, 2, None), p("/tmp/051d-0002-x"));
        assert!(is_string_index("UPS.PowerSummary.iDeviceChemistry"));
        assert!(!is_string_index("UPS.PowerSummary.Input"));
    }
}
