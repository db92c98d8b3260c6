//! Hand-built Ethernet frames for the unit tests: IPv4 TCP, UDP and ICMP, optionally VLAN-tagged, and a way to hand them to the plugin at a time.

use plugin_api::{LinkType, Packet, PacketHeader, PacketType, Plugin, Verdict};

/// TCP flags.
pub const S: u8 = 0x02;
pub const SA: u8 = 0x12;
pub const A: u8 = 0x10;
pub const PA: u8 = 0x18;
pub const FA: u8 = 0x11;
pub const R: u8 = 0x04;
pub const RA: u8 = 0x14;

/// An IPv4 packet's Ethernet frame (VLAN-tagged with `vlan`) from
/// 10.0.0.`src` to 10.0.0.`dst`, protocol `proto`, `l4` the transport
/// header and payload.
pub fn ipv4(src: u8, dst: u8, proto: u8, l4: &[u8], vlan: Option<u16>) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, dst, 2, 0, 0, 0, 0, src];
    if let Some(id) = vlan {
        f.extend([0x81, 0x00]);
        f.extend(id.to_be_bytes());
    }
    f.extend([0x08, 0x00]);
    let total = u16::try_from(20 + l4.len()).unwrap().to_be_bytes();
    f.extend([0x45, 0, total[0], total[1], 0, 1, 0x40, 0, 64, proto, 0, 0]);
    f.extend([10, 0, 0, src, 10, 0, 0, dst]);
    f.extend(l4);
    f
}

/// A TCP segment from 10.0.0.`src`:`sport` to 10.0.0.`dst`:`dport`
/// (sequence number 1).
pub fn tcp(src: u8, sport: u16, dst: u8, dport: u16, flags: u8, payload: usize) -> Vec<u8> {
    tcp_seq(src, sport, dst, dport, flags, 1, payload)
}

/// A TCP segment with sequence number `seq`.
pub fn tcp_seq(
    src: u8,
    sport: u16,
    dst: u8,
    dport: u16,
    flags: u8,
    seq: u32,
    payload: usize,
) -> Vec<u8> {
    let mut l4 = sport.to_be_bytes().to_vec();
    l4.extend(dport.to_be_bytes());
    l4.extend(seq.to_be_bytes());
    l4.extend([0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    l4.resize(20 + payload, 0x61);
    ipv4(src, dst, 6, &l4, None)
}

/// A UDP datagram with `payload` bytes.
pub fn udp(src: u8, sport: u16, dst: u8, dport: u16, payload: usize, vlan: Option<u16>) -> Vec<u8> {
    let mut l4 = sport.to_be_bytes().to_vec();
    l4.extend(dport.to_be_bytes());
    l4.extend(u16::try_from(8 + payload).unwrap().to_be_bytes());
    l4.extend([0, 0]);
    l4.resize(8 + payload, 0x62);
    ipv4(src, dst, 17, &l4, vlan)
}

/// An ICMP message of `icmp_type` and `code` with 56 bytes of data.
pub fn icmp(src: u8, dst: u8, icmp_type: u8, code: u8) -> Vec<u8> {
    let mut l4 = vec![icmp_type, code, 0, 0, 0, 7, 0, 1];
    l4.resize(8 + 56, 0x63);
    ipv4(src, dst, 1, &l4, None)
}

/// Hands `frame` to `flow` as captured at `ts_ns`.
pub fn feed<P: Plugin>(flow: &mut P, frame: &[u8], ts_ns: u64) {
    offer(flow, frame, ts_ns).unwrap();
}

/// Hands `frame` to `flow` as captured at `ts_ns`: what it says.
pub fn offer<P: Plugin>(flow: &mut P, frame: &[u8], ts_ns: u64) -> Result<Verdict, String> {
    let len = u32::try_from(frame.len()).unwrap();
    let header = PacketHeader {
        ts_ns,
        caplen: len,
        len,
        ifindex: 0,
        ifname: "",
        pkttype: PacketType::Host,
        link_type: LinkType::ETHERNET,
        vlan: None,
    };
    flow.on_packet(&Packet::decode(&header, frame))
}
