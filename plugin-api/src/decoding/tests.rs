//! The decoder's tests: hand-built frames of every link type and layer, and garbage that must never panic.

use super::*;
use capture_file::StrippedVlan;

use crate::PacketDecoder;
use netraf_wire::ethertype::{ARP as ETH_ARP, IPV4 as ETH_IPV4};

/// LINKTYPE_NFLOG.
const NFLOG: u16 = 239;
/// LINKTYPE_IPOIB.
const IPOIB: u16 = 242;

/// A byte order for NFLOG's TLV headers.
#[derive(Clone, Copy)]
enum Order {
    Little,
    Big,
}

/// Ethernet: broadcast destination, source 02:00:00:00:00:01.
const ETH_BCAST: [u8; 12] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1];
/// Ethernet: unicast destination 02:00:00:00:00:02, source 02:00:00:00:00:01.
const ETH_UNICAST: [u8; 12] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
/// ARP request body (who-has 10.0.0.2 tell 10.0.0.1).
const ARP: [u8; 28] = [
    0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
];
/// IPv4 10.0.0.1 → 10.0.0.2, protocol UDP, total length 28, no options.
const IPV4_UDP: [u8; 20] = [
    0x45, 0, 0, 28, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
];
/// UDP 1234 → 53, length 8.
const UDP: [u8; 8] = [0x04, 0xd2, 0, 53, 0, 8, 0, 0];
/// TCP 40000 → 80, SYN, data offset 5.
const TCP: [u8; 20] = [
    0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0,
];
/// IPv6 ::1 → ::2 with the next header and payload length patched in by `ipv6`.
const IPV6: [u8; 40] = [
    0x60, 0, 0, 0, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
];

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn ipv4(proto: u8, frag: u16, payload: &[u8]) -> Vec<u8> {
    let mut h = IPV4_UDP;
    h[2..4].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
    h[6..8].copy_from_slice(&frag.to_be_bytes());
    h[9] = proto;
    cat(&[&h, payload])
}

fn ipv6(next: u8, payload: &[u8]) -> Vec<u8> {
    let mut h = IPV6;
    h[4..6].copy_from_slice(&(payload.len() as u16).to_be_bytes());
    h[6] = next;
    cat(&[&h, payload])
}

fn header(link_type: LinkType, data: &[u8]) -> PacketHeader<'static> {
    PacketHeader {
        ts_ns: 0,
        caplen: data.len() as u32,
        len: data.len() as u32,
        ifindex: 1,
        ifname: "test0",
        pkttype: PacketType::Host,
        link_type,
        vlan: None,
    }
}

/// The decoded fields the assertions below read, absent ones as zeros.
#[derive(Debug)]
struct Seen {
    network: Network,
    transport: Transport,
    broadcast: bool,
    has_macs: bool,
    src_mac: [u8; 6],
    ethertype: u16,
    vlan_count: u8,
    vlan_id: u16,
    ip_version: u8,
    dst_ip: [u8; 16],
    ip_proto: u8,
    src_port: u16,
    dst_port: u16,
    icmp_type: u8,
    icmp_code: u8,
}

fn summarize(header: &PacketHeader<'_>, data: &[u8]) -> Seen {
    let p = Packet::decode(header, data);
    let ip = p.ip();
    Seen {
        network: p.network(),
        transport: p.transport(),
        broadcast: p.is_broadcast(),
        has_macs: p.dst_mac().is_some(),
        src_mac: p.src_mac().unwrap_or_default(),
        ethertype: p.ethertype().unwrap_or_default(),
        vlan_count: p.vlan_count(),
        vlan_id: p.vlan_id().unwrap_or_default(),
        ip_version: ip.map_or(0, |ip| ip.version),
        dst_ip: ip.map_or([0; 16], |ip| ip.dst),
        ip_proto: p.ip_proto().unwrap_or_default(),
        src_port: p.src_port().unwrap_or_default(),
        dst_port: p.dst_port().unwrap_or_default(),
        icmp_type: p.icmp_type().unwrap_or_default(),
        icmp_code: p.icmp_code().unwrap_or_default(),
    }
}

