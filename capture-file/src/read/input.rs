//! The bytes under a capture file (a file, standard input, a pipe, a FIFO, any reader) as a window the parser reads whole records from, through a bounded buffer.
//!
//! The buffer holds 128 KiB at first and grows once to its maximum (2 MiB for
//! capture files) if a record needs more than half of it; reads retry on
//! `EINTR`, and a failed read keeps its OS error for the message. A record is
//! parsed in place in the buffer: nothing is copied or allocated per packet.
//!
//! Regular files (and block devices) are read straight away: such a read
//! never waits for a writer. Every other input opened by path or as standard
//! input (a pipe, a FIFO, a terminal, a socket) can send nothing for as long
//! as its writer likes, so each of its reads first waits in `poll` on the
//! input and the [`Interrupt`]'s wake descriptor: the interrupt ends the
//! wait, and the bytes already read stay for the next call. A FIFO is
//! opened with `O_NONBLOCK`, so that opening it does not wait for a writer;
//! its reads come only after poll says it has data or its writer went away
//! (poll on a FIFO that never had a writer says neither), so a read that
//! returns 0 is the end of the file. A reader handed over by the caller is
//! read as it is: an interrupt cannot end a read that blocks inside it.
//!
//! Regular files are read, not memory-mapped: reading measured faster than
//! parsing in place from a mapping (BENCHMARKS.md, "Reading, not mapping"),
//! and a mapped file truncated by another process would end netraf with
//! `SIGBUS`.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

use crate::{sys, FileError, Interrupt};

/// The read buffer at first: a few hundred packets.
const INITIAL_BUFFER: usize = 128 << 10;

/// Where the bytes come from.
enum Input {
    /// A regular file or a block device: read without poll.
    File(File),
    /// A pipe, FIFO, terminal, socket or character device: each read waits
    /// in poll on it and on the interrupt's wake descriptor.
    Stream(File),
    /// A reader from the caller, read as it comes.
    Reader(Box<dyn Read + Send>),
}

/// Why [`Bytes::fill`] returned before it had the bytes asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Short {
    /// The interrupt ended the wait for a stream's next bytes.
    Ended,
    /// A read failed: the message, with the OS error.
    Failed(String),
}

/// The unread bytes of a capture file, a record at a time.
pub(crate) struct Bytes {
    input: Input,
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
    pub(crate) fn open(path: &Path, max_buffer: usize) -> Result<Bytes, FileError> {
        let fail = |reason: String| FileError::new(0, reason);
        let file = if path.as_os_str() == "-" {
            // A descriptor of its own on standard input, whose flags stay as
            // they are: other processes may share them.
            io::stdin()
                .as_fd()
                .try_clone_to_owned()
                .map(File::from)
                .map_err(|err| fail(format!("cannot read standard input: {err}")))?
        } else {
            // O_NONBLOCK: opening a FIFO does not wait for a writer.
            OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(path)
                .map_err(|err| {
                    fail(format!(
                        "cannot open the capture file: {err} (check the path and its permissions)"
                    ))
                })?
        };
        let kind = file
            .metadata()
            .map_err(|err| fail(format!("cannot tell what kind of file it is: {err}")))?
            .file_type();
        if kind.is_dir() {
            return Err(fail("is a directory, not a capture file".into()));
        }
        let input = if kind.is_file() || kind.is_block_device() {
            Input::File(file)
        } else {
            Input::Stream(file)
        };
        Ok(Bytes::with_input(input, max_buffer))
    }

    /// Streams any reader through a buffer that grows to at most `max_buffer`.
    pub(crate) fn stream(reader: Box<dyn Read + Send>, max_buffer: usize) -> Bytes {
        Bytes::with_input(Input::Reader(reader), max_buffer)
    }

    fn with_input(input: Input, max_buffer: usize) -> Bytes {
        Bytes {
            input,
            buffer: circular::Buffer::with_capacity(INITIAL_BUFFER.min(max_buffer)),
            consumed: 0,
            exhausted: false,
            max_buffer,
        }
    }

    /// Whether a read may wait for a writer (and an interrupt can end that wait).
    pub(crate) fn may_wait(&self) -> bool {
        matches!(self.input, Input::Stream(_))
    }

