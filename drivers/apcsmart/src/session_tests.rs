//! The session against a scripted UPS (replies of the protocol page's SMART-UPS 700).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use nut_driver::{CmdResult, State};

use super::{Line, LineError, Session};

/// A UPS that answers single bytes from a table, steps EEPROM values with `-` and takes
/// 8-byte strings after `-` following `c` or `x`.
#[derive(Default)]
struct Fake {
    replies: HashMap<u8, String>,
    cycles: HashMap<u8, (Vec<&'static str>, usize)>,
    out: VecDeque<u8>,
    sent: Vec<u8>,
    last: u8,
    collecting: Option<(u8, Vec<u8>)>,
    closed: bool,
}

impl Fake {
    fn smart_ups_700() -> Fake {
        let mut f = Fake::default();
        for (c, r) in [
            (b'Y', "SM"),
            (b'V', "GWD"),
            (b'b', "50.9.D"),
            (b'a', "3.!$%+?=#|.\x01\x0e\x1a@ABCDEFGKLMNOPQRSUVWXYZbcefgjklmnopqrsuxyz~'7-9<>/^"),
            (0x1a, "#uD43132135138129uM43229234239224lD43106103100097e44200155090oD13115p443020180300600"),
            (b'Q', "08"),
            (0x01, "SMART-UPS 700"),
            (b'B', "27.87"),
            (b'C', "036.0"),
            (b'E', "336"),
            (b'F', "60.00"),
            (b'G', "O"),
            (b'L', "118.3"),
            (b'M', "118.9"),
            (b'N', "118.9"),
            (b'O', "118.3"),
            (b'P', "023.5"),
            (b'X', "OK"),
            (b'c', "UPS_IDEN"),
            (b'e', "00"),
            (b'g', "024"),
            (b'f', "099.0"),
            (b'j', "0327:"),
            (b'k', "0"),
            (b'l', "103"),
            (b'm', "11/29/96"),
            (b'n', "WS9643050926"),
            (b'o', "115"),
            (b'p', "020"),
            (b'q', "02"),
            (b'r', "000"),
            (b'x', "11/29/96"),
            (b'9', "FF"),
            (b'R', "BYE"),
            (b'A', "OK"),
            (b'W', "OK"),
            (b'S', "OK"),
        ] {
            f.replies.insert(c, r.to_string());
        }
        f.cycles.insert(b'u', (vec!["132", "135", "138", "129"], 0));
        f
    }

    fn answer(&mut self, r: &str) {
        // One byte per char (the two-byte command set extensions are not ASCII).
        self.out.extend(r.chars().map(|c| u32::from(c) as u8));
        self.out.extend(b"\r\n");
    }
}

impl Line for Fake {
    fn write(&mut self, bytes: &[u8]) -> Result<(), LineError> {
        if self.closed {
            return Err(LineError::Closed);
        }
        for &b in bytes {
            self.sent.push(b);
            if let Some((var, mut got)) = self.collecting.take() {
                got.push(b);
                if got.len() == 8 {
                    let v: String = got.iter().filter(|&&c| c != b'\r').map(|&c| c as char).collect();
                    self.replies.insert(var, v);
                    self.answer("OK");
                } else {
                    self.collecting = Some((var, got));
                }
                continue;
            }
            if b == b'-' {
                if matches!(self.last, b'c' | b'x') {
                    self.collecting = Some((self.last, Vec::new()));
                } else if let Some((vals, i)) = self.cycles.get_mut(&self.last) {
                    *i = (*i + 1) % vals.len();
                    self.answer("OK");
                } else {
                    self.answer("NO");
                }
                continue;
            }
            self.last = b;
            let r = match self.cycles.get(&b) {
                Some((vals, i)) => Some(vals[*i].to_string()),
                None => self.replies.get(&b).cloned(),
            };
            match r {
                Some(r) => self.answer(&r),
                None if matches!(b, b'Z' | 0x0e | b'K' | b'@' | 0x1b) => {}
                None if b.is_ascii_digit() && self.sent.contains(&b'@') => {}
                None => self.answer("NA"),
            }
        }
        Ok(())
    }

    fn read(&mut self, _timeout: Duration) -> Result<Vec<u8>, LineError> {
        if self.closed {
            return Err(LineError::Closed);
        }
        Ok(self.out.drain(..).collect())
    }

    fn discard_input(&mut self) -> Result<(), LineError> {
        self.out.clear();
        Ok(())
    }

