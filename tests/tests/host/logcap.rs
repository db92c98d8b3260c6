//! The log plugin's pcap and pcapng output through the built host: corpus round trips, rotation by size and packet time, `keep`, and files left complete by SIGTERM during a live capture.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use netraf_tests::corpus::{self, Csv};
use netraf_tests::files::{run_tool, tool_available};
use netraf_tests::netns::VethPair;
use netraf_tests::require_netns;

use super::corpus::{outermost_counts, replay, COUNT_AND_BROADCAST};
use super::frames::{traffic, write_pcap};
use super::live::{send_and_stop, start_live};
use super::replay::{plugin_report, read_report};
use super::util::TempDir;

/// A `[[plugin]]` table for a log instance `name` with `settings` (TOML lines).
fn log_plugin(name: &str, settings: &str) -> String {
    format!("\n[[plugin]]\nname = \"{name}\"\npath = \"netraf_log\"\n[plugin.config]\n{settings}\n")
}

/// `capinfos -T -r -c -d -M FILES`: per file, (packets, sum of wire lengths).
/// Asserts that capinfos (Wireshark's file reader) reads every file without error.
fn capinfos(files: &[PathBuf]) -> BTreeMap<PathBuf, (u64, u64)> {
    let mut args = vec!["-T", "-r", "-c", "-d", "-M"];
    args.extend(files.iter().map(|f| f.to_str().expect("UTF-8 path")));
    let text = run_tool("capinfos", &args);
    let rows: BTreeMap<PathBuf, (u64, u64)> = text
        .lines()
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let num = |i: usize| -> u64 {
                cols.get(i)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("capinfos line {line:?}"))
            };
            (PathBuf::from(cols[0]), (num(1), num(2)))
        })
        .collect();
    assert_eq!(rows.len(), files.len(), "capinfos said:\n{text}");
    rows
}

/// `tshark -r FILE -T fields -e frame.cap_len`: (packets, captured bytes);
/// the file must read without a complaint.
fn tshark_caplens(file: &Path) -> (u64, u64) {
    let path = file.to_str().expect("UTF-8 path");
    let text = run_tool(
        "tshark",
        &["-r", path, "-T", "fields", "-e", "frame.cap_len"],
    );
    let lens: Vec<u64> = text
        .lines()
        .map(|l| l.trim().parse().unwrap_or_else(|_| panic!("cap_len {l:?}")))
        .collect();
    (lens.len() as u64, lens.iter().sum())
}

/// The files in `dir` whose names start with `prefix`, sorted.
fn files_named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the test folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect();
    files.sort();
    files
}

/// Corpus files replayed through the log: every format and link type of the
/// corpus (multi-interface and big-endian pcapng, an empty one, Linux cooked
/// v1 and v2, nanosecond and big-endian pcap, null/loopback, raw IP,
/// radiotap, caplen < len, an 80 KB frame, 2005 broadcasts).
const ROUND_TRIP: &[&str] = &[
    "many_interfaces-1.pcapng",
    "test006.pcapng",
    "empty.pcapng",
    "OSPFv2_Capture_FINAL.pcapng",
    "sll.pcap",
    "sll2.pcap",
    "tcp-handshake-nano.pcap",
    "nanosecs_big_endian.pcap",
    "pptp.pcap",
    "null_loopback.pcap",
    "raw_ip.pcap",
    "LINKTYPE_IPV4.pcap",
    "ieee802.11_exthdr.pcap",
    "tcp_rst_diag_payload-trunc.pcap",
    "bigtcp-ipv6.pcap",
    "arp-oobr.pcap",
];

