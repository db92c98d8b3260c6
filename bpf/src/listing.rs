//! Programs as text: `tcpdump -d`'s listing (libpcap 1.10's `bpf_image`) and `tcpdump -dd`'s C array read back.

use crate::opcode::*;
use crate::Insn;
use std::fmt::Write;

/// libpcap's symbolic names of the ancillary loads, by offset from `SKF_AD_OFF`.
fn ancillary_name(k: u32) -> Option<&'static str> {
    Some(match k.checked_sub(SKF_AD_OFF)? {
        0 => "proto",
        4 => "type",
        8 => "ifidx",
        12 => "nla",
        16 => "nlan",
        20 => "mark",
        24 => "queue",
        28 => "hatype",
        32 => "rxhash",
        36 => "cpu",
        40 => "xor_x",
        44 => "vlan_tci",
        48 => "vlanp",
        52 => "poff",
        56 => "random",
        60 => "vlan_tpid",
        _ => return None,
    })
}

/// One instruction as libpcap 1.10's `bpf_image` prints it, `n` its index.
pub fn image(insn: &Insn, n: usize) -> String {
    let k = insn.k;
    // C's `%d` of an unsigned int.
    let signed = k as i32;
    let abs = || match ancillary_name(k) {
        Some(name) => format!("[{name}]"),
        None => format!("[{signed}]"),
    };
    let (op, operand): (&str, String) = match insn.code {
        c if c == RET | K => ("ret", format!("#{signed}")),
        c if c == RET | A => ("ret", String::new()),
        c if c == LD | W | ABS => ("ld", abs()),
        c if c == LD | H | ABS => ("ldh", abs()),
        c if c == LD | B | ABS => ("ldb", abs()),
        c if c == LD | W | LEN => ("ld", "#pktlen".into()),
        c if c == LD | W | IND => ("ld", format!("[x + {signed}]")),
        c if c == LD | H | IND => ("ldh", format!("[x + {signed}]")),
        c if c == LD | B | IND => ("ldb", format!("[x + {signed}]")),
        c if c == LD | IMM => ("ld", format!("#0x{k:x}")),
        c if c == LDX | IMM => ("ldx", format!("#0x{k:x}")),
        c if c == LDX | MSH | B => ("ldxb", format!("4*([{signed}]&0xf)")),
        c if c == LD | MEM => ("ld", format!("M[{signed}]")),
        c if c == LDX | MEM => ("ldx", format!("M[{signed}]")),
        c if c == ST => ("st", format!("M[{signed}]")),
        c if c == STX => ("stx", format!("M[{signed}]")),
        c if c == JMP | JA => (
            "ja",
            format!("{}", (n as u32).wrapping_add(1).wrapping_add(k) as i32),
        ),
        c if c & 0x07 == JMP || c & 0x07 == ALU => match jump_or_alu(c) {
            Some((op, _)) if c & X != 0 => (op, "x".into()),
            Some(("neg", _)) => ("neg", String::new()),
            Some((op, true)) => (op, format!("#0x{k:x}")),
            Some((op, false)) => (op, format!("#{signed}")),
            None => unimp(c),
        },
        c if c == MISC | TAX => ("tax", String::new()),
        c if c == MISC | TXA => ("txa", String::new()),
        c => unimp(c),
    };
    if insn.code & 0x07 == JMP && insn.code & 0xf0 != JA {
        format!(
            "({n:03}) {op:<8} {operand:<16} jt {}\tjf {}",
            n + 1 + usize::from(insn.jt),
            n + 1 + usize::from(insn.jf)
        )
    } else {
        format!("({n:03}) {op:<8} {operand}")
    }
}

/// The mnemonic of a conditional jump or ALU opcode `bpf_image` knows, and
/// whether its constant prints in hexadecimal.
fn jump_or_alu(code: u16) -> Option<(&'static str, bool)> {
    let op = code & 0xf0;
    let known = if code & 0x07 == JMP {
        op != JA && op <= JSET && code & 0x07 == code & !(0xf0 | X)
    } else {
        code & !(0xf0 | X) == ALU && op <= XOR && (op != NEG || code == ALU | NEG)
    };
    if !known {
        return None;
    }
    Some(match (code & 0x07, op) {
        (JMP, JEQ) => ("jeq", true),
        (JMP, JGT) => ("jgt", true),
        (JMP, JGE) => ("jge", true),
        (JMP, _) => ("jset", true),
        (_, ADD) => ("add", false),
        (_, SUB) => ("sub", false),
        (_, MUL) => ("mul", false),
        (_, DIV) => ("div", false),
        (_, MOD) => ("mod", false),
        (_, AND) => ("and", true),
        (_, OR) => ("or", true),
        (_, XOR) => ("xor", true),
        (_, LSH) => ("lsh", false),
        (_, RSH) => ("rsh", false),
        _ => ("neg", false),
    })
}

/// An opcode `bpf_image` does not know.
fn unimp(code: u16) -> (&'static str, String) {
    ("unimp", format!("0x{code:x}"))
}

/// `program` as `tcpdump -d` (libpcap 1.10) lists it: one line per
/// instruction, each ending in a newline.
pub fn dump(program: &[Insn]) -> String {
    let mut out = String::new();
    for (n, insn) in program.iter().enumerate() {
        let _ = writeln!(out, "{}", image(insn, n));
    }
    out
}

/// Reads `tcpdump -dd`'s output: lines `{ 0x28, 0, 0, 0x0000000c },`
/// (blank lines skipped; numbers in decimal or `0x` hexadecimal).
///
/// # Errors
/// The first line that is not such an instruction, by its number.
pub fn parse_dd(text: &str) -> Result<Vec<Insn>, String> {
    let mut program = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |why: &str| format!("line {}: {why}: {line:?}", i + 1);
        let inner = line
            .strip_prefix('{')
            .and_then(|rest| rest.trim_end_matches(',').trim_end().strip_suffix('}'))
            .ok_or_else(|| bad("not `{ code, jt, jf, k },`"))?;
        let fields: Vec<&str> = inner.split(',').map(str::trim).collect();
        let [code, jt, jf, k] = fields[..] else {
            return Err(bad("not four fields"));
        };
        let number = |field: &str, max: u64| -> Result<u64, String> {
            let value = match field
                .strip_prefix("0x")
                .or_else(|| field.strip_prefix("0X"))
            {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => field.parse(),
            }
            .map_err(|_| bad(&format!("bad number {field:?}")))?;
            if value > max {
                return Err(bad(&format!("{field} is out of range")));
            }
            Ok(value)
        };
        program.push(Insn::new(
            number(code, u64::from(u16::MAX))? as u16,
            number(jt, u64::from(u8::MAX))? as u8,
            number(jf, u64::from(u8::MAX))? as u8,
            number(k, u64::from(u32::MAX))? as u32,
        ));
    }
    Ok(program)
}
