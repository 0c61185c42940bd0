//! phoenixtec (Masterguard): the whole command in one vendor control
//! request (0x42, request 0x0d); the answer is read from interrupt endpoint
//! 0x81 until a CR. Commands that have no answer (T, TL, S, C, CT, M, N, O,
//! SRC, FCLR, SS, TUD, SSN, followed by anything but an upper-case letter)
//! are not read back.

use super::{UsbControl, UsbError, EP_IN_1, REQTYPE_VENDOR_OUT_ENDPOINT};
use std::time::Duration;

const NO_ANSWER: &[&[u8]] =
    &[b"T", b"TL", b"S", b"C", b"CT", b"M", b"N", b"O", b"SRC", b"FCLR", b"SS", b"TUD", b"SSN"];

fn expects_no_answer(cmd: &[u8]) -> bool {
    NO_ANSWER.iter().any(|p| cmd.starts_with(p) && !cmd.get(p.len()).is_some_and(|c| c.is_ascii_uppercase()))
}

pub(super) fn command(dev: &mut dyn UsbControl, cmd: &[u8], buflen: usize) -> Result<Vec<u8>, UsbError> {
    let n = dev.control_out(REQTYPE_VENDOR_OUT_ENDPOINT, 0x0d, 0, 0, cmd, Duration::from_millis(1000))?;
    if n == 0 {
        return Ok(Vec::new());
    }
    if expects_no_answer(cmd) {
        nut_driver::trace!("command returns no answer");
        return Ok(Vec::new());
    }
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < buflen {
        let data = dev.interrupt_in(EP_IN_1, buflen - buf.len(), Duration::from_millis(1000))?;
        if data.is_empty() {
            return Ok(Vec::new());
        }
        let start = buf.len();
        buf.extend_from_slice(&data[..data.len().min(buflen - start)]);
        if let Some(p) = buf[start..].iter().position(|&b| b == b'\r') {
            let end = start + p + 1;
            if end < buflen {
                buf.truncate(end);
                return Ok(buf);
            }
            break;
        }
    }
    nut_driver::debug!("read: buflen {buflen} too small");
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions};

    #[test]
    fn query_then_read_until_cr() {
        let mut dev = Fake::new();
        dev.interrupt(b"(230.0 230.0 230.0 ");
        dev.interrupt(b"010 50.0 27.6 25.0 00001001\rXX");
        let mut b = Bridge::new(BridgeKind::Phoenixtec, BridgeOptions::default()).expect("bridge");
        let got = b.command(&mut dev, b"Q1\r").expect("Q1");
        assert_eq!(got, b"(230.0 230.0 230.0 010 50.0 27.6 25.0 00001001\r".to_vec());
        assert_eq!(
            dev.calls[0],
            Call::ControlOut {
                rt: 0x42,
                req: 0x0d,
                value: 0,
                index: 0,
                data: b"Q1\r".to_vec(),
                timeout_ms: 1000
            }
        );
    }

    #[test]
    fn commands_without_answer_are_not_read_back() {
        let mut dev = Fake::new();
        let mut b = Bridge::new(BridgeKind::Phoenixtec, BridgeOptions::default()).expect("bridge");
        for c in [&b"T\r"[..], b"S.5R0001\r", b"C\r", b"M\r", b"SSN\r"] {
            assert!(b.command(&mut dev, c).expect("cmd").is_empty());
        }
        assert!(!dev.calls.iter().any(|c| matches!(c, Call::InterruptIn { .. })));
        // "MSO" is a query even though it starts like "M".
        dev.interrupt(b"(1\r");
        assert_eq!(b.command(&mut dev, b"MSO\r").expect("MSO"), b"(1\r".to_vec());
    }
}
