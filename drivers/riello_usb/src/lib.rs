//! riello_usb: Riello UPS units on their USB interface (a Cypress bridge, 04b4:5500), speaking
//! Riello's GPSER protocol as NUT 2.8.5's riello_usb does.
//!
//! - [`framing`]: GPSER frames cut into the 8-byte bulk packets the bridge takes, and the
//!   bytes taken out of the packets it returns, pure;
//! - [`usb`]: the transfers (a [`usb::Pipe`]: a real device through nut-transport, or a
//!   simulated one in tests), NUT's device table and the matching options;
//! - [`driver`]: the `nut_driver::Driver` glue over `nut-riello`'s protocol, decoding and
//!   publishing (the same as riello_ser's GPSER path).

pub mod driver;
pub mod framing;
pub mod usb;
