//! The NHS serial protocol as NUT 2.8.5's nhs_ser reads it (drivers/nhs_ser.c:
//! `upsdrv_updateinfo`, `mount_datapacket`, `mount_hwinfo`, `calculate_checksum`), as pure
//! functions over bytes.
//!
//! - Every packet starts with `0xFF` and ends with `0xFE`; a `0xFF` anywhere restarts the
//!   packet, and a packet that reaches 100 bytes without its end is dropped ([`Framer`]).
//! - Packets are told apart by their length: 21 bytes is a data packet (type `D`), streamed by
//!   the UPS on its own; 18 or 50 bytes is the hardware information packet (type `S`), the
//!   answer to [`INIT_LONG`]/[`INIT_SHORT`].
//! - The checksum is the low byte of the sum of every byte after the header up to the one
//!   before the checksum ([`checksum`]).
//! - A measured value is two bytes, an integer part and a decimal part written as digits:
//!   (127, 5) is 127.5, (127, 50) is 127.50, (13, 75) is 13.75 ([`two_part`]).

/// The hardware information request NUT sends first (its "extended" initialisation string).
pub const INIT_LONG: [u8; 9] = [0xFF, 0x09, 0x53, 0x83, 0x00, 0x00, 0x00, 0xDF, 0xFE];
/// The short form, which NUT also tries after six unanswered long ones.
pub const INIT_SHORT: [u8; 9] = [0xFF, 0x09, 0x53, 0x03, 0x00, 0x00, 0x00, 0x5F, 0xFE];

/// Start of every packet.
pub const HEADER: u8 = 0xFF;
/// End of every packet.
pub const END: u8 = 0xFE;
/// A packet this long without its end is dropped (NUT's DATAPACKETSIZE).
pub const MAX_PACKET: usize = 100;
/// Length of a data packet, header to end marker.
pub const DATA_LEN: usize = 21;
/// Lengths of the hardware information packet (short and long forms).
pub const HWINFO_LENS: [usize; 2] = [18, 50];

/// What the framer made of one more byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framed {
    /// A whole packet, header to end marker.
    Packet(Vec<u8>),
    /// A packet reached [`MAX_PACKET`] bytes without its end marker and was dropped.
    Overflow,
}

/// Cuts the byte stream into packets (NUT's read loop in `upsdrv_updateinfo`).
#[derive(Debug, Clone, Default)]
pub struct Framer {
    buf: Vec<u8>,
    started: bool,
}

impl Framer {
    /// Feed one byte.
    pub fn push(&mut self, b: u8) -> Option<Framed> {
        if b == HEADER {
            self.started = true;
            self.buf.clear();
        }
        if !self.started {
            return None;
        }
        self.buf.push(b);
        if b == END {
            self.started = false;
            return Some(Framed::Packet(std::mem::take(&mut self.buf)));
        }
        if self.buf.len() >= MAX_PACKET {
            self.started = false;
            self.buf.clear();
            return Some(Framed::Overflow);
        }
        None
    }

    /// Feed bytes, collecting what they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Framed> {
        bytes.iter().filter_map(|&b| self.push(b)).collect()
    }

    /// Forget a partial packet (after the port was reopened).
    pub fn reset(&mut self) {
        self.started = false;
        self.buf.clear();
    }
}

/// The low byte of the sum of `pkt[from..=to]` (NUT's `calculate_checksum`); bytes past the
/// end count as 0, as in NUT's zeroed 100-byte buffer.
pub fn checksum(pkt: &[u8], from: usize, to: usize) -> u8 {
    (from..=to).map(|i| pkt.get(i).copied().unwrap_or(0) as u32).sum::<u32>() as u8
}

/// A value sent as an integer part and a decimal part written as digits (NUT's `createfloat`:
/// `"%d.%d"` read back with `atof`, kept as a C `float`).
pub fn two_part(int: u8, dec: u8) -> f32 {
    format!("{int}.{dec}").parse::<f64>().unwrap_or(0.0) as f32
}

