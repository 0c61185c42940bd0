//! `USERNAME <name>`: always OK; the name is checked only when it is used.

use nut_proto::ErrCode;

use super::{CmdResult, Ctx};

/// Remember the user name (once per connection).
pub fn run(cx: &mut Ctx<'_>, name: &str) -> CmdResult {
    if cx.session.username.is_some() {
        tracing::info!("Client {} tried to set a username twice", cx.session.who());
        return Err(ErrCode::AlreadySetUsername);
    }
    cx.session.username = Some(name.into());
    cx.out.line(&["OK"]);
    Ok(())
}
