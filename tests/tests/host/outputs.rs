//! Where the host and the log write: never through a symbolic link planted at an output path, and a folder that takes no files is refused before the first packet.

use std::path::{Path, PathBuf};

use super::frames::{traffic, write_pcap};
use super::replay::read_report;
use super::util::{config_and_report, run_host, Output, TempDir};

/// A file of someone else's that a planted link points at.
const PRECIOUS: &str = "owner's data\n";

/// `dir/host.toml`: a replay of `read` through count and a log of `format`
/// to `output`, with the log's `extra` config lines.
fn count_and_log(dir: &TempDir, read: &str, format: &str, output: &str, extra: &str) -> PathBuf {
    dir.write(
        "host.toml",
        &format!(
            "[capture]\nread = \"{read}\"\n\n[[plugin]]\nname = \"count\"\n\
             path = \"netraf_count\"\n\n[[plugin]]\nname = \"log\"\npath = \"netraf_log\"\n\
             [plugin.config]\nformat = \"{format}\"\noutput = \"{output}\"\n{extra}"
        ),
    )
}

/// A replay of the sample traffic with a log of `format` to `output`.
fn replay(dir: &TempDir, format: &str, output: &str, extra: &[&str]) -> Output {
    write_pcap(&dir.path.join("traffic.pcap"), &traffic());
    let config = count_and_log(dir, "traffic.pcap", format, output, "");
    let mut args = vec!["--config", config.to_str().expect("utf-8 path")];
    args.extend_from_slice(extra);
    run_host(&dir.path, &args)
}

/// A file with [`PRECIOUS`] and a link to it at `dir/name`.
fn plant(dir: &TempDir, name: &str) -> std::path::PathBuf {
    let target = dir.path.join("precious");
    std::fs::write(&target, PRECIOUS).expect("write the target");
    std::os::unix::fs::symlink(&target, dir.path.join(name)).expect("plant a link");
    target
}

fn assert_untouched(target: &Path) {
    let text = std::fs::read_to_string(target).expect("the target is still there");
    assert_eq!(text, PRECIOUS, "the link's target was written");
}

#[test]
fn a_link_planted_at_the_report_path_is_refused_and_its_target_untouched() {
    let dir = TempDir::new("link-report");
    let target = plant(&dir, "report.json");
    let report = dir.path.join("report.json");
    let out = replay(
        &dir,
        "json",
        "log.jsonl",
        &["--report-json", report.to_str().expect("utf-8 path")],
    );
    assert_eq!(out.code, Some(2), "{out}");
    assert!(out.stderr.contains("is a symbolic link"), "{out}");
    assert!(out.stderr.contains("report.json"), "{out}");
    assert_untouched(&target);
}

#[test]
fn a_link_planted_at_a_log_path_is_refused_and_its_target_untouched() {
    for (format, name) in [
        ("text", "log.txt"),
        ("json", "log.jsonl"),
        ("pcap", "log.pcap"),
        ("pcapng", "log.pcapng"),
    ] {
        let dir = TempDir::new("link-log");
        let target = plant(&dir, name);
        let out = replay(&dir, format, name, &[]);
        assert_eq!(out.code, Some(2), "{format}: {out}");
        assert!(out.stderr.contains("is a symbolic link"), "{format}: {out}");
        assert_untouched(&target);
    }
}

/// Without a link the same runs write their files and report.
#[test]
fn the_same_paths_without_links_are_written() {
    let dir = TempDir::new("link-none");
    let report_path = dir.path.join("report.json");
    write_pcap(&dir.path.join("traffic.pcap"), &traffic());
    let config = dir.write(
        "host.toml",
        "[capture]\nread = \"traffic.pcap\"\n\n[[plugin]]\nname = \"log\"\n\
         path = \"netraf_log\"\n[plugin.config]\nformat = \"pcapng\"\noutput = \"log.pcapng\"\n",
    );
    let out = run_host(&dir.path, &config_and_report(&config, &report_path));
    assert!(out.ok(), "{out}");
    assert_eq!(read_report(&report_path)["capture"]["packets"], 12);
    assert!(std::fs::metadata(dir.path.join("log.pcapng")).is_ok_and(|m| m.len() > 0));
    // No temporary file is left beside the report.
    let left: Vec<String> = std::fs::read_dir(&dir.path)
        .expect("read the folder")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// A capture-file log opens its first file at the first packet: a folder
/// that takes no files must be found at start, once.
#[test]
fn a_capture_log_folder_that_takes_no_files_is_refused_at_start() {
    // Root, as the namespace tests: a read-only bind mount stops even root.
    netraf_tests::require_netns!();
    let dir = TempDir::new("ro-folder");
    let folder = dir.path.join("ro");
    std::fs::create_dir_all(&folder).expect("folder");
    let _ro = ReadOnlyMount::new(&folder);
    for format in ["pcap", "pcapng"] {
        let out = replay(&dir, format, "ro/log.pcap", &[]);
        assert_eq!(out.code, Some(2), "{format}: {out}");
        let lines = out
            .stderr
            .lines()
            .filter(|l| l.contains("cannot create files in folder"))
            .count();
        assert_eq!(lines, 1, "{format}: {out}");
        assert!(
            out.stderr.contains("Read-only file system"),
            "{format}: {out}"
        );
        assert!(!out.stderr.contains("packets captured"), "{format}: {out}");
    }
}

/// `folder` bind-mounted read-only onto itself, unmounted on drop.
struct ReadOnlyMount<'a>(&'a Path);

