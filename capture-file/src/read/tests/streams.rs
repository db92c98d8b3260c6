//! The reader on streams: short reads of a pipe, an interrupt that ends a call and the next call that resumes, and a FIFO whose wait for its writer an interrupt ends.

use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;

/// A reader that hands out at most 3 bytes per call, as a slow pipe does.
struct Trickle(Cursor<Vec<u8>>);

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(3);
        self.0.read(&mut buf[..n])
    }
}

#[test]
fn short_reads_of_a_pipe_lose_nothing() {
    let payload: Vec<u8> = (0..=255).collect();
    let records: Vec<(u32, u32, u32, &[u8])> = (0..50).map(|i| (i, 0, 256, &payload[..])).collect();
    let mut ng = shb(false);
    ng.extend(idb(false, 1, &[(2, b"pipe0")]));
    for i in 0..50 {
        ng.extend(epb(false, 0, i, 256, &payload, &[]));
    }
    for bytes in [pcap(true, true, 1, &records), ng] {
        let reader = Reader::from_reader("pipe", Box::new(Trickle(Cursor::new(bytes))));
        let (seen, end) = drain(reader);
        assert!(seen.iter().all(|s| s.data == payload));
        assert_eq!(end.ok(), Some(End::Eof));
        assert_eq!(seen.len(), 50);
    }
}

#[test]
fn an_interrupt_ends_a_call_and_the_next_resumes_at_the_next_packet() {
    let records: Vec<(u32, u32, u32, &[u8])> = (0..5).map(|i| (i, 0, 1, &[0u8][..])).collect();
    let mut r = stream(pcap(false, false, 1, &records)).unwrap();
    let ended = AtomicBool::new(false);
    let mut seen = Vec::new();
    for _ in 0..3 {
        assert!(read_one(&mut r, &ended, &mut seen).is_none());
    }
    assert_eq!(r.packets(), 3);
    ended.store(true, Ordering::Relaxed);
    assert_eq!(read_one(&mut r, &ended, &mut seen), Some(Ok(End::Ended)));
    ended.store(false, Ordering::Relaxed);
    let (rest, end) = drain(Ok(r));
    assert_eq!(end.ok(), Some(End::Eof));
    seen.extend(rest);
    let secs: Vec<u64> = seen.iter().map(|s| s.ts_ns / 1_000_000_000).collect();
    assert_eq!(secs, vec![0, 1, 2, 3, 4]);
}

/// An interrupt as a capture loop's breaker is: a flag, and a socket pair
/// whose write wakes the poll.
struct Breaker {
    ended: AtomicBool,
    wake: UnixStream,
    woken: UnixStream,
}

impl Breaker {
    fn new() -> Arc<Breaker> {
        let (wake, woken) = UnixStream::pair().unwrap();
        woken.set_nonblocking(true).unwrap();
        Arc::new(Breaker {
            ended: AtomicBool::new(false),
            wake,
            woken,
        })
    }

    fn end(&self) {
        self.ended.store(true, Ordering::Release);
        let _ = (&self.wake).write_all(&[1]);
    }
}

impl Interrupt for Breaker {
    fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Acquire)
    }

    fn wake_fd(&self) -> Option<BorrowedFd<'_>> {
        Some(self.woken.as_fd())
    }

    fn woken(&self) {
        let _ = (&self.woken).read(&mut [0; 64]);
    }
}

/// A FIFO made with mkfifo(1) in the temporary folder, removed on drop.
struct Fifo(std::path::PathBuf);

impl Fifo {
    fn new() -> Fifo {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "capture-file-fifo-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_file(&path);
        let made = std::process::Command::new("mkfifo").arg(&path).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo {}", path.display());
        Fifo(path)
    }

