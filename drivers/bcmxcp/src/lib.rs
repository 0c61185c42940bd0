//! bcmxcp: UPSes speaking Powerware's (now Eaton's) BCM/XCP protocol over a serial port,
//! NUT 2.8.5's `bcmxcp`.
//!
//! `protocol.rs` holds the frames (start byte 0xAB, length, command, two's-complement
//! checksum; replies with block number and sequence), a byte-at-a-time reply decoder and the
//! pure parsers of every block the driver reads (ID block, meter map, alarm map, config,
//! limits, battery, outlets, command list); `tables.rs` the data: meter index -> NUT variable,
//! alarm index -> alarm text, topology names, instant commands, the configurable variables;
//! `driver.rs` the nut-driver glue over nut-transport's serial port (autobaud, 1 s per byte,
//! three tries per command). The protocol and block parsers do no I/O, so a USB form
//! (`bcmxcp_usb`) can reuse them over another link.

pub mod driver;
pub mod protocol;
pub mod tables;
