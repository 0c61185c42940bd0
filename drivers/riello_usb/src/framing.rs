//! The USB framing of NUT 2.8.5's riello_usb (`Send_USB_Packet`, `Get_USB_Packet`): the
//! bridge takes and gives 8-byte bulk packets whose first byte says how many of the other
//! seven carry data.
//!
//! Out (endpoint 0x02): a request is cut into 7-byte pieces, each sent as `0x37` and the
//! seven bytes; the rest (1 to 6 bytes) as `0x30 + n`, the bytes, and `'0'` (0x30) padding.
//! In (endpoint 0x81): the low three bits of byte 0 are the count of data bytes after it.

/// Size of every bulk packet, both ways.
pub const PACKET: usize = 8;
/// Data bytes per packet.
pub const CHUNK: usize = 7;

/// The bulk-out packets carrying `frame`, in order.
pub fn packets(frame: &[u8]) -> Vec<[u8; PACKET]> {
    frame
        .chunks(CHUNK)
        .map(|c| {
            let mut p = [b'0'; PACKET];
            p[0] = 0x30 + c.len() as u8;
            p[1..=c.len()].copy_from_slice(c);
            p
        })
        .collect()
}

/// The data bytes of one bulk-in packet: the count in byte 0's low three bits, at most what
/// the transfer held (NUT copies the count whatever came; a short transfer gives less here).
pub fn payload(packet: &[u8]) -> &[u8] {
    let Some((&head, rest)) = packet.split_first() else { return &[] };
    let n = (head & 0x07) as usize;
    &rest[..n.min(rest.len())]
}

/// The bytes of a stream of bulk-out packets, as the device reads them (for the simulated
/// device in tests and the fuzz target): each packet's count is its first byte minus `'0'`,
/// seven for `0x37`; packets of another shape carry nothing.
pub fn unpack(packet: &[u8]) -> &[u8] {
    let Some((&head, rest)) = packet.split_first() else { return &[] };
    match head.checked_sub(0x30) {
        Some(n @ 1..=7) => &rest[..(n as usize).min(rest.len())],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gi_request_is_two_packets_as_nut_sends_it() {
        // GI: STX 20 22 'G' 'I' '0' '0' '0' '1' '3' '2' ETX, 12 bytes: 7 + 5.
        let gi = nut_riello::protocol::gi();
        assert_eq!(gi.len(), 12);
        let p = packets(&gi);
        assert_eq!(p, [*b"\x37\x02\x20\x22GI00", *b"\x350132\x0300"]);
        let back: Vec<u8> = p.iter().flat_map(|p| unpack(p).to_vec()).collect();
        assert_eq!(back, gi);
    }

    #[test]
    fn whole_chunks_have_no_padding_packet() {
        let f: Vec<u8> = (0..14).collect();
        let p = packets(&f);
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|p| p[0] == 0x37));
        assert!(packets(&[]).is_empty());
    }

    #[test]
    fn payload_takes_the_count_bits() {
        assert_eq!(payload(&[0x33, 1, 2, 3, 4, 5, 6, 7]), [1, 2, 3]);
        // Only the low three bits count (NUT masks with 0x07).
        assert_eq!(payload(&[0xF2, 9, 8, 0, 0, 0, 0, 0]), [9, 8]);
        assert_eq!(payload(&[0x30, 1, 2, 3, 4, 5, 6, 7]), [0u8; 0]);
        // A short transfer gives what it holds.
        assert_eq!(payload(&[0x37, 1, 2]), [1, 2]);
        assert_eq!(payload(&[]), [0u8; 0]);
    }
}
