//! A packet's link-layer header rewritten for a capture file: the VLAN tag the kernel stripped put back, or a Linux cooked v2 header in place of the packet's own.

use capture_file::cooked::{self, Sll2};
use capture_file::LinkType;
use plugin_api::{Packet, StrippedVlan};

/// Builds in `out` the Ethernet frame `data` with the stripped tag `tag`
/// back after its MAC addresses (`data` holds at least 12 bytes).
pub(crate) fn retag(data: &[u8], tag: StrippedVlan, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&data[..12]);
    out.extend_from_slice(&tag.to_bytes());
    out.extend_from_slice(&data[12..]);
}

/// Builds in `out` the packet with a Linux cooked v2 (SLL2) header in place
/// of its link-layer header, as `tcpdump -i any` writes it. A stripped tag
/// `vlan` of an Ethernet frame comes back as Linux does for a tagged frame:
/// protocol = the TPID, then the TCI and the frame's own EtherType before the
/// payload. `None` when the link type has no cooked form here, or the frame
/// is too short.
pub(crate) fn cook(
    packet: &Packet<'_>,
    link_type: LinkType,
    vlan: Option<StrippedVlan>,
    out: &mut Vec<u8>,
) -> Option<()> {
    const ARPHRD_ETHER: u16 = 1;
    const ARPHRD_LOOPBACK: u16 = 772;
    const ARPHRD_NONE: u16 = 0xfffe;
    let data = packet.data();
    // (protocol, hatype, address, bytes of the original header)
    let (protocol, hatype, address, strip): (u16, u16, &[u8], usize) = match link_type {
        LinkType::ETHERNET => {
            let h = data.get(..14)?;
            let mut protocol = u16::from_be_bytes([h[12], h[13]]);
            if protocol < 0x0600 {
                // An 802.3 length: Linux says ETH_P_802_3 for Novell's raw
                // IPX (0xffff after the header), else ETH_P_802_2 (LLC).
                protocol = if data.get(14..16) == Some(&[0xff, 0xff]) {
                    0x0001
                } else {
                    0x0004
                };
            }
            match vlan {
                // The TCI, then the frame's EtherType (kept in the payload).
                Some(tag) => (tag.tpid, ARPHRD_ETHER, &h[6..12], 12),
                None => (protocol, ARPHRD_ETHER, &h[6..12], 14),
            }
        }
        LinkType::LINUX_SLL => {
            let c = cooked::parse(link_type, data)?;
            let halen = usize::from(c.halen.min(8));
            (c.protocol, c.hatype, &c.address[..halen], c.header_len)
        }
        LinkType::NULL | LinkType::LOOP => {
            let protocol = LinkType::raw_ip_ethertype(data.get(4..)?)?;
            (protocol, ARPHRD_LOOPBACK, &[][..], 4)
        }
        raw if raw.is_raw_ip() => (LinkType::raw_ip_ethertype(data)?, ARPHRD_NONE, &[][..], 0),
        _ => return None,
    };
    out.clear();
    Sll2 {
        protocol,
        ifindex: packet.ifindex(),
        hatype,
        packet_type: packet.packet_type().to_sll(),
        address,
    }
    .write(out);
    if let Some(tag) = vlan.filter(|_| link_type == LinkType::ETHERNET) {
        out.extend_from_slice(&tag.tci.to_be_bytes());
    }
    out.extend_from_slice(&data[strip..]);
    Some(())
}
