//! `NETVER` and its 2.8 alias `PROTVER`: the protocol version.

use super::{CmdResult, Ctx};

/// Reply `1.3`.
pub fn run(cx: &mut Ctx<'_>) -> CmdResult {
    cx.out.line(&[nut_core::PROTOCOL_VERSION]);
    Ok(())
}
