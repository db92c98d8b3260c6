//! Test support: a small classic BPF evaluator, libpcap's programs from `tcpdump -dd`, and packet builders.
#![allow(dead_code)]

use capture_file::LinkType;
use netraf_bpf::opcode::*;
use netraf_bpf::Insn;
use std::process::Command;

/// Runs `prog` on `pkt` as the kernel does: the accepted length, 0 on reject or fault.
pub fn run(prog: &[Insn], pkt: &[u8]) -> u32 {
    run_checked(prog, pkt).unwrap_or(0)
}

/// Whether `prog` stops on `pkt` at a load beyond its end (or a division by zero).
pub fn faults(prog: &[Insn], pkt: &[u8]) -> bool {
    run_checked(prog, pkt).is_none()
}

/// The accepted length, or `None` on a fault.
fn run_checked(prog: &[Insn], pkt: &[u8]) -> Option<u32> {
    let (mut a, mut x, mut mem, mut pc) = (0u32, 0u32, [0u32; 16], 0usize);
    // libpcap's `protochain` loops (a `ja` back): bounded here.
    let mut steps = 0u32;
    let load = |k: u64, size: u64| -> Option<u32> {
        let end = k.checked_add(size)?;
        if end > pkt.len() as u64 {
            return None;
        }
        let b = &pkt[k as usize..end as usize];
        Some(b.iter().fold(0u32, |v, x| (v << 8) | u32::from(*x)))
    };
    loop {
        let i = prog.get(pc)?;
        pc += 1;
        steps += 1;
        if steps > 100_000 {
            return None;
        }
        let size = match i.code & 0x18 {
            W => 4,
            H => 2,
            _ => 1,
        };
        match i.code & 7 {
            LD => {
                a = match i.code & 0xe0 {
                    IMM => i.k,
                    ABS => load(u64::from(i.k), size)?,
                    IND => load(u64::from(x) + u64::from(i.k), size)?,
                    MEM => mem[i.k as usize],
                    LEN => pkt.len() as u32,
                    _ => panic!("bad ld {:#x}", i.code),
                }
            }
            LDX => {
                x = match i.code & 0xe0 {
                    IMM => i.k,
                    MEM => mem[i.k as usize],
                    LEN => pkt.len() as u32,
                    MSH => 4 * (load(u64::from(i.k), 1)? & 0xf),
                    _ => panic!("bad ldx {:#x}", i.code),
                }
            }
            ST => mem[i.k as usize] = a,
            STX => mem[i.k as usize] = x,
            ALU => {
                let v = if i.code & X != 0 { x } else { i.k };
                a = match i.code & 0xf0 {
                    ADD => a.wrapping_add(v),
                    SUB => a.wrapping_sub(v),
                    MUL => a.wrapping_mul(v),
                    DIV | MOD if v == 0 => return None,
                    DIV => a / v,
                    MOD => a % v,
                    OR => a | v,
                    AND => a & v,
                    XOR => a ^ v,
                    LSH => a.checked_shl(v).unwrap_or(0),
                    RSH => a.checked_shr(v).unwrap_or(0),
                    NEG => a.wrapping_neg(),
                    _ => panic!("bad alu {:#x}", i.code),
                }
            }
            JMP => {
                let v = if i.code & X != 0 { x } else { i.k };
                let taken = match i.code & 0xf0 {
                    JA => {
                        // 32-bit offsets wrap around, as in libpcap's bpf_filter.
                        pc = (pc as u32).wrapping_add(i.k) as usize;
                        continue;
                    }
                    JEQ => a == v,
                    JGT => a > v,
                    JGE => a >= v,
                    JSET => a & v != 0,
                    _ => panic!("bad jmp {:#x}", i.code),
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            RET => return Some(if i.code & 0x18 == A { a } else { i.k }),
            _ => {
                if i.code & 0xf8 == TXA {
                    a = x
                } else {
                    x = a
                }
            }
        }
    }
}

/// A pcap file of link type `lt` with no packets, for `tcpdump -r`.
fn empty_pcap(lt: LinkType) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("netraf-filter-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("lt{}.pcap", lt.0));
    let mut h = Vec::new();
    h.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&[0; 8]);
    h.extend_from_slice(&262144u32.to_le_bytes());
    h.extend_from_slice(&u32::from(lt.0).to_le_bytes());
    std::fs::write(&path, h).unwrap();
    path
}

/// libpcap's program for `expr` on `lt` (`tcpdump -dd`), or `None` if tcpdump rejects it.
pub fn libpcap(expr: &str, lt: LinkType) -> Option<Vec<Insn>> {
    libpcap_with(expr, lt, true)
}

/// tcpdump's error message for `expr` on Ethernet, `None` if it compiles it.
pub fn libpcap_error(expr: &str) -> Option<String> {
    let out = Command::new("tcpdump")
        .args(["-d", "--", expr])
        .output()
        .expect("tcpdump runs");
    (!out.status.success()).then(|| String::from_utf8_lossy(&out.stderr).into_owned())
}

/// libpcap's program before its optimizer (`tcpdump -O -dd`).
pub fn libpcap_unoptimized(expr: &str, lt: LinkType) -> Option<Vec<Insn>> {
    libpcap_with(expr, lt, false)
}

fn libpcap_with(expr: &str, lt: LinkType, optimize: bool) -> Option<Vec<Insn>> {
    let mut cmd = Command::new("tcpdump");
    cmd.arg("-dd");
    if !optimize {
        cmd.arg("-O");
    }
    if lt != LinkType::ETHERNET {
        cmd.arg("-r").arg(empty_pcap(lt));
    }
    let out = cmd.arg("--").arg(expr).output().expect("tcpdump runs");
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let mut prog = Vec::new();
    for line in text.lines() {
        let f: Vec<u32> = line
            .trim()
            .trim_start_matches('{')
            .trim_end_matches(',')
            .trim_end_matches('}')
            .split(',')
            .map(|s| {
                let s = s.trim();
                match s.strip_prefix("0x") {
                    Some(h) => u32::from_str_radix(h, 16).unwrap(),
                    None => s.parse().unwrap(),
                }
            })
            .collect();
        prog.push(Insn::new(f[0] as u16, f[1] as u8, f[2] as u8, f[3]));
    }
    Some(prog)
}

/// The one-line listing of a program, for failure messages.
pub fn listing(prog: &[Insn]) -> String {
    prog.iter()
        .enumerate()
        .map(|(i, x)| format!("{i:03}: {:#06x} {} {} {:#x}\n", x.code, x.jt, x.jf, x.k))
        .collect()
}

// ---- packet builders ----

pub const MAC_A: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
pub const MAC_B: [u8; 6] = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];
pub const BCAST: [u8; 6] = [0xff; 6];
pub const MCAST: [u8; 6] = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];

