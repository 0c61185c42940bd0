//! nutdrv_qx: the driver for UPS units speaking Megatec's Q1 protocol and its relatives, over a
//! serial line or a USB-to-serial bridge; the same code runs as `blazer_ser` and `blazer_usb`
//! (NUT's older drivers for the same devices).
//!
//! - [`model`]: the table model (NUT's `item_t`), [`engine`]: walking a table against a
//!   device, [`protocols`]: one table per protocol, [`port`]: the device connection.

pub mod battery;
pub mod bridges;
pub mod driver;
pub mod engine;
pub mod format;
pub mod legacy;
pub mod link;
pub mod model;
pub mod open;
pub mod port;
pub mod protocols;
pub mod serial;
pub mod usb;
