//! `LIST UPS|VAR|RW|CMD|ENUM|RANGE|CLIENT`.
//!
//! The BEGIN/END lines repeat the list type in upper case and the names as the client typed
//! them (aionut and go.nut wait for that exact END line). The whole list is formatted into the
//! output buffer under one lock, so it is consistent and leaves in one write.

use nut_proto::ErrCode;

use super::get::push_value;
use super::{CmdResult, Ctx, Out};

fn begin(out: &mut Out, what: &str, args: &[&str]) {
    edge(out, "BEGIN", what, args);
}

fn end(out: &mut Out, what: &str, args: &[&str]) {
    edge(out, "END", what, args);
}

fn edge(out: &mut Out, word: &str, what: &str, args: &[&str]) {
    let start = out.begin();
    out.push(word).push(" LIST ").push(what);
    for a in args {
        out.push(" ").push(a);
    }
    out.end(start);
}

/// `LIST UPS`.
pub fn ups(cx: &mut Ctx<'_>) -> CmdResult {
    begin(cx.out, "UPS", &[]);
    for u in &cx.core.upses {
        let start = cx.out.begin();
        let desc = u.desc.as_deref().unwrap_or(nut_core::cmdvartab::UNAVAILABLE);
        // NUT escapes `"` and `\` in the description like any value.
        cx.out.push("UPS ").push(&u.name).push(" ").quoted(desc);
        cx.out.end(start);
    }
    end(cx.out, "UPS", &[]);
    Ok(())
}

/// `LIST VAR <ups>`.
pub fn var(cx: &mut Ctx<'_>, name: &str) -> CmdResult {
    vars(cx, name, "VAR", false)
}

/// `LIST RW <ups>`.
pub fn rw(cx: &mut Ctx<'_>, name: &str) -> CmdResult {
    vars(cx, name, "RW", true)
}

fn vars(cx: &mut Ctx<'_>, name: &str, what: &str, rw_only: bool) -> CmdResult {
    let u = cx.core.available(name)?;
    let out = &mut *cx.out;
    out.buf.reserve(u.vars.len() * 48);
    begin(out, what, &[name]);
    for v in u.vars.values() {
        if rw_only && !v.flags.rw {
            continue;
        }
        let start = out.begin();
        out.push(what).push(" ").push(name).push(" ").push(&v.name).push(" ");
        push_value(out, u, &v.name, &v.value);
        out.end(start);
    }
    end(out, what, &[name]);
    Ok(())
}

/// `LIST CMD <ups>`.
pub fn cmd(cx: &mut Ctx<'_>, name: &str) -> CmdResult {
    let u = cx.core.available(name)?;
    begin(cx.out, "CMD", &[name]);
    for c in u.cmds.values() {
        cx.out.line(&["CMD", name, c]);
    }
    end(cx.out, "CMD", &[name]);
    Ok(())
}

/// `LIST ENUM <ups> <var>`.
pub fn enum_(cx: &mut Ctx<'_>, name: &str, var: &str) -> CmdResult {
    let u = cx.core.available(name)?;
    let v = u.var(var).ok_or(ErrCode::VarNotSupported)?;
    begin(cx.out, "ENUM", &[name, var]);
    for e in &v.enums {
        let start = cx.out.begin();
        cx.out.push("ENUM ").push(name).push(" ").push(var).push(" ").quoted(e);
        cx.out.end(start);
    }
    end(cx.out, "ENUM", &[name, var]);
    Ok(())
}

/// `LIST RANGE <ups> <var>`.
pub fn range(cx: &mut Ctx<'_>, name: &str, var: &str) -> CmdResult {
    let u = cx.core.available(name)?;
    let v = u.var(var).ok_or(ErrCode::VarNotSupported)?;
    begin(cx.out, "RANGE", &[name, var]);
    for (min, max) in &v.ranges {
        let start = cx.out.begin();
        cx.out.push("RANGE ").push(name).push(" ").push(var).push(" ");
        cx.out.quoted(&min.to_string()).push(" ").quoted(&max.to_string());
        cx.out.end(start);
    }
    end(cx.out, "RANGE", &[name, var]);
    Ok(())
}

/// `LIST CLIENT <ups>`: addresses of the clients logged into it (no login needed).
pub fn client(cx: &mut Ctx<'_>, name: &str) -> CmdResult {
    let u = cx.core.known(name)?;
    begin(cx.out, "CLIENT", &[name]);
    // NUT walks its connection list, newest connection first (not in LOGIN order); our
    // connection ids grow with each accept.
    let mut logins: Vec<_> = u.logins.iter().collect();
    logins.sort_by_key(|l| std::cmp::Reverse(l.client));
    for l in logins {
        let addr = l.addr.to_string();
        cx.out.line(&["CLIENT", name, &addr]);
    }
    end(cx.out, "CLIENT", &[name]);
    Ok(())
}
