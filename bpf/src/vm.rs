//! The classic BPF interpreter: runs a program over one packet as the Linux kernel's socket filter does.
//!
//! Semantics are those of the kernel (`net/core/filter.c`, which converts a
//! classic program and runs it), which agree with libpcap's `bpf_filter`
//! (`pcap/bpf_filter.c`) on every program libpcap's compiler emits:
//!
//! - a load outside the captured bytes ends the program, returning 0;
//! - `ld #pktlen` (`BPF_LEN`) is the packet's length on the wire, as libpcap's
//!   `wirelen` (the kernel's `skb->len` is the whole frame too);
//! - division or modulo by a zero X returns 0 (by a constant 0 is refused by
//!   [`crate::validate`], and returns 0 here);
//! - an unknown opcode, or a jump or fall out of the program, returns 0
//!   (programs that pass [`crate::validate`] never do that).
//!
//! Where the two differ, the kernel wins (netraf attaches the same programs
//! to sockets, and a capture file must filter as the socket did):
//!
//! - a shift by X uses `X & 31` (the kernel's 32-bit ALU); libpcap 1.10
//!   gives 0 for `X >= 32`. A shift by a constant ≥ 32 is refused by
//!   [`crate::validate`]; here it also uses `k & 31`;
//! - `[x + k]` adds in 32 bits with wrap-around, as the kernel does, then a
//!   negative offset is out of bounds; libpcap rejects a sum that overflows;
//! - the kernel's negative offsets (`SKF_NET_OFF`, `SKF_LL_OFF`) need the
//!   socket buffer's header offsets, which a capture file does not give:
//!   they load nothing and return 0, as in libpcap;
//! - ancillary loads (`k ≥ SKF_AD_OFF`, absolute loads of any size, as the
//!   kernel) read [`Ancillary`]; libpcap's file filtering has none of them
//!   (it returns 0 for such a load).

use crate::opcode::*;
use crate::Insn;

/// What the kernel knows of a packet besides its bytes: the values of the
/// ancillary loads (`ld [SKF_AD_OFF + ...]`).
///
/// A live socket has them all. A capture file gives some: the protocol
/// (ethertype) and packet type from a `LINUX_SLL`/`LINUX_SLL2` header, the
/// interface index from `LINUX_SLL2`, the packet type from a pcapng
/// `epb_flags` option, a stripped VLAN tag only where the capture kept it
/// outside the bytes; the rest (mark, queue, rxhash, cpu) are not recorded
/// by any file format. `Ancillary::default()` is all zeros and no VLAN tag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ancillary {
    /// `SKF_AD_PROTOCOL`: the ethertype in host order (`ntohs(skb->protocol)`).
    pub protocol: u16,
    /// `SKF_AD_PKTTYPE`: `PACKET_HOST` (0), `PACKET_BROADCAST` (1), ... `PACKET_OUTGOING` (4).
    pub pkttype: u8,
    /// `SKF_AD_IFINDEX`: the interface index.
    pub ifindex: u32,
    /// `SKF_AD_MARK`: the socket buffer's mark.
    pub mark: u32,
    /// `SKF_AD_QUEUE`: the receive queue.
    pub queue: u16,
    /// `SKF_AD_HATYPE`: the device's ARPHRD_ type.
    pub hatype: u16,
    /// `SKF_AD_RXHASH`: the flow hash.
    pub rxhash: u32,
    /// `SKF_AD_CPU`: the processor that runs the filter.
    pub cpu: u32,
    /// `SKF_AD_VLAN_TAG` (the TCI) and `SKF_AD_VLAN_TAG_PRESENT`: the VLAN
    /// tag the kernel (or the NIC) stripped from the frame, if any.
    pub vlan_tci: Option<u16>,
    /// `SKF_AD_VLAN_TPID`: the stripped tag's TPID (0x8100, 0x88a8).
    pub vlan_tpid: u16,
    /// `SKF_AD_RANDOM`: the value the kernel's `prandom_u32` would give.
    pub random: u32,
}

