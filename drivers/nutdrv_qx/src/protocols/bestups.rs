//! NUT's `bestups` protocol (subdriver nutdrv_qx_bestups, "BestUPS 0.08"): Best Power
//! (Fortress, Patriot Pro, Axxium) and Sola Australia units: `Q1` status (with a
//! bypass/boost/buck bit some models invert), `ID` ratings and model (fields realigned to
//! fixed columns first), `RT` runtime, `BP?`/`BPn` battery packs, `SS?`/`SSn` the DB9
//! shutdown-pin mode (`pins_shutdown_mode`), `M` the voltage-limit preset. Table generated
//! from NUT 2.8.5 by `tools/gen_table.py`; hooks and state are ours.

#![allow(unused_imports)]
use super::blazer;
use crate::engine;
use crate::format::{format, parse_leading_f64, parse_leading_i64, Arg};
use crate::model::{qxflags as qf, st, Ctx, InfoRw, Item, ItemError, SubOpt, Subdriver};

/// `ups.delay.start` range (seconds).
pub static R_ONDELAY: &[InfoRw] = &[InfoRw::new("60"), InfoRw::new("599940")];
/// `ups.delay.shutdown` range (seconds).
pub static R_OFFDELAY: &[InfoRw] = &[InfoRw::new("12"), InfoRw::new("5940")];
/// `battery.packs` range.
pub static R_BATT_PACKS: &[InfoRw] = &[InfoRw::new("0"), InfoRw::new("5")];
/// `pins_shutdown_mode` range.
pub static R_PINS_SHUTDOWN_MODE: &[InfoRw] = &[InfoRw::new("0"), InfoRw::new("6")];

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
        info_type: "ups.status",
        command: "Q1\r",
        answer_len: 47,
        leading: b'(',
        from: 40,
        to: 40,
        qxflags: qf::QUICK_POLL,
        preprocess: Some(process_bbb_status_bit),
        ..Item::NONE
    },
    Item {
        info_type: "device.mfr",
        command: "ID\r",
        answer_len: 28,
        to: 2,
        dfl: Some("%s"),
        qxflags: qf::STATIC,
        preprocess_answer: Some(preprocess_id_answer),
        preprocess: Some(manufacturer),
        ..Item::NONE
    },
    Item {
        info_type: "device.model",
        command: "ID\r",
        answer_len: 28,
        to: 2,
        dfl: Some("%s"),
        qxflags: qf::STATIC,
        preprocess_answer: Some(preprocess_id_answer),
        preprocess: Some(model),
        ..Item::NONE
    },
    Item {
        info_type: "ups.power.nominal",
        command: "ID\r",
        answer_len: 28,
        from: 4,
        to: 7,
        dfl: Some("%.0f"),
        qxflags: qf::STATIC,
        preprocess_answer: Some(preprocess_id_answer),
        ..Item::NONE
    },
    Item {
        info_type: "input.voltage.nominal",
        command: "ID\r",
        answer_len: 28,
        from: 9,
        to: 11,
        dfl: Some("%.0f"),
        qxflags: qf::STATIC,
        preprocess_answer: Some(preprocess_id_answer),
        ..Item::NONE
    },
    Item {
        info_type: "output.voltage.nominal",
        command: "ID\r",
        answer_len: 28,
        from: 13,
        to: 15,
        dfl: Some("%.0f"),
        qxflags: qf::STATIC,
        preprocess_answer: Some(preprocess_id_answer),
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage.low",
        command: "ID\r",
        answer_len: 28,
        from: 17,
        to: 20,
        dfl: Some("%.1f"),
        qxflags: qf::SEMI_STATIC,
        preprocess_answer: Some(preprocess_id_answer),
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage.high",
        command: "ID\r",
        answer_len: 28,
        from: 22,
        to: 26,
        dfl: Some("%.1f"),
        qxflags: qf::SEMI_STATIC,
        preprocess_answer: Some(preprocess_id_answer),
        ..Item::NONE
    },
    Item {
        info_type: "battery.runtime",
        command: "RT\r",
        answer_len: 4,
        to: 2,
        dfl: Some("%.0f"),
        qxflags: qf::SKIP,
        preprocess: Some(batt_runtime),
        ..Item::NONE
    },
    Item {
        info_type: "battery.packs",
        info_flags: st::RW,
        info_rw: R_BATT_PACKS,
        command: "BP?\r",
        answer_len: 3,
        to: 1,
        dfl: Some("%d"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::SKIP,
        preprocess: Some(batt_packs),
        ..Item::NONE
    },
    Item {
        info_type: "battery.packs",
        info_rw: R_BATT_PACKS,
        command: "BP%.0f\r",
        qxflags: qf::SETVAR | qf::RANGE | qf::SKIP,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "pins_shutdown_mode",
        info_flags: st::RW,
        info_rw: R_PINS_SHUTDOWN_MODE,
        command: "SS?\r",
        answer_len: 2,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::NONUT,
        preprocess: Some(get_pins_shutdown_mode),
        ..Item::NONE
    },
    Item {
        info_type: "pins_shutdown_mode",
        info_rw: R_PINS_SHUTDOWN_MODE,
        command: "SS%.0f\r",
        qxflags: qf::SETVAR | qf::RANGE | qf::NONUT | qf::SKIP,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.low",
        command: "M\r",
        answer_len: 2,
        dfl: Some("%d"),
        preprocess: Some(voltage_settings),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.boost.low",
        command: "M\r",
        answer_len: 2,
        dfl: Some("%d"),
        preprocess: Some(voltage_settings),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.boost.high",
        command: "M\r",
        answer_len: 2,
        dfl: Some("%d"),
        preprocess: Some(voltage_settings),
        ..Item::NONE
    },
    Item {
        info_type: "input.voltage.nominal",
        command: "M\r",
        answer_len: 2,
        dfl: Some("%d"),
        preprocess: Some(voltage_settings),
        ..Item::NONE
    },
    Item {
        info_type: "output.voltage.nominal",
        command: "M\r",
        answer_len: 2,
        dfl: Some("%d"),
        preprocess: Some(voltage_settings),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.trim.low",
        command: "M\r",
        answer_len: 2,
        dfl: Some("%d"),
        preprocess: Some(voltage_settings),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.trim.high",
        command: "M\r",
        answer_len: 2,
        dfl: Some("%d"),
        preprocess: Some(voltage_settings),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.high",
        command: "M\r",
        answer_len: 2,
        dfl: Some("%d"),
        preprocess: Some(voltage_settings),
        ..Item::NONE
    },
    Item {
        info_type: "shutdown.return",
        command: "S%s\r",
        qxflags: qf::CMD,
        preprocess: Some(blazer::process_command),
        ..Item::NONE
    },
    Item {
        info_type: "shutdown.stayoff",
        command: "S%s\r",
        qxflags: qf::CMD,
        preprocess: Some(blazer::process_command),
        ..Item::NONE
    },
    Item { info_type: "shutdown.stop", command: "C\r", qxflags: qf::CMD, ..Item::NONE },
    Item { info_type: "load.on", command: "C\r", qxflags: qf::CMD, ..Item::NONE },
    Item { info_type: "load.off", command: "S00R0000\r", qxflags: qf::CMD, ..Item::NONE },
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
        info_rw: R_ONDELAY,
        dfl: Some("180"),
        qxflags: qf::ABSENT | qf::SETVAR | qf::RANGE,
        preprocess: Some(blazer::process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "ups.delay.shutdown",
        info_flags: st::RW,
        info_rw: R_OFFDELAY,
        dfl: Some("30"),
        qxflags: qf::ABSENT | qf::SETVAR | qf::RANGE,
        preprocess: Some(blazer::process_setvar),
        ..Item::NONE
    },
];

