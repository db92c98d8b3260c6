//! IPv6 fixed headers: traffic class, flow label, payload length, next header, hop limit, addresses; the payload by the length they declare.

use std::net::Ipv6Addr;

use crate::bytes::{array, be16, be32, split, Field};
use crate::ipv4::declared_end;

/// Field ranges of the IPv6 header.
pub mod field {
    use super::Field;
    /// Version (4 bits), traffic class (8), flow label (20).
    pub const VER_TC_FLOW: Field = 0..4;
    /// Payload length.
    pub const LENGTH: Field = 4..6;
    /// Next header.
    pub const NEXT_HEADER: usize = 6;
    /// Hop limit.
    pub const HOP_LIMIT: usize = 7;
    /// Source address.
    pub const SOURCE: Field = 8..24;
    /// Destination address.
    pub const DESTINATION: Field = 24..40;
}

/// The length of the fixed header.
pub const HEADER_LEN: usize = 40;

/// A view of an IPv6 fixed header and the bytes after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6<'a> {
    header: &'a [u8; HEADER_LEN],
    rest: &'a [u8],
}

impl<'a> Ipv6<'a> {
    /// The header at the start of `bytes`; `None` when not all there or the
    /// version is not 6.
    #[inline(always)]
    pub fn new_checked(bytes: &'a [u8]) -> Option<Self> {
        let (header, rest) = split::<HEADER_LEN>(bytes)?;
        (header[0] >> 4 == 6).then_some(Ipv6 { header, rest })
    }

    /// Traffic class.
    #[inline(always)]
    pub fn traffic_class(&self) -> u8 {
        (be32(self.header, field::VER_TC_FLOW.start) >> 20) as u8
    }

    /// The 20-bit flow label.
    #[inline(always)]
    pub fn flow_label(&self) -> u32 {
        be32(self.header, field::VER_TC_FLOW.start) & 0x000f_ffff
    }

    /// Payload length as declared (0 for a jumbogram or "BIG TCP").
    #[inline(always)]
    pub fn payload_len(&self) -> u16 {
        be16(self.header, field::LENGTH.start)
    }

    /// The header after this one.
    #[inline(always)]
    pub fn next_header(&self) -> u8 {
        self.header[field::NEXT_HEADER]
    }

    /// Hop limit.
    #[inline(always)]
    pub fn hop_limit(&self) -> u8 {
        self.header[field::HOP_LIMIT]
    }

    /// Source address.
    #[inline(always)]
    pub fn source(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.source_bytes())
    }

    /// Destination address.
    #[inline(always)]
    pub fn destination(&self) -> Ipv6Addr {
        Ipv6Addr::from(self.destination_bytes())
    }

    /// Source address as bytes.
    #[inline(always)]
    pub fn source_bytes(&self) -> [u8; 16] {
        array(self.header, field::SOURCE)
    }

    /// Destination address as bytes.
    #[inline(always)]
    pub fn destination_bytes(&self) -> [u8; 16] {
        array(self.header, field::DESTINATION)
    }

    /// The payload (extension headers included): to the declared length, or
    /// to the end of the bytes when that is 0 or more than was captured.
    #[inline(always)]
    pub fn payload(&self) -> &'a [u8] {
        let end = match usize::from(self.payload_len()) {
            0 => self.rest.len(),
            len => declared_end(len, self.rest.len()),
        };
        self.rest.get(..end).unwrap_or(self.rest)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    /// IgmpPackets.pcap frame 1 after Ethernet: an MLDv2 report with a hop-by-hop header.
    pub(crate) const MLD_REPORT: [u8; 76] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x9c, 0x09, 0xb4, 0x16, 0x07, 0x68, 0xff, 0x42, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16, 0x3a, 0x00, 0x05, 0x02, 0x00,
        0x00, 0x01, 0x00, 0x8f, 0x00, 0x1a, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00,
        0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x03,
    ];

    #[test]
    fn reads_a_real_header() {
        let ip = Ipv6::new_checked(&MLD_REPORT).unwrap();
        assert_eq!(
            (ip.payload_len(), ip.next_header(), ip.hop_limit()),
            (36, 0, 1)
        );
        assert_eq!((ip.traffic_class(), ip.flow_label()), (0, 0));
        assert_eq!(ip.destination(), "ff02::16".parse::<Ipv6Addr>().unwrap());
        assert_eq!(ip.payload().len(), 36);
        assert_eq!(
            Ipv6::new_checked(&MLD_REPORT[..50])
                .unwrap()
                .payload()
                .len(),
            10
        );
        assert!(Ipv6::new_checked(&MLD_REPORT[..39]).is_none());
        every_prefix(&MLD_REPORT, |b| {
            let _ = Ipv6::new_checked(b).map(|ip| (ip.payload(), ip.source()));
        });
    }
}
