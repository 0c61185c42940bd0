//! What the HID UPS drivers share (NUT's usbhid-ups.c + libhid.c above the transport, and
//! its subdriver tables): [`subdrivers`] are NUT 2.8.5's `*_hid2nut` tables as data,
//! [`hidups`] the engine that reads a device's reports through a [`transport::Transport`]
//! and interprets a table, [`policy`] NUT's status and alarm rules, [`session`] stale marking
//! and reconnects.
//!
//! usbhid-ups runs it over USB (libusb) or a recording; mge-shut over the SHUT serial link
//! (MGE/Eaton's Serial HID UPS Transfer), with the MGE table only.

pub mod hidups;
pub mod options;
pub mod policy;
pub mod session;
pub mod subdrivers;
pub mod transport;

use nut_driver::{Flags, State};

/// Publish a snapshot: the variables, then `ups.alarm` and `ups.status` through the
/// framework's status helpers.
pub fn publish(state: &mut State, s: &hidups::Snapshot) {
    for (k, v) in &s.vars {
        state.set_info(k, v);
    }
    for g in &s.gone {
        state.del_info(g);
    }
    for (k, m) in &s.meta {
        if state.get_info(k).is_none() {
            continue;
        }
        state.set_flags(k, Flags { rw: m.rw, string: m.string, number: false });
        if let Some(aux) = m.aux {
            state.set_aux(k, aux);
        }
        for e in &m.enums {
            state.add_enum(k, e);
        }
    }
    // Through the framework's helpers, as NUT's usbhid-ups: alarms first, then the status
    // (which gets ALARM while an alarm is set, and ignorelb / the CHRG-DISCHRG fallback).
    state.alarm_init();
    if !s.alarm.is_empty() {
        state.alarm_set(&s.alarm);
    }
    state.alarm_commit();
    state.status_init();
    state.status_set(&s.status);
    state.status_commit();
}
