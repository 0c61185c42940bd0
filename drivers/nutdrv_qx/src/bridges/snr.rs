//! snr: krauler's string-descriptor commands for Q1, F and I only, always
//! read raw in the `langid_fix` language, 102 bytes at most, after an
//! interrupt read that wakes the converter up (without it the device
//! answers zeros for a while). "UPS No Ack" and size mismatches are retried
//! (10 tries). Unknown commands are echoed back.

use super::{UsbControl, UsbError, EP_IN_1};
use std::time::Duration;

const COMMANDS: &[(&[u8], u8, u8)] = &[(b"Q1\r", 0x03, b'('), (b"F\r", 0x0d, b'#'), (b"I\r", 0x0c, b'#')];

pub(super) fn command(
    dev: &mut dyn UsbControl,
    cmd: &[u8],
    buflen: usize,
    langid: u16,
) -> Result<Vec<u8>, UsbError> {
    if buflen < 102 {
        return Ok(Vec::new());
    }
    let _ = dev.interrupt_in(EP_IN_1, 102, Duration::from_millis(1000));
    let Some(&(_, index, prefix)) = COMMANDS.iter().find(|(s, _, _)| super::c_strneq(cmd, s, cmd.len()))
    else {
        return Ok(super::echo(cmd, buflen));
    };
    for _ in 0..10 {
        let raw = dev.string_descriptor(index, langid, 102)?;
        if raw.is_empty() {
            return Ok(raw);
        }
        if raw.len() != raw[0] as usize {
            nut_driver::debug!("size mismatch: {} / {}", raw.len(), raw[0]);
            continue;
        }
        let mut buf = super::raw_descriptor_to_ascii(&raw, buflen);
        if super::is_no_ack(&buf) {
            continue;
        }
        if let Some(first) = buf.first_mut() {
            *first = prefix;
        }
        return Ok(buf);
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions};

    #[test]
    fn q1_after_the_wake_up_read() {
        let mut dev = Fake::new();
        dev.string_raw(0x03, Ok(super::super::fake::desc("UPS No Ack")));
        dev.string(0x03, "?248.0 000.0 250.0 000 50.0 13.5 29.0 00001000");
        let mut b =
            Bridge::new(BridgeKind::Snr, BridgeOptions { langid_fix: Some(0x4095), ..Default::default() })
                .expect("bridge");
        assert_eq!(
            b.command(&mut dev, b"Q1\r").expect("Q1"),
            b"(248.0 000.0 250.0 000 50.0 13.5 29.0 00001000".to_vec()
        );
        assert!(matches!(dev.calls[0], Call::InterruptIn { ep: 0x81, len: 102, .. }));
        assert_eq!(dev.string_indexes(), vec![(3, 0x4095), (3, 0x4095)]);
        // Shutdowns are not supported: echoed (after the wake-up read).
        assert_eq!(b.command(&mut dev, b"S01R0001\r").expect("S"), b"S01R0001\r".to_vec());
    }
}
