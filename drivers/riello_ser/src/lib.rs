//! riello_ser: Riello UPS units on a serial port, in either of Riello's protocols: GPSER
//! (framed ASCII-hex requests and answers with a checksum or CRC) and Sentinel "SENTR" (one
//! request byte, 103- or 164-byte binary answers with a 16-bit sum).
//!
//! - [`protocol`]: frames, checksums, request builders and the byte-by-byte deframer, pure;
//!   [`parse`]: the answers decoded into [`parse::RielloData`] as NUT's riello.c reads them;
//!   [`publish`]: the variables and status; [`driver`]: the `nut_driver::Driver` glue.

pub mod driver;
pub mod parse;
pub mod protocol;
pub mod publish;
