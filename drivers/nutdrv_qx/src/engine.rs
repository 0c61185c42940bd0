//! Walking a protocol table against the device: sending an item's command, checking and
//! cutting the answer, turning the value into a NUT variable or a status bit, instant
//! commands and variable writes. Everything goes through a [`Ctx`], so it runs the same
//! against a serial port, a USB bridge or a [`crate::port::FakePort`].

use nut_driver::{CmdResult, Flags};

use crate::format::{format, parse_leading_f64, parse_leading_i64, Arg};
use crate::model::{qxflags as qf, st, Ctx, Item, ItemError, WalkMode};
use crate::port::PortError;

/// How an item's value was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Used {
    /// It changed the status or the alarms.
    Status,
    /// It was published (or logged, for `NONUT` items).
    Published,
}

/// An answer and the value cut out of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// The answer after `preprocess_answer`, every byte of it (binary answers, such as
    /// ablerex's `Q5`, may hold NULs: hooks read them, the value stops at the first one).
    pub raw: Vec<u8>,
    /// The characters `from..=to` (or to the CR).
    pub value: String,
}

/// Check an answer against an item and cut the value out (NUT's `qx_process_answer`).
/// `rejected` is the subdriver's "command refused" answer. The minimum length counts every
/// byte received; the refusal and the value are read as text, up to the first NUL.
pub fn cut_answer(item: &Item, raw: &[u8], rejected: Option<&str>) -> Result<String, ItemError> {
    let full = raw;
    let raw = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(raw.len())];
    let text = ascii_text(raw);
    if let Some(r) = rejected {
        if text.eq_ignore_ascii_case(r) {
            return Err(ItemError::new(format!("query rejected by the UPS ({})", item.info_type)));
        }
    }
    if item.answer_len > 0 && full.len() < usize::from(item.answer_len) {
        return Err(ItemError::new(format!(
            "short reply ({}) {}<{}",
            item.info_type,
            full.len(),
            item.answer_len
        )));
    }
    if item.leading != 0 && full.first() != Some(&item.leading) {
        return Err(ItemError::new(format!(
            "{} - invalid start character [{:02x}], expected [{:02x}]",
            item.info_type,
            full.first().copied().unwrap_or(0),
            item.leading
        )));
    }
    if item.to != 0 && item.to < item.from {
        return Err(ItemError::new(format!(
            "in {}, starting char's position ({}) follows ending char's one ({})",
            item.info_type, item.from, item.to
        )));
    }
    if raw.is_empty() {
        return Ok(String::new());
    }
    let end = if item.to != 0 {
        (usize::from(item.to) + 1).min(raw.len())
    } else {
        raw.iter().position(|&b| b == b'\r').unwrap_or(raw.len())
    };
    let start = usize::from(item.from).min(end);
    Ok(ascii_text(&raw[start..end]))
}

/// An answer as text, one character per byte: a byte above 0x7f (line noise, a binary
/// answer read as text) becomes `?`, so that positions in the text are positions in the
/// answer and the protocols' hooks can cut it by position whatever the device sent.
pub fn ascii_text(raw: &[u8]) -> String {
    raw.iter().map(|&b| if b.is_ascii() { char::from(b) } else { '?' }).collect()
}

/// Bytes up to the first NUL (NUT copies answers between items as C strings).
fn c_string(mut v: Vec<u8>) -> Vec<u8> {
    if let Some(n) = v.iter().position(|&b| b == 0) {
        v.truncate(n);
    }
    v
}

