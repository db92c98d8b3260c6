//! IEEE 802.11 MAC headers: frame control, addresses, and the length of the header before a data frame's LLC.

use crate::bytes::{array, split};

/// The length of a data frame header with three addresses.
pub const DATA_HEADER_LEN: usize = 24;

/// A view of an 802.11 frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ieee80211<'a> {
    fc: &'a [u8; 2],
    bytes: &'a [u8],
}

impl<'a> Ieee80211<'a> {
    /// The frame at the start of `bytes`; `None` when its frame control is not there.
    #[inline(always)]
    pub fn new_checked(bytes: &'a [u8]) -> Option<Self> {
        let (fc, _) = split::<2>(bytes)?;
        Some(Ieee80211 { fc, bytes })
    }

    /// Frame type: 0 management, 1 control, 2 data.
    #[inline(always)]
    pub fn frame_type(&self) -> u8 {
        (self.fc[0] >> 2) & 0x3
    }

    /// Subtype.
    #[inline(always)]
    pub fn subtype(&self) -> u8 {
        self.fc[0] >> 4
    }

    /// The flags byte of frame control (to/from DS, protected, order...).
    #[inline(always)]
    pub fn flags(&self) -> u8 {
        self.fc[1]
    }

    /// Whether the body is encrypted.
    #[inline(always)]
    pub fn is_protected(&self) -> bool {
        self.flags() & 0x40 != 0
    }

    /// The receiver address (address 1), if there.
    #[inline(always)]
    pub fn receiver(&self) -> Option<[u8; 6]> {
        (self.bytes.len() >= 10).then(|| array(self.bytes, 4..10))
    }

    /// The length of a data frame's header: 24, plus 6 for a fourth
    /// address, plus 2 for QoS control and 4 more for HT control.
    #[inline(always)]
    pub fn data_header_len(&self) -> usize {
        let (subtype, flags) = (self.subtype(), self.flags());
        let mut len = DATA_HEADER_LEN;
        if flags & 0x03 == 0x03 {
            len += 6;
        }
        if subtype & 0x8 != 0 {
            len += 2;
            if flags & 0x80 != 0 {
                len += 4;
            }
        }
        len
    }

    /// The LLC header and what follows of a data frame that carries one;
    /// `None` for other frames, null-data frames, protected frames, or a
    /// header that is not all there.
    #[inline(always)]
    pub fn llc(&self) -> Option<&'a [u8]> {
        if self.frame_type() != 2 || self.subtype() & 0x4 != 0 || self.is_protected() {
            return None;
        }
        self.bytes.get(self.data_header_len()..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn data_frames_carry_llc() {
        // A QoS data frame from the DS (ieee802.11_exthdr.pcap's shape): 26-byte header.
        let mut frame = [0u8; 34];
        frame[0] = 0x88;
        frame[1] = 0x02;
        frame[4..10].copy_from_slice(&[0xff; 6]);
        frame[26..29].copy_from_slice(&[0xaa, 0xaa, 0x03]);
        let f = Ieee80211::new_checked(&frame).unwrap();
        assert_eq!(
            (f.frame_type(), f.subtype(), f.data_header_len()),
            (2, 8, 26)
        );
        assert_eq!(f.receiver(), Some([0xff; 6]));
        assert_eq!(f.llc().map(|l| l[0]), Some(0xaa));
        frame[1] = 0x42;
        assert_eq!(
            Ieee80211::new_checked(&frame).unwrap().llc(),
            None,
            "protected"
        );
        let beacon = [0x80, 0, 0, 0];
        assert_eq!(Ieee80211::new_checked(&beacon).unwrap().llc(), None);
        every_prefix(&frame, |b| {
            let _ = Ieee80211::new_checked(b).map(|f| (f.llc(), f.receiver()));
        });
    }
}
