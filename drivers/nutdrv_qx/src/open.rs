//! How each program opens its device: nutdrv_qx a serial port or, when `port = auto` or a USB
//! option is set, a USB device through its USB-to-serial bridge (NUT's rule); blazer_ser a
//! serial port; blazer_usb a USB device.

use nut_driver::{Context, DriverError};

use crate::bridges::Flavor as BridgeFlavor;
use crate::port::QxPort;

/// nutdrv_qx.
pub fn nutdrv_qx(ctx: &Context) -> Result<Box<dyn QxPort + Send>, DriverError> {
    if crate::usb::wants_usb(ctx) {
        crate::usb::open(ctx, BridgeFlavor::NutdrvQx)
    } else {
        crate::serial::open_from_context(ctx)
    }
}

/// blazer_ser.
pub fn blazer_ser(ctx: &Context) -> Result<Box<dyn QxPort + Send>, DriverError> {
    crate::serial::open_from_context(ctx)
}

/// blazer_usb.
pub fn blazer_usb(ctx: &Context) -> Result<Box<dyn QxPort + Send>, DriverError> {
    crate::usb::open(ctx, BridgeFlavor::BlazerUsb)
}
