//! NUT's `q2` protocol (subdriver nutdrv_qx_q2, "Q2 0.01"): three-phase units answering `Q2`
//! (per-phase voltages, load, battery runtime and charge, transformer topology) and `WA`
//! (per-phase power and current), plus the `Q1` status bits. The table is data generated from
//! NUT 2.8.5 by `tools/gen_table.py`; the hooks below are ours.

#![allow(unused_imports)]
use super::blazer;
use crate::engine;
use crate::model::{qxflags as qf, st, Ctx, InfoRw, Item, ItemError, SubOpt, Subdriver};

/// The table.
pub static TABLE: &[Item] = &[
    Item {
        info_type: "input.L1-N.voltage",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.L2-N.voltage",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 7,
        to: 11,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.L3-N.voltage",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 13,
        to: 17,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.voltage.fault",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 19,
        to: 23,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.frequency",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 55,
        to: 58,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L1-N.voltage",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 25,
        to: 29,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L2-N.voltage",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 31,
        to: 35,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L3-N.voltage",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 37,
        to: 41,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L1.load",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 43,
        to: 45,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L2.load",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 47,
        to: 49,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.L3.load",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 51,
        to: 53,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "ups.temperature",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 66,
        to: 69,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 60,
        to: 64,
        dfl: Some("%.1f"),
        preprocess: Some(engine::multiply_battvolt),
        ..Item::NONE
    },
    Item {
        info_type: "battery.runtime",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 80,
        to: 85,
        dfl: Some("%.2f"),
        preprocess: Some(engine::multiply_m2s),
        ..Item::NONE
    },
    Item {
        info_type: "battery.charge",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 87,
        to: 89,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "experimental.input.topology",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 115,
        to: 115,
        dfl: Some("%s"),
        qxflags: qf::STATIC,
        preprocess: Some(process_topology_bits),
        ..Item::NONE
    },
    Item {
        info_type: "experimental.output.topology",
        command: "Q2\r",
        answer_len: 118,
        leading: b'(',
        from: 116,
        to: 116,
        dfl: Some("%s"),
        qxflags: qf::STATIC,
        preprocess: Some(process_topology_bits),
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

/// `norating`, `nooutstats`, `ignoresab`.
pub static OPTS: &[SubOpt] = &[
    SubOpt { name: "norating", value: false, help: "Skip reading rating information from UPS" },
    SubOpt { name: "nooutstats", value: false, help: "Skip reading output load stats information from UPS" },
    SubOpt { name: "ignoresab", value: false, help: "Ignore 'Shutdown Active' bit in UPS status" },
];

/// A transformer topology bit: `1` star, `0` delta.
pub fn process_topology_bits(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    match value {
        "1" => Ok("star".into()),
        "0" => Ok("delta".into()),
        _ => Err(ItemError::new(format!("unexpected value {value}@{} ({})", item.from, item.info_type))),
    }
}

/// The claim of the three-phase `Q2`/`Q6` units: the first phase's input voltage (from
/// `status_query`), the UPS type (`Q1`) and, unless `nooutstats`, the first phase's output
/// current (`WA`).
pub fn claim_three_phase(ctx: &mut Ctx<'_>) -> bool {
    if !blazer::claim_items(ctx, &["input.L1-N.voltage", "ups.type"]) {
        return false;
    }
    ctx.testvar("nooutstats") || blazer::read_one(ctx, "output.L1.current")
}

/// `norating` skips `F`, `nooutstats` skips `WA`, `ignoresab` the "Shutdown Active" bit.
pub fn initups_three_phase(ctx: &mut Ctx<'_>) -> Result<(), ItemError> {
    let (nr, nos, isb) = (ctx.testvar("norating"), ctx.testvar("nooutstats"), ctx.testvar("ignoresab"));
    for it in ctx.rt.items.iter_mut() {
        let skip = (nr && it.command.eq_ignore_ascii_case("F\r"))
            || (nos && it.command.eq_ignore_ascii_case("WA\r"))
            || (isb && it.info_type.eq_ignore_ascii_case("ups.status") && it.from == 44 && it.to == 44);
        if skip {
            nut_driver::debug!("skipping {}", it.info_type);
            it.qxflags |= qf::SKIP;
        }
    }
    Ok(())
}

/// Three input and three output phases.
pub fn initinfo_three_phase(ctx: &mut Ctx<'_>) -> Result<(), ItemError> {
    ctx.state.set_info("input.phases", "3");
    ctx.state.set_info("output.phases", "3");
    Ok(())
}

/// The subdriver.
pub static SUBDRIVER: Subdriver = Subdriver {
    name: "Q2",
    version: "0.01",
    claim: claim_three_phase,
    table: TABLE,
    initups: Some(initups_three_phase),
    initinfo: Some(initinfo_three_phase),
    options: OPTS,
    accepted: Some("ACK"),
    rejected: None,
};
