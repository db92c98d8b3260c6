//! Radiotap headers (`LINKTYPE_IEEE802_11_RADIOTAP`): version, little-endian length and present flags before the 802.11 frame.

use crate::bytes::split;

/// The length of the fixed part.
pub const FIXED_LEN: usize = 4;

/// A view of a radiotap header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Radiotap<'a> {
    header: &'a [u8; FIXED_LEN],
    bytes: &'a [u8],
}

impl<'a> Radiotap<'a> {
    /// The header at the start of `bytes`; `None` when its fixed part is not there.
    #[inline(always)]
    pub fn new_checked(bytes: &'a [u8]) -> Option<Self> {
        let (header, _) = split::<FIXED_LEN>(bytes)?;
        Some(Radiotap { header, bytes })
    }

    /// Version (0).
    #[inline(always)]
    pub fn version(&self) -> u8 {
        self.header[0]
    }

    /// The whole header's length, little-endian.
    #[inline(always)]
    pub fn header_len(&self) -> usize {
        usize::from(u16::from_le_bytes([self.header[2], self.header[3]]))
    }

    /// The first present-flags word, if there.
    #[inline(always)]
    pub fn present(&self) -> Option<u32> {
        let word = self.bytes.get(4..8)?;
        Some(u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
    }

    /// The 802.11 frame after the header; `None` when the length runs past the bytes.
    #[inline(always)]
    pub fn payload(&self) -> Option<&'a [u8]> {
        self.bytes.get(self.header_len()..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn length_and_payload() {
        let b = [0u8, 0, 8, 0, 0x02, 0, 0, 0, 0x08, 0x01];
        let r = Radiotap::new_checked(&b).unwrap();
        assert_eq!((r.version(), r.header_len(), r.present()), (0, 8, Some(2)));
        assert_eq!(r.payload(), Some(&[0x08, 0x01][..]));
        assert_eq!(Radiotap::new_checked(&b[..7]).unwrap().payload(), None);
        every_prefix(&b, |b| {
            let _ = Radiotap::new_checked(b).map(|r| (r.payload(), r.present()));
        });
    }
}
