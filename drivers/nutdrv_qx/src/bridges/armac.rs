//! armac (Richcomm "PowerManagerII" converters, 0925:1234): the command goes
//! out in 4-byte SET_REPORTs (0xa0 + count, up to 3 bytes), the answer comes
//! back in 6-byte interrupt reports on 0x81: a header whose low 6 bits count
//! the bytes the converter holds, then up to 5 data bytes. Units whose
//! interface has interrupt endpoints 0x82/0x02 of 64 bytes get the command
//! as one interrupt report (0xa0 + length, command) and answer in 64-byte
//! reports on 0x82. A NUL inside the status bits (from byte 38 on) reads as
//! '0' (Vultech V2000); a NUL first means the UPS is off.

use super::{UsbControl, UsbError, EP_IN_1, REQTYPE_CLASS_OUT_IFACE, REQ_SET_REPORT};
use std::time::Duration;

const READ_CONTROL: usize = 6;
const READ_INTERRUPT: usize = 64;

/// Commands these converters ignore (so they are echoed at once instead of
/// timing out during protocol detection).
const UNSUPPORTED: &[&[u8]] = &[b"QGS\r", b"QS\r", b"QPI\r", b"M\r", b"D\r"];

/// The interrupt endpoints of the single-interface layout, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Endpoints {
    in_ep: super::EndpointDesc,
    out_ep: super::EndpointDesc,
}

impl Endpoints {
    /// NUT's endpoint cache: one interface, one altsetting, two endpoints.
    pub(super) fn load(dev: &mut dyn UsbControl) -> Option<Endpoints> {
        let layout = dev.interface_layout()?;
        if layout.interfaces != 1 || layout.altsettings != 1 || layout.endpoints.len() != 2 {
            return None;
        }
        let in_ep = layout.endpoints.iter().rev().find(|e| e.address & 0x80 != 0).copied();
        let out_ep = layout.endpoints.iter().rev().find(|e| e.address & 0x80 == 0).copied();
        let zero = super::EndpointDesc { address: 0, attributes: 0, max_packet_size: 0 };
        if in_ep.is_none() && out_ep.is_none() {
            return None;
        }
        Some(Endpoints { in_ep: in_ep.unwrap_or(zero), out_ep: out_ep.unwrap_or(zero) })
    }

    /// "Be conservative": only this exact layout uses interrupt transfers.
    fn use_interrupt(&self) -> bool {
        self.in_ep.address == 0x82
            && self.in_ep.attributes & 0x03 != 0
            && self.out_ep.address == 0x02
            && self.out_ep.attributes & 0x03 != 0
            && self.in_ep.max_packet_size == 64
    }
}

