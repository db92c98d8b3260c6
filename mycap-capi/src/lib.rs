//! MYCAP for C: `libmycap.so` and `libmycap.a`, the original's open / loop / end / close API over mycap-core.
//!
//! The C declarations are in `include/mycap.h`; C programs link `-lmycap`.
//! Everything that crosses the C boundary (raw pointers, the handler call,
//! catching panics) is in [`ffi`]; the session behind a `mycap_t *` and its
//! loop are plain safe Rust ([`handle`], [`header`]).

pub mod handle;
pub mod header;

#[allow(unsafe_code)]
#[deny(unsafe_op_in_unsafe_fn)]
pub mod ffi;

#[cfg(test)]
mod layout_check;

pub use handle::Handle;
pub use header::{BpfInsnC, MycapHeader};
