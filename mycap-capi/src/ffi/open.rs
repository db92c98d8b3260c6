//! The C entry points that make, set up and close a session: open, open_file, create, the setters, activate, close, version.

use std::ffi::{c_char, c_int, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::{c_str, call, new_session, or_on_panic};
use mycap_core::CaptureConfig;

use crate::handle::{self, arg_bytes, Handle};

/// `const char *mycap_version(void)`: "mycap X.Y.Z".
#[no_mangle]
pub extern "C" fn mycap_version() -> *const c_char {
    concat!("mycap ", env!("CARGO_PKG_VERSION"), "\0")
        .as_ptr()
        .cast()
}

/// An interface name from C: NULL is every interface.
fn interface(name: Option<&std::ffi::CStr>) -> Result<Option<&str>, String> {
    name.map(|n| {
        n.to_str()
            .map_err(|_| format!("interface name {n:?} is not UTF-8"))
    })
    .transpose()
}

/// `mycap_t *mycap_create(const char *ifname, char *errbuf)`: a session not yet activated.
///
/// # Safety
/// `ifname` is NULL or a C string; `errbuf` is NULL or has `MYCAP_ERRBUF_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn mycap_create(ifname: *const c_char, errbuf: *mut c_char) -> *mut Handle {
    // SAFETY: the caller's promises on both pointers.
    unsafe {
        let name = c_str(ifname);
        new_session(errbuf, || Ok(Handle::create(interface(name)?)))
    }
}

/// `mycap_t *mycap_open(const char *ifname, char *errbuf)`: create and activate.
///
/// # Safety
/// As [`mycap_create`].
#[no_mangle]
pub unsafe extern "C" fn mycap_open(ifname: *const c_char, errbuf: *mut c_char) -> *mut Handle {
    // SAFETY: the caller's promises on both pointers.
    unsafe {
        let name = c_str(ifname);
        new_session(errbuf, || {
            let handle = Handle::create(interface(name)?);
            handle.activate()?;
            Ok(handle)
        })
    }
}

/// `mycap_t *mycap_open_file(const char *path, char *errbuf)`: a pcap or pcapng file, `-` for standard input.
///
/// # Safety
/// `path` is NULL or a C string; `errbuf` is NULL or has `MYCAP_ERRBUF_SIZE` bytes.
#[no_mangle]
pub unsafe extern "C" fn mycap_open_file(path: *const c_char, errbuf: *mut c_char) -> *mut Handle {
    // SAFETY: the caller's promises on both pointers.
    unsafe {
        let path = c_str(path);
        new_session(errbuf, || {
            let bytes = arg_bytes(path, "the file path")?;
            Handle::open_file(Path::new(OsStr::from_bytes(bytes)))
        })
    }
}

/// Changes a setting of the created session `s`: 0, or -1 with the error recorded.
///
/// # Safety
/// As [`call`].
unsafe fn configure(
    s: *mut Handle,
    change: impl FnOnce(CaptureConfig) -> Result<CaptureConfig, String>,
) -> c_int {
    // SAFETY: the caller's promise on `s`.
    unsafe { call(s, |h| h.configure(change).map(|()| 0)) }
}

/// `int mycap_set_snaplen(mycap_t *s, int snaplen)`.
///
/// # Safety
/// `s` is NULL or a live session of this thread.
#[no_mangle]
pub unsafe extern "C" fn mycap_set_snaplen(s: *mut Handle, snaplen: c_int) -> c_int {
    // SAFETY: the caller's promise on `s`.
    unsafe { configure(s, |c| Ok(c.snaplen(handle::snaplen(snaplen)?))) }
}

/// `int mycap_set_promisc(mycap_t *s, int on)`.
///
/// # Safety
/// `s` is NULL or a live session of this thread.
#[no_mangle]
pub unsafe extern "C" fn mycap_set_promisc(s: *mut Handle, on: c_int) -> c_int {
    // SAFETY: the caller's promise on `s`.
    unsafe { configure(s, |c| Ok(c.promiscuous(on != 0))) }
}