/// Every accessor's answer.
fn view(p: &Packet<'_>) -> String {
    format!(
        "{:?}",
        (
            (
                p.ts_ns(),
                p.data(),
                p.caplen(),
                p.wire_len(),
                p.ifindex(),
                p.ifname()
            ),
            (
                p.packet_type(),
                p.link_type(),
                p.is_broadcast(),
                p.vlans(),
                p.vlan_count()
            ),
            (
                p.vlan_id(),
                p.stripped_vlan(),
                p.link_span(),
                p.network_span()
            ),
            (
                p.transport_span(),
                p.payload_span(),
                p.payload(),
                p.src_mac(),
                p.dst_mac()
            ),
            (
                p.ethertype(),
                p.network(),
                p.transport(),
                p.ip(),
                p.src_ip(),
                p.dst_ip()
            ),
            (p.ip_proto(), p.src_port(), p.dst_port(), p.tcp(), p.arp()),
            (p.icmp_type(), p.icmp_code(), p.tunnel()),
        )
    )
}

fn decode(link_type: LinkType, data: &[u8]) -> Seen {
    summarize(&header(link_type, data), data)
}

#[test]
fn ethernet_broadcast_arp() {
    let frame = cat(&[&ETH_BCAST, &[0x08, 0x06], &ARP]);
    let s = decode(LinkType::ETHERNET, &frame);
    assert_eq!(s.network, Network::Arp);
    assert_eq!(s.transport, Transport::None);
    assert!(s.broadcast && s.has_macs);
    assert_eq!(s.src_mac, [2, 0, 0, 0, 0, 1]);
    assert_eq!(s.ethertype, ETH_ARP);
}

#[test]
fn ethernet_ipv4_udp() {
    let frame = cat(&[&ETH_UNICAST, &[0x08, 0x00], &ipv4(17, 0, &UDP)]);
    let s = decode(LinkType::ETHERNET, &frame);
    assert_eq!((s.network, s.transport), (Network::Ipv4, Transport::Udp));
    assert!(!s.broadcast);
    assert_eq!((s.src_port, s.dst_port), (1234, 53));
    assert_eq!(s.ip_version, 4);
    assert_eq!(&s.dst_ip[..4], &[10, 0, 0, 2]);
}

#[test]
fn qinq_tags_are_skipped_and_counted() {
    let frame = cat(&[
        &ETH_UNICAST,
        &[0x88, 0xa8, 0x00, 0x64, 0x81, 0x00, 0x00, 0xc8, 0x08, 0x00],
        &ipv4(6, 0, &TCP),
    ]);
    let s = decode(LinkType::ETHERNET, &frame);
    assert_eq!((s.network, s.transport), (Network::Ipv4, Transport::Tcp));
    assert_eq!((s.vlan_count, s.vlan_id, s.ethertype), (2, 100, ETH_IPV4));
}

#[test]
fn stripped_vlan_tag_is_the_outermost() {
    let frame = cat(&[&ETH_UNICAST, &[0x81, 0x00, 0x00, 0xc8, 0x08, 0x06], &ARP]);
    let mut hdr = header(LinkType::ETHERNET, &frame);
    hdr.vlan = Some(StrippedVlan {
        tci: 0x2005,
        tpid: 0x8100,
    });
    let s = summarize(&hdr, &frame);
    assert_eq!((s.network, s.vlan_count, s.vlan_id), (Network::Arp, 2, 5));
}

#[test]
fn llc_snap_carries_ip() {
    let ip = ipv4(17, 0, &UDP);
    let len = (8 + ip.len()) as u16;
    let frame = cat(&[
        &ETH_UNICAST,
        &len.to_be_bytes(),
        &[0xaa, 0xaa, 3, 0, 0, 0, 8, 0],
        &ip,
    ]);
    let s = decode(LinkType::ETHERNET, &frame);
    assert_eq!((s.network, s.transport), (Network::Ipv4, Transport::Udp));
    // Spanning tree over LLC is no network header.
    let stp = cat(&[&ETH_UNICAST, &[0, 38, 0x42, 0x42, 3, 0, 0, 0, 0]]);
    assert_eq!(decode(LinkType::ETHERNET, &stp).network, Network::Other);
}

