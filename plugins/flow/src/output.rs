//! Where the conn log goes: standard output, or a file appended to and rotated by size into numbered files (`FILE.1` the newest old one), as the log plugin's text output does.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use plugin_api::output_file;

enum Sink {
    Stdout(BufWriter<io::Stdout>),
    File(BufWriter<File>),
}

/// A buffered line output with size rotation.
pub struct Output {
    sink: Sink,
    path: Option<PathBuf>,
    /// A line never takes a file past this many bytes (0: no limit).
    max_bytes: u64,
    /// Finished files kept.
    keep: u32,
    /// Bytes in the current file.
    written: u64,
    /// Lines written.
    pub lines: u64,
}

fn open(path: &Path) -> io::Result<BufWriter<File>> {
    Ok(BufWriter::with_capacity(
        1 << 16,
        output_file::append(path)?,
    ))
}

/// `path` with `.n` after it.
pub fn numbered(path: &Path, n: u32) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n}"));
    PathBuf::from(name)
}

impl Output {
    /// Standard output for `-`, else the file at `path` (appended to).
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn open(path: &str, max_bytes: u64, keep: u32) -> io::Result<Output> {
        let (sink, path, written) = if path == "-" {
            (
                Sink::Stdout(BufWriter::with_capacity(1 << 16, io::stdout())),
                None,
                0,
            )
        } else {
            let p = PathBuf::from(path);
            let written = std::fs::metadata(&p).map_or(0, |m| m.len());
            (Sink::File(open(&p)?), Some(p), written)
        };
        Ok(Output {
            sink,
            path,
            max_bytes,
            keep,
            written,
            lines: 0,
        })
    }

    /// Writes one line (with its newline), starting a new file first when
    /// this one would grow past `max_bytes`.
    ///
    /// # Errors
    /// A failed write or rotation.
    pub fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let len = line.len() as u64;
        if self.max_bytes > 0 && self.written > 0 && self.written + len > self.max_bytes {
            self.rotate()?;
        }
        match &mut self.sink {
            Sink::Stdout(w) => w.write_all(line)?,
            Sink::File(w) => w.write_all(line)?,
        }
        self.written += len;
        self.lines += 1;
        Ok(())
    }

    /// Writes `count` whole lines at once, or line by line when the file
    /// would grow past `max_bytes` within them (so that each file still
    /// ends where a line does).
    ///
    /// # Errors
    /// A failed write or rotation.
    pub fn write_lines(&mut self, lines: &[u8], count: u64) -> io::Result<()> {
        let len = lines.len() as u64;
        if self.max_bytes > 0 && self.written + len > self.max_bytes {
            for line in lines.split_inclusive(|&b| b == b'\n') {
                self.write_line(line)?;
            }
            return Ok(());
        }
        match &mut self.sink {
            Sink::Stdout(w) => w.write_all(lines)?,
            Sink::File(w) => w.write_all(lines)?,
        }
        self.written += len;
        self.lines += count;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        self.flush()?;
        if self.keep == 0 {
            std::fs::remove_file(&path)?;
        } else {
            for n in (1..self.keep).rev() {
                let from = numbered(&path, n);
                if from.exists() {
                    std::fs::rename(&from, numbered(&path, n + 1))?;
                }
            }
            std::fs::rename(&path, numbered(&path, 1))?;
        }
        self.sink = Sink::File(open(&path)?);
        self.written = 0;
        Ok(())
    }

    /// Pushes buffered lines out.
    ///
    /// # Errors
    /// A failed write.
    pub fn flush(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Stdout(w) => w.flush(),
            Sink::File(w) => w.flush(),
        }
    }

    /// The file written, or `-`.
    pub fn name(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "-".to_string(), |p| p.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_by_size_keeping_numbered_files() {
        let dir = std::env::temp_dir().join(format!("netraf-flow-rot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("conn.jsonl");
        let mut out = Output::open(path.to_str().unwrap(), 10, 2).unwrap();
        for i in 0..5 {
            out.write_line(format!("line {i}\n").as_bytes()).unwrap();
        }
        out.flush().unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(&path), "line 4\n");
        assert_eq!(read(&numbered(&path, 1)), "line 3\n");
        assert_eq!(read(&numbered(&path, 2)), "line 2\n");
        assert!(!numbered(&path, 3).exists());
        assert_eq!(out.lines, 5);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn lines_written_together_rotate_where_one_by_one_would() {
        let dir = std::env::temp_dir().join(format!("netraf-flow-rot2-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (one, many) = (dir.join("one.jsonl"), dir.join("many.jsonl"));
        let lines: Vec<String> = (0..40).map(|i| format!("line {i}\n")).collect();
        let mut by_line = Output::open(one.to_str().unwrap(), 30, 3).unwrap();
        let mut together = Output::open(many.to_str().unwrap(), 30, 3).unwrap();
        for group in lines.chunks(7) {
            for line in group {
                by_line.write_line(line.as_bytes()).unwrap();
            }
            together
                .write_lines(group.concat().as_bytes(), group.len() as u64)
                .unwrap();
        }
        by_line.flush().unwrap();
        together.flush().unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        for n in 0..4 {
            let (a, b) = if n == 0 {
                (one.clone(), many.clone())
            } else {
                (numbered(&one, n), numbered(&many, n))
            };
            assert_eq!(read(&a), read(&b), "file {n}");
        }
        // Rotated, and no file past the limit.
        assert!(numbered(&many, 3).exists());
        assert!((0..4).all(|n| read(&if n == 0 {
            many.clone()
        } else {
            numbered(&many, n)
        })
        .len()
            <= 30));
        assert_eq!((by_line.lines, together.lines), (40, 40));
        // Without a size limit, one write and every line counted.
        let whole = dir.join("whole.jsonl");
        let mut out = Output::open(whole.to_str().unwrap(), 0, 3).unwrap();
        out.write_lines(lines.concat().as_bytes(), 40).unwrap();
        out.flush().unwrap();
        assert_eq!(read(&whole), lines.concat());
        assert_eq!(out.lines, 40);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
