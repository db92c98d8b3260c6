//! The capture session: open, run the loop with a handler, end it, close.
//!
//! A session owns one packet source (a live socket with its ring, or a capture
//! file) and runs the same loop over either.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use std::path::Path;

use crate::bpf::BpfInsn;
use crate::file::FileSource;
use crate::header::PacketHeader;
use crate::live::Live;
use crate::sys::EventFd;
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
///
/// For a live session they add up the kernel's `PACKET_STATISTICS`, which
/// resets on every read; the session reads it on each [`Session::stats`] call
/// and keeps the sums, so the figures stay right across runs of the loop. Read
/// them at least every 2^32 packets (the kernel's counters are 32-bit).
pub struct Stats {
    /// Packets that passed the socket filter: those put in the ring plus those
    /// dropped for lack of room (libpcap's `ps_recv`: the kernel adds its drops
    /// to `tp_packets`). Packets in the ring count whether or not the handler
    /// has seen them yet, and so do received packets that
    /// [`Direction::Out`](crate::Direction::Out) skips.
    pub received: u64,
    /// Packets that passed the filter but found the ring full (`tp_drops`,
    /// libpcap's `ps_drop`). Packets the filter rejected count nowhere.
    pub dropped: u64,
}

/// State shared between a session and its breakers.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    ended: AtomicBool,
    /// Wakes a loop blocked in poll; installed once by the live source, or
    /// by a file source reading a pipe, FIFO or terminal.
    waker: OnceLock<Arc<EventFd>>,
}

impl Shared {
    /// Whether `end()` was called since the loop last returned [`LoopEnd::Ended`].
    pub(crate) fn is_ended(&self) -> bool {
        self.ended.load(Ordering::Relaxed)
    }

    /// Clears the flag; returns whether it was set.
    pub(crate) fn take_ended(&self) -> bool {
        self.ended.swap(false, Ordering::AcqRel)
    }

    /// Sets the eventfd that [`Breaker::end`] writes (the first one stays).
    pub(crate) fn install_waker(&self, waker: Arc<EventFd>) {
        let _ = self.waker.set(waker);
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
    /// is running), as `pcap_breakloop`. A live loop blocked on an idle
    /// interface, or a file loop waiting for a pipe or FIFO that sends
    /// nothing, wakes at once (the session's eventfd), without busy polling;
    /// a loop busy with packets returns before its next packet, which stays
    /// for the next run.
    pub fn end(&self) {
        if let Some(shared) = self.shared.upgrade() {
            shared.ended.store(true, Ordering::Release);
            if let Some(waker) = shared.waker.get() {
                waker.wake();
            }
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
    /// Opens a live session: a raw packet socket (inside `config.netns` if
    /// set) with its filter and `TPACKET_V3` ring, bound to the interface.
    ///
    /// # Errors
    /// [`Error::Permission`] without CAP_NET_RAW, [`Error::NoSuchInterface`],
    /// [`Error::InterfaceDown`], [`Error::InvalidConfig`] for a snap length
    /// out of range, promiscuous mode on `any` or a fanout group the kernel
    /// refuses, [`Error::Os`] for any other failing call.
    pub fn open(config: &CaptureConfig) -> Result<Session, Error> {
        let shared = Arc::new(Shared::default());
        let live = Live::open(config, &shared)?;
        Ok(Session {
            source: Source::Live(live),
            shared,
        })
    }

    /// Checks, without capturing, what [`Session::open`] would refuse: the
    /// settings, the namespace, the permission, and the interface (that it
    /// exists and is up). Nothing is bound, mapped or received.
    ///
    /// # Errors
    /// As [`Session::open`].
    pub fn check(config: &CaptureConfig) -> Result<(), Error> {
        crate::live::check(config)
    }

    /// Opens a capture file (pcap or pcapng) as the session's source; the
    /// path `-` reads standard input.
    ///
    /// A pipe, a FIFO or a terminal (anything but a regular file or a block
    /// device) may keep the loop waiting for its writer: a [`Breaker`] ends
    /// that wait, and the loop can run again later. Opening does not wait for
    /// a FIFO's writer; the header of such an input is read by the first
    /// [`run`](Session::run), so a breaker can end that wait too, and a
    /// header that is not a capture file's is that run's error.
    ///
    /// # Errors
    /// [`Error::File`] when the file cannot be opened or (a regular file's)
    /// header is not a capture file's; [`Error::Os`] when the eventfd of a
    /// pipe's session cannot be made.
    pub fn open_file(path: &Path) -> Result<Session, Error> {
        let shared = Arc::new(Shared::default());
        Ok(Session {
            source: Source::File(FileSource::open(path, &shared)?),
            shared,
        })
    }

    /// Reads a pcap or pcapng capture from any byte stream (a pipe, a socket,
    /// a decompressor). `name` stands for the file's path in errors.
    /// [`Session::open_file`] with the path `-` reads standard input. A
    /// [`Breaker`] ends the loop between reads, but cannot end a read that
    /// blocks inside `reader`: open pipes and FIFOs with
    /// [`Session::open_file`] for that.
    ///
    /// # Errors
    /// [`Error::File`] when the stream does not start with a capture file's header.
    pub fn open_reader(
        name: &str,
        reader: Box<dyn std::io::Read + Send>,
    ) -> Result<Session, Error> {
        let shared = Arc::new(Shared::default());
        Ok(Session {
            source: Source::File(FileSource::from_reader(name, reader, &shared)?),
            shared,
        })
    }

    /// Runs the loop until the handler stops it, a breaker ends it, or the
    /// source ends. Packets not yet handled stay for the next run.
    ///
    /// # Errors
    /// A failing system call, the interface going down (the kernel stops
    /// delivering; reopen the session), or a damaged capture file.
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

    /// The id of the fanout group the session joined ([`CaptureConfig::fanout`]):
    /// the kernel's pick when the config asked for a new group. `None` for a
    /// session outside any group, and for capture files.
    pub fn fanout_group(&self) -> Option<u16> {
        match &self.source {
            Source::Live(live) => live.fanout_group(),
            Source::File(_) => None,
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

    /// Attaches a classic BPF program (raw instructions, as `tcpdump -dd`
    /// prints them) to a live session, replacing the previous one. Non-zero
    /// `ret #k` are clamped to the snap length, which the filter enforces.
    /// Packets already in the ring were accepted by the previous program and
    /// are still delivered.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for an empty or too long program, or on a file
    /// session; [`Error::Os`] when the kernel refuses the program.
    pub fn set_filter(&mut self, program: &[BpfInsn]) -> Result<(), Error> {
        match &mut self.source {
            Source::Live(live) => live.set_filter(program),
            Source::File(_) => Err(Error::InvalidConfig(
                "a kernel filter applies to live sessions, not to capture files".into(),
            )),
        }
    }

    /// Sends `frame` exactly as given (link header included) on the live
    /// session's interface, as `pcap_inject`. The session does not capture its
    /// own frames. Returns the bytes sent.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] on `any` or a file session; [`Error::Os`] when
    /// the kernel refuses the frame.
    pub fn inject(&self, frame: &[u8]) -> Result<usize, Error> {
        match &self.source {
            Source::Live(live) => live.inject(frame),
            Source::File(_) => Err(Error::InvalidConfig(
                "cannot send packets into a capture file session".into(),
            )),
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
