//! Ethernet II / 802.3 frames: destination and source MACs, then an EtherType (or an 802.3 length when at most 1500).

use crate::bytes::{array, be16, fixed_view, Field};

/// EtherType values netraf tells apart.
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// ARP.
    pub const ARP: u16 = 0x0806;
    /// Transparent Ethernet bridging (Ethernet inside GRE).
    pub const TEB: u16 = 0x6558;
    /// RARP (SLARP on Cisco HDLC).
    pub const RARP: u16 = 0x8035;
    /// 802.1Q VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
    /// MPLS unicast.
    pub const MPLS: u16 = 0x8847;
    /// MPLS multicast.
    pub const MPLS_MC: u16 = 0x8848;
    /// PPPoE session stage.
    pub const PPPOE_SESSION: u16 = 0x8864;
    /// 802.1ad service tag (QinQ).
    pub const QINQ: u16 = 0x88a8;
    /// Pre-standard QinQ tag.
    pub const QINQ_OLD: u16 = 0x9100;
    /// Pre-standard QinQ tag.
    pub const QINQ_OLD2: u16 = 0x9200;
    /// The largest 802.3 length: values up to it are lengths, not EtherTypes.
    pub const MAX_LENGTH: u16 = 1500;
}

/// Field ranges of the Ethernet header.
pub mod field {
    use super::Field;
    /// Destination MAC.
    pub const DESTINATION: Field = 0..6;
    /// Source MAC.
    pub const SOURCE: Field = 6..12;
    /// EtherType or 802.3 length.
    pub const ETHERTYPE: Field = 12..14;
}

/// The length of the Ethernet header.
pub const HEADER_LEN: usize = 14;

fixed_view! {
    /// A view of an Ethernet frame.
    Ethernet, HEADER_LEN
}

impl<'a> Ethernet<'a> {
    /// Destination MAC.
    #[inline(always)]
    pub fn destination(&self) -> [u8; 6] {
        array(self.header, field::DESTINATION)
    }

    /// Source MAC.
    #[inline(always)]
    pub fn source(&self) -> [u8; 6] {
        array(self.header, field::SOURCE)
    }

    /// Whether the destination is ff:ff:ff:ff:ff:ff.
    #[inline(always)]
    pub fn is_broadcast(&self) -> bool {
        self.destination() == [0xff; 6]
    }

    /// The EtherType, or an 802.3 length (at most 1500).
    #[inline(always)]
    pub fn ethertype(&self) -> u16 {
        be16(self.header, field::ETHERTYPE.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    /// ArpRequestPacket.pcap, frame 1: a broadcast ARP request.
    const ARP_FRAME: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x6c, 0xf0, 0x49, 0xb2, 0xde, 0x6e, 0x08, 0x06, 0x00,
        0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x6c, 0xf0, 0x49, 0xb2, 0xde, 0x6e, 0x0a, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x8a,
    ];

    #[test]
    fn reads_a_real_frame_and_refuses_short_ones() {
        let eth = Ethernet::new_checked(&ARP_FRAME).unwrap();
        assert!(eth.is_broadcast());
        assert_eq!(eth.source(), [0x6c, 0xf0, 0x49, 0xb2, 0xde, 0x6e]);
        assert_eq!(eth.ethertype(), ethertype::ARP);
        assert_eq!(eth.payload().len(), 28);
        assert!(Ethernet::new_checked(&ARP_FRAME[..13]).is_none());
        every_prefix(&ARP_FRAME, |b| {
            let _ = Ethernet::new_checked(b)
                .map(|e| (e.ethertype(), e.destination(), e.payload().len()));
        });
    }
}
