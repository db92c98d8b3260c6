//! The interfaces of a network namespace, as `if_nameindex` and the `SIOCGIF*` requests give them (no privilege needed).

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// One interface: index, name, `IFF_*` flags and `ARPHRD_*` hardware type.
pub(crate) struct RawLink {
    pub(crate) index: u32,
    pub(crate) name: String,
    pub(crate) flags: i32,
    pub(crate) hatype: u16,
}

/// Every interface of the calling thread's network namespace, by index.
pub(crate) fn list() -> io::Result<Vec<RawLink>> {
    // SAFETY: plain socket(2) call; the descriptor is owned right away.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a new descriptor nothing else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: if_nameindex returns a list ended by a zeroed entry, or null.
    let head = unsafe { libc::if_nameindex() };
    if head.is_null() {
        return Err(io::Error::last_os_error());
    }
    let mut links = Vec::new();
    let mut at = head;
    loop {
        // SAFETY: `at` walks the list if_nameindex returned, up to and
        // including its zeroed last entry, which ends the walk.
        let entry = unsafe { &*at };
        if entry.if_index == 0 || entry.if_name.is_null() {
            break;
        }
        // SAFETY: a non-null if_name is a NUL-terminated string of the list.
        let name = unsafe { CStr::from_ptr(entry.if_name) };
        links.push(describe(&socket, entry.if_index, name));
        // SAFETY: the entry was not the last one, so the next one exists.
        at = unsafe { at.add(1) };
    }
    // SAFETY: `head` came from if_nameindex and is freed once.
    unsafe { libc::if_freenameindex(head) };
    Ok(links)
}

/// The flags and hardware type of interface `name` (0 where a request fails:
/// the interface went away meanwhile).
fn describe(socket: &OwnedFd, index: u32, name: &CStr) -> RawLink {
    // SAFETY: all-zero bytes are a valid ifreq (integers and arrays).
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (to, from) in req
        .ifr_name
        .iter_mut()
        .zip(name.to_bytes().iter().take(libc::IFNAMSIZ - 1))
    {
        *to = *from as libc::c_char;
    }
    let request = |code: libc::c_ulong, req: &mut libc::ifreq| {
        // SAFETY: SIOCGIFFLAGS and SIOCGIFHWADDR read and write only within `req`.
        unsafe { libc::ioctl(socket.as_raw_fd(), code as _, req as *mut libc::ifreq) == 0 }
    };
    let flags = if request(libc::SIOCGIFFLAGS, &mut req) {
        // SAFETY: the request succeeded, so the kernel filled ifru_flags.
        i32::from(unsafe { req.ifr_ifru.ifru_flags }) & 0xffff
    } else {
        0
    };
    let hatype = if request(libc::SIOCGIFHWADDR, &mut req) {
        // SAFETY: the request succeeded, so the kernel filled ifru_hwaddr.
        unsafe { req.ifr_ifru.ifru_hwaddr.sa_family }
    } else {
        0
    };
    RawLink {
        index,
        name: name.to_string_lossy().into_owned(),
        flags,
        hatype,
    }
}
