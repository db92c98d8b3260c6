//! netraf-host capturing live on a veth pair between two network namespaces the test builds, with frames sent from the peer.

use std::path::PathBuf;
use std::time::Duration;

use netraf_tests::netns::VethPair;
use netraf_tests::{fanout_ids, require_netns};
use serde_json::Value;

use super::frames::{assert_traffic_counts, traffic};
use super::replay::{plugin_report, read_report};
use super::running::{Running, LIMIT};
use super::util::{config_and_report, plugin, with_testkit, Output, TempDir};

/// A config capturing on the pair's capture side (interface and namespace
/// from the config file, as a user would write them).
pub(super) fn live_config(dir: &TempDir, pair: &VethPair, plugins: &str) -> PathBuf {
    dir.write(
        "live.toml",
        &format!(
            "[capture]\ninterface = \"{}\"\nnetns = \"{}\"\n{plugins}",
            pair.link.a_if,
            pair.a.path().display()
        ),
    )
}

/// Starts the host on the pair's capture side with `plugins` (TOML tables)
/// and waits until it captures; returns it and its report's path.
pub(super) fn start_live(dir: &TempDir, pair: &VethPair, plugins: &str) -> (Running, PathBuf) {
    let config = live_config(dir, pair, plugins);
    let report_path = dir.path.join("report.json");
    let mut host = Running::start(dir, &config_and_report(&config, &report_path));
    host.wait_capturing();
    (host, report_path)
}

/// Sends `frames` from the peer, then SIGTERM; asserts a clean exit.
pub(super) fn send_and_stop(pair: &VethPair, host: Running, frames: &[(u64, Vec<u8>)]) -> Output {
    let injector = pair.peer_injector(&pair.link).expect("sender on the peer");
    for (_, frame) in frames {
        injector.send(frame).expect("send a frame");
    }
    // Let the ring's block timeout hand the last frames over.
    std::thread::sleep(Duration::from_millis(500));
    let out = host.signal_and_wait(libc::SIGTERM);
    assert_eq!(out.code, Some(0), "{out}");
    out
}

#[test]
fn live_capture_counts_logs_and_reports_what_the_peer_sent() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("live");
    let (host, report_path) = start_live(&dir, &pair, super::replay::SAMPLE_PLUGINS);
    let frames = traffic();
    let out = send_and_stop(&pair, host, &frames);
    for line in [
        "12 packets captured",
        "12 packets received by filter",
        "0 packets dropped by kernel",
    ] {
        assert!(
            out.stderr.lines().any(|l| l == line),
            "want {line:?} in {out}"
        );
    }

    let report = read_report(&report_path);
    let bytes: usize = frames.iter().map(|(_, f)| f.len()).sum();
    let ifname = pair.link.a_if.as_str();
    assert_eq!(report["capture"]["source"], ifname);
    assert_eq!(report["capture"]["packets"], 12);
    assert_eq!(report["capture"]["bytes"], bytes as u64);
    assert_eq!(report["capture"]["dropped"], 0);
    let count = plugin_report(&report, "count");
    assert_traffic_counts(count);
    assert_eq!(count["pkttypes"]["broadcast"], 6);
    assert_eq!(count["pkttypes"]["otherhost"], 6);
    assert_eq!(count["interfaces"][ifname]["packets"], 12);
    let broadcast = plugin_report(&report, "broadcast");
    assert_eq!(broadcast["broadcast_frames"], 6);
    let top: Vec<(&str, u64)> = broadcast["top_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["mac"].as_str().unwrap(), s["frames"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        top,
        [
            ("02:00:00:00:00:01", 3),
            ("02:00:00:00:00:02", 2),
            ("02:00:00:00:00:03", 1)
        ]
    );

    // The log: one line per frame, flushed at shutdown, in the order sent.
    let log = std::fs::read_to_string(dir.path.join("log.jsonl")).expect("log written");
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 12, "{log}");
    for (line, (_, frame)) in lines.iter().zip(&frames) {
        assert_eq!(line["ifname"], ifname);
        assert_eq!(line["caplen"], frame.len());
        assert_eq!(line["direction"], "in");
    }
}

