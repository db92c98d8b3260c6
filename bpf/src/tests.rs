//! Unit tests of the interpreter, the kernel's checks and the listing, with a random-program run that must never panic.

use crate::opcode::*;
use crate::{dump, parse_dd, run, validate, Ancillary, Insn};

fn i(code: u16, jt: u8, jf: u8, k: u32) -> Insn {
    Insn::new(code, jt, jf, k)
}

/// `tcpdump -dd ip` (Ethernet).
const IP_DD: &str = "{ 0x28, 0, 0, 0x0000000c },
{ 0x15, 0, 1, 0x00000800 },
{ 0x6, 0, 0, 0x00040000 },
{ 0x6, 0, 0, 0x00000000 },
";

fn frame(ethertype: u16) -> Vec<u8> {
    let mut f = vec![0u8; 60];
    f[12..14].copy_from_slice(&ethertype.to_be_bytes());
    f[14] = 0x45;
    f
}

#[test]
fn ip_program_keeps_ipv4_only() {
    let prog = parse_dd(IP_DD).unwrap();
    assert_eq!(prog.len(), 4);
    let none = Ancillary::default();
    assert_eq!(run(&prog, &frame(0x0800), 60, &none), 262144);
    assert_eq!(run(&prog, &frame(0x86dd), 60, &none), 0);
    // Out of bounds: the load ends the program with 0.
    assert_eq!(run(&prog, &[0u8; 13], 60, &none), 0);
    validate(&prog).unwrap();
}

#[test]
fn dump_matches_tcpdump() {
    let prog = parse_dd(IP_DD).unwrap();
    assert_eq!(
        dump(&prog),
        "(000) ldh      [12]\n(001) jeq      #0x800           jt 2\tjf 3\n\
         (002) ret      #262144\n(003) ret      #0\n"
    );
    let more = [
        i(LDX | B | MSH, 0, 0, 14),
        i(LD | H | IND, 0, 0, 16),
        i(MISC | TAX, 0, 0, 0),
        i(ALU | NEG, 0, 0, 0),
        i(ALU | AND | K, 0, 0, 0x1fff),
        i(ALU | ADD | K, 0, 0, 0xffff_ffff),
        i(JMP | JA, 0, 0, 1),
        i(LD | B | ABS, 0, 0, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT),
        i(0xff, 0, 0, 0),
        i(RET | A, 0, 0, 0),
    ];
    assert_eq!(
        dump(&more),
        "(000) ldxb     4*([14]&0xf)\n(001) ldh      [x + 16]\n(002) tax      \n\
         (003) neg      \n(004) and      #0x1fff\n(005) add      #-1\n(006) ja       8\n\
         (007) ldb      [vlanp]\n(008) unimp    0xff\n(009) ret      \n"
    );
}

#[test]
fn parse_dd_reports_the_bad_line() {
    assert!(parse_dd("{ 0x28, 0, 0 },")
        .unwrap_err()
        .starts_with("line 1:"));
    assert!(parse_dd("\n{ 0x28, 0, 0x100, 0 },")
        .unwrap_err()
        .starts_with("line 2:"));
    assert!(parse_dd("ldh [12]").is_err());
    assert_eq!(
        parse_dd("{ 40, 0, 0, 12 }").unwrap(),
        vec![i(0x28, 0, 0, 12)]
    );
}

#[test]
fn alu_follows_the_kernel() {
    let prog = |op: u16, a: u32, x: u32| {
        [
            i(LD | IMM, 0, 0, a),
            i(LDX | IMM, 0, 0, x),
            i(ALU | op | X, 0, 0, 0),
            i(RET | A, 0, 0, 0),
        ]
    };
    let none = Ancillary::default();
    let eval = |op, a, x| run(&prog(op, a, x), &[], 0, &none);
    assert_eq!(eval(ADD, u32::MAX, 2), 1);
    assert_eq!(eval(SUB, 1, 2), u32::MAX);
    assert_eq!(eval(MUL, 0x8000_0000, 2), 0);
    assert_eq!(eval(DIV, 7, 2), 3);
    assert_eq!(eval(DIV, 7, 0), 0);
    assert_eq!(eval(MOD, 7, 4), 3);
    assert_eq!(eval(MOD, 7, 0), 0);
    assert_eq!(eval(LSH, 1, 33), 2);
    assert_eq!(eval(RSH, 4, 33), 2);
    assert_eq!(eval(XOR, 6, 3), 5);
    // Division by X = 0 returns 0 even where the program would not.
    let div0 = [
        i(LDX | IMM, 0, 0, 0),
        i(ALU | DIV | X, 0, 0, 0),
        i(RET | K, 0, 0, 99),
    ];
    assert_eq!(run(&div0, &[], 0, &none), 0);
}

