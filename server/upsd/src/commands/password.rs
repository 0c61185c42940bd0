//! `PASSWORD <secret>`: always OK; checked only when a privileged request arrives.

use nut_proto::ErrCode;

use super::{CmdResult, Ctx};

/// Remember the password (once per connection).
pub fn run(cx: &mut Ctx<'_>, password: &str) -> CmdResult {
    if cx.session.password.is_some() {
        if cx.session.username.is_some() {
            tracing::info!("Client {} tried to set a password twice", cx.session.who());
        } else {
            tracing::info!("Client on {} tried to set a password twice", cx.session.addr);
        }
        return Err(ErrCode::AlreadySetPassword);
    }
    cx.session.password = Some(password.into());
    cx.out.line(&["OK"]);
    Ok(())
}
