//! The per-packet summary that the host decodes once and shares with every plugin.

use abi_stable::StableAbi;

/// The first network-layer header of a frame.
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Network {
    /// ARP (or RARP).
    Arp,
    /// IPv4.
    Ipv4,
    /// IPv6.
    Ipv6,
    /// Anything else, or no network header could be found (truncated, unknown link type).
    #[default]
    Other,
}

/// The header directly inside the outermost IPv4/IPv6 header (IPv6 extension
/// headers skipped).
#[repr(u8)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Transport {
    /// The frame's network header is not IP.
    #[default]
    None,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP (for IPv4).
    Icmp,
    /// ICMPv6.
    Icmpv6,
    /// Any other protocol, a non-first fragment, or a truncated transport header.
    Other,
}

/// What the host decoded from a frame's outermost headers, once per packet.
///
/// Decoding never fails: fields that could not be found keep their zero
/// values, and `network`/`transport` say how far decoding got.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketSummary {
    /// The `LINKTYPE_*` value the bytes start with.
    pub link_type: u16,
    /// Outermost EtherType after any VLAN tags (or the cooked/loopback protocol), 0 if none.
    pub ethertype: u16,
    /// Whether `src_mac`/`dst_mac` are meaningful (Ethernet frames).
    pub has_macs: bool,
    /// Source MAC address (for Linux cooked captures: the link-layer address, if 6 bytes).
    pub src_mac: [u8; 6],
    /// Destination MAC address.
    pub dst_mac: [u8; 6],
    /// Number of VLAN tags in the bytes, plus one if the kernel stripped one.
    pub vlan_count: u8,
    /// Outermost VLAN id (12 bits), valid when `vlan_count > 0`.
    pub vlan_id: u16,
    /// Outermost Ethernet destination is ff:ff:ff:ff:ff:ff, or the packet type is broadcast
    /// where the link type has no destination MAC.
    pub broadcast: bool,
    /// The first network header.
    pub network: Network,
    /// The header inside the outermost IP header.
    pub transport: Transport,
    /// 4 or 6 when the outermost addresses below are set, else 0.
    pub ip_version: u8,
    /// Outermost source address (IPv4 in the first 4 bytes).
    pub src_ip: [u8; 16],
    /// Outermost destination address (IPv4 in the first 4 bytes).
    pub dst_ip: [u8; 16],
    /// IP protocol number of the transport header (after IPv6 extension headers).
    pub ip_proto: u8,
    /// TCP/UDP source port, 0 otherwise.
    pub src_port: u16,
    /// TCP/UDP destination port, 0 otherwise.
    pub dst_port: u16,
    /// ICMP/ICMPv6 type, valid when `transport` is `Icmp` or `Icmpv6`.
    pub icmp_type: u8,
    /// ICMP/ICMPv6 code.
    pub icmp_code: u8,
}