/// `int mycap_set_ring_size(mycap_t *s, size_t bytes)`.
///
/// # Safety
/// `s` is NULL or a live session of this thread.
#[no_mangle]
pub unsafe extern "C" fn mycap_set_ring_size(s: *mut Handle, bytes: usize) -> c_int {
    // SAFETY: the caller's promise on `s`.
    unsafe { configure(s, |c| Ok(c.ring_size(bytes))) }
}

/// `int mycap_set_timeout_ms(mycap_t *s, int ms)`: the ring's block timeout.
///
/// # Safety
/// `s` is NULL or a live session of this thread.
#[no_mangle]
pub unsafe extern "C" fn mycap_set_timeout_ms(s: *mut Handle, ms: c_int) -> c_int {
    // SAFETY: the caller's promise on `s`.
    unsafe { configure(s, |c| Ok(c.block_timeout(handle::timeout(ms)?))) }
}

/// `int mycap_set_direction(mycap_t *s, int direction)`.
///
/// # Safety
/// `s` is NULL or a live session of this thread.
#[no_mangle]
pub unsafe extern "C" fn mycap_set_direction(s: *mut Handle, direction: c_int) -> c_int {
    // SAFETY: the caller's promise on `s`.
    unsafe { configure(s, |c| Ok(c.direction(handle::direction(direction)?))) }
}

/// `int mycap_set_fanout(mycap_t *s, int group, int mode)`.
///
/// # Safety
/// `s` is NULL or a live session of this thread.
#[no_mangle]
pub unsafe extern "C" fn mycap_set_fanout(s: *mut Handle, group: c_int, mode: c_int) -> c_int {
    // SAFETY: the caller's promise on `s`.
    unsafe { configure(s, |c| Ok(c.fanout(Some(handle::fanout(group, mode)?)))) }
}

/// `int mycap_set_netns(mycap_t *s, const char *path)`.
///
/// # Safety
/// `s` is NULL or a live session of this thread; `path` is NULL or a C string.
#[no_mangle]
pub unsafe extern "C" fn mycap_set_netns(s: *mut Handle, path: *const c_char) -> c_int {
    // SAFETY: the caller's promises on `s` and `path`.
    unsafe {
        let path = c_str(path);
        configure(s, |c| {
            let bytes = arg_bytes(path, "the namespace path")?;
            Ok(c.netns(OsStr::from_bytes(bytes)))
        })
    }
}

/// `int mycap_activate(mycap_t *s)`.
///
/// # Safety
/// `s` is NULL or a live session of this thread.
#[no_mangle]
pub unsafe extern "C" fn mycap_activate(s: *mut Handle) -> c_int {
    // SAFETY: the caller's promise on `s`.
    unsafe { call(s, |h| h.activate().map(|()| 0)) }
}

/// `void mycap_close(mycap_t *s)`: closes and frees; NULL does nothing, and
/// so does a call from inside the session's own handler (recorded as its error).
///
/// # Safety
/// `s` is NULL or a live session of this thread; it is freed and must not be used again.
#[no_mangle]
pub unsafe extern "C" fn mycap_close(s: *mut Handle) {
    // SAFETY: NULL or a live session (the caller's promise).
    let Some(handle) = (unsafe { s.as_ref() }) else {
        return;
    };
    if handle.is_looping() {
        handle.set_error("mycap_close inside the session's own handler is ignored: close after mycap_loop returns");
        return;
    }
    // SAFETY: made by Box::into_raw in new_session and not freed yet; no
    // reference to it is alive (the loop is not running).
    let boxed = unsafe { Box::from_raw(s) };
    or_on_panic((), || {
        // A failing close (munmap, close) has no one left to tell.
        let _ = boxed.close();
    });
}
