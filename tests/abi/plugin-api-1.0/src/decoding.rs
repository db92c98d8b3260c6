//! The host's decoding of each packet, shared with the test kit: [`netraf_wire::decode_with`] writing each field it finds straight into the [`Packet`] every plugin sees.
//!
//! What is found where is netraf-wire's (the link types and framings it
//! walks, the tags, the IP rules, when a transport header counts). This
//! module adds what the packet says beyond the layers:
//! - **network** is [`Network::Other`] where no ARP/IPv4/IPv6 header was
//!   found; **transport** is [`Transport::None`] when the network header is
//!   not IP, and [`Transport::Other`] for an IP packet whose transport
//!   netraf-wire did not decode (any other protocol, a non-first fragment,
//!   a header not all there, or an IP header that is itself truncated or
//!   bogus). A tunnel's inner packet is recorded, not decoded.
//! - **broadcast**: the outermost Ethernet destination is
//!   ff:ff:ff:ff:ff:ff; for Linux cooked captures (no destination MAC) the
//!   cooked packet type is broadcast; for other link types without an
//!   Ethernet header, the header's packet type is `Broadcast`. 802.11
//!   frames are not counted (their receiver address is not an Ethernet
//!   destination).

use capture_file::{LinkType, PacketHeader, PacketType};
use netraf_wire::{
    ArpFields, IpFields, NetworkKind, Sink, Span, TcpFields, TransportKind, Tunnel, TunnelKind,
    VlanStack, MAX_VLAN_TAGS,
};

use crate::packet::{bit, RawSpan};
use crate::{Network, Packet, Transport};

/// Decodes `data` into `packet`, whose header fields are set and whose
/// decoded fields are empty. Never fails and never panics.
#[inline(always)]
pub(crate) fn decode_into<'a>(header: &PacketHeader<'a>, data: &'a [u8], packet: &mut Packet<'a>) {
    let mut out = Fill {
        p: packet,
        packet_type: header.pkttype,
    };
    netraf_wire::decode_with(header.link_type, header.vlan, data, &mut out);
    let broadcast = out.packet_type == PacketType::Broadcast;
    if packet.present & bit::DST_MAC == 0
        && broadcast
        && header.link_type != LinkType::IEEE802_11_RADIOTAP
        && header.link_type != LinkType::IEEE802_11
    {
        packet.present |= bit::BROADCAST;
    }
}

/// The packet as the walk fills it: each field netraf-wire finds is
/// written straight into its place, with its presence bit.
struct Fill<'p, 'a> {
    p: &'p mut Packet<'a>,
    /// The cooked header's packet type, else the capture header's.
    packet_type: PacketType,
}

impl Fill<'_, '_> {
    #[inline(always)]
    fn span(&mut self, index: usize, flag: u32, span: Span) {
        self.p.spans[index] = RawSpan::from(span);
        self.p.present |= flag;
    }
}

impl Sink for Fill<'_, '_> {
    #[inline(always)]
    fn link(&mut self, span: Option<Span>) {
        match span {
            Some(span) => self.span(0, bit::LINK, span),
            None => self.p.present &= !bit::LINK,
        }
    }

    #[inline(always)]
    fn network(&mut self, span: Span) {
        self.span(1, bit::NETWORK, span);
    }

    #[inline(always)]
    fn transport(&mut self, span: Span) {
        self.span(2, bit::TRANSPORT, span);
    }

    #[inline(always)]
    fn payload(&mut self, span: Option<Span>) {
        match span {
            Some(span) => self.span(3, bit::PAYLOAD, span),
            None => self.p.present &= !bit::PAYLOAD,
        }
    }

    #[inline(always)]
    fn vlans(&mut self, vlans: &VlanStack) {
        // Untagged, nearly always: nothing to write.
        let count = vlans.count_in_frame();
        if count > 0 {
            self.p.vlan_count = count;
            for (slot, tag) in self.p.vlan_tags.iter_mut().zip(vlans.in_frame()) {
                *slot = (u32::from(tag.tpid) << 16) | u32::from(tag.tci);
            }
            debug_assert!(self.p.vlan_tags.len() == MAX_VLAN_TAGS);
        }
    }

    #[inline(always)]
    fn src_mac(&mut self, mac: [u8; 6]) {
        self.p.src_mac = mac;
        self.p.present |= bit::SRC_MAC;
    }

    #[inline(always)]
    fn dst_mac(&mut self, mac: [u8; 6]) {
        self.p.dst_mac = mac;
        self.p.present |= bit::DST_MAC;
        if mac == [0xff; 6] {
            self.p.present |= bit::BROADCAST;
        } else {
            self.p.present &= !bit::BROADCAST;
        }
    }

