//! The Meta System frame format and the replies this driver reads, as pure functions.
//!
//! Every message, both ways, is one frame:
//!
//! ```text
//! STX (0x02) | LEN | DATA ... | CHECKSUM
//! ```
//!
//! `LEN` counts the data bytes plus the checksum byte; the checksum is the sum, modulo 256,
//! of `LEN` and the data bytes. The first data byte is the command; a reply repeats the
//! command it answers. A read request is therefore 4 bytes: `02 02 CMD (02+CMD)`.
//! Multi-byte numbers are little-endian; signed 16-bit values use -1 for "over range" and
//! -2 for "not available" (the protocol's markers). Facts from the Meta System UPS Protocol
//! Rev.1.12 as NUT 2.8.5's metasys driver reads it.

/// Start of a frame.
pub const STX: u8 = 0x02;
/// The longest data part a frame can carry (`LEN` is one byte and counts the checksum).
pub const MAX_DATA: usize = 254;

/// Command codes (the first data byte).
pub mod cmd {
    /// Model, firmware version, serial number.
    pub const INFO: u8 = 0x00;
    /// Output power, voltage, current.
    pub const OUTPUT: u8 = 0x01;
    /// Input power, voltage, current.
    pub const INPUT: u8 = 0x02;
    /// Status, fault, temperature.
    pub const STATUS: u8 = 0x03;
    /// Battery voltage and thresholds.
    pub const BATTERY: u8 = 0x04;
    /// Run-time counters.
    pub const HISTORY: u8 = 0x05;
    /// Scheduled shutdown and restart.
    pub const GET_SCHEDULING: u8 = 0x06;
    /// Times on battery and the auto-restart flag.
    pub const GET_TIMES_ON_BATTERY: u8 = 0x08;
    /// Schedule a shutdown / restart.
    pub const SET_SCHEDULING: u8 = 0x0a;
    /// Set the times on battery and the auto-restart flag.
    pub const SET_TIMES_ON_BATTERY: u8 = 0x0c;
    /// Mute or enable the buzzer.
    pub const SET_BUZZER_MUTE: u8 = 0x0d;
    /// Battery test, forced battery mode, back to mains.
    pub const SET_BATTERY_TEST: u8 = 0x0e;
}

/// Why bytes are not a good frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The first byte is not STX.
    #[error("packet not on start: first byte 0x{0:02x} is not STX (0x02)")]
    NoStart(u8),
    /// `LEN` is below 2 (a frame holds at least a command and the checksum).
    #[error("packet length {0} (at least 2)")]
    BadLength(u8),
    /// Fewer bytes than `LEN` says.
    #[error("got {got} bytes instead of {want}")]
    Short {
        /// Bytes after `LEN`.
        got: usize,
        /// What `LEN` says.
        want: usize,
    },
    /// The checksum byte does not match.
    #[error("checksum error: got 0x{got:02x} instead of 0x{want:02x}")]
    Checksum {
        /// In the frame.
        got: u8,
        /// Computed.
        want: u8,
    },
    /// Bytes after the end of the frame.
    #[error("{0} bytes after the end of the frame")]
    Trailing(usize),
    /// Nothing to send (a frame needs at least the command byte), or too much.
    #[error("a frame carries 1 to 254 data bytes, not {0}")]
    DataSize(usize),
}

/// The checksum of a frame whose `LEN` byte is `len` and whose data is `data`.
pub fn checksum(len: u8, data: &[u8]) -> u8 {
    data.iter().fold(len, |a, &b| a.wrapping_add(b))
}

/// The frame that carries `data` (command byte first).
pub fn frame(data: &[u8]) -> Result<Vec<u8>, FrameError> {
    if data.is_empty() || data.len() > MAX_DATA {
        return Err(FrameError::DataSize(data.len()));
    }
    let len = (data.len() + 1) as u8;
    let mut f = Vec::with_capacity(data.len() + 3);
    f.push(STX);
    f.push(len);
    f.extend_from_slice(data);
    f.push(checksum(len, data));
    Ok(f)
}

/// The 4-byte request for a read command.
pub fn read_request(command: u8) -> [u8; 4] {
    [STX, 2, command, 2u8.wrapping_add(command)]
}

