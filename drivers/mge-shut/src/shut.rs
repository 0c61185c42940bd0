//! SHUT (Serial HID UPS Transfer), MGE's framing of USB HID control requests over RS-232, as
//! pure functions and state machines: bytes in, bytes out, no I/O (the serial side is
//! [`crate::link`]). Facts from NUT 2.8.5's `drivers/libshut.c` (the "Simplified SHUT spec"
//! it cites):
//!
//! - the line runs at 2400 bps 8N1 with DTR off and RTS on;
//! - **sync**: the host sends a notification-level byte (`0x16` complete, `0x17` light,
//!   `0x18` off: NUT always sends `0x18`) and the UPS echoes it (4 tries, 1 s each);
//! - **packet**: `type`, `length`, up to 8 data bytes, `checksum`. `type` low nibble: `0x01`
//!   request, `0x04` response, `0x05` notification; high bit `0x80`: last packet of a
//!   transfer. `length` repeats the data length in both nibbles (`0x88` for 8). The checksum
//!   is the XOR of the data bytes;
//! - **tokens**: every packet is acknowledged by one byte, `0x06` (ACK) or `0x15` (NAK: send
//!   it again);
//! - a **request** is the 8-byte USB setup packet (`bmRequestType`, `bRequest`, `wValue`,
//!   `wIndex`, `wLength`, little-endian) in one packet; SET_REPORT sends it as a first,
//!   non-last packet followed by the report in packets of up to 8 bytes;
//! - the **answer** to a GET request comes as response packets of up to 8 bytes, the last
//!   one flagged; the host ACKs each good one and NAKs a bad checksum.

use thiserror::Error;

/// Line speed (NUT sets B2400 and has no other).
pub const SPEED: u32 = 2400;
/// Sync byte asking for complete notifications.
pub const SYNC: u8 = 0x16;
/// Sync byte asking for light notifications.
pub const SYNC_LIGHT: u8 = 0x17;
/// Sync byte turning notifications off: the one NUT sends (the driver polls).
pub const SYNC_OFF: u8 = 0x18;
/// Packet acknowledged.
pub const ACK: u8 = 0x06;
/// Packet refused: send it again.
pub const NAK: u8 = 0x15;
/// Packet type: request.
pub const TYPE_REQUEST: u8 = 0x01;
/// Packet type: response.
pub const TYPE_RESPONSE: u8 = 0x04;
/// Packet type: notification.
pub const TYPE_NOTIFY: u8 = 0x05;
/// Type flag: last packet of a transfer.
pub const LAST: u8 = 0x80;
/// Most data bytes in one packet.
pub const MAX_DATA: usize = 8;
/// Tries of sync and of a refused packet (NUT's `MAX_TRY`).
pub const MAX_TRY: u32 = 4;
/// Bad packets tolerated in one answer before giving up (NUT's receive loop: 3).
pub const MAX_BAD_PACKETS: u32 = 3;

/// USB descriptor types SHUT carries.
pub mod desc {
    /// Device descriptor.
    pub const DEVICE: u8 = 0x01;
    /// String descriptor.
    pub const STRING: u8 = 0x03;
    /// HID descriptor.
    pub const HID: u8 = 0x21;
    /// Report descriptor.
    pub const REPORT: u8 = 0x22;
    /// Length of a device descriptor.
    pub const DEVICE_SIZE: u16 = 18;
    /// Length of a HID descriptor.
    pub const HID_SIZE: u16 = 9;
}

/// The XOR of `data`.
pub fn checksum(data: &[u8]) -> u8 {
    data.iter().fold(0, |c, b| c ^ b)
}

/// A USB control request (the setup packet SHUT sends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// bmRequestType.
    pub request_type: u8,
    /// bRequest.
    pub request: u8,
    /// wValue.
    pub value: u16,
    /// wIndex.
    pub index: u16,
    /// wLength: the most bytes the host takes (GET) or the bytes it sends (SET).
    pub length: u16,
}