#[test]
fn sigint_ends_an_idle_capture_cleanly_after_wall_clock_ticks() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("live-idle");
    let config = live_config(
        &dir,
        &pair,
        &with_testkit(
            "[[plugin]]\nname = \"rec\"\npath = \"netraf_testkit\"\n[plugin.config]\nmode = \"record\"\n",
        ),
    );
    let report_path = dir.path.join("report.json");
    let started = std::time::Instant::now();
    let mut host = Running::start(&dir, &config_and_report(&config, &report_path));
    host.wait_capturing();
    // Nothing crosses the link: ticks come from the wall clock.
    std::thread::sleep(Duration::from_millis(2_600));
    let out = host.signal_and_wait(libc::SIGINT);
    // The host's whole life bounds its ticks (a loaded machine stretches it).
    let lifetime_s = started.elapsed().as_secs() + 1;
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr.lines().any(|l| l == "0 packets captured"),
        "{out}"
    );
    let report = read_report(&report_path);
    let rec = plugin_report(&report, "rec");
    assert_eq!(rec["packets"], 0);
    assert_eq!(rec["shutdowns"], 1);
    let ticks = rec["ticks"].as_array().expect("ticks").len();
    assert!(
        (1..=lifetime_s as usize).contains(&ticks),
        "{ticks} ticks in a {lifetime_s} s run: {rec}"
    );
}

/// Count, broadcast and a JSON log per worker (`{worker}` in its file name).
fn worker_plugins() -> String {
    // The flow plugin too: hash fanout keeps a flow on one worker, so its
    // merged report (totals, top talkers, port mix) is the one worker's.
    super::replay::SAMPLE_PLUGINS.replace("\"log.jsonl\"", "\"log.w{worker}.jsonl\"")
        + "\n[[plugin]]\nname = \"flow\"\npath = \"netraf_flow\"\n[plugin.config]\noutput = \"\"\n"
}

/// `report` without the flows' `uid`s, which differ from run to run (as
/// Zeek's do).
/// `report` without flow uids and count's timeline, which differ from run
/// to run.
fn without_uids(report: &Value) -> Value {
    match report {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| *k != "uid" && *k != "timeline")
                .map(|(k, v)| (k.clone(), without_uids(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_uids).collect()),
        other => other.clone(),
    }
}

/// Many flows: unicast UDP to the capture side on 48 port pairs, frames to
/// another host, and broadcasts from three sources, each source's spread
/// over ARP and several UDP flows (so that a source's frames can reach
/// either worker).
pub(super) fn many_flows(pair: &VethPair) -> Vec<Vec<u8>> {
    use super::frames::{arp_from, ipv4_udp};
    let mut frames = Vec::new();
    for round in 0..4u16 {
        for flow in 0..48u16 {
            frames.push(ipv4_udp(
                pair.link.a_mac,
                9,
                (20_000 + flow, 40_000),
                16 + usize::from(round),
            ));
        }
        frames.push(ipv4_udp([2, 0, 0, 0, 0x77, 0x77], 8, (7, 7 + round), 20));
    }
    for src in 1..=3u8 {
        for k in 0..u16::from(src) * 4 {
            frames.push(ipv4_udp(
                netraf_tests::frames::BROADCAST,
                src,
                (30_000 + k, 9),
                10,
            ));
        }
        for _ in 0..src {
            frames.push(arp_from(src));
        }
    }
    frames
}

/// Runs netraf-host on the pair with `workers` capture workers and `args`,
/// sends `frames` from the peer, ends it with SIGTERM; returns its output
/// and report.
fn run_workers(
    pair: &VethPair,
    workers: usize,
    args: &[&str],
    frames: &[Vec<u8>],
) -> (Output, Value, TempDir) {
    run_workers_on(pair, workers, args, frames, Ids::AsTheyAre)
}

/// Where the kernel's counter of new fanout group ids stands when the host starts.
#[derive(PartialEq)]
enum Ids {
    AsTheyAre,
    /// As after boot: the host's new group gets id 0.
    AfterBoot,
}

fn run_workers_on(
    pair: &VethPair,
    workers: usize,
    args: &[&str],
    frames: &[Vec<u8>],
    ids: Ids,
) -> (Output, Value, TempDir) {
    let dir = TempDir::new(&format!("workers{workers}"));
    let config = live_config(
        &dir,
        pair,
        &format!("workers = {workers}\n{}", worker_plugins()),
    );
    let report_path = dir.path.join("report.json");
    let mut all: Vec<&str> = config_and_report(&config, &report_path).to_vec();
    all.extend_from_slice(args);
    let host = {
        let (_creating, _owning) = match ids {
            Ids::AsTheyAre => (Some(fanout_ids::creating_groups()), None),
            Ids::AfterBoot => {
                let owning = fanout_ids::owning_the_counter();
                fanout_ids::wrap_new_group_ids(pair.b.path()).expect("move the group id counter");
                (None, Some(owning))
            }
        };
        let mut host = Running::start(&dir, &all);
        host.wait_capturing();
        host
    };
    let injector = pair.peer_injector(&pair.link).expect("sender on the peer");
    for frame in frames {
        injector.send(frame).expect("send a frame");
    }
    std::thread::sleep(Duration::from_millis(500));
    let out = host.signal_and_wait(libc::SIGTERM);
    assert_eq!(out.code, Some(0), "{out}");
    let report = read_report(&report_path);
    (out, report, dir)
}

