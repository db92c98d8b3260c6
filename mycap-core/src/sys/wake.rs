//! The eventfd that wakes a blocked loop, and poll on a packet source (the socket, or a pipe's read end) plus that eventfd.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

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

/// What poll reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Readiness {
    /// The source has data (a socket: a retired block).
    pub(crate) source: bool,
    /// The source reported an error condition or a hang-up (POLLERR/POLLHUP/POLLNVAL).
    pub(crate) source_error: bool,
    /// The eventfd was woken.
    pub(crate) waker: bool,
}

/// Blocks until `source` (a packet socket, or the read end of a pipe or FIFO)
/// is readable, in error or hung up, or `waker` is readable. An interrupted
/// poll (EINTR) returns an empty [`Readiness`].
///
/// # Errors
/// poll failing for any other reason.
pub(crate) fn poll_two(source: RawFd, waker: RawFd) -> io::Result<Readiness> {
    let mut fds = [
        libc::pollfd {
            fd: source,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: waker,
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    // SAFETY: `fds` is a live array of two pollfd and we pass its exact length.
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
    if rc < 0 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::Interrupted {
            return Ok(Readiness::default());
        }
        return Err(err);
    }
    Ok(Readiness {
        source: fds[0].revents & libc::POLLIN != 0,
        source_error: fds[0].revents & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0,
        waker: fds[1].revents & libc::POLLIN != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
