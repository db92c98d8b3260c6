//! Code generation: each primitive and relation of an [`Expr`] into tests at the link type's offsets, as libpcap's gencode.

use crate::ast::{Arith, Dir, Expr, NetAddr, Prim, Proto};
use crate::emit::{Block, Cond, Edge};
use crate::error::FilterError;
use capture_file::LinkType;
use netraf_bpf::opcode::*;
use netraf_bpf::Insn;
use std::cell::RefCell;

/// How many IPv6 extension headers (or IPv4/IPv6 authentication headers)
/// `protochain` follows before the protocol sought. libpcap's program walks
/// the chain with a backward jump, which the kernel refuses; netraf unrolls
/// the walk this many steps, so a packet with a longer chain is rejected
/// where libpcap would walk on (a deliberate difference).
pub(crate) const PROTOCHAIN_MAX_HEADERS: usize = 8;

/// How the link header says what follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkKind {
    /// A 16-bit EtherType at a fixed offset (Ethernet, Linux cooked v1 and v2).
    EtherType { off: u32, ethernet: bool },
    /// The IP header first, its version in the first nibble.
    Raw,
    /// IPv4 only.
    RawV4,
    /// IPv6 only.
    RawV6,
    /// A link libpcap does not filter on the protocol of (Marvell DSA tags):
    /// only the length and the bytes of the link header can be tested.
    Opaque,
    /// A 4-byte address family (BSD loopback): in network order for `LOOP`,
    /// little-endian for `NULL` (the capturing host's order; libpcap swaps it
    /// for a file written big-endian, which netraf does not know here).
    Family { big_endian: bool },
}

/// The generator's state: the link, the offset shift of `vlan` tags parsed so far.
pub(crate) struct Gen {
    link: LinkKind,
    /// Offset of the network layer header.
    nl: u32,
    /// Bytes added by the `vlan` primitives met so far, in parse order (as libpcap).
    shift: u32,
    /// A live capture's filter: the first `vlan` tests the tag the kernel stripped.
    live: bool,
    /// A live filter's first `vlan` was met (later ones test tags in the frame).
    stripped_vlan_tested: bool,
    /// The `mpls` labels met so far, in parse order: each moves the network
    /// layer 4 bytes on (as libpcap), and the network layer is then told by
    /// the IP version, not an EtherType.
    mpls: u32,
    link_type: LinkType,
    /// An error met where the tests are built without a way to return it
    /// (a protocol other than IP over MPLS): reported by the primitive.
    deferred: RefCell<Option<FilterError>>,
    /// After `pppoes`: the offset of the PPP header in the session (its
    /// protocol field says what follows; the link layer is PPP from there).
    pppoe: Option<u32>,
    /// A `protochain` was compiled: libpcap does not optimize such a
    /// program, and so never refuses it as rejecting all packets.
    unoptimized: bool,
}

fn stmt(code: u16, k: u32) -> Insn {
    Insn::new(code, 0, 0, k)
}

fn test(stmts: Vec<Insn>, jmp: u16, k: u32) -> Cond {
    Cond::Test {
        stmts,
        code: JMP | jmp | K,
        k,
    }
}

fn size_code(size: u32) -> u16 {
    match size {
        1 => B,
        2 => H,
        _ => W,
    }
}

fn ld(size: u32, k: u32) -> Insn {
    stmt(LD | size_code(size) | ABS, k)
}

fn all(conds: Vec<Cond>) -> Cond {
    conds.into_iter().reduce(Cond::and).unwrap_or(Cond::True)
}

fn any(conds: Vec<Cond>) -> Cond {
    conds.into_iter().reduce(Cond::or).unwrap_or(Cond::False)
}

fn by_dir(dir: Dir, src: Cond, dst: Cond) -> Cond {
    match dir {
        Dir::Src => src,
        Dir::Dst => dst,
        Dir::Either => Cond::or(src, dst),
        Dir::Both => Cond::and(src, dst),
    }
}

