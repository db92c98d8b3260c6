//! The packet a plugin sees: the capture header, the bytes and every decoded layer, in one `#[repr(C)]` struct whose first field says how big the host made it.
//!
//! The struct grows only at its end, one minor release of plugin-api at a
//! time, like Linux's `clone3` and `openat2` arguments: a field added in 1.y
//! is read through an accessor that first checks [`Packet`]'s size as the
//! host built it, and answers `None` in a host older than 1.y. Every field is
//! private, so no plugin reads past what its host wrote. A plugin only ever
//! gets `&Packet`: the type is neither `Copy` nor `Clone`, so that no copy of
//! the size its own build knows is made from a smaller one.

use std::marker::PhantomData;
use std::net::{IpAddr, Ipv4Addr};

use capture_file::{LinkType, PacketHeader, PacketType, StrippedVlan};
use netraf_wire::{
    ArpFields, IpFields, Span, TcpFields, Tunnel, TunnelKind, VlanStack, VlanTag, MAX_VLAN_TAGS,
};

use crate::{Network, Transport};

/// Bits of [`Packet::present`]: which optional fields hold a value.
pub(crate) mod bit {
    pub const LINK: u32 = 1 << 0;
    pub const NETWORK: u32 = 1 << 1;
    pub const TRANSPORT: u32 = 1 << 2;
    pub const PAYLOAD: u32 = 1 << 3;
    pub const SRC_MAC: u32 = 1 << 4;
    pub const DST_MAC: u32 = 1 << 5;
    pub const ETHERTYPE: u32 = 1 << 6;
    pub const IP: u32 = 1 << 7;
    pub const IPV4: u32 = 1 << 8;
    pub const FLOW_LABEL: u32 = 1 << 9;
    pub const PROTOCOL: u32 = 1 << 10;
    pub const PORTS: u32 = 1 << 11;
    pub const TCP: u32 = 1 << 12;
    pub const TCP_ACK: u32 = 1 << 13;
    pub const TCP_OPTIONS: u32 = 1 << 14;
    pub const TCP_PAYLOAD: u32 = 1 << 15;
    pub const ARP: u32 = 1 << 16;
    pub const ARP_SENDER_MAC: u32 = 1 << 17;
    pub const ARP_SENDER_IP: u32 = 1 << 18;
    pub const ARP_TARGET_MAC: u32 = 1 << 19;
    pub const ARP_TARGET_IP: u32 = 1 << 20;
    pub const ICMP: u32 = 1 << 21;
    pub const TUNNEL: u32 = 1 << 22;
    pub const BROADCAST: u32 = 1 << 23;
}

/// Where a layer lies, as the struct holds it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RawSpan {
    pub offset: u32,
    pub len: u32,
}

impl From<Span> for RawSpan {
    #[inline(always)]
    fn from(span: Span) -> RawSpan {
        RawSpan {
            offset: span.offset,
            len: span.len,
        }
    }
}

impl From<RawSpan> for Span {
    #[inline(always)]
    fn from(span: RawSpan) -> Span {
        Span {
            offset: span.offset,
            len: span.len,
        }
    }
}

