//! Reloading the config on SIGHUP during a live capture on a veth pair: every frame seen by exactly one generation of the chain, a broken or capture-changing config refused with the old chain going on, a plugin file replaced at its path loaded anew.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use netraf_tests::frames::{flow_udp, payload};
use netraf_tests::netns::VethPair;
use netraf_tests::require_netns;
use serde_json::Value;

use super::live::{live_config, start_live};
use super::replay::read_report;
use super::running::Running;
use super::util::{plugin, TempDir};

/// A count plugin and a log plugin writing JSON Lines to `log`.
fn count_and_log(log: &str) -> String {
    format!(
        "[[plugin]]\nname = \"count\"\npath = \"netraf_count\"\n\n\
         [[plugin]]\nname = \"log\"\npath = \"netraf_log\"\n\
         [plugin.config]\noutput = \"{log}\"\nformat = \"json\"\n"
    )
}

/// Rewrites the live config of `pair` with `plugins`, then sends SIGHUP.
fn reload(host: &Running, dir: &TempDir, pair: &VethPair, plugins: &str) {
    live_config(dir, pair, plugins);
    host.signal(libc::SIGHUP);
}

/// Waits (bounded) until `text` stands `n` times in the host's standard error.
fn wait_for_count(host: &mut Running, text: &str, n: usize) {
    let started = Instant::now();
    while host.stderr().matches(text).count() < n {
        host.assert_running();
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "netraf-host never said {text:?} {n} times:\n{}",
            host.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The UDP source ports of the frames a JSON Lines log holds (each frame
/// sent has its own).
fn logged_ports(path: &Path) -> Vec<u64> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).expect("a JSON line");
            v["src_port"].as_u64().expect("a UDP frame's source port")
        })
        .collect()
}

/// Frames sent at a steady pace from the peer by a thread: `sent` counts
/// them; frame `seq` has UDP source port 20000 + `seq`.
fn send_steadily(
    pair: &VethPair,
    frames: u32,
    every: Duration,
    sent: Arc<AtomicU32>,
) -> std::thread::JoinHandle<()> {
    let injector = pair.peer_injector(&pair.link).expect("sender on the peer");
    let (dst, src) = (pair.link.a_mac, pair.link.b_mac);
    std::thread::spawn(move || {
        let started = Instant::now();
        for seq in 0..frames {
            // A steady rate, bounded: the loop ends after `frames` frames.
            let due = started + every * seq;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let frame = flow_udp(dst, src, seq as u16, &payload("reload", seq, 32));
            injector.send(&frame).expect("send a frame");
            sent.fetch_add(1, Ordering::Release);
        }
    })
}

