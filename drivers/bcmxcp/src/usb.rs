//! The USB link of `bcmxcp_usb` (NUT 2.8.5 drivers/bcmxcp_usb.c): commands go out as control
//! transfers (Powerware: a standard SET_DESCRIPTOR of string descriptor 4; Phoenixtec and HP:
//! vendor request 0x0d to the interface), answers come in on interrupt endpoint 0x81 in
//! transfers of up to 128 bytes, which [`UsbLink`] cuts into the reads the reply decoder asks
//! for. Each command starts from an empty buffer (NUT's `get_answer` has a local one).

use std::time::{Duration, Instant};

use nut_driver::{Context, DriverError};
use nut_transport::usb::{Accept, Matcher, UsbDevice, UsbError, UsbOpts};

use crate::driver::{Link, LinkError};

/// Powerware's vendor id.
pub const POWERWARE: u16 = 0x0592;
/// Phoenixtec Power Co.'s vendor id.
pub const PHOENIXTEC: u16 = 0x06da;
/// Hewlett-Packard's vendor id.
pub const HP: u16 = 0x03f0;
/// The interrupt-in endpoint answers come on.
pub const EP_IN: u8 = 0x81;
/// Bytes asked for per interrupt transfer.
pub const READ_SIZE: usize = 128;
/// How long a command's control transfer may take.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(1);

/// How a device takes commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setter {
    /// SET_DESCRIPTOR (request type 0x00, request 0x07), value 0x0304 (string descriptor 4).
    Powerware,
    /// Vendor request 0x0d (request type 0x42), value 0, index 0.
    Phoenixtec,
}

impl Setter {
    /// The control transfer's request type, request, value and index.
    pub fn request(self) -> (u8, u8, u16, u16) {
        match self {
            Setter::Powerware => (0x00, 0x07, (0x03 << 8) | 4, 0),
            Setter::Phoenixtec => (0x42, 0x0d, 0, 0),
        }
    }
}

/// NUT's device table: vendor and product id -> how it takes commands.
pub fn setter_for(vendor: u16, product: u16) -> Option<Setter> {
    match (vendor, product) {
        (POWERWARE, 0x0002) => Some(Setter::Powerware),
        (PHOENIXTEC, 0x0002) => Some(Setter::Phoenixtec),
        (HP, 0x1f01) | (HP, 0x1f02) => Some(Setter::Phoenixtec),
        _ => None,
    }
}

/// Why a USB transfer failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PipeError {
    /// Nothing came in time.
    Timeout,
    /// The device is gone.
    Gone(String),
    /// Another failure (a stall, an I/O error): NUT clears the halt and tries again.
    Other(String),
}

/// The transfers `bcmxcp_usb` makes (a real device, or a simulated one in tests).
pub trait Pipe {
    /// A control transfer to the device.
    fn control_out(
        &mut self,
        request: (u8, u8, u16, u16),
        data: &[u8],
        timeout: Duration,
    ) -> Result<(), PipeError>;
    /// An interrupt transfer from endpoint 0x81, at most `len` bytes.
    fn interrupt_in(&mut self, len: usize, timeout: Duration) -> Result<Vec<u8>, PipeError>;
    /// Clear a stall on endpoint 0x81.
    fn clear_halt(&mut self) {}
    /// Find the device again after it went away.
    fn reconnect(&mut self) -> Result<(), String>;
}

/// [`Link`] over a [`Pipe`].
pub struct UsbLink<P: Pipe> {
    pipe: P,
    setter: Setter,
    pending: Vec<u8>,
}

impl<P: Pipe> UsbLink<P> {
    /// A link to a device that takes commands with `setter`.
    pub fn new(pipe: P, setter: Setter) -> Self {
        UsbLink { pipe, setter, pending: Vec::new() }
    }
}

impl<P: Pipe> Link for UsbLink<P> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), LinkError> {
        nut_driver::trace!("send_write_command: {}", crate::protocol::show(bytes));
        self.pending.clear();
        match self.pipe.control_out(self.setter.request(), bytes, WRITE_TIMEOUT) {
            Ok(()) => Ok(()),
            Err(PipeError::Gone(e)) => Err(LinkError::Gone(e)),
            // NUT ignores a failed send: the answer's absence says it.
            Err(e) => {
                nut_driver::debug!("send failed: {e:?}");
                Ok(())
            }
        }
    }

    fn read(&mut self, n: usize, timeout: Duration) -> Result<Vec<u8>, LinkError> {
        let deadline = Instant::now() + timeout;
        while self.pending.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(LinkError::Timeout);
            }
            match self.pipe.interrupt_in(READ_SIZE, left) {
                Ok(chunk) => self.pending.extend_from_slice(&chunk),
                Err(PipeError::Gone(e)) => return Err(LinkError::Gone(e)),
                Err(PipeError::Timeout) => {
                    self.pipe.clear_halt();
                    return Err(LinkError::Timeout);
                }
                Err(PipeError::Other(e)) => {
                    nut_driver::debug!("interrupt read: {e}");
                    self.pipe.clear_halt();
                    return Err(LinkError::Timeout);
                }
            }
        }
        let rest = self.pending.split_off(n);
        Ok(std::mem::replace(&mut self.pending, rest))
    }

    fn flush_input(&mut self) -> Result<(), LinkError> {
        self.pending.clear();
        Ok(())
    }

    fn set_speed(&mut self, _speed: u32) -> Result<(), String> {
        Ok(())
    }

    fn reopen(&mut self) -> Result<(), String> {
        self.pending.clear();
        self.pipe.reconnect()
    }
}

