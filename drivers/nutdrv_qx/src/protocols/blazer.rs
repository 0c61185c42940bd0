//! What the Megatec-family tables share (NUT's blazer-common): the claim, the status bits of
//! the `Q1` answer, the shutdown/test command composition, the delay settings, and the
//! `norating`/`novendor`/`ignoresab` options.

use crate::engine;
use crate::format::{format, parse_leading_i64, Arg};
use crate::model::{qxflags as qf, Ctx, InfoRw, Item, ItemError, SubOpt};

/// `ups.delay.start` range (seconds).
pub static R_ONDELAY: &[InfoRw] = &[InfoRw::new("0"), InfoRw::new("599940")];
/// `ups.delay.shutdown` range (seconds).
pub static R_OFFDELAY: &[InfoRw] = &[InfoRw::new("12"), InfoRw::new("600")];

/// `ignoresab` only.
pub static OPTS_LIGHT: &[SubOpt] =
    &[SubOpt { name: "ignoresab", value: false, help: "Ignore 'Shutdown Active' bit in UPS status" }];

/// `norating`, `novendor`, `ignoresab`.
pub static OPTS: &[SubOpt] = &[
    SubOpt { name: "norating", value: false, help: "Skip reading rating information from UPS" },
    SubOpt { name: "novendor", value: false, help: "Skip reading vendor information from UPS" },
    SubOpt { name: "ignoresab", value: false, help: "Ignore 'Shutdown Active' bit in UPS status" },
];

/// Read and publish one item; true when it gave a value.
pub fn read_one(ctx: &mut Ctx<'_>, name: &str) -> bool {
    let Some(idx) = ctx.rt.find(name, 0, 0) else { return false };
    let item = ctx.rt.items[idx];
    match engine::process(ctx, &item, None, None) {
        Ok(a) => {
            engine::infoval_set_answer(ctx, &item, &a.value, Some(&a.raw)) == Ok(engine::Used::Published)
        }
        Err(e) => {
            nut_driver::debug!("claim: {e}");
            false
        }
    }
}

/// The device answers the status query (`input.voltage`) and, unless `novendor`, the vendor
/// query (`ups.firmware`).
pub fn claim(ctx: &mut Ctx<'_>) -> bool {
    if !read_one(ctx, "input.voltage") {
        return false;
    }
    if ctx.testvar("novendor") {
        return true;
    }
    if !read_one(ctx, "ups.firmware") {
        ctx.state.del_info("input.voltage");
        return false;
    }
    true
}

/// The device gives every item of `names` (each read with its own query, in that order):
/// the claim of the subdrivers that list their mandatory data.
pub fn claim_items(ctx: &mut Ctx<'_>, names: &[&str]) -> bool {
    names.iter().all(|n| read_one(ctx, n))
}

/// The device answers the status query.
pub fn claim_light(ctx: &mut Ctx<'_>) -> bool {
    read_one(ctx, "input.voltage")
}

fn skip_where(ctx: &mut Ctx<'_>, what: &str, pred: impl Fn(&Item) -> bool) {
    for it in ctx.rt.items.iter_mut().filter(|i| pred(i)) {
        nut_driver::debug!("skipping {} ({what})", it.info_type);
        it.qxflags |= qf::SKIP;
    }
}

fn is_sab(i: &Item) -> bool {
    i.info_type.eq_ignore_ascii_case("ups.status") && i.from == 44 && i.to == 44
}

/// `norating` skips the `F` query, `novendor` the `I`/`FW?` ones, `ignoresab` the
/// "Shutdown Active" bit.
pub fn initups(ctx: &mut Ctx<'_>) -> Result<(), ItemError> {
    if ctx.testvar("norating") {
        skip_where(ctx, "norating", |i| i.command.eq_ignore_ascii_case("F\r"));
    }
    if ctx.testvar("novendor") {
        skip_where(ctx, "novendor", |i| {
            i.command.eq_ignore_ascii_case("I\r") || i.command.eq_ignore_ascii_case("FW?\r")
        });
    }
    if ctx.testvar("ignoresab") {
        skip_where(ctx, "'Shutdown Active' bit", is_sab);
    }
    Ok(())
}

/// `ignoresab` only.
pub fn initups_light(ctx: &mut Ctx<'_>) -> Result<(), ItemError> {
    if ctx.testvar("ignoresab") {
        skip_where(ctx, "'Shutdown Active' bit", is_sab);
    }
    Ok(())
}

/// `ups.delay.start` is set in whole minutes, `ups.delay.shutdown` in steps of 6 s below a
/// minute and whole minutes above.
pub fn process_setvar(_ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    if value.is_empty() {
        return Err(ItemError::new(format!("value not given for {}", item.info_type)));
    }
    let v = parse_leading_i64(value);
    if item.info_type.eq_ignore_ascii_case("ups.delay.start") {
        if v < 0 {
            nut_driver::error!("{}: ondelay '{v}' should not be negative", item.info_type);
            return Err(ItemError::new("negative ondelay"));
        }
        Ok((v - v % 60).to_string())
    } else if item.info_type.eq_ignore_ascii_case("ups.delay.shutdown") {
        if v < 0 {
            nut_driver::error!("{}: offdelay '{v}' should not be negative", item.info_type);
            return Err(ItemError::new("negative offdelay"));
        }
        Ok(if v < 60 { v - v % 6 } else { v - v % 60 }.to_string())
    } else {
        Err(ItemError::new(format!("no setvar preprocessing for {}", item.info_type)))
    }
}

