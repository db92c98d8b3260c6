//! The packet view the host lends a plugin for one call: MYCAP's header fields, the bytes and the shared summary.

use abi_stable::std_types::{RSlice, RStr};
use abi_stable::StableAbi;

use capture_file::{PacketType, StrippedVlan};

use crate::PacketSummary;

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
    /// The kernel's `sll_pkttype` value; [`Packet::packet_type`] names it.
    pub pkttype: u8,
    /// Interface name.
    pub ifname: RStr<'a>,
    /// The captured bytes, starting with the link-layer header of `summary.link_type`.
    pub data: RSlice<'a, u8>,
    /// What the host decoded from the outermost headers, shared by every plugin.
    pub summary: &'a PacketSummary,
    /// Tag control information of an 802.1Q tag that the kernel (or the NIC)
    /// stripped from the frame before capture; valid when `vlan_tpid` is not 0.
    /// The tag is not in `data`: see [`Packet::vlan`].
    pub vlan_tci: u16,
    /// Tag protocol identifier of the stripped tag (0x8100, 0x88a8), or 0 when
    /// no tag was stripped.
    pub vlan_tpid: u16,
}

impl<'a> Packet<'a> {
    /// `data` as a whole packet (captured and wire length its length) at
    /// time 0 on interface 0 (no name), addressed to this host, no stripped
    /// tag, with `summary`: a plugin's tests write the fields they care
    /// about and take the rest from here,
    /// `Packet { ts_ns: 5, ..Packet::new(&bytes, &summary) }`.
    pub fn new(data: &'a [u8], summary: &'a PacketSummary) -> Packet<'a> {
        let caplen = u32::try_from(data.len()).unwrap_or(u32::MAX);
        Packet {
            ts_ns: 0,
            caplen,
            len: caplen,
            ifindex: 0,
            pkttype: 0,
            ifname: "".into(),
            data: data.into(),
            summary,
            vlan_tci: 0,
            vlan_tpid: 0,
        }
    }

    /// The captured bytes.
    pub fn data(&self) -> &'a [u8] {
        self.data.as_slice()
    }

    /// The interface name.
    pub fn ifname(&self) -> &'a str {
        self.ifname.as_str()
    }

    /// What the packet was to the capturing host: the field `pkttype` (the
    /// kernel's number) by name.
    pub fn packet_type(&self) -> PacketType {
        PacketType::from_sll(self.pkttype)
    }

    /// The VLAN tag the kernel stripped from the frame, if it did.
    pub fn vlan(&self) -> Option<StrippedVlan> {
        (self.vlan_tpid != 0).then_some(StrippedVlan {
            tpid: self.vlan_tpid,
            tci: self.vlan_tci,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stripped_tag_is_there_only_with_a_tpid() {
        let summary = PacketSummary::default();
        let mut packet = Packet {
            ifindex: 1,
            ifname: "eth0".into(),
            ..Packet::new(&[], &summary)
        };
        assert_eq!(packet.vlan(), None);
        packet.vlan_tpid = 0x8100;
        packet.vlan_tci = (5 << 13) | 42;
        let tag = packet.vlan().expect("a tag");
        assert_eq!(tag.id(), 42);
        assert_eq!(tag.to_bytes(), [0x81, 0x00, 0xa0, 42]);
    }
}
