//! The per-packet header handed to a handler: lengths, time, interface, packet type, link type, VLAN.

use std::fmt;

/// What the packet was to the capturing host, as the kernel classified it
/// (`sll_pkttype`), or as a Linux cooked capture file recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PacketType {
    /// Addressed to this host (`PACKET_HOST`).
    Host,
    /// Link-layer broadcast (`PACKET_BROADCAST`).
    Broadcast,
    /// Link-layer multicast (`PACKET_MULTICAST`).
    Multicast,
    /// Addressed to another host, seen in promiscuous mode (`PACKET_OTHERHOST`).
    OtherHost,
    /// Sent by this host (`PACKET_OUTGOING`).
    Outgoing,
    /// Any other kernel value (loopback, user, kernel), or unknown for files
    /// whose link type carries no packet type.
    Other(u8),
}

impl PacketType {
    /// Maps the kernel's `sll_pkttype` value.
    pub fn from_sll(value: u8) -> PacketType {
        match value {
            0 => PacketType::Host,
            1 => PacketType::Broadcast,
            2 => PacketType::Multicast,
            3 => PacketType::OtherHost,
            4 => PacketType::Outgoing,
            other => PacketType::Other(other),
        }
    }

    /// The kernel's `sll_pkttype` value.
    pub fn to_sll(self) -> u8 {
        match self {
            PacketType::Host => 0,
            PacketType::Broadcast => 1,
            PacketType::Multicast => 2,
            PacketType::OtherHost => 3,
            PacketType::Outgoing => 4,
            PacketType::Other(other) => other,
        }
    }

    /// A short lowercase name: `host`, `broadcast`, `multicast`, `otherhost`, `outgoing`, `other`.
    pub fn name(self) -> &'static str {
        match self {
            PacketType::Host => "host",
            PacketType::Broadcast => "broadcast",
            PacketType::Multicast => "multicast",
            PacketType::OtherHost => "otherhost",
            PacketType::Outgoing => "outgoing",
            PacketType::Other(_) => "other",
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            "other" => write!(f, "linktype-{}", self.0),
            name => f.write_str(name),
        }
    }
}

/// An 802.1Q tag that the kernel (or the NIC) stripped from the frame before
/// capture. MYCAP reports it here and leaves the bytes as the kernel gave them
/// (it does not re-insert the tag, so the handler's bytes stay zero-copy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VlanTag {
    /// Tag control information: priority (3 bits), DEI (1 bit), VLAN id (12 bits).
    pub tci: u16,
    /// Tag protocol identifier (0x8100 for 802.1Q, 0x88a8 for 802.1ad).
    pub tpid: u16,
}

impl VlanTag {
    /// The 12-bit VLAN identifier.
    pub fn id(self) -> u16 {
        self.tci & 0x0fff
    }
}

/// Everything known about one packet apart from its bytes.
#[derive(Debug, Clone, Copy)]
pub struct PacketHeader<'a> {
    /// Capture time in nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Bytes captured (the length of the data slice).
    pub caplen: u32,
    /// Length of the packet on the wire (at least `caplen`).
    pub len: u32,
    /// Interface index (for files: the pcapng interface id, or 0).
    pub ifindex: u32,
    /// Interface name (for files: the pcapng `if_name` option, or a placeholder).
    pub ifname: &'a str,
    /// What the packet was to this host.
    pub pkttype: PacketType,
    /// The format the bytes start with.
    pub link_type: LinkType,
    /// A VLAN tag stripped by the kernel, if any.
    pub vlan: Option<VlanTag>,
}