/// The shutdown delay as the `S` command wants it: `.n` tenths of a minute below a minute,
/// `nn` minutes otherwise.
fn offdelay_arg(item: &Item, offdelay: i64) -> Result<String, ItemError> {
    if offdelay < 0 {
        nut_driver::error!("{}: offdelay '{offdelay}' should not be negative", item.info_type);
        return Err(ItemError::new("negative offdelay"));
    }
    Ok(if offdelay < 60 { format!(".{}", offdelay / 6) } else { format!("{:02}", offdelay / 60) })
}

/// Compose `shutdown.return` (`S<n>[R<m>]`), `shutdown.stayoff` (`S<n>R0000`) and
/// `test.battery.start` (`T<minutes>`, 60..5940 s, default 600).
pub fn process_command(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let info = |n: &str| ctx.state.get_info(n).map_or(0, parse_leading_i64);
    let fill = |arg: &str| {
        format(item.command, Arg::Str(arg))
            .ok_or_else(|| ItemError::new(format!("bad command template {:?}", item.command)))
    };
    match item.info_type.to_ascii_lowercase().as_str() {
        "shutdown.return" => {
            let offdelay = info("ups.delay.shutdown");
            let ondelay = info("ups.delay.start") / 60;
            let arg = if ondelay <= 0 {
                offdelay_arg(item, offdelay)?
            } else {
                format!("{}R{ondelay:04}", offdelay_arg(item, offdelay)?)
            };
            fill(&arg)
        }
        "shutdown.stayoff" => {
            let arg = offdelay_arg(item, info("ups.delay.shutdown"))?;
            fill(&arg)
        }
        "test.battery.start" => {
            let delay = if value.is_empty() { 600 } else { parse_leading_i64(value) };
            if !(60..=5940).contains(&delay) {
                nut_driver::error!(
                    "{}: battery test time '{delay}' out of range [60..5940] seconds",
                    item.info_type
                );
                return Err(ItemError::new("battery test time out of range"));
            }
            if item.command.contains('%') {
                format(item.command, Arg::Num((delay / 60) as f64))
                    .ok_or_else(|| ItemError::new(format!("bad command template {:?}", item.command)))
            } else {
                Ok(item.command.to_string())
            }
        }
        _ => Err(ItemError::new(format!("no command preprocessing for {}", item.info_type))),
    }
}

/// The status bits of the `Q1` answer (positions 38..=45).
pub fn process_status_bits(ctx: &mut Ctx<'_>, item: &Item, value: &str) -> Result<String, ItemError> {
    let bit = match value {
        "0" => false,
        "1" => true,
        _ => return Err(ItemError::new(format!("unexpected value {value}@{}", item.from))),
    };
    let v = match item.from {
        38 => {
            if bit {
                "!OL"
            } else {
                "OL"
            }
        }
        39 => {
            if bit {
                "LB"
            } else {
                "!LB"
            }
        }
        40 => {
            if !bit {
                ""
            } else {
                let num = |n: &str| ctx.state.get_info(n).map_or(0.0, crate::format::parse_leading_f64);
                let (vi, vo) = (num("input.voltage"), num("output.voltage"));
                if vo < 0.5 * vi {
                    return Err(ItemError::new("output voltage too low"));
                } else if vo < 0.95 * vi {
                    "TRIM"
                } else if vo < 1.05 * vi {
                    "BYPASS"
                } else if vo < 1.5 * vi {
                    "BOOST"
                } else {
                    return Err(ItemError::new("output voltage too high"));
                }
            }
        }
        41 => {
            if bit {
                "UPS selftest failed!"
            } else {
                ""
            }
        }
        42 => {
            if bit {
                "offline / line interactive"
            } else {
                "online"
            }
        }
        43 => {
            if bit {
                "CAL"
            } else {
                "!CAL"
            }
        }
        44 => {
            if bit {
                "FSD"
            } else {
                "!FSD"
            }
        }
        45 => {
            if bit {
                "enabled"
            } else {
                "disabled"
            }
        }
        _ => return Err(ItemError::new(format!("no status bit at {}", item.from))),
    };
    Ok(v.to_string())
}

/// The rating and vendor queries of a Megatec-family table, which blazer_ser / blazer_usb
/// read their own way (see [`crate::legacy`]) instead of through the table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegacyQueries {
    /// The rating query (`F`), if the table has one.
    pub rating: Option<&'static str>,
    /// The vendor query (`I`, zinto's `FW?`), if the table has one.
    pub vendor: Option<&'static str>,
}

/// Turn a Megatec-family table into what blazer_ser/blazer_usb walk: without the rating and
/// vendor items (returned, to be read by [`crate::legacy`]), and `battery.voltage` formatted
/// `%.2f` as they publish it.
pub fn legacy_items(items: &mut Vec<Item>) -> LegacyQueries {
    let find = |items: &[Item], cmds: &[&str]| {
        items.iter().find(|i| cmds.iter().any(|c| i.command.eq_ignore_ascii_case(c))).map(|i| i.command)
    };
    let q = LegacyQueries { rating: find(items, &["F\r"]), vendor: find(items, &["I\r", "FW?\r"]) };
    items.retain(|i| Some(i.command) != q.rating && Some(i.command) != q.vendor);
    for it in items.iter_mut().filter(|i| i.info_type == "battery.voltage") {
        it.preprocess = None;
    }
    q
}