#[test]
fn ipv6_extension_headers_and_fragments() {
    // hop-by-hop (8 bytes), then a first fragment, then UDP.
    let hop = [44u8, 0, 1, 4, 0, 0, 0, 0];
    let first = [17u8, 0, 0x00, 0x01, 0, 0, 0, 7];
    let s = decode(LinkType::IPV6, &ipv6(0, &cat(&[&hop, &first, &UDP])));
    assert_eq!(
        (s.network, s.transport, s.ip_proto),
        (Network::Ipv6, Transport::Udp, 17)
    );
    // A non-first fragment (offset 8 bytes) is Other.
    let later = [17u8, 0, 0x00, 0x08, 0, 0, 0, 7];
    let s = decode(LinkType::IPV6, &ipv6(44, &cat(&[&later, &UDP])));
    assert_eq!((s.network, s.transport), (Network::Ipv6, Transport::Other));
    // ICMPv6 echo request.
    let s = decode(LinkType::IPV6, &ipv6(58, &[128, 0, 0, 0, 0, 1, 0, 1]));
    assert_eq!((s.transport, s.icmp_type), (Transport::Icmpv6, 128));
    // Payload length 0 ("BIG TCP"): the rest of the frame is the payload.
    let mut big = ipv6(6, &TCP);
    big[4..6].copy_from_slice(&[0, 0]);
    assert_eq!(decode(LinkType::IPV6, &big).transport, Transport::Tcp);
}

#[test]
fn ipv4_other_transports() {
    // GRE, ESP, IGMP, OSPF: Other.
    for proto in [47u8, 50, 2, 89] {
        let s = decode(LinkType::IPV4, &ipv4(proto, 0, &[0; 24]));
        assert_eq!(
            (s.network, s.transport, s.ip_proto),
            (Network::Ipv4, Transport::Other, proto)
        );
    }
    // A non-first fragment, then a first one (more-fragments set).
    assert_eq!(
        decode(LinkType::IPV4, &ipv4(17, 0x00b9, &UDP)).transport,
        Transport::Other
    );
    assert_eq!(
        decode(LinkType::IPV4, &ipv4(17, 0x2000, &UDP)).transport,
        Transport::Udp
    );
    // A truncated TCP header.
    assert_eq!(
        decode(LinkType::IPV4, &ipv4(6, 0, &TCP[..10])).transport,
        Transport::Other
    );
    // ICMP echo reply.
    let s = decode(LinkType::IPV4, &ipv4(1, 0, &[0, 0, 0, 0, 0, 1, 0, 1]));
    assert_eq!(
        (s.transport, s.icmp_type, s.icmp_code),
        (Transport::Icmp, 0, 0)
    );
    // Total length 0 (segmentation offload): the rest is the payload.
    let mut tso = ipv4(6, 0, &TCP);
    tso[2..4].copy_from_slice(&[0, 0]);
    assert_eq!(decode(LinkType::IPV4, &tso).transport, Transport::Tcp);
}

#[test]
fn raw_ip_by_version() {
    assert_eq!(
        decode(LinkType::RAW, &ipv6(6, &TCP)).transport,
        Transport::Tcp
    );
    assert_eq!(
        decode(LinkType::RAW, &ipv4(17, 0, &UDP)).network,
        Network::Ipv4
    );
    assert_eq!(decode(LinkType::RAW, &[0x20; 30]).network, Network::Other);
}

#[test]
fn linux_cooked_v1_and_v2() {
    // SLL: pkttype 1 (broadcast), ARPHRD_ETHER, 6-byte address, IPv4.
    let sll = cat(&[
        &[0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 9, 0, 0, 8, 0],
        &ipv4(17, 0, &UDP),
    ]);
    let s = decode(LinkType::LINUX_SLL, &sll);
    assert_eq!((s.network, s.transport), (Network::Ipv4, Transport::Udp));
    assert!(s.broadcast && !s.has_macs);
    assert_eq!(s.src_mac, [2, 0, 0, 0, 0, 9]);
    // SLL2: protocol IPv6, pkttype 4 (outgoing).
    let sll2 = cat(&[
        &[
            0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 2, 0, 0, 0, 0, 9, 0, 0,
        ],
        &ipv6(58, &[135, 0, 0, 0]),
    ]);
    let s = decode(LinkType::LINUX_SLL2, &sll2);
    assert_eq!(
        (s.network, s.transport, s.broadcast),
        (Network::Ipv6, Transport::Icmpv6, false)
    );
    // SLL2 broadcast ARP.
    let mut bcast = cat(&[
        &[
            0x08, 0x06, 0, 0, 0, 0, 0, 2, 0, 1, 1, 6, 2, 0, 0, 0, 0, 9, 0, 0,
        ],
        &ARP,
    ]);
    assert!(decode(LinkType::LINUX_SLL2, &bcast).broadcast);
    bcast[10] = 0;
    assert!(!decode(LinkType::LINUX_SLL2, &bcast).broadcast);
}

