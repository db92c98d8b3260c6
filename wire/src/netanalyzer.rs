//! Hilscher netANALYZER captures (`LINKTYPE_NETANALYZER` 240, `LINKTYPE_NETANALYZER_TRANSPARENT` 241): a pseudo-header, then an Ethernet frame with its FCS.

use capture_file::LinkType;

/// `LINKTYPE_NETANALYZER`: a 4-byte pseudo-header, then Ethernet.
pub const NETANALYZER: LinkType = LinkType(240);
/// `LINKTYPE_NETANALYZER_TRANSPARENT`: the pseudo-header, then preamble and SFD (8 bytes), then Ethernet.
pub const TRANSPARENT: LinkType = LinkType(241);

/// The length of what comes before the Ethernet frame, by link type.
#[inline]
pub fn header_len(link_type: LinkType) -> Option<usize> {
    match link_type {
        NETANALYZER => Some(4),
        TRANSPARENT => Some(12),
        _ => None,
    }
}

/// The Ethernet frame of a netANALYZER record; `None` for other link types
/// or when the pseudo-header is not all there.
#[inline]
pub fn ethernet(link_type: LinkType, bytes: &[u8]) -> Option<&[u8]> {
    bytes.get(header_len(link_type)?..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_header_lengths() {
        let b = [0u8; 14];
        assert_eq!(ethernet(NETANALYZER, &b).map(<[u8]>::len), Some(10));
        assert_eq!(ethernet(TRANSPARENT, &b).map(<[u8]>::len), Some(2));
        assert_eq!(ethernet(TRANSPARENT, &b[..11]), None);
        assert_eq!(ethernet(LinkType::ETHERNET, &b), None);
    }
}
