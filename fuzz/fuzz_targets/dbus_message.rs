//! upsmon's D-Bus client (the sleep watcher's link to systemd-logind): `message_len`,
//! `decode` and the receiving `Inbox`, on arbitrary bytes as a hostile bus peer could send.
//!
//! Properties: never panics; a decoded message, encoded again, has the length
//! `message_len` reads from it and decodes to the same header fields and body; the input fed
//! to an `Inbox` in chunks (the first byte gives their size) never makes it hold more than
//! `MAX_MESSAGE` bytes plus one chunk, and every message it gives out decodes again from its
//! own encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use upsmon::sleep::{decode, encode, message_len, Inbox, Message, MAX_MESSAGE};

/// What a message says, without its descriptors, sender and descriptor count (which the
/// encoder does not write or computes itself).
fn fields(m: &Message) -> impl PartialEq + std::fmt::Debug + '_ {
    (
        m.kind,
        m.serial,
        &m.path,
        &m.interface,
        &m.member,
        &m.error_name,
        m.reply_serial,
        &m.destination,
        &m.body,
    )
}

fn round_trip(m: &Message) {
    let data = encode(m, m.serial);
    let (_, total) = message_len(&data).expect("own encoding has a valid length").expect("complete header");
    assert_eq!(total, data.len());
    let back = decode(&data).expect("own encoding decodes");
    assert_eq!(fields(&back), fields(m));
}

fuzz_target!(|data: &[u8]| {
    let _ = message_len(data);
    if let Ok(m) = decode(data) {
        round_trip(&m);
    }
    let Some((&first, rest)) = data.split_first() else { return };
    let chunk = usize::from(first % 64) + 1;
    let mut inbox = Inbox::default();
    'feed: for piece in rest.chunks(chunk) {
        if inbox.push(piece, Vec::new()).is_err() {
            break;
        }
        loop {
            match inbox.pop() {
                Ok(Some(m)) => round_trip(&m),
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
        assert!(inbox.buffered() <= MAX_MESSAGE + chunk, "{} bytes held", inbox.buffered());
    }
});
