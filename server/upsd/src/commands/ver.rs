//! `VER`: the server banner.

use super::{ver_string, CmdResult, Ctx};

/// Reply with NUT's banner (WinNUT reads its 5th word, HON95 matches `upsd (.+) -`).
pub fn run(cx: &mut Ctx<'_>) -> CmdResult {
    let start = cx.out.begin();
    cx.out.push(&ver_string());
    cx.out.end(start);
    Ok(())
}