impl Setup {
    /// GET_DESCRIPTOR: device and string descriptors are standard requests to the device
    /// (`0x80`), HID and report descriptors to the interface (`0x81`).
    pub fn get_descriptor(dtype: u8, index: u8, length: u16) -> Setup {
        Setup {
            request_type: if dtype >= desc::HID { 0x81 } else { 0x80 },
            request: 0x06,
            value: (u16::from(dtype) << 8) | u16::from(index),
            index: 0,
            length,
        }
    }

    /// GET_DESCRIPTOR of string `index`.
    pub fn get_string(index: u8, length: u16) -> Setup {
        Setup::get_descriptor(desc::STRING, index, length)
    }

    /// HID GET_REPORT. SHUT asks every report as a Feature report (type 3), as NUT does.
    pub fn get_report(id: u8, length: u16) -> Setup {
        Setup { request_type: 0xa1, request: 0x01, value: 0x0300 | u16::from(id), index: 0, length }
    }

    /// HID SET_REPORT of a Feature report.
    pub fn set_report(id: u8, length: u16) -> Setup {
        Setup { request_type: 0x21, request: 0x09, value: 0x0300 | u16::from(id), index: 0, length }
    }

    /// True for a request that sends data (SET_REPORT), false for one that reads.
    pub fn is_out(&self) -> bool {
        self.request_type & 0x80 == 0
    }

    /// The 8 setup bytes, little-endian words.
    pub fn bytes(&self) -> [u8; 8] {
        let v = self.value.to_le_bytes();
        let i = self.index.to_le_bytes();
        let l = self.length.to_le_bytes();
        [self.request_type, self.request, v[0], v[1], i[0], i[1], l[0], l[1]]
    }
}

/// One packet on the wire: `type`, `length` (both nibbles), data, XOR checksum. `data` has
/// at most [`MAX_DATA`] bytes (longer data is cut there).
pub fn packet(ptype: u8, last: bool, data: &[u8]) -> Vec<u8> {
    let data = &data[..data.len().min(MAX_DATA)];
    let n = data.len() as u8;
    let mut out = Vec::with_capacity(data.len() + 3);
    out.push((ptype & 0x0f) | if last { LAST } else { 0 });
    out.push((n << 4) | n);
    out.extend_from_slice(data);
    out.push(checksum(data));
    out
}

/// The packets of a request: the setup packet, then for SET_REPORT the report in pieces of
/// up to 8 bytes; the last one flagged.
pub fn request_packets(setup: &Setup, data: &[u8]) -> Vec<Vec<u8>> {
    let out = setup.is_out() && !data.is_empty();
    let mut v = vec![packet(TYPE_REQUEST, !out, &setup.bytes())];
    if out {
        let chunks: Vec<&[u8]> = data.chunks(MAX_DATA).collect();
        for (i, c) in chunks.iter().enumerate() {
            v.push(packet(TYPE_REQUEST, i + 1 == chunks.len(), c));
        }
    }
    v
}

/// A packet received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// Type (low nibble: [`TYPE_RESPONSE`], [`TYPE_NOTIFY`], ...).
    pub ptype: u8,
    /// Last packet of its transfer.
    pub last: bool,
    /// The data bytes.
    pub data: Vec<u8>,
}

