//! NUT's `q1` protocol (subdriver nutdrv_qx_q1): its table as data.

#![allow(unused_imports)]
use super::blazer;
use crate::engine;
use crate::model::{qxflags as qf, st, InfoRw, Item, Subdriver};

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
    name: "Q1",
    version: "0.08",
    claim: blazer::claim_light,
    table: TABLE,
    initups: Some(blazer::initups_light),
    initinfo: None,
    options: blazer::OPTS_LIGHT,
    accepted: Some("ACK"),
    rejected: None,
};
