//! From items to fields: the HID parser state machine (global/local state, Push/Pop,
//! collections) and the per-report bit layout.
//!
//! Paths follow NUT: each collection contributes its first usage (0 if it has none), and a
//! collection whose type byte is vendor-defined (0x80..0xFF) adds an index node `0x00FF00nn`
//! (`nn` = type - 0x80) printed as `[nn]`. Offsets count bits from the first byte after the
//! report ID, separately for each (report type, report id).

use std::collections::HashMap;

use crate::item::{items, Item, ItemKind};

/// Limits that keep a hostile descriptor from using unbounded memory.
const MAX_DEPTH: usize = 32;
const MAX_FIELDS: usize = 16384;
const MAX_USAGES: usize = 1024;
const MAX_PUSH: usize = 16;

/// Why a report descriptor could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DescriptorError {
    /// The descriptor is empty (the device answered with no bytes).
    #[error(
        "report descriptor is empty (the device sent 0 bytes; unplug and replug it, or check the USB cable)"
    )]
    Empty,
    /// An item's data runs past the end of the descriptor.
    #[error("report descriptor truncated at byte {offset}: item 0x{prefix:02x} needs {need} more byte(s), only {have} left (incomplete or corrupted read)")]
    Truncated {
        /// Byte offset of the item prefix.
        offset: usize,
        /// The prefix byte.
        prefix: u8,
        /// Data bytes the item announces.
        need: usize,
        /// Data bytes actually present.
        have: usize,
    },
    /// End Collection with no open collection.
    #[error("report descriptor malformed at byte {offset}: End Collection without a matching Collection")]
    UnbalancedEnd {
        /// Byte offset of the item.
        offset: usize,
    },
    /// Collections still open at the end.
    #[error("report descriptor malformed: {open} collection(s) not closed at the end (truncated or corrupted read)")]
    Unclosed {
        /// Number of collections left open.
        open: usize,
    },
    /// Pop without Push.
    #[error("report descriptor malformed at byte {offset}: Pop without a matching Push")]
    PopWithoutPush {
        /// Byte offset of the item.
        offset: usize,
    },
    /// Nesting, usages, Push depth or field count above sane limits.
    #[error("report descriptor malformed at byte {offset}: {what} exceeds the limit of {limit}")]
    Limit {
        /// Byte offset of the item.
        offset: usize,
        /// What overflowed.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A report size or count that no device uses (more than 32 bits per field, or 0 sized).
    #[error("report descriptor malformed at byte {offset}: {what} {value} is out of range")]
    BadValue {
        /// Byte offset of the item.
        offset: usize,
        /// Which global item.
        what: &'static str,
        /// Its value.
        value: u32,
    },
    /// An Input/Output/Feature item before any Report Size: the bytes are not the start of
    /// a descriptor (a corrupted or shifted read).
    #[error("report descriptor malformed at byte {offset}: a data item with no Report Size before it (a corrupted or shifted read of the descriptor)")]
    NoReportSize {
        /// Byte offset of the item.
        offset: usize,
    },
    /// A reserved item type (type 3) in a short item.
    #[error("report descriptor malformed at byte {offset}: reserved item 0x{prefix:02x}")]
    Reserved {
        /// Byte offset of the item.
        offset: usize,
        /// The prefix byte.
        prefix: u8,
    },
}

/// The three kinds of reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReportType {
    /// Device to host, on the interrupt pipe or by GET_REPORT.
    Input,
    /// Host to device.
    Output,
    /// Both ways, by GET_REPORT/SET_REPORT on the control pipe.
    Feature,
}

impl ReportType {
    /// The name NUT prints (`Input`, `Output`, `Feature`).
    pub fn name(self) -> &'static str {
        match self {
            ReportType::Input => "Input",
            ReportType::Output => "Output",
            ReportType::Feature => "Feature",
        }
    }

    /// Parse NUT's name.
    pub fn from_name(s: &str) -> Option<ReportType> {
        match s {
            "Input" => Some(ReportType::Input),
            "Output" => Some(ReportType::Output),
            "Feature" => Some(ReportType::Feature),
            _ => None,
        }
    }

    /// The wValue high byte of GET_REPORT/SET_REPORT.
    pub fn usb_code(self) -> u8 {
        match self {
            ReportType::Input => 1,
            ReportType::Output => 2,
            ReportType::Feature => 3,
        }
    }
}

