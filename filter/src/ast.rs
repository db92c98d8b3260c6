//! The parsed filter: boolean expression over primitives and relations, as pcap-filter(7) defines them.

/// A protocol qualifier (`ether`, `ip`, `tcp`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proto {
    Ether,
    Ip,
    Ip6,
    Arp,
    Rarp,
    Tcp,
    Udp,
    Icmp,
    Icmp6,
    Sctp,
}

/// A direction qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    Src,
    Dst,
    /// `src or dst`, the default.
    Either,
    /// `src and dst`.
    Both,
}

/// A network: IPv4 address and mask, or IPv6 address and mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NetAddr {
    V4 { addr: u32, mask: u32 },
    V6 { addr: [u8; 16], mask: [u8; 16] },
}

/// One primitive of pcap-filter(7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Prim {
    /// `ip`, `tcp`, `arp`, ...
    Proto(Proto),
    /// `[proto] [dir] host ADDR` and `[proto] [dir] net NET` (a host is a net with a full mask).
    Net {
        proto: Option<Proto>,
        dir: Dir,
        net: NetAddr,
    },
    /// `[tcp|udp|sctp] [dir] port N` and `portrange A-B`.
    Port {
        proto: Option<Proto>,
        dir: Dir,
        lo: u16,
        hi: u16,
    },
    /// `[ether|ip|ip6] proto N`.
    ProtoNum { proto: Option<Proto>, n: u32 },
    /// `ether [dir] host MAC`.
    EtherHost { dir: Dir, mac: [u8; 6] },
    /// `[ether] broadcast`.
    Broadcast,
    /// `[ether|ip|ip6] multicast`.
    Multicast(Option<Proto>),
    /// `less N`.
    Less(u32),
    /// `greater N`.
    Greater(u32),
    /// `vlan [ID]`.
    Vlan(Option<u32>),
    /// `mpls [LABEL]`.
    Mpls(Option<u32>),
    /// `[ip|ip6] protochain N`.
    Protochain { proto: Option<Proto>, n: u32 },
    /// `inbound` (true) or `outbound` (false).
    Inbound(bool),
    /// `ifindex N`.
    Ifindex(u32),
    /// `pppoes [SESSION]`.
    Pppoes(Option<u32>),
}

/// An arithmetic expression of a relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Arith {
    Num(u32),
    Len,
    /// `proto[idx:size]`.
    Load {
        proto: Proto,
        idx: Box<Arith>,
        size: u32,
    },
    /// A binary operation (`+`, `<<`, ...).
    Bin(&'static str, Box<Arith>, Box<Arith>),
    Neg(Box<Arith>),
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// A primitive and the column it starts at.
    Prim(Prim, usize),
    /// `lhs op rhs` with op one of `= != < <= > >=`.
    Rel {
        op: &'static str,
        lhs: Arith,
        rhs: Arith,
    },
}
