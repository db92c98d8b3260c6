//! Link types beyond Ethernet and Linux cooked (NFLOG, IP over InfiniBand, PPPoE without Ethernet, netANALYZER): the host's counts against tshark's on pcap files the test writes.

use std::collections::BTreeMap;
use std::path::Path;

use etherparse::PacketBuilder;
use mycap_core::{LinkType, PacketHeader, PacketType, PcapWriter};
use netraf_tests::files::{run_tool, tool_available};

use super::corpus::{outermost_counts, replay, COUNT_AND_BROADCAST};
use super::frames::arp_from;
use super::util::TempDir;

/// The network packets every file carries: ARP, IPv4 TCP/UDP/ICMP, IPv6
/// UDP/ICMPv6, each with the EtherType and NFLOG family that announce it.
fn packets() -> Vec<(u16, u8, Vec<u8>)> {
    let (v4a, v4b) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let (v6a, v6b) = ([0xfd; 16], [0xfe; 16]);
    let mut out = Vec::new();
    let mut push = |etype: u16, family: u8, bytes: Vec<u8>| out.push((etype, family, bytes));
    push(0x0806, 3, arp_from(1)[14..].to_vec());
    let mut ip = Vec::new();
    PacketBuilder::ipv4(v4a, v4b, 64)
        .tcp(40000, 80, 1, 65535)
        .syn()
        .write(&mut ip, &[])
        .expect("write to a Vec");
    push(0x0800, 2, ip);
    let mut ip = Vec::new();
    PacketBuilder::ipv4(v4a, v4b, 64)
        .udp(5353, 53)
        .write(&mut ip, &[0; 12])
        .expect("write to a Vec");
    push(0x0800, 2, ip);
    let mut ip = Vec::new();
    PacketBuilder::ipv4(v4a, v4b, 64)
        .icmpv4_echo_request(1, 1)
        .write(&mut ip, &[0; 8])
        .expect("write to a Vec");
    push(0x0800, 2, ip);
    let mut ip = Vec::new();
    PacketBuilder::ipv6(v6a, v6b, 64)
        .udp(1000, 2000)
        .write(&mut ip, &[0; 4])
        .expect("write to a Vec");
    push(0x86dd, 10, ip);
    let mut ip = Vec::new();
    PacketBuilder::ipv6(v6a, v6b, 64)
        .icmpv6_echo_request(1, 1)
        .write(&mut ip, &[])
        .expect("write to a Vec");
    push(0x86dd, 10, ip);
    out
}

/// Wraps a network packet in the link-layer header of `link_type`.
fn frame(link_type: u16, etype: u16, family: u8, packet: &[u8]) -> Vec<u8> {
    match link_type {
        // NFLOG: family, version 0, resource id; a packet-header TLV (for ARP
        // only: the EtherType, hook 3), a prefix TLV, the payload TLV; TLV
        // headers little-endian, as an x86 or ARM host writes them.
        239 => {
            let tlv = |kind: u16, value: &[u8]| {
                let mut t = [
                    &(4 + value.len() as u16).to_le_bytes()[..],
                    &kind.to_le_bytes(),
                    value,
                ]
                .concat();
                t.resize(t.len().next_multiple_of(4), 0);
                t
            };
            let mut msg = vec![family, 0, 0, 1];
            if etype == 0x0806 {
                msg.extend(tlv(1, &[0x08, 0x06, 3, 0]));
            }
            msg.extend(tlv(10, b"netraf\0"));
            msg.extend(tlv(9, packet));
            msg
        }
        // IPoIB: destination and source addresses (20 bytes each), EtherType, reserved.
        242 => [
            &[0x80u8; 20][..],
            &[0x80; 20],
            &etype.to_be_bytes(),
            &[0, 0],
            packet,
        ]
        .concat(),
        // PPPoE session header (version/type 0x11, code 0, session 1,
        // length), then the PPP protocol: IPv4 0x0021, IPv6 0x0057.
        51 => {
            let proto: u16 = if etype == 0x86dd { 0x0057 } else { 0x0021 };
            let len = (2 + packet.len()) as u16;
            [
                &[0x11u8, 0, 0, 1][..],
                &len.to_be_bytes(),
                &proto.to_be_bytes(),
                packet,
            ]
            .concat()
        }
        other => panic!("no frame for link type {other}"),
    }
}