/// How many bytes follow a frame's `LEN` byte (the data and the checksum).
pub fn body_len(len: u8) -> Result<usize, FrameError> {
    if len < 2 {
        return Err(FrameError::BadLength(len));
    }
    Ok(len as usize)
}

/// The data of a whole frame (STX through checksum), checked.
pub fn decode_frame(bytes: &[u8]) -> Result<&[u8], FrameError> {
    let (&first, rest) = bytes.split_first().ok_or(FrameError::Short { got: 0, want: 2 })?;
    if first != STX {
        return Err(FrameError::NoStart(first));
    }
    let (&len, body) = rest.split_first().ok_or(FrameError::Short { got: 0, want: 2 })?;
    let want = body_len(len)?;
    decode_body(len, body.get(..want).ok_or(FrameError::Short { got: body.len(), want })?).and_then(|d| {
        if body.len() > want {
            Err(FrameError::Trailing(body.len() - want))
        } else {
            Ok(d)
        }
    })
}

/// The data of a frame from its `LEN` byte and the `LEN` bytes after it, checked.
pub fn decode_body(len: u8, body: &[u8]) -> Result<&[u8], FrameError> {
    let want = body_len(len)?;
    if body.len() != want {
        return Err(FrameError::Short { got: body.len(), want });
    }
    let (data, sum) = body.split_at(want - 1);
    let expect = checksum(len, data);
    if sum[0] != expect {
        return Err(FrameError::Checksum { got: sum[0], want: expect });
    }
    Ok(data)
}

/// A reply too short for what is read from it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reply to command 0x{command:02x} has {got} data bytes, {want} needed")]
pub struct ShortReply {
    /// The command answered.
    pub command: u8,
    /// Data bytes received.
    pub got: usize,
    /// Data bytes needed.
    pub want: usize,
}

fn need(data: &[u8], want: usize) -> Result<(), ShortReply> {
    if data.len() < want {
        return Err(ShortReply { command: data.first().copied().unwrap_or(0xff), got: data.len(), want });
    }
    Ok(())
}

fn word(data: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([data[at], data[at + 1]])
}

fn long(data: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]])
}

/// A measurement with the protocol's markers.
#[derive(Debug, Clone, PartialEq)]
pub enum Reading {
    /// A value, formatted as NUT publishes it.
    Value(String),
    /// -1: over range (published as `overrange`).
    Overrange,
    /// -2: not available (published as `not available`).
    NotAvailable,
    /// Zero or another negative value: the variable keeps what it had.
    Keep,
}

impl Reading {
    /// What to publish, if anything.
    pub fn text(&self) -> Option<&str> {
        match self {
            Reading::Value(v) => Some(v),
            Reading::Overrange => Some("overrange"),
            Reading::NotAvailable => Some("not available"),
            Reading::Keep => None,
        }
    }
}

/// A whole-number reading (volts).
pub fn whole(raw: u16) -> Reading {
    match raw as i16 {
        v if v > 0 => Reading::Value(v.to_string()),
        -1 => Reading::Overrange,
        -2 => Reading::NotAvailable,
        _ => Reading::Keep,
    }
}

/// A reading in tenths (amperes), published with two decimals.
pub fn tenths(raw: u16) -> Reading {
    match raw as i16 {
        v if v > 0 => Reading::Value(format!("{:.2}", f64::from(v as f32 / 10.0))),
        -1 => Reading::Overrange,
        -2 => Reading::NotAvailable,
        _ => Reading::Keep,
    }
}

/// The answer to [`cmd::INFO`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// Model type (data byte 1) x 10 + model version (byte 2): the key of
    /// [`crate::tables::MODELS`].
    pub model_code: u16,
    /// `major.minor` from bytes 5 and 6.
    pub firmware: String,
    /// Up to 12 bytes from byte 7 (to the first NUL).
    pub serial: String,
}

/// Decode the answer to [`cmd::INFO`] (at least 7 data bytes).
pub fn info(data: &[u8]) -> Result<Info, ShortReply> {
    need(data, 7)?;
    let raw = &data[7..data.len().min(7 + 12)];
    let raw = raw.split(|&b| b == 0).next().unwrap_or_default();
    Ok(Info {
        model_code: u16::from(data[1]) * 10 + u16::from(data[2]),
        firmware: format!("{}.{}", data[5], data[6]),
        serial: String::from_utf8_lossy(raw).into_owned(),
    })
}

