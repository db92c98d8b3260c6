//! GRE headers (RFC 2784/2890, and PPTP's enhanced version 1): flags, version, protocol, and the optional checksum, key, sequence and acknowledgment words.

use crate::bytes::{be16, be32, split};

/// The length of the fixed part.
pub const FIXED_LEN: usize = 4;

const CHECKSUM: u8 = 0x80;
const ROUTING: u8 = 0x40;
const KEY: u8 = 0x20;
const SEQUENCE: u8 = 0x10;
const ACK: u8 = 0x80; // in the second byte, version 1

/// A view of a GRE header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gre<'a> {
    header: &'a [u8; FIXED_LEN],
    bytes: &'a [u8],
}

impl<'a> Gre<'a> {
    /// The header at the start of `bytes`; `None` when its fixed part is
    /// not there, or the version is neither 0 nor 1.
    #[inline(always)]
    pub fn new_checked(bytes: &'a [u8]) -> Option<Self> {
        let (header, _) = split::<FIXED_LEN>(bytes)?;
        let gre = Gre { header, bytes };
        (gre.version() <= 1).then_some(gre)
    }

    /// The version (0 GRE, 1 PPTP's enhanced GRE).
    #[inline(always)]
    pub fn version(&self) -> u8 {
        self.header[1] & 0x07
    }

    /// The protocol of the payload, an EtherType (0x880b PPP for version 1).
    #[inline(always)]
    pub fn protocol(&self) -> u16 {
        be16(self.header, 2)
    }

    /// Whether a checksum word is present.
    #[inline(always)]
    pub fn has_checksum(&self) -> bool {
        self.header[0] & CHECKSUM != 0
    }

    /// Whether a key word is present.
    #[inline(always)]
    pub fn has_key(&self) -> bool {
        self.header[0] & KEY != 0
    }

    /// Whether a sequence number is present.
    #[inline(always)]
    pub fn has_sequence(&self) -> bool {
        self.header[0] & SEQUENCE != 0
    }

    /// The length of the header with its optional words; source routing
    /// (deprecated) is not followed and counts the fixed words only.
    #[inline(always)]
    pub fn header_len(&self) -> usize {
        let flags = self.header[0];
        let words = usize::from(flags & (CHECKSUM | ROUTING) != 0)
            + usize::from(flags & KEY != 0)
            + usize::from(flags & SEQUENCE != 0)
            + usize::from(self.version() == 1 && self.header[1] & ACK != 0);
        FIXED_LEN + 4 * words
    }

    /// The key, when present and all there.
    #[inline(always)]
    pub fn key(&self) -> Option<u32> {
        let at = FIXED_LEN + 4 * usize::from(self.header[0] & (CHECKSUM | ROUTING) != 0);
        (self.has_key() && self.bytes.len() >= at + 4).then(|| be32(self.bytes, at))
    }

    /// The payload; `None` when the optional words run past the bytes, or
    /// the header uses source routing (whose length netraf does not walk).
    #[inline(always)]
    pub fn payload(&self) -> Option<&'a [u8]> {
        if self.header[0] & ROUTING != 0 && self.version() == 0 {
            return None;
        }
        self.bytes.get(self.header_len()..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    #[test]
    fn reads_pptp_and_plain_gre() {
        // pptp.pcap frame 16 after IPv4: version 1, key and sequence, PPP LCP.
        let pptp = [
            0x30, 0x01, 0x88, 0x0b, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x03,
            0xc0, 0x21,
        ];
        let gre = Gre::new_checked(&pptp).unwrap();
        assert_eq!(
            (gre.version(), gre.protocol(), gre.header_len()),
            (1, 0x880b, 12)
        );
        assert_eq!(
            (gre.key(), gre.payload()),
            (Some(0x0030_0000), Some(&pptp[12..]))
        );
        // Version 0, no options, IPv4 inside.
        let plain = [0x00, 0x00, 0x08, 0x00, 0x45];
        let gre = Gre::new_checked(&plain).unwrap();
        assert_eq!(
            (gre.header_len(), gre.key(), gre.payload()),
            (4, None, Some(&[0x45][..]))
        );
        assert!(Gre::new_checked(&[0, 7, 8, 0]).is_none());
        every_prefix(&pptp, |b| {
            let _ = Gre::new_checked(b).map(|g| (g.key(), g.payload()));
        });
    }
}
