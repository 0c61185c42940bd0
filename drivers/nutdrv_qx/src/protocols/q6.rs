//! NUT's `q6` protocol (subdriver nutdrv_qx_q6, "Q6 0.01"): three-phase units answering `Q6`
//! (per-phase voltages and load, output frequency, positive/negative battery voltage,
//! runtime, charge, transformer topology) and `WA`, plus the `Q1` status bits. Table
//! generated from NUT 2.8.5 by `tools/gen_table.py`; the hooks are shared with [`super::q2`].

#![allow(unused_imports)]
use super::{blazer, q2};
use crate::engine;
use crate::model::{qxflags as qf, st, InfoRw, Item, Subdriver};

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
        info_type: "output.L1-N.voltage",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 24,
        to: 28,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L2-N.voltage",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 30,
        to: 34,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L3-N.voltage",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 36,
        to: 40,
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
        info_type: "output.L1.load",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 47,
        to: 49,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L2.load",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 51,
        to: 53,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L3.load",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 55,
        to: 57,
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
        info_type: "experimental.battery.voltage.negative",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 65,
        to: 69,
        dfl: Some("%.1f"),
        preprocess: Some(engine::multiply_battvolt),
        ..Item::NONE
    },
    Item {
        info_type: "experimental.input.topology",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 107,
        to: 107,
        dfl: Some("%s"),
        qxflags: qf::STATIC,
        preprocess: Some(q2::process_topology_bits),
        ..Item::NONE
    },
    Item {
        info_type: "experimental.output.topology",
        command: "Q6\r",
        answer_len: 110,
        leading: b'(',
        from: 108,
        to: 108,
        dfl: Some("%s"),
        qxflags: qf::STATIC,
        preprocess: Some(q2::process_topology_bits),
        ..Item::NONE
    },
    Item {
        info_type: "output.L1.realpower",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        preprocess: Some(engine::multiply_x1000),
        ..Item::NONE
    },
    Item {
        info_type: "output.L2.realpower",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 7,
        to: 11,
        dfl: Some("%.1f"),
        preprocess: Some(engine::multiply_x1000),
        ..Item::NONE
    },
    Item {
        info_type: "output.L3.realpower",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 13,
        to: 17,
        dfl: Some("%.1f"),
        preprocess: Some(engine::multiply_x1000),
        ..Item::NONE
    },
    Item {
        info_type: "output.L1.power",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 19,
        to: 23,
        dfl: Some("%.1f"),
        preprocess: Some(engine::multiply_x1000),
        ..Item::NONE
    },
    Item {
        info_type: "output.L2.power",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 25,
        to: 29,
        dfl: Some("%.1f"),
        preprocess: Some(engine::multiply_x1000),
        ..Item::NONE
    },
    Item {
        info_type: "output.L3.power",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 31,
        to: 35,
        dfl: Some("%.1f"),
        preprocess: Some(engine::multiply_x1000),
        ..Item::NONE
    },
    Item {
        info_type: "output.L1.current",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 49,
        to: 53,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L2.current",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 55,
        to: 59,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L3.current",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 61,
        to: 65,
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
        info_type: "ups.load",
        command: "WA\r",
        answer_len: 80,
        leading: b'(',
        from: 67,
        to: 69,
        dfl: Some("%.0f"),
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
    Item { info_type: "beeper.toggle", command: "Q\r", qxflags: qf::CMD, ..Item::NONE },
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

/// The subdriver.
pub static SUBDRIVER: Subdriver = Subdriver {
    name: "Q6",
    version: "0.01",
    claim: q2::claim_three_phase,
    table: TABLE,
    initups: Some(q2::initups_three_phase),
    initinfo: Some(q2::initinfo_three_phase),
    options: q2::OPTS,
    accepted: Some("ACK"),
    rejected: None,
};