/// Lines of the JSON log files in `dir` whose names start with `log.w`.
fn log_lines_by_worker(dir: &TempDir) -> Vec<(String, usize)> {
    let mut files: Vec<(String, usize)> = std::fs::read_dir(&dir.path)
        .expect("read the run's folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("log.w"))
        .map(|n| {
            let text = std::fs::read_to_string(dir.path.join(&n)).expect("read a log");
            (n, text.lines().count())
        })
        .collect();
    files.sort();
    files
}

/// On a freshly booted machine the first new fanout group gets id 0: the
/// second worker must join that group, not make one of its own (which would
/// count every frame twice).
#[test]
fn two_workers_in_fanout_group_0_as_after_boot_capture_every_frame_once() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let frames = many_flows(&pair);
    let n = frames.len();
    let (out, report, dir) = run_workers_on(&pair, 2, &[], &frames, Ids::AfterBoot);
    assert!(
        out.stderr.contains("in 2 workers (fanout hash, group 0)"),
        "{out}"
    );
    assert!(
        out.stderr
            .lines()
            .any(|l| l == format!("{n} packets captured")),
        "{out}"
    );
    assert_eq!(report["capture"]["packets"], n as u64, "every frame once");
    assert_eq!(plugin_report(&report, "count")["packets"], n as u64);
    let logs = log_lines_by_worker(&dir);
    assert_eq!(logs.iter().map(|(_, l)| l).sum::<usize>(), n, "{logs:?}");
}

