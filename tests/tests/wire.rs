//! netraf-wire's decode of every corpus frame, read through capture_file's Reader, against tshark's fields of the outermost headers (`-E occurrence=f`).
//!
//! What is compared, and why some frames are not:
//! - A field netraf decodes must be in tshark's answer with the same value.
//! - A field tshark gives and netraf does not is not counted against it
//!   when netraf's outermost layer is not that protocol: `occurrence=f`
//!   takes the first occurrence anywhere in the frame, which for those
//!   frames lies deeper than netraf's outermost headers (inside a VXLAN,
//!   GRE, PPTP or IPv6-in-IPv4 tunnel, or an ICMP error's quoted packet).
//!   That netraf's outermost classification equals tshark's frame by frame
//!   is held by the corpus tests (`outermost.csv`).
//! - `tcp.ack_raw` is compared when the ACK flag is set: netraf reads the
//!   acknowledgment number only then, tshark shows it always.
//! - VLAN ids: tshark names 802.1Q tags `vlan` and 802.1ad tags
//!   `ieee8021ad`, so each is compared with netraf's first tag of that TPID.
//! - IP reassembly is off (`-o ip.defragment:FALSE`): tshark then
//!   dissects the transport header of a first fragment, as netraf does,
//!   instead of showing it on the frame that completes the datagram.
//! - Not compared: ARP bodies of hardware type 0x13 (ATM), which tshark
//!   dissects as ATMARP under other field names (arp-oobr.pcap); the TCP
//!   fields of an IPv6 packet of payload length 0 ("BIG TCP", segmentation
//!   offload), where tshark stops at a malformed TCP while netraf reads the
//!   header that is there (bigtcp-ipv6.pcap).
//! - Files tshark cannot read (dsa.pcap: no dissector for linktype 284 in
//!   tshark 4.0; the files with a bad version) give it no frames to
//!   compare; of a file cut short, the frames before the damage are compared.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use capture_file::{Never, Next, Reader};
use netraf_tests::corpus::{self, Differences};
use netraf_tests::files::tool_available;
use netraf_wire::{decode, Arp, Ipv6, Layers};

/// The tshark fields, in the order of its output columns after `frame.number`.
const FIELDS: [&str; 20] = [
    "ip.ttl",
    "ip.id",
    "ip.flags",
    "ipv6.hlim",
    "ipv6.flow",
    "tcp.flags",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.window_size_value",
    "tcp.srcport",
    "tcp.dstport",
    "udp.srcport",
    "udp.dstport",
    "vlan.id",
    "ieee8021ad.id",
    "arp.opcode",
    "icmp.type",
    "icmp.code",
    "icmpv6.type",
    "icmpv6.code",
];

/// At least this many frames must be compared per field over the corpus.
const MIN_COMPARED: [(&str, u64); 20] = [
    ("ip.ttl", 5000),
    ("ip.id", 5000),
    ("ip.flags", 5000),
    ("ipv6.hlim", 100),
    ("ipv6.flow", 100),
    ("tcp.flags", 3000),
    ("tcp.seq_raw", 3000),
    ("tcp.ack_raw", 3000),
    ("tcp.window_size_value", 3000),
    ("tcp.srcport", 3000),
    ("tcp.dstport", 3000),
    ("udp.srcport", 500),
    ("udp.dstport", 500),
    ("vlan.id", 20),
    ("ieee8021ad.id", 2),
    ("arp.opcode", 100),
    ("icmp.type", 50),
    ("icmp.code", 50),
    ("icmpv6.type", 15),
    ("icmpv6.code", 15),
];

/// Whether `field` of this frame is left out of the comparison (see the module's comment).
fn excluded(l: &Layers, data: &[u8], field: &str) -> bool {
    let network = l.network.map_or(&[][..], |span| span.of(data));
    let atm_arp = Arp::new_checked(network).is_some_and(|arp| arp.hardware_type() == 0x13);
    let big_tcp = Ipv6::new_checked(network).is_some_and(|ip| ip.payload_len() == 0);
    let no_ack = field == "tcp.ack_raw" && l.tcp.is_some_and(|tcp| tcp.ack.is_none());
    (field.starts_with("arp.") && atm_arp) || (field.starts_with("tcp.") && big_tcp) || no_ack
}

