//! sgs (TS Shara): every 8-byte report, both ways, is a length byte and up
//! to 7 data bytes. The answer is read until the converter times out (no
//! end-of-line test); a missing CR is added.

use super::{UsbControl, UsbError, EP_IN_1, REQTYPE_CLASS_OUT_IFACE, REQ_SET_REPORT};
use std::time::Duration;

pub(super) fn command(dev: &mut dyn UsbControl, cmd: &[u8], buflen: usize) -> Result<Vec<u8>, UsbError> {
    for part in cmd.chunks(7) {
        let mut report = [0u8; 8];
        report[0] = part.len() as u8;
        report[1..=part.len()].copy_from_slice(part);
        let n = dev.control_out(
            REQTYPE_CLASS_OUT_IFACE,
            REQ_SET_REPORT,
            0x200,
            0,
            &report,
            Duration::from_millis(5000),
        )?;
        if n == 0 {
            return Err(UsbError::Timeout);
        }
    }
    let mut buf = Vec::new();
    // NUT loops while i <= buflen - 8; a report announcing 0 bytes makes no
    // progress there, so bound the number of reads too.
    let mut reads = 0;
    while buf.len() + 8 <= buflen && reads < buflen {
        reads += 1;
        let report = match dev.interrupt_in(EP_IN_1, 8, Duration::from_millis(1000)) {
            Err(UsbError::Timeout) => break,
            Err(e) => return Err(e),
            Ok(r) if r.is_empty() => return Ok(Vec::new()),
            Ok(r) => r,
        };
        let n = (report[0] as usize).min(7).min(report.len() - 1);
        buf.extend_from_slice(&report[1..=n]);
        // NUT copies 7 announced bytes even from a short report (zeros).
        buf.resize(buf.len() + (report[0] as usize).min(7) - n, 0);
    }
    if !buf.is_empty() && !buf.contains(&b'\r') && buf.len() < buflen - 1 {
        buf.push(b'\r');
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions};

    fn report(data: &[u8]) -> Vec<u8> {
        let mut r = vec![data.len() as u8];
        r.extend_from_slice(data);
        r.resize(8, 0);
        r
    }

    #[test]
    fn length_prefixed_reports_both_ways() {
        let line = b"(215.0 195.0 230.0 014 49.0 2.27 30.0 00101000\r";
        let mut dev = Fake::new();
        for c in line.chunks(7) {
            dev.interrupt(&report(c));
        }
        let mut b = Bridge::new(BridgeKind::Sgs, BridgeOptions::default()).expect("bridge");
        let got = b.command(&mut dev, b"Q1\r").expect("Q1");
        assert_eq!(got, line.to_vec());
        assert_eq!(dev.control_outs(), vec![report(b"Q1\r")]);
        // Read until the timeout: 7 reports with data, then the timeout.
        let reads = dev.calls.iter().filter(|c| matches!(c, Call::InterruptIn { .. })).count();
        assert_eq!(reads, 8);
    }

    #[test]
    fn long_commands_use_7_byte_reports_and_a_missing_cr_is_added() {
        let mut dev = Fake::new();
        dev.interrupt(&report(b"#ABC"));
        let mut b = Bridge::new(BridgeKind::Sgs, BridgeOptions::default()).expect("bridge");
        let got = b.command(&mut dev, b"S.5R0001\r").expect("S");
        assert_eq!(got, b"#ABC\r".to_vec());
        assert_eq!(dev.control_outs(), vec![report(b"S.5R000"), report(b"1\r")]);
    }

    #[test]
    fn a_device_announcing_nothing_forever_does_not_hang() {
        let mut dev = Fake::new();
        for _ in 0..2000 {
            dev.interrupt(&report(b""));
        }
        let mut b = Bridge::new(BridgeKind::Sgs, BridgeOptions::default()).expect("bridge");
        assert!(b.command(&mut dev, b"Q1\r").expect("Q1").is_empty());
    }
}
