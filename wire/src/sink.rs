//! Where [`crate::decode_with`] writes what it finds: one method per field, so that a caller keeps only what it reads.
//!
//! [`Layers`] keeps everything. A caller that needs a few fields (netraf's
//! plugin-api, filling the packet plugins see) implements [`Sink`] with just those
//! methods; the others default to doing nothing, and as the walk is inlined
//! into the caller, what nobody keeps is never read from the frame.
//!
//! The walk calls the methods in frame order; a field written twice (the
//! EtherType past tags, the protocol past IPv6 extension headers, the
//! payload once a transport header is found) keeps the last value.

use capture_file::PacketType;

use crate::layers::{ArpFields, IpFields, TcpFields, Tunnel};
use crate::{Layers, NetworkKind, Span, TransportKind, VlanStack};

/// Receives the fields of one frame as the walk finds them (see [`Layers`]
/// for what each one means).
#[allow(unused_variables)]
pub trait Sink {
    /// The link-layer headers before the network header.
    #[inline(always)]
    fn link(&mut self, span: Option<Span>) {}
    /// The network header.
    #[inline(always)]
    fn network(&mut self, span: Span) {}
    /// The transport header.
    #[inline(always)]
    fn transport(&mut self, span: Span) {}
    /// What follows the last header decoded.
    #[inline(always)]
    fn payload(&mut self, span: Option<Span>) {}
    /// The VLAN tags, once the walk is over.
    #[inline(always)]
    fn vlans(&mut self, vlans: &VlanStack) {}
    /// Source MAC.
    #[inline(always)]
    fn src_mac(&mut self, mac: [u8; 6]) {}
    /// Destination MAC.
    #[inline(always)]
    fn dst_mac(&mut self, mac: [u8; 6]) {}
    /// The packet type of a Linux cooked header.
    #[inline(always)]
    fn packet_type(&mut self, packet_type: PacketType) {}
    /// The EtherType.
    #[inline(always)]
    fn ethertype(&mut self, ethertype: u16) {}
    /// The network header's kind.
    #[inline(always)]
    fn network_kind(&mut self, kind: NetworkKind) {}
    /// The IP header's fields.
    #[inline(always)]
    fn ip(&mut self, fields: IpFields) {}
    /// The IP protocol number.
    #[inline(always)]
    fn protocol(&mut self, protocol: u8) {}
    /// The transport header's kind.
    #[inline(always)]
    fn transport_kind(&mut self, kind: TransportKind) {}
    /// TCP/UDP ports.
    #[inline(always)]
    fn ports(&mut self, src: u16, dst: u16) {}
    /// TCP fields.
    #[inline(always)]
    fn tcp(&mut self, fields: TcpFields) {}
    /// ARP fields.
    #[inline(always)]
    fn arp(&mut self, fields: ArpFields) {}
    /// ICMP/ICMPv6 type and code.
    #[inline(always)]
    fn icmp(&mut self, kind: u8, code: u8) {}
    /// The tunnel.
    #[inline(always)]
    fn tunnel(&mut self, tunnel: Tunnel) {}
}

impl Sink for Layers {
    #[inline(always)]
    fn link(&mut self, span: Option<Span>) {
        self.link = span;
    }
    #[inline(always)]
    fn network(&mut self, span: Span) {
        self.network = Some(span);
    }
    #[inline(always)]
    fn transport(&mut self, span: Span) {
        self.transport = Some(span);
    }
    #[inline(always)]
    fn payload(&mut self, span: Option<Span>) {
        self.payload = span;
    }
    #[inline(always)]
    fn vlans(&mut self, vlans: &VlanStack) {
        self.vlans = *vlans;
    }
    #[inline(always)]
    fn src_mac(&mut self, mac: [u8; 6]) {
        self.src_mac = Some(mac);
    }
    #[inline(always)]
    fn dst_mac(&mut self, mac: [u8; 6]) {
        self.dst_mac = Some(mac);
    }
    #[inline(always)]
    fn packet_type(&mut self, packet_type: PacketType) {
        self.packet_type = Some(packet_type);
    }
    #[inline(always)]
    fn ethertype(&mut self, ethertype: u16) {
        self.ethertype = Some(ethertype);
    }
    #[inline(always)]
    fn network_kind(&mut self, kind: NetworkKind) {
        self.network_kind = Some(kind);
    }
    #[inline(always)]
    fn ip(&mut self, fields: IpFields) {
        self.ip = Some(fields);
    }
    #[inline(always)]
    fn protocol(&mut self, protocol: u8) {
        self.protocol = Some(protocol);
    }
    #[inline(always)]
    fn transport_kind(&mut self, kind: TransportKind) {
        self.transport_kind = Some(kind);
    }
    #[inline(always)]
    fn ports(&mut self, src: u16, dst: u16) {
        self.src_port = Some(src);
        self.dst_port = Some(dst);
    }
    #[inline(always)]
    fn tcp(&mut self, fields: TcpFields) {
        self.tcp = Some(fields);
    }
    #[inline(always)]
    fn arp(&mut self, fields: ArpFields) {
        self.arp = Some(fields);
    }
    #[inline(always)]
    fn icmp(&mut self, kind: u8, code: u8) {
        self.icmp_type = Some(kind);
        self.icmp_code = Some(code);
    }
    #[inline(always)]
    fn tunnel(&mut self, tunnel: Tunnel) {
        self.tunnel = Some(tunnel);
    }
}
