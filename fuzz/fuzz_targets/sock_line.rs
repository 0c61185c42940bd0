//! Driver socket lines, both directions: parse -> format -> parse gives the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_proto::sock::{DriverMsg, ServerMsg};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    if let Ok(m) = DriverMsg::parse(line) {
        let again = DriverMsg::parse(m.to_line().trim_end_matches('\n')).expect("formatted line must parse");
        assert_eq!(m, again);
    }
    if let Ok(m) = ServerMsg::parse(line) {
        let again = ServerMsg::parse(m.to_line().trim_end_matches('\n')).expect("formatted line must parse");
        assert_eq!(m, again);
    }
});
