//! The opcode bits of classic BPF, as `<linux/filter.h>` (and `<pcap/bpf.h>`) name them.

/// Instruction class: load into A.
pub const LD: u16 = 0x00;
/// Instruction class: load into X.
pub const LDX: u16 = 0x01;
/// Instruction class: store A into scratch memory.
pub const ST: u16 = 0x02;
/// Instruction class: store X into scratch memory.
pub const STX: u16 = 0x03;
/// Instruction class: arithmetic and logic on A.
pub const ALU: u16 = 0x04;
/// Instruction class: jumps.
pub const JMP: u16 = 0x05;
/// Instruction class: return.
pub const RET: u16 = 0x06;
/// Instruction class: register moves (`tax`, `txa`).
pub const MISC: u16 = 0x07;

/// Load size: 32-bit word.
pub const W: u16 = 0x00;
/// Load size: 16-bit half word.
pub const H: u16 = 0x08;
/// Load size: byte.
pub const B: u16 = 0x10;

/// Load mode: immediate.
pub const IMM: u16 = 0x00;
/// Load mode: absolute offset in the packet.
pub const ABS: u16 = 0x20;
/// Load mode: offset X + k in the packet.
pub const IND: u16 = 0x40;
/// Load mode: scratch memory word k.
pub const MEM: u16 = 0x60;
/// Load mode: the packet's length.
pub const LEN: u16 = 0x80;
/// Load mode: 4 × (the low nibble of packet byte k), into X (an IPv4 header's length).
pub const MSH: u16 = 0xa0;

/// ALU operation: add.
pub const ADD: u16 = 0x00;
/// ALU operation: subtract.
pub const SUB: u16 = 0x10;
/// ALU operation: multiply.
pub const MUL: u16 = 0x20;
/// ALU operation: divide.
pub const DIV: u16 = 0x30;
/// ALU operation: or.
pub const OR: u16 = 0x40;
/// ALU operation: and.
pub const AND: u16 = 0x50;
/// ALU operation: shift left.
pub const LSH: u16 = 0x60;
/// ALU operation: shift right.
pub const RSH: u16 = 0x70;
/// ALU operation: negate.
pub const NEG: u16 = 0x80;
/// ALU operation: modulo.
pub const MOD: u16 = 0x90;
/// ALU operation: exclusive or.
pub const XOR: u16 = 0xa0;

/// Jump: always.
pub const JA: u16 = 0x00;
/// Jump: if A == operand.
pub const JEQ: u16 = 0x10;
/// Jump: if A > operand.
pub const JGT: u16 = 0x20;
/// Jump: if A >= operand.
pub const JGE: u16 = 0x30;
/// Jump: if A & operand != 0.
pub const JSET: u16 = 0x40;

/// Operand: the constant k.
pub const K: u16 = 0x00;
/// Operand: register X.
pub const X: u16 = 0x08;
/// Return operand: register A.
pub const A: u16 = 0x10;

/// `misc`: X = A.
pub const TAX: u16 = 0x00;
/// `misc`: A = X.
pub const TXA: u16 = 0x80;

/// Scratch memory words.
pub const MEMWORDS: usize = 16;

/// The offset at which the kernel's ancillary loads start (`SKF_AD_OFF`).
pub const SKF_AD_OFF: u32 = 0xffff_f000;
/// Ancillary load: the packet's protocol (`skb->protocol`).
pub const SKF_AD_PROTOCOL: u32 = 0;
/// Ancillary load: the packet type (`skb->pkt_type`).
pub const SKF_AD_PKTTYPE: u32 = 4;
/// Ancillary load: the interface index.
pub const SKF_AD_IFINDEX: u32 = 8;
/// Ancillary load: the device's hardware type (`skb->dev->type`, an `ARPHRD_*`).
pub const SKF_AD_HATYPE: u32 = 28;
/// Ancillary load: the VLAN TCI the kernel stripped.
pub const SKF_AD_VLAN_TAG: u32 = 44;
/// Ancillary load: whether the kernel stripped a VLAN tag.
pub const SKF_AD_VLAN_TAG_PRESENT: u32 = 48;
