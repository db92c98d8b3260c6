//! Cisco HDLC headers (`LINKTYPE_C_HDLC`): address, control, then an EtherType.

use crate::bytes::{be16, fixed_view};

/// The length of the header.
pub const HEADER_LEN: usize = 4;

fixed_view! {
    /// A view of a Cisco HDLC header.
    CiscoHdlc, HEADER_LEN
}

impl<'a> CiscoHdlc<'a> {
    /// Address (0x0f unicast, 0x8f broadcast).
    #[inline(always)]
    pub fn address(&self) -> u8 {
        self.header[0]
    }

    /// The protocol, an EtherType; 0x8035 here is SLARP (Cisco's
    /// keepalive), not RARP.
    #[inline(always)]
    pub fn protocol(&self) -> u16 {
        be16(self.header, 2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn reads_a_header() {
        // HDLC.pcap: unicast, IPv4.
        let b = [0x0f, 0x00, 0x08, 0x00, 0x45];
        let h = CiscoHdlc::new_checked(&b).unwrap();
        assert_eq!(
            (h.address(), h.protocol(), h.payload()),
            (0x0f, 0x0800, &[0x45][..])
        );
        every_prefix(&b, |b| {
            let _ = CiscoHdlc::new_checked(b).map(|h| h.protocol());
        });
    }
}
