//! TCP headers: ports, sequence and acknowledgment numbers, data offset, flags, window; the options and payload they delimit.

use crate::bytes::{be16, be32, split, Field};

/// Field ranges of the TCP header.
pub mod field {
    use super::Field;
    /// Source port.
    pub const SRC_PORT: Field = 0..2;
    /// Destination port.
    pub const DST_PORT: Field = 2..4;
    /// Sequence number.
    pub const SEQ: Field = 4..8;
    /// Acknowledgment number.
    pub const ACK: Field = 8..12;
    /// Data offset (4 bits), reserved (3), flags (9).
    pub const OFFSET_FLAGS: Field = 12..14;
    /// Window.
    pub const WINDOW: Field = 14..16;
    /// Checksum.
    pub const CHECKSUM: Field = 16..18;
    /// Urgent pointer.
    pub const URGENT: Field = 18..20;
}

/// The length of a header without options.
pub const MIN_HEADER_LEN: usize = 20;

/// The ACK flag in [`Tcp::flags`].
pub const FLAG_ACK: u16 = 0x010;

/// A view of a TCP header and the segment after its first 20 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tcp<'a> {
    header: &'a [u8; MIN_HEADER_LEN],
    bytes: &'a [u8],
}

impl<'a> Tcp<'a> {
    /// The header at the start of `bytes`; `None` when its first 20 bytes are not there.
    #[inline(always)]
    pub fn new_checked(bytes: &'a [u8]) -> Option<Self> {
        let (header, _) = split::<MIN_HEADER_LEN>(bytes)?;
        Some(Tcp { header, bytes })
    }

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

    /// Sequence number.
    #[inline(always)]
    pub fn seq(&self) -> u32 {
        be32(self.header, field::SEQ.start)
    }

    /// Acknowledgment number (meaningful when the ACK flag is set).
    #[inline(always)]
    pub fn ack(&self) -> u32 {
        be32(self.header, field::ACK.start)
    }

    /// The header length in bytes as declared by the data offset.
    #[inline(always)]
    pub fn header_len(&self) -> usize {
        usize::from(self.header[field::OFFSET_FLAGS.start] >> 4) * 4
    }

    /// The 12 bits after the data offset: reserved (3), then NS, CWR, ECE,
    /// URG, ACK, PSH, RST, SYN, FIN.
    #[inline(always)]
    pub fn flags(&self) -> u16 {
        be16(self.header, field::OFFSET_FLAGS.start) & 0x0fff
    }

    /// Window (unscaled).
    #[inline(always)]
    pub fn window(&self) -> u16 {
        be16(self.header, field::WINDOW.start)
    }

    /// Checksum.
    #[inline(always)]
    pub fn checksum(&self) -> u16 {
        be16(self.header, field::CHECKSUM.start)
    }

    /// Urgent pointer.
    #[inline(always)]
    pub fn urgent(&self) -> u16 {
        be16(self.header, field::URGENT.start)
    }

    /// The options; `None` when the data offset is below 5 or runs past the bytes.
    #[inline(always)]
    pub fn options(&self) -> Option<&'a [u8]> {
        self.bytes.get(MIN_HEADER_LEN..self.header_len())
    }

    /// The payload; `None` when the data offset is below 5 or runs past the bytes.
    #[inline(always)]
    pub fn payload(&self) -> Option<&'a [u8]> {
        let len = self.header_len();
        if len < MIN_HEADER_LEN {
            return None;
        }
        self.bytes.get(len..)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;

    /// tcp-handshake-nano.pcap frame 1 after SLL and IPv4: a SYN to port 80 with 20 bytes of options.
    pub(crate) const SYN: [u8; 40] = [
        0xb6, 0x40, 0x00, 0x50, 0x2f, 0x84, 0x2a, 0xcb, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0x6a,
        0x40, 0x50, 0xc4, 0x00, 0x00, 0x02, 0x04, 0x05, 0x50, 0x04, 0x02, 0x08, 0x0a, 0x43, 0x6a,
        0x03, 0x62, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
    ];

    #[test]
    fn reads_a_real_syn() {
        let tcp = Tcp::new_checked(&SYN).unwrap();
        assert_eq!((tcp.src_port(), tcp.dst_port()), (46656, 80));
        assert_eq!(
            (tcp.seq(), tcp.ack(), tcp.flags(), tcp.window()),
            (0x2f84_2acb, 0, 0x002, 27200)
        );
        assert_eq!(
            (tcp.header_len(), tcp.checksum(), tcp.urgent()),
            (40, 0x50c4, 0)
        );
        assert_eq!(tcp.options().map(<[u8]>::len), Some(20));
        assert_eq!(tcp.payload(), Some(&[][..]));
        let cut = Tcp::new_checked(&SYN[..30]).unwrap();
        assert_eq!((cut.options(), cut.payload()), (None, None));
        every_prefix(&SYN, |b| {
            let _ = Tcp::new_checked(b).map(|t| (t.options(), t.payload(), t.seq()));
        });
    }
}
