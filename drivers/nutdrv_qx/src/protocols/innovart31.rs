//! NUT's `innovart31` protocol (subdriver nutdrv_qx_innovart31, "INNOVART31"): INNOVA RT
//! three-phase input, single-phase output units answering `Q6`, `Q1`, `WA`, `BPS` (bypass), `F`, `FW?` and
//! `SASV07?` (serial number). Table generated from NUT 2.8.5 by `tools/gen_table.py`.

#![allow(unused_imports)]
use super::blazer;
use crate::engine;
use crate::model::{qxflags as qf, st, Ctx, InfoRw, Item, ItemError, Subdriver};

/// The table.
pub static TABLE: &[Item] = &[
    Item {
        info_type: "input.L1-N.voltage",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.L2-N.voltage",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 7,
        to: 11,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.L3-N.voltage",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 13,
        to: 17,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.frequency",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 19,
        to: 22,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.voltage",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 24,
        to: 28,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.frequency",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 42,
        to: 45,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "ups.load",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 47,
        to: 49,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "ups.temperature",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 71,
        to: 74,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 59,
        to: 63,
        dfl: Some("%.1f"),
        preprocess: Some(engine::multiply_battvolt),
        ..Item::NONE
    },
    Item {
        info_type: "battery.runtime",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 76,
        to: 80,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "battery.charge",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 82,
        to: 84,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.current",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 49,
        to: 53,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "ups.realpower",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 37,
        to: 41,
        dfl: Some("%.1f"),
        preprocess: Some(engine::multiply_x1000),
        ..Item::NONE
    },
    Item {
        info_type: "ups.power",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 43,
        to: 47,
        dfl: Some("%.1f"),
        preprocess: Some(engine::multiply_x1000),
        ..Item::NONE
    },
    Item {
        info_type: "input.bypass.voltage",
        command: "BPS\r",
        answer_len: 24,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.bypass.frequency",
        command: "BPS\r",
        answer_len: 24,
        leading: b'(',
        from: 19,
        to: 22,
        dfl: Some("%.1f"),
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
    Item { info_type: "ups.firmware", command: "FW?\r", dfl: Some("%s"), qxflags: qf::STATIC, ..Item::NONE },
    Item {
        info_type: "ups.serial",
        command: "SASV07?\r",
        answer_len: 28,
        from: 7,
        dfl: Some("%s"),
        qxflags: qf::STATIC | qf::TRIM,
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
    Item { info_type: "load.off", command: "S00R0000\r", qxflags: qf::CMD, ..Item::NONE },
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

/// The device must give each of these (one per query).
const MANDATORY: &[&str] = &[
    "input.L1-N.voltage",
    "ups.type",
    "output.current",
    "input.bypass.voltage",
    "input.voltage.nominal",
    "ups.firmware",
    "ups.serial",
];

fn claim(ctx: &mut Ctx<'_>) -> bool {
    blazer::claim_items(ctx, MANDATORY)
}

fn initinfo(ctx: &mut Ctx<'_>) -> Result<(), ItemError> {
    ctx.state.set_info("input.phases", "3");
    ctx.state.set_info("input.bypass.phases", "1");
    ctx.state.set_info("output.phases", "1");
    Ok(())
}

/// The subdriver.
pub static SUBDRIVER: Subdriver = Subdriver {
    name: "INNOVART31",
    version: "0.02",
    claim,
    table: TABLE,
    initups: Some(blazer::initups_light),
    initinfo: Some(initinfo),
    options: blazer::OPTS_LIGHT,
    accepted: Some("ACK"),
    rejected: Some("NAK\r"),
};
