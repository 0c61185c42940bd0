//! mge-shut's SHUT framing: the packet reader, the control-transfer state machine (GET and
//! SET) and the descriptor parsers, fed the fuzz input as the bytes from the UPS.
//!
//! Properties: never panics, whatever the bytes; a transfer ends at most once (no input
//! after the result changes anything); an answer is never longer than the request allowed;
//! a packet's data is at most 8 bytes; bytes the host sends are only its request packets,
//! ACK and NAK.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mge_shut::shut::{self, Exchange, Input, PacketReader, Received, Setup};

fn exchange(setup: &Setup, out: &[u8], data: &[u8]) {
    let (mut x, first) = Exchange::start(setup, out);
    let packets = shut::request_packets(setup, out);
    assert_eq!(first, packets[0]);
    let mut done = false;
    for (i, &b) in data.iter().enumerate() {
        // Every 13th byte position stands for a timeout instead, so both inputs interleave.
        let input = if i % 13 == 12 && b & 1 == 1 { Input::Timeout } else { Input::Byte(b) };
        let step = x.input(input);
        if done {
            assert!(step.send.is_empty() && step.done.is_none(), "input after the end changed something");
            continue;
        }
        let known = step.send.is_empty()
            || step.send == [shut::ACK]
            || step.send == [shut::NAK]
            || packets.contains(&step.send);
        assert!(known, "unexpected bytes sent: {:02x?}", step.send);
        if let Some(r) = step.done {
            done = true;
            assert!(x.is_over());
            if let Ok(v) = r {
                assert!(v.len() <= usize::from(setup.length));
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut r = PacketReader::default();
    for &b in data {
        if let Some(Received::Packet(p)) = r.push(b) {
            assert!(p.data.len() <= shut::MAX_DATA);
        }
    }
    let len = data.first().map_or(8, |&b| u16::from(b));
    exchange(&Setup::get_report(1, len), &[], data);
    exchange(&Setup::get_descriptor(shut::desc::REPORT, 0, 1028), &[], data);
    let report: Vec<u8> = data.iter().take(20).copied().collect();
    exchange(&Setup::set_report(0x22, report.len() as u16), &report, data);
    let _ = shut::device_descriptor(data);
    let _ = shut::report_descriptor_length(data);
    if let Ok(s) = shut::string_descriptor(data, 511) {
        assert!(s.chars().count() <= 511);
    }
});