#[test]
fn two_workers_capture_every_frame_once_and_merge_to_the_one_worker_reports() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let frames = many_flows(&pair);
    let n = frames.len();

    let (out2, two, dir2) = run_workers(&pair, 2, &[], &frames);
    assert!(
        out2.stderr.contains("in 2 workers (fanout hash, group"),
        "{out2}"
    );
    for line in [
        format!("{n} packets captured"),
        format!("{n} packets received by filter"),
        "0 packets dropped by kernel".to_string(),
    ] {
        assert!(
            out2.stderr.lines().any(|l| l == line),
            "want {line:?} in {out2}"
        );
    }
    assert_eq!(two["capture"]["packets"], n as u64, "every frame once");
    // Each worker logged its own share, to its own file, and both had one.
    let logs = log_lines_by_worker(&dir2);
    let names: Vec<&str> = logs.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names, ["log.w0.jsonl", "log.w1.jsonl"], "{out2}");
    assert!(logs.iter().all(|(_, lines)| *lines > 0), "{logs:?}");
    assert_eq!(logs.iter().map(|(_, l)| l).sum::<usize>(), n);

    let (out1, one, dir1) = run_workers(&pair, 1, &[], &frames);
    assert!(
        out1.stderr
            .lines()
            .any(|l| l == format!("{n} packets captured")),
        "{out1}"
    );
    assert_eq!(
        log_lines_by_worker(&dir1),
        [("log.w0.jsonl".to_string(), n)]
    );

    for name in ["count", "broadcast", "flow"] {
        assert_eq!(
            without_uids(plugin_report(&two, name)),
            without_uids(plugin_report(&one, name)),
            "{name}: 2 workers merged vs 1 worker"
        );
    }
    // 48 flows to the capture side, 4 to another host, 24 broadcast flows.
    assert_eq!(plugin_report(&two, "flow")["flows"], 76, "{out2}");
    for key in ["packets", "bytes", "dropped"] {
        assert_eq!(two["capture"][key], one["capture"][key], "capture {key}");
    }
    // The figures themselves, so that equal reports cannot both be empty.
    let count = plugin_report(&two, "count");
    assert_eq!(count["packets"], n as u64);
    // The workers' timelines merged: every packet in one of its buckets.
    let series = |key: &str| -> u64 {
        count["timeline"][key]
            .as_array()
            .map_or(0, |a| a.iter().filter_map(Value::as_u64).sum())
    };
    assert_eq!(series("packets"), n as u64, "{count}");
    assert_eq!(Some(series("bytes")), count["bytes"].as_u64(), "{count}");
    assert_eq!(
        count["interfaces"][pair.link.a_if.as_str()]["packets"],
        n as u64
    );
    assert_eq!(count["pkttypes"]["otherhost"], 4);
    assert_eq!(count["pkttypes"]["broadcast"], 24 + 6);
    let broadcast = plugin_report(&two, "broadcast");
    assert_eq!(broadcast["sources"], 3);
    let top: Vec<(&str, u64)> = broadcast["top_sources"]
        .as_array()
        .expect("top_sources")
        .iter()
        .map(|s| {
            (
                s["mac"].as_str().unwrap_or("?"),
                s["frames"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        top,
        [
            ("02:00:00:00:00:03", 15),
            ("02:00:00:00:00:02", 10),
            ("02:00:00:00:00:01", 5)
        ]
    );
    // The log reports name each worker's file.
    assert_eq!(
        plugin_report(&two, "log")["output"],
        serde_json::json!(["log.w0.jsonl", "log.w1.jsonl"])
    );
    assert_eq!(plugin_report(&two, "log")["lines"], n as u64);
}

#[test]
fn count_is_one_budget_across_workers() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let frames = many_flows(&pair);
    // The host ends on its own at the count: SIGTERM then finds it gone or ending.
    let dir = TempDir::new("workers-count");
    let config = live_config(&dir, &pair, &format!("workers = 2\n{}", worker_plugins()));
    let report_path = dir.path.join("report.json");
    let mut args: Vec<&str> = config_and_report(&config, &report_path).to_vec();
    args.extend_from_slice(&["-c", "100"]);
    let mut host = Running::start(&dir, &args);
    host.wait_capturing();
    let injector = pair.peer_injector(&pair.link).expect("sender on the peer");
    for frame in &frames {
        injector.send(frame).expect("send a frame");
    }
    let stderr = host.wait_end(LIMIT).stderr;
    assert!(
        stderr.lines().any(|l| l == "100 packets captured"),
        "{stderr}"
    );
    let report = read_report(&report_path);
    assert_eq!(report["capture"]["packets"], 100);
    assert_eq!(plugin_report(&report, "count")["packets"], 100);
    assert_eq!(plugin_report(&report, "log")["lines"], 100);
}

/// A plugin author rebuilds a plugin over the file a running host loaded
/// (`cp new.so lib/libnetraf_log.so` writes in place): the host goes on
/// with the code it loaded, and ends with every report.
#[test]
fn plugin_files_overwritten_in_place_do_not_reach_a_running_host() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("live-overwrite");
    let lib = dir.path.join("lib");
    std::fs::create_dir_all(&lib).expect("plugin folder");
    for name in ["netraf_count", "netraf_broadcast", "netraf_log"] {
        std::fs::copy(plugin(name), lib.join(format!("lib{name}.so"))).expect("copy a plugin");
    }
    let plugins =
        super::replay::SAMPLE_PLUGINS.replace("path = \"netraf_", "path = \"lib/libnetraf_");
    let plugins = plugins
        .replace("_count\"", "_count.so\"")
        .replace("_broadcast\"", "_broadcast.so\"")
        .replace("_log\"", "_log.so\"");
    let (host, report_path) = start_live(&dir, &pair, &plugins);
    let frames = traffic();
    let injector = pair.peer_injector(&pair.link).expect("sender on the peer");
    for (_, frame) in &frames {
        injector.send(frame).expect("send a frame");
    }
    std::thread::sleep(Duration::from_millis(300));
    // Another plugin's code, written over the loaded files' own inodes.
    let other = std::fs::read(plugin("netraf_broadcast")).expect("read a plugin");
    for name in ["netraf_count", "netraf_log"] {
        let path = lib.join(format!("lib{name}.so"));
        let inode = std::fs::metadata(&path).map(|m| std::os::unix::fs::MetadataExt::ino(&m));
        std::fs::write(&path, &other).expect("overwrite a plugin in place");
        let after = std::fs::metadata(&path).map(|m| std::os::unix::fs::MetadataExt::ino(&m));
        assert_eq!(inode.ok(), after.ok(), "written in place");
    }
    let out = send_and_stop(&pair, host, &frames);
    assert!(
        out.stderr.lines().any(|l| l == "24 packets captured"),
        "{out}"
    );
    let report = read_report(&report_path);
    assert_eq!(plugin_report(&report, "count")["packets"], 24);
    assert_eq!(plugin_report(&report, "log")["lines"], 24);
    let log = std::fs::read_to_string(dir.path.join("log.jsonl")).expect("log written");
    assert_eq!(log.lines().count(), 24, "{log}");
}