/// One data field of a report: where it is and how to read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Usage path from the application collection down to the field's own usage. Index nodes
    /// are `0x00FF0000 | n`.
    pub path: Vec<u32>,
    /// Input, Output or Feature.
    pub report_type: ReportType,
    /// Report ID (0 when the descriptor declares none).
    pub report_id: u8,
    /// Bit offset in the report data after the ID byte.
    pub offset: u32,
    /// Size in bits.
    pub size: u32,
    /// Logical minimum as declared (sign-extended).
    pub logical_min: i64,
    /// Logical maximum as declared (sign-extended).
    pub logical_max: i64,
    /// Physical minimum, if declared.
    pub physical_min: Option<i64>,
    /// Physical maximum, if declared.
    pub physical_max: Option<i64>,
    /// Unit code (HID unit system nibbles).
    pub unit: u32,
    /// Unit exponent (-8..7).
    pub unit_exponent: i8,
    /// Main item data bits (bit 0 constant, bit 1 variable, bit 2 relative, ...).
    pub flags: u32,
    /// The declared Logical Maximum read as a signed number was below the Logical Minimum, so
    /// it was taken as unsigned (NUT's `assumed_LogMax`: a firmware that encoded 0..65535 as
    /// `26 ff ff`). Vendor descriptor fixes look at it.
    pub assumed_logical_max: bool,
}

impl Field {
    /// True for a Variable field, false for an Array (selector) field.
    pub fn is_variable(&self) -> bool {
        self.flags & 2 != 0
    }

    /// True for a Constant field.
    pub fn is_constant(&self) -> bool {
        self.flags & 1 != 0
    }

    /// The field's own usage (the last path node).
    pub fn usage(&self) -> u32 {
        self.path.last().copied().unwrap_or(0)
    }
}

/// A parsed descriptor: its fields in descriptor order and the size of each report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Descriptor {
    /// Every field that has a usage (padding without usage is left out).
    pub fields: Vec<Field>,
    /// Data length in bytes of each report (without the ID byte).
    pub report_lengths: HashMap<(ReportType, u8), usize>,
    /// True if the descriptor declares report IDs (reports then start with the ID byte).
    pub uses_report_ids: bool,
}

impl Descriptor {
    /// Full report length on the wire, including the ID byte when IDs are used.
    pub fn wire_length(&self, rt: ReportType, id: u8) -> Option<usize> {
        self.report_lengths.get(&(rt, id)).map(|n| n + usize::from(self.uses_report_ids))
    }

    /// Report ids of one type, ascending.
    pub fn report_ids(&self, rt: ReportType) -> Vec<u8> {
        let mut ids: Vec<u8> =
            self.report_lengths.keys().filter(|(t, _)| *t == rt).map(|(_, id)| *id).collect();
        ids.sort_unstable();
        ids
    }
}

#[derive(Debug, Clone, Default)]
struct Globals {
    page: u32,
    logical_min: i64,
    logical_max: i64,
    assumed_logical_max: bool,
    physical_min: Option<i64>,
    physical_max: Option<i64>,
    unit: u32,
    unit_exponent: i8,
    report_size: u32,
    report_id: u8,
    report_count: u32,
}

