//! The capture-file output's tests: names under rotation and time going back, header-only files, stripped tags put back, cooked records.

use super::*;
use capture_file::PacketType;
use plugin_api::{PacketHeader, StrippedVlan};

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netraf-log-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Writes a 60-byte Ethernet packet of time `ts_ns` on eth0.
fn write_ethernet_60(out: &mut CaptureOutput, ts_ns: u64) {
    let data = [0u8; 60];
    let header = PacketHeader {
        ts_ns,
        caplen: 60,
        len: 60,
        ifindex: 1,
        ifname: "eth0",
        pkttype: PacketType::Host,
        link_type: LinkType::ETHERNET,
        vlan: None,
    };
    out.write(&Packet::decode(&header, &data)).unwrap();
}

/// Packet time that goes back to an earlier period must not start a
/// file over one this run already wrote.
#[test]
fn packet_time_going_back_never_overwrites_a_file_of_the_run() {
    let dir = temp_dir("backwards");
    let pattern = dir.join("t.pcap");
    let mut out =
        CaptureOutput::new(Kind::Pcap, pattern.to_str().unwrap(), 100, 0, 10, false).unwrap();
    for secs in [100u64, 200, 100, 100] {
        write_ethernet_60(&mut out, secs * 1_000_000_000);
    }
    out.finish().unwrap();
    assert_eq!((out.files, out.packets()), (4, 4));
    assert_eq!(
        names(&dir),
        [
            "t-19700101-000140-1.pcap",
            "t-19700101-000140-2.pcap",
            "t-19700101-000140.pcap",
            "t-19700101-000320.pcap"
        ]
    );
    for name in names(&dir) {
        let len = std::fs::metadata(dir.join(&name)).unwrap().len();
        assert_eq!(len, 24 + 16 + 60, "{name} holds its one packet");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn files_started_within_one_second_are_numbered_and_keep_applies() {
    let dir = temp_dir("numbered");
    let pattern = dir.join("t.pcap");
    let mut out =
        CaptureOutput::new(Kind::Pcap, pattern.to_str().unwrap(), 100, 0, 2, false).unwrap();
    for i in 0..4 {
        write_ethernet_60(&mut out, 951_827_696_000_000_000 + i);
    }
    out.finish().unwrap();
    // 24 + 76 bytes fill a file: one packet per file, 4 files, 3 kept.
    assert_eq!((out.files, out.packets()), (4, 4));
    assert_eq!(out.bytes(), 4 * 100);
    assert_eq!(
        names(&dir),
        [
            "t-20000229-123456-1.pcap",
            "t-20000229-123456-2.pcap",
            "t-20000229-123456-3.pcap"
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_run_without_packets_leaves_a_header_only_file() {
    let dir = temp_dir("empty");
    let path = dir.join("none.pcap");
    let mut out = CaptureOutput::new(Kind::Pcap, path.to_str().unwrap(), 0, 0, 5, false).unwrap();
    out.finish().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len(), 24);
    assert_eq!(bytes[..4], 0xa1b2_3c4du32.to_le_bytes());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A broadcast packet of `link_type` and `data` whose stripped tag is `tag` (TPID 0: none).
fn packet(link_type: LinkType, data: &[u8], tag: StrippedVlan) -> Packet<'_> {
    let header = PacketHeader {
        ts_ns: 951_827_696_000_000_000,
        caplen: data.len() as u32,
        len: data.len() as u32 + 10,
        ifindex: 0x0102_0304,
        ifname: "eth0",
        pkttype: PacketType::Broadcast,
        link_type,
        vlan: (tag.tpid != 0).then_some(tag),
    };
    Packet::decode(&header, data)
}

fn cooked(link_type: u16, data: &[u8]) -> Option<Vec<u8>> {
    let untagged = StrippedVlan { tpid: 0, tci: 0 };
    let mut out = Vec::new();
    let packet = packet(LinkType(link_type), data, untagged);
    cook(&packet, LinkType(link_type), None, &mut out).map(|_| out)
}

/// Ethernet: dst ff.., src 02:..:01, IPv4, 2 payload bytes.
fn ethernet() -> Vec<u8> {
    [
        &[0xff; 6][..],
        &[2, 0, 0, 0, 0, 1],
        &[0x08, 0x00],
        &[0x45, 0x00],
    ]
    .concat()
}

#[test]
fn a_stripped_tag_goes_back_into_pcap_and_pcapng_records() {
    let dir = temp_dir("retag");
    let frame = ethernet();
    let tag = StrippedVlan {
        tpid: 0x8100,
        tci: (3 << 13) | 42,
    };
    let tagged = [&frame[..12], &tag.to_bytes(), &frame[12..]].concat();
    // caplen and len of the tagged record (the packet's len is caplen + 10).
    let (caplen, len) = (tagged.len() as u32, tagged.len() as u32 + 10);
    for (kind, name, record) in [(Kind::Pcap, "t.pcap", 24), (Kind::Pcapng, "t.pcapng", 0)] {
        let path = dir.join(name);
        let mut out = CaptureOutput::new(kind, path.to_str().unwrap(), 0, 0, 1, false).unwrap();
        out.write(&packet(LinkType::ETHERNET, &frame, tag)).unwrap();
        // Not every frame had a tag stripped.
        let plain = StrippedVlan { tpid: 0, tci: 0 };
        out.write(&packet(LinkType::ETHERNET, &frame, plain))
            .unwrap();
        out.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        if kind == Kind::Pcap {
            // Record header: caplen and len grew by 4, then the tagged frame.
            assert_eq!((u32_at(record + 8), u32_at(record + 12)), (caplen, len));
            assert_eq!(bytes[record + 16..record + 16 + tagged.len()], tagged[..]);
            let second = record + 16 + tagged.len();
            assert_eq!(
                (u32_at(second + 8), u32_at(second + 12)),
                (caplen - 4, len - 4)
            );
            assert_eq!(bytes[second + 16..], frame[..]);
        } else {
            // The first enhanced packet block follows the section and interface blocks.
            let mut epb = 0;
            while u32_at(epb) != 6 {
                epb += u32_at(epb + 4) as usize;
            }
            assert_eq!((u32_at(epb + 20), u32_at(epb + 24)), (caplen, len));
            assert_eq!(bytes[epb + 28..epb + 28 + tagged.len()], tagged[..]);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_stripped_tag_is_cooked_as_linux_puts_a_tagged_frame() {
    let frame = ethernet();
    let tag = StrippedVlan {
        tpid: 0x88a8,
        tci: 7,
    };
    let mut out = Vec::new();
    cook(
        &packet(LinkType::ETHERNET, &frame, tag),
        LinkType::ETHERNET,
        Some(tag),
        &mut out,
    )
    .unwrap();
    // Protocol = TPID; after the 20-byte header: TCI, EtherType, payload.
    assert_eq!(out[..2], [0x88, 0xa8]);
    assert_eq!(out[20..], [0, 7, 0x08, 0x00, 0x45, 0x00]);
}

#[test]
fn cooked_headers_are_linux_sll2() {
    let eth = ethernet();
    let want = [
        &[0x08, 0x00, 0, 0, 1, 2, 3, 4, 0, 1, 1, 6][..],
        &[2, 0, 0, 0, 0, 1, 0, 0],
        &[0x45, 0x00],
    ]
    .concat();
    assert_eq!(cooked(1, &eth).unwrap(), want);
    // An 802.3 length field becomes ETH_P_802_2 (LLC).
    let mut llc = eth.clone();
    llc[12..14].copy_from_slice(&[0x00, 0x26]);
    assert_eq!(cooked(1, &llc).unwrap()[..2], [0x00, 0x04]);
    // SLL v1: pkttype 0, hatype 772, halen 0, protocol IPv6.
    let sll = [&[0, 0, 3, 4, 0, 0][..], &[0; 8], &[0x86, 0xdd], &[0x60]].concat();
    let out = cooked(113, &sll).unwrap();
    assert_eq!(out[..2], [0x86, 0xdd]);
    assert_eq!(out[8..12], [3, 4, 1, 0]);
    assert_eq!(out[20..], [0x60]);
    // Null loopback (AF_INET6 24): the version nibble says IPv6.
    let out = cooked(0, &[24, 0, 0, 0, 0x60, 0]).unwrap();
    assert_eq!((out[..2].to_vec(), out.len()), (vec![0x86, 0xdd], 22));
    // Too short, not IP, no cooked form.
    assert!(cooked(1, &eth[..13]).is_none());
    assert!(cooked(101, &[0x10]).is_none());
    assert!(cooked(127, &eth).is_none());
}

#[test]
fn rotation_to_standard_output_is_refused() {
    let err = CaptureOutput::new(Kind::Pcap, "-", 1000, 0, 1, false)
        .err()
        .expect("refused");
    assert!(err.contains("rotation"), "{err}");
    let err = CaptureOutput::new(Kind::Pcap, "/nonexistent-netraf/t.pcap", 0, 0, 1, false)
        .err()
        .expect("refused");
    assert!(err.contains("does not exist"), "{err}");
}