pub fn eth(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&dst);
    p.extend_from_slice(&src);
    p.extend_from_slice(&ethertype.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// An 802.1Q tag (TPID `tpid`, VLAN `vid`) then `ethertype` and payload.
pub fn vlan(tpid: u16, vid: u16, ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&tpid.to_be_bytes());
    p.extend_from_slice(&(vid & 0xfff).to_be_bytes());
    p.extend_from_slice(&ethertype.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// An IPv4 header with `opts` option bytes (a multiple of 4) and fragment field `frag`.
pub fn ipv4(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    frag: u16,
    opts: usize,
    payload: &[u8],
) -> Vec<u8> {
    let ihl = 5 + opts / 4;
    let total = (ihl * 4 + payload.len()) as u16;
    let mut p = vec![0x40 | ihl as u8, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0x12, 0x34]);
    p.extend_from_slice(&frag.to_be_bytes());
    p.extend_from_slice(&[64, proto, 0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend(std::iter::repeat(1u8).take(opts));
    p.extend_from_slice(payload);
    p
}

pub fn ipv6(src: [u8; 16], dst: [u8; 16], nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0];
    p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    p.extend_from_slice(&[nh, 64]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(payload);
    p
}

/// An IPv6 fragment header (next header `nh`, offset 0) then payload.
pub fn frag6(nh: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![nh, 0, 0, 0, 0, 0, 0, 1];
    p.extend_from_slice(payload);
    p
}

pub fn tcp(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0x20, 0, 0, 0, 0, 0]);
    p
}

pub fn udp(sport: u16, dport: u16) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&[0, 12, 0, 0, 0xde, 0xad, 0xbe, 0xef]);
    p
}

pub fn icmp(ty: u8, code: u8) -> Vec<u8> {
    vec![ty, code, 0, 0, 0, 1, 0, 1]
}

/// An ARP (or RARP) Ethernet/IPv4 packet body.
pub fn arp(op: u16, spa: [u8; 4], tpa: [u8; 4]) -> Vec<u8> {
    let mut p = vec![0, 1, 8, 0, 6, 4];
    p.extend_from_slice(&op.to_be_bytes());
    p.extend_from_slice(&MAC_A);
    p.extend_from_slice(&spa);
    p.extend_from_slice(&[0; 6]);
    p.extend_from_slice(&tpa);
    p
}
