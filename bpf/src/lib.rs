//! netraf's classic BPF (the kernel's socket filter language): the instruction and opcodes, the interpreter, the kernel's checks and `tcpdump -d`'s listing.
//!
//! MYCAP attaches programs to sockets; netraf runs the same programs over
//! capture files with [`run`], checks them with [`validate`], and lists them
//! with [`dump`] (and reads `tcpdump -dd` with [`parse_dd`]).

mod insn;
mod listing;
pub mod opcode;
mod validate;
mod vm;

pub use insn::{Insn, BPF_MAXINSNS};
pub use listing::{dump, image, parse_dd};
pub use validate::validate;
pub use vm::{run, Ancillary};

#[cfg(test)]
mod tests;
