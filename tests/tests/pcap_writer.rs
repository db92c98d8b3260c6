//! Capture files that MYCAP writes, read back by tshark, tcpdump and MYCAP
//! itself: the same packets, lengths and timestamps.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use mycap_core::{LinkType, PacketHeader, PacketType, PcapWriter, PcapngWriter, Session, Verdict};
use netraf_tests::corpus::{self, Csv};
use netraf_tests::files::{run_tool, tool_available, TempDir};

/// A packet as written and as read back.
#[derive(Debug, Clone, PartialEq)]
struct Packet {
    ts_ns: u64,
    len: u32,
    ifname: String,
    link_type: LinkType,
    pkttype: PacketType,
    data: Vec<u8>,
}

impl Packet {
    /// A packet as a handler sees it.
    fn seen(h: &PacketHeader<'_>, data: &[u8]) -> Packet {
        Packet {
            ts_ns: h.ts_ns,
            len: h.len,
            ifname: h.ifname.to_string(),
            link_type: h.link_type,
            pkttype: h.pkttype,
            data: data.to_vec(),
        }
    }

    fn header(&self, ifindex: u32) -> PacketHeader<'_> {
        PacketHeader {
            ts_ns: self.ts_ns,
            caplen: self.data.len() as u32,
            len: self.len,
            ifindex,
            ifname: &self.ifname,
            pkttype: self.pkttype,
            link_type: self.link_type,
            vlan: None,
        }
    }
}

/// An IPv4/UDP datagram of `payload` bytes, 10.9.0.1 → 10.9.0.2.
fn udp(payload: usize, seq: u8) -> Vec<u8> {
    let total = (28 + payload) as u16;
    let mut ip = vec![
        0x45, 0, 0, 0, 0, seq, 0, 0, 64, 17, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2,
    ];
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&[0x13, 0x88, 0x13, 0x89]);
    ip.extend_from_slice(&((8 + payload) as u16).to_be_bytes());
    ip.extend_from_slice(&[0, 0]);
    ip.extend((0..payload).map(|i| i as u8 ^ seq));
    ip
}

/// 30 packets: Ethernet on eth0 and eth1, raw IPv4 on tun0 unless
/// `ethernet_only`; nanosecond times; some cut shorter than their length.
fn synthetic(ethernet_only: bool) -> Vec<Packet> {
    (0..30u8)
        .filter_map(|i| {
            let ip = udp(usize::from(i) * 41 % 1400, i);
            let (ifname, link_type, data, pkttype) = match i % 3 {
                0 | 1 => {
                    let dst: [u8; 6] = if i % 2 == 0 {
                        [0xff; 6]
                    } else {
                        [2, 0, 0, 0, 0, 2]
                    };
                    let frame = [&dst[..], &[2, 0, 0, 0, 0, 1, 0x08, 0x00], &ip].concat();
                    let pkttype = if i % 2 == 0 {
                        PacketType::Broadcast
                    } else {
                        PacketType::Host
                    };
                    (
                        if i % 3 == 0 { "eth0" } else { "eth1" },
                        LinkType::ETHERNET,
                        frame,
                        pkttype,
                    )
                }
                _ if ethernet_only => return None,
                _ => ("tun0", LinkType::RAW, ip, PacketType::Outgoing),
            };
            let len = data.len() as u32;
            let cut = if i % 4 == 0 {
                data.len().min(64)
            } else {
                data.len()
            };
            Some(Packet {
                ts_ns: 1_700_000_000_000_000_001 + u64::from(i) * 123_456_789,
                len,
                ifname: ifname.to_string(),
                link_type,
                pkttype,
                data: data[..cut].to_vec(),
            })
        })
        .collect()
}

fn write_pcapng(path: &Path, packets: &[Packet]) {
    let out = BufWriter::new(File::create(path).expect("create pcapng"));
    let mut writer = PcapngWriter::new(out, "netraf tests", 0).expect("pcapng header");
    for p in packets {
        writer
            .write(&p.header(0).record(), &p.data)
            .expect("write packet");
    }
    writer.finish().expect("flush pcapng");
}

fn write_pcap(path: &Path, packets: &[Packet]) {
    let out = BufWriter::new(File::create(path).expect("create pcap"));
    let mut writer = PcapWriter::new(out, packets[0].link_type, 0).expect("pcap header");
    for p in packets {
        writer
            .write(&p.header(0).record(), &p.data)
            .expect("write packet");
    }
    writer.finish().expect("flush pcap");
}

/// What MYCAP reads back.
fn mycap_read(path: &Path) -> Vec<Packet> {
    let mut session = Session::open_file(path).expect("open written file");
    let mut out = Vec::new();
    session
        .run(&mut |h: &PacketHeader<'_>, data: &[u8]| {
            out.push(Packet::seen(h, data));
            Verdict::Continue
        })
        .expect("read written file");
    out
}

/// Parses `seconds.fraction` (up to 9 digits) into nanoseconds.
fn epoch_ns(text: &str) -> u64 {
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = format!("{frac:0<9}");
    secs.parse::<u64>().expect("seconds") * 1_000_000_000
        + frac[..9].parse::<u64>().expect("fraction")
}

