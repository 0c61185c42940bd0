//! nutdrv_hashx: serial UPSes speaking the "#*" protocol of Cyber Energy and its rebrands
//! (the UPSes PowerMaster+ manages), NUT 2.8.5's `nutdrv_hashx` (not in Debian's 2.8.0).
//!
//! `protocol.rs` holds the commands, the session handshake constants and the pure parsers of
//! every reply (with C's `sscanf`/`strtol`/`strtod` prefix rules where NUT relies on them);
//! `tables.rs` the instant commands and the status bits as data; `driver.rs` the nut-driver
//! glue over nut-transport's serial port (2400 bps 8N1, replies up to CR, 0.25 s wait).

pub mod driver;
pub mod protocol;
pub mod tables;
