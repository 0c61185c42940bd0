//! bcmxcp: UPSes speaking Powerware's (now Eaton's) BCM/XCP protocol over a serial port,
//! NUT 2.8.5's `bcmxcp`.
//!
//! `protocol.rs` holds the frames (start byte 0xAB, length, command, two's-complement
//! checksum; replies with block number and sequence), a byte-at-a-time reply decoder and the
//! pure parsers of every block the driver reads (ID block, meter map, alarm map, config,
//! limits, battery, outlets, command list); `tables.rs` the data: meter index -> NUT variable,
//! alarm index -> alarm text, topology names, instant commands, the configurable variables;
//! `driver.rs` the nut-driver glue over a `Link`: nut-transport's serial port for `bcmxcp`
//! (autobaud, 1 s per read, three tries per command), `usb.rs` for `bcmxcp_usb` (control
//! transfers out, interrupt transfers in, 5 s per reply, five tries). Both programs are built
//! from this crate (`src/main.rs`, `src/bin/bcmxcp_usb.rs`), as NUT builds both from bcmxcp.c.

pub mod driver;
pub mod protocol;
pub mod tables;
pub mod usb;
