//! The per-packet header handed to a handler: lengths, time, interface, packet type, link type, VLAN.

use capture_file::{LinkType, PacketType, Record};

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

impl<'a> PacketHeader<'a> {
    /// The header as a capture file's record (for `PcapWriter` and
    /// `PcapngWriter`): `ifindex` becomes the record's interface; a
    /// stripped VLAN tag has no place there (put it back in the bytes to
    /// keep it).
    pub fn record(&self) -> Record<'a> {
        Record {
            ts_ns: self.ts_ns,
            caplen: self.caplen,
            len: self.len,
            interface: self.ifindex,
            ifname: self.ifname,
            packet_type: self.pkttype,
            link_type: self.link_type,
        }
    }
}
