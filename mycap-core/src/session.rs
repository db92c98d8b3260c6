//! The capture session: open, run the loop with a handler, end it, close.
//!
//! A session owns one packet source (a live socket with its ring, or a capture
//! file) and runs the same loop over either.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use std::path::Path;

use crate::file::FileSource;
use crate::header::PacketHeader;
use crate::live::Live;
use crate::{CaptureConfig, Error};

/// What a handler answers for each packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Keep the loop running.
    Continue,
    /// End the loop after this packet; the next packet stays for the next run.
    Stop,
}

/// Receives every packet of a loop. The handler's own fields are its state;
/// any `FnMut(&PacketHeader, &[u8]) -> Verdict` closure is a handler too.
pub trait Handler {
    /// Called once per packet with its header and bytes (borrowed, valid only
    /// for the call).
    fn on_packet(&mut self, header: &PacketHeader<'_>, data: &[u8]) -> Verdict;
}

impl<F> Handler for F
where
    F: FnMut(&PacketHeader<'_>, &[u8]) -> Verdict,
{
    fn on_packet(&mut self, header: &PacketHeader<'_>, data: &[u8]) -> Verdict {
        self(header, data)
    }
}

/// Why a loop returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopEnd {
    /// The handler answered [`Verdict::Stop`].
    Stopped,
    /// [`Breaker::end`] was called.
    Ended,
    /// The source has no more packets (end of a capture file).
    Eof,
}

/// Cumulative counters of a session, over all runs of its loop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets that reached the socket (handled or dropped), as libpcap's `ps_recv`.
    pub received: u64,
    /// Packets the kernel dropped because the ring was full.
    pub dropped: u64,
}

/// State shared between a session and its breakers.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    ended: AtomicBool,
}

impl Shared {
    /// Whether `end()` was called since the loop last returned [`LoopEnd::Ended`].
    #[allow(dead_code)] // polled by the sources between packets
    pub(crate) fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// Clears the flag; returns whether it was set.
    pub(crate) fn take_ended(&self) -> bool {
        self.ended.swap(false, Ordering::AcqRel)
    }
}

/// Ends a session's loop from any thread. Cloneable, `Send + Sync`; does
/// nothing once the session is closed.
#[derive(Debug, Clone)]
pub struct Breaker {
    shared: Weak<Shared>,
}

impl Breaker {
    /// Makes the running loop return [`LoopEnd::Ended`] (or the next run, if none
    /// is running).
    pub fn end(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.ended.store(true, Ordering::Release);
        }
    }
}

enum Source {
    Live(Live),
    File(FileSource),
}

/// An open capture session.
pub struct Session {
    source: Source,
    shared: Arc<Shared>,
}

impl Session {
    /// Opens a live session.
    ///
    /// # Errors
    /// [`Error::Permission`] without CAP_NET_RAW, [`Error::NoSuchInterface`],
    /// [`Error::InterfaceDown`], [`Error::Os`] for any other failing call.
    pub fn open(config: &CaptureConfig) -> Result<Session, Error> {
        let shared = Arc::new(Shared::default());
        let live = Live::open(config, &shared)?;
        Ok(Session {
            source: Source::Live(live),
            shared,
        })
    }

    /// Opens a capture file (pcap or pcapng) as the session's source; the
    /// path `-` reads standard input.
    ///
    /// # Errors
    /// [`Error::File`] when the file cannot be opened or its header is not a
    /// capture file's.
    pub fn open_file(path: &Path) -> Result<Session, Error> {
        Ok(Session {
            source: Source::File(FileSource::open(path)?),
            shared: Arc::new(Shared::default()),
        })
    }

    /// Reads a pcap or pcapng capture from any byte stream (a pipe, a socket,
    /// a decompressor). `name` stands for the file's path in errors.
    /// [`Session::open_file`] with the path `-` reads standard input.
    ///
    /// # Errors
    /// [`Error::File`] when the stream does not start with a capture file's header.
    pub fn open_reader(
        name: &str,
        reader: Box<dyn std::io::Read + Send>,
    ) -> Result<Session, Error> {
        Ok(Session {
            source: Source::File(FileSource::from_reader(name, reader)?),
            shared: Arc::new(Shared::default()),
        })
    }

    /// Runs the loop until the handler stops it, a breaker ends it, or the
    /// source ends.
    ///
    /// # Errors
    /// A failing system call, or a damaged capture file.
    pub fn run<H: Handler + ?Sized>(&mut self, handler: &mut H) -> Result<LoopEnd, Error> {
        if self.shared.take_ended() {
            return Ok(LoopEnd::Ended);
        }
        match &mut self.source {
            Source::Live(live) => live.run(handler, &self.shared),
            Source::File(file) => file.run(handler, &self.shared),
        }
    }

    /// A handle that ends the loop from another thread.
    pub fn breaker(&self) -> Breaker {
        Breaker {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Cumulative received and dropped counts.
    ///
    /// # Errors
    /// A failing `getsockopt(PACKET_STATISTICS)`.
    pub fn stats(&mut self) -> Result<Stats, Error> {
        match &mut self.source {
            Source::Live(live) => live.stats(),
            Source::File(file) => file.stats(),
        }
    }

    /// Closes the session, reporting errors that dropping would hide.
    ///
    /// # Errors
    /// A failing `close` or `munmap`.
    pub fn close(self) -> Result<(), Error> {
        match self.source {
            Source::Live(live) => live.close(),
            Source::File(file) => file.close(),
        }
    }
}