/// Waits (bounded) until at least `n` frames were sent.
fn wait_sent(sent: &AtomicU32, n: u32) {
    let started = Instant::now();
    while sent.load(Ordering::Acquire) < n {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the sender stalled"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn two_reloads_mid_stream_hand_every_frame_to_exactly_one_generation() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("reload");
    let (mut host, report_path) = start_live(&dir, &pair, &count_and_log("gen0.jsonl"));
    const FRAMES: u32 = 3000;
    let sent = Arc::new(AtomicU32::new(0));
    // 3000 frames over about 3 s.
    let sender = send_steadily(
        &pair,
        FRAMES,
        Duration::from_micros(1000),
        Arc::clone(&sent),
    );

    wait_sent(&sent, 1000);
    reload(&host, &dir, &pair, &count_and_log("gen1.jsonl"));
    host.wait_for("every worker runs generation 1");
    wait_sent(&sent, 2000);
    // The second reload also changes the chain: broadcast joins.
    let with_broadcast = format!(
        "{}\n[[plugin]]\nname = \"broadcast\"\npath = \"netraf_broadcast\"\n",
        count_and_log("gen2.jsonl")
    );
    reload(&host, &dir, &pair, &with_broadcast);
    host.wait_for("every worker runs generation 2");
    sender.join().expect("the sender thread");
    // Let the ring's block timeout hand the last frames over.
    std::thread::sleep(Duration::from_millis(500));
    let out = host.signal_and_wait(libc::SIGTERM);
    assert_eq!(out.code, Some(0), "{out}");

    let report = read_report(&report_path);
    assert_eq!(report["capture"]["packets"], u64::from(FRAMES), "{out}");
    let generations = report["generations"].as_array().expect("generations");
    assert_eq!(generations.len(), 3, "{report}");
    let mut counted = 0;
    let mut seen = 0;
    for (i, g) in generations.iter().enumerate() {
        assert_eq!(g["generation"], i as u64);
        let count = g["plugins"]
            .as_array()
            .and_then(|p| p.iter().find(|p| p["name"] == "count"))
            .expect("count in every generation");
        counted += count["report"]["packets"].as_u64().expect("packets");
        seen += g["packets"].as_u64().expect("packets");
    }
    assert_eq!(
        counted,
        u64::from(FRAMES),
        "count over the generations: {report}"
    );
    assert_eq!(seen, u64::from(FRAMES));
    // Today's `plugins` key holds the last generation's reports.
    assert_eq!(report["plugins"], generations[2]["plugins"]);
    assert!(report["plugins"]
        .as_array()
        .is_some_and(|p| p.iter().any(|p| p["name"] == "broadcast")));
    // The earlier generations' reports were said when they ended.
    for g in 0..2 {
        assert!(out.stderr.contains(&format!("generation {g} (")), "{out}");
    }

    // Each frame is in exactly one of the three logs.
    let mut all = BTreeSet::new();
    let mut lines = 0;
    for log in ["gen0.jsonl", "gen1.jsonl", "gen2.jsonl"] {
        let ports = logged_ports(&dir.path.join(log));
        assert!(!ports.is_empty(), "{log} is empty");
        lines += ports.len();
        all.extend(ports);
    }
    assert_eq!(lines, FRAMES as usize, "a frame logged twice or lost");
    let expected: BTreeSet<u64> = (0..u64::from(FRAMES)).map(|s| 20_000 + s).collect();
    assert_eq!(all, expected);
}

/// Sends `n` frames numbered from `first`, and waits for the ring to hand them over.
fn send_burst(pair: &VethPair, first: u32, n: u32) {
    let injector = pair.peer_injector(&pair.link).expect("sender on the peer");
    for seq in first..first + n {
        let frame = flow_udp(
            pair.link.a_mac,
            pair.link.b_mac,
            seq as u16,
            &payload("refused", seq, 32),
        );
        injector.send(&frame).expect("send a frame");
    }
    std::thread::sleep(Duration::from_millis(300));
}

#[test]
fn a_broken_reload_keeps_the_running_chain_and_a_capture_change_is_refused() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("reload-refused");
    let good = "[[plugin]]\nname = \"count\"\npath = \"netraf_count\"\n";
    let (mut host, report_path) = start_live(&dir, &pair, good);
    send_burst(&pair, 0, 10);

    // A syntax error: file and line.
    reload(&host, &dir, &pair, "[[plugin]\nname = \"count\"\n");
    wait_for_count(&mut host, "reload refused", 1);
    assert!(host.stderr().contains("live.toml:4"), "{}", host.stderr());
    send_burst(&pair, 10, 10);

    // A plugin file that is not there.
    reload(
        &host,
        &dir,
        &pair,
        "[[plugin]]\nname = \"count\"\npath = \"./no-such-plugin.so\"\n",
    );
    wait_for_count(&mut host, "reload refused", 2);
    assert!(
        host.stderr().contains("no-such-plugin.so"),
        "{}",
        host.stderr()
    );
    send_burst(&pair, 20, 10);

    // A plugin that refuses its config.
    reload(
        &host,
        &dir,
        &pair,
        "[[plugin]]\nname = \"count\"\npath = \"netraf_count\"\n[plugin.config]\nno_such_key = 1\n",
    );
    wait_for_count(&mut host, "reload refused", 3);
    assert!(host.stderr().contains("no_such_key"), "{}", host.stderr());
    send_burst(&pair, 30, 10);

    // Another interface: a restart is needed.
    dir.write(
        "live.toml",
        &format!(
            "[capture]\ninterface = \"lo\"\nnetns = \"{}\"\n{good}",
            pair.a.path().display()
        ),
    );
    host.signal(libc::SIGHUP);
    wait_for_count(&mut host, "restart netraf-host", 1);
    send_burst(&pair, 40, 10);

    let out = host.signal_and_wait(libc::SIGTERM);
    assert_eq!(out.code, Some(0), "{out}");
    let report = read_report(&report_path);
    assert_eq!(report["capture"]["packets"], 50, "{out}");
    // The first chain counted every frame; no generation began.
    assert_eq!(report["plugins"][0]["report"]["packets"], 50, "{report}");
    assert!(report.get("generations").is_none(), "{report}");
}