#[test]
fn null_loopback_both_byte_orders() {
    let v4 = ipv4(17, 0, &UDP);
    let v6 = ipv6(6, &TCP);
    assert_eq!(
        decode(LinkType::NULL, &cat(&[&[2, 0, 0, 0], &v4])).network,
        Network::Ipv4
    );
    assert_eq!(
        decode(LinkType::NULL, &cat(&[&[0, 0, 0, 2], &v4])).network,
        Network::Ipv4
    );
    for family in [10u8, 24, 28, 30] {
        let s = decode(LinkType::NULL, &cat(&[&[family, 0, 0, 0], &v6]));
        assert_eq!(
            (s.network, s.transport),
            (Network::Ipv6, Transport::Tcp),
            "AF {family}"
        );
        let s = decode(LinkType::LOOP, &cat(&[&[0, 0, 0, family], &v6]));
        assert_eq!(s.network, Network::Ipv6, "loop AF {family}");
    }
    // An EtherType in the last two bytes.
    let s = decode(LinkType::NULL, &cat(&[&[0x0f, 0, 8, 0], &v4]));
    assert_eq!(s.transport, Transport::Udp);
    assert_eq!(
        decode(LinkType::NULL, &cat(&[&[7, 0, 0, 0], &v4])).network,
        Network::Other
    );
}

#[test]
fn cisco_hdlc() {
    let s = decode(
        LinkType::C_HDLC,
        &cat(&[&[0x0f, 0, 8, 0], &ipv4(1, 0, &[8, 0, 0, 0])]),
    );
    assert_eq!((s.network, s.transport), (Network::Ipv4, Transport::Icmp));
    // SLARP keepalive (0x8035) is not RARP.
    let slarp = [0x8f, 0, 0x80, 0x35, 0, 0, 0, 2, 0, 0, 0, 1];
    assert_eq!(decode(LinkType::C_HDLC, &slarp).network, Network::Other);
}

#[test]
fn radiotap_data_frame_with_snap() {
    // Radiotap: version 0, length 8, no fields.
    let radiotap = [0u8, 0, 8, 0, 0, 0, 0, 0];
    // 802.11 data frame, to-DS, addr1 = broadcast.
    let mut dot11 = [0u8; 24];
    dot11[0] = 0x08;
    dot11[1] = 0x01;
    dot11[4..10].copy_from_slice(&[0xff; 6]);
    let frame = cat(&[
        &radiotap,
        &dot11,
        &[0xaa, 0xaa, 3, 0, 0, 0, 8, 0],
        &ipv4(17, 0, &UDP),
    ]);
    let s = decode(LinkType::IEEE802_11_RADIOTAP, &frame);
    assert_eq!((s.network, s.transport), (Network::Ipv4, Transport::Udp));
    assert!(
        !s.broadcast,
        "802.11 broadcasts are not Ethernet broadcasts"
    );
    // A beacon (management frame) has no network header.
    let beacon = cat(&[&radiotap, &[0x80, 0], &[0; 40]]);
    assert_eq!(
        decode(LinkType::IEEE802_11_RADIOTAP, &beacon).network,
        Network::Other
    );
}

#[test]
fn pkttype_broadcast_where_no_destination_mac() {
    let data = ipv4(17, 0, &UDP);
    let mut hdr = header(LinkType::RAW, &data);
    hdr.pkttype = PacketType::Broadcast;
    assert!(summarize(&hdr, &data).broadcast);
    // On Ethernet the destination MAC decides, not the packet type.
    let frame = cat(&[&ETH_UNICAST, &[0x08, 0x00], &data]);
    let mut hdr = header(LinkType::ETHERNET, &frame);
    hdr.pkttype = PacketType::Broadcast;
    assert!(!summarize(&hdr, &frame).broadcast);
}