fn pipe_err(e: UsbError) -> PipeError {
    match e {
        UsbError::Timeout => PipeError::Timeout,
        UsbError::Gone => PipeError::Gone("device disconnected".into()),
        e => PipeError::Other(e.to_string()),
    }
}

impl Pipe for UsbDevice {
    fn control_out(
        &mut self,
        r: (u8, u8, u16, u16),
        data: &[u8],
        timeout: Duration,
    ) -> Result<(), PipeError> {
        UsbDevice::control_out(self, r.0, r.1, r.2, r.3, data, timeout).map(|_| ()).map_err(pipe_err)
    }
    fn interrupt_in(&mut self, len: usize, timeout: Duration) -> Result<Vec<u8>, PipeError> {
        self.interrupt_in_from(EP_IN, len, timeout).map_err(pipe_err)
    }
    fn clear_halt(&mut self) {
        let _ = UsbDevice::clear_halt(self, EP_IN);
    }
    fn reconnect(&mut self) -> Result<(), String> {
        UsbDevice::reconnect(self).map_err(|e| e.to_string())
    }
}

/// Open the first device of NUT's table (`port = auto`; NUT's bcmxcp_usb has no matching
/// options).
pub fn open_usb(_ctx: &Context, _speed: u32) -> Result<Box<dyn Link>, DriverError> {
    let accept = Accept::by_ids(|v, p| setter_for(v, p).is_some(), UsbOpts::default());
    let dev = UsbDevice::open(Matcher::default(), accept, false).map_err(|e| {
        DriverError::Device(format!(
            "Unable to find POWERWARE UPS device on USB bus: {e} (connect the UPS; run the driver as a user \
             that may open it)"
        ))
    })?;
    let (v, p) = (dev.info().vendor_id, dev.info().product_id);
    let setter = setter_for(v, p).unwrap_or(Setter::Powerware);
    nut_driver::info!("Found a BCM/XCP USB device [{v:04x}:{p:04x}]");
    Ok(Box::new(UsbLink::new(dev, setter)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn nuts_device_table() {
        assert_eq!(setter_for(0x0592, 0x0002), Some(Setter::Powerware));
        assert_eq!(setter_for(0x06da, 0x0002), Some(Setter::Phoenixtec));
        assert_eq!(setter_for(0x03f0, 0x1f01), Some(Setter::Phoenixtec));
        assert_eq!(setter_for(0x03f0, 0x1f02), Some(Setter::Phoenixtec));
        assert_eq!(setter_for(0x0592, 0x0003), None);
        assert_eq!(Setter::Powerware.request(), (0x00, 0x07, 0x0304, 0));
        assert_eq!(Setter::Phoenixtec.request(), (0x42, 0x0d, 0, 0));
    }

    struct Chunks(Vec<Vec<u8>>);
    impl Pipe for Chunks {
        fn control_out(&mut self, _r: (u8, u8, u16, u16), _d: &[u8], _t: Duration) -> Result<(), PipeError> {
            Ok(())
        }
        fn interrupt_in(&mut self, _len: usize, _t: Duration) -> Result<Vec<u8>, PipeError> {
            if self.0.is_empty() {
                Err(PipeError::Timeout)
            } else {
                Ok(self.0.remove(0))
            }
        }
        fn reconnect(&mut self) -> Result<(), String> {
            Ok(())
        }
    }

    #[test]
    fn transfers_are_cut_into_reads() {
        let mut l = UsbLink::new(Chunks(vec![vec![1, 2, 3], vec![], vec![4, 5]]), Setter::Powerware);
        assert_eq!(l.read(1, Duration::from_secs(1)).unwrap(), [1]);
        assert_eq!(l.read(4, Duration::from_secs(1)).unwrap(), [2, 3, 4, 5]);
        assert!(matches!(l.read(1, Duration::from_secs(1)), Err(LinkError::Timeout)));
    }
}
