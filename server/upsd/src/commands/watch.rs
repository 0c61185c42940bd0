//! `WATCH <ups>`: our opt-in event subscription (docs/event-subscription.md). After `OK` and
//! the current state, the connection receives `EVENT <ups> ...` lines when the UPS changes.

use nut_proto::ErrCode;
use tokio::sync::mpsc;

use super::{CmdResult, Ctx, WatchSession};
use crate::watch::{self, Watcher, EVENT_QUEUE};

/// Subscribe this connection to the UPS's events and send its current state.
pub fn run(cx: &mut Ctx<'_>, ups: &str) -> CmdResult {
    let name = cx.core.known(ups)?.name.clone();
    let maxage = cx.core.maxage;
    let s = &mut *cx.session;
    let kick = s.kick_handle();
    let ws = s.watch.get_or_insert_with(|| {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        Box::new(WatchSession { tx, rx, upses: Vec::new() })
    });
    let w = Watcher { client: s.id, spelling: ups.to_string(), tx: ws.tx.clone(), kick };
    if !ws.upses.contains(&name) {
        ws.upses.push(name.clone());
    }
    let u = cx.core.ups_mut(&name).ok_or(ErrCode::UnknownUps)?;
    let initial = watch::add(u, maxage, w);
    tracing::debug!("Client {} watches UPS [{name}]", s.who());
    cx.out.line(&["OK"]);
    cx.out.buf.extend_from_slice(initial.as_bytes());
    Ok(())
}
