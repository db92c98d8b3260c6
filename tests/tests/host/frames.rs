//! The known traffic of the host tests, as frames and as a pcap file.

use std::net::Ipv4Addr;
use std::path::Path;

use etherparse::PacketBuilder;
use mycap_core::{LinkType, PacketHeader, PacketType, PcapWriter};
use netraf_tests::frames::{arp_request, BROADCAST};

/// `02:00:00:00:00:n`.
pub fn mac(n: u8) -> [u8; 6] {
    [2, 0, 0, 0, 0, n]
}

/// A broadcast ARP request from `mac(n)` (10.0.0.n) for 10.0.0.254.
pub fn arp_from(n: u8) -> Vec<u8> {
    arp_request(
        mac(n),
        Ipv4Addr::new(10, 0, 0, n),
        Ipv4Addr::new(10, 0, 0, 254),
    )
}

/// IPv4/UDP from `mac(src)` (10.0.0.src) to `dst` (10.0.0.dst[5], or
/// 255.255.255.255 for the broadcast MAC).
pub fn ipv4_udp(dst: [u8; 6], src: u8, ports: (u16, u16), payload: usize) -> Vec<u8> {
    let dst_ip = if dst == BROADCAST {
        [255; 4]
    } else {
        [10, 0, 0, dst[5]]
    };
    let builder = PacketBuilder::ethernet2(mac(src), dst)
        .ipv4([10, 0, 0, src], dst_ip, 64)
        .udp(ports.0, ports.1);
    let mut frame = Vec::with_capacity(builder.size(payload));
    builder
        .write(&mut frame, &vec![0; payload])
        .expect("writing to a Vec cannot fail");
    frame
}

/// IPv6/TCP SYN from `mac(src)` (fd00::src) to `mac(dst)` (fd00::dst).
pub fn ipv6_tcp(dst: u8, src: u8, ports: (u16, u16)) -> Vec<u8> {
    let ip = |n: u8| {
        let mut a = [0u8; 16];
        a[0] = 0xfd;
        a[15] = n;
        a
    };
    let builder = PacketBuilder::ethernet2(mac(src), mac(dst))
        .ipv6(ip(src), ip(dst), 64)
        .tcp(ports.0, ports.1, 1, 65_535)
        .syn();
    let mut frame = Vec::with_capacity(builder.size(0));
    builder
        .write(&mut frame, &[])
        .expect("writing to a Vec cannot fail");
    frame
}

/// Known traffic, 300 ms apart: ARP broadcasts from `mac(1)` (3) and `mac(2)`
/// (2), a DHCP discover broadcast from `mac(3)`, 4 unicast IPv4/UDP from
/// `mac(4)` to `mac(5)` and 2 unicast IPv6/TCP back. In numbers: 12 frames;
/// network arp 5, ipv4 5, ipv6 2; transport udp 5, tcp 2; 6 broadcast.
pub fn traffic() -> Vec<(u64, Vec<u8>)> {
    const T0: u64 = 1_700_000_000_000_000_000;
    let mut frames = vec![
        arp_from(1),
        arp_from(2),
        arp_from(1),
        ipv4_udp(BROADCAST, 3, (68, 67), 300),
        arp_from(1),
        arp_from(2),
    ];
    for i in 0..4 {
        frames.push(ipv4_udp(mac(5), 4, (5000 + i, 53), 20 + usize::from(i)));
    }
    for i in 0..2 {
        frames.push(ipv6_tcp(4, 5, (40000 + i, 443)));
    }
    frames
        .into_iter()
        .enumerate()
        .map(|(i, f)| (T0 + i as u64 * 300_000_000, f))
        .collect()
}

/// Checks a count plugin's report against [`traffic`].
pub fn assert_traffic_counts(count: &serde_json::Value) {
    assert_eq!(count["packets"], 12, "{count}");
    let network = serde_json::json!({"arp": 5, "ipv4": 5, "ipv6": 2, "other": 0});
    assert_eq!(count["network"], network, "{count}");
    let transport = serde_json::json!({"tcp": 2, "udp": 5, "icmp": 0, "icmpv6": 0, "other": 0});
    assert_eq!(count["transport"], transport, "{count}");
    assert_eq!(count["broadcast"], 6, "{count}");
}

/// The header MYCAP would give an Ethernet frame `data` captured whole at `ts_ns`.
pub fn header(ts_ns: u64, data: &[u8], pkttype: PacketType) -> PacketHeader<'static> {
    PacketHeader {
        ts_ns,
        caplen: data.len() as u32,
        len: data.len() as u32,
        ifindex: 7,
        ifname: "veth-t0",
        pkttype,
        link_type: LinkType::ETHERNET,
        vlan: None,
    }
}

/// The bytes of a pcap file (Ethernet) holding `frames` with their times.
pub fn pcap_bytes(frames: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut writer = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 0).expect("pcap header");
    for (ts_ns, frame) in frames {
        let header = header(*ts_ns, frame, PacketType::Host);
        writer
            .write(&header.record(), frame)
            .expect("write to a Vec");
    }
    writer.finish().expect("finish a Vec")
}

/// Writes [`pcap_bytes`] to `path`.
pub fn write_pcap(path: &Path, frames: &[(u64, Vec<u8>)]) {
    std::fs::write(path, pcap_bytes(frames)).expect("write the test pcap");
}
