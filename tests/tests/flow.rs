//! The flow plugin over every corpus file tshark reads, against `tshark -q -z conv,tcp -z conv,udp`: per TCP/UDP conversation, frames and bytes each way.
//!
//! Both sides count frames and frame bytes on the wire (`frame.len`; the
//! plugin's `orig_wire_bytes`/`resp_wire_bytes`), so both compare exactly,
//! but for the reasons below, each counted and printed apart:
//!
//! * **rounding**: tshark 4.0 prints a byte count of 10,000 or more in kB
//!   (or MB), its integer part; those compare as netraf's count divided
//!   the same way (no other slack).
//! * **reassembly**: tshark reassembles IP fragments and counts a
//!   fragmented datagram in the frame that completes it (the last
//!   fragment), with that frame's bytes; netraf does not reassemble and
//!   counts it in the frame that carries the UDP/TCP header (the first
//!   fragment), the others being `no_transport_header` in the report. So
//!   the frames match and the bytes differ. Excused only when the frames
//!   match each way and the plugin counted fragments in that file.
//! * **jumbogram**: tshark 4.0 does not decode the TCP inside an IPv6
//!   jumbogram (payload length 0, the length in a hop-by-hop option, as
//!   "BIG TCP" sends), so it has no conversation for it; netraf takes the
//!   length from the frame. Excused for a netraf flow only tshark lacks
//!   whose IP bytes exceed 65,575 a packet, which only a jumbogram can.
//! * **vlan split**: netraf keeps one flow per VLAN id, tshark one
//!   conversation whatever the tag: compared after summing netraf's flows
//!   of the same tuple (counted here, not a difference).
//!
//! And the shipped `configs/flows.toml` run by the built host over a
//! capture file.
//!
//! Timeouts are set beyond any file's length, since tshark does not split
//! a conversation by time.

use std::collections::BTreeMap;
use std::process::Command;

use netraf_tests::corpus::{self, Csv};
use plugin_api::TestKit;
use serde_json::Value;

use crate::host::frames::{traffic, write_pcap};
use crate::host::replay::{plugin_report, read_report};
use crate::host::util::{run_host, workspace_dir, TempDir};

/// One direction's frames and bytes.
type Dir = (u64, u64);

/// A conversation's key: protocol and its two endpoints, the smaller first.
type Conv = (String, String, String);

/// Canonical key and whether `a` was put first.
fn conv(proto: &str, a: String, b: String) -> (Conv, bool) {
    if a <= b {
        ((proto.to_string(), a, b), true)
    } else {
        ((proto.to_string(), b, a), false)
    }
}

/// tshark's size text (`123 bytes`, `517 kB`, `12 MB`) as (value, divisor).
fn size(number: &str, unit: &str) -> (u64, u64) {
    let n: u64 = number
        .parse()
        .unwrap_or_else(|_| panic!("a size: {number}"));
    match unit {
        "bytes" => (n, 1),
        "kB" => (n, 1_000),
        "MB" => (n, 1_000_000),
        "GB" => (n, 1_000_000_000),
        _ => panic!("unknown unit {unit}"),
    }
}

/// A tshark endpoint `ADDR:PORT` (IPv6 addresses hold colons too).
fn endpoint(text: &str) -> String {
    let (addr, port) = text.rsplit_once(':').expect("ADDR:PORT");
    format!("{addr} {port}")
}

/// tshark's conversations: key → (first→second, second→first), each
/// direction's frames and (bytes, divisor).
type Tshark = BTreeMap<Conv, [(u64, (u64, u64)); 2]>;

