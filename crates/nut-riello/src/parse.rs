//! The answers decoded as NUT 2.8.5's riello.c decodes them (`riello_parse_gi`, `_gn`, `_rs`,
//! `_re`, `_sentr`), into the one record NUT keeps ([`RielloData`], its `TRielloData`): each
//! answer overwrites the fields it carries. Every read is from NUT's 220-byte answer buffer
//! (zeros after the answer), and the arithmetic wraps as NUT's C integer types do, so a
//! malformed answer gives NUT's values, never a panic.

use crate::protocol::{SENTR_ALSO240, SENTR_EXT176, SENTR_ONLY192};

/// NUT's `TRielloData` (the fields the driver uses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RielloData {
    pub model: u16,
    pub sw_version: u16,
    pub uinp: [u16; 3],
    pub iinp: [u16; 3],
    pub finp: u16,
    pub uout: [u16; 3],
    pub iout: [u16; 3],
    pub pout: [u16; 3],
    pub ipout: [u16; 3],
    pub fout: u16,
    pub bat_time: u16,
    pub bat_cap: u16,
    pub ubat: u16,
    pub ibat: u16,
    pub tsystem: u16,
    pub nom_bat_cap: u16,
    pub ubypass: [u16; 3],
    pub fbypass: u16,
    pub lock_ups: u16,
    pub status_code: [u8; 12],
    pub identification: String,
    pub model_str: String,
    pub version: String,
    pub nom_power_kva: u16,
    pub nom_power_kw: u16,
    pub nom_ubat: u16,
    pub num_bat: u16,
    pub nominal_uout: u16,
    pub boost: u16,
    pub buck: u16,
    pub identif_bytes: [u8; 12],
    pub nom_fout: u16,
    pub pout_va: [u32; 3],
    pub pout_w: [u32; 3],
}

impl RielloData {
    /// Bit `bit` of the status code bytes (NUT's `riello_test_bit`: byte bit/8, bit bit%8).
    pub fn status_bit(&self, bit: usize) -> bool {
        self.status_code.get(bit / 8).is_some_and(|b| b & (1 << (bit % 8)) != 0)
    }
    /// Single-phase input (identification byte 0 is '1' or '2').
    pub fn input_monophase(&self) -> bool {
        matches!(self.identif_bytes[0], b'1' | b'2')
    }
    /// Single-phase output (identification byte 0 is '1' or '3').
    pub fn output_monophase(&self) -> bool {
        matches!(self.identif_bytes[0], b'1' | b'3')
    }
    /// GPSER answers carry a CRC (identification byte 4 is '1'), else the sum.
    pub fn gpser_crc(&self) -> bool {
        self.identif_bytes[4].wrapping_sub(0x30) != 0
    }
}

/// NUT's answer buffer view: bytes past the answer read as 0.
struct Buf<'a>(&'a [u8]);

impl Buf<'_> {
    fn at(&self, i: usize) -> u8 {
        self.0.get(i).copied().unwrap_or(0)
    }
    /// `n` nibble digits (`byte - 0x30` each, weights 16^k) from `j`, as C int arithmetic.
    fn digits(&self, j: &mut usize, n: usize) -> i64 {
        let mut v: i64 = 0;
        for k in (0..n).rev() {
            v += (self.at(*j) as i64 - 0x30) * (1i64 << (4 * k));
            *j += 1;
        }
        v
    }
    fn u16_digits(&self, j: &mut usize, n: usize) -> u16 {
        self.digits(j, n) as u16
    }
    fn word(&self, i: usize) -> u32 {
        self.at(i) as u32 + 256 * self.at(i + 1) as u32
    }
    fn cstr(&self, from: usize, n: usize) -> String {
        let raw: Vec<u8> = (from..from + n).map(|i| self.at(i)).take_while(|&b| b != 0).collect();
        String::from_utf8_lossy(&raw).into_owned()
    }
}

/// GI: serial number, model, firmware version, identification bytes.
pub fn parse_gi(buf: &[u8], d: &mut RielloData) {
    let b = Buf(buf);
    d.identification = b.cstr(7, 16);
    d.model_str = b.cstr(23, 15);
    d.version = b.cstr(39, 12);
    for i in 0..12 {
        d.identif_bytes[i] = if i < 11 { b.at(51 + i) } else { 0 };
    }
    d.num_bat = d.identif_bytes[7].wrapping_sub(0x30) as u16;
}

