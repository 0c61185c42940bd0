//! phoenix: cypress framing (1 s write timeout) after flushing what the
//! converter still holds: up to 8 interrupt reads, a stall is cleared.

use super::{UsbControl, UsbError, EP_IN_1};
use std::time::Duration;

pub(super) fn command(
    dev: &mut dyn UsbControl,
    cmd: &[u8],
    buflen: usize,
    blazer: bool,
) -> Result<Vec<u8>, UsbError> {
    for _ in 0..8 {
        match dev.interrupt_in(EP_IN_1, 8, Duration::from_millis(1000)) {
            Ok(stale) => nut_driver::trace!("dump: {:02x?}", stale),
            Err(e) => {
                if e == UsbError::Pipe {
                    let _ = dev.clear_halt(EP_IN_1);
                }
                nut_driver::trace!("flush: {e}");
                break;
            }
        }
    }
    let cmd = if blazer { &cmd[..super::c_len(cmd)] } else { cmd };
    super::cypress::send_chunks(dev, cmd, 0x200, Duration::from_millis(1000))?;
    super::cypress::read_until_cr(dev, 8, buflen, blazer)
}

#[cfg(test)]
mod tests {
    use super::super::fake::{Call, Fake};
    use super::super::{Bridge, BridgeKind, BridgeOptions, UsbError};

    #[test]
    fn stale_bytes_are_flushed_before_the_command() {
        let mut dev = Fake::new();
        dev.interrupt(b"00 00001");
        dev.interrupt(b"000\r\0\0\0\0");
        dev.interrupts.push_back(Err(UsbError::Pipe));
        dev.interrupt_chunks(b"#230.0 000 024.0 50.0\r", 8);
        let mut b = Bridge::new(BridgeKind::Phoenix, BridgeOptions::default()).expect("bridge");
        let got = b.command(&mut dev, b"F\r").expect("answer");
        assert_eq!(&got[..22], b"#230.0 000 024.0 50.0\r");
        assert_eq!(got.len(), 24);
        // Three flush reads, the stall cleared, then the command.
        assert_eq!(dev.calls[3], Call::ClearHalt(0x81));
        assert!(matches!(
            &dev.calls[4],
            Call::ControlOut { value: 0x200, timeout_ms: 1000, data, .. } if data == b"F\r\0\0\0\0\0\0"
        ));
    }

    #[test]
    fn the_flush_stops_after_8_reads() {
        let mut dev = Fake::new();
        for _ in 0..8 {
            dev.interrupt(b"garbage!");
        }
        dev.interrupt_chunks(b"(ok\r", 8);
        let mut b = Bridge::new(BridgeKind::Phoenix, BridgeOptions::default()).expect("bridge");
        let got = b.command(&mut dev, b"Q1\r").expect("answer");
        assert_eq!(&got[..4], b"(ok\r");
    }
}
