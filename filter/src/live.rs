//! A live capture's filter over several link types: one program per link type, chosen by the kernel's `hatype` ancillary load.

use capture_file::LinkType;
use netraf_bpf::opcode::*;
use netraf_bpf::Insn;

use crate::{compile_with, gen, lexer, parser, FilterError, Options};

/// Compiles `expression` for a live Linux capture whose packets come from
/// interfaces of the hardware types in `links`: each an `ARPHRD_*` type and
/// the link type its packets' bytes start with (as
/// `mycap_core::live_link_types` lists them for a session's config).
///
/// With one hardware type this is [`compile_with`] and
/// [`Options::live`](crate::Options::live). With several, the program loads
/// the packet's hardware type (`ld #hatype`, `SKF_AD_OFF + SKF_AD_HATYPE`)
/// and jumps to the program of its link type; each distinct link type is
/// compiled once. A hardware type whose link type the compiler does not
/// support, or on which the expression keeps nothing (`arp` on raw IP), gets
/// `ret #0`, as does a hardware type not in `links`. The empty expression
/// accepts every packet.
///
/// # Errors
/// A syntax error; an empty `links`; and, when the expression compiles for
/// none of the link types, the error of the first supported one (or of the
/// first link type when none is supported). A program longer than
/// [`netraf_bpf::BPF_MAXINSNS`] is [`FilterError::Unsupported`].
pub fn compile_live(
    expression: &str,
    snaplen: u32,
    links: &[(u16, LinkType)],
) -> Result<Vec<Insn>, FilterError> {
    let live = Options { live: true };
    let tokens = lexer::lex(expression)?;
    if tokens.is_empty() {
        return Ok(vec![Insn::ret(snaplen)]);
    }
    // A syntax error is an error whatever the link types.
    parser::parse(&tokens, expression.chars().count())?;
    let (first, rest) = links
        .split_first()
        .ok_or_else(|| FilterError::invalid("a live filter needs at least one link type", 1))?;
    if rest.is_empty() {
        return compile_with(expression, first.1, snaplen, live);
    }
    // Each distinct link type compiled once, in order of first appearance.
    let mut compiled: Vec<(LinkType, Result<Vec<Insn>, FilterError>)> = Vec::new();
    for (_, link) in links {
        if !compiled.iter().any(|(l, _)| l == link) {
            compiled.push((*link, compile_with(expression, *link, snaplen, live)));
        }
    }
    if compiled.iter().all(|(_, r)| r.is_err()) {
        let supported = compiled
            .iter()
            .position(|(l, _)| gen::Gen::new(*l, true).is_ok())
            .unwrap_or(0);
        return match compiled.swap_remove(supported).1 {
            Err(e) => Err(e),
            Ok(_) => Err(FilterError::invalid("expression rejects all packets", 1)),
        };
    }
    // The programs that compiled, and which hardware type goes to which.
    let mut programs: Vec<Vec<Insn>> = Vec::new();
    let mut program_of: Vec<(LinkType, usize)> = Vec::new();
    for (link, result) in compiled {
        if let Ok(p) = result {
            programs.push(p);
            program_of.push((link, programs.len() - 1));
        }
    }
    let mut entries: Vec<(u16, usize)> = Vec::new();
    for (hatype, link) in links {
        if entries.iter().any(|(h, _)| h == hatype) {
            continue;
        }
        if let Some((_, program)) = program_of.iter().find(|(l, _)| l == link) {
            entries.push((*hatype, *program));
        }
    }
    let program = dispatch(&entries, &programs);
    if program.len() > netraf_bpf::BPF_MAXINSNS {
        return Err(FilterError::unsupported(
            format!(
                "a program of {} instructions for {} link types",
                program.len(),
                programs.len()
            ),
            1,
        ));
    }
    Ok(program)
}

