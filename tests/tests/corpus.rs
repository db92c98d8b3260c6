//! Every file of the public capture corpus, read with MYCAP's file source and
//! decoded with netraf's per-packet decoder, against tshark's answers
//! (`expected.csv`, `outermost.csv`; how they were counted is in the corpus's
//! SOURCES.md).

use std::collections::BTreeMap;
use std::path::Path;

use mycap_core::{Error, PacketHeader, Session, Verdict};
use netraf_tests::corpus::{self, Csv, Differences};
use plugin_api::{Network, Packet, Transport};

/// The per-frame columns of `outermost.csv`, in its order.
pub(crate) const COLUMNS: [&str; 11] = [
    "packets",
    "broadcast",
    "arp",
    "ipv4",
    "ipv6",
    "l3_other",
    "tcp",
    "udp",
    "icmp",
    "icmpv6",
    "l4_other",
];

/// What netraf finds in one file.
struct Reading {
    counts: BTreeMap<&'static str, u64>,
    bytes: u64,
    error: Option<Error>,
}

fn read(path: &Path) -> Reading {
    let mut counts: BTreeMap<&'static str, u64> = COLUMNS.iter().map(|&c| (c, 0)).collect();
    let mut bytes = 0u64;
    let mut session = match Session::open_file(path) {
        Ok(session) => session,
        Err(error) => {
            return Reading {
                counts,
                bytes,
                error: Some(error),
            }
        }
    };
    let result = session.run(&mut |header: &PacketHeader<'_>, data: &[u8]| {
        assert_eq!(
            header.caplen as usize,
            data.len(),
            "caplen is the slice length"
        );
        assert!(header.len >= header.caplen, "len at least caplen");
        let packet = Packet::decode(header, data);
        let mut bump = |column: &'static str| *counts.entry(column).or_default() += 1;
        bump("packets");
        bytes += data.len() as u64;
        if packet.is_broadcast() {
            bump("broadcast");
        }
        bump(match packet.network() {
            Network::Arp => "arp",
            Network::Ipv4 => "ipv4",
            Network::Ipv6 => "ipv6",
            Network::Other => "l3_other",
        });
        match packet.transport() {
            Transport::None => {}
            Transport::Tcp => bump("tcp"),
            Transport::Udp => bump("udp"),
            Transport::Icmp => bump("icmp"),
            Transport::Icmpv6 => bump("icmpv6"),
            Transport::Other => bump("l4_other"),
        }
        Verdict::Continue
    });
    if let Ok(stats) = session.stats() {
        assert_eq!(
            stats.received,
            counts["packets"],
            "{}: stats.received",
            path.display()
        );
    }
    Reading {
        counts,
        bytes,
        error: result.err(),
    }
}

/// Where netraf's per-frame counts may differ from `outermost.csv`: only on
/// files whose frames tshark finds malformed (`crosscheck.csv`
/// `malformed_frames` > 0), as (file, column, netraf's exact count), each
/// with the reason. Every other cell must be equal.
///
/// Empty: on the six files with malformed frames (650HttpResponses 3,
/// afs 2, arp-oobr 114, bigtcp-ipv6 1, dhcp-rfc4388 2, example2 18) the
/// malformation lies deeper than the outermost headers (application
/// payloads, ARP bodies, the TCP segment of a "BIG TCP" IPv6 packet whose
/// header netraf and tshark both see), so netraf's outermost counts equal
/// tshark's on every cell, and the test holds them to it.
const KNOWN_DIFFERENCES: &[(&str, &str, u64)] = &[];

/// The damaged files: the exact byte offset netraf must name.
pub(crate) const DAMAGED: &[(&str, u64)] = &[
    // The 16-byte record header at 5000 is cut after 10 bytes.
    ("bgp-4byte-asn.cut5010.pcap", 5000),
    // The enhanced packet block at 2808 needs 224 bytes, 192 remain.
    ("OSPFv2_Capture_FINAL.cut3000.pcapng", 2808),
    // The version field (1.4) of the pcap file header.
    ("pcap-invalid-version-1.pcap", 4),
    // The version field (0.1) of the section header block.
    ("pcapng-invalid-vers-1.pcapng", 12),
    // The 52-byte section header block's trailing length is "0000" (an
    // option of length 12336 runs past it, too).
    ("shb-option-too-long.pcapng", 48),
];

#[test]
fn corpus_matches_tshark() {
    let Some(dir) = corpus::dir() else { return };
    let expected = Csv::read(&dir.join("expected.csv"));
    let outermost = Csv::read(&dir.join("outermost.csv"));
    let crosscheck = Csv::read(&dir.join("crosscheck.csv"));
    let mut diffs = Differences::default();
    let files = expected.files();
    assert!(
        files.len() >= 40,
        "expected.csv lists {} files",
        files.len()
    );
    for file in files {
        let path = dir.join("pcap").join(file);
        let reading = read(&path);
        let exp = expected.row(file);
        let out = outermost.row(file);
        let cross = crosscheck.row(file);
        let num = |cell: &str| corpus::num(file, cell);
        let mut check = |what: &str, want: u64, got: u64| diffs.check(file, what, want, got);

        // The file itself: readable, cut short, or refused.
        match (exp["readable"], &reading.error) {
            ("yes", None) => {}
            (
                "partial" | "no",
                Some(Error::File {
                    path: at,
                    offset,
                    reason,
                }),
            ) => {
                let Some(&(_, want)) = DAMAGED.iter().find(|(name, _)| *name == file) else {
                    diffs.note(format!("{file}: unexpected error at {offset}: {reason}"));
                    continue;
                };
                check("error offset", want, *offset);
                let message = reading
                    .error
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                assert_eq!(
                    at,
                    &path.display().to_string(),
                    "{file}: error names the file"
                );
                assert!(
                    message.contains(file) && message.contains(&format!("byte offset {want}")),
                    "{file}: message names file and offset: {message}"
                );
            }
            // tshark 4.0 lacks a dissector for DSA-tagged Ethernet (linktype
            // 284); the file is a valid pcap, netraf reads all of its packets
            // (as tcpdump does) and hands them over as linktype 284.
            ("no", None) if file == "dsa.pcap" => {
                check(
                    "packets (tcpdump)",
                    num(cross["tcpdump_packets"]),
                    reading.counts["packets"],
                );
                continue;
            }
            (readable, error) => {
                diffs.note(format!(
                    "{file}: tshark says readable={readable}, netraf: {error:?}"
                ));
                continue;
            }
        }

        // Packets and captured bytes: exactly, for every file tshark reads
        // (for a cut file, the frames before the cut).
        check("packets", num(exp["packets"]), reading.counts["packets"]);
        check("bytes", num(exp["bytes"]), reading.bytes);

        // The per-frame classification.
        let malformed = num(cross["malformed_frames"]);
        for column in COLUMNS {
            let tshark = num(out[column]);
            let ours = reading.counts[column];
            let known = KNOWN_DIFFERENCES
                .iter()
                .find(|(name, col, _)| *name == file && *col == column);
            match known {
                Some(&(_, _, value)) => {
                    assert!(
                        malformed > 0,
                        "{file}: a known difference on a well-formed file"
                    );
                    check(&format!("{column} (known difference)"), value, ours);
                }
                None => check(column, tshark, ours),
            }
        }
    }
    diffs.assert_none();
}
