//! netraf's classic BPF (the kernel's socket filter language): one instruction type and the opcodes, shared by MYCAP, which attaches programs to sockets, and netraf's filter compiler.

mod insn;
pub mod opcode;

pub use insn::{Insn, BPF_MAXINSNS};
