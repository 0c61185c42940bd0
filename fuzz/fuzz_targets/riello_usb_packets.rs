//! riello_usb's USB framing: the fuzz input (after one byte choosing the sum or CRC check) is
//! a stream of 8-byte bulk-in packets as the Cypress bridge returns them; each packet's data
//! (count in byte 0's low bits) goes through the GPSER deframer, and every answer completed is
//! decoded and published as riello_usb does. The same bytes are also sent out as bulk-out
//! packets and read back as the device reads them.
//!
//! Properties: never panics; a packet never gives more than seven bytes, nor more than it
//! holds; bulk-out packets are 8 bytes and carry exactly the request, in order.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nut_riello::parse::{self, RielloData};
use nut_riello::protocol::{Deframer, Kind};
use nut_riello::publish;
use riello_usb::framing;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, stream)) = data.split_first() else { return };
    let crc = mode & 1 != 0;
    let mut d = Deframer::new(Kind::Gpser, crc);
    let mut r = RielloData::default();
    for p in stream.chunks(framing::PACKET) {
        let bytes = framing::payload(p);
        assert!(bytes.len() <= framing::CHUNK && bytes.len() < p.len().max(1));
        for &b in bytes {
            if let Some(a) = d.push(b) {
                parse::parse_gi(&a.buf, &mut r);
                parse::parse_gn(&a.buf, &mut r);
                parse::parse_rs(&a.buf, &mut r, 42);
                parse::parse_re(&a.buf, &mut r);
                let (_, batt) = publish::init_vars(&r, true, Kind::Gpser, true, None, None, None);
                let _ = publish::update_vars(&r, true, Some(&batt));
            }
        }
    }
    let out = framing::packets(stream);
    assert!(out.iter().all(|p| p.len() == framing::PACKET));
    let back: Vec<u8> = out.iter().flat_map(|p| framing::unpack(p).to_vec()).collect();
    assert_eq!(back, stream);
});
