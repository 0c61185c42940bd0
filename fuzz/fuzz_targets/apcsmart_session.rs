//! apcsmart's exchanges against a UPS whose every byte is the fuzz input: smart mode, the
//! start-up walk (firmware table, command set, capabilities, legacy walk), polls, writes,
//! instant commands and the shutdown methods. The input arrives in pieces of 1 to 8 bytes,
//! one per read; once used up, reads time out. Property: never panics, always ends.
#![no_main]

use std::time::Duration;

use apcsmart::session::{Line, LineError, Session};
use libfuzzer_sys::fuzz_target;
use nut_driver::State;

struct Replay<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Line for Replay<'_> {
    fn write(&mut self, _bytes: &[u8]) -> Result<(), LineError> {
        Ok(())
    }

    fn read(&mut self, _timeout: Duration) -> Result<Vec<u8>, LineError> {
        if self.pos >= self.data.len() {
            return Ok(Vec::new());
        }
        let n = 1 + usize::from(self.data[self.pos] % 8);
        let end = (self.pos + n).min(self.data.len());
        let chunk = self.data[self.pos..end].to_vec();
        self.pos = end;
        Ok(chunk)
    }

    fn discard_input(&mut self) -> Result<(), LineError> {
        Ok(())
    }

    fn pause(&mut self, _d: Duration) {}
}

fuzz_target!(|data: &[u8]| {
    let mut s = Session::new(Replay { data, pos: 0 });
    let mut st = State::new();
    let _ = s.smartmode(2);
    let _ = s.getbaseinfo(&mut st);
    for all in [true, false] {
        let _ = s.update_status(&mut st);
        let _ = s.update_info(all, &mut st);
    }
    for (var, val) in [("input.transfer.high", "135"), ("ups.id", "RACK1"), ("input.sensitivity", "M")] {
        let _ = s.setvar(var, val, &mut st);
    }
    for (cmd, p) in [
        ("test.battery.start", None),
        ("calibrate.start", None),
        ("calibrate.stop", None),
        ("load.on", None),
        ("shutdown.return", Some("at:12")),
        ("shutdown.return", Some("at:12")),
    ] {
        let _ = s.instcmd(cmd, p, &mut st);
    }
    for m in 0..6u8 {
        s.sd.sdtype = m;
        let _ = s.shutdown();
    }
    s.sd.advorder = Some(vec![0, 1, 2, 3, 4]);
    let _ = s.shutdown();
});
