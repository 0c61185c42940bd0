//! The BCM/XCP protocol as NUT 2.8.5's bcmxcp speaks it (drivers/bcmxcp.c, bcmxcp_ser.c,
//! bcmxcp.h), as pure functions over bytes.
//!
//! A command is `AB len data... cs` (len = data bytes; cs makes the sum of every byte 0 mod
//! 256). A reply is one or more blocks `AB block len seq data... cs`: `block` is the command
//! minus 0x30 for requests up to 0x43, 0x09 (an acknowledge) for commands from 0x89 on, 0x01
//! for 0xA0; `seq` counts 1, 2, ... in its low three bits and has 0x80 on the last block; the
//! checksum covers the whole block. [`ReplyDecoder`] takes the bytes as they come.
//!
//! The block parsers read their answer as NUT reads its zero-initialised 256-byte buffer: a
//! field past the end of what the UPS sent reads as 0 (NUT would read stale bytes there).

use crate::tables::{self, ALARM_MAP_MAX, METER_MAP_MAX};

/// The start byte of every frame.
pub const START: u8 = 0xAB;
/// The longest answer NUT accepts (its buffer).
pub const ANSWER_MAX: usize = 256;
/// How many bytes NUT reads looking for the start byte before it gives up.
pub const START_SEARCH_MAX: usize = 128;

/// Bytes as hex, for logs.
pub fn show(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect::<Vec<_>>().join(" ")
}

/// The checksum byte of `bytes`: what makes their sum 0 mod 256.
pub fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0u8, |c, b| c.wrapping_sub(*b))
}

/// A command frame around `data` (the command byte and its arguments; at most 255 bytes).
pub fn frame(data: &[u8]) -> Vec<u8> {
    let len = data.len().min(255);
    let mut f = Vec::with_capacity(len + 3);
    f.push(START);
    f.push(len as u8);
    f.extend_from_slice(&data[..len]);
    f.push(checksum(&f));
    f
}

/// Why a reply was refused (NUT's `ser_comm_fail` texts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// No start byte in the first 128 bytes.
    #[error("Receive error (PW_COMMAND_START_BYTE): packet not on start!!{0:x}")]
    NoStart(u8),
    /// The block number does not belong to the command.
    #[error("Receive error (Request command): {0:x}!!!")]
    WrongBlock(u8),
    /// 0xA0 answered by another block than the identification block.
    #[error("Receive error (Requested only mode command): {0:x}!!!")]
    WrongModeBlock(u8),
    /// A control command answered by another block than an acknowledge.
    #[error("Receive error (Control command): {0:x}!!!")]
    WrongControlBlock(u8),
    /// A block of length 0.
    #[error("Receive error (length): packet length 0!!!")]
    ZeroLength,
    /// The sequence numbers do not follow.
    #[error("Not the right sequence received {0:x}!!!")]
    Sequence(u8),
    /// The checksum does not add up.
    #[error("checksum error! ")]
    Checksum,
    /// More data than NUT's 256-byte answer buffer holds.
    #[error("reply longer than {ANSWER_MAX} bytes")]
    TooLong,
    /// A block longer than XCP allows (USB: 140 bytes, the test-mode maximum).
    #[error("get_answer: bad length")]
    BadLength,
}

/// The longest block the USB form accepts (NUT's bcmxcp_usb.c: 121 normally, 140 in test mode).
pub const USB_BLOCK_MAX: usize = 140;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Start,
    Block,
    Length,
    Sequence,
    Data,
}

/// Takes a reply's bytes as they come; [`ReplyDecoder::wanted`] says how many to read next.
#[derive(Debug, Clone)]
pub struct ReplyDecoder {
    command: u8,
    usb: bool,
    stage: Stage,
    searched: usize,
    block: Vec<u8>,
    len: usize,
    last: bool,
    prev_seq: u8,
    data: Vec<u8>,
}

/// What the decoder made of the bytes so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// More bytes needed.
    More,
    /// The whole answer (the data of every block, in order).
    Done(Vec<u8>),
    /// A bad reply.
    Bad(FrameError),
}

impl ReplyDecoder {
    /// For the reply to `command` (the first data byte sent), as the serial driver checks it.
    pub fn new(command: u8) -> Self {
        Self::with_rules(command, false)
    }

    /// As NUT's USB form checks a reply: no block number check, blocks of at most 140 bytes,
    /// the sequence's low seven bits counting 1, 2, ...
    pub fn usb(command: u8) -> Self {
        Self::with_rules(command, true)
    }

    fn with_rules(command: u8, usb: bool) -> Self {
        ReplyDecoder {
            command,
            usb,
            stage: Stage::Start,
            searched: 0,
            block: Vec::new(),
            len: 0,
            last: false,
            prev_seq: 0,
            data: Vec::new(),
        }
    }

