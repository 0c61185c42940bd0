//! metasys: the driver for Meta System UPS equipment (HF Line, HF Millennium, HF TOP Line,
//! ECO, ECO Network, ally HF, Megaline), speaking the "Meta System UPS Protocol Rev.1.12" over
//! a 2400 bps serial line.
//!
//! - [`proto`]: frames (building, checksums, splitting) and reply decoding, pure functions;
//! - [`tables`]: the models, status and fault codes, instant commands and test results as data;
//! - [`link`]: the serial link (retries, re-sync) behind a trait, with a fake for tests;
//! - [`driver`]: the `nut-driver` glue.

pub mod driver;
pub mod link;
pub mod proto;
pub mod tables;
