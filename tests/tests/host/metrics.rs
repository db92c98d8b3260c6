//! The metrics endpoint of netraf-host: scraped during a live capture on a veth pair, checked by promtool, held up by clients that never send or never read, and its config and bind errors.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use netraf_tests::netns::VethPair;
use netraf_tests::require_netns;

use super::frames::{traffic, write_pcap};
use super::live::live_config;
use super::replay::SAMPLE_PLUGINS;
use super::running::{Running, LIMIT};
use super::util::{run_host, TempDir};

/// The plugins of [`SAMPLE_PLUGINS`], as the `plugin` label names them.
const PLUGINS: [&str; 3] = ["count", "broadcast", "log"];

/// Starts the host live on the pair with the sample plugins and the
/// endpoint on a port the kernel picks; the host and the endpoint's address.
fn start_with_metrics(dir: &TempDir, pair: &VethPair) -> (Running, SocketAddr) {
    let config = live_config(dir, pair, SAMPLE_PLUGINS);
    let config = config.to_str().expect("a UTF-8 path");
    let mut host = Running::start(dir, &["--config", config, "--metrics", "127.0.0.1:0"]);
    host.wait_capturing();
    host.wait_for("/metrics");
    let stderr = host.stderr();
    let address = stderr
        .split("metrics on http://")
        .nth(1)
        .and_then(|rest| rest.split("/metrics").next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no endpoint address in:\n{stderr}"));
    (host, address)
}

/// `GET path` with a bounded wait: the status line and the body.
fn get(address: SocketAddr, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect_timeout(&address, LIMIT).expect("connect to the endpoint");
    stream.set_read_timeout(Some(LIMIT)).expect("read timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of header in {response:?}"));
    let status = head.lines().next().unwrap_or_default().to_string();
    assert!(
        head.lines()
            .any(|l| l.eq_ignore_ascii_case("connection: close")),
        "{head}"
    );
    (status, body.to_string())
}

/// A scrape's text.
fn scrape(address: SocketAddr) -> String {
    let (status, body) = get(address, "/metrics");
    assert_eq!(status, "HTTP/1.0 200 OK", "{body}");
    body
}

/// The sum of a family's series whose labels contain `labels` (a
/// `key="value"` list, or empty for every series).
fn sum(text: &str, name: &str, labels: &str) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (family, rest) = series.split_once('{').unwrap_or((series, ""));
            (family == name && rest.contains(labels)).then(|| value.parse::<f64>().ok())?
        })
        .sum()
}

