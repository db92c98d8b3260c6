//! The capture session: open, run the loop with a handler, end it, close.
//!
//! A session owns one packet source (a live socket with its ring, or a capture
//! file) and runs the same loop over either.

use std::path::Path;
use std::sync::Arc;

use crate::bpf::BpfInsn;
use crate::file::FileSource;
use crate::live::Live;
use crate::loop_control::{Breaker, Handler, LoopEnd, Shared, Stats};
use crate::{CaptureConfig, Error};

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
            source: Source::File(FileSource::from_reader(name, reader)?),
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
            return Ok(LoopEnd::ByBreaker);
        }
        match &mut self.source {
            Source::Live(live) => live.run(handler, &self.shared),
            Source::File(file) => file.run(handler, &self.shared),
        }
    }

    /// A handle that ends the loop from another thread.
    pub fn breaker(&self) -> Breaker {
        Breaker::of(&self.shared)
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
    ///
    /// As libpcap does, packets the previous program accepted are not
    /// delivered once this returns: a program rejecting everything is
    /// attached first, the block the kernel was filling is retired (this may
    /// wait a few block timeouts), every block still in the ring is dropped
    /// (those packets still count in [`Stats::received`](crate::Stats::received):
    /// the kernel counted them), and only then is `program` attached. The next
    /// [`run`](Session::run) starts with packets the new program accepted.
    /// To filter from the first packet, open with [`CaptureConfig::filter`].
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
