//! IPv4 headers: version and header length, total length, identification, flags and fragment offset, TTL, protocol, addresses; the payload by the lengths they declare.

use std::net::Ipv4Addr;

use crate::bytes::{array, be16, split, Field};

/// Field ranges of the IPv4 header.
pub mod field {
    use super::Field;
    /// Version (high nibble) and header length in 32-bit words (low nibble).
    pub const VER_IHL: usize = 0;
    /// Total length.
    pub const LENGTH: Field = 2..4;
    /// Identification.
    pub const IDENT: Field = 4..6;
    /// Flags (3 bits) and fragment offset (13 bits, in 8-byte units).
    pub const FLAGS_FRAG: Field = 6..8;
    /// Time to live.
    pub const TTL: usize = 8;
    /// Protocol.
    pub const PROTOCOL: usize = 9;
    /// Source address.
    pub const SOURCE: Field = 12..16;
    /// Destination address.
    pub const DESTINATION: Field = 16..20;
}

/// The length of a header without options.
pub const MIN_HEADER_LEN: usize = 20;

/// A view of an IPv4 header and the bytes after its first 20.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4<'a> {
    header: &'a [u8; MIN_HEADER_LEN],
    bytes: &'a [u8],
}

impl<'a> Ipv4<'a> {
    /// The header at the start of `bytes`; `None` when its first 20 bytes
    /// are not there or the version is not 4.
    #[inline(always)]
    pub fn new_checked(bytes: &'a [u8]) -> Option<Self> {
        let (header, _) = split::<MIN_HEADER_LEN>(bytes)?;
        (header[field::VER_IHL] >> 4 == 4).then_some(Ipv4 { header, bytes })
    }

    /// The header length in bytes as declared (may be bogus: below 20 or past the end).
    #[inline(always)]
    pub fn header_len(&self) -> usize {
        usize::from(self.header[field::VER_IHL] & 0x0f) * 4
    }

    /// The total length as declared (0 from segmentation offload).
    #[inline(always)]
    pub fn total_len(&self) -> u16 {
        be16(self.header, field::LENGTH.start)
    }

    /// Identification.
    #[inline(always)]
    pub fn ident(&self) -> u16 {
        be16(self.header, field::IDENT.start)
    }

    /// The 3 flag bits (reserved, don't fragment, more fragments).
    #[inline(always)]
    pub fn flags(&self) -> u8 {
        (be16(self.header, field::FLAGS_FRAG.start) >> 13) as u8
    }

    /// Don't fragment.
    #[inline(always)]
    pub fn dont_fragment(&self) -> bool {
        self.flags() & 0x2 != 0
    }

    /// More fragments.
    #[inline(always)]
    pub fn more_fragments(&self) -> bool {
        self.flags() & 0x1 != 0
    }

    /// The fragment offset in 8-byte units.
    #[inline(always)]
    pub fn fragment_offset(&self) -> u16 {
        be16(self.header, field::FLAGS_FRAG.start) & 0x1fff
    }

    /// Time to live.
    #[inline(always)]
    pub fn ttl(&self) -> u8 {
        self.header[field::TTL]
    }

    /// Protocol of the payload.
    #[inline(always)]
    pub fn protocol(&self) -> u8 {
        self.header[field::PROTOCOL]
    }

    /// Source address.
    #[inline(always)]
    pub fn source(&self) -> Ipv4Addr {
        Ipv4Addr::from(array::<4>(self.header, field::SOURCE))
    }

    /// Destination address.
    #[inline(always)]
    pub fn destination(&self) -> Ipv4Addr {
        Ipv4Addr::from(array::<4>(self.header, field::DESTINATION))
    }

    /// The payload: from the header's end to the declared total length, or
    /// to the end of the bytes when the total length is 0 (segmentation
    /// offload) or more than was captured. `None` when the header length is
    /// below 20, runs past the bytes, or exceeds a nonzero total length.
    #[inline(always)]
    pub fn payload(&self) -> Option<&'a [u8]> {
        let ihl = self.header_len();
        let total = usize::from(self.total_len());
        if ihl < MIN_HEADER_LEN || ihl > self.bytes.len() || (total != 0 && total < ihl) {
            return None;
        }
        self.bytes.get(ihl..declared_end(total, self.bytes.len()))
    }
}

/// Where a packet of declared length `declared` ends in `captured` bytes:
/// 0 (unknown) or more than was captured means the end of the capture.
#[inline(always)]
pub(crate) fn declared_end(declared: usize, captured: usize) -> usize {
    if declared == 0 {
        captured
    } else {
        declared.min(captured)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    /// DnsPackets.pcap frame 1 after Ethernet: 10.0.0.1 → 10.0.0.138, UDP, a DNS query.
    pub(crate) const DNS_QUERY: [u8; 60] = [
        0x45, 0x00, 0x00, 0x3c, 0x76, 0xd1, 0x00, 0x00, 0x80, 0x11, 0xaf, 0x55, 0x0a, 0x00, 0x00,
        0x01, 0x0a, 0x00, 0x00, 0x8a, 0xdc, 0xc8, 0x00, 0x35, 0x00, 0x28, 0xfd, 0xe8, 0x81, 0x85,
        0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x77, 0x77, 0x77, 0x06,
        0x67, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
    ];

    #[test]
    fn reads_a_real_header() {
        let ip = Ipv4::new_checked(&DNS_QUERY).unwrap();
        assert_eq!(
            (ip.header_len(), ip.total_len(), ip.ident()),
            (20, 60, 0x76d1)
        );
        assert_eq!(
            (ip.ttl(), ip.protocol(), ip.flags(), ip.fragment_offset()),
            (128, 17, 0, 0)
        );
        assert_eq!(ip.source(), Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(ip.destination(), Ipv4Addr::new(10, 0, 0, 138));
        assert_eq!(ip.payload().map(<[u8]>::len), Some(40));
        // Cut short: the payload is what was captured.
        let cut = Ipv4::new_checked(&DNS_QUERY[..30]).unwrap();
        assert_eq!(cut.payload().map(<[u8]>::len), Some(10));
        // Total length 0 (segmentation offload), and one below the header length.
        let mut tso = DNS_QUERY;
        tso[2..4].copy_from_slice(&[0, 0]);
        assert_eq!(
            Ipv4::new_checked(&tso).unwrap().payload().map(<[u8]>::len),
            Some(40)
        );
        tso[3] = 19;
        assert_eq!(Ipv4::new_checked(&tso).unwrap().payload(), None);
        let mut v6 = DNS_QUERY;
        v6[0] = 0x65;
        assert!(Ipv4::new_checked(&v6).is_none());
        every_prefix(&DNS_QUERY, |b| {
            let _ = Ipv4::new_checked(b).map(|ip| (ip.payload(), ip.source()));
        });
    }
}