    fn pause(&mut self, _d: Duration) {}
}

fn started() -> (Session<Fake>, State) {
    let mut s = Session::new(Fake::smart_ups_700());
    let mut st = State::new();
    assert!(s.smartmode(5).expect("line"));
    s.getbaseinfo(&mut st).expect("start-up");
    assert!(s.update_status(&mut st).expect("line"));
    assert!(s.update_info(true, &mut st).expect("line"));
    (s, st)
}

#[test]
fn startup_reads_what_the_command_set_lists() {
    let (_, st) = started();
    let get = |n| st.get_info(n).map(str::to_string);
    assert_eq!(get("ups.model").as_deref(), Some("SMART-UPS 700"));
    assert_eq!(get("ups.firmware").as_deref(), Some("50.9.D"), "b is preferred to V when it has 3 fields");
    assert_eq!(get("input.voltage").as_deref(), Some("118.3"));
    assert_eq!(get("battery.runtime").as_deref(), Some("19620"));
    assert_eq!(get("battery.runtime.low").as_deref(), Some("120"));
    assert_eq!(get("ups.test.interval").as_deref(), Some("1209600"));
    assert_eq!(get("input.transfer.reason").as_deref(), Some("no transfers yet since turnon"));
    assert_eq!(get("ups.status").as_deref(), Some("OL"));
    assert_eq!(get("ups.id").as_deref(), Some("UPS_IDEN"));
    // Not in the command set: not read.
    assert_eq!(get("ambient.temperature"), None);
    // The capability string makes u, l, o (locale D) and e, p (every locale) enumerable.
    let u = st.var("input.transfer.high").expect("u");
    assert!(u.flags.rw);
    assert_eq!(u.enums, ["132", "135", "138", "129"]);
    assert!(st.var("input.transfer.low").expect("l").flags.rw);
    assert_eq!(st.var("output.voltage.nominal").expect("o").enums, ["115"]);
    assert_eq!(st.var("battery.charge.restart").expect("e").enums, ["00", "15", "50", "90"]);
    assert_eq!(st.var("ups.delay.shutdown").expect("p").enums, ["020", "180", "300", "600"]);
    // The 4-locale group applies to every locale; the strings are RW strings of 8.
    let id = st.var("ups.id").expect("c");
    assert!(id.flags.rw && id.flags.string);
    assert_eq!(id.aux, 8);
    // Commands of the command set.
    for c in ["test.battery.start", "shutdown.return", "load.off", "calibrate.start", "bypass.start"] {
        assert!(st.has_cmd(c), "{c}");
    }
}

#[test]
fn alerts_in_polls_change_the_status() {
    let (mut s, mut st) = started();
    s.line.out.extend(b"!");
    assert!(s.update_status(&mut st).expect("line"));
    // The Q answer wins over an alert read before it...
    assert_eq!(st.get_info("ups.status"), Some("OL"));
    // ...but one that arrives during the variable reads holds until the next Q.
    s.line.replies.insert(b'C', "!036.0".into());
    assert!(s.update_info(false, &mut st).expect("line"));
    assert_eq!(st.get_info("ups.status"), Some("OB"));
    assert_eq!(st.get_info("ups.temperature"), Some("036.0"));
    s.line.replies.insert(b'Q', "50".into());
    assert!(s.update_status(&mut st).expect("line"));
    assert_eq!(st.get_info("ups.status"), Some("OB LB"));
}

#[test]
fn na_removes_a_variable() {
    let (mut s, mut st) = started();
    s.line.replies.insert(b'C', "NA".into());
    assert!(s.update_info(false, &mut st).expect("line"));
    assert_eq!(st.get_info("ups.temperature"), None);
}

#[test]
fn enum_write_steps_with_dash() {
    let (mut s, mut st) = started();
    assert_eq!(s.setvar("input.transfer.high", "138", &mut st).expect("line"), CmdResult::Handled);
    assert_eq!(st.get_info("input.transfer.high"), Some("138"));
    // Unchanged: nothing written.
    let before = s.line.sent.len();
    assert_eq!(s.setvar("input.transfer.high", "138", &mut st).expect("line"), CmdResult::Handled);
    assert!(!s.line.sent[before..].contains(&b'-'));
    // A value the UPS never shows: it wraps round, the write fails.
    assert_eq!(s.setvar("input.transfer.high", "999", &mut st).expect("line"), CmdResult::Failed);
    // Not writable / not known.
    assert_eq!(s.setvar("input.voltage", "1", &mut st).expect("line"), CmdResult::Unknown);
    assert_eq!(s.setvar("no.such", "1", &mut st).expect("line"), CmdResult::Unknown);
}

#[test]
fn string_write_sends_dash_value_and_crs() {
    let (mut s, mut st) = started();
    assert_eq!(s.setvar("ups.id", "RACK1", &mut st).expect("line"), CmdResult::Handled);
    assert!(s.line.sent.windows(9).any(|w| w == b"-RACK1\r\r\r"));
    assert_eq!(st.get_info("ups.id"), Some("RACK1"));
    assert_eq!(s.setvar("ups.id", "TOOLONGNAME", &mut st).expect("line"), CmdResult::Failed);
}

#[test]
fn dangerous_commands_need_a_second_call() {
    let (mut s, mut st) = started();
    let before = s.line.sent.len();
    assert_eq!(s.instcmd("shutdown.return", None, &mut st).expect("line"), CmdResult::Handled);
    assert!(!s.line.sent[before..].contains(&b'S'), "the first call only arms it");
    assert_eq!(s.instcmd("shutdown.return", None, &mut st).expect("line"), CmdResult::Handled);
    assert!(!s.line.sent[before..].contains(&b'S'), "a second call within 3 s does not act either");
    assert_eq!(s.instcmd("test.battery.start", None, &mut st).expect("line"), CmdResult::Handled);
    assert_eq!(s.line.sent.last(), Some(&b'W'));
    assert_eq!(s.instcmd("test.battery.start", Some("x"), &mut st).expect("line"), CmdResult::Unknown);
    assert_eq!(s.instcmd("no.such", None, &mut st).expect("line"), CmdResult::Unknown);
}

#[test]
fn shutdown_methods() {
    let (mut s, _) = started();
    // sdtype 0 on line: hard hibernate @000.
    s.line.sent.clear();
    s.line.replies.insert(b'@', "OK".into());
    s.line.replies.remove(&b'@');
    assert_eq!(s.shutdown().expect("line"), CmdResult::Failed, "no answer to @000");
    assert!(s.line.sent.windows(4).any(|w| w == b"@000"));
    // sdtype 0 on battery: S.
    s.line.replies.insert(b'Q', "10".into());
    s.line.sent.clear();
    assert_eq!(s.shutdown().expect("line"), CmdResult::Handled);
    assert_eq!(s.line.sent.last(), Some(&b'S'));
    // advorder 2 (K, twice), awd of 2 digits.
    s.sd.advorder = Some(vec![3]);
    s.line.sent.clear();
    assert_eq!(s.shutdown().expect("line"), CmdResult::Handled, "Z is not answered");
    assert_eq!(s.line.sent.iter().filter(|&&b| b == b'Z').count(), 2);
}

#[test]
fn old_units_use_the_firmware_table() {
    let mut f = Fake::smart_ups_700();
    f.replies.insert(b'V', "7TI".into());
    let mut s = Session::new(f);
    let mut st = State::new();
    s.getbaseinfo(&mut st).expect("start-up");
    assert!(!s.line.sent.contains(&b'a'), "a matched firmware skips the command set");
    // 7TI's commands have no ^A (model) and no b: the table's model name and V's firmware.
    assert_eq!(st.get_info("ups.model"), Some("Smart-UPS"));
    assert_eq!(st.get_info("ups.firmware"), Some("7TI"));
    assert!(st.has_cmd("test.panel.start"));
}

#[test]
fn units_without_command_set_get_the_legacy_walk() {
    let mut f = Fake::smart_ups_700();
    f.replies.remove(&b'a');
    f.replies.remove(&0x01);
    f.replies.insert(b'V', "XYZ".into());
    let mut s = Session::new(f);
    let mut st = State::new();
    s.getbaseinfo(&mut st).expect("start-up");
    assert_eq!(st.get_info("ups.model"), Some("Smart-UPS"));
    assert_eq!(st.get_info("battery.charge"), Some("099.0"));
    assert_eq!(st.get_info("ups.firmware"), Some("50.9.D"));
}

#[test]
fn a_closed_line_is_an_error_not_a_value() {
    let (mut s, mut st) = started();
    s.line.closed = true;
    assert_eq!(s.update_status(&mut st), Err(LineError::Closed));
}

#[test]
fn a_reply_without_lf_is_a_failed_read() {
    let (mut s, mut st) = started();
    s.line.replies.remove(&b'Q');
    s.line.out.extend(b"08");
    // The fake answers Q with NA after the stray bytes: "08NA" is not a status.
    assert!(!s.update_status(&mut st).expect("line"));
}

#[test]
fn two_byte_queries_of_nut_2_8_5() {
    let mut f = Fake::smart_ups_700();
    f.replies.insert(b'a', "3.!$.\x01FQ.\u{9f}:\u{d3}\u{d4}".into());
    let mut s = Session::new(f);
    let mut st = State::new();
    s.getbaseinfo(&mut st).expect("start-up");
    assert_eq!(s.dual, [true, true]);
    // The fake answers the prefix byte with NA and the second byte with NA too: the
    // variables stay as they were (NA is not published).
    assert!(s.update_info(true, &mut st).expect("line"));
    assert_eq!(st.get_info("output.frequency"), Some("60.00"), "F is output.frequency next to 9F D3");
    assert_eq!(st.get_info("input.frequency"), Some("60.00"), "the start-up value stays, as in NUT");
}
