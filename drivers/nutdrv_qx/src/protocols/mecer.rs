//! NUT's `mecer` protocol (subdriver nutdrv_qx_mecer, "Mecer 0.09"): Megatec Q1 units that
//! wrap their acknowledgements in `(ACK\r` / `(NAK\r`, and may be Voltronic Power P98 units
//! (`QPI` answering `(PI98`), which allow battery tests from 12 s. Table generated from NUT
//! 2.8.5 by `tools/gen_table.py`; claim and hooks are ours.

#![allow(unused_imports)]
use super::blazer;
use crate::engine;
use crate::format::{format, Arg};
use crate::model::{qxflags as qf, st, Ctx, InfoRw, Item, ItemError, Subdriver};
use crate::port::PortError;

/// The table.
pub static TABLE: &[Item] = &[
    Item {
        info_type: "ups.firmware.aux",
        command: "QPI\r",
        answer_len: 6,
        leading: b'(',
        from: 1,
        to: 4,
        dfl: Some("%s"),
        qxflags: qf::STATIC,
        preprocess: Some(p98_protocol),
        ..Item::NONE
    },
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
        preprocess: Some(engine::multiply_battvolt),
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
        to: 40,
        qxflags: qf::QUICK_POLL,
        preprocess: Some(blazer::process_status_bits),
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
        info_type: "input.voltage.nominal",
        command: "F\r",
        answer_len: 22,
        leading: b'#',
        from: 1,
        to: 5,
        dfl: Some("%.0f"),
        qxflags: qf::STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "input.current.nominal",
        command: "F\r",
        answer_len: 22,
        leading: b'#',
        from: 7,
        to: 9,
        dfl: Some("%.1f"),
        qxflags: qf::STATIC,
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
        qxflags: qf::STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "input.frequency.nominal",
        command: "F\r",
        answer_len: 22,
        leading: b'#',
        from: 17,
        to: 20,
        dfl: Some("%.0f"),
        qxflags: qf::STATIC,
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
    Item {
        info_type: "beeper.toggle",
        command: "Q\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        ..Item::NONE
    },
    Item {
        info_type: "load.off",
        command: "S00R0000\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        ..Item::NONE
    },
    Item {
        info_type: "load.on",
        command: "C\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        ..Item::NONE
    },
    Item {
        info_type: "shutdown.return",
        command: "S%s\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        preprocess: Some(blazer::process_command),
        ..Item::NONE
    },
    Item {
        info_type: "shutdown.stayoff",
        command: "S%sR0000\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        preprocess: Some(blazer::process_command),
        ..Item::NONE
    },
    Item {
        info_type: "shutdown.stop",
        command: "C\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        ..Item::NONE
    },
    Item {
        info_type: "test.battery.start",
        command: "T%s\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        preprocess: Some(process_test_battery),
        ..Item::NONE
    },
    Item {
        info_type: "test.battery.start.deep",
        command: "TL\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        ..Item::NONE
    },
    Item {
        info_type: "test.battery.start.quick",
        command: "T\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        ..Item::NONE
    },
    Item {
        info_type: "test.battery.stop",
        command: "CT\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        ..Item::NONE
    },
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

/// The refusal answer.
const NAK: &str = "(NAK\r";

/// The status query must answer; `QPI` must give the protocol, or be refused with `(NAK`
/// (then it is not asked again).
fn claim(ctx: &mut Ctx<'_>) -> bool {
    if !blazer::read_one(ctx, "input.voltage") {
        return false;
    }
    let fail = |ctx: &mut Ctx<'_>| {
        ctx.state.del_info("input.voltage");
        false
    };
    let Some(idx) = ctx.rt.find("ups.firmware.aux", 0, 0) else { return fail(ctx) };
    let item = ctx.rt.items[idx];
    let raw = match ctx.command(item.command.as_bytes()) {
        Ok(r) => r,
        Err(PortError::Timeout) => Vec::new(),
        Err(e) => {
            nut_driver::debug!("claim: {e}");
            return fail(ctx);
        }
    };
    if raw.eq_ignore_ascii_case(NAK.as_bytes()) {
        nut_driver::debug!("{} refused by the UPS: not asked again", item.info_type);
        ctx.rt.items[idx].qxflags |= qf::SKIP;
        return true;
    }
    let published = engine::cut_answer(&item, &raw, Some(NAK))
        .and_then(|v| engine::infoval_set_answer(ctx, &item, &v, Some(&raw)));
    if published != Ok(engine::Used::Published) {
        return fail(ctx);
    }
    true
}

/// `PI98` is Voltronic Power's P98 protocol; anything else is not supported.
pub fn p98_protocol(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !value.eq_ignore_ascii_case("PI98") {
        nut_driver::error!("Protocol [{value}] is not supported by this driver");
        return Err(ItemError::new("unsupported protocol"));
    }
    format(item.dfl.unwrap_or("%s"), Arg::Str("Voltronic Power P98"))
        .ok_or_else(|| ItemError::new("bad format"))
}

/// `test.battery.start` with a duration in seconds (default 600): `T.n` (tenths of a minute)
/// below a minute, `Tnn` minutes otherwise; at least 12 s on P98 units, 60 s on others, at
/// most 5940 s.
pub fn process_test_battery(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let p98 =
        ctx.state.get_info("ups.firmware.aux").is_some_and(|p| p.eq_ignore_ascii_case("Voltronic Power P98"));
    let min = if p98 { 12 } else { 60 };
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        nut_driver::error!("{}: non numerical value [{value}]", item.info_type);
        return Err(ItemError::new("non numerical value"));
    }
    let t: i64 = if value.is_empty() { 600 } else { value.parse().unwrap_or(i64::MAX) };
    if !(min..=5940).contains(&t) {
        nut_driver::error!("{}: battery test time '{t}' out of range [{min}..5940] seconds", item.info_type);
        return Err(ItemError::new("battery test time out of range"));
    }
    let arg = if t < 60 { format!(".{}", t / 6) } else { format!("{:02}", t / 60) };
    format(item.command, Arg::Str(&arg)).ok_or_else(|| ItemError::new("bad command template"))
}

/// The subdriver.
pub static SUBDRIVER: Subdriver = Subdriver {
    name: "Mecer",
    version: "0.09",
    claim,
    table: TABLE,
    initups: Some(blazer::initups),
    initinfo: None,
    options: blazer::OPTS,
    accepted: Some("ACK"),
    rejected: Some(NAK),
};
