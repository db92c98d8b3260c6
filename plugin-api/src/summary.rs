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

impl Network {
    /// Every value, in declaration order ([`Network::index`]).
    pub const ALL: [Network; 4] = [Network::Arp, Network::Ipv4, Network::Ipv6, Network::Other];

    /// The value's place in [`Network::ALL`], for tables of counters.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The name reports and logs use: `arp`, `ipv4`, `ipv6`, `other`.
    pub const fn name(self) -> &'static str {
        match self {
            Network::Arp => "arp",
            Network::Ipv4 => "ipv4",
            Network::Ipv6 => "ipv6",
            Network::Other => "other",
        }
    }
}

impl Transport {
    /// The values a packet whose network header is IP has, in declaration
    /// order: every value but [`Transport::None`].
    pub const IP: [Transport; 5] = [
        Transport::Tcp,
        Transport::Udp,
        Transport::Icmp,
        Transport::Icmpv6,
        Transport::Other,
    ];

    /// The value's place in [`Transport::IP`]; `None` for [`Transport::None`].
    pub const fn ip_index(self) -> Option<usize> {
        match self {
            Transport::None => None,
            other => Some(other as usize - 1),
        }
    }

    /// The name reports and logs use: `tcp`, `udp`, `icmp`, `icmpv6`,
    /// `other`, and `none` for a packet that is not IP.
    pub const fn name(self) -> &'static str {
        match self {
            Transport::None => "none",
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
            Transport::Icmp => "icmp",
            Transport::Icmpv6 => "icmpv6",
            Transport::Other => "other",
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_follow_the_tables_and_names_are_distinct() {
        for (i, n) in Network::ALL.iter().enumerate() {
            assert_eq!(n.index(), i);
        }
        for (i, t) in Transport::IP.iter().enumerate() {
            assert_eq!(t.ip_index(), Some(i));
        }
        assert_eq!(Transport::None.ip_index(), None);
        let mut names: Vec<&str> = Transport::IP.iter().map(|t| t.name()).collect();
        names.push(Transport::None.name());
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 6);
    }
}
