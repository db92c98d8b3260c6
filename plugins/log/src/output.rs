//! Where the text log goes: standard output, or a file rotated by size (see `rotation`) into numbered files (`FILE.1` is the newest old one).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use plugin_api::output_file;

use crate::rotation::{shift_numbered, Rotation};
use crate::written::{Counted, Records};

/// Where the lines go, with a count of the bytes the OS took.
enum Destination {
    Stdout(BufWriter<Counted<io::Stdout>>),
    File(BufWriter<Counted<File>>),
}

impl Destination {
    /// Bytes of the current file (or of standard output) the OS took.
    fn taken(&self) -> u64 {
        match self {
            Destination::Stdout(w) => w.get_ref().bytes(),
            Destination::File(w) => w.get_ref().bytes(),
        }
    }
}

/// A buffered output with size-based rotation.
pub struct Output {
    destination: Destination,
    path: Option<PathBuf>,
    /// When the current file is full (by size only).
    rotation: Rotation,
    /// Rotated files kept.
    keep: u32,
    /// Bytes in the current file (buffered ones included).
    written: u64,
    /// Bytes already in the current file when it was opened (appended to).
    appended_to: u64,
    /// Files started (1 + rotations).
    pub files: u64,
    /// Bytes of finished files the OS took.
    finished_bytes: u64,
    /// Lines written, as far as the OS took them.
    records: Records,
}

fn open(path: &Path) -> io::Result<BufWriter<Counted<File>>> {
    let file = output_file::append(path)?;
    Ok(BufWriter::with_capacity(1 << 16, Counted::new(file)))
}

impl Output {
    /// Standard output when `path` is `-`, else the file (appended to).
    pub fn open(path: &str, max_bytes: u64, keep: u32) -> io::Result<Output> {
        let (destination, path, written) = if path == "-" {
            (
                Destination::Stdout(BufWriter::with_capacity(
                    1 << 16,
                    Counted::new(io::stdout()),
                )),
                None,
                0,
            )
        } else {
            let p = PathBuf::from(path);
            let written = std::fs::metadata(&p).map_or(0, |m| m.len());
            (Destination::File(open(&p)?), Some(p), written)
        };
        Ok(Output {
            destination,
            path,
            rotation: Rotation::new(max_bytes, 0),
            keep,
            written,
            appended_to: written,
            files: 1,
            finished_bytes: 0,
            records: Records::default(),
        })
    }

    /// Writes one whole record (a line), rotating first if the file is full.
    pub fn write_record(&mut self, record: &[u8]) -> io::Result<()> {
        if self
            .rotation
            .due(self.written, self.written > 0, record.len() as u64, 0)
        {
            self.rotate()?;
        }
        let wrote = match &mut self.destination {
            Destination::Stdout(w) => w.write_all(record),
            Destination::File(w) => w.write_all(record),
        };
        self.records
            .taken(self.appended_to + self.destination.taken());
        wrote?;
        self.written += record.len() as u64;
        self.records.buffered(self.written);
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        self.flush()?;
        shift_numbered(&path, self.keep)?;
        self.finished_bytes += self.destination.taken();
        self.records.next_file();
        self.destination = Destination::File(open(&path)?);
        self.written = 0;
        self.appended_to = 0;
        self.files += 1;
        Ok(())
    }

    /// Pushes buffered records to the file or terminal.
    pub fn flush(&mut self) -> io::Result<()> {
        let flushed = match &mut self.destination {
            Destination::Stdout(w) => w.flush(),
            Destination::File(w) => w.flush(),
        };
        self.records
            .taken(self.appended_to + self.destination.taken());
        flushed
    }

    /// Lines written, as far as the OS took them.
    pub fn lines(&self) -> u64 {
        self.records.complete()
    }

    /// Bytes written in total, as far as the OS took them.
    pub fn bytes(&self) -> u64 {
        self.finished_bytes + self.destination.taken()
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
    use crate::rotation::numbered;

    #[test]
    fn rotates_by_size_and_keeps_n_files() {
        let dir = std::env::temp_dir().join(format!("netraf-log-rot-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.log");
        let mut out = Output::open(path.to_str().unwrap(), 10, 2).unwrap();
        for i in 0..7 {
            out.write_record(format!("line {i}\n").as_bytes()).unwrap();
        }
        out.flush().unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        // 7-byte lines, 10-byte files: one line per file.
        assert_eq!(read(&path), "line 6\n");
        assert_eq!(read(&numbered(&path, 1)), "line 5\n");
        assert_eq!(read(&numbered(&path, 2)), "line 4\n");
        assert!(!numbered(&path, 3).exists());
        assert_eq!(out.files, 7);
        assert_eq!((out.bytes(), out.lines()), (49, 7));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