/// One packet as a plugin sees it, valid for the duration of one call: the
/// capture header, the bytes, and what the host decoded from them once for
/// every plugin (see [`Packet::decode`]).
///
/// Decoded fields that are absent (no such header, cut short, not decoded)
/// are `None`, never a zero that could be real. Offsets are from the start
/// of [`Packet::data`].
///
/// Since plugin-api 1.0 (every accessor here).
#[repr(C)]
pub struct Packet<'a> {
    /// [`SIZE`] in the host's build: the fields past it are not there.
    pub(crate) size: u32,
    /// Which optional fields hold a value ([`bit`]).
    pub(crate) present: u32,
    pub(crate) ts_ns: u64,
    pub(crate) data: *const u8,
    pub(crate) data_len: usize,
    pub(crate) ifname: *const u8,
    pub(crate) ifname_len: usize,
    pub(crate) len: u32,
    pub(crate) ifindex: u32,
    pub(crate) link_type: u16,
    /// The kernel's `sll_pkttype` number.
    pub(crate) pkttype: u8,
    /// Tags in the frame's bytes (all counted, at most [`MAX_VLAN_TAGS`] kept).
    pub(crate) vlan_count: u8,
    /// TPID of a tag the kernel stripped, 0 if none.
    pub(crate) stripped_tpid: u16,
    pub(crate) stripped_tci: u16,
    /// `TPID << 16 | TCI` of each tag in the bytes, outermost first.
    pub(crate) vlan_tags: [u32; MAX_VLAN_TAGS],
    /// Link, network, transport, payload.
    pub(crate) spans: [RawSpan; 4],
    pub(crate) src_mac: [u8; 6],
    pub(crate) dst_mac: [u8; 6],
    pub(crate) ethertype: u16,
    /// [`Network`] as a number.
    pub(crate) network: u8,
    /// [`Transport`] as a number.
    pub(crate) transport: u8,
    pub(crate) src_ip: [u8; 16],
    pub(crate) dst_ip: [u8; 16],
    pub(crate) ip_version: u8,
    pub(crate) ttl: u8,
    pub(crate) ipv4_id: u16,
    pub(crate) ipv4_flags: u8,
    pub(crate) protocol: u8,
    pub(crate) fragment_offset: u16,
    pub(crate) flow_label: u32,
    pub(crate) src_port: u16,
    pub(crate) dst_port: u16,
    pub(crate) tcp_seq: u32,
    pub(crate) tcp_ack: u32,
    pub(crate) tcp_flags: u16,
    pub(crate) tcp_window: u16,
    pub(crate) tcp_payload_len: u32,
    pub(crate) tcp_options_len: u16,
    pub(crate) arp_operation: u16,
    pub(crate) arp_sender_mac: [u8; 6],
    pub(crate) arp_target_mac: [u8; 6],
    pub(crate) arp_sender_ip: [u8; 4],
    pub(crate) arp_target_ip: [u8; 4],
    pub(crate) icmp_type: u8,
    pub(crate) icmp_code: u8,
    /// [`TunnelKind`] as a number.
    pub(crate) tunnel_kind: u8,
    pub(crate) tunnel_link_type: u8,
    pub(crate) tunnel_inner: RawSpan,
    /// Where the fields end: [`SIZE`] is this marker's offset, not the
    /// struct's size, which may hold tail padding that a later field would
    /// fill. Fields are added right before it.
    pub(crate) _end: PhantomData<&'a [u8]>,
}

// SAFETY: a `Packet` is a view of borrowed bytes and a borrowed name, like
// the `&'a [u8]` and `&'a str` it was made from, which are `Send` and `Sync`.
#[allow(unsafe_code)]
unsafe impl Send for Packet<'_> {}
// SAFETY: as above.
#[allow(unsafe_code)]
unsafe impl Sync for Packet<'_> {}

