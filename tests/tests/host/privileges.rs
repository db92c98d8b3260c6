//! netraf-host dropping root's privileges once the capture is open (`-Z USER`, `[capture] user`): ids, groups and capabilities while it runs, who owns the plugins' files, an unknown user, the note when it stays root.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use netraf_host::privileges::User;
use netraf_tests::netns::VethPair;
use netraf_tests::require_netns;

use super::frames::{traffic, write_pcap};
use super::live::{live_config, send_and_stop};
use super::replay::{plugin_report, read_report, SAMPLE_PLUGINS};
use super::running::Running;
use super::util::{config_and_report, run_host, Output, TempDir};

/// The line that says a capture by root goes on as root.
const AS_ROOT: &str = "capturing as root: -Z USER";

/// `nobody`, as the user database has it.
fn nobody() -> User {
    User::lookup("nobody").expect("user nobody exists")
}

/// A test folder that `user` may write to (the host creates the plugins'
/// files and the report in it once it runs as that user).
fn folder_for(tag: &str, user: &User) -> TempDir {
    let dir = TempDir::new(tag);
    std::os::unix::fs::chown(&dir.path, Some(user.uid), Some(user.gid)).expect("chown folder");
    dir
}

/// The value of `key` in `/proc/PID/status`.
fn status_field(pid: u32, key: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the host's status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .unwrap_or_else(|| panic!("no {key} in {status}"))
        .trim()
        .to_string()
}

fn owner(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .uid()
}

fn log_lines(dir: &TempDir) -> usize {
    std::fs::read_to_string(dir.path.join("log.jsonl"))
        .expect("log written")
        .lines()
        .count()
}

/// Live on a veth pair with `args`: while it runs the host is `nobody`
/// with no supplementary group and no capability, yet captures every frame
/// the peer sends; the log and the report belong to `nobody`.
fn live_run_as_nobody(tag: &str, user_in_config: bool, args: &[&str]) {
    let user = nobody();
    let pair = VethPair::new().expect("veth pair");
    let dir = folder_for(tag, &user);
    let plugins = if user_in_config {
        // `user` belongs to [capture], which live_config opens.
        format!("user = \"nobody\"\n{SAMPLE_PLUGINS}")
    } else {
        SAMPLE_PLUGINS.to_string()
    };
    let config = live_config(&dir, &pair, &plugins);
    let report_path = dir.path.join("report.json");
    let mut all: Vec<&str> = config_and_report(&config, &report_path).to_vec();
    all.extend_from_slice(args);
    let mut host = Running::start(&dir, &all);
    host.wait_capturing();

    let pid = host.pid();
    let (uid, gid) = (user.uid.to_string(), user.gid.to_string());
    assert_eq!(
        status_field(pid, "Uid")
            .split_whitespace()
            .collect::<Vec<_>>(),
        [uid.as_str(); 4]
    );
    assert_eq!(
        status_field(pid, "Gid")
            .split_whitespace()
            .collect::<Vec<_>>(),
        [gid.as_str(); 4]
    );
    assert_eq!(status_field(pid, "Groups"), "");
    assert_eq!(status_field(pid, "CapEff"), "0000000000000000");
    assert_eq!(status_field(pid, "CapPrm"), "0000000000000000");
    assert_eq!(status_field(pid, "CapAmb"), "0000000000000000");
    assert_eq!(status_field(pid, "NoNewPrivs"), "1");
    // The log plugin was constructed after the switch.
    assert_eq!(owner(&dir.path.join("log.jsonl")), user.uid);

    let frames = traffic();
    let out = send_and_stop(&pair, host, &frames);
    assert!(
        out.stderr.lines().any(|l| l == "12 packets captured"),
        "{out}"
    );
    let running_as = format!(
        "running as user nobody (uid {}, gid {})",
        user.uid, user.gid
    );
    assert!(out.stderr.contains(&running_as), "{out}");
    assert!(!out.stderr.contains(AS_ROOT), "{out}");
    assert_eq!(log_lines(&dir), 12);
    let report = read_report(&report_path);
    assert_eq!(report["capture"]["packets"], 12);
    assert_eq!(plugin_report(&report, "count")["packets"], 12);
    assert_eq!(owner(&report_path), user.uid);
}

#[test]
fn dash_z_nobody_captures_live_as_nobody_without_groups_or_capabilities() {
    require_netns!();
    live_run_as_nobody("dropz", false, &["-Z", "nobody"]);
}

#[test]
fn the_configs_user_captures_live_as_that_user() {
    require_netns!();
    live_run_as_nobody("dropconf", true, &[]);
}

