//! The parser: tokens to an [`Expr`], with tcpdump's qualifier repetition (`host a or b`) and its precedences.

use crate::ast::{Arith, Dir, Expr, NetAddr, Prim, Proto};
use crate::error::FilterError;
use crate::lexer::{Tok, Token};

/// The primitive kind qualifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Host,
    Net,
    Port,
    Portrange,
    Proto,
    Protochain,
}

/// The qualifiers in force: repeated on a bare id after `and`/`or`/`not`.
#[derive(Debug, Clone, Copy, Default)]
struct Quals {
    proto: Option<Proto>,
    dir: Option<Dir>,
    kind: Option<Kind>,
}

/// Words pcap-filter(7) knows that netraf does not compile.
const UNSUPPORTED: &[&str] = &[
    "gateway",
    "geneve",
    "vxlan",
    "llc",
    "ifname",
    "on",
    "rnr",
    "rulenum",
    "reason",
    "rset",
    "srnr",
    "subrulenum",
    "action",
    "wlan",
    "type",
    "subtype",
    "dir",
    "addr1",
    "addr2",
    "addr3",
    "addr4",
    "ra",
    "ta",
    "fddi",
    "tr",
    "link",
    "ppp",
    "slip",
    "igmp",
    "igrp",
    "pim",
    "vrrp",
    "carp",
    "atalk",
    "aarp",
    "decnet",
    "iso",
    "esis",
    "isis",
    "clnp",
    "stp",
    "ipx",
    "netbeui",
    "lat",
    "sca",
    "moprc",
    "mopdl",
    "ah",
    "esp",
    "radio",
    "iih",
    "lsp",
    "snp",
    "csnp",
    "psnp",
    "l1",
    "l2",
    "es-is",
    "is-is",
    "metac",
    "bcpi",
    "oamf4",
    "oamf4ec",
    "oamf4sc",
    "oam",
    "sc",
    "ilmic",
    "connectmsg",
    "metaconnect",
    "vpi",
    "vci",
    "lane",
    "hdr",
    "fisu",
    "lssu",
    "msu",
    "sio",
    "opc",
    "dpc",
    "sls",
    "hsls",
    "hfisu",
    "hlssu",
    "hmsu",
    "hsio",
    "hopc",
    "hdpc",
    "ip6multicast",
    "ipv6",
];

fn proto_word(w: &str) -> Option<Proto> {
    Some(match w {
        "ether" => Proto::Ether,
        "ip" => Proto::Ip,
        "ip6" => Proto::Ip6,
        "arp" => Proto::Arp,
        "rarp" => Proto::Rarp,
        "tcp" => Proto::Tcp,
        "udp" => Proto::Udp,
        "icmp" => Proto::Icmp,
        "icmp6" => Proto::Icmp6,
        "sctp" => Proto::Sctp,
        _ => return None,
    })
}

