//! How the engine talks to a device: usbhid-ups's libusb and replay transports and mge-shut's
//! SHUT link implement [`Transport`].

use std::time::Duration;

use nut_hid::ReportType;

/// Identity of the connected device (for `ups.vendorid`, matching and reconnecting).
pub use nut_transport::usb::DeviceInfo;

/// Transport failures. `Gone` and `Io` make the driver mark data stale and reconnect.
pub use nut_transport::usb::UsbError as TransportError;

/// A HID device, real or replayed.
pub trait Transport: Send {
    /// Identity of the device.
    fn info(&self) -> DeviceInfo;
    /// The report descriptor bytes.
    fn descriptor(&mut self) -> Result<Vec<u8>, TransportError>;
    /// GET_REPORT: the report, first byte = report id when the device uses ids.
    fn get_report(&mut self, rt: ReportType, id: u8, len: usize) -> Result<Vec<u8>, TransportError>;
    /// SET_REPORT with the whole report (first byte = report id when ids are used).
    fn set_report(&mut self, rt: ReportType, id: u8, data: &[u8]) -> Result<(), TransportError>;
    /// Wait up to `timeout` for an interrupt-in report.
    fn interrupt(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, TransportError>;
    /// A USB string descriptor.
    fn string(&mut self, index: u8) -> Result<String, TransportError>;
    /// A string that NUT reads into a buffer of `buflen` bytes. Over USB the buffer only
    /// bounds the copy (the default: [`Transport::string`]); SHUT sends it as the request's
    /// wLength, so the device truncates the descriptor there.
    fn string_for(&mut self, index: u8, buflen: usize) -> Result<String, TransportError> {
        let _ = buflen;
        self.string(index)
    }
    /// Reopen the same device after a failure.
    fn reconnect(&mut self) -> Result<(), TransportError>;
    /// NUT's `interruptsize`: read at most this many bytes per interrupt transfer (some
    /// Powercom units need 8); `None`: the default buffer.
    fn set_interrupt_size(&mut self, _size: Option<usize>) {}
}

/// A placeholder transport that always fails (used while swapping transports).
pub struct Dead;

impl Transport for Dead {
    fn info(&self) -> DeviceInfo {
        DeviceInfo::default()
    }
    fn descriptor(&mut self) -> Result<Vec<u8>, TransportError> {
        Err(TransportError::Gone)
    }
    fn get_report(&mut self, _: ReportType, _: u8, _: usize) -> Result<Vec<u8>, TransportError> {
        Err(TransportError::Gone)
    }
    fn set_report(&mut self, _: ReportType, _: u8, _: &[u8]) -> Result<(), TransportError> {
        Err(TransportError::Gone)
    }
    fn interrupt(&mut self, _: Duration) -> Result<Option<Vec<u8>>, TransportError> {
        Err(TransportError::Gone)
    }
    fn string(&mut self, _: u8) -> Result<String, TransportError> {
        Err(TransportError::Gone)
    }
    fn reconnect(&mut self) -> Result<(), TransportError> {
        Err(TransportError::Gone)
    }
}