/// Parse a report descriptor.
pub fn parse(bytes: &[u8]) -> Result<Descriptor, DescriptorError> {
    if bytes.is_empty() {
        return Err(DescriptorError::Empty);
    }
    let mut g = Globals::default();
    let mut stack: Vec<Globals> = Vec::new();
    let mut usages: Vec<u32> = Vec::new();
    let mut usage_min: Option<u32> = None;
    let mut path: Vec<u32> = Vec::new();
    // Number of path nodes each open collection added (1, or 2 with an index node).
    let mut open: Vec<usize> = Vec::new();
    let mut offsets: HashMap<(ReportType, u8), u32> = HashMap::new();
    let mut desc = Descriptor::default();

    for it in items(bytes)? {
        match (it.kind, it.tag) {
            (ItemKind::Reserved, 0xFE) => {}
            (ItemKind::Reserved, _) => {
                return Err(DescriptorError::Reserved { offset: it.offset, prefix: it.tag })
            }
            (ItemKind::Global, tag) => match tag {
                0x04 => g.page = it.data & 0xFFFF,
                0x14 => g.logical_min = it.signed(),
                0x24 => {
                    // As NUT's parser: a maximum below the minimum is a firmware that encoded an
                    // unsigned number in too few bytes (0..65535 as `26 ff ff`); read it unsigned.
                    g.logical_max = it.signed();
                    g.assumed_logical_max = g.logical_max < g.logical_min;
                    if g.assumed_logical_max {
                        g.logical_max = i64::from(it.data);
                    }
                }
                0x34 => g.physical_min = Some(it.signed()),
                0x44 => g.physical_max = Some(it.signed()),
                0x54 => {
                    // NUT reads the low byte as a signed number; 8..15 are the nibble's
                    // negative values (-8..-1).
                    let n = it.data as u8 as i8;
                    g.unit_exponent = if n > 7 { (n as u8 | 0xF0) as i8 } else { n };
                }
                0x64 => g.unit = it.data,
                0x74 => g.report_size = in_range(&it, "Report Size", 1, 256)?,
                0x84 => {
                    g.report_id = in_range(&it, "Report ID", 1, 255)? as u8;
                    desc.uses_report_ids = true;
                }
                0x94 => g.report_count = in_range(&it, "Report Count", 0, MAX_FIELDS as u32)?,
                0xA4 => {
                    if stack.len() >= MAX_PUSH {
                        return Err(DescriptorError::Limit {
                            offset: it.offset,
                            what: "Push depth",
                            limit: MAX_PUSH,
                        });
                    }
                    stack.push(g.clone());
                }
                0xB4 => g = stack.pop().ok_or(DescriptorError::PopWithoutPush { offset: it.offset })?,
                _ => {}
            },
            (ItemKind::Local, tag) => {
                let full = |data: u32| if it.size == 4 { data } else { (g.page << 16) | (data & 0xFFFF) };
                match tag {
                    0x08 => push_usage(&mut usages, full(it.data), it.offset)?,
                    0x18 => usage_min = Some(full(it.data)),
                    0x28 => {
                        let max = full(it.data);
                        let min = usage_min.take().unwrap_or(max);
                        if max >= min {
                            if (max - min) as usize >= MAX_USAGES {
                                return Err(DescriptorError::Limit {
                                    offset: it.offset,
                                    what: "Usage Minimum..Maximum range",
                                    limit: MAX_USAGES,
                                });
                            }
                            for u in min..=max {
                                push_usage(&mut usages, u, it.offset)?;
                            }
                        }
                    }
                    _ => {}
                }
            }
            (ItemKind::Main, 0xA0) => {
                if open.len() >= MAX_DEPTH {
                    return Err(DescriptorError::Limit {
                        offset: it.offset,
                        what: "collection nesting",
                        limit: MAX_DEPTH,
                    });
                }
                path.push(usages.first().copied().unwrap_or(0));
                let mut added = 1;
                let ctype = it.data & 0xFF;
                if ctype >= 0x80 {
                    path.push(0x00FF_0000 | (ctype - 0x80));
                    added = 2;
                }
                open.push(added);
                usages.clear();
                usage_min = None;
            }
            (ItemKind::Main, 0xC0) => {
                let n = open.pop().ok_or(DescriptorError::UnbalancedEnd { offset: it.offset })?;
                path.truncate(path.len().saturating_sub(n));
                usages.clear();
                usage_min = None;
            }
            (ItemKind::Main, tag @ (0x80 | 0x90 | 0xB0)) => {
                let rt = match tag {
                    0x80 => ReportType::Input,
                    0x90 => ReportType::Output,
                    _ => ReportType::Feature,
                };
                if g.report_size == 0 {
                    return Err(DescriptorError::NoReportSize { offset: it.offset });
                }
                let off = offsets.entry((rt, g.report_id)).or_insert(0);
                for i in 0..g.report_count {
                    // Per the HID spec the last usage applies to the remaining fields.
                    let usage = usages.get(i as usize).or(usages.last()).copied();
                    if let Some(u) = usage {
                        if desc.fields.len() >= MAX_FIELDS {
                            return Err(DescriptorError::Limit {
                                offset: it.offset,
                                what: "field count",
                                limit: MAX_FIELDS,
                            });
                        }
                        let mut p = path.clone();
                        p.push(u);
                        desc.fields.push(Field {
                            path: p,
                            report_type: rt,
                            report_id: g.report_id,
                            offset: *off,
                            size: g.report_size,
                            logical_min: g.logical_min,
                            logical_max: g.logical_max,
                            physical_min: g.physical_min,
                            physical_max: g.physical_max,
                            unit: g.unit,
                            unit_exponent: g.unit_exponent,
                            flags: it.data,
                            assumed_logical_max: g.assumed_logical_max,
                        });
                    }
                    *off = off.saturating_add(g.report_size);
                }
                let bits = *off;
                desc.report_lengths.insert((rt, g.report_id), bits.div_ceil(8) as usize);
                usages.clear();
                usage_min = None;
            }
            (ItemKind::Main, _) => {
                usages.clear();
                usage_min = None;
            }
        }
    }
    if !open.is_empty() {
        return Err(DescriptorError::Unclosed { open: open.len() });
    }
    Ok(desc)
}