/// Ancillary load: netlink attribute lookup (`SKF_AD_NLATTR`).
const SKF_AD_NLATTR: u32 = 12;
/// Ancillary load: nested netlink attribute lookup (`SKF_AD_NLATTR_NEST`).
const SKF_AD_NLATTR_NEST: u32 = 16;
/// Ancillary load: `skb->mark`.
const SKF_AD_MARK: u32 = 20;
/// Ancillary load: `skb->queue_mapping`.
const SKF_AD_QUEUE: u32 = 24;
/// Ancillary load: `skb->hash`.
const SKF_AD_RXHASH: u32 = 32;
/// Ancillary load: the current processor.
const SKF_AD_CPU: u32 = 36;
/// Ancillary "load": `A ^= X`.
const SKF_AD_ALU_XOR_X: u32 = 40;
/// Ancillary load: the payload offset the flow dissector finds.
const SKF_AD_PAY_OFFSET: u32 = 52;
/// Ancillary load: a random number.
const SKF_AD_RANDOM: u32 = 56;
/// Ancillary load: the stripped VLAN tag's TPID.
const SKF_AD_VLAN_TPID: u32 = 60;

/// Whether `k` (of an absolute load) names an ancillary load the kernel knows.
pub(crate) fn known_ancillary(k: u32) -> bool {
    k >= SKF_AD_OFF
        && matches!(
            k - SKF_AD_OFF,
            SKF_AD_PROTOCOL
                | SKF_AD_PKTTYPE
                | SKF_AD_IFINDEX
                | SKF_AD_NLATTR
                | SKF_AD_NLATTR_NEST
                | SKF_AD_MARK
                | SKF_AD_QUEUE
                | SKF_AD_HATYPE
                | SKF_AD_RXHASH
                | SKF_AD_CPU
                | SKF_AD_ALU_XOR_X
                | SKF_AD_VLAN_TAG
                | SKF_AD_VLAN_TAG_PRESENT
                | SKF_AD_PAY_OFFSET
                | SKF_AD_RANDOM
                | SKF_AD_VLAN_TPID
        )
}

/// The new A of the ancillary load `k - SKF_AD_OFF`, or `None` when the
/// program must end returning 0 (unknown, or netlink attributes and payload
/// offsets, which need the kernel's socket buffer).
fn ancillary(which: u32, a: u32, x: u32, anc: &Ancillary) -> Option<u32> {
    Some(match which {
        SKF_AD_PROTOCOL => u32::from(anc.protocol),
        SKF_AD_PKTTYPE => u32::from(anc.pkttype),
        SKF_AD_IFINDEX => anc.ifindex,
        SKF_AD_MARK => anc.mark,
        SKF_AD_QUEUE => u32::from(anc.queue),
        SKF_AD_HATYPE => u32::from(anc.hatype),
        SKF_AD_RXHASH => anc.rxhash,
        SKF_AD_CPU => anc.cpu,
        SKF_AD_ALU_XOR_X => a ^ x,
        SKF_AD_VLAN_TAG => u32::from(anc.vlan_tci.unwrap_or(0)),
        SKF_AD_VLAN_TAG_PRESENT => u32::from(anc.vlan_tci.is_some()),
        SKF_AD_RANDOM => anc.random,
        SKF_AD_VLAN_TPID => u32::from(anc.vlan_tpid),
        _ => return None,
    })
}

