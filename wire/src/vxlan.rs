//! VXLAN headers (RFC 7348): flags and the 24-bit network identifier, then an Ethernet frame.

use crate::bytes::{be32, fixed_view};

/// The length of the header.
pub const HEADER_LEN: usize = 8;

fixed_view! {
    /// A view of a VXLAN header.
    Vxlan, HEADER_LEN
}

impl<'a> Vxlan<'a> {
    /// The flags byte (0x08: the identifier is valid).
    #[inline(always)]
    pub fn flags(&self) -> u8 {
        self.header[0]
    }

    /// The VXLAN network identifier, when the I flag says it is valid.
    #[inline(always)]
    pub fn vni(&self) -> Option<u32> {
        (self.flags() & 0x08 != 0).then(|| be32(self.header, 4) >> 8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn reads_a_real_header() {
        // vxlan.pcap frame 1 after UDP: VNI 100.
        let b = [0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x00, 0x00, 0x30];
        let vx = Vxlan::new_checked(&b).unwrap();
        assert_eq!(
            (vx.flags(), vx.vni(), vx.payload()),
            (8, Some(100), &[0, 0x30][..])
        );
        every_prefix(&b, |b| {
            let _ = Vxlan::new_checked(b).map(|v| v.vni());
        });
    }
}
