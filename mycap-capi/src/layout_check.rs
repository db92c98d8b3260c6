//! Checks that `include/mycap.h` and the Rust side agree: a C program compiled against the header (`-Wall -Wextra -Werror -pedantic`) prints every size, offset and constant, compared here with Rust's.

use std::mem::{offset_of, size_of, size_of_val};
use std::path::Path;
use std::process::Command;

use crate::ffi::ERRBUF_SIZE;
use crate::header::{BpfInsnC, MycapHeader, IFNAME_SIZE};

const PROGRAM: &str = r#"
#include <stdio.h>
#include <stddef.h>
#include "mycap.h"
#define SHOW(name, value) printf("%s %lu\n", name, (unsigned long)(value))
#define OFF(type, field) do { type v; SHOW(#type "." #field, offsetof(type, field)); \
    SHOW("sizeof " #type "." #field, sizeof v.field); (void)v; } while (0)
int main(void) {
    SHOW("sizeof mycap_header_t", sizeof(mycap_header_t));
    OFF(mycap_header_t, caplen); OFF(mycap_header_t, ifname); OFF(mycap_header_t, pkttype);
    OFF(mycap_header_t, reserved); OFF(mycap_header_t, len); OFF(mycap_header_t, ifindex);
    OFF(mycap_header_t, ts_ns); OFF(mycap_header_t, linktype); OFF(mycap_header_t, vlan_tci);
    OFF(mycap_header_t, vlan_tpid); OFF(mycap_header_t, reserved2);
    SHOW("sizeof mycap_bpf_insn_t", sizeof(mycap_bpf_insn_t));
    OFF(mycap_bpf_insn_t, code); OFF(mycap_bpf_insn_t, jt); OFF(mycap_bpf_insn_t, jf);
    OFF(mycap_bpf_insn_t, k);
    SHOW("MYCAP_ERRBUF_SIZE", MYCAP_ERRBUF_SIZE);
    SHOW("MYCAP_HOST", MYCAP_HOST); SHOW("MYCAP_BROADCAST", MYCAP_BROADCAST);
    SHOW("MYCAP_MULTICAST", MYCAP_MULTICAST); SHOW("MYCAP_OTHERHOST", MYCAP_OTHERHOST);
    SHOW("MYCAP_OUTGOING", MYCAP_OUTGOING);
    SHOW("MYCAP_DIRECTION_BOTH", MYCAP_DIRECTION_BOTH); SHOW("MYCAP_DIRECTION_IN", MYCAP_DIRECTION_IN);
    SHOW("MYCAP_DIRECTION_OUT", MYCAP_DIRECTION_OUT);
    SHOW("MYCAP_FANOUT_HASH", MYCAP_FANOUT_HASH); SHOW("MYCAP_FANOUT_LB", MYCAP_FANOUT_LB);
    SHOW("MYCAP_FANOUT_CPU", MYCAP_FANOUT_CPU);
    SHOW("MYCAP_FANOUT_NEW_GROUP + 1", MYCAP_FANOUT_NEW_GROUP + 1);
    return 0;
}
"#;

/// What the Rust side says, in the program's order.
fn rust_side() -> Vec<(String, usize)> {
    let h = MycapHeader::default();
    let b = BpfInsnC {
        code: 0,
        jt: 0,
        jf: 0,
        k: 0,
    };
    // Offset and size of a field, as the C program prints them.
    macro_rules! field {
        ($c:literal, $t:ident, $v:ident . $f:ident) => {
            [
                (format!("{}.{}", $c, stringify!($f)), offset_of!($t, $f)),
                (
                    format!("sizeof {}.{}", $c, stringify!($f)),
                    std::mem::size_of_val(&$v.$f),
                ),
            ]
        };
    }
    let mut rows = vec![(
        "sizeof mycap_header_t".to_string(),
        size_of::<MycapHeader>(),
    )];
    rows.extend(field!("mycap_header_t", MycapHeader, h.caplen));
    rows.extend(field!("mycap_header_t", MycapHeader, h.ifname));
    rows.extend(field!("mycap_header_t", MycapHeader, h.pkttype));
    rows.extend(field!("mycap_header_t", MycapHeader, h.reserved));
    rows.extend(field!("mycap_header_t", MycapHeader, h.len));
    rows.extend(field!("mycap_header_t", MycapHeader, h.ifindex));
    rows.extend(field!("mycap_header_t", MycapHeader, h.ts_ns));
    rows.extend(field!("mycap_header_t", MycapHeader, h.linktype));
    rows.extend(field!("mycap_header_t", MycapHeader, h.vlan_tci));
    rows.extend(field!("mycap_header_t", MycapHeader, h.vlan_tpid));
    rows.extend(field!("mycap_header_t", MycapHeader, h.reserved2));
    assert_eq!(h.ifname.len(), IFNAME_SIZE);
    assert_eq!(size_of::<std::ffi::c_int>(), size_of_val(&h.caplen));
    rows.push(("sizeof mycap_bpf_insn_t".to_string(), size_of::<BpfInsnC>()));
    rows.extend(field!("mycap_bpf_insn_t", BpfInsnC, b.code));
    rows.extend(field!("mycap_bpf_insn_t", BpfInsnC, b.jt));
    rows.extend(field!("mycap_bpf_insn_t", BpfInsnC, b.jf));
    rows.extend(field!("mycap_bpf_insn_t", BpfInsnC, b.k));
    rows.push(("MYCAP_ERRBUF_SIZE".to_string(), ERRBUF_SIZE));
    for (name, pkttype) in [
        ("HOST", mycap_core::PacketType::Host),
        ("BROADCAST", mycap_core::PacketType::Broadcast),
        ("MULTICAST", mycap_core::PacketType::Multicast),
        ("OTHERHOST", mycap_core::PacketType::OtherHost),
        ("OUTGOING", mycap_core::PacketType::Outgoing),
    ] {
        rows.push((format!("MYCAP_{name}"), usize::from(pkttype.to_sll())));
    }
    // The direction and fanout values, as crate::handle parses them.
    for (name, value) in [("BOTH", 0), ("IN", 1), ("OUT", 2)] {
        assert!(crate::handle::direction(value).is_ok());
        rows.push((format!("MYCAP_DIRECTION_{name}"), value as usize));
    }
    let modes = [
        ("HASH", 0, mycap_core::FanoutMode::Hash),
        ("LB", 1, mycap_core::FanoutMode::LoadBalance),
        ("CPU", 2, mycap_core::FanoutMode::Cpu),
    ];
    for (name, value, mode) in modes {
        assert_eq!(crate::handle::fanout(-1, value).map(|f| f.mode), Ok(mode));
        rows.push((format!("MYCAP_FANOUT_{name}"), value as usize));
    }
    assert!(crate::handle::fanout(-1, 0).is_ok_and(|f| f.group == mycap_core::FanoutGroup::New));
    rows.push(("MYCAP_FANOUT_NEW_GROUP + 1".to_string(), 0));
    rows
}

#[test]
fn the_header_matches_the_rust_layout_and_constants() {
    let dir = std::env::temp_dir().join(format!("mycap-layout-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    let source = dir.join("layout.c");
    let program = dir.join("layout");
    std::fs::write(&source, PROGRAM).expect("write layout.c");
    let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let compiled = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-I"])
        .arg(&include)
        .arg(&source)
        .arg("-o")
        .arg(&program)
        .output()
        .expect("run cc (install gcc: the header check needs a C compiler)");
    assert!(
        compiled.status.success(),
        "cc failed on mycap.h:\n{}",
        String::from_utf8_lossy(&compiled.stderr)
    );
    let out = Command::new(&program)
        .output()
        .expect("run the layout program");
    let _ = std::fs::remove_dir_all(&dir);
    let c_side: Vec<(String, usize)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let (name, value) = line.rsplit_once(' ').expect("name value");
            (name.to_string(), value.parse().expect("a number"))
        })
        .collect();
    assert_eq!(
        c_side,
        rust_side(),
        "mycap.h (left) and the Rust side (right) disagree"
    );
}