fn tshark(path: &std::path::Path) -> Tshark {
    let out = Command::new("tshark")
        .args(["-q", "-z", "conv,tcp", "-z", "conv,udp", "-r"])
        .arg(path)
        .output()
        .expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut convs = Tshark::new();
    let mut proto = "";
    for line in text.lines() {
        if line.starts_with("TCP Conversations") {
            proto = "tcp";
        } else if line.starts_with("UDP Conversations") {
            proto = "udp";
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() < 11 || words[1] != "<->" {
            continue;
        }
        // A <-> B, B→A frames and size, A→B frames and size, totals...
        let (b_to_a, a_to_b) = (
            (
                words[3].parse::<u64>().expect("frames"),
                size(words[4], words[5]),
            ),
            (
                words[6].parse::<u64>().expect("frames"),
                size(words[7], words[8]),
            ),
        );
        let (key, a_first) = conv(proto, endpoint(words[0]), endpoint(words[2]));
        let fresh = if a_first {
            [a_to_b, b_to_a]
        } else {
            [b_to_a, a_to_b]
        };
        // A tuple tshark lists twice (a port reused): summed, exactly only
        // when both are in bytes.
        convs
            .entry(key)
            .and_modify(|old| {
                for i in 0..2 {
                    old[i].0 += fresh[i].0;
                    assert_eq!(old[i].1 .1, 1, "a reused tuple with a rounded size");
                    old[i].1 .0 += fresh[i].1 .0;
                }
            })
            .or_insert(fresh);
    }
    convs
}

/// netraf's view of one file.
struct Ours {
    /// Key → [first→second, second→first].
    flows: BTreeMap<Conv, [Dir; 2]>,
    /// Tuples with a packet of more than 65,575 IP bytes on average.
    jumbo: Vec<Conv>,
    /// Tuples seen on more than one VLAN.
    vlan_split: usize,
    /// Packets the plugin counted without a transport header (fragments).
    no_transport: u64,
}

/// netraf's flows of `path`.
fn netraf(path: &std::path::Path, dir: &TempDir) -> Ours {
    let log = dir.path.join("conn.jsonl");
    let _ = std::fs::remove_file(&log);
    let config = format!(
        "output = {:?}\nwire_bytes = true\ntcp_inactivity_timeout = 1e9\n\
         udp_inactivity_timeout = 1e9\nclose_grace = 1e9\nactive_timeout = 0",
        log.to_str().expect("a UTF-8 path")
    );
    let mut kit = TestKit::new::<netraf_flow::Flow>(&config).expect("the flow plugin");
    // A file cut short ends with an error after its last whole packet, as
    // tshark's reading does.
    let _ = kit.file(path);
    let report: Value = serde_json::from_str(&kit.finish().expect("the report")).expect("JSON");
    let no_transport = report["no_transport_header"]["packets"]
        .as_u64()
        .expect("no_transport_header");
    let mut jumbo = Vec::new();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let mut flows = BTreeMap::new();
    let mut vlans: BTreeMap<Conv, u32> = BTreeMap::new();
    for line in text.lines() {
        let v: Value = serde_json::from_str(line).expect("a JSON line");
        let proto = v["proto"].as_str().expect("proto");
        if proto != "tcp" && proto != "udp" {
            continue;
        }
        let orig = format!(
            "{} {}",
            v["id.orig_h"].as_str().expect("orig_h"),
            v["id.orig_p"]
        );
        let resp = format!(
            "{} {}",
            v["id.resp_h"].as_str().expect("resp_h"),
            v["id.resp_p"]
        );
        let (key, orig_first) = conv(proto, orig, resp);
        let n = |k: &str| v[k].as_u64().expect("a count");
        let o = (n("orig_pkts"), n("orig_wire_bytes"));
        let r = (n("resp_pkts"), n("resp_wire_bytes"));
        let fresh = if orig_first { [o, r] } else { [r, o] };
        if n("orig_ip_bytes") + n("resp_ip_bytes") > 65_575 * (o.0 + r.0) {
            jumbo.push(key.clone());
        }
        *vlans.entry(key.clone()).or_default() += 1;
        flows
            .entry(key)
            .and_modify(|old: &mut [Dir; 2]| {
                for i in 0..2 {
                    old[i].0 += fresh[i].0;
                    old[i].1 += fresh[i].1;
                }
            })
            .or_insert(fresh);
    }
    Ours {
        flows,
        jumbo,
        vlan_split: vlans.values().filter(|&&n| n > 1).count(),
        no_transport,
    }
}

#[test]
fn flows_match_tshark_conversations() {
    let Some(dir) = corpus::dir() else { return };
    let expected = Csv::read(&dir.join("expected.csv"));
    let tmp = TempDir::new("flow-corpus");
    let mut files = 0;
    let mut equal = 0;
    let mut rounded = 0;
    let mut split = 0;
    let mut reassembly = 0;
    let mut jumbogram = 0;
    let mut differences = Vec::new();
    for file in expected.files() {
        if expected.row(file)["readable"] == "no" {
            continue;
        }
        let path = dir.join("pcap").join(file);
        files += 1;
        let theirs = tshark(&path);
        let ours = netraf(&path, &tmp);
        split += ours.vlan_split;
        for (key, t) in &theirs {
            let mine = ours.flows.get(key).copied().unwrap_or_default();
            let frames_equal = (0..2).all(|i| t[i].0 == mine[i].0);
            let bytes_equal = (0..2).all(|i| t[i].1 .0 == mine[i].1 / t[i].1 .1);
            if frames_equal && bytes_equal {
                equal += 1;
                rounded += usize::from(t[0].1 .1 > 1 || t[1].1 .1 > 1);
            } else if frames_equal && ours.no_transport > 0 {
                reassembly += 1;
            } else {
                differences.push(format!("{file}: {key:?}: tshark {t:?}, netraf {mine:?}"));
            }
        }
        for (key, mine) in &ours.flows {
            if theirs.contains_key(key) {
                continue;
            }
            if ours.jumbo.contains(key) {
                jumbogram += 1;
            } else {
                differences.push(format!("{file}: {key:?}: netraf {mine:?}, not in tshark"));
            }
        }
    }
    eprintln!(
        "flow vs tshark: {files} files, {equal} conversations equal ({rounded} of them through \
         tshark's kB/MB rounding), {split} tuples on several VLANs summed; excused: reassembly \
         {reassembly}, jumbogram {jumbogram}"
    );
    assert!(files > 0 && equal > 0, "nothing compared");
    assert!(
        differences.is_empty(),
        "{} differences:\n{}",
        differences.len(),
        differences.join("\n")
    );
}

/// The shipped config, run by the built host on known traffic: the conn log
/// next to the config, the flow report in the host's.
#[test]
fn the_shipped_flows_config_writes_conn_records() {
    let dir = TempDir::new("flows-config");
    let shipped = std::fs::read_to_string(workspace_dir().join("configs/flows.toml"))
        .expect("read configs/flows.toml");
    // Bare plugin names are looked up beside the host executable.
    let config = dir.write("flows.toml", &shipped);
    let pcap = dir.path.join("traffic.pcap");
    write_pcap(&pcap, &traffic());
    let report = dir.path.join("report.json");
    let out = run_host(
        &dir.path,
        &[
            "--config",
            config.to_str().expect("UTF-8"),
            "--report-json",
            report.to_str().expect("UTF-8"),
            "-r",
            pcap.to_str().expect("UTF-8"),
        ],
    );
    assert!(out.ok(), "{out}");
    let flow = plugin_report(&read_report(&report), "flow").clone();
    // 4 UDP flows (ports 5000..5003 → 53), 1 DHCP broadcast, 2 TCP flows;
    // 5 ARP frames are not IP.
    assert_eq!(flow["flows"], 7, "{flow}");
    assert_eq!(flow["non_ip_frames"], 5, "{flow}");
    assert_eq!(flow["records"]["shutdown"], 7, "{flow}");
    let log = std::fs::read_to_string(dir.path.join("conn.jsonl")).expect("conn.jsonl");
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 7);
    for line in &lines {
        for key in [
            "ts",
            "uid",
            "id.orig_h",
            "id.orig_p",
            "id.resp_h",
            "id.resp_p",
            "proto",
        ] {
            assert!(line.get(key).is_some(), "{key} in {line}");
        }
        assert!(line["community_id"]
            .as_str()
            .expect("an ID")
            .starts_with("1:"));
    }
    assert_eq!(lines.iter().filter(|l| l["proto"] == "tcp").count(), 2);
}
