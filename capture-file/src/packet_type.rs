//! What a packet was to the capturing host: sent by it, addressed to it, broadcast, multicast, or seen in promiscuous mode.

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

    /// One of each kind, in the order of [`PacketType::index`]: the five
    /// the kernel names, then `Other` (every other value is one kind).
    pub const KINDS: [PacketType; 6] = [
        PacketType::Host,
        PacketType::Broadcast,
        PacketType::Multicast,
        PacketType::OtherHost,
        PacketType::Outgoing,
        PacketType::Other(u8::MAX),
    ];

    /// The kind's place in [`PacketType::KINDS`], for tables of counters.
    pub const fn index(self) -> usize {
        match self {
            PacketType::Other(_) => 5,
            named => named.to_sll() as usize,
        }
    }

    /// The kernel's `sll_pkttype` value.
    pub const fn to_sll(self) -> u8 {
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
