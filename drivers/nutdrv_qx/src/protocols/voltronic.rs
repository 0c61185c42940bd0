//! NUT's `voltronic` protocol (nutdrv_qx_voltronic.c, "Voltronic 0.14"): Voltronic Power
//! units answering `QGS` (status) and `QPI` (protocol `PInn`), with ratings (`QRI`, `QMD`,
//! `F`), battery (`QBV`), warnings (`QWS`), working mode (`QMOD`), capability flags
//! (`QFLAG`), ECO/bypass limits, programmable outlets, multi-phase data (`Q3**`) and the
//! P31 battery type / grid range.
//!
//! The table (below the hooks) was generated from NUT 2.8.5 by `tools/gen_table.py`; the
//! hooks are written here from what NUT documents and publishes. Which items a unit gets is
//! decided by its protocol number (the `QPI` answer) and by its answers
//! (capabilities unskip the matching commands and settings).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::engine;
use crate::format::{format, parse_leading_f64, parse_leading_i64, Arg};
use crate::model::{qxflags as qf, st, status, Ctx, InfoRw, Item, ItemError, SubOpt, Subdriver};
use crate::port::PortError;

/// How long the claim waits before asking `QGS` again when the first query timed out (a
/// laggy device may still be answering older queries).
pub const CLAIM_RETRY_DELAY: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------------------
// Ranges and enumerations
// ---------------------------------------------------------------------------------------

const fn rw(value: &'static str) -> InfoRw {
    InfoRw::new(value)
}

const fn rwc(value: &'static str, check: fn(&Ctx<'_>, &str) -> bool) -> InfoRw {
    InfoRw { value, check: Some(check) }
}

/// `ups.delay.start` range (seconds).
pub static R_ONDELAY: &[InfoRw] = &[rw("0"), rw("599940")];
/// `ups.delay.shutdown` range (seconds).
pub static R_OFFDELAY: &[InfoRw] = &[rw("12"), rw("5940")];
/// Output phase angles.
pub static E_PHASE: &[InfoRw] = &[rw("000"), rw("120"), rw("180"), rw("240")];
/// `battery.voltage.low`: 20, and 24 or 28 depending on the unit's power.
pub static R_BATT_LOW: &[InfoRw] = &[rw("20"), rwc("24", batt_low_ok), rwc("28", batt_low_ok)];
/// `outlet.n.delay.shutdown` range (seconds).
pub static R_OUTLET_DELAY: &[InfoRw] = &[rw("0"), rw("59940")];
/// P31 grid working range (`00`, `01`).
pub static E_WORK_RANGE: &[InfoRw] = &[rw("Appliance"), rw("UPS")];
/// P31 battery type (`00`, `01`, `02`).
pub static E_BATT_TYPE: &[InfoRw] = &[rw("Li"), rw("Flooded"), rw("AGM")];
/// `battery.packs` range.
pub static R_BATT_PACKS: &[InfoRw] = &[rw("1"), rw("99")];
/// `battery_number` range.
pub static R_BATT_NUMB: &[InfoRw] = &[rw("1"), rw("9")];
/// `max_bypass_volt` candidates (filtered by protocol and nominal input voltage).
pub static R_BYPASS_VOLT_MAX: &[InfoRw] = &[
    rwc("60", bypass_volt_max_ok),
    rwc("115", bypass_volt_max_ok),
    rwc("120", bypass_volt_max_ok),
    rwc("132", bypass_volt_max_ok),
    rwc("138", bypass_volt_max_ok),
    rwc("140", bypass_volt_max_ok),
    rwc("230", bypass_volt_max_ok),
    rwc("231", bypass_volt_max_ok),
    rwc("261", bypass_volt_max_ok),
    rwc("264", bypass_volt_max_ok),
    rwc("276", bypass_volt_max_ok),
];
/// `min_bypass_volt` candidates.
pub static R_BYPASS_VOLT_MIN: &[InfoRw] = &[
    rwc("50", bypass_volt_min_ok),
    rwc("55", bypass_volt_min_ok),
    rwc("60", bypass_volt_min_ok),
    rwc("85", bypass_volt_min_ok),
    rwc("104", bypass_volt_min_ok),
    rwc("110", bypass_volt_min_ok),
    rwc("115", bypass_volt_min_ok),
    rwc("140", bypass_volt_min_ok),
    rwc("149", bypass_volt_min_ok),
    rwc("170", bypass_volt_min_ok),
    rwc("209", bypass_volt_min_ok),
    rwc("220", bypass_volt_min_ok),
];
/// `max_bypass_freq` candidates (filtered by protocol and nominal output frequency).
pub static R_BYPASS_FREQ_MAX: &[InfoRw] = &[
    rwc("51.0", bypass_freq_max_ok),
    rwc("54.0", bypass_freq_max_ok),
    rwc("60.0", bypass_freq_max_ok),
    rwc("61.0", bypass_freq_max_ok),
    rwc("64.0", bypass_freq_max_ok),
    rwc("70.0", bypass_freq_max_ok),
];
/// `min_bypass_freq` candidates.
pub static R_BYPASS_FREQ_MIN: &[InfoRw] = &[
    rwc("40.0", bypass_freq_min_ok),
    rwc("46.0", bypass_freq_min_ok),
    rwc("49.0", bypass_freq_min_ok),
    rwc("50.0", bypass_freq_min_ok),
    rwc("56.0", bypass_freq_min_ok),
    rwc("59.0", bypass_freq_min_ok),
];
/// `input.transfer.high`: computed from the nominal output voltage when the limits are read
/// (see [`eco_volt`]), so nothing static.
pub static R_ECO_VOLT_MAX: &[InfoRw] = &[];
/// `input.transfer.low`: as [`R_ECO_VOLT_MAX`].
pub static R_ECO_VOLT_MIN: &[InfoRw] = &[];
/// `input.frequency.low` candidates.
pub static R_ECO_FREQ_MIN: &[InfoRw] = &[
    rwc("40.0", eco_freq_min_ok),
    rwc("46.0", eco_freq_min_ok),
    rwc("47.0", eco_freq_min_ok),
    rwc("48.0", eco_freq_min_ok),
    rwc("50.0", eco_freq_min_ok),
    rwc("56.0", eco_freq_min_ok),
    rwc("57.0", eco_freq_min_ok),
    rwc("58.0", eco_freq_min_ok),
];
/// `input.frequency.high` candidates.
pub static R_ECO_FREQ_MAX: &[InfoRw] = &[
    rwc("52.0", eco_freq_max_ok),
    rwc("53.0", eco_freq_max_ok),
    rwc("54.0", eco_freq_max_ok),
    rwc("60.0", eco_freq_max_ok),
    rwc("62.0", eco_freq_max_ok),
    rwc("63.0", eco_freq_max_ok),
    rwc("64.0", eco_freq_max_ok),
    rwc("70.0", eco_freq_max_ok),
];
/// Capabilities published as NUT variables.
pub static E_CAP: &[InfoRw] = &[rw("no"), rw("yes")];
/// Capabilities kept as ups.conf options.
pub static E_CAP_NONUT: &[InfoRw] = &[rw("enabled"), rw("disabled")];

/// Protocol groups of the limit tables.
const P_1_9: &[i64] = &[1, 9];
const P_2_99: &[i64] = &[2, 3, 10, 13, 14, 99];
const P_2_14: &[i64] = &[2, 3, 10, 13, 14];
const P_ALL: &[i64] = &[1, 2, 3, 9, 10, 13, 14, 99];

/// The device condition a limit value needs.
#[derive(Clone, Copy)]
enum Need {
    /// Any nominal value.
    Any,
    /// Nominal input voltage below 200 V.
    LowVolt,
    /// Nominal input voltage of 200 V or more.
    HighVolt,
    /// Nominal output frequency of exactly 50 Hz.
    Hz50,
    /// Nominal output frequency of exactly 60 Hz.
    Hz60,
}

/// One admissible limit value: for these protocols when the nominal matches.
type Rule = (i64, &'static [i64], Need);

const BYPASS_VOLT_MAX: &[Rule] = &[
    (60, &[9], Need::Any),
    (115, P_2_99, Need::LowVolt),
    (120, &[1], Need::LowVolt),
    (132, &[99], Need::LowVolt),
    (138, P_2_14, Need::LowVolt),
    (140, &[9], Need::Any),
    (140, &[1], Need::LowVolt),
    (230, &[1], Need::HighVolt),
    (231, P_2_99, Need::HighVolt),
    (261, &[99], Need::HighVolt),
    (264, &[1], Need::HighVolt),
    (276, P_2_14, Need::HighVolt),
];
const BYPASS_VOLT_MIN: &[Rule] = &[
    (50, &[99], Need::LowVolt),
    (55, P_2_14, Need::LowVolt),
    (60, &[9], Need::Any),
    (85, &[1, 99], Need::LowVolt),
    (104, P_2_14, Need::LowVolt),
    (110, P_2_14, Need::HighVolt),
    (115, &[1], Need::LowVolt),
    (140, &[9], Need::Any),
    (149, &[99], Need::HighVolt),
    (170, &[1], Need::HighVolt),
    (209, P_2_99, Need::HighVolt),
    (220, &[1], Need::HighVolt),
];
const BYPASS_FREQ_MAX: &[Rule] = &[
    (51, P_ALL, Need::Hz50),
    (54, P_2_99, Need::Hz50),
    (60, P_1_9, Need::Hz50),
    (61, P_ALL, Need::Hz60),
    (64, P_2_99, Need::Hz60),
    (70, P_1_9, Need::Hz60),
];
const BYPASS_FREQ_MIN: &[Rule] = &[
    (40, P_1_9, Need::Hz50),
    (46, P_2_99, Need::Hz50),
    (49, P_ALL, Need::Hz50),
    (50, P_1_9, Need::Hz60),
    (56, P_2_99, Need::Hz60),
    (59, P_ALL, Need::Hz60),
];
const ECO_FREQ_MIN: &[Rule] = &[
    (40, P_1_9, Need::Hz50),
    (46, P_2_99, Need::Hz50),
    (47, P_1_9, Need::Hz50),
    (48, P_2_99, Need::Hz50),
    (50, P_1_9, Need::Hz60),
    (56, P_2_99, Need::Hz60),
    (57, P_1_9, Need::Hz60),
    (58, P_2_99, Need::Hz60),
];
const ECO_FREQ_MAX: &[Rule] = &[
    (52, P_2_99, Need::Hz50),
    (53, P_1_9, Need::Hz50),
    (54, P_2_99, Need::Hz50),
    (60, P_1_9, Need::Hz50),
    (62, P_2_99, Need::Hz60),
    (63, P_1_9, Need::Hz60),
    (64, P_2_99, Need::Hz60),
    (70, P_1_9, Need::Hz60),
];

/// The protocol number of `ups.firmware.aux` (`P01` -> 1); None before the claim.
fn protocol_of(state: &nut_driver::State) -> Option<i64> {
    state.get_info("ups.firmware.aux").map(|p| parse_leading_i64(p.get(1..).unwrap_or("")))
}

/// Whether `value` (its integer part, as NUT reads it) is admissible on this device.
fn rule_ok(ctx: &Ctx<'_>, rules: &[Rule], value: &str, nominal: &str) -> bool {
    let Some(nom) = ctx.state.get_info(nominal).map(parse_leading_f64) else {
        nut_driver::trace!("{nominal} unknown: limit {value} not offered");
        return false;
    };
    let proto = protocol_of(ctx.state).unwrap_or(-1);
    let v = parse_leading_i64(value);
    rules.iter().any(|&(rv, protos, need)| {
        rv == v
            && protos.contains(&proto)
            && match need {
                Need::Any => true,
                Need::LowVolt => nom.trunc() < 200.0,
                Need::HighVolt => nom.trunc() >= 200.0,
                Need::Hz50 => nom == 50.0,
                Need::Hz60 => nom == 60.0,
            }
    })
}

fn bypass_volt_max_ok(ctx: &Ctx<'_>, v: &str) -> bool {
    rule_ok(ctx, BYPASS_VOLT_MAX, v, "input.voltage.nominal")
}
fn bypass_volt_min_ok(ctx: &Ctx<'_>, v: &str) -> bool {
    rule_ok(ctx, BYPASS_VOLT_MIN, v, "input.voltage.nominal")
}
fn bypass_freq_max_ok(ctx: &Ctx<'_>, v: &str) -> bool {
    rule_ok(ctx, BYPASS_FREQ_MAX, v, "output.frequency.nominal")
}
fn bypass_freq_min_ok(ctx: &Ctx<'_>, v: &str) -> bool {
    rule_ok(ctx, BYPASS_FREQ_MIN, v, "output.frequency.nominal")
}
fn eco_freq_min_ok(ctx: &Ctx<'_>, v: &str) -> bool {
    rule_ok(ctx, ECO_FREQ_MIN, v, "output.frequency.nominal")
}
fn eco_freq_max_ok(ctx: &Ctx<'_>, v: &str) -> bool {
    rule_ok(ctx, ECO_FREQ_MAX, v, "output.frequency.nominal")
}

/// 24 V below 1000 VA (nominal output voltage x current), 28 V from 1000 VA.
fn batt_low_ok(ctx: &Ctx<'_>, v: &str) -> bool {
    let (Some(ovn), Some(ocn)) =
        (ctx.state.get_info("output.voltage.nominal"), ctx.state.get_info("output.current.nominal"))
    else {
        return false;
    };
    let va = parse_leading_i64(ovn) * parse_leading_i64(ocn);
    parse_leading_i64(v) == if va < 1000 { 24 } else { 28 }
}

// ---------------------------------------------------------------------------------------
// Options and state
// ---------------------------------------------------------------------------------------

/// The capability options (ups.conf name, `QFLAG` letter, setter letter is the upper case).
const NONUT_CAPS: &[(&str, char)] = &[
    ("bypass_alarm", 'p'),
    ("battery_alarm", 'b'),
    ("bypass_when_off", 'o'),
    ("alarm_control", 'a'),
    ("converter_mode", 'v'),
    ("eco_mode", 'e'),
    ("battery_open_status_check", 'd'),
    ("bypass_forbidding", 'f'),
    ("site_fault_detection", 'l'),
    ("advanced_eco_mode", 'n'),
    ("constant_phase_angle", 'q'),
    ("limited_runtime_on_battery", 'w'),
];
/// The capabilities published as NUT variables (`yes`/`no`).
const NUT_CAPS: &[(&str, char)] = &[
    ("ups.start.auto", 'r'),
    ("battery.protection", 's'),
    ("battery.energysave", 'g'),
    ("ups.start.battery", 'c'),
    ("outlet.0.switchable", 'j'),
];

/// The subdriver's options.
pub static OPTS: &[SubOpt] = &[
    SubOpt {
        name: "reset_to_default",
        value: false,
        help: "Reset capability options and their limits to safe default values",
    },
    SubOpt { name: "bypass_alarm", value: true, help: "Alarm (BEEP!) at Bypass Mode [enabled/disabled]" },
    SubOpt { name: "battery_alarm", value: true, help: "Alarm (BEEP!) at Battery Mode [enabled/disabled]" },
    SubOpt { name: "bypass_when_off", value: true, help: "Bypass when the UPS is Off [enabled/disabled]" },
    SubOpt { name: "alarm_control", value: true, help: "Alarm (BEEP!) Control [enabled/disabled]" },
    SubOpt { name: "converter_mode", value: true, help: "Converter Mode [enabled/disabled]" },
    SubOpt { name: "eco_mode", value: true, help: "ECO Mode [enabled/disabled]" },
    SubOpt {
        name: "battery_open_status_check",
        value: true,
        help: "Battery Open Status Check [enabled/disabled]",
    },
    SubOpt {
        name: "bypass_forbidding",
        value: true,
        help: "Bypass not allowed (Bypass Forbidding) [enabled/disabled]",
    },
    SubOpt { name: "site_fault_detection", value: true, help: "Site fault detection [enabled/disabled]" },
    SubOpt { name: "advanced_eco_mode", value: true, help: "Advanced ECO Mode [enabled/disabled]" },
    SubOpt {
        name: "constant_phase_angle",
        value: true,
        help:
            "Constant Phase Angle Function (Output and input phase angles are not equal) [enabled/disabled]",
    },
    SubOpt {
        name: "limited_runtime_on_battery",
        value: true,
        help: "Limited runtime on battery mode [enabled/disabled]",
    },
    SubOpt { name: "max_bypass_volt", value: true, help: "Maximum voltage for Bypass Mode" },
    SubOpt { name: "min_bypass_volt", value: true, help: "Minimum voltage for Bypass Mode" },
    SubOpt { name: "max_bypass_freq", value: true, help: "Maximum frequency for Bypass Mode" },
    SubOpt { name: "min_bypass_freq", value: true, help: "Minimum frequency for Bypass Mode" },
    SubOpt {
        name: "work_range_type",
        value: true,
        help: "Device grid working range for P31 UPSes [Appliance/UPS]",
    },
    SubOpt {
        name: "output_phase_angle",
        value: true,
        help: "Change output phase angle to the provided value [000, 120, 180, 240]°",
    },
    SubOpt {
        name: "battery_number",
        value: true,
        help: "Set number of batteries that make a pack to n (integer, 1-9)",
    },
    SubOpt {
        name: "testing",
        value: false,
        help: "If invoked the driver will exec also commands that still need testing",
    },
];

/// What the device told us that later hooks need.
#[derive(Debug, Default)]
pub struct Volt {
    /// Capability options as last read (`enabled`/`disabled`), by ups.conf name.
    pub caps: BTreeMap<&'static str, &'static str>,
    /// Bypass limits as last read.
    pub max_bypass_volt: f64,
    /// See `max_bypass_volt`.
    pub min_bypass_volt: f64,
    /// See `max_bypass_volt`.
    pub max_bypass_freq: f64,
    /// See `max_bypass_volt`.
    pub min_bypass_freq: f64,
    /// Batteries per pack as last read.
    pub battery_number: f64,
    /// Output phase angle as last read.
    pub output_phase_angle: i64,
    /// P31 grid working range index as last read.
    pub work_range_type: i64,
    /// ECO voltage ranges computed from the nominal output voltage: (low, high) limits of
    /// `input.transfer.high` and of `input.transfer.low`.
    pub eco_high: Option<(i64, i64)>,
    /// See `eco_high`.
    pub eco_low: Option<(i64, i64)>,
    /// Mode buzzwords seen in the last working-mode answer (NUT's `buzzmode_set`).
    pub buzzwords: Vec<&'static str>,
}

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn err(msg: impl Into<String>) -> ItemError {
    ItemError::new(msg)
}

/// Digits, blanks and dots only (NUT's numeric check; empty passes).
fn numeric(v: &str) -> bool {
    v.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '.')
}

