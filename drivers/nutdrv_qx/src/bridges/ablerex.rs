//! ablerex: HID reports 0x05 both ways. The command goes out as SET_REPORT
//! (wValue 0x305): 0x05, 0x00, <length with CR>, <command with CR>, zero
//! padded to 47 bytes; half a second later GET_REPORT (0x305) returns up to
//! 47 bytes of answer. Answers of the wrong length to Q1 (47), I (39) and F
//! (22) are retried (3 tries); a bad Q5 answer becomes "(" and zeros.

use super::{UsbControl, UsbError, REQTYPE_CLASS_IN_IFACE, REQTYPE_CLASS_OUT_IFACE};
use super::{REQ_GET_REPORT, REQ_SET_REPORT};
use std::time::Duration;

pub(super) fn command(dev: &mut dyn UsbControl, cmd: &[u8], _buflen: usize) -> Result<Vec<u8>, UsbError> {
    for _ in 0..3 {
        let mut report = [0u8; 47];
        report[0] = 0x05;
        let n = (super::line_len(cmd) + 1).min(255);
        report[2] = n as u8;
        for (i, &b) in cmd.iter().take(n).enumerate().take(44) {
            report[3 + i] = b;
        }
        if let Err(e) = dev.control_out(
            REQTYPE_CLASS_OUT_IFACE,
            REQ_SET_REPORT,
            0x305,
            0,
            &report,
            Duration::from_millis(1000),
        ) {
            nut_driver::trace!("R11 read: {e}");
        }
        dev.pause(Duration::from_millis(500));
        let reply = dev.control_in(
            REQTYPE_CLASS_IN_IFACE,
            REQ_GET_REPORT,
            0x305,
            0,
            47,
            Duration::from_millis(1000),
        )?;
        if reply.is_empty() {
            return Ok(Vec::new());
        }
        let mut buf = Vec::new();
        let mut len = 0;
        for (idx, &b) in reply.iter().take(47).enumerate() {
            buf.push(b);
            if b == b'\r' {
                len = idx + 1;
                break;
            }
        }
        let is = |c: &[u8]| super::c_len(cmd) == c.len() && cmd[..c.len()].eq_ignore_ascii_case(c);
        if (is(b"Q1\r") && len != 47) || (is(b"I\r") && len != 39) || (is(b"F\r") && len != 22) {
            continue;
        }
        if is(b"Q5\r") && len != 22 {
            nut_driver::trace!("read Q5 Fail...");
            let mut out = vec![0u8; 22];
            out[0] = b'(';
            return Ok(out);
        }
        buf.truncate(len);
        return Ok(buf);
    }
    Ok(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions};

    fn bridge() -> Bridge {
        Bridge::new(BridgeKind::Ablerex, BridgeOptions::default()).expect("bridge")
    }

    #[test]
    fn q1_report_out_then_report_in() {
        // ablerex.txt (nut-testing-tables) Q1 answer.
        let line = b"(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000\r";
        assert_eq!(line.len(), 47);
        let mut dev = Fake::new();
        dev.control_ins.push_back(Ok(line.to_vec()));
        let got = bridge().command(&mut dev, b"Q1\r").expect("Q1");
        assert_eq!(got, line.to_vec());
        let Call::ControlOut { rt, req, value, data, .. } = &dev.calls[0] else {
            panic!("control out first");
        };
        assert_eq!((*rt, *req, *value, data.len()), (0x21, 0x09, 0x305, 47));
        assert_eq!(&data[..6], &[0x05, 0, 3, b'Q', b'1', b'\r']);
        assert_eq!(dev.calls[1], Call::Pause(500));
        assert!(matches!(dev.calls[2], Call::ControlIn { rt: 0xa1, req: 0x01, value: 0x305, len: 47, .. }));
    }

    #[test]
    fn wrong_lengths_are_retried_three_times() {
        let mut dev = Fake::new();
        for _ in 0..3 {
            dev.control_ins.push_back(Ok(b"(short\r".to_vec()));
        }
        assert!(bridge().command(&mut dev, b"Q1\r").expect("Q1").is_empty());
        assert_eq!(dev.control_outs().len(), 3);
    }

    #[test]
    fn a_bad_q5_answer_becomes_an_empty_record() {
        let mut dev = Fake::new();
        dev.control_ins.push_back(Ok(b"(garbage\r".to_vec()));
        let got = bridge().command(&mut dev, b"Q5\r").expect("Q5");
        assert_eq!(got.len(), 22);
        assert_eq!(got[0], b'(');
        assert!(got[1..].iter().all(|&b| b == 0));
    }
}
