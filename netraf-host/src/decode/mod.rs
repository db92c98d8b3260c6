//! Decodes a frame's outermost headers once per packet into the summary that every plugin shares: [`netraf_wire::decode`], mapped onto [`PacketSummary`].
//!
//! What is counted where (the same rules as the corpus's `outermost.csv`)
//! is netraf-wire's: the link types and framings it walks, the tags, the
//! IP rules and when a transport header counts (see [`netraf_wire::decode`]).
//! This module adds what the summary says beyond the layers:
//! - **network** is `Other` where no ARP/IPv4/IPv6 header was found;
//!   **transport** is `None` when the network header is not IP, and `Other`
//!   for an IP packet whose transport netraf-wire did not decode (any other
//!   protocol, a non-first fragment, a header not all there, or an IP header
//!   that is itself truncated or bogus). A tunnel's inner packet is not looked at.
//! - **broadcast** = the outermost Ethernet destination is ff:ff:ff:ff:ff:ff;
//!   for Linux cooked captures (no destination MAC) the cooked packet type is
//!   broadcast (1); for other link types without an Ethernet header the
//!   packet type MYCAP reported is `Broadcast`. 802.11 frames are not counted
//!   (their receiver address is not an Ethernet destination).
//! - Absent fields are zero, as the summary has no `None`.

use mycap_core::{LinkType, PacketHeader, PacketType};
use netraf_wire::{Layers, NetworkKind, TransportKind};
use plugin_api::{Network, PacketSummary, Transport};

/// Decodes what the plugins need from one packet. Never fails and never
/// panics: whatever cannot be decoded stays at its zero value.
#[inline]
pub fn summarize(header: &PacketHeader<'_>, data: &[u8]) -> PacketSummary {
    let layers = netraf_wire::decode(header.link_type, header.vlan, data);
    summary_of(&layers, header.pkttype)
}

/// The summary of decoded layers; `pkttype` is what MYCAP reported.
#[inline(always)]
fn summary_of(l: &Layers, pkttype: PacketType) -> PacketSummary {
    let mut s = PacketSummary {
        link_type: l.link_type.0,
        ethertype: l.ethertype.unwrap_or(0),
        vlan_count: l.vlans.count(),
        vlan_id: l.vlans.outermost().map_or(0, |tag| tag.id()),
        ip_proto: l.protocol.unwrap_or(0),
        src_port: l.src_port.unwrap_or(0),
        dst_port: l.dst_port.unwrap_or(0),
        icmp_type: l.icmp_type.unwrap_or(0),
        icmp_code: l.icmp_code.unwrap_or(0),
        ..PacketSummary::default()
    };
    if let Some(src) = l.src_mac {
        s.src_mac = src;
    }
    if let Some(dst) = l.dst_mac {
        s.has_macs = true;
        s.dst_mac = dst;
        s.broadcast = dst == [0xff; 6];
    } else if l.link_type != LinkType::IEEE802_11_RADIOTAP && l.link_type != LinkType::IEEE802_11 {
        s.broadcast = l.packet_type.unwrap_or(pkttype) == PacketType::Broadcast;
    }
    (s.network, s.transport) = match l.network_kind {
        None => (Network::Other, Transport::None),
        Some(NetworkKind::Arp) => (Network::Arp, Transport::None),
        Some(ip) => (
            if ip == NetworkKind::Ipv4 {
                Network::Ipv4
            } else {
                Network::Ipv6
            },
            match l.transport_kind {
                Some(TransportKind::Tcp) => Transport::Tcp,
                Some(TransportKind::Udp) => Transport::Udp,
                Some(TransportKind::Icmp) => Transport::Icmp,
                Some(TransportKind::Icmpv6) => Transport::Icmpv6,
                None => Transport::Other,
            },
        ),
    };
    if let Some(ip) = &l.ip {
        s.ip_version = ip.version;
        s.src_ip = ip.src;
        s.dst_ip = ip.dst;
    }
    s
}

#[cfg(test)]
mod tests;
