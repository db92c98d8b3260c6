//! netraf-host used as tcpdump is: a filter expression after the options, `-F`, `-d`, `-w` read back by tcpdump and tshark, `-D`, a run without a config, and a plugin's own filter.

use std::path::{Path, PathBuf};
use std::process::Command;

use capture_file::{LinkType, Never, Next, Reader};
use netraf_tests::corpus;
use netraf_tests::files::tool_available;
use netraf_tests::netns::VethPair;
use netraf_tests::require_netns;

use super::frames::traffic;
use super::live::{send_and_stop, start_live};
use super::replay::{plugin_report, read_report};
use super::util::{config_and_report, run_host, Output, TempDir};

/// (caplen, wire length, bytes) of every record of a capture file.
fn records(path: &Path) -> Vec<(u32, u32, Vec<u8>)> {
    let mut reader = Reader::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut all = Vec::new();
    loop {
        match reader.next(&Never) {
            Ok(Next::Packet(record, data)) => all.push((record.caplen, record.len, data.to_vec())),
            Ok(_) => break,
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    all
}

/// The records `tcpdump -r FILE -w OUT EXPRESSION` keeps.
fn tcpdump_keeps(dir: &TempDir, file: &Path, expression: &str) -> Vec<(u32, u32, Vec<u8>)> {
    let out = dir.path.join("tcpdump.pcap");
    let status = Command::new("tcpdump")
        .args(["-r"])
        .arg(file)
        .args(["-w"])
        .arg(&out)
        .args(["--", expression])
        .output()
        .expect("run tcpdump");
    assert!(status.status.success(), "tcpdump {expression}: {status:?}");
    records(&out)
}

fn corpus_file(name: &str) -> Option<PathBuf> {
    let dir = corpus::dir()?;
    Some(dir.join("pcap").join(name))
}

/// The corpus files and expressions of the `-w` comparison: Ethernet with
/// VLAN tags, Linux cooked v1 and v2, raw IP, BSD loopback.
const WRITTEN: &[(&str, &[&str])] = &[
    (
        "VlanPackets.pcap",
        &["vlan", "vlan 118 and vlan 10", "vlan and vlan and icmp"],
    ),
    (
        "650HttpResponses.pcap",
        &[
            "tcp port 80 and tcp[tcpflags] & tcp-push != 0",
            "greater 1000",
        ],
    ),
    ("sll.pcap", &["udp", "not tcp"]),
    ("sll2.pcap", &["tcp"]),
    ("raw_ip.pcap", &["icmp or udp port 53"]),
    ("null_loopback.pcap", &["tcp"]),
    (
        "DnsPackets.pcap",
        &["udp port 53 and src host 10.0.0.1 or dst port 53"],
    ),
];

#[test]
fn filtered_replay_writes_with_w_the_records_tcpdump_keeps_and_tcpdump_and_tshark_read_them() {
    let Some(_) = corpus::dir() else { return };
    if !tool_available("tcpdump") || !tool_available("tshark") {
        return;
    }
    let dir = TempDir::new("cli-w");
    let mut compared = 0;
    for (name, expressions) in WRITTEN {
        let file = corpus_file(name).expect("corpus");
        for expression in *expressions {
            let out_path = dir.path.join("netraf.pcap");
            let _ = std::fs::remove_file(&out_path);
            let mut args = vec!["-r", file.to_str().unwrap(), "-w", "netraf.pcap"];
            args.extend(expression.split(' '));
            let out = run_host(&dir.path, &args);
            assert!(out.ok(), "{name} {expression}: {out}");
            // -w alone prints nothing per packet, as tcpdump.
            assert_eq!(out.stdout, "", "{name} {expression}");
            let ours = records(&out_path);
            let theirs = tcpdump_keeps(&dir, &file, expression);
            assert!(
                !theirs.is_empty(),
                "{name} {expression}: pick an expression that keeps some"
            );
            assert_eq!(
                ours.len(),
                theirs.len(),
                "{name} {expression}: record count"
            );
            assert!(ours == theirs, "{name} {expression}: records differ");
            // tcpdump and tshark read the file netraf wrote, whole.
            let copy = Command::new("tcpdump")
                .args(["-r", "netraf.pcap", "-w", "copy.pcap"])
                .current_dir(&dir.path)
                .output()
                .expect("tcpdump -r");
            assert!(copy.status.success(), "{copy:?}");
            assert!(
                records(&dir.path.join("copy.pcap")) == theirs,
                "{name} {expression}"
            );
            let tshark = Command::new("tshark")
                .args(["-r", "netraf.pcap", "-T", "fields", "-e", "frame.number"])
                .current_dir(&dir.path)
                .output()
                .expect("tshark -r");
            assert!(tshark.status.success(), "{tshark:?}");
            assert_eq!(
                String::from_utf8_lossy(&tshark.stdout).lines().count(),
                theirs.len()
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 11);
}

#[test]
fn without_a_config_the_text_log_goes_to_stdout_and_the_count_report_to_stderr() {
    let Some(file) = corpus_file("VlanPackets.pcap") else {
        return;
    };
    let dir = TempDir::new("cli-default");
    let file = file.to_str().unwrap();
    let all = records(Path::new(file)).len();
    let out = run_host(&dir.path, &["-r", file]);
    assert!(out.ok(), "{out}");
    assert_eq!(out.stdout.lines().count(), all, "{out}");
    assert!(
        out.stderr.contains(&format!("{all} packets captured")),
        "{out}"
    );
    assert!(out.stderr.contains("count"), "the count report: {out}");
    // tcpdump's habits: no link-level words without -e, with them with -e.
    assert!(!out.stdout.contains("00:13:c3:df:ae:18"), "{out}");
    let with_e = run_host(&dir.path, &["-r", file, "-e", "icmp", "or", "vlan"]);
    assert!(with_e.ok(), "{with_e}");
    assert_eq!(with_e.stdout.lines().count(), 24, "{with_e}");
    assert!(with_e.stdout.contains(" vlan 118,10 "), "{with_e}");
    assert!(
        with_e
            .stdout
            .contains("00:13:c3:df:ae:18 > 00:1b:d4:1b:a4:d8"),
        "{with_e}"
    );
    // -q: fewer words.
    let Some(tcp_file) = corpus_file("650HttpResponses.pcap") else {
        return;
    };
    let tcp_file = tcp_file.to_str().unwrap();
    let quiet = run_host(&dir.path, &["-r", tcp_file, "-q", "tcp"]);
    let full = run_host(&dir.path, &["-r", tcp_file, "tcp"]);
    assert!(quiet.ok() && full.ok(), "{quiet}{full}");
    assert_eq!(quiet.stdout.lines().count(), full.stdout.lines().count());
    assert!(full.stdout.contains(" flags [P.] seq "), "{full}");
    assert!(
        !quiet.stdout.contains(" flags [") && !quiet.stdout.contains(" win "),
        "{quiet}"
    );
}

#[test]
fn dash_d_prints_the_program_of_the_file_s_link_type_and_exits() {
    let Some(file) = corpus_file("sll.pcap") else {
        return;
    };
    let dir = TempDir::new("cli-d");
    let out = run_host(
        &dir.path,
        &["-r", file.to_str().unwrap(), "-d", "udp", "port", "53"],
    );
    assert!(out.ok(), "{out}");
    let program = netraf_filter::compile("udp port 53", LinkType::LINUX_SLL, 262_144).unwrap();
    assert_eq!(out.stdout, netraf_bpf::dump(&program));
    assert!(out.stdout.starts_with("(000) ldh      [14]\n"), "{out}");
}

#[test]
fn a_filter_file_and_a_bad_expression_as_tcpdump_takes_them() {
    let Some(file) = corpus_file("VlanPackets.pcap") else {
        return;
    };
    let dir = TempDir::new("cli-f");
    let file = file.to_str().unwrap();
    let words = run_host(&dir.path, &["-r", file, "vlan", "and", "vlan", "10"]);
    let filter = dir.write(
        "filter",
        "# tagged twice\nvlan and\n  vlan 10  # inner tag\n",
    );
    let from_file = run_host(&dir.path, &["-r", file, "-F", filter.to_str().unwrap()]);
    assert!(words.ok() && from_file.ok(), "{words}{from_file}");
    assert!(!words.stdout.is_empty());
    assert_eq!(words.stdout, from_file.stdout);
    // A word netraf does not know: one line naming it and its column.
    let bad = run_host(&dir.path, &["-r", file, "tcp", "port", "80", "and", "fish"]);
    assert_eq!(bad.code, Some(2), "{bad}");
    assert!(
        bad.stderr.contains("'fish'") && bad.stderr.contains("column 17"),
        "{bad}"
    );
    assert_eq!(bad.stdout, "");
}

/// A config of two count plugins: `all`, and `only` with its own filter.
fn two_counts(filter: &str) -> String {
    format!(
        "[[plugin]]\nname = \"all\"\npath = \"netraf_count\"\n\n\
         [[plugin]]\nname = \"only\"\npath = \"netraf_count\"\nfilter = \"{filter}\"\n"
    )
}

#[test]
fn a_plugin_s_own_filter_gives_it_exactly_its_subset_and_the_others_everything() {
    let Some(file) = corpus_file("VlanPackets.pcap") else {
        return;
    };
    if !tool_available("tcpdump") {
        return;
    }
    let dir = TempDir::new("cli-plugin-filter");
    let all = records(&file).len() as u64;
    for expression in ["vlan 118", "not vlan", "vlan and vlan 10 and icmp"] {
        let kept = tcpdump_keeps(&dir, &file, expression).len() as u64;
        let config = dir.write("c.toml", &two_counts(expression));
        let report = dir.path.join("r.json");
        let mut args = config_and_report(&config, &report).to_vec();
        args.extend(["-r", file.to_str().unwrap()]);
        let out = run_host(&dir.path, &args);
        assert!(out.ok(), "{out}");
        let report = read_report(&report);
        assert_eq!(
            plugin_report(&report, "all")["packets"],
            all,
            "{expression}"
        );
        assert_eq!(
            plugin_report(&report, "only")["packets"],
            kept,
            "{expression}"
        );
    }
    // A bad plugin filter is refused at its file, line and key.
    let config = dir.write("bad.toml", &two_counts("udp and ("));
    let out = run_host(
        &dir.path,
        &["--config", config.to_str().unwrap(), "--check-config"],
    );
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stderr.contains("bad.toml:8") && out.stderr.contains("filter"),
        "{out}"
    );
}

fn count_of(out: &Output, report: &Path, name: &str) -> u64 {
    let report = read_report(report);
    plugin_report(&report, name)["packets"]
        .as_u64()
        .unwrap_or_else(|| panic!("{out}"))
}

#[test]
fn live_the_kernel_filter_keeps_only_matching_frames_and_a_plugin_filter_its_subset() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("cli-live");
    // The capture filter comes from the config here; the command line's
    // words are checked on files above.
    let plugins = format!("filter = \"udp or arp\"\n\n{}", two_counts("arp"));
    let (host, report) = start_live(&dir, &pair, &plugins);
    let out = send_and_stop(&pair, host, &traffic());
    // traffic(): 12 frames, 5 ARP, 5 UDP, 2 TCP.
    assert_eq!(count_of(&out, &report, "all"), 10, "{out}");
    assert_eq!(count_of(&out, &report, "only"), 5, "{out}");
    assert!(out.stderr.contains("10 packets captured"), "{out}");
}

#[test]
fn dash_cap_d_lists_the_capture_interfaces_with_the_test_s_veth() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("cli-list");
    let config = dir.write(
        "c.toml",
        &format!("[capture]\nnetns = \"{}\"\n", pair.a.path().display()),
    );
    let out = run_host(&dir.path, &["--config", config.to_str().unwrap(), "-D"]);
    assert!(out.ok(), "{out}");
    let veth = out
        .stdout
        .lines()
        .find(|l| l.contains(&format!(".{} [", pair.link.a_if)))
        .unwrap_or_else(|| panic!("{} not listed: {out}", pair.link.a_if));
    assert!(veth.contains("Up") && veth.ends_with(" ethernet"), "{veth}");
    assert!(out.stdout.lines().any(|l| l.contains(".lo [")), "{out}");
}
