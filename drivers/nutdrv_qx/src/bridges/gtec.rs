//! gtec: cypress-like writes (wValue 0x02, up to the first NUL) and answers
//! read in 128-byte interrupt transfers.

use super::{UsbControl, UsbError};
use std::time::Duration;

pub(super) fn command(dev: &mut dyn UsbControl, cmd: &[u8], buflen: usize) -> Result<Vec<u8>, UsbError> {
    let cmd = &cmd[..super::c_len(cmd)];
    super::cypress::send_chunks(dev, cmd, 0x02, Duration::from_millis(5000))?;
    // NUT reads while i <= buflen - 128 and no CR yet, 128 bytes at a time.
    let mut buf = Vec::new();
    while buf.len() + 128 <= buflen && !buf.contains(&b'\r') {
        let data = dev.interrupt_in(super::EP_IN_1, 128, Duration::from_millis(1000))?;
        if data.is_empty() {
            return Ok(Vec::new());
        }
        buf.extend_from_slice(&data[..data.len().min(128)]);
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions};

    #[test]
    fn q4_answer_is_read_whole() {
        // gtec.txt (nut-testing-tables): the Q4 answer comes in one transfer.
        let answer = b"(236.7 243.2 212.1 220.1 230.4 002 001 50.0 371 372 041.3 22.9 IM\r";
        let mut dev = Fake::new();
        dev.interrupt(answer);
        let mut b = Bridge::new(BridgeKind::Gtec, BridgeOptions::default()).expect("bridge");
        let got = b.command(&mut dev, b"Q4\r").expect("answer");
        assert_eq!(got, answer.to_vec());
        assert!(matches!(&dev.calls[0], Call::ControlOut { rt: 0x21, req: 0x09, value: 0x02, index: 0, .. }));
        assert!(matches!(dev.calls[1], Call::InterruptIn { ep: 0x81, len: 128, .. }));
    }

    #[test]
    fn a_split_answer_is_joined() {
        let mut dev = Fake::new();
        dev.interrupt(b"#230.0 000 ");
        dev.interrupt(b"024.0 50.0\r");
        let mut b = Bridge::new(BridgeKind::Gtec, BridgeOptions::default()).expect("bridge");
        let got = b.command(&mut dev, b"F\r").expect("answer");
        assert_eq!(got, b"#230.0 000 024.0 50.0\r".to_vec());
    }
}
