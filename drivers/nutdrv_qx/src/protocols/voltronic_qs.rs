//! NUT's `voltronic-qs` protocol (nutdrv_qx_voltronic-qs.c, "Voltronic-QS 0.10"): Voltronic
//! Power units answering `M` with `V` or `H` and a Megatec-like `QS` status query.

use super::blazer;
use crate::engine;
use crate::format::{format, Arg};
use crate::model::{qxflags as qf, st, Ctx, InfoRw, Item, ItemError, Subdriver};

/// `ups.delay.start` range.
pub static R_ONDELAY: &[InfoRw] = &[InfoRw::new("60"), InfoRw::new("599940")];
/// `ups.delay.shutdown` range.
pub static R_OFFDELAY: &[InfoRw] = &[InfoRw::new("12"), InfoRw::new("540")];

/// One `QS` status field: Megatec's Q1 layout with `(` first, 47 bytes.
const fn qs(info_type: &'static str, from: u16, to: u16, dfl: &'static str) -> Item {
    Item { info_type, command: "QS\r", answer_len: 47, leading: b'(', from, to, dfl: Some(dfl), ..Item::NONE }
}

/// One `QS` status bit.
const fn qs_bit(info_type: &'static str, at: u16, dfl: Option<&'static str>, qxflags: u32) -> Item {
    Item {
        info_type,
        command: "QS\r",
        answer_len: 47,
        leading: b'(',
        from: at,
        to: at,
        dfl,
        qxflags,
        preprocess: Some(blazer::process_status_bits),
        ..Item::NONE
    }
}

/// One `F` rating field.
const fn rating(info_type: &'static str, from: u16, to: u16, dfl: &'static str) -> Item {
    Item {
        info_type,
        command: "F\r",
        answer_len: 22,
        leading: b'#',
        from,
        to,
        dfl: Some(dfl),
        qxflags: qf::STATIC,
        ..Item::NONE
    }
}

/// An instant command.
pub(crate) const fn cmd(info_type: &'static str, command: &'static str) -> Item {
    Item { info_type, command, from: 1, to: 3, qxflags: qf::CMD, ..Item::NONE }
}

/// A shutdown command with its delay composed by the blazer code.
pub(crate) const fn shutdown(info_type: &'static str, command: &'static str) -> Item {
    Item {
        info_type,
        command,
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        preprocess: Some(blazer::process_command),
        ..Item::NONE
    }
}

/// The delays, kept by the driver and used by the shutdown commands.
pub(crate) const fn delay(info_type: &'static str, range: &'static [InfoRw], dfl: &'static str) -> Item {
    Item {
        info_type,
        info_flags: st::RW,
        info_rw: range,
        dfl: Some(dfl),
        qxflags: qf::ABSENT | qf::SETVAR | qf::RANGE,
        preprocess: Some(blazer::process_setvar),
        ..Item::NONE
    }
}

/// The table.
pub static TABLE: &[Item] = &[
    // > M  < V   (the protocol letter)
    Item {
        info_type: "ups.firmware.aux",
        command: "M\r",
        answer_len: 2,
        dfl: Some("PM-%s"),
        qxflags: qf::STATIC,
        preprocess: Some(protocol),
        ..Item::NONE
    },
    // > QS  < (226.0 195.0 226.0 014 49.0 27.5 30.0 00001000
    qs("input.voltage", 1, 5, "%.1f"),
    qs("input.voltage.fault", 7, 11, "%.1f"),
    qs("output.voltage", 13, 17, "%.1f"),
    qs("ups.load", 19, 21, "%.0f"),
    qs("output.frequency", 23, 26, "%.1f"),
    Item { preprocess: Some(engine::multiply_battvolt), ..qs("battery.voltage", 28, 31, "%.2f") },
    qs("ups.temperature", 33, 36, "%.1f"),
    qs_bit("ups.status", 38, None, qf::QUICK_POLL),
    qs_bit("ups.status", 39, None, qf::QUICK_POLL),
    qs_bit("ups.status", 40, None, qf::QUICK_POLL),
    qs_bit("ups.alarm", 41, None, 0),
    qs_bit("ups.type", 42, Some("%s"), qf::STATIC),
    qs_bit("ups.status", 43, None, qf::QUICK_POLL),
    qs_bit("ups.status", 44, None, qf::QUICK_POLL),
    qs_bit("ups.beeper.status", 45, Some("%s"), 0),
    // > F  < #220.0 003 12.00 50.0
    rating("output.voltage.nominal", 1, 5, "%.0f"),
    rating("output.current.nominal", 7, 9, "%.1f"),
    rating("battery.voltage.nominal", 11, 15, "%.1f"),
    rating("output.frequency.nominal", 17, 20, "%.0f"),
    cmd("beeper.toggle", "Q\r"),
    cmd("load.off", "S00R0000\r"),
    cmd("load.on", "C\r"),
    shutdown("shutdown.return", "S%s\r"),
    shutdown("shutdown.stayoff", "S%sR0000\r"),
    cmd("shutdown.stop", "C\r"),
    cmd("test.battery.start.quick", "T\r"),
    delay("ups.delay.start", R_ONDELAY, "180"),
    delay("ups.delay.shutdown", R_OFFDELAY, "30"),
];