impl Gen {
    /// A generator for `link`; `live` compiles the first `vlan` with the kernel's ancillary loads.
    pub(crate) fn new(link: LinkType, live: bool) -> Result<Gen, FilterError> {
        let (kind, nl) = match link {
            LinkType::ETHERNET => (
                LinkKind::EtherType {
                    off: 12,
                    ethernet: true,
                },
                14,
            ),
            LinkType::LINUX_SLL => (
                LinkKind::EtherType {
                    off: 14,
                    ethernet: false,
                },
                16,
            ),
            LinkType::LINUX_SLL2 => (
                LinkKind::EtherType {
                    off: 0,
                    ethernet: false,
                },
                20,
            ),
            LinkType::C_HDLC => (
                LinkKind::EtherType {
                    off: 2,
                    ethernet: false,
                },
                4,
            ),
            // Marvell DSA and EDSA tags.
            LinkType(284) | LinkType(285) => (LinkKind::Opaque, 0),
            LinkType::NULL => (LinkKind::Family { big_endian: false }, 4),
            LinkType::LOOP => (LinkKind::Family { big_endian: true }, 4),
            LinkType::IPV4 => (LinkKind::RawV4, 0),
            LinkType::IPV6 => (LinkKind::RawV6, 0),
            l if l.is_raw_ip() => (LinkKind::Raw, 0),
            l => {
                return Err(FilterError::unsupported(
                    format!("link type {} ({})", l, l.0),
                    1,
                ))
            }
        };
        Ok(Gen {
            link: kind,
            nl,
            shift: 0,
            live,
            stripped_vlan_tested: false,
            mpls: 0,
            link_type: link,
            deferred: RefCell::new(None),
            unoptimized: false,
            pppoe: None,
        })
    }

    fn is_ethernet(&self) -> bool {
        self.pppoe.is_none() && matches!(self.link, LinkKind::EtherType { ethernet: true, .. })
    }

    /// Offset `k` of the network layer header.
    fn nl(&self, k: u32) -> u32 {
        match self.pppoe {
            Some(ppp) => ppp + 2 + 4 * self.mpls + k,
            None => self.nl + self.shift + 4 * self.mpls + k,
        }
    }

    /// Offset `k` of the link layer header (PPP's after `pppoes`).
    fn link(&self, k: u32) -> u32 {
        self.pppoe.unwrap_or(0) + k
    }

    /// The link layer says EtherType `t` follows; after `mpls`, the bottom
    /// label is reached and the IP version is that of `t` (other protocols
    /// are refused over MPLS, as libpcap refuses them).
    fn ethertype(&self, t: u32) -> Cond {
        if self.mpls > 0 {
            let version = match t {
                0x0800 => 0x40,
                0x86dd => 0x60,
                _ => {
                    self.deferred
                        .borrow_mut()
                        .get_or_insert(FilterError::invalid("unsupported protocol over mpls", 1));
                    return Cond::False;
                }
            };
            return Cond::and(
                test(vec![ld(1, self.nl(0) - 2), stmt(ALU | AND | K, 1)], JEQ, 1),
                test(
                    vec![ld(1, self.nl(0)), stmt(ALU | AND | K, 0xf0)],
                    JEQ,
                    version,
                ),
            );
        }
        if let Some(ppp) = self.pppoe {
            // libpcap's ethertype_to_ppptype (the LLC SAPs aside).
            let protocol = match t {
                0x0800 => 0x0021,
                0x86dd => 0x0057,
                0x6003 => 0x0027,
                0x809b => 0x0029,
                0x0600 => 0x0025,
                0x8847 => 0x0281,
                t => t,
            };
            return test(vec![ld(2, ppp)], JEQ, protocol);
        }
        match self.link {
            LinkKind::Opaque => {
                self.deferred
                    .borrow_mut()
                    .get_or_insert(FilterError::invalid(
                        "link-layer type filtering not implemented for Marvell DSA",
                        1,
                    ));
                Cond::False
            }
            LinkKind::EtherType { off, .. } => test(vec![ld(2, off + self.shift)], JEQ, t),
            LinkKind::Raw => match t {
                0x0800 | 0x86dd => test(
                    vec![ld(1, 0), stmt(ALU | AND | K, 0xf0)],
                    JEQ,
                    if t == 0x0800 { 0x40 } else { 0x60 },
                ),
                _ => Cond::False,
            },
            LinkKind::Family { big_endian } => {
                let family = |af: u32| {
                    test(
                        vec![ld(4, 0)],
                        JEQ,
                        if big_endian { af } else { af.swap_bytes() },
                    )
                };
                match t {
                    // AF_INET; AF_INET6 of FreeBSD, Darwin and NetBSD/OpenBSD.
                    0x0800 => family(2),
                    0x86dd => any(vec![family(30), family(24), family(28)]),
                    _ => Cond::False,
                }
            }
            LinkKind::RawV4 => {
                if t == 0x0800 {
                    Cond::True
                } else {
                    Cond::False
                }
            }
            LinkKind::RawV6 => {
                if t == 0x86dd {
                    Cond::True
                } else {
                    Cond::False
                }
            }
        }
    }