#[test]
fn corpus_files_logged_as_pcapng_and_pcap_read_back_the_same() {
    let Some(corpus) = corpus::dir() else { return };
    if !tool_available("capinfos") || !tool_available("tshark") {
        return;
    }
    let expected = Csv::read(&corpus.join("expected.csv"));
    let crosscheck = Csv::read(&corpus.join("crosscheck.csv"));
    let dir = TempDir::new("log-roundtrip");
    let reread = dir.write("reread.toml", COUNT_AND_BROADCAST);
    let mut written = Vec::new();
    let mut wire = Vec::new();
    let mut multi_link_skipped = 0;
    for &file in ROUND_TRIP {
        assert_eq!(expected.row(file)["readable"], "yes", "{file}");
        // One run writes both formats (two log instances in the chain).
        let (ng, pcap, cooked) = (
            dir.path.join(format!("{file}.out.pcapng")),
            dir.path.join(format!("{file}.out.pcap")),
            dir.path.join(format!("{file}.out.sll2.pcap")),
        );
        let config = dir.write(
            "log.toml",
            &format!(
                "{COUNT_AND_BROADCAST}{}{}{}",
                log_plugin("ng", &format!("format = \"pcapng\"\noutput = {ng:?}")),
                log_plugin("pcap", &format!("format = \"pcap\"\noutput = {pcap:?}")),
                log_plugin(
                    "cooked",
                    &format!("format = \"pcap\"\ncooked = true\noutput = {cooked:?}")
                ),
            ),
        );
        let (out, report) = replay(&dir, &config, &corpus.join("pcap").join(file));
        assert!(out.ok(), "{file}: {out}");
        let original = outermost_counts(&report);
        for (name, path) in [("ng", &ng), ("pcap", &pcap), ("cooked", &cooked)] {
            let log = plugin_report(&report, name);
            let (packets, skipped) = (log["packets"].as_u64(), log["skipped"].as_u64());
            let (Some(packets), Some(skipped)) = (packets, skipped) else {
                panic!("{file}: log report {log}");
            };
            assert_eq!(
                packets + skipped,
                original["packets"],
                "{file} {name}: {log}"
            );
            assert_eq!(log["files"], 1, "{file} {name}: {log}");
            let (out, back) = replay(&dir, &reread, path);
            assert!(out.ok(), "{file} {name} read back: {out}");
            let back = outermost_counts(&back);
            if name == "cooked" {
                // Linux cooked v2 headers, like tcpdump -i any: the same
                // network and transport headers behind another link-layer
                // header (a different length; no MACs, so broadcast comes
                // from the packet type). Only 802.11 has no cooked form here.
                let radio = file.starts_with("ieee802.11");
                assert_eq!(skipped == 0, !radio, "{file}: {log}");
                let network = |c: &BTreeMap<&str, u64>| {
                    let skip = ["bytes", "broadcast"];
                    c.iter()
                        .filter(|(k, _)| !skip.contains(k))
                        .map(|(k, v)| (k.to_string(), *v))
                        .collect::<Vec<_>>()
                };
                if !radio {
                    assert_eq!(network(&back), network(&original), "{file} cooked");
                }
                assert_eq!(back["packets"], packets, "{file}");
            } else if skipped == 0 {
                assert_eq!(back, original, "{file} {name}: read back vs original");
                wire.push((path.clone(), packets, file));
            } else {
                // A pcap file holds one link type: the others are skipped,
                // which only happens on files mixing link types.
                assert_eq!(name, "pcap", "{file}: pcapng skipped packets");
                assert!(expected.row(file)["linktype"].contains('|'), "{file}");
                assert_eq!(back["packets"], packets, "{file}");
                multi_link_skipped += 1;
            }
            written.push(path.clone());
        }
    }
    assert!(
        multi_link_skipped >= 1,
        "many_interfaces-1 mixes link types"
    );
    // Wireshark's reader: every file opens; packets and wire bytes as the
    // original's (crosscheck.csv, capinfos on the original).
    let info = capinfos(&written);
    for (path, packets, file) in &wire {
        let cross = crosscheck.row(file);
        let want = (
            *packets,
            cross["capinfos_data_size"].parse::<u64>().expect("number"),
        );
        assert_eq!(
            cross["capinfos_packets"].parse::<u64>().ok(),
            Some(*packets),
            "{file}"
        );
        assert_eq!(info[path], want, "{}", path.display());
    }
    // tshark on the multi-interface pcapng: its captured lengths as
    // expected.csv says of the original.
    let file = "many_interfaces-1.pcapng";
    let row = expected.row(file);
    let want: (u64, u64) = (
        row["packets"].parse().expect("number"),
        row["bytes"].parse().expect("number"),
    );
    let path = dir.path.join(format!("{file}.out.pcapng"));
    assert_eq!(tshark_caplens(&path), want, "{}", path.display());
}