/// GN: nominal power, battery voltage and capacity, output voltage and frequency.
pub fn parse_gn(buf: &[u8], d: &mut RielloData) {
    let b = Buf(buf);
    let mut j = 7;
    for kw in [false, true] {
        let mut v = b.digits(&mut j, 5) as u32;
        if d.identif_bytes[0] != b'1' {
            v /= 100;
        }
        if kw {
            d.nom_power_kw = v as u16;
        } else {
            d.nom_power_kva = v as u16;
        }
    }
    d.nom_ubat = b.u16_digits(&mut j, 3);
    d.nom_bat_cap = b.u16_digits(&mut j, 3);
    d.nominal_uout = b.u16_digits(&mut j, 3);
    d.nom_fout = b.u16_digits(&mut j, 3);
}

/// RS: status code, frequencies, voltages, load, battery, temperature. `numread` is NUT's
/// expected length (42 single-phase input, 48 three-phase input and single-phase output, 64
/// three-phase), which decides whether the other phases are read.
pub fn parse_rs(buf: &[u8], d: &mut RielloData, numread: u8) {
    let b = Buf(buf);
    let mut j = 7;
    for i in 0..5 {
        d.status_code[i] = b.at(j + i);
    }
    d.status_code[5] = 0;
    let bit = |n: usize| (b.at(j + n / 8) >> (n % 8)) & 1;
    d.boost = bit(9) as u16;
    d.buck = bit(8) as u16;
    d.lock_ups = bit(2) as u16;
    j += 5;
    d.finp = b.u16_digits(&mut j, 3);
    d.uinp[0] = b.u16_digits(&mut j, 3);
    let fout = b.u16_digits(&mut j, 3);
    d.fout = if d.status_bit(3) { fout } else { 0 };
    d.uout[0] = b.u16_digits(&mut j, 3);
    d.pout[0] = b.u16_digits(&mut j, 2);
    d.fbypass = b.u16_digits(&mut j, 3);
    d.ubypass[0] = b.u16_digits(&mut j, 3);
    d.ubat = b.u16_digits(&mut j, 4);
    d.bat_cap = b.u16_digits(&mut j, 2);
    d.bat_time = b.u16_digits(&mut j, 3);
    if d.bat_time == 0xfff {
        d.bat_time = 0xffff;
    }
    d.tsystem = b.u16_digits(&mut j, 2);
    if numread > 42 {
        d.uinp[1] = b.u16_digits(&mut j, 3);
        d.uinp[2] = b.u16_digits(&mut j, 3);
    } else {
        d.uinp[1] = 0;
        d.uinp[2] = 0;
    }
    if numread > 48 {
        d.uout[1] = b.u16_digits(&mut j, 3);
        d.pout[1] = b.u16_digits(&mut j, 2);
        d.ubypass[1] = b.u16_digits(&mut j, 3);
        d.uout[2] = b.u16_digits(&mut j, 3);
        d.pout[2] = b.u16_digits(&mut j, 2);
        d.ubypass[2] = b.u16_digits(&mut j, 3);
    } else {
        d.uout[1] = 0;
        d.pout[1] = 0;
        d.ubypass[1] = 0;
        d.uout[2] = 0;
        d.pout[2] = 0;
        d.ubypass[2] = 0;
    }
}

/// RE: output currents, real and apparent powers per phase.
pub fn parse_re(buf: &[u8], d: &mut RielloData) {
    let b = Buf(buf);
    let mut j = 23;
    d.iinp = [0xffff; 3];
    for i in 0..3 {
        d.iout[i] = b.u16_digits(&mut j, 4);
    }
    for i in 0..3 {
        d.pout_w[i] = b.digits(&mut j, 5) as u32;
    }
    for i in 0..3 {
        d.pout_va[i] = b.digits(&mut j, 5) as u32;
    }
}