/// What the model and the device told us.
#[derive(Debug, Default)]
struct BestState {
    /// The model reports its bypass/boost/buck bit inverted (Patriot Pro, Patriot Pro II).
    inverted_bbb_bit: bool,
    /// The shutdown-pin mode the device reported.
    pins_shutdown_mode: Option<i64>,
}

/// `pins_shutdown_mode` and `ignoresab`.
pub static OPTS: &[SubOpt] = &[
    SubOpt {
        name: "pins_shutdown_mode",
        value: true,
        help: "Set shutdown mode functionality of Pin 1 and Pin 7 on the UPS DB9 communication port (Per Best Power's EPS-0059) to n (integer, 0-6)",
    },
    SubOpt { name: "ignoresab", value: false, help: "Ignore 'Shutdown Active' bit in UPS status" },
];

/// The device answers the status query and the model query (`ID`).
fn claim(ctx: &mut Ctx<'_>) -> bool {
    if !blazer::read_one(ctx, "input.voltage") {
        return false;
    }
    if !blazer::read_one(ctx, "device.model") {
        ctx.state.del_info("input.voltage");
        return false;
    }
    true
}

/// `ID` answers have variable-width fields (`FOR,750,120,120,20.0,27.6`): pad the power to
/// 4 characters and the last field (with its CR) to 6, so that every field sits at a fixed
/// column of a 28-character answer. An empty answer is left alone (the length check
/// refuses it); anything not 25..27 bytes long or not six comma-separated fields is refused.
pub fn preprocess_id_answer(_ctx: &mut Ctx<'_>, item: &Item, raw: Vec<u8>) -> Result<Vec<u8>, ItemError> {
    if raw.is_empty() {
        return Ok(raw);
    }
    if !(25..=27).contains(&raw.len()) {
        return Err(ItemError::new(format!("wrong length [{}: {}]", item.info_type, raw.len())));
    }
    let text = raw.iter().take_while(|&&b| b != 0).map(|&b| char::from(b)).collect::<String>();
    let fields: Vec<&str> = text.split(',').filter(|f| !f.is_empty()).collect();
    let mut refined = String::new();
    for (i, f) in fields.iter().enumerate() {
        match i {
            0 => refined.push_str(f),
            1 => refined.push_str(&format!(",{f:>4}")),
            5 => refined.push_str(&format!(",{f:>6}")),
            _ => refined.push_str(&format!(",{f}")),
        }
    }
    if fields.len() != 6 || refined.chars().count() != 28 {
        nut_driver::debug!("noncompliant reply: '{}'", refined.trim_end_matches('\r'));
        return Err(ItemError::new(format!("noncompliant reply [{}]", item.info_type)));
    }
    Ok(refined.chars().map(|c| c as u8).collect())
}

