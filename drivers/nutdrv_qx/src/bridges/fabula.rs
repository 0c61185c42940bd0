//! fabula: like krauler, commands are string descriptor indexes, without
//! answer rewriting; shutdowns are encoded in the index (see
//! `shutdown_index`). "UPS No Ack" is the answer to every accepted command:
//! it becomes an empty answer (a failed query, a succeeded instant command).

use super::{UsbControl, UsbError};

/// (command, string index)
pub(super) const COMMANDS: &[(&[u8], u8)] = &[
    (b"Q1\r", 0x03), // status
    (b"F\r", 0x0d),  // ratings
    (b"I\r", 0x0c),  // vendor information
    (b"Q\r", 0x07),  // beeper toggle
    (b"C\r", 0x0a),  // cancel shutdown / load on
];

/// The string index for `cmd` in `table`, a shutdown's index, or None for a
/// command to echo.
pub(super) fn index_for(table: &[(&[u8], u8)], cmd: &[u8]) -> Option<u8> {
    if let Some(&(_, i)) = table.iter().find(|(s, _)| super::c_strneq(cmd, s, cmd.len())) {
        return Some(i);
    }
    let (n, m) = super::parse_shutdown(cmd)?;
    Some(super::shutdown_index(n, m).clamp(0, 255) as u8)
}

pub(super) fn command(dev: &mut dyn UsbControl, cmd: &[u8], buflen: usize) -> Result<Vec<u8>, UsbError> {
    let Some(index) = index_for(COMMANDS, cmd) else {
        return Ok(super::echo(cmd, buflen));
    };
    nut_driver::trace!("command index: 0x{index:02x}");
    let mut buf = super::string_ascii(dev, index, buflen)?;
    if buf.is_empty() {
        return Ok(buf);
    }
    super::add_missing_cr(&mut buf, buflen);
    if super::is_no_ack(&buf) {
        return Ok(Vec::new());
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::super::fake::Fake;
    use super::super::{Bridge, BridgeKind, BridgeOptions};

    /// nut-issues/nut-2208-frys-mec0003-usb-string-descriptor.txt
    fn mec0003() -> Fake {
        let mut dev = Fake::new();
        dev.string(0x03, "(231.0 000.0 232.0 000 49.7 13.6 29.0 00001000")
            .string(0x07, "UPS No Ack")
            .string(0x0d, "#   .   .  12.00   . ")
            .string(0x0c, "#                           V3.8      ");
        dev
    }

    #[test]
    fn mec0003_queries_and_beeper_toggle() {
        let mut dev = mec0003();
        let mut b = Bridge::new(BridgeKind::Fabula, BridgeOptions::default()).expect("bridge");
        assert_eq!(
            b.command(&mut dev, b"Q1\r").expect("Q1"),
            b"(231.0 000.0 232.0 000 49.7 13.6 29.0 00001000\r".to_vec()
        );
        assert_eq!(b.command(&mut dev, b"F\r").expect("F"), b"#   .   .  12.00   . \r".to_vec());
        // Beeper toggle: "UPS No Ack" -> empty answer, asked once.
        assert_eq!(b.command(&mut dev, b"Q\r").expect("Q"), Vec::<u8>::new());
        let asked: Vec<u8> = dev.string_indexes().iter().map(|&(i, _)| i).collect();
        assert_eq!(asked, vec![0, 3, 0, 0x0d, 0, 7]);
    }

    #[test]
    fn shutdowns_travel_as_string_indexes() {
        let mut dev = Fake::new();
        dev.string(0x18, "UPS No Ack").string(0x60, "UPS No Ack");
        let mut b = Bridge::new(BridgeKind::Fabula, BridgeOptions::default()).expect("bridge");
        assert!(b.command(&mut dev, b"S.5R0001\r").expect("S").is_empty());
        assert!(b.command(&mut dev, b"S01R0000\r").expect("S").is_empty());
        let asked: Vec<u8> = dev.string_indexes().iter().map(|&(i, _)| i).collect();
        assert_eq!(asked, vec![0, 0x18, 0, 0x60]);
    }

    #[test]
    fn unsupported_commands_are_echoed() {
        let mut dev = Fake::new();
        let mut b = Bridge::new(BridgeKind::Fabula, BridgeOptions::default()).expect("bridge");
        assert_eq!(b.command(&mut dev, b"T\r").expect("T"), b"T\r".to_vec());
        assert_eq!(b.command(&mut dev, b"TL\r").expect("TL"), b"TL\r".to_vec());
        assert!(dev.calls.is_empty());
    }
}
