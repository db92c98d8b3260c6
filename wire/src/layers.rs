//! What one pass over a frame found: where each layer lies and the fields of its headers, in a plain struct without allocation; `None` wherever a header or field is absent.

use std::net::{IpAddr, Ipv4Addr};

use capture_file::{LinkType, PacketType, StrippedVlan};

/// At most this many VLAN tags of a frame are kept (all are counted).
pub const MAX_VLAN_TAGS: usize = 8;

/// Where a layer lies in the frame: its first byte and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// Offset of the first byte from the start of the frame.
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
}

impl Span {
    /// The span as a range of frame offsets.
    #[inline]
    pub fn range(self) -> core::ops::Range<usize> {
        let start = self.offset as usize;
        start..start + self.len as usize
    }

    /// The span's bytes in `frame` (empty if `frame` is not the frame it was found in).
    #[inline]
    pub fn of(self, frame: &[u8]) -> &[u8] {
        frame.get(self.range()).unwrap_or_default()
    }
}

/// One VLAN tag in the frame's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VlanTag {
    /// Tag protocol identifier (0x8100, 0x88a8, 0x9100 or 0x9200).
    pub tpid: u16,
    /// Tag control information: priority (3 bits), DEI (1), VLAN id (12).
    pub tci: u16,
}

impl VlanTag {
    /// The 12-bit VLAN id.
    #[inline]
    pub fn id(self) -> u16 {
        self.tci & 0x0fff
    }
}

/// The VLAN tags of a frame: the tags in its bytes, outermost first, and a
/// tag the kernel stripped before capture (outside them all), told apart.
///
/// The first [`MAX_VLAN_TAGS`] tags are kept packed in two integers (TPID
/// and TCI of each in 32 bits), which a compiler keeps in registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VlanStack {
    /// Tags 0..4, tag `i` in bits `32 i ..`.
    low: u128,
    /// Tags 4..8.
    high: u128,
    count: u8,
    /// The tag the kernel (or NIC) stripped, as the capture reported it.
    pub stripped: Option<StrippedVlan>,
}

impl VlanStack {
    /// The `index`th tag in the frame's bytes, outermost first (`None`
    /// past the tags, or past [`MAX_VLAN_TAGS`]).
    #[inline]
    pub fn get(&self, index: usize) -> Option<VlanTag> {
        if index >= usize::from(self.count).min(MAX_VLAN_TAGS) {
            return None;
        }
        let word = if index < 4 { self.low } else { self.high };
        let bits = (word >> (32 * (index % 4))) as u32;
        Some(VlanTag {
            tpid: (bits >> 16) as u16,
            tci: bits as u16,
        })
    }

    /// The tags in the frame's bytes, outermost first (at most [`MAX_VLAN_TAGS`]).
    #[inline]
    pub fn in_frame(&self) -> impl Iterator<Item = VlanTag> + '_ {
        (0..MAX_VLAN_TAGS).map_while(|i| self.get(i))
    }

    /// How many tags the frame's bytes hold (counted past [`MAX_VLAN_TAGS`], up to 255).
    #[inline]
    pub fn count_in_frame(&self) -> u8 {
        self.count
    }

    /// All tags: those in the bytes plus a stripped one (up to 255).
    #[inline]
    pub fn count(&self) -> u8 {
        self.count.saturating_add(u8::from(self.stripped.is_some()))
    }

    /// The outermost tag's TPID and TCI: the stripped one, else the first in the bytes.
    #[inline]
    pub fn outermost(&self) -> Option<VlanTag> {
        match self.stripped {
            Some(tag) => Some(VlanTag {
                tpid: tag.tpid,
                tci: tag.tci,
            }),
            None => self.get(0),
        }
    }

    /// Adds the next inner tag (the walk does; so may a caller rebuilding a stack it stored).
    #[inline(always)]
    pub fn push(&mut self, tag: VlanTag) {
        let bits = u128::from((u32::from(tag.tpid) << 16) | u32::from(tag.tci));
        let index = u32::from(self.count);
        if index < 4 {
            self.low |= bits << (32 * index);
        } else if index < 8 {
            self.high |= bits << (32 * (index - 4));
        }
        self.count = self.count.saturating_add(1);
    }
}

/// The network header the frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetworkKind {
    /// ARP or RARP.
    Arp,
    /// IPv4 (by EtherType; its header may still be cut short or bogus).
    Ipv4,
    /// IPv6 (by EtherType; its header may still be cut short or bogus).
    Ipv6,
}

/// The header directly inside the IP header, when netraf decodes it and it is all there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// TCP, at least 20 bytes.
    Tcp,
    /// UDP, at least 8 bytes.
    Udp,
    /// ICMP (protocol 1), at least 4 bytes.
    Icmp,
    /// ICMPv6 (protocol 58), at least 4 bytes.
    Icmpv6,
}

/// The fields of a readable IP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpFields {
    /// 4 or 6.
    pub version: u8,
    /// Source address (IPv4 in the first 4 bytes, the rest zero).
    pub src: [u8; 16],
    /// Destination address (IPv4 in the first 4 bytes, the rest zero).
    pub dst: [u8; 16],
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 identification.
    pub ipv4_id: Option<u16>,
    /// IPv4 flags (reserved, don't fragment, more fragments: 3 bits).
    pub ipv4_flags: Option<u8>,
    /// IPv4 fragment offset, in 8-byte units.
    pub fragment_offset: Option<u16>,
    /// IPv6 flow label.
    pub flow_label: Option<u32>,
}

impl IpFields {
    /// The source address.
    #[inline]
    pub fn source(&self) -> IpAddr {
        address(self.version, self.src)
    }

