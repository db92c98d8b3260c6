//! The bytes under a capture file (a file, standard input, a pipe, any reader) as a window the parser reads whole records from, through a bounded buffer.
//!
//! The buffer holds 256 KiB at first and grows once to its maximum (2 MiB for
//! capture files) if a record needs more than half of it; reads retry on
//! `EINTR`, and a failed read keeps its OS error for the message. A record is
//! parsed in place in the buffer: nothing is copied or allocated per packet.
//!
//! Regular files are read, not memory-mapped: on the machines netraf was
//! measured on (2-vCPU KVM guests), parsing a 1 GiB capture in place from a
//! private read-only mapping took 30-60 % longer than reading it, with or
//! without `MADV_POPULATE_READ` and software prefetch (the parser's loads of
//! record headers stall on pages touched for the first time), and a mapped
//! file truncated by another process would end netraf with `SIGBUS`.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::Error;

/// The read buffer at first: a few hundred packets.
const INITIAL_BUFFER: usize = 256 << 10;

/// The unread bytes of a capture file, a record at a time.
pub(crate) struct Bytes {
    reader: Box<dyn Read + Send>,
    buffer: circular::Buffer,
    /// Bytes consumed before the buffer's start.
    consumed: u64,
    /// The reader returned end of file.
    exhausted: bool,
    /// The size the buffer grows to when a record needs more than half of it.
    max_buffer: usize,
}

impl Bytes {
    /// Opens `path`, or standard input when `path` is `-`.
    pub(crate) fn open(path: &Path, max_buffer: usize) -> Result<Bytes, Error> {
        if path.as_os_str() == "-" {
            return Ok(Bytes::stream(Box::new(io::stdin()), max_buffer));
        }
        let fail = |reason: String| Error::File {
            path: path.display().to_string(),
            offset: 0,
            reason,
        };
        let file = File::open(path).map_err(|err| {
            fail(format!(
                "cannot open the capture file: {err} (check the path and its permissions)"
            ))
        })?;
        if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
            return Err(fail("is a directory, not a capture file".into()));
        }
        Ok(Bytes::stream(Box::new(file), max_buffer))
    }

    /// Streams any reader through a buffer that grows to at most `max_buffer`.
    pub(crate) fn stream(reader: Box<dyn Read + Send>, max_buffer: usize) -> Bytes {
        Bytes {
            reader,
            buffer: circular::Buffer::with_capacity(INITIAL_BUFFER.min(max_buffer)),
            consumed: 0,
            exhausted: false,
            max_buffer,
        }
    }

    /// The file offset of the first unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.consumed
    }

    /// The unread bytes at hand.
    pub(crate) fn data(&self) -> &[u8] {
        self.buffer.data()
    }

    /// Marks `n` bytes at hand as read.
    pub(crate) fn consume(&mut self, n: usize) {
        // The buffer shifts its data down only before a read (in `fill`).
        let n = self.buffer.consume_noshift(n);
        self.consumed += n as u64;
    }

    /// Makes at least `need` bytes be at hand unless the file ends first;
    /// returns how many are.
    ///
    /// # Errors
    /// A failed read, as a message with the OS error.
    pub(crate) fn fill(&mut self, need: usize) -> Result<usize, String> {
        if need > self.buffer.capacity() / 2 {
            self.buffer.grow(self.max_buffer); // does nothing when already grown
        }
        while self.buffer.available_data() < need && !self.exhausted {
            self.buffer.shift();
            let space = self.buffer.space();
            if space.is_empty() {
                break; // the buffer is full: cannot happen, records are at most half of it
            }
            match self.reader.read(space) {
                Ok(0) => self.exhausted = true,
                Ok(n) => {
                    self.buffer.fill(n);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(format!("read failed: {err}")),
            }
        }
        Ok(self.buffer.available_data())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn a_stream_fills_across_reads_and_counts_its_offset() {
        let data: Vec<u8> = (0..=255).cycle().take(1 << 20).collect();
        let mut bytes = Bytes::stream(Box::new(Cursor::new(data.clone())), 2 << 20);
        assert_eq!(bytes.fill(10).unwrap(), INITIAL_BUFFER);
        bytes.consume(100);
        assert_eq!(bytes.offset(), 100);
        // More than half the buffer: it grows and holds it all.
        assert!(bytes.fill(INITIAL_BUFFER + 1).unwrap() > INITIAL_BUFFER);
        assert_eq!(bytes.data()[..4], data[100..104]);
        bytes.consume(bytes.data().len());
        while bytes.fill(1).unwrap() > 0 {
            bytes.consume(bytes.data().len());
        }
        assert_eq!(bytes.offset(), 1 << 20);
    }

    #[test]
    fn a_failing_read_says_why() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(libc::EIO))
            }
        }
        let mut bytes = Bytes::stream(Box::new(Broken), 1 << 20);
        let err = bytes.fill(1).unwrap_err();
        assert!(err.starts_with("read failed: Input/output error"), "{err}");
    }

    #[test]
    fn files_open_by_path_and_directories_are_refused() {
        let dir = std::env::temp_dir();
        let file = dir.join(format!("mycap-input-{}.bin", std::process::id()));
        std::fs::write(&file, b"0123456789").unwrap();
        let mut bytes = Bytes::open(&file, 1 << 20).unwrap();
        assert_eq!(bytes.fill(4).unwrap(), 10);
        bytes.consume(3);
        assert_eq!((bytes.offset(), bytes.data()), (3, &b"3456789"[..]));
        bytes.consume(100);
        assert_eq!((bytes.offset(), bytes.data()), (10, &b""[..]));
        assert_eq!(bytes.fill(1).unwrap(), 0);
        std::fs::remove_file(&file).unwrap();
        let err = Bytes::open(&dir, 1 << 20).err().unwrap();
        assert!(err.to_string().contains("is a directory"), "{err}");
    }
}