/// `ld #hatype`, then per entry a `jeq #hatype` to its program (through a
/// `ja` when the program lies more than 255 instructions away), `ret #0` for
/// any other hardware type, then the programs one after the other.
fn dispatch(entries: &[(u16, usize)], programs: &[Vec<Insn>]) -> Vec<Insn> {
    let mut starts = Vec::with_capacity(programs.len());
    let mut far = vec![false; entries.len()];
    loop {
        let head = 1 + far.iter().map(|f| if *f { 2 } else { 1 }).sum::<usize>() + 1;
        starts.clear();
        let mut at = head;
        for p in programs {
            starts.push(at);
            at += p.len();
        }
        // The pc of each entry's jeq, and whether its jump fits in 8 bits.
        let mut pc = 1;
        let mut changed = false;
        for (i, (_, program)) in entries.iter().enumerate() {
            if !far[i] && starts[*program] - pc - 1 > 255 {
                far[i] = true;
                changed = true;
            }
            pc += if far[i] { 2 } else { 1 };
        }
        if changed {
            continue;
        }
        let mut out = Vec::with_capacity(at);
        out.push(Insn::new(LD | W | ABS, 0, 0, SKF_AD_OFF + SKF_AD_HATYPE));
        for (i, (hatype, program)) in entries.iter().enumerate() {
            let pc = out.len();
            let to = starts[*program];
            if far[i] {
                out.push(Insn::new(JMP | JEQ | K, 0, 1, u32::from(*hatype)));
                out.push(Insn::new(JMP | JA, 0, 0, (to - pc - 2) as u32));
            } else {
                out.push(Insn::new(
                    JMP | JEQ | K,
                    (to - pc - 1) as u8,
                    0,
                    u32::from(*hatype),
                ));
            }
        }
        out.push(Insn::ret(0));
        for p in programs {
            out.extend_from_slice(p);
        }
        return out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netraf_bpf::{run, validate, Ancillary};

    const ETHER: u16 = 1;
    const LOOPBACK: u16 = 772;
    const NONE: u16 = 0xfffe;
    const TUNNEL: u16 = 768;
    const IEEE80211: u16 = 801;

    fn any_links() -> Vec<(u16, LinkType)> {
        vec![
            (ETHER, LinkType::ETHERNET),
            (LOOPBACK, LinkType::ETHERNET),
            (NONE, LinkType::RAW),
            (TUNNEL, LinkType::RAW),
            (IEEE80211, LinkType::IEEE802_11),
        ]
    }

    /// An IPv4 header with protocol `proto`, then 8 bytes.
    fn ipv4(proto: u8, dst: [u8; 4]) -> Vec<u8> {
        let mut p = vec![0x45, 0, 0, 28, 0, 0, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1];
        p.extend_from_slice(&dst);
        p.extend_from_slice(&[0x9c, 0x40, 0x9c, 0x40, 0, 8, 0, 0]);
        p
    }

    fn ether(ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 0xa, 2, 0, 0, 0, 0, 0xb];
        f.extend_from_slice(&ethertype.to_be_bytes());
        f.extend_from_slice(payload);
        f
    }

    fn arp() -> Vec<u8> {
        ether(0x0806, &[0, 1, 8, 0, 6, 4, 0, 1, 0, 0, 0, 0])
    }

    fn verdict(program: &[Insn], packet: &[u8], hatype: u16, vlan: Option<u16>) -> u32 {
        let anc = Ancillary {
            hatype,
            vlan_tci: vlan,
            vlan_tpid: if vlan.is_some() { 0x8100 } else { 0 },
            ..Ancillary::default()
        };
        run(program, packet, packet.len() as u32, &anc)
    }

    #[test]
    fn one_link_type_is_compile_with_live() {
        let links = [(ETHER, LinkType::ETHERNET)];
        let live = Options { live: true };
        assert_eq!(
            compile_live("udp or vlan 3", 96, &links).unwrap(),
            compile_with("udp or vlan 3", LinkType::ETHERNET, 96, live).unwrap()
        );
        assert_eq!(compile_live(" ", 96, &[]).unwrap(), vec![Insn::ret(96)]);
        assert!(compile_live("udp", 96, &[]).is_err());
    }

    #[test]
    fn dispatch_runs_the_program_of_the_packets_hardware_type() {
        let p = compile_live("udp", 1000, &any_links()).unwrap();
        validate(&p).unwrap();
        assert_eq!(p[0], Insn::new(0x20, 0, 0, SKF_AD_OFF + SKF_AD_HATYPE));
        let udp_frame = ether(0x0800, &ipv4(17, [10, 0, 0, 2]));
        let tcp_frame = ether(0x0800, &ipv4(6, [10, 0, 0, 2]));
        let udp_raw = ipv4(17, [10, 0, 0, 2]);
        for h in [ETHER, LOOPBACK] {
            assert_eq!(verdict(&p, &udp_frame, h, None), 1000, "{h}");
            assert_eq!(verdict(&p, &tcp_frame, h, None), 0, "{h}");
            assert_eq!(verdict(&p, &udp_raw, h, None), 0, "{h}");
        }
        for h in [NONE, TUNNEL] {
            assert_eq!(verdict(&p, &udp_raw, h, None), 1000, "{h}");
            assert_eq!(verdict(&p, &udp_frame, h, None), 0, "{h}");
        }
        // 802.11 is not compiled for; an unknown hardware type is not listed.
        assert_eq!(verdict(&p, &udp_frame, IEEE80211, None), 0);
        assert_eq!(verdict(&p, &udp_raw, IEEE80211, None), 0);
        assert_eq!(verdict(&p, &udp_frame, 0x1234, None), 0);
        // Each link type's program is in there once.
        let ether_len = compile_with("udp", LinkType::ETHERNET, 1000, Options { live: true })
            .unwrap()
            .len();
        let raw_len = compile_with("udp", LinkType::RAW, 1000, Options { live: true })
            .unwrap()
            .len();
        assert_eq!(p.len(), 1 + 4 + 1 + ether_len + raw_len);
    }

    #[test]
    fn a_link_type_where_the_expression_keeps_nothing_rejects() {
        let p = compile_live("arp", 100, &any_links()).unwrap();
        validate(&p).unwrap();
        assert_eq!(verdict(&p, &arp(), ETHER, None), 100);
        assert_eq!(verdict(&p, &arp(), NONE, None), 0);
        // No link type left: the compile error.
        let raw_only = [(NONE, LinkType::RAW), (TUNNEL, LinkType::RAW)];
        let e = compile_live("arp", 100, &raw_only).unwrap_err();
        assert!(e.to_string().contains("rejects all packets"), "{e}");
        let e = compile_live(
            "arp",
            100,
            &[(NONE, LinkType::RAW), (IEEE80211, LinkType::IEEE802_11)],
        )
        .unwrap_err();
        assert!(e.to_string().contains("rejects all packets"), "{e}");
        let unsupported = [
            (IEEE80211, LinkType::IEEE802_11),
            (0xfffe, LinkType(0xffff)),
        ];
        assert!(matches!(
            compile_live("ip", 100, &unsupported),
            Err(FilterError::Unsupported { .. })
        ));
    }

    #[test]
    fn a_syntax_error_is_an_error() {
        for bad in ["udp and", "port 99999", "(tcp"] {
            assert!(compile_live(bad, 100, &any_links()).is_err(), "{bad}");
        }
        assert!(matches!(
            compile_live("udp and", 100, &any_links()),
            Err(FilterError::Syntax { .. })
        ));
    }

    #[test]
    fn programs_far_away_are_reached_through_ja() {
        // A long Ethernet program pushes the raw IP one beyond 255 instructions.
        let hosts: Vec<String> = (1..=60).map(|i| format!("host 10.1.0.{i}")).collect();
        let expression = hosts.join(" or ");
        let links = [
            (ETHER, LinkType::ETHERNET),
            (NONE, LinkType::RAW),
            (LOOPBACK, LinkType::ETHERNET),
        ];
        let p = compile_live(&expression, 500, &links).unwrap();
        validate(&p).unwrap();
        assert!(p.len() > 300, "{}", p.len());
        assert!(p.iter().any(|i| i.code == JMP | JA && i.k > 255));
        let hit = [10, 1, 0, 42];
        let miss = [10, 1, 0, 99];
        assert_eq!(verdict(&p, &ipv4(17, hit), NONE, None), 500);
        assert_eq!(verdict(&p, &ipv4(17, miss), NONE, None), 0);
        assert_eq!(verdict(&p, &ether(0x0800, &ipv4(6, hit)), ETHER, None), 500);
        assert_eq!(
            verdict(&p, &ether(0x0800, &ipv4(6, hit)), LOOPBACK, None),
            500
        );
        assert_eq!(verdict(&p, &ether(0x0800, &ipv4(6, miss)), ETHER, None), 0);
        assert_eq!(verdict(&p, &ether(0x0800, &ipv4(6, hit)), NONE, None), 0);
    }

    #[test]
    fn the_first_vlan_tests_the_stripped_tag_and_does_not_shift() {
        let links = [(ETHER, LinkType::ETHERNET), (NONE, LinkType::RAW)];
        let udp_frame = ether(0x0800, &ipv4(17, [10, 0, 0, 2]));
        let tagged_in_frame = {
            let mut f = udp_frame[..12].to_vec();
            f.extend_from_slice(&[0x81, 0x00, 0x00, 100]);
            f.extend_from_slice(&udp_frame[12..]);
            f
        };
        let p = compile_live("vlan 100", 80, &links).unwrap();
        validate(&p).unwrap();
        assert_eq!(verdict(&p, &udp_frame, ETHER, Some(100)), 80);
        assert_eq!(verdict(&p, &udp_frame, ETHER, Some((3 << 13) | 100)), 80);
        assert_eq!(verdict(&p, &udp_frame, ETHER, Some(200)), 0);
        assert_eq!(verdict(&p, &udp_frame, ETHER, None), 0);
        // The case documented as missed: a tag left in the frame.
        assert_eq!(verdict(&p, &tagged_in_frame, ETHER, None), 0);
        // `vlan` on raw IP is refused for that link type alone.
        assert_eq!(verdict(&p, &ipv4(17, [1, 2, 3, 4]), NONE, Some(100)), 0);

        let p = compile_live("vlan 100 and udp", 80, &links).unwrap();
        validate(&p).unwrap();
        assert_eq!(verdict(&p, &udp_frame, ETHER, Some(100)), 80);
        let tcp_frame = ether(0x0800, &ipv4(6, [10, 0, 0, 2]));
        assert_eq!(verdict(&p, &tcp_frame, ETHER, Some(100)), 0);
        assert_eq!(verdict(&p, &udp_frame, ETHER, None), 0);

        let p = compile_live("not vlan", 80, &links).unwrap();
        validate(&p).unwrap();
        assert_eq!(verdict(&p, &udp_frame, ETHER, None), 80);
        assert_eq!(verdict(&p, &udp_frame, ETHER, Some(7)), 0);
        // `vlan` does not compile for raw IP (as libpcap): that link type rejects.
        assert_eq!(verdict(&p, &ipv4(17, [1, 2, 3, 4]), NONE, None), 0);

        let p = compile_live("vlan", 80, &links[..1]).unwrap();
        assert_eq!(
            p,
            vec![
                Insn::new(LD | B | ABS, 0, 0, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT),
                Insn::new(JMP | JEQ | K, 0, 1, 1),
                Insn::ret(80),
                Insn::ret(0),
            ]
        );
    }

    #[test]
    fn a_second_vlan_tests_the_inner_tag_in_the_frame_and_shifts() {
        let links = [(ETHER, LinkType::ETHERNET)];
        let inner = {
            let mut f = vec![2, 0, 0, 0, 0, 0xa, 2, 0, 0, 0, 0, 0xb, 0x81, 0x00, 0x00, 20];
            f.extend_from_slice(&[0x08, 0x00]);
            f.extend_from_slice(&ipv4(17, [10, 0, 0, 2]));
            f
        };
        let p = compile_live("vlan 10 and vlan 20 and udp", 80, &links).unwrap();
        validate(&p).unwrap();
        assert_eq!(verdict(&p, &inner, ETHER, Some(10)), 80);
        assert_eq!(verdict(&p, &inner, ETHER, Some(11)), 0);
        assert_eq!(verdict(&p, &inner, ETHER, None), 0);
        let mut other_inner = inner.clone();
        other_inner[15] = 21;
        assert_eq!(verdict(&p, &other_inner, ETHER, Some(10)), 0);
        // Without the inner tag, `udp` would be read 4 bytes off.
        let plain = ether(0x0800, &ipv4(17, [10, 0, 0, 2]));
        assert_eq!(verdict(&p, &plain, ETHER, Some(10)), 0);
        // File mode still reads the outer tag from the frame.
        let file = compile_with(
            "vlan 20 and udp",
            LinkType::ETHERNET,
            80,
            Options::default(),
        )
        .unwrap();
        assert_eq!(verdict(&file, &inner, ETHER, None), 80);
    }
}