/// 48 frames one second apart from an epoch multiple of 10 s (the known
/// traffic four times over), written as a pcap; returns its path and the
/// first time in seconds.
fn spread_trace(dir: &TempDir) -> (PathBuf, u64) {
    const T0: u64 = 1_700_000_000;
    let frames: Vec<(u64, Vec<u8>)> = (0..4)
        .flat_map(|_| traffic().into_iter().map(|(_, f)| f))
        .enumerate()
        .map(|(i, f)| ((T0 + i as u64) * 1_000_000_000 + 123, f))
        .collect();
    let path = dir.path.join("spread.pcap");
    write_pcap(&path, &frames);
    (path, T0)
}

/// `date -u -d @SECS +%Y%m%d-%H%M%S`.
fn utc_stamp(secs: u64) -> String {
    let out = Command::new("date")
        .args(["-u", "-d", &format!("@{secs}"), "+%Y%m%d-%H%M%S"])
        .output()
        .expect("run date");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn rotation_by_packet_time_and_by_size_leaves_complete_files_and_keeps_n() {
    if !tool_available("capinfos") {
        return;
    }
    let dir = TempDir::new("log-rotate");
    let (trace, t0) = spread_trace(&dir);
    let config = dir.write(
        "rotate.toml",
        &format!(
            "{COUNT_AND_BROADCAST}{}{}{}",
            // Every 10 s of packet time: 5 periods, files named by the period's start.
            log_plugin(
                "time",
                "format = \"pcap\"\noutput = \"time.pcap\"\nrotate_seconds = 10\nkeep = 10"
            ),
            // Every 1000 bytes, all kept: the sum of the files is the whole trace.
            log_plugin(
                "size",
                "format = \"pcapng\"\noutput = \"size.pcapng\"\nmax_bytes = 1000\nkeep = 100"
            ),
            // The same, keeping the current file and 2 finished ones.
            log_plugin(
                "kept",
                "format = \"pcapng\"\noutput = \"kept-%Y%m%d-%H%M%S.pcapng\"\nmax_bytes = 1000\nkeep = 2"
            ),
        ),
    );
    let (out, report) = replay(&dir, &config, &trace);
    assert!(out.ok(), "{out}");

    let time = files_named(&dir.path, "time");
    let names: Vec<String> = time
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let want: Vec<String> = (0..5)
        .map(|k| format!("time-{}.pcap", utc_stamp(t0 + 10 * k)))
        .collect();
    assert_eq!(names, want);
    assert_eq!(plugin_report(&report, "time")["files"], 5);
    let info = capinfos(&time);
    let per_file: Vec<u64> = time.iter().map(|p| info[p].0).collect();
    assert_eq!(per_file, [10, 10, 10, 10, 8]);

    let size = files_named(&dir.path, "size");
    let size_report = plugin_report(&report, "size");
    assert_eq!(size_report["files"], size.len() as u64, "{size_report}");
    assert!(size.len() >= 4, "{} files", size.len());
    let info = capinfos(&size);
    assert_eq!(info.values().map(|(n, _)| n).sum::<u64>(), 48);
    for path in &size {
        let len = std::fs::metadata(path).expect("file").len();
        assert!(len <= 1000, "{}: {len} bytes", path.display());
        assert!(info[path].0 >= 1, "{}: empty", path.display());
    }
    assert_eq!(
        size_report["bytes"],
        size.iter()
            .map(|p| std::fs::metadata(p).expect("file").len())
            .sum::<u64>()
    );

    // keep = 2: the current file and the 2 newest finished ones, with the
    // same contents as the last 3 files of the keep-all run.
    let kept = files_named(&dir.path, "kept");
    assert_eq!(kept.len(), 3, "{kept:?}");
    let info = capinfos(&kept);
    let kept_counts: Vec<u64> = kept.iter().map(|p| info[p].0).collect();
    let all = capinfos(&size);
    let last_counts: Vec<u64> = size[size.len() - 3..].iter().map(|p| all[p].0).collect();
    assert_eq!(kept_counts, last_counts);
}

#[test]
fn live_capture_logged_as_pcap_reads_in_tshark_and_tcpdump_like_the_report() {
    require_netns!();
    if !tool_available("tshark") || !tool_available("tcpdump") {
        return;
    }
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("live-pcap");
    let plugins = format!(
        "{COUNT_AND_BROADCAST}{}",
        log_plugin("log", "format = \"pcap\"\noutput = \"live.pcap\"")
    );
    let (host, report_path) = start_live(&dir, &pair, &plugins);
    let frames = traffic();
    send_and_stop(&pair, host, &frames);

    let report = read_report(&report_path);
    let bytes: u64 = frames.iter().map(|(_, f)| f.len() as u64).sum();
    assert_eq!(report["capture"]["packets"], 12, "{report}");
    assert_eq!(report["capture"]["bytes"], bytes, "{report}");
    assert_eq!(plugin_report(&report, "log")["packets"], 12);
    let file = dir.path.join("live.pcap");
    assert_eq!(tshark_caplens(&file), (12, bytes));
    let listed = run_tool("tcpdump", &["-n", "-r", file.to_str().expect("UTF-8")]);
    assert_eq!(listed.lines().count(), 12, "{listed}");
    // Read back by netraf: the same counts as the live run.
    let reread = dir.write("reread.toml", COUNT_AND_BROADCAST);
    let (out, back) = replay(&dir, &reread, &file);
    assert!(out.ok(), "{out}");
    assert_eq!(outermost_counts(&back), outermost_counts(&report));
}

#[test]
fn sigterm_in_the_middle_of_traffic_leaves_every_pcap_file_complete() {
    require_netns!();
    if !tool_available("tshark") || !tool_available("capinfos") {
        return;
    }
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("live-sigterm");
    let plugins = format!(
        "{COUNT_AND_BROADCAST}{}",
        log_plugin(
            "log",
            "format = \"pcap\"\noutput = \"busy.pcap\"\nmax_bytes = 50000\nkeep = 1000"
        )
    );
    let (host, report_path) = start_live(&dir, &pair, &plugins);
    let frames = traffic();
    let injector = pair.peer_injector(&pair.link).expect("sender on the peer");
    let stop = AtomicBool::new(false);
    let out = std::thread::scope(|scope| {
        // The peer sends about 5 frames a millisecond until told to stop:
        // at most 10000 frames or 5 s, so the signal comes mid-traffic.
        let sender = scope.spawn(|| {
            let started = Instant::now();
            for (i, (_, frame)) in frames.iter().cycle().take(10_000).enumerate() {
                if stop.load(Ordering::Relaxed) || started.elapsed() > Duration::from_secs(5) {
                    return true;
                }
                injector.send(frame).expect("send a frame");
                if i % 5 == 4 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            false
        });
        std::thread::sleep(Duration::from_millis(400));
        let out = host.signal_and_wait(libc::SIGTERM);
        stop.store(true, Ordering::Relaxed);
        let interrupted = sender.join().expect("sender thread");
        assert!(interrupted, "the peer sent everything before the signal");
        out
    });
    assert_eq!(out.code, Some(0), "{out}");
    let report = read_report(&report_path);
    let captured = report["capture"]["packets"].as_u64().expect("packets");
    assert!(captured > 0, "{report}");
    let log = plugin_report(&report, "log");
    assert_eq!(log["packets"], captured, "{log}");
    let files = files_named(&dir.path, "busy");
    assert_eq!(log["files"], files.len() as u64, "{log}");
    assert!(files.len() >= 2, "rotated while busy: {files:?}");
    // Every file reads to its end without a complaint, and together they
    // hold what the host captured; tshark reads the last one, open when the
    // signal came, with as many packets as Wireshark's reader counts.
    let info = capinfos(&files);
    assert_eq!(info.values().map(|(n, _)| n).sum::<u64>(), captured);
    let last = files.last().expect("at least one file");
    assert_eq!(tshark_caplens(last).0, info[last].0);
}

/// The frames of `file` as MYCAP reads them back: (link type, VLAN, bytes).
fn read_back(file: &Path) -> Vec<(mycap_core::LinkType, Vec<u8>)> {
    let mut session = mycap_core::Session::open_file(file).expect("open the logged file");
    let (got, _) =
        netraf_tests::collect::collect(&mut session, usize::MAX, Duration::from_secs(20))
            .expect("read the logged file");
    got.into_iter()
        .map(|c| {
            assert_eq!(c.vlan, None, "a file keeps its tags in the bytes");
            (c.link_type, c.data)
        })
        .collect()
}

#[test]
fn vlan_tags_the_kernel_stripped_are_back_in_logged_pcap_and_pcapng_frames() {
    use netraf_tests::frames::{broadcast_udp, payload, unicast_udp, with_vlan};
    require_netns!();
    if !tool_available("tshark") {
        return;
    }
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("live-vlan");
    let plugins = format!(
        "{}{}{}",
        log_plugin("pcap", "format = \"pcap\"\noutput = \"vlan.pcap\""),
        log_plugin("ng", "format = \"pcapng\"\noutput = \"vlan.pcapng\""),
        log_plugin("json", "format = \"json\"\noutput = \"vlan.jsonl\""),
    );
    let (host, report_path) = start_live(&dir, &pair, &plugins);
    // Tagged frames from the peer, each with its own VLAN id and priority;
    // the veth strips the tag before the capture sees the frame.
    let link = &pair.link;
    let sent: Vec<(u64, Vec<u8>)> = (0..6u16)
        .map(|i| {
            let body = payload("vlan", u32::from(i), 30 + usize::from(i));
            let frame = if i % 2 == 0 {
                unicast_udp(link.a_mac, link.b_mac, &body)
            } else {
                broadcast_udp(link.b_mac, &body)
            };
            (0, with_vlan(&frame, (i << 13) | (100 + i)))
        })
        .collect();
    let ids: Vec<String> = (0..6).map(|i| (100 + i).to_string()).collect();
    send_and_stop(&pair, host, &sent);
    let report = read_report(&report_path);
    assert_eq!(report["capture"]["packets"], 6, "{report}");

    for name in ["vlan.pcap", "vlan.pcapng"] {
        let file = dir.path.join(name);
        let path = file.to_str().expect("UTF-8 path");
        // Wireshark finds the tag in every frame.
        let listed = run_tool("tshark", &["-r", path, "-T", "fields", "-e", "vlan.id"]);
        let got: Vec<&str> = listed.lines().map(str::trim).collect();
        assert_eq!(got, ids, "{name}: tshark's vlan.id");
        // And the bytes are the frames as they were sent, tag included.
        let frames = read_back(&file);
        assert_eq!(frames.len(), sent.len(), "{name}");
        for ((link_type, data), (_, frame)) in frames.iter().zip(&sent) {
            assert_eq!(*link_type, mycap_core::LinkType::ETHERNET, "{name}");
            assert_eq!(data, frame, "{name}");
        }
    }
    // The JSON log names each frame's VLAN id.
    let log = std::fs::read_to_string(dir.path.join("vlan.jsonl")).expect("JSON log written");
    let vlans: Vec<String> = log
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("JSON line");
            v["vlan"].to_string()
        })
        .collect();
    assert_eq!(vlans, ids, "{log}");
}
