//! Loads asked for ahead of use: the flow plugin asks for a later packet's index entry and slot while it works on an earlier one, so that their cache misses overlap (see [`crate::held`]).
//!
//! This is the x86-64 prefetch instruction, a hint that never faults and
//! changes nothing the program can see. Stable Rust has no safe form of it
//! (`_mm_prefetch` is an `unsafe fn`, the portable intrinsic unstable), and
//! a plain load in its place does not do the job: it holds up the
//! processor until the line arrives, and measured no faster than no look
//! ahead at all (1 GiB replay, the plugin alone: 1.43 s without look-ahead,
//! 1.3–1.5 s with loads, 0.80 s with prefetches). Elsewhere the hint is
//! left out.

/// A cache line.
const LINE: usize = 64;

/// Asks for the cache line holding `r`.
#[inline(always)]
pub fn load<T>(r: &T) {
    line(r as *const T as *const i8);
}

/// Asks for every cache line of `r`.
#[inline(always)]
pub fn load_all<T>(r: &T) {
    let start = r as *const T as *const i8;
    let mut offset = 0;
    while offset < std::mem::size_of::<T>() {
        line(start.wrapping_add(offset));
        offset += LINE;
    }
}

#[inline(always)]
fn line(p: *const i8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing the program sees and never faults,
    // whatever the address; `p` points into a live value besides.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
