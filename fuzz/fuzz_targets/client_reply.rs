//! nut-client's pure reply and name parsing, on every line of the input.
//!
//! Properties: never panics; `VarType` keeps the words it was given; `strip_words` returns
//! the words after the prefix; a parsed `ups[@host[:port]]` has a non-empty UPS name without
//! `@`, a non-empty host and a port of at least 1, and its display form parses back to it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_client::{strip_words, tracking_id, HostPort, TrackingStatus, UpsName, VarType};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for line in text.split('\n') {
        let _ = TrackingStatus::parse(line);
        if let Some(id) = tracking_id(line) {
            assert!(!id.is_empty() && id == id.trim());
        }
        if let Ok(words) = nut_proto::words::split(line) {
            let t = VarType::parse(&words);
            assert_eq!(t.words, words);
            for prefix in [&["TYPE", "ups"][..], &["VAR"], &[]] {
                if let Some(rest) = strip_words(&words, prefix) {
                    assert_eq!(rest.len() + prefix.len(), words.len());
                }
            }
        }
        if let Ok(hp) = HostPort::parse(line) {
            assert!(!hp.host.is_empty() && hp.port >= 1);
        }
        if let Ok(name) = UpsName::parse(line) {
            assert!(!name.ups.is_empty() && !name.ups.contains('@'), "ups {:?}", name.ups);
            assert!(!name.host.is_empty() && name.port >= 1);
            // The display form always reads back, also for a bracketed host that itself
            // starts with '[' ("u@[[x]").
            let shown = name.to_string();
            assert_eq!(UpsName::parse(&shown).as_ref(), Ok(&name), "display form {shown:?}");
        }
    }
});
