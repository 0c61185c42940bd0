//! nutdrv_qx's reply handling: every protocol table (and blazer's legacy view of it) walked
//! against a device whose answers are the fuzz input.
//!
//! The input is split at `\n` into answers, given in turn to the commands the engine sends
//! (cycling). Properties: never panics, never loops (each walk is one pass), whatever the
//! bytes: claim, start-up, full and quick walks, instant commands and writes, battery
//! estimation inputs; and blazer's readers of the status, rating and vendor answers.
#![no_main]

use std::collections::BTreeMap;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use nut_driver::State;
use nutdrv_qx::engine;
use nutdrv_qx::model::{Ctx, Runtime, WalkMode};
use nutdrv_qx::port::{PortError, QxPort};
use nutdrv_qx::protocols;

struct Replay<'a> {
    answers: Vec<&'a [u8]>,
    next: usize,
}

impl QxPort for Replay<'_> {
    fn command(&mut self, _cmd: &[u8], _timeout: Duration) -> Result<Vec<u8>, PortError> {
        if self.answers.is_empty() {
            return Err(PortError::Timeout);
        }
        let a = self.answers[self.next % self.answers.len()];
        self.next += 1;
        Ok(a.to_vec())
    }

    fn reconnect(&mut self) -> Result<(), PortError> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let answers: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    // blazer's own word-by-word readers of the status, rating and vendor answers.
    for a in &answers {
        let _ = nutdrv_qx::legacy::status_ok(a);
        let _ = nutdrv_qx::legacy::parse_rating(a, None);
        let _ = nutdrv_qx::legacy::parse_rating(a, Some("24.0"));
        let _ = nutdrv_qx::legacy::parse_vendor(a);
    }
    for sub in protocols::all() {
        for legacy in [false, true] {
            let mut rt = Runtime::new(sub.table, BTreeMap::new());
            if legacy {
                protocols::blazer::legacy_items(&mut rt.items);
            }
            let mut state = State::new();
            let mut port = Replay { answers: answers.clone(), next: 0 };
            let mut ctx = Ctx { rt: &mut rt, state: &mut state, port: &mut port };
            for item in sub.table {
                for a in &answers {
                    let _ = engine::cut_answer(item, a, sub.rejected);
                }
            }
            if !(sub.claim)(&mut ctx) {
                continue;
            }
            if let Some(h) = sub.initups {
                let _ = h(&mut ctx);
            }
            let _ = engine::walk(&mut ctx, WalkMode::Init, sub.rejected);
            if let Some(h) = sub.initinfo {
                let _ = h(&mut ctx);
            }
            let _ = engine::walk(&mut ctx, WalkMode::FullUpdate, sub.rejected);
            let _ = engine::walk(&mut ctx, WalkMode::QuickUpdate, sub.rejected);
            let ar = (sub.accepted, sub.rejected);
            for cmd in ["shutdown.return", "shutdown.stayoff", "test.battery.start", "load.off", "beeper.toggle"] {
                let _ = engine::instcmd(&mut ctx, ar, cmd, None);
            }
            let _ = engine::setvar(&mut ctx, "ups.delay.shutdown", Some("60"), sub.accepted);
            let _ = engine::status_tokens(ctx.rt.status);
        }
    }
});