    /// IPv4 with protocol `p`.
    fn ip_proto(&self, p: u32) -> Cond {
        Cond::and(
            self.ethertype(0x0800),
            test(vec![ld(1, self.nl(9))], JEQ, p),
        )
    }

    /// IPv6 with next header `p`, directly or after a fragment header (as libpcap without protochain).
    fn ip6_proto(&self, p: u32) -> Cond {
        let nh = |v| test(vec![ld(1, self.nl(6))], JEQ, v);
        Cond::and(
            self.ethertype(0x86dd),
            Cond::or(
                nh(p),
                Cond::and(nh(44), test(vec![ld(1, self.nl(40))], JEQ, p)),
            ),
        )
    }

    /// The IPv4 fragment offset is zero (first or only fragment).
    fn not_fragment(&self) -> Cond {
        Cond::not(test(vec![ld(2, self.nl(6))], JSET, 0x1fff))
    }

    fn proto(&self, p: Proto, column: usize) -> Result<Cond, FilterError> {
        Ok(match p {
            Proto::Ip => self.ethertype(0x0800),
            Proto::Ip6 => self.ethertype(0x86dd),
            Proto::Arp => self.ethertype(0x0806),
            Proto::Rarp => self.ethertype(0x8035),
            Proto::Tcp => Cond::or(self.ip_proto(6), self.ip6_proto(6)),
            Proto::Udp => Cond::or(self.ip_proto(17), self.ip6_proto(17)),
            Proto::Sctp => Cond::or(self.ip_proto(132), self.ip6_proto(132)),
            Proto::Icmp => self.ip_proto(1),
            Proto::Icmp6 => self.ip6_proto(58),
            Proto::Ether => return Err(FilterError::syntax("a qualifier after 'ether'", column)),
        })
    }

    fn require_ethernet(&self, what: &str, column: usize) -> Result<(), FilterError> {
        if self.is_ethernet() {
            Ok(())
        } else {
            Err(FilterError::unsupported(
                format!("{what} on this link type"),
                column,
            ))
        }
    }

    fn port(&self, proto: Option<Proto>, dir: Dir, lo: u16, hi: u16) -> Cond {
        let protos: Vec<u32> = match proto {
            Some(Proto::Tcp) => vec![6],
            Some(Proto::Udp) => vec![17],
            Some(Proto::Sctp) => vec![132],
            _ => vec![132, 6, 17],
        };
        let cmp = |load: Vec<Insn>| {
            if lo == hi {
                test(load, JEQ, u32::from(lo))
            } else {
                Cond::and(
                    test(load.clone(), JGE, u32::from(lo)),
                    Cond::not(test(load, JGT, u32::from(hi))),
                )
            }
        };
        let v4load = |off: u32| {
            vec![
                stmt(LDX | B | MSH, self.nl(0)),
                stmt(LD | H | IND, self.nl(off)),
            ]
        };
        let v4 = all(vec![
            self.ethertype(0x0800),
            any(protos
                .iter()
                .map(|p| test(vec![ld(1, self.nl(9))], JEQ, *p))
                .collect()),
            self.not_fragment(),
            by_dir(dir, cmp(v4load(0)), cmp(v4load(2))),
        ]);
        let v6 = all(vec![
            self.ethertype(0x86dd),
            any(protos
                .iter()
                .map(|p| test(vec![ld(1, self.nl(6))], JEQ, *p))
                .collect()),
            by_dir(
                dir,
                cmp(vec![ld(2, self.nl(40))]),
                cmp(vec![ld(2, self.nl(42))]),
            ),
        ]);
        Cond::or(v4, v6)
    }

