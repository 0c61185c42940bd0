//! `LOGIN <ups>`: an upsmon announces it is powered by this UPS (counts in NUMLOGINS).

use nut_proto::ErrCode;

use super::{CmdResult, Ctx};
use crate::auth::Right;
use crate::state::Login;

/// Attach the client to the UPS if its user has an upsmon role.
pub fn run(cx: &mut Ctx<'_>, ups: &str) -> CmdResult {
    if cx.session.login_ups.is_some() {
        tracing::info!("Client {} tried to login twice", cx.session.who());
        return Err(ErrCode::AlreadyLoggedIn);
    }
    let name = cx.core.known(ups)?.name.clone();
    let s = &mut *cx.session;
    if !cx.core.users.allows(s.username.as_deref(), s.password.as_deref(), Right::Login) {
        return Err(ErrCode::AccessDenied);
    }
    let login = Login { client: s.id, addr: s.addr, kick: s.kick_handle() };
    if let Some(u) = cx.core.ups_mut(&name) {
        u.logins.push(login);
    }
    tracing::info!("User {} logged into UPS [{}]", cx.session.who(), name);
    cx.session.login_ups = Some(name.into_boxed_str());
    cx.out.line(&["OK"]);
    Ok(())
}