/// Writes a pcap of `link_type` with every packet of [`packets`] that the
/// link type carries (PPPoE's PPP carries no ARP).
fn write_pcap(path: &Path, link_type: u16) -> u64 {
    let mut writer = PcapWriter::new(Vec::new(), LinkType(link_type), 0).expect("pcap header");
    let mut written = 0;
    for (i, (etype, family, packet)) in packets().into_iter().enumerate() {
        if link_type == 51 && etype == 0x0806 {
            continue;
        }
        let data = frame(link_type, etype, family, &packet);
        let header = PacketHeader {
            ts_ns: 1_700_000_000_000_000_000 + i as u64 * 1_000_000,
            caplen: data.len() as u32,
            len: data.len() as u32,
            ifindex: 0,
            ifname: "if0",
            pkttype: PacketType::Host,
            link_type: LinkType(link_type),
            vlan: None,
        };
        writer
            .write(&header.record(), &data)
            .expect("write to a Vec");
        written += 1;
    }
    std::fs::write(path, writer.finish().expect("finish a Vec")).expect("write the test pcap");
    written
}

/// tshark's outermost counts of `file`, the way the corpus's
/// `make_outermost.py` makes them: the first of arp/ip/ipv6 in
/// `frame.protocols`, then the protocol right after it.
fn tshark_counts(file: &Path) -> BTreeMap<&'static str, u64> {
    let text = run_tool(
        "tshark",
        &[
            "-n",
            "-r",
            file.to_str().expect("UTF-8 path"),
            "-o",
            "ip.defragment:FALSE",
            "-o",
            "ipv6.defragment:FALSE",
            "-T",
            "fields",
            "-e",
            "frame.protocols",
        ],
    );
    let mut counts = BTreeMap::new();
    for line in text.lines() {
        *counts.entry("packets").or_insert(0) += 1;
        let protos: Vec<&str> = line.trim().split(':').collect();
        let Some(i) = protos
            .iter()
            .position(|p| matches!(*p, "arp" | "ip" | "ipv6"))
        else {
            *counts.entry("l3_other").or_insert(0) += 1;
            continue;
        };
        let network = match protos[i] {
            "arp" => "arp",
            "ip" => "ipv4",
            _ => "ipv6",
        };
        *counts.entry(network).or_insert(0) += 1;
        if network == "arp" {
            continue;
        }
        let transport = match protos.get(i + 1).copied() {
            Some("tcp") => "tcp",
            Some("udp") => "udp",
            Some("icmp") => "icmp",
            Some("icmpv6") => "icmpv6",
            _ => "l4_other",
        };
        *counts.entry(transport).or_insert(0) += 1;
    }
    counts
}

#[test]
fn nflog_ipoib_and_pppoe_files_count_like_tshark() {
    if !tool_available("tshark") {
        return;
    }
    let dir = TempDir::new("linktypes");
    let config = dir.write(
        "host.toml",
        &format!("[capture]\ninterface = \"any\"\n{COUNT_AND_BROADCAST}"),
    );
    let mut differences = Vec::new();
    for link_type in [239u16, 242, 51] {
        let file = dir.path.join(format!("linktype-{link_type}.pcap"));
        let written = write_pcap(&file, link_type);
        let want = tshark_counts(&file);
        assert_eq!(
            want.get("packets"),
            Some(&written),
            "tshark read {file:?}: {want:?}"
        );
        assert_eq!(
            want.get("l3_other"),
            None,
            "tshark decodes every frame of {file:?}"
        );
        let (out, report) = replay(&dir, &config, &file);
        assert!(out.ok(), "{out}");
        let got: BTreeMap<&str, u64> = outermost_counts(&report)
            .into_iter()
            .filter(|&(column, n)| n != 0 && column != "bytes")
            .collect();
        if got != want {
            differences.push(format!(
                "link type {link_type}: tshark {want:?}, netraf {got:?}"
            ));
        }
    }
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