    /// Opens the writing end (the reader is open, so this does not wait).
    fn writer(&self) -> std::fs::File {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&self.0)
            .unwrap()
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Reads on another thread until the end or the breaker, counting packets
/// into `seen`; gives the reader back with how reading ended, or `None`
/// after a few seconds.
fn read_bounded(
    mut reader: Reader,
    breaker: &Arc<Breaker>,
    seen: &Arc<AtomicUsize>,
) -> Option<(Reader, Result<End, FileError>)> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (breaker, seen) = (Arc::clone(breaker), Arc::clone(seen));
    std::thread::spawn(move || {
        let end = loop {
            match reader.next(&*breaker) {
                Ok(Next::Packet(..)) => seen.fetch_add(1, Ordering::Relaxed),
                Ok(Next::Eof) => break Ok(End::Eof),
                Ok(Next::Ended) => {
                    breaker.ended.store(false, Ordering::Release);
                    break Ok(End::Ended);
                }
                Err(err) => break Err(err),
            };
        };
        let _ = tx.send((reader, end));
    });
    rx.recv_timeout(Duration::from_secs(5)).ok()
}

/// Ends reading after `delay`, once `seen` has reached `n`.
fn end_later(breaker: &Arc<Breaker>, seen: &Arc<AtomicUsize>, n: usize, delay: Duration) {
    let (breaker, seen) = (Arc::clone(breaker), Arc::clone(seen));
    std::thread::spawn(move || {
        let started = Instant::now();
        while seen.load(Ordering::Relaxed) < n && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(delay);
        breaker.end();
    });
}

#[test]
fn an_interrupt_ends_a_wait_for_a_fifo_and_reading_goes_on() {
    let fifo = Fifo::new();
    // Opening does not wait for a writer.
    let reader = Reader::open(&fifo.0).unwrap();
    assert!(reader.may_wait());
    let breaker = Breaker::new();
    let seen = Arc::new(AtomicUsize::new(0));

    // No writer yet: the first call waits for the header; the breaker ends it.
    end_later(&breaker, &seen, 0, Duration::from_millis(100));
    let (reader, end) = read_bounded(reader, &breaker, &seen).expect("the breaker ended it");
    assert_eq!(end.ok(), Some(End::Ended));

    // A writer sends the header and two packets, then nothing.
    let records: Vec<(u32, u32, u32, &[u8])> = (0..3).map(|i| (i, 0, 2, &[7u8, 8][..])).collect();
    let bytes = pcap(false, false, 1, &records);
    let third = bytes.len() - 18;
    let mut writer = fifo.writer();
    writer.write_all(&bytes[..third]).unwrap();
    end_later(&breaker, &seen, 2, Duration::from_millis(50));
    let (reader, end) = read_bounded(reader, &breaker, &seen).expect("the breaker ended it");
    assert_eq!(end.ok(), Some(End::Ended));
    assert_eq!(seen.load(Ordering::Relaxed), 2);

    // Half of the third record, then reading is ended again: the next
    // call resumes in the middle of the record.
    writer.write_all(&bytes[third..third + 9]).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    breaker.end();
    let (reader, end) = read_bounded(reader, &breaker, &seen).expect("the breaker ended it");
    assert_eq!(end.ok(), Some(End::Ended));
    assert_eq!(seen.load(Ordering::Relaxed), 2);

    // The rest, and the writer closes: the end of the file.
    writer.write_all(&bytes[third + 9..]).unwrap();
    drop(writer);
    let (reader, end) = read_bounded(reader, &breaker, &seen).expect("the file ended");
    assert_eq!(end.ok(), Some(End::Eof));
    assert_eq!(seen.load(Ordering::Relaxed), 3);
    assert_eq!(reader.packets(), 3);
}

#[test]
fn a_fifo_that_sends_no_capture_fails_at_its_first_read() {
    let fifo = Fifo::new();
    let mut reader = Reader::open(&fifo.0).unwrap();
    let mut writer = fifo.writer();
    writer.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
    drop(writer);
    for _ in 0..2 {
        let (offset, reason) = offset_of(drain_one(&mut reader));
        assert_eq!(offset, 0);
        assert!(reason.contains("unknown magic number 47455420"), "{reason}");
    }
}

/// How the next call ends, expecting no packet.
fn drain_one(reader: &mut Reader) -> Result<End, FileError> {
    let mut seen = Vec::new();
    let end = read_one(reader, &Never, &mut seen);
    assert!(seen.is_empty());
    end.unwrap_or(Ok(End::Eof))
}
