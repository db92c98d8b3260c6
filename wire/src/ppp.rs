//! PPP frames (with or without the `FF 03` address and control bytes) and the PPPoE session header before them.

use crate::bytes::{be16, fixed_view, split};
use crate::ethertype;

/// PPP protocol numbers netraf follows.
pub mod protocol {
    /// IPv4.
    pub const IPV4: u16 = 0x0021;
    /// IPv6.
    pub const IPV6: u16 = 0x0057;
}

/// A view of a PPP header: the protocol, after the optional address and control bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ppp<'a> {
    header: &'a [u8; 2],
    payload: &'a [u8],
}

impl<'a> Ppp<'a> {
    /// The frame at the start of `bytes`; `None` when its protocol is not there.
    #[inline(always)]
    pub fn new_checked(bytes: &'a [u8]) -> Option<Self> {
        let bytes = match bytes {
            [0xff, 0x03, rest @ ..] => rest,
            _ => bytes,
        };
        let (header, payload) = split(bytes)?;
        Some(Ppp { header, payload })
    }

    /// The protocol number.
    #[inline(always)]
    pub fn protocol(&self) -> u16 {
        be16(self.header, 0)
    }

    /// The EtherType of the payload when it is IP.
    #[inline(always)]
    pub fn ethertype(&self) -> Option<u16> {
        match self.protocol() {
            protocol::IPV4 => Some(ethertype::IPV4),
            protocol::IPV6 => Some(ethertype::IPV6),
            _ => None,
        }
    }

    /// The bytes after the protocol.
    #[inline(always)]
    pub fn payload(&self) -> &'a [u8] {
        self.payload
    }
}

/// The length of the PPPoE header.
pub const PPPOE_LEN: usize = 6;

fixed_view! {
    /// A view of a PPPoE header: version/type, code, session id, length; PPP follows.
    Pppoe, PPPOE_LEN
}

impl Pppoe<'_> {
    /// Version (high nibble) and type (low nibble).
    #[inline(always)]
    pub fn version_type(&self) -> u8 {
        self.header[0]
    }

    /// Code (0 in the session stage).
    #[inline(always)]
    pub fn code(&self) -> u8 {
        self.header[1]
    }

    /// Session id.
    #[inline(always)]
    pub fn session(&self) -> u16 {
        be16(self.header, 2)
    }

    /// Payload length as declared.
    #[inline(always)]
    pub fn len(&self) -> u16 {
        be16(self.header, 4)
    }

    /// Whether the declared payload length is 0.
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn pppoe_then_ppp() {
        let b = [0x11, 0, 0, 1, 0, 30, 0, 0x21, 0x45];
        let pppoe = Pppoe::new_checked(&b).unwrap();
        assert_eq!(
            (
                pppoe.version_type(),
                pppoe.code(),
                pppoe.session(),
                pppoe.len()
            ),
            (0x11, 0, 1, 30)
        );
        let ppp = Ppp::new_checked(pppoe.payload()).unwrap();
        assert_eq!(
            (ppp.protocol(), ppp.ethertype(), ppp.payload()),
            (0x21, Some(0x0800), &[0x45][..])
        );
        // pptp.pcap: address and control, then LCP (no network header).
        let lcp = Ppp::new_checked(&[0xff, 0x03, 0xc0, 0x21, 1]).unwrap();
        assert_eq!((lcp.protocol(), lcp.ethertype()), (0xc021, None));
        every_prefix(&b, |b| {
            let _ = Pppoe::new_checked(b).map(|p| p.session());
        });
        every_prefix(&[0xff, 0x03, 0x00, 0x57], |b| {
            let _ = Ppp::new_checked(b).map(|p| p.ethertype());
        });
    }
}
