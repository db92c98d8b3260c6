//! An 802.1Q tag that the kernel (or the NIC) stripped from a frame before capture, told apart from the tags still in its bytes.

/// An 802.1Q tag that the kernel (or the NIC) stripped from the frame before
/// capture. The bytes are as the kernel gave them, without it: MYCAP reports
/// it beside them (zero-copy), and netraf's capture files put it back, as
/// libpcap does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StrippedVlan {
    /// Tag protocol identifier (0x8100 for 802.1Q, 0x88a8 for 802.1ad).
    pub tpid: u16,
    /// Tag control information: priority (3 bits), DEI (1 bit), VLAN id (12 bits).
    pub tci: u16,
}

impl StrippedVlan {
    /// The 12-bit VLAN identifier.
    pub fn id(self) -> u16 {
        self.tci & 0x0fff
    }

    /// The 4 bytes of the tag as they stand in a frame after the MAC
    /// addresses: TPID then TCI, big-endian.
    pub fn to_bytes(self) -> [u8; 4] {
        let [a, b] = self.tpid.to_be_bytes();
        let [c, d] = self.tci.to_be_bytes();
        [a, b, c, d]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_and_bytes_of_a_tag() {
        let tag = StrippedVlan {
            tpid: 0x8100,
            tci: (5 << 13) | 42,
        };
        assert_eq!(tag.id(), 42);
        assert_eq!(tag.to_bytes(), [0x81, 0x00, 0xa0, 42]);
    }
}