/// netraf's value of a tshark field, `None` when netraf's outermost headers do not have it.
fn ours(l: &Layers, field: &str) -> Option<u64> {
    let ip4 = l.ip.filter(|ip| ip.version == 4);
    let ip6 = l.ip.filter(|ip| ip.version == 6);
    let tcp = l.tcp;
    let udp = l.transport_kind == Some(netraf_wire::TransportKind::Udp);
    let icmp = |proto| l.protocol == Some(proto) && l.icmp_type.is_some();
    let tag = |tpid| {
        l.vlans
            .in_frame()
            .find(|t| t.tpid == tpid)
            .map(|t| u64::from(t.id()))
    };
    let v = match field {
        "ip.ttl" => u64::from(ip4?.ttl),
        "ip.id" => u64::from(ip4?.ipv4_id?),
        "ip.flags" => u64::from(ip4?.ipv4_flags?),
        "ipv6.hlim" => u64::from(ip6?.ttl),
        "ipv6.flow" => u64::from(ip6?.flow_label?),
        "tcp.flags" => u64::from(tcp?.flags),
        "tcp.seq_raw" => u64::from(tcp?.seq),
        "tcp.ack_raw" => u64::from(tcp?.ack?),
        "tcp.window_size_value" => u64::from(tcp?.window),
        "tcp.srcport" => u64::from(l.src_port.filter(|_| tcp.is_some())?),
        "tcp.dstport" => u64::from(l.dst_port.filter(|_| tcp.is_some())?),
        "udp.srcport" => u64::from(l.src_port.filter(|_| udp)?),
        "udp.dstport" => u64::from(l.dst_port.filter(|_| udp)?),
        "vlan.id" => tag(0x8100)?,
        "ieee8021ad.id" => tag(0x88a8)?,
        "arp.opcode" => u64::from(l.arp?.operation),
        "icmp.type" => u64::from(l.icmp_type.filter(|_| icmp(1))?),
        "icmp.code" => u64::from(l.icmp_code.filter(|_| icmp(1))?),
        "icmpv6.type" => u64::from(l.icmp_type.filter(|_| icmp(58))?),
        "icmpv6.code" => u64::from(l.icmp_code.filter(|_| icmp(58))?),
        other => panic!("no such field {other}"),
    };
    Some(v)
}

/// A tshark value: decimal or `0x` hexadecimal; `None` when empty.
fn parse(cell: &str) -> Option<u64> {
    let cell = cell.trim();
    match cell.strip_prefix("0x") {
        _ if cell.is_empty() => None,
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => cell.parse().ok(),
    }
}

/// tshark's rows of `file`, by frame number.
fn tshark(file: &Path) -> BTreeMap<u64, Vec<Option<u64>>> {
    let mut args = vec!["-r", file.to_str().expect("UTF-8 path"), "-T", "fields"];
    for field in ["frame.number"].iter().chain(FIELDS.iter()) {
        args.extend(["-e", field]);
    }
    args.extend(["-E", "occurrence=f", "-o", "ip.defragment:FALSE"]);
    let out = Command::new("tshark")
        .args(&args)
        .output()
        .expect("tshark runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut cells = line.split('\t');
            let frame = parse(cells.next()?)?;
            Some((frame, cells.map(parse).collect()))
        })
        .collect()
}

#[test]
fn wire_decodes_every_corpus_frame_like_tshark() {
    let Some(dir) = corpus::dir() else { return };
    if !tool_available("tshark") {
        return;
    }
    let mut diffs = Differences::default();
    let mut compared: BTreeMap<&str, u64> = BTreeMap::new();
    let mut deeper: BTreeMap<&str, u64> = BTreeMap::new();
    let mut skipped: BTreeMap<&str, u64> = BTreeMap::new();
    let mut files = 0;
    let mut paths: Vec<_> = std::fs::read_dir(dir.join("pcap"))
        .expect("corpus folder")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    for path in paths {
        let name = path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let theirs = tshark(&path);
        let Ok(mut reader) = Reader::open(&path) else {
            continue;
        };
        files += 1;
        let mut frame = 0u64;
        while let Ok(Next::Packet(record, data)) = reader.next(&Never) {
            frame += 1;
            let Some(row) = theirs.get(&frame) else {
                continue;
            };
            let l = decode(record.link_type, None, data);
            for (field, theirs) in FIELDS
                .iter()
                .zip(row.iter().chain(std::iter::repeat(&None)))
            {
                if excluded(&l, data, field) {
                    *skipped.entry(field).or_default() += 1;
                    continue;
                }
                match (ours(&l, field), *theirs) {
                    (Some(a), Some(b)) if a == b => *compared.entry(field).or_default() += 1,
                    (None, None) => {}
                    (None, Some(_)) => *deeper.entry(field).or_default() += 1,
                    (ours, theirs) => diffs.note(format!(
                        "{name} frame {frame}: {field}: tshark {theirs:?}, netraf {ours:?}"
                    )),
                }
            }
        }
    }
    eprintln!(
        "compared over {files} files: {compared:?}; deeper in tshark only: {deeper:?}; \
         left out: {skipped:?}"
    );
    for (field, min) in MIN_COMPARED {
        let n = compared.get(field).copied().unwrap_or(0);
        if n < min {
            diffs.note(format!(
                "{field}: only {n} frames compared, at least {min} expected"
            ));
        }
    }
    diffs.assert_none();
}

