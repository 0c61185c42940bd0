//! parseconf word splitting: never panics, and every word it yields survives quoting.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_proto::words::{quote, split};

fuzz_target!(|data: &[u8]| {
    let Ok(line) = std::str::from_utf8(data) else { return };
    if let Ok(words) = split(line) {
        // Quote every word and split again: we must get the same words back.
        let requoted: Vec<String> = words.iter().map(|w| quote(w)).collect();
        let again = split(&requoted.join(" ")).expect("quoted words must split");
        assert_eq!(words, again);
    }
});
