//! `SET VAR <ups> <var> <value>`: checked here (rights, RW, length, enum, range) and passed
//! to the driver, which answers later through TRACKING.

use nut_core::num::atoi;
use nut_proto::ErrCode;

use super::{CmdResult, Ctx};
use crate::auth::Right;

/// Validate like NUT and forward `SET <var> "<value>" [TRACKING <id>]` to the driver.
pub fn run(cx: &mut Ctx<'_>, ups: &str, var: &str, value: &str) -> CmdResult {
    let u = cx.core.available(ups)?;
    let s = &*cx.session;
    if !cx.core.users.allows(s.username.as_deref(), s.password.as_deref(), Right::Set) {
        return Err(ErrCode::AccessDenied);
    }
    let v = u.var(var).ok_or(ErrCode::VarNotSupported)?;
    if !v.flags.rw {
        return Err(ErrCode::Readonly);
    }
    if v.flags.string {
        // NUT refuses every value for a string variable whose driver never sent SETAUX.
        if v.aux <= 0 {
            return Err(ErrCode::SetFailed);
        }
        if value.len() as i64 > v.aux {
            return Err(ErrCode::TooLong);
        }
    }
    if !v.enums.is_empty() && !v.enums.iter().any(|e| e == value) {
        return Err(ErrCode::InvalidValue);
    }
    if !v.ranges.is_empty() {
        let n = atoi(value);
        if !v.ranges.iter().any(|(min, max)| (*min..=*max).contains(&n)) {
            return Err(ErrCode::InvalidValue);
        }
    }
    let tx = u.to_driver.clone().ok_or(ErrCode::SetFailed)?;
    let ups_name = u.name.clone();
    let id = if cx.session.tracking { Some(cx.core.tracking.add()) } else { None };
    let mut line = format!("SET {} {}", nut_proto::words::escape(var), nut_proto::words::quote(value));
    if let Some(id) = &id {
        line.push_str(" TRACKING ");
        line.push_str(id);
    }
    line.push('\n');
    if tx.send(line).is_err() {
        tracing::info!("Set command send failed");
        return Err(ErrCode::SetFailed);
    }
    tracing::info!(
        "Set variable: {} set {} on {} to {} (tracking ID: {})",
        cx.session.who(),
        var,
        ups_name,
        value,
        id.as_deref().unwrap_or("disabled")
    );
    match id {
        Some(id) => cx.out.line(&["OK TRACKING", &id]),
        None => cx.out.line(&["OK"]),
    }
    Ok(())
}
