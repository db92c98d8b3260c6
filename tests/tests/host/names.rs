//! Interface names with control characters, from a pcapng the test writes: one text line per packet, no control character raw on a terminal, JSON that reads the name back.

use std::path::Path;

use mycap_core::{LinkType, PacketHeader, PacketType, PcapngWriter};
use plugin_api::is_control;
use serde_json::Value;

use super::frames::arp_from;
use super::replay::{plugin_report, read_report};
use super::util::{config_and_report, run_host, Output, TempDir};

/// A name that, written raw, ends the line, forges a record and turns the
/// terminal red.
const FORGING: &str = "eth0\n1700000000.000000 fake record \x1b[31m";
/// DEL and the C1 control CSI, which JSON leaves raw.
const C1: &str = "wlan\u{7f}\u{9b}2J";

/// Writes a pcapng of 3 broadcast ARP frames within one second: 2 on an
/// interface named [`FORGING`], 1 on one named [`C1`].
fn write_pcapng(path: &Path) {
    let mut writer = PcapngWriter::new(Vec::new(), "netraf tests", 0).expect("section header");
    for (i, name) in [FORGING, FORGING, C1].into_iter().enumerate() {
        let frame = arp_from(1);
        let header = PacketHeader {
            ts_ns: 1_700_000_000_000_000_000 + i as u64 * 1000,
            caplen: frame.len() as u32,
            len: frame.len() as u32,
            ifindex: i as u32 / 2,
            ifname: name,
            pkttype: PacketType::Broadcast,
            link_type: LinkType::ETHERNET,
            vlan: None,
        };
        writer
            .write(&header.record(), &frame)
            .expect("write to a Vec");
    }
    std::fs::write(path, writer.finish().expect("finish a Vec")).expect("write the test pcapng");
}

/// Runs the host on the file with count, broadcast (a storm line at 2 frames
/// a second) and a log of `format` on standard output.
fn run(dir: &TempDir, format: &str) -> (Output, Value) {
    let input = dir.path.join("names.pcapng");
    write_pcapng(&input);
    let config = dir.write(
        &format!("{format}.toml"),
        &format!(
            "[capture]\nread = \"names.pcapng\"\n\n\
             [[plugin]]\nname = \"count\"\npath = \"netraf_count\"\n\n\
             [[plugin]]\nname = \"broadcast\"\npath = \"netraf_broadcast\"\n\
             [plugin.config]\nstorm_pps = 1\n\n\
             [[plugin]]\nname = \"log\"\npath = \"netraf_log\"\n\
             [plugin.config]\nformat = \"{format}\"\n"
        ),
    );
    let report = dir.path.join(format!("{format}.json"));
    let out = run_host(&dir.path, &config_and_report(&config, &report));
    assert!(out.ok(), "{out}");
    (out, read_report(&report))
}

/// The control characters of `text` other than the line ends.
fn raw_controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| c != '\n' && is_control(c))
        .collect()
}

#[test]
fn interface_names_with_control_characters_are_escaped_in_every_text_line() {
    let dir = TempDir::new("names");
    let (out, report) = run(&dir, "text");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "one line per packet:\n{out}");
    assert_eq!(raw_controls(&out.stdout), [], "{out}");
    for line in &lines[..2] {
        assert!(
            line.contains(" eth0\\x0a1700000000.000000 fake record \\x1b[31m in broadcast "),
            "{out}"
        );
    }
    assert!(
        lines[2].contains(" wlan\\x7f\\x9b2J in broadcast "),
        "{out}"
    );
    // The reports and the storm line on standard error.
    assert_eq!(raw_controls(&out.stderr), [], "{out}");
    assert!(
        out.stderr
            .lines()
            .any(|l| l.starts_with("broadcast: storm:") && l.contains("on eth0\\x0a1700000000")),
        "{out}"
    );
    let count_line = out
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("count: "))
        .unwrap_or_else(|| panic!("no count report in {out}"));
    let count: Value = serde_json::from_str(count_line).expect("the count line is JSON");
    assert_eq!(count["interfaces"][FORGING]["packets"], 2, "{out}");
    assert_eq!(count["interfaces"][C1]["packets"], 1, "{out}");
    // The report file keeps the names.
    let interfaces = &plugin_report(&report, "count")["interfaces"];
    assert_eq!(interfaces[FORGING]["packets"], 2, "{report}");
    assert_eq!(interfaces[C1]["packets"], 1, "{report}");
}

#[test]
fn the_json_log_reads_back_names_with_control_characters() {
    let dir = TempDir::new("names-json");
    let (out, _) = run(&dir, "json");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(raw_controls(&out.stdout), [], "{out}");
    let names: Vec<String> = lines
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}"));
            v["ifname"]
                .as_str()
                .expect("ifname is a string")
                .to_string()
        })
        .collect();
    assert_eq!(names, [FORGING, FORGING, C1]);
}
