//! The opt-in event subscription (`WATCH <ups>`, docs/event-subscription.md): upsd pushes
//! `EVENT <ups> ...` lines when a watched UPS changes.
//!
//! Cost model: a UPS without watchers pays one `is_empty()` check per driver read; requests
//! pay nothing. With watchers, each UPS keeps the last state it published ([`View`]) and
//! compares it with the current one after every change of the tree, the FSD latch or the
//! driver link, so only real changes are sent, and only to the watchers of that UPS.
//!
//! Back-pressure: events go through a bounded queue per connection. The driver link never
//! waits on it: when a watcher's queue is full (it stopped reading and its output buffer is
//! full too), the watcher is dropped and its connection closed, so it can reconnect and get a
//! fresh initial state instead of a silently incomplete stream.

use std::sync::Arc;
use std::time::Duration;

use nut_proto::sock::DriverMsg;
use tokio::sync::{mpsc, Notify};

use crate::state::{ClientId, Ups};

/// Events queued per connection before a watcher counts as not reading.
pub const EVENT_QUEUE: usize = 256;

/// One connection watching one UPS.
#[derive(Debug)]
pub struct Watcher {
    /// The connection.
    pub client: ClientId,
    /// The UPS name as the client spelled it in `WATCH` (echoed in events).
    pub spelling: String,
    /// The connection's event queue (one item is one or more whole lines).
    pub tx: mpsc::Sender<String>,
    /// Closes the connection when its queue overflows.
    pub kick: Arc<Notify>,
}

/// The data state as a watcher sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DataView {
    /// No driver link, or the driver's first full dump is not in yet.
    #[default]
    NotConnected,
    /// DATASTALE from the driver, or silent for longer than MAXAGE.
    Stale,
    /// Fresh data.
    Ok,
}

/// What watchers have been told about a UPS.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct View {
    /// Data state.
    pub data: DataView,
    /// `ups.status` with the FSD prefix, while the data is OK.
    pub status: Option<String>,
    /// `ups.alarm`, while the data is OK.
    pub alarm: Option<String>,
}

impl View {
    /// The current state of `u`.
    pub fn of(u: &Ups, maxage: Duration) -> View {
        let data = if !u.connected() || !u.dumpdone {
            DataView::NotConnected
        } else if u.stale(maxage) {
            DataView::Stale
        } else {
            DataView::Ok
        };
        if data != DataView::Ok {
            return View { data, status: None, alarm: None };
        }
        let status =
            u.var("ups.status").map(|v| if u.fsd { format!("FSD {}", v.value) } else { v.value.clone() });
        let alarm = u.var("ups.alarm").map(|v| v.value.clone());
        View { data, status, alarm }
    }
}

/// One event, before it is spelled for a watcher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// `STATUS "<status>"`
    Status(String),
    /// `ALARM "<alarm>"` (empty when `ups.alarm` went away).
    Alarm(String),
    /// `DATA-STALE`
    DataStale,
    /// `DRIVER-NOT-CONNECTED`
    NotConnected,
    /// `DATA-OK`
    DataOk,
}

/// The lines a new watcher gets right after `OK`.
pub fn initial(now: &View) -> Vec<Event> {
    match now.data {
        DataView::NotConnected => vec![Event::NotConnected],
        DataView::Stale => vec![Event::DataStale],
        DataView::Ok => {
            let mut ev = Vec::new();
            ev.extend(now.status.clone().map(Event::Status));
            ev.extend(now.alarm.clone().map(Event::Alarm));
            ev
        }
    }
}

/// The events that take a watcher from `old` to `now`.
pub fn diff(old: &View, now: &View) -> Vec<Event> {
    if old.data != now.data {
        return match now.data {
            DataView::NotConnected => vec![Event::NotConnected],
            DataView::Stale => vec![Event::DataStale],
            // Fresh data again: repeat the state, which may have changed meanwhile.
            DataView::Ok => {
                let mut ev = vec![Event::DataOk];
                ev.extend(initial(now));
                ev
            }
        };
    }
    let mut ev = Vec::new();
    if now.status != old.status {
        ev.extend(now.status.clone().map(Event::Status));
    }
    if now.alarm != old.alarm {
        ev.push(Event::Alarm(now.alarm.clone().unwrap_or_default()));
    }
    ev
}

