//! UDP headers: ports, length and checksum; the payload.

use crate::bytes::{be16, fixed_view, Field};

/// Field ranges of the UDP header.
pub mod field {
    use super::Field;
    /// Source port.
    pub const SRC_PORT: Field = 0..2;
    /// Destination port.
    pub const DST_PORT: Field = 2..4;
    /// Length of header and payload.
    pub const LENGTH: Field = 4..6;
    /// Checksum.
    pub const CHECKSUM: Field = 6..8;
}

/// The length of the header.
pub const HEADER_LEN: usize = 8;

/// The VXLAN port (RFC 7348).
pub const VXLAN_PORT: u16 = 4789;

fixed_view! {
    /// A view of a UDP header.
    Udp, HEADER_LEN
}

impl<'a> Udp<'a> {
    /// Source port.
    #[inline(always)]
    pub fn src_port(&self) -> u16 {
        be16(self.header, field::SRC_PORT.start)
    }

    /// Destination port.
    #[inline(always)]
    pub fn dst_port(&self) -> u16 {
        be16(self.header, field::DST_PORT.start)
    }

    /// Length as declared.
    #[inline(always)]
    pub fn len(&self) -> u16 {
        be16(self.header, field::LENGTH.start)
    }

    /// Whether the declared length is 0 (as with jumbograms).
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Checksum.
    #[inline(always)]
    pub fn checksum(&self) -> u16 {
        be16(self.header, field::CHECKSUM.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn reads_a_real_header() {
        // DnsPackets.pcap frame 1: 56520 → 53, length 40.
        let b = [0xdc, 0xc8, 0x00, 0x35, 0x00, 0x28, 0xfd, 0xe8, 0x81];
        let udp = Udp::new_checked(&b).unwrap();
        assert_eq!(
            (udp.src_port(), udp.dst_port(), udp.len(), udp.checksum()),
            (56520, 53, 40, 0xfde8)
        );
        assert_eq!((udp.payload(), udp.is_empty()), (&[0x81][..], false));
        every_prefix(&b, |b| {
            let _ = Udp::new_checked(b).map(|u| u.dst_port());
        });
    }
}
