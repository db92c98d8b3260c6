//! The capture header of one packet (lengths, time, interface, packet type, link type, stripped VLAN tag): what MYCAP hands a handler and the host hands plugin-api to decode.

use crate::{LinkType, PacketType, Record, StrippedVlan};

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
    pub vlan: Option<StrippedVlan>,
}

impl<'a> PacketHeader<'a> {
    /// The header of a packet read from a capture file: files record no
    /// stripped VLAN tag (a tag is in the bytes).
    pub fn of_record(record: &Record<'a>) -> PacketHeader<'a> {
        PacketHeader {
            ts_ns: record.ts_ns,
            caplen: record.caplen,
            len: record.len,
            ifindex: record.interface,
            ifname: record.ifname,
            pkttype: record.packet_type,
            link_type: record.link_type,
            vlan: None,
        }
    }

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
