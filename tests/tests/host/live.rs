//! netraf-host capturing live on a veth pair between two network namespaces the test builds, with frames sent from the peer.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use netraf_tests::netns::VethPair;
use netraf_tests::require_netns;
use serde_json::Value;

use super::frames::{assert_traffic_counts, traffic};
use super::replay::{plugin_report, read_report};
use super::util::{config_and_report, host, Output, TempDir};

/// netraf-host running in the background, killed on drop if still running.
pub(super) struct Running {
    child: Child,
    dir: PathBuf,
}

impl Running {
    pub(super) fn start(dir: &TempDir, args: &[&str]) -> Running {
        let child = Command::new(host())
            .current_dir(&dir.path)
            .args(args)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path.join("stdout")).expect("stdout file"))
            .stderr(std::fs::File::create(dir.path.join("stderr")).expect("stderr file"))
            .spawn()
            .expect("start netraf-host");
        Running {
            child,
            dir: dir.path.clone(),
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr")).unwrap_or_default()
    }

    /// Waits (bounded) until the host says it captures.
    pub(super) fn wait_capturing(&mut self) {
        let started = Instant::now();
        while !self.stderr().contains("capturing from") {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "netraf-host ended ({status}) before capturing:\n{}",
                    self.stderr()
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "netraf-host never started:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` and waits (bounded) for the end.
    pub(super) fn signal_and_wait(mut self, signal: i32) -> Output {
        let pid = i32::try_from(self.child.id()).expect("pid fits");
        // SAFETY: kill(2) on our own child's pid, which has not been reaped
        // yet (we hold its Child), with a valid signal number.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::kill(pid, signal) };
        assert_eq!(rc, 0, "kill: {}", std::io::Error::last_os_error());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "netraf-host ignored signal {signal}:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Output {
            code: status.code(),
            stdout: std::fs::read_to_string(self.dir.join("stdout")).unwrap_or_default(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A config capturing on the pair's capture side (interface and namespace
/// from the config file, as a user would write them).
fn live_config(dir: &TempDir, pair: &VethPair, plugins: &str) -> PathBuf {
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
        "[[plugin]]\nname = \"rec\"\npath = \"netraf_testkit\"\n[plugin.config]\nmode = \"record\"\n",
    );
    let report_path = dir.path.join("report.json");
    let mut host = Running::start(&dir, &config_and_report(&config, &report_path));
    host.wait_capturing();
    // Nothing crosses the link: ticks come from the wall clock.
    std::thread::sleep(Duration::from_millis(2_600));
    let out = host.signal_and_wait(libc::SIGINT);
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
    assert!((1..=3).contains(&ticks), "{rec}");
}
