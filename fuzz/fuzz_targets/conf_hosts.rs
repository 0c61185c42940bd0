//! hosts.conf (CGI): never panics; diagnostics name the file and a line within the text, come in line
//! order, agree with `check`, and `Err` always carries an error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_fuzz::{check_conf, FILE};

fuzz_target!(|data: &[u8]| {
    // Daemons read configs with read_to_string; invalid UTF-8 never reaches the parser.
    let Ok(text) = std::str::from_utf8(data) else { return };
    check_conf(
        text,
        nut_conf::cgi_conf::parse_hosts(text, FILE),
        nut_conf::cgi_conf::check_hosts(text, FILE),
    );
});