/// What the packet reader recognised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A sync byte where a packet should start (the UPS restarted its link).
    Sync(u8),
    /// A whole packet with a good checksum.
    Packet(Packet),
    /// The length byte is not a repeated nibble of at most 8.
    BadLength(u8),
    /// The checksum does not match the data.
    BadChecksum {
        /// The checksum of the data received.
        want: u8,
        /// The checksum byte received.
        got: u8,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
enum ReadState {
    #[default]
    Type,
    Length {
        ptype: u8,
    },
    Data {
        ptype: u8,
        len: usize,
    },
    Check {
        ptype: u8,
    },
}

/// Reads packets byte by byte.
#[derive(Debug, Clone, Default)]
pub struct PacketReader {
    state: ReadState,
    data: Vec<u8>,
}

impl PacketReader {
    /// Take one byte; `Some` when it ends a packet (or shows a bad one).
    pub fn push(&mut self, b: u8) -> Option<Received> {
        match self.state {
            ReadState::Type => {
                if matches!(b, SYNC | SYNC_LIGHT | SYNC_OFF) {
                    return Some(Received::Sync(b));
                }
                self.state = ReadState::Length { ptype: b };
                None
            }
            ReadState::Length { ptype } => {
                let n = usize::from(b & 0x0f);
                if b >> 4 != b & 0x0f || n > MAX_DATA {
                    self.reset();
                    return Some(Received::BadLength(b));
                }
                self.data.clear();
                self.state =
                    if n == 0 { ReadState::Check { ptype } } else { ReadState::Data { ptype, len: n } };
                None
            }
            ReadState::Data { ptype, len } => {
                self.data.push(b);
                if self.data.len() == len {
                    self.state = ReadState::Check { ptype };
                }
                None
            }
            ReadState::Check { ptype } => {
                let want = checksum(&self.data);
                let data = std::mem::take(&mut self.data);
                self.reset();
                if want != b {
                    return Some(Received::BadChecksum { want, got: b });
                }
                Some(Received::Packet(Packet { ptype: ptype & 0x0f, last: ptype & LAST != 0, data }))
            }
        }
    }

    /// Forget a partial packet.
    pub fn reset(&mut self) {
        self.state = ReadState::Type;
        self.data.clear();
    }

    /// True between packets.
    pub fn idle(&self) -> bool {
        self.state == ReadState::Type
    }
}

/// Why an exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShutError {
    /// Nothing (or not enough) arrived in time.
    #[error("no answer from the UPS")]
    Timeout,
    /// The UPS refused a packet [`MAX_TRY`] times.
    #[error("the UPS refused the request {0} times (NAK)")]
    Refused(u32),
    /// Bytes that are neither ACK nor NAK came instead of the acknowledgement.
    #[error("unexpected byte 0x{0:02x} instead of an acknowledgement")]
    NoAck(u8),
    /// Too many packets of the answer had a bad checksum.
    #[error("{0} packets of the answer had a bad checksum")]
    Checksum(u32),
    /// A packet with an impossible length byte.
    #[error("bad packet length byte 0x{0:02x}")]
    BadLength(u8),
    /// The UPS sent a sync byte in the middle of a transfer.
    #[error("the UPS resynchronised (0x{0:02x}) during a transfer")]
    Resync(u8),
    /// The answer is longer than the request allowed.
    #[error("answer longer than the {0} bytes asked for")]
    TooLong(usize),
}

/// What the host feeds an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A byte from the UPS.
    Byte(u8),
    /// The per-byte deadline passed with nothing received.
    Timeout,
}

/// What the host does after feeding an exchange: send `send` (possibly empty), then stop
/// with `done` or wait for the next byte.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Step {
    /// Bytes to write now.
    pub send: Vec<u8>,
    /// The exchange's result, when it is over.
    pub done: Option<Result<Vec<u8>, ShutError>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    AwaitAck,
    Receive,
    Over,
}

/// One control transfer: request packets out (each acknowledged), then for a GET the answer
/// packets in (each acknowledged by the host). Feed it every byte and every timeout.
#[derive(Debug, Clone)]
pub struct Exchange {
    packets: Vec<Vec<u8>>,
    next: usize,
    refused: u32,
    bad: u32,
    phase: Phase,
    reader: PacketReader,
    data: Vec<u8>,
    limit: usize,
    reply: bool,
}

impl Exchange {
    /// Start a transfer; returns it and the bytes to send first.
    pub fn start(setup: &Setup, out: &[u8]) -> (Exchange, Vec<u8>) {
        let packets = request_packets(setup, out);
        let first = packets[0].clone();
        let x = Exchange {
            packets,
            next: 0,
            refused: 0,
            bad: 0,
            phase: Phase::AwaitAck,
            reader: PacketReader::default(),
            data: Vec::new(),
            limit: usize::from(setup.length),
            reply: !setup.is_out(),
        };
        (x, first)
    }