    /// The file offset of the first unread byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.consumed
    }

    /// The unread bytes at hand.
    #[inline]
    pub(crate) fn data(&self) -> &[u8] {
        self.buffer.data()
    }

    /// Marks `n` bytes at hand as read.
    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        // The buffer shifts its data down only before a read (in `fill`).
        let n = self.buffer.consume_noshift(n);
        self.consumed += n as u64;
    }

    /// Makes at least `need` bytes be at hand unless the file ends first;
    /// returns how many are. A stream's wait for more ends when `interrupt`
    /// says so; the bytes at hand stay.
    ///
    /// # Errors
    /// [`Short::Ended`] when the interrupt ended the wait, [`Short::Failed`]
    /// for a failed read, with the OS error.
    pub(crate) fn fill<I: Interrupt + ?Sized>(
        &mut self,
        need: usize,
        interrupt: &I,
    ) -> Result<usize, Short> {
        if need > self.buffer.capacity() / 2 {
            self.buffer.grow(self.max_buffer); // does nothing when already grown
        }
        while self.buffer.available_data() < need && !self.exhausted {
            self.buffer.shift();
            let space = self.buffer.space();
            if space.is_empty() {
                break; // the buffer is full: cannot happen, records are at most half of it
            }
            let read = match &mut self.input {
                Input::File(file) => file.read(space),
                Input::Reader(reader) => reader.read(space),
                Input::Stream(file) => {
                    if !wait_readable(file, interrupt)? {
                        continue;
                    }
                    match file.read(space) {
                        // Another reader of the same pipe was quicker: wait again.
                        Err(err) if err.kind() == io::ErrorKind::WouldBlock => continue,
                        read => read,
                    }
                }
            };
            match read {
                Ok(0) => self.exhausted = true,
                Ok(n) => {
                    self.buffer.fill(n);
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(Short::Failed(format!("read failed: {err}"))),
            }
        }
        Ok(self.buffer.available_data())
    }
}

/// Waits in poll until `file` has data, an error or a hang-up (`true`: read
/// it now), or the interrupt's wake descriptor is readable (`false`: look
/// again).
///
/// # Errors
/// [`Short::Ended`] when the interrupt says so, before or during the wait;
/// [`Short::Failed`] when poll fails.
fn wait_readable<I: Interrupt + ?Sized>(file: &File, interrupt: &I) -> Result<bool, Short> {
    if interrupt.is_ended() {
        return Err(Short::Ended);
    }
    let waker = interrupt.wake_fd().map_or(-1, |fd| fd.as_raw_fd());
    let ready = sys::poll_two(file.as_raw_fd(), waker)
        .map_err(|err| Short::Failed(format!("poll on the input failed: {err}")))?;
    if ready.waker {
        interrupt.woken();
        if interrupt.is_ended() {
            return Err(Short::Ended);
        }
    }
    Ok(ready.source || ready.source_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Never;
    use std::io::Cursor;

    #[test]
    fn a_stream_fills_across_reads_and_counts_its_offset() {
        let shared = Never;
        let data: Vec<u8> = (0..=255).cycle().take(1 << 20).collect();
        let mut bytes = Bytes::stream(Box::new(Cursor::new(data.clone())), 2 << 20);
        assert_eq!(bytes.fill(10, &shared).unwrap(), INITIAL_BUFFER);
        bytes.consume(100);
        assert_eq!(bytes.offset(), 100);
        // More than half the buffer: it grows and holds it all.
        assert!(bytes.fill(INITIAL_BUFFER + 1, &shared).unwrap() > INITIAL_BUFFER);
        assert_eq!(bytes.data()[..4], data[100..104]);
        bytes.consume(bytes.data().len());
        while bytes.fill(1, &shared).unwrap() > 0 {
            bytes.consume(bytes.data().len());
        }
        assert_eq!(bytes.offset(), 1 << 20);
    }

    #[test]
    fn a_failing_read_says_why() {
        let shared = Never;
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::from_raw_os_error(libc::EIO))
            }
        }
        let mut bytes = Bytes::stream(Box::new(Broken), 1 << 20);
        let Short::Failed(err) = bytes.fill(1, &shared).unwrap_err() else {
            panic!("a failed read")
        };
        assert!(err.starts_with("read failed: Input/output error"), "{err}");
    }

    #[test]
    fn files_open_by_path_and_directories_are_refused() {
        let shared = Never;
        let dir = std::env::temp_dir();
        let file = dir.join(format!("mycap-input-{}.bin", std::process::id()));
        std::fs::write(&file, b"0123456789").unwrap();
        let mut bytes = Bytes::open(&file, 1 << 20).unwrap();
        assert_eq!(bytes.fill(4, &shared).unwrap(), 10);
        bytes.consume(3);
        assert_eq!((bytes.offset(), bytes.data()), (3, &b"3456789"[..]));
        bytes.consume(100);
        assert_eq!((bytes.offset(), bytes.data()), (10, &b""[..]));
        assert_eq!(bytes.fill(1, &shared).unwrap(), 0);
        std::fs::remove_file(&file).unwrap();
        let err = Bytes::open(&dir, 1 << 20).err().unwrap();
        assert!(err.reason.contains("is a directory"), "{err}");
    }
}
