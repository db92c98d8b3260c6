//! BSD null/loopback headers (`LINKTYPE_NULL`, `LINKTYPE_LOOP`): a 4-byte address family in either byte order, or an EtherType in its last two bytes.

use crate::bytes::{be16, fixed_view};
use crate::ethertype;

/// The length of the header.
pub const HEADER_LEN: usize = 4;

fixed_view! {
    /// A view of a null/loopback header.
    Null, HEADER_LEN
}

impl<'a> Null<'a> {
    /// The address family, read in whichever byte order gives a value
    /// below 65536 (the capturing host's order for null, network order for loop).
    #[inline(always)]
    pub fn family(&self) -> u32 {
        let family = u32::from_le_bytes(*self.header);
        if family > 0xffff {
            family.swap_bytes()
        } else {
            family
        }
    }

    /// The EtherType of the packet after the header: by the family (2 IPv4;
    /// 10, 24, 28 or 30 IPv6), or an EtherType some systems put there
    /// instead (a value above 1500, as Wireshark knows); `None` for any other.
    #[inline(always)]
    pub fn ethertype(&self) -> Option<u16> {
        let family = self.family();
        match family {
            // An EtherType in the last two bytes, the first two holding other things.
            0x1_0000.. if be16(self.header, 2) > ethertype::MAX_LENGTH => {
                Some(be16(self.header, 2))
            }
            1501..=0xffff => Some(family as u16),
            2 => Some(ethertype::IPV4),
            10 | 24 | 28 | 30 => Some(ethertype::IPV6),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn families_in_both_orders() {
        // null_loopback.pcap frame 1: AF_INET6 30 (macOS), little-endian.
        let b = [0x1e, 0x00, 0x00, 0x00, 0x60];
        let null = Null::new_checked(&b).unwrap();
        assert_eq!((null.family(), null.ethertype()), (30, Some(0x86dd)));
        assert_eq!(
            Null::new_checked(&[0, 0, 0, 2]).unwrap().ethertype(),
            Some(0x0800)
        );
        assert_eq!(
            Null::new_checked(&[0x0f, 0, 8, 0]).unwrap().ethertype(),
            Some(0x0800)
        );
        assert_eq!(Null::new_checked(&[7, 0, 0, 0]).unwrap().ethertype(), None);
        every_prefix(&b, |b| {
            let _ = Null::new_checked(b).map(|n| n.ethertype());
        });
    }
}