/// The answer to [`cmd::OUTPUT`].
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Active power (W).
    pub power: u16,
    /// `output.voltage`.
    pub voltage: Reading,
    /// `output.current`.
    pub current: Reading,
}

/// Decode the answer to [`cmd::OUTPUT`] (power, voltage, current: 7 data bytes).
pub fn output(data: &[u8]) -> Result<Output, ShortReply> {
    need(data, 7)?;
    Ok(Output { power: word(data, 1), voltage: whole(word(data, 3)), current: tenths(word(data, 5)) })
}

/// `ups.load` from the output power and the model's nominal power, as NUT computes it
/// (whole-number percentage, shown with one decimal).
pub fn load(power: u16, nominal: u32) -> String {
    if nominal == 0 {
        return "not available".into();
    }
    format!("{:.1}", f64::from(u32::from(power) * 100 / nominal))
}

/// Decode `input.voltage` from the answer to [`cmd::INPUT`] (5 data bytes).
pub fn input_voltage(data: &[u8]) -> Result<Reading, ShortReply> {
    need(data, 5)?;
    Ok(whole(word(data, 3)))
}

/// Decode `battery.voltage` from the answer to [`cmd::BATTERY`] (3 data bytes): tenths of
/// a volt, always published.
pub fn battery_voltage(data: &[u8]) -> Result<String, ShortReply> {
    need(data, 3)?;
    Ok(format!("{:.2}", f64::from(f32::from(word(data, 1) as i16) / 10.0)))
}

/// Decode the auto-restart flag (data byte 5) from the answer to
/// [`cmd::GET_TIMES_ON_BATTERY`].
pub fn autorestart(data: &[u8]) -> Result<bool, ShortReply> {
    need(data, 6)?;
    Ok(data[5] != 0)
}

/// Decode `ups.delay.shutdown` and `ups.delay.start` from the answer to
/// [`cmd::GET_SCHEDULING`] (two 32-bit counts of seconds; -1 = none scheduled, published
/// as 120 and 0).
pub fn schedule(data: &[u8]) -> Result<(String, String), ShortReply> {
    need(data, 9)?;
    let show = |v: u32, none: u32| if v as i32 == -1 { none.to_string() } else { v.to_string() };
    Ok((show(long(data, 1), 120), show(long(data, 5), 0)))
}

/// The answer to [`cmd::STATUS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The status code (byte 1).
    pub status: u8,
    /// The fault code (byte 2).
    pub fault: u8,
    /// `ups.temperature`: byte 3 less 128 (modulo 256, as NUT), `not available` when 0.
    pub temperature: String,
}