impl<'a> ReadOnlyMount<'a> {
    fn new(folder: &'a Path) -> ReadOnlyMount<'a> {
        let path = folder.to_str().expect("utf-8 path");
        let ok = |args: &[&str]| {
            std::process::Command::new("mount")
                .args(args)
                .status()
                .is_ok_and(|s| s.success())
        };
        assert!(ok(&["--bind", path, path]), "bind mount {path}");
        let mount = ReadOnlyMount(folder);
        assert!(
            ok(&["-o", "remount,bind,ro", path]),
            "remount {path} read-only"
        );
        mount
    }
}

impl Drop for ReadOnlyMount<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.0).status();
    }
}

/// Packets in a capture file as MYCAP reads it (a file cut by a full disk
/// counts the packets before the cut).
fn packets_in(path: &Path) -> u64 {
    let Ok(mut session) = mycap_core::Session::open_file(path) else {
        return 0;
    };
    let mut n = 0;
    let _ = session.run(
        &mut |_: &mycap_core::PacketHeader<'_>, _: &[u8]| -> mycap_core::Verdict {
            n += 1;
            mycap_core::Verdict::Continue
        },
    );
    n
}

/// A disk that fills up mid-run: the log's report says what reached its
/// files, not what went into its buffers.
#[test]
fn on_a_full_disk_the_log_reports_what_its_files_hold() {
    netraf_tests::require_netns!();
    let dir = TempDir::new("full-disk");
    let frames: Vec<(u64, Vec<u8>)> = (0..3000u64)
        .map(|i| {
            let frame =
                super::frames::ipv4_udp(super::frames::mac(9), (i % 7) as u8, (1000, 53), 60);
            (1_700_000_000_000_000_000 + i * 1_000_000, frame)
        })
        .collect();
    write_pcap(&dir.path.join("many.pcap"), &frames);
    let folder = dir.path.join("full");
    std::fs::create_dir_all(&folder).expect("folder");
    let _full = SmallDisk::new(&folder, "64k");
    for (format, output, extra) in [
        (
            "pcapng",
            "full/log.pcapng",
            "max_bytes = 20000\nkeep = 100\n",
        ),
        ("pcap", "full/log.pcap", ""),
        ("json", "full/log.jsonl", ""),
    ] {
        for entry in std::fs::read_dir(&folder).expect("read the disk") {
            std::fs::remove_file(entry.expect("entry").path()).expect("empty the disk");
        }
        let config = count_and_log(&dir, "many.pcap", format, output, extra);
        let report_path = dir.path.join("report.json");
        let out = run_host(&dir.path, &config_and_report(&config, &report_path));
        assert_eq!(out.code, Some(1), "{format}: the log was disabled: {out}");
        assert!(
            out.stderr.contains("No space left on device"),
            "{format}: {out}"
        );
        let report = read_report(&report_path);
        assert_eq!(
            super::replay::plugin_report(&report, "count")["packets"],
            3000
        );
        let log = super::replay::plugin_report(&report, "log");
        let files: Vec<std::path::PathBuf> = std::fs::read_dir(&folder)
            .expect("read the disk")
            .map(|e| e.expect("entry").path())
            .collect();
        let (reported, held) = if format == "json" {
            let text = std::fs::read(folder.join("log.jsonl")).expect("the log");
            let lines = text.iter().filter(|&&b| b == b'\n').count() as u64;
            (log["lines"].as_u64(), lines)
        } else {
            let held = files.iter().map(|f| packets_in(f)).sum();
            (log["packets"].as_u64(), held)
        };
        assert!(
            held > 0 && held < 3000,
            "{format}: {held} packets on the disk"
        );
        assert_eq!(
            reported,
            Some(held),
            "{format}: {log} vs the files {files:?}"
        );
        let bytes: u64 = files
            .iter()
            .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
            .sum();
        assert_eq!(log["bytes"].as_u64(), Some(bytes), "{format}: {log}");
    }
}

/// A tmpfs of `size` mounted on `folder`, unmounted on drop.
struct SmallDisk<'a>(&'a Path);

impl<'a> SmallDisk<'a> {
    fn new(folder: &'a Path, size: &str) -> SmallDisk<'a> {
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "netraf-test"])
            .arg(folder)
            .status();
        assert!(status.is_ok_and(|s| s.success()), "mount a tmpfs");
        SmallDisk(folder)
    }
}

impl Drop for SmallDisk<'_> {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(self.0).status();
    }
}