/// Scrapes until `done` holds for a scrape's text (bounded); that text.
fn scrape_until(address: SocketAddr, what: &str, done: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let text = scrape(address);
        if done(&text) {
            return text;
        }
        assert!(started.elapsed() < LIMIT, "never {what}:\n{text}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Scrapes until `netraf_packets_received_total` reaches `want` (bounded);
/// the last scrape's text.
fn scrape_until_received(address: SocketAddr, want: f64) -> String {
    scrape_until(address, &format!("{want} received"), |text| {
        sum(text, "netraf_packets_received_total", "") >= want
    })
}

/// Sends the known traffic `rounds` times from the peer; the frames sent.
fn send_rounds(pair: &VethPair, rounds: usize) -> usize {
    let injector = pair.peer_injector(&pair.link).expect("sender on the peer");
    let frames = traffic();
    for _ in 0..rounds {
        for (_, frame) in &frames {
            injector.send(frame).expect("send a frame");
        }
    }
    rounds * frames.len()
}

/// Checks family `name`'s series with labels `base` and `key` = each value
/// of `want`, against its number.
fn assert_series(text: &str, name: &str, base: &str, key: &str, want: &[(&str, f64)]) {
    for (value, n) in want {
        let labels = format!("{base},{key}=\"{value}\"");
        assert_eq!(sum(text, name, &labels), *n, "{name}{{{labels}}}:\n{text}");
    }
}

/// Checks that every plugin of [`PLUGINS`] was handed `sent` packets.
fn assert_every_plugin_saw(text: &str, sent: f64) {
    for plugin in PLUGINS {
        let labels = format!("plugin=\"{plugin}\"");
        assert_eq!(
            sum(text, "netraf_plugin_packets_total", &labels),
            sent,
            "{plugin}:\n{text}"
        );
    }
}

/// Ends the host (SIGTERM) and checks it exits cleanly having captured `sent` frames.
fn stop_having_captured(host: Running, sent: usize) {
    let out = host.signal_and_wait(libc::SIGTERM);
    assert_eq!(out.code, Some(0), "{out}");
    assert!(
        out.stderr
            .lines()
            .any(|l| l == format!("{sent} packets captured")),
        "{out}"
    );
}

#[test]
fn a_scrape_during_a_live_capture_counts_every_frame_sent() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("metrics-live");
    let (mut host, address) = start_with_metrics(&dir, &pair);
    let frames = send_rounds(&pair, 20);
    let sent = frames as f64;
    scrape_until_received(address, sent);
    // Settled: a second later it is still the count sent.
    std::thread::sleep(Duration::from_millis(1200));
    let text = scrape(address);
    assert_eq!(
        sum(&text, "netraf_packets_received_total", ""),
        sent,
        "{text}"
    );
    assert!(
        sum(&text, "netraf_bytes_received_total", "") > sent * 40.0,
        "{text}"
    );
    assert_eq!(
        sum(&text, "netraf_packets_dropped_total", ""),
        0.0,
        "{text}"
    );
    for plugin in PLUGINS {
        let labels = format!("plugin=\"{plugin}\"");
        assert_eq!(sum(&text, "netraf_plugin_errors_total", &labels), 0.0);
        assert_eq!(sum(&text, "netraf_plugin_disabled", &labels), 0.0);
        assert!(text.contains(&format!("netraf_plugin_seconds_total{{{labels}}} ")));
    }
    assert_every_plugin_saw(&text, sent);
    // The plugins' own metrics (plugin-api's attach), published on their
    // ticks: the count plugin's by network protocol, the broadcast plugin's
    // by protocol; the 20 rounds of the known traffic.
    let count = "plugin=\"count\"";
    let text = scrape_until(
        address,
        "the count plugin's metrics at the frames sent",
        |t| sum(t, "netraf_count_network_packets_total", count) == sent,
    );
    let networks = [
        ("arp", 100.0),
        ("ipv4", 100.0),
        ("ipv6", 40.0),
        ("other", 0.0),
    ];
    assert_series(
        &text,
        "netraf_count_network_packets_total",
        count,
        "network",
        &networks,
    );
    assert_eq!(
        sum(&text, "netraf_count_broadcast_packets_total", count),
        120.0
    );
    let broadcast = "plugin=\"broadcast\"";
    let protocols = [("arp", 100.0), ("dhcp", 20.0), ("netbios", 0.0)];
    assert_series(
        &text,
        "netraf_broadcast_frames_total",
        broadcast,
        "protocol",
        &protocols,
    );
    assert_eq!(
        sum(&text, "netraf_broadcast_sources", broadcast),
        3.0,
        "{text}"
    );
    assert!(
        text.contains("# TYPE netraf_broadcast_sources gauge"),
        "{text}"
    );
    assert!(
        text.contains("# HELP netraf_broadcast_storms_total "),
        "{text}"
    );
    assert!(text.contains("netraf_build_info{version=\""), "{text}");
    assert!(sum(&text, "process_resident_memory_bytes", "") > 0.0);
    assert!(sum(&text, "process_start_time_seconds", "") > 1.6e9);
    assert_eq!(get(address, "/").0, "HTTP/1.0 404 Not Found");
    assert_eq!(sum(&text, "netraf_reloads_total", ""), 0.0, "{text}");

    // A reload's chain goes on with its plugins' counters.
    host.signal(libc::SIGHUP);
    host.wait_for("every worker runs generation 1");
    let frames = frames + send_rounds(&pair, 1);
    let sent = frames as f64;
    scrape_until_received(address, sent);
    // The plugins' counts are published on their chain's ticks.
    let text = scrape_until(address, "every plugin's count at the frames sent", |t| {
        PLUGINS
            .iter()
            .all(|p| sum(t, "netraf_plugin_packets_total", &format!("plugin=\"{p}\"")) == sent)
    });
    assert_eq!(
        sum(&text, "netraf_reloads_total", "result=\"applied\""),
        1.0,
        "{text}"
    );
    assert_eq!(
        sum(&text, "netraf_reloads_total", "result=\"refused\""),
        0.0
    );
    assert_every_plugin_saw(&text, sent);
    stop_having_captured(host, frames);
}

/// Whether `promtool` runs: skips (printing why) without it, fails when `CI=true`.
fn promtool_available() -> bool {
    let runs = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !runs {
        let reason = "`promtool` is not installed (apt-get install prometheus)";
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
        eprintln!("skipping: {reason}");
    }
    runs
}

#[test]
fn promtool_accepts_the_scraped_text() {
    if !promtool_available() {
        return;
    }
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("metrics-promtool");
    let (host, address) = start_with_metrics(&dir, &pair);
    let sent = send_rounds(&pair, 2) as f64;
    let text = scrape_until_received(address, sent);
    let scraped = dir.write("scraped.txt", &text);
    let out = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(&scraped).expect("the scraped text"))
        .output()
        .expect("run promtool");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics ({}):\n{}{}\n--- scraped:\n{text}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    drop(host);
}

