//! The format a captured packet's bytes start with: a `LINKTYPE_*` value of the pcap and pcapng formats.

use std::fmt;

/// The format the packet bytes start with, as a `LINKTYPE_*` value of the
/// pcap/pcapng formats (<https://www.tcpdump.org/linktypes.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback: a 4-byte host-order address family, then the packet.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II / 802.3.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP, version from the first nibble.
    pub const RAW: LinkType = LinkType(101);
    /// Cisco HDLC.
    pub const C_HDLC: LinkType = LinkType(104);
    /// IEEE 802.11 without radio header.
    pub const IEEE802_11: LinkType = LinkType(105);
    /// OpenBSD loopback: a 4-byte network-order address family, then the packet.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// 802.11 with a radiotap header.
    pub const IEEE802_11_RADIOTAP: LinkType = LinkType(127);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);

    /// A short name for display (`ethernet`, `raw`, `linux-sll`, ...; `linktype-N` otherwise).
    pub fn name(self) -> &'static str {
        match self {
            LinkType::NULL => "null",
            LinkType::ETHERNET => "ethernet",
            LinkType::RAW => "raw",
            LinkType::C_HDLC => "c-hdlc",
            LinkType::IEEE802_11 => "ieee802.11",
            LinkType::LOOP => "loop",
            LinkType::LINUX_SLL => "linux-sll",
            LinkType::IEEE802_11_RADIOTAP => "radiotap",
            LinkType::IPV4 => "ipv4",
            LinkType::IPV6 => "ipv6",
            LinkType::LINUX_SLL2 => "linux-sll2",
            _ => "other",
        }
    }

    /// Whether the packet starts with its IP header, the version in its first
    /// nibble: `RAW` (101), the BSDs' `DLT_RAW` values 12 and 14, `IPV4`
    /// (228) and `IPV6` (229).
    pub fn is_raw_ip(self) -> bool {
        matches!(
            self,
            LinkType::RAW | LinkType(12) | LinkType(14) | LinkType::IPV4 | LinkType::IPV6
        )
    }

    /// The EtherType of a raw IP packet by the version in its first nibble
    /// (0x0800 for 4, 0x86dd for 6); `None` for any other version or no byte.
    pub fn raw_ip_ethertype(packet: &[u8]) -> Option<u16> {
        match packet.first().map(|b| b >> 4) {
            Some(4) => Some(0x0800),
            Some(6) => Some(0x86dd),
            _ => None,
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            "other" => write!(f, "linktype-{}", self.0),
            name => f.write_str(name),
        }
    }
}