/// The bytes that hold the struct's fields in this build, as its `size`
/// field says it: up to its last field, without tail padding, so that a
/// field a later release puts there counts as missing in a packet of this
/// build.
pub(crate) const SIZE: u32 = std::mem::offset_of!(Packet<'static>, _end) as u32;

impl<'a> Packet<'a> {
    /// Decodes `data`, captured as `header` says, into the packet every
    /// plugin sees: exactly what netraf's host does for each packet (see
    /// [`Packet::decode`]'s rules in the crate's front page). `header.caplen`
    /// is taken from `data`.
    #[inline(always)]
    pub fn decode(header: &PacketHeader<'a>, data: &'a [u8]) -> Packet<'a> {
        let mut packet = Packet::empty(header, data);
        crate::decoding::decode_into(header, data, &mut packet);
        packet
    }

    /// `data` as an Ethernet frame captured whole, at time 0 on interface 0
    /// (no name), addressed to this host, decoded: a shortcut for tests.
    pub fn ethernet(data: &'a [u8]) -> Packet<'a> {
        Packet::decode(&header_for(data, LinkType::ETHERNET), data)
    }

    /// The header fields set, nothing decoded yet.
    #[inline(always)]
    pub(crate) fn empty(header: &PacketHeader<'a>, data: &'a [u8]) -> Packet<'a> {
        let caplen = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let stripped = header.vlan;
        Packet {
            size: SIZE,
            present: 0,
            ts_ns: header.ts_ns,
            data: data.as_ptr(),
            data_len: data.len(),
            ifname: header.ifname.as_ptr(),
            ifname_len: header.ifname.len(),
            len: header.len.max(caplen),
            ifindex: header.ifindex,
            link_type: header.link_type.0,
            pkttype: header.pkttype.to_sll(),
            vlan_count: 0,
            stripped_tpid: stripped.map_or(0, |t| t.tpid),
            stripped_tci: stripped.map_or(0, |t| t.tci),
            vlan_tags: [0; MAX_VLAN_TAGS],
            spans: [RawSpan::default(); 4],
            src_mac: [0; 6],
            dst_mac: [0; 6],
            ethertype: 0,
            network: Network::Other as u8,
            transport: Transport::None as u8,
            src_ip: [0; 16],
            dst_ip: [0; 16],
            ip_version: 0,
            ttl: 0,
            ipv4_id: 0,
            ipv4_flags: 0,
            protocol: 0,
            fragment_offset: 0,
            flow_label: 0,
            src_port: 0,
            dst_port: 0,
            tcp_seq: 0,
            tcp_ack: 0,
            tcp_flags: 0,
            tcp_window: 0,
            tcp_payload_len: 0,
            tcp_options_len: 0,
            arp_operation: 0,
            arp_sender_mac: [0; 6],
            arp_target_mac: [0; 6],
            arp_sender_ip: [0; 4],
            arp_target_ip: [0; 4],
            icmp_type: 0,
            icmp_code: 0,
            tunnel_kind: 0,
            tunnel_link_type: 0,
            tunnel_inner: RawSpan::default(),
            _end: PhantomData,
        }
    }

    #[inline(always)]
    fn has(&self, bit: u32) -> bool {
        self.present & bit != 0
    }

    /// Capture time in nanoseconds since the Unix epoch.
    #[inline]
    pub fn ts_ns(&self) -> u64 {
        self.ts_ns
    }

    /// The captured bytes, starting with the link-layer header of [`Packet::link_type`].
    #[inline]
    #[allow(unsafe_code)]
    pub fn data(&self) -> &'a [u8] {
        // SAFETY: `data`/`data_len` were taken from a `&'a [u8]` by
        // `Packet::empty`, the only maker of a `Packet` (the fields are
        // private), and the host keeps those bytes for `'a`.
        unsafe { std::slice::from_raw_parts(self.data, self.data_len) }
    }

    /// Bytes captured (the length of [`Packet::data`]).
    #[inline]
    pub fn caplen(&self) -> u32 {
        u32::try_from(self.data_len).unwrap_or(u32::MAX)
    }

    /// Length of the packet on the wire (at least [`Packet::caplen`]).
    #[inline]
    pub fn wire_len(&self) -> u32 {
        self.len
    }

    /// Interface index (for files: the pcapng interface id, or 0).
    #[inline]
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// Interface name (for files: the pcapng `if_name` option, or a placeholder).
    #[inline]
    #[allow(unsafe_code)]
    pub fn ifname(&self) -> &'a str {
        // SAFETY: `ifname`/`ifname_len` were taken from a `&'a str` by
        // `Packet::empty` (see `data`), so they are valid UTF-8 for `'a`.
        unsafe {
            std::str::from_utf8_unchecked(std::slice::from_raw_parts(self.ifname, self.ifname_len))
        }
    }

    /// What the packet was to the capturing host. For capture files, which do
    /// not record it: a Linux cooked header's or pcapng `epb_flags`' type when
    /// there is one, else broadcast or multicast from the Ethernet
    /// destination, else [`PacketType::Host`].
    #[inline]
    pub fn packet_type(&self) -> PacketType {
        PacketType::from_sll(self.pkttype)
    }

    /// The format [`Packet::data`] starts with.
    #[inline]
    pub fn link_type(&self) -> LinkType {
        LinkType(self.link_type)
    }

    /// Whether the packet is a broadcast: its outermost Ethernet destination
    /// is ff:ff:ff:ff:ff:ff; without an Ethernet header (a Linux cooked or
    /// raw IP capture), its packet type is broadcast. 802.11 frames are not.
    #[inline]
    pub fn is_broadcast(&self) -> bool {
        self.has(bit::BROADCAST)
    }

    /// The VLAN tags: those in the frame's bytes, outermost first, and one
    /// the kernel (or NIC) stripped before capture, told apart.
    #[inline]
    pub fn vlans(&self) -> VlanStack {
        let mut stack = VlanStack::default();
        stack.stripped = self.stripped_vlan();
        let kept = usize::from(self.vlan_count).min(MAX_VLAN_TAGS);
        for &bits in &self.vlan_tags[..kept] {
            stack.push(VlanTag {
                tpid: (bits >> 16) as u16,
                tci: bits as u16,
            });
        }
        // Tags past the kept ones are counted, not stored.
        for _ in kept..usize::from(self.vlan_count) {
            stack.push(VlanTag::default());
        }
        stack
    }

    /// All VLAN tags: in the bytes, plus one if the kernel stripped one.
    #[inline]
    pub fn vlan_count(&self) -> u8 {
        self.vlan_count
            .saturating_add(u8::from(self.stripped_tpid != 0))
    }

    /// The outermost VLAN id: the stripped tag's, else the first tag's in the bytes.
    #[inline]
    pub fn vlan_id(&self) -> Option<u16> {
        if self.stripped_tpid != 0 {
            Some(self.stripped_tci & 0x0fff)
        } else if self.vlan_count > 0 {
            Some(self.vlan_tags[0] as u16 & 0x0fff)
        } else {
            None
        }
    }

    /// The VLAN tag the kernel stripped from the frame, if it did (it is not in the bytes).
    #[inline]
    pub fn stripped_vlan(&self) -> Option<StrippedVlan> {
        (self.stripped_tpid != 0).then_some(StrippedVlan {
            tpid: self.stripped_tpid,
            tci: self.stripped_tci,
        })
    }

    #[inline(always)]
    fn span(&self, index: usize, bit: u32) -> Option<Span> {
        self.has(bit).then(|| self.spans[index].into())
    }

    /// The link-layer headers (framing, tags, LLC, MPLS, PPPoE) before the
    /// network header, or the outermost link header when no network header was found.
    #[inline]
    pub fn link_span(&self) -> Option<Span> {
        self.span(0, bit::LINK)
    }

    /// The network header: the IP header (IPv6 with its extension headers), or the ARP body.
    #[inline]
    pub fn network_span(&self) -> Option<Span> {
        self.span(1, bit::NETWORK)
    }

    /// The transport header (TCP with options, UDP, ICMP's first 4 bytes).
    #[inline]
    pub fn transport_span(&self) -> Option<Span> {
        self.span(2, bit::TRANSPORT)
    }

    /// What follows the last header decoded: the transport's payload, or an
    /// IP payload netraf does not decode (to the IP packet's declared end).
    #[inline]
    pub fn payload_span(&self) -> Option<Span> {
        self.span(3, bit::PAYLOAD)
    }

    /// The bytes of [`Packet::payload_span`] (empty when there is none).
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.payload_span()
            .map_or(&[][..], |span| span.of(self.data()))
    }

    /// Source MAC (Ethernet; a Linux cooked header's 6-byte address).
    #[inline]
    pub fn src_mac(&self) -> Option<[u8; 6]> {
        self.has(bit::SRC_MAC).then_some(self.src_mac)
    }

    /// Destination MAC (Ethernet only).
    #[inline]
    pub fn dst_mac(&self) -> Option<[u8; 6]> {
        self.has(bit::DST_MAC).then_some(self.dst_mac)
    }

    /// The EtherType of the network header (or the cooked/loopback
    /// protocol), or the last one read when the network header is unknown.
    #[inline]
    pub fn ethertype(&self) -> Option<u16> {
        self.has(bit::ETHERTYPE).then_some(self.ethertype)
    }

    /// The first network header: [`Network::Other`] when none was found.
    #[inline]
    pub fn network(&self) -> Network {
        Network::from_number(self.network)
    }

    /// The header inside the outermost IP header (IPv6 extension headers
    /// skipped): [`Transport::None`] when the packet is not IP,
    /// [`Transport::Other`] for any other protocol, a non-first fragment or
    /// a header not all there.
    #[inline]
    pub fn transport(&self) -> Transport {
        Transport::from_number(self.transport)
    }

    /// The outermost IP header's fields, when its fixed part is there.
    #[inline]
    pub fn ip(&self) -> Option<IpFields> {
        if !self.has(bit::IP) {
            return None;
        }
        let ipv4 = self.has(bit::IPV4);
        Some(IpFields {
            version: self.ip_version,
            src: self.src_ip,
            dst: self.dst_ip,
            ttl: self.ttl,
            ipv4_id: ipv4.then_some(self.ipv4_id),
            ipv4_flags: ipv4.then_some(self.ipv4_flags),
            fragment_offset: ipv4.then_some(self.fragment_offset),
            flow_label: self.has(bit::FLOW_LABEL).then_some(self.flow_label),
        })
    }

    /// The outermost IP source address.
    #[inline]
    pub fn src_ip(&self) -> Option<IpAddr> {
        self.has(bit::IP)
            .then(|| address(self.ip_version, self.src_ip))
    }

    /// The outermost IP destination address.
    #[inline]
    pub fn dst_ip(&self) -> Option<IpAddr> {
        self.has(bit::IP)
            .then(|| address(self.ip_version, self.dst_ip))
    }

    /// The IP protocol number of the transport header (after IPv6
    /// extension headers), or of the extension header the walk stopped at.
    #[inline]
    pub fn ip_proto(&self) -> Option<u8> {
        self.has(bit::PROTOCOL).then_some(self.protocol)
    }

    /// TCP/UDP source port.
    #[inline]
    pub fn src_port(&self) -> Option<u16> {
        self.has(bit::PORTS).then_some(self.src_port)
    }

    /// TCP/UDP destination port.
    #[inline]
    pub fn dst_port(&self) -> Option<u16> {
        self.has(bit::PORTS).then_some(self.dst_port)
    }

    /// The TCP header's fields, when all 20 bytes are there.
    #[inline]
    pub fn tcp(&self) -> Option<TcpFields> {
        self.has(bit::TCP).then(|| TcpFields {
            flags: self.tcp_flags,
            seq: self.tcp_seq,
            ack: self.has(bit::TCP_ACK).then_some(self.tcp_ack),
            window: self.tcp_window,
            options_len: self.has(bit::TCP_OPTIONS).then_some(self.tcp_options_len),
            payload_len: self.has(bit::TCP_PAYLOAD).then_some(self.tcp_payload_len),
        })
    }

    /// The ARP body's fields.
    #[inline]
    pub fn arp(&self) -> Option<ArpFields> {
        self.has(bit::ARP).then(|| ArpFields {
            operation: self.arp_operation,
            sender_mac: self.has(bit::ARP_SENDER_MAC).then_some(self.arp_sender_mac),
            sender_ip: self
                .has(bit::ARP_SENDER_IP)
                .then(|| Ipv4Addr::from(self.arp_sender_ip)),
            target_mac: self.has(bit::ARP_TARGET_MAC).then_some(self.arp_target_mac),
            target_ip: self
                .has(bit::ARP_TARGET_IP)
                .then(|| Ipv4Addr::from(self.arp_target_ip)),
        })
    }

    /// ICMP/ICMPv6 type.
    #[inline]
    pub fn icmp_type(&self) -> Option<u8> {
        self.has(bit::ICMP).then_some(self.icmp_type)
    }

    /// ICMP/ICMPv6 code.
    #[inline]
    pub fn icmp_code(&self) -> Option<u8> {
        self.has(bit::ICMP).then_some(self.icmp_code)
    }

    /// One level of tunnel (GRE, VXLAN, IP in IP): where the inner packet
    /// lies; `netraf_wire::decode_inner` decodes it.
    #[inline]
    pub fn tunnel(&self) -> Option<Tunnel> {
        if !self.has(bit::TUNNEL) {
            return None;
        }
        let kind = match self.tunnel_kind {
            0 => TunnelKind::Gre,
            1 => TunnelKind::Vxlan,
            _ => TunnelKind::IpInIp,
        };
        let inner_link_type = if self.tunnel_link_type == 0 {
            LinkType::ETHERNET
        } else {
            LinkType::RAW
        };
        Some(Tunnel {
            kind,
            inner: self.tunnel_inner.into(),
            inner_link_type,
        })
    }

    /// The size of the struct as the host built it (in bytes): what an
    /// accessor of a field added after 1.0 checks.
    #[doc(hidden)]
    #[inline]
    pub fn struct_size(&self) -> u32 {
        self.size
    }
}

