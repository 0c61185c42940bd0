//! `INSTCMD <ups> <cmd> [<param>]`: checked here and passed to the driver.

use nut_proto::ErrCode;

use super::{CmdResult, Ctx};
use crate::auth::Right;

/// Validate like NUT and forward `INSTCMD <cmd> [<param>] [TRACKING <id>]` to the driver.
pub fn run(cx: &mut Ctx<'_>, ups: &str, cmd: &str, param: Option<&str>) -> CmdResult {
    let u = cx.core.available(ups)?;
    if !u.has_cmd(cmd) {
        return Err(ErrCode::CmdNotSupported);
    }
    let s = &*cx.session;
    if !cx.core.users.allows(s.username.as_deref(), s.password.as_deref(), Right::Instcmd(cmd)) {
        return Err(ErrCode::AccessDenied);
    }
    let tx = u.to_driver.clone().ok_or(ErrCode::InstcmdFailed)?;
    let ups_name = u.name.clone();
    let id = if cx.session.tracking { Some(cx.core.tracking.add()) } else { None };
    // NUT escapes but does not quote the words here; a parameter with a space reaches the
    // driver as two words, exactly as with NUT.
    let mut line = format!("INSTCMD {}", nut_proto::words::escape(cmd));
    if let Some(p) = param {
        line.push(' ');
        line.push_str(&nut_proto::words::escape(p));
    }
    if let Some(id) = &id {
        line.push_str(" TRACKING ");
        line.push_str(id);
    }
    line.push('\n');
    if tx.send(line).is_err() {
        tracing::info!("Instant command send failed");
        return Err(ErrCode::InstcmdFailed);
    }
    let with = param.map(|p| format!(" with value {p}")).unwrap_or_default();
    tracing::info!(
        "Instant command: {} did {}{} on {} (tracking ID: {})",
        cx.session.who(),
        cmd,
        with,
        ups_name,
        id.as_deref().unwrap_or("disabled")
    );
    match id {
        Some(id) => cx.out.line(&["OK TRACKING", &id]),
        None => cx.out.line(&["OK"]),
    }
    Ok(())
}
