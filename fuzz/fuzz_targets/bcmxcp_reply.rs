//! bcmxcp's reply handling: the frame decoder (serial and USB rules) and every block parser
//! over arbitrary bytes, and the whole driver, as bcmxcp and as bcmxcp_usb (start-up, blocks,
//! polls, instant commands, SETs), over a UPS whose byte stream is the fuzz input.
//!
//! The first byte picks the command the decoder expects; the rest is given to the decoder,
//! and, raw, to every block parser (so the parsers see unframed input too). The driver then
//! reads the whole input as the UPS's bytes, in order (an exhausted input is silence).
//! Properties: never panics, never loops; a decoded answer holds at most 256 bytes; a command
//! frame sums to 0; the status is never empty and always has OL, OB or OFF.
#![no_main]

use std::time::Duration;

use bcmxcp::driver::{Bcmxcp, Link, LinkError, Mode};
use bcmxcp::{protocol as p, tables};
use libfuzzer_sys::fuzz_target;
use nut_driver::{Context, Driver, State};

struct Replay {
    data: Vec<u8>,
    at: usize,
}

impl Link for Replay {
    fn send(&mut self, _bytes: &[u8]) -> Result<(), LinkError> {
        Ok(())
    }
    fn read(&mut self, n: usize, _timeout: Duration) -> Result<Vec<u8>, LinkError> {
        if self.at + n > self.data.len() {
            self.at = self.data.len();
            return Err(LinkError::Timeout);
        }
        let r = self.data[self.at..self.at + n].to_vec();
        self.at += n;
        Ok(r)
    }
    fn flush_input(&mut self) -> Result<(), LinkError> {
        Ok(())
    }
    fn set_speed(&mut self, _speed: u32) -> Result<(), String> {
        Ok(())
    }
    fn reopen(&mut self) -> Result<(), String> {
        Ok(())
    }
    fn pause(&mut self, _d: Duration) {}
}

fn parsers(raw: &[u8]) {
    let id = p::parse_id_block(raw);
    let meters = p::meter_layout(&id.meter_map);
    let alarms = p::alarm_layout(&id.alarm_map);
    for (i, f, o) in &meters {
        let _ = tables::meter_name(*i, id.phases == 1);
        let _ = p::meter_value(raw, *o, *f);
    }
    let _ = p::calculated_load(raw, &meters);
    let active = p::active_alarms(raw, &alarms);
    let a = p::Answer(raw);
    let t = p::status_tokens(a.byte(0), a.byte(1), a.byte(2), &active);
    assert!(t.iter().any(|x| ["OL", "OB", "OFF"].contains(x)), "{t:?}");
    let _ = p::parse_config(raw);
    let _ = p::limit_values(raw, true);
    let _ = p::limit_values(raw, false);
    let _ = p::parse_battery(raw);
    let _ = p::parse_outlets(raw);
    if let Some(l) = p::parse_command_list(raw, a.word(0)) {
        let _ = p::command_instcmds(&l);
    }
    let _ = p::parse_conf_ids(raw);
    let _ = p::parse_system_tests(raw);
    if raw.len() >= 5 {
        let _ = p::decode_meter([raw[0], raw[1], raw[2], raw[3]], raw[4]);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&cmd, rest)) = data.split_first() else { return };
    parsers(rest);
    if let Some(Ok(answer)) = p::decode_reply(cmd, rest) {
        assert!(answer.len() <= p::ANSWER_MAX);
        parsers(&answer);
    }
    if let p::Step::Done(answer) = p::ReplyDecoder::usb(cmd).push(rest) {
        assert!(answer.len() <= p::ANSWER_MAX);
    }
    let f = p::frame(rest);
    assert_eq!(f.iter().fold(0u8, |s, b| s.wrapping_add(*b)), 0);

    for mode in [Mode::Serial, Mode::Usb] {
        run_driver(mode, data);
    }
});

fn run_driver(mode: Mode, data: &[u8]) {
    let mut replay = Some(Replay { data: data.to_vec(), at: 0 });
    let mut d = Bcmxcp::with_mode(mode, move |_, _| {
        replay
            .take()
            .map(|r| Box::new(r) as Box<dyn Link>)
            .ok_or_else(|| nut_driver::DriverError::Device("opened twice".into()))
    });
    let ctx = Context {
        progname: "bcmxcp".into(),
        upsname: "f".into(),
        port: "/dev/null".into(),
        ..Context::default()
    };
    let mut st = State::new();
    if d.init(&ctx, &mut st).is_ok() {
        for _ in 0..2 {
            let _ = d.update(&mut st);
        }
        let cmds: Vec<String> = st.cmds().map(str::to_string).collect();
        for c in cmds {
            let _ = d.instcmd(&c, None, &mut st);
        }
        for (v, val) in
            [("battery.packs", "2"), ("outlet.1.delay.start", "10"), ("input.transfer.delay", "x")]
        {
            let _ = d.set_var(v, val, &mut st);
        }
    }
}
