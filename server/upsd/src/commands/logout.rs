//! `LOGOUT`: say goodbye and close the connection.

use super::{forget_client, CmdResult, Ctx};

/// Reply `OK Goodbye`, drop the LOGIN, and mark the connection for closing.
pub fn run(cx: &mut Ctx<'_>) -> CmdResult {
    if let Some(ups) = &cx.session.login_ups {
        tracing::info!("User {} logged out from UPS [{}]", cx.session.who(), ups);
    }
    forget_client(cx.core, cx.session);
    cx.session.login_ups = None;
    cx.out.line(&["OK Goodbye"]);
    cx.session.closing = true;
    Ok(())
}