/// `size` bytes (1, 2 or 4) of `packet` at `offset`, big-endian, or `None`
/// out of bounds (a negative offset included).
fn load(packet: &[u8], offset: i32, size: usize) -> Option<u32> {
    let start = usize::try_from(offset).ok()?;
    let bytes = packet.get(start..start.checked_add(size)?)?;
    Some(bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
}

/// The byte count of a load's size bits, or `None` for the invalid size 0x18.
fn size_of(code: u16) -> Option<usize> {
    match code & 0x18 {
        W => Some(4),
        H => Some(2),
        B => Some(1),
        _ => None,
    }
}

/// Runs `program` over `packet` (the captured bytes) whose length on the
/// wire is `wire_len`, and returns what the program returns: the number of
/// bytes to keep, 0 to reject the packet. Never panics, whatever the
/// program or packet.
pub fn run(program: &[Insn], packet: &[u8], wire_len: u32, ancillary_data: &Ancillary) -> u32 {
    let mut a: u32 = 0;
    let mut x: u32 = 0;
    let mut mem = [0u32; MEMWORDS];
    let mut pc: usize = 0;
    while let Some(insn) = program.get(pc) {
        pc += 1;
        let k = insn.k;
        match insn.code & 0x07 {
            LD => match insn.code & 0xe0 {
                IMM if insn.code == LD | IMM => a = k,
                MEM if insn.code == LD | MEM => match mem.get(k as usize) {
                    Some(word) => a = *word,
                    None => return 0,
                },
                LEN if insn.code == LD | W | LEN => a = wire_len,
                ABS => {
                    let Some(size) = size_of(insn.code) else {
                        return 0;
                    };
                    if k >= SKF_AD_OFF {
                        match ancillary(k - SKF_AD_OFF, a, x, ancillary_data) {
                            Some(value) => a = value,
                            None => return 0,
                        }
                    } else {
                        match load(packet, k as i32, size) {
                            Some(value) => a = value,
                            None => return 0,
                        }
                    }
                }
                IND => {
                    let Some(size) = size_of(insn.code) else {
                        return 0;
                    };
                    match load(packet, x.wrapping_add(k) as i32, size) {
                        Some(value) => a = value,
                        None => return 0,
                    }
                }
                _ => return 0,
            },
            LDX => match insn.code {
                c if c == LDX | IMM => x = k,
                c if c == LDX | MEM => match mem.get(k as usize) {
                    Some(word) => x = *word,
                    None => return 0,
                },
                c if c == LDX | W | LEN => x = wire_len,
                c if c == LDX | B | MSH => match load(packet, k as i32, 1) {
                    Some(byte) => x = (byte & 0xf) << 2,
                    None => return 0,
                },
                _ => return 0,
            },
            ST | STX => {
                let value = if insn.code == ST { a } else { x };
                match (insn.code == ST || insn.code == STX, mem.get_mut(k as usize)) {
                    (true, Some(word)) => *word = value,
                    _ => return 0,
                }
            }
            ALU => {
                let operand = if insn.code & X != 0 { x } else { k };
                a = match insn.code & 0xf0 {
                    ADD => a.wrapping_add(operand),
                    SUB => a.wrapping_sub(operand),
                    MUL => a.wrapping_mul(operand),
                    DIV => match a.checked_div(operand) {
                        Some(q) => q,
                        None => return 0,
                    },
                    MOD => match a.checked_rem(operand) {
                        Some(r) => r,
                        None => return 0,
                    },
                    AND => a & operand,
                    OR => a | operand,
                    XOR => a ^ operand,
                    LSH => a << (operand & 31),
                    RSH => a >> (operand & 31),
                    NEG if insn.code == ALU | NEG => a.wrapping_neg(),
                    _ => return 0,
                };
            }
            JMP => {
                let operand = if insn.code & X != 0 { x } else { k };
                let offset = match insn.code & 0xf0 {
                    JA if insn.code == JMP | JA => k as usize,
                    op => {
                        let taken = match op {
                            JEQ => a == operand,
                            JGT => a > operand,
                            JGE => a >= operand,
                            JSET => a & operand != 0,
                            _ => return 0,
                        };
                        usize::from(if taken { insn.jt } else { insn.jf })
                    }
                };
                match pc.checked_add(offset) {
                    Some(target) if target < program.len() => pc = target,
                    _ => return 0,
                }
            }
            RET => {
                return match insn.code {
                    c if c == RET | K => k,
                    c if c == RET | A => a,
                    _ => 0,
                }
            }
            _ => match insn.code {
                c if c == MISC | TAX => x = a,
                c if c == MISC | TXA => a = x,
                _ => return 0,
            },
        }
    }
    0
}
