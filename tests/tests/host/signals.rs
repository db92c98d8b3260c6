//! Signals and stalled inputs through the built host: every terminating signal ends a replay cleanly with reports and complete logs, SIGUSR1 prints the reports while the run goes on, and SIGINT or `--duration` end a replay whose pipe or FIFO sends nothing.

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use netraf_tests::files::{run_tool, tool_available};
use netraf_tests::netns::VethPair;
use netraf_tests::require_netns;
use serde_json::Value;

use super::frames::{pcap_bytes, traffic};
use super::live::{live_config, many_flows};
use super::replay::{plugin_report, read_report, SAMPLE_PLUGINS};
use super::running::{Running, LIMIT};
use super::util::{config_and_report, Output, TempDir};

/// With the sample plugins (count, broadcast, a JSON log), a pcapng log:
/// the reports to check and two files that a killed process would leave cut.
const PCAPNG_LOG: &str = r#"
[[plugin]]
name = "pcap"
path = "netraf_log"
[plugin.config]
output = "log.pcapng"
format = "pcapng"
"#;

/// netraf-host replaying `-r -` from a pipe the test holds open (so that the
/// input stalls after what the test wrote), or `-r PATH`, with its folder and
/// report; killed on drop.
struct Replay {
    run: Running,
    dir: TempDir,
    report: PathBuf,
}

impl Replay {
    /// Starts the host on `input` (`-` for the test's pipe) with `extra` arguments.
    fn start(tag: &str, input: &str, extra: &[&str]) -> Replay {
        let dir = TempDir::new(tag);
        let config = dir.write(
            "host.toml",
            &format!("[capture]\ninterface = \"any\"\n{SAMPLE_PLUGINS}{PCAPNG_LOG}"),
        );
        Replay::start_in(dir, &config, input, extra)
    }

    fn start_in(dir: TempDir, config: &Path, input: &str, extra: &[&str]) -> Replay {
        let report = dir.path.join("report.json");
        let mut args = config_and_report(config, &report).to_vec();
        args.extend_from_slice(&["-r", input]);
        args.extend_from_slice(extra);
        let run = if input == "-" {
            Running::start_piped(&dir, &args)
        } else {
            Running::start(&dir, &args)
        };
        Replay { run, dir, report }
    }
}

impl Deref for Replay {
    type Target = Running;

    fn deref(&self) -> &Running {
        &self.run
    }
}

impl DerefMut for Replay {
    fn deref_mut(&mut self) -> &mut Running {
        &mut self.run
    }
}

/// tcpdump's exit lines for `n` packets are the last three lines (before any
/// later log line) of `stderr`.
fn assert_final_lines(out: &Output, n: u64) {
    let want = [
        format!("{n} packets captured"),
        format!("{n} packets received by filter"),
        "0 packets dropped by kernel".to_string(),
    ];
    let lines: Vec<&str> = out.stderr.lines().collect();
    let at = lines
        .iter()
        .rposition(|l| l.ends_with("packets captured"))
        .unwrap_or_else(|| panic!("no exit lines: {out}"));
    assert_eq!(lines[at..at + 3], want, "{out}");
    for name in ["count", "broadcast", "log", "pcap"] {
        assert!(
            lines[..at]
                .iter()
                .any(|l| l.starts_with(&format!("{name}: {{"))),
            "no report line for {name}: {out}"
        );
    }
}

