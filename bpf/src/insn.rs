//! One classic BPF instruction, laid out as the kernel's `struct sock_filter`.

/// The kernel's limit on program length (`BPF_MAXINSNS`).
pub const BPF_MAXINSNS: usize = 4096;

/// One classic BPF instruction, with the fields of the kernel's `struct
/// sock_filter` (the same four fields `tcpdump -dd` prints).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Insn {
    /// Opcode (`BPF_LD | BPF_H | BPF_ABS`, ...): see [`crate::opcode`].
    pub code: u16,
    /// Jump offset if true.
    pub jt: u8,
    /// Jump offset if false.
    pub jf: u8,
    /// Constant operand.
    pub k: u32,
}

impl Insn {
    /// An instruction from its four fields, in `tcpdump -dd` order.
    pub const fn new(code: u16, jt: u8, jf: u8, k: u32) -> Insn {
        Insn { code, jt, jf, k }
    }

    /// `ret #k`: accept `k` bytes of the packet (0 rejects it).
    pub const fn ret(k: u32) -> Insn {
        Insn::new(crate::opcode::RET | crate::opcode::K, 0, 0, k)
    }
}
