//! netraf-host run on pcap files the tests write: exact reports, the log, `-r -`, `-c`, stop and panic through the binary, damaged files.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::frames::{assert_traffic_counts, pcap_bytes, traffic, write_pcap};
use super::util::{
    config_and_report, run_host, run_host_stdin, test_plugin, with_testkit, Output, TempDir,
};

fn config(dir: &TempDir, capture: &str, plugins: &str) -> PathBuf {
    dir.write("host.toml", &format!("[capture]\n{capture}\n{plugins}"))
}

pub const SAMPLE_PLUGINS: &str = r#"
[[plugin]]
name = "count"
path = "netraf_count"

[[plugin]]
name = "broadcast"
path = "netraf_broadcast"

[[plugin]]
name = "log"
path = "netraf_log"
[plugin.config]
output = "log.jsonl"
format = "json"
"#;

pub fn read_report(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).expect("the report was written");
    serde_json::from_str(&text).expect("the report is JSON")
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    k.sort_unstable();
    k
}

pub fn plugin_report<'a>(report: &'a Value, name: &str) -> &'a Value {
    let entry = report["plugins"]
        .as_array()
        .expect("plugins array")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no plugin {name} in {report}"));
    &entry["report"]
}

fn assert_exit_lines(out: &Output, captured: u64) {
    for line in [
        format!("{captured} packets captured"),
        format!("{captured} packets received by filter"),
        "0 packets dropped by kernel".to_string(),
    ] {
        assert!(
            out.stderr.lines().any(|l| l == line),
            "want {line:?} in {out}"
        );
    }
}

#[test]
fn a_replay_reports_exactly_what_the_file_holds() {
    let dir = TempDir::new("replay");
    let frames = traffic();
    write_pcap(&dir.path.join("traffic.pcap"), &frames);
    let config = config(&dir, "read = \"traffic.pcap\"", SAMPLE_PLUGINS);
    let report_path = dir.path.join("report.json");
    // The log's relative path is relative to the working directory.
    let out = run_host(&dir.path, &config_and_report(&config, &report_path));
    assert!(out.ok(), "{out}");
    assert_exit_lines(&out, 12);

    let report = read_report(&report_path);
    assert_eq!(keys(&report), ["capture", "plugins"]);
    let capture = &report["capture"];
    assert_eq!(
        keys(capture),
        ["bytes", "dropped", "packets", "seconds", "source"]
    );
    let bytes: usize = frames.iter().map(|(_, f)| f.len()).sum();
    assert_eq!(capture["packets"], 12);
    assert_eq!(capture["bytes"], bytes as u64);
    assert_eq!(capture["dropped"], 0);
    assert!(
        capture["seconds"].as_f64().is_some_and(|s| s >= 0.0),
        "{capture}"
    );
    assert!(
        capture["source"]
            .as_str()
            .is_some_and(|s| s.ends_with("traffic.pcap")),
        "{capture}"
    );
    let names: Vec<&Value> = report["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    assert_eq!(names, ["count", "broadcast", "log"]);
    for p in report["plugins"].as_array().unwrap() {
        assert_eq!(keys(p), ["name", "plugin", "report", "version"]);
        assert_eq!(p["plugin"], p["name"], "the library's own name");
        assert_eq!(p["version"], env!("CARGO_PKG_VERSION"));
    }

    let count = plugin_report(&report, "count");
    assert_traffic_counts(count);
    assert_eq!(count["bytes"], bytes as u64);
    assert_eq!(count["wire_bytes"], bytes as u64);

    // A pcap keeps no packet type: broadcast frames are told by their
    // destination, so count's packet types agree with its broadcast count.
    assert_eq!(count["pkttypes"]["broadcast"], 6, "{count}");
    assert_eq!(
        count["pkttypes"]["broadcast"], count["broadcast"],
        "{count}"
    );

    let broadcast = plugin_report(&report, "broadcast");
    assert_eq!(broadcast["broadcast_frames"], 6);
    assert_eq!(
        broadcast["protocols"],
        serde_json::json!({"arp": 5, "dhcp": 1, "netbios": 0, "other": 0})
    );
    let top: Vec<(String, u64)> = broadcast["top_sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["mac"].as_str().unwrap().to_string(),
                s["frames"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        top,
        [
            ("02:00:00:00:00:01".to_string(), 3),
            ("02:00:00:00:00:02".to_string(), 2),
            ("02:00:00:00:00:03".to_string(), 1)
        ]
    );

    // The log: one JSON line per packet, in order, with its facts.
    assert_eq!(plugin_report(&report, "log")["lines"], 12);
    let log = std::fs::read_to_string(dir.path.join("log.jsonl")).expect("log written");
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 12);
    for (line, (ts, frame)) in lines.iter().zip(&frames) {
        assert_eq!(line["ts_ns"], *ts);
        assert_eq!(line["caplen"], frame.len());
        let src = &frame[6..12];
        let want = src
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":");
        assert_eq!(line["src_mac"], want);
    }
    assert_eq!(lines[3]["dst_port"], 67);
    assert_eq!(lines[11]["network"], "ipv6");
}