/// Bit `i` of `byte`, counting from the most significant (NUT's `get_bit_in_position`).
fn msb_bit(byte: u8, i: u32) -> bool {
    (byte >> (7 - i)) & 1 == 1
}

/// A decoded data packet (NUT's `pkt_data`).
#[derive(Debug, Clone, PartialEq)]
pub struct DataPacket {
    /// Byte 1: the length the UPS announces.
    pub length: u8,
    /// Byte 2: the packet type (`D`).
    pub packet_type: u8,
    /// Bytes 3-4: input voltage (V).
    pub vacinrms: f32,
    /// Bytes 5-6: battery voltage as sent.
    pub vdcmed: f32,
    /// The battery voltage: bytes 5-6, divided by 10 when the decimal part is 0 (NUT's rule).
    pub vdcmed_real: f32,
    /// Byte 7: load (%).
    pub potrms: u8,
    /// Bytes 8-9: lowest input voltage seen (V).
    pub vacinrmsmin: f32,
    /// Bytes 10-11: highest input voltage seen (V).
    pub vacinrmsmax: f32,
    /// Bytes 12-13: output voltage (V).
    pub vacoutrms: f32,
    /// Bytes 14-15: temperature (°C).
    pub tempmed: f32,
    /// Byte 16: charger current, in units of 30 mA.
    pub icarregrms: u8,
    /// Byte 17: the status bits.
    pub statusval: u8,
    /// Byte 19: the checksum as sent.
    pub checksum: u8,
    /// The checksum of bytes 1 to 18.
    pub checksum_calc: u8,
    /// The packet as received.
    pub raw: [u8; DATA_LEN],
}

impl DataPacket {
    /// Status bit 0 (least significant): on battery.
    pub fn battery_mode(&self) -> bool {
        msb_bit(self.statusval, 7)
    }
    /// Status bit 1: battery low.
    pub fn battery_low(&self) -> bool {
        msb_bit(self.statusval, 6)
    }
    /// Status bit 2: mains failure.
    pub fn network_failure(&self) -> bool {
        msb_bit(self.statusval, 5)
    }
    /// Status bit 3: fast mains failure.
    pub fn fast_network_failure(&self) -> bool {
        msb_bit(self.statusval, 4)
    }
    /// Status bit 4: 220 V input.
    pub fn in_220(&self) -> bool {
        msb_bit(self.statusval, 3)
    }
    /// Status bit 5: 220 V output.
    pub fn out_220(&self) -> bool {
        msb_bit(self.statusval, 2)
    }
    /// Status bit 6: on bypass.
    pub fn bypass_on(&self) -> bool {
        msb_bit(self.statusval, 1)
    }
    /// Status bit 7 (most significant): charger on.
    pub fn charger_on(&self) -> bool {
        msb_bit(self.statusval, 0)
    }
    /// The checksum matches.
    pub fn checksum_ok(&self) -> bool {
        self.checksum == self.checksum_calc
    }
    /// The status bits as NUT's debug array (`status_p0` .. `status_p7`, most significant
    /// first).
    pub fn status_array(&self) -> [u8; 8] {
        std::array::from_fn(|i| msb_bit(self.statusval, i as u32) as u8)
    }
}

/// Decode a data packet (21 bytes, header to end marker). The checksum is not judged here:
/// see [`DataPacket::checksum_ok`].
pub fn parse_data(pkt: &[u8]) -> Option<DataPacket> {
    if pkt.len() != DATA_LEN {
        return None;
    }
    let vdcmed = two_part(pkt[5], pkt[6]);
    Some(DataPacket {
        length: pkt[1],
        packet_type: pkt[2],
        vacinrms: two_part(pkt[3], pkt[4]),
        vdcmed,
        vdcmed_real: if pkt[6] == 0 { vdcmed / 10.0 } else { vdcmed },
        potrms: pkt[7],
        vacinrmsmin: two_part(pkt[8], pkt[9]),
        vacinrmsmax: two_part(pkt[10], pkt[11]),
        vacoutrms: two_part(pkt[12], pkt[13]),
        tempmed: two_part(pkt[14], pkt[15]),
        icarregrms: pkt[16],
        statusval: pkt[17],
        checksum: pkt[19],
        checksum_calc: checksum(pkt, 1, 18),
        raw: pkt.try_into().ok()?,
    })
}

