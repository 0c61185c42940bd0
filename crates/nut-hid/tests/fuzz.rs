//! Arbitrary bytes never make the parser or the value reader panic.

use nut_hid::parse;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn arbitrary_descriptors_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(d) = parse(&bytes) {
            for f in &d.fields {
                let _ = f.value(&bytes);
                let _ = f.value(&[]);
            }
        }
    }

    #[test]
    fn mutated_real_descriptor_never_panics(pos in 0usize..926, byte in any::<u8>(), cut in 0usize..926) {
        let mut d = nut_hid::recording::parse_hex(include_str!("data/0463-ffff-eaton-3s-700.hex")).expect("hex");
        if pos < d.len() { d[pos] = byte; }
        d.truncate(cut.max(1));
        let _ = parse(&d);
    }
}
