//! The compiler against libpcap: for each expression, our program and `tcpdump -dd`'s accept the same synthetic packets.

mod common;

use capture_file::LinkType;
use common::*;
use netraf_filter::compile;

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [192, 168, 1, 2];
const C: [u8; 4] = [224, 0, 0, 5];
const D: [u8; 4] = [10, 1, 2, 3];

fn v6(last: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[15] = last;
    a
}

fn v6_mcast() -> [u8; 16] {
    let mut a = [0u8; 16];
    a[0] = 0xff;
    a[1] = 0x02;
    a[15] = 1;
    a
}

/// Network-layer packets: (EtherType, bytes).
fn l3_packets() -> Vec<(u16, Vec<u8>)> {
    let mut v = vec![
        (0x0800, ipv4(A, B, 6, 0, 0, &tcp(1234, 80, 0x02))),
        (0x0800, ipv4(B, A, 6, 0, 0, &tcp(80, 1234, 0x12))),
        (0x0800, ipv4(A, B, 6, 0x4000, 8, &tcp(443, 22, 0x18))),
        (0x0800, ipv4(A, B, 6, 100, 0, &tcp(1234, 80, 0x02))),
        (0x0800, ipv4(A, B, 6, 0x2000, 0, &tcp(1234, 80, 0x11))),
        (0x0800, ipv4(D, C, 17, 0, 0, &udp(53, 5353))),
        (0x0800, ipv4(A, B, 17, 0, 4, &udp(1000, 2000))),
        (0x0800, ipv4(B, D, 17, 0, 0, &udp(2000, 53))),
        (0x0800, ipv4(A, B, 1, 0, 0, &icmp(8, 0))),
        (0x0800, ipv4(B, A, 1, 0, 0, &icmp(0, 0))),
        (0x0800, ipv4(B, A, 1, 0, 0, &icmp(3, 1))),
        (0x0800, ipv4(A, B, 132, 0, 0, &udp(80, 9))),
        (0x0800, ipv4(A, B, 47, 0, 0, &[0; 12])),
        (0x0800, ipv4(A, B, 6, 0, 0, &tcp(22, 80, 0x04)[..4])),
        (
            0x0800,
            ipv4(A, [255, 255, 255, 255], 17, 0, 0, &udp(68, 67)),
        ),
        (0x0800, ipv4(A, B, 6, 0, 0, &[])[..10].to_vec()),
        (0x86dd, ipv6(v6(1), v6(2), 6, &tcp(1234, 80, 0x02))),
        (0x86dd, ipv6(v6(2), v6(1), 6, &tcp(80, 1234, 0x10))),
        (0x86dd, ipv6(v6(1), v6(2), 17, &udp(53, 5353))),
        (0x86dd, ipv6(v6(1), v6(2), 58, &icmp(128, 0))),
        (0x86dd, ipv6(v6(2), v6(1), 58, &icmp(129, 0))),
        (
            0x86dd,
            ipv6(v6(1), v6(2), 44, &frag6(6, &tcp(1234, 80, 0x02))),
        ),
        (0x86dd, ipv6(v6(1), v6(2), 44, &frag6(58, &icmp(128, 0)))),
        (0x86dd, ipv6(v6(1), v6(2), 132, &udp(80, 9))),
        (0x86dd, ipv6(v6(3), v6_mcast(), 17, &udp(546, 547))),
        (0x86dd, ipv6(v6(1), v6(2), 6, &tcp(1234, 80, 0x02)[..6])),
        (0x0806, arp(1, A, B)),
        (0x0806, arp(2, D, A)),
        (0x8035, arp(3, B, D)),
        (0x88cc, vec![0; 30]),
        (0x0800, Vec::new()),
    ];
    v.push((0x0800, ipv4(D, A, 6, 0, 0, &tcp(5000, 6000, 0x02))));
    v.push((0x0800, ipv4(A, A, 6, 0, 0, &tcp(80, 80, 0x02))));
    v.push((0x0800, ipv4(A, B, 17, 0, 0, &udp(5500, 9))));
    let mut seg = tcp(4000, 80, 0x18);
    seg[12] = 0x60;
    seg.extend_from_slice(&[1, 1, 1, 0]);
    seg.extend(std::iter::repeat(0x55).take(100));
    v.push((0x0800, ipv4(B, A, 6, 0, 0, &seg)));
    v.push((0x86dd, ipv6(v6(1), v6(1), 6, &seg)));
    let mut padded = ipv4(B, A, 17, 0, 0, &udp(7, 7));
    padded.extend_from_slice(&[0; 6]);
    v.push((0x0800, padded));
    v
}

