//! What ends a reader's wait for the next bytes of a pipe, FIFO or terminal: a flag to look at, and a descriptor to poll beside the input.

use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, Ordering};

/// Asked by [`Reader::next`](crate::Reader::next) before every record and
/// around every wait for a stream's bytes: when [`is_ended`] says so, the
/// reader returns [`Next::Ended`](crate::Next::Ended) and keeps what it has
/// read for the next call.
///
/// A wait on a stream polls the input and [`wake_fd`] together: make that
/// descriptor readable (an eventfd, a pipe) from another thread to end the
/// wait at once; [`woken`] is called when poll found it readable, to reset
/// it. Without a descriptor the wait ends only when the input has bytes.
///
/// [`is_ended`]: Interrupt::is_ended
/// [`wake_fd`]: Interrupt::wake_fd
/// [`woken`]: Interrupt::woken
pub trait Interrupt {
    /// Whether the reader should return now.
    fn is_ended(&self) -> bool;

    /// A descriptor polled beside a stream input: readable when
    /// [`Interrupt::is_ended`] may have turned true.
    fn wake_fd(&self) -> Option<BorrowedFd<'_>> {
        None
    }

    /// Poll found [`Interrupt::wake_fd`] readable: reset it, so that the
    /// next poll waits again.
    fn woken(&self) {}
}

/// Nothing ends a read: for regular files, readers, tests and tools.
#[derive(Debug, Clone, Copy, Default)]
pub struct Never;

impl Interrupt for Never {
    fn is_ended(&self) -> bool {
        false
    }
}

/// A flag set from another thread (no descriptor: it is seen between
/// records and before a wait, not during one).
impl Interrupt for AtomicBool {
    fn is_ended(&self) -> bool {
        self.load(Ordering::Relaxed)
    }
}
