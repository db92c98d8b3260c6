//! IP over InfiniBand (`LINKTYPE_IPOIB`, 242): libpcap's 44-byte header of two 20-byte addresses, an EtherType and a reserved word.

use crate::bytes::{be16, fixed_view};

/// The length of the header.
pub const HEADER_LEN: usize = 44;

fixed_view! {
    /// A view of an IPoIB header.
    IpOverIb, HEADER_LEN
}

impl<'a> IpOverIb<'a> {
    /// The EtherType of the packet after the header.
    #[inline(always)]
    pub fn ethertype(&self) -> u16 {
        be16(self.header, 40)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn ethertype_after_two_addresses() {
        let mut b = [0x80u8; 45];
        b[40..44].copy_from_slice(&[0x08, 0x06, 0, 0]);
        let ib = IpOverIb::new_checked(&b).unwrap();
        assert_eq!((ib.ethertype(), ib.payload().len()), (0x0806, 1));
        every_prefix(&b, |b| {
            let _ = IpOverIb::new_checked(b).map(|i| i.ethertype());
        });
    }
}