    #[inline(always)]
    fn packet_type(&mut self, packet_type: PacketType) {
        self.packet_type = packet_type;
    }

    #[inline(always)]
    fn ethertype(&mut self, ethertype: u16) {
        self.p.ethertype = ethertype;
        self.p.present |= bit::ETHERTYPE;
    }

    #[inline(always)]
    fn network_kind(&mut self, kind: NetworkKind) {
        let (network, transport) = match kind {
            NetworkKind::Arp => (Network::Arp, Transport::None),
            NetworkKind::Ipv4 => (Network::Ipv4, Transport::Other),
            NetworkKind::Ipv6 => (Network::Ipv6, Transport::Other),
        };
        self.p.network = network as u8;
        self.p.transport = transport as u8;
    }

    #[inline(always)]
    fn ip(&mut self, fields: IpFields) {
        let p = &mut *self.p;
        p.ip_version = fields.version;
        p.src_ip = fields.src;
        p.dst_ip = fields.dst;
        p.ttl = fields.ttl;
        p.present |= bit::IP;
        if let (Some(id), Some(flags), Some(offset)) =
            (fields.ipv4_id, fields.ipv4_flags, fields.fragment_offset)
        {
            p.ipv4_id = id;
            p.ipv4_flags = flags;
            p.fragment_offset = offset;
            p.present |= bit::IPV4;
        }
        if let Some(label) = fields.flow_label {
            p.flow_label = label;
            p.present |= bit::FLOW_LABEL;
        }
    }

    #[inline(always)]
    fn protocol(&mut self, protocol: u8) {
        self.p.protocol = protocol;
        self.p.present |= bit::PROTOCOL;
    }

    #[inline(always)]
    fn transport_kind(&mut self, kind: TransportKind) {
        self.p.transport = match kind {
            TransportKind::Tcp => Transport::Tcp,
            TransportKind::Udp => Transport::Udp,
            TransportKind::Icmp => Transport::Icmp,
            TransportKind::Icmpv6 => Transport::Icmpv6,
        } as u8;
    }

    #[inline(always)]
    fn ports(&mut self, src: u16, dst: u16) {
        self.p.src_port = src;
        self.p.dst_port = dst;
        self.p.present |= bit::PORTS;
    }

    #[inline(always)]
    fn tcp(&mut self, fields: TcpFields) {
        let p = &mut *self.p;
        p.tcp_flags = fields.flags;
        p.tcp_seq = fields.seq;
        p.tcp_window = fields.window;
        p.present |= bit::TCP;
        if let Some(ack) = fields.ack {
            p.tcp_ack = ack;
            p.present |= bit::TCP_ACK;
        }
        if let Some(len) = fields.options_len {
            p.tcp_options_len = len;
            p.present |= bit::TCP_OPTIONS;
        }
        if let Some(len) = fields.payload_len {
            p.tcp_payload_len = len;
            p.present |= bit::TCP_PAYLOAD;
        }
    }

    #[inline(always)]
    fn arp(&mut self, fields: ArpFields) {
        let p = &mut *self.p;
        p.arp_operation = fields.operation;
        p.present |= bit::ARP;
        if let Some(mac) = fields.sender_mac {
            p.arp_sender_mac = mac;
            p.present |= bit::ARP_SENDER_MAC;
        }
        if let Some(ip) = fields.sender_ip {
            p.arp_sender_ip = ip.octets();
            p.present |= bit::ARP_SENDER_IP;
        }
        if let Some(mac) = fields.target_mac {
            p.arp_target_mac = mac;
            p.present |= bit::ARP_TARGET_MAC;
        }
        if let Some(ip) = fields.target_ip {
            p.arp_target_ip = ip.octets();
            p.present |= bit::ARP_TARGET_IP;
        }
    }

    #[inline(always)]
    fn icmp(&mut self, kind: u8, code: u8) {
        self.p.icmp_type = kind;
        self.p.icmp_code = code;
        self.p.present |= bit::ICMP;
    }

    #[inline(always)]
    fn tunnel(&mut self, tunnel: Tunnel) {
        let p = &mut *self.p;
        p.tunnel_kind = match tunnel.kind {
            TunnelKind::Gre => 0,
            TunnelKind::Vxlan => 1,
            TunnelKind::IpInIp => 2,
        };
        p.tunnel_link_type = u8::from(tunnel.inner_link_type != LinkType::ETHERNET);
        p.tunnel_inner = tunnel.inner.into();
        p.present |= bit::TUNNEL;
    }
}

#[cfg(test)]
mod tests;
