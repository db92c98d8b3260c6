//! Hand-built frames for the log's unit tests: Ethernet with VLAN tags, IPv4/IPv6, TCP, UDP, ICMP, ICMPv6 and ARP.

use plugin_api::{LinkType, Packet, PacketHeader, PacketType, StrippedVlan};

/// MAC addresses of the test frames.
pub const SRC_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
/// The destination of the test frames.
pub const DST_MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];

/// An Ethernet frame from [`SRC_MAC`] to [`DST_MAC`], with `tags` (TPID,
/// VLAN id) outermost first, padded to 60 bytes as on the wire.
pub fn ethernet(tags: &[(u16, u16)], ethertype: u16, body: &[u8]) -> Vec<u8> {
    let mut frame = [&DST_MAC[..], &SRC_MAC[..]].concat();
    for &(tpid, id) in tags {
        frame.extend(tpid.to_be_bytes());
        frame.extend(id.to_be_bytes());
    }
    frame.extend(ethertype.to_be_bytes());
    frame.extend(body);
    if frame.len() < 60 {
        frame.resize(60, 0);
    }
    frame
}

/// An IPv4 packet (TTL 64, id 0x1234, don't fragment) of protocol `proto` from `src` to `dst`.
pub fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], body: &[u8]) -> Vec<u8> {
    let total = u16::try_from(20 + body.len()).unwrap();
    let mut packet = vec![0x45, 0];
    packet.extend(total.to_be_bytes());
    packet.extend([0x12, 0x34, 0x40, 0, 64, proto, 0, 0]);
    packet.extend(src);
    packet.extend(dst);
    packet.extend(body);
    packet
}

/// An IPv6 packet (hop limit 255) of next header `next` from `src` to `dst`.
pub fn ipv6(next: u8, src: [u8; 16], dst: [u8; 16], body: &[u8]) -> Vec<u8> {
    let mut packet = vec![0x60, 0, 0, 0];
    packet.extend(u16::try_from(body.len()).unwrap().to_be_bytes());
    packet.extend([next, 255]);
    packet.extend(src);
    packet.extend(dst);
    packet.extend(body);
    packet
}

/// A TCP header without options from port 40000 to 80, then `payload`.
pub fn tcp(seq: u32, ack: u32, flags: u16, window: u16, payload: &[u8]) -> Vec<u8> {
    let mut segment = vec![0x9c, 0x40, 0, 80];
    segment.extend(seq.to_be_bytes());
    segment.extend(ack.to_be_bytes());
    segment.extend((0x5000 | flags).to_be_bytes());
    segment.extend(window.to_be_bytes());
    segment.extend([0, 0, 0, 0]);
    segment.extend(payload);
    segment
}

/// A UDP header from port 5353 to 53, then `payload`.
pub fn udp(payload: &[u8]) -> Vec<u8> {
    let mut datagram = vec![0x14, 0xe9, 0, 53];
    datagram.extend(u16::try_from(8 + payload.len()).unwrap().to_be_bytes());
    datagram.extend([0, 0]);
    datagram.extend(payload);
    datagram
}

/// An ICMP or ICMPv6 message of `icmp_type` and `code`, with 4 bytes of id and sequence.
pub fn icmp(icmp_type: u8, code: u8) -> Vec<u8> {
    vec![icmp_type, code, 0, 0, 0, 1, 0, 2]
}

/// An Ethernet/IPv4 ARP body of operation `op`.
pub fn arp(op: u16, sha: [u8; 6], spa: [u8; 4], tha: [u8; 6], tpa: [u8; 4]) -> Vec<u8> {
    let mut body = vec![0, 1, 0x08, 0, 6, 4];
    body.extend(op.to_be_bytes());
    body.extend(sha);
    body.extend(spa);
    body.extend(tha);
    body.extend(tpa);
    body
}

/// An IPv4/TCP Ethernet frame 10.0.0.1:40000 > 10.0.0.2:80.
pub fn tcp_frame(seq: u32, ack: u32, flags: u16, window: u16, payload: &[u8]) -> Vec<u8> {
    let segment = tcp(seq, ack, flags, window, payload);
    ethernet(
        &[],
        0x0800,
        &ipv4(6, [10, 0, 0, 1], [10, 0, 0, 2], &segment),
    )
}

/// The header the tests give a frame: a fixed time, `ifname`, interface 3,
/// sent by this host, 4 bytes more on the wire than captured.
pub fn header<'a>(data: &[u8], ifname: &'a str, vlan: Option<StrippedVlan>) -> PacketHeader<'a> {
    let caplen = u32::try_from(data.len()).unwrap();
    PacketHeader {
        ts_ns: 1_714_557_600_000_000_001,
        caplen,
        len: caplen + 4,
        ifindex: 3,
        ifname,
        pkttype: PacketType::Outgoing,
        link_type: LinkType::ETHERNET,
        vlan,
    }
}

/// `data` decoded as [`header`] describes it.
pub fn packet<'a>(data: &'a [u8], ifname: &'a str) -> Packet<'a> {
    Packet::decode(&header(data, ifname, None), data)
}
