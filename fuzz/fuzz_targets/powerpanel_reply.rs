//! powerpanel's answer handling, both protocols: every decoder over arbitrary bytes, and a
//! whole start-up, poll, command and write against a device whose answers are the fuzz input.
//!
//! Properties: never panics, never loops, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_driver::State;
use powerpanel::binary::{self, Series};
use powerpanel::driver::{self, Proto};
use powerpanel::line::FakeLine;
use powerpanel::text;

fuzz_target!(|data: &[u8]| {
    // Decoders.
    let _ = text::ident(data);
    let _ = text::allowed(data);
    if let Some(s) = text::status(data) {
        let _ = text::values(&s);
        let _ = text::tokens(&s);
    }
    let _ = binary::ident(data);
    if let Ok(s) = binary::status(data) {
        for series in [Series::Pr, Series::Op] {
            let _ = binary::values(&s, series, Some("120"));
        }
        let _ = binary::tokens(&s);
    }
    for (_, _, tabs) in binary::VARS {
        for series in [Series::Pr, Series::Op] {
            let _ = binary::decode_setting(binary::table(tabs, series), data);
        }
    }
    for b in data.iter().take(4) {
        let _ = (binary::op_volt(*b), binary::op_load(*b), binary::op_chrg(*b), binary::op_temp(*b), binary::op_freq(*b));
    }
    // A whole session: the input split at 0xa5 gives the answers, in turn, to the commands.
    let answers: Vec<&[u8]> = data.split(|&b| b == 0xa5).collect();
    let cmds: &[&[u8]] = &[
        b"F\r", b"P4\r", b"P3\r", b"P2\r", b"P1\r", b"P6\r", b"P7\r", b"P8\r", b"D\r", b"R\x02\r", b"R\x04\r",
        b"R\x08\r", b"R\x0f\r", b"R\x18\r", b"C\r", b"B\r", b"Z01\r", b"C3:090\r", b"Q\x04\x02\r",
    ];
    let script = cmds.iter().zip(answers.iter().cycle()).map(|(c, a)| (c.to_vec(), a.to_vec())).collect();
    let mut l = FakeLine { script, ..FakeLine::default() };
    let mut st = State::new();
    if let Ok(Some(id)) = driver::detect_binary(&mut l) {
        driver::init_binary(&mut l, &id, &mut st);
        let p = Proto::Binary(id.series);
        if let Ok(r) = driver::read_status(&mut l, p) {
            driver::publish(&r, p, &mut st);
        }
        let _ = driver::instcmd(&mut l, p, "beeper.toggle");
        let _ = driver::set_var(&mut l, p, "input.transfer.low", "90", &mut st);
    }
    if let Ok(Some(id)) = driver::detect_text(&mut l) {
        driver::init_text(&mut l, &id, 60, 1, &mut st);
        let p = Proto::Text { offdelay: 60, ondelay: 1 };
        if let Ok(r) = driver::read_status(&mut l, p) {
            driver::publish(&r, p, &mut st);
        }
        let _ = driver::instcmd(&mut l, p, "shutdown.return");
        let _ = driver::set_var(&mut l, p, "input.transfer.low", "90", &mut st);
    }
});
