//! ICMP and ICMPv6 messages: type, code and checksum, the same 4 bytes in both, then the message body.

use crate::bytes::{be16, fixed_view};

/// The length of the type/code/checksum header.
pub const HEADER_LEN: usize = 4;

fixed_view! {
    /// A view of an ICMP (or ICMPv6) message header.
    Icmp, HEADER_LEN
}

/// ICMPv6 messages start as ICMP's do: type, code, checksum.
pub type Icmpv6<'a> = Icmp<'a>;

impl<'a> Icmp<'a> {
    /// Message type.
    #[inline(always)]
    pub fn kind(&self) -> u8 {
        self.header[0]
    }

    /// Code.
    #[inline(always)]
    pub fn code(&self) -> u8 {
        self.header[1]
    }

    /// Checksum.
    #[inline(always)]
    pub fn checksum(&self) -> u16 {
        be16(self.header, 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn reads_echo_and_mld() {
        // vxlan.pcap frame 1, the inner ICMP echo request.
        let echo = [0x08, 0x00, 0xf6, 0xf2, 0x05, 0x0c, 0x00, 0x01];
        let icmp = Icmp::new_checked(&echo).unwrap();
        assert_eq!((icmp.kind(), icmp.code(), icmp.checksum()), (8, 0, 0xf6f2));
        assert_eq!(icmp.payload().len(), 4);
        // IgmpPackets.pcap frame 1: MLDv2 report.
        let mld = [0x8f, 0x00, 0x1a, 0x3c, 0x00, 0x00, 0x00, 0x01];
        assert_eq!(Icmpv6::new_checked(&mld).map(|m| m.kind()), Some(143));
        every_prefix(&echo, |b| {
            let _ = Icmp::new_checked(b).map(|i| i.code());
        });
    }
}