/// Send an item's command (or `command` instead) and cut its answer (NUT's `qx_process`).
pub fn process(
    ctx: &mut Ctx<'_>,
    item: &Item,
    command: Option<&str>,
    rejected: Option<&str>,
) -> Result<Answer, ItemError> {
    let mut cmd = command.unwrap_or(item.command).as_bytes().to_vec();
    if let Some(pc) = item.preprocess_command {
        cmd = pc(ctx, item, cmd)?;
    }
    // No answer within the timeout is an empty answer, as in NUT: fine for commands the
    // device does not acknowledge, a short reply for queries.
    let raw = match ctx.command(&cmd) {
        Ok(r) => r,
        Err(PortError::Timeout) => Vec::new(),
        Err(e) => return Err(ItemError::new(format!("{}: {e}", item.info_type))),
    };
    nut_driver::trace!("{}: answer {:?}", item.info_type, String::from_utf8_lossy(&raw));
    let raw = match item.preprocess_answer {
        Some(pa) => pa(ctx, item, raw)?,
        None => raw,
    };
    let value = cut_answer(item, &raw, rejected)?;
    Ok(Answer { raw, value })
}

/// The value an item without `preprocess` publishes: trimmed with `TRIM`, formatted with
/// `dfl` (a numeric format requires digits, blanks and dots only).
pub fn standard_value(item: &Item, value: &str) -> Result<String, ItemError> {
    let mut v = value.to_string();
    if item.has(qf::TRIM) {
        v = v.trim_matches(|c| c == '#' || c == ' ').to_string();
    }
    let dfl = item.dfl.unwrap_or("%s");
    if dfl.eq_ignore_ascii_case("%s") {
        return Ok(v);
    }
    if !v.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '.') {
        return Err(ItemError::new(format!("non numerical value [{}: {v}]", item.info_type)));
    }
    format(dfl, Arg::Num(parse_leading_f64(&v)))
        .ok_or_else(|| ItemError::new(format!("bad format {dfl:?} for {}", item.info_type)))
}

