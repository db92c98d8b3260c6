//! The C entry points of an active session: the loop and its end, statistics, the BPF filter, the fanout group, the last error.

use std::ffi::{c_char, c_int, c_uchar, c_ulonglong, c_void};
use std::ptr;

use mycap_core::{BpfInsn, BPF_MAXINSNS};

use super::{call, or_on_panic};
use crate::handle::{Handle, LoopResult};
use crate::header::{BpfInsnC, MycapHeader};

/// `mycap_handler_t`; `None` is a NULL function pointer.
pub type MycapHandler =
    Option<unsafe extern "C" fn(*mut c_void, *mut MycapHeader, *mut c_uchar) -> *mut c_void>;

/// `int mycap_loop(mycap_t *s, mycap_handler_t handler, void *user)`: 0 when
/// ended by `mycap_end_loop`, 1 at the end of a file, -1 on error.
///
/// # Safety
/// `s` is NULL or a live session of this thread; `handler` is NULL or a
/// function of the `mycap_handler_t` prototype that returns normally.
#[no_mangle]
pub unsafe extern "C" fn mycap_loop(
    s: *mut Handle,
    handler: MycapHandler,
    user: *mut c_void,
) -> c_int {
    let run = |h: &Handle| {
        let handler = handler.ok_or_else(|| "the handler is NULL".to_string())?;
        let end = h.run(|header, data| {
            // SAFETY: `handler` has the documented prototype (the caller's
            // promise); `header` and `data` live until it returns, which is
            // all the header file promises; C does not write to `data`.
            unsafe { handler(user, header, data.as_ptr().cast_mut()) };
        })?;
        Ok(match end {
            LoopResult::Ended => 0,
            LoopResult::EndOfFile => 1,
        })
    };
    // SAFETY: the caller's promise on `s`.
    unsafe { call(s, run) }
}

/// `void mycap_end_loop(mycap_t *s)`: from any thread, the handler, or a signal handler.
///
/// # Safety
/// `s` is NULL or a session not yet closed.
#[no_mangle]
pub unsafe extern "C" fn mycap_end_loop(s: *mut Handle) {
    if s.is_null() {
        return;
    }
    // SAFETY: `s` is a live session (the caller's promise). Only its breaker
    // (a OnceLock of a Send + Sync Breaker) is borrowed, never the fields
    // that the thread running the loop uses.
    let breaker = unsafe { &*ptr::addr_of!((*s).breaker) };
    or_on_panic((), || Handle::end_loop(breaker));
}

/// `int mycap_stats(mycap_t *s, unsigned long long *received, unsigned long long *dropped)`.
///
/// # Safety
/// `s` is NULL or a live session of this thread; `received` and `dropped`
/// are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mycap_stats(
    s: *mut Handle,
    received: *mut c_ulonglong,
    dropped: *mut c_ulonglong,
) -> c_int {
    let stats = |h: &Handle| {
        if received.is_null() || dropped.is_null() {
            return Err(
                "mycap_stats needs both counters (received and dropped are not NULL)".into(),
            );
        }
        let (r, d) = h.stats()?;
        // SAFETY: both are non-NULL and writable (the caller's promise).
        unsafe {
            *received = r;
            *dropped = d;
        }
        Ok(0)
    };
    // SAFETY: the caller's promise on `s`.
    unsafe { call(s, stats) }
}

/// `int mycap_setfilter_bpf(mycap_t *s, const mycap_bpf_insn_t *insns, unsigned int count)`.
///
/// # Safety
/// `s` is NULL or a live session of this thread; `insns` is NULL or points
/// to `count` instructions.
#[no_mangle]
pub unsafe extern "C" fn mycap_setfilter_bpf(
    s: *mut Handle,
    insns: *const BpfInsnC,
    count: u32,
) -> c_int {
    let set = |h: &Handle| {
        if insns.is_null() {
            return Err("the BPF program is NULL".to_string());
        }
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if count > BPF_MAXINSNS {
            return Err(format!(
                "invalid capture option: a BPF program has 1 to {BPF_MAXINSNS} instructions, this one has {count}"
            ));
        }
        // SAFETY: not NULL, `count` instructions long (the caller's promise),
        // and at most BPF_MAXINSNS of them are read.
        let program = unsafe { std::slice::from_raw_parts(insns, count) };
        let program: Vec<BpfInsn> = program.iter().copied().map(BpfInsn::from).collect();
        h.set_filter(&program).map(|()| 0)
    };
    // SAFETY: the caller's promise on `s`.
    unsafe { call(s, set) }
}

/// `int mycap_fanout_group(mycap_t *s)`: the group id, or -1 outside any group.
///
/// # Safety
/// `s` is NULL or a live session of this thread.
#[no_mangle]
pub unsafe extern "C" fn mycap_fanout_group(s: *mut Handle) -> c_int {
    // SAFETY: the caller's promise on `s`.
    unsafe { call(s, |h| Ok(h.fanout_group()?.map_or(-1, c_int::from))) }
}

/// `const char *mycap_geterr(mycap_t *s)`: the last error's message.
///
/// # Safety
/// `s` is NULL or a live session of this thread.
#[no_mangle]
pub unsafe extern "C" fn mycap_geterr(s: *mut Handle) -> *const c_char {
    // SAFETY: NULL or a live session (the caller's promise).
    match unsafe { s.as_ref() } {
        Some(handle) => or_on_panic(c"".as_ptr(), || handle.error()),
        None => c"the session is NULL".as_ptr(),
    }
}
