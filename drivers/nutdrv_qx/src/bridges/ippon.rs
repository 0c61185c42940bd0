//! ippon: 8-byte SET_REPORT writes (wValue 0x02), then one 64-byte interrupt
//! read holding the whole answer; the answer ends at the first CR (an empty
//! answer is "\0\r").

use super::{UsbControl, UsbError, EP_IN_1};
use std::time::Duration;

pub(super) fn command(
    dev: &mut dyn UsbControl,
    cmd: &[u8],
    buflen: usize,
    blazer: bool,
) -> Result<Vec<u8>, UsbError> {
    // NUT's 64-byte scratch buffer holds the command, then the answer over it.
    let mut tmp = [0u8; 64];
    let cmd = if blazer {
        let n = super::c_len(cmd).min(63);
        &cmd[..n]
    } else {
        &cmd[..cmd.len().min(64)]
    };
    tmp[..cmd.len()].copy_from_slice(cmd);
    super::cypress::send_chunks(dev, cmd, 0x02, Duration::from_millis(1000))?;
    let data = dev.interrupt_in(EP_IN_1, 64, Duration::from_millis(1000))?;
    if data.is_empty() {
        return Ok(Vec::new());
    }
    let n = data.len().min(64);
    tmp[..n].copy_from_slice(&data[..n]);

    if blazer {
        // strcspn(tmp, "\r"), one more for the CR, copied as a string.
        let mut len = super::line_len(&tmp);
        if len > 0 {
            len += 1;
        }
        // snprintf("%.*s") stops at a NUL; NUT still returns len.
        let mut out = tmp[..len.min(super::c_len(&tmp))].to_vec();
        out.resize(len, 0);
        return Ok(out);
    }

    let len = match tmp[..n].iter().position(|&b| b == b'\r') {
        Some(p) => p + 1,
        // No CR: fall back to the string length.
        None => super::c_len(&tmp),
    };
    let len = len.min(buflen - 1);
    let mut out = tmp[..len].to_vec();
    if len > 0 && !out.contains(&b'\r') {
        super::add_missing_cr(&mut out, buflen);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions, Flavor};

    fn run(flavor: Flavor, report: &[u8]) -> Vec<u8> {
        let mut dev = Fake::new();
        let mut r = report.to_vec();
        r.resize(64, 0);
        dev.interrupt(&r);
        let opts = BridgeOptions { flavor, ..Default::default() };
        let out =
            Bridge::new(BridgeKind::Ippon, opts).expect("bridge").command(&mut dev, b"Q1\r").expect("answer");
        assert!(matches!(&dev.calls[0], Call::ControlOut { value: 0x02, .. }));
        assert!(matches!(dev.calls[1], Call::InterruptIn { len: 64, .. }));
        out
    }

    #[test]
    fn the_answer_is_cut_at_the_cr_of_the_64_byte_report() {
        let line = b"(215.0 195.0 230.0 014 49.0 2.27 30.0 00101000\r";
        let mut report = line.to_vec();
        report.extend_from_slice(b"junk");
        assert_eq!(run(Flavor::NutdrvQx, &report), line.to_vec());
        assert_eq!(run(Flavor::BlazerUsb, &report), line.to_vec());
    }

    #[test]
    fn an_empty_answer_is_nul_cr() {
        // nutdrv_qx keeps "\0\r" (2 bytes: an empty line); blazer_usb sees 0.
        assert_eq!(run(Flavor::NutdrvQx, b"\0\r"), b"\0\r".to_vec());
        assert_eq!(run(Flavor::BlazerUsb, b"\0\r"), Vec::<u8>::new());
    }

    #[test]
    fn nutdrv_qx_adds_a_missing_cr() {
        assert_eq!(run(Flavor::NutdrvQx, b"#ABC"), b"#ABC\r".to_vec());
    }
}
