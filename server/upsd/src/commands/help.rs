//! `HELP`: NUT 2.8.0's fixed command list (it names neither PROTVER, PRIMARY nor FSD).

use super::{CmdResult, Ctx};

/// The exact text of NUT 2.8.0.
pub const HELP: &str = "Commands: HELP VER GET LIST SET INSTCMD LOGIN LOGOUT USERNAME PASSWORD STARTTLS";

/// Reply with the command list.
pub fn run(cx: &mut Ctx<'_>) -> CmdResult {
    cx.out.line(&[HELP]);
    Ok(())
}