/// An NFLOG message of `family` with a packet-header TLV of EtherType
/// `protocol` (none if 0), a prefix TLV whose length needs padding, and
/// the payload, TLV headers in `order`.
fn nflog(family: u8, protocol: u16, payload: &[u8], order: Order) -> Vec<u8> {
    let tlv = |kind: u16, value: &[u8]| {
        let len = (4 + value.len()) as u16;
        let mut t = match order {
            Order::Little => cat(&[&len.to_le_bytes(), &kind.to_le_bytes(), value]),
            Order::Big => cat(&[&len.to_be_bytes(), &kind.to_be_bytes(), value]),
        };
        t.resize(t.len().next_multiple_of(4), 0);
        t
    };
    let mut msg = vec![family, 0, 0, 7];
    if protocol != 0 {
        msg.extend(tlv(1, &cat(&[&protocol.to_be_bytes(), &[3, 0]])));
    }
    msg.extend(tlv(10, b"drop:\0"));
    msg.extend(tlv(9, payload));
    msg
}

#[test]
fn nflog_payload_by_family_or_ethertype_in_both_byte_orders() {
    for order in [Order::Little, Order::Big] {
        let s = decode(LinkType(NFLOG), &nflog(2, 0x0800, &ipv4(6, 0, &TCP), order));
        assert_eq!(
            (s.network, s.transport, s.src_port, s.dst_port),
            (Network::Ipv4, Transport::Tcp, 40000, 80)
        );
        // No packet-header TLV: the family says IPv4.
        let s = decode(LinkType(NFLOG), &nflog(2, 0, &ipv4(17, 0, &UDP), order));
        assert_eq!(
            (s.network, s.transport, s.dst_port),
            (Network::Ipv4, Transport::Udp, 53)
        );
        let s = decode(
            LinkType(NFLOG),
            &nflog(2, 0, &ipv4(1, 0, &[8, 0, 0, 0]), order),
        );
        assert_eq!((s.transport, s.icmp_type), (Transport::Icmp, 8));
        let s = decode(
            LinkType(NFLOG),
            &nflog(10, 0x86dd, &ipv6(58, &[128, 0, 0, 0]), order),
        );
        assert_eq!((s.network, s.transport), (Network::Ipv6, Transport::Icmpv6));
        let s = decode(LinkType(NFLOG), &nflog(10, 0, &ipv6(17, &UDP), order));
        assert_eq!((s.network, s.transport), (Network::Ipv6, Transport::Udp));
        // ARP from an arptables or bridge rule: by the EtherType.
        let s = decode(LinkType(NFLOG), &nflog(3, 0x0806, &ARP, order));
        assert_eq!((s.network, s.transport), (Network::Arp, Transport::None));
        // An unknown family without an EtherType is not guessed.
        let s = decode(LinkType(NFLOG), &nflog(7, 0, &ipv4(17, 0, &UDP), order));
        assert_eq!(s.network, Network::Other);
    }
    // A TLV longer than the message: nothing is decoded.
    let mut bad = nflog(2, 0, &ipv4(17, 0, &UDP), Order::Little);
    let end = bad.len() - 3;
    bad.truncate(end);
    assert_eq!(decode(LinkType(NFLOG), &bad).network, Network::Other);
}