    /// How many bytes the decoder can take now without reading past the reply.
    pub fn wanted(&self) -> usize {
        match self.stage {
            Stage::Data => self.len + 1 - (self.block.len() - 4),
            _ => 1,
        }
    }

    /// Feed bytes; stops at the first complete or bad reply (bytes after it are not used:
    /// [`ReplyDecoder::wanted`] keeps reads within the reply).
    pub fn push(&mut self, bytes: &[u8]) -> Step {
        for &b in bytes {
            match self.byte(b) {
                Step::More => {}
                s => return s,
            }
        }
        Step::More
    }

    fn byte(&mut self, b: u8) -> Step {
        match self.stage {
            Stage::Start => {
                self.searched += 1;
                if b == START && self.searched < START_SEARCH_MAX {
                    self.block.clear();
                    self.block.push(b);
                    self.stage = Stage::Block;
                } else if self.searched >= START_SEARCH_MAX {
                    return Step::Bad(FrameError::NoStart(b));
                }
            }
            Stage::Block => {
                let c = self.command;
                if self.usb {
                    // NUT's USB form does not look at the block number.
                } else if c <= 0x43 && c.wrapping_sub(0x30) != b {
                    return Step::Bad(FrameError::WrongBlock(b));
                }
                if c >= 0x89 {
                    if c == tables::cmd::SET_REQ_ONLY_MODE && b != 0x01 {
                        return Step::Bad(FrameError::WrongModeBlock(b));
                    }
                    if c != tables::cmd::SET_REQ_ONLY_MODE && b != 0x09 {
                        return Step::Bad(FrameError::WrongControlBlock(b));
                    }
                }
                self.block.push(b);
                self.stage = Stage::Length;
            }
            Stage::Length => {
                if b == 0 {
                    return Step::Bad(FrameError::ZeroLength);
                }
                if self.usb && usize::from(b) > USB_BLOCK_MAX {
                    return Step::Bad(FrameError::BadLength);
                }
                self.len = usize::from(b);
                self.block.push(b);
                self.stage = Stage::Sequence;
            }
            Stage::Sequence => {
                self.last = b & 0x80 != 0;
                if self.usb {
                    // The low seven bits count the blocks: 1, 2, ...
                    if u16::from(b & 0x7F) != u16::from(self.prev_seq) + 1 {
                        return Step::Bad(FrameError::Sequence(b));
                    }
                    self.prev_seq = b & 0x7F;
                } else {
                    if u16::from(b & 0x07) != u16::from(self.prev_seq) + 1 {
                        return Step::Bad(FrameError::Sequence(b));
                    }
                    self.prev_seq = b;
                }
                self.block.push(b);
                self.stage = Stage::Data;
            }
            Stage::Data => {
                self.block.push(b);
                if self.block.len() == 4 + self.len + 1 {
                    if checksum(&self.block) != 0 {
                        return Step::Bad(FrameError::Checksum);
                    }
                    if self.data.len() + self.len > ANSWER_MAX {
                        return Step::Bad(FrameError::TooLong);
                    }
                    self.data.extend_from_slice(&self.block[4..4 + self.len]);
                    if self.last {
                        return Step::Done(std::mem::take(&mut self.data));
                    }
                    self.stage = Stage::Start;
                }
            }
        }
        Step::More
    }
}

/// Decode a whole reply at once (tests, fuzzing): the answer, or why not; `None` if the bytes
/// end before the reply does.
pub fn decode_reply(command: u8, bytes: &[u8]) -> Option<Result<Vec<u8>, FrameError>> {
    let mut d = ReplyDecoder::new(command);
    match d.push(bytes) {
        Step::More => None,
        Step::Done(a) => Some(Ok(a)),
        Step::Bad(e) => Some(Err(e)),
    }
}

/// An answer read as NUT reads its buffer: past the end, zeros.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a>(pub &'a [u8]);

