//! apcsmart: the driver for APC's Smart protocol ("UPS-Link": single-byte queries, replies
//! ending in CR LF, unsolicited alert characters) as NUT 2.8.5's `apcsmart`.
//!
//! - [`tables`]: the data (NUT's variable table, instant commands, the firmware
//!   compatibility table, status bits, alert characters);
//! - [`protocol`]: pure functions over bytes: reply assembly with ignore/alert sets, the
//!   command set (`a`) and capability (`^Z`) answers, value conversion, option formats;
//! - [`session`]: the exchanges NUT's driver makes (smart mode, the start-up walk, polls,
//!   EEPROM writes, shutdown methods), over any [`session::Line`];
//! - [`driver`]: the `nut_driver::Driver` glue and the serial line.

pub mod driver;
pub mod protocol;
pub mod session;
pub mod tables;