/// `battery.packs` and `pins_shutdown_mode` writes: `BPn` / `SSn`. Writing the shutdown-pin
/// mode the device already has is refused (logged).
pub fn process_setvar(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if value.is_empty() {
        return Err(ItemError::new(format!("value not given for {}", item.info_type)));
    }
    let v = parse_leading_f64(value);
    if item.info_type.eq_ignore_ascii_case("pins_shutdown_mode")
        && ctx.sub::<BestState>().pins_shutdown_mode.is_some_and(|m| m as f64 == v)
    {
        nut_driver::info!("{} is already set to {v:.0}", item.info_type);
        return Err(ItemError::new(format!("{} already set", item.info_type)));
    }
    format(item.command, Arg::Num(v))
        .ok_or_else(|| ItemError::new(format!("bad command template {:?}", item.command)))
}

/// Bit 40 (bypass/boost/buck), read after the other bits: ignored on battery, during a test
/// or a shutdown; inverted on the models that report it so.
pub fn process_bbb_status_bit(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    use crate::model::status;
    let s = ctx.rt.status;
    let unreliable = s & status::OL == 0 || s & (status::CAL | status::FSD) != 0;
    let v = if unreliable {
        if value == "1" {
            "0"
        } else {
            value
        }
    } else if ctx.sub::<BestState>().inverted_bbb_bit {
        match value {
            "1" => "0",
            "0" => "1",
            v => v,
        }
    } else {
        value
    };
    blazer::process_status_bits(ctx, item, v)
}

