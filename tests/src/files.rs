//! Scratch folders for files a test writes, and the external readers (tshark, tcpdump) it checks them with.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fresh folder under the system's temporary folder, removed on drop
/// (also when the test fails).
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `netraf-<what>-<pid>-<n>`.
    ///
    /// # Panics
    /// If the folder cannot be created.
    pub fn new(what: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("netraf-{what}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|err| panic!("cannot create {}: {err}", path.display()));
        TempDir(path)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Whether `tool` runs (`tool --version`). When it does not, prints why the
/// test skips, or panics when env `CI=true` (CI installs it).
pub fn tool_available(tool: &str) -> bool {
    let runs = Command::new(tool)
        .arg("--version")
        .output()
        .map(|out| out.status.success())
        .unwrap_or(false);
    if !runs {
        let reason = format!("`{tool}` is not installed (apt-get install {tool})");
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{reason}");
        }
        eprintln!("skipping: {reason}");
    }
    runs
}

/// Runs `tool args...`, asserts it succeeds with nothing on stderr, and
/// returns its standard output.
///
/// # Panics
/// If the tool cannot run, fails, or complains.
pub fn run_tool(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|err| panic!("cannot run {tool}: {err}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // tcpdump reports the file it reads on stderr; tshark warns about root.
    let complaints: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("reading from file") && !l.starts_with("Running as user"))
        .collect();
    assert!(
        out.status.success() && complaints.is_empty(),
        "{tool} {args:?} failed ({}): {stderr}",
        out.status
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
