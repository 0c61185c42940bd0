//! NUT's `gtec` protocol (subdriver nutdrv_qx_gtec): its table as data.

#![allow(unused_imports)]
use super::blazer;
use crate::engine;
use crate::model::{qxflags as qf, st, Ctx, InfoRw, Item, ItemError, Subdriver};

/// The table.
pub static TABLE: &[Item] = &[
    Item {
        info_type: "input.voltage",
        command: "Q4\r",
        answer_len: 64,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.voltage.fault",
        command: "Q4\r",
        answer_len: 64,
        leading: b'(',
        from: 19,
        to: 23,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.voltage",
        command: "Q4\r",
        answer_len: 64,
        leading: b'(',
        from: 25,
        to: 29,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "ups.load",
        command: "Q4\r",
        answer_len: 64,
        leading: b'(',
        from: 35,
        to: 37,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.frequency",
        command: "Q4\r",
        answer_len: 64,
        leading: b'(',
        from: 39,
        to: 42,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage",
        command: "Q4\r",
        answer_len: 64,
        leading: b'(',
        from: 52,
        to: 56,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "ups.temperature",
        command: "Q4\r",
        answer_len: 64,
        leading: b'(',
        from: 58,
        to: 61,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "Q4\r",
        answer_len: 64,
        leading: b'(',
        from: 63,
        preprocess: Some(process_status),
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
    name: "Gtec",
    version: "0.01",
    claim: blazer::claim,
    table: TABLE,
    initups: Some(blazer::initups),
    initinfo: None,
    options: blazer::OPTS,
    accepted: Some("ACK"),
    rejected: None,
};

/// The status letters of the `QS` answer: A/C/M choose OB/BYPASS/OL (none: OFF), the others
/// set bits, alarms and `battery.test.status`.
fn process_status(ctx: &mut Ctx<'_>, _item: &Item, value: &str) -> Result<String, ItemError> {
    let mut val = "OFF";
    ctx.update_status("OL");
    for c in value.chars() {
        match c {
            'A' => val = "!OL",
            'B' => ctx.update_status("LB"),
            'C' => val = "BYPASS",
            'D' => ctx.alarm("UPS failed"),
            'E' => {
                ctx.state.set_info("battery.test.status", "Test in progress");
            }
            'F' => ctx.update_status("FSD"),
            'G' => ctx.alarm("Site fault"),
            'H' => ctx.alarm("EPROM fail"),
            'I' => {
                ctx.state.set_info("battery.test.status", "Test passed - Result: OK");
            }
            'J' => {
                ctx.state.set_info("battery.test.status", "Test passed - Result: Failed");
                ctx.update_status("RB");
            }
            'K' => {
                ctx.state.set_info("battery.test.status", "Battery disconnected");
            }
            'L' => {
                ctx.state.set_info("battery.test.status", "Test status unknown");
            }
            'M' => val = "OL",
            'N' => ctx.update_status("OVER"),
            'P' => ctx.alarm("Battery disconnected"),
            other => nut_driver::debug!("ignoring unknown status character {other}"),
        }
    }
    Ok(val.to_string())
}