impl Answer<'_> {
    /// Byte `i`.
    pub fn byte(&self, i: usize) -> u8 {
        self.0.get(i).copied().unwrap_or(0)
    }
    /// Little-endian 16-bit word at `i`.
    pub fn word(&self, i: usize) -> u16 {
        u16::from(self.byte(i)) | (u16::from(self.byte(i + 1)) << 8)
    }
    /// Little-endian 32-bit value at `i`.
    pub fn long(&self, i: usize) -> u32 {
        u32::from(self.word(i)) | (u32::from(self.word(i + 2)) << 16)
    }
    /// A C string at `i` of at most `max` bytes (to the first NUL), bytes as Latin-1.
    pub fn c_string(&self, i: usize, max: usize) -> String {
        let mut s = String::new();
        for k in 0..max {
            let b = self.byte(i + k);
            if b == 0 {
                break;
            }
            s.push(char::from(b));
        }
        s
    }
    /// Number of bytes the UPS sent.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Nothing sent.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The identification block, as NUT's `upsdrv_initinfo` reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdBlock {
    /// `ups.firmware` ("Cont:01.01 Inve:01.01"; each entry ends in a blank, except the last
    /// when every CPU has a version), when there are CPUs.
    pub firmware: Option<String>,
    /// `ups.power.nominal`: kVA × 1000, or the VA word × 50 (both 16-bit, as NUT).
    pub rating: u16,
    /// `output.phases`.
    pub phases: u8,
    /// `ups.model`: the description, " <rating>i" added when missing, trailing blanks cut.
    pub model: String,
    /// The meter map: a format byte per meter index.
    pub meter_map: Vec<u8>,
    /// The alarm map: a bit per alarm index.
    pub alarm_map: Vec<u8>,
    /// Length of the configuration block.
    pub config_len: u16,
    /// Length of the topology block (0: none).
    pub topology_len: u16,
    /// Length of the command list block (0: none).
    pub command_list_len: u16,
    /// Length of the outlet monitoring block.
    pub outlet_len: u16,
    /// Length of the alarm block.
    pub alarm_block_len: u16,
}

/// Parse the identification block (`0x31`, also the answer to `0xA0`).
pub fn parse_id_block(raw: &[u8]) -> IdBlock {
    let a = Answer(raw);
    let mut i = 0usize;
    let mut id = IdBlock::default();
    let mut ncpu = usize::from(a.byte(i));
    i += 1;
    // NUT sizes its text for 11 characters per CPU, and its snprintfcat keeps one less: with
    // every CPU listed, the last blank is cut.
    let room = (ncpu * 11).saturating_sub(1);
    if ncpu > 0 {
        let mut fw = String::new();
        let mut k = 0;
        // NUT's loop would index a sixth name past its table; five is what there is.
        while ncpu > 0 && k < tables::CPU_NAMES.len() {
            let (lo, hi) = (a.byte(i), a.byte(i + 1));
            if lo != 0 || hi != 0 {
                fw.push_str(&format!("{}{hi:02x}.{lo:02x} ", tables::CPU_NAMES[k]));
            }
            i += 2;
            ncpu -= 1;
            k += 1;
        }
        i += ncpu * 2;
        fw.truncate(room);
        id.firmware = Some(fw);
    }
    let kva = a.byte(i);
    i += 1;
    id.rating = if kva > 0 {
        u16::from(kva).wrapping_mul(1000)
    } else {
        let r = a.word(i).wrapping_mul(50);
        i += 2;
        r
    };
    id.phases = a.byte(i);
    i += 1;
    i += 1; // phase angle
    let len = usize::from(a.byte(i));
    i += 1;
    let mut model = a.c_string(i, len);
    i += len;
    let rating = format!("{}i", id.rating);
    if !model.contains(&rating) {
        model.push(' ');
        model.push_str(&rating);
    }
    id.model = model.trim_end_matches(' ').to_string();
    let len = usize::from(a.byte(i));
    i += 1;
    id.meter_map = (0..len).map(|k| a.byte(i + k)).collect();
    i += len;
    let len = usize::from(a.byte(i));
    i += 1;
    id.alarm_map = (0..len).map(|k| a.byte(i + k)).collect();
    i += len;
    id.config_len = a.word(i);
    i += 2;
    let len = usize::from(a.byte(i)); // statistics map
    i += 1 + len;
    i += 2; // alarm history log size
    i += 2; // custom event log size
    id.topology_len = a.word(i);
    i += 2;
    i += 1; // maximum command length
    if i < a.len() {
        id.command_list_len = a.word(i);
    }
    i += 2;
    if i < a.len() {
        id.outlet_len = a.word(i);
    }
    i += 2;
    if i < a.len() {
        id.alarm_block_len = a.word(i);
    }
    id
}

/// Where each meter sits in the meter block: `(index, format, offset)` for every meter the map
/// says is present (format not 0), 4 bytes each in map order.
pub fn meter_layout(map: &[u8]) -> Vec<(usize, u8, usize)> {
    let mut off = 0;
    let mut out = Vec::new();
    for (i, &f) in map.iter().enumerate().take(METER_MAP_MAX) {
        if f != 0 {
            out.push((i, f, off));
            off += 4;
        }
    }
    out
}

/// IEEE-754 single as NUT's `get_float`: NaN and +infinity read as FLT_MAX, -infinity as -FLT_MAX.
pub fn get_float(b: [u8; 4]) -> f32 {
    let v = f32::from_le_bytes(b);
    if v.is_nan() || v == f32::INFINITY {
        f32::MAX
    } else if v == f32::NEG_INFINITY {
        -f32::MAX
    } else {
        v
    }
}

