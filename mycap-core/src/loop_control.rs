//! What every source's loop shares: the handler and its verdict, why a loop returns, the counters, and the end request that a breaker sets.
//!
//! A leaf module: the live and file sources and the session all use it, and
//! it uses none of them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use crate::sys::EventFd;
use crate::PacketHeader;

/// What a handler answers for each packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Keep the loop running.
    Continue,
    /// End the loop after this packet; the next packet stays for the next run.
    /// (The loop's word for it is *end*, as in [`Breaker::end`] and
    /// [`LoopEnd`]; plugin-api's `Verdict::End` ends a run the same way.)
    End,
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
    /// The handler answered [`Verdict::End`].
    ByHandler,
    /// [`Breaker::end`] was called.
    ByBreaker,
    /// The source has no more packets (end of a capture file).
    Eof,
}

/// Cumulative counters of a session, over all runs of its loop.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
///
/// For a live session they add up the kernel's `PACKET_STATISTICS`, which
/// resets on every read; the session reads it on each [`Session::stats`](crate::Session::stats) call
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
    /// Whether `end()` was called since the loop last returned [`LoopEnd::ByBreaker`].
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

    /// The eventfd that [`Breaker::end`] writes, once installed.
    pub(crate) fn waker(&self) -> Option<&EventFd> {
        self.waker.get().map(|waker| &**waker)
    }
}

/// Ends a session's loop from any thread. Cloneable, `Send + Sync`; does
/// nothing once the session is closed.
#[derive(Debug, Clone)]
pub struct Breaker {
    shared: Weak<Shared>,
}

impl Breaker {
    /// A breaker of the loop whose state is `shared`.
    pub(crate) fn of(shared: &Arc<Shared>) -> Breaker {
        Breaker {
            shared: Arc::downgrade(shared),
        }
    }

    /// Makes the running loop return [`LoopEnd::ByBreaker`] (or the next run, if none
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