/// Use an item's value (NUT's `ups_infoval_set`): status/alarm items change the status,
/// others are published.
pub fn infoval_set(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<Used, ItemError> {
    infoval_set_answer(ctx, item, value, None)
}

/// [`infoval_set`] with the whole answer the value was cut from (seen by hooks as
/// [`crate::model::Runtime::answer`]).
pub fn infoval_set_answer(
    ctx: &mut Ctx<'_>,
    item: &Item,
    value: &str,
    answer: Option<&[u8]>,
) -> Result<Used, ItemError> {
    if let Some(a) = answer {
        ctx.rt.answer = a.to_vec();
    }
    let v = match item.preprocess {
        Some(pre) => {
            let v = pre(ctx, item, value)?;
            if item.info_type.starts_with("ups.status") {
                if !v.is_empty() {
                    ctx.update_status(&v);
                }
                return Ok(Used::Status);
            }
            if item.info_type.starts_with("ups.alarm") {
                if !v.is_empty() {
                    ctx.alarm(&v);
                }
                return Ok(Used::Status);
            }
            v
        }
        None => standard_value(item, value)?,
    };
    if item.has(qf::NONUT) {
        nut_driver::debug!("{}: {v}", item.info_type);
        return Ok(Used::Published);
    }
    if v.is_empty() {
        return Err(ItemError::new(format!("non significant value [{}]", item.info_type)));
    }
    ctx.state.set_info(item.info_type, &v);
    if item.info_type.eq_ignore_ascii_case("battery.charge") {
        ctx.rt.charge_read = true;
    } else if item.info_type.eq_ignore_ascii_case("battery.runtime") {
        ctx.rt.runtime_read = true;
    }
    Ok(Used::Published)
}

/// The `info_rw` values of an item that apply to this device.
fn rw_values<'a>(ctx: &Ctx<'_>, item: &'a Item) -> Vec<&'a str> {
    item.info_rw
        .iter()
        .take_while(|r| !r.value.is_empty())
        .filter(|r| r.check.is_none_or(|c| c(ctx, r.value)))
        .map(|r| r.value)
        .collect()
}

/// Publish a variable's flags, length, enumeration or range (NUT's `qx_set_var`).
pub fn set_var_info(ctx: &mut Ctx<'_>, item: &Item) {
    let nonut = item.has(qf::NONUT);
    if !nonut {
        ctx.state.set_flags(
            item.info_type,
            Flags {
                rw: item.info_flags & st::RW != 0,
                string: item.info_flags & st::STRING != 0,
                number: item.info_flags & st::NUMBER != 0,
            },
        );
        if item.info_flags & st::STRING != 0 {
            let len = item.info_rw.first().map_or(0, |r| parse_leading_i64(r.value));
            ctx.state.set_aux(item.info_type, len);
        }
    }
    if item.has(qf::ENUM) {
        let vals = rw_values(ctx, item);
        if nonut {
            let list: String = vals.iter().map(|v| format!(" {v}")).collect();
            nut_driver::info!(
                "{}, settable values:{}",
                item.info_type,
                if list.is_empty() { " none" } else { &list }
            );
        } else {
            for v in vals {
                ctx.state.add_enum(item.info_type, v);
            }
        }
    }
    if item.has(qf::RANGE) {
        let vals = rw_values(ctx, item);
        let mut ok = false;
        for pair in vals.chunks(2) {
            let [from, to] = pair else { break };
            if nonut {
                nut_driver::info!("{}, settable range: {from}..{to}", item.info_type);
                ok = true;
            } else {
                let (a, b) = (parse_leading_i64(from), parse_leading_i64(to));
                if a > i64::from(i32::MAX) || b > i64::from(i32::MAX) {
                    nut_driver::info!("{}, settable range exceeds INT_MAX: {a}..{b}", item.info_type);
                } else {
                    ctx.state.add_range(item.info_type, a, b);
                }
            }
        }
        if nonut && !ok {
            nut_driver::info!("{}, settable range: none", item.info_type);
        }
    }
}

/// One pass over the table (NUT's `qx_ups_walk` without the battery estimation, which the
/// caller does after a full walk). Returns false when a `QUICK_POLL` item failed (the
/// data can't be trusted). `rejected` is the subdriver's refusal answer.
pub fn walk(ctx: &mut Ctx<'_>, mode: WalkMode, rejected: Option<&str>) -> bool {
    ctx.rt.walkmode = mode;
    if mode == WalkMode::FullUpdate {
        ctx.rt.battvolt_considered = false;
        ctx.rt.charge_read = false;
        ctx.rt.runtime_read = false;
    }
    let mut previous: Option<(&'static str, Vec<u8>)> = None;
    let mut i = 0;
    while i < ctx.rt.items.len() {
        let item = ctx.rt.items[i];
        i += 1;
        if item.has(qf::SKIP) {
            continue;
        }
        match mode {
            WalkMode::Init => {
                if item.has(qf::ABSENT) {
                    if ctx.state.get_info(item.info_type).is_none() {
                        ctx.state.set_info(item.info_type, item.dfl.unwrap_or(""));
                        set_var_info(ctx, &item);
                    }
                    continue;
                }
                let dup_ok =
                    item.info_type.starts_with("ups.alarm") || item.info_type.starts_with("ups.status");
                if !dup_ok && ctx.state.get_info(item.info_type).is_some() {
                    continue;
                }
            }
            WalkMode::QuickUpdate => {
                if !item.has(qf::QUICK_POLL) {
                    continue;
                }
            }
            WalkMode::FullUpdate => {
                if item.qxflags & (qf::ABSENT | qf::CMD | qf::SETVAR | qf::STATIC) != 0 {
                    continue;
                }
                if item.has(qf::SEMI_STATIC) && !ctx.rt.data_has_changed {
                    continue;
                }
            }
        }
        if item.has(qf::CMD) {
            ctx.state.add_cmd(item.info_type);
            continue;
        }
        if item.has(qf::SETVAR) {
            if item.has(qf::NONUT) {
                let _ = setvar(ctx, item.info_type, None, None);
                ctx.rt.items[i - 1].qxflags |= qf::SKIP;
            }
            continue;
        }
        let res = match &previous {
            Some((c, raw)) if !raw.is_empty() && c.eq_ignore_ascii_case(item.command) => {
                cut_answer(&item, raw, rejected).map(|value| Answer { raw: raw.clone(), value })
            }
            _ => process(ctx, &item, None, rejected),
        };
        // Items sharing the command reuse the answer as text (up to a NUL), as NUT does.
        previous = Some((item.command, res.as_ref().map(|a| c_string(a.raw.clone())).unwrap_or_default()));
        let answer = match res {
            Ok(a) => a,
            Err(e) => {
                nut_driver::debug!("{e}");
                if item.has(qf::QUICK_POLL) {
                    return false;
                }
                if mode == WalkMode::Init {
                    ctx.rt.items[i - 1].qxflags |= qf::SKIP;
                }
                continue;
            }
        };
        match infoval_set_answer(ctx, &item, &answer.value, Some(&answer.raw)) {
            Err(e) => {
                nut_driver::debug!("failed to preprocess value [{}: {}]: {e}", item.info_type, answer.value);
                if item.has(qf::QUICK_POLL) {
                    return false;
                }
            }
            Ok(Used::Published) if mode == WalkMode::Init => set_var_info(ctx, &item),
            Ok(_) => {}
        }
    }
    true
}

/// Compose `ups.status` from the status bits, in NUT's order.
pub fn status_tokens(bits: u32) -> Vec<&'static str> {
    use crate::model::status::*;
    let mut t = vec![if bits & OL != 0 { "OL" } else { "OB" }];
    for (bit, name) in [
        (DISCHRG, "DISCHRG"),
        (CHRG, "CHRG"),
        (LB, "LB"),
        (OVER, "OVER"),
        (RB, "RB"),
        (TRIM, "TRIM"),
        (BOOST, "BOOST"),
        (BYPASS, "BYPASS"),
        (OFF, "OFF"),
        (CAL, "CAL"),
        (FSD, "FSD"),
    ] {
        if bits & bit != 0 {
            t.push(name);
        }
    }
    t
}

/// Alarms NUT derives from the status bits.
pub fn status_alarms(bits: u32) -> Vec<&'static str> {
    use crate::model::status::*;
    let mut a = Vec::new();
    if bits & RB != 0 {
        a.push("Replace battery!");
    }
    if bits & FSD != 0 {
        a.push("Shutdown imminent!");
    }
    a
}

