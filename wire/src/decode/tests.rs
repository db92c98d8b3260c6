//! The decoder's tests: real frames of the public capture corpus layer by layer, every prefix of them under every link type, and seeded random bytes.

use std::net::{IpAddr, Ipv4Addr};

use super::*;
use crate::TransportKind::{
    Icmp as IcmpKind, Icmpv6 as Icmpv6Kind, Tcp as TcpKind, Udp as UdpKind,
};

/// ArpRequestPacket.pcap frame 1: who has 10.0.0.138, tell 10.0.0.1, broadcast.
const ARP_REQUEST: [u8; 42] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x6c, 0xf0, 0x49, 0xb2, 0xde, 0x6e, 0x08, 0x06, 0x00, 0x01,
    0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x6c, 0xf0, 0x49, 0xb2, 0xde, 0x6e, 0x0a, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x8a,
];

/// 802.1ad_QinQ.pcap frame 1: S-tag 200, C-tag 2001, ARP request.
const QINQ_ARP: [u8; 64] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x20, 0xd2, 0x5a, 0xfb, 0x3f, 0x88, 0xa8, 0x00, 0xc8,
    0x81, 0x00, 0x07, 0xd1, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x20,
    0xd2, 0x5a, 0xfb, 0x3f, 0xac, 0x15, 0x4f, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xac, 0x15,
    0x4f, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// DnsPackets.pcap frame 1: a DNS query over IPv4/UDP.
const DNS_QUERY: [u8; 74] = [
    0x30, 0x46, 0x9a, 0x23, 0xfb, 0xfa, 0x6c, 0xf0, 0x49, 0xb2, 0xde, 0x6e, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x3c, 0x76, 0xd1, 0x00, 0x00, 0x80, 0x11, 0xaf, 0x55, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00,
    0x00, 0x8a, 0xdc, 0xc8, 0x00, 0x35, 0x00, 0x28, 0xfd, 0xe8, 0x81, 0x85, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x77, 0x77, 0x77, 0x06, 0x67, 0x6f, 0x6f, 0x67, 0x6c,
    0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
];

/// tcp-handshake-nano.pcap frame 1 (Linux cooked v1): a SYN with 20 bytes of options.
const SLL_SYN: [u8; 76] = [
    0x00, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x3c, 0x29, 0xa9, 0x40, 0x00, 0x40, 0x06, 0xdb, 0x5f, 0x83, 0x9b, 0xd7, 0x45,
    0x89, 0x74, 0x51, 0x5e, 0xb6, 0x40, 0x00, 0x50, 0x2f, 0x84, 0x2a, 0xcb, 0x00, 0x00, 0x00, 0x00,
    0xa0, 0x02, 0x6a, 0x40, 0x50, 0xc4, 0x00, 0x00, 0x02, 0x04, 0x05, 0x50, 0x04, 0x02, 0x08, 0x0a,
    0x43, 0x6a, 0x03, 0x62, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
];

/// IgmpPackets.pcap frame 1: IPv6 with a hop-by-hop header, an MLDv2 report.
const MLD_REPORT: [u8; 90] = [
    0x33, 0x33, 0x00, 0x00, 0x00, 0x16, 0x00, 0x12, 0x3f, 0x97, 0x92, 0x01, 0x86, 0xdd, 0x60, 0x00,
    0x00, 0x00, 0x00, 0x24, 0x00, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x09,
    0xb4, 0x16, 0x07, 0x68, 0xff, 0x42, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x16, 0x3a, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00, 0x8f, 0x00,
    0x1a, 0x3c, 0x00, 0x00, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x03,
];

/// vxlan.pcap frame 1: VXLAN (VNI 100) on UDP 4789 carrying an ICMP echo request.
const VXLAN_ECHO: [u8; 148] = [
    0x00, 0x16, 0x3e, 0x08, 0x71, 0xcf, 0x36, 0xdc, 0x85, 0x1e, 0xb3, 0x40, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x86, 0xd2, 0xc0, 0x40, 0x00, 0x40, 0x11, 0x51, 0x52, 0xc0, 0xa8, 0xcb, 0x01, 0xc0, 0xa8,
    0xca, 0x01, 0xb0, 0x5d, 0x12, 0xb5, 0x00, 0x72, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x64, 0x00, 0x00, 0x30, 0x88, 0x01, 0x00, 0x02, 0x00, 0x16, 0x3e, 0x37, 0xf6, 0x04, 0x08, 0x00,
    0x45, 0x00, 0x00, 0x54, 0x00, 0x00, 0x40, 0x00, 0x40, 0x01, 0x23, 0x4f, 0xc0, 0xa8, 0xcb, 0x03,
    0xc0, 0xa8, 0xcb, 0x05, 0x08, 0x00, 0xf6, 0xf2, 0x05, 0x0c, 0x00, 0x01, 0xfc, 0xe2, 0x97, 0x51,
    0x00, 0x00, 0x00, 0x00, 0xa6, 0xf8, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x11, 0x12, 0x13,
    0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23,
    0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
    0x34, 0x35, 0x36, 0x37,
];

