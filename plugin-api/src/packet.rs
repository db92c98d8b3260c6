//! The packet view the host lends a plugin for one call: MYCAP's header fields, the bytes and the shared summary.

use abi_stable::std_types::{RSlice, RStr};
use abi_stable::StableAbi;

use crate::PacketSummary;

/// What the packet was to the capturing host (the kernel's `sll_pkttype`
/// values, which [`Packet::pkttype`] carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// Addressed to this host.
    Host,
    /// Link-layer broadcast.
    Broadcast,
    /// Link-layer multicast.
    Multicast,
    /// Addressed to another host (promiscuous mode).
    OtherHost,
    /// Sent by this host.
    Outgoing,
    /// Anything else (loopback, user, kernel, or unknown for capture files).
    Other,
}

impl PacketType {
    /// Maps a `sll_pkttype` value.
    pub fn from_sll(value: u8) -> PacketType {
        match value {
            0 => PacketType::Host,
            1 => PacketType::Broadcast,
            2 => PacketType::Multicast,
            3 => PacketType::OtherHost,
            4 => PacketType::Outgoing,
            _ => PacketType::Other,
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
            PacketType::Other => "other",
        }
    }
}

/// One packet as a plugin sees it, valid for the duration of one call.
#[repr(C)]
#[derive(StableAbi, Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Capture time in nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Bytes captured (the length of `data`).
    pub caplen: u32,
    /// Length of the packet on the wire.
    pub len: u32,
    /// Interface index (for files: the pcapng interface id, or 0).
    pub ifindex: u32,
    /// The kernel's `sll_pkttype` value; see [`Packet::pkttype`].
    pub pkttype: u8,
    /// Interface name.
    pub ifname: RStr<'a>,
    /// The captured bytes, starting with the link-layer header of `summary.link_type`.
    pub data: RSlice<'a, u8>,
    /// What the host decoded from the outermost headers, shared by every plugin.
    pub summary: &'a PacketSummary,
}

impl<'a> Packet<'a> {
    /// The captured bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data.as_slice()
    }

    /// The interface name.
    pub fn ifname(&self) -> &'a str {
        self.ifname.as_str()
    }

    /// What the packet was to the capturing host.
    pub fn pkttype(&self) -> PacketType {
        PacketType::from_sll(self.pkttype)
    }
}
