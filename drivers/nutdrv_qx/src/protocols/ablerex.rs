//! NUT's `ablerex` protocol (subdriver nutdrv_qx_ablerex, "Ablerex 0.02"): Megatec Q1 units
//! by Ablerex, with their own battery voltage and charge scaling (against the nominal
//! battery voltage of the `F` answer), extra binary queries (`Q5`: output frequency and
//! current, battery voltage, low-battery level and an error code; `At`: runtime; `TR`: test
//! result) and their own reading of the bypass/buck/boost and failure bits (set into
//! `ups.status` directly, ahead of the other tokens, as NUT's subdriver does). Table
//! generated from NUT 2.8.5 by `tools/gen_table.py`; hooks and state are ours.

#![allow(unused_imports)]
use super::blazer;
use crate::engine;
use crate::format::{parse_leading_f64, Arg};
use crate::model::{qxflags as qf, st, Ctx, InfoRw, Item, ItemError, Subdriver};

/// The table.
pub static TABLE: &[Item] = &[
    Item {
        info_type: "input.voltage",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.voltage.fault",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 7,
        to: 11,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.voltage",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 13,
        to: 17,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "ups.load",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 19,
        to: 21,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.frequency",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 23,
        to: 26,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 28,
        to: 31,
        dfl: Some("%.2f"),
        preprocess: Some(battery_voltage),
        ..Item::NONE
    },
    Item {
        info_type: "battery.charge",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 28,
        to: 31,
        dfl: Some("%.2f"),
        preprocess: Some(battery_charge),
        ..Item::NONE
    },
    Item {
        info_type: "ups.temperature",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 33,
        to: 36,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 38,
        to: 38,
        qxflags: qf::QUICK_POLL,
        preprocess: Some(blazer::process_status_bits),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 39,
        to: 39,
        qxflags: qf::QUICK_POLL,
        preprocess: Some(blazer::process_status_bits),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 40,
        to: 42,
        qxflags: qf::QUICK_POLL,
        preprocess: Some(process_status_bits),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 41,
        to: 41,
        qxflags: qf::QUICK_POLL,
        preprocess: Some(process_status_bits),
        ..Item::NONE
    },
    Item {
        info_type: "ups.alarm",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 41,
        to: 41,
        preprocess: Some(blazer::process_status_bits),
        ..Item::NONE
    },
    Item {
        info_type: "ups.type",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 42,
        to: 42,
        dfl: Some("%s"),
        qxflags: qf::STATIC,
        preprocess: Some(blazer::process_status_bits),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 43,
        to: 43,
        qxflags: qf::QUICK_POLL,
        preprocess: Some(blazer::process_status_bits),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 44,
        to: 44,
        qxflags: qf::QUICK_POLL,
        preprocess: Some(blazer::process_status_bits),
        ..Item::NONE
    },
    Item {
        info_type: "ups.beeper.status",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 45,
        to: 45,
        dfl: Some("%s"),
        preprocess: Some(blazer::process_status_bits),
        ..Item::NONE
    },
    Item {
        info_type: "output.voltage.nominal",
        command: "F\r",
        answer_len: 22,
        leading: b'#',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        qxflags: qf::QUICK_POLL,
        ..Item::NONE
    },
    Item {
        info_type: "output.current.nominal",
        command: "F\r",
        answer_len: 22,
        leading: b'#',
        from: 7,
        to: 9,
        dfl: Some("%.1f"),
        qxflags: qf::QUICK_POLL,
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage.nominal",
        command: "F\r",
        answer_len: 22,
        leading: b'#',
        from: 11,
        to: 15,
        dfl: Some("%.1f"),
        qxflags: qf::QUICK_POLL,
        ..Item::NONE
    },
    Item {
        info_type: "output.frequency.nominal",
        command: "F\r",
        answer_len: 22,
        leading: b'#',
        from: 17,
        to: 20,
        dfl: Some("%.1f"),
        qxflags: qf::QUICK_POLL,
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage.low",
        command: "F\r",
        answer_len: 22,
        leading: b'#',
        from: 1,
        to: 2,
        dfl: Some("%.2f"),
        qxflags: qf::QUICK_POLL,
        preprocess: Some(battery_limits),
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage.high",
        command: "F\r",
        answer_len: 22,
        leading: b'#',
        from: 2,
        to: 3,
        dfl: Some("%.2f"),
        qxflags: qf::QUICK_POLL,
        preprocess: Some(battery_limits),
        ..Item::NONE
    },
    Item {
        info_type: "output.frequency",
        command: "Q5\r",
        answer_len: 22,
        leading: b'(',
        from: 1,
        to: 18,
        dfl: Some("%.1f"),
        preprocess: Some(q5),
        ..Item::NONE
    },
    Item {
        info_type: "battery.runtime",
        command: "At\r",
        leading: b'(',
        dfl: Some("%d"),
        preprocess: Some(runtime_at),
        ..Item::NONE
    },
    Item {
        info_type: "ups.test.result",
        command: "TR\r",
        leading: b'#',
        dfl: Some("%s"),
        preprocess: Some(test_result),
        ..Item::NONE
    },
    Item {
        info_type: "device.mfr",
        command: "I\r",
        answer_len: 39,
        leading: b'#',
        from: 1,
        to: 15,
        dfl: Some("%s"),
        qxflags: qf::STATIC | qf::TRIM,
        ..Item::NONE
    },
    Item {
        info_type: "device.model",
        command: "I\r",
        answer_len: 39,
        leading: b'#',
        from: 17,
        to: 26,
        dfl: Some("%s"),
        qxflags: qf::STATIC | qf::TRIM,
        ..Item::NONE
    },
    Item {
        info_type: "ups.firmware",
        command: "I\r",
        answer_len: 39,
        leading: b'#',
        from: 28,
        to: 37,
        dfl: Some("%s"),
        qxflags: qf::STATIC | qf::TRIM,
        ..Item::NONE
    },
    Item { info_type: "beeper.toggle", command: "Q\r", qxflags: qf::CMD, ..Item::NONE },
    Item { info_type: "load.off", command: "S.2\r", qxflags: qf::CMD, ..Item::NONE },
    Item { info_type: "load.on", command: "C\r", qxflags: qf::CMD, ..Item::NONE },
    Item {
        info_type: "shutdown.return",
        command: "S%s\r",
        qxflags: qf::CMD,
        preprocess: Some(blazer::process_command),
        ..Item::NONE
    },
    Item {
        info_type: "shutdown.stayoff",
        command: "S%sR0000\r",
        qxflags: qf::CMD,
        preprocess: Some(blazer::process_command),
        ..Item::NONE
    },
    Item { info_type: "shutdown.stop", command: "C\r", qxflags: qf::CMD, ..Item::NONE },
    Item {
        info_type: "test.battery.start",
        command: "T%02d\r",
        qxflags: qf::CMD,
        preprocess: Some(blazer::process_command),
        ..Item::NONE
    },
    Item { info_type: "test.battery.start.deep", command: "TL\r", qxflags: qf::CMD, ..Item::NONE },
    Item { info_type: "test.battery.start.quick", command: "T\r", qxflags: qf::CMD, ..Item::NONE },
    Item { info_type: "test.battery.stop", command: "CT\r", qxflags: qf::CMD, ..Item::NONE },
    Item {
        info_type: "ups.delay.start",
        info_flags: st::RW,
        info_rw: blazer::R_ONDELAY,
        dfl: Some("180"),
        qxflags: qf::ABSENT | qf::SETVAR | qf::RANGE,
        preprocess: Some(blazer::process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "ups.delay.shutdown",
        info_flags: st::RW,
        info_rw: blazer::R_OFFDELAY,
        dfl: Some("30"),
        qxflags: qf::ABSENT | qf::SETVAR | qf::RANGE,
        preprocess: Some(blazer::process_setvar),
        ..Item::NONE
    },
];

/// What the `Q5` answer left for the battery hooks (NUT keeps them across polls).
#[derive(Debug, Default)]
struct Q5State {
    /// Battery voltage in hundredths of a 12 V block's nominal (0 or less: not known).
    vb: i64,
    /// Low-battery cut-off, same unit.
    vbc: i64,
}

fn q5_state(ctx: &mut Ctx<'_>) -> (i64, i64) {
    let s = ctx.sub::<Q5State>();
    (s.vb, s.vbc)
}

/// A big-endian 16-bit field of the whole answer (bytes past the end read as 0, as in NUT's
/// zeroed buffer).
fn word(answer: &[u8], at: usize) -> i64 {
    let b = |i: usize| i64::from(answer.get(i).copied().unwrap_or(0));
    b(at) * 256 + b(at + 1)
}

fn nominal_battery(ctx: &Ctx<'_>) -> Option<f64> {
    ctx.state.get_info("battery.voltage.nominal").map(parse_leading_f64)
}

/// `Q5` (binary): output frequency (bytes 1-2, tenths of Hz), battery voltage (7-8) and
/// low-battery level (9-10) kept for the battery hooks, an error code (13-14) added as an
/// alarm, output current (15-16, tenths of A). Publishes `output.frequency` and
/// `output.current`.
pub fn q5(ctx: &mut Ctx<'_>, _item: &Item, _value: &str) -> Result<String, ItemError> {
    let a = ctx.rt.answer.clone();
    let (fout, vb, vbc, err, current) = (word(&a, 1), word(&a, 7), word(&a, 9), word(&a, 13), word(&a, 15));
    nut_driver::trace!("Q5: fout {fout} vb {vb} vbc {vbc} err {err} current {current}");
    {
        let s = ctx.sub::<Q5State>();
        s.vb = vb;
        s.vbc = vbc;
    }
    let freq = format!("{:.1}", 0.1 * fout as f64);
    ctx.state.set_info("output.frequency", &freq);
    ctx.alarm(&err.to_string());
    ctx.state.set_info("output.current", &format!("{:.1}", 0.1 * current as f64));
    Ok(freq)
}

/// `battery.voltage`: as read until the nominal battery voltage is known; then from `Q5`'s
/// battery voltage when it gave one, else as read when above 3 V, else as a per-cell
/// reading (x 6 cells x nominal / 12 V).
pub fn battery_voltage(ctx: &mut Ctx<'_>, _item: &Item, value: &str) -> Result<String, ItemError> {
    let v = parse_leading_f64(value);
    let Some(nominal) = nominal_battery(ctx) else { return Ok(format!("{v:.2}")) };
    let (vb, _) = q5_state(ctx);
    let actual = if vb > 0 {
        vb as f64 * nominal / 1200.0
    } else if v > 3.0 {
        v
    } else {
        v * 6.0 * nominal / 12.0
    };
    Ok(format!("{actual:.2}"))
}

/// Ablerex's charge table: (cell voltage or 12 V block voltage at least, charge %), first
/// match wins; nothing matched is 0 %.
const CHARGE_PER_CELL: &[(f64, i32)] = &[
    (2.22, 100),
    (2.21, 90),
    (2.20, 88),
    (2.19, 87),
    (2.18, 85),
    (2.17, 83),
    (2.16, 82),
    (2.15, 80),
    (2.14, 78),
    (2.13, 77),
    (2.12, 75),
    (2.11, 73),
    (2.10, 72),
    (2.09, 70),
    (2.08, 68),
    (2.07, 65),
    (2.06, 65),
    (2.05, 62),
    (2.04, 62),
    (2.03, 58),
    (2.02, 58),
    (2.01, 55),
    (2.00, 55),
    (1.99, 53),
    (1.98, 52),
    (1.97, 50),
    (1.96, 48),
    (1.95, 47),
    (1.94, 45),
    (1.93, 43),
    (1.92, 42),
    (1.91, 40),
    (1.90, 38),
    (1.89, 37),
    (1.88, 35),
    (1.87, 33),
    (1.86, 32),
    (1.85, 30),
    (1.84, 28),
    (1.83, 27),
    (1.82, 25),
    (1.81, 23),
    (1.80, 22),
    (1.79, 20),
    (1.78, 18),
    (1.77, 17),
    (1.76, 15),
    (1.75, 13),
    (1.74, 12),
    (1.73, 10),
    (1.72, 8),
    (1.71, 7),
    (1.70, 5),
    (1.69, 3),
    (1.68, 2),
];
const CHARGE_PER_BLOCK: &[(f64, i32)] = &[
    (13.5, 100),
    (13.3, 90),
    (13.2, 88),
    (13.1, 86),
    (13.0, 83),
    (12.9, 80),
    (12.8, 77),
    (12.7, 74),
    (12.6, 72),
    (12.5, 69),
    (12.4, 66),
    (12.3, 63),
    (12.2, 61),
    (12.1, 58),
    (12.0, 55),
    (11.9, 52),
    (11.8, 49),
    (11.7, 47),
    (11.6, 44),
    (11.5, 41),
    (11.4, 38),
    (11.3, 36),
    (11.2, 33),
    (11.1, 30),
    (11.0, 27),
    (10.9, 24),
    (10.8, 22),
    (10.7, 19),
    (10.6, 16),
    (10.5, 13),
    (10.4, 11),
    (10.3, 8),
    (10.2, 5),
    (10.1, 2),
];

/// Charge (%) for a battery voltage: below 3 V a cell voltage, else a 12 V block's.
pub fn charge_for(v: f64) -> i32 {
    let table = if v < 3.0 { CHARGE_PER_CELL } else { CHARGE_PER_BLOCK };
    table.iter().find(|(at_least, _)| v >= *at_least).map_or(0, |&(_, c)| c)
}

/// `battery.charge` from the `Q1` battery voltage: 100 until the nominal battery voltage is
/// known; then from the table, a reading above 3 V brought to one 12 V block first.
pub fn battery_charge(ctx: &mut Ctx<'_>, _item: &Item, value: &str) -> Result<String, ItemError> {
    let mut v = parse_leading_f64(value);
    let Some(nominal) = nominal_battery(ctx) else { return Ok("100".into()) };
    if v > 3.0 {
        v /= nominal / 12.0;
    }
    Ok(charge_for(v).to_string())
}

/// `battery.voltage.low` (`Q5`'s low-battery level, else 9.6 V per 12 V block) and
/// `battery.voltage.high` (13.65 V per 12 V block), scaled to the nominal battery voltage.
/// The two items tell themselves apart by their `from` (1: low, 2: high).
pub fn battery_limits(ctx: &mut Ctx<'_>, item: &Item, _value: &str) -> Result<String, ItemError> {
    let Some(nominal) = nominal_battery(ctx) else {
        return Err(ItemError::new(format!("{}: battery.voltage.nominal unknown", item.info_type)));
    };
    let (_, vbc) = q5_state(ctx);
    let low = if vbc > 0 { vbc as f64 } else { 960.0 } * nominal / 1200.0;
    let high = 1365.0 * nominal / 1200.0;
    match item.from {
        1 => Ok(format!("{low:.2}")),
        2 => Ok(format!("{high:.2}")),
        f => Err(ItemError::new(format!("{}: no battery limit at {f}", item.info_type))),
    }
}

/// `At` (binary): the runtime, bytes 1-4 big-endian (a signed 32-bit number, as NUT prints it).
pub fn runtime_at(ctx: &mut Ctx<'_>, _item: &Item, _value: &str) -> Result<String, ItemError> {
    let a = &ctx.rt.answer;
    let b = |i: usize| u32::from(a.get(i).copied().unwrap_or(0));
    let v = (b(1) << 24) | (b(2) << 16) | (b(3) << 8) | b(4);
    Ok((v as i32).to_string())
}

/// `TR`: the test result, the four characters after `#` (up to a NUL).
pub fn test_result(ctx: &mut Ctx<'_>, _item: &Item, _value: &str) -> Result<String, ItemError> {
    let a = &ctx.rt.answer;
    let four: Vec<u8> = a.iter().skip(1).take(4).take_while(|&&b| b != 0).copied().collect();
    Ok(String::from_utf8_lossy(&four).into_owned())
}

/// Ablerex's reading of two `Q1` bits, put into `ups.status` as they are:
/// - from 40 (the value spans bits 40..42): bit 40 set is BYPASS on on-line units (bit 42
///   clear); on standby units TRIM, BYPASS or BOOST by the output/input voltage ratio (below
///   0.5 or from 1.5 the reading is refused);
/// - from 41: bit 41 set is RB; an output below 50 V is OFF.
pub fn process_status_bits(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let bit = |i: usize| value.as_bytes().get(i) == Some(&b'1');
    let num = |ctx: &Ctx<'_>, n: &str| ctx.state.get_info(n).map_or(0.0, parse_leading_f64);
    match item.from {
        40 => {
            if bit(0) {
                let token = if bit(2) {
                    let (vi, vo) = (num(ctx, "input.voltage"), num(ctx, "output.voltage"));
                    if vo < 0.5 * vi {
                        return Err(ItemError::new("output voltage too low"));
                    } else if vo < 0.95 * vi {
                        "TRIM"
                    } else if vo < 1.05 * vi {
                        "BYPASS"
                    } else if vo < 1.5 * vi {
                        "BOOST"
                    } else {
                        return Err(ItemError::new("output voltage too high"));
                    }
                } else {
                    "BYPASS"
                };
                ctx.status_set_raw(token);
            }
        }
        41 => {
            if bit(0) {
                ctx.status_set_raw("RB");
            }
            if num(ctx, "output.voltage") < 50.0 {
                ctx.status_set_raw("OFF");
            }
        }
        f => return Err(ItemError::new(format!("no ablerex status bit at {f}"))),
    }
    Ok(String::new())
}

/// The subdriver.
pub static SUBDRIVER: Subdriver = Subdriver {
    name: "Ablerex",
    version: "0.02",
    claim: blazer::claim,
    table: TABLE,
    initups: Some(blazer::initups),
    initinfo: None,
    options: blazer::OPTS,
    accepted: Some("ACK"),
    rejected: None,
};