/// pptp.pcap frame 16, first 50 bytes: PPTP's enhanced GRE (version 1) carrying PPP LCP.
const PPTP_GRE: [u8; 50] = [
    0x08, 0x00, 0x20, 0x9f, 0x6b, 0x72, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x45, 0x00,
    0x00, 0x50, 0x03, 0xbc, 0x00, 0x00, 0x80, 0x2f, 0x20, 0xad, 0x0a, 0x01, 0x01, 0x0b, 0x0a, 0x01,
    0x01, 0x0a, 0x30, 0x01, 0x88, 0x0b, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x03,
    0xc0, 0x21,
];

/// null_loopback.pcap frame 1, first 80 bytes: AF_INET6 30, IPv6, TCP 49888 → 81 with timestamps.
const NULL_TCP6: [u8; 80] = [
    0x1e, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x01, 0xb3, 0x06, 0x40, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc2, 0xe0, 0x00, 0x51,
    0x58, 0x5d, 0xb6, 0x86, 0x61, 0x6b, 0xe7, 0x64, 0x80, 0x18, 0x23, 0xd7, 0x01, 0xbb, 0x00, 0x00,
    0x01, 0x01, 0x08, 0x0a, 0xaf, 0x0a, 0x8d, 0xfe, 0xaf, 0x0a, 0x8d, 0xfe, 0x0a, 0x20, 0x20, 0x20,
];

fn span(offset: u32, len: u32) -> Option<Span> {
    Some(Span { offset, len })
}

#[test]
fn arp_request_and_its_addresses() {
    let l = decode(LinkType::ETHERNET, None, &ARP_REQUEST);
    assert_eq!((l.dst_mac, l.ethertype), (Some([0xff; 6]), Some(0x0806)));
    assert_eq!(
        (l.network_kind, l.link, l.network),
        (Some(NetworkKind::Arp), span(0, 14), span(14, 28))
    );
    let arp = l.arp.unwrap();
    assert_eq!(
        (arp.operation, arp.sender_mac, arp.target_mac),
        (1, l.src_mac, Some([0; 6]))
    );
    assert_eq!(
        (arp.sender_ip, arp.target_ip),
        (
            Some(Ipv4Addr::new(10, 0, 0, 1)),
            Some(Ipv4Addr::new(10, 0, 0, 138))
        )
    );
    assert_eq!(
        (l.ip, l.transport_kind, l.protocol, l.transport),
        (None, None, None, None)
    );
}

#[test]
fn qinq_tags_outermost_first_and_a_stripped_tag_apart() {
    let stripped = StrippedVlan {
        tpid: 0x8100,
        tci: 0x2005,
    };
    let l = decode(LinkType::ETHERNET, Some(stripped), &QINQ_ARP);
    let tags: Vec<VlanTag> = l.vlans.in_frame().collect();
    assert_eq!(
        tags,
        [
            VlanTag {
                tpid: 0x88a8,
                tci: 200
            },
            VlanTag {
                tpid: 0x8100,
                tci: 0x07d1
            }
        ]
    );
    assert_eq!(
        (tags[1].id(), l.vlans.count_in_frame(), l.vlans.count()),
        (2001, 2, 3)
    );
    assert_eq!(
        (l.vlans.stripped, l.vlans.outermost().map(VlanTag::id)),
        (Some(stripped), Some(5))
    );
    assert_eq!(
        (l.link, l.network_kind),
        (span(0, 22), Some(NetworkKind::Arp))
    );
    let plain = decode(LinkType::ETHERNET, None, &QINQ_ARP);
    assert_eq!(
        plain.vlans.outermost(),
        Some(VlanTag {
            tpid: 0x88a8,
            tci: 200
        })
    );
}

#[test]
fn dns_query_over_ipv4_udp() {
    let l = decode(LinkType::ETHERNET, None, &DNS_QUERY);
    let ip = l.ip.unwrap();
    assert_eq!(
        (
            ip.version,
            ip.ttl,
            ip.ipv4_id,
            ip.ipv4_flags,
            ip.fragment_offset
        ),
        (4, 128, Some(0x76d1), Some(0), Some(0))
    );
    assert_eq!(
        (ip.source(), ip.destination()),
        (IpAddr::from([10, 0, 0, 1]), IpAddr::from([10, 0, 0, 138]))
    );
    assert_eq!(
        (ip.flow_label, l.protocol, l.transport_kind),
        (None, Some(17), Some(UdpKind))
    );
    assert_eq!(
        (l.src_port, l.dst_port, l.tcp, l.tunnel),
        (Some(56520), Some(53), None, None)
    );
    assert_eq!(
        (l.network, l.transport, l.payload),
        (span(14, 20), span(34, 8), span(42, 32))
    );
}

