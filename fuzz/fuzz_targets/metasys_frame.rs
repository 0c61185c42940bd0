//! metasys's frame and reply handling: the frame decoder, every reply decoder, and a whole
//! poll (exchange with retries and re-sync, decoding, publishing) against a device whose
//! answers are the fuzz input.
//!
//! Properties: never panics, never loops, whatever the bytes; a frame the decoder accepts is
//! exactly the frame the encoder makes of its data (round trip).
#![no_main]

use libfuzzer_sys::fuzz_target;
use metasys::link::{self, FakeWire};
use metasys::{driver, proto};
use nut_driver::State;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = proto::decode_frame(data) {
        assert_eq!(proto::frame(d).ok().as_deref(), Some(data), "round trip");
    }
    let _ = proto::info(data);
    let _ = proto::output(data);
    let _ = proto::input_voltage(data);
    let _ = proto::battery_voltage(data);
    let _ = proto::autorestart(data);
    let _ = proto::schedule(data);
    let _ = proto::status(data);
    if let Ok(o) = proto::output(data) {
        for nominal in [0, 330, 7000] {
            let _ = proto::load(o.power, nominal);
        }
    }
    // The input split at 0xa5 gives the device's answers, in turn to every frame written.
    let answers: Vec<Vec<u8>> = data.split(|&b| b == 0xa5).map(<[u8]>::to_vec).collect();
    let mut w = FakeWire::default();
    for _ in 0..8 {
        w.answers.extend(answers.iter().cloned());
    }
    let _ = link::exchange(&mut w, &[proto::cmd::INFO], link::STAGE_TIMEOUT);
    if let Ok(p) = driver::poll(&mut w) {
        let mut st = State::new();
        driver::publish(&p, 700, &mut st);
    }
});