/// A clean end after `n` packets: exit 0, reports on standard error and in
/// the JSON report, a JSON log whose every line parses and a pcapng log that
/// netraf (and tshark, when installed) reads to its end.
fn assert_clean_end(run: &Replay, out: &Output, n: u64, check_tshark: bool) {
    assert_eq!(out.code, Some(0), "{out}");
    assert_final_lines(out, n);
    let report = read_report(&run.report);
    assert_eq!(report["capture"]["packets"], n, "{report}");
    assert_eq!(plugin_report(&report, "count")["packets"], n, "{report}");
    assert_eq!(plugin_report(&report, "log")["lines"], n, "{report}");
    assert!(
        plugin_report(&report, "broadcast")["broadcast_frames"].is_u64(),
        "{report}"
    );
    let log = std::fs::read_to_string(run.dir.path.join("log.jsonl")).expect("the JSON log");
    assert_eq!(log.lines().count() as u64, n, "{log}");
    for line in log.lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    }
    let pcapng = run.dir.path.join("log.pcapng");
    if n == 0 && !pcapng.exists() {
        return; // a capture file starts with its first packet
    }
    let mut session = mycap_core::Session::open_file(&pcapng).expect("open the pcapng log");
    let (got, end) = netraf_tests::collect::collect(&mut session, usize::MAX, LIMIT)
        .expect("the pcapng log reads to its end");
    assert_eq!(end, mycap_core::LoopEnd::Eof);
    assert_eq!(got.len() as u64, n);
    if check_tshark && tool_available("tshark") {
        let path = pcapng.to_str().expect("UTF-8 path");
        let text = run_tool("tshark", &["-r", path, "-T", "fields", "-e", "frame.len"]);
        assert_eq!(text.lines().count() as u64, n, "tshark read:\n{text}");
    }
}

/// Starts one replay per signal from a pipe holding the test traffic, kept
/// open; sends each its signal once it waits for more; checks clean ends.
fn end_replays_with(signals: &[(&str, i32)], check_tshark: bool) {
    let bytes = pcap_bytes(&traffic());
    let mut runs: Vec<(&str, i32, Replay)> = signals
        .iter()
        .map(|&(name, signal)| {
            let mut run = Replay::start(&format!("sig-{name}"), "-", &[]);
            run.feed(&bytes);
            (name, signal, run)
        })
        .collect();
    for (_, _, run) in &mut runs {
        run.wait_drained();
    }
    for (_, signal, run) in &mut runs {
        run.signal(*signal);
    }
    for (name, _, run) in &mut runs {
        let out = run.wait_end(Duration::from_secs(10));
        assert_eq!(out.code, Some(0), "{name}: {out}");
        assert_clean_end(run, &out, 12, check_tshark);
    }
}

#[test]
fn quit_user2_and_alarm_end_a_replay_with_reports_and_complete_logs() {
    end_replays_with(
        &[
            ("quit", libc::SIGQUIT),
            ("usr2", libc::SIGUSR2),
            ("alrm", libc::SIGALRM),
        ],
        true,
    );
}

#[test]
fn the_other_terminating_signals_end_a_replay_cleanly_too() {
    end_replays_with(
        &[
            ("stkflt", libc::SIGSTKFLT),
            ("xcpu", libc::SIGXCPU),
            ("xfsz", libc::SIGXFSZ),
            ("vtalrm", libc::SIGVTALRM),
            ("prof", libc::SIGPROF),
            ("io", libc::SIGIO),
            ("pwr", libc::SIGPWR),
            ("rtmin", libc::SIGRTMIN()),
            ("rtmin3", libc::SIGRTMIN() + 3),
            ("rtmax", libc::SIGRTMAX()),
        ],
        false,
    );
}

#[test]
fn user1_prints_the_reports_and_the_run_goes_on() {
    let frames = traffic();
    let bytes = pcap_bytes(&frames);
    // The pcap header and the first 5 records, then the other 7.
    let first: usize = 24 + frames[..5].iter().map(|(_, f)| 16 + f.len()).sum::<usize>();
    let mut run = Replay::start("sig-usr1", "-", &[]);
    run.feed(&bytes[..first]);
    run.wait_drained();
    run.signal(libc::SIGUSR1);
    run.wait_for("5 packets captured\n5 packets received by filter\n0 packets dropped by kernel\n");
    let said = run.stderr();
    assert!(
        said.lines()
            .any(|l| l.starts_with("count: {\"") && l.contains("\"packets\":5")),
        "no count report of 5 packets:\n{said}"
    );
    for name in ["broadcast", "log", "pcap"] {
        assert!(
            said.lines().any(|l| l.starts_with(&format!("{name}: {{"))),
            "no report line for {name}:\n{said}"
        );
    }
    // The run went on: it reads and reports the rest.
    run.feed(&bytes[first..]);
    run.wait_drained();
    run.signal(libc::SIGUSR1);
    run.wait_for("12 packets captured\n12 packets received by filter\n");
    run.signal(libc::SIGINT);
    let out = run.wait_end(Duration::from_secs(10));
    assert_clean_end(&run, &out, 12, false);
    assert_eq!(
        out.stderr.matches(" packets captured\n").count(),
        3,
        "two reports on request, one at the end: {out}"
    );
}