/// The subdriver.
pub static SUBDRIVER: Subdriver = Subdriver {
    name: "Voltronic-QS",
    version: "0.10",
    claim,
    table: TABLE,
    initups: Some(blazer::initups_light),
    initinfo: None,
    options: blazer::OPTS_LIGHT,
    accepted: None,
    rejected: None,
};

/// Read and use one item; true when it gave a value.
pub(crate) fn read_one(ctx: &mut Ctx<'_>, name: &str, rejected: Option<&str>) -> bool {
    let Some(idx) = ctx.rt.find(name, 0, 0) else { return false };
    let item = ctx.rt.items[idx];
    match engine::process(ctx, &item, None, rejected) {
        Ok(a) => {
            engine::infoval_set_answer(ctx, &item, &a.value, Some(&a.raw)) == Ok(engine::Used::Published)
        }
        Err(e) => {
            nut_driver::debug!("claim: {e}");
            false
        }
    }
}

/// The device answers `M` with a protocol letter this subdriver knows, and `QS`.
pub(crate) fn claim_m_then_qs(ctx: &mut Ctx<'_>, rejected: Option<&str>) -> bool {
    if !read_one(ctx, "ups.firmware.aux", rejected) {
        return false;
    }
    if !read_one(ctx, "input.voltage", rejected) {
        ctx.state.del_info("ups.firmware.aux");
        return false;
    }
    true
}

fn claim(ctx: &mut Ctx<'_>) -> bool {
    claim_m_then_qs(ctx, SUBDRIVER.rejected)
}

