//! What the HID UPS drivers share (NUT's usbhid-ups.c + libhid.c above the transport, and
//! its subdriver tables): [`subdrivers`] are NUT 2.8.5's `*_hid2nut` tables as data,
//! [`hidups`] the engine that reads a device's reports through a [`transport::Transport`]
//! and interprets a table, [`policy`] NUT's status and alarm rules, [`session`] stale marking
//! and reconnects.
//!
//! usbhid-ups runs it over USB (libusb) or a recording; mge-shut over the SHUT serial link
//! (MGE/Eaton's Serial HID UPS Transfer), with the MGE table only.

pub mod hidups;
pub mod policy;
pub mod session;
pub mod subdrivers;
pub mod transport;