#[test]
fn loads_len_mem_and_ancillary() {
    let anc = Ancillary {
        protocol: 0x0800,
        pkttype: 4,
        ifindex: 7,
        vlan_tci: Some(0x2064),
        ..Ancillary::default()
    };
    let load = |k: u32, code: u16| {
        run(
            &[i(LD | code | ABS, 0, 0, k), i(RET | A, 0, 0, 0)],
            &[],
            0,
            &anc,
        )
    };
    assert_eq!(load(SKF_AD_OFF + SKF_AD_PROTOCOL, H), 0x0800);
    assert_eq!(load(SKF_AD_OFF + SKF_AD_PKTTYPE, B), 4);
    assert_eq!(load(SKF_AD_OFF + SKF_AD_IFINDEX, W), 7);
    assert_eq!(load(SKF_AD_OFF + SKF_AD_VLAN_TAG, B), 0x2064);
    assert_eq!(load(SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT, B), 1);
    assert_eq!(load(SKF_AD_OFF + 52, W), 0, "payload offset is not known");
    let len = [
        i(LD | W | LEN, 0, 0, 0),
        i(ST, 0, 0, 3),
        i(LDX | MEM, 0, 0, 3),
        i(MISC | TXA, 0, 0, 0),
        i(RET | A, 0, 0, 0),
    ];
    assert_eq!(run(&len, &[1, 2], 1500, &anc), 1500);
    // [x + k] wraps around in 32 bits, as in the kernel.
    let ind = [
        i(LDX | IMM, 0, 0, u32::MAX),
        i(LD | B | IND, 0, 0, 2),
        i(RET | A, 0, 0, 0),
    ];
    assert_eq!(run(&ind, &[5, 6], 2, &anc), 6);
    let msh = [
        i(LDX | B | MSH, 0, 0, 0),
        i(MISC | TXA, 0, 0, 0),
        i(RET | A, 0, 0, 0),
    ];
    assert_eq!(run(&msh, &[0x46], 1, &anc), 24);
}

#[test]
fn validate_refuses_what_the_kernel_refuses() {
    let ret = i(RET | K, 0, 0, 1);
    let bad: [(&[Insn], &str); 9] = [
        (&[], "1 to 4096"),
        (&[i(ALU | DIV | K, 0, 0, 0), ret], "division"),
        (&[i(ALU | LSH | K, 0, 0, 32), ret], "shift"),
        (&[i(ST, 0, 0, 16), ret], "M[16]"),
        (&[i(JMP | JEQ | K, 1, 0, 0), ret], "past"),
        (&[i(JMP | JA, 0, 0, 1), ret], "past"),
        (&[i(LD | IMM, 0, 0, 0)], "end with ret"),
        (&[i(LD | MEM, 0, 0, 2), ret], "before any store"),
        (&[i(LD | W | ABS, 0, 0, SKF_AD_OFF + 64), ret], "ancillary"),
    ];
    for (prog, why) in bad {
        let err = validate(prog).unwrap_err();
        assert!(err.contains(why), "{err:?} lacks {why:?}");
        assert!(!err.contains('\n'));
    }
    assert!(validate(&vec![ret; 4097]).is_err());
    assert!(validate(&[i(0x0d, 0, 0, 0), ret])
        .unwrap_err()
        .contains("opcode"));
    // A store on one path only does not make M[] valid after the join.
    let one_path = [
        i(JMP | JEQ | K, 0, 1, 0),
        i(ST, 0, 0, 0),
        i(LD | MEM, 0, 0, 0),
        ret,
    ];
    assert!(validate(&one_path).is_err());
    let both = [
        i(ST, 0, 0, 0),
        i(JMP | JEQ | K, 0, 0, 0),
        i(LD | MEM, 0, 0, 0),
        ret,
    ];
    validate(&both).unwrap();
}

/// Every opcode the kernel accepts.
const KNOWN: [u16; 48] = [
    0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x80, 0x00, 0x60, 0x81, 0xb1, 0x01, 0x61, 0x02, 0x03, 0x04,
    0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x94, 0x9c, 0x54, 0x5c, 0x44, 0x4c, 0xa4, 0xac, 0x64,
    0x6c, 0x74, 0x7c, 0x84, 0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x06, 0x16, 0x07,
];

/// xorshift64*: reproducible pseudo-random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn random_programs_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let anc = Ancillary::default();
    let mut valid = 0;
    for _ in 0..20_000 {
        let len = (rng.next() % 12) as usize;
        let mut prog: Vec<Insn> = (0..len)
            .map(|_| {
                let r = rng.next();
                // Mostly known opcodes and small constants, some noise.
                let code = match r % 8 {
                    0 => (r >> 8) as u16,
                    1 => (r >> 8) as u16 & 0xff,
                    _ => KNOWN[(r >> 8) as usize % KNOWN.len()],
                };
                let k = match (r >> 40) % 4 {
                    0 => (r >> 24) as u32 % 64,
                    1 => SKF_AD_OFF + (r >> 24) as u32 % 64,
                    _ => (r >> 20) as u32,
                };
                i(code, (r >> 2) as u8 % 4, (r >> 4) as u8 % 4, k)
            })
            .collect();
        if rng.next() % 4 != 0 {
            prog.push(i(RET | A, 0, 0, 0));
        }
        let packet: Vec<u8> = (0..rng.next() % 80).map(|_| rng.next() as u8).collect();
        let _ = run(&prog, &packet, rng.next() as u32, &anc);
        let _ = dump(&prog);
        if validate(&prog).is_ok() {
            valid += 1;
        }
        assert_eq!(parse_dd(&dd(&prog)).unwrap(), prog);
    }
    assert!(valid > 100, "only {valid} valid programs");
}

/// `prog` as `tcpdump -dd` prints it.
fn dd(prog: &[Insn]) -> String {
    prog.iter()
        .map(|p| format!("{{ 0x{:x}, {}, {}, 0x{:08x} }},\n", p.code, p.jt, p.jf, p.k))
        .collect()
}