fn fmt_num(item: &Item, x: f64) -> Result<String, ItemError> {
    let f = item.dfl.unwrap_or("%s");
    format(f, Arg::Num(x)).ok_or_else(|| err(format!("bad format {f:?} for {}", item.info_type)))
}

fn fmt_str(item: &Item, s: &str) -> Result<String, ItemError> {
    let f = item.dfl.unwrap_or("%s");
    format(f, Arg::Str(s)).ok_or_else(|| err(format!("bad format {f:?} for {}", item.info_type)))
}

fn command_num(item: &Item, x: f64) -> Result<String, ItemError> {
    format(item.command, Arg::Num(x))
        .ok_or_else(|| err(format!("bad command template for {}", item.info_type)))
}

fn command_str(item: &Item, s: &str) -> Result<String, ItemError> {
    format(item.command, Arg::Str(s))
        .ok_or_else(|| err(format!("bad command template for {}", item.info_type)))
}

/// Clear the skip flag of the first item named `name` with all of `flag`.
fn unskip(ctx: &mut Ctx<'_>, name: &str, flag: u32) -> Result<(), ItemError> {
    let idx = ctx.rt.find(name, flag, 0).ok_or_else(|| err(format!("no item {name} in the table")))?;
    ctx.rt.items[idx].qxflags &= !qf::SKIP;
    Ok(())
}

fn info_num(ctx: &Ctx<'_>, name: &str) -> Result<f64, ItemError> {
    ctx.state.get_info(name).map(parse_leading_f64).ok_or_else(|| err(format!("{name} unknown")))
}

// ---------------------------------------------------------------------------------------
// Claim and protocol
// ---------------------------------------------------------------------------------------

/// Read and use one item of the table, the first `QGS` query retried once after
/// [`CLAIM_RETRY_DELAY`] when it timed out.
fn claim_read(ctx: &mut Ctx<'_>, name: &str, retry: bool) -> bool {
    let Some(idx) = ctx.rt.find(name, 0, 0) else { return false };
    let item = ctx.rt.items[idx];
    let first = if retry {
        match ctx.command(item.command.as_bytes()) {
            Err(PortError::Timeout) => {
                nut_driver::debug!("claim: no answer to {}; waiting and asking again", name);
                std::thread::sleep(CLAIM_RETRY_DELAY);
                None
            }
            Err(e) => {
                nut_driver::debug!("claim: {e}");
                return false;
            }
            Ok(mut raw) => {
                if let Some(n) = raw.iter().position(|&b| b == 0) {
                    raw.truncate(n);
                }
                Some(engine::cut_answer(&item, &raw, SUBDRIVER.rejected).map(|v| (raw, v)))
            }
        }
    } else {
        None
    };
    let got = match first {
        Some(r) => r,
        None => engine::process(ctx, &item, None, SUBDRIVER.rejected).map(|a| (a.raw, a.value)),
    };
    match got {
        Ok((raw, value)) => {
            engine::infoval_set_answer(ctx, &item, &value, Some(&raw)) == Ok(engine::Used::Published)
        }
        Err(e) => {
            nut_driver::debug!("claim: {e}");
            false
        }
    }
}

/// The device answers `QGS` (input voltage) and `QPI` with a supported protocol.
fn claim(ctx: &mut Ctx<'_>) -> bool {
    if !claim_read(ctx, "input.voltage", true) {
        return false;
    }
    if !claim_read(ctx, "ups.firmware.aux", false) {
        ctx.state.del_info("input.voltage");
        return false;
    }
    true
}

/// The protocols this subdriver knows.
const PROTOCOLS: &[i64] = &[0, 1, 2, 3, 8, 9, 10, 13, 14, 31, 99];

/// `QPI`: `PInn` with a known protocol number, published as `Pnn`; the items of that
/// protocol are enabled.
fn protocol(ctx: &mut Ctx<'_>, _item: &Item, value: &str) -> Result<String, ItemError> {
    if value.len() < 2 || !value[..2].eq_ignore_ascii_case("PI") {
        return Err(err(format!("invalid protocol [{value}]")));
    }
    let num = &value[2..];
    if !num.chars().all(|c| "0123489".contains(c)) {
        nut_driver::error!("Protocol [{value}] is not supported by this driver");
        return Err(err("unsupported protocol"));
    }
    let p = parse_leading_i64(num);
    if !PROTOCOLS.contains(&p) {
        nut_driver::error!("Protocol [PI{p:02}] is not supported by this driver");
        return Err(err("unsupported protocol"));
    }
    massive_unskip(ctx, p);
    Ok(format!("P{p:02}"))
}

