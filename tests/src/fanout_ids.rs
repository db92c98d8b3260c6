//! The kernel's counter of new fanout group ids, moved by tests to where a freshly booted machine has it.
//!
//! The kernel gives a new `PACKET_FANOUT` group (`PACKET_FANOUT_FLAG_UNIQUEID`)
//! the first id from a global 16-bit counter that no group of the namespace
//! uses, and the counter is 0 after boot. A test that must see what happens
//! on such a machine calls [`wrap_new_group_ids`], which creates and closes
//! groups until the next new group gets id 0. The counter is global: every
//! test that creates a new group holds [`NEW_GROUPS`] for reading while it
//! does, and the wrapping test holds it for writing.

use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Held for reading while a test creates new fanout groups, for writing by
/// the test that moves the counter (so that nobody takes id 0 before it).
pub static NEW_GROUPS: RwLock<()> = RwLock::new(());

/// Taken by a test that creates new fanout groups.
pub fn creating_groups() -> RwLockReadGuard<'static, ()> {
    NEW_GROUPS.read().unwrap_or_else(|e| e.into_inner())
}

/// Taken by a test that needs the counter for itself.
pub fn owning_the_counter() -> RwLockWriteGuard<'static, ()> {
    NEW_GROUPS.write().unwrap_or_else(|e| e.into_inner())
}

/// Threads that create and close groups at once: closing a packet socket
/// waits for an RCU grace period, which concurrent closes share.
const THREADS: u32 = 128;

/// Creates and closes new fanout groups in namespace `netns` until the next
/// new group, in any namespace, gets id 0, as after boot. Hold
/// [`owning_the_counter`] from before this call until that group exists.
///
/// # Errors
/// A socket call failing, or another process creating groups meanwhile.
pub fn wrap_new_group_ids(netns: &Path) -> io::Result<()> {
    let netns = Arc::new(File::open(netns)?);
    let first = in_netns(&netns, new_group)?;
    if first == u16::MAX {
        return Ok(());
    }
    // Every id above `first` is free in the new namespace, so each new group
    // takes the next one: leave the last for a check below.
    let left = Arc::new(AtomicU32::new(u32::from(u16::MAX - first - 1)));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (netns, left) = (Arc::clone(&netns), Arc::clone(&left));
            std::thread::spawn(move || -> io::Result<()> {
                enter(&netns)?;
                while left
                    .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                    .is_ok()
                {
                    new_group()?;
                }
                Ok(())
            })
        })
        .collect();
    for worker in workers {
        worker
            .join()
            .map_err(|_| io::Error::other("a group-creating thread panicked"))??;
    }
    let last = in_netns(&netns, new_group)?;
    if last != u16::MAX {
        return Err(io::Error::other(format!(
            "the last group before the wrap got id {last}, not {}: another process \
             creates fanout groups",
            u16::MAX
        )));
    }
    Ok(())
}

/// Runs `f` on a thread inside `netns`.
fn in_netns<T: Send + 'static>(netns: &Arc<File>, f: fn() -> io::Result<T>) -> io::Result<T> {
    let netns = Arc::clone(netns);
    std::thread::spawn(move || {
        enter(&netns)?;
        f()
    })
    .join()
    .map_err(|_| io::Error::other("a group-creating thread panicked"))?
}

/// Moves the calling thread into `netns`.
fn enter(netns: &File) -> io::Result<()> {
    // SAFETY: setns with a valid namespace file descriptor changes only the
    // calling thread's network namespace.
    if unsafe { libc::setns(netns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Creates a packet socket in a new fanout group, returns the group's id and
/// closes the socket (which ends the group).
fn new_group() -> io::Result<u16> {
    let protocol = (libc::ETH_P_ALL as u16).to_be();
    // SAFETY: plain socket(2) call; the result is checked before use.
    let fd = unsafe {
        libc::socket(
            libc::AF_PACKET,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            i32::from(protocol),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new descriptor that nothing else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    let arg: u32 = (libc::PACKET_FANOUT_HASH | libc::PACKET_FANOUT_FLAG_UNIQUEID) << 16;
    // SAFETY: `arg` is a u32 that lives across the call, its size passed.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_FANOUT,
            std::ptr::from_ref(&arg).cast(),
            std::mem::size_of::<u32>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut joined: u32 = 0;
    let mut len = std::mem::size_of::<u32>() as libc::socklen_t;
    // SAFETY: `joined` and `len` are valid for writes and `len` holds `joined`'s size.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_PACKET,
            libc::PACKET_FANOUT,
            std::ptr::from_mut(&mut joined).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((joined & 0xffff) as u16)
}