/// Ethernet frames: each packet to a unicast, broadcast and multicast address, untagged and in VLANs.
fn ethernet_packets() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for (i, (t, p)) in l3_packets().into_iter().enumerate() {
        let dst = match i % 5 {
            3 => BCAST,
            4 => MCAST,
            _ => MAC_B,
        };
        out.push(eth(dst, MAC_A, t, &p));
        out.push(eth(MAC_A, MAC_B, t, &p));
        out.push(eth(dst, MAC_A, 0x8100, &vlan(0, 10, t, &p)[2..]));
        out.push(eth(MAC_B, MAC_A, 0x88a8, &vlan(0, 20, t, &p)[2..]));
        out.push(eth(
            MAC_B,
            MAC_A,
            0x88a8,
            &vlan(0, 30, 0x8100, &vlan(0, 10, t, &p)[2..])[2..],
        ));
    }
    out.push(eth(MAC_B, MAC_A, 0x8100, &[0, 10]));
    out.push(eth(
        MAC_A,
        MAC_A,
        0x0800,
        &ipv4(A, A, 6, 0, 0, &tcp(80, 80, 0x02)),
    ));
    out.push(MAC_B[..4].to_vec());
    out.push(Vec::new());
    out
}

fn sll_packets(v2: bool) -> Vec<Vec<u8>> {
    l3_packets()
        .into_iter()
        .map(|(t, p)| {
            let mut h = if v2 {
                let mut h = t.to_be_bytes().to_vec();
                h.extend_from_slice(&[0, 0, 0, 0, 0, 2, 0, 1, 0, 6]);
                h.extend_from_slice(&MAC_A);
                h.extend_from_slice(&[0, 0]);
                h
            } else {
                let mut h = vec![0, 0, 0, 1, 0, 6];
                h.extend_from_slice(&MAC_A);
                h.extend_from_slice(&[0, 0]);
                h.extend_from_slice(&t.to_be_bytes());
                h
            };
            h.extend_from_slice(&p);
            h
        })
        .collect()
}

fn raw_packets() -> Vec<Vec<u8>> {
    l3_packets()
        .into_iter()
        .filter(|(t, _)| *t == 0x0800 || *t == 0x86dd)
        .map(|(_, p)| p)
        .collect()
}

