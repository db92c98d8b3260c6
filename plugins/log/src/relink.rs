//! A packet's link-layer header rewritten for a capture file: the VLAN tag the kernel stripped put back, or a Linux cooked v2 header in place of the packet's own.

use mycap_core::LinkType;
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
    // (protocol, hatype, halen, address, bytes of the original header)
    let (protocol, hatype, halen, addr, strip): (u16, u16, u8, &[u8], usize) = match link_type {
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
                Some(tag) => (tag.tpid, ARPHRD_ETHER, 6, &h[6..12], 12),
                None => (protocol, ARPHRD_ETHER, 6, &h[6..12], 14),
            }
        }
        // pkttype(2) hatype(2) halen(2) addr(8) protocol(2)
        LinkType::LINUX_SLL => {
            let h = data.get(..16)?;
            let halen = u8::try_from(u16::from_be_bytes([h[4], h[5]]).min(8)).ok()?;
            let hatype = u16::from_be_bytes([h[2], h[3]]);
            (
                u16::from_be_bytes([h[14], h[15]]),
                hatype,
                halen,
                &h[6..14],
                16,
            )
        }
        LinkType::NULL
        | LinkType::LOOP
        | LinkType::RAW
        | LinkType(12)
        | LinkType(14)
        | LinkType::IPV4
        | LinkType::IPV6 => {
            let strip = if matches!(link_type, LinkType::NULL | LinkType::LOOP) {
                4
            } else {
                0
            };
            let protocol = match data.get(strip)? >> 4 {
                4 => 0x0800,
                6 => 0x86dd,
                _ => return None,
            };
            let hatype = if strip == 4 {
                ARPHRD_LOOPBACK
            } else {
                ARPHRD_NONE
            };
            (protocol, hatype, 0, &[][..], strip)
        }
        _ => return None,
    };
    let mut addr8 = [0u8; 8];
    addr8[..usize::from(halen)].copy_from_slice(&addr[..usize::from(halen)]);
    out.clear();
    out.extend_from_slice(&protocol.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&packet.ifindex.to_be_bytes());
    out.extend_from_slice(&hatype.to_be_bytes());
    out.push(packet.pkttype);
    out.push(halen);
    out.extend_from_slice(&addr8);
    if let Some(tag) = vlan.filter(|_| link_type == LinkType::ETHERNET) {
        out.extend_from_slice(&tag.tci.to_be_bytes());
    }
    out.extend_from_slice(&data[strip..]);
    Some(())
}
