//! Classic BPF programs of raw instructions, and how MYCAP enforces the snap length through them.
//!
//! The kernel truncates each packet to the socket filter's return value, so a
//! session always has a filter: by default `ret #snaplen`. A user program's
//! non-zero `ret #k` are clamped to the snap length before it is attached
//! (`ret #0` still rejects). A `ret a` cannot be clamped in advance; the loop
//! then cuts the captured bytes to the snap length itself.

use crate::Error;

pub use netraf_bpf::{Insn as BpfInsn, BPF_MAXINSNS};

/// `BPF_RET | BPF_K`.
const BPF_RET_K: u16 = netraf_bpf::opcode::RET | netraf_bpf::opcode::K;

/// `insn` as the kernel's `struct sock_filter`.
fn to_sock_filter(insn: BpfInsn) -> libc::sock_filter {
    libc::sock_filter {
        code: insn.code,
        jt: insn.jt,
        jf: insn.jf,
        k: insn.k,
    }
}

/// The program that accepts every packet, cut to `snaplen`.
pub(crate) fn accept_all(snaplen: u32) -> Vec<libc::sock_filter> {
    vec![to_sock_filter(BpfInsn::ret(snaplen))]
}

/// The program that rejects every packet (`ret #0`).
pub(crate) fn reject_all() -> Vec<libc::sock_filter> {
    vec![to_sock_filter(BpfInsn::ret(0))]
}

/// `program` ready for the kernel, with every non-zero `ret #k` clamped to `snaplen`.
///
/// # Errors
/// [`Error::InvalidConfig`] for an empty program or one longer than
/// [`BPF_MAXINSNS`], or one the kernel would refuse ([`netraf_bpf::validate`]:
/// bad jumps, no final `ret`, division by 0, ...), with the reason.
pub(crate) fn clamp_to_snaplen(
    program: &[BpfInsn],
    snaplen: u32,
) -> Result<Vec<libc::sock_filter>, Error> {
    if program.is_empty() || program.len() > BPF_MAXINSNS {
        return Err(Error::InvalidConfig(format!(
            "a BPF program has 1 to {BPF_MAXINSNS} instructions, this one has {} \
             (to accept everything use `BpfInsn::ret(u32::MAX)`)",
            program.len()
        )));
    }
    netraf_bpf::validate(program)
        .map_err(|reason| Error::InvalidConfig(format!("invalid BPF program: {reason}")))?;
    Ok(program
        .iter()
        .map(|insn| {
            let mut insn = *insn;
            if insn.code == BPF_RET_K && insn.k != 0 {
                insn.k = insn.k.min(snaplen);
            }
            to_sock_filter(insn)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ret_k_is_clamped_and_ret_zero_kept() {
        let prog = [
            BpfInsn::new(0x28, 0, 0, 12),
            BpfInsn::new(0x15, 0, 1, 0x0800),
            BpfInsn::ret(u32::MAX),
            BpfInsn::ret(0),
        ];
        let out = clamp_to_snaplen(&prog, 96).unwrap();
        assert_eq!(out[2].k, 96);
        assert_eq!(out[3].k, 0);
        assert_eq!(out[0].k, 12);
        assert_eq!(out[1].jf, 1);
    }

    #[test]
    fn empty_and_oversized_programs_are_refused() {
        assert!(matches!(
            clamp_to_snaplen(&[], 96),
            Err(Error::InvalidConfig(_))
        ));
        let long = vec![BpfInsn::ret(1); BPF_MAXINSNS + 1];
        assert!(clamp_to_snaplen(&long, 96).is_err());
        assert_eq!(accept_all(64)[0].k, 64);
    }

    #[test]
    fn programs_the_kernel_refuses_are_refused_with_the_reason() {
        let no_ret = [BpfInsn::new(0x28, 0, 0, 12)];
        match clamp_to_snaplen(&no_ret, 96) {
            Err(Error::InvalidConfig(reason)) => assert!(reason.contains("ret"), "{reason}"),
            other => panic!("{other:?}"),
        }
        let far_jump = [BpfInsn::new(0x15, 5, 0, 0), BpfInsn::ret(1)];
        assert!(clamp_to_snaplen(&far_jump, 96).is_err());
    }
}
