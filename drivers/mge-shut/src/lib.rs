//! mge-shut: MGE/Eaton UPSes speaking SHUT (Serial HID UPS Transfer) on a serial port. As in
//! NUT, this is the HID driver (usbhid-ups's engine, nut-hid-ups) with the MGE table, over
//! SHUT instead of USB.
//!
//! - [`shut`]: the SHUT framing as pure functions and state machines;
//! - [`link`]: the SHUT link on a serial port, a [`nut_hid_ups::transport::Transport`];
//! - [`options`]: the driver's options (NUT 2.8.5's mge-shut list);
//! - [`driver`]: the `nut-driver` glue.

pub mod driver;
pub mod link;
pub mod options;
pub mod shut;

/// Entry point; `args` includes the program name.
pub fn main(args: Vec<String>) -> std::process::ExitCode {
    nut_driver::run(args, driver::MgeShut::default())
}
