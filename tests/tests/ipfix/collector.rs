//! nfdump's IPFIX collector for the flow export tests: `nfcapd` on a free loopback UDP port writing into a temporary folder, stopped (and killed on drop) by the test, its file read back with `nfdump -o json`.

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use netraf_tests::files::TempDir;

/// A running `nfcapd`, killed on drop when a test fails half-way.
pub struct Collector {
    dir: TempDir,
    port: u16,
    child: Option<Child>,
}

/// Whether `nfcapd` can run: skips (printing why) without it, fails when `CI=true`.
pub fn available() -> bool {
    match Command::new("nfcapd").arg("-V").output() {
        Ok(_) => true,
        Err(e) => {
            let reason = format!("nfcapd is not installed ({e}): apt-get install nfdump");
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
            eprintln!("skipping: {reason}");
            false
        }
    }
}

fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(prefix))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

impl Collector {
    /// Starts `nfcapd -b 127.0.0.1 -p PORT -t 2 -w DIR` and waits (at most
    /// 10 s) until it listens. It starts a new file every 2 s rather than
    /// every 5 min, so reading every file it wrote is part of every test, not
    /// only of a run that happens to cross a 5-minute boundary.
    pub fn start() -> Collector {
        let dir = TempDir::new("nfcapd");
        let port = UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("a free loopback port")
            .port();
        let log = std::fs::File::create(dir.path().join("nfcapd.log")).expect("nfcapd's log");
        let child = Command::new("nfcapd")
            .args(["-b", "127.0.0.1", "-p", &port.to_string(), "-t", "2", "-w"])
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("nfcapd starts");
        let mut collector = Collector {
            dir,
            port,
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while files(collector.dir.path(), "nfcapd.current").is_empty() {
            if let Some(status) = collector
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("nfcapd exited at start with {status}:\n{}", collector.log());
            }
            assert!(Instant::now() < deadline, "nfcapd did not start in 10 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        // The socket is bound before the file is opened; a moment more.
        std::thread::sleep(Duration::from_millis(200));
        collector
    }

    /// `127.0.0.1:PORT`, where to export.
    pub fn target(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// What nfcapd wrote on its standard output and error.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("nfcapd.log")).unwrap_or_default()
    }

    /// Lets nfcapd drain its socket, stops it with SIGTERM (it then writes
    /// its last file; at most 10 s) and returns its log and the records of
    /// all its files by `nfdump -o json` (times in UTC).
    pub fn stop_and_read(&mut self) -> (String, Vec<serde_json::Value>) {
        std::thread::sleep(Duration::from_millis(1000));
        let mut child = self.child.take().expect("nfcapd running");
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success(), "kill -TERM nfcapd");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = child.try_wait().expect("wait for nfcapd") {
                assert!(status.success(), "nfcapd exited with {status}");
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("nfcapd did not exit within 10 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // nfcapd starts a new file at each interval boundary: the records are
        // those of every file it wrote, in the order it wrote them.
        let written = files(self.dir.path(), "nfcapd.2");
        assert!(!written.is_empty(), "nfcapd wrote no file\n{}", self.log());
        let mut records = Vec::new();
        for file in &written {
            records.extend(read_records(file));
        }
        (self.log(), records)
    }
}

/// The records of one nfcapd file, by `nfdump -r FILE -o json` (times in UTC).
fn read_records(file: &Path) -> Vec<serde_json::Value> {
    let out = Command::new("nfdump")
        .env("TZ", "UTC")
        .arg("-r")
        .arg(file)
        .args(["-o", "json"])
        .output()
        .expect("nfdump runs");
    assert!(
        out.status.success(),
        "nfdump -r {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // For a file without records nfdump writes nothing, or (when the file
    // holds other blocks) `[`, `No matching flows`, `]`: not JSON, no records.
    let bare = text
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim();
    if bare.is_empty() || bare == "No matching flows" {
        Vec::new()
    } else {
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("nfdump's JSON of {} ({e}): {text}", file.display()))
    }
}

/// A count of nfcapd's statistics lines (`Flows`, `Sequence Errors`, `Bad
/// Packets`...), summed over the line it writes for each file; `None` when
/// its log has no such line.
pub fn total(log: &str, label: &str) -> Option<u64> {
    let counts: Vec<u64> = log
        .split(&format!("{label}: "))
        .skip(1)
        .map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits
                .parse()
                .unwrap_or_else(|_| panic!("nfcapd's {label:?} unreadable: {rest}"))
        })
        .collect();
    (!counts.is_empty()).then(|| counts.iter().sum())
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