fn with_dfl(item: &Item, v: &str) -> Result<String, ItemError> {
    format(item.dfl.unwrap_or("%s"), Arg::Str(v)).ok_or_else(|| ItemError::new("bad format"))
}

/// The manufacturer from the model code of the `ID` answer.
pub fn manufacturer(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let mfr = match value {
        "AX1" | "FOR" | "FTC" | "PR2" | "PRO" => "Best Power",
        "325" | "520" | "620" => "Sola Australia",
        _ => "Unknown",
    };
    with_dfl(item, mfr)
}

/// The model from the model code of the `ID` answer; it also tells which optional queries
/// the device has (runtime: all but Patriot Pro and Sola 320; battery packs: Axxium and
/// Sola 620) and whether it inverts the bypass/boost/buck bit (Patriot Pro, Pro II).
pub fn model(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let model = match value {
        "AX1" => with_dfl(item, "Axxium Rackmount")?,
        "FOR" => with_dfl(item, "Fortress")?,
        "FTC" => with_dfl(item, "Fortress Telecom")?,
        "PR2" | "PRO" => {
            ctx.sub::<BestState>().inverted_bbb_bit = true;
            with_dfl(item, if value == "PR2" { "Patriot Pro II" } else { "Patriot Pro" })?
        }
        "320" | "325" | "520" | "525" | "620" => format!("Sola {value}"),
        _ => {
            nut_driver::info!("Unknown model detected - please report this ID: '{value}'");
            format!("Unknown ({value})")
        }
    };
    let unskip = |ctx: &mut Ctx<'_>, idx: Option<usize>| match idx {
        Some(i) => {
            ctx.rt.items[i].qxflags &= !qf::SKIP;
            Ok(())
        }
        None => Err(ItemError::new("item to unskip not found")),
    };
    if value != "PRO" && value != "320" {
        let idx = ctx.rt.find("battery.runtime", 0, 0);
        unskip(ctx, idx)?;
    }
    if value == "AX1" || value == "620" {
        let idx = ctx.rt.find("battery.packs", 0, qf::SETVAR);
        unskip(ctx, idx)?;
    }
    Ok(model)
}

fn all_of(value: &str, allowed: &str) -> bool {
    value.chars().all(|c| allowed.contains(c))
}