#[test]
fn cooked_syn_with_options() {
    let l = decode(LinkType::LINUX_SLL, None, &SLL_SYN);
    assert_eq!(
        (l.packet_type, l.src_mac, l.dst_mac),
        (Some(capture_file::PacketType::Outgoing), None, None)
    );
    assert_eq!(
        (l.link, l.network, l.transport, l.payload),
        (span(0, 16), span(16, 20), span(36, 40), span(76, 0))
    );
    let ip = l.ip.unwrap();
    assert_eq!(
        (ip.ttl, ip.ipv4_flags, ip.source()),
        (64, Some(2), IpAddr::from([131, 155, 215, 69]))
    );
    let tcp = l.tcp.unwrap();
    assert_eq!(
        (l.src_port, l.dst_port, l.transport_kind),
        (Some(46656), Some(80), Some(TcpKind))
    );
    assert_eq!(
        (tcp.flags, tcp.seq, tcp.ack, tcp.window),
        (0x002, 0x2f84_2acb, None, 27200)
    );
    assert_eq!((tcp.options_len, tcp.payload_len), (Some(20), Some(0)));
}

#[test]
fn ipv6_hop_by_hop_then_mld() {
    let l = decode(LinkType::ETHERNET, None, &MLD_REPORT);
    let ip = l.ip.unwrap();
    assert_eq!(
        (ip.version, ip.ttl, ip.flow_label, ip.ipv4_id),
        (6, 1, Some(0), None)
    );
    assert_eq!(ip.destination(), "ff02::16".parse::<IpAddr>().unwrap());
    assert_eq!(
        (l.protocol, l.transport_kind, l.icmp_type, l.icmp_code),
        (Some(58), Some(Icmpv6Kind), Some(143), Some(0))
    );
    // The network layer spans the fixed header and the 8-byte hop-by-hop header.
    assert_eq!((l.network, l.transport), (span(14, 48), span(62, 4)));
}

#[test]
fn vxlan_tunnel_and_its_inner_packet() {
    let l = decode(LinkType::ETHERNET, None, &VXLAN_ECHO);
    assert_eq!((l.transport_kind, l.dst_port), (Some(UdpKind), Some(4789)));
    let tunnel = l.tunnel.unwrap();
    assert_eq!(
        (tunnel.kind, tunnel.inner, tunnel.inner_link_type),
        (
            TunnelKind::Vxlan,
            Span {
                offset: 50,
                len: 98
            },
            LinkType::ETHERNET
        )
    );
    let inner = decode_inner(&l, &VXLAN_ECHO).unwrap();
    assert_eq!(
        (inner.transport_kind, inner.icmp_type, inner.icmp_code),
        (Some(IcmpKind), Some(8), Some(0))
    );
    assert_eq!(
        inner.ip.map(|ip| ip.source()),
        Some(IpAddr::from([192, 168, 203, 3]))
    );
    assert_eq!(
        (inner.link, inner.network, inner.transport),
        (span(50, 14), span(64, 20), span(84, 4))
    );
    assert_eq!(decode_inner(&inner, &VXLAN_ECHO), None);
}

#[test]
fn gre_tunnels_version_0_only_and_ip_in_ip() {
    let l = decode(LinkType::ETHERNET, None, &PPTP_GRE);
    assert_eq!(
        (l.protocol, l.transport_kind, l.tunnel, l.payload),
        (Some(47), None, None, span(34, 16))
    );
    // GRE version 0 carrying IPv4: the DNS query's IP packet inside.
    let frame = [
        &DNS_QUERY[..14],
        &[
            0x45, 0, 0, 84, 0, 0, 0, 0, 64, 47, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        ],
        &[0, 0, 0x08, 0x00],
        &DNS_QUERY[14..],
    ]
    .concat();
    let l = decode(LinkType::ETHERNET, None, &frame);
    let tunnel = l.tunnel.unwrap();
    assert_eq!(
        (tunnel.kind, tunnel.inner.offset, tunnel.inner_link_type),
        (TunnelKind::Gre, 38, LinkType::RAW)
    );
    let inner = decode_inner(&l, &frame).unwrap();
    assert_eq!((inner.dst_port, inner.network), (Some(53), span(38, 20)));
    // IP in IP.
    let frame = [
        &DNS_QUERY[..14],
        &[
            0x45, 0, 0, 80, 0, 0, 0, 0, 64, 4, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
        ],
        &DNS_QUERY[14..],
    ]
    .concat();
    let l = decode(LinkType::ETHERNET, None, &frame);
    assert_eq!(l.tunnel.map(|t| t.kind), Some(TunnelKind::IpInIp));
    assert_eq!(
        decode_inner(&l, &frame).and_then(|i| i.src_port),
        Some(56520)
    );
}