/// A decoded hardware information packet (NUT's `pkt_hwinfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HwInfo {
    /// Byte 1: the size the UPS announces; above 18 the long layout is read.
    pub size: u8,
    /// Byte 2: packet type (`S`).
    pub packet_type: u8,
    /// Byte 3: model code ([`crate::models`]).
    pub model: u8,
    /// Byte 4: hardware version.
    pub hardware_version: u8,
    /// Byte 5: firmware version.
    pub software_version: u8,
    /// Byte 6: configuration bits.
    pub configuration: u8,
    /// Byte 7: number of batteries.
    pub numbatteries: u8,
    /// Bytes 8-11: transfer voltages (under/over, for 120 V and 220 V input).
    pub undervoltage_in_120: u8,
    pub overvoltage_in_120: u8,
    pub undervoltage_in_220: u8,
    pub overvoltage_in_220: u8,
    /// Bytes 12-13: nominal output voltages.
    pub tension_out_120: u8,
    pub tension_out_220: u8,
    /// Byte 14: hardware status bits.
    pub statusval: u8,
    /// Byte 15: charger current setting.
    pub chargercurrent: u8,
    /// Bytes 16-31 of the long form, up to the first NUL; `----------------` in the short form.
    pub serial: String,
    /// Bytes 32-43 of the long form: clock and alarm time (0 in the short form).
    pub year: u8,
    pub month: u8,
    pub wday: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub alarmyear: u8,
    pub alarmmonth: u8,
    pub alarmday: u8,
    pub alarmhour: u8,
    pub alarmminute: u8,
    pub alarmsecond: u8,
    /// The checksum as sent (byte 48 of the long form, 16 of the short).
    pub checksum: u8,
    /// The checksum computed (bytes 1-47, or 1-15).
    pub checksum_calc: u8,
}

impl HwInfo {
    /// The checksum matches.
    pub fn checksum_ok(&self) -> bool {
        self.checksum == self.checksum_calc
    }
    /// Configuration bits, most significant first: OEM mode.
    pub fn oem_mode(&self) -> bool {
        msb_bit(self.configuration, 0)
    }
    /// The buzzer is disabled.
    pub fn buzzer_disable(&self) -> bool {
        msb_bit(self.configuration, 1)
    }
    pub fn potmin_disable(&self) -> bool {
        msb_bit(self.configuration, 2)
    }
    pub fn rearm_enable(&self) -> bool {
        msb_bit(self.configuration, 3)
    }
    pub fn bootloader_enable(&self) -> bool {
        msb_bit(self.configuration, 4)
    }
    /// Hardware status bits, most significant first: 220 V input.
    pub fn in_220(&self) -> bool {
        msb_bit(self.statusval, 0)
    }
    /// 220 V output.
    pub fn out_220(&self) -> bool {
        msb_bit(self.statusval, 1)
    }
    pub fn sealed_battery(&self) -> bool {
        msb_bit(self.statusval, 2)
    }
    pub fn show_out_tension(&self) -> bool {
        msb_bit(self.statusval, 3)
    }
    pub fn show_temperature(&self) -> bool {
        msb_bit(self.statusval, 4)
    }
    pub fn show_charger_current(&self) -> bool {
        msb_bit(self.statusval, 5)
    }
    /// The five configuration bits (NUT's debug `configuration_array_p0..4`).
    pub fn configuration_array(&self) -> [u8; 5] {
        std::array::from_fn(|i| msb_bit(self.configuration, i as u32) as u8)
    }
    /// The six status bits (NUT's debug `status_p0..5`).
    pub fn status_array(&self) -> [u8; 6] {
        std::array::from_fn(|i| msb_bit(self.statusval, i as u32) as u8)
    }
    /// The transfer voltages for the input in use: (under, over).
    pub fn transfer(&self) -> (u8, u8) {
        if self.in_220() {
            (self.undervoltage_in_220, self.overvoltage_in_220)
        } else {
            (self.undervoltage_in_120, self.overvoltage_in_120)
        }
    }
}

