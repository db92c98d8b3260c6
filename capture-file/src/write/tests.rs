//! The writers' tests: what pcap and pcapng files hold comes back whole through the reader.

use std::io::{self, Cursor};

use super::*;
use crate::{LinkType, Never, Next, PacketType, Reader, Record};

/// A packet to write and to find again.
#[derive(Debug, Clone, PartialEq)]
struct Packet {
    ts_ns: u64,
    len: u32,
    ifindex: u32,
    ifname: String,
    pkttype: PacketType,
    link_type: LinkType,
    data: Vec<u8>,
}

fn packets() -> Vec<Packet> {
    let kinds = [
        (1, "eth0", LinkType::ETHERNET, PacketType::Host),
        (2, "lo", LinkType::RAW, PacketType::Outgoing),
        (1, "eth0", LinkType::ETHERNET, PacketType::Broadcast),
        (3, "wlan0", LinkType::ETHERNET, PacketType::OtherHost),
        (1, "eth0", LinkType::ETHERNET, PacketType::Multicast),
    ];
    (0..25u32)
        .map(|i| {
            let (ifindex, ifname, link_type, pkttype) = kinds[i as usize % kinds.len()];
            let caplen = (i * 37 % 300) as usize + 1;
            Packet {
                ts_ns: 1_700_000_000_123_456_789 + u64::from(i) * 1_000_000_007,
                len: caplen as u32 + (i % 3) * 100,
                ifindex,
                ifname: ifname.to_string(),
                pkttype,
                link_type,
                data: (0..caplen).map(|b| (b as u8) ^ (i as u8)).collect(),
            }
        })
        .collect()
}

fn header(p: &Packet) -> Record<'_> {
    Record {
        ts_ns: p.ts_ns,
        caplen: p.data.len() as u32,
        len: p.len,
        interface: p.ifindex,
        ifname: &p.ifname,
        packet_type: p.pkttype,
        link_type: p.link_type,
    }
}

fn read_back(bytes: Vec<u8>) -> Vec<Packet> {
    let mut reader = Reader::from_reader("written", Box::new(Cursor::new(bytes))).unwrap();
    let mut out = Vec::new();
    while let Next::Packet(h, data) = reader.next(&Never).unwrap() {
        out.push(Packet {
            ts_ns: h.ts_ns,
            len: h.len,
            ifindex: h.interface,
            ifname: h.ifname.to_string(),
            pkttype: h.packet_type,
            link_type: h.link_type,
            data: data.to_vec(),
        });
    }
    out
}

#[test]
fn pcapng_round_trip_keeps_everything() {
    let sent = packets();
    let mut writer = PcapngWriter::new(Vec::new(), "netraf test", 0).unwrap();
    for p in &sent {
        writer.write(&header(p), &p.data).unwrap();
    }
    let got = read_back(writer.finish().unwrap());
    assert_eq!(got.len(), sent.len());
    for (got, sent) in got.iter().zip(&sent) {
        // Interface ids are assigned in order of appearance.
        let id = ["eth0", "lo", "wlan0"]
            .iter()
            .position(|n| *n == sent.ifname)
            .unwrap();
        assert_eq!(got.ifindex, id as u32);
        assert_eq!(
            (
                &got.ifname,
                got.pkttype,
                got.link_type,
                got.ts_ns,
                got.len,
                &got.data
            ),
            (
                &sent.ifname,
                sent.pkttype,
                sent.link_type,
                sent.ts_ns,
                sent.len,
                &sent.data
            )
        );
    }
}

#[test]
fn pcap_round_trip_and_snaplen() {
    let sent: Vec<Packet> = packets()
        .into_iter()
        .filter(|p| p.link_type == LinkType::ETHERNET)
        .collect();
    let mut writer = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 100).unwrap();
    for p in &sent {
        writer.write(&header(p), &p.data).unwrap();
    }
    let got = read_back(writer.finish().unwrap());
    assert_eq!(got.len(), sent.len());
    for (got, sent) in got.iter().zip(&sent) {
        assert_eq!((got.ts_ns, got.len), (sent.ts_ns, sent.len));
        assert_eq!(got.data, sent.data[..sent.data.len().min(100)]);
        // pcap keeps no packet type: the reader tells what the destination
        // address says.
        let by_destination = match sent.data.get(..6) {
            Some([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) => PacketType::Broadcast,
            Some([first, ..]) if first & 1 == 1 => PacketType::Multicast,
            _ => PacketType::Host,
        };
        assert_eq!((got.ifname.as_str(), got.pkttype), ("if0", by_destination));
    }
}

#[test]
fn pcap_refuses_a_second_link_type() {
    let p = &packets()[1];
    let mut writer = PcapWriter::new(Vec::new(), LinkType::ETHERNET, 0).unwrap();
    let err = writer.write(&header(p), &p.data).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("pcapng"), "{err}");
}
