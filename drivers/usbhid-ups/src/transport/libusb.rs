//! Real devices over libusb: the generic part (matching with NUT's options, claim, transfers,
//! the `usb_*` layout options) is nut-transport's [`nut_transport::usb`]; this adds what is
//! HID: the report descriptor and GET_REPORT / SET_REPORT as class requests on the claimed
//! interface.

use std::time::Duration;

use nut_hid::ReportType;
pub use nut_transport::usb::{
    first_claimable, layout, permission_hint, scan, Accept, AcceptDevice, ClaimError, IfaceDesc, Layout,
    Matcher, ScanError, ScanResult, UsbDevice, INTERRUPT_BUFFER,
};

use super::{DeviceInfo, Transport, TransportError};

const TIMEOUT: Duration = Duration::from_millis(5000);

/// `wValue` of the GET_DESCRIPTOR request for the report descriptor: type 0x22, index
/// `usb_hid_desc_index` (NUT's `(LIBUSB_DT_REPORT << 8) + hid_desc_index`).
pub fn report_descriptor_value(desc_index: u8) -> u16 {
    0x2200 | u16::from(desc_index)
}

/// `wValue` of GET_REPORT / SET_REPORT: report type in the high byte, report id in the low.
pub fn report_value(rt: ReportType, id: u8) -> u16 {
    (u16::from(rt.usb_code()) << 8) | u16::from(id)
}

/// An open HID device.
pub struct Usb(UsbDevice);

impl Usb {
    /// Open the first supported device that matches.
    pub fn open(matcher: Matcher, accept: Accept, allow_duplicates: bool) -> Result<Usb, TransportError> {
        UsbDevice::open(matcher, accept, allow_duplicates).map(Usb)
    }
}

impl Transport for Usb {
    fn info(&self) -> DeviceInfo {
        self.0.info().clone()
    }

    fn descriptor(&mut self) -> Result<Vec<u8>, TransportError> {
        let (len, value, iface) = (
            self.0.report_descriptor_len(),
            report_descriptor_value(self.0.report_descriptor_index()),
            self.0.interface(),
        );
        self.0.control_in(0x81, 0x06, value, u16::from(iface), usize::from(len), TIMEOUT)
    }

    fn get_report(&mut self, rt: ReportType, id: u8, len: usize) -> Result<Vec<u8>, TransportError> {
        let iface = u16::from(self.0.interface());
        self.0.control_in(0xA1, 0x01, report_value(rt, id), iface, len.max(1), TIMEOUT)
    }

    fn set_report(&mut self, rt: ReportType, id: u8, data: &[u8]) -> Result<(), TransportError> {
        let iface = u16::from(self.0.interface());
        self.0.control_out(0x21, 0x09, report_value(rt, id), iface, data, TIMEOUT).map(|_| ())
    }

    fn interrupt(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, TransportError> {
        self.0.interrupt_in(timeout)
    }

    fn string(&mut self, index: u8) -> Result<String, TransportError> {
        self.0.string(index)
    }

    fn set_interrupt_size(&mut self, size: Option<usize>) {
        self.0.set_interrupt_size(size);
    }

    fn reconnect(&mut self) -> Result<(), TransportError> {
        self.0.reconnect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hid_request_values() {
        // usb_hid_desc_index asks for another report descriptor.
        assert_eq!(report_descriptor_value(0), 0x2200);
        assert_eq!(report_descriptor_value(1), 0x2201);
        // Feature report 5 (type 3), input report 1 (type 1).
        assert_eq!(report_value(ReportType::Feature, 5), 0x0305);
        assert_eq!(report_value(ReportType::Input, 1), 0x0101);
    }
}