#[test]
fn a_plugin_file_replaced_at_its_path_runs_its_new_code_after_a_reload() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("reload-rebuilt");
    let library = dir.path.join("libmine.so");
    std::fs::copy(plugin("netraf_count"), &library).expect("copy a plugin");
    let plugins = "[[plugin]]\nname = \"mine\"\npath = \"./libmine.so\"\n";
    let (mut host, report_path) = start_live(&dir, &pair, plugins);
    send_burst(&pair, 0, 5);
    // Rebuilt in place: the same path, other code (here: another plugin's).
    std::fs::copy(plugin("netraf_broadcast"), &library).expect("replace the plugin");
    host.signal(libc::SIGHUP);
    host.wait_for("every worker runs generation 1");
    send_burst(&pair, 5, 5);
    let out = host.signal_and_wait(libc::SIGTERM);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(out.stderr.contains("plugin librar"), "{out}");

    let report = read_report(&report_path);
    let generations = report["generations"].as_array().expect("generations");
    let before = &generations[0]["plugins"][0]["report"];
    let after = &generations[1]["plugins"][0]["report"];
    // The count plugin's report, then the broadcast plugin's.
    assert_eq!(before["packets"], 5, "{report}");
    assert!(before.get("broadcast_frames").is_none(), "{report}");
    assert!(after.get("broadcast_frames").is_some(), "{report}");
    assert_eq!(generations[1]["packets"], 5);
}

#[test]
fn with_two_workers_each_switches_and_every_frame_is_seen_once() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("reload-workers");
    let plugins = |generation: u32| {
        format!(
            "workers = 2\n{}",
            count_and_log(&format!("gen{generation}.w{{worker}}.jsonl"))
        )
    };
    let (mut host, report_path) = start_live(&dir, &pair, &plugins(0));
    const FRAMES: u32 = 2000;
    let sent = Arc::new(AtomicU32::new(0));
    let sender = send_steadily(
        &pair,
        FRAMES,
        Duration::from_micros(1000),
        Arc::clone(&sent),
    );
    wait_sent(&sent, 1000);
    reload(&host, &dir, &pair, &plugins(1));
    host.wait_for("every worker runs generation 1");
    sender.join().expect("the sender thread");
    std::thread::sleep(Duration::from_millis(500));
    let out = host.signal_and_wait(libc::SIGTERM);
    assert_eq!(out.code, Some(0), "{out}");

    let report = read_report(&report_path);
    assert_eq!(report["capture"]["packets"], u64::from(FRAMES), "{out}");
    let generations = report["generations"].as_array().expect("generations");
    assert_eq!(generations.len(), 2);
    let seen: u64 = generations
        .iter()
        .filter_map(|g| g["packets"].as_u64())
        .sum();
    assert_eq!(seen, u64::from(FRAMES), "{report}");
    let mut all = BTreeSet::new();
    let mut lines = 0;
    for generation in 0..2 {
        for worker in 0..2 {
            let log = dir.path.join(format!("gen{generation}.w{worker}.jsonl"));
            let ports = logged_ports(&log);
            lines += ports.len();
            all.extend(ports);
        }
    }
    assert_eq!(lines, FRAMES as usize, "a frame logged twice or lost");
    assert_eq!(all.len(), FRAMES as usize);
}

#[test]
fn a_reload_after_dash_z_runs_as_that_user() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("reload-user");
    let nobody = netraf_host::privileges::User::lookup("nobody").expect("user nobody exists");
    std::os::unix::fs::chown(&dir.path, Some(nobody.uid), Some(nobody.gid)).expect("chown");
    let config = live_config(&dir, &pair, &count_and_log("gen0.jsonl"));
    let report_path = dir.path.join("report.json");
    let mut args = super::util::config_and_report(&config, &report_path).to_vec();
    args.extend(["-Z", "nobody"]);
    let mut host = Running::start(&dir, &args);
    host.wait_capturing();
    send_burst(&pair, 0, 5);
    reload(&host, &dir, &pair, &count_and_log("gen1.jsonl"));
    host.wait_for("every worker runs generation 1");
    send_burst(&pair, 5, 5);
    let out = host.signal_and_wait(libc::SIGTERM);
    assert_eq!(out.code, Some(0), "{out}");
    for log in ["gen0.jsonl", "gen1.jsonl"] {
        let path = dir.path.join(log);
        assert_eq!(logged_ports(&path).len(), 5, "{log}");
        let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&path).expect("log"));
        assert_eq!(owner, nobody.uid, "{log} made by the reload as the user");
    }
}
