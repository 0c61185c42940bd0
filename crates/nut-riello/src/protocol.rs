//! Riello's two serial protocols as NUT 2.8.5's riello.c builds and reads them (the protocol
//! documents are PSGPSER-0104 and PSSENTR-0100, published at
//! <https://www.networkupstools.org/protocols/riello/>), as pure functions over bytes.
//!
//! GPSER: a request is `STX 0x20 0x22 C1 C2 L1 L2 [data] K1 K2 K3 K4 ETX`; numbers are written
//! one nibble per byte as `0x30 + nibble`, and so is the 16-bit check `K1..K4`, over every byte
//! after STX: their sum, or (when the UPS's identification says so) a CRC started at 0x554D.
//! An answer starts with STX and a byte above 0x20, ends with ETX, and carries the same kind of
//! check; NAK (0x15) as its fourth byte refuses the command.
//!
//! SENTR: a request is one byte (192; 240 or the five bytes `176 103 1 0 24` on the models that
//! answer more); the answer starts with the request byte (192 or more) and 103, or with 176 and
//! 164, is that many bytes long and ends with the 16-bit sum (low byte first) of the bytes
//! before it (the first 100 only, for the 103-byte answer). Commands are five bytes: 176, the
//! command, a 16-bit delay (low byte first) and the 8-bit sum.

/// Which protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// GPSER (NUT's DEV_RIELLOGPSER).
    Gpser,
    /// Sentinel (NUT's DEV_RIELLOSENTRY).
    Sentr,
}

/// Start of a GPSER frame.
pub const STX: u8 = 0x02;
/// End of a GPSER frame.
pub const ETX: u8 = 0x03;
/// GPSER's refusal, the fourth byte of an answer.
pub const NAK: u8 = 0x15;
/// NUT's answer buffer (BUFFER_SIZE): bytes past it are dropped, unread bytes read as 0.
pub const BUFFER_SIZE: usize = 220;
/// SENTR request bytes.
pub const SENTR_EXT176: u8 = 176;
pub const SENTR_ALSO240: u8 = 240;
pub const SENTR_ONLY192: u8 = 192;

/// The check of a GPSER frame (`buf[1..size]`: sum, or CRC when `crc`) or of a SENTR answer
/// (`buf[..size]`, the first 100 bytes when `size` is 101), as NUT 2.8.5's `riello_calc_CRC`.
pub fn check(kind: Kind, buf: &[u8], size: usize, crc: bool) -> u16 {
    let at = |i: usize| buf.get(i).copied().unwrap_or(0);
    match kind {
        Kind::Sentr => {
            let n = if size == 101 { 100 } else { size };
            (0..n).fold(0u16, |s, i| s.wrapping_add(at(i) as u16))
        }
        Kind::Gpser if crc => {
            let mut w: u16 = 0x554D;
            for i in 1..size {
                let mut pom = (w ^ at(i) as u16) & 0x00ff;
                pom = (pom ^ (pom << 4)) & 0x00ff;
                pom = (pom << 8) ^ (pom << 3) ^ (pom >> 4);
                w = (w >> 8) ^ pom;
            }
            w
        }
        Kind::Gpser => (1..size).fold(0u16, |s, i| s.wrapping_add(at(i) as u16)),
    }
}

/// A 16-bit value as GPSER's four nibble bytes.
pub fn nibbles(v: u16) -> [u8; 4] {
    [
        (v >> 12) as u8 + 0x30,
        ((v >> 8) & 0xf) as u8 + 0x30,
        ((v >> 4) & 0xf) as u8 + 0x30,
        (v & 0xf) as u8 + 0x30,
    ]
}

/// A GPSER request: header, command, length digits and data, check, ETX.
pub fn gpser_request(cmd: &[u8; 2], data: &[u8], crc: bool) -> Vec<u8> {
    let mut b = vec![STX, 0x20, 0x22, cmd[0], cmd[1]];
    let n = data.len() as u8;
    b.push(b'0' + n / 10);
    b.push(b'0' + n % 10);
    b.extend_from_slice(data);
    let c = check(Kind::Gpser, &b, b.len(), crc);
    b.extend_from_slice(&nibbles(c));
    b.push(ETX);
    b
}

/// GI: identification (always with the sum: the check kind is not known yet).
pub fn gi() -> Vec<u8> {
    gpser_request(b"GI", &[], false)
}
/// GN: nominal values.
pub fn gn(crc: bool) -> Vec<u8> {
    gpser_request(b"GN", &[], crc)
}
/// RS: status and measures.
pub fn rs(crc: bool) -> Vec<u8> {
    gpser_request(b"RS", &[], crc)
}
/// RE: extended measures (currents and powers).
pub fn re(crc: bool) -> Vec<u8> {
    gpser_request(b"RE", &[], crc)
}
/// RC: status codes.
pub fn rc(crc: bool) -> Vec<u8> {
    gpser_request(b"RC", &[], crc)
}
/// CS: shut down after `delay` seconds.
pub fn cs(crc: bool, delay: u16) -> Vec<u8> {
    gpser_request(b"CS", &nibbles(delay), crc)
}
/// CR: shut down now and restart after `delay` seconds.
pub fn cr(crc: bool, delay: u16) -> Vec<u8> {
    let mut d = b"0000".to_vec();
    d.extend_from_slice(&nibbles(delay));
    gpser_request(b"CR", &d, crc)
}
/// CD: cancel a shutdown.
pub fn cd(crc: bool) -> Vec<u8> {
    gpser_request(b"CD", &[], crc)
}
/// TP: panel test.
pub fn tp(crc: bool) -> Vec<u8> {
    gpser_request(b"TP", &[], crc)
}
/// TB: battery test (NUT asks for 5 minutes: data "005").
pub fn tb(crc: bool) -> Vec<u8> {
    gpser_request(b"TB", b"005", crc)
}

