//! `SET TRACKING ON|OFF` and `GET TRACKING [<id>]` (per connection).

use nut_proto::ErrCode;

use super::{CmdResult, Ctx};

/// `SET TRACKING`: switch tracking for this connection.
pub fn set(cx: &mut Ctx<'_>, on: bool) -> CmdResult {
    cx.session.tracking = on;
    cx.out.line(&["OK"]);
    Ok(())
}

/// `GET TRACKING`: `ON`/`OFF`, or the result for an id (only while tracking is on).
pub fn get(cx: &mut Ctx<'_>, id: Option<&str>) -> CmdResult {
    match id {
        None => cx.out.line(&[if cx.session.tracking { "ON" } else { "OFF" }]),
        Some(_) if !cx.session.tracking => return Err(ErrCode::FeatureNotConfigured),
        Some(id) => {
            let r = cx.core.tracking.get(id);
            cx.out.line(&[r]);
        }
    }
    Ok(())
}