/// A capture file is opened as root, then read as the user, as `tcpdump -r -Z` does;
/// `-Z` overrides the config's `user`.
#[test]
fn a_capture_file_is_read_as_the_user_and_dash_z_overrides_the_config() {
    require_netns!();
    let user = nobody();
    let dir = folder_for("dropfile", &user);
    let pcap = dir.path.join("traffic.pcap");
    write_pcap(&pcap, &traffic());
    // Only root reads the file: it is opened before the switch.
    std::fs::set_permissions(&pcap, std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .expect("chmod");
    let config = dir.write(
        "host.toml",
        &format!(
            "[capture]\nread = \"traffic.pcap\"\nuser = \"netraf-no-such-user\"\n{SAMPLE_PLUGINS}"
        ),
    );
    let report_path = dir.path.join("report.json");
    let mut args = config_and_report(&config, &report_path).to_vec();
    args.extend(["-Z", "nobody"]);
    let out = run_host(&dir.path, &args);
    assert!(out.ok(), "{out}");
    assert!(
        out.stderr.lines().any(|l| l == "12 packets captured"),
        "{out}"
    );
    assert!(out.stderr.contains("running as user nobody"), "{out}");
    assert_eq!(log_lines(&dir), 12);
    assert_eq!(owner(&dir.path.join("log.jsonl")), user.uid);
    assert_eq!(owner(&report_path), user.uid);
}

/// An unknown user: one line, exit 2, nothing opened or captured, no plugin
/// constructed (the log's file is never created).
#[test]
fn an_unknown_user_fails_the_run_before_anything_starts() {
    let dir = TempDir::new("dropunknown");
    write_pcap(&dir.path.join("traffic.pcap"), &traffic());
    let report_path = dir.path.join("report.json");
    let check = |out: &Output| {
        assert_eq!(out.code, Some(2), "{out}");
        assert_eq!(
            out.stderr.lines().last(),
            Some("netraf-host: cannot switch to user 'netraf-no-such-user': no such user"),
            "{out}"
        );
        assert!(!out.stderr.contains("packets captured"), "{out}");
        assert!(!out.stderr.contains("capturing from"), "{out}");
        assert!(!dir.path.join("log.jsonl").exists(), "{out}");
        assert!(!report_path.exists(), "{out}");
    };
    // On the command line, for a capture file and for a live interface.
    let config = dir.write(
        "file.toml",
        &format!("[capture]\nread = \"traffic.pcap\"\n{SAMPLE_PLUGINS}"),
    );
    let mut args = config_and_report(&config, &report_path).to_vec();
    args.extend(["-Z", "netraf-no-such-user"]);
    check(&run_host(&dir.path, &args));
    let config = dir.write(
        "live.toml",
        &format!("[capture]\ninterface = \"lo\"\n{SAMPLE_PLUGINS}"),
    );
    let mut args = config_and_report(&config, &report_path).to_vec();
    args.extend(["-Z", "netraf-no-such-user"]);
    check(&run_host(&dir.path, &args));
    // In the config.
    let config = dir.write(
        "user.toml",
        &format!(
            "[capture]\nread = \"traffic.pcap\"\nuser = \"netraf-no-such-user\"\n{SAMPLE_PLUGINS}"
        ),
    );
    check(&run_host(
        &dir.path,
        &config_and_report(&config, &report_path),
    ));
}

/// Root without `-Z` or `user` is told once that the capture runs as root
/// and how to drop it; anyone else is not.
#[test]
fn root_without_a_user_is_told_once_that_it_runs_as_root() {
    let dir = TempDir::new("asroot");
    write_pcap(&dir.path.join("traffic.pcap"), &traffic());
    let config = dir.write(
        "host.toml",
        "[capture]\nread = \"traffic.pcap\"\n[[plugin]]\nname = \"count\"\npath = \"netraf_count\"\n",
    );
    let report_path = dir.path.join("report.json");
    let out = run_host(&dir.path, &config_and_report(&config, &report_path));
    assert!(out.ok(), "{out}");
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1).map(|e| e == "0"))
        .unwrap_or(false);
    let said: Vec<&str> = out.stderr.lines().filter(|l| l.contains(AS_ROOT)).collect();
    if root {
        assert_eq!(said.len(), 1, "{out}");
        assert!(said[0].contains("INFO"), "{out}");
        assert!(
            said[0].contains("-Z USER (or [capture] user) switches to USER"),
            "{out}"
        );
    } else {
        assert!(said.is_empty(), "{out}");
    }
}