/// Append the lines for `events` on UPS `spelling` to `out`.
pub fn render(spelling: &str, events: &[Event], out: &mut String) {
    for e in events {
        out.push_str("EVENT ");
        out.push_str(spelling);
        match e {
            Event::Status(s) => {
                out.push_str(" STATUS \"");
                out.push_str(&nut_proto::words::escape(s));
                out.push('"');
            }
            Event::Alarm(s) => {
                out.push_str(" ALARM \"");
                out.push_str(&nut_proto::words::escape(s));
                out.push('"');
            }
            Event::DataStale => out.push_str(" DATA-STALE"),
            Event::NotConnected => out.push_str(" DRIVER-NOT-CONNECTED"),
            Event::DataOk => out.push_str(" DATA-OK"),
        }
        out.push('\n');
    }
}

/// True for the driver messages that can change a [`View`] (so the others skip the
/// comparison).
pub fn may_change_view(m: &DriverMsg) -> bool {
    let watched =
        |name: &str| name.eq_ignore_ascii_case("ups.status") || name.eq_ignore_ascii_case("ups.alarm");
    match m {
        DriverMsg::SetInfo(name, _) | DriverMsg::DelInfo(name) => watched(name),
        DriverMsg::DataOk | DriverMsg::DataStale | DriverMsg::DumpDone => true,
        _ => false,
    }
}

/// The watchers of one UPS and what they were last told.
#[derive(Debug, Default)]
pub struct Watch {
    /// Watching connections, oldest first.
    pub watchers: Vec<Watcher>,
    /// The state last published to them (meaningless while there are none).
    pub view: View,
}

/// Send what changed in `u` since the last publication to its watchers. Call it after
/// anything that may change the view; without watchers it returns at once.
pub fn publish(u: &mut Ups, maxage: Duration) {
    if u.watch.watchers.is_empty() {
        return;
    }
    let now = View::of(u, maxage);
    if now == u.watch.view {
        return;
    }
    let events = diff(&u.watch.view, &now);
    u.watch.view = now;
    if events.is_empty() {
        return;
    }
    let name = &u.name;
    u.watch.watchers.retain(|w| {
        let mut text = String::new();
        render(&w.spelling, &events, &mut text);
        deliver(name, w, text)
    });
}

/// Queue `text` for `w`; false when the watcher must be forgotten.
fn deliver(ups: &str, w: &Watcher, text: String) -> bool {
    match w.tx.try_send(text) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => {
            tracing::warn!(
                "Dropping event watcher of UPS [{ups}] (connection {}): it does not read its events",
                w.client
            );
            w.kick.notify_one();
            false
        }
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

/// Register `w` on `u` (replacing an earlier WATCH of the same connection) and return the
/// initial lines for it. Other watchers first get any change still pending, so the shared
/// view is current.
pub fn add(u: &mut Ups, maxage: Duration, w: Watcher) -> String {
    publish(u, maxage);
    if u.watch.watchers.is_empty() {
        u.watch.view = View::of(u, maxage);
    }
    let mut text = String::new();
    render(&w.spelling, &initial(&u.watch.view), &mut text);
    u.watch.watchers.retain(|o| o.client != w.client);
    u.watch.watchers.push(w);
    text
}

/// Forget connection `client` as a watcher of `u`.
pub fn remove(u: &mut Ups, client: ClientId) {
    u.watch.watchers.retain(|w| w.client != client);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(status: &str, alarm: Option<&str>) -> View {
        View { data: DataView::Ok, status: Some(status.into()), alarm: alarm.map(String::from) }
    }

    fn text(events: &[Event]) -> String {
        let mut s = String::new();
        render("Ups1", events, &mut s);
        s
    }

    #[test]
    fn initial_state_is_status_and_alarm_or_the_error() {
        assert_eq!(text(&initial(&ok("OL", None))), "EVENT Ups1 STATUS \"OL\"\n");
        assert_eq!(
            text(&initial(&ok("OB \"x\"", Some("a\\b")))),
            "EVENT Ups1 STATUS \"OB \\\"x\\\"\"\nEVENT Ups1 ALARM \"a\\\\b\"\n"
        );
        assert_eq!(text(&initial(&View::default())), "EVENT Ups1 DRIVER-NOT-CONNECTED\n");
    }

    #[test]
    fn transitions() {
        let stale = View { data: DataView::Stale, ..View::default() };
        assert_eq!(diff(&ok("OL", None), &ok("OL", None)), vec![]);
        assert_eq!(diff(&ok("OL", None), &ok("OB", None)), vec![Event::Status("OB".into())]);
        assert_eq!(diff(&ok("OL", Some("x")), &ok("OL", None)), vec![Event::Alarm(String::new())]);
        assert_eq!(diff(&ok("OL", None), &stale), vec![Event::DataStale]);
        assert_eq!(diff(&stale, &View::default()), vec![Event::NotConnected]);
        assert_eq!(diff(&stale, &ok("OB", None)), vec![Event::DataOk, Event::Status("OB".into())]);
    }
}