fn sentr_command(cmd: u8, delay: u16) -> Vec<u8> {
    let b = [SENTR_EXT176, cmd, (delay & 0xff) as u8, (delay >> 8) as u8];
    let sum = b.iter().fold(0u8, |s, &x| s.wrapping_add(x));
    vec![b[0], b[1], b[2], b[3], sum]
}
/// SENTR shutdown after `delay`.
pub fn sentr_shutdown(delay: u16) -> Vec<u8> {
    sentr_command(6, delay)
}
/// SENTR cancel shutdown.
pub fn sentr_cancel() -> Vec<u8> {
    sentr_command(5, 0)
}
/// SENTR set the restart delay.
pub fn sentr_set_reboot(delay: u16) -> Vec<u8> {
    sentr_command(2, delay)
}
/// SENTR restart.
pub fn sentr_reboot(delay: u16) -> Vec<u8> {
    sentr_command(1, delay)
}
/// SENTR battery test.
pub fn sentr_battery_test() -> Vec<u8> {
    sentr_command(4, 0)
}
/// The SENTR data request for a request byte (NUT's `get_ups_sentr`).
pub fn sentr_request(req: u8) -> Vec<u8> {
    if req == SENTR_EXT176 {
        vec![SENTR_EXT176, 103, 1, 0, 24]
    } else {
        vec![req]
    }
}

/// A complete answer: the bytes (in NUT's 220-byte zeroed buffer), how many were received,
/// and what NUT concluded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// NUT's answer buffer: the answer, then zeros.
    pub buf: Vec<u8>,
    /// Bytes received (at most [`BUFFER_SIZE`]).
    pub len: usize,
    /// GPSER refusal.
    pub nak: bool,
    /// The check does not match.
    pub bad_check: bool,
}

/// Finds one answer in the bytes received after a request, as NUT's
/// `riello_parse_serialport` does: it watches the last two bytes for a header (GPSER: STX then
/// a byte above 0x20, only for the first answer after the request; SENTR: a byte of 192 or
/// more then 103, or 176 then 164), collects up to the end (GPSER: ETX; SENTR: the length the
/// header gave), then judges NAK and the check.
#[derive(Debug, Clone)]
pub struct Deframer {
    kind: Kind,
    crc: bool,
    last: [u8; 6],
    buf: Vec<u8>,
    len: usize,
    in_frame: bool,
    length: usize,
}

impl Deframer {
    /// A deframer for one request; `crc`: GPSER answers carry a CRC instead of the sum.
    pub fn new(kind: Kind, crc: bool) -> Deframer {
        Deframer { kind, crc, last: [0; 6], buf: vec![0; BUFFER_SIZE], len: 0, in_frame: false, length: 0 }
    }

    fn header(&mut self, b: u8) -> bool {
        self.last.rotate_left(1);
        self.last[5] = b;
        match self.kind {
            Kind::Sentr => {
                if (self.last[4] >= 192 && self.last[5] == 103)
                    || (self.last[4] == 176 && self.last[5] == 164)
                {
                    self.length = self.last[5] as usize;
                    return true;
                }
                false
            }
            Kind::Gpser => self.len == 0 && self.last[5] > 0x20 && self.last[4] == STX,
        }
    }

    /// Feed one byte; returns the answer when this byte completes it.
    pub fn push(&mut self, b: u8) -> Option<Answer> {
        if self.header(b) && !self.in_frame {
            self.in_frame = true;
            self.len = 1;
            self.buf.iter_mut().for_each(|x| *x = 0);
            self.buf[0] = self.last[4];
        }
        if self.in_frame && self.len < BUFFER_SIZE {
            self.buf[self.len] = b;
            self.len += 1;
        }
        let tail = match self.kind {
            Kind::Sentr => self.len >= self.length,
            Kind::Gpser => self.last[5] == ETX,
        };
        if !(self.in_frame && tail) {
            return None;
        }
        self.in_frame = false;
        self.last = [0; 6];
        let nak = self.kind == Kind::Gpser && self.buf[3] == NAK;
        Some(Answer {
            buf: self.buf.clone(),
            len: self.len,
            nak,
            bad_check: !check_ok(self.kind, &self.buf, self.len, self.crc),
        })
    }

    /// How many bytes can be read at once without reading past the answer: the rest of a
    /// Sentinel answer once its header is in, else one.
    pub fn wanted(&self) -> usize {
        if self.kind == Kind::Sentr && self.in_frame {
            self.length.saturating_sub(self.len).max(1)
        } else {
            1
        }
    }