    fn net(&self, proto: Option<Proto>, dir: Dir, net: NetAddr) -> Cond {
        match net {
            NetAddr::V4 { addr, mask } => {
                let cmp = |off: u32| {
                    if mask == 0 {
                        // Any address (libpcap's optimizer drops the test).
                        return Cond::True;
                    }
                    let mut stmts = vec![ld(4, self.nl(off))];
                    if mask != u32::MAX {
                        stmts.push(stmt(ALU | AND | K, mask));
                    }
                    test(stmts, JEQ, addr)
                };
                let part = |t: u32, src: u32, dst: u32| {
                    Cond::and(self.ethertype(t), by_dir(dir, cmp(src), cmp(dst)))
                };
                match proto {
                    Some(Proto::Ip) => part(0x0800, 12, 16),
                    Some(Proto::Arp) => part(0x0806, 14, 24),
                    Some(Proto::Rarp) => part(0x8035, 14, 24),
                    // libpcap leaves ARP and RARP out over MPLS.
                    _ if self.mpls > 0 => part(0x0800, 12, 16),
                    _ => any(vec![
                        part(0x0800, 12, 16),
                        part(0x0806, 14, 24),
                        part(0x8035, 14, 24),
                    ]),
                }
            }
            NetAddr::V6 { addr, mask } => {
                let cmp = |off: u32| {
                    all((0..4)
                        .filter_map(|w| {
                            let m = u32::from_be_bytes([
                                mask[4 * w],
                                mask[4 * w + 1],
                                mask[4 * w + 2],
                                mask[4 * w + 3],
                            ]);
                            let a = u32::from_be_bytes([
                                addr[4 * w],
                                addr[4 * w + 1],
                                addr[4 * w + 2],
                                addr[4 * w + 3],
                            ]);
                            if m == 0 {
                                return None;
                            }
                            let mut stmts = vec![ld(4, self.nl(off + 4 * w as u32))];
                            if m != u32::MAX {
                                stmts.push(stmt(ALU | AND | K, m));
                            }
                            Some(test(stmts, JEQ, a))
                        })
                        .collect())
                };
                Cond::and(self.ethertype(0x86dd), by_dir(dir, cmp(8), cmp(24)))
            }
        }
    }

    /// The tests of primitive `p`, at `column` of the expression.
    fn prim(&mut self, p: &Prim, column: usize) -> Result<Cond, FilterError> {
        if self.mpls > 0 && matches!(p, Prim::Vlan(_)) {
            return Err(FilterError::invalid("no VLAN match after MPLS", column));
        }
        let cond = match *p {
            Prim::Mpls(label) => self.mpls(label, column)?,
            Prim::Protochain { proto, n } => {
                self.unoptimized = true;
                match proto {
                    Some(Proto::Ip) => self.protochain(false, n),
                    Some(Proto::Ip6) => self.protochain(true, n),
                    _ => Cond::or(self.protochain(false, n), self.protochain(true, n)),
                }
            }
            Prim::Inbound(inbound) => self.direction(inbound, column)?,
            Prim::Pppoes(session) => self.pppoes(session, column)?,
            Prim::Ifindex(n) => {
                if self.link_type != LinkType::LINUX_SLL2 || self.live {
                    return Err(FilterError::unsupported(
                        "ifindex on this link type",
                        column,
                    ));
                }
                test(vec![ld(4, 4)], JEQ, n)
            }
            _ => self.prim_common(p, column)?,
        };
        self.take_deferred(column)?;
        Ok(cond)
    }

    /// Whether a program that rejects all packets is still a program (as
    /// libpcap's unoptimized ones, those with `protochain`, are).
    pub(crate) fn may_reject_all(&self) -> bool {
        self.unoptimized
    }

