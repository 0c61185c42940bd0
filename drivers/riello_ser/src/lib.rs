//! riello_ser: Riello UPS units on a serial port, in either of Riello's protocols: GPSER
//! (framed ASCII-hex requests and answers with a checksum or CRC) and Sentinel "SENTR" (one
//! request byte, 103- or 164-byte binary answers with a 16-bit sum).
//!
//! - [`protocol`], [`parse`], [`publish`]: the protocols, pure, from the `nut-riello` crate
//!   (shared with riello_usb); [`driver`]: the `nut_driver::Driver` glue.

pub mod driver;
pub use nut_riello::{parse, protocol, publish};
