//! `PRIMARY <ups>` and its pre-2.8 name `MASTER <ups>`: an upsmon claims the primary role.

use nut_proto::ErrCode;

use super::{CmdResult, Ctx};
use crate::auth::Right;

/// Grant the role to an upsmon primary user; the reply names the verb the client used.
pub fn run(cx: &mut Ctx<'_>, ups: &str, master: bool) -> CmdResult {
    let name = cx.core.known(ups)?.name.clone();
    let s = &*cx.session;
    if !cx.core.users.allows(s.username.as_deref(), s.password.as_deref(), Right::Primary) {
        return Err(ErrCode::AccessDenied);
    }
    if master {
        tracing::warn!(
            "WARNING: Client {} requested MASTER level for device {} - which is deprecated in favor of PRIMARY since NUT 2.8.0",
            s.who(),
            name
        );
        cx.out.line(&["OK MASTER-GRANTED"]);
    } else {
        cx.out.line(&["OK PRIMARY-GRANTED"]);
    }
    Ok(())
}
