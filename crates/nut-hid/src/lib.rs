//! USB HID report descriptors of Power Devices, decoded the way NUT's usbhid-ups decodes them.
//!
//! [`parse`] turns the bytes of a report descriptor into a flat list of [`Field`]s. Each field has
//! a usage path (`UPS.PowerSummary.RemainingCapacity`, `UPS.Flow.[4].ConfigVoltage`), a report
//! type and id, a bit offset and size, and the logical/physical ranges and unit exponent needed to
//! turn report bytes into a number ([`Field::raw_value`], [`Field::value`]). Usage names come from
//! [`usage`] tables: the standard Power Device (0x84) and Battery System (0x85) pages plus the
//! vendor tables NUT's subdrivers add, so our paths line up with NUT's debug output.
//!
//! [`recording`] reads the text formats of recorded devices (`.hex`, `.values.tsv`,
//! `.reports.txt`). Everything here is pure: bytes and text in, values or typed errors out.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod item;
pub mod parser;
pub mod recording;
pub mod usage;
pub mod value;

pub use item::{Item, ItemKind};
pub use parser::{parse, Descriptor, DescriptorError, Field, ReportType};
pub use usage::{path_to_string, UsageTable};
pub use value::ValueError;
