//! NUT's `hunnox` protocol (subdriver nutdrv_qx_hunnox): its table as data.

#![allow(unused_imports)]
use super::blazer;
use crate::engine;
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
        qxflags: qf::QUICK_POLL,
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
        qxflags: qf::QUICK_POLL,
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
        qxflags: qf::QUICK_POLL,
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
        qxflags: qf::QUICK_POLL,
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
        qxflags: qf::QUICK_POLL,
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
        qxflags: qf::QUICK_POLL,
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
        qxflags: qf::QUICK_POLL,
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
        command: "FW?\r",
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
        command: "FW?\r",
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
        command: "FW?\r",
        answer_len: 39,
        leading: b'#',
        from: 28,
        to: 37,
        dfl: Some("%s"),
        qxflags: qf::STATIC | qf::TRIM,
        ..Item::NONE
    },
    Item {
        info_type: "battery.charge",
        command: "BL\r",
        answer_len: 6,
        leading: b'B',
        dfl: Some("%.0f"),
        qxflags: qf::QUICK_POLL,
        preprocess: Some(battery_charge),
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
        dfl: Some("0"),
        qxflags: qf::ABSENT | qf::SETVAR | qf::RANGE,
        preprocess: Some(blazer::process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "ups.delay.shutdown",
        info_flags: st::RW,
        info_rw: blazer::R_OFFDELAY,
        dfl: Some("60"),
        qxflags: qf::ABSENT | qf::SETVAR | qf::RANGE,
        preprocess: Some(blazer::process_setvar),
        ..Item::NONE
    },
];

/// The subdriver.
pub static SUBDRIVER: Subdriver = Subdriver {
    name: "Hunnox",
    version: "0.03",
    claim: blazer::claim,
    table: TABLE,
    initups: Some(blazer::initups),
    initinfo: None,
    options: blazer::OPTS,
    accepted: Some("UPS No Ack"),
    rejected: None,
};

/// `BL<percent>` answer to the battery level query: 0..=100.
fn battery_charge(ctx: &mut Ctx<'_>, _item: &Item, _value: &str) -> Result<String, ItemError> {
    let a = crate::engine::ascii_text(&ctx.rt.answer);
    let Some(rest) = a.strip_prefix("BL") else {
        return Err(ItemError::new(format!("invalid response [{a}]")));
    };
    let pct = crate::format::parse_leading_i64(rest);
    if !(0..=100).contains(&pct) {
        return Err(ItemError::new(format!("invalid percentage [{pct}]")));
    }
    Ok(pct.to_string())
}