#[test]
fn null_loopback_ipv6_tcp_with_ack() {
    let l = decode(LinkType::NULL, None, &NULL_TCP6);
    assert_eq!(
        (l.link, l.ethertype, l.network_kind),
        (span(0, 4), Some(0x86dd), Some(NetworkKind::Ipv6))
    );
    assert_eq!((l.src_port, l.dst_port), (Some(49888), Some(81)));
    let tcp = l.tcp.unwrap();
    assert_eq!(
        (tcp.flags, tcp.ack, tcp.window, tcp.options_len),
        (0x018, Some(0x616b_e764), 0x23d7, Some(12))
    );
    // The payload runs to the declared end (435 bytes), of which 4 were kept.
    assert_eq!((tcp.payload_len, l.payload), (Some(4), span(76, 4)));
}

/// Every link type netraf reads, and a few it does not.
const LINK_TYPES: [u16; 22] = [
    0, 1, 9, 12, 14, 50, 51, 101, 104, 105, 108, 113, 127, 228, 229, 239, 240, 241, 242, 276, 284,
    65535,
];

/// What must hold of any decode: spans inside the frame, fields only with their layers.
fn check(lt: u16, frame: &[u8]) {
    let l = decode(LinkType(lt), None, frame);
    for s in [l.link, l.network, l.transport, l.payload]
        .into_iter()
        .flatten()
    {
        assert!(
            s.range().end <= frame.len(),
            "linktype {lt}: {s:?} past {}: {frame:02x?}",
            frame.len()
        );
    }
    let ip = matches!(l.network_kind, Some(NetworkKind::Ipv4 | NetworkKind::Ipv6));
    assert!(
        ip || (l.ip.is_none() && l.transport_kind.is_none()),
        "linktype {lt}: {l:?}"
    );
    assert_eq!(l.tcp.is_some(), l.transport_kind == Some(TcpKind), "{l:?}");
    assert_eq!(
        l.src_port.is_some(),
        matches!(l.transport_kind, Some(TcpKind | UdpKind)),
        "{l:?}"
    );
    assert_eq!(
        l.icmp_type.is_some(),
        matches!(l.transport_kind, Some(IcmpKind | Icmpv6Kind)),
        "{l:?}"
    );
    assert!(l.transport.is_none() || l.transport_kind.is_some(), "{l:?}");
    if let Some(inner) = decode_inner(&l, frame) {
        for s in [inner.link, inner.network, inner.transport, inner.payload]
            .into_iter()
            .flatten()
        {
            assert!(s.range().end <= frame.len(), "inner {s:?}: {frame:02x?}");
        }
    }
}

#[test]
fn every_prefix_of_every_fixture_under_every_link_type() {
    let fixtures: [&[u8]; 8] = [
        &ARP_REQUEST,
        &QINQ_ARP,
        &DNS_QUERY,
        &SLL_SYN,
        &MLD_REPORT,
        &VXLAN_ECHO,
        &PPTP_GRE,
        &NULL_TCP6,
    ];
    for lt in LINK_TYPES {
        for fixture in fixtures {
            for end in 0..=fixture.len() {
                check(lt, &fixture[..end]);
            }
        }
    }
}

#[test]
fn seeded_random_bytes_never_panic() {
    // xorshift64*: deterministic random frames, some steered past the
    // link header into tags, IP and tunnels.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut buf = [0u8; 200];
    for round in 0..30_000 {
        for b in buf.iter_mut() {
            *b = next() as u8;
        }
        let steer: &[u8] = match round % 8 {
            0 => &[0x08, 0x00, 0x45, 0, 0, 0, 0, 0, 0, 0, 0, 17],
            2 => &[0x86, 0xdd, 0x60],
            4 => &[0x81, 0x00, 0, 0, 0x88, 0x47],
            6 => &[
                0x08, 0x00, 0x45, 0, 0, 0, 0, 0, 0, 0, 0, 47, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0x65, 0x58,
            ],
            _ => &[0x00, 0x40, 0xaa, 0xaa, 0x03],
        };
        buf[12..12 + steer.len()].copy_from_slice(steer);
        let len = (next() % buf.len() as u64) as usize;
        let lt = LINK_TYPES[(next() % LINK_TYPES.len() as u64) as usize];
        check(lt, &buf[..len]);
    }
}