    /// The error deferred by the tests just built, if any, at `column`.
    fn take_deferred(&self, column: usize) -> Result<(), FilterError> {
        match self.deferred.borrow_mut().take() {
            Some(FilterError::Invalid { message, .. }) => {
                Err(FilterError::invalid(message, column))
            }
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// `mpls [label]`: the MPLS EtherType for the first label, the bottom of
    /// stack bit clear in the previous one for the next ones (as libpcap);
    /// each moves the network layer on by a label.
    fn mpls(&mut self, label: Option<u32>, column: usize) -> Result<Cond, FilterError> {
        let mut c = if self.mpls > 0 {
            Cond::not(test(vec![ld(1, self.nl(0) - 2)], JSET, 1))
        } else {
            if self.pppoe.is_none()
                && !matches!(self.link_type, LinkType::ETHERNET | LinkType::C_HDLC)
            {
                return Err(FilterError::invalid(
                    "no MPLS support for this link type",
                    column,
                ));
            }
            self.ethertype(0x8847)
        };
        if let Some(label) = label {
            if label > 0xfffff {
                return Err(FilterError::invalid(
                    format!("MPLS label {label} greater than maximum 1048575"),
                    column,
                ));
            }
            c = Cond::and(
                c,
                test(
                    vec![ld(4, self.nl(0)), stmt(ALU | AND | K, 0xffff_f000)],
                    JEQ,
                    label << 12,
                ),
            );
        }
        self.mpls += 1;
        Ok(c)
    }

    /// `pppoes [session]`: the PPPoE session EtherType, then the session
    /// number; what follows is read as PPP in the session, as libpcap.
    fn pppoes(&mut self, session: Option<u32>, column: usize) -> Result<Cond, FilterError> {
        let mut c = self.ethertype(0x8864);
        if let Some(session) = session {
            if session > 0xffff {
                return Err(FilterError::invalid(
                    format!("PPPoE session number {session} greater than maximum 65535"),
                    column,
                ));
            }
            c = Cond::and(
                c,
                test(
                    vec![ld(4, self.nl(0)), stmt(ALU | AND | K, 0xffff)],
                    JEQ,
                    session,
                ),
            );
        }
        self.pppoe = Some(self.nl(0) + 6);
        self.mpls = 0;
        Ok(c)
    }

    /// `inbound`/`outbound` in a Linux cooked capture's packet type (4:
    /// sent by this host); libpcap refuses them on files of other link types.
    fn direction(&self, inbound: bool, column: usize) -> Result<Cond, FilterError> {
        let load = match self.link_type {
            LinkType::LINUX_SLL if !self.live => ld(2, 0),
            LinkType::LINUX_SLL2 if !self.live => ld(1, 10),
            _ => {
                return Err(FilterError::unsupported(
                    "inbound/outbound on this link type",
                    column,
                ))
            }
        };
        let outgoing = test(vec![load], JEQ, 4);
        Ok(if inbound {
            Cond::not(outgoing)
        } else {
            outgoing
        })
    }

    /// `ip protochain n` (`v6` false) or `ip6 protochain n`: the protocol
    /// chain walked from the IP header, as libpcap's gen_protochain walks
    /// it: IPv6 follows hop-by-hop (0), destination options (60), routing
    /// (43) and fragment (44) headers, both follow an authentication header
    /// (51; libpcap's next offset is (its length byte + 2) * 4 from the IP
    /// header, not from the AH, and that is kept), and the walk stops at no
    /// next header (59). libpcap loops; here the walk is unrolled over
    /// [`PROTOCHAIN_MAX_HEADERS`] headers, and a longer chain is rejected.
    fn protochain(&self, v6: bool, n: u32) -> Cond {
        const SCRATCH: u32 = 0;
        let base = self.nl(0);
        let jeq = JMP | JEQ | K;
        let mut blocks = Vec::new();
        // The first block: A = the first next header, X = the offset after the IP header.
        let first = if v6 {
            vec![ld(1, self.nl(6)), stmt(LDX | IMM, 40)]
        } else {
            vec![ld(1, self.nl(9)), stmt(LDX | B | MSH, base)]
        };
        // Per step: [jeq n, jeq 59, (v6: jeq 0, 60, 43, 44), jeq 51, v6 advance, AH advance].
        let step_len = if v6 { 9 } else { 4 };
        for step in 0..=PROTOCHAIN_MAX_HEADERS {
            let at = blocks.len();
            let next = Edge::Block(at + step_len);
            let stmts = if step == 0 { first.clone() } else { Vec::new() };
            if step == PROTOCHAIN_MAX_HEADERS {
                blocks.push(Block {
                    stmts,
                    code: jeq,
                    k: n,
                    t: Edge::True,
                    f: Edge::False,
                });
                break;
            }
            let cmp = |stmts: Vec<Insn>, k: u32, t: Edge, f: Edge| Block {
                stmts,
                code: jeq,
                k,
                t,
                f,
            };
            blocks.push(cmp(stmts, n, Edge::True, Edge::Block(at + 1)));
            blocks.push(cmp(Vec::new(), 59, Edge::False, Edge::Block(at + 2)));
            let ah = if v6 { at + 6 } else { at + 2 };
            if v6 {
                let advance = Edge::Block(at + 7);
                for (i, k) in [0, 60, 43].into_iter().enumerate() {
                    blocks.push(cmp(Vec::new(), k, advance, Edge::Block(at + 3 + i)));
                }
                blocks.push(cmp(Vec::new(), 44, advance, Edge::Block(ah)));
            }
            blocks.push(cmp(
                Vec::new(),
                51,
                Edge::Block(ah + 1 + usize::from(v6)),
                Edge::False,
            ));
            if v6 {
                // A = the next header; X += (its length + 1) * 8.
                blocks.push(Block {
                    stmts: vec![
                        stmt(LD | B | IND, base),
                        stmt(ST, SCRATCH),
                        stmt(LD | B | IND, base + 1),
                        stmt(ALU | ADD | K, 1),
                        stmt(ALU | MUL | K, 8),
                        stmt(ALU | ADD | X, 0),
                        stmt(MISC | TAX, 0),
                        stmt(LD | MEM, SCRATCH),
                    ],
                    code: 0,
                    k: 0,
                    t: next,
                    f: next,
                });
            }
            // The authentication header: A = its next header; X = (its length + 2) * 4.
            blocks.push(Block {
                stmts: vec![
                    stmt(LD | B | IND, base),
                    stmt(ST, SCRATCH),
                    stmt(MISC | TXA, 0),
                    stmt(ALU | ADD | K, 1),
                    stmt(MISC | TAX, 0),
                    stmt(LD | B | IND, base),
                    stmt(ALU | ADD | K, 2),
                    stmt(ALU | MUL | K, 4),
                    stmt(MISC | TAX, 0),
                    stmt(LD | MEM, SCRATCH),
                ],
                code: 0,
                k: 0,
                t: next,
                f: next,
            });
            debug_assert_eq!(blocks.len(), at + step_len);
        }
        Cond::and(
            self.ethertype(if v6 { 0x86dd } else { 0x0800 }),
            Cond::Graph(blocks),
        )
    }

    /// The primitives known before `mpls`.
    fn prim_common(&mut self, p: &Prim, column: usize) -> Result<Cond, FilterError> {
        Ok(match *p {
            Prim::Proto(p) => self.proto(p, column)?,
            Prim::Net { proto, dir, net } => self.net(proto, dir, net),
            Prim::Port { proto, dir, lo, hi } => self.port(proto, dir, lo, hi),
            Prim::ProtoNum { proto, n } => match proto {
                Some(Proto::Ether) => self.ethertype(n),
                Some(Proto::Ip) => self.ip_proto(n),
                Some(Proto::Ip6) => self.ip6_proto(n),
                _ => Cond::or(self.ip_proto(n), self.ip6_proto(n)),
            },
            Prim::EtherHost { dir, mac } => {
                self.require_ethernet("ether host", column)?;
                let cmp = |off: u32| {
                    Cond::and(
                        test(
                            vec![ld(4, off + 2)],
                            JEQ,
                            u32::from_be_bytes([mac[2], mac[3], mac[4], mac[5]]),
                        ),
                        test(
                            vec![ld(2, off)],
                            JEQ,
                            u32::from(u16::from_be_bytes([mac[0], mac[1]])),
                        ),
                    )
                };
                by_dir(dir, cmp(6), cmp(0))
            }
            Prim::Broadcast => {
                self.require_ethernet("broadcast", column)?;
                Cond::and(
                    test(vec![ld(4, 2)], JEQ, u32::MAX),
                    test(vec![ld(2, 0)], JEQ, 0xffff),
                )
            }
            Prim::Multicast(Some(Proto::Ip)) => Cond::and(
                self.ethertype(0x0800),
                test(vec![ld(1, self.nl(16))], JGE, 224),
            ),
            Prim::Multicast(Some(Proto::Ip6)) => Cond::and(
                self.ethertype(0x86dd),
                test(vec![ld(1, self.nl(24))], JEQ, 255),
            ),
            Prim::Multicast(_) => {
                self.require_ethernet("multicast", column)?;
                test(vec![ld(1, 0)], JSET, 1)
            }
            Prim::Less(n) => Cond::not(test(vec![stmt(LD | W | LEN, 0)], JGT, n)),
            Prim::Greater(n) => test(vec![stmt(LD | W | LEN, 0)], JGE, n),
            Prim::Mpls(_)
            | Prim::Protochain { .. }
            | Prim::Inbound(_)
            | Prim::Ifindex(_)
            | Prim::Pppoes(_) => {
                return Err(FilterError::unsupported("this primitive here", column))
            }
            Prim::Vlan(id) => {
                self.require_ethernet("vlan", column)?;
                if self.live && !self.stripped_vlan_tested {
                    // As libpcap with the kernel's BPF extensions: the outer
                    // tag was taken out of the frame into the packet's
                    // metadata, so nothing after it moves.
                    self.stripped_vlan_tested = true;
                    let present = test(vec![ld(1, SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT)], JEQ, 1);
                    return Ok(match id {
                        None => present,
                        Some(id) => Cond::and(
                            present,
                            test(
                                vec![
                                    ld(1, SKF_AD_OFF + SKF_AD_VLAN_TAG),
                                    stmt(ALU | AND | K, 0x0fff),
                                ],
                                JEQ,
                                id,
                            ),
                        ),
                    });
                }
                let mut c = any(vec![
                    self.ethertype(0x8100),
                    self.ethertype(0x88a8),
                    self.ethertype(0x9100),
                ]);
                if let Some(id) = id {
                    c = Cond::and(
                        c,
                        test(
                            vec![ld(2, self.nl(0)), stmt(ALU | AND | K, 0x0fff)],
                            JEQ,
                            id,
                        ),
                    );
                }
                self.shift += 4;
                c
            }
        })
    }

    /// The tests of expression `e`.
    pub(crate) fn expr(&mut self, e: &Expr) -> Result<Cond, FilterError> {
        Ok(match e {
            Expr::And(a, b) => {
                let a = self.expr(a)?;
                Cond::and(a, self.expr(b)?)
            }
            Expr::Or(a, b) => {
                let a = self.expr(a)?;
                Cond::or(a, self.expr(b)?)
            }
            Expr::Not(a) => Cond::not(self.expr(a)?),
            Expr::Prim(p, column) => self.prim(p, *column)?,
            Expr::Rel { op, lhs, rhs } => {
                let c = self.relation(op, lhs, rhs)?;
                self.take_deferred(1)?;
                c
            }
        })
    }

    fn relation(&self, op: &str, lhs: &Arith, rhs: &Arith) -> Result<Cond, FilterError> {
        let lhs = fold(lhs)?;
        let rhs = fold(rhs)?;
        // Every load's protocol is checked valid here (libpcap refuses
        // `arp[0]` over MPLS, say), even where its test is not kept.
        self.every_load_valid(&lhs)?;
        self.every_load_valid(&rhs)?;
        let mut checks = Vec::new();
        self.load_checks(&lhs, &mut checks)?;
        self.load_checks(&rhs, &mut checks)?;
        let (jmp, negate) = match op {
            "=" => (JEQ, false),
            "!=" => (JEQ, true),
            ">" => (JGT, false),
            ">=" => (JGE, false),
            "<" => (JGE, true),
            _ => (JGT, true),
        };
        let cmp = if let Arith::Num(k) = rhs {
            let mut stmts = Vec::new();
            self.eval(&lhs, 0, &mut stmts)?;
            test(stmts, jmp, k)
        } else {
            let mut stmts = Vec::new();
            self.eval(&rhs, 0, &mut stmts)?;
            stmts.push(stmt(ST, 0));
            self.eval(&lhs, 1, &mut stmts)?;
            stmts.push(stmt(LDX | MEM, 0));
            Cond::Test {
                stmts,
                code: JMP | jmp | X,
                k: 0,
            }
        };
        let cmp = if negate { Cond::not(cmp) } else { cmp };
        checks.push(cmp);
        Ok(all(checks))
    }

    /// Builds the protocol checks of every load of `a`, to meet the errors
    /// they defer; the checks themselves are dropped.
    fn every_load_valid(&self, a: &Arith) -> Result<(), FilterError> {
        match a {
            Arith::Num(_) | Arith::Len => {}
            Arith::Neg(x) => self.every_load_valid(x)?,
            Arith::Bin(_, x, y) => {
                self.every_load_valid(x)?;
                self.every_load_valid(y)?;
            }
            Arith::Load { idx, .. } => {
                self.load_checks(a, &mut Vec::new())?;
                self.every_load_valid(idx)?;
            }
        }
        self.take_deferred(1)
    }

    /// The protocol checks the loads of `a` need, in order.
    fn load_checks(&self, a: &Arith, out: &mut Vec<Cond>) -> Result<(), FilterError> {
        match a {
            Arith::Num(_) | Arith::Len => {}
            Arith::Neg(x) => self.load_checks(x, out)?,
            // libpcap 1.10's gen_arth keeps the protocol checks of its left
            // operand only: `ip[0] - tcp[12] = 0` checks IPv4, not TCP. Matched here.
            Arith::Bin(_, x, _) => self.load_checks(x, out)?,
            Arith::Load { proto, idx, .. } => {
                out.push(match proto {
                    // The link header, whatever the link type (as libpcap).
                    Proto::Ether => Cond::True,
                    Proto::Ip => self.ethertype(0x0800),
                    Proto::Ip6 => self.ethertype(0x86dd),
                    Proto::Arp => self.ethertype(0x0806),
                    Proto::Rarp => self.ethertype(0x8035),
                    Proto::Tcp => Cond::and(self.ip_proto(6), self.not_fragment()),
                    Proto::Udp => Cond::and(self.ip_proto(17), self.not_fragment()),
                    Proto::Sctp => Cond::and(self.ip_proto(132), self.not_fragment()),
                    Proto::Icmp => Cond::and(self.ip_proto(1), self.not_fragment()),
                    Proto::Icmp6 => Cond::and(
                        self.ethertype(0x86dd),
                        test(vec![ld(1, self.nl(6))], JEQ, 58),
                    ),
                });
                self.load_checks(idx, out)?;
            }
        }
        Ok(())
    }

    /// Statements leaving the value of `a` in A, scratch words from `depth` up free.
    fn eval(&self, a: &Arith, depth: u32, out: &mut Vec<Insn>) -> Result<(), FilterError> {
        if depth as usize >= MEMWORDS {
            return Err(FilterError::unsupported("arithmetic nested this deep", 1));
        }
        match a {
            Arith::Num(k) => out.push(stmt(LD | IMM, *k)),
            Arith::Len => out.push(stmt(LD | W | LEN, 0)),
            Arith::Neg(x) => {
                self.eval(x, depth, out)?;
                out.push(stmt(ALU | NEG, 0));
            }
            Arith::Bin(op, x, y) => {
                let code = alu(op);
                if let Arith::Num(k) = **y {
                    self.eval(x, depth, out)?;
                    out.push(stmt(ALU | code | K, k));
                } else {
                    self.eval(y, depth, out)?;
                    out.push(stmt(ST, depth));
                    self.eval(x, depth + 1, out)?;
                    out.push(stmt(LDX | MEM, depth));
                    out.push(stmt(ALU | code | X, 0));
                }
            }
            Arith::Load { proto, idx, size } => {
                let sz = size_code(*size);
                let (base, transport) = match proto {
                    Proto::Ether => (self.link(0), false),
                    Proto::Ip | Proto::Ip6 | Proto::Arp | Proto::Rarp => (self.nl(0), false),
                    Proto::Icmp6 => (self.nl(40), false),
                    Proto::Tcp | Proto::Udp | Proto::Sctp | Proto::Icmp => (self.nl(0), true),
                };
                match (&**idx, transport) {
                    (Arith::Num(c), false) => out.push(stmt(LD | sz | ABS, base.wrapping_add(*c))),
                    (Arith::Num(c), true) => {
                        out.push(stmt(LDX | B | MSH, self.nl(0)));
                        out.push(stmt(LD | sz | IND, base.wrapping_add(*c)));
                    }
                    (idx, false) => {
                        self.eval(idx, depth, out)?;
                        out.push(stmt(MISC | TAX, 0));
                        out.push(stmt(LD | sz | IND, base));
                    }
                    (idx, true) => {
                        self.eval(idx, depth, out)?;
                        out.push(stmt(ST, depth));
                        out.push(stmt(LDX | B | MSH, self.nl(0)));
                        out.push(stmt(LD | MEM, depth));
                        out.push(stmt(ALU | ADD | X, 0));
                        out.push(stmt(MISC | TAX, 0));
                        out.push(stmt(LD | sz | IND, base));
                    }
                }
            }
        }
        Ok(())
    }
}

fn alu(op: &str) -> u16 {
    match op {
        "+" => ADD,
        "-" => SUB,
        "*" => MUL,
        "/" => DIV,
        "%" => MOD,
        "&" => AND,
        "|" => OR,
        "^" => XOR,
        "<<" => LSH,
        _ => RSH,
    }
}

/// `a` with its constant parts computed; a constant division by zero or shift
/// of 32 or more is refused.
fn fold(a: &Arith) -> Result<Arith, FilterError> {
    Ok(match a {
        Arith::Num(_) | Arith::Len => a.clone(),
        Arith::Neg(x) => match fold(x)? {
            Arith::Num(k) => Arith::Num(k.wrapping_neg()),
            x => Arith::Neg(Box::new(x)),
        },
        Arith::Load { proto, idx, size } => Arith::Load {
            proto: *proto,
            idx: Box::new(fold(idx)?),
            size: *size,
        },
        Arith::Bin(op, x, y) => {
            let (x, y) = (fold(x)?, fold(y)?);
            if let Arith::Num(k) = y {
                if k == 0 && matches!(*op, "/" | "%") {
                    return Err(FilterError::invalid("division by zero", 1));
                }
                if k >= 32 && matches!(*op, "<<" | ">>") {
                    return Err(FilterError::unsupported("shift by 32 or more", 1));
                }
            }
            match (&x, &y) {
                (Arith::Num(a), Arith::Num(b)) => Arith::Num(match *op {
                    "+" => a.wrapping_add(*b),
                    "-" => a.wrapping_sub(*b),
                    "*" => a.wrapping_mul(*b),
                    "/" => a / b,
                    "%" => a % b,
                    "&" => a & b,
                    "|" => a | b,
                    "^" => a ^ b,
                    "<<" => a << b,
                    _ => a >> b,
                }),
                _ => Arith::Bin(op, Box::new(x), Box::new(y)),
            }
        }
    })
}
