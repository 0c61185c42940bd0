//! `FSD <ups>`: set the forced-shutdown latch, shown as an `FSD ` prefix of `ups.status`.
//!
//! The latch is upsd's, not the driver's: it survives driver reconnects and is cleared only
//! by restarting upsd, as in NUT.

use nut_proto::ErrCode;

use super::{CmdResult, Ctx};
use crate::auth::Right;

/// Set the latch (allowed to `actions = FSD` and upsmon primaries).
pub fn run(cx: &mut Ctx<'_>, ups: &str) -> CmdResult {
    let name = cx.core.known(ups)?.name.clone();
    let s = &*cx.session;
    if !cx.core.users.allows(s.username.as_deref(), s.password.as_deref(), Right::Fsd) {
        return Err(ErrCode::AccessDenied);
    }
    tracing::info!("Client {} set FSD on UPS [{}]", s.who(), name);
    let maxage = cx.core.maxage;
    if let Some(u) = cx.core.ups_mut(&name) {
        u.fsd = true;
        crate::watch::publish(u, maxage);
    }
    cx.out.line(&["OK FSD-SET"]);
    Ok(())
}