#[test]
fn ip_over_infiniband_ppp_over_ethernet_and_netanalyzer() {
    let ib = |etype: u16, payload: &[u8]| {
        cat(&[
            &[0x80; 20],
            &[0x80; 20],
            &etype.to_be_bytes(),
            &[0, 0],
            payload,
        ])
    };
    let s = decode(LinkType(IPOIB), &ib(0x0800, &ipv4(17, 0, &UDP)));
    assert_eq!(
        (s.network, s.transport, s.src_port),
        (Network::Ipv4, Transport::Udp, 1234)
    );
    let s = decode(LinkType(IPOIB), &ib(0x86dd, &ipv6(6, &TCP)));
    assert_eq!((s.network, s.transport), (Network::Ipv6, Transport::Tcp));
    let s = decode(LinkType(IPOIB), &ib(0x0806, &ARP));
    assert_eq!(s.network, Network::Arp);
    assert!(!s.has_macs, "InfiniBand addresses are not MACs");
    let s = decode(LinkType(IPOIB), &ib(0x0800, &ipv4(1, 0, &[0, 0, 0, 0])));
    assert_eq!(s.transport, Transport::Icmp);
    // PPPoE session (51): header, then PPP IPv4.
    let pppoe = cat(&[&[0x11, 0, 0, 1, 0, 30], &[0, 0x21], &ipv4(17, 0, &UDP)]);
    assert_eq!(decode(LinkType(51), &pppoe).transport, Transport::Udp);
    // netANALYZER: 4 bytes, then Ethernet; transparent: 12.
    let eth = cat(&[&ETH_BCAST, &[0x08, 0x06], &ARP]);
    let s = decode(LinkType(240), &cat(&[&[0; 4], &eth]));
    assert!(s.network == Network::Arp && s.broadcast);
    let s = decode(LinkType(241), &cat(&[&[0; 12], &eth]));
    assert_eq!(s.network, Network::Arp);
}

#[test]
fn garbage_and_truncations_never_panic() {
    let link_types = [
        0u16, 1, 9, 12, 14, 50, 51, 101, 104, 105, 108, 113, 127, 228, 229, 239, 240, 241, 242,
        276, 284, 65535,
    ];
    let fixtures = [
        cat(&[
            &ETH_UNICAST,
            &[0x88, 0xa8, 0, 1, 0x81, 0, 0, 2, 0x86, 0xdd],
            &ipv6(0, &[44, 0, 1, 4, 0, 0, 0, 0, 17, 0, 0, 1, 0, 0, 0, 7]),
        ]),
        cat(&[
            &[0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 9, 0, 0, 8, 0],
            &ipv4(6, 0, &TCP),
        ]),
        cat(&[
            &[0u8, 0, 8, 0, 0, 0, 0, 0, 0x88, 0x03],
            &[0; 30],
            &[0xaa, 0xaa, 3, 0, 0, 0, 0x86, 0xdd],
            &ipv6(58, &[1, 0, 0, 0]),
        ]),
    ];
    // One decoder for every frame, as the host keeps one: what it lends
    // must equal a fresh decode, whatever the frames before it held.
    let mut decoder = PacketDecoder::new();
    let mut check = |lt: u16, data: &[u8]| {
        let mut h = header(LinkType(lt), data);
        h.vlan = (data.len() % 3 == 0).then_some(StrippedVlan {
            tpid: 0x8100,
            tci: data.len() as u16,
        });
        assert_eq!(
            view(decoder.decode(&h, data)),
            view(&Packet::decode(&h, data)),
            "linktype {lt}, {data:02x?}"
        );
        let s = decode(LinkType(lt), data);
        let is_ip = matches!(s.network, Network::Ipv4 | Network::Ipv6);
        assert_eq!(
            is_ip,
            s.transport != Transport::None,
            "linktype {lt}, {data:02x?}"
        );
    };
    for lt in link_types {
        for fixture in &fixtures {
            for end in 0..=fixture.len() {
                check(lt, &fixture[..end]);
            }
        }
    }
    // xorshift64*: deterministic random frames, with a few bytes forced
    // to values that lead the decoder deeper.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let mut buf = [0u8; 160];
    for round in 0..20_000 {
        for b in buf.iter_mut() {
            *b = next() as u8;
        }
        if round % 2 == 0 {
            let etype: &[u8] = match round % 8 {
                0 => &[0x08, 0x00, 0x45],
                2 => &[0x86, 0xdd, 0x60],
                4 => &[0x81, 0x00, 0, 0, 0x88, 0x47],
                _ => &[0x00, 0x40, 0xaa, 0xaa, 0x03],
            };
            buf[12..12 + etype.len()].copy_from_slice(etype);
        }
        let len = (next() % buf.len() as u64) as usize;
        let lt = link_types[(next() % link_types.len() as u64) as usize];
        check(lt, &buf[..len]);
    }
}
