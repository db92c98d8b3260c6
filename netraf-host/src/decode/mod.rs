//! Decodes a frame's outermost headers once per packet into the summary that every plugin shares: [`netraf_wire::decode_with`] writing each field it finds straight into [`PacketSummary`].
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
use netraf_wire::{IpFields, NetworkKind, Sink, TransportKind, VlanStack};
use plugin_api::{Network, PacketSummary, Transport};

/// Decodes what the plugins need from one packet. Never fails and never
/// panics: whatever cannot be decoded stays at its zero value.
#[inline]
pub fn summarize(header: &PacketHeader<'_>, data: &[u8]) -> PacketSummary {
    let mut s = PacketSummary::default();
    summarize_into(header, data, &mut s);
    s
}

/// [`summarize`] into `s` (all of it overwritten), which spares a copy of
/// the summary where the caller has one to fill.
#[inline(always)]
pub fn summarize_into(header: &PacketHeader<'_>, data: &[u8], s: &mut PacketSummary) {
    *s = PacketSummary {
        link_type: header.link_type.0,
        ..PacketSummary::default()
    };
    let mut out = Summary {
        s,
        packet_type: header.pkttype,
    };
    netraf_wire::decode_with(header.link_type, header.vlan, data, &mut out);
    let broadcast = out.packet_type == PacketType::Broadcast;
    if !s.has_macs
        && header.link_type != LinkType::IEEE802_11_RADIOTAP
        && header.link_type != LinkType::IEEE802_11
    {
        s.broadcast = broadcast;
    }
}

/// The summary as the walk fills it: each field netraf-wire finds is
/// written straight into its place.
struct Summary<'s> {
    s: &'s mut PacketSummary,
    /// The cooked header's packet type, else what MYCAP reported.
    packet_type: PacketType,
}

impl Sink for Summary<'_> {
    #[inline(always)]
    fn vlans(&mut self, vlans: &VlanStack) {
        // Untagged, nearly always: the zeros stay.
        if let Some(tag) = vlans.outermost() {
            self.s.vlan_count = vlans.count();
            self.s.vlan_id = tag.id();
        }
    }

    #[inline(always)]
    fn src_mac(&mut self, mac: [u8; 6]) {
        self.s.src_mac = mac;
    }

    #[inline(always)]
    fn dst_mac(&mut self, mac: [u8; 6]) {
        self.s.has_macs = true;
        self.s.dst_mac = mac;
        self.s.broadcast = mac == [0xff; 6];
    }

    #[inline(always)]
    fn packet_type(&mut self, packet_type: PacketType) {
        self.packet_type = packet_type;
    }

    #[inline(always)]
    fn ethertype(&mut self, ethertype: u16) {
        self.s.ethertype = ethertype;
    }

    #[inline(always)]
    fn network_kind(&mut self, kind: NetworkKind) {
        (self.s.network, self.s.transport) = match kind {
            NetworkKind::Arp => (Network::Arp, Transport::None),
            NetworkKind::Ipv4 => (Network::Ipv4, Transport::Other),
            NetworkKind::Ipv6 => (Network::Ipv6, Transport::Other),
        };
    }

    #[inline(always)]
    fn ip(&mut self, fields: IpFields) {
        self.s.ip_version = fields.version;
        self.s.src_ip = fields.src;
        self.s.dst_ip = fields.dst;
    }

    #[inline(always)]
    fn protocol(&mut self, protocol: u8) {
        self.s.ip_proto = protocol;
    }

    #[inline(always)]
    fn transport_kind(&mut self, kind: TransportKind) {
        self.s.transport = match kind {
            TransportKind::Tcp => Transport::Tcp,
            TransportKind::Udp => Transport::Udp,
            TransportKind::Icmp => Transport::Icmp,
            TransportKind::Icmpv6 => Transport::Icmpv6,
        };
    }

    #[inline(always)]
    fn ports(&mut self, src: u16, dst: u16) {
        self.s.src_port = src;
        self.s.dst_port = dst;
    }

    #[inline(always)]
    fn icmp(&mut self, kind: u8, code: u8) {
        self.s.icmp_type = kind;
        self.s.icmp_code = code;
    }
}

#[cfg(test)]
mod tests;
