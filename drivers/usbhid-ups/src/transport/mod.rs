//! How the driver talks to a device: a real one over libusb, or a recording played back.
//! The [`Transport`] trait itself is nut-hid-ups's (mge-shut implements it over SHUT).

pub use nut_hid_ups::transport::*;

pub mod libusb;
pub mod replay;
