//! Running one call inside another network namespace, on a short-lived thread.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Runs `f` on a new thread that first joins the network namespace at `path`
/// (e.g. `/var/run/netns/NAME`). `setns(CLONE_NEWNET)` only moves the calling
/// thread, so the caller's thread stays where it was; sockets created by `f`
/// stay in the namespace for their whole life.
///
/// # Errors
/// The namespace file cannot be opened, or `setns` fails (then `f` does not run).
pub(crate) fn in_netns<R, F>(path: &Path, f: F) -> io::Result<R>
where
    F: FnOnce() -> R + Send,
    R: Send,
{
    let ns = File::open(path)?;
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            // SAFETY: `ns` is an open file descriptor owned by this closure for
            // the whole call; setns only changes this thread's namespace.
            let rc = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
            if rc != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(f())
        });
        match worker.join() {
            Ok(result) => result,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}