/// Run an instant command (NUT's `instcmd`), with its fallbacks on `load.on.delay`,
/// `load.off.delay` when the table lacks `load.on`/`load.off`/`shutdown.*`.
pub fn instcmd(
    ctx: &mut Ctx<'_>,
    sub: (Option<&str>, Option<&str>),
    cmd: &str,
    extra: Option<&str>,
) -> CmdResult {
    let (accepted, rejected) = sub;
    if cmd.eq_ignore_ascii_case("beeper.off") {
        nut_driver::warn!("The 'beeper.off' command has been renamed to 'beeper.disable'");
        return instcmd(ctx, sub, "beeper.disable", None);
    }
    if cmd.eq_ignore_ascii_case("beeper.on") {
        nut_driver::warn!("The 'beeper.on' command has been renamed to 'beeper.enable'");
        return instcmd(ctx, sub, "beeper.enable", None);
    }
    nut_driver::info!("instcmd({cmd}, {})", extra.unwrap_or("[NULL]"));
    let Some(idx) = ctx.rt.find(cmd, qf::CMD, qf::SKIP) else {
        let info = |ctx: &Ctx<'_>, n: &str| ctx.state.get_info(n).map(str::to_string);
        match cmd.to_ascii_lowercase().as_str() {
            "load.on" => return instcmd(ctx, sub, "load.on.delay", Some("0")),
            "load.off" => return instcmd(ctx, sub, "load.off.delay", Some("0")),
            "shutdown.return" | "shutdown.stayoff" => {
                let ret = cmd.eq_ignore_ascii_case("shutdown.return");
                if ctx.state.get_info("ups.start.auto").is_some()
                    && setvar(ctx, "ups.start.auto", Some(if ret { "yes" } else { "no" }), accepted)
                        != CmdResult::Handled
                {
                    nut_driver::warn!("instcmd: FAILED");
                    return CmdResult::Failed;
                }
                let start = if ret { info(ctx, "ups.delay.start") } else { Some("-1".to_string()) };
                let r = instcmd(ctx, sub, "load.on.delay", start.as_deref());
                if r != CmdResult::Handled {
                    return r;
                }
                let sd = info(ctx, "ups.delay.shutdown");
                return instcmd(ctx, sub, "load.off.delay", sd.as_deref());
            }
            _ => return CmdResult::Invalid,
        }
    };
    let item = ctx.rt.items[idx];
    let value = extra.or(item.dfl).unwrap_or("");
    let command = match item.preprocess {
        Some(pre) => match pre(ctx, &item, value) {
            Ok(c) => c,
            Err(e) => {
                nut_driver::warn!("instcmd: FAILED ({e})");
                return CmdResult::Failed;
            }
        },
        None => String::new(),
    };
    let answer = match process(ctx, &item, (!command.is_empty()).then_some(command.as_str()), rejected) {
        Ok(a) => a,
        Err(e) => {
            nut_driver::warn!("instcmd: FAILED ({e})");
            return CmdResult::Failed;
        }
    };
    if !answer.value.is_empty() && !accepted.is_some_and(|a| answer.value.eq_ignore_ascii_case(a)) {
        nut_driver::warn!("instcmd: FAILED");
        return CmdResult::Failed;
    }
    nut_driver::info!("instcmd: SUCCEED");
    ctx.rt.data_has_changed = true;
    CmdResult::Handled
}

