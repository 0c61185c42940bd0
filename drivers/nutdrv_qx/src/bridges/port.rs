//! A [`QxPort`] over a USB bridge: NUT's `qx_command`/`blazer_command` for USB devices —
//! reopen the device when the handle was dropped, run the bridge, and react to its errors
//! (clear a stall, reset, drop the handle for a reopen at the next command).

use super::{Bridge, Recovery, UsbControl, UsbError, EP_IN_1};
use crate::port::{PortError, QxPort};
use std::time::Duration;

/// A USB device the bridges can run over, with the handle management NUT's recovery uses.
/// The transport's libusb device implements it.
pub trait UsbDevice: UsbControl {
    /// Reset the device (libusb_reset_device).
    fn reset(&mut self) -> Result<(), UsbError>;
    /// Close the handle.
    fn close(&mut self);
    /// Open the same device again (NUT's exact matcher: same ids, strings, bus).
    fn reopen(&mut self) -> Result<(), UsbError>;
}

/// A Q* device behind a USB-to-serial bridge.
pub struct BridgePort<D: UsbDevice> {
    dev: D,
    bridge: Bridge,
    open: bool,
}

impl<D: UsbDevice> BridgePort<D> {
    /// Over an open device.
    pub fn new(dev: D, bridge: Bridge) -> Self {
        BridgePort { dev, bridge, open: true }
    }

    /// The device (for the driver's `ups.vendorid`/`ups.productid`, or tests).
    pub fn device(&mut self) -> &mut D {
        &mut self.dev
    }

    /// Whether the handle is open (false: `driver.state` is `reconnect.trying`).
    pub fn is_open(&self) -> bool {
        self.open
    }

    fn drop_handle(&mut self) {
        self.dev.close();
        self.open = false;
    }

    fn ensure_open(&mut self) -> Result<(), PortError> {
        if !self.open {
            self.dev.reopen().map_err(|e| PortError::Disconnected(e.to_string()))?;
            self.open = true;
            self.bridge.reset();
        }
        Ok(())
    }
}

impl<D: UsbDevice> QxPort for BridgePort<D> {
    fn command(&mut self, cmd: &[u8], _timeout: Duration) -> Result<Vec<u8>, PortError> {
        self.ensure_open()?;
        let err = match self.bridge.command(&mut self.dev, cmd) {
            Ok(answer) => return Ok(answer),
            Err(e) => e,
        };
        nut_driver::debug!("{}: {err}", self.bridge.kind().name());
        match err.recovery() {
            Recovery::Fatal => {
                self.drop_handle();
                return Err(PortError::Disconnected("Got disconnected by another driver".into()));
            }
            Recovery::ClearHaltOrReset => {
                if self.dev.clear_halt(EP_IN_1).is_ok() {
                    nut_driver::debug!("Stall condition cleared");
                } else {
                    if self.dev.reset().is_ok() {
                        nut_driver::debug!("Device reset handled");
                    }
                    self.drop_handle();
                }
            }
            Recovery::Reconnect => self.drop_handle(),
            Recovery::None => {}
        }
        Err(match err {
            UsbError::Timeout => PortError::Timeout,
            e if !self.open => PortError::Disconnected(e.to_string()),
            e => PortError::Io(std::io::Error::other(e.to_string())),
        })
    }

    fn reconnect(&mut self) -> Result<(), PortError> {
        self.ensure_open()
    }
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{BridgeKind, BridgeOptions};
    use super::*;

    struct Dev {
        fake: Fake,
        reopened: usize,
        closed: usize,
        reopen_fails: bool,
    }

    impl UsbControl for Dev {
        fn control_out(
            &mut self,
            a: u8,
            b: u8,
            c: u16,
            d: u16,
            e: &[u8],
            t: Duration,
        ) -> Result<usize, UsbError> {
            self.fake.control_out(a, b, c, d, e, t)
        }
        fn control_in(
            &mut self,
            a: u8,
            b: u8,
            c: u16,
            d: u16,
            l: usize,
            t: Duration,
        ) -> Result<Vec<u8>, UsbError> {
            self.fake.control_in(a, b, c, d, l, t)
        }
        fn interrupt_in(&mut self, ep: u8, l: usize, t: Duration) -> Result<Vec<u8>, UsbError> {
            self.fake.interrupt_in(ep, l, t)
        }
        fn interrupt_out(&mut self, ep: u8, d: &[u8], t: Duration) -> Result<usize, UsbError> {
            self.fake.interrupt_out(ep, d, t)
        }
        fn clear_halt(&mut self, ep: u8) -> Result<(), UsbError> {
            self.fake.clear_halt(ep)
        }
    }

    impl UsbDevice for Dev {
        fn reset(&mut self) -> Result<(), UsbError> {
            Ok(())
        }
        fn close(&mut self) {
            self.closed += 1;
        }
        fn reopen(&mut self) -> Result<(), UsbError> {
            if self.reopen_fails {
                return Err(UsbError::NoDevice);
            }
            self.reopened += 1;
            Ok(())
        }
    }

    fn port() -> BridgePort<Dev> {
        let dev = Dev { fake: Fake::new(), reopened: 0, closed: 0, reopen_fails: false };
        BridgePort::new(dev, Bridge::new(BridgeKind::Cypress, BridgeOptions::default()).expect("bridge"))
    }

    #[test]
    fn unplug_and_return() {
        let mut p = port();
        p.device().fake.interrupts.push_back(Err(UsbError::NoDevice));
        assert!(matches!(p.command(b"Q1\r", Duration::ZERO), Err(PortError::Disconnected(_))));
        assert!(!p.is_open());
        assert_eq!(p.device().closed, 1);
        // Still unplugged: the reopen fails, nothing is sent.
        p.device().reopen_fails = true;
        assert!(p.reconnect().is_err());
        let sent = p.device().fake.calls.len();
        assert!(p.command(b"Q1\r", Duration::ZERO).is_err());
        assert_eq!(p.device().fake.calls.len(), sent);
        // Back: reopened at the next command, which gets its answer.
        p.device().reopen_fails = false;
        p.device().fake.interrupt_chunks(b"(230.0\r", 8);
        let got = p.command(b"Q1\r", Duration::ZERO).expect("answer");
        assert_eq!(&got[..7], b"(230.0\r");
        assert_eq!(p.device().reopened, 1);
    }

    #[test]
    fn timeouts_keep_the_handle_and_stalls_are_cleared() {
        let mut p = port();
        assert!(matches!(p.command(b"Q1\r", Duration::ZERO), Err(PortError::Timeout)));
        assert!(p.is_open());
        p.device().fake.interrupts.push_back(Err(UsbError::Pipe));
        assert!(p.command(b"Q1\r", Duration::ZERO).is_err());
        assert!(p.is_open());
        assert_eq!(p.device().fake.calls.last(), Some(&Call::ClearHalt(0x81)));
    }
}