/// The value of a global item that must lie in `min..=max`; anything else makes the
/// descriptor unusable, reported with the item's offset and `what` it sets.
fn in_range(it: &Item, what: &'static str, min: u32, max: u32) -> Result<u32, DescriptorError> {
    if (min..=max).contains(&it.data) {
        Ok(it.data)
    } else {
        Err(DescriptorError::BadValue { offset: it.offset, what, value: it.data })
    }
}

fn push_usage(usages: &mut Vec<u32>, u: u32, offset: usize) -> Result<(), DescriptorError> {
    if usages.len() >= MAX_USAGES {
        return Err(DescriptorError::Limit {
            offset,
            what: "usages before one main item",
            limit: MAX_USAGES,
        });
    }
    usages.push(u);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal UPS: application collection, a PowerSummary physical collection with one
    /// feature byte and an indexed (0x81) Flow collection.
    const SMALL: &[u8] = &[
        0x05, 0x84, 0x09, 0x04, 0xa1, 0x01, // UPS application
        0x09, 0x24, 0xa1, 0x00, // PowerSummary
        0x85, 0x01, 0x75, 0x08, 0x95, 0x01, 0x15, 0x00, 0x26, 0xff, 0x00, //
        0x05, 0x85, 0x09, 0x66, 0xb1, 0x02, // RemainingCapacity
        0xc0, //
        0x05, 0x84, 0x09, 0x1e, 0xa1, 0x81, 0x09, 0x40, 0xb1, 0x02, 0xc0, // Flow.[1].ConfigVoltage
        0xc0,
    ];

    #[test]
    fn paths_offsets_and_indexes() {
        let d = parse(SMALL).expect("valid");
        assert_eq!(d.fields.len(), 2);
        assert_eq!(d.fields[0].path, vec![0x0084_0004, 0x0084_0024, 0x0085_0066]);
        assert_eq!(d.fields[1].path, vec![0x0084_0004, 0x0084_001e, 0x00ff_0001, 0x0084_0040]);
        assert_eq!((d.fields[1].report_id, d.fields[1].offset), (1, 8));
        assert_eq!(d.wire_length(ReportType::Feature, 1), Some(3));
    }

    #[test]
    fn malformed_structures_are_errors() {
        assert_eq!(parse(&[]), Err(DescriptorError::Empty));
        assert_eq!(parse(&[0xc0]), Err(DescriptorError::UnbalancedEnd { offset: 0 }));
        assert_eq!(parse(&[0xa1, 0x01]), Err(DescriptorError::Unclosed { open: 1 }));
        assert_eq!(parse(&[0xb4]), Err(DescriptorError::PopWithoutPush { offset: 0 }));
    }

    #[test]
    fn logical_max_below_minimum_is_read_unsigned_as_nut_does() {
        // Logical Min 0, Logical Max `26 ff ff` (-1 signed): NUT takes it as 65535.
        let d = parse(&[
            0x05, 0x84, 0x75, 0x10, 0x95, 0x01, 0x15, 0x00, 0x26, 0xff, 0xff, 0x09, 0x30, 0xb1, 0x02,
        ])
        .expect("valid");
        assert_eq!((d.fields[0].logical_max, d.fields[0].assumed_logical_max), (65535, true));
        // A proper signed range is left alone.
        let d = parse(&[0x05, 0x84, 0x75, 0x10, 0x95, 0x01, 0x15, 0x81, 0x25, 0x7f, 0x09, 0x30, 0xb1, 0x02])
            .expect("valid");
        assert_eq!((d.fields[0].logical_min, d.fields[0].logical_max), (-127, 127));
        assert!(!d.fields[0].assumed_logical_max);
    }

    #[test]
    fn unit_exponent_as_nut_reads_it() {
        let exp = |b: u8| {
            parse(&[0x05, 0x84, 0x75, 0x08, 0x95, 0x01, 0x55, b, 0x09, 0x30, 0xb1, 0x02])
                .expect("valid")
                .fields[0]
                .unit_exponent
        };
        assert_eq!((exp(0x02), exp(0x0e), exp(0x08), exp(0x07)), (2, -2, -8, 7));
    }

    #[test]
    fn push_pop_restore_globals() {
        let d = parse(&[
            0x05, 0x84, 0x75, 0x08, 0x95, 0x01, 0xa4, 0x75, 0x10, 0x09, 0x30, 0xb1, 0x02, 0xb4, 0x09, 0x31,
            0xb1, 0x02,
        ])
        .expect("valid");
        assert_eq!(d.fields[0].size, 16);
        assert_eq!((d.fields[1].size, d.fields[1].offset), (8, 16));
    }
}