/// `RT`: minutes to seconds.
pub fn batt_runtime(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !all_of(value, "0123456789 .") {
        return Err(ItemError::new(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    format(item.dfl.unwrap_or("%.0f"), Arg::Num(parse_leading_f64(value) * 60.0))
        .ok_or_else(|| ItemError::new("bad format"))
}

/// `BP?`: the number of battery packs; the device then also takes `BPn`.
pub fn batt_packs(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !all_of(value, "0123456789 ") {
        return Err(ItemError::new(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    let n = parse_leading_i64(value);
    if !(0..=i64::from(i32::MAX)).contains(&n) {
        return Err(ItemError::new(format!("value out of range [{}: {value}]", item.info_type)));
    }
    let out =
        format(item.dfl.unwrap_or("%d"), Arg::Num(n as f64)).ok_or_else(|| ItemError::new("bad format"))?;
    match ctx.rt.find("battery.packs", qf::SETVAR, 0) {
        Some(i) => ctx.rt.items[i].qxflags &= !qf::SKIP,
        None => return Err(ItemError::new("battery.packs setvar not found")),
    }
    Ok(out)
}

/// `SS?`: the shutdown-pin mode set in the device; the write (`SSn`) is enabled only when
/// `pins_shutdown_mode` is configured.
pub fn get_pins_shutdown_mode(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !all_of(value, "0123456789") {
        return Err(ItemError::new(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    let n = parse_leading_i64(value);
    if n > i64::from(i32::MAX) {
        return Err(ItemError::new(format!("pins_shutdown_mode out of range [{}: {value}]", item.info_type)));
    }
    ctx.sub::<BestState>().pins_shutdown_mode = Some(n);
    let out =
        format(item.dfl.unwrap_or("%.0f"), Arg::Num(n as f64)).ok_or_else(|| ItemError::new("bad format"))?;
    if item.has(qf::NONUT) && !ctx.testvar(item.info_type) {
        return Ok(out);
    }
    match ctx.rt.find(item.info_type, qf::SETVAR, 0) {
        Some(i) => ctx.rt.items[i].qxflags &= !qf::SKIP,
        None => return Err(ItemError::new(format!("{} setvar not found", item.info_type))),
    }
    Ok(out)
}

/// Best Power's voltage-limit presets (`M` answer 0..9), for U models (120 V class) and E
/// models (nominal above 160 V): low (also boost low), boost high, nominal, buck low, high
/// (also buck high).
const VOLTAGE_SETTINGS: [[i64; 5]; 20] = [
    [96, 109, 120, 130, 146],
    [96, 109, 120, 138, 156],
    [90, 104, 120, 130, 146],
    [90, 104, 120, 138, 156],
    [90, 104, 110, 120, 130],
    [90, 104, 110, 130, 146],
    [90, 96, 110, 120, 130],
    [90, 96, 110, 130, 146],
    [96, 109, 128, 146, 156],
    [90, 104, 128, 146, 156],
    [200, 222, 240, 250, 284],
    [200, 222, 240, 264, 290],
    [188, 210, 240, 250, 284],
    [188, 210, 240, 264, 290],
    [188, 210, 230, 244, 270],
    [188, 210, 230, 250, 284],
    [180, 200, 230, 244, 270],
    [180, 200, 230, 250, 284],
    [165, 188, 208, 222, 244],
    [165, 188, 208, 244, 270],
];

/// `M`: the transfer limits and nominal voltage of the preset the device uses.
pub fn voltage_settings(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !all_of(value, "0123456789") {
        return Err(ItemError::new(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    let mut index = parse_leading_i64(value);
    if !(0..=9).contains(&index) {
        return Err(ItemError::new(format!("value '{index}' out of range [0..9]")));
    }
    let nominal = ctx
        .state
        .get_info("input.voltage.nominal")
        .or_else(|| ctx.state.get_info("output.voltage.nominal"))
        .map(parse_leading_i64)
        .ok_or_else(|| ItemError::new("unable to get nominal voltage"))?;
    if nominal > 160 {
        index += 10;
    }
    let row = VOLTAGE_SETTINGS[index as usize];
    let col = match item.info_type.to_ascii_lowercase().as_str() {
        "input.transfer.low" | "input.transfer.boost.low" => 0,
        "input.transfer.boost.high" => 1,
        "input.voltage.nominal" | "output.voltage.nominal" => 2,
        "input.transfer.trim.low" => 3,
        "input.transfer.trim.high" | "input.transfer.high" => 4,
        _ => return Err(ItemError::new(format!("no voltage setting for {}", item.info_type))),
    };
    format(item.dfl.unwrap_or("%d"), Arg::Num(row[col] as f64)).ok_or_else(|| ItemError::new("bad format"))
}

/// The subdriver.
pub static SUBDRIVER: Subdriver = Subdriver {
    name: "BestUPS",
    version: "0.08",
    claim,
    table: TABLE,
    initups: Some(blazer::initups_light),
    initinfo: None,
    options: OPTS,
    accepted: None,
    rejected: None,
};
