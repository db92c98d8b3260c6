//! netraf's compiler of tcpdump filter expressions (pcap-filter(7)) to classic BPF, in Rust, without libpcap.
//!
//! The modules follow libpcap's gencode: the lexer cuts words,
//! the parser applies tcpdump's grammar (one precedence for `and`/`or`, left
//! associative; qualifiers repeated on a bare value: `host a or b`), code
//! generation turns each primitive into tests at the link type's offsets, and
//! the layout flattens the tests' true/false edges into jumps.
//!
//! Link types: Ethernet, Linux cooked v1 (`LINUX_SLL`) and v2
//! (`LINUX_SLL2`), Cisco HDLC (`C_HDLC`), raw IP (`RAW`, 12, 14, `IPV4`,
//! `IPV6`), BSD loopback (`NULL`, its address family read little-endian,
//! and `LOOP`); on Marvell DSA tags (284, 285) only what libpcap compiles
//! there (lengths, `ether[...]`).
//!
//! Where libpcap 1.10 deviates from the obvious, its behaviour is kept: TCP,
//! UDP and SCTP are IPv4 or IPv6 (IPv6 checking the next header, or that of
//! one fragment header); `tcp[...]` is IPv4 only and skips non-first
//! fragments; `host` with an IPv4 address also matches ARP and RARP; `vlan`
//! shifts the offsets of everything parsed after it; in arithmetic, only
//! the left operand's protocol checks are kept (`ip[0] - tcp[12]` checks IPv4);
//! `mpls [label]` and `pppoes [session]` move the network layer on for what
//! follows them, as `vlan` does (over MPLS, only IPv4 and IPv6 can be tested);
//! `inbound`, `outbound` and `ifindex` read a Linux cooked capture's header,
//! as libpcap does for a file (refused on other link types, and live).
//!
//! One deliberate difference: `protochain`. libpcap walks the chain of IPv6
//! extension headers (hop-by-hop, destination options, routing, fragment)
//! and authentication headers in a loop, with a backward jump, which the
//! kernel refuses. netraf unrolls the walk over at most 8 headers
//! (`PROTOCHAIN_MAX_HEADERS`, about 200 instructions for `ip6 protochain`,
//! 330 for `protochain`): a packet whose chain is longer is rejected where
//! libpcap would walk on. Otherwise libpcap's rules are kept, its length of
//! an authentication header included.
//!
//! The layout threads jumps whose outcome the path to them decides (a test
//! of the EtherType after one already made) and drops the loads left
//! without use, as libpcap's optimizer does: a packet too short for a load
//! dropped passes as it passes libpcap's optimized program.
//!
//! What is not supported is refused with [`FilterError::Unsupported`], never
//! compiled into a different filter.
//!
//! # Live captures and VLAN tags
//! `vlan` is compiled for capture files with the tag in the frame. A live
//! capture on Linux sees the outer tag stripped by the kernel (or the NIC)
//! into the packet's metadata, so with [`Options::live`] (and in
//! [`compile_live`]) the **first** `vlan [ID]` of an expression is compiled
//! as libpcap compiles it with the kernel's BPF extensions: `ld vlan_avail`
//! (`SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT`) `jeq #1`, and for an ID `ld
//! vlan_tci` (`SKF_AD_VLAN_TAG`) `and #0xfff` `jeq #ID`. It does not shift the
//! offsets of what follows: the tag is no longer in the bytes. A second or
//! third `vlan` (stacked tags, whose inner tags stay in the frame) tests the
//! tag at offset 12 (plus the shift so far) and shifts by 4, as in a file.
//!
//! The one case this misses: a frame **sent** by the capturing host through a
//! device that does not offload VLAN insertion carries its tag in the frame,
//! not in the metadata, when the socket sees it; the first `vlan` does not
//! match it, and the tests after it read the tag where they expect the
//! EtherType. (libpcap 1.10 adds a second path testing the frame for that;
//! netraf does not.)
//!
//! # Several link types
//! A socket on `any` sees packets of every interface, each with the bytes
//! of its own hardware type. [`compile_live`] compiles the expression once
//! per link type and dispatches on the kernel's `hatype` ancillary load.

mod ast;
mod emit;
mod error;
mod gen;
mod lexer;
mod live;
mod parser;

pub use error::FilterError;
pub use live::compile_live;
pub use netraf_bpf::Insn;

use capture_file::LinkType;

/// Compile options.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// The program filters a live Linux capture (the outer VLAN tag stripped
    /// by the kernel), not a file: the first `vlan` tests the kernel's
    /// ancillary loads (see the crate's documentation).
    pub live: bool,
}

/// Compiles `expression` for packets of `link_type`, accepting `snaplen`
/// bytes of a matching packet. The empty expression accepts every packet,
/// on any link type; otherwise a link type other than those listed in the
/// crate's documentation is refused.
pub fn compile(
    expression: &str,
    link_type: LinkType,
    snaplen: u32,
) -> Result<Vec<Insn>, FilterError> {
    compile_with(expression, link_type, snaplen, Options::default())
}

/// [`compile`] with options.
pub fn compile_with(
    expression: &str,
    link_type: LinkType,
    snaplen: u32,
    options: Options,
) -> Result<Vec<Insn>, FilterError> {
    let tokens = lexer::lex(expression)?;
    if tokens.is_empty() {
        // Accepting all needs no knowledge of the link type.
        return Ok(vec![Insn::ret(snaplen)]);
    }
    let mut generator = gen::Gen::new(link_type, options.live)?;
    let expr = parser::parse(&tokens, expression.chars().count())?;
    let cond = generator.expr(&expr)?;
    // As libpcap: a filter that can keep nothing is an error, not a filter
    // (e.g. `arp` on a raw IP link).
    if cond.always_false() && !generator.may_reject_all() {
        return Err(FilterError::invalid("expression rejects all packets", 1));
    }
    let program = emit::emit(&cond, snaplen);
    if program.len() > netraf_bpf::BPF_MAXINSNS {
        return Err(FilterError::unsupported(
            format!("a program of {} instructions", program.len()),
            1,
        ));
    }
    Ok(program)
}
