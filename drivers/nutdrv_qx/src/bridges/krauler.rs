//! krauler: no serial data at all. Each supported Megatec command is a USB
//! string descriptor read (the index names the command), the answer is the
//! string; its first character is replaced by the one the serial answer
//! starts with. "UPS No Ack" is retried (10 tries). Unknown commands are
//! echoed back, as a Megatec UPS does. With `langid_fix` the descriptor is
//! read raw in that language and converted here.

use super::{UsbControl, UsbError};

/// (command, string index, first character of the answer)
pub(super) const COMMANDS: &[(&[u8], u8, u8)] = &[
    (b"Q1\r", 0x03, b'('),
    (b"F\r", 0x0d, b'#'),
    (b"I\r", 0x0c, b'#'),
    (b"T\r", 0x04, b'\r'),
    (b"TL\r", 0x05, b'\r'),
    (b"Q\r", 0x07, b'\r'),
    (b"C\r", 0x0b, b'\r'),
    (b"CT\r", 0x0b, b'\r'),
];

pub(super) fn command(
    dev: &mut dyn UsbControl,
    cmd: &[u8],
    buflen: usize,
    langid_fix: Option<u16>,
    blazer: bool,
) -> Result<Vec<u8>, UsbError> {
    let found = COMMANDS.iter().find(|(s, _, _)| {
        if blazer {
            super::c_streq(cmd, s)
        } else {
            super::c_strneq(cmd, s, cmd.len())
        }
    });
    let Some(&(_, index, prefix)) = found else {
        return Ok(super::echo(cmd, buflen));
    };
    for _ in 0..10 {
        let mut buf = match langid_fix {
            Some(langid) => {
                let raw = dev.string_descriptor(index, langid, buflen)?;
                if raw.is_empty() {
                    return Ok(Vec::new());
                }
                if raw.len() != raw[0] as usize {
                    nut_driver::debug!("size mismatch: {} / {}", raw.len(), raw[0]);
                    continue;
                }
                super::raw_descriptor_to_ascii(&raw, buflen)
            }
            None => {
                let s = super::string_ascii(dev, index, buflen)?;
                if s.is_empty() {
                    return Ok(Vec::new());
                }
                s
            }
        };
        let no_ack = if blazer {
            buf.eq_ignore_ascii_case(b"UPS No Ack")
        } else {
            super::add_missing_cr(&mut buf, buflen);
            super::is_no_ack(&buf)
        };
        if no_ack {
            nut_driver::trace!("read: UPS No Ack");
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
    use super::super::fake::{desc, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions, Flavor, UsbError};

    fn krauler(langid_fix: Option<u16>, flavor: Flavor) -> Bridge {
        Bridge::new(BridgeKind::Krauler, BridgeOptions { langid_fix, flavor, ..Default::default() })
            .expect("bridge")
    }

    /// nut-issues/nut-674-digitech-650va-usb-string-descriptor.txt: the
    /// vendor software asks string 0x03 (Q1), 0x0c (I), 0x0d (F) in
    /// language 0x0409; the device answers without a CR.
    fn digitech() -> Fake {
        let mut dev = Fake::new();
        dev.string(0x03, "(248.0 000.0 250.0 000 50.0 13.5 29.0 00001000")
            .string(0x0c, "#                           V3.7      ")
            .string(0x0d, "#   .        .     . ");
        dev
    }

    #[test]
    fn digitech_650va_q1_f_i_over_string_descriptors() {
        let mut dev = digitech();
        let mut b = krauler(None, Flavor::NutdrvQx);
        assert_eq!(
            b.command(&mut dev, b"Q1\r").expect("Q1"),
            b"(248.0 000.0 250.0 000 50.0 13.5 29.0 00001000\r".to_vec()
        );
        assert_eq!(
            b.command(&mut dev, b"I\r").expect("I"),
            b"#                           V3.7      \r".to_vec()
        );
        assert_eq!(b.command(&mut dev, b"F\r").expect("F"), b"#   .        .     . \r".to_vec());
        // Without langid_fix libusb reads the language list (string 0), then
        // the string in the first language, each time.
        assert_eq!(
            dev.string_indexes(),
            vec![(0, 0), (3, 0x0409), (0, 0), (0x0c, 0x0409), (0, 0), (0x0d, 0x0409)]
        );
    }

    #[test]
    fn with_langid_fix_the_raw_descriptor_is_read_in_that_language() {
        let mut dev = digitech();
        let mut b = krauler(Some(0x4095), Flavor::NutdrvQx);
        let got = b.command(&mut dev, b"Q1\r").expect("Q1");
        assert_eq!(got, b"(248.0 000.0 250.0 000 50.0 13.5 29.0 00001000\r".to_vec());
        assert_eq!(dev.string_indexes(), vec![(3, 0x4095)]);
    }

    #[test]
    fn first_character_is_replaced_and_no_ack_retried() {
        // nut-2208: string 0x07 (beeper toggle) answers "UPS No Ack"; the
        // status string's first character is whatever the device sends.
        let mut dev = Fake::new();
        dev.string(0x03, "X231.0 000.0 232.0 000 49.7 13.6 29.0 00001000");
        dev.string(0x07, "UPS No Ack");
        let mut b = krauler(None, Flavor::NutdrvQx);
        assert_eq!(
            b.command(&mut dev, b"Q1\r").expect("Q1"),
            b"(231.0 000.0 232.0 000 49.7 13.6 29.0 00001000\r".to_vec()
        );
        let before = dev.string_indexes().len();
        assert_eq!(b.command(&mut dev, b"Q\r").expect("Q"), Vec::<u8>::new());
        // 10 tries of (language list + string 7).
        assert_eq!(dev.string_indexes().len() - before, 20);
    }

    #[test]
    fn size_mismatch_with_langid_fix_is_retried() {
        let mut dev = Fake::new();
        let mut bad = desc("(1");
        bad[0] = 40; // bLength says more than was received
        dev.string_raw(3, Ok(bad));
        dev.string_raw(3, Ok(desc("(2")));
        let mut b = krauler(Some(0x409), Flavor::NutdrvQx);
        assert_eq!(b.command(&mut dev, b"Q1\r").expect("Q1"), b"(2\r".to_vec());
    }

    #[test]
    fn unknown_commands_are_echoed_and_errors_passed_up() {
        let mut dev = Fake::new();
        let mut b = krauler(None, Flavor::NutdrvQx);
        assert_eq!(b.command(&mut dev, b"QGS\r").expect("echo"), b"QGS\r".to_vec());
        assert!(dev.calls.is_empty());
        dev.string_raw(3, Err(UsbError::NoDevice));
        assert_eq!(b.command(&mut dev, b"Q1\r"), Err(UsbError::NoDevice));
    }

    #[test]
    fn blazer_usb_keeps_the_answer_without_cr() {
        let mut dev = digitech();
        let mut b = krauler(None, Flavor::BlazerUsb);
        assert_eq!(
            b.command(&mut dev, b"Q1\r").expect("Q1"),
            b"(248.0 000.0 250.0 000 50.0 13.5 29.0 00001000".to_vec()
        );
    }
}
