//! `GET VAR|TYPE|DESC|CMDDESC|UPSDESC|NUMLOGINS`.
//!
//! Replies echo the UPS and variable names as the client spelled them (lookups ignore case).
//! The virtual `server.info` and `server.version` answer even for a stale or disconnected UPS
//! (even for an unknown UPS name) and always use their canonical lower-case names, as NUT does.

use nut_core::cmdvartab::UNAVAILABLE;

use super::{ver_string, CmdResult, Ctx};
use crate::state::Ups;
use nut_proto::sock::with_name_key;
use nut_proto::ErrCode;

/// `GET VAR <ups> <var>`.
pub fn var(cx: &mut Ctx<'_>, ups: &str, var: &str) -> CmdResult {
    let virt = if var.eq_ignore_ascii_case("server.info") {
        Some(("server.info", ver_string()))
    } else if var.eq_ignore_ascii_case("server.version") {
        Some(("server.version", nut_core::NUT_VERSION.to_string()))
    } else {
        None
    };
    if let Some((name, value)) = virt {
        let start = cx.out.begin();
        cx.out.push("VAR ").push(ups).push(" ").push(name).push(" ").quoted(&value);
        cx.out.end(start);
        return Ok(());
    }
    let u = cx.core.available(ups)?;
    let v = u.var(var).ok_or(ErrCode::VarNotSupported)?;
    let start = cx.out.begin();
    cx.out.push("VAR ").push(ups).push(" ").push(var).push(" ");
    push_value(cx.out, u, &v.name, &v.value);
    cx.out.end(start);
    Ok(())
}

/// Append a quoted value, with the FSD latch shown in front of `ups.status`.
pub fn push_value(out: &mut super::Out, u: &Ups, name: &str, value: &str) {
    if u.fsd && name.eq_ignore_ascii_case("ups.status") {
        out.buf.extend_from_slice(b"\"FSD ");
        out.buf.extend_from_slice(nut_proto::words::escape(value).as_bytes());
        out.buf.push(b'"');
    } else {
        out.quoted(value);
    }
}

/// `GET TYPE <ups> <var>`: `[RW] [ENUM] [RANGE] STRING:<n>|NUMBER`.
pub fn type_(cx: &mut Ctx<'_>, ups: &str, var: &str) -> CmdResult {
    let u = cx.core.available(ups)?;
    let v = u.var(var).ok_or(ErrCode::VarNotSupported)?;
    let start = cx.out.begin();
    cx.out.push("TYPE ").push(ups).push(" ").push(var);
    if v.flags.rw {
        cx.out.push(" RW");
    }
    if !v.enums.is_empty() {
        cx.out.push(" ENUM");
    }
    if !v.ranges.is_empty() {
        cx.out.push(" RANGE");
    }
    if v.flags.string {
        cx.out.push(" STRING:").push(&v.aux.to_string());
    } else {
        cx.out.push(" NUMBER");
    }
    cx.out.end(start);
    Ok(())
}

/// `GET DESC <ups> <var>`: from cmdvartab, else "Description unavailable".
pub fn desc(cx: &mut Ctx<'_>, ups: &str, var: &str) -> CmdResult {
    cx.core.available(ups)?;
    let descs = &cx.core.descs;
    let text = with_name_key(var, |k| descs.var(k)).or_else(|| descs.var(var)).unwrap_or(UNAVAILABLE);
    let start = cx.out.begin();
    cx.out.push("DESC ").push(ups).push(" ").push(var).push(" \"").push(text).push("\"");
    cx.out.end(start);
    Ok(())
}

/// `GET CMDDESC <ups> <cmd>`.
pub fn cmddesc(cx: &mut Ctx<'_>, ups: &str, cmd: &str) -> CmdResult {
    cx.core.available(ups)?;
    let descs = &cx.core.descs;
    let text = with_name_key(cmd, |k| descs.cmd(k)).or_else(|| descs.cmd(cmd)).unwrap_or(UNAVAILABLE);
    let start = cx.out.begin();
    cx.out.push("CMDDESC ").push(ups).push(" ").push(cmd).push(" \"").push(text).push("\"");
    cx.out.end(start);
    Ok(())
}

/// `GET UPSDESC <ups>`: the `desc` of ups.conf, else "Unavailable".
pub fn upsdesc(cx: &mut Ctx<'_>, ups: &str) -> CmdResult {
    let u = cx.core.known(ups)?;
    let text = u.desc.as_deref().unwrap_or("Unavailable");
    let start = cx.out.begin();
    cx.out.push("UPSDESC ").push(ups).push(" ").quoted(text);
    cx.out.end(start);
    Ok(())
}

/// `GET NUMLOGINS <ups>`: how many upsmon clients did LOGIN.
pub fn numlogins(cx: &mut Ctx<'_>, ups: &str) -> CmdResult {
    let u = cx.core.available(ups)?;
    let n = u.logins.len().to_string();
    cx.out.line(&["NUMLOGINS", ups, &n]);
    Ok(())
}
