//! genericups: contact-closure UPSes (NUT 2.8.5's `genericups`). Such a UPS signals on line /
//! on battery / low battery (some also replace battery and bypass) by raising or dropping the
//! serial port's modem-control lines, and is told to shut down by the computer setting DTR,
//! RTS or a break. Nothing else: the driver cannot tell whether a UPS is there at all, and
//! reads no value.
//!
//! `table.rs` is NUT's `upstab[]` (every `upstype`) as data; `lines.rs` the pure logic (the
//! `CP`/`OL`/`LB`/`RB`/`BYPASS`/`SD` overrides with NUT's matching rules, the status from a
//! line state, the shutdown action); `fake.rs` a test-only line source read from a file;
//! `driver.rs` the nut-driver glue over nut-transport's `ModemControl`.

pub mod driver;
pub mod fake;
pub mod lines;
pub mod table;