pub(super) fn command(
    dev: &mut dyn UsbControl,
    cmd: &[u8],
    buflen: usize,
    eps: Option<Endpoints>,
) -> Result<Vec<u8>, UsbError> {
    let cmd = &cmd[..super::c_len(cmd)];
    if UNSUPPORTED.contains(&cmd) {
        nut_driver::debug!(
            "armac: unsupported cmd: {}",
            String::from_utf8_lossy(&cmd[..super::line_len(cmd)])
        );
        return Ok(super::echo(cmd, buflen));
    }
    let interrupt = eps.filter(|e| e.use_interrupt() && cmd.len() < 64);
    let (read_size, in_ep, sent) = if let Some(e) = interrupt {
        let n = cmd.len().min(62);
        let mut report = Vec::with_capacity(n + 1);
        report.push(0xa0 + n as u8);
        report.extend_from_slice(&cmd[..n]);
        let sent = dev.interrupt_out(e.out_ep.address, &report, Duration::from_millis(5000));
        (READ_INTERRUPT, e.in_ep.address, sent)
    } else {
        // Drain what the converter still holds.
        for _ in 0..10 {
            match dev.interrupt_in(EP_IN_1, READ_CONTROL, Duration::from_millis(100)) {
                Ok(r) if r.len() == READ_CONTROL => continue,
                _ => break,
            }
        }
        let mut sent = Ok(0);
        for part in cmd.chunks(3) {
            let mut report = [0u8; 4];
            report[0] = 0xa0 + part.len() as u8;
            report[1..=part.len()].copy_from_slice(part);
            sent = dev.control_out(
                REQTYPE_CLASS_OUT_IFACE,
                REQ_SET_REPORT,
                0x200,
                0,
                &report,
                Duration::from_millis(5000),
            );
        }
        (READ_CONTROL, EP_IN_1, sent)
    };
    // NUT looks at the result of the last transfer only.
    match sent {
        Err(e) => return Err(e),
        Ok(0) => return Ok(Vec::new()),
        Ok(_) => {}
    }
    dev.pause(Duration::from_millis(2));

    let mut buf: Vec<u8> = Vec::new();
    'reading: while buf.len() + read_size + 1 < buflen {
        let report = dev.interrupt_in(in_ep, read_size, Duration::from_millis(1000))?;
        if report.len() != read_size {
            nut_driver::debug!("interrupt read error: short report ({})", report.len());
            return Ok(buf);
        }
        let available = ((report[0] & 0x3f) as usize).min(read_size - 1);
        if available == 0 {
            break;
        }
        for &b in &report[1..=available] {
            if b == 0 {
                if buf.is_empty() {
                    nut_driver::trace!("null byte read - is UPS off?");
                    return Ok(Vec::new());
                }
                if buf.len() >= 38 {
                    buf.push(b'0');
                    continue;
                }
                break 'reading;
            }
            buf.push(b);
            if b == b'\r' {
                break 'reading;
            }
        }
        if available <= 2 {
            dev.pause(Duration::from_millis(10));
        }
    }
    if buf.len() + read_size >= buflen {
        nut_driver::debug!("Protocol error, too much data read.");
        return Err(UsbError::Other);
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions};

    fn armac() -> Bridge {
        Bridge::new(BridgeKind::Armac, BridgeOptions::default()).expect("bridge")
    }

    fn chunk(header: u8, data: &[u8]) -> Vec<u8> {
        let mut r = vec![header];
        r.extend_from_slice(data);
        r.resize(6, 0);
        r
    }

    #[test]
    fn vultech_gs1kvas_reports_are_joined() {
        // nut-issues/nut-2151-vultech-gs1kvas-armac.txt, the chunks as logged.
        let chunks: &[(u8, [u8; 5])] = &[
            (0x86, *b"(238."),
            (0xa6, *b"6 000"),
            (0x86, *b".0 22"),
            (0xa6, *b"0.2 0"),
            (0x86, *b"19 49"),
            (0xa6, *b".9 2."),
            (0x86, *b"23 43"),
            (0xa6, *b".0 00"),
            (0x86, *b"00000"),
            (0xa3, [0x31, 0x0d, 0x30, 0x30, 0x30]),
        ];
        let mut dev = Fake::new();
        // The drain before the command: the converter is empty (timeout).
        dev.interrupts.push_back(Err(super::super::UsbError::Timeout));
        for (h, d) in chunks {
            dev.interrupt(&chunk(*h, d));
        }
        let got = armac().command(&mut dev, b"Q1\r").expect("Q1");
        assert_eq!(got, b"(238.6 000.0 220.2 019 49.9 2.23 43.0 00000001\r".to_vec());
        assert_eq!(dev.control_outs(), vec![vec![0xa3, b'Q', b'1', b'\r']]);
        assert!(matches!(dev.calls[0], Call::InterruptIn { ep: 0x81, len: 6, timeout_ms: 100 }));
    }

    #[test]
    fn qpi_is_not_sent() {
        // nut-2151: "armac: unsupported cmd: QPI".
        let mut dev = Fake::new();
        assert_eq!(armac().command(&mut dev, b"QPI\r").expect("QPI"), b"QPI\r".to_vec());
        assert!(dev.calls.is_empty());
    }

    #[test]
    fn vultech_v2000_nul_status_bits_read_as_zero() {
        // nut-issues/nut-1978: the V2000 sends NULs in the status bits; the
        // early armac code stopped there ("(234.0 ... 20.8 00001", a short
        // reply). The NUL-to-'0' rule of NUT 2.8.5 completes the line. (The
        // three NULs and the CR after "00001" are our reconstruction.)
        let mut stream = b"(234.0 000.0 233.0 014 50.0 27.0 20.8 00001".to_vec();
        stream.extend_from_slice(&[0, 0, 0, b'\r']);
        let mut dev = Fake::new();
        dev.interrupts.push_back(Err(super::super::UsbError::Timeout));
        for c in stream.chunks(5) {
            dev.interrupt(&chunk(0x80 | c.len() as u8, c));
        }
        let got = armac().command(&mut dev, b"Q1\r").expect("Q1");
        assert_eq!(got, b"(234.0 000.0 233.0 014 50.0 27.0 20.8 00001000\r".to_vec());
    }

    #[test]
    fn a_nul_first_means_the_ups_is_off_and_a_short_report_ends_the_answer() {
        let mut dev = Fake::new();
        dev.interrupts.push_back(Err(super::super::UsbError::Timeout));
        dev.interrupt(&chunk(0x85, &[0, 0, 0, 0, 0]));
        assert!(armac().command(&mut dev, b"Q1\r").expect("Q1").is_empty());

        let mut dev = Fake::new();
        dev.interrupts.push_back(Err(super::super::UsbError::Timeout));
        dev.interrupt(&chunk(0x85, b"(1 2 "));
        dev.interrupt(&[0x82, b'3']);
        assert_eq!(armac().command(&mut dev, b"Q1\r").expect("Q1"), b"(1 2 ".to_vec());
    }

    #[test]
    fn interrupt_layout_sends_one_report() {
        let mut dev = Fake::new();
        dev.layout = Some(Fake::interface(0x82, 0x02, 0x03, 64));
        let mut r = vec![0x80 | 5];
        r.extend_from_slice(b"#ABC\r");
        r.resize(64, 0);
        dev.interrupt(&r);
        let mut b = armac();
        assert_eq!(b.command(&mut dev, b"F\r").expect("F"), b"#ABC\r".to_vec());
        assert_eq!(dev.calls[0], Call::InterruptOut { ep: 0x02, data: vec![0xa2, b'F', b'\r'] });
        assert!(matches!(dev.calls[2], Call::InterruptIn { ep: 0x82, len: 64, .. }));
    }
}