#[test]
fn standard_input_count_limit_and_text_log() {
    let dir = TempDir::new("stdin");
    let pcap = dir.path.join("traffic.pcap");
    write_pcap(&pcap, &traffic());
    let config = config(
        &dir,
        "interface = \"any\"",
        "[[plugin]]\nname = \"log\"\npath = \"netraf_log\"\n",
    );
    let out = run_host_stdin(
        &dir.path,
        &["--config", config.to_str().unwrap(), "-r", "-", "-c", "5"],
        &pcap,
    );
    assert!(out.ok(), "{out}");
    assert_exit_lines(&out, 5);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{out}");
    assert!(
        lines[0].contains(
            " 02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff ARP Request who-has 10.0.0.254 tell 10.0.0.1 \
             len 42/42"
        ),
        "{out}"
    );
    assert!(
        lines[3].contains("IPv4 UDP 10.0.0.3:68 > 255.255.255.255:67"),
        "{out}"
    );
}

#[test]
fn stop_and_panic_through_the_binary() {
    let dir = TempDir::new("run-panic");
    write_pcap(&dir.path.join("traffic.pcap"), &traffic());
    let config = config(
        &dir,
        "read = \"traffic.pcap\"",
        &with_testkit(
            r#"
[[plugin]]
name = "boom"
path = "netraf_testkit"
[plugin.config]
mode = "panic"
panic_at = 4

[[plugin]]
name = "stopper"
path = "netraf_testkit"
[plugin.config]
mode = "stop-every-other"

[[plugin]]
name = "count"
path = "netraf_count"

[[plugin]]
name = "dropper"
path = "netraf_testkit"
[plugin.config]
mode = "panic-drop"
"#,
        ),
    );
    let report_path = dir.path.join("report.json");
    let out = run_host(&dir.path, &config_and_report(&config, &report_path));
    // The run goes on to the end, then says a plugin was disabled.
    assert_eq!(out.code, Some(1), "{out}");
    let lib = test_plugin("netraf_testkit");
    let logged = format!(
        "plugin 'boom' ({}): on_packet failed: panicked in on_packet: panicking on purpose at packet 4; \
         plugin disabled, capture goes on",
        lib.display()
    );
    assert!(out.stderr.contains(&logged), "want {logged:?} in {out}");
    // Said once, by the host: the plugin's own panic hook keeps quiet.
    assert!(!out.stderr.contains("panicked at"), "{out}");
    assert!(
        out.stderr
            .lines()
            .last()
            .is_some_and(|l| l.contains("plugin(s) disabled after an error: boom")),
        "{out}"
    );
    assert_exit_lines(&out, 12);
    let report = read_report(&report_path);
    assert_eq!(plugin_report(&report, "boom")["packets"], 3);
    assert_eq!(plugin_report(&report, "stopper")["packets"], 12);
    assert_eq!(plugin_report(&report, "count")["packets"], 6);
    // A panic in a plugin's Drop is caught and said; the host still reports.
    assert!(
        out.stderr
            .contains("panicked in drop: panicking on purpose when dropped"),
        "{out}"
    );
    assert_eq!(plugin_report(&report, "dropper")["packets"], 6);
}

#[test]
fn a_damaged_file_is_reported_after_the_packets_before_the_damage() {
    let dir = TempDir::new("damaged");
    let frames = traffic();
    let mut bytes = pcap_bytes(&frames);
    // Cut the file inside the 8th record's data.
    let cut = 24 + (0..7).map(|i| 16 + frames[i].1.len()).sum::<usize>() + 16 + 10;
    bytes.truncate(cut);
    std::fs::write(dir.path.join("cut.pcap"), &bytes).unwrap();
    let config = config(&dir, "read = \"cut.pcap\"", SAMPLE_PLUGINS);
    let report_path = dir.path.join("report.json");
    let out = run_host(&dir.path, &config_and_report(&config, &report_path));
    assert_eq!(out.code, Some(1), "{out}");
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("cut.pcap") && last.contains("offset"),
        "{out}"
    );
    assert_exit_lines(&out, 7);
    let report = read_report(&report_path);
    assert_eq!(report["capture"]["packets"], 7);
    assert_eq!(plugin_report(&report, "count")["packets"], 7);
    let log = std::fs::read_to_string(dir.path.join("log.jsonl")).expect("log written");
    assert_eq!(log.lines().count(), 7);
}