/// C's `%W.Pf` of a float.
pub fn c_fixed(v: f64, width: usize, prec: usize) -> String {
    format!("{v:>width$.prec$}")
}

/// The text of one meter (`decode_meter_map_entry`); `None` for format 0 (no meter).
pub fn decode_meter(entry: [u8; 4], format: u8) -> Option<String> {
    let long = u32::from_le_bytes(entry);
    Some(match format {
        0x00 => return None,
        0xF0 | 0xE2 => (long as i32).to_string(),
        f if f & 0xF0 == 0xF0 => {
            let v = (f64::from(long) / f64::from(1u32 << (f & 0x0F))) as f32;
            c_fixed(f64::from(v), 0, 2)
        }
        f if f <= 0x97 => c_fixed(f64::from(get_float(entry)), usize::from(f >> 4), usize::from(f & 0x0F)),
        0xE0 => {
            let [dd, mm, yy, cc] = entry;
            let cc = cc & 0x7F;
            if entry[3] & 0x80 != 0 {
                format!(
                    "{}{}/{}{}/{}{}{}{}",
                    dd >> 4,
                    dd & 15,
                    mm >> 4,
                    mm & 15,
                    cc >> 4,
                    cc & 15,
                    yy >> 4,
                    yy & 15
                )
            } else {
                format!("{}{}{}{}:{}{}{}", cc >> 4, cc & 15, yy >> 4, yy & 15, mm & 15, dd >> 4, dd & 15)
            }
        }
        0xE1 => {
            let [cc, ss, mm, hh] = entry;
            format!(
                "{}{}:{}{}:{}{}.{}{}",
                hh >> 4,
                hh & 15,
                mm >> 4,
                mm & 15,
                ss >> 4,
                ss & 15,
                cc >> 4,
                cc & 15
            )
        }
        _ => "???".to_string(),
    })
}

/// The meter at `offset` of a meter block, decoded; `None` when the UPS sent fewer bytes.
pub fn meter_value(block: &[u8], offset: usize, format: u8) -> Option<String> {
    let e = block.get(offset..offset + 4)?;
    decode_meter([e[0], e[1], e[2], e[3]], format)
}

/// C's `atof` on a meter text (leading blanks, the longest number prefix; 0 when none).
fn atof(s: &str) -> f64 {
    let t = s.trim_start();
    let mut end = 0;
    for (i, c) in t.char_indices() {
        if c.is_ascii_digit() || c == '.' || ((c == '-' || c == '+') && i == 0) {
            end = i + 1;
        } else {
            break;
        }
    }
    let mut p = &t[..end];
    while !p.is_empty() {
        if let Ok(v) = p.parse::<f64>() {
            return v;
        }
        p = &p[..p.len() - 1];
    }
    0.0
}

/// `ups.load` when the UPS has no load meter (`calculate_ups_load`): output VA over its
/// maximum, else output current over its maximum, in float arithmetic as NUT; `None` when
/// neither pair is in the map or the maximum is not positive. Printed `%5.1f`.
pub fn calculated_load(block: &[u8], layout: &[(usize, u8, usize)]) -> Option<String> {
    let find = |idx: usize| layout.iter().find(|(i, _, _)| *i == idx).copied();
    let pair = |a: usize, b: usize| Some((find(a)?, find(b)?));
    let (out, max) = pair(tables::meter::OUTPUT_VA, tables::meter::OUTPUT_VA_BAR_CHART).or_else(|| {
        pair(tables::meter::LOAD_CURRENT_PHASE_A, tables::meter::LOAD_CURRENT_PHASE_A_BAR_CHART)
    })?;
    let val = |(_, f, o): (usize, u8, usize)| -> f32 {
        let e = [0, 1, 2, 3].map(|k| Answer(block).byte(o + k));
        atof(&decode_meter(e, f).unwrap_or_default()) as f32
    };
    let (o, m) = (val(out), val(max));
    if m > 0.0 {
        Some(c_fixed(f64::from(100.0f32 * (o / m)), 5, 1))
    } else {
        None
    }
}

/// Where each alarm sits in the alarm block: for alarm index `i`, `Some(position)`, or `None`
/// when the UPS does not have it. Indexes past the map (8 per map byte) keep NUT's zeroed
/// entry: position 0, so they follow the block's first byte, as in NUT.
pub fn alarm_layout(map: &[u8]) -> Vec<Option<usize>> {
    let mut out = vec![Some(0); ALARM_MAP_MAX];
    let mut n = 0;
    for (byte_i, &b) in map.iter().enumerate().take(ALARM_MAP_MAX / 8) {
        for bit in 0..8 {
            let idx = byte_i * 8 + bit;
            if b & (1 << bit) != 0 {
                out[idx] = Some(n);
                n += 1;
            } else {
                out[idx] = None;
            }
        }
    }
    out
}