/// Decode the answer to [`cmd::STATUS`] (4 data bytes).
pub fn status(data: &[u8]) -> Result<Status, ShortReply> {
    need(data, 4)?;
    let t = data[3].wrapping_sub(128);
    Ok(Status {
        status: data[1],
        fault: data[2],
        temperature: if t != 0 { t.to_string() } else { "not available".into() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_requests_are_stx_len_cmd_sum() {
        assert_eq!(read_request(cmd::INFO), [0x02, 0x02, 0x00, 0x02]);
        assert_eq!(read_request(cmd::STATUS), [0x02, 0x02, 0x03, 0x05]);
        assert_eq!(frame(&[cmd::STATUS]).expect("test data"), read_request(cmd::STATUS));
        assert_eq!(read_request(0xff), [0x02, 0x02, 0xff, 0x01], "the sum wraps");
    }

    #[test]
    fn write_frames_carry_the_sum_of_len_and_data() {
        // shutdown.stop: schedule -1 / -1.
        let f = frame(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).expect("test data");
        assert_eq!(f[..2], [0x02, 0x0a]);
        assert_eq!(*f.last().expect("test data"), (0x0a + 0x0a + 8 * 0xffu32) as u8);
        assert_eq!(decode_frame(&f).expect("test data")[0], 0x0a);
        assert_eq!(frame(&[]), Err(FrameError::DataSize(0)));
        assert_eq!(frame(&[0; 255]), Err(FrameError::DataSize(255)));
        assert!(frame(&[0; 254]).is_ok());
    }

    #[test]
    fn bad_frames_are_refused() {
        assert_eq!(decode_frame(&[0x03, 0x02, 0x00, 0x02]), Err(FrameError::NoStart(3)));
        assert_eq!(decode_frame(&[0x02, 0x01, 0x00]), Err(FrameError::BadLength(1)));
        assert_eq!(decode_frame(&[0x02, 0x03, 0x00]), Err(FrameError::Short { got: 1, want: 3 }));
        assert_eq!(decode_frame(&[0x02, 0x02, 0x03, 0xfa]), Err(FrameError::Checksum { got: 0xfa, want: 5 }));
        assert_eq!(decode_frame(&[0x02, 0x02, 0x03, 0x05, 0x00]), Err(FrameError::Trailing(1)));
        assert_eq!(decode_frame(&[]), Err(FrameError::Short { got: 0, want: 2 }));
    }

    #[test]
    fn info_gives_model_code_firmware_and_serial() {
        // ally HF 1000 (12 x 10 + 1), firmware 3.2, serial "AB12345678CD" and more bytes.
        let mut d = vec![0x00, 12, 1, 0, 0, 3, 2];
        d.extend_from_slice(b"AB12345678CDEF");
        let i = info(&d).expect("test data");
        assert_eq!(i.model_code, 121);
        assert_eq!(i.firmware, "3.2");
        assert_eq!(i.serial, "AB12345678CD", "12 bytes at most");
        let mut d2 = d[..7].to_vec();
        d2.extend_from_slice(b"XY\0Z");
        assert_eq!(info(&d2).expect("test data").serial, "XY");
        assert_eq!(info(&d[..7]).expect("test data").serial, "");
        assert_eq!(info(&d[..6]), Err(ShortReply { command: 0, got: 6, want: 7 }));
    }

    #[test]
    fn readings_use_the_protocol_markers() {
        assert_eq!(whole(230).text(), Some("230"));
        assert_eq!(whole(0xffff).text(), Some("overrange"));
        assert_eq!(whole(0xfffe).text(), Some("not available"));
        assert_eq!(whole(0), Reading::Keep);
        assert_eq!(whole(0xfffd), Reading::Keep);
        assert_eq!(tenths(23).text(), Some("2.30"));
        assert_eq!(tenths(0xffff).text(), Some("overrange"));
        assert_eq!(battery_voltage(&[4, 0x1c, 0x01]).expect("test data"), "28.40");
        assert_eq!(battery_voltage(&[4, 0xfe, 0xff]).expect("test data"), "-0.20");
    }

    #[test]
    fn load_is_a_whole_percentage_of_the_nominal_power() {
        assert_eq!(load(350, 700), "50.0");
        assert_eq!(load(351, 700), "50.0");
        assert_eq!(load(0, 700), "0.0");
        assert_eq!(load(65535, 330), "19859.0");
    }

    #[test]
    fn schedule_and_status() {
        let mut d = vec![6];
        d.extend_from_slice(&(-1i32).to_le_bytes());
        d.extend_from_slice(&(-1i32).to_le_bytes());
        assert_eq!(schedule(&d).expect("test data"), ("120".into(), "0".into()));
        let mut d = vec![6];
        d.extend_from_slice(&30u32.to_le_bytes());
        d.extend_from_slice(&1u32.to_le_bytes());
        assert_eq!(schedule(&d).expect("test data"), ("30".into(), "1".into()));
        let s = status(&[3, 1, 5, 128 + 31]).expect("test data");
        assert_eq!((s.status, s.fault, s.temperature.as_str()), (1, 5, "31"));
        assert_eq!(status(&[3, 0, 0, 128]).expect("test data").temperature, "not available");
        assert_eq!(status(&[3, 0, 0, 16]).expect("test data").temperature, "144", "below 128 wraps, as NUT");
        assert!(autorestart(&[8, 0, 0, 0, 0, 1]).expect("test data"));
        assert!(autorestart(&[8, 0, 0, 0, 0]).is_err());
    }
}
