//! NFLOG messages (`LINKTYPE_NFLOG`, 239, `tcpdump -i nflog`): a family and resource id, then TLVs, one of them the logged packet from its network header.
//!
//! The header: family (1), version (1), resource id (2, big-endian). Each
//! TLV: length (2) type (2) value, the length counting the 4-byte TLV
//! header, padded to 4 bytes. Length and type are in the byte order of the
//! capturing host, which the file does not say: the order in which every
//! TLV fits the message exactly is taken, little-endian when both do (the
//! common hosts).

use crate::bytes::{be16, split};
use crate::ethertype;

const NFULA_PACKET_HDR: u16 = 1;
const NFULA_PAYLOAD: u16 = 9;

/// The length of the message header.
pub const HEADER_LEN: usize = 4;

/// A byte order for the TLV headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Little,
    Big,
}

/// A view of an NFLOG message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nflog<'a> {
    header: &'a [u8; HEADER_LEN],
    tlvs: &'a [u8],
}

impl<'a> Nflog<'a> {
    /// The message at the start of `bytes`; `None` when its header is not there.
    #[inline]
    pub fn new_checked(bytes: &'a [u8]) -> Option<Self> {
        let (header, tlvs) = split(bytes)?;
        Some(Nflog { header, tlvs })
    }

    /// The address family (2 IPv4, 10 IPv6, 7 bridge, 3 ARP).
    #[inline]
    pub fn family(&self) -> u8 {
        self.header[0]
    }

    /// Version (0).
    #[inline]
    pub fn version(&self) -> u8 {
        self.header[1]
    }

    /// Resource id (the NFLOG group).
    #[inline]
    pub fn resource_id(&self) -> u16 {
        be16(self.header, 2)
    }

    /// The logged packet and the EtherType it starts with: by the
    /// EtherType of the packet-header TLV when it gives one (ARP from
    /// bridge or arptables rules), else by the family (2 IPv4, 10 IPv6), as
    /// Wireshark does. `None` when the TLVs do not fill the message in
    /// either byte order, there is no payload TLV, or nothing says what it is.
    pub fn packet(&self) -> Option<(u16, &'a [u8])> {
        let order = [Order::Little, Order::Big]
            .into_iter()
            .find(|&order| tlvs(self.tlvs, order, |_, _| {}))?;
        let (mut protocol, mut payload) = (0, None);
        tlvs(self.tlvs, order, |kind, value| match kind {
            NFULA_PACKET_HDR if value.len() == 4 => protocol = be16(value, 0),
            NFULA_PAYLOAD => payload = Some(value),
            _ => {}
        });
        let payload = payload?;
        match (protocol, self.family()) {
            (p, _) if p > ethertype::MAX_LENGTH => Some((p, payload)),
            (_, 2) => Some((ethertype::IPV4, payload)),
            (_, 10) => Some((ethertype::IPV6, payload)),
            _ => None,
        }
    }
}

/// Hands each TLV's type (without the netlink flag bits) and value to
/// `visit`; whether the TLVs fill `tlvs` exactly (the last may lack its
/// padding).
fn tlvs<'a>(mut tlvs: &'a [u8], order: Order, mut visit: impl FnMut(u16, &'a [u8])) -> bool {
    while !tlvs.is_empty() {
        let Some((h, _)) = split::<4>(tlvs) else {
            return false;
        };
        let (len, kind) = match order {
            Order::Little => (
                u16::from_le_bytes([h[0], h[1]]),
                u16::from_le_bytes([h[2], h[3]]),
            ),
            Order::Big => (be16(h, 0), be16(h, 2)),
        };
        let len = usize::from(len);
        let Some(value) = tlvs.get(4..len) else {
            return false;
        };
        visit(kind & 0x3fff, value);
        tlvs = tlvs.get(len.next_multiple_of(4)..).unwrap_or_default();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    /// An IPv4 NFLOG message, little-endian TLVs: packet header (IPv4),
    /// a prefix needing padding, the payload.
    const MESSAGE: [u8; 32] = [
        2, 0, 0, 7, 8, 0, 1, 0, 0x08, 0x00, 3, 0, 10, 0, 10, 0, b'd', b'r', b'o', b'p', b':', 0, 0,
        0, 8, 0, 9, 0, 0x45, 0, 0, 20,
    ];

    #[test]
    fn payload_by_ethertype_and_damage_refused() {
        let msg = Nflog::new_checked(&MESSAGE).unwrap();
        assert_eq!((msg.family(), msg.version(), msg.resource_id()), (2, 0, 7));
        assert_eq!(msg.packet(), Some((0x0800, &MESSAGE[28..])));
        assert_eq!(Nflog::new_checked(&MESSAGE[..30]).unwrap().packet(), None);
        every_prefix(&MESSAGE, |b| {
            let _ = Nflog::new_checked(b).map(|n| n.packet());
        });
    }
}
