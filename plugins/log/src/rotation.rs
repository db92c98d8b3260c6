//! When a log starts its next file and which finished files stay: the one rotation rule of the text and capture outputs.
//!
//! Both outputs start a new file before a record would take the current one
//! past `max_bytes` (a file that holds no record yet takes one whatever its
//! size), and capture files also at every multiple of `rotate_seconds` of
//! packet time. Both keep `keep` finished files besides the current one and
//! remove older ones. They differ in names only, each as its readers expect:
//! a text log keeps its name, so that `tail -F` follows it, and its finished
//! files are numbered as logrotate does (`FILE.1` the newest, see
//! [`shift_numbered`]); capture files are complete each, named by their first
//! packet's time, as `tcpdump -G` names them (see [`Finished`]).

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};

/// When the current file is full.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rotation {
    /// A record never takes a file past this many bytes (0: no limit).
    max_bytes: u64,
    /// A new file at every multiple of this much packet time (0: never).
    period_ns: u64,
    /// Where the current file's period ends.
    period_end_ns: u64,
}

impl Rotation {
    /// By size (`max_bytes`, 0: never) and by packet time (`period_seconds`, 0: never).
    pub(crate) fn new(max_bytes: u64, period_seconds: u64) -> Rotation {
        Rotation {
            max_bytes,
            period_ns: period_seconds.saturating_mul(1_000_000_000),
            period_end_ns: 0,
        }
    }

    /// Whether files rotate at all.
    pub(crate) fn rotates(&self) -> bool {
        self.max_bytes > 0 || self.period_ns > 0
    }

    /// Whether a record of `record` bytes at packet time `ts_ns` starts a new
    /// file; the current one has `bytes` bytes and `holds_records` says
    /// whether any of them is a record.
    pub(crate) fn due(&self, bytes: u64, holds_records: bool, record: u64, ts_ns: u64) -> bool {
        (self.period_ns > 0 && ts_ns >= self.period_end_ns)
            || (self.max_bytes > 0 && holds_records && bytes + record > self.max_bytes)
    }

    /// A new file starts for a record at `ts_ns`: returns the time the file
    /// stands for (the start of its period when rotating by time, else `ts_ns`).
    pub(crate) fn start(&mut self, ts_ns: u64) -> u64 {
        if self.period_ns == 0 {
            return ts_ns;
        }
        let start = ts_ns - ts_ns % self.period_ns;
        self.period_end_ns = start.saturating_add(self.period_ns);
        start
    }
}

/// `path` with `.n` after it: a text log's `n`-th newest finished file.
pub(crate) fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

/// Finishes the text log at `path` the logrotate way: `FILE.1` becomes
/// `FILE.2` and so on up to `FILE.keep`, `FILE` becomes `FILE.1` (with
/// `keep` 0 it is removed), so that the next file can take the name.
///
/// # Errors
/// A failed rename or removal.
pub(crate) fn shift_numbered(path: &Path, keep: u32) -> io::Result<()> {
    if keep == 0 {
        return std::fs::remove_file(path);
    }
    for n in (1..keep).rev() {
        let from = numbered(path, n);
        if from.exists() {
            std::fs::rename(&from, numbered(path, n + 1))?;
        }
    }
    std::fs::rename(path, numbered(path, 1))
}

/// The finished capture files of a run still on disk, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Finished {
    files: VecDeque<PathBuf>,
}

impl Finished {
    /// Adds a finished file, then removes the oldest ones beyond `keep`.
    ///
    /// # Errors
    /// A removal that failed for another reason than the file being gone.
    pub(crate) fn push(&mut self, path: PathBuf, keep: u32) -> io::Result<()> {
        self.files.push_back(path);
        while self.files.len() > keep as usize {
            let Some(old) = self.files.pop_front() else {
                break;
            };
            match std::fs::remove_file(&old) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!("cannot remove {}: {e}", old.display()),
                    ))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_rotation_waits_for_a_first_record() {
        let r = Rotation::new(100, 0);
        assert!(r.rotates());
        assert!(!r.due(90, true, 10, 0));
        assert!(r.due(91, true, 10, 0));
        // A file without a record takes one, however large.
        assert!(!r.due(500, false, 1000, 0));
        assert!(!Rotation::new(0, 0).due(u64::MAX / 2, true, 1000, 0));
        assert!(!Rotation::new(0, 0).rotates());
    }

    #[test]
    fn time_rotation_starts_files_at_whole_periods() {
        let mut r = Rotation::new(0, 60);
        assert!(r.due(0, false, 0, 0), "the first record starts a period");
        let second = 1_000_000_000;
        assert_eq!(r.start(125 * second + 7), 120 * second);
        assert!(!r.due(10, true, 10, 179 * second));
        assert!(r.due(10, true, 10, 180 * second));
        assert_eq!(Rotation::new(10, 0).start(125), 125);
    }
}
