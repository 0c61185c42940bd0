//! nhs_ser: NHS Sistemas Eletronicos nobreaks (senoidal line) on a serial port. The UPS streams
//! binary packets by itself (`0xFF` ... checksum `0xFE`); the driver asks for the hardware
//! information packet with a 9-byte request until it gets it.
//!
//! - [`protocol`]: the packet layouts as pure functions (framing, checksums, decoding),
//!   [`models`]: the model code table, [`publish`]: what a data packet and the hardware
//!   information become as NUT variables, [`driver`]: the `nut_driver::Driver` glue.

pub mod driver;
pub mod models;
pub mod protocol;
pub mod publish;