/// Decode a hardware information packet (18 or 50 bytes). As in NUT, the layout follows the
/// size byte (byte 1), and bytes past the packet read as 0.
pub fn parse_hwinfo(pkt: &[u8]) -> Option<HwInfo> {
    if !HWINFO_LENS.contains(&pkt.len()) {
        return None;
    }
    let at = |i: usize| pkt.get(i).copied().unwrap_or(0);
    let long = at(1) > 18;
    let serial = if long {
        let raw: Vec<u8> = (16..32).map(at).take_while(|&b| b != 0).collect();
        String::from_utf8_lossy(&raw).into_owned()
    } else {
        "----------------".to_string()
    };
    let l = |i: usize| if long { at(i) } else { 0 };
    Some(HwInfo {
        size: at(1),
        packet_type: at(2),
        model: at(3),
        hardware_version: at(4),
        software_version: at(5),
        configuration: at(6),
        numbatteries: at(7),
        undervoltage_in_120: at(8),
        overvoltage_in_120: at(9),
        undervoltage_in_220: at(10),
        overvoltage_in_220: at(11),
        tension_out_120: at(12),
        tension_out_220: at(13),
        statusval: at(14),
        chargercurrent: at(15),
        serial,
        year: l(32),
        month: l(33),
        wday: l(34),
        hour: l(35),
        minute: l(36),
        second: l(37),
        alarmyear: l(38),
        alarmmonth: l(39),
        alarmday: l(40),
        alarmhour: l(41),
        alarmminute: l(42),
        alarmsecond: l(43),
        checksum: if long { at(48) } else { at(16) },
        checksum_calc: if long { checksum(pkt, 1, 47) } else { checksum(pkt, 1, 15) },
    })
}

/// A packet, classified by its length as NUT does.
#[derive(Debug, Clone, PartialEq)]
pub enum Packet {
    /// A data packet (21 bytes).
    Data(DataPacket),
    /// A hardware information packet (18 or 50 bytes).
    HwInfo(HwInfo),
    /// Any other length.
    Unknown(usize),
}

/// Classify and decode a framed packet.
pub fn classify(pkt: &[u8]) -> Packet {
    if let Some(d) = parse_data(pkt) {
        Packet::Data(d)
    } else if let Some(h) = parse_hwinfo(pkt) {
        Packet::HwInfo(h)
    } else {
        Packet::Unknown(pkt.len())
    }
}

