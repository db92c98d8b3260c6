//! Linux cooked captures, `LINKTYPE_LINUX_SLL` (113) and `LINKTYPE_LINUX_SLL2` (276): the one place that knows their headers, to read one and to write an SLL2 header.
//!
//! SLL (16 bytes): packet type (2), ARPHRD type (2), address length (2),
//! address (8), protocol (2). SLL2 (20 bytes): protocol (2), reserved (2),
//! interface index (4), ARPHRD type (2), packet type (1), address length
//! (1), address (8). All big-endian. The protocol is an EtherType, or one of
//! the kernel's pseudo values for frames without one (`ETH_P_802_3` 1,
//! `ETH_P_802_2` 4).

use crate::bytes::be16;
use crate::{LinkType, PacketType};

/// The length of an SLL header.
pub const SLL_LEN: usize = 16;
/// The length of an SLL2 header.
pub const SLL2_LEN: usize = 20;

/// A Linux cooked header read from the start of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cooked<'a> {
    /// The protocol: an EtherType or a kernel pseudo value.
    pub protocol: u16,
    /// What the packet was to the capturing host.
    pub packet_type: PacketType,
    /// The link-layer address type (`ARPHRD_*`).
    pub hatype: u16,
    /// The length of the link-layer address as the header says it (may
    /// exceed the 8 bytes of `address`).
    pub halen: u16,
    /// The address field: the sender's link-layer address in its first
    /// `halen` bytes (at most 8).
    pub address: &'a [u8; 8],
    /// How many bytes the header takes: the packet follows.
    pub header_len: usize,
}

/// Reads the cooked header of a packet of `link_type`; `None` when the link
/// type is not SLL or SLL2, or the packet is shorter than its header.
pub fn parse(link_type: LinkType, data: &[u8]) -> Option<Cooked<'_>> {
    match link_type {
        LinkType::LINUX_SLL => {
            let h = data.get(..SLL_LEN)?;
            Some(Cooked {
                protocol: be16(h, 14),
                packet_type: sll_packet_type(be16(h, 0)),
                hatype: be16(h, 2),
                halen: be16(h, 4),
                address: h[6..14].try_into().ok()?,
                header_len: SLL_LEN,
            })
        }
        LinkType::LINUX_SLL2 => {
            let h = data.get(..SLL2_LEN)?;
            Some(Cooked {
                protocol: be16(h, 0),
                packet_type: PacketType::from_sll(h[10]),
                hatype: be16(h, 8),
                halen: u16::from(h[11]),
                address: h[12..20].try_into().ok()?,
                header_len: SLL2_LEN,
            })
        }
        _ => None,
    }
}

/// The packet type of a cooked packet, which needs only the bytes up to it
/// (2 for SLL, 11 for SLL2) rather than the whole header; `None` when the
/// link type is not cooked or those bytes are not there.
#[inline]
pub fn packet_type(link_type: LinkType, data: &[u8]) -> Option<PacketType> {
    match link_type {
        LinkType::LINUX_SLL => data.get(..2).map(|h| sll_packet_type(be16(h, 0))),
        LinkType::LINUX_SLL2 => data.get(10).map(|&value| PacketType::from_sll(value)),
        _ => None,
    }
}

/// An SLL2 header to write.
#[derive(Debug, Clone, Copy)]
pub struct Sll2<'a> {
    /// The protocol: an EtherType or a kernel pseudo value.
    pub protocol: u16,
    /// The interface index.
    pub ifindex: u32,
    /// The link-layer address type (`ARPHRD_*`).
    pub hatype: u16,
    /// The packet type byte (`sll_pkttype`).
    pub packet_type: u8,
    /// The sender's link-layer address; at most 8 bytes are written.
    pub address: &'a [u8],
}

impl Sll2<'_> {
    /// Appends the 20-byte header to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        let address = &self.address[..self.address.len().min(8)];
        let mut field = [0u8; 8];
        field[..address.len()].copy_from_slice(address);
        out.extend_from_slice(&self.protocol.to_be_bytes());
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.ifindex.to_be_bytes());
        out.extend_from_slice(&self.hatype.to_be_bytes());
        out.push(self.packet_type);
        out.push(address.len() as u8);
        out.extend_from_slice(&field);
    }
}

/// SLL's 16-bit packet type; a value past a byte stands for "other".
fn sll_packet_type(value: u16) -> PacketType {
    PacketType::from_sll(u8::try_from(value).unwrap_or(u8::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_read_and_sll2_written_back() {
        let sll = [
            &[0, 4, 0, 1, 0, 6][..],
            &[2, 0, 0, 0, 0, 9, 0, 0],
            &[0x08, 0x00],
            &[0x45],
        ]
        .concat();
        let c = parse(LinkType::LINUX_SLL, &sll).unwrap();
        assert_eq!(
            (c.protocol, c.packet_type, c.hatype, c.halen, c.header_len),
            (0x0800, PacketType::Outgoing, 1, 6, 16)
        );
        assert_eq!(c.address[..6], [2, 0, 0, 0, 0, 9]);
        let mut out = Vec::new();
        Sll2 {
            protocol: c.protocol,
            ifindex: 7,
            hatype: c.hatype,
            packet_type: c.packet_type.to_sll(),
            address: &c.address[..usize::from(c.halen)],
        }
        .write(&mut out);
        assert_eq!(out.len(), SLL2_LEN);
        let c2 = parse(LinkType::LINUX_SLL2, &out).unwrap();
        assert_eq!(
            (c2.protocol, c2.packet_type, c2.hatype, c2.halen, c2.address),
            (0x0800, PacketType::Outgoing, 1, 6, c.address)
        );
        assert_eq!(out[4..8], 7u32.to_be_bytes());
        assert_eq!(parse(LinkType::LINUX_SLL, &sll[..15]), None);
        assert_eq!(parse(LinkType::ETHERNET, &sll), None);
        // The packet type alone needs fewer bytes.
        assert_eq!(
            packet_type(LinkType::LINUX_SLL, &[1, 0]),
            Some(PacketType::Other(u8::MAX))
        );
        assert_eq!(
            packet_type(LinkType::LINUX_SLL2, &out[..11]),
            Some(PacketType::Outgoing)
        );
        assert_eq!(packet_type(LinkType::LINUX_SLL2, &out[..10]), None);
    }
}
