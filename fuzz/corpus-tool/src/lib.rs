//! The decoder fuzz target's input format, shared with the seed builder: one prefix byte that picks the link type, packet type and a stripped VLAN tag, then the frame.
//!
//! Prefix bits 0-4 index [`LINK_TYPES`] (an index past its end is an unknown
//! link type), bits 5-6 the packet type (host, broadcast, multicast,
//! outgoing), bit 7 a VLAN tag that the kernel stripped.

use mycap_core::{LinkType, PacketType, StrippedVlan};

/// Every link type the decoder knows, then some it does not.
pub const LINK_TYPES: [LinkType; 25] = [
    LinkType::ETHERNET,
    LinkType::LINUX_SLL,
    LinkType::LINUX_SLL2,
    LinkType::NULL,
    LinkType::LOOP,
    LinkType::RAW,
    LinkType(12),
    LinkType(14),
    LinkType::IPV4,
    LinkType::IPV6,
    LinkType::C_HDLC,
    LinkType(9),
    LinkType(50),
    LinkType::IEEE802_11,
    LinkType::IEEE802_11_RADIOTAP,
    // PPPoE without Ethernet, NFLOG, netANALYZER (plain and transparent), IP over InfiniBand.
    LinkType(51),
    LinkType(239),
    LinkType(240),
    LinkType(241),
    LinkType(242),
    LinkType(147),
    LinkType(192),
    LinkType(284),
    LinkType(253),
    LinkType(u16::MAX),
];

const PACKET_TYPES: [PacketType; 4] = [
    PacketType::Host,
    PacketType::Broadcast,
    PacketType::Multicast,
    PacketType::Outgoing,
];

/// The tag reported as stripped when bit 7 of the prefix is set.
pub const STRIPPED_TAG: StrippedVlan = StrippedVlan {
    tci: 0x2abc,
    tpid: 0x8100,
};

/// What a prefix byte stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    /// The frame's link type.
    pub link_type: LinkType,
    /// The packet type MYCAP reported.
    pub pkttype: PacketType,
    /// A VLAN tag the kernel stripped.
    pub vlan: Option<StrippedVlan>,
}

impl Prefix {
    /// Reads a prefix byte.
    pub fn from_byte(byte: u8) -> Prefix {
        let index = usize::from(byte & 0x1f);
        let link_type = LINK_TYPES
            .get(index)
            .copied()
            .unwrap_or(LinkType(1000 + u16::from(byte & 0x1f)));
        Prefix {
            link_type,
            pkttype: PACKET_TYPES[usize::from((byte >> 5) & 0x3)],
            vlan: (byte & 0x80 != 0).then_some(STRIPPED_TAG),
        }
    }

    /// The prefix byte of a frame of `link_type` received by this host
    /// without a stripped tag; `None` for a link type outside [`LINK_TYPES`].
    pub fn byte_for(link_type: LinkType) -> Option<u8> {
        let index = LINK_TYPES.iter().position(|&l| l == link_type)?;
        u8::try_from(index).ok()
    }
}

/// FNV-1a, 64 bits: names seed files by their content.
pub fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_link_type_round_trips() {
        for link_type in LINK_TYPES {
            let byte = Prefix::byte_for(link_type).unwrap();
            let prefix = Prefix::from_byte(byte);
            assert_eq!(prefix.link_type, link_type);
            assert_eq!((prefix.pkttype, prefix.vlan), (PacketType::Host, None));
        }
        assert_eq!(Prefix::from_byte(0xff).vlan, Some(STRIPPED_TAG));
        assert_eq!(Prefix::byte_for(LinkType(4242)), None);
    }
}
