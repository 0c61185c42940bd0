//! nutdrv_qx's and blazer_usb's USB-to-serial bridges against a device whose every answer
//! (control-in data, interrupt-in packets, string descriptors, errors) comes from the fuzz
//! input. Properties: no bridge panics or loops forever, and an answer is bounded by the
//! bridge's buffer, whatever the device sends.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use nutdrv_qx::bridges::{Bridge, BridgeKind, BridgeOptions, Flavor, UsbControl, UsbError};

/// A device playing the input: each transfer takes a length byte and that many bytes; a
/// length byte above 0xf0 is an error instead.
struct Device<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Device<'_> {
    fn take(&mut self, max: usize) -> Result<Vec<u8>, UsbError> {
        let Some(&n) = self.data.get(self.pos) else { return Err(UsbError::Timeout) };
        self.pos += 1;
        let err = [UsbError::Timeout, UsbError::Pipe, UsbError::Io, UsbError::NoDevice, UsbError::Overflow];
        if n > 0xf0 {
            return Err(err[usize::from(n - 0xf1) % err.len()]);
        }
        let n = usize::from(n).min(max).min(self.data.len() - self.pos);
        let out = self.data[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok(out)
    }
}

impl UsbControl for Device<'_> {
    fn control_out(&mut self, _: u8, _: u8, _: u16, _: u16, data: &[u8], _: Duration) -> Result<usize, UsbError> {
        self.take(0).map(|_| data.len())
    }
    fn control_in(&mut self, _: u8, _: u8, _: u16, _: u16, len: usize, _: Duration) -> Result<Vec<u8>, UsbError> {
        self.take(len)
    }
    fn interrupt_in(&mut self, _: u8, len: usize, _: Duration) -> Result<Vec<u8>, UsbError> {
        self.take(len)
    }
    fn interrupt_out(&mut self, _: u8, data: &[u8], _: Duration) -> Result<usize, UsbError> {
        self.take(0).map(|_| data.len())
    }
    fn clear_halt(&mut self, _: u8) -> Result<(), UsbError> {
        Ok(())
    }
    fn pause(&mut self, _: Duration) {}
}

fuzz_target!(|data: &[u8]| {
    for flavor in [Flavor::NutdrvQx, Flavor::BlazerUsb] {
        let list = match flavor {
            Flavor::NutdrvQx => BridgeKind::NUTDRV_QX,
            Flavor::BlazerUsb => BridgeKind::BLAZER_USB,
        };
        for &kind in list {
            let opts = BridgeOptions { langid_fix: Some(0x0409), novendor: false, flavor };
            let Ok(mut bridge) = Bridge::new(kind, opts) else { continue };
            let mut dev = Device { data, pos: 0 };
            for cmd in [&b"Q1\r"[..], b"I\r", b"F\r", b"QGS\r"] {
                if let Ok(answer) = bridge.command(&mut dev, cmd) {
                    assert!(answer.len() <= bridge.buflen().max(512), "{kind:?}: {} bytes", answer.len());
                }
            }
        }
    }
});
