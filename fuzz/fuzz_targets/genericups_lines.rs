//! genericups's parsers of outside text: the `upstype`, `CP`/`SD`, `OL`/`LB`/`RB`/`BYPASS` and
//! `sdtime` values of ups.conf, and the test-only line file. Properties: never panics; an
//! output override yields output lines only (DTR, RTS, ST), an input override input lines
//! only, with its value inside its mask; the status of any line state has exactly one of OL
//! and OB.
#![no_main]

use genericups::lines::{self, Config};
use genericups::table::line::{CTS, DCD, DSR, DTR, RNG, RTS, ST};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = lines::upstype(&text);
    let _ = lines::sdtime(&text);
    let _ = genericups::fake::parse(&text);
    if let Ok(l) = lines::parse_output(&text) {
        assert_eq!(l & !(DTR | RTS | ST), 0, "{text:?}");
    }
    if let Ok(s) = lines::parse_input(&text) {
        assert_eq!(s.mask & !(CTS | DCD | RNG | DSR), 0, "{text:?}");
        assert_eq!(s.value & !s.mask, 0, "{text:?}");
    }
    let number = data.first().map_or(0, |b| usize::from(*b) % 24);
    let mut cfg: Config = lines::upstype(&number.to_string()).expect("table type");
    let parts: Vec<&str> = text.splitn(6, '\n').collect();
    let keys = ["CP", "SD", "OL", "LB", "RB", "BYPASS"];
    let _ = lines::apply_overrides(&mut cfg, |k| {
        keys.iter().position(|x| *x == k).and_then(|i| parts.get(i)).map(|s| s.to_string())
    });
    let state = data.get(1).map_or(0, |b| u32::from(*b));
    let st = lines::status(&cfg.ty, state);
    assert_eq!(st.iter().filter(|t| **t == "OL" || **t == "OB").count(), 1, "{st:?}");
    let _ = lines::sd_action(cfg.ty.sd);
});