    /// The destination address.
    #[inline]
    pub fn destination(&self) -> IpAddr {
        address(self.version, self.dst)
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

/// The fields of a TCP header that is all there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpFields {
    /// The 12 bits after the data offset (reserved, NS, CWR ... FIN).
    pub flags: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number, when the ACK flag is set.
    pub ack: Option<u32>,
    /// Window (unscaled).
    pub window: u16,
    /// Length of the options, when the data offset is at least 5 and within the bytes.
    pub options_len: Option<u16>,
    /// Length of the payload (to the IP packet's end), under the same condition.
    pub payload_len: Option<u32>,
}

/// The fields of an ARP body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArpFields {
    /// Operation (1 request, 2 reply, 3/4 RARP).
    pub operation: u16,
    /// Sender hardware address, when 6 bytes long and there.
    pub sender_mac: Option<[u8; 6]>,
    /// Sender protocol address, when 4 bytes long and there.
    pub sender_ip: Option<Ipv4Addr>,
    /// Target hardware address, when 6 bytes long and there.
    pub target_mac: Option<[u8; 6]>,
    /// Target protocol address, when 4 bytes long and there.
    pub target_ip: Option<Ipv4Addr>,
}

/// The kind of a tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TunnelKind {
    /// GRE version 0 carrying IPv4, IPv6 or Ethernet (transparent bridging).
    Gre,
    /// VXLAN on UDP port 4789: Ethernet inside.
    Vxlan,
    /// IPv4 or IPv6 directly inside IP (protocols 4 and 41).
    IpInIp,
}

/// One level of tunnel: where the inner packet lies and how it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tunnel {
    /// The kind.
    pub kind: TunnelKind,
    /// The inner packet's bytes in the frame.
    pub inner: Span,
    /// How the inner packet starts: `ETHERNET` or `RAW` (IP).
    pub inner_link_type: LinkType,
}

/// Every layer of one frame, as [`crate::decode`] found it. Offsets are
/// from the start of the frame; a field is `None` when its header is
/// absent, cut short, or not decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    /// The format the frame starts with.
    pub link_type: LinkType,
    /// The link-layer headers (framing, tags, LLC, MPLS, PPPoE) before the
    /// network header, or the outermost link header when no network header was found.
    pub link: Option<Span>,
    /// The network header: the IP header (IPv6 with its extension headers),
    /// or the ARP body.
    pub network: Option<Span>,
    /// The transport header (TCP with options, UDP, ICMP's first 4 bytes).
    pub transport: Option<Span>,
    /// What follows the last header decoded: the transport's payload, or an
    /// IP payload netraf does not decode (to the IP packet's declared end).
    pub payload: Option<Span>,
    /// VLAN tags.
    pub vlans: VlanStack,
    /// Source MAC (Ethernet; a Linux cooked header's 6-byte address).
    pub src_mac: Option<[u8; 6]>,
    /// Destination MAC (Ethernet only).
    pub dst_mac: Option<[u8; 6]>,
    /// The packet type a Linux cooked header records.
    pub packet_type: Option<PacketType>,
    /// The EtherType of the network header (IP's found by a version nibble
    /// or a PPP protocol included), or the last one read when the network
    /// header is unknown or a tag is cut short.
    pub ethertype: Option<u16>,
    /// The network header's kind.
    pub network_kind: Option<NetworkKind>,
    /// The IP header's fields, when its fixed part is there and the version matches.
    pub ip: Option<IpFields>,
    /// IP protocol number: of the transport header after IPv6 extension
    /// headers, or of the extension header the walk stopped at.
    pub protocol: Option<u8>,
    /// The transport header's kind.
    pub transport_kind: Option<TransportKind>,
    /// TCP/UDP source port.
    pub src_port: Option<u16>,
    /// TCP/UDP destination port.
    pub dst_port: Option<u16>,
    /// TCP fields.
    pub tcp: Option<TcpFields>,
    /// ARP fields.
    pub arp: Option<ArpFields>,
    /// ICMP/ICMPv6 type.
    pub icmp_type: Option<u8>,
    /// ICMP/ICMPv6 code.
    pub icmp_code: Option<u8>,
    /// One level of tunnel, whose inner packet [`crate::decode_inner`] decodes.
    pub tunnel: Option<Tunnel>,
}

impl Layers {
    /// Nothing found yet in a frame of `link_type`.
    #[inline]
    pub fn empty(link_type: LinkType, stripped: Option<StrippedVlan>) -> Layers {
        Layers {
            link_type,
            link: None,
            network: None,
            transport: None,
            payload: None,
            vlans: VlanStack {
                stripped,
                ..VlanStack::default()
            },
            src_mac: None,
            dst_mac: None,
            packet_type: None,
            ethertype: None,
            network_kind: None,
            ip: None,
            protocol: None,
            transport_kind: None,
            src_port: None,
            dst_port: None,
            tcp: None,
            arp: None,
            icmp_type: None,
            icmp_code: None,
            tunnel: None,
        }
    }

    /// Moves every span `by` bytes later (for layers found in an inner packet).
    #[inline]
    pub(crate) fn shift(&mut self, by: u32) {
        let spans = [
            &mut self.link,
            &mut self.network,
            &mut self.transport,
            &mut self.payload,
        ];
        for span in spans.into_iter().flatten() {
            span.offset = span.offset.saturating_add(by);
        }
        if let Some(tunnel) = &mut self.tunnel {
            tunnel.inner.offset = tunnel.inner.offset.saturating_add(by);
        }
    }
}
