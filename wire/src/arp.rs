//! ARP and RARP bodies: hardware and protocol types and lengths, the operation, then sender and target addresses of those lengths.

use crate::bytes::{be16, split, Field};

/// Field ranges of the fixed part of an ARP body.
pub mod field {
    use super::Field;
    /// Hardware type (1 for Ethernet).
    pub const HTYPE: Field = 0..2;
    /// Protocol type (an EtherType).
    pub const PTYPE: Field = 2..4;
    /// Hardware address length.
    pub const HLEN: usize = 4;
    /// Protocol address length.
    pub const PLEN: usize = 5;
    /// Operation (1 request, 2 reply, 3/4 RARP).
    pub const OPER: Field = 6..8;
}

/// The length of the fixed part.
pub const FIXED_LEN: usize = 8;

/// A view of an ARP body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp<'a> {
    header: &'a [u8; FIXED_LEN],
    addresses: &'a [u8],
}

impl<'a> Arp<'a> {
    /// The body at the start of `bytes`; `None` when its fixed part is not all there.
    #[inline(always)]
    pub fn new_checked(bytes: &'a [u8]) -> Option<Self> {
        let (header, addresses) = split(bytes)?;
        Some(Arp { header, addresses })
    }

    /// Hardware type.
    #[inline(always)]
    pub fn hardware_type(&self) -> u16 {
        be16(self.header, field::HTYPE.start)
    }

    /// Protocol type.
    #[inline(always)]
    pub fn protocol_type(&self) -> u16 {
        be16(self.header, field::PTYPE.start)
    }

    /// Hardware address length.
    #[inline(always)]
    pub fn hardware_len(&self) -> u8 {
        self.header[field::HLEN]
    }

    /// Protocol address length.
    #[inline(always)]
    pub fn protocol_len(&self) -> u8 {
        self.header[field::PLEN]
    }

    /// Operation.
    #[inline(always)]
    pub fn operation(&self) -> u16 {
        be16(self.header, field::OPER.start)
    }

    /// The `index`th address (0 sender hardware, 1 sender protocol, 2
    /// target hardware, 3 target protocol), if all there.
    #[inline(always)]
    fn address(&self, index: usize) -> Option<&'a [u8]> {
        let (h, p) = (
            usize::from(self.hardware_len()),
            usize::from(self.protocol_len()),
        );
        let start = (index / 2) * (h + p) + (index % 2) * h;
        let len = if index % 2 == 0 { h } else { p };
        self.addresses.get(start..start + len)
    }

    /// Sender hardware address.
    #[inline(always)]
    pub fn sender_hardware(&self) -> Option<&'a [u8]> {
        self.address(0)
    }

    /// Sender protocol address.
    #[inline(always)]
    pub fn sender_protocol(&self) -> Option<&'a [u8]> {
        self.address(1)
    }

    /// Target hardware address.
    #[inline(always)]
    pub fn target_hardware(&self) -> Option<&'a [u8]> {
        self.address(2)
    }

    /// Target protocol address.
    #[inline(always)]
    pub fn target_protocol(&self) -> Option<&'a [u8]> {
        self.address(3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    /// ArpRequestPacket.pcap frame 1 after Ethernet: who has 10.0.0.138, tell 10.0.0.1.
    const REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x6c, 0xf0, 0x49, 0xb2, 0xde, 0x6e, 0x0a,
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x8a,
    ];

    #[test]
    fn reads_a_request() {
        let arp = Arp::new_checked(&REQUEST).unwrap();
        assert_eq!(
            (arp.hardware_type(), arp.protocol_type(), arp.operation()),
            (1, 0x0800, 1)
        );
        assert_eq!(arp.sender_hardware(), Some(&REQUEST[8..14]));
        assert_eq!(arp.sender_protocol(), Some(&[10, 0, 0, 1][..]));
        assert_eq!(arp.target_hardware(), Some(&[0; 6][..]));
        assert_eq!(arp.target_protocol(), Some(&[10, 0, 0, 138][..]));
        let cut = Arp::new_checked(&REQUEST[..27]).unwrap();
        assert_eq!(cut.target_protocol(), None);
        every_prefix(&REQUEST, |b| {
            let _ = Arp::new_checked(b).map(|a| (a.operation(), a.target_protocol()));
        });
    }
}