/// `M`: this protocol is `V` or `H`.
fn protocol(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !value.eq_ignore_ascii_case("V") && !value.eq_ignore_ascii_case("H") {
        return Err(ItemError::new(format!("invalid protocol [{value}]")));
    }
    format(item.dfl.unwrap_or("%s"), Arg::Str(value)).ok_or_else(|| ItemError::new("bad format"))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Runtime, WalkMode};
    use crate::port::FakePort;
    use nut_driver::State;
    use std::collections::BTreeMap;

    /// A data file of the shared test data.
    pub(crate) fn testdata(rel: &str) -> Option<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/testdata/qx-transcripts")
            .join(rel);
        match std::fs::read_to_string(&path) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("SKIPPED: {} not readable ({e}): shared test data absent", path.display());
                None
            }
        }
    }

    /// Claim with `sub`, then the start-up walk; returns the state, the status tokens and
    /// whether the claim succeeded.
    pub(crate) fn run(sub: &Subdriver, port: &mut FakePort) -> (bool, State, Vec<&'static str>, Vec<String>) {
        let mut rt = Runtime::new(sub.table, BTreeMap::new());
        let mut state = State::new();
        let mut ctx = Ctx { rt: &mut rt, state: &mut state, port };
        let claimed = (sub.claim)(&mut ctx);
        if claimed {
            if let Some(f) = sub.initups {
                f(&mut ctx).expect("initups");
            }
            ctx.rt.status = 0;
            engine::walk(&mut ctx, WalkMode::Init, sub.rejected);
        }
        let tokens = engine::status_tokens(ctx.rt.status);
        let alarms = ctx.rt.alarms.clone();
        (claimed, state, tokens, alarms)
    }

    /// The exchanges of a protocol document, in order: `< hex: 23 06 ...` answers as bytes,
    /// a CR added where the document leaves it out (it is on the wire).
    pub(crate) fn doc_exchanges(text: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out = Vec::new();
        let mut cmd: Option<Vec<u8>> = None;
        for line in text.lines() {
            if let Some(c) = line.strip_prefix("> ") {
                let mut c = crate::port::unescape(c.trim_end());
                if !c.ends_with(b"\r") {
                    c.push(b'\r');
                }
                cmd = Some(c);
            } else if let Some(a) = line.strip_prefix("< ") {
                let Some(c) = cmd.take() else { continue };
                let mut a = match a.strip_prefix("hex:") {
                    Some(h) => h
                        .split_whitespace()
                        .map(|b| u8::from_str_radix(b, 16).expect("hex byte in the document"))
                        .collect(),
                    None => crate::port::unescape(a),
                };
                if !a.ends_with(b"\r") {
                    a.push(b'\r');
                }
                out.push((c, a));
            }
        }
        out
    }

    /// A port answering with the `n`th answer the document gives to each command.
    pub(crate) fn doc_port(text: &str, picks: &[(&str, usize)]) -> FakePort {
        let ex = doc_exchanges(text);
        let mut port = FakePort::default();
        for (cmd, n) in picks {
            let c = format!("{cmd}\r").into_bytes();
            let a = ex.iter().filter(|(x, _)| *x == c).nth(*n).map(|(_, a)| a.clone());
            port.raw(&c, &a.unwrap_or_else(|| panic!("the document has answer {n} to {cmd}")));
        }
        port
    }

    pub(crate) fn get<'a>(s: &'a State, name: &str) -> Option<&'a str> {
        s.get_info(name)
    }

    #[test]
    fn nut_testing_table_publishes_qs_and_ratings() {
        let Some(t) = testdata("nut-testing-tables/voltronic-qs.txt") else { return };
        let mut port = FakePort::from_transcript(&t);
        let (claimed, s, status, _) = run(&SUBDRIVER, &mut port);
        assert!(claimed);
        assert_eq!(get(&s, "ups.firmware.aux"), Some("PM-V"));
        assert_eq!(get(&s, "input.voltage"), Some("215.0"));
        assert_eq!(get(&s, "input.voltage.fault"), Some("195.0"));
        assert_eq!(get(&s, "output.voltage"), Some("230.0"));
        assert_eq!(get(&s, "ups.load"), Some("14"));
        assert_eq!(get(&s, "output.frequency"), Some("49.0"));
        // qx_multiply_battvolt passes the text on as the device sent it.
        assert_eq!(get(&s, "battery.voltage"), Some("22.7"));
        assert_eq!(get(&s, "ups.temperature"), Some("30.0"));
        assert_eq!(get(&s, "ups.type"), Some("online"));
        assert_eq!(get(&s, "ups.beeper.status"), Some("disabled"));
        assert_eq!(get(&s, "output.voltage.nominal"), Some("220"));
        assert_eq!(get(&s, "output.current.nominal"), Some("3.0"));
        assert_eq!(get(&s, "battery.voltage.nominal"), Some("12.0"));
        assert_eq!(get(&s, "output.frequency.nominal"), Some("50"));
        assert_eq!(get(&s, "ups.delay.start"), Some("180"));
        assert_eq!(get(&s, "ups.delay.shutdown"), Some("30"));
        assert_eq!(status, vec!["OL"]);
        for c in
            ["beeper.toggle", "load.off", "load.on", "shutdown.return", "shutdown.stayoff", "shutdown.stop"]
        {
            assert!(s.has_cmd(c), "{c}");
        }
        assert!(s.has_cmd("test.battery.start.quick"));
    }

    #[test]
    fn protocol_document_v_example() {
        // protocol-doc-examples/voltronic-qs.txt, V protocol: on-line type, UPS failed,
        // boost/buck active.
        let Some(t) = testdata("protocol-doc-examples/voltronic-qs.txt") else { return };
        // The document has three QS examples: the V one is the third.
        let mut port = doc_port(&t, &[("QS", 2), ("F", 0)]);
        port.raw(b"M\r", b"V\r");
        let (claimed, s, status, alarms) = run(&SUBDRIVER, &mut port);
        assert!(claimed);
        assert_eq!(get(&s, "input.voltage"), Some("208.4"));
        assert_eq!(get(&s, "input.voltage.fault"), Some("140.0"));
        assert_eq!(get(&s, "ups.load"), Some("34"));
        assert_eq!(get(&s, "output.frequency"), Some("59.9"));
        assert_eq!(get(&s, "battery.voltage"), Some("12.8"));
        assert_eq!(get(&s, "ups.type"), Some("online"));
        // bit 40 with output = input: BYPASS (NUT's blazer rule), bit 41: the failure alarm.
        assert_eq!(status, vec!["OL", "BYPASS"]);
        assert_eq!(alarms, vec!["UPS selftest failed!".to_string()]);
    }

    #[test]
    fn other_protocol_letters_are_not_claimed() {
        let mut port =
            FakePort::with(&[("M", "P"), ("QS", "(215.0 195.0 230.0 014 49.0 22.7 30.0 00000000")]);
        let (claimed, s, _, _) = run(&SUBDRIVER, &mut port);
        assert!(!claimed);
        assert_eq!(get(&s, "ups.firmware.aux"), None);
        // M accepted but no QS: the firmware variable is withdrawn.
        let mut port = FakePort::with(&[("M", "V")]);
        let (claimed, s, _, _) = run(&SUBDRIVER, &mut port);
        assert!(!claimed);
        assert_eq!(get(&s, "ups.firmware.aux"), None);
    }
}