    /// True once the result has been given.
    pub fn is_over(&self) -> bool {
        self.phase == Phase::Over
    }

    fn finish(&mut self, send: Vec<u8>, r: Result<Vec<u8>, ShutError>) -> Step {
        self.phase = Phase::Over;
        Step { send, done: Some(r) }
    }

    /// Feed one input.
    pub fn input(&mut self, i: Input) -> Step {
        match (&self.phase, i) {
            (Phase::Over, _) => Step::default(),
            (_, Input::Timeout) => self.finish(Vec::new(), Err(ShutError::Timeout)),
            (Phase::AwaitAck, Input::Byte(b)) => self.ack(b),
            (Phase::Receive, Input::Byte(b)) => self.receive(b),
        }
    }

    fn ack(&mut self, b: u8) -> Step {
        match b {
            ACK => {
                self.next += 1;
                self.refused = 0;
                if let Some(p) = self.packets.get(self.next) {
                    return Step { send: p.clone(), done: None };
                }
                if self.reply {
                    self.phase = Phase::Receive;
                    Step::default()
                } else {
                    self.finish(Vec::new(), Ok(Vec::new()))
                }
            }
            NAK => {
                self.refused += 1;
                if self.refused >= MAX_TRY {
                    return self.finish(Vec::new(), Err(ShutError::Refused(self.refused)));
                }
                Step { send: self.packets[self.next].clone(), done: None }
            }
            // A notification or noise instead of the token: NUT NAKs it (the UPS repeats
            // its notification, or gives up) and keeps waiting for the acknowledgement.
            other => {
                self.refused += 1;
                if self.refused >= MAX_TRY {
                    return self.finish(vec![NAK], Err(ShutError::NoAck(other)));
                }
                Step { send: vec![NAK], done: None }
            }
        }
    }

    fn receive(&mut self, b: u8) -> Step {
        match self.reader.push(b) {
            None => Step::default(),
            Some(Received::Sync(s)) => self.finish(Vec::new(), Err(ShutError::Resync(s))),
            Some(Received::BadLength(l)) => self.finish(vec![NAK], Err(ShutError::BadLength(l))),
            Some(Received::BadChecksum { .. }) => {
                self.bad += 1;
                if self.bad >= MAX_BAD_PACKETS {
                    return self.finish(vec![NAK], Err(ShutError::Checksum(self.bad)));
                }
                Step { send: vec![NAK], done: None }
            }
            Some(Received::Packet(p)) => {
                self.bad = 0;
                if p.ptype == TYPE_NOTIFY {
                    // Notifications are acknowledged and dropped (the driver polls).
                    return Step { send: vec![ACK], done: None };
                }
                self.data.extend_from_slice(&p.data);
                if self.data.len() > self.limit {
                    return self.finish(vec![ACK], Err(ShutError::TooLong(self.limit)));
                }
                if p.last {
                    let data = std::mem::take(&mut self.data);
                    return self.finish(vec![ACK], Ok(data));
                }
                Step { send: vec![ACK], done: None }
            }
        }
    }
}

/// Sync: send the byte, expect it echoed; [`MAX_TRY`] tries.
#[derive(Debug, Clone)]
pub struct Sync {
    byte: u8,
    tries: u32,
}

impl Sync {
    /// Start with `byte` (NUT: [`SYNC_OFF`]); returns the bytes to send.
    pub fn start(byte: u8) -> (Sync, Vec<u8>) {
        (Sync { byte, tries: 1 }, vec![byte])
    }

