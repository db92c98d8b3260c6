//! The eventfd that wakes a blocked loop; poll on a packet source (the socket, or a pipe's read end) plus that eventfd is `capture_file::poll_two`.

use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// A non-blocking eventfd: `wake` makes it readable, `drain` resets it.
#[derive(Debug)]
pub(crate) struct EventFd {
    fd: OwnedFd,
}

impl EventFd {
    /// A new non-blocking, close-on-exec eventfd.
    pub(crate) fn new() -> io::Result<EventFd> {
        // SAFETY: eventfd takes no pointers; a negative result is checked below.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by eventfd and is owned by nobody else.
        Ok(EventFd {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Makes the eventfd readable (wakes any poll on it). Never blocks.
    pub(crate) fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our own fd. Failure can only
        // be EAGAIN (counter saturated), which still leaves the fd readable.
        let _ = unsafe {
            libc::write(
                self.fd.as_raw_fd(),
                (&one as *const u64).cast::<libc::c_void>(),
                8,
            )
        };
    }

    /// Resets the counter so the next poll blocks again.
    pub(crate) fn drain(&self) {
        let mut value: u64 = 0;
        // SAFETY: reads at most 8 bytes into a live u64; the fd is non-blocking,
        // so an empty counter returns EAGAIN, which is the state we want.
        let _ = unsafe {
            libc::read(
                self.fd.as_raw_fd(),
                (&mut value as *mut u64).cast::<libc::c_void>(),
                8,
            )
        };
    }

    /// The raw descriptor, for poll.
    pub(crate) fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl AsFd for EventFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use capture_file::poll_two;

    #[test]
    fn wake_makes_poll_return_and_drain_resets() {
        let waker = EventFd::new().unwrap();
        let other = EventFd::new().unwrap();
        waker.wake();
        let ready = poll_two(other.raw(), waker.raw()).unwrap();
        assert!(ready.waker && !ready.source);
        waker.drain();
        other.wake();
        let ready = poll_two(other.raw(), waker.raw()).unwrap();
        assert!(!ready.waker && ready.source);
    }
}
