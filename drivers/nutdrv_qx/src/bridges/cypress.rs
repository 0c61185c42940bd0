//! cypress: the command goes out in 8-byte HID SET_REPORT chunks (zero
//! padded), the answer comes back in 8-byte interrupt reports on 0x81 until
//! one carries the CR. Also the base of phoenix.

use super::{UsbControl, UsbError, EP_IN_1, REQTYPE_CLASS_OUT_IFACE, REQ_SET_REPORT};
use std::time::Duration;

/// Write `cmd` as zero-padded 8-byte SET_REPORT(0x200) chunks.
pub(super) fn send_chunks(
    dev: &mut dyn UsbControl,
    cmd: &[u8],
    value: u16,
    timeout: Duration,
) -> Result<(), UsbError> {
    // NUT copies the command into a zeroed buffer and sends 8 bytes from
    // where the previous transfer ended.
    let mut padded = cmd.to_vec();
    padded.resize(cmd.len() + 8, 0);
    let mut i = 0;
    while i < cmd.len() {
        let chunk = &padded[i..i + 8];
        let n = dev.control_out(REQTYPE_CLASS_OUT_IFACE, REQ_SET_REPORT, value, 0, chunk, timeout)?;
        if n == 0 {
            return Err(UsbError::Timeout);
        }
        i += n.min(8);
    }
    nut_driver::trace!("send: {}", String::from_utf8_lossy(&cmd[..super::line_len(cmd)]));
    Ok(())
}

/// Read `size`-byte interrupt reports from 0x81 into the answer buffer until
/// it holds a CR (for blazer_usb: a CR before the first NUL) or is full.
/// Returns NUT's buffer and length: every byte read, padding included.
pub(super) fn read_until_cr(
    dev: &mut dyn UsbControl,
    size: usize,
    buflen: usize,
    blazer: bool,
) -> Result<Vec<u8>, UsbError> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let done = if blazer { buf[..super::c_len(&buf)].contains(&b'\r') } else { buf.contains(&b'\r') };
        if done || buf.len() + size > buflen {
            return Ok(buf);
        }
        let data = dev.interrupt_in(EP_IN_1, size, Duration::from_millis(1000))?;
        if data.is_empty() {
            // NUT: "read: timeout", returns 0.
            return Ok(Vec::new());
        }
        buf.extend_from_slice(&data[..data.len().min(size)]);
    }
}

pub(super) fn command(
    dev: &mut dyn UsbControl,
    cmd: &[u8],
    buflen: usize,
    blazer: bool,
) -> Result<Vec<u8>, UsbError> {
    let cmd = if blazer { &cmd[..super::c_len(cmd)] } else { cmd };
    send_chunks(dev, cmd, 0x200, Duration::from_millis(5000))?;
    read_until_cr(dev, 8, buflen, blazer)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions, Flavor, UsbError};

    fn bridge(flavor: Flavor) -> Bridge {
        Bridge::new(BridgeKind::Cypress, BridgeOptions { flavor, ..Default::default() }).expect("bridge")
    }

    #[test]
    fn q1_goes_out_as_one_padded_set_report_and_comes_back_in_8_byte_reports() {
        let answer = b"(215.0 195.0 230.0 014 49.0 2.27 30.0 00101000\r";
        let mut dev = Fake::new();
        dev.interrupt_chunks(answer, 8);
        let got = bridge(Flavor::NutdrvQx).command(&mut dev, b"Q1\r").expect("answer");
        // 47 bytes of answer read as 6 reports of 8: NUT returns 48.
        assert_eq!(got.len(), 48);
        assert_eq!(&got[..47], answer);
        assert_eq!(got[47], 0);
        assert_eq!(
            dev.calls[0],
            Call::ControlOut {
                rt: 0x21,
                req: 0x09,
                value: 0x200,
                index: 0,
                data: b"Q1\r\0\0\0\0\0".to_vec(),
                timeout_ms: 5000
            }
        );
        assert_eq!(
            dev.calls
                .iter()
                .filter(|c| matches!(c, Call::InterruptIn { ep: 0x81, len: 8, timeout_ms: 1000 }))
                .count(),
            6
        );
    }

    #[test]
    fn voltronic_qgs_answer_read_8_bytes_at_a_time() {
        // nut-issues/nut-1652-voltronic-qgs.txt: the QGS answer over the
        // cypress framing, 8 bytes per read; the last read carries the CR and
        // 4 bytes of stale data after it.
        let line = b"(220.4 59.9 218.7 59.9 002.8 007 361.8 361.8 273.2 ---.- 022.9 100000000010\r";
        let mut stream = line.to_vec();
        stream.extend_from_slice(b" 273");
        let mut dev = Fake::new();
        dev.interrupt_chunks(&stream, 8);
        let got = bridge(Flavor::NutdrvQx).command(&mut dev, b"QGS\r").expect("answer");
        assert_eq!(&got[..line.len()], line);
        assert_eq!(got.len(), 80);
        assert_eq!(&got[72..80], b"010\r 273");
    }

    #[test]
    fn long_commands_are_split_in_8_byte_chunks() {
        let mut dev = Fake::new();
        dev.interrupt_chunks(b"(ACK\r", 8);
        bridge(Flavor::NutdrvQx).command(&mut dev, b"PSDV120.0\r").expect("answer");
        assert_eq!(dev.control_outs(), vec![b"PSDV120.".to_vec(), b"0\r\0\0\0\0\0\0".to_vec()]);
    }

    #[test]
    fn a_silent_device_is_a_timeout_error() {
        let mut dev = Fake::new();
        assert_eq!(bridge(Flavor::NutdrvQx).command(&mut dev, b"Q1\r"), Err(UsbError::Timeout));
    }

    #[test]
    fn a_device_that_never_sends_cr_stops_at_the_buffer_size() {
        let mut dev = Fake::new();
        for _ in 0..100 {
            dev.interrupt(b"AAAAAAAA");
        }
        let got = bridge(Flavor::NutdrvQx).command(&mut dev, b"Q1\r").expect("answer");
        // NUT reads while i <= buflen - 8: 63 reports of 8 = 504 bytes.
        assert_eq!(got.len(), 504);
    }

    #[test]
    fn blazer_usb_looks_for_the_cr_before_the_first_nul() {
        // A report "\0\r..." ends nutdrv_qx's read but not blazer_usb's.
        let mut dev = Fake::new();
        dev.interrupt(b"\0\r\0\0\0\0\0\0");
        dev.interrupt_chunks(b"(1\r", 8);
        let qx = bridge(Flavor::NutdrvQx).command(&mut dev, b"Q1\r").expect("answer");
        assert_eq!(qx.len(), 8);
        let mut dev = Fake::new();
        dev.interrupt(b"\0\r\0\0\0\0\0\0");
        // The blazer read goes on until the buffer is full or it times out.
        assert_eq!(bridge(Flavor::BlazerUsb).command(&mut dev, b"Q1\r"), Err(UsbError::Timeout));
    }
}