/// The named constants of byte-offset expressions.
fn named_constant(w: &str) -> Option<u32> {
    Some(match w {
        "icmptype" | "icmp6type" => 0,
        "icmpcode" | "icmp6code" => 1,
        "icmp-echoreply" => 0,
        "icmp-unreach" => 3,
        "icmp-sourcequench" => 4,
        "icmp-redirect" => 5,
        "icmp-echo" => 8,
        "icmp-routeradvert" => 9,
        "icmp-routersolicit" => 10,
        "icmp-timxceed" => 11,
        "icmp-paramprob" => 12,
        "icmp-tstamp" => 13,
        "icmp-tstampreply" => 14,
        "icmp-ireq" => 15,
        "icmp-ireqreply" => 16,
        "icmp-maskreq" => 17,
        "icmp-maskreply" => 18,
        "icmp6-destinationunreach" => 1,
        "icmp6-packettoobig" => 2,
        "icmp6-timeexceeded" => 3,
        "icmp6-parameterproblem" => 4,
        "icmp6-echo" => 128,
        "icmp6-echoreply" => 129,
        "icmp6-multicastlistenerquery" => 130,
        "icmp6-multicastlistenerreportv1" => 131,
        "icmp6-multicastlistenerdone" => 132,
        "icmp6-routersolicit" => 133,
        "icmp6-routeradvert" => 134,
        "icmp6-neighborsolicit" => 135,
        "icmp6-neighboradvert" => 136,
        "icmp6-redirect" => 137,
        "icmp6-routerrenum" => 138,
        "icmp6-nodeinformationquery" => 139,
        "icmp6-nodeinformationresponse" => 140,
        "icmp6-ineighbordiscoverysolicit" => 141,
        "icmp6-ineighbordiscoveryadvert" => 142,
        "icmp6-multicastlistenerreportv2" => 143,
        "icmp6-homeagentdiscoveryrequest" => 144,
        "icmp6-homeagentdiscoveryreply" => 145,
        "icmp6-mobileprefixsolicit" => 146,
        "icmp6-mobileprefixadvert" => 147,
        "icmp6-certpathsolicit" => 148,
        "icmp6-certpathadvert" => 149,
        "icmp6-multicastrouteradvert" => 151,
        "icmp6-multicastroutersolicit" => 152,
        "icmp6-multicastrouterterm" => 153,
        "tcpflags" => 13,
        "tcp-fin" => 0x01,
        "tcp-syn" => 0x02,
        "tcp-rst" => 0x04,
        "tcp-push" => 0x08,
        "tcp-ack" => 0x10,
        "tcp-urg" => 0x20,
        "tcp-ece" => 0x40,
        "tcp-cwr" => 0x80,
        _ => return None,
    })
}

/// The parser's state: tokens, position, the qualifiers of the last primitive.
struct Parser<'a> {
    toks: &'a [Token],
    pos: usize,
    end_column: usize,
    /// `None` at the start and after a primitive without a value (`tcp`,
    /// `less 10`, a relation): a bare value there is a syntax error, as in libpcap.
    last: Option<Quals>,
}

