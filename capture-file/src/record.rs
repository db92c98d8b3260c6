//! The header of one packet record of a capture file, as read from it or handed to a writer.

use crate::{LinkType, PacketType};

/// Everything a capture file says of one packet apart from its bytes.
/// VLAN tags stay in the bytes: files keep them there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// Capture time in nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Bytes captured (the length of the packet's bytes).
    pub caplen: u32,
    /// Length of the packet on the wire (at least `caplen`).
    pub len: u32,
    /// The interface: the pcapng interface id when read (0 for pcap); any
    /// number that tells interfaces apart when written (an interface index).
    pub interface: u32,
    /// The interface's name: the pcapng `if_name` option, else `if<id>`.
    pub ifname: &'a str,
    /// What the packet was to the capturing host.
    pub packet_type: PacketType,
    /// The format the bytes start with.
    pub link_type: LinkType,
}