const EXPRESSIONS: &[&str] = &[
    "ip",
    "ip6",
    "arp",
    "rarp",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "sctp",
    "not ip",
    "ip or arp",
    "ether proto 0x0806",
    "ether proto \\ip6",
    "ether proto \\arp",
    "ip proto 47",
    "ip proto \\udp",
    "ip6 proto 17",
    "ip6 proto \\tcp",
    "proto \\tcp",
    "proto 17",
    "ether host 00:11:22:33:44:55",
    "ether src 00:11:22:33:44:55",
    "ether dst 66:77:88:99:aa:bb",
    "ether src or dst 00:11:22:33:44:55",
    "ether src and dst 00:11:22:33:44:55",
    "ether broadcast",
    "ether multicast",
    "broadcast",
    "multicast",
    "ip multicast",
    "ip6 multicast",
    "host 10.0.0.1",
    "src host 10.0.0.1",
    "dst host 10.0.0.1",
    "host 10.0.0.1 or 192.168.1.2",
    "host 10.0.0.1 and 192.168.1.2",
    "src host 10.0.0.1 and dst 192.168.1.2",
    "ip host 10.1.2.3",
    "arp host 10.0.0.1",
    "rarp host 10.1.2.3",
    "src or dst host 10.1.2.3",
    "src and dst host 10.0.0.1",
    "host 2001:db8::1",
    "src host 2001:db8::2",
    "ip6 dst host 2001:db8::2",
    "net 10.0.0.0/8",
    "net 10.0.0.0/24",
    "net 10",
    "net 192.168",
    "src net 10.0.0.0 mask 255.0.0.0",
    "dst net 192.168.1.0/24",
    "net 2001:db8::/32",
    "net 2001:db8::/120",
    "dst net ff00::/8",
    "port 80",
    "tcp port 80",
    "udp port 53",
    "sctp port 80",
    "src port 80",
    "dst port 80 or 53",
    "tcp dst port 80",
    "tcp src or dst port 1234",
    "tcp src and dst port 80",
    "portrange 50-100",
    "tcp portrange 1000-2000",
    "udp src portrange 5000-6000",
    "portrange 2000-1000",
    "not port 80",
    "less 60",
    "greater 100",
    "len > 80",
    "len <= 60",
    "len - 14 >= 50",
    "tcp[13] = 2",
    "tcp[tcpflags] & tcp-syn != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)",
    "tcp[13] & 0x10 = 0x10",
    "tcp[0:2] = 80",
    "tcp[2:2] > 1000",
    "tcp[12] >> 4 > 5",
    "udp[0:2] = 53",
    "udp[2:2] = 2000 or udp[0:2] = 2000",
    "icmp[icmptype] = icmp-echo",
    "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
    "icmp[0] = 3 and icmp[1] = 1",
    "icmp6[icmp6type] = icmp6-echo",
    "icmp6[0] = 129",
    "ip[0] & 0xf > 5",
    "ip[6:2] & 0x1fff != 0",
    "ip[9] = 17",
    "ip[2:2] > 40",
    "ip6[6] = 44",
    "ip6[40] = 6",
    "ether[0] & 1 != 0",
    "ether[12:2] = 0x86dd",
    "ether[6:4] = 0x66778899",
    "tcp[ip[0] & 0xf] = 0",
    "ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) != 0",
    "ip[1] + 1 = 1",
    "ip[8] * 2 = 128",
    "ip[8] / 2 = 32",
    "ip[8] % 7 = 1",
    "ip[8] | 1 = 65",
    "ip[8] ^ 1 = 65",
    "-ip[8] = 0xffffffc0",
    "ip[2:2] < len",
    "tcp[13] = 2 and port 80",
    "tcp and (port 80 or port 443)",
    "not (tcp or udp)",
    "host 10.0.0.1 and not port 22",
    "arp or host 192.168.1.2 and tcp",
    "!tcp && !udp || icmp",
    "not not ip",
    "ip and not ip6",
    "vlan",
    "vlan 10",
    "vlan 20",
    "vlan and ip",
    "vlan 10 and tcp port 80",
    "vlan and vlan 10",
    "vlan 30 and vlan 10 and host 10.0.0.1",
    "ip or vlan",
    "not vlan",
    "vlan and arp",
    "not tcp[100] = 1",
    "not udp[8:4] = 0xdeadbeef",
    "ip6 and tcp port 80",
    "host 10.0.0.1 or 80",
    "port 80 or 443 and host 10.0.0.1",
    "not host 10.0.0.1 and 192.168.1.2",
    "ether host 0:11:22:33:44:55",
    "tcp[tcpflags] & tcp-syn != 0 and not tcp[tcpflags] & tcp-ack != 0",
    "len = 60",
    "1 = 1 and tcp",
    "2 > 3 or udp",
    "ip[0:4] & 0xffff0000 = 0x45000000",
    "icmp and icmp[0] = 8",
    "ip proto \\icmp",
    "ether proto \\rarp",
    "vlan 10 or vlan 20",
    "vlan 10 or ip",
    "(vlan 10) and (host 10.0.0.1)",
    "ip6 net 2001:db8::/64",
    "src net 10.0.0.0/8 or dst net 192.168.0.0/16",
    "greater 60 and less 100",
    "ip[2:2] > 40 or not ip",
    "ether[len - 1] != 1",
    "ip[ip[0] & 0xf] = 0",
    "tcp[(tcp[12] >> 4) * 4] = 0x55",
    "udp[udp[0:1]] = 0",
    "arp[7] = 1",
    "ip[8] - 1 = 63",
    "tcp[0:2] = tcp[2:2]",
    "udp[0:2] > ip[0]",
    "ip[9] = 6 and tcp[13] & 2 = 2 or udp",
    "ip and ip[6] & 0x20 != 0",
    "tcp src port 80 or dst port 1234",
    "(tcp or udp) and not (port 53 or 80)",
    "host 10.0.0.1 and (192.168.1.2 or 10.1.2.3)",
    "ip6 src net 2001:db8::/127",
    "ip[2:2] / 0x10 = 2",
    "len * 2 > 200",
    "tcp[13] = 0x12 || udp[0:2] = 53 && ip",
    "tcp[13]&2!=0",
    "ip6[6]=58",
    "!ip",
    "host 10.0.0.1&&port 80",
    "len>=100",
    "ether dst ff:ff:ff:ff:ff:ff",
    "ip and(tcp)",
    "host 10.0.0.1 and (10.1.2.3)",
    "host 10.0.0.1 and not 10.1.2.3",
    "portrange 80-80",
    "portrange 53",
    "ip6 src ::1 or 2001:db8::2",
    "ether src 00:11:22:33:44:55 or 66:77:88:99:aa:bb",
    "src 10.0.0.1",
    "dst 167772161",
    "host ::1 or 2001:db8::2",
    "tcp[13]&tcp-syn!=0",
    "sctp[0:2] = 80",
    "arp[6:2] = 2",
    "rarp[7] = 3",
    "ip[0x9] = 021",
    "udp and not udp[2:2] = 0x14e9",
    "not (host 10.0.0.1 or host 224.0.0.5) and ip",
    "tcp port 80 and tcp[tcpflags] & (tcp-syn|tcp-fin) != 0",
    "icmp6 and icmp6[icmp6type] = icmp6-echoreply",
    "(ip[2:2] - 20) % 4 = 0",
    "ether[0] & 1 = 0 and ip[16] >= 224",
];