    /// Feed bytes until an answer completes; the rest of the bytes are left.
    pub fn feed(&mut self, bytes: &[u8]) -> Option<Answer> {
        bytes.iter().find_map(|&b| self.push(b))
    }
}

/// NUT's `riello_test_crc`, with answers too short to hold a check counted as bad (NUT reads
/// outside its buffer there).
pub fn check_ok(kind: Kind, buf: &[u8], size: usize, crc: bool) -> bool {
    let at = |i: usize| buf.get(i).copied().unwrap_or(0);
    match kind {
        Kind::Sentr => {
            if size < 2 {
                return false;
            }
            let got = at(size - 2) as u16 + at(size - 1) as u16 * 256;
            got == check(kind, buf, size - 2, false)
        }
        Kind::Gpser => {
            if size < 6 {
                return false;
            }
            let got = [5usize, 4, 3, 2].iter().zip([4096u32, 256, 16, 1]).fold(0u32, |s, (&k, w)| {
                s.wrapping_add((at(size - k) as u32).wrapping_sub(0x30).wrapping_mul(w))
            });
            got as u16 == check(kind, buf, size - 5, crc)
        }
    }
}

/// Build a GPSER answer from its bytes after STX up to the check: for tests and descriptions.
pub fn gpser_answer(body: &[u8], crc: bool) -> Vec<u8> {
    let mut b = vec![STX];
    b.extend_from_slice(body);
    let c = check(Kind::Gpser, &b, b.len(), crc);
    b.extend_from_slice(&nibbles(c));
    b.push(ETX);
    b
}

/// Build a SENTR answer from its bytes before the sum.
pub fn sentr_answer(body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    let c = check(Kind::Sentr, &b, b.len(), false);
    b.push((c & 0xff) as u8);
    b.push((c >> 8) as u8);
    b
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn gi_request_bytes() {
        // STX 20 22 'G' 'I' '0' '0', sum of bytes 1..6 = 0x20+0x22+0x47+0x49+0x30+0x30 = 0x132.
        assert_eq!(gi(), b"\x02\x20\x22GI00\x30\x31\x33\x32\x03");
    }

    #[test]
    fn crc_is_nut_2_8_5s() {
        // NUT 2.8.5's loop, written out once more on a known input.
        let b = b"\x02\x20\x22RS00";
        let mut w: u16 = 0x554D;
        for &x in &b[1..] {
            let mut p = (w ^ x as u16) & 0xff;
            p = (p ^ (p << 4)) & 0xff;
            p = (p << 8) ^ (p << 3) ^ (p >> 4);
            w = (w >> 8) ^ p;
        }
        assert_eq!(check(Kind::Gpser, b, b.len(), true), w);
        let r = rs(true);
        assert_eq!(&r[7..11], &nibbles(w));
    }

    #[test]
    fn deframer_finds_the_answer_and_judges_it() {
        let a = gpser_answer(b"\x22\x20GI08ABCDEFGH", false);
        let mut d = Deframer::new(Kind::Gpser, false);
        let mut stream = b"noise\x03".to_vec();
        stream.extend(&a);
        let got = d.feed(&stream).unwrap();
        assert_eq!(got.len, a.len());
        assert_eq!(&got.buf[..a.len()], &a[..]);
        assert!(!got.nak && !got.bad_check);
        // A damaged check.
        let mut bad = a.clone();
        let n = bad.len();
        bad[n - 2] ^= 1;
        assert!(Deframer::new(Kind::Gpser, false).feed(&bad).unwrap().bad_check);
        // NAK.
        let nak = gpser_answer(b"\x22\x15\x15", false);
        assert!(Deframer::new(Kind::Gpser, false).feed(&nak).unwrap().nak);
    }

    #[test]
    fn sentr_answer_sum_skips_byte_100() {
        let mut body = vec![0u8; 101];
        body[0] = 192;
        body[1] = 103;
        body[100] = 0x55;
        let a = sentr_answer(&body);
        assert_eq!(a.len(), 103);
        let mut d = Deframer::new(Kind::Sentr, false);
        let got = d.feed(&a).unwrap();
        assert!(!got.bad_check);
        assert_eq!(got.len, 103);
        // Byte 100 is outside the sum: changing it keeps the check good.
        let mut b = a.clone();
        b[100] = 0;
        assert!(!Deframer::new(Kind::Sentr, false).feed(&b).unwrap().bad_check);
        b[50] = 1;
        assert!(Deframer::new(Kind::Sentr, false).feed(&b).unwrap().bad_check);
    }

    #[test]
    fn sentr_commands() {
        assert_eq!(sentr_shutdown(5), [176, 6, 5, 0, 187]);
        assert_eq!(sentr_cancel(), [176, 5, 0, 0, 181]);
        assert_eq!(sentr_request(176), [176, 103, 1, 0, 24]);
        assert_eq!(sentr_request(192), [192]);
        assert_eq!(cs(false, 0x1234)[7..11], *b"1234");
        assert_eq!(tb(false)[5..10], *b"03005");
    }
}
