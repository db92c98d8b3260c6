//! The log lines' tests: time and digits, the line of each protocol as `tcpdump -n` words it, JSON keys, escaping, cut-short frames.

use super::*;

use plugin_api::{LinkType, PacketHeader, StrippedVlan};

use crate::test_frames::{
    arp, ethernet, header, icmp, ipv4, ipv6, packet, tcp_frame, udp, DST_MAC, SRC_MAC,
};

/// Ethernet, IPv4 10.0.0.1:5353 > 10.0.0.2:53, UDP, padded to 60 bytes.
fn udp_frame() -> Vec<u8> {
    ethernet(
        &[],
        0x0800,
        &ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(&[])),
    )
}

#[test]
fn time_is_rfc3339_utc() {
    let mut out = Vec::new();
    write_time(&mut out, 0).unwrap();
    out.push(b' ');
    write_time(&mut out, 951_782_400_123_456_789).unwrap(); // 2000-02-29
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "1970-01-01T00:00:00.000000000Z 2000-02-29T00:00:00.123456789Z"
    );
}

#[test]
fn hand_made_digits_match_the_formatter() {
    for v in [0, 7, 10, 255, 65_535, 1_000_000_007, u64::MAX] {
        let mut out = Vec::new();
        write_dec(&mut out, v).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), v.to_string());
    }
    let mut out = Vec::new();
    write_mac(&mut out, &[0, 0x0f, 0xa0, 0xff, 0x12, 0x9b]).unwrap();
    out.push(b' ');
    write_ip(
        &mut out,
        4,
        &[255, 0, 10, 1, 9, 9, 9, 9, 0, 0, 0, 0, 0, 0, 0, 0],
    )
    .unwrap();
    out.push(b' ');
    write_time(&mut out, u64::MAX).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "00:0f:a0:ff:12:9b 255.0.10.1 2554-07-21T23:34:33.709551615Z"
    );
}

#[test]
fn text_line() {
    let frame = udp_frame();
    let mut out = Vec::new();
    write_text(&mut out, &packet(&frame, "eth0")).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "2024-05-01T10:00:00.000000001Z eth0 out outgoing 02:00:00:00:00:01 > 02:00:00:00:00:02 \
         IPv4 UDP 10.0.0.1:5353 > 10.0.0.2:53 len 60/64\n"
    );
    // An ARP body cut short: no addresses to tell.
    let arp = ethernet(&[], 0x0806, &[])[..14].to_vec();
    let mut out = Vec::new();
    write_text(&mut out, &packet(&arp, "any")).unwrap();
    let line = String::from_utf8(out).unwrap();
    assert!(line.ends_with(" ARP len 14/18\n"), "{line}");
}

#[test]
fn text_line_escapes_control_characters_of_the_name() {
    let frame = udp_frame();
    let mut out = Vec::new();
    let name = "eth0\n1700000000.000000 fake record \x1b[31m\u{9b}\\";
    write_text(&mut out, &packet(&frame, name)).unwrap();
    let line = String::from_utf8(out).unwrap();
    assert!(
        line.starts_with(
            "2024-05-01T10:00:00.000000001Z eth0\\x0a1700000000.000000 fake record \\x1b[31m\\x9b\\\\ out "
        ),
        "{line}"
    );
    assert_eq!(line.matches('\n').count(), 1);
    assert!(!line.chars().any(|c| c != '\n' && plugin_api::is_control(c)));
}

#[test]
fn json_line_parses_and_escapes() {
    let frame = udp_frame();
    let mut out = Vec::new();
    let name = "we\"ird\\\n\x1b[31m\u{7f}\u{9b}";
    write_json(&mut out, &packet(&frame, name)).unwrap();
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        !text.chars().any(|c| c != '\n' && plugin_api::is_control(c)),
        "{text}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["ifname"], name);
    assert_eq!(v["src_ip"], "10.0.0.1");
    assert_eq!(v["dst_port"], 53);
    assert_eq!(v["transport"], "udp");
    assert_eq!(v["direction"], "out");
    assert_eq!(v["len"], 64);
}

/// The text line of `frame` from the network header on (after the MACs).
fn words(frame: &[u8]) -> String {
    let mut out = Vec::new();
    write_text(&mut out, &packet(frame, "eth0")).unwrap();
    let line = String::from_utf8(out).unwrap();
    let at = line.find("02:00:00:00:00:02 ").map_or(0, |at| at + 18);
    line[at..].trim_end().to_string()
}

/// The JSON object of `frame`.
fn json(frame: &[u8]) -> serde_json::Value {
    let mut out = Vec::new();
    write_json(&mut out, &packet(frame, "eth0")).unwrap();
    serde_json::from_slice(&out).unwrap()
}