/// The active alarms of an alarm block: `(alarm index, text)` in index order.
pub fn active_alarms(block: &[u8], layout: &[Option<usize>]) -> Vec<(usize, &'static str)> {
    let a = Answer(block);
    layout
        .iter()
        .enumerate()
        .filter_map(|(i, pos)| {
            let text = tables::ALARMS.get(i).copied().flatten()?;
            (a.byte((*pos)?) > 0).then_some((i, text))
        })
        .collect()
}

/// What the status decides: `ups.status` tokens in NUT's order.
pub fn status_tokens(status: u8, topology: u8, mask: u8, alarms: &[(usize, &str)]) -> Vec<&'static str> {
    use tables::{alarm, status as s};
    let has = |i: usize| alarms.iter().any(|(k, _)| *k == i);
    let on_batt = has(alarm::UPS_ON_BATTERY);
    let low = has(alarm::BATTERY_LOW);
    let replace = has(alarm::BATTERY_TEST_FAILED) || has(alarm::BATTERY_NEEDS_SERVICE);
    let mut t: Vec<&'static str> = Vec::new();
    match status {
        s::ONLINE => t.push("OL"),
        s::ONBATTERY => {
            if !on_batt {
                t.push("OB")
            }
        }
        s::OVERLOAD => t.extend(["OL", "OVER"]),
        s::TRIM => t.extend(["OL", "TRIM"]),
        s::BOOST1 | s::BOOST2 => t.extend(["OL", "BOOST"]),
        s::BYPASS => t.extend(["OL", "BYPASS"]),
        s::OFF => t.push("OFF"),
        _ => t.push("OL"),
    }
    if topology & mask & 0x20 != 0 && !low {
        t.push("LB");
    }
    if on_batt {
        t.push("OB");
    }
    if low {
        t.push("LB");
    }
    if replace {
        t.push("RB");
    }
    t
}

/// The configuration block fields NUT reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// Byte 16: which status bits are valid.
    pub topology_mask: u8,
    /// `output.voltage.nominal` (0: not given).
    pub nominal_output_voltage: u16,
    /// `output.frequency.nominal` (0: not given).
    pub nominal_output_frequency: u16,
    /// `battery.packs` (0: not given).
    pub battery_packs: u8,
    /// `ups.serial` (up to 16 characters).
    pub serial: String,
    /// `device.part` (up to 16 characters).
    pub part: String,
}

/// Parse the configuration block (`0x36`).
pub fn parse_config(raw: &[u8]) -> Config {
    let a = Answer(raw);
    Config {
        topology_mask: a.byte(16),
        nominal_output_voltage: a.word(8),
        nominal_output_frequency: a.word(10),
        battery_packs: a.byte(26),
        serial: a.c_string(64, 16),
        part: a.c_string(48, 16),
    }
}

