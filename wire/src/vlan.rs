//! 802.1Q and 802.1ad VLAN tags: the 4 bytes after a tag protocol identifier, a tag control information word and the EtherType that follows.

use crate::bytes::{be16, fixed_view, Field};
use crate::ethertype;

/// Field ranges of a tag, after its TPID (which stands where an EtherType would).
pub mod field {
    use super::Field;
    /// Tag control information: priority (3 bits), DEI (1), VLAN id (12).
    pub const TCI: Field = 0..2;
    /// The EtherType (or next TPID) after the tag.
    pub const ETHERTYPE: Field = 2..4;
}

/// The length of a tag after its TPID.
pub const TAG_LEN: usize = 4;

fixed_view! {
    /// A view of one VLAN tag: TCI and the next EtherType.
    Vlan, TAG_LEN
}

impl<'a> Vlan<'a> {
    /// Whether `tpid` is a tag protocol identifier netraf walks: 802.1Q,
    /// 802.1ad, and the two pre-standard QinQ values.
    #[inline(always)]
    pub fn is_tpid(tpid: u16) -> bool {
        matches!(
            tpid,
            ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD | ethertype::QINQ_OLD2
        )
    }

    /// Tag control information.
    #[inline(always)]
    pub fn tci(&self) -> u16 {
        be16(self.header, field::TCI.start)
    }

    /// The 12-bit VLAN id.
    #[inline(always)]
    pub fn id(&self) -> u16 {
        self.tci() & 0x0fff
    }

    /// The 3-bit priority code point.
    #[inline(always)]
    pub fn priority(&self) -> u8 {
        (self.tci() >> 13) as u8
    }

    /// The EtherType after the tag.
    #[inline(always)]
    pub fn ethertype(&self) -> u16 {
        be16(self.header, field::ETHERTYPE.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    /// 802.1ad_QinQ.pcap frame 1, from the outer tag's TCI: S-tag 200, C-tag 2001, ARP.
    const TAGS: [u8; 10] = [0x00, 0xc8, 0x81, 0x00, 0x07, 0xd1, 0x08, 0x06, 0x00, 0x01];

    #[test]
    fn reads_stacked_tags() {
        let outer = Vlan::new_checked(&TAGS).unwrap();
        assert_eq!((outer.id(), outer.ethertype()), (200, ethertype::VLAN));
        assert!(Vlan::is_tpid(outer.ethertype()));
        let inner = Vlan::new_checked(outer.payload()).unwrap();
        assert_eq!(
            (inner.id(), inner.priority(), inner.ethertype()),
            (2001, 0, 0x0806)
        );
        assert!(Vlan::new_checked(&TAGS[..3]).is_none());
        every_prefix(&TAGS, |b| {
            let _ = Vlan::new_checked(b).map(|v| (v.tci(), v.ethertype()));
        });
    }
}