const FIN: u16 = 0x01;
const SYN: u16 = 0x02;
const RST: u16 = 0x04;
const PSH: u16 = 0x08;
const ACK: u16 = 0x10;
const URG: u16 = 0x20;
const ECE: u16 = 0x40;
const CWR: u16 = 0x80;

#[test]
fn tcp_lines_say_what_tcpdump_says() {
    let tcp = "IPv4 TCP 10.0.0.1:40000 > 10.0.0.2:80 flags";
    for (flags, payload, want) in [
        (SYN, 0, "[S] seq 1000 win 512 length 0 len 60/64"),
        (
            SYN | ACK,
            0,
            "[S.] seq 1000 ack 2001 win 512 length 0 len 60/64",
        ),
        (ACK, 0, "[.] ack 2001 win 512 length 0 len 60/64"),
        (
            PSH | ACK,
            100,
            "[P.] seq 1000:1100 ack 2001 win 512 length 100 len 154/158",
        ),
        (
            FIN | ACK,
            0,
            "[F.] seq 1000 ack 2001 win 512 length 0 len 60/64",
        ),
        (
            FIN | PSH | ACK,
            5,
            "[FP.] seq 1000:1005 ack 2001 win 512 length 5 len 60/64",
        ),
        (RST, 0, "[R] seq 1000 win 512 length 0 len 60/64"),
        (
            RST | ACK,
            0,
            "[R.] seq 1000 ack 2001 win 512 length 0 len 60/64",
        ),
        (
            SYN | ECE | CWR,
            0,
            "[SEW] seq 1000 win 512 length 0 len 60/64",
        ),
        (
            SYN | ACK | ECE,
            0,
            "[S.E] seq 1000 ack 2001 win 512 length 0 len 60/64",
        ),
        (ACK | URG, 0, "[.U] ack 2001 win 512 length 0 len 60/64"),
        (
            ACK | CWR,
            1,
            "[.W] seq 1000:1001 ack 2001 win 512 length 1 len 60/64",
        ),
        (0, 0, "[none] win 512 length 0 len 60/64"),
        (0x100 | ACK, 0, "[.e] ack 2001 win 512 length 0 len 60/64"),
    ] {
        let frame = tcp_frame(1000, 2001, flags, 512, &vec![b'x'; payload]);
        assert_eq!(words(&frame), format!("{tcp} {want}"), "{flags:#x}");
    }
    // The sequence range wraps as tcpdump's does.
    let frame = tcp_frame(u32::MAX - 1, 7, PSH | ACK, 9, b"abcd");
    assert!(words(&frame).contains(" seq 4294967294:2 ack 7 win 9 length 4 "));
}

#[test]
fn tcp_json_fields() {
    let v = json(&tcp_frame(1000, 2001, PSH | ACK, 512, b"hello"));
    assert_eq!(v["tcp_flags"], "P.");
    assert_eq!(v["tcp_seq"], 1000);
    assert_eq!(v["tcp_ack"], 2001);
    assert_eq!(v["tcp_window"], 512);
    assert_eq!(v["payload_len"], 5);
    assert_eq!(v["ttl"], 64);
    assert_eq!(v["ip_id"], 0x1234);
    assert_eq!(v["src_port"], 40000);
    // No ACK flag: no acknowledgment number, not a fake 0.
    let v = json(&tcp_frame(1000, 0, SYN, 512, b""));
    assert_eq!(v["tcp_flags"], "S");
    assert!(v.get("tcp_ack").is_none(), "{v}");
    for key in [
        "icmp_type",
        "arp_operation",
        "vlans",
        "stripped_vlan",
        "vlan",
    ] {
        assert!(v.get(key).is_none(), "{key}: {v}");
    }
}

