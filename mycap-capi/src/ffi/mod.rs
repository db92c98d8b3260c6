//! The C boundary: every `mycap_*` function, and the helpers that check pointers, catch panics and write error buffers.
//!
//! Each entry point runs inside `catch_unwind`: a panic never crosses into
//! C, it becomes an error (NULL with errbuf, -1 with `mycap_geterr`). Every
//! pointer is checked for NULL first.

mod open;
mod run;

pub use open::*;
pub use run::*;

use std::ffi::{c_char, c_int, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use crate::handle::{c_string, panic_message, Handle};
use crate::header::floor_char_boundary;

/// `MYCAP_ERRBUF_SIZE`: an error buffer's bytes, NUL included.
pub const ERRBUF_SIZE: usize = 256;

/// Runs `f`, turning a panic into an error message.
fn guard<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| Err(panic_message(payload.as_ref())))
}

/// Runs `f`, turning a panic into `fallback` (for code that reports nothing).
fn or_on_panic<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// Writes `message` into `errbuf` as a C string cut to 255 bytes (never
/// inside a UTF-8 character). Does nothing when `errbuf` is NULL.
///
/// # Safety
/// `errbuf` is NULL or points to [`ERRBUF_SIZE`] writable bytes.
unsafe fn write_errbuf(errbuf: *mut c_char, message: &str) {
    if errbuf.is_null() {
        return;
    }
    let message = c_string(message);
    let text = message.to_str().unwrap_or("invalid error message");
    let n = floor_char_boundary(text, ERRBUF_SIZE - 1);
    // SAFETY: `errbuf` has ERRBUF_SIZE bytes (the caller's promise) and we
    // write n + 1 <= ERRBUF_SIZE of them, from a buffer that cannot overlap it.
    unsafe {
        ptr::copy_nonoverlapping(text.as_ptr(), errbuf.cast::<u8>(), n);
        *errbuf.add(n) = 0;
    }
}

/// A C string argument, or `None` when NULL.
///
/// # Safety
/// `value` is NULL or a NUL-terminated string that outlives `'a`.
unsafe fn c_str<'a>(value: *const c_char) -> Option<&'a CStr> {
    if value.is_null() {
        None
    } else {
        // SAFETY: not NULL, and NUL-terminated by the caller's promise.
        Some(unsafe { CStr::from_ptr(value) })
    }
}

/// Boxes a new session for C, or writes why there is none into `errbuf`.
///
/// # Safety
/// As [`write_errbuf`].
unsafe fn new_session(
    errbuf: *mut c_char,
    open: impl FnOnce() -> Result<Handle, String>,
) -> *mut Handle {
    match guard(open) {
        Ok(handle) => Box::into_raw(Box::new(handle)),
        Err(message) => {
            // SAFETY: the caller's promise on errbuf.
            unsafe { write_errbuf(errbuf, &message) };
            ptr::null_mut()
        }
    }
}

/// Runs `f` on the session `s`: its value, or -1 with the error recorded
/// for `mycap_geterr` (-1 alone for a NULL session).
///
/// # Safety
/// `s` is NULL or a session from `mycap_open*`/`mycap_create` not yet closed,
/// used by this thread only.
unsafe fn call(s: *mut Handle, f: impl FnOnce(&Handle) -> Result<c_int, String>) -> c_int {
    // SAFETY: NULL or a live session (the caller's promise); shared access
    // only, the handle's cells check any re-entry from the handler.
    let Some(handle) = (unsafe { s.as_ref() }) else {
        return -1;
    };
    or_on_panic(-1, || match guard(|| f(handle)) {
        Ok(value) => value,
        Err(message) => {
            handle.set_error(&message);
            -1
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errbuf_gets_at_most_255_bytes_and_whole_characters() {
        let mut buf = [0x55 as c_char; ERRBUF_SIZE];
        // 254 ASCII bytes then a 2-byte 'é': the 'é' would end at 256.
        let message = format!("{}é and more", "a".repeat(254));
        // SAFETY: `buf` has ERRBUF_SIZE writable bytes.
        unsafe { write_errbuf(buf.as_mut_ptr(), &message) };
        // SAFETY: write_errbuf NUL-terminates within the buffer.
        let written = unsafe { CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(written.to_bytes(), "a".repeat(254).as_bytes());
        // SAFETY: a NULL buffer is allowed and left alone.
        unsafe { write_errbuf(ptr::null_mut(), "ignored") };
        // SAFETY: as above.
        unsafe { write_errbuf(buf.as_mut_ptr(), "short") };
        // SAFETY: as above.
        let short = unsafe { CStr::from_ptr(buf.as_ptr()) };
        assert_eq!(short.to_str(), Ok("short"));
    }
}
