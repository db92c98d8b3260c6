//! What reached the output: the bytes the OS took, and the records wholly among them, so that a report never counts what a full disk refused.
//!
//! Records go through a buffer: a record handed to it is not yet written,
//! and a failed flush (`ENOSPC`) loses what the buffer held. [`Counted`] sits
//! under the buffer and counts the bytes each `write(2)` took; [`Records`]
//! keeps where each buffered record ends, and counts a record once every
//! byte of it was taken.

use std::collections::VecDeque;
use std::io::{self, Write};

/// A writer that counts the bytes its inner writer accepted.
pub struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W> Counted<W> {
    /// Counts from 0.
    pub fn new(inner: W) -> Counted<W> {
        Counted { inner, bytes: 0 }
    }

    /// Bytes the inner writer accepted.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The records of the current file that are still buffered, by the offset
/// where each ends, and the count of records wholly written.
#[derive(Default)]
pub struct Records {
    /// Ends of buffered records, in file order. Bounded by the buffer's
    /// size over the smallest record, so it stops growing after a while.
    ends: VecDeque<u64>,
    complete: u64,
}

impl Records {
    /// A record that ends at byte `end` of the current file went into the buffer.
    pub fn buffered(&mut self, end: u64) {
        self.ends.push_back(end);
    }

    /// The OS took the current file's first `taken` bytes: the records
    /// within them are written.
    pub fn taken(&mut self, taken: u64) {
        while self.ends.front().is_some_and(|&end| end <= taken) {
            self.ends.pop_front();
            self.complete += 1;
        }
    }

    /// The current file ends: records still buffered never reached it.
    pub fn next_file(&mut self) {
        self.ends.clear();
    }

    /// Records wholly written, over every file.
    pub fn complete(&self) -> u64 {
        self.complete
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes at most `room` bytes in all, as a full disk.
    struct Full {
        room: usize,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::other("no space left on device"));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn only_records_whose_every_byte_was_taken_count() {
        let mut out = io::BufWriter::with_capacity(16, Counted::new(Full { room: 25 }));
        let mut records = Records::default();
        let mut end = 0;
        let mut failed = false;
        for _ in 0..10 {
            if out.write_all(b"1234567\n").is_err() {
                failed = true;
                break;
            }
            end += 8;
            records.buffered(end);
            records.taken(out.get_ref().bytes());
        }
        if !failed {
            failed = out.flush().is_err();
        }
        records.taken(out.get_ref().bytes());
        assert!(failed, "the disk filled up");
        assert_eq!(out.get_ref().bytes(), 25);
        // 25 bytes hold three whole 8-byte records.
        assert_eq!(records.complete(), 3);
        records.next_file();
        records.taken(u64::MAX);
        assert_eq!(records.complete(), 3);
    }
}
