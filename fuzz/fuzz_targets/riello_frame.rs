//! riello_ser's answer handling: the bytes a Riello UPS sends after a request (fuzz input,
//! after one byte choosing GPSER or SENTR and the sum or CRC check) go through the byte-by-byte
//! deframer; every answer it completes, and the raw input too, is decoded by each of NUT's
//! readers (GI, GN, RS at the three lengths, RE, SENTR) into one record, which is then
//! published (start-up and poll variables, status, with and without `localcalculation`).
//!
//! Properties: never panics (overflow checks on) whatever the bytes; an answer never holds
//! more than NUT's 220-byte buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use riello_ser::parse::{self, RielloData};
use riello_ser::protocol::{self, Deframer, Kind};
use riello_ser::publish::{self, Battery};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, stream)) = data.split_first() else { return };
    let kind = if mode & 1 == 0 { Kind::Gpser } else { Kind::Sentr };
    let crc = mode & 2 != 0;
    let mut answers = Vec::new();
    let mut d = Deframer::new(kind, crc);
    for &b in stream {
        if let Some(a) = d.push(b) {
            assert!(a.len <= protocol::BUFFER_SIZE && a.buf.len() == protocol::BUFFER_SIZE);
            answers.push(a.buf);
        }
    }
    answers.push(stream.to_vec());
    let mut r = RielloData::default();
    for buf in &answers {
        parse::parse_gi(buf, &mut r);
        parse::parse_gn(buf, &mut r);
        for n in [42, 48, 64] {
            parse::parse_rs(buf, &mut r, n);
        }
        parse::parse_re(buf, &mut r);
        let _ = protocol::check_ok(kind, buf, buf.len(), crc);
        let (_, batt) = publish::init_vars(&r, mode & 4 != 0, kind, true, None, None, None);
        let _ = publish::update_vars(&r, true, Some(&batt));
        let _ = publish::update_vars(&r, false, None);
        let odd = Battery { nominal: 0.0, low: f64::from(mode), high: f64::from(mode) };
        let _ = publish::update_vars(&r, true, Some(&odd));
        let _ = parse::parse_sentr(buf, &mut r);
        let _ = publish::update_vars(&r, true, None);
    }
});
