//! What the compiler refuses: expressions tcpdump rejects, unsupported words and link types, and garbage without panics.

mod common;

use capture_file::LinkType;
use common::{libpcap, libpcap_error};
use netraf_bpf::opcode::*;
use netraf_bpf::Insn;
use netraf_filter::{compile, compile_with, FilterError, Options};

const E: LinkType = LinkType::ETHERNET;

/// Expressions tcpdump refuses.
const REJECTED: &[&str] = &[
    "port 70000",
    "tcp[13:3] = 1",
    "host",
    "ip and",
    "(tcp",
    "tcp)",
    "port 80 or 10.0.0.1",
    "net 10.0.0.1/8",
    "portrange 1-",
    "ip[1/0] = 1",
    "src port",
    "not",
    "&&",
    "tcp[13] =",
    "net 10.0.0.0/33",
    "ip6 host 10.0.0.1",
    "vlan 5000",
    "udp host 10.0.0.1",
    "ip host 2001:db8::1",
    "ether host 10.0.0.1",
    "1 +",
    "tcp[0] = = 1",
    "len >> 32 = 0",
    "ip[0] % 0 = 1",
    "net 10 mask 255.255.255.300",
    "ether src or",
    "host 1.2.3.4.5",
    "00:11:22:33:44:55",
    "host 00:11:22:33:44:55",
    "2001:db8::1",
    "10.0.0.1",
    "ip and 10.0.0.1",
    "tcp[0]=1 and 10.0.0.1",
    "host 10.0.0.1 and tcp or 10.1.2.3",
    "less 10 or 10.0.0.1",
    "not 10.0.0.1",
    "(10.0.0.1)",
    "vlan 10 or 10.0.0.1",
    "proto udp",
    "ether proto ip",
    "ip 2",
    "arp 2",
    "ip6 ::1",
    "ip 10.0.0.1",
    "ether 00:11:22:33:44:55",
    "00:11:22:33:44:55",
    "2001:db8::1",
    "10.0.0.1",
    "ip and 10.0.0.1",
    "tcp[0]=1 and 10.0.0.1",
    "host 10.0.0.1 and tcp or 10.1.2.3",
    "less 10 or 10.0.0.1",
    "not 10.0.0.1",
    "(10.0.0.1)",
    "vlan 10 or 10.0.0.1",
    "host 00:11:22:33:44:55",
];

#[test]
fn what_tcpdump_rejects_is_rejected() {
    for expr in REJECTED {
        assert!(libpcap(expr, E).is_none(), "tcpdump accepts {expr:?}");
        match compile(expr, E, 262144) {
            Ok(p) => panic!("{expr:?} compiled to {} instructions", p.len()),
            Err(e) => {
                let text = e.to_string();
                assert!(!text.contains('\n'), "{text}");
                assert!(text.contains(&format!("column {}", e.column())), "{text}");
            }
        }
    }
}

#[test]
fn errors_name_the_word_and_its_column() {
    let err = |s| compile(s, E, 65535).unwrap_err().to_string();
    assert_eq!(err("ip6 geneve"), "unsupported: 'geneve' at column 5");
    assert_eq!(
        err("tcp and gateway foo"),
        "unsupported: 'gateway' at column 9"
    );
    assert_eq!(err("port http"), "unsupported: 'http' at column 6");
    assert_eq!(
        err("host example.com"),
        "unsupported: 'example.com' at column 6"
    );
    assert!(err("tcp and (udp").starts_with("syntax error at column 13: expected"));
    assert!(err("tcp or or udp").starts_with("syntax error at column 8:"));
    assert!(err("port 70000").contains("column 6"));
    assert!(matches!(
        compile("geneve", E, 1),
        Err(FilterError::Unsupported { column: 1, .. })
    ));
    // As libpcap: no MPLS on a raw IP link, no ARP over MPLS, no VLAN after it.
    assert!(matches!(
        compile("mpls", LinkType::RAW, 1),
        Err(FilterError::Invalid { column: 1, .. })
    ));
    assert_eq!(
        err("mpls and arp"),
        "invalid filter at column 10: unsupported protocol over mpls"
    );
    assert_eq!(
        err("mpls 5 and vlan"),
        "invalid filter at column 12: no VLAN match after MPLS"
    );
    assert!(err("mpls 1048576").contains("greater than maximum"));
}

#[test]
fn unsupported_link_types_are_refused() {
    for lt in [
        LinkType::IEEE802_11_RADIOTAP,
        LinkType::IEEE802_11,
        LinkType(9999),
    ] {
        let e = compile("ip", lt, 65535).unwrap_err();
        assert!(matches!(e, FilterError::Unsupported { .. }), "{lt}: {e}");
    }
    assert!(compile("vlan 10", LinkType::LINUX_SLL, 65535).is_err());
    assert!(compile("ether host 1:2:3:4:5:6", LinkType::RAW, 65535).is_err());
    let live = Options { live: true };
    assert!(compile_with("vlan 10", LinkType::RAW, 65535, live).is_err());
    assert!(compile_with("tcp or vlan 10", E, 65535, live).is_ok());
    assert!(compile_with("tcp port 80", E, 65535, live).is_ok());
}

