//! Riello's two protocols, shared by `riello_ser` and `riello_usb` (NUT builds both from
//! riello.c): GPSER (framed ASCII-hex requests and answers with a checksum or CRC) and
//! Sentinel "SENTR" (one request byte, 103- or 164-byte binary answers with a 16-bit sum).
//! Pure functions over bytes, no I/O.
//!
//! - [`protocol`]: frames, checks, request builders and the byte-by-byte deframer;
//! - [`parse`]: the answers decoded into [`parse::RielloData`] as NUT's riello.c reads them;
//! - [`publish`]: the variables, status and instant commands.

pub mod parse;
pub mod protocol;
pub mod publish;