    /// Feed the answer to the last try (`None`: nothing in time). `Ok(true)`: in sync;
    /// `Ok(false)`: send the byte again; `Err`: all tries used.
    pub fn input(&mut self, got: Option<u8>) -> Result<bool, ShutError> {
        if got == Some(self.byte) {
            return Ok(true);
        }
        if self.tries >= MAX_TRY {
            return Err(ShutError::Timeout);
        }
        self.tries += 1;
        Ok(false)
    }
}

/// What the device descriptor tells the driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeviceDescriptor {
    /// idVendor.
    pub vendor_id: u16,
    /// idProduct.
    pub product_id: u16,
    /// bcdDevice.
    pub bcd_device: u16,
    /// iManufacturer.
    pub i_manufacturer: u8,
    /// iProduct.
    pub i_product: u8,
    /// iSerialNumber.
    pub i_serial: u8,
}

/// Descriptor answers that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DescriptorError {
    /// Fewer bytes than the fields need.
    #[error("{what} descriptor too short (expected {need}, got {got})")]
    Short {
        /// Which descriptor.
        what: &'static str,
        /// Bytes needed.
        need: usize,
        /// Bytes received.
        got: usize,
    },
    /// Not a string descriptor.
    #[error("not a string descriptor (type 0x{0:02x})")]
    NotString(u8),
    /// The string descriptor says it is longer than what came.
    #[error("string descriptor says {said} bytes, {got} came")]
    StringLength {
        /// bLength.
        said: usize,
        /// Bytes received.
        got: usize,
    },
}

/// Parse a device descriptor. NUT accepts 9 bytes or more (the ids are in the first 12; the
/// string indexes, beyond, read as 0 when missing).
pub fn device_descriptor(b: &[u8]) -> Result<DeviceDescriptor, DescriptorError> {
    if b.len() < 9 {
        return Err(DescriptorError::Short { what: "DEVICE", need: 18, got: b.len() });
    }
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let word = |i: usize| u16::from_le_bytes([at(i), at(i + 1)]);
    Ok(DeviceDescriptor {
        vendor_id: word(8),
        product_id: word(10),
        bcd_device: word(12),
        i_manufacturer: at(14),
        i_product: at(15),
        i_serial: at(16),
    })
}

/// The report descriptor length a HID descriptor gives (bytes 7-8).
pub fn report_descriptor_length(b: &[u8]) -> Result<usize, DescriptorError> {
    if b.len() < 9 {
        return Err(DescriptorError::Short { what: "HID", need: 9, got: b.len() });
    }
    Ok(usize::from(u16::from_le_bytes([b[7], b[8]])))
}

/// Decode a string descriptor as NUT does: UTF-16LE code units whose high byte is not zero
/// become `?`; at most `max` characters.
pub fn string_descriptor(b: &[u8], max: usize) -> Result<String, DescriptorError> {
    if b.len() < 2 {
        return Err(DescriptorError::Short { what: "string", need: 2, got: b.len() });
    }
    if b[1] != desc::STRING {
        return Err(DescriptorError::NotString(b[1]));
    }
    let said = usize::from(b[0]);
    if said > b.len() {
        return Err(DescriptorError::StringLength { said, got: b.len() });
    }
    let mut s = String::new();
    let mut i = 2;
    while i < said && s.len() < max {
        let hi = b.get(i + 1).copied().unwrap_or(0);
        s.push(if hi != 0 { '?' } else { char::from(b[i]) });
        i += 2;
    }
    Ok(s)
}

