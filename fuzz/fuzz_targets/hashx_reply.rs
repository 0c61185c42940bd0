//! nutdrv_hashx's reply handling: every parser over arbitrary bytes, and the whole driver
//! (handshake, polls, instant commands) over a device whose replies are the fuzz input.
//!
//! The input is split at `\r` into replies, given in turn to the commands the driver sends
//! (cycling; an empty input means no reply). Properties: never panics, never loops; a
//! decoded status has exactly one of OL and OB; a parsed status value came from 2 or 3 bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_driver::{Context, Driver, State};
use nutdrv_hashx::driver::{Hashx, Link, LinkError};
use nutdrv_hashx::{protocol as p, tables};

struct Replay {
    replies: Vec<Vec<u8>>,
    next: usize,
}

impl Link for Replay {
    fn exchange(&mut self, _cmd: &str) -> Result<Vec<u8>, LinkError> {
        if self.replies.is_empty() {
            return Err(LinkError::Timeout);
        }
        let r = self.replies[self.next % self.replies.len()].clone();
        self.next += 1;
        Ok(r)
    }
    fn reopen(&mut self) -> Result<(), String> {
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let replies: Vec<Vec<u8>> = data.split(|&b| b == b'\r').map(<[u8]>::to_vec).collect();
    for r in &replies {
        if p::parse_status_value(r).is_ok() {
            assert!((2..=3).contains(&r.len()));
        }
        let _ = p::parse_device_info(r);
        let _ = p::parse_voltage_settings(r);
        let _ = p::parse_power_info(r);
        if let Ok(s) = p::parse_status(r) {
            if let Some(d) = s.status_bytes.as_deref().and_then(tables::decode) {
                assert_eq!(d.tokens.iter().filter(|t| **t == "OL" || **t == "OB").count(), 1);
            }
        }
        let _ = tables::decode(r);
        let _ = p::show(r);
    }
    let mut replay = Some(Replay { replies, next: 0 });
    let mut d = Hashx::with_opener(move |_| {
        replay
            .take()
            .map(|r| Box::new(r) as Box<dyn Link>)
            .ok_or_else(|| nut_driver::DriverError::Device("opened twice".into()))
    });
    let ctx = Context {
        progname: "nutdrv_hashx".into(),
        upsname: "f".into(),
        port: "/dev/null".into(),
        ..Context::default()
    };
    let mut st = State::new();
    if d.init(&ctx, &mut st).is_ok() {
        for _ in 0..3 {
            let _ = d.update(&mut st);
        }
        for (cmd, _) in tables::INSTCMDS {
            let _ = d.instcmd(cmd, None, &mut st);
        }
    }
});
