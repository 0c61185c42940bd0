//! fuji: one 8-byte interrupt OUT report per command on endpoint 0x02:
//! 0x80 0x06 <len+1> 0x03 <command, at most 3 bytes, no CR> <0 padding>
//! <expected answer length>; the answer comes back in 8-byte reports on
//! 0x81, zero padded after the CR. `SnRm` with m != 0 is cut to `Sn` (the
//! UPS turns the load back on with the power); longer commands are echoed.

use super::{UsbControl, UsbError};
use std::time::Duration;

/// Expected answer lengths of the queries (0 for commands).
const QUERIES: &[(&[u8], u8)] = &[(b"Q1", 47), (b"F", 22), (b"I", 39)];

pub(super) fn command(dev: &mut dyn UsbControl, cmd: &[u8], buflen: usize) -> Result<Vec<u8>, UsbError> {
    let mut command = cmd[..super::line_len(cmd)].to_vec();
    if let Some((_, Some(m))) = super::parse_shutdown(cmd) {
        if m != 0 && command.len() > 3 {
            command.truncate(3);
        }
    }
    if command.len() > 3 {
        // NUT echoes cmdlen bytes of the command.
        let mut e = cmd.to_vec();
        e.truncate(buflen - 1);
        return Ok(e);
    }
    let answer_len = QUERIES.iter().find(|(q, _)| *q == command.as_slice()).map(|&(_, l)| l).unwrap_or(0);
    let mut report = [0u8; 8];
    report[0] = 0x80;
    report[1] = 0x06;
    report[2] = command.len() as u8 + 1;
    report[3] = 0x03;
    report[4..4 + command.len()].copy_from_slice(&command);
    report[7] = answer_len;
    let n = dev.interrupt_out(0x02, &report, Duration::from_millis(5000))?;
    if n == 0 {
        return Err(UsbError::Timeout);
    }
    let mut buf = Vec::new();
    while buf.len() + 8 <= buflen && !buf.contains(&b'\r') {
        let data = dev.interrupt_in(0x81, 8, Duration::from_millis(1000))?;
        if data.is_empty() {
            return Ok(Vec::new());
        }
        buf.extend_from_slice(&data);
    }
    // The reports are zero padded: the answer is the C string.
    buf.truncate(super::c_len(&buf));
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions, UsbError};

    #[test]
    fn q1_report_carries_the_expected_answer_length() {
        let line = b"(215.0 195.0 230.0 014 49.0 2.27 30.0 00101000\r";
        let mut dev = Fake::new();
        dev.interrupt_chunks(line, 8);
        let mut b = Bridge::new(BridgeKind::Fuji, BridgeOptions::default()).expect("bridge");
        assert_eq!(b.command(&mut dev, b"Q1\r").expect("Q1"), line.to_vec());
        assert_eq!(
            dev.calls[0],
            Call::InterruptOut { ep: 0x02, data: vec![0x80, 0x06, 3, 0x03, b'Q', b'1', 0, 47] }
        );
    }

    #[test]
    fn shutdown_return_is_cut_and_long_commands_echoed() {
        let mut dev = Fake::new();
        let mut b = Bridge::new(BridgeKind::Fuji, BridgeOptions::default()).expect("bridge");
        // S.5R0001 -> "S.5", no answer expected: the read times out.
        assert_eq!(b.command(&mut dev, b"S.5R0001\r"), Err(UsbError::Timeout));
        assert_eq!(
            dev.calls[0],
            Call::InterruptOut { ep: 0x02, data: vec![0x80, 0x06, 4, 0x03, b'S', b'.', b'5', 0] }
        );
        // shutdown.stayoff (R0000) is not supported: echoed.
        assert_eq!(b.command(&mut dev, b"S.5R0000\r").expect("echo"), b"S.5R0000\r".to_vec());
    }
}