#[test]
fn arp_lines_say_what_tcpdump_says() {
    let request = arp(1, SRC_MAC, [10, 0, 0, 1], [0; 6], [10, 0, 0, 2]);
    let frame = ethernet(&[], 0x0806, &request);
    assert_eq!(
        words(&frame),
        "ARP Request who-has 10.0.0.2 tell 10.0.0.1 len 60/64"
    );
    let v = json(&frame);
    assert_eq!(v["arp_operation"], "request");
    assert_eq!(v["arp_opcode"], 1);
    assert_eq!(v["arp_sender_mac"], "02:00:00:00:00:01");
    assert_eq!(v["arp_sender_ip"], "10.0.0.1");
    assert_eq!(v["arp_target_mac"], "00:00:00:00:00:00");
    assert_eq!(v["arp_target_ip"], "10.0.0.2");
    // A request that names the target MAC (an ARP probe of a known host).
    let probe = arp(1, SRC_MAC, [10, 0, 0, 1], DST_MAC, [10, 0, 0, 2]);
    assert_eq!(
        words(&ethernet(&[], 0x0806, &probe)),
        "ARP Request who-has 10.0.0.2 (02:00:00:00:00:02) tell 10.0.0.1 len 60/64"
    );
    let reply = arp(2, DST_MAC, [10, 0, 0, 2], SRC_MAC, [10, 0, 0, 1]);
    let frame = ethernet(&[], 0x0806, &reply);
    assert_eq!(
        words(&frame),
        "ARP Reply 10.0.0.2 is-at 02:00:00:00:00:02 len 60/64"
    );
    assert_eq!(json(&frame)["arp_operation"], "reply");
    // Not IPv4 addresses by the protocol type, or ATM's own layout: tcpdump
    // names no address, nor does netraf.
    for (at, bytes) in [(2, [0x86, 0xdd]), (0, [0, 19])] {
        let mut body = request.clone();
        body[at..at + 2].copy_from_slice(&bytes);
        assert_eq!(
            words(&ethernet(&[], 0x0806, &body)),
            "ARP Request len 60/64"
        );
    }
    let odd = arp(77, DST_MAC, [10, 0, 0, 2], SRC_MAC, [10, 0, 0, 1]);
    let frame = ethernet(&[], 0x0806, &odd);
    assert_eq!(words(&frame), "ARP op 77 len 60/64");
    assert!(json(&frame).get("arp_operation").is_none());
    assert_eq!(json(&frame)["arp_opcode"], 77);
}

#[test]
fn icmp_lines_name_the_message() {
    let v4 = |ty, code| {
        let frame = ethernet(
            &[],
            0x0800,
            &ipv4(1, [10, 0, 0, 1], [10, 0, 0, 2], &icmp(ty, code)),
        );
        words(&frame)
    };
    let at = "IPv4 ICMP 10.0.0.1 > 10.0.0.2";
    for (ty, code, name) in [
        (8, 0, "echo request "),
        (0, 0, "echo reply "),
        (3, 3, "port unreachable "),
        (3, 1, "host unreachable "),
        (3, 0, "net unreachable "),
        (3, 13, "host unreachable - admin prohibited filter "),
        (11, 0, "time exceeded in-transit "),
        (5, 1, "redirect to host "),
        (42, 0, ""),
    ] {
        assert_eq!(
            v4(ty, code),
            format!("{at} {name}type {ty} code {code} len 60/64")
        );
    }
    let src = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let dst = [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    for (ty, name) in [
        (128, "echo request"),
        (129, "echo reply"),
        (133, "router solicitation"),
        (134, "router advertisement"),
        (135, "neighbor solicitation"),
        (136, "neighbor advertisement"),
        (1, "destination unreachable"),
        (143, "multicast listener report v2"),
    ] {
        let frame = ethernet(&[], 0x86dd, &ipv6(58, src, dst, &icmp(ty, 0)));
        assert_eq!(
            words(&frame),
            format!("IPv6 ICMPv6 fe80::1 > ff02::1 {name} type {ty} code 0 len 62/66")
        );
        let v = json(&frame);
        assert_eq!(v["icmp_name"], name);
        assert_eq!(v["icmp_type"], ty);
        assert_eq!(v["ttl"], 255);
        assert!(v.get("ip_id").is_none(), "IPv6 has no id: {v}");
    }
    let frame = ethernet(&[], 0x86dd, &ipv6(58, src, dst, &icmp(99, 0)));
    assert!(json(&frame).get("icmp_name").is_none());
}

#[test]
fn every_vlan_tag_is_shown_outermost_first() {
    let body = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(&[]));
    let qinq = ethernet(&[(0x88a8, 200), (0x8100, 2001)], 0x0800, &body);
    assert_eq!(
        words(&qinq),
        "vlan 200,2001 IPv4 UDP 10.0.0.1:5353 > 10.0.0.2:53 len 60/64"
    );
    let v = json(&qinq);
    assert_eq!(v["vlans"], serde_json::json!([200, 2001]));
    assert_eq!(v["vlan"], 200);
    assert!(v.get("stripped_vlan").is_none());
    // The priority bits are not part of the id.
    let one = ethernet(&[(0x8100, (5 << 13) | 42)], 0x0800, &body);
    assert!(
        words(&one).starts_with("vlan 42 IPv4 UDP"),
        "{}",
        words(&one)
    );
}

