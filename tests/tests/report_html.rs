//! `--report-html` in a real browser: a corpus file replayed through count, broadcast and flow, the page rendered by headless Chromium, and what it shows checked against `--report-json`.
//!
//! Chromium loads the page with no network and logs the page's console
//! messages on standard error: a page that asks for anything or raises an
//! error fails here. The rendered DOM (`--dump-dom`) is read through the
//! page's stable ids and `data-value` attributes, and a screenshot must be
//! a real image.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use netraf_tests::corpus;
use netraf_tests::files::tool_available;
use serde_json::Value;

use crate::host::replay::{plugin_report, read_report};
use crate::host::util::{run_bounded, run_host, workspace_dir, Output, TempDir};

/// The corpus file: IPv4 and IPv6, TCP, UDP and ICMP, a broadcast frame;
/// two captures years apart, so that count's timeline widens its buckets
/// many times.
const FILE: &str = "example2.pcap";

/// Runs headless Chromium on `page` with `mode` (`--dump-dom` or
/// `--screenshot=...`), killed after 60 s.
fn chromium(dir: &TempDir, page: &Path, mode: &str) -> Output {
    let mut command = Command::new("chromium");
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,2000",
    ]);
    command
        .arg(format!(
            "--user-data-dir={}",
            dir.path.join("chromium-profile").display()
        ))
        .arg(mode)
        .arg(format!("file://{}", page.display()));
    let out = run_bounded(command, Duration::from_secs(60));
    assert!(out.ok(), "chromium {mode}: {out}");
    out
}

/// Runs netraf-host in `dir` with the shipped configs/report.toml (count,
/// broadcast and flow) on `file`, writing
/// the JSON report to `json` and the HTML report to `html`.
fn run_report(dir: &TempDir, file: &Path, json: &Path, html: &Path) -> Output {
    let config = workspace_dir().join("configs/report.toml");
    let text = |p: &Path| p.to_str().expect("UTF-8 path").to_string();
    let args = [
        "--config".to_string(),
        text(&config),
        "-r".into(),
        text(file),
        "--report-json".into(),
        text(json),
        "--report-html".into(),
        text(html),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_host(&dir.path, &args)
}

/// The tag of the element whose `id` is `id`, as the DOM dump has it.
fn element<'a>(dom: &'a str, id: &str) -> &'a str {
    let at = dom
        .find(&format!(" id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id} in the rendered page"));
    let start = dom[..at].rfind('<').expect("a tag start");
    let end = at + dom[at..].find('>').expect("a tag end");
    &dom[start..=end]
}

/// Attribute `name` of `tag`.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let from = tag.find(&key)? + key.len();
    Some(&tag[from..from + tag[from..].find('"')?])
}

/// `data-value` of the element `#id` as a number.
fn shown_number(dom: &str, id: &str) -> u64 {
    let tag = element(dom, id);
    attribute(tag, "data-value")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("#{id} has no numeric data-value: {tag}"))
}