/// Compares our verdicts with libpcap's on `packets`; the program lengths within `max_ratio` of libpcap's.
fn check(
    expressions: &[&str],
    lt: LinkType,
    packets: &[Vec<u8>],
    print: bool,
    max_ratio: f64,
) -> Vec<f64> {
    let mut ratios = Vec::new();
    let mut failures = Vec::new();
    for expr in expressions {
        let theirs = libpcap(expr, lt).unwrap_or_else(|| panic!("tcpdump rejects {expr:?}"));
        let ours = match compile(expr, lt, 262144) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{expr:?}: {e}"));
                continue;
            }
        };
        let ratio = ours.len() as f64 / theirs.len() as f64;
        ratios.push(ratio);
        if print {
            println!(
                "{:>4} {:>4} {:5.2}  {expr}",
                ours.len(),
                theirs.len(),
                ratio
            );
        }
        let accepted = packets.iter().filter(|p| run(&theirs, p) != 0).count();
        if accepted == 0 || accepted == packets.len() {
            failures.push(format!(
                "{expr:?} on {lt}: libpcap accepts {accepted} of {} packets, no test",
                packets.len()
            ));
        }
        for (i, p) in packets.iter().enumerate() {
            let (o, t) = (run(&ours, p) != 0, run(&theirs, p) != 0);
            if o != t {
                failures.push(format!(
                    "{expr:?} on {lt} packet {i} ({:02x?}): ours {o}, libpcap {t}\nours:\n{}libpcap:\n{}",
                    p,
                    listing(&ours),
                    listing(&theirs)
                ));
                break;
            }
        }
        if ratio > max_ratio {
            failures.push(format!(
                "{expr:?}: {} vs libpcap's {}",
                ours.len(),
                theirs.len()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    ratios
}

#[test]
fn ethernet_matches_libpcap() {
    println!("ours libpcap ratio  expression (Ethernet)");
    let ratios = check(
        EXPRESSIONS,
        LinkType::ETHERNET,
        &ethernet_packets(),
        true,
        4.0,
    );
    let mean = ratios.iter().sum::<f64>() / ratios.len() as f64;
    let max = ratios.iter().cloned().fold(0.0, f64::max);
    println!(
        "{} expressions: mean ratio {mean:.2}, max {max:.2}",
        ratios.len()
    );
}

/// An IPv6 extension header: next header `nh`, `units` 8-byte units after the first.
fn ext6(nh: u8, units: u8) -> Vec<u8> {
    let mut p = vec![nh, units];
    p.resize(8 * (usize::from(units) + 1), 0);
    p
}

/// An authentication header: next header `nh`, length field `len` ((len + 2) * 4 bytes).
fn ah(nh: u8, len: u8) -> Vec<u8> {
    let mut p = vec![nh, len];
    p.resize(4 * (usize::from(len) + 2), 0);
    p
}

/// An MPLS label stack entry (TTL 64).
fn label(label: u32, bottom: bool) -> Vec<u8> {
    ((label << 12) | (u32::from(bottom) << 8) | 64)
        .to_be_bytes()
        .to_vec()
}

/// A PPPoE session frame's payload: its header, then PPP protocol `protocol`.
fn pppoe(session: u16, protocol: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x11, 0];
    p.extend_from_slice(&session.to_be_bytes());
    p.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    p.extend_from_slice(&protocol.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// Ethernet frames with IPv6 extension header chains, authentication
/// headers, MPLS label stacks and PPPoE sessions.
fn chain_packets() -> Vec<Vec<u8>> {
    let seg = tcp(1234, 80, 0x02);
    let dgram = udp(53, 5353);
    let cat = |parts: &[&[u8]]| parts.concat();
    let mut l3 = vec![
        (0x86dd, ipv6(v6(1), v6(2), 0, &cat(&[&ext6(6, 0), &seg]))),
        (
            0x86dd,
            ipv6(
                v6(1),
                v6(2),
                0,
                &cat(&[
                    &ext6(60, 1)[..],
                    &ext6(43, 0),
                    &ext6(44, 0),
                    &frag6(17, &dgram),
                ]),
            ),
        ),
        (0x86dd, ipv6(v6(1), v6(2), 60, &cat(&[&ext6(59, 0), &seg]))),
        (0x86dd, ipv6(v6(1), v6(2), 51, &cat(&[&ah(6, 4), &seg]))),
        (
            0x86dd,
            ipv6(v6(1), v6(2), 0, &cat(&[&ext6(51, 0), &ah(17, 10), &dgram])),
        ),
        (0x86dd, ipv6(v6(1), v6(2), 0, &ext6(60, 0)[..4])),
        (0x0800, ipv4(A, B, 51, 0, 0, &cat(&[&ah(6, 3), &seg]))),
        (0x0800, ipv4(A, B, 51, 0, 0, &cat(&[&ah(17, 1), &dgram]))),
        (0x0800, ipv4(A, B, 6, 0, 0, &seg)),
        (0x86dd, ipv6(v6(1), v6(2), 58, &icmp(128, 0))),
    ];
    // Eight extension headers: as far as netraf follows.
    let mut long = [&ext6(6, 0)[..], &seg].concat();
    for _ in 0..7 {
        long = cat(&[&ext6(60, 0), &long]);
    }
    l3.push((0x86dd, ipv6(v6(1), v6(2), 60, &long)));
    let mut out: Vec<Vec<u8>> = l3.iter().map(|(t, p)| eth(MAC_B, MAC_A, *t, p)).collect();
    let v4 = ipv4(A, B, 6, 0, 0, &seg);
    let v6p = ipv6(v6(1), v6(2), 17, &dgram);
    out.push(eth(MAC_B, MAC_A, 0x8847, &cat(&[&label(100, true), &v4])));
    out.push(eth(MAC_B, MAC_A, 0x8847, &cat(&[&label(200, true), &v6p])));
    out.push(eth(
        MAC_B,
        MAC_A,
        0x8847,
        &cat(&[&label(100, false), &label(200, true), &v4]),
    ));
    out.push(eth(
        MAC_B,
        MAC_A,
        0x8847,
        &cat(&[&label(100, false), &label(300, true), &v6p]),
    ));
    out.push(eth(MAC_B, MAC_A, 0x8847, &label(100, true)[..2]));
    out.push(eth(
        MAC_B,
        MAC_A,
        0x8100,
        &vlan(0, 10, 0x8847, &cat(&[&label(100, true), &v4]))[2..],
    ));
    out.push(eth(MAC_B, MAC_A, 0x8864, &pppoe(5, 0x0021, &v4)));
    out.push(eth(MAC_B, MAC_A, 0x8864, &pppoe(6, 0x0057, &v6p)));
    out.push(eth(
        MAC_B,
        MAC_A,
        0x8864,
        &pppoe(5, 0x0281, &cat(&[&label(100, true), &v4])),
    ));
    out.push(eth(MAC_B, MAC_A, 0x8863, &[0x11, 9, 0, 0, 0, 0]));
    out
}

/// `mpls`, `pppoes` and `protochain` on the chains libpcap walks. libpcap's
/// `protochain` programs loop: run here by an evaluator that follows a
/// backward `ja`.
#[test]
fn chains_labels_and_sessions_match_libpcap() {
    const CHAINS: &[&str] = &[
        "ip6 protochain 6",
        "ip6 protochain 17",
        "ip6 protochain 0",
        "ip6 protochain 44",
        "ip6 protochain 59",
        "ip6 protochain 58",
        "ip protochain 6",
        "ip protochain 17",
        "protochain 6",
        "protochain 6 and port 80",
        "not protochain 6",
        "mpls",
        "mpls 100",
        "mpls 100 and mpls 200",
        "mpls and mpls",
        "mpls and ip",
        "mpls and ip6 and udp port 53",
        "mpls and tcp port 80",
        "mpls and host 10.0.0.1",
        "mpls and (mpls 200 or mpls 300)",
        "vlan and mpls and ip",
        "not mpls",
        "pppoes",
        "pppoes 5",
        "pppoes and ip",
        "pppoes and ip6",
        "pppoes and tcp port 80",
        "pppoes 5 and host 10.0.0.1",
        "pppoes and mpls 100 and ip",
        "pppoed",
    ];
    check(CHAINS, LinkType::ETHERNET, &chain_packets(), false, 8.0);
    // Nine extension headers: libpcap walks them, netraf stops at eight.
    let mut long = [&ext6(6, 0)[..], &tcp(1234, 80, 0x02)].concat();
    for _ in 0..8 {
        long = [&ext6(60, 0)[..], &long].concat();
    }
    let packet = eth(MAC_B, MAC_A, 0x86dd, &ipv6(v6(1), v6(2), 60, &long));
    let expr = "ip6 protochain 6";
    let theirs = libpcap(expr, LinkType::ETHERNET).expect("tcpdump");
    let ours = compile(expr, LinkType::ETHERNET, 262144).expect("compiles");
    assert_ne!(run(&theirs, &packet), 0);
    assert_eq!(run(&ours, &packet), 0);
    netraf_bpf::validate(&ours).expect("kernel-valid");
}

/// The expressions that mean something on a link without Ethernet addresses or VLAN tags.
fn network_expressions() -> Vec<&'static str> {
    EXPRESSIONS
        .iter()
        .copied()
        .filter(|e| !e.contains("ether") && !e.contains("vlan") && !e.contains("cast"))
        .filter(|e| !e.starts_with("len ="))
        .collect()
}

#[test]
fn linux_sll_matches_libpcap() {
    check(
        &network_expressions(),
        LinkType::LINUX_SLL,
        &sll_packets(false),
        false,
        4.0,
    );
}

#[test]
fn linux_sll2_matches_libpcap() {
    check(
        &network_expressions(),
        LinkType::LINUX_SLL2,
        &sll_packets(true),
        false,
        4.0,
    );
}

#[test]
fn raw_ip_matches_libpcap() {
    let exprs: Vec<&str> = network_expressions()
        .into_iter()
        .filter(|e| !e.contains("arp"))
        .collect();
    check(&exprs, LinkType::RAW, &raw_packets(), false, 4.0);
}

#[test]
fn bsd_loopback_matches_libpcap() {
    let exprs: Vec<&str> = network_expressions()
        .into_iter()
        .filter(|e| !e.contains("arp"))
        .collect();
    for (lt, big_endian) in [(LinkType::NULL, false), (LinkType::LOOP, true)] {
        let packets: Vec<Vec<u8>> = l3_packets()
            .into_iter()
            .filter(|(t, _)| *t == 0x0800 || *t == 0x86dd)
            .enumerate()
            .map(|(i, (t, p))| {
                let af: u32 = if t == 0x0800 { 2 } else { [24, 28, 30][i % 3] };
                let mut h = if big_endian {
                    af.to_be_bytes().to_vec()
                } else {
                    af.to_le_bytes().to_vec()
                };
                h.extend_from_slice(&p);
                h
            })
            .collect();
        check(&exprs, lt, &packets, false, 4.0);
    }
}

#[test]
fn long_jumps_match_libpcap() {
    let hosts = (1..=40)
        .map(|i| format!("host 2001:db8::{i:x}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let nets = (0..30)
        .map(|i| format!("net 10.{i}.0.0/16"))
        .collect::<Vec<_>>()
        .join(" or ");
    let e1 = format!("({hosts}) and tcp");
    let e2 = format!("not ({nets}) and (udp or icmp)");
    let e3 = format!("({hosts}) or ({nets}) or port 80");
    // Long chains of host/net repeat the EtherType test libpcap's optimizer
    // hoists: the length is printed, not bounded.
    check(
        &[&e1, &e2, &e3],
        LinkType::ETHERNET,
        &ethernet_packets(),
        true,
        f64::INFINITY,
    );
}

/// Random combinations of supported primitives, compared with libpcap.
#[test]
fn random_combinations_match_libpcap() {
    const PRIMS: &[&str] = &[
        "tcp",
        "udp",
        "icmp",
        "ip",
        "ip6",
        "arp",
        "sctp",
        "icmp6",
        "host 10.0.0.1",
        "host 10.0.0.1 or 10.1.2.3",
        "src host 192.168.1.2",
        "dst net 10.0.0.0/8",
        "port 80",
        "src port 53",
        "tcp dst port 80 or 1234",
        "udp portrange 50-60",
        "vlan",
        "vlan 10",
        "vlan 20",
        "tcp[13] & 2 != 0",
        "ip[9] = 17",
        "icmp[0] = 8",
        "less 80",
        "greater 70",
        "ether multicast",
        "broadcast",
        "ip6 host 2001:db8::1",
        "ether src 00:11:22:33:44:55",
        "ip multicast",
        "len > 100",
        "udp[0:2] = 53",
        "ip6 proto 58",
        "tcp[0:2] - tcp[2:2] > 100",
        "not tcp[40] = 0",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    fn gen(depth: u32, next: &mut dyn FnMut() -> u64) -> String {
        let r = next() % 10;
        if depth == 0 || r < 3 {
            return PRIMS[(next() % PRIMS.len() as u64) as usize].to_string();
        }
        match r {
            3 => format!("not {}", gen(depth - 1, next)),
            4 | 5 => format!("({})", gen(depth - 1, next)),
            6 | 7 => format!("{} and {}", gen(depth - 1, next), gen(depth - 1, next)),
            _ => format!("{} or {}", gen(depth - 1, next), gen(depth - 1, next)),
        }
    }
    let packets = ethernet_packets();
    let mut failures = Vec::new();
    let mut compared = 0;
    let mut optimizer_differences = 0;
    for _ in 0..250 {
        let expr = gen(3, &mut next);
        let Some(theirs) = libpcap(&expr, LinkType::ETHERNET) else {
            continue;
        };
        let ours = match compile(&expr, LinkType::ETHERNET, 262144) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{expr:?}: {e}"));
                continue;
            }
        };
        let unoptimized = libpcap_unoptimized(&expr, LinkType::ETHERNET).expect("tcpdump -O");
        compared += 1;
        for (i, p) in packets.iter().enumerate() {
            let (o, t, u) = (
                run(&ours, p) != 0,
                run(&theirs, p) != 0,
                run(&unoptimized, p) != 0,
            );
            // libpcap's optimizer drops loads a verdict no longer needs, as
            // netraf's jump threading does, so a packet too short for them
            // may pass one and not the other: the one difference allowed.
            if o != u && !faults(&unoptimized, p) {
                failures.push(format!(
                    "{expr:?}: differs from unoptimized libpcap on packet {i}"
                ));
                break;
            }
            if o != t {
                optimizer_differences += 1;
                assert!(
                    faults(&unoptimized, p),
                    "{expr:?}: differs on packet {i} without a load beyond its end"
                );
            }
        }
    }
    println!(
        "{compared} random expressions compared; {optimizer_differences} verdicts on truncated \
         packets differ from libpcap's optimized code (as they do from its unoptimized code)"
    );
    assert!(compared > 150, "only {compared}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Random relations over loads and arithmetic, compared with libpcap.
#[test]
fn random_relations_match_libpcap() {
    let mut state = 0x51f1_5eed_0000_0001u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    fn arith(depth: u32, next: &mut dyn FnMut() -> u64) -> String {
        const NUMS: &[&str] = &[
            "0", "1", "2", "3", "7", "13", "0x10", "255", "1000", "tcpflags",
        ];
        const PROTOS: &[&str] = &["ether", "ip", "ip6", "tcp", "udp", "icmp", "icmp6", "arp"];
        const OPS: &[&str] = &["+", "-", "*", "/", "%", "&", "|", "<<", ">>", "^"];
        match next() % if depth == 0 { 3 } else { 5 } {
            0 => NUMS[(next() % NUMS.len() as u64) as usize].to_string(),
            1 => "len".to_string(),
            2 | 3 => {
                let p = PROTOS[(next() % PROTOS.len() as u64) as usize];
                let idx = if depth > 0 && next() % 3 == 0 {
                    arith(depth - 1, next)
                } else {
                    (next() % 24).to_string()
                };
                let size = ["", ":1", ":2", ":4"][(next() % 4) as usize];
                format!("{p}[{idx}{size}]")
            }
            _ => {
                let op = OPS[(next() % OPS.len() as u64) as usize];
                let (a, b) = (arith(depth - 1, next), arith(depth - 1, next));
                format!("{a} {op} {b}")
            }
        }
    }
    let packets = ethernet_packets();
    let (mut compared, mut rejected) = (0, 0);
    let mut failures = Vec::new();
    for _ in 0..300 {
        let op = ["=", "!=", "<", "<=", ">", ">="][(next() % 6) as usize];
        let expr = format!("{} {op} {}", arith(2, &mut next), arith(1, &mut next));
        let ours = compile(&expr, LinkType::ETHERNET, 262144);
        let Some(theirs) = libpcap(&expr, LinkType::ETHERNET) else {
            rejected += 1;
            let msg = libpcap_error(&expr).unwrap_or_default();
            // libpcap's optimizer also refuses filters it finds match
            // nothing, and some divisions by a loaded value ("by zero").
            let optimizer = msg.contains("rejects all packets") || msg.contains("by zero");
            if ours.is_ok() && !optimizer {
                failures.push(format!("{expr:?}: tcpdump refuses it: {}", msg.trim()));
            }
            continue;
        };
        let ours = match ours {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{expr:?}: {e}"));
                continue;
            }
        };
        let unoptimized = libpcap_unoptimized(&expr, LinkType::ETHERNET).expect("tcpdump -O");
        compared += 1;
        for (i, p) in packets.iter().enumerate() {
            let (o, t, u) = (
                run(&ours, p) != 0,
                run(&theirs, p) != 0,
                run(&unoptimized, p) != 0,
            );
            if o != u || (o != t && !faults(&unoptimized, p)) {
                failures.push(format!(
                    "{expr:?}: packet {i}: ours {o}, libpcap {t}, unoptimized {u}\nours:\n{}libpcap -O:\n{}",
                    listing(&ours),
                    listing(&unoptimized)
                ));
                break;
            }
        }
    }
    println!("{compared} random relations compared, {rejected} rejected by tcpdump");
    assert!(compared > 150, "only {compared}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
