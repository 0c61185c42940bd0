//! hunnox: fabula's string-descriptor commands (plus BL, battery level, at
//! 0xf3) in the lock step the vendor software keeps: before each command the
//! device is asked one of strings 0x0d, 0x03, 0x0c in turn (not the one about
//! to be read; 0x0c skipped with `novendor`), after a first handshake of
//! strings 0, 0, 1. Reads are limited to 102 bytes, as the vendor software
//! asks. No CR is added to the answer.

use super::{UsbControl, UsbError};
use std::time::Duration;

const COMMANDS: &[(&[u8], u8)] =
    &[(b"Q1\r", 0x03), (b"F\r", 0x0d), (b"I\r", 0x0c), (b"Q\r", 0x07), (b"C\r", 0x0a), (b"BL\r", 0xf3)];

/// The lock-step request before reading `asking_for` (results ignored).
fn lock_step(dev: &mut dyn UsbControl, step: &mut u8, asking_for: u8, langid: u16, novendor: bool) {
    match *step {
        0 => {
            let _ = dev.string_descriptor(0x00, langid, 1026);
            let _ = dev.string_descriptor(0x00, langid, 1026);
            let _ = dev.string_descriptor(0x01, langid, 1026);
            dev.pause(Duration::from_millis(10));
        }
        1 if asking_for != 0x0d => {
            let _ = dev.string_descriptor(0x0d, langid, 102);
        }
        2 if asking_for != 0x03 => {
            let _ = dev.string_descriptor(0x03, langid, 102);
        }
        3 if asking_for != 0x0c && !novendor => {
            let _ = dev.string_descriptor(0x0c, langid, 102);
        }
        _ => {}
    }
    *step = if *step >= 3 { 1 } else { *step + 1 };
}

pub(super) fn command(
    dev: &mut dyn UsbControl,
    cmd: &[u8],
    buflen: usize,
    langid_fix: Option<u16>,
    novendor: bool,
    step: &mut u8,
) -> Result<Vec<u8>, UsbError> {
    let Some(index) = super::fabula::index_for(COMMANDS, cmd) else {
        return Ok(super::echo(cmd, buflen));
    };
    nut_driver::trace!("command index: 0x{index:02x}");
    lock_step(dev, step, index, langid_fix.unwrap_or(0x0409), novendor);
    let buflen = buflen.min(102);
    let buf = match langid_fix {
        Some(langid) => {
            let raw = dev.string_descriptor(index, langid, buflen)?;
            if raw.is_empty() {
                return Ok(raw);
            }
            if raw.len() != raw[0] as usize {
                nut_driver::debug!("size mismatch: {} / {}", raw.len(), raw[0]);
                return Ok(Vec::new());
            }
            super::raw_descriptor_to_ascii(&raw, buflen)
        }
        None => super::string_ascii(dev, index, buflen)?,
    };
    if super::is_no_ack(&buf) {
        return Ok(Vec::new());
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions};

    fn hunnox(langid_fix: Option<u16>, novendor: bool) -> Bridge {
        Bridge::new(BridgeKind::Hunnox, BridgeOptions { langid_fix, novendor, ..Default::default() })
            .expect("bridge")
    }

    fn device() -> Fake {
        // Answers of nut-674 / nut-2208 (0001:0000 "MEC0003" units).
        let mut dev = Fake::new();
        dev.string(0x01, "MEC")
            .string(0x03, "(232.0 000.0 232.0 000 50.0 13.6 29.0 00001000")
            .string(0x0c, "#                           V3.8      ")
            .string(0x0d, "#   .   .  12.00   . ");
        dev
    }

    #[test]
    fn lock_step_requests_precede_each_command() {
        let mut dev = device();
        let mut b = hunnox(Some(0x0409), false);
        for _ in 0..4 {
            let got = b.command(&mut dev, b"Q1\r").expect("Q1");
            // No CR added by this bridge.
            assert_eq!(got, b"(232.0 000.0 232.0 000 50.0 13.6 29.0 00001000".to_vec());
        }
        let asked: Vec<u8> = dev.string_indexes().iter().map(|&(i, _)| i).collect();
        // handshake 0,0,1 then Q1; step 1: 0x0d then Q1; step 2 skips 0x03
        // (the command itself); step 3: 0x0c; then step 1 again.
        assert_eq!(asked, vec![0, 0, 1, 3, 0x0d, 3, 3, 0x0c, 3]);
        assert!(dev.calls.contains(&Call::Pause(10)));
        // The command read asks for at most 102 bytes.
        assert!(dev.calls.iter().any(|c| matches!(c, Call::String { index: 3, len: 102, langid: 0x0409 })));
    }

    #[test]
    fn novendor_skips_the_vendor_string_step() {
        let mut dev = device();
        let mut b = hunnox(Some(0x0409), true);
        for _ in 0..4 {
            b.command(&mut dev, b"F\r").expect("F");
        }
        let asked: Vec<u8> = dev.string_indexes().iter().map(|&(i, _)| i).collect();
        assert_eq!(asked, vec![0, 0, 1, 0x0d, 0x0d, 3, 0x0d, 0x0d]);
    }

    #[test]
    fn size_mismatch_is_an_empty_answer_and_no_ack_too() {
        let mut dev = device();
        let mut bad = super::super::fake::desc("(1");
        bad[0] = 50;
        dev.strings.insert(3, [Ok(bad)].into_iter().collect());
        dev.string(0x07, "UPS No Ack");
        let mut b = hunnox(Some(0x0409), false);
        assert!(b.command(&mut dev, b"Q1\r").expect("Q1").is_empty());
        assert!(b.command(&mut dev, b"Q\r").expect("Q").is_empty());
        assert_eq!(b.command(&mut dev, b"M\r").expect("M"), b"M\r".to_vec());
    }
}
