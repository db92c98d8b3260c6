//! The checks the Linux kernel makes before it attaches a classic BPF program (`bpf_check_classic`).

use crate::opcode::*;
use crate::vm::known_ancillary;
use crate::{Insn, BPF_MAXINSNS};

/// Whether the kernel knows the opcode `code` (its `codes[]` table).
fn code_allowed(code: u16) -> bool {
    const ALU_OPS: [u16; 11] = [ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, LSH, RSH, NEG];
    match code & 0x07 {
        LD => [
            LD | W | ABS,
            LD | H | ABS,
            LD | B | ABS,
            LD | W | IND,
            LD | H | IND,
            LD | B | IND,
            LD | W | LEN,
            LD | IMM,
            LD | MEM,
        ]
        .contains(&code),
        LDX => [LDX | W | LEN, LDX | B | MSH, LDX | IMM, LDX | MEM].contains(&code),
        ST | STX => code == ST || code == STX,
        ALU => {
            let op = code & 0xf0;
            ALU_OPS.contains(&op) && (code == ALU | op | K || (op != NEG && code == ALU | op | X))
        }
        JMP => {
            let op = code & 0xf0;
            code == JMP | JA
                || ([JEQ, JGT, JGE, JSET].contains(&op)
                    && (code == JMP | op | K || code == JMP | op | X))
        }
        RET => code == RET | K || code == RET | A,
        _ => code == MISC | TAX || code == MISC | TXA,
    }
}

/// Whether `code` is a conditional jump.
fn is_conditional(code: u16) -> bool {
    code & 0x07 == JMP && code != JMP | JA
}

/// Checks `program` as the kernel does before attaching it: 1 to
/// [`BPF_MAXINSNS`] instructions, known opcodes, no division or modulo by a
/// constant 0, no shift by a constant ≥ 32, scratch memory indexes below 16,
/// every jump inside the program, known ancillary loads, a last instruction
/// that returns, and no read of a scratch memory word before a store to it
/// on every path.
///
/// # Errors
/// A one-line reason, naming the first faulty instruction by its index.
pub fn validate(program: &[Insn]) -> Result<(), String> {
    let len = program.len();
    if len == 0 || len > BPF_MAXINSNS {
        return Err(format!(
            "a program has 1 to {BPF_MAXINSNS} instructions, this one has {len}"
        ));
    }
    for (pc, insn) in program.iter().enumerate() {
        let (code, k) = (insn.code, insn.k);
        if !code_allowed(code) {
            return Err(format!("({pc:03}): unknown opcode 0x{code:02x}"));
        }
        let error = match code {
            c if (c == ALU | DIV | K || c == ALU | MOD | K) && k == 0 => {
                Some("division by the constant 0".to_string())
            }
            c if (c == ALU | LSH | K || c == ALU | RSH | K) && k >= 32 => {
                Some(format!("shift by {k} (at most 31)"))
            }
            c if (c == LD | MEM || c == LDX | MEM || c == ST || c == STX)
                && k as usize >= MEMWORDS =>
            {
                Some(format!(
                    "scratch memory M[{k}] (indexes 0 to {})",
                    MEMWORDS - 1
                ))
            }
            c if c == JMP | JA && k as usize >= len - pc - 1 => Some(format!(
                "ja to {} is past the last instruction ({})",
                pc as u64 + 1 + u64::from(k),
                len - 1
            )),
            c if is_conditional(c) && pc + 1 + usize::from(insn.jt.max(insn.jf)) >= len => {
                Some(format!(
                    "jump to {} is past the last instruction ({})",
                    pc + 1 + usize::from(insn.jt.max(insn.jf)),
                    len - 1
                ))
            }
            c if c & 0xe7 == LD | ABS && k >= SKF_AD_OFF && !known_ancillary(k) => Some(format!(
                "unknown ancillary load SKF_AD_OFF+{}",
                k - SKF_AD_OFF
            )),
            _ => None,
        };
        if let Some(error) = error {
            return Err(format!("({pc:03}): {error}"));
        }
    }
    let last = program[len - 1].code;
    if last != RET | K && last != RET | A {
        return Err(format!(
            "({:03}): the program does not end with ret",
            len - 1
        ));
    }
    check_loads_after_stores(program)
}

/// The kernel's `check_load_and_stores`: every `ld M[k]`/`ldx M[k]` must
/// follow a store to `M[k]` on each path that reaches it.
fn check_loads_after_stores(program: &[Insn]) -> Result<(), String> {
    let mut masks = vec![u16::MAX; program.len()];
    let mut valid: u16 = 0;
    for (pc, insn) in program.iter().enumerate() {
        valid &= masks[pc];
        let bit = 1u16 << (insn.k & 15);
        match insn.code {
            c if c == ST || c == STX => valid |= bit,
            c if (c == LD | MEM || c == LDX | MEM) && valid & bit == 0 => {
                return Err(format!(
                    "({pc:03}): M[{}] is read before any store to it",
                    insn.k
                ));
            }
            c if c == JMP | JA => {
                masks[pc + 1 + insn.k as usize] &= valid;
                valid = u16::MAX;
            }
            c if is_conditional(c) => {
                masks[pc + 1 + usize::from(insn.jt)] &= valid;
                masks[pc + 1 + usize::from(insn.jf)] &= valid;
                valid = u16::MAX;
            }
            _ => {}
        }
    }
    Ok(())
}
