//! nhs_ser's packet handling: the byte stream an NHS UPS sends (fuzz input, after a few bytes
//! that choose the ups.conf settings) cut into packets by the framer, each decoded, and every
//! data packet published with whatever hardware information came before it.
//!
//! Properties: never panics (overflow checks on) whatever the bytes and settings; the framer
//! only hands out packets that start with 0xFF, end with 0xFE and are at most 100 bytes long.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nhs_ser::protocol::{self, Framed, Framer, Packet};
use nhs_ser::publish::{self, Memory, Params};

fuzz_target!(|data: &[u8]| {
    let (head, stream) = data.split_at(data.len().min(6));
    let b = |i: usize| head.get(i).copied().unwrap_or(0);
    let params = Params {
        vbat: (b(0) as u32).wrapping_mul(16_843_009).max(1),
        ah: b(1) as u32 * 16_843_009,
        pf: b(2) as f32 / 100.0,
        va: (b(3) & 1 == 1).then(|| b(3) as u32 * 1000),
        numbatteries: (b(4) & 1 == 1).then(|| b(4) as u32 * 16_843_009),
        vin_low_warn_perc: b(5) as f32,
        debug_pkt_data: true,
        debug_pkt_hwinfo: true,
        ..Params::default()
    };
    let mut framer = Framer::default();
    let mut mem = Memory::default();
    let mut hw = None;
    for f in framer.feed(stream) {
        let Framed::Packet(p) = f else { continue };
        assert_eq!(p.first(), Some(&protocol::HEADER));
        assert_eq!(p.last(), Some(&protocol::END));
        assert!(p.len() <= protocol::MAX_PACKET);
        match protocol::classify(&p) {
            Packet::HwInfo(h) => {
                let _ = publish::hwinfo_vars(&h, &params);
                hw = Some(h);
            }
            Packet::Data(d) => {
                let _ = d.checksum_ok();
                let _ = publish::data_update(&d, hw.as_ref(), &params, &mut mem);
                let _ = publish::data_update(&d, None, &params, &mut mem);
            }
            Packet::Unknown(_) => {}
        }
    }
});
