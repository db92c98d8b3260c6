//! IPv6 extension headers (hop-by-hop, routing, fragment, destination options, shim6) and the walk over them to the upper-layer header.

use crate::bytes::{be16, be32, fixed_view, split};

/// Next-header values of the extension headers netraf walks.
pub mod next_header {
    /// Hop-by-hop options.
    pub const HOP_BY_HOP: u8 = 0;
    /// Routing.
    pub const ROUTING: u8 = 43;
    /// Fragment.
    pub const FRAGMENT: u8 = 44;
    /// Destination options.
    pub const DESTINATION: u8 = 60;
    /// Shim6.
    pub const SHIM6: u8 = 140;
}

/// A view of an extension header of the generic layout: next header, then
/// its length in 8-byte units past the first 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Ext<'a> {
    header: &'a [u8; 2],
    bytes: &'a [u8],
}

impl<'a> Ipv6Ext<'a> {
    /// The header at the start of `bytes`; `None` when its first two bytes are not there.
    #[inline(always)]
    pub fn new_checked(bytes: &'a [u8]) -> Option<Self> {
        let (header, _) = split::<2>(bytes)?;
        Some(Ipv6Ext { header, bytes })
    }

    /// The header after this one.
    #[inline(always)]
    pub fn next_header(&self) -> u8 {
        self.header[0]
    }

    /// This header's length in bytes.
    #[inline(always)]
    pub fn header_len(&self) -> usize {
        (usize::from(self.header[1]) + 1) * 8
    }

    /// The bytes after this header; `None` when it runs past them.
    #[inline(always)]
    pub fn payload(&self) -> Option<&'a [u8]> {
        self.bytes.get(self.header_len()..)
    }
}

/// The length of a fragment header.
pub const FRAGMENT_LEN: usize = 8;

fixed_view! {
    /// A view of a fragment header.
    Ipv6Fragment, FRAGMENT_LEN
}

impl<'a> Ipv6Fragment<'a> {
    /// The header after this one.
    #[inline(always)]
    pub fn next_header(&self) -> u8 {
        self.header[0]
    }

    /// The fragment offset in 8-byte units.
    #[inline(always)]
    pub fn offset(&self) -> u16 {
        be16(self.header, 2) >> 3
    }

    /// More fragments.
    #[inline(always)]
    pub fn more_fragments(&self) -> bool {
        self.header[3] & 0x01 != 0
    }

    /// Identification.
    #[inline(always)]
    pub fn ident(&self) -> u32 {
        be32(self.header, 4)
    }
}

/// Where the walk over extension headers stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upper<'a> {
    /// The last next-header value reached: the upper-layer protocol, or the
    /// extension header the walk stopped at.
    pub protocol: u8,
    /// The upper-layer header's bytes; `None` when an extension header is
    /// cut short or the packet is a non-first fragment.
    pub payload: Option<&'a [u8]>,
}

/// Walks the extension headers from `next` (an IPv6 header's next header)
/// over `rest` (its payload) to the upper-layer header.
#[inline(always)]
pub fn skip_extensions(mut next: u8, mut rest: &[u8]) -> Upper<'_> {
    use next_header::*;
    loop {
        let after = match next {
            HOP_BY_HOP | ROUTING | DESTINATION | SHIM6 => {
                Ipv6Ext::new_checked(rest).and_then(|ext| Some((ext.next_header(), ext.payload()?)))
            }
            FRAGMENT => Ipv6Fragment::new_checked(rest)
                .filter(|frag| frag.offset() == 0)
                .map(|frag| (frag.next_header(), frag.payload())),
            protocol => {
                return Upper {
                    protocol,
                    payload: Some(rest),
                }
            }
        };
        let Some((following, payload)) = after else {
            return Upper {
                protocol: next,
                payload: None,
            };
        };
        (next, rest) = (following, payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytes::tests::every_prefix;
    use crate::ipv6::tests::MLD_REPORT;

    #[test]
    fn walks_to_the_upper_layer() {
        let payload = &MLD_REPORT[40..];
        let upper = skip_extensions(0, payload);
        assert_eq!(upper.protocol, 58);
        assert_eq!(upper.payload.map(|p| p[0]), Some(0x8f));
        // Cut inside the hop-by-hop header: stopped there.
        assert_eq!(
            skip_extensions(0, &payload[..7]),
            Upper {
                protocol: 0,
                payload: None
            }
        );
        // A first fragment is walked through, a later one stops the walk.
        let first = [17u8, 0, 0x00, 0x01, 0, 0, 0, 7, 0xaa];
        let frag = Ipv6Fragment::new_checked(&first).unwrap();
        assert_eq!(
            (frag.offset(), frag.more_fragments(), frag.ident()),
            (0, true, 7)
        );
        assert_eq!(skip_extensions(44, &first).payload, Some(&[0xaa][..]));
        let later = [17u8, 0, 0x00, 0x08, 0, 0, 0, 7];
        assert_eq!(
            skip_extensions(44, &later),
            Upper {
                protocol: 44,
                payload: None
            }
        );
        every_prefix(payload, |b| {
            let _ = skip_extensions(0, b);
        });
        every_prefix(&first, |b| {
            let _ = skip_extensions(44, b);
        });
    }
}
