//! The kernel interface of capture-file: poll on an input plus a wake descriptor.
//!
//! The only module of the crate with `unsafe`; the block says why its
//! invariants hold.

use std::io;
use std::os::fd::RawFd;

/// What poll reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readiness {
    /// The source has data (a socket: a retired block).
    pub source: bool,
    /// The source reported an error condition or a hang-up (POLLERR/POLLHUP/POLLNVAL).
    pub source_error: bool,
    /// The wake descriptor is readable.
    pub waker: bool,
}

/// Blocks until `source` (a packet socket, or the read end of a pipe or FIFO)
/// is readable, in error or hung up, or `waker` is readable; a negative
/// `waker` is not polled. An interrupted poll (EINTR) returns an empty
/// [`Readiness`].
///
/// # Errors
/// poll failing for any other reason.
pub fn poll_two(source: RawFd, waker: RawFd) -> io::Result<Readiness> {
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
    // SAFETY: `fds` is a live array of two pollfd and we pass its exact length;
    // poll ignores an entry with a negative fd.
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
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    use super::*;

    #[test]
    fn poll_reports_the_source_and_the_waker_apart() {
        let (mut source_in, source) = UnixStream::pair().unwrap();
        let (mut waker_in, waker) = UnixStream::pair().unwrap();
        waker_in.write_all(&[1]).unwrap();
        let ready = poll_two(source.as_raw_fd(), waker.as_raw_fd()).unwrap();
        assert!(ready.waker && !ready.source);
        source_in.write_all(&[1]).unwrap();
        let ready = poll_two(source.as_raw_fd(), -1).unwrap();
        assert!(ready.source && !ready.waker);
    }
}