#[test]
fn clients_that_never_send_or_never_read_stall_neither_capture_nor_scrapes() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let dir = TempDir::new("metrics-slow");
    let (host, address) = start_with_metrics(&dir, &pair);
    // Two that connect and say nothing, one that asks and never reads.
    let silent: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(address).expect("connect"))
        .collect();
    let mut deaf = TcpStream::connect(address).expect("connect");
    deaf.write_all(b"GET /metrics HTTP/1.1\r\n\r\n")
        .expect("ask");
    let sent = send_rounds(&pair, 20);
    // Capture goes on meanwhile: a scrape answers once the endpoint has
    // given up on the others (2 s each), with every frame counted.
    let started = Instant::now();
    let text = scrape_until_received(address, sent as f64);
    assert!(started.elapsed() < LIMIT);
    assert_eq!(sum(&text, "netraf_packets_received_total", ""), sent as f64);
    stop_having_captured(host, sent);
    drop((silent, deaf));
}

#[test]
fn a_bad_listen_value_is_named_at_its_line_and_a_port_in_use_is_refused() {
    let dir = TempDir::new("metrics-errors");
    let config = dir.write(
        "bad.toml",
        "[capture]\ninterface = \"lo\"\n\n[metrics]\nlisten = \"localhost\"\n",
    );
    let out = run_host(
        &dir.path,
        &["--config", config.to_str().unwrap(), "--check-config"],
    );
    assert_eq!(out.code, Some(2), "{out}");
    assert!(
        out.stderr.contains(&format!(
            "{}:5: key `listen`: 'localhost' is not an address",
            config.display()
        )),
        "{out}"
    );

    let taken = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = taken.local_addr().expect("its address").to_string();
    let pcap = dir.path.join("t.pcap");
    write_pcap(&pcap, &traffic());
    let out = run_host(
        &dir.path,
        &[
            "-r",
            pcap.to_str().unwrap(),
            "-w",
            "out.pcap",
            "--metrics",
            &port,
        ],
    );
    assert!(!out.ok(), "{out}");
    assert!(
        out.stderr
            .contains(&format!("cannot listen for metrics on {port}: ")),
        "{out}"
    );
    assert!(
        !dir.path.join("out.pcap").exists(),
        "nothing captured: {out}"
    );
}