/// Decodes packet after packet into one [`Packet`] it keeps: what the host
/// does for every packet, cheaper than [`Packet::decode`] because only the
/// header fields and the markers of what is present are written anew (a
/// field whose presence bit is clear is never read).
pub struct PacketDecoder {
    /// The last packet decoded; its borrowed pointers are stale between
    /// calls, and nothing reads them then (the field is private and only
    /// [`PacketDecoder::decode`] lends it out, after rewriting them).
    packet: Packet<'static>,
}

impl Default for PacketDecoder {
    fn default() -> Self {
        PacketDecoder::new()
    }
}

impl std::fmt::Debug for PacketDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PacketDecoder").finish_non_exhaustive()
    }
}

impl PacketDecoder {
    /// A decoder with nothing decoded yet.
    pub fn new() -> PacketDecoder {
        PacketDecoder {
            packet: Packet::empty(&header_for(&[], LinkType::ETHERNET), &[]),
        }
    }

    /// Decodes `data`, captured as `header` says, exactly as
    /// [`Packet::decode`] does, into the decoder's packet, and lends it.
    #[inline(always)]
    #[allow(unsafe_code)]
    pub fn decode<'s, 'a>(
        &'s mut self,
        header: &PacketHeader<'a>,
        data: &'a [u8],
    ) -> &'s Packet<'a> {
        // SAFETY: `Packet` holds its borrows as raw pointers; its lifetime
        // parameter only marks them. Seen as a `Packet<'a>` for `'s`, the
        // packet gets pointers into `header` and `data` below, and is lent
        // out for `'s` only, during which the caller keeps both alive. Its
        // stale pointers are never read after `'s`: the next call rewrites
        // them before lending it again, and nothing else reads it.
        let p: &'s mut Packet<'a> =
            unsafe { &mut *std::ptr::from_mut(&mut self.packet).cast::<Packet<'a>>() };
        let stripped = header.vlan;
        p.present = 0;
        p.ts_ns = header.ts_ns;
        p.data = data.as_ptr();
        p.data_len = data.len();
        p.ifname = header.ifname.as_ptr();
        p.ifname_len = header.ifname.len();
        p.len = header
            .len
            .max(u32::try_from(data.len()).unwrap_or(u32::MAX));
        p.ifindex = header.ifindex;
        p.link_type = header.link_type.0;
        p.pkttype = header.pkttype.to_sll();
        p.vlan_count = 0;
        p.stripped_tpid = stripped.map_or(0, |t| t.tpid);
        p.stripped_tci = stripped.map_or(0, |t| t.tci);
        p.network = Network::Other as u8;
        p.transport = Transport::None as u8;
        crate::decoding::decode_into(header, data, p);
        p
    }
}

impl std::fmt::Debug for Packet<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packet")
            .field("ts_ns", &self.ts_ns())
            .field("caplen", &self.caplen())
            .field("wire_len", &self.wire_len())
            .field("ifname", &self.ifname())
            .field("packet_type", &self.packet_type())
            .field("link_type", &self.link_type())
            .field("network", &self.network())
            .field("transport", &self.transport())
            .finish_non_exhaustive()
    }
}

/// A header for `data` captured whole as `link_type` at time 0 on interface
/// 0 (no name), addressed to this host.
pub(crate) fn header_for(data: &[u8], link_type: LinkType) -> PacketHeader<'static> {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    PacketHeader {
        ts_ns: 0,
        caplen: len,
        len,
        ifindex: 0,
        ifname: "",
        pkttype: PacketType::Host,
        link_type,
        vlan: None,
    }
}

/// An address of IP version `version` held in 16 bytes.
#[inline]
fn address(version: u8, bytes: [u8; 16]) -> IpAddr {
    if version == 4 {
        let [a, b, c, d, ..] = bytes;
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    } else {
        IpAddr::V6(bytes.into())
    }
}