#[test]
fn the_html_report_renders_in_chromium_with_the_json_reports_numbers() {
    let Some(corpus) = corpus::dir() else { return };
    if !tool_available("chromium") {
        return;
    }
    let dir = TempDir::new("report-html");
    let (json, html) = (dir.path.join("report.json"), dir.path.join("report.html"));
    let out = run_report(&dir, &corpus.join("pcap").join(FILE), &json, &html);
    assert!(out.ok(), "{out}");
    let report: Value = read_report(&json);

    let dump = chromium(&dir, &html, "--dump-dom");
    // The page has no script and fetches nothing: any console message or
    // failed load is a defect.
    let complaints: Vec<&str> = dump
        .stderr
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Failed to load") || l.contains("net::ERR"))
        .collect();
    assert!(complaints.is_empty(), "browser complaints: {complaints:#?}");
    let dom = dump.stdout;
    assert!(dom.contains("netraf traffic report"), "{dom}");

    // The totals shown are the JSON report's.
    let capture = &report["capture"];
    for (id, key) in [
        ("total-packets", "packets"),
        ("total-bytes", "bytes"),
        ("drops", "dropped"),
    ] {
        let want = capture[key].as_u64().expect("a capture total");
        assert_eq!(shown_number(&dom, id), want, "#{id} vs capture.{key}");
    }
    assert!(capture["packets"].as_u64() > Some(1000), "{capture}");
    let flow = plugin_report(&report, "flow");
    assert_eq!(
        shown_number(&dom, "flows"),
        flow["flows"].as_u64().expect("flows")
    );
    assert!(flow["flows"].as_u64() > Some(10), "{flow}");
    let talker = flow["top_hosts_by_bytes"][0]["host"]
        .as_str()
        .expect("a top talker");
    let tag = element(&dom, "top-talker");
    assert_eq!(attribute(tag, "data-value"), Some(talker), "{tag}");
    assert!(
        dom.contains(&format!("{tag}{talker}</strong>")),
        "the top talker is shown: {tag}"
    );
    let broadcast = plugin_report(&report, "broadcast");
    assert_eq!(
        shown_number(&dom, "broadcast-frames"),
        broadcast["broadcast_frames"]
            .as_u64()
            .expect("broadcast frames")
    );

    // The IO graph: one point per bucket of count's timeline, in both series.
    let timeline = &plugin_report(&report, "count")["timeline"];
    let buckets = timeline["packets"].as_array().expect("timeline").len();
    assert!(buckets > 10, "{timeline}");
    let graph = element(&dom, "io-graph");
    assert_eq!(
        attribute(graph, "data-buckets"),
        Some(buckets.to_string().as_str())
    );
    for series in ["packets", "bytes"] {
        let path = format!("<path class=\"series {series}\" data-points=\"{buckets}\" d=\"M");
        assert!(
            dom.contains(&path),
            "no {series} series of {buckets} points"
        );
    }
    let sum: u64 = timeline["packets"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(Value::as_u64)
        .sum();
    assert_eq!(Some(sum), capture["packets"].as_u64(), "{timeline}");
    // Bars of the protocol mix and of the top hosts.
    for id in ["network-mix", "transport-mix", "top-hosts-chart"] {
        let from = dom
            .find(&format!("id=\"{id}\""))
            .unwrap_or_else(|| panic!("no #{id}"));
        let chart = &dom[from..from + dom[from..].find("</svg>").expect("end of svg")];
        assert!(chart.contains("<rect class=\"bar\""), "#{id} has no bars");
    }

    // And it draws: a screenshot of some size (a blank page is a few kB).
    let png = dir.path.join("report.png");
    chromium(&dir, &html, &format!("--screenshot={}", png.display()));
    let image = std::fs::read(&png).expect("the screenshot");
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(image.len() > 50_000, "{} bytes: a blank page?", image.len());
}

/// The HTML file cannot be written: the run says so, naming it, fails, and
/// the JSON report is written all the same; a link at its path is refused
/// before the capture starts.
#[test]
fn an_html_report_that_cannot_be_written_loses_nothing_else() {
    use crate::host::frames::{traffic, write_pcap};
    let dir = TempDir::new("report-html-fail");
    let pcap = dir.path.join("traffic.pcap");
    write_pcap(&pcap, &traffic());
    let (json, html) = (
        dir.path.join("report.json"),
        dir.path.join("no-such-folder/report.html"),
    );
    let out = run_report(&dir, &pcap, &json, &html);
    assert_eq!(out.code, Some(1), "{out}");
    let want = format!("cannot write the HTML report to {}", html.display());
    assert!(out.stderr.contains(&want), "want {want:?} in {out}");
    assert_eq!(read_report(&json)["capture"]["packets"], 12, "{out}");

    let link = dir.path.join("link.html");
    std::os::unix::fs::symlink(&pcap, &link).expect("a link");
    let out = run_report(&dir, &pcap, &json, &link);
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("--report-html: "), "{out}");
    assert!(out.stderr.contains("symbolic link"), "{out}");
}