/// The extended limits block fields, as (variable, value) in NUT's order; `initial` adds
/// what NUT publishes only at start-up (`init_limit`: the nominal and limit input frequency,
/// the low ambient limit) and leaves out nothing else.
pub fn limit_values(raw: &[u8], initial: bool) -> Vec<(&'static str, String)> {
    let a = Answer(raw);
    let mut v: Vec<(&'static str, String)> = Vec::new();
    let word = |v: &mut Vec<_>, name, at| {
        let w = a.word(at);
        if w != 0 {
            v.push((name, w.to_string()));
        }
    };
    word(&mut v, "input.voltage.nominal", 0);
    if initial {
        let fnom = a.word(2);
        if fnom != 0 {
            v.push(("input.frequency.nominal", fnom.to_string()));
            let dev = a.word(8) / 100;
            if a.word(8) != 0 {
                v.push(("input.frequency.low", (i32::from(fnom) - i32::from(dev)).to_string()));
                v.push(("input.frequency.high", (i32::from(fnom) + i32::from(dev)).to_string()));
            }
        }
    }
    word(&mut v, "input.transfer.boost.high", 10);
    word(&mut v, "input.transfer.trim.low", 12);
    let byte = |v: &mut Vec<(&'static str, String)>, name, at| {
        let b = a.byte(at);
        if b != 0 {
            v.push((name, b.to_string()));
        }
    };
    let horn = |v: &mut Vec<(&'static str, String)>| {
        if let Some(h) = tables::HORN_STATUS.get(usize::from(a.byte(17))) {
            v.push(("ups.beeper.status", (*h).to_string()));
        }
    };
    if initial {
        horn(&mut v);
        word(&mut v, "input.transfer.low", 18);
        word(&mut v, "input.transfer.high", 20);
        byte(&mut v, "ambient.temperature.low", 25);
    } else {
        word(&mut v, "input.transfer.low", 18);
        word(&mut v, "input.transfer.high", 20);
        horn(&mut v);
    }
    byte(&mut v, "ambient.temperature.high", 26);
    byte(&mut v, "battery.energysave.load", 29);
    byte(&mut v, "battery.energysave.delay", 30);
    byte(&mut v, "battery.runtime.low", 16);
    word(&mut v, "input.transfer.delay", 22);
    byte(&mut v, "battery.charge.restart", 24);
    v
}

/// The low-battery warning of the limits block, in seconds (byte 16 × 60).
pub fn low_battery_warning(raw: &[u8]) -> u32 {
    u32::from(Answer(raw).byte(16)) * 60
}

/// The battery block: `ups.test.result` and `battery.charger.status`.
pub fn parse_battery(raw: &[u8]) -> (Option<&'static str>, Option<&'static str>) {
    let a = Answer(raw);
    let result = tables::battery_test_result(a.byte(0));
    let strings = usize::from(a.byte(18));
    let abm = a.byte(18 + strings + 2);
    // NUT indexes its table with abm - 1 for any abm below 5 (0 reads before the table).
    let charger = (1..=4).contains(&abm).then(|| tables::ABM_STATUS[usize::from(abm - 1)]);
    (result, charger)
}

/// One outlet of the outlet monitor block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlet {
    /// The outlet's number (`outlet.N.id`).
    pub id: u8,
    /// Its state (`outlet.N.status` for 1..=8).
    pub state: u8,
    /// Automatic off delay, s.
    pub delay_off: u16,
    /// Automatic on delay, s.
    pub delay_on: u16,
}

/// The outlet monitor block (`0x41`): count, entry size (NUT ignores it and reads 6 bytes per
/// outlet), then the outlets.
pub fn parse_outlets(raw: &[u8]) -> Vec<Outlet> {
    let a = Answer(raw);
    let n = usize::from(a.byte(0));
    (0..n)
        .map(|k| {
            let i = 2 + 6 * k;
            Outlet { id: a.byte(i), state: a.byte(i + 1), delay_off: a.word(i + 2), delay_on: a.word(i + 4) }
        })
        .collect()
}

/// The command list block (`0x40`): the command bytes, when the count agrees with the length
/// the identification block gave (`count + 2 == size`), else `None`.
pub fn parse_command_list(raw: &[u8], size: u16) -> Option<Vec<u8>> {
    let a = Answer(raw);
    let n = usize::from(a.byte(0));
    if n + 2 != usize::from(size) {
        return None;
    }
    Some((0..n).map(|k| a.byte(2 + k)).filter(|b| *b < tables::COMMAND_MAP_MAX).collect())
}

/// The instant commands a command list brings, in command-byte order.
pub fn command_instcmds(list: &[u8]) -> Vec<&'static str> {
    let mut v: Vec<(u8, &'static str)> =
        tables::COMMAND_INSTCMDS.iter().copied().filter(|(b, _)| list.contains(b)).collect();
    v.sort();
    v.into_iter().map(|(_, n)| n).collect()
}

/// The configurable ids of the answer to `95 FF 00 00` (from its fourth byte; none when the
/// answer is shorter than 4 bytes).
pub fn parse_conf_ids(raw: &[u8]) -> Vec<u8> {
    if raw.len() < 4 {
        return Vec::new();
    }
    raw[3..].to_vec()
}

/// The system tests of the answer to `B2 FF` (accepted, then test ids from the fourth byte).
pub fn parse_system_tests(raw: &[u8]) -> Vec<&'static str> {
    if raw.first() != Some(&tables::ret::ACCEPTED) {
        return Vec::new();
    }
    raw.iter()
        .skip(3)
        .filter_map(|b| tables::SYSTEM_TESTS.iter().find(|(t, _)| t == b).map(|(_, n)| *n))
        .collect()
}