/// A SENTR answer: everything at once. Returns the request byte to use from now on (NUT's
/// `requestSENTR`).
pub fn parse_sentr(buf: &[u8], d: &mut RielloData) -> u8 {
    let b = Buf(buf);
    let at = |i: usize| b.at(i) as u32;
    d.model = b.word(2) as u16;
    let model = d.model as u32;
    let base = if model < 3000 { model } else { model.wrapping_sub(3000) };
    let request = if base % 10 >= 4 {
        if at(100) & 0x01 != 0 {
            SENTR_EXT176
        } else {
            SENTR_ALSO240
        }
    } else {
        SENTR_ONLY192
    };
    d.nom_power_kva = (base / 10) as u16;
    let kva = d.nom_power_kva as u32;
    d.nom_power_kw =
        if at(76) & 0x08 != 0 { ((kva * 1000) * 9 / 10) / 1000 } else { ((kva * 1000) * 8 / 10) / 1000 }
            as u16;
    d.nom_power_kva = d.nom_power_kva.wrapping_mul(1000);
    d.nom_power_kw = d.nom_power_kw.wrapping_mul(1000);
    d.identif_bytes[0] = if model < 3000 { b'3' } else { b'4' };
    d.identif_bytes[1] = b'3';
    d.identif_bytes[6] = b'2';
    d.sw_version = b.word(4) as u16;
    let sw = d.sw_version as u32;
    let digit = |x: u32| char::from(b'0' + (x % 10) as u8);
    d.version = [digit(sw / 1000), digit(sw / 100), '.', digit(sw / 10), digit(sw)].iter().collect();
    let pom: u32 = base.wrapping_mul(100);
    if at(0) == SENTR_EXT176 as u32 {
        for i in 0..3 {
            d.uinp[i] = (b.word(117 + 2 * i) / 10) as u16;
            d.iinp[i] = (b.word(123 + 2 * i) / 10) as u16;
            d.uout[i] = (b.word(135 + 2 * i) / 10) as u16;
            d.iout[i] = (b.word(141 + 2 * i) / 10) as u16;
        }
        d.finp = b.word(41) as u16;
    } else {
        for i in 0..3 {
            d.uinp[i] = (at(35 + i) * 230 / 100) as u16;
            d.iinp[i] = (((pom / 690) * at(38 + i)) / 100) as u16;
        }
        d.finp = b.word(41) as u16;
        for i in 0..3 {
            d.uout[i] = if at(79) & 0x80 != 0 { at(59 + i) * 2 } else { at(59 + i) } as u16;
        }
        // NUT adds 256 to a byte below 100 in place, which a byte cannot hold: no change.
        if let Some(per) = pom.checked_div(at(73)) {
            let third = |x: u32| x / 3;
            let i1 = (per.wrapping_mul(at(62))) / 100;
            d.iout[0] = if model < 3000 { i1 } else { third(i1) } as u16;
            d.iout[1] = third(per.wrapping_mul(at(63)) / 100) as u16;
            d.iout[2] = third(per.wrapping_mul(at(64)) / 100) as u16;
        } else {
            d.iout = [0; 3];
        }
        if model & 0x0007 < 4 {
            for i in 0..3 {
                d.iout[i] = (d.iout[i] as f64 * 0.9) as u16;
            }
        }
    }
    for i in 0..3 {
        d.pout[i] = at(62 + i) as u16;
    }
    d.ipout[0] = (at(65) * 3) as u16;
    if model < 3000 {
        d.ipout[1] = 0;
        d.ipout[2] = 0;
    } else {
        d.ipout[1] = (at(66) * 3) as u16;
        d.ipout[2] = (at(67) * 3) as u16;
    }
    d.fout = b.word(68) as u16;
    d.bat_time = b.word(6) as u16;
    d.bat_cap = at(8) as u16;
    d.ubat = if at(0) == SENTR_ALSO240 as u32 || at(0) == SENTR_EXT176 as u32 {
        if at(100) & 0x80 != 0 {
            b.word(43) as u16
        } else if at(44) < at(43) {
            (at(44) * 2) as u16
        } else {
            (at(43) * 2) as u16
        }
    } else {
        b.word(43) as u16
    };
    d.ubat = d.ubat.wrapping_mul(10);
    d.ibat = b.word(45) as u16;
    if at(47) == 0 {
        d.ibat = d.ibat.wrapping_mul(10);
    }
    d.tsystem = at(48) as u16;
    d.nom_bat_cap = b.word(74) as u16;
    match at(0) as u8 {
        SENTR_EXT176 => {
            for i in 0..3 {
                d.ubypass[i] = (b.word(129 + 2 * i) / 10) as u16;
            }
        }
        SENTR_ALSO240 => {
            for i in 0..3 {
                d.ubypass[i] = (at(51 + 2 * i) * 2) as u16;
            }
        }
        _ => {
            for i in 0..3 {
                d.ubypass[i] = b.word(51 + 2 * i) as u16;
            }
        }
    }
    d.fbypass = b.word(57) as u16;
    d.status_code[..5].copy_from_slice(&[0x08, 0, 0, 0, 0]);
    if at(31) & 128 != 0 {
        d.status_code[4] |= 0x04;
    }
    let bit32 = |n: u32| (b.at(32 + (n / 8) as usize) >> (n % 8)) & 1 == 1;
    if (at(31) & 2 != 0 || bit32(0) || bit32(12) || bit32(13) || bit32(14)) && at(34) & 8 == 0 {
        d.status_code[1] |= 0x08;
    }
    if at(31) & 8 != 0 {
        d.status_code[0] |= 0x02;
    }
    if at(31) & 16 != 0 && at(31) & 8 != 0 {
        d.status_code[0] |= 0x03;
    }
    if at(22) & 2 != 0 || at(34) & 4 != 0 || at(34) & 8 != 0 {
        d.status_code[0] &= 0xF7;
    }
    if at(31) & 0x40 != 0 {
        d.status_code[2] |= 0x01;
    }
    request
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn gi_fields() {
        let mut b = vec![0x02, 0x22, 0x20, b'G', b'I', b'6', b'0'];
        b.extend(b"SN1234567890ABCD");
        b.extend(b"ULC2           X");
        b.extend(b"SWM039-01-03");
        b.extend(b"10000002    ");
        let mut d = RielloData::default();
        parse_gi(&b, &mut d);
        assert_eq!(d.identification, "SN1234567890ABCD");
        assert_eq!(d.model_str, "ULC2           ");
        assert_eq!(d.version, "SWM039-01-03");
        assert!(d.input_monophase() && d.output_monophase() && !d.gpser_crc());
        assert_eq!(d.num_bat, 2);
    }

    #[test]
    fn rs_single_phase() {
        // Status '8' (0x38: bit 3 normal), frequency 0x1F5 = 501 (50.1 Hz), input 0x0E7 = 231 V, ...
        let mut b = b"\x02\x22\x20RS31".to_vec();
        b.extend(b"8\x30\x34\x30\x30");
        b.extend(b"1?5" /* 1 F 5 */);
        b.extend(b"0>7");
        b.extend(b"1?5");
        b.extend(b"0>7");
        b.extend(b"00");
        b.extend(b"1?5");
        b.extend(b"0>7");
        b.extend(b"0111");
        b.extend(b"64");
        b.extend(b"0=8");
        b.extend(b"1?");
        let mut d = RielloData::default();
        parse_rs(&b, &mut d, 42);
        assert_eq!(d.finp, 501);
        assert_eq!(d.uinp[0], 231);
        assert_eq!(d.fout, 501);
        assert_eq!(d.ubat, 0x111);
        assert_eq!(d.bat_cap, 100);
        assert_eq!(d.bat_time, 0xd8);
        assert_eq!(d.tsystem, 31);
        assert!(d.status_bit(3) && !d.status_bit(1));
        assert!(d.status_bit(18)); // StatusCode[2] = '4' = 0x34: bit 2 charging.
    }

    #[test]
    fn malformed_digits_wrap_as_c() {
        let mut d = RielloData::default();
        parse_rs(&[0u8; 10], &mut d, 64);
        // (0 - 0x30) * 256 + (0 - 0x30) * 16 + (0 - 0x30) = -13104, as uint16_t.
        assert_eq!(d.finp, (-13104i32) as u16);
        parse_gn(&[], &mut d);
        parse_re(&[0xff; 3], &mut d);
        let _ = parse_sentr(&[0xff; 200], &mut d);
        let _ = parse_sentr(&[176; 3], &mut d);
    }
}