/// Every field of netraf-wire's walk, as the packet a plugin gets holds it.
fn as_plugins_see_it(l: &Layers, p: &plugin_api::Packet<'_>) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |what: &str, a: String, b: String| {
        if a != b {
            diffs.push(format!("{what}: walk {a}, packet {b}"));
        }
    };
    check(
        "link",
        format!("{:?}", l.link),
        format!("{:?}", p.link_span()),
    );
    check(
        "network",
        format!("{:?}", l.network),
        format!("{:?}", p.network_span()),
    );
    check(
        "transport",
        format!("{:?}", l.transport),
        format!("{:?}", p.transport_span()),
    );
    check(
        "payload",
        format!("{:?}", l.payload),
        format!("{:?}", p.payload_span()),
    );
    check(
        "vlans",
        format!("{:?}", l.vlans),
        format!("{:?}", p.vlans()),
    );
    check(
        "src_mac",
        format!("{:?}", l.src_mac),
        format!("{:?}", p.src_mac()),
    );
    check(
        "dst_mac",
        format!("{:?}", l.dst_mac),
        format!("{:?}", p.dst_mac()),
    );
    check(
        "ethertype",
        format!("{:?}", l.ethertype),
        format!("{:?}", p.ethertype()),
    );
    check("ip", format!("{:?}", l.ip), format!("{:?}", p.ip()));
    check(
        "protocol",
        format!("{:?}", l.protocol),
        format!("{:?}", p.ip_proto()),
    );
    check(
        "src_port",
        format!("{:?}", l.src_port),
        format!("{:?}", p.src_port()),
    );
    check(
        "dst_port",
        format!("{:?}", l.dst_port),
        format!("{:?}", p.dst_port()),
    );
    check("tcp", format!("{:?}", l.tcp), format!("{:?}", p.tcp()));
    check("arp", format!("{:?}", l.arp), format!("{:?}", p.arp()));
    check(
        "icmp_type",
        format!("{:?}", l.icmp_type),
        format!("{:?}", p.icmp_type()),
    );
    check(
        "icmp_code",
        format!("{:?}", l.icmp_code),
        format!("{:?}", p.icmp_code()),
    );
    check(
        "tunnel",
        format!("{:?}", l.tunnel),
        format!("{:?}", p.tunnel()),
    );
    diffs
}

/// What the host hands plugins ([`plugin_api::Packet::decode`], the walk
/// written into the packet's fields) holds every field of netraf-wire's
/// walk, on every corpus frame: the comparison with tshark above holds for
/// the packet plugins get.
#[test]
fn the_packet_plugins_get_holds_every_field_of_the_walk_on_every_corpus_frame() {
    let Some(dir) = corpus::dir() else { return };
    let mut diffs = Differences::default();
    let mut frames = 0u64;
    let mut paths: Vec<_> = std::fs::read_dir(dir.join("pcap"))
        .expect("corpus folder")
        .map(|e| e.expect("entry").path())
        .collect();
    paths.sort();
    for path in paths {
        let Ok(mut reader) = Reader::open(&path) else {
            continue;
        };
        let mut frame = 0u64;
        while let Ok(Next::Packet(record, data)) = reader.next(&Never) {
            frame += 1;
            let header = capture_file::PacketHeader::of_record(&record);
            let l = decode(record.link_type, None, data);
            let p = plugin_api::Packet::decode(&header, data);
            for diff in as_plugins_see_it(&l, &p) {
                diffs.note(format!("{} frame {frame}: {diff}", path.display()));
            }
            frames += 1;
        }
    }
    assert!(frames > 10_000, "only {frames} corpus frames read");
    diffs.assert_none();
}
