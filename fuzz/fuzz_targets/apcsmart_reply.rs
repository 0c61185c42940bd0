//! apcsmart's pure reply handling: assembling replies in every read mode (ignore and alert
//! sets, `*`, overflow), the status register, the command set `a`, the capability string
//! `^Z`, value conversion, format checks, packed values and the option formats.
//! Property: never panics, whatever the bytes.
#![no_main]

use apcsmart::protocol::{self, Mode};
use apcsmart::tables::{Check, Fmt};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for mode in [Mode::Plain, Mode::AlertAware, Mode::Caps, Mode::CmdSet, Mode::Shutdown] {
        let (lines, alerts) = protocol::split_replies(data, mode);
        let mut status = 0u8;
        for a in alerts {
            status = protocol::apply_alert(status, a);
        }
        let _ = protocol::status_tokens(status);
        for l in &lines {
            let t = protocol::text(l);
            assert_eq!(protocol::bytes(&t), l.split(|&b| b == 0).next().unwrap_or(&[]).to_vec());
            if let Some(s) = protocol::parse_status(&t) {
                assert!(!protocol::status_tokens(s).is_empty());
            }
            let _ = protocol::parse_cmdset(l);
            let _ = protocol::parse_caps(l);
            for f in [Fmt::Leave, Fmt::Minutes, Fmt::Hours, Fmt::Reason] {
                let _ = protocol::convert(f, &t);
                let _ = protocol::split_packed(&t, f);
            }
            for c in [Check::Any, Check::Temp2, Check::Uptime, Check::Firmware3] {
                let _ = protocol::check(c, &t);
            }
            let _ = protocol::valid_awd(&t);
            let _ = protocol::valid_sdtype(&t);
            let _ = protocol::valid_advorder(&t);
            let _ = protocol::valid_cshdelay(&t);
            let _ = protocol::find_cmd(&t, Some(&t));
            if protocol::valid_awd(&t) {
                let _ = protocol::at_command(&t);
            }
        }
    }
});