/// (time, length, captured length) of every frame, as tshark reads them.
fn tshark_frames(path: &Path) -> Vec<(u64, u32, u32)> {
    let path = path.to_str().expect("utf-8 path");
    let args = ["-n", "-r", path, "-T", "fields", "-E", "separator=|"];
    let fields = [
        "-e",
        "frame.time_epoch",
        "-e",
        "frame.len",
        "-e",
        "frame.cap_len",
    ];
    run_tool("tshark", &[&args[..], &fields[..]].concat())
        .lines()
        .map(|line| {
            let f: Vec<&str> = line.split('|').collect();
            (
                epoch_ns(f[0]),
                f[1].parse().expect("len"),
                f[2].parse().expect("cap_len"),
            )
        })
        .collect()
}

/// The time of every packet, as tcpdump prints them.
fn tcpdump_times(path: &Path) -> Vec<u64> {
    let path = path.to_str().expect("utf-8 path");
    run_tool(
        "tcpdump",
        &["-r", path, "-nn", "-tt", "--time-stamp-precision=nano"],
    )
    .lines()
    .map(|line| epoch_ns(line.split(' ').next().unwrap_or("")))
    .collect()
}

/// Whether tshark and tcpdump are installed; says so when not, and fails
/// when CI must have them.
fn tools_present() -> bool {
    if tool_available("tshark") && tool_available("tcpdump") {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "tshark and tcpdump are needed when CI is set"
    );
    eprintln!("skipped: tshark or tcpdump is not installed");
    false
}

fn expected_frames(packets: &[Packet]) -> Vec<(u64, u32, u32)> {
    packets
        .iter()
        .map(|p| (p.ts_ns, p.len, p.data.len() as u32))
        .collect()
}

#[test]
fn pcap_reads_the_same_in_tshark_tcpdump_and_mycap() {
    if !tools_present() {
        return;
    }
    let dir = TempDir::new("pcap-writer");
    let path = dir.path().join("eth.pcap");
    let packets = synthetic(true);
    write_pcap(&path, &packets);
    assert_eq!(tshark_frames(&path), expected_frames(&packets));
    let times: Vec<u64> = packets.iter().map(|p| p.ts_ns).collect();
    assert_eq!(tcpdump_times(&path), times);
    // A pcap file keeps no interface name nor packet type: the reader tells
    // broadcast and multicast by the Ethernet destination, the rest is Host.
    let plain: Vec<Packet> = packets
        .iter()
        .map(|p| Packet {
            ifname: "if0".into(),
            pkttype: match p.data.get(..6) {
                Some([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) => PacketType::Broadcast,
                Some([first, ..]) if first & 1 == 1 => PacketType::Multicast,
                _ => PacketType::Host,
            },
            ..p.clone()
        })
        .collect();
    assert_eq!(mycap_read(&path), plain);
}

#[test]
fn pcapng_reads_the_same_in_tshark_tcpdump_and_mycap() {
    if !tools_present() {
        return;
    }
    let dir = TempDir::new("pcapng-writer");
    // Two link types: tshark and MYCAP read it (libpcap 1.10 does not mix link types).
    let mixed = dir.path().join("mixed.pcapng");
    let packets = synthetic(false);
    write_pcapng(&mixed, &packets);
    assert_eq!(tshark_frames(&mixed), expected_frames(&packets));
    assert_eq!(mycap_read(&mixed), packets);
    let names = run_tool(
        "tshark",
        &[
            "-r",
            mixed.to_str().expect("utf-8"),
            "-T",
            "fields",
            "-e",
            "frame.interface_name",
        ],
    );
    let names: Vec<&str> = names.lines().collect();
    let want: Vec<&str> = packets.iter().map(|p| p.ifname.as_str()).collect();
    assert_eq!(names, want);
    // One link type on two interfaces: tcpdump reads it too.
    let eth = dir.path().join("eth.pcapng");
    let packets = synthetic(true);
    write_pcapng(&eth, &packets);
    let times: Vec<u64> = packets.iter().map(|p| p.ts_ns).collect();
    assert_eq!(tcpdump_times(&eth), times);
    assert_eq!(tshark_frames(&eth), expected_frames(&packets));
    assert_eq!(mycap_read(&eth), packets);
}

#[test]
fn every_corpus_capture_survives_a_pcapng_round_trip() {
    let Some(corpus) = corpus::dir() else { return };
    let expected = Csv::read(&corpus.join("expected.csv"));
    let dir = TempDir::new("corpus-round-trip");
    let mut checked = 0;
    for file in expected.files() {
        let source = corpus.join("pcap").join(file);
        let Ok(mut session) = Session::open_file(&source) else {
            continue;
        };
        let copy = dir.path().join("copy.pcapng");
        let out = BufWriter::new(File::create(&copy).expect("create copy"));
        let mut writer = PcapngWriter::new(out, "netraf tests", 0).expect("pcapng header");
        let mut original = Vec::new();
        // Damaged files stop with an error: the packets before it are copied.
        let _ = session.run(&mut |h: &PacketHeader<'_>, data: &[u8]| {
            writer.write(&h.record(), data).expect("write packet");
            original.push(Packet::seen(h, data));
            Verdict::Continue
        });
        writer.finish().expect("flush copy");
        let copied = mycap_read(&copy);
        assert_eq!(copied.len(), original.len(), "{file}");
        for (i, (a, b)) in copied.iter().zip(&original).enumerate() {
            assert_eq!(a, b, "{file}: packet {i}");
        }
        checked += 1;
    }
    assert!(checked >= 38, "only {checked} corpus files could be opened");
}
