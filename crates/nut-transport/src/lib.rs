//! How drivers reach their devices, shared by every driver and nut-scanner:
//!
//! - [`serial`]: a tty with NUT's settings (speed, 8N1 or parity, flow control, raw mode),
//!   exclusive use (TIOCEXCL and NUT's lock unless `nolock`), reads up to a terminator with a
//!   deadline, modem-control lines; [`access`] explains a failed open (pure).
//! - [`usb`]: libusb devices matched with NUT's regex options, claimed (kernel driver
//!   detached), with control and interrupt transfers and string descriptors; the `usb_*`
//!   layout options; the bus scan nut-scanner uses.
//! - [`recover`]: the stale-and-reconnect state machine (backoff 1, 2, 4 ... 30 s) usbhid-ups
//!   proved, for any driver.

pub mod access;
pub mod recover;
pub mod serial;
pub mod usb;
