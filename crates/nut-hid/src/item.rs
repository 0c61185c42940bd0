//! The item layer of a report descriptor: a byte stream of short and long items.
//!
//! A short item is one prefix byte (`tag:4 type:2 size:2`) followed by 0, 1, 2 or 4 data bytes.
//! A long item starts with 0xFE, then its data length and tag; no Power Device uses them, so
//! they are returned and skipped by the parser.

use crate::parser::DescriptorError;

/// The type bits of a short item prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// Input, Output, Feature, Collection, End Collection.
    Main,
    /// Usage Page, Logical/Physical Min/Max, Unit, Report Size/ID/Count, Push, Pop.
    Global,
    /// Usage, Usage Min/Max, designators, strings, delimiters.
    Local,
    /// Type 3 ("reserved") or a long item.
    Reserved,
}

/// One decoded item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Byte offset of the prefix in the descriptor, for error messages.
    pub offset: usize,
    /// The prefix byte with the size bits cleared (`tag << 4 | type << 2`); 0xFE for long items.
    pub tag: u8,
    /// Item type from the prefix.
    pub kind: ItemKind,
    /// Number of data bytes (0, 1, 2 or 4 for short items).
    pub size: usize,
    /// Data, little-endian, zero-extended.
    pub data: u32,
}

impl Item {
    /// The data read as a two's-complement number of `size` bytes (logical/physical limits).
    pub fn signed(&self) -> i64 {
        match self.size {
            1 => i64::from(self.data as u8 as i8),
            2 => i64::from(self.data as u16 as i16),
            4 => i64::from(self.data as i32),
            _ => 0,
        }
    }
}

/// Split a descriptor into items; a truncated item is an error, never a short read.
pub fn items(bytes: &[u8]) -> Result<Vec<Item>, DescriptorError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let prefix = bytes[pos];
        if prefix == 0xFE {
            // Long item: prefix, bDataSize, bLongItemTag, data.
            let Some(&len) = bytes.get(pos + 1) else {
                return Err(DescriptorError::Truncated { offset: pos, prefix, need: 2, have: 0 });
            };
            let need = 2 + usize::from(len);
            let have = bytes.len() - pos - 1;
            if have < need {
                return Err(DescriptorError::Truncated { offset: pos, prefix, need, have });
            }
            out.push(Item {
                offset: pos,
                tag: 0xFE,
                kind: ItemKind::Reserved,
                size: usize::from(len),
                data: 0,
            });
            pos += 1 + need;
            continue;
        }
        let size = [0usize, 1, 2, 4][usize::from(prefix & 3)];
        let have = bytes.len() - pos - 1;
        if have < size {
            return Err(DescriptorError::Truncated { offset: pos, prefix, need: size, have });
        }
        let mut data = 0u32;
        for (i, b) in bytes[pos + 1..pos + 1 + size].iter().enumerate() {
            data |= u32::from(*b) << (8 * i);
        }
        let kind = match (prefix >> 2) & 3 {
            0 => ItemKind::Main,
            1 => ItemKind::Global,
            2 => ItemKind::Local,
            _ => ItemKind::Reserved,
        };
        out.push(Item { offset: pos, tag: prefix & 0xFC, kind, size, data });
        pos += 1 + size;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_items_and_sizes() {
        let it = items(&[0x05, 0x84, 0x26, 0xff, 0x00, 0x17, 0x01, 0, 0, 0x80, 0xc0]).expect("valid");
        assert_eq!(it.len(), 4);
        assert_eq!((it[0].tag, it[0].data), (0x04, 0x84));
        assert_eq!((it[1].tag, it[1].data, it[1].signed()), (0x24, 255, 255));
        assert_eq!((it[2].tag, it[2].signed()), (0x14, i64::from(i32::MIN) + 1));
        assert_eq!(it[3].kind, ItemKind::Main);
    }

    #[test]
    fn truncated_item_is_an_error() {
        let err = items(&[0x05, 0x84, 0x27, 0xff]).expect_err("truncated");
        assert_eq!(err, DescriptorError::Truncated { offset: 2, prefix: 0x27, need: 4, have: 1 });
    }

    #[test]
    fn long_items_are_skipped() {
        let it = items(&[0xfe, 0x02, 0x10, 0xaa, 0xbb, 0xc0]).expect("valid");
        assert_eq!(it.len(), 2);
        assert_eq!(it[0].kind, ItemKind::Reserved);
        assert!(items(&[0xfe, 0x05, 0x10]).is_err());
    }
}