/// Parses the tokens of a non-empty expression.
pub(crate) fn parse(toks: &[Token], input_len: usize) -> Result<Expr, FilterError> {
    let mut p = Parser {
        toks,
        pos: 0,
        end_column: input_len + 1,
        last: None,
    };
    let e = p.expr()?;
    if p.pos < toks.len() {
        return Err(FilterError::syntax("'and', 'or' or the end", p.column()));
    }
    Ok(e)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.pos + n).map(|t| &t.tok)
    }

    fn column(&self) -> usize {
        self.toks
            .get(self.pos)
            .map_or(self.end_column, |t| t.column)
    }

    fn word(&self) -> Option<&str> {
        match self.peek() {
            Some(Tok::Word {
                text,
                escaped: false,
            }) => Some(text),
            _ => None,
        }
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), FilterError> {
        if self.peek() == Some(tok) {
            self.pos += 1;
            Ok(())
        } else {
            Err(FilterError::syntax(what, self.column()))
        }
    }

    /// expr := term (('and' | 'or') term)*, left associative, one precedence (as libpcap).
    fn expr(&mut self) -> Result<Expr, FilterError> {
        let mut left = self.term()?;
        loop {
            match self.peek() {
                Some(Tok::And) => {
                    self.pos += 1;
                    let right = self.term()?;
                    left = Expr::And(Box::new(left), Box::new(right));
                }
                Some(Tok::Or) => {
                    self.pos += 1;
                    let right = self.term()?;
                    left = Expr::Or(Box::new(left), Box::new(right));
                }
                _ => return Ok(left),
            }
        }
    }

    fn term(&mut self) -> Result<Expr, FilterError> {
        let column = self.column();
        match self.peek() {
            None => Err(FilterError::syntax("a primitive", column)),
            Some(Tok::Not) => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.term()?)))
            }
            Some(Tok::LParen) => {
                let start = self.pos;
                if let Ok(rel) = self.relation() {
                    return Ok(rel);
                }
                self.pos = start + 1;
                let e = self.expr()?;
                self.expect(&Tok::RParen, "')'")?;
                Ok(e)
            }
            Some(Tok::Num(_)) | Some(Tok::Op("-")) => {
                let start = self.pos;
                match self.relation() {
                    Ok(rel) => Ok(rel),
                    Err(e) => {
                        self.pos = start;
                        if matches!(self.peek(), Some(Tok::Num(_))) {
                            self.bare_id(column)
                        } else {
                            Err(e)
                        }
                    }
                }
            }
            Some(Tok::Ipv4(_)) | Some(Tok::Ipv6(_)) | Some(Tok::Mac(_)) => self.bare_id(column),
            Some(Tok::Word { text, escaped }) => {
                let (text, escaped) = (text.clone(), *escaped);
                if escaped {
                    return Err(FilterError::unsupported(format!("\\{text}"), column));
                }
                let starts_relation = text == "len"
                    || named_constant(&text).is_some()
                    || (proto_word(&text).is_some() && self.peek_at(1) == Some(&Tok::LBracket))
                    || (UNSUPPORTED.contains(&text.as_str())
                        && self.peek_at(1) == Some(&Tok::LBracket));
                if starts_relation {
                    return self.relation();
                }
                self.primitive(column)
            }
            Some(_) => Err(FilterError::syntax("a primitive", column)),
        }
    }

    /// A bare id after `and`/`or`/`not`: it takes the last primitive's qualifiers.
    fn bare_id(&mut self, column: usize) -> Result<Expr, FilterError> {
        let q = self.last.ok_or_else(|| {
            FilterError::syntax(
                "a qualifier (host, net, port, ...) before the value",
                column,
            )
        })?;
        let prim = self.id(q, column)?;
        Ok(Expr::Prim(prim, column))
    }

    fn primitive(&mut self, column: usize) -> Result<Expr, FilterError> {
        self.last = None;
        let mut q = Quals::default();
        let w = self.word().unwrap_or_default().to_string();
        match w.as_str() {
            "less" | "greater" => {
                self.pos += 1;
                let n = self.number("a number")?;
                let p = if w == "less" {
                    Prim::Less(n)
                } else {
                    Prim::Greater(n)
                };
                return Ok(Expr::Prim(p, column));
            }
            "broadcast" => {
                self.pos += 1;
                return Ok(Expr::Prim(Prim::Broadcast, column));
            }
            "multicast" => {
                self.pos += 1;
                return Ok(Expr::Prim(Prim::Multicast(None), column));
            }
            "mpls" => {
                self.pos += 1;
                let label = self.optional_number();
                return Ok(Expr::Prim(Prim::Mpls(label), column));
            }
            "pppoes" => {
                self.pos += 1;
                let session = self.optional_number();
                return Ok(Expr::Prim(Prim::Pppoes(session), column));
            }
            "pppoed" => {
                self.pos += 1;
                let p = Prim::ProtoNum {
                    proto: Some(Proto::Ether),
                    n: 0x8863,
                };
                return Ok(Expr::Prim(p, column));
            }
            "inbound" | "outbound" => {
                self.pos += 1;
                return Ok(Expr::Prim(Prim::Inbound(w == "inbound"), column));
            }
            "ifindex" => {
                self.pos += 1;
                let n = self.number("an interface index")?;
                return Ok(Expr::Prim(Prim::Ifindex(n), column));
            }
            "igmp" | "igrp" | "vrrp" | "carp" | "pim" | "ah" | "esp"
                if matches!(
                    self.peek_at(1),
                    None | Some(Tok::And) | Some(Tok::Or) | Some(Tok::RParen)
                ) =>
            {
                self.pos += 1;
                // IPv4 only, or IPv4 and IPv6, as libpcap.
                let (proto, n) = match w.as_str() {
                    "igmp" => (Some(Proto::Ip), 2),
                    "igrp" => (Some(Proto::Ip), 9),
                    "vrrp" | "carp" => (Some(Proto::Ip), 112),
                    "pim" => (None, 103),
                    "ah" => (None, 51),
                    _ => (None, 50),
                };
                return Ok(Expr::Prim(Prim::ProtoNum { proto, n }, column));
            }
            "vlan" => {
                self.pos += 1;
                let id = match self.peek() {
                    Some(Tok::Num(n)) => {
                        let n = *n;
                        let c = self.column();
                        self.pos += 1;
                        if n > 4095 {
                            return Err(FilterError::invalid(
                                format!("VLAN tag {n} greater than maximum 4095"),
                                c,
                            ));
                        }
                        Some(n)
                    }
                    _ => None,
                };
                return Ok(Expr::Prim(Prim::Vlan(id), column));
            }
            _ => {}
        }
        if let Some(p) = proto_word(&w) {
            q.proto = Some(p);
            self.pos += 1;
            match self.word() {
                Some("broadcast") => {
                    self.pos += 1;
                    return match p {
                        Proto::Ether => Ok(Expr::Prim(Prim::Broadcast, column)),
                        Proto::Ip => Err(FilterError::unsupported("ip broadcast", column)),
                        _ => Err(FilterError::invalid(
                            "only link-layer/IP broadcast filters supported",
                            column,
                        )),
                    };
                }
                Some("multicast") => {
                    self.pos += 1;
                    return match p {
                        Proto::Ether | Proto::Ip | Proto::Ip6 => {
                            Ok(Expr::Prim(Prim::Multicast(Some(p)), column))
                        }
                        _ => Err(FilterError::invalid(
                            "only link-layer/IP multicast filters supported",
                            column,
                        )),
                    };
                }
                _ => {}
            }
        }
        // Direction.
        let dcol = self.column();
        match self.word() {
            Some("src") | Some("dst") => {
                let first = if self.word() == Some("src") {
                    Dir::Src
                } else {
                    Dir::Dst
                };
                self.pos += 1;
                let combined = match (self.peek(), self.peek_at(1)) {
                    (
                        Some(Tok::Or),
                        Some(Tok::Word {
                            text,
                            escaped: false,
                        }),
                    ) if text == "src" || text == "dst" => Some(Dir::Either),
                    (
                        Some(Tok::And),
                        Some(Tok::Word {
                            text,
                            escaped: false,
                        }),
                    ) if text == "src" || text == "dst" => Some(Dir::Both),
                    _ => None,
                };
                q.dir = Some(match combined {
                    Some(d) => {
                        self.pos += 2;
                        d
                    }
                    None => first,
                });
            }
            _ => {}
        }
        // Kind.
        let kcol = self.column();
        match self.word() {
            Some("host") => q.kind = Some(Kind::Host),
            Some("net") => q.kind = Some(Kind::Net),
            Some("port") => q.kind = Some(Kind::Port),
            Some("portrange") => q.kind = Some(Kind::Portrange),
            Some("proto") => q.kind = Some(Kind::Proto),
            Some("protochain") => q.kind = Some(Kind::Protochain),
            Some(w) if UNSUPPORTED.contains(&w) => {
                return Err(FilterError::unsupported(w, kcol));
            }
            _ => {}
        }
        if q.kind.is_some() {
            self.pos += 1;
        }
        if q.proto.is_none() && q.dir.is_none() && q.kind.is_none() {
            return match self.word() {
                Some(w) => Err(FilterError::unsupported(w, column)),
                None => Err(FilterError::syntax("a primitive", column)),
            };
        }
        let ends = matches!(
            self.peek(),
            None | Some(Tok::And) | Some(Tok::Or) | Some(Tok::RParen)
        );
        if ends && q.dir.is_none() && q.kind.is_none() {
            let p = q.proto.unwrap_or(Proto::Ip);
            if p == Proto::Ether {
                return Err(FilterError::syntax(
                    "a qualifier or value after 'ether'",
                    self.column(),
                ));
            }
            return Ok(Expr::Prim(Prim::Proto(p), column));
        }
        if q.dir.is_none() && q.kind.is_none() {
            return Err(FilterError::syntax(
                "'and', 'or', a direction or 'host', 'net', 'port', 'proto'",
                self.column(),
            ));
        }
        if ends {
            return Err(FilterError::syntax(
                "a value",
                if q.kind.is_some() {
                    self.column()
                } else {
                    dcol
                },
            ));
        }
        self.last = Some(q);
        let prim = self.id(q, column)?;
        Ok(Expr::Prim(prim, column))
    }

    /// The number that follows, if one does (`mpls [label]`, `pppoes [session]`).
    fn optional_number(&mut self) -> Option<u32> {
        match self.peek() {
            Some(Tok::Num(n)) => {
                let n = *n;
                self.pos += 1;
                Some(n)
            }
            _ => None,
        }
    }

    fn number(&mut self, what: &str) -> Result<u32, FilterError> {
        match self.peek() {
            Some(Tok::Num(n)) => {
                let n = *n;
                self.pos += 1;
                Ok(n)
            }
            _ => Err(FilterError::syntax(what, self.column())),
        }
    }

    /// The value of a primitive under qualifiers `q`.
    fn id(&mut self, q: Quals, column: usize) -> Result<Prim, FilterError> {
        let vcol = self.column();
        let dir = q.dir.unwrap_or(Dir::Either);
        let tok = self
            .peek()
            .cloned()
            .ok_or_else(|| FilterError::syntax("a value", vcol))?;
        self.pos += 1;
        // A number as an address: a host's 32 bits, or a net's leading bytes by its magnitude (as libpcap).
        let tok = match (q.kind, tok) {
            (Some(Kind::Net), Tok::Num(n)) => {
                let bytes = n.to_be_bytes();
                let len = match n {
                    0..=0xff => 1,
                    0x100..=0xffff => 2,
                    0x1_0000..=0xff_ffff => 3,
                    _ => 4,
                };
                Tok::Ipv4(bytes[4 - len..].to_vec())
            }
            (Some(Kind::Host), Tok::Num(n)) => Tok::Ipv4(n.to_be_bytes().to_vec()),
            (None, Tok::Num(n)) if q.dir.is_some() => Tok::Ipv4(n.to_be_bytes().to_vec()),
            (None, Tok::Num(_)) => {
                return Err(FilterError::syntax(
                    "'host', 'net', 'port' or 'proto' before a number",
                    vcol,
                ))
            }
            (_, tok) => tok,
        };
        match (q.kind, tok) {
            (Some(Kind::Protochain), tok) => {
                match q.proto {
                    None | Some(Proto::Ip) | Some(Proto::Ip6) => {}
                    Some(_) => {
                        return Err(FilterError::invalid("bad protochain qualifier", column))
                    }
                }
                let n = match tok {
                    Tok::Num(n) => n,
                    Tok::Word {
                        text,
                        escaped: true,
                    } => match text.as_str() {
                        // The names of /etc/protocols libpcap looks up
                        // (IPv6's ICMP is `ipv6-icmp` there, not `icmp6`).
                        "icmp" => 1,
                        "igmp" => 2,
                        "tcp" => 6,
                        "udp" => 17,
                        "sctp" => 132,
                        _ => return Err(FilterError::unsupported(text, vcol)),
                    },
                    Tok::Word { text, .. } => return Err(FilterError::unsupported(text, vcol)),
                    _ => return Err(FilterError::syntax("a protocol number", vcol)),
                };
                if q.dir.is_some() {
                    return Err(FilterError::invalid("direction with 'protochain'", column));
                }
                Ok(Prim::Protochain { proto: q.proto, n })
            }
            (Some(Kind::Proto), tok) => {
                let n = match tok {
                    Tok::Num(n) => n,
                    // The names are keywords: libpcap takes them escaped only (`\tcp`).
                    Tok::Word {
                        text,
                        escaped: false,
                    } if proto_word(&text).is_some() => {
                        return Err(FilterError::syntax(format!("'\\{text}'"), vcol));
                    }
                    Tok::Word { text, .. } => match (q.proto, text.as_str()) {
                        (Some(Proto::Ether), "ip") => 0x0800,
                        (Some(Proto::Ether), "ip6") => 0x86dd,
                        (Some(Proto::Ether), "arp") => 0x0806,
                        (Some(Proto::Ether), "rarp") => 0x8035,
                        (Some(Proto::Ip) | Some(Proto::Ip6) | None, w) => match w {
                            // The names of /etc/protocols libpcap looks up
                            // (IPv6's ICMP is `ipv6-icmp` there, not `icmp6`).
                            "icmp" => 1,
                            "igmp" => 2,
                            "tcp" => 6,
                            "udp" => 17,
                            "sctp" => 132,
                            _ => return Err(FilterError::unsupported(text, vcol)),
                        },
                        _ => return Err(FilterError::unsupported(text, vcol)),
                    },
                    _ => return Err(FilterError::syntax("a protocol number or name", vcol)),
                };
                match q.proto {
                    None | Some(Proto::Ip) | Some(Proto::Ip6) | Some(Proto::Ether) => {}
                    Some(_) => return Err(FilterError::unsupported("proto", column)),
                }
                if q.dir.is_some() {
                    return Err(FilterError::invalid("direction with 'proto'", column));
                }
                // libpcap compiles numbers above 65535 (an EtherType) or 255
                // (an IP protocol) as they are: tests that never hold.
                if q.proto == Some(Proto::Ether) && n <= 1500 {
                    return Err(FilterError::unsupported(format!("ether proto {n}"), vcol));
                }
                Ok(Prim::ProtoNum { proto: q.proto, n })
            }
            (Some(Kind::Port) | Some(Kind::Portrange), Tok::Num(n)) => {
                let (lo, hi) = if q.kind == Some(Kind::Portrange) {
                    // `portrange 80` is the range 80-80.
                    if self.peek() == Some(&Tok::Op("-")) {
                        self.pos += 1;
                        let m = self.number("the end of the port range")?;
                        (n, m)
                    } else {
                        (n, n)
                    }
                } else {
                    (n, n)
                };
                if lo > 65535 || hi > 65535 {
                    return Err(FilterError::invalid("port number above 65535", vcol));
                }
                let (lo, hi) = (lo.min(hi) as u16, lo.max(hi) as u16);
                match q.proto {
                    None | Some(Proto::Tcp) | Some(Proto::Udp) | Some(Proto::Sctp) => {}
                    Some(Proto::Ip) | Some(Proto::Ip6) => {
                        return Err(FilterError::unsupported("ip port", column))
                    }
                    Some(_) => {
                        return Err(FilterError::invalid("illegal qualifier of 'port'", column))
                    }
                }
                Ok(Prim::Port {
                    proto: q.proto,
                    dir,
                    lo,
                    hi,
                })
            }
            (Some(Kind::Port) | Some(Kind::Portrange), Tok::Word { text, .. }) => {
                Err(FilterError::unsupported(text, vcol))
            }
            (kind @ (None | Some(Kind::Host) | Some(Kind::Net)), Tok::Mac(mac)) => {
                if kind == Some(Kind::Net) {
                    return Err(FilterError::invalid("MAC address as a net", vcol));
                }
                match q.proto {
                    Some(Proto::Ether) => Ok(Prim::EtherHost { dir, mac }),
                    _ => Err(FilterError::invalid(
                        "MAC address without the ether qualifier",
                        vcol,
                    )),
                }
            }
            (kind @ (None | Some(Kind::Host) | Some(Kind::Net)), Tok::Ipv4(bytes)) => {
                let is_net = kind == Some(Kind::Net);
                match q.proto {
                    None | Some(Proto::Ip) | Some(Proto::Arp) | Some(Proto::Rarp) => {}
                    Some(_) => {
                        return Err(FilterError::invalid(
                            "IPv4 address with this qualifier",
                            vcol,
                        ))
                    }
                }
                let mut addr = 0u32;
                for b in &bytes {
                    addr = (addr << 8) | u32::from(*b);
                }
                let mut mask = if bytes.len() == 4 { u32::MAX } else { 0 };
                if !is_net {
                    if bytes.len() != 4 {
                        return Err(FilterError::unsupported("partial host address", vcol));
                    }
                    if self.peek() == Some(&Tok::Op("/")) || self.word() == Some("mask") {
                        return Err(FilterError::invalid("mask on a host", self.column()));
                    }
                } else {
                    // A partial net (`10.1`) keeps the bytes given, at the top.
                    if bytes.len() < 4 {
                        addr <<= 8 * (4 - bytes.len() as u32);
                        mask = u32::MAX << (8 * (4 - bytes.len() as u32));
                    }
                    if self.peek() == Some(&Tok::Op("/")) {
                        let mcol = self.column();
                        self.pos += 1;
                        let len = self.number("a prefix length")?;
                        if len > 32 {
                            return Err(FilterError::invalid("mask length must be <= 32", mcol));
                        }
                        if bytes.len() != 4 {
                            addr = 0;
                            for (i, b) in bytes.iter().enumerate() {
                                addr |= u32::from(*b) << (24 - 8 * i);
                            }
                        }
                        mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
                    } else if self.word() == Some("mask") {
                        self.pos += 1;
                        let mcol = self.column();
                        match self.peek().cloned() {
                            Some(Tok::Ipv4(m)) if m.len() == 4 => {
                                self.pos += 1;
                                mask = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
                            }
                            _ => return Err(FilterError::syntax("a dotted IPv4 mask", mcol)),
                        }
                    }
                    if addr & !mask != 0 {
                        return Err(FilterError::invalid(
                            "non-network bits set in the net",
                            vcol,
                        ));
                    }
                }
                Ok(Prim::Net {
                    proto: q.proto,
                    dir,
                    net: NetAddr::V4 { addr, mask },
                })
            }
            (kind @ (None | Some(Kind::Host) | Some(Kind::Net)), Tok::Ipv6(addr)) => {
                match q.proto {
                    None | Some(Proto::Ip6) => {}
                    Some(_) => {
                        return Err(FilterError::invalid(
                            "IPv6 address with this qualifier",
                            vcol,
                        ))
                    }
                }
                let mut len = 128;
                if self.peek() == Some(&Tok::Op("/")) {
                    if kind != Some(Kind::Net) {
                        return Err(FilterError::invalid("mask on a host", self.column()));
                    }
                    let mcol = self.column();
                    self.pos += 1;
                    len = self.number("a prefix length")?;
                    if len > 128 {
                        return Err(FilterError::invalid("mask length must be <= 128", mcol));
                    }
                }
                if self.word() == Some("mask") {
                    return Err(FilterError::invalid(
                        "'mask' with an IPv6 address",
                        self.column(),
                    ));
                }
                let mut mask = [0u8; 16];
                for (i, m) in mask.iter_mut().enumerate() {
                    let bits = len.saturating_sub(8 * i as u32).min(8);
                    *m = if bits == 0 { 0 } else { 0xffu8 << (8 - bits) };
                }
                if addr.iter().zip(mask.iter()).any(|(a, m)| a & !m != 0) {
                    return Err(FilterError::invalid(
                        "non-network bits set in the net",
                        vcol,
                    ));
                }
                Ok(Prim::Net {
                    proto: q.proto,
                    dir,
                    net: NetAddr::V6 { addr, mask },
                })
            }
            (_, Tok::Word { text, .. }) => Err(FilterError::unsupported(text, vcol)),
            (_, Tok::Num(_)) => Err(FilterError::unsupported(
                "number without 'port', 'proto' or 'net'",
                vcol,
            )),
            _ => Err(FilterError::syntax("a value", vcol)),
        }
    }

    /// relation := arith relop arith
    fn relation(&mut self) -> Result<Expr, FilterError> {
        let lhs = self.arith()?;
        let op = match self.peek() {
            Some(Tok::Op(op @ ("=" | "!=" | "<" | "<=" | ">" | ">="))) => *op,
            _ => return Err(FilterError::syntax("a relational operator", self.column())),
        };
        self.pos += 1;
        let rhs = self.arith()?;
        self.last = None;
        Ok(Expr::Rel { op, lhs, rhs })
    }

    /// Binary operators by libpcap's precedences, lowest first: `|`, `&`,
    /// shifts, `+ -`, `* /`. `%` and `^` have none in libpcap 1.10's grammar:
    /// yacc shifts, so their right operand runs to the end of the arithmetic
    /// (`a % b - 3` is `a % (b - 3)`), as [`Parser::arith_operand`] does.
    fn arith(&mut self) -> Result<Arith, FilterError> {
        self.arith_level(0)
    }

    fn arith_level(&mut self, level: usize) -> Result<Arith, FilterError> {
        const LEVELS: &[&[&str]] = &[&["|"], &["&"], &["<<", ">>"], &["+", "-"], &["*", "/"]];
        if level == LEVELS.len() {
            return self.arith_operand();
        }
        let mut left = self.arith_level(level + 1)?;
        loop {
            let op = match self.peek() {
                Some(Tok::Op(op)) if LEVELS[level].contains(op) => *op,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.arith_level(level + 1)?;
            left = Arith::Bin(op, Box::new(left), Box::new(right));
        }
    }

    /// A value, then `%` or `^` and all the arithmetic after it, if any.
    fn arith_operand(&mut self) -> Result<Arith, FilterError> {
        let a = self.arith_unary()?;
        match self.peek() {
            Some(Tok::Op(op @ ("%" | "^"))) => {
                let op = *op;
                self.pos += 1;
                let b = self.arith()?;
                Ok(Arith::Bin(op, Box::new(a), Box::new(b)))
            }
            _ => Ok(a),
        }
    }

    fn arith_unary(&mut self) -> Result<Arith, FilterError> {
        let column = self.column();
        match self.peek().cloned() {
            Some(Tok::Op("-")) => {
                self.pos += 1;
                // Unary minus takes a following `%` or `^` in (yacc shifts).
                let a = self.arith_operand()?;
                Ok(Arith::Neg(Box::new(a)))
            }
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Ok(Arith::Num(n))
            }
            Some(Tok::LParen) => {
                self.pos += 1;
                let a = self.arith()?;
                self.expect(&Tok::RParen, "')'")?;
                Ok(a)
            }
            Some(Tok::Word {
                text,
                escaped: false,
            }) => {
                self.pos += 1;
                if text == "len" {
                    return Ok(Arith::Len);
                }
                if let Some(n) = named_constant(&text) {
                    return Ok(Arith::Num(n));
                }
                if self.peek() != Some(&Tok::LBracket) {
                    return Err(FilterError::syntax("an arithmetic value", column));
                }
                let proto = match proto_word(&text) {
                    Some(p) => p,
                    None => return Err(FilterError::unsupported(format!("{text}[]"), column)),
                };
                self.pos += 1;
                let idx = self.arith()?;
                let mut size = 1;
                if self.peek() == Some(&Tok::Colon) {
                    self.pos += 1;
                    let scol = self.column();
                    size = self.number("a size of 1, 2 or 4")?;
                    if !matches!(size, 1 | 2 | 4) {
                        return Err(FilterError::invalid("data size must be 1, 2, or 4", scol));
                    }
                }
                self.expect(&Tok::RBracket, "']'")?;
                Ok(Arith::Load {
                    proto,
                    idx: Box::new(idx),
                    size,
                })
            }
            _ => Err(FilterError::syntax("an arithmetic value", column)),
        }
    }
}