#[test]
fn the_empty_expression_accepts_all() {
    assert_eq!(compile("", E, 1234).unwrap(), vec![Insn::ret(1234)]);
    assert_eq!(compile("   ", E, 99).unwrap(), vec![Insn::ret(99)]);
    let wifi = LinkType::IEEE802_11_RADIOTAP;
    assert_eq!(compile("", wifi, 7).unwrap(), vec![Insn::ret(7)]);
}

/// Every jump lands inside the program and the program ends with a return.
fn well_formed(p: &[Insn]) -> bool {
    p.last().is_some_and(|i| i.code & 7 == RET)
        && p.iter().enumerate().all(|(pc, i)| {
            if i.code & 7 != JMP {
                return true;
            }
            if i.code & 0xf0 == JA {
                pc + 1 + (i.k as usize) < p.len()
            } else {
                pc + 1 + usize::from(i.jt.max(i.jf)) < p.len()
            }
        })
}

#[test]
fn garbage_never_panics() {
    const PIECES: &[&str] = &[
        "tcp",
        "ip",
        "ip6",
        "host",
        "net",
        "port",
        "portrange",
        "src",
        "dst",
        "and",
        "or",
        "not",
        "!",
        "&&",
        "||",
        "(",
        ")",
        "[",
        "]",
        ":",
        "=",
        "!=",
        "<",
        ">=",
        "+",
        "-",
        "*",
        "/",
        "%",
        "&",
        "|",
        "^",
        "<<",
        ">>",
        "10.0.0.1",
        "10",
        "0x1f",
        "077",
        "::1",
        "1:2:3:4:5:6",
        "/",
        "mask",
        "255.0.0.0",
        "len",
        "vlan",
        "ether",
        "proto",
        "\\tcp",
        "tcpflags",
        "tcp-syn",
        "broadcast",
        "multicast",
        "less",
        "greater",
        "arp",
        "udp",
        "icmp",
        "icmp6",
        "4294967295",
        "99999999999",
        "\u{e9}",
        "\"",
        "#",
        "1.2.3.4.5",
        "a-b",
        "-",
        "..",
        "::",
        "@",
    ];
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut compiled = 0;
    for _ in 0..30000 {
        let n = (next() % 8) as usize;
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            if next() % 3 != 0 {
                s.push(' ');
            }
        }
        if let Ok(p) = compile(&s, E, 65535) {
            compiled += 1;
            assert!(well_formed(&p), "{s:?}");
        }
    }
    assert!(compiled > 100, "only {compiled} compiled");
}

#[test]
fn long_programs_use_ja_and_stay_well_formed() {
    let expr = (1..=60)
        .map(|i| format!("host 2001:db8::{i:x}"))
        .collect::<Vec<_>>()
        .join(" or ");
    let p = compile(&format!("({expr}) and tcp"), E, 65535).unwrap();
    assert!(p.len() > 300, "{}", p.len());
    assert!(well_formed(&p));
    assert!(p.iter().any(|i| i.code == JMP | JA));
}

/// Random token strings: what tcpdump refuses, we refuse too (except the
/// filters libpcap's optimizer finds match nothing, which we compile).
#[test]
fn random_token_strings_rejected_like_tcpdump() {
    const PIECES: &[&str] = &[
        "tcp",
        "ip",
        "ip6",
        "host",
        "net",
        "port",
        "src",
        "dst",
        "and",
        "or",
        "not",
        "(",
        ")",
        "[",
        "]",
        ":",
        "=",
        ">",
        "+",
        "&",
        "10.0.0.1",
        "10",
        "::1",
        "00:11:22:33:44:55",
        "/",
        "mask",
        "255.0.0.0",
        "len",
        "vlan",
        "ether",
        "proto",
        "udp",
        "arp",
        "less",
        "2",
        "4",
        "portrange",
        "1-2",
        "broadcast",
        "multicast",
    ];
    let mut state = 0x0123_4567_89ab_cdefu64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut both, mut ours_only) = (0, 0);
    let mut failures = Vec::new();
    for _ in 0..400 {
        let n = 1 + (next() % 5) as usize;
        let s = (0..n)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect::<Vec<_>>()
            .join(" ");
        let ours = compile(&s, E, 65535);
        match (libpcap_error(&s), ours) {
            (Some(msg), Ok(_)) if !msg.contains("rejects all packets") => {
                failures.push(format!("{s:?}: tcpdump: {}", msg.trim()));
            }
            (Some(_), _) => both += 1,
            (None, Err(_)) => ours_only += 1,
            (None, Ok(_)) => {}
        }
    }
    println!("{both} rejected by both, {ours_only} refused by netraf only");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