/// NUT's report buffer length for report `id`: the longest of its Input, Output and Feature
/// forms, plus the id byte (`replen[id] + 1`), which is the wLength of its GET_REPORT.
pub fn report_request_length(d: &nut_hid::Descriptor, id: u8) -> Option<usize> {
    d.report_lengths.iter().filter(|((_, i), _)| *i == id).map(|(_, n)| n + 1).max()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(x: &mut Exchange, bytes: &[u8]) -> (Vec<u8>, Option<Result<Vec<u8>, ShutError>>) {
        let mut sent = Vec::new();
        for &b in bytes {
            let s = x.input(Input::Byte(b));
            sent.extend(s.send);
            if s.done.is_some() {
                return (sent, s.done);
            }
        }
        (sent, None)
    }

    #[test]
    fn get_report_request_is_one_last_packet_with_the_setup_bytes() {
        // GET_REPORT feature 0x0d, 4 bytes: a1 01 0d 03 00 00 04 00, XOR = 0xaa.
        let s = Setup::get_report(0x0d, 4);
        let p = request_packets(&s, &[]);
        assert_eq!(p, vec![vec![0x81, 0x88, 0xa1, 0x01, 0x0d, 0x03, 0x00, 0x00, 0x04, 0x00, 0xaa]]);
    }

    #[test]
    fn descriptor_requests_go_to_device_or_interface() {
        assert_eq!(Setup::get_descriptor(desc::DEVICE, 0, 18).bytes(), [0x80, 6, 0, 1, 0, 0, 18, 0]);
        assert_eq!(Setup::get_descriptor(desc::REPORT, 0, 926).bytes(), [0x81, 6, 0, 0x22, 0, 0, 0x9e, 3]);
        assert_eq!(Setup::get_string(2, 128).bytes(), [0x80, 6, 2, 3, 0, 0, 128, 0]);
    }

    #[test]
    fn set_report_sends_setup_then_data_each_acknowledged() {
        let (mut x, first) = Exchange::start(&Setup::set_report(0x11, 3), &[0x11, 0x14, 0x00]);
        assert_eq!(first[0], 0x01, "setup packet is not the last one");
        let s = x.input(Input::Byte(ACK));
        assert_eq!(s.send, vec![0x81, 0x33, 0x11, 0x14, 0x00, 0x11 ^ 0x14]);
        assert_eq!(s.done, None);
        let s = x.input(Input::Byte(ACK));
        assert_eq!(s.done, Some(Ok(Vec::new())));
    }

    #[test]
    fn answer_in_several_packets_is_joined_and_each_acknowledged() {
        let (mut x, _) = Exchange::start(&Setup::get_descriptor(desc::REPORT, 0, 10), &[]);
        let mut bytes = vec![ACK];
        bytes.extend(packet(TYPE_RESPONSE, false, &[1, 2, 3, 4, 5, 6, 7, 8]));
        bytes.extend(packet(TYPE_RESPONSE, true, &[9, 10]));
        let (sent, done) = run(&mut x, &bytes);
        assert_eq!(sent, vec![ACK, ACK]);
        assert_eq!(done, Some(Ok((1..=10).collect())));
    }

    #[test]
    fn bad_checksum_is_naked_and_the_repeat_accepted() {
        let (mut x, _) = Exchange::start(&Setup::get_report(1, 4), &[]);
        let good = packet(TYPE_RESPONSE, true, &[1, 0x25, 0, 0]);
        let mut bad = good.clone();
        *bad.last_mut().unwrap() ^= 0xff;
        let mut bytes = vec![ACK];
        bytes.extend(&bad);
        bytes.extend(&good);
        let (sent, done) = run(&mut x, &bytes);
        assert_eq!(sent, vec![NAK, ACK]);
        assert_eq!(done, Some(Ok(vec![1, 0x25, 0, 0])));
    }

    #[test]
    fn three_bad_packets_fail_the_exchange() {
        let (mut x, _) = Exchange::start(&Setup::get_report(1, 4), &[]);
        let mut bad = packet(TYPE_RESPONSE, true, &[1, 2]);
        *bad.last_mut().unwrap() ^= 1;
        let mut bytes = vec![ACK];
        for _ in 0..3 {
            bytes.extend(&bad);
        }
        let (_, done) = run(&mut x, &bytes);
        assert_eq!(done, Some(Err(ShutError::Checksum(3))));
    }

    #[test]
    fn nak_resends_the_request_until_max_try() {
        let (mut x, first) = Exchange::start(&Setup::get_report(1, 4), &[]);
        for _ in 1..MAX_TRY {
            assert_eq!(x.input(Input::Byte(NAK)).send, first);
        }
        assert_eq!(x.input(Input::Byte(NAK)).done, Some(Err(ShutError::Refused(MAX_TRY))));
    }

    #[test]
    fn timeout_ends_the_exchange() {
        let (mut x, _) = Exchange::start(&Setup::get_report(1, 4), &[]);
        assert_eq!(x.input(Input::Timeout).done, Some(Err(ShutError::Timeout)));
        assert!(x.is_over());
    }

    #[test]
    fn bad_length_byte_and_resync_fail() {
        let (mut x, _) = Exchange::start(&Setup::get_report(1, 4), &[]);
        let (sent, done) = run(&mut x, &[ACK, 0x84, 0x99]);
        assert_eq!((sent, done), (vec![NAK], Some(Err(ShutError::BadLength(0x99)))));
        let (mut x, _) = Exchange::start(&Setup::get_report(1, 4), &[]);
        assert_eq!(run(&mut x, &[ACK, SYNC_OFF]).1, Some(Err(ShutError::Resync(SYNC_OFF))));
    }

    #[test]
    fn notification_packets_are_acknowledged_and_dropped() {
        let (mut x, _) = Exchange::start(&Setup::get_report(1, 4), &[]);
        let mut bytes = vec![ACK];
        bytes.extend(packet(TYPE_NOTIFY, true, &[0x0c, 1]));
        bytes.extend(packet(TYPE_RESPONSE, true, &[1, 2, 3, 4]));
        let (sent, done) = run(&mut x, &bytes);
        assert_eq!(sent, vec![ACK, ACK]);
        assert_eq!(done, Some(Ok(vec![1, 2, 3, 4])));
    }

    #[test]
    fn answer_longer_than_asked_is_refused() {
        let (mut x, _) = Exchange::start(&Setup::get_report(1, 2), &[]);
        let mut bytes = vec![ACK];
        bytes.extend(packet(TYPE_RESPONSE, true, &[1, 2, 3]));
        assert_eq!(run(&mut x, &bytes).1, Some(Err(ShutError::TooLong(2))));
    }

    #[test]
    fn sync_tries_four_times() {
        let (mut s, b) = Sync::start(SYNC_OFF);
        assert_eq!(b, vec![0x18]);
        assert_eq!(s.input(None), Ok(false));
        assert_eq!(s.input(Some(0x00)), Ok(false));
        assert_eq!(s.input(Some(0x18)), Ok(true));
        let (mut s, _) = Sync::start(SYNC_OFF);
        for _ in 1..MAX_TRY {
            assert_eq!(s.input(None), Ok(false));
        }
        assert_eq!(s.input(None), Err(ShutError::Timeout));
    }

    #[test]
    fn descriptors_parse() {
        let d = [18, 1, 0x10, 1, 0, 0, 0, 8, 0x63, 0x04, 0xff, 0xff, 0x00, 0x01, 1, 2, 3, 1];
        let dd = device_descriptor(&d).unwrap();
        assert_eq!((dd.vendor_id, dd.product_id, dd.bcd_device), (0x0463, 0xffff, 0x0100));
        assert_eq!((dd.i_manufacturer, dd.i_product, dd.i_serial), (1, 2, 3));
        assert!(device_descriptor(&d[..8]).is_err());
        assert_eq!(report_descriptor_length(&[9, 0x21, 0x10, 1, 0, 1, 0x22, 0x9e, 0x03]), Ok(926));
        assert_eq!(string_descriptor(&[8, 3, b'E', 0, b'a', 0, 0x41, 0x04], 128).unwrap(), "Ea?");
        assert_eq!(
            string_descriptor(&[8, 3, b'E', 0], 128),
            Err(DescriptorError::StringLength { said: 8, got: 4 })
        );
        assert_eq!(string_descriptor(&[4, 2, b'E', 0], 128), Err(DescriptorError::NotString(2)));
    }
}