#[test]
fn a_capture_file_is_read_by_one_worker_whatever_workers_says() {
    let dir = TempDir::new("replay-workers");
    let frames = traffic();
    write_pcap(&dir.path.join("traffic.pcap"), &frames);
    let config = config(&dir, "read = \"traffic.pcap\"\nworkers = 4", SAMPLE_PLUGINS);
    let report_path = dir.path.join("report.json");
    let mut args = config_and_report(&config, &report_path).to_vec();
    args.extend_from_slice(&["--workers", "3"]);
    let out = run_host(&dir.path, &args);
    assert!(out.ok(), "{out}");
    assert!(
        out.stderr
            .contains("read in order by one worker: workers = 3 applies to live capture only"),
        "{out}"
    );
    assert_exit_lines(&out, 12);
    let report = read_report(&report_path);
    assert_eq!(plugin_report(&report, "count")["packets"], 12);
    // One worker: the log keeps its plain name.
    assert_eq!(plugin_report(&report, "log")["output"], "log.jsonl");
}

#[test]
fn a_reader_that_closes_the_log_pipe_ends_the_run_cleanly() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    // Far more text than a pipe and the log's buffer hold: the reader's
    // going away is seen long before the end of the file.
    let base = traffic();
    let total = 20_000usize;
    let frames: Vec<(u64, Vec<u8>)> = (0..total)
        .map(|i| {
            let (ts, frame) = &base[i % base.len()];
            (ts + i as u64 * 1_000_000, frame.clone())
        })
        .collect();
    let dir = TempDir::new("closed-pipe");
    let pcap = dir.path.join("many.pcap");
    write_pcap(&pcap, &frames);
    let plugins = "[[plugin]]\nname = \"count\"\npath = \"netraf_count\"\n\n\
                   [[plugin]]\nname = \"log\"\npath = \"netraf_log\"\n\n\
                   [[plugin]]\nname = \"broadcast\"\npath = \"netraf_broadcast\"\n";
    let config = config(&dir, "interface = \"any\"", plugins);
    let report_path = dir.path.join("report.json");
    let mut args = config_and_report(&config, &report_path).to_vec();
    args.extend(["-r", pcap.to_str().expect("UTF-8 path")]);
    let stderr_path = dir.path.join("stderr");
    let mut child = Command::new(super::util::host())
        .current_dir(&dir.path)
        .args(&args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
        .spawn()
        .expect("start netraf-host");
    // Like `| head -n 1`: one line, then the pipe is closed.
    let mut reader = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut first = String::new();
    reader.read_line(&mut first).expect("read the first line");
    drop(reader);
    assert!(
        first.contains(" ARP Request who-has 10.0.0.254 tell 10.0.0.1 len 42/42"),
        "{first:?}"
    );

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("netraf-host still running 60 s after its reader went away");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = Output {
        code: status.code(),
        stdout: first,
        stderr: std::fs::read_to_string(&stderr_path).unwrap_or_default(),
    };
    assert_eq!(out.code, Some(0), "a closed pipe is not a failure: {out}");
    assert!(!out.stderr.contains("disabled"), "{out}");
    assert!(
        out.stderr.contains("plugin 'log'") && out.stderr.contains("ended the run"),
        "{out}"
    );
    // It stopped early, and every plugin reported what it saw until then.
    let report = read_report(&report_path);
    let captured = report["capture"]["packets"].as_u64().expect("packets");
    assert!(
        captured > 0 && captured < total as u64,
        "{captured} of {total}: {out}"
    );
    assert_exit_lines(&out, captured);
    assert_eq!(plugin_report(&report, "count")["packets"], captured);
    // The log counts the lines the pipe took: at least the one read, and
    // none of those still in its buffer when the pipe closed.
    let lines = plugin_report(&report, "log")["lines"]
        .as_u64()
        .expect("lines");
    assert!(
        lines >= 1 && lines < captured,
        "{lines} of {captured}: {out}"
    );
    let broadcast = plugin_report(&report, "broadcast");
    assert!(broadcast["broadcast_frames"].as_u64().is_some(), "{report}");
    for name in ["count", "log", "broadcast"] {
        assert!(
            out.stderr
                .lines()
                .any(|l| l.starts_with(&format!("{name}: {{"))),
            "no report line for {name}: {out}"
        );
    }
}