/// Which protocols a rule applies to.
#[derive(Clone, Copy)]
enum Protos {
    /// These.
    In(&'static [i64]),
    /// All but these.
    NotIn(&'static [i64]),
    /// Any.
    Any,
}

/// An extra condition on the item or the configuration.
#[derive(Clone, Copy)]
enum When {
    /// Always.
    Always,
    /// The item expects answers of this minimum length.
    AnswerLen(usize),
    /// The item's value starts at this position.
    From(usize),
    /// The query, not the setting.
    Query,
    /// The setting, when the ups.conf option of the same name is given.
    SetvarWithOption,
    /// The ups.conf flag of this name is given.
    Flag(&'static str),
}

/// The items (by name) enabled for a protocol.
type UnskipRule = (Protos, &'static str, When);

/// NUT 2.8.5's choice of items per protocol: multi-phase data for P03/P09/P10 (P09 is
/// two-phase), battery type and grid range for P31, bypass limits for all but
/// P00/P08/P31, and the option-driven ones.
fn unskip_rules() -> &'static [UnskipRule] {
    use Protos::*;
    use When::*;
    const P9_10: &[i64] = &[9, 10];
    const P3_9_10: &[i64] = &[3, 9, 10];
    const P3_10: &[i64] = &[3, 10];
    &[
        (In(&[9]), "output.bypass.L1-N.voltage", AnswerLen(19)),
        (In(&[9]), "output.bypass.L2-N.voltage", AnswerLen(19)),
        (In(&[10]), "output.L3-N.voltage", Always),
        (In(&[10]), "output.L2-L3.voltage", From(25)),
        (In(&[10]), "output.L1-L3.voltage", From(31)),
        (In(&[10]), "output.bypass.L1-N.voltage", AnswerLen(37)),
        (In(&[10]), "output.bypass.L2-N.voltage", AnswerLen(37)),
        (In(&[10]), "output.bypass.L3-N.voltage", AnswerLen(37)),
        (In(&[10]), "output.bypass.L1-L2.voltage", Always),
        (In(&[10]), "output.bypass.L2-L3.voltage", Always),
        (In(&[10]), "output.bypass.L1-L3.voltage", Always),
        (In(&[10]), "output.L3.current", Always),
        (In(&[10]), "output.L3.power.percent", Always),
        (In(P9_10), "output.L1-N.voltage", Always),
        (In(P9_10), "output.L2-N.voltage", Always),
        (In(P9_10), "output.L1-L2.voltage", Always),
        (In(P9_10), "output.L1.current", Always),
        (In(P9_10), "output.L2.current", Always),
        (In(P9_10), "output.L1.power.percent", Always),
        (In(P9_10), "output.L2.power.percent", Always),
        (In(P3_9_10), "input.L1-N.voltage", Always),
        (In(P3_9_10), "input.L2-N.voltage", Always),
        (In(P3_9_10), "input.L1-L2.voltage", Always),
        (In(P3_9_10), "input.L1.current", Always),
        (In(P3_9_10), "input.L2.current", Always),
        (In(P3_10), "input.L3-N.voltage", Always),
        (In(P3_10), "input.L2-L3.voltage", From(25)),
        (In(P3_10), "input.L1-L3.voltage", From(31)),
        (In(P3_10), "input.L3.current", Always),
        (In(&[31]), "battery.type", Always),
        (In(&[31]), "work_range_type", Query),
        (In(&[31]), "work_range_type", SetvarWithOption),
        (NotIn(&[0, 8, 31]), "max_bypass_volt", Query),
        (NotIn(&[0, 8, 31]), "min_bypass_volt", Query),
        (NotIn(&[0, 8, 31]), "max_bypass_freq", Query),
        (NotIn(&[0, 8, 31]), "min_bypass_freq", Query),
        (Any, "reset_to_default", Flag("reset_to_default")),
        (Any, "unknown.7", Flag("testing")),
    ]
}

fn massive_unskip(ctx: &mut Ctx<'_>, p: i64) {
    let options = ctx.rt.options.clone();
    for it in ctx.rt.items.iter_mut().filter(|i| !i.command.is_empty()) {
        let hit = unskip_rules().iter().any(|&(protos, name, when)| {
            let proto_ok = match protos {
                Protos::In(l) => l.contains(&p),
                Protos::NotIn(l) => !l.contains(&p),
                Protos::Any => true,
            };
            proto_ok
                && it.info_type.eq_ignore_ascii_case(name)
                && match when {
                    When::Always => true,
                    When::AnswerLen(n) => usize::from(it.answer_len) == n,
                    When::From(n) => usize::from(it.from) == n,
                    When::Query => !it.has(qf::SETVAR),
                    When::SetvarWithOption => it.has(qf::SETVAR) && options.contains_key(it.info_type),
                    When::Flag(f) => options.contains_key(f),
                }
        });
        if hit {
            it.qxflags &= !qf::SKIP;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Commands and settings
// ---------------------------------------------------------------------------------------

/// A delay in seconds as the device's `n` of `Sn`/`Tn`: `.n` tenths of a minute (6 s steps)
/// below one minute, `nn` minutes from one minute.
fn minutes_code(secs: i64) -> String {
    if secs < 60 {
        format!(".{}", secs / 6)
    } else {
        format!("{:02}", secs / 60)
    }
}

/// Settings: the delays are rounded down to what the device can do (and kept by the
/// driver); the others are sent with the value in the command, unless it is the current one.
fn process_setvar(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if value.is_empty() {
        return Err(err(format!("value not given for {}", item.info_type)));
    }
    let val = parse_leading_f64(value);
    let name = item.info_type.to_ascii_lowercase();
    match name.as_str() {
        "ups.delay.start" => return Ok(format!("{:.0}", val - (val as i64 % 60) as f64)),
        "ups.delay.shutdown" => {
            let step = if val < 60.0 { 6 } else { 60 };
            return Ok(format!("{:.0}", val - (val as i64 % step) as f64));
        }
        _ => {}
    }
    let v = ctx.sub::<Volt>();
    let current = match name.as_str() {
        "max_bypass_freq" => Some((v.max_bypass_freq, 1)),
        "min_bypass_freq" => Some((v.min_bypass_freq, 1)),
        "max_bypass_volt" => Some((v.max_bypass_volt, 0)),
        "min_bypass_volt" => Some((v.min_bypass_volt, 0)),
        "battery_number" => Some((v.battery_number, 0)),
        _ => None,
    };
    if let Some((cur, prec)) = current {
        if (val - cur).abs() < 1e-9 {
            nut_driver::info!("{} is already set to {val:.prec$}", item.info_type);
            return Err(err("already set"));
        }
    }
    command_num(item, val)
}

/// Instant commands with a parameter: shutdowns with the delays, the battery test with its
/// length, the beeper toggle from the beeper's state.
fn process_command(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let name = item.info_type.to_ascii_lowercase();
    let delay = |ctx: &Ctx<'_>, n: &str| ctx.state.get_info(n).map(parse_leading_i64).unwrap_or(0);
    let arg = match name.as_str() {
        "shutdown.return" => {
            let off = delay(ctx, "ups.delay.shutdown");
            let on = delay(ctx, "ups.delay.start") / 60;
            if on == 0 {
                minutes_code(off)
            } else {
                format!("{}R{on:04}", minutes_code(off))
            }
        }
        "shutdown.stayoff" => minutes_code(delay(ctx, "ups.delay.shutdown")),
        "test.battery.start" => {
            if !value.chars().all(|c| c.is_ascii_digit()) {
                nut_driver::error!("{}: non numerical value [{value}]", item.info_type);
                return Err(err("non numerical value"));
            }
            let secs = if value.is_empty() { 600 } else { parse_leading_i64(value) };
            if !(12..=5940).contains(&secs) {
                nut_driver::error!(
                    "{}: battery test time '{secs}' out of range [12..5940] seconds",
                    item.info_type
                );
                return Err(err("out of range"));
            }
            minutes_code(secs)
        }
        "beeper.toggle" => {
            let beeper = ctx.state.get_info("ups.beeper.status").unwrap_or("").to_string();
            let controllable = ctx.sub::<Volt>().caps.contains_key("alarm_control");
            match beeper.as_str() {
                "enabled" => "OFF".to_string(),
                "muted" if controllable => "ON".to_string(),
                "disabled" if !controllable => "ON".to_string(),
                _ if controllable => {
                    nut_driver::info!("The beeper is already disabled");
                    return Err(err("beeper disabled"));
                }
                _ => String::new(),
            }
        }
        _ => return Err(err(format!("{}: no pre-processing for this command", item.info_type))),
    };
    command_str(item, &arg)
}

// ---------------------------------------------------------------------------------------
// Capabilities (QFLAG)
// ---------------------------------------------------------------------------------------

/// The enabled and disabled letters of a `QFLAG` answer (`EpashcjDbroegfl` -> `pashcj`,
/// `broegfl`): the first character is left out and the rest split at the first `D` (leading
/// `D`s are skipped, so an answer without enabled letters lists the disabled ones first).
pub fn split_flags(value: &str) -> (Option<&str>, Option<&str>) {
    let mut chars = value.char_indices();
    let start = chars.nth(1).map_or(value.len(), |(i, _)| i);
    let rest = value[start..].trim_start_matches('D');
    if rest.is_empty() {
        return (None, None);
    }
    match rest.find('D') {
        Some(i) => (Some(&rest[..i]), Some(&rest[i + 1..]).filter(|d| !d.is_empty())),
        None => (Some(rest), None),
    }
}

/// One capability from `QFLAG`: `enabled`/`disabled` for options, `yes`/`no` for NUT
/// variables; some capabilities enable commands and other items.
fn capability(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let (en, dis) = split_flags(value);
    if en.is_none() && dis.is_none() {
        return Err(err(format!("invalid capability answer [{value}]")));
    }
    let (en, dis) = (en.unwrap_or(""), dis.unwrap_or(""));
    let state_of = |letter: char| {
        if en.contains(letter) {
            Some(true)
        } else if dis.contains(letter) {
            Some(false)
        } else {
            None
        }
    };
    let name = item.info_type;
    let val: Option<&'static str> =
        if let Some(&(opt, letter)) = NONUT_CAPS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            let s = state_of(letter).map(|on| if on { "enabled" } else { "disabled" });
            match opt {
                "alarm_control" if value.contains('a') => {
                    match s {
                        Some("enabled") if ctx.state.get_info("ups.beeper.status") != Some("muted") => {
                            ctx.state.set_info("ups.beeper.status", "enabled");
                        }
                        Some("enabled") => {}
                        Some(_) => {
                            ctx.state.set_info("ups.beeper.status", "disabled");
                        }
                        None => {}
                    }
                    unskip(ctx, "beeper.enable", qf::CMD)?;
                    unskip(ctx, "beeper.disable", qf::CMD)?;
                }
                "alarm_control" => {}
                "eco_mode" if value.contains('e') => {
                    unskip(ctx, "bypass.start", qf::CMD)?;
                    unskip(ctx, "bypass.stop", qf::CMD)?;
                    for n in [
                        "input.transfer.high",
                        "input.transfer.low",
                        "input.frequency.high",
                        "input.frequency.low",
                    ] {
                        unskip(ctx, n, qf::SEMI_STATIC)?;
                    }
                }
                _ => {}
            }
            if let Some(s) = s {
                if opt != "alarm_control" || value.contains('a') {
                    ctx.sub::<Volt>().caps.insert(opt, s);
                }
            }
            if opt == "alarm_control" && !value.contains('a') {
                None
            } else {
                s
            }
        } else if let Some(&(_, letter)) = NUT_CAPS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            let s = state_of(letter);
            if letter == 'j' && s == Some(true) {
                for n in 1..=4 {
                    unskip(ctx, &format!("outlet.{n}.switchable"), 0)?;
                    unskip(ctx, &format!("outlet.{n}.status"), 0)?;
                }
            }
            s.map(|on| if on { "yes" } else { "no" })
        } else {
            None
        };
    let Some(val) = val else {
        return Err(err(format!("{name}: capability not reported")));
    };
    let out = fmt_str(item, val)?;
    if item.has(qf::NONUT) && !ctx.testvar(name) {
        return Ok(out);
    }
    unskip(ctx, name, qf::SETVAR)?;
    Ok(out)
}

/// Writing a capability published as a NUT variable: `PE<x>`/`PD<x>`.
fn capability_set(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if value.eq_ignore_ascii_case("yes") {
        return command_str(item, "E");
    }
    if value.eq_ignore_ascii_case("no") {
        return command_str(item, "D");
    }
    nut_driver::error!(
        "{}: given value [{value}] is not acceptable. Enter either 'yes' or 'no'.",
        item.info_type
    );
    Err(err("not yes/no"))
}

/// Applying a capability option from ups.conf, unless the device already has it.
fn capability_set_nonut(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let name = item.info_type;
    let Some(current) =
        ctx.sub::<Volt>().caps.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    else {
        return Err(err(format!("{name}: capability not reported by the UPS")));
    };
    if value.eq_ignore_ascii_case(current) {
        nut_driver::info!("{name} is already {current}");
        return Err(err("already set"));
    }
    if value.eq_ignore_ascii_case("disabled") {
        command_str(item, "D")
    } else if value.eq_ignore_ascii_case("enabled") {
        command_str(item, "E")
    } else {
        nut_driver::error!("{name}: [{value}] is not within acceptable values [enabled/disabled]");
        Err(err("not enabled/disabled"))
    }
}

/// `reset_to_default`: only when the UPS is in standby (`OFF`).
fn capability_reset(ctx: &mut Ctx<'_>, item: &Item, _value: &str) -> Result<String, ItemError> {
    if !ctx.testvar("reset_to_default") {
        return Err(err("reset_to_default not set"));
    }
    if ctx.rt.status & status::OFF == 0 {
        nut_driver::error!(
            "{}: UPS capability options can be reset only when the UPS is in Standby Mode (i.e. ups.status = 'OFF').",
            item.info_type
        );
        return Err(err("not in standby"));
    }
    Ok(item.command.to_string())
}

// ---------------------------------------------------------------------------------------
// ECO and bypass limits
// ---------------------------------------------------------------------------------------

/// `QHE`: ECO mode voltage limits. The settable ranges come from the nominal output
/// voltage and the protocol; the `.min`/`.max` variables and the settings are enabled.
fn eco_volt(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !numeric(value) {
        return Err(err(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    let out = fmt_num(item, parse_leading_f64(value))?;
    let Some(ovn) = ctx.state.get_info("output.voltage.nominal").map(parse_leading_i64) else {
        return Ok(out);
    };
    if !(0..=i64::from(i32::MAX)).contains(&ovn) {
        return Ok(out);
    }
    let p = protocol_of(ctx.state).unwrap_or(-1);
    let (near, far) = match (P_1_9.contains(&p), P_2_99.contains(&p), ovn >= 200) {
        (true, _, true) => (7, 24),
        (true, _, false) => (3, 12),
        (_, true, true) => (11, 24),
        (_, true, false) => (5, 12),
        _ => return Ok(out),
    };
    let high = item.info_type.eq_ignore_ascii_case("input.transfer.high");
    let range = if high { (ovn + near, ovn + far) } else { (ovn - far, ovn - near) };
    {
        let v = ctx.sub::<Volt>();
        if high {
            v.eco_high = Some(range);
        } else {
            v.eco_low = Some(range);
        }
    }
    if ctx.rt.walkmode == crate::model::WalkMode::Init {
        // The range of a writable variable is published with it at start-up.
        ctx.state.set_info(item.info_type, &out);
        ctx.state.add_range(item.info_type, range.0, range.1);
    }
    unskip(ctx, &format!("{}.min", item.info_type), qf::SEMI_STATIC)?;
    unskip(ctx, &format!("{}.max", item.info_type), qf::SEMI_STATIC)?;
    unskip(ctx, item.info_type, qf::SETVAR)?;
    Ok(out)
}

/// `input.transfer.{low,high}.{min,max}`: the bounds computed by [`eco_volt`].
fn eco_volt_range(ctx: &mut Ctx<'_>, item: &Item, _value: &str) -> Result<String, ItemError> {
    let name = item.info_type.to_ascii_lowercase();
    let v = ctx.sub::<Volt>();
    let r = match name.as_str() {
        "input.transfer.low.min" => v.eco_low.map(|r| r.0),
        "input.transfer.low.max" => v.eco_low.map(|r| r.1),
        "input.transfer.high.min" => v.eco_high.map(|r| r.0),
        "input.transfer.high.max" => v.eco_high.map(|r| r.1),
        _ => None,
    };
    r.map(|x| x.to_string()).ok_or_else(|| err(format!("{}: no range known", item.info_type)))
}

/// `QFRE`: ECO mode frequency limits; enables the setting.
fn eco_freq(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !numeric(value) {
        return Err(err(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    let out = fmt_num(item, parse_leading_f64(value))?;
    unskip(ctx, item.info_type, qf::SETVAR)?;
    Ok(out)
}

/// `QBYV`/`QBYF`: bypass limits (options); the setting is enabled when the option is given.
fn bypass(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !numeric(value) {
        return Err(err(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    let v = ctx.sub::<Volt>();
    let val = match item.info_type.to_ascii_lowercase().as_str() {
        "max_bypass_volt" => {
            v.max_bypass_volt = parse_leading_i64(value) as f64;
            v.max_bypass_volt
        }
        "min_bypass_volt" => {
            v.min_bypass_volt = parse_leading_i64(value) as f64;
            v.min_bypass_volt
        }
        "max_bypass_freq" => {
            v.max_bypass_freq = parse_leading_f64(value);
            v.max_bypass_freq
        }
        "min_bypass_freq" => {
            v.min_bypass_freq = parse_leading_f64(value);
            v.min_bypass_freq
        }
        _ => return Err(err(format!("{}: not a bypass limit", item.info_type))),
    };
    let out = fmt_num(item, val)?;
    if ctx.testvar(item.info_type) {
        unskip(ctx, item.info_type, qf::SETVAR)?;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Battery, identification
// ---------------------------------------------------------------------------------------

/// `QBV` batteries per pack (option `battery_number`).
fn batt_numb(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !numeric(value) {
        return Err(err(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    let n = parse_leading_i64(value);
    if n > i64::from(i32::MAX) {
        return Err(err(format!("value out of range [{}: {value}]", item.info_type)));
    }
    ctx.sub::<Volt>().battery_number = n as f64;
    let out = fmt_num(item, n as f64)?;
    if ctx.testvar(item.info_type) {
        unskip(ctx, "battery_number", qf::SETVAR)?;
    }
    Ok(out)
}

/// `QBV` remaining minutes, published in seconds.
fn batt_runtime(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !numeric(value) {
        return Err(err(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    fmt_num(item, parse_leading_f64(value) * 60.0)
}

/// `QMD` power factor in percent, published as a fraction.
fn output_powerfactor(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !numeric(value) {
        return Err(err(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    fmt_num(item, parse_leading_f64(value) * 0.01)
}

/// `QID`: an all-zero serial number is not one.
fn serial_numb(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if value.chars().all(|c| c == '0') {
        nut_driver::info!("{}: UPS reported a non-significant serial [{value}]", item.info_type);
        return Err(err("non-significant serial"));
    }
    fmt_str(item, value)
}

/// `QPAR`: master or slave in a parallel system (logged).
fn parallel(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !value.chars().all(|c| c.is_ascii_digit()) {
        return Err(err(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    let kind = match parse_leading_i64(value) {
        1 => "master",
        2 | 3 => "slave",
        _ => return Err(err(format!("unknown parallel role [{value}]"))),
    };
    Ok(format!("This UPS is *{kind}* in a system of UPSes in parallel"))
}

// ---------------------------------------------------------------------------------------
// Outlets, P31 settings, phase angles
// ---------------------------------------------------------------------------------------

/// The outlet number of `outlet.N.*` (the character after `outlet.`).
fn outlet_number(name: &str) -> Result<char, ItemError> {
    name.chars().nth(7).ok_or_else(|| err(format!("{name}: no outlet number")))
}

/// `QSKn`: `1` on, `0` off (both switchable); enables the outlet's delay and commands.
fn outlet(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let n = outlet_number(item.info_type)?;
    let status = match value.chars().next() {
        Some('1') => "on",
        Some('0') => "off",
        _ => return Err(err(format!("invalid outlet state [{value}]"))),
    };
    let out = if item.info_type.contains("switchable") {
        fmt_str(item, "yes")?
    } else if item.info_type.contains("status") {
        fmt_str(item, status)?
    } else {
        return Err(err(format!("{}: not an outlet state", item.info_type)));
    };
    unskip(ctx, &format!("outlet.{n}.delay.shutdown"), qf::SEMI_STATIC)?;
    unskip(ctx, &format!("outlet.{n}.load.on"), qf::CMD)?;
    unskip(ctx, &format!("outlet.{n}.load.off"), qf::CMD)?;
    Ok(out)
}

/// `QSKTn`: minutes, published in seconds; enables the setting.
fn outlet_delay(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !numeric(value) {
        return Err(err(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    let n = outlet_number(item.info_type)?;
    let out = fmt_num(item, parse_leading_f64(value) * 60.0)?;
    unskip(ctx, &format!("outlet.{n}.delay.shutdown"), qf::SETVAR)?;
    Ok(out)
}

/// `PSKnmmm`: the delay in whole minutes.
fn outlet_delay_set(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let minutes = parse_leading_i64(value) / 60;
    if minutes > i64::from(i32::MAX) {
        return Err(err(format!("{}: delay out of range", item.info_type)));
    }
    command_num(item, minutes as f64)
}

/// A `0x` index into the item's enumeration (`QBT`, `QGR`), checked against `allowed`.
fn enum_index(item: &Item, value: &str, allowed: &str) -> Result<usize, ItemError> {
    let b = value.as_bytes();
    if b.len() < 2 || b[0] != b'0' || !allowed.as_bytes().contains(&b[1]) {
        return Err(err(format!("invalid value [{}: {value}]", item.info_type)));
    }
    let i = usize::from(b[1] - b'0');
    item.info_rw.get(i).map(|_| i).ok_or_else(|| err(format!("invalid value [{}: {value}]", item.info_type)))
}

/// `QBT` (P31): battery type.
fn p31b(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let i = enum_index(item, value, "012")?;
    fmt_str(item, item.info_rw[i].value)
}

/// The position of `value` in the item's enumeration.
fn enum_position(item: &Item, value: &str) -> Result<usize, ItemError> {
    item.info_rw.iter().position(|r| r.value.eq_ignore_ascii_case(value)).ok_or_else(|| {
        nut_driver::error!("{}: value [{value}] out of range", item.info_type);
        err("out of range")
    })
}

/// `PBTnn` (P31): the type's index.
fn p31b_set(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let i = enum_position(item, value)?;
    process_setvar(ctx, item, &i.to_string())
}

/// `QGR` (P31): grid working range (option `work_range_type`).
fn p31g(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let i = enum_index(item, value, "01")?;
    ctx.sub::<Volt>().work_range_type = i as i64;
    fmt_str(item, item.info_rw[i].value)
}

/// `PGRnn` (P31), unless it is the current range.
fn p31g_set(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let i = enum_position(item, value)?;
    if i as i64 == ctx.sub::<Volt>().work_range_type {
        nut_driver::info!("{} is already set to {}", item.info_type, item.info_rw[i].value);
        return Err(err("already set"));
    }
    process_setvar(ctx, item, &i.to_string())
}

/// `QPD`: input and output phase angles (logged; the output one is an option).
fn phase(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !numeric(value) {
        return Err(err(format!("non numerical value [{}: {value}]", item.info_type)));
    }
    let angle = parse_leading_i64(value);
    if item.info_type.eq_ignore_ascii_case("output_phase_angle") {
        ctx.sub::<Volt>().output_phase_angle = angle;
        if ctx.testvar(item.info_type) {
            unskip(ctx, item.info_type, qf::SETVAR)?;
        }
    }
    if !(0..=i64::from(i32::MAX)).contains(&angle) {
        return Err(err(format!("angle out of range [{value}]")));
    }
    fmt_num(item, angle as f64)
}

/// `PPDn`: NUT 2.8.5 sends the angle's position in the enumeration (000 to 003), not the
/// angle; kept as is.
fn phase_set(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let i = enum_position(item, value)?;
    if parse_leading_i64(item.info_rw[i].value) == ctx.sub::<Volt>().output_phase_angle {
        nut_driver::info!("{} is already set to {}", item.info_type, item.info_rw[i].value);
        return Err(err("already set"));
    }
    process_setvar(ctx, item, &i.to_string())
}

// ---------------------------------------------------------------------------------------
// Status, working mode, faults, warnings
// ---------------------------------------------------------------------------------------

/// The `QGS` status bits (positions 63 to 74) and the UPS type (63-64).
fn status(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !value.chars().all(|c| c == '0' || c == '1') {
        return Err(err(format!("invalid status bits [{value}] at {}", item.from)));
    }
    let one = value.starts_with('1');
    let val = match item.from {
        63 => match parse_leading_i64(value) {
            0 => "offline",
            1 => "line-interactive",
            10 => "online",
            _ => return Err(err(format!("unknown UPS type [{value}]"))),
        },
        65 => {
            if one {
                "!OL"
            } else {
                "OL"
            }
        }
        66 => {
            if one {
                "LB"
            } else {
                "!LB"
            }
        }
        67 if one => {
            // Bypass, boost or buck: told apart by the output/input voltage ratio.
            let vi = info_num(ctx, "input.voltage")?;
            let vo = info_num(ctx, "output.voltage")?;
            if vo < 0.5 * vi {
                return Err(err(format!("output voltage too low for bypass/boost/buck [{vo}/{vi}]")));
            } else if vo < 0.95 * vi {
                "TRIM"
            } else if vo < 1.05 * vi {
                let p = protocol_of(ctx.state).unwrap_or(-1);
                let alarm = item.info_type.eq_ignore_ascii_case("ups.alarm");
                match (p == 0 || p == 8, alarm) {
                    (true, true) => "UPS is in AVR Mode.",
                    (false, false) => "BYPASS",
                    _ => "",
                }
            } else if vo < 1.5 * vi {
                "BOOST"
            } else {
                return Err(err(format!("output voltage too high for bypass/boost/buck [{vo}/{vi}]")));
            }
        }
        67 => "",
        // The fault bit: NUT 2.8.5 compares the character with the number 1, which never
        // matches, so it never raises "UPS Fault!" nor asks QFS. Kept as is.
        68 => "",
        70 => {
            if one {
                "CAL"
            } else {
                "!CAL"
            }
        }
        71 => {
            if one {
                "FSD"
            } else {
                "!FSD"
            }
        }
        72 => {
            let controllable = ctx.sub::<Volt>().caps.contains_key("alarm_control");
            if controllable {
                if ctx.state.get_info("ups.beeper.status").is_some_and(|b| b.eq_ignore_ascii_case("disabled"))
                {
                    ""
                } else if value.starts_with('0') {
                    "enabled"
                } else {
                    "muted"
                }
            } else if value.starts_with('0') {
                "enabled"
            } else {
                "disabled"
            }
        }
        _ => return Err(err(format!("{}: no status bit at {}", item.info_type, item.from))),
    };
    Ok(val.to_string())
}

/// `QMOD`: the working mode letter, as a status token, an alarm or a mode buzzword.
fn mode(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let (status, alarm, buzzword) = match value.chars().next() {
        Some('P') => (None, Some("UPS is going ON."), None),
        Some('S') => (Some("OFF"), None, None),
        Some('Y') => (Some("BYPASS"), None, None),
        Some('L') => (Some("OL"), None, None),
        Some('B') => (Some("!OL"), None, None),
        Some('T') => (Some("CAL"), None, None),
        Some('F') => (None, Some("Fault reported by UPS."), None),
        Some('E') => (None, None, Some("vendor:voltronic:ECO-inverter-on")),
        Some('C') => (None, None, Some("vendor:voltronic:freq-converter-on")),
        Some('D') => (Some("FSD"), Some("UPS is shutting down!"), None),
        _ => return Err(err(format!("unknown working mode [{value}]"))),
    };
    let out = match (alarm, status) {
        (Some(a), _) if item.info_type.eq_ignore_ascii_case("ups.alarm") => fmt_str(item, a)?,
        (_, Some(s)) if item.info_type.eq_ignore_ascii_case("ups.status") => fmt_str(item, s)?,
        _ => String::new(),
    };
    if let Some(b) = buzzword {
        let v = ctx.sub::<Volt>();
        if !v.buzzwords.contains(&b) {
            v.buzzwords.push(b);
        }
        nut_driver::debug!("working mode buzzword {b}");
    }
    Ok(out)
}

/// Fault codes of the P31 protocol.
const FAULTS_P31: &[(i64, &str)] = &[
    (1, "Fan failure."),
    (2, "Over temperature fault."),
    (3, "Battery voltage is too high."),
    (4, "Battery voltage too low."),
    (5, "Inverter relay short-circuited."),
    (6, "Inverter voltage over maximum value."),
    (7, "Overload fault."),
    (8, "Bus voltage exceeds its upper limit."),
    (9, "Bus soft start fail."),
    (10, "Unknown fault [Fault code: 10]"),
    (51, "Over current fault."),
    (52, "Bus voltage below its under limit."),
    (53, "Inverter soft start fail."),
    (54, "Self test fail."),
    (55, "Output DC voltage exceeds its upper limit."),
    (56, "Battery open fault."),
    (57, "Current sensor fault."),
    (58, "Battery short."),
    (59, "Inverter voltage below its lower limit."),
];

/// Fault codes of the other protocols (`1A`..`1C` are per-phase variants of code 1).
const FAULTS: &[(i64, &str)] = &[
    (1, "Bus voltage not within default setting."),
    (2, "Bus voltage over maximum value."),
    (3, "Bus voltage below minimum value."),
    (4, "Bus voltage differences out of acceptable range."),
    (5, "Bus voltage of slope rate drops too fast."),
    (6, "Over current in PFC input inductor."),
    (11, "Inverter voltage not within default setting."),
    (12, "Inverter voltage over maximum value."),
    (13, "Inverter voltage below minimum value."),
    (14, "Inverter short-circuited."),
    (15, "L2 phase inverter short-circuited."),
    (16, "L3 phase inverter short-circuited."),
    (17, "L1L2 inverter short-circuited."),
    (18, "L2L3 inverter short-circuited."),
    (19, "L3L1 inverter short-circuited."),
    (21, "Battery SCR short-circuited."),
    (22, "Line SCR short-circuited."),
    (23, "Inverter relay open fault."),
    (24, "Inverter relay short-circuited."),
    (25, "Input and output wires oppositely connected."),
    (26, "Battery oppositely connected."),
    (27, "Battery voltage is too high."),
    (28, "Battery voltage too low."),
    (29, "Failure for battery fuse being open-circuited."),
    (31, "CAN-bus communication fault."),
    (32, "Host signal circuit fault."),
    (33, "Synchronous signal circuit fault."),
    (34, "Synchronous pulse signal circuit fault."),
    (35, "Parallel cable disconnected."),
    (36, "Load unbalanced."),
    (41, "Over temperature fault."),
    (42, "Communication failure between CPUs in control board."),
    (43, "Overload fault."),
    (44, "Fan failure."),
    (45, "Charger failure."),
    (46, "Model fault."),
    (47, "MCU communication fault."),
];

/// The text of a fault code (`value` is the two characters of the `QFS` answer) and
/// whether it means an overload.
pub fn fault_text(protocol: i64, value: &str) -> (String, bool) {
    let unknown = || (format!("Unknown fault [{value}]"), false);
    let b = value.as_bytes();
    let valid_chars = b.len() == 2 && b.iter().all(|c| c.is_ascii_digit() || (b'A'..=b'C').contains(c));
    if !valid_chars || (b[0] != b'1' && !b[1].is_ascii_digit()) || !b[0].is_ascii_digit() {
        return unknown();
    }
    let code = parse_leading_i64(value);
    if protocol == 31 {
        if !b[1].is_ascii_digit() {
            return unknown();
        }
        return FAULTS_P31
            .iter()
            .find(|(c, _)| *c == code)
            .map_or_else(unknown, |(c, t)| (t.to_string(), *c == 7));
    }
    if code == 1 {
        let t = match b[1] {
            b'A' => "L1 inverter negative power out of acceptable range.",
            b'B' => "L2 inverter negative power out of acceptable range.",
            b'C' => "L3 inverter negative power out of acceptable range.",
            _ => "Bus voltage not within default setting.",
        };
        return (t.to_string(), false);
    }
    FAULTS.iter().find(|(c, _)| *c == code).map_or_else(unknown, |(c, t)| (t.to_string(), *c == 43))
}

/// Mark the fault query skipped again (it is asked once per fault).
fn skip_fault_query(ctx: &mut Ctx<'_>) {
    for it in ctx.rt.items.iter_mut().filter(|i| i.command == "QFS\r") {
        it.qxflags |= qf::SKIP;
    }
}

/// `QFS`: `OK` or the fault code followed by a snapshot of the status.
fn fault(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    nut_driver::info!("Checking for faults..");
    if value.eq_ignore_ascii_case("OK") {
        let out = fmt_str(item, "No fault found")?;
        nut_driver::info!("{out}");
        skip_fault_query(ctx);
        return Ok(out);
    }
    let p = protocol_of(ctx.state).unwrap_or(-1);
    let (text, overload) = fault_text(p, value);
    if overload {
        ctx.update_status("OVER");
    }
    let out = fmt_str(item, &text)?;
    nut_driver::info!("Fault found: {text}");
    skip_fault_query(ctx);
    Ok(out)
}

/// The `QWS` warning bits (bit 1 is the first character); None for bits NUT does not know.
const WARNINGS: [Option<&str>; 64] = {
    let mut w: [Option<&str>; 64] = [None; 64];
    let known: [&str; 58] = [
        "Battery disconnected.",
        "Neutral not connected.",
        "Site fault.",
        "Phase sequence incorrect.",
        "Phase sequence incorrect in bypass.",
        "Input frequency unstable in bypass.",
        "Battery overcharged.",
        "Low battery.",
        "Overload alarm.",
        "Fan alarm.",
        "EPO enabled.",
        "Unable to turn on UPS.",
        "Over temperature alarm.",
        "Charger alarm.",
        "Remote auto shutdown.",
        "L1 input fuse not working.",
        "L2 input fuse not working.",
        "L3 input fuse not working.",
        "Positive PFC abnormal in L1.",
        "Negative PFC abnormal in L1.",
        "Positive PFC abnormal in L2.",
        "Negative PFC abnormal in L2.",
        "Positive PFC abnormal in L3.",
        "Negative PFC abnormal in L3.",
        "Abnormal in CAN-bus communication.",
        "Abnormal in synchronous signal circuit.",
        "Abnormal in synchronous pulse signal circuit.",
        "Abnormal in host signal circuit.",
        "Male connector of parallel cable not connected well.",
        "Female connector of parallel cable not connected well.",
        "Parallel cable not connected well.",
        "Battery connection not consistent in parallel systems.",
        "AC connection not consistent in parallel systems.",
        "Bypass connection not consistent in parallel systems.",
        "UPS model types not consistent in parallel systems.",
        "Capacity of UPSes not consistent in parallel systems.",
        "Auto restart setting not consistent in parallel systems.",
        "Battery cell over charge.",
        "Battery protection setting not consistent in parallel systems.",
        "Battery detection setting not consistent in parallel systems.",
        "Bypass not allowed setting not consistent in parallel systems.",
        "Converter setting not consistent in parallel systems.",
        "High loss point for frequency in bypass mode not consistent in parallel systems.",
        "Low loss point for frequency in bypass mode not consistent in parallel systems.",
        "High loss point for voltage in bypass mode not consistent in parallel systems.",
        "Low loss point for voltage in bypass mode not consistent in parallel systems.",
        "High loss point for frequency in AC mode not consistent in parallel systems.",
        "Low loss point for frequency in AC mode not consistent in parallel systems.",
        "High loss point for voltage in AC mode not consistent in parallel systems.",
        "Low loss point for voltage in AC mode not consistent in parallel systems.",
        "Warning for locking in bypass mode after 3 consecutive overloads within 30 min.",
        "Warning for three-phase AC input current unbalance.",
        "Warning for a three-phase input current unbalance detected in battery mode.",
        "Warning for Inverter inter-current unbalance.",
        "Programmable outlets cut off pre-alarm.",
        "Warning for Battery replace.",
        "Abnormal warning on input phase angle.",
        "Warning!! Cover of maintain switch is open.",
    ];
    let mut i = 0;
    while i < known.len() {
        w[i] = Some(known[i]);
        i += 1;
    }
    w[60] = Some("EEPROM operation error.");
    w
};

/// Longest alarm text NUT publishes in full (`ST_MAX_VALUE_LEN` less a margin); longer
/// lists of warnings are published as bit numbers.
const MAX_WARNING_TEXT: usize = 256 - 32;

/// The alarm text of a `QWS` answer and the status tokens it implies (LB, OVER, RB);
/// None when no bit is set. Bits NUT does not know are listed by number.
pub fn warning_text(value: &str) -> Option<(String, Vec<&'static str>)> {
    let mut texts: Vec<&str> = Vec::new();
    let mut known_bits: Vec<usize> = Vec::new();
    let mut unknown_bits: Vec<usize> = Vec::new();
    let mut tokens = Vec::new();
    for (i, c) in value.chars().enumerate() {
        if c != '1' {
            continue;
        }
        match WARNINGS.get(i).copied().flatten() {
            Some(t) => {
                nut_driver::info!("Warning from UPS: {t}");
                texts.push(t);
                known_bits.push(i + 1);
                match i {
                    7 => tokens.push("LB"),
                    8 => tokens.push("OVER"),
                    55 => tokens.push("RB"),
                    _ => {}
                }
            }
            None => {
                nut_driver::info!("Warning from UPS: Unknown warning from UPS [bit: #{:02}]", i + 1);
                unknown_bits.push(i + 1);
            }
        }
    }
    let list = |bits: &[usize]| bits.iter().map(|b| format!("#{b:02}")).collect::<Vec<_>>().join(", ");
    let (warns, bitwarns) = match (texts.is_empty(), unknown_bits.is_empty()) {
        (true, true) => return None,
        (true, false) => {
            let u = format!("Unknown warnings [bit: {}]", list(&unknown_bits));
            (u.clone(), u)
        }
        (false, true) => (texts.join(" "), format!("Known (see log or manual) [bit: {}]", list(&known_bits))),
        (false, false) => (
            format!("{} Unknown warnings [bit: {}]", texts.join(" "), list(&unknown_bits)),
            format!(
                "Known (see log or manual) [bit: {}]; Unknown warnings [bit: {}]",
                list(&known_bits),
                list(&unknown_bits)
            ),
        ),
    };
    let body = if warns.len() < MAX_WARNING_TEXT { warns } else { bitwarns };
    Some((format!("UPS warnings: {body}"), tokens))
}

/// `QWS`: 64 warning bits.
fn warning(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if !value.chars().all(|c| c == '0' || c == '1') {
        return Err(err(format!("invalid warnings [{}: {value}]", item.info_type)));
    }
    if value.chars().all(|c| c == '0') {
        return Ok(String::new());
    }
    let (text, tokens) = warning_text(value).ok_or_else(|| err("no warning"))?;
    for t in tokens {
        ctx.update_status(t);
    }
    Ok(text)
}

/// The subdriver.
pub static SUBDRIVER: Subdriver = Subdriver {
    name: "Voltronic",
    version: "0.14",
    claim,
    table: TABLE,
    initups: None,
    initinfo: None,
    options: OPTS,
    accepted: Some("ACK"),
    rejected: Some("(NAK\r"),
};

// ---------------------------------------------------------------------------------------
// The table (generated from NUT 2.8.5 by tools/gen_table.py)
// ---------------------------------------------------------------------------------------

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
        preprocess: Some(protocol),
        ..Item::NONE
    },
    Item {
        info_type: "output.voltage.nominal",
        command: "QRI\r",
        answer_len: 22,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        qxflags: qf::STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "output.current.nominal",
        command: "QRI\r",
        answer_len: 22,
        leading: b'(',
        from: 7,
        to: 9,
        dfl: Some("%.0f"),
        qxflags: qf::STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage.nominal",
        command: "QRI\r",
        answer_len: 22,
        leading: b'(',
        from: 11,
        to: 15,
        dfl: Some("%.1f"),
        qxflags: qf::SEMI_STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "output.frequency.nominal",
        command: "QRI\r",
        answer_len: 22,
        leading: b'(',
        from: 17,
        to: 20,
        dfl: Some("%.1f"),
        qxflags: qf::STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "device.model",
        command: "QMD\r",
        answer_len: 48,
        leading: b'(',
        from: 1,
        to: 15,
        dfl: Some("%s"),
        qxflags: qf::STATIC | qf::TRIM,
        ..Item::NONE
    },
    Item {
        info_type: "ups.power.nominal",
        command: "QMD\r",
        answer_len: 48,
        leading: b'(',
        from: 17,
        to: 23,
        dfl: Some("%s"),
        qxflags: qf::STATIC | qf::TRIM,
        ..Item::NONE
    },
    Item {
        info_type: "output.powerfactor",
        command: "QMD\r",
        answer_len: 48,
        leading: b'(',
        from: 25,
        to: 26,
        dfl: Some("%.1f"),
        qxflags: qf::STATIC,
        preprocess: Some(output_powerfactor),
        ..Item::NONE
    },
    Item {
        info_type: "input.phases",
        command: "QMD\r",
        answer_len: 48,
        leading: b'(',
        from: 28,
        to: 28,
        dfl: Some("%.0f"),
        qxflags: qf::STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "output.phases",
        command: "QMD\r",
        answer_len: 48,
        leading: b'(',
        from: 30,
        to: 30,
        dfl: Some("%.0f"),
        qxflags: qf::STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "input.voltage.nominal",
        command: "QMD\r",
        answer_len: 48,
        leading: b'(',
        from: 32,
        to: 34,
        dfl: Some("%.1f"),
        qxflags: qf::STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "output.voltage.nominal",
        command: "QMD\r",
        answer_len: 48,
        leading: b'(',
        from: 36,
        to: 38,
        dfl: Some("%.1f"),
        qxflags: qf::STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "input.voltage.nominal",
        command: "F\r",
        answer_len: 22,
        leading: b'#',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
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
        dfl: Some("%.1f"),
        qxflags: qf::STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "device.mfr",
        command: "QMF\r",
        answer_len: 2,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::STATIC | qf::TRIM,
        ..Item::NONE
    },
    Item {
        info_type: "ups.firmware",
        command: "QVFW\r",
        answer_len: 16,
        leading: b'(',
        from: 7,
        to: 14,
        dfl: Some("%s"),
        qxflags: qf::STATIC,
        ..Item::NONE
    },
    Item {
        info_type: "device.serial",
        command: "QID\r",
        answer_len: 2,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::STATIC,
        preprocess: Some(serial_numb),
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
        info_type: "input.voltage",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.frequency",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 7,
        to: 10,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.voltage",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 12,
        to: 16,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.frequency",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 18,
        to: 21,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.current",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 23,
        to: 27,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "ups.load",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 29,
        to: 31,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 45,
        to: 49,
        dfl: Some("%.2f"),
        preprocess: Some(engine::multiply_battvolt),
        ..Item::NONE
    },
    Item {
        info_type: "ups.temperature",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 57,
        to: 61,
        dfl: Some("%.1f"),
        ..Item::NONE
    },
    Item {
        info_type: "ups.type",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 63,
        to: 64,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC,
        preprocess: Some(status),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 65,
        to: 65,
        dfl: Some("%s"),
        qxflags: qf::QUICK_POLL,
        preprocess: Some(status),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 66,
        to: 66,
        dfl: Some("%s"),
        qxflags: qf::QUICK_POLL,
        preprocess: Some(status),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 67,
        to: 67,
        dfl: Some("%s"),
        qxflags: qf::QUICK_POLL,
        preprocess: Some(status),
        ..Item::NONE
    },
    Item {
        info_type: "ups.alarm",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 67,
        to: 67,
        dfl: Some("%s"),
        preprocess: Some(status),
        ..Item::NONE
    },
    Item {
        info_type: "ups.alarm",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 68,
        to: 68,
        dfl: Some("%s"),
        preprocess: Some(status),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 70,
        to: 70,
        dfl: Some("%s"),
        qxflags: qf::QUICK_POLL,
        preprocess: Some(status),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 71,
        to: 71,
        dfl: Some("%s"),
        qxflags: qf::QUICK_POLL,
        preprocess: Some(status),
        ..Item::NONE
    },
    Item {
        info_type: "ups.beeper.status",
        command: "QGS\r",
        answer_len: 76,
        leading: b'(',
        from: 72,
        to: 72,
        dfl: Some("%s"),
        preprocess: Some(status),
        ..Item::NONE
    },
    Item {
        info_type: "ups.alarm",
        command: "QMOD\r",
        answer_len: 3,
        leading: b'(',
        from: 1,
        to: 1,
        dfl: Some("%s"),
        preprocess: Some(mode),
        ..Item::NONE
    },
    Item {
        info_type: "ups.status",
        command: "QMOD\r",
        answer_len: 3,
        leading: b'(',
        from: 1,
        to: 1,
        dfl: Some("%s"),
        preprocess: Some(mode),
        ..Item::NONE
    },
    Item {
        info_type: "ups.alarm",
        command: "QFS\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        to: 2,
        dfl: Some("%s"),
        qxflags: qf::SKIP,
        preprocess: Some(fault),
        ..Item::NONE
    },
    Item {
        info_type: "ups.alarm",
        command: "QWS\r",
        answer_len: 66,
        leading: b'(',
        from: 1,
        to: 64,
        dfl: Some("%s"),
        preprocess: Some(warning),
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage",
        command: "QBV\r",
        answer_len: 21,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.2f"),
        preprocess: Some(engine::multiply_battvolt),
        ..Item::NONE
    },
    Item {
        info_type: "battery_number",
        info_flags: st::RW,
        info_rw: R_BATT_NUMB,
        command: "QBV\r",
        answer_len: 21,
        leading: b'(',
        from: 7,
        to: 9,
        dfl: Some("%d"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::NONUT,
        preprocess: Some(batt_numb),
        ..Item::NONE
    },
    Item {
        info_type: "battery.packs",
        info_flags: st::RW,
        info_rw: R_BATT_PACKS,
        command: "QBV\r",
        answer_len: 21,
        leading: b'(',
        from: 10,
        to: 11,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE,
        ..Item::NONE
    },
    Item {
        info_type: "battery.charge",
        command: "QBV\r",
        answer_len: 21,
        leading: b'(',
        from: 13,
        to: 15,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "battery.runtime",
        command: "QBV\r",
        answer_len: 21,
        leading: b'(',
        from: 17,
        dfl: Some("%.0f"),
        preprocess: Some(batt_runtime),
        ..Item::NONE
    },
    Item {
        info_type: "output.power.minimum.percent",
        command: "QLDL\r",
        answer_len: 9,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "output.power.maximum.percent",
        command: "QLDL\r",
        answer_len: 9,
        leading: b'(',
        from: 5,
        to: 7,
        dfl: Some("%.0f"),
        ..Item::NONE
    },
    Item {
        info_type: "input.L1-N.voltage",
        command: "Q3PV\r",
        answer_len: 37,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "input.L2-N.voltage",
        command: "Q3PV\r",
        answer_len: 37,
        leading: b'(',
        from: 7,
        to: 11,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "input.L3-N.voltage",
        command: "Q3PV\r",
        answer_len: 37,
        leading: b'(',
        from: 13,
        to: 17,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "input.L1-L2.voltage",
        command: "Q3PV\r",
        answer_len: 37,
        leading: b'(',
        from: 19,
        to: 23,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "input.L2-L3.voltage",
        command: "Q3PV\r",
        answer_len: 37,
        leading: b'(',
        from: 25,
        to: 29,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "input.L1-L3.voltage",
        command: "Q3PV\r",
        answer_len: 37,
        leading: b'(',
        from: 31,
        to: 35,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "input.L1.current",
        command: "Q3PC\r",
        answer_len: 13,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "input.L2.current",
        command: "Q3PC\r",
        answer_len: 13,
        leading: b'(',
        from: 5,
        to: 7,
        dfl: Some("%.0f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "input.L3.current",
        command: "Q3PC\r",
        answer_len: 13,
        leading: b'(',
        from: 9,
        to: 11,
        dfl: Some("%.0f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L1-N.voltage",
        command: "Q3OV\r",
        answer_len: 37,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L2-N.voltage",
        command: "Q3OV\r",
        answer_len: 37,
        leading: b'(',
        from: 7,
        to: 11,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L3-N.voltage",
        command: "Q3OV\r",
        answer_len: 37,
        leading: b'(',
        from: 13,
        to: 17,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L1-L2.voltage",
        command: "Q3OV\r",
        answer_len: 37,
        leading: b'(',
        from: 19,
        to: 23,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L2-L3.voltage",
        command: "Q3OV\r",
        answer_len: 37,
        leading: b'(',
        from: 25,
        to: 29,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L1-L3.voltage",
        command: "Q3OV\r",
        answer_len: 37,
        leading: b'(',
        from: 31,
        to: 35,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L1.current",
        command: "Q3OC\r",
        answer_len: 13,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L2.current",
        command: "Q3OC\r",
        answer_len: 13,
        leading: b'(',
        from: 5,
        to: 7,
        dfl: Some("%.0f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L3.current",
        command: "Q3OC\r",
        answer_len: 13,
        leading: b'(',
        from: 9,
        to: 11,
        dfl: Some("%.0f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L1.power.percent",
        command: "Q3LD\r",
        answer_len: 13,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L2.power.percent",
        command: "Q3LD\r",
        answer_len: 13,
        leading: b'(',
        from: 5,
        to: 7,
        dfl: Some("%.0f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.L3.power.percent",
        command: "Q3LD\r",
        answer_len: 13,
        leading: b'(',
        from: 9,
        to: 11,
        dfl: Some("%.0f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.bypass.L1-N.voltage",
        command: "Q3YV\r",
        answer_len: 37,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.bypass.L2-N.voltage",
        command: "Q3YV\r",
        answer_len: 37,
        leading: b'(',
        from: 7,
        to: 11,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.bypass.L3-N.voltage",
        command: "Q3YV\r",
        answer_len: 37,
        leading: b'(',
        from: 13,
        to: 17,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.bypass.L1-N.voltage",
        command: "Q3YV\r",
        answer_len: 19,
        leading: b'(',
        from: 1,
        to: 5,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.bypass.L2-N.voltage",
        command: "Q3YV\r",
        answer_len: 19,
        leading: b'(',
        from: 7,
        to: 11,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.bypass.L1-L2.voltage",
        command: "Q3YV\r",
        answer_len: 37,
        leading: b'(',
        from: 19,
        to: 23,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.bypass.L2-L3.voltage",
        command: "Q3YV\r",
        answer_len: 37,
        leading: b'(',
        from: 25,
        to: 29,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "output.bypass.L1-L3.voltage",
        command: "Q3YV\r",
        answer_len: 37,
        leading: b'(',
        from: 31,
        to: 35,
        dfl: Some("%.1f"),
        qxflags: qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "ups.start.auto",
        info_flags: st::RW,
        info_rw: E_CAP,
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::ENUM,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "battery.protection",
        info_flags: st::RW,
        info_rw: E_CAP,
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::ENUM,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "battery.energysave",
        info_flags: st::RW,
        info_rw: E_CAP,
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::ENUM,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "ups.start.battery",
        info_flags: st::RW,
        info_rw: E_CAP,
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::ENUM,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.0.switchable",
        info_flags: st::RW,
        info_rw: E_CAP,
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::ENUM,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "bypass_alarm",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "battery_alarm",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "bypass_when_off",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "alarm_control",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "converter_mode",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "eco_mode",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "battery_open_status_check",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "bypass_forbidding",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "site_fault_detection",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "advanced_eco_mode",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "constant_phase_angle",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "limited_runtime_on_battery",
        command: "QFLAG\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(capability),
        ..Item::NONE
    },
    Item {
        info_type: "ups.start.auto",
        info_rw: E_CAP,
        command: "P%sR\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::SKIP,
        preprocess: Some(capability_set),
        ..Item::NONE
    },
    Item {
        info_type: "battery.protection",
        info_rw: E_CAP,
        command: "P%sS\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::SKIP,
        preprocess: Some(capability_set),
        ..Item::NONE
    },
    Item {
        info_type: "battery.energysave",
        info_rw: E_CAP,
        command: "P%sG\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::SKIP,
        preprocess: Some(capability_set),
        ..Item::NONE
    },
    Item {
        info_type: "ups.start.battery",
        info_rw: E_CAP,
        command: "P%sC\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::SKIP,
        preprocess: Some(capability_set),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.0.switchable",
        info_rw: E_CAP,
        command: "P%sJ\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::SKIP,
        preprocess: Some(capability_set),
        ..Item::NONE
    },
    Item {
        info_type: "reset_to_default",
        command: "PF\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_reset),
        ..Item::NONE
    },
    Item {
        info_type: "bypass_alarm",
        info_rw: E_CAP_NONUT,
        command: "P%sP\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "battery_alarm",
        info_rw: E_CAP_NONUT,
        command: "P%sB\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "bypass_when_off",
        info_rw: E_CAP_NONUT,
        command: "P%sO\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "alarm_control",
        info_rw: E_CAP_NONUT,
        command: "P%sA\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "converter_mode",
        info_rw: E_CAP_NONUT,
        command: "P%sV\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "eco_mode",
        info_rw: E_CAP_NONUT,
        command: "P%sE\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "battery_open_status_check",
        info_rw: E_CAP_NONUT,
        command: "P%sD\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "bypass_forbidding",
        info_rw: E_CAP_NONUT,
        command: "P%sF\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "site_fault_detection",
        info_rw: E_CAP_NONUT,
        command: "P%sL\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "advanced_eco_mode",
        info_rw: E_CAP_NONUT,
        command: "P%sN\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "constant_phase_angle",
        info_rw: E_CAP_NONUT,
        command: "P%sQ\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "limited_runtime_on_battery",
        info_rw: E_CAP_NONUT,
        command: "P%sW\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(capability_set_nonut),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.1.switchable",
        command: "QSK1\r",
        answer_len: 3,
        leading: b'(',
        from: 1,
        to: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(outlet),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.1.status",
        command: "QSK1\r",
        answer_len: 3,
        leading: b'(',
        from: 1,
        to: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(outlet),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.2.switchable",
        command: "QSK2\r",
        answer_len: 3,
        leading: b'(',
        from: 1,
        to: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(outlet),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.2.status",
        command: "QSK2\r",
        answer_len: 3,
        leading: b'(',
        from: 1,
        to: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(outlet),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.3.switchable",
        command: "QSK3\r",
        answer_len: 3,
        leading: b'(',
        from: 1,
        to: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(outlet),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.3.status",
        command: "QSK3\r",
        answer_len: 3,
        leading: b'(',
        from: 1,
        to: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(outlet),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.4.switchable",
        command: "QSK4\r",
        answer_len: 3,
        leading: b'(',
        from: 1,
        to: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(outlet),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.4.status",
        command: "QSK4\r",
        answer_len: 3,
        leading: b'(',
        from: 1,
        to: 1,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(outlet),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.1.delay.shutdown",
        info_flags: st::RW,
        info_rw: R_OUTLET_DELAY,
        command: "QSKT1\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::SKIP,
        preprocess: Some(outlet_delay),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.2.delay.shutdown",
        info_flags: st::RW,
        info_rw: R_OUTLET_DELAY,
        command: "QSKT2\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::SKIP,
        preprocess: Some(outlet_delay),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.3.delay.shutdown",
        info_flags: st::RW,
        info_rw: R_OUTLET_DELAY,
        command: "QSKT3\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::SKIP,
        preprocess: Some(outlet_delay),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.4.delay.shutdown",
        info_flags: st::RW,
        info_rw: R_OUTLET_DELAY,
        command: "QSKT4\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::SKIP,
        preprocess: Some(outlet_delay),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.1.delay.shutdown",
        info_rw: R_OUTLET_DELAY,
        command: "PSK1%03d\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::SKIP,
        preprocess: Some(outlet_delay_set),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.2.delay.shutdown",
        info_rw: R_OUTLET_DELAY,
        command: "PSK2%03d\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::SKIP,
        preprocess: Some(outlet_delay_set),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.3.delay.shutdown",
        info_rw: R_OUTLET_DELAY,
        command: "PSK3%03d\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::SKIP,
        preprocess: Some(outlet_delay_set),
        ..Item::NONE
    },
    Item {
        info_type: "outlet.4.delay.shutdown",
        info_rw: R_OUTLET_DELAY,
        command: "PSK4%03d\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::SKIP,
        preprocess: Some(outlet_delay_set),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.high",
        info_flags: st::RW,
        info_rw: R_ECO_VOLT_MAX,
        command: "QHE\r",
        answer_len: 9,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::SKIP,
        preprocess: Some(eco_volt),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.low",
        info_flags: st::RW,
        info_rw: R_ECO_VOLT_MIN,
        command: "QHE\r",
        answer_len: 9,
        leading: b'(',
        from: 5,
        to: 7,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::SKIP,
        preprocess: Some(eco_volt),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.low.min",
        command: "QHE\r",
        answer_len: 9,
        leading: b'(',
        from: 5,
        to: 7,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(eco_volt_range),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.low.max",
        command: "QHE\r",
        answer_len: 9,
        leading: b'(',
        from: 5,
        to: 7,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(eco_volt_range),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.high.min",
        command: "QHE\r",
        answer_len: 9,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(eco_volt_range),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.high.max",
        command: "QHE\r",
        answer_len: 9,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::SKIP,
        preprocess: Some(eco_volt_range),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.high",
        info_rw: R_ECO_VOLT_MAX,
        command: "HEH%03.0f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::SKIP,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "input.transfer.low",
        info_rw: R_ECO_VOLT_MIN,
        command: "HEL%03.0f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::SKIP,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "input.frequency.high",
        info_flags: st::RW,
        info_rw: R_ECO_FREQ_MAX,
        command: "QFRE\r",
        answer_len: 11,
        leading: b'(',
        from: 1,
        to: 4,
        dfl: Some("%.1f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::SKIP,
        preprocess: Some(eco_freq),
        ..Item::NONE
    },
    Item {
        info_type: "input.frequency.low",
        info_flags: st::RW,
        info_rw: R_ECO_FREQ_MIN,
        command: "QFRE\r",
        answer_len: 11,
        leading: b'(',
        from: 6,
        to: 9,
        dfl: Some("%.1f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::SKIP,
        preprocess: Some(eco_freq),
        ..Item::NONE
    },
    Item {
        info_type: "input.frequency.high",
        info_rw: R_ECO_FREQ_MAX,
        command: "FREH%04.1f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::SKIP,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "input.frequency.low",
        info_rw: R_ECO_FREQ_MIN,
        command: "FREL%04.1f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::SKIP,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "max_bypass_volt",
        info_flags: st::RW,
        info_rw: R_BYPASS_VOLT_MAX,
        command: "QBYV\r",
        answer_len: 9,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::NONUT | qf::SKIP,
        preprocess: Some(bypass),
        ..Item::NONE
    },
    Item {
        info_type: "min_bypass_volt",
        info_flags: st::RW,
        info_rw: R_BYPASS_VOLT_MIN,
        command: "QBYV\r",
        answer_len: 9,
        leading: b'(',
        from: 5,
        to: 7,
        dfl: Some("%.0f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::NONUT | qf::SKIP,
        preprocess: Some(bypass),
        ..Item::NONE
    },
    Item {
        info_type: "max_bypass_volt",
        info_rw: R_BYPASS_VOLT_MAX,
        command: "PHV%03.0f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::NONUT | qf::SKIP,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "min_bypass_volt",
        info_rw: R_BYPASS_VOLT_MIN,
        command: "PLV%03.0f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::NONUT | qf::SKIP,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "max_bypass_freq",
        info_flags: st::RW,
        info_rw: R_BYPASS_FREQ_MAX,
        command: "QBYF\r",
        answer_len: 11,
        leading: b'(',
        from: 1,
        to: 4,
        dfl: Some("%.1f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::NONUT | qf::SKIP,
        preprocess: Some(bypass),
        ..Item::NONE
    },
    Item {
        info_type: "min_bypass_freq",
        info_flags: st::RW,
        info_rw: R_BYPASS_FREQ_MIN,
        command: "QBYF\r",
        answer_len: 11,
        leading: b'(',
        from: 6,
        to: 9,
        dfl: Some("%.1f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE | qf::NONUT | qf::SKIP,
        preprocess: Some(bypass),
        ..Item::NONE
    },
    Item {
        info_type: "max_bypass_freq",
        info_rw: R_BYPASS_FREQ_MAX,
        command: "PGF%04.1f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::NONUT | qf::SKIP,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "min_bypass_freq",
        info_rw: R_BYPASS_FREQ_MIN,
        command: "PSF%04.1f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::NONUT | qf::SKIP,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "battery_number",
        info_rw: R_BATT_NUMB,
        command: "BATN%1.0f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE | qf::NONUT,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "battery.packs",
        info_rw: R_BATT_PACKS,
        command: "BATGN%02.0f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "battery.type",
        info_flags: st::RW,
        info_rw: E_BATT_TYPE,
        command: "QBT\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        to: 2,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::ENUM | qf::SKIP,
        preprocess: Some(p31b),
        ..Item::NONE
    },
    Item {
        info_type: "battery.type",
        info_rw: E_BATT_TYPE,
        command: "PBT%02.0f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::SKIP,
        preprocess: Some(p31b_set),
        ..Item::NONE
    },
    Item {
        info_type: "work_range_type",
        info_flags: st::RW,
        info_rw: E_WORK_RANGE,
        command: "QGR\r",
        answer_len: 4,
        leading: b'(',
        from: 1,
        to: 2,
        dfl: Some("%s"),
        qxflags: qf::SEMI_STATIC | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(p31g),
        ..Item::NONE
    },
    Item {
        info_type: "work_range_type",
        info_rw: E_WORK_RANGE,
        command: "PGR%02.0f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(p31g_set),
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage.low",
        info_flags: st::RW,
        info_rw: R_BATT_LOW,
        command: "RE0\r",
        answer_len: 3,
        leading: b'#',
        from: 1,
        to: 2,
        dfl: Some("%.1f"),
        qxflags: qf::SEMI_STATIC | qf::RANGE,
        ..Item::NONE
    },
    Item {
        info_type: "battery.voltage.low",
        info_rw: R_BATT_LOW,
        command: "W0E%02.0f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::RANGE,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "input_phase_angle",
        command: "QPD\r",
        answer_len: 9,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%03d"),
        qxflags: qf::SEMI_STATIC | qf::NONUT,
        preprocess: Some(phase),
        ..Item::NONE
    },
    Item {
        info_type: "output_phase_angle",
        info_flags: st::RW,
        info_rw: E_PHASE,
        command: "QPD\r",
        answer_len: 9,
        leading: b'(',
        from: 5,
        to: 7,
        dfl: Some("%03d"),
        qxflags: qf::SEMI_STATIC | qf::ENUM | qf::NONUT,
        preprocess: Some(phase),
        ..Item::NONE
    },
    Item {
        info_type: "output_phase_angle",
        info_rw: E_PHASE,
        command: "PPD%03.0f\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::SETVAR | qf::ENUM | qf::NONUT | qf::SKIP,
        preprocess: Some(phase_set),
        ..Item::NONE
    },
    Item {
        info_type: "voltronic_parallel",
        command: "QPAR\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        dfl: Some("%s"),
        qxflags: qf::STATIC | qf::NONUT,
        preprocess: Some(parallel),
        ..Item::NONE
    },
    Item {
        info_type: "unknown.7",
        command: "QBDR\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        dfl: Some("%s"),
        qxflags: qf::STATIC | qf::NONUT | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "load.off",
        command: "SOFF\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        ..Item::NONE
    },
    Item {
        info_type: "load.on",
        command: "SON\r",
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
        preprocess: Some(process_command),
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
        preprocess: Some(process_command),
        ..Item::NONE
    },
    Item {
        info_type: "shutdown.stop",
        command: "CS\r",
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
        preprocess: Some(process_command),
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
        info_type: "beeper.toggle",
        command: "BZ%s\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD,
        preprocess: Some(process_command),
        ..Item::NONE
    },
    Item {
        info_type: "beeper.enable",
        command: "PEA\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "beeper.disable",
        command: "PDA\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "outlet.1.load.off",
        command: "SKOFF1\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "outlet.1.load.on",
        command: "SKON1\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "outlet.2.load.off",
        command: "SKOFF2\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "outlet.2.load.on",
        command: "SKON2\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "outlet.3.load.off",
        command: "SKOFF3\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "outlet.3.load.on",
        command: "SKON3\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "outlet.4.load.off",
        command: "SKOFF4\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "outlet.4.load.on",
        command: "SKON4\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "bypass.start",
        command: "PEE\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "bypass.stop",
        command: "PDE\r",
        answer_len: 5,
        leading: b'(',
        from: 1,
        to: 3,
        qxflags: qf::CMD | qf::SKIP,
        ..Item::NONE
    },
    Item {
        info_type: "ups.delay.start",
        info_flags: st::RW,
        info_rw: R_ONDELAY,
        dfl: Some("180"),
        qxflags: qf::ABSENT | qf::SETVAR | qf::RANGE,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
    Item {
        info_type: "ups.delay.shutdown",
        info_flags: st::RW,
        info_rw: R_OFFDELAY,
        dfl: Some("30"),
        qxflags: qf::ABSENT | qf::SETVAR | qf::RANGE,
        preprocess: Some(process_setvar),
        ..Item::NONE
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Runtime, WalkMode};
    use crate::port::FakePort;
    use crate::protocols::voltronic_qs::tests::{doc_port, testdata};
    use nut_driver::{CmdResult, State};

    const SUB: (Option<&str>, Option<&str>) = (Some("ACK"), Some("(NAK\r"));

    /// A device after the claim and the start-up walk.
    struct Dev {
        rt: Runtime,
        state: State,
        port: FakePort,
        claimed: bool,
    }

    impl Dev {
        fn start(port: FakePort, options: &[(&str, &str)]) -> Dev {
            let opts = options.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            let mut d =
                Dev { rt: Runtime::new(SUBDRIVER.table, opts), state: State::new(), port, claimed: false };
            let mut ctx = Ctx { rt: &mut d.rt, state: &mut d.state, port: &mut d.port };
            d.claimed = claim(&mut ctx);
            if d.claimed {
                ctx.rt.status = 0;
                engine::walk(&mut ctx, WalkMode::Init, SUBDRIVER.rejected);
            }
            d
        }
        fn get(&self, n: &str) -> Option<&str> {
            self.state.get_info(n)
        }
        fn tokens(&self) -> Vec<&'static str> {
            engine::status_tokens(self.rt.status)
        }
        fn instcmd(&mut self, cmd: &str, extra: Option<&str>) -> CmdResult {
            let mut ctx = Ctx { rt: &mut self.rt, state: &mut self.state, port: &mut self.port };
            engine::instcmd(&mut ctx, SUB, cmd, extra)
        }
        fn setvar(&mut self, var: &str, value: &str) -> CmdResult {
            let mut ctx = Ctx { rt: &mut self.rt, state: &mut self.state, port: &mut self.port };
            engine::setvar(&mut ctx, var, Some(value), SUB.0)
        }
        fn last_sent(&self) -> String {
            self.port.sent.last().map(|s| String::from_utf8_lossy(s).into_owned()).unwrap_or_default()
        }
    }

    /// Everything Debian's NUT 2.8.0 nutdrv_qx publishes for NUT's testing table (its -d 1
    /// dump on a pty), but the battery voltages where 2.8.0 and 2.8.5 differ.
    #[test]
    fn nut_testing_table_values() {
        let Some(t) = testdata("nut-testing-tables/voltronic.txt") else { return };
        let d = Dev::start(FakePort::from_transcript(&t), &[]);
        assert!(d.claimed);
        let want = [
            ("battery.charge", "68"),
            ("battery.energysave", "no"),
            ("battery.packs", "1"),
            ("battery.protection", "yes"),
            ("battery.runtime", "15300"),
            ("battery.voltage.low", "20.0"),
            ("battery.voltage.nominal", "24.0"),
            ("device.mfr", "VOLTRONIC"),
            ("device.model", "OLHVT1K0"),
            ("device.serial", "685653211455"),
            ("input.current.nominal", "0.0"),
            ("input.frequency", "50.0"),
            ("input.frequency.high", "50.0"),
            ("input.frequency.low", "0.0"),
            ("input.frequency.nominal", "50.0"),
            ("input.phases", "2"),
            ("input.transfer.high", "242"),
            ("input.transfer.high.max", "254"),
            ("input.transfer.high.min", "237"),
            ("input.transfer.low", "218"),
            ("input.transfer.low.max", "223"),
            ("input.transfer.low.min", "206"),
            ("input.voltage", "234.9"),
            ("input.voltage.nominal", "230.0"),
            ("outlet.0.switchable", "yes"),
            ("outlet.1.delay.shutdown", "480"),
            ("outlet.1.status", "on"),
            ("outlet.1.switchable", "yes"),
            ("outlet.2.delay.shutdown", "720"),
            ("outlet.2.status", "off"),
            ("outlet.2.switchable", "yes"),
            ("outlet.3.status", "on"),
            ("outlet.3.switchable", "yes"),
            ("output.current", "0.0"),
            ("output.current.nominal", "4"),
            ("output.frequency", "50.0"),
            ("output.frequency.nominal", "50.0"),
            ("output.phases", "2"),
            ("output.power.maximum.percent", "80"),
            ("output.power.minimum.percent", "5"),
            ("output.powerfactor", "0.8"),
            ("output.voltage", "229.8"),
            ("output.voltage.nominal", "230.0"),
            ("ups.beeper.status", "enabled"),
            ("ups.delay.shutdown", "30"),
            ("ups.delay.start", "180"),
            ("ups.firmware", "00322.02"),
            ("ups.firmware.aux", "P01"),
            ("ups.power.nominal", "1000"),
            ("ups.start.auto", "no"),
            ("ups.start.battery", "yes"),
            ("ups.temperature", "18.8"),
            ("ups.type", "online"),
        ];
        for (k, v) in want {
            assert_eq!(d.get(k), Some(v), "{k}");
        }
        // "00A" is not a load; NUT 2.8.5 passes battery.voltage on as sent.
        assert_eq!(d.get("ups.load"), None);
        assert_eq!(d.get("battery.voltage"), Some("026.5"));
        // Outlet 4 answered NAK, outlet 3's delay too; no multi-phase data on P01.
        assert_eq!(d.get("outlet.4.status"), None);
        assert_eq!(d.get("outlet.3.delay.shutdown"), None);
        assert_eq!(d.get("input.L1-N.voltage"), None);
        assert_eq!(d.tokens(), vec!["OL", "OFF"]);
        assert_eq!(
            d.rt.alarms,
            vec!["UPS warnings: Warning!! Cover of maintain switch is open. Unknown warnings [bit: #64]"
                .to_string()]
        );
        // Settable ranges and enumerations as Debian's upsrw would list them.
        let var = |n: &str| d.state.var(n).unwrap_or_else(|| panic!("{n}"));
        assert_eq!(var("input.transfer.high").ranges, vec![(237, 254)]);
        assert_eq!(var("input.transfer.low").ranges, vec![(206, 223)]);
        assert_eq!(var("input.frequency.high").ranges, vec![(53, 60)]);
        assert_eq!(var("input.frequency.low").ranges, vec![(40, 47)]);
        assert_eq!(var("battery.voltage.low").ranges, vec![(20, 24)]);
        assert_eq!(var("battery.packs").ranges, vec![(1, 99)]);
        assert_eq!(var("outlet.1.delay.shutdown").ranges, vec![(0, 59940)]);
        assert_eq!(var("ups.start.auto").enums, vec!["no".to_string(), "yes".to_string()]);
        // Commands: capability a (alarm control) and j (outlets), e is disabled... but known.
        for c in [
            "load.off",
            "load.on",
            "shutdown.return",
            "shutdown.stayoff",
            "shutdown.stop",
            "test.battery.start",
            "test.battery.start.deep",
            "test.battery.start.quick",
            "test.battery.stop",
            "beeper.toggle",
            "beeper.enable",
            "beeper.disable",
            "outlet.1.load.on",
            "outlet.1.load.off",
            "outlet.3.load.off",
            "bypass.start",
            "bypass.stop",
        ] {
            assert!(d.state.has_cmd(c), "{c}");
        }
        assert!(!d.state.has_cmd("outlet.4.load.on"));
    }

    #[test]
    fn commands_compose_delays_and_test_times() {
        let Some(t) = testdata("nut-testing-tables/voltronic.txt") else { return };
        let mut d = Dev::start(FakePort::from_transcript(&t), &[]);
        // Default delays 30 s / 180 s: .5 tenths of minutes, restart after 3 minutes.
        d.instcmd("shutdown.return", None);
        assert_eq!(d.last_sent(), "S.5R0003\r");
        d.instcmd("shutdown.stayoff", None);
        assert_eq!(d.last_sent(), "S.5R0000\r");
        // 18 s -> .3 (ACK in the table), 120 s -> 02 (NAK), 5 s out of range: nothing sent.
        assert_eq!(d.instcmd("test.battery.start", Some("18")), CmdResult::Handled);
        assert_eq!(d.last_sent(), "T.3\r");
        assert_eq!(d.instcmd("test.battery.start", Some("120")), CmdResult::Failed);
        assert_eq!(d.last_sent(), "T02\r");
        let n = d.port.sent.len();
        assert_eq!(d.instcmd("test.battery.start", Some("5")), CmdResult::Failed);
        assert_eq!(d.instcmd("test.battery.start", Some("1x")), CmdResult::Failed);
        assert_eq!(d.port.sent.len(), n);
        // The beeper is enabled: toggling sends BZOFF.
        assert_eq!(d.instcmd("beeper.toggle", None), CmdResult::Handled);
        assert_eq!(d.last_sent(), "BZOFF\r");
        assert_eq!(d.instcmd("load.off", None), CmdResult::Failed, "SOFF is NAKed");
        assert_eq!(d.instcmd("test.battery.start.deep", None), CmdResult::Handled);
        // A longer delay goes in minutes.
        assert_eq!(d.setvar("ups.delay.shutdown", "125"), CmdResult::Handled);
        assert_eq!(d.get("ups.delay.shutdown"), Some("120"));
        d.instcmd("shutdown.stayoff", None);
        assert_eq!(d.last_sent(), "S02R0000\r");
    }

    #[test]
    fn settings_send_the_device_commands() {
        let Some(t) = testdata("nut-testing-tables/voltronic.txt") else { return };
        let mut d = Dev::start(FakePort::from_transcript(&t), &[]);
        for (var, val, sent) in [
            ("battery.voltage.low", "24", "W0E24\r"),
            ("input.transfer.high", "250", "HEH250\r"),
            ("input.transfer.low", "210", "HEL210\r"),
            ("input.frequency.high", "54.0", "FREH54.0\r"),
            ("battery.packs", "4", "BATGN04\r"),
            ("outlet.2.delay.shutdown", "540", "PSK2009\r"),
        ] {
            assert_eq!(d.setvar(var, val), CmdResult::Handled, "{var}");
            assert_eq!(d.last_sent(), sent, "{var}");
        }
        // Out of the device's ranges: refused without a command.
        let n = d.port.sent.len();
        assert_eq!(d.setvar("input.transfer.high", "300"), CmdResult::Unknown);
        assert_eq!(d.setvar("battery.voltage.low", "28"), CmdResult::Unknown);
        assert_eq!(d.setvar("input.frequency.high", "64.0"), CmdResult::Unknown);
        assert_eq!(d.port.sent.len(), n);
    }

    #[test]
    fn options_apply_capabilities_and_limits() {
        let Some(t) = testdata("nut-testing-tables/voltronic.txt") else { return };
        // bypass_alarm is enabled (p): setting it disabled sends PDP; battery_alarm is
        // disabled (b) and asked disabled: nothing; min_bypass_volt 190 is not a P01
        // 230 V value, max 264 is but is the current one; battery_number is 2: 3 sends BATN3.
        let opts = [
            ("bypass_alarm", "disabled"),
            ("battery_alarm", "disabled"),
            ("min_bypass_freq", "49.0"),
            ("battery_number", "3"),
        ];
        let d = Dev::start(FakePort::from_transcript(&t), &opts);
        let sent: Vec<String> = d.port.sent.iter().map(|s| String::from_utf8_lossy(s).into_owned()).collect();
        assert!(sent.contains(&"PDP\r".to_string()), "{sent:?}");
        assert!(!sent.iter().any(|s| s == "PDB\r" || s == "PEB\r"), "{sent:?}");
        assert!(sent.contains(&"PSF49.0\r".to_string()), "{sent:?}");
        assert!(sent.contains(&"BATN3\r".to_string()), "{sent:?}");
        // Without the options, none of these is sent.
        let d = Dev::start(FakePort::from_transcript(&t), &[]);
        assert!(!d
            .port
            .sent
            .iter()
            .any(|s| s.starts_with(b"PD") || s.starts_with(b"BATN") || s.starts_with(b"PSF")));
    }

    /// The protocol document's examples on a three-phase P10 unit: all the Q3 data.
    #[test]
    fn protocol_document_three_phase_p10() {
        let Some(t) = testdata("protocol-doc-examples/voltronic.txt") else { return };
        let picks: Vec<(&str, usize)> = [
            "QGS", "QBV", "QLDL", "QMD", "QRI", "I", "F", "QID", "QVFW", "QMF", "QWS", "QFLAG", "QHE",
            "QFRE", "QBYV", "QBYF", "RE0", "QPD", "Q3PV", "Q3OV", "Q3PC", "Q3OC", "Q3LD", "Q3YV",
        ]
        .iter()
        .map(|c| (*c, 0))
        .collect();
        let mut port = doc_port(&t, &picks);
        // The document has no QPI example: a P10 unit.
        port.raw(b"QPI\r", b"(PI10\r");
        let d = Dev::start(port, &[]);
        assert!(d.claimed);
        assert_eq!(d.get("ups.firmware.aux"), Some("P10"));
        for (k, v) in [
            ("input.L1-N.voltage", "104.4"),
            ("input.L2-N.voltage", "90.9"),
            ("input.L3-N.voltage", "102.3"),
            ("input.L1-L2.voltage", "240.0"),
            ("input.L2-L3.voltage", "260.2"),
            ("input.L1-L3.voltage", "190.0"),
            ("input.L1.current", "2"),
            ("input.L3.current", "3"),
            ("output.L3.current", "12"),
            ("output.L2.power.percent", "42"),
            ("output.bypass.L1-N.voltage", "104.4"),
            ("output.bypass.L3-N.voltage", "102.3"),
            ("output.bypass.L1-L3.voltage", "190.0"),
            ("battery.runtime", "15300"),
            ("ups.load", "0"),
            ("device.mfr", "BOH"),
            ("ups.start.auto", "yes"),
        ] {
            assert_eq!(d.get(k), Some(v), "{k}");
        }
        // An all-zero serial is not published.
        assert_eq!(d.get("device.serial"), None);
        // Warning bit 8: low battery.
        assert_eq!(d.rt.alarms, vec!["UPS warnings: Low battery.".to_string()]);
        assert_eq!(d.tokens(), vec!["OL", "LB"]);
    }

    /// The QGS answer of NUT PR #1652 (a real unit): on line.
    #[test]
    fn nut_1652_qgs_is_online() {
        let Some(t) = testdata("nut-issues/nut-1652-voltronic-qgs.txt") else { return };
        let mut port = doc_port(&t, &[("QGS", 0)]);
        // The log has no QPI answer: a P01 unit.
        port.raw(b"QPI\r", b"(PI01\r");
        let d = Dev::start(port, &[]);
        assert!(d.claimed);
        assert_eq!(d.tokens(), vec!["OL"]);
        assert_eq!(d.get("ups.type"), Some("online"));
        assert_eq!(d.get("input.frequency"), Some("59.9"));
        assert_eq!(d.get("output.current"), Some("2.8"));
        assert_eq!(d.get("ups.load"), Some("7"));
        assert_eq!(d.get("ups.temperature"), Some("22.9"));
    }

    /// An Orion DC3000RT's answers (another project's recording): bypass (output equals
    /// input with the bypass bit), 120 V ECO ranges, capabilities.
    #[test]
    fn orion_dc3000rt_answers() {
        let Some(t) = testdata("other-projects/citcims-orion-dc3000rt-voltronic.txt") else { return };
        let picks: Vec<(&str, usize)> =
            ["QWS", "QBV", "QPI", "QMD", "QID", "QVFW", "QBYV", "QBYF", "QRI", "QFLAG", "QHE", "QFS"]
                .iter()
                .map(|c| (*c, 0))
                .collect();
        let mut port = doc_port(&t, &picks);
        let ex = crate::protocols::voltronic_qs::tests::doc_exchanges(&t);
        port.raw(b"QGS\r", &ex.iter().filter(|(c, _)| c == b"QGS\r").nth(1).expect("second QGS").1);
        let d = Dev::start(port, &[]);
        assert!(d.claimed);
        assert_eq!(d.tokens(), vec!["OL", "BYPASS"]);
        assert!(d.rt.alarms.is_empty(), "{:?}", d.rt.alarms);
        for (k, v) in [
            ("battery.charge", "91"),
            ("battery.runtime", "20520"),
            ("battery.voltage.nominal", "72.0"),
            ("device.model", "3000"),
            ("ups.power.nominal", "3000"),
            ("ups.firmware", "01213.00"),
            ("input.transfer.high", "130"),
            ("input.transfer.high.min", "123"),
            ("input.transfer.high.max", "132"),
            ("input.transfer.low.min", "108"),
            ("input.transfer.low.max", "117"),
            ("ups.start.auto", "yes"),
            ("battery.energysave", "no"),
            ("outlet.0.switchable", "no"),
        ] {
            assert_eq!(d.get(k), Some(v), "{k}");
        }
        assert!(d.state.has_cmd("beeper.enable"));
        assert!(d.state.has_cmd("bypass.start"), "e is reported (disabled): ECO commands exist");
        assert_eq!(d.get("device.serial"), None);
    }

    #[test]
    fn unknown_protocols_and_garbage_are_not_claimed() {
        for qpi in ["(PI05", "(PI7", "(XX01", "(PI", ""] {
            let mut port = FakePort::with(&[(
                "QGS",
                "(234.9 50.0 229.8 50.0 000.0 000 369.1 ---.- 026.5 ---.- 018.8 100000000001",
            )]);
            port.raw(b"QPI\r", format!("{qpi}\r").as_bytes());
            let d = Dev::start(port, &[]);
            assert!(!d.claimed, "{qpi}");
            assert_eq!(d.get("input.voltage"), None, "withdrawn after a failed claim");
        }
        let port = FakePort::with(&[("QGS", "(NAK"), ("QPI", "(PI01")]);
        assert!(!Dev::start(port, &[]).claimed);
    }

    #[test]
    fn qflag_split_follows_nut() {
        assert_eq!(split_flags("EpashcjDbroegfl"), (Some("pashcj"), Some("broegfl")));
        // No enabled letter: the disabled ones come first.
        assert_eq!(split_flags("EDabc"), (Some("abc"), None));
        assert_eq!(split_flags("E"), (None, None));
        assert_eq!(split_flags(""), (None, None));
        assert_eq!(split_flags("Eab"), (Some("ab"), None));
        assert_eq!(split_flags("EaDbDc"), (Some("a"), Some("bDc")));
    }

    #[test]
    fn fault_codes() {
        assert_eq!(fault_text(1, "14"), ("Inverter short-circuited.".to_string(), false));
        assert_eq!(fault_text(1, "43"), ("Overload fault.".to_string(), true));
        assert_eq!(
            fault_text(1, "1B"),
            ("L2 inverter negative power out of acceptable range.".to_string(), false)
        );
        assert_eq!(fault_text(1, "2A"), ("Unknown fault [2A]".to_string(), false));
        assert_eq!(fault_text(31, "07"), ("Overload fault.".to_string(), true));
        assert_eq!(fault_text(31, "1A"), ("Unknown fault [1A]".to_string(), false));
        assert_eq!(fault_text(31, "55"), ("Output DC voltage exceeds its upper limit.".to_string(), false));
        assert_eq!(fault_text(3, "99"), ("Unknown fault [99]".to_string(), false));
        assert_eq!(fault_text(3, "é"), ("Unknown fault [é]".to_string(), false));
    }

    #[test]
    fn warnings_text_and_status() {
        let bits =
            |set: &[usize]| (1..=64).map(|i| if set.contains(&i) { '1' } else { '0' }).collect::<String>();
        assert_eq!(warning_text(&bits(&[])), None);
        assert_eq!(
            warning_text(&bits(&[8, 9, 56])),
            Some((
                "UPS warnings: Low battery. Overload alarm. Warning for Battery replace.".to_string(),
                vec!["LB", "OVER", "RB"]
            ))
        );
        assert_eq!(
            warning_text(&bits(&[59, 63])),
            Some(("UPS warnings: Unknown warnings [bit: #59, #63]".to_string(), vec![]))
        );
        // Too long for one value: the bit numbers instead.
        let (t, _) = warning_text(&bits(&[29, 30, 31, 32, 33, 34, 12])).expect("warnings");
        assert_eq!(t, "UPS warnings: Known (see log or manual) [bit: #12, #29, #30, #31, #32, #33, #34]");
    }

    #[test]
    fn bypass_limit_ranges_depend_on_protocol_and_nominal() {
        let mut st = State::new();
        st.set_info("ups.firmware.aux", "P01");
        st.set_info("input.voltage.nominal", "230.0");
        st.set_info("output.frequency.nominal", "60.0");
        let mut rt = Runtime::new(TABLE, BTreeMap::new());
        let mut port = FakePort::default();
        let ctx = Ctx { rt: &mut rt, state: &mut st, port: &mut port };
        fn admissible(ctx: &Ctx<'_>, list: &[InfoRw]) -> Vec<&'static str> {
            list.iter().filter(|r| r.check.is_none_or(|c| c(ctx, r.value))).map(|r| r.value).collect()
        }
        macro_rules! ok {
            ($l:expr) => {
                admissible(&ctx, $l)
            };
        }
        assert_eq!(ok!(R_BYPASS_VOLT_MAX), vec!["230", "264"]);
        assert_eq!(ok!(R_BYPASS_VOLT_MIN), vec!["170", "220"]);
        assert_eq!(ok!(R_BYPASS_FREQ_MAX), vec!["61.0", "70.0"]);
        assert_eq!(ok!(R_ECO_FREQ_MIN), vec!["50.0", "57.0"]);
        ctx.state.set_info("ups.firmware.aux", "P09");
        ctx.state.set_info("input.voltage.nominal", "120.0");
        assert_eq!(ok!(R_BYPASS_VOLT_MAX), vec!["60", "140"]);
        assert_eq!(ok!(R_BYPASS_VOLT_MIN), vec!["60", "140"]);
        ctx.state.del_info("input.voltage.nominal");
        assert!(ok!(R_BYPASS_VOLT_MAX).is_empty());
    }

    #[test]
    fn working_modes() {
        for (m, tokens, alarm) in [
            ("L", vec!["OL"], None),
            ("B", vec!["OB"], None),
            ("Y", vec!["OB", "BYPASS"], None),
            ("T", vec!["OB", "CAL"], None),
            ("D", vec!["OB", "FSD"], Some("UPS is shutting down!")),
            ("F", vec!["OB"], Some("Fault reported by UPS.")),
            ("P", vec!["OB"], Some("UPS is going ON.")),
            ("E", vec!["OB"], None),
        ] {
            let mut rt = Runtime::new(TABLE, BTreeMap::new());
            let mut st = State::new();
            let mut port = FakePort::default();
            let mut ctx = Ctx { rt: &mut rt, state: &mut st, port: &mut port };
            for it in TABLE.iter().filter(|i| i.command == "QMOD\r") {
                engine::infoval_set(&mut ctx, it, m).expect("mode");
            }
            assert_eq!(engine::status_tokens(ctx.rt.status), tokens, "{m}");
            assert_eq!(ctx.rt.alarms.first().map(String::as_str), alarm, "{m}");
            if m == "E" {
                assert_eq!(ctx.sub::<Volt>().buzzwords, vec!["vendor:voltronic:ECO-inverter-on"]);
            }
        }
    }
}