#[test]
fn a_stripped_tag_is_marked_apart() {
    let body = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(&[]));
    let stripped = Some(StrippedVlan {
        tpid: 0x8100,
        tci: (3 << 13) | 100,
    });
    for (tags, want, vlans) in [
        (&[][..], "vlan 100(stripped) IPv4", None),
        (
            &[(0x8100, 7)][..],
            "vlan 100(stripped),7 IPv4",
            Some(vec![7]),
        ),
    ] {
        let frame = ethernet(tags, 0x0800, &body);
        let packet = Packet::decode(&header(&frame, "eth0", stripped), &frame);
        let mut out = Vec::new();
        write_text(&mut out, &packet).unwrap();
        let line = String::from_utf8(out).unwrap();
        assert!(
            line.contains(&format!(" 02:00:00:00:00:02 {want} ")),
            "{line}"
        );
        let mut out = Vec::new();
        write_json(&mut out, &packet).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["stripped_vlan"], 100);
        assert_eq!(v["vlan"], 100);
        assert_eq!(v.get("vlans").cloned(), vlans.map(|v| serde_json::json!(v)));
    }
}

/// Every prefix of every form, and odd link types: no panic, one line,
/// valid JSON, nothing that is not there.
#[test]
fn truncated_frames_never_panic() {
    let body = ipv4(17, [10, 0, 0, 1], [10, 0, 0, 2], &udp(&[]));
    let frames = [
        tcp_frame(1, 2, PSH | ACK, 3, b"payload"),
        ethernet(
            &[],
            0x0806,
            &arp(1, SRC_MAC, [1, 2, 3, 4], [0; 6], [5, 6, 7, 8]),
        ),
        ethernet(
            &[],
            0x0800,
            &ipv4(1, [1, 1, 1, 1], [2, 2, 2, 2], &icmp(3, 3)),
        ),
        ethernet(&[], 0x86dd, &ipv6(58, [1; 16], [2; 16], &icmp(135, 0))),
        ethernet(&[(0x88a8, 1), (0x8100, 2), (0x8100, 3)], 0x0800, &body),
    ];
    for frame in &frames {
        for cut in 0..=frame.len() {
            let data = &frame[..cut];
            for link_type in [LinkType::ETHERNET, LinkType::RAW, LinkType::LINUX_SLL] {
                let mut h = header(data, "eth0", None);
                h.link_type = link_type;
                let packet = Packet::decode(&h, data);
                let mut out = Vec::new();
                write_text(&mut out, &packet).unwrap();
                assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
                let mut out = Vec::new();
                write_json(&mut out, &packet).unwrap();
                let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
                assert_eq!(v["caplen"], cut);
            }
        }
    }
    // A TCP header cut short: no TCP fields at all.
    let frame = tcp_frame(1, 2, SYN, 3, b"");
    let v = json(&frame[..14 + 20 + 10]);
    assert!(
        v.get("tcp_flags").is_none() && v.get("tcp_seq").is_none(),
        "{v}"
    );
    let _: PacketHeader<'_> = header(&frame, "", None);
}

#[test]
fn without_link_words_and_brief_lines_say_less_as_tcpdump_without_e_and_with_q() {
    let frame = crate::test_frames::tcp_frame(1000, 2001, 0x18, 512, b"hello");
    let packet = packet(&frame, "eth0");
    let mut full = Vec::new();
    write_text(&mut full, &packet).unwrap();
    let full = String::from_utf8(full).unwrap();
    let mut plain = Vec::new();
    let style = TextStyle {
        link: false,
        brief: false,
    };
    write_text_with(&mut plain, &packet, style).unwrap();
    let plain = String::from_utf8(plain).unwrap();
    assert!(full.contains(" > ") && full.contains(':'), "{full}");
    // The MAC addresses and packet type are gone, the rest is unchanged.
    let macs = full.split(" IPv4 ").next().unwrap();
    assert!(macs.contains(" outgoing 02:00:00:00:00:01 > "), "{full}");
    assert!(
        !plain.contains("02:00:00") && !plain.contains("outgoing"),
        "{plain}"
    );
    assert_eq!(
        plain.split(" IPv4 ").nth(1),
        full.split(" IPv4 ").nth(1),
        "{plain} vs {full}"
    );
    let mut brief = Vec::new();
    let style = TextStyle {
        link: false,
        brief: true,
    };
    write_text_with(&mut brief, &packet, style).unwrap();
    let brief = String::from_utf8(brief).unwrap();
    assert!(
        full.contains(" flags [") && !brief.contains(" flags ["),
        "{brief}"
    );
    assert!(!brief.contains(" win "), "{brief}");
    assert!(
        brief.contains(" length ") && brief.ends_with('\n'),
        "{brief}"
    );
}