/// Build a data packet from its fields (bytes 1 to 18), adding the header, checksum and end
/// marker: for tests and simulator descriptions.
pub fn build(body: &[u8]) -> Vec<u8> {
    let mut p = vec![HEADER];
    p.extend_from_slice(body);
    let c = checksum(&p, 1, p.len() - 1);
    p.push(c);
    p.push(END);
    p
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// A data packet: 127.5 V in, battery 13.6 V (136, 0: divided by 10), load 23 %,
    /// min 110.0, max 130.0, out 120.0 V, 31.0 °C, charger 10 units, status 0x00.
    fn sample() -> Vec<u8> {
        build(&[0x14, b'D', 127, 5, 136, 0, 23, 110, 0, 130, 0, 120, 0, 31, 0, 10, 0x00, 0x00])
    }

    #[test]
    fn init_strings_carry_their_checksums() {
        assert_eq!(checksum(&INIT_LONG, 1, 6), INIT_LONG[7]);
        assert_eq!(checksum(&INIT_SHORT, 1, 6), INIT_SHORT[7]);
    }

    #[test]
    fn two_part_values_read_the_decimal_digits() {
        assert_eq!(two_part(127, 5), 127.5);
        assert_eq!(two_part(127, 50), 127.5);
        assert_eq!(two_part(13, 75), 13.75);
        assert_eq!(two_part(0, 0), 0.0);
        assert_eq!(format!("{:.2}", two_part(13, 7) as f64), "13.70");
    }

    #[test]
    fn data_packet_fields() {
        let p = sample();
        assert_eq!(p.len(), DATA_LEN);
        let d = parse_data(&p).unwrap();
        assert!(d.checksum_ok());
        assert_eq!(d.vacinrms, 127.5);
        assert_eq!(d.vdcmed, 136.0);
        assert_eq!(d.vdcmed_real, 13.6);
        assert_eq!(d.potrms, 23);
        assert_eq!(d.vacinrmsmin, 110.0);
        assert_eq!(d.vacinrmsmax, 130.0);
        assert_eq!(d.vacoutrms, 120.0);
        assert_eq!(d.tempmed, 31.0);
        assert!(!d.battery_mode() && !d.charger_on());
        let mut bad = p.clone();
        bad[19] ^= 0xFF;
        assert!(!parse_data(&bad).unwrap().checksum_ok());
    }

    #[test]
    fn status_bits_least_significant_is_battery_mode() {
        let mut body = [0x14, b'D', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        for (bit, check) in [
            (0x01u8, DataPacket::battery_mode as fn(&DataPacket) -> bool),
            (0x02, DataPacket::battery_low),
            (0x04, DataPacket::network_failure),
            (0x08, DataPacket::fast_network_failure),
            (0x10, DataPacket::in_220),
            (0x20, DataPacket::out_220),
            (0x40, DataPacket::bypass_on),
            (0x80, DataPacket::charger_on),
        ] {
            body[16] = bit;
            let d = parse_data(&build(&body)).unwrap();
            assert!(check(&d), "bit {bit:#04x}");
            assert_eq!(d.status_array().iter().filter(|&&b| b == 1).count(), 1);
        }
    }

    #[test]
    fn framer_splits_restarts_and_drops_overlong() {
        let mut f = Framer::default();
        let mut stream = vec![0x00, 0x12];
        stream.extend(sample());
        stream.extend([0xFF, 1, 2]); // cut short, then a new header restarts
        stream.extend(sample());
        let got = f.feed(&stream);
        assert_eq!(got, vec![Framed::Packet(sample()), Framed::Packet(sample())]);
        let mut long = vec![0xFF];
        long.extend(std::iter::repeat_n(1u8, 120));
        assert_eq!(f.feed(&long), vec![Framed::Overflow]);
        assert_eq!(f.feed(&sample()), vec![Framed::Packet(sample())]);
    }

    #[test]
    fn hwinfo_short_and_long() {
        // Short form: 18 bytes, checksum at 16 over 1..=15.
        let mut s = vec![0xFF, 18, b'S', 7, 3, 12, 0x40, 2, 96, 140, 176, 250, 115, 220, 0x80, 10];
        let c = checksum(&s, 1, 15);
        s.extend([c, 0xFE]);
        let h = parse_hwinfo(&s).unwrap();
        assert!(h.checksum_ok());
        assert_eq!(h.model, 7);
        assert_eq!(h.serial, "----------------");
        assert!(h.buzzer_disable() && !h.oem_mode());
        assert!(h.in_220() && !h.out_220());
        assert_eq!(h.transfer(), (176, 250));
        // Long form: 50 bytes, serial at 16, checksum at 48 over 1..=47.
        let mut l = vec![0xFF, 50, b'S', 33, 1, 2, 0, 1, 90, 140, 180, 250, 120, 220, 0, 5];
        l.extend(b"NHS123\0\0\0\0\0\0\0\0\0\0");
        l.extend([24, 5, 3, 10, 20, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let c = checksum(&l, 1, 47);
        l.extend([c, 0xFE]);
        assert_eq!(l.len(), 50);
        let h = parse_hwinfo(&l).unwrap();
        assert!(h.checksum_ok());
        assert_eq!(h.serial, "NHS123");
        assert_eq!((h.year, h.month, h.wday, h.hour), (24, 5, 3, 10));
        assert!(matches!(classify(&l), Packet::HwInfo(_)));
        assert!(matches!(classify(&sample()), Packet::Data(_)));
        assert_eq!(classify(&[0xFF, 0xFE]), Packet::Unknown(2));
    }
}