/// Write a variable (NUT's `setvar`). For a `NONUT` item, `value` is ignored and the
/// ups.conf option of the same name is used. Checks the value against the range, the
/// enumeration or the string length first.
pub fn setvar(ctx: &mut Ctx<'_>, var: &str, value: Option<&str>, accepted: Option<&str>) -> CmdResult {
    let Some(idx) = ctx.rt.find(var, qf::SETVAR, qf::SKIP) else {
        return CmdResult::Unknown;
    };
    let item = ctx.rt.items[idx];
    let nonut = item.has(qf::NONUT);
    let value: String = if nonut {
        if !ctx.testvar(item.info_type) {
            return CmdResult::Handled;
        }
        let v = ctx.getval(item.info_type).unwrap_or("").to_string();
        nut_driver::info!("setvar({var}, {})", if v.is_empty() { "[NULL]" } else { &v });
        v
    } else {
        let v = value.unwrap_or("");
        nut_driver::info!("setvar({var}, {})", if v.is_empty() { "[NULL]" } else { v });
        if v.is_empty() {
            nut_driver::warn!("setvar: value not given for {}", item.info_type);
            return CmdResult::Unknown;
        }
        if ctx.state.get_info(item.info_type).is_some_and(|cur| cur.eq_ignore_ascii_case(v)) {
            nut_driver::info!("setvar: nothing to do... [{}]", item.info_type);
            return CmdResult::Handled;
        }
        v.to_string()
    };
    if item.has(qf::RANGE) {
        if !value.chars().all(|c| c.is_ascii_digit() || c == ' ' || c == '.') || value.is_empty() {
            nut_driver::warn!("setvar: non numerical value [{}: {value}]", item.info_type);
            return CmdResult::Unknown;
        }
        let v = parse_leading_i64(&value);
        let ranges: Vec<(i64, i64)> = if nonut {
            rw_values(ctx, &item)
                .chunks(2)
                .filter_map(|p| match p {
                    [a, b] => Some((parse_leading_i64(a), parse_leading_i64(b))),
                    _ => None,
                })
                .collect()
        } else {
            match ctx.state.var(item.info_type) {
                Some(var) if !var.ranges.is_empty() => var.ranges.clone(),
                _ => {
                    nut_driver::warn!("setvar: unable to find ranges for {}", item.info_type);
                    return CmdResult::Unknown;
                }
            }
        };
        if !ranges.iter().any(|&(a, b)| a <= v && v <= b) {
            nut_driver::warn!("setvar: value out of range [{}: {value}]", item.info_type);
            return CmdResult::Unknown;
        }
    } else if item.has(qf::ENUM) {
        let ok = if nonut {
            rw_values(ctx, &item).iter().any(|e| e.eq_ignore_ascii_case(&value))
        } else {
            match ctx.state.var(item.info_type) {
                Some(var) if !var.enums.is_empty() => {
                    var.enums.iter().any(|e| e.eq_ignore_ascii_case(&value))
                }
                _ => {
                    nut_driver::warn!("setvar: unable to find enums for {}", item.info_type);
                    return CmdResult::Unknown;
                }
            }
        };
        if !ok {
            nut_driver::warn!("setvar: value out of range [{}: {value}]", item.info_type);
            return CmdResult::Unknown;
        }
    } else if item.info_flags & st::STRING != 0 {
        let aux = ctx.state.var(item.info_type).map_or(-1, |v| v.aux);
        if aux < 0 {
            return CmdResult::Unknown;
        }
        if aux < value.len() as i64 {
            nut_driver::warn!("setvar: value is too long [{}: {value}]", item.info_type);
            return CmdResult::Unknown;
        }
    }
    let command = match item.preprocess {
        Some(pre) => match pre(ctx, &item, &value) {
            Ok(c) => c,
            Err(e) => {
                nut_driver::warn!("setvar: FAILED ({e})");
                return CmdResult::Unknown;
            }
        },
        // A server-side variable without a hook takes the value as it is.
        None if item.has(qf::ABSENT) => value.clone(),
        None => String::new(),
    };
    if item.has(qf::ABSENT) {
        ctx.state.set_info(item.info_type, &command);
        nut_driver::info!("setvar: SUCCEED");
        return CmdResult::Handled;
    }
    let answer = match process(ctx, &item, (!command.is_empty()).then_some(command.as_str()), None) {
        Ok(a) => a,
        Err(e) => {
            nut_driver::warn!("setvar: FAILED ({e})");
            return CmdResult::Unknown;
        }
    };
    if !answer.value.is_empty() && !accepted.is_some_and(|a| answer.value.eq_ignore_ascii_case(a)) {
        nut_driver::warn!("setvar: FAILED");
        return CmdResult::Unknown;
    }
    nut_driver::info!("setvar: SUCCEED");
    ctx.rt.data_has_changed = true;
    CmdResult::Handled
}