/// NUT's `atoi`: leading blanks, sign, digits; 0 when none; saturating.
pub fn atoi(s: &str) -> i32 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for c in digits.bytes().take_while(u8::is_ascii_digit) {
        v = (v * 10 + i64::from(c - b'0')).min(i64::from(i32::MAX) + 1);
    }
    let v = if neg { -v } else { v };
    v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn id_block() {
        // 2 CPUs, 0 kVA then 30 x 50 VA, 1 phase, angle, "PW5125    ", meter map of 2, alarm
        // map of 1, config 80, no statistics, logs, topology 2, max command 8, command list 20,
        // outlets 14, alarm block 9 (the fields of NUT's upsdrv_initinfo, in its order).
        let mut b = vec![2, 1, 1, 1, 1, 0, 30, 0, 1, 0, 10];
        b.extend(b"PW5125    ");
        b.extend([2, 0x30, 0x41, 1, 0x05, 80, 0, 0, 0, 0, 0, 0, 2, 0, 8, 20, 0, 14, 0, 9, 0]);
        let id = parse_id_block(&b);
        assert_eq!(id.firmware.as_deref(), Some("Cont:01.01 Inve:01.01"));
        assert_eq!((id.rating, id.phases), (1500, 1));
        assert_eq!(id.model, "PW5125     1500i");
        assert_eq!((id.meter_map, id.alarm_map), (vec![0x30, 0x41], vec![0x05]));
        assert_eq!((id.config_len, id.topology_len, id.command_list_len), (80, 2, 20));
        assert_eq!((id.outlet_len, id.alarm_block_len), (14, 9));
        // A CPU without a version is skipped and the blank after the last listed one stays;
        // a kVA byte; the rating already in the name; the block cut short (zeros after it).
        let b = [3, 0, 0, 0x10, 0x02, 0, 0, 2, 3, 0, 5, b'9', b'1', b'2', b'0', b' '];
        let id = parse_id_block(&b);
        assert_eq!(id.firmware.as_deref(), Some("Inve:02.10 "));
        assert_eq!((id.rating, id.phases), (2000, 3));
        assert_eq!(id.model, "9120  2000i", "a blank then \" 2000i\"");
        assert_eq!((id.outlet_len, id.command_list_len), (0, 0));
        assert_eq!(parse_id_block(&[]).model, " 0i");
    }

    #[test]
    fn frames_and_checksums() {
        // NUT's calc_checksum: 0 minus every byte; checksum_test: all bytes sum to 0.
        assert_eq!(frame(&[0x31]), vec![0xAB, 0x01, 0x31, 0x23]);
        assert_eq!(frame(&tables::AUTHOR), vec![0xAB, 0x04, 0xCF, 0x69, 0xE8, 0xD5, 0x5C]);
        let f = frame(&[0x8A, 0x78, 0x00]);
        assert_eq!(f.iter().fold(0u8, |s, b| s.wrapping_add(*b)), 0);
    }

    fn block(blk: u8, seq: u8, data: &[u8]) -> Vec<u8> {
        let mut f = vec![START, blk, data.len() as u8, seq];
        f.extend_from_slice(data);
        f.push(checksum(&f));
        f
    }

    #[test]
    fn replies_single_and_multi_block() {
        let r = block(0x03, 0x81, &[0x50, 0x00]);
        assert_eq!(decode_reply(0x33, &r), Some(Ok(vec![0x50, 0x00])));
        let mut two = block(0x04, 0x01, &[1, 2, 3]);
        two.extend(block(0x04, 0x82, &[4]));
        assert_eq!(decode_reply(0x34, &two), Some(Ok(vec![1, 2, 3, 4])));
        // Noise before the start byte is skipped.
        let mut noisy = vec![0x00, 0x13];
        noisy.extend(&r);
        assert_eq!(decode_reply(0x33, &noisy), Some(Ok(vec![0x50, 0x00])));
        // Truncated: more needed.
        assert_eq!(decode_reply(0x33, &r[..4]), None);
    }

    #[test]
    fn bad_replies() {
        let mut r = block(0x03, 0x81, &[0x50, 0x00]);
        *r.last_mut().unwrap() ^= 0xFF;
        assert_eq!(decode_reply(0x33, &r), Some(Err(FrameError::Checksum)));
        assert_eq!(decode_reply(0x33, &block(0x04, 0x81, &[1])), Some(Err(FrameError::WrongBlock(4))));
        assert_eq!(decode_reply(0x33, &block(0x03, 0x82, &[1])), Some(Err(FrameError::Sequence(0x82))));
        assert_eq!(
            decode_reply(0x8B, &block(0x01, 0x81, &[0x31])),
            Some(Err(FrameError::WrongControlBlock(1)))
        );
        assert_eq!(decode_reply(0xA0, &block(0x09, 0x81, &[0x31])), Some(Err(FrameError::WrongModeBlock(9))));
        assert_eq!(decode_reply(0xA0, &block(0x01, 0x81, &[0x31])), Some(Ok(vec![0x31])));
        assert_eq!(decode_reply(0x33, &[START, 0x03, 0x00]), Some(Err(FrameError::ZeroLength)));
        assert!(matches!(decode_reply(0x33, &[0u8; 200]), Some(Err(FrameError::NoStart(0)))));
        let mut long = Vec::new();
        for s in 1..=3u8 {
            long.extend(block(0x04, if s == 3 { 0x83 } else { s }, &[0u8; 100]));
        }
        assert_eq!(decode_reply(0x34, &long), Some(Err(FrameError::TooLong)));
    }

    #[test]
    fn usb_rules() {
        let usb = |c: u8, b: &[u8]| {
            let mut d = ReplyDecoder::usb(c);
            match d.push(b) {
                Step::Done(a) => Some(Ok(a)),
                Step::Bad(e) => Some(Err(e)),
                Step::More => None,
            }
        };
        // No block number check; the sequence counts in seven bits.
        assert_eq!(usb(0x33, &block(0x09, 0x81, &[0x50])), Some(Ok(vec![0x50])));
        let mut two = block(0x04, 0x01, &[1]);
        two.extend(block(0x04, 0x82, &[2]));
        assert_eq!(usb(0x34, &two), Some(Ok(vec![1, 2])));
        let mut bad = block(0x04, 0x01, &[1]);
        bad.extend(block(0x04, 0x8A, &[2]));
        assert_eq!(usb(0x34, &bad), Some(Err(FrameError::Sequence(0x8A))));
        assert_eq!(usb(0x34, &block(0x04, 0x81, &[0; 141])), Some(Err(FrameError::BadLength)));
        assert_eq!(usb(0x34, &block(0x04, 0x81, &[0; 140])).map(|r| r.map(|a| a.len())), Some(Ok(140)));
    }

    #[test]
    fn meter_formats() {
        // Floats with the width and precision of the format nibbles (%4.1f, %3.0f, ...).
        let f = |v: f32| v.to_le_bytes();
        assert_eq!(decode_meter(f(0.0), 0x41).unwrap(), " 0.0");
        assert_eq!(decode_meter(f(119.2), 0x30).unwrap(), "119");
        assert_eq!(decode_meter(f(52.26), 0x42).unwrap(), "52.26");
        assert_eq!(decode_meter(f(f32::NAN), 0x00), None);
        assert_eq!(decode_meter(f(f32::INFINITY), 0x10).unwrap(), "340282346638528859811704183484516925440");
        // Long integers and seconds.
        assert_eq!(decode_meter(2760u32.to_le_bytes(), 0xF0).unwrap(), "2760");
        assert_eq!(decode_meter(0xFFFF_FFFFu32.to_le_bytes(), 0xE2).unwrap(), "-1");
        // Fixed point: value / 2^n, %.2f.
        assert_eq!(decode_meter(1000u32.to_le_bytes(), 0xF3).unwrap(), "125.00");
        // Dates and times in packed BCD.
        assert_eq!(decode_meter([0x25, 0x12, 0x26, 0xA0], 0xE0).unwrap(), "25/12/2026");
        assert_eq!(decode_meter([0x05, 0x59, 0x34, 0x12], 0xE1).unwrap(), "12:34:59.05");
        assert_eq!(decode_meter([0, 0, 0, 0], 0xD0).unwrap(), "???");
    }

    #[test]
    fn alarm_layout_counts_supported_alarms() {
        let l = alarm_layout(&[0b0000_0101]);
        assert_eq!((l[0], l[1], l[2]), (Some(0), None, Some(1)));
        // Past the map: NUT's zeroed entries point at position 0.
        assert_eq!(l[8], Some(0));
        let act = active_alarms(&[1, 0], &l);
        assert!(act.contains(&(0, "INVERTER_AC_OVER_VOLTAGE")));
        assert!(act.contains(&(168, "UPS_ON_BATTERY")), "the quirk of NUT's map");
        assert!(!act.iter().any(|(i, _)| *i == 2));
    }

    #[test]
    fn status_rules() {
        assert_eq!(status_tokens(0x50, 0, 0xFF, &[]), ["OL"]);
        assert_eq!(status_tokens(0xF0, 0, 0xFF, &[]), ["OB"]);
        assert_eq!(status_tokens(0xF0, 0x20, 0xFF, &[]), ["OB", "LB"]);
        assert_eq!(status_tokens(0xF0, 0x20, 0x00, &[]), ["OB"], "masked by the config block");
        assert_eq!(
            status_tokens(0xF0, 0, 0xFF, &[(168, "UPS_ON_BATTERY"), (56, "BATTERY_LOW")]),
            ["OB", "LB"]
        );
        assert_eq!(status_tokens(0x63, 0, 0, &[(191, "BATTERY_TEST_FAILED")]), ["OL", "TRIM", "RB"]);
        assert_eq!(status_tokens(0x10, 0, 0, &[]), ["OFF"]);
        assert_eq!(status_tokens(0x77, 0, 0, &[]), ["OL"]);
    }

    #[test]
    fn atoi_rules() {
        assert_eq!(atoi(" 120x"), 120);
        assert_eq!(atoi("-1"), -1);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi("99999999999"), i32::MAX);
    }
}