#[test]
fn sigint_ends_a_replay_whose_pipe_stalls_with_the_packets_read() {
    let mut run = Replay::start("stalled-int", "-", &[]);
    run.feed(&pcap_bytes(&traffic()));
    run.wait_drained();
    run.signal(libc::SIGINT);
    let out = run.wait_end(Duration::from_secs(5));
    assert_clean_end(&run, &out, 12, false);
}

#[test]
fn duration_ends_a_replay_whose_pipe_stalls_on_time() {
    let mut run = Replay::start("stalled-duration", "-", &["--duration", "1"]);
    let started = Instant::now();
    run.feed(&pcap_bytes(&traffic()));
    let out = run.wait_end(Duration::from_secs(6));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "ended after {took:?}: {out}"
    );
    assert_clean_end(&run, &out, 12, false);
}

#[test]
fn sigint_ends_a_replay_of_a_fifo_that_no_writer_opened() {
    let dir = TempDir::new("fifo-int");
    let fifo = dir.path.join("input.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("run mkfifo");
    assert!(made.success(), "mkfifo {}", fifo.display());
    let config = dir.write(
        "host.toml",
        &format!("[capture]\ninterface = \"any\"\n{SAMPLE_PLUGINS}{PCAPNG_LOG}"),
    );
    let fifo = fifo.to_str().expect("UTF-8 path").to_string();
    let mut run = Replay::start_in(dir, &config, &fifo, &[]);
    // Opening the FIFO does not wait for a writer: the capture starts.
    run.wait_for("capturing from");
    run.signal(libc::SIGINT);
    let out = run.wait_end(Duration::from_secs(5));
    assert_clean_end(&run, &out, 0, false);
}

#[test]
fn user1_with_two_workers_prints_one_merged_report_and_the_capture_goes_on() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let frames = many_flows(&pair);
    let n = frames.len();
    let dir = TempDir::new("usr1-workers");
    let config = live_config(
        &dir,
        &pair,
        "workers = 2\n[[plugin]]\nname = \"count\"\npath = \"netraf_count\"\n",
    );
    let report = dir.path.join("report.json");
    let mut host = Running::start(&dir, &config_and_report(&config, &report));
    host.wait_capturing();
    let injector = pair.peer_injector(&pair.link).expect("sender on the peer");
    for frame in &frames {
        injector.send(frame).expect("send a frame");
    }
    // Let the ring's block timeout hand the last frames over.
    std::thread::sleep(Duration::from_millis(500));
    host.signal(libc::SIGUSR1);
    host.wait_for(&format!(
        "{n} packets captured\n{n} packets received by filter\n"
    ));
    // One report for both workers, with the counts of both.
    std::thread::sleep(Duration::from_millis(200));
    let said = host.stderr();
    assert_eq!(said.matches(" packets captured\n").count(), 1, "{said}");
    let count: Vec<&str> = said.lines().filter(|l| l.starts_with("count: ")).collect();
    assert_eq!(count.len(), 1, "{said}");
    let value: Value = serde_json::from_str(&count[0]["count: ".len()..]).expect("JSON report");
    assert_eq!(value["packets"], n as u64, "{said}");
    let out = host.signal_and_wait(libc::SIGTERM);
    assert_eq!(out.code, Some(0), "{out}");
    assert_eq!(
        out.stderr.matches(" packets captured\n").count(),
        2,
        "{out}"
    );
    assert_eq!(read_report(&report)["capture"]["packets"], n as u64);
}