/// NUT's `qx_multiply_battvolt`: `battery.voltage` of one pack times the number of packs
/// when `battery_voltage_reports_one_pack` is set.
pub fn multiply_battvolt(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    ctx.rt.battvolt_considered = true;
    if !ctx.rt.batt_one_pack || ctx.rt.batt_packs < 2.0 {
        return Ok(value.to_string());
    }
    let v: f64 = value.trim().parse().map_err(|_| ItemError::new(format!("unparsable ss.ss {value}")))?;
    let _ = item;
    Ok(format!("{:.2}", v * ctx.rt.batt_packs))
}

/// NUT's `qx_multiply_x1000`: kilo-units to units.
pub fn multiply_x1000(_ctx: &mut Ctx<'_>, _item: &Item, value: &str) -> Result<String, ItemError> {
    let v: f64 = value.trim().parse().map_err(|_| ItemError::new(format!("unparsable ss.ss {value}")))?;
    Ok(format!("{:.2}", v * 1000.0))
}

/// NUT's `qx_multiply_m2s`: minutes to seconds.
pub fn multiply_m2s(_ctx: &mut Ctx<'_>, _item: &Item, value: &str) -> Result<String, ItemError> {
    let v: f64 = value.trim().parse().map_err(|_| ItemError::new(format!("unparsable ss.ss {value}")))?;
    Ok(format!("{:.0}", v * 60.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A byte above 0x7f (line noise) must not move the positions items cut at: found by the
    /// qx_reply fuzz target, where voltronic's QPI hook cut a lossy UTF-8 text inside a
    /// replacement character and panicked.
    #[test]
    fn non_ascii_bytes_keep_positions() {
        assert_eq!(ascii_text(b"(2\xff\xff\x86.0"), "(2???.0");
        let item = Item { info_type: "x", command: "QPI\r", from: 1, to: 3, ..Item::NONE };
        assert_eq!(cut_answer(&item, b"(P\xffI30\r", None).as_deref(), Ok("P?I"));
    }
}
