//! Community ID v1 (corelight/community-id-spec): a flow's hash that other tools (Zeek, Suricata, Wireshark) compute alike.
//!
//! SHA-1 over the seed (2 bytes, big-endian), the smaller endpoint's
//! address, the other's, the IP protocol (1 byte), a zero byte, and for
//! protocols with ports the two ports (2 bytes each, big-endian) in the
//! same order; base64 of the digest after `1:`. For ICMP and ICMPv6 the
//! "ports" are the message type and the counterpart type of a request or
//! reply (see [`icmp_ports`]); a one-way message keeps its sender first.

use crate::inline_text::InlineText;
use base64::Engine;
use sha1::{Digest, Sha1};

/// ICMP protocol numbers.
const ICMP: u8 = 1;
const ICMPV6: u8 = 58;

/// The "ports" of an ICMP (`proto` 1) or ICMPv6 (58) message of `icmp_type`
/// and `code`: `(type, counterpart type)` for a request or reply, which
/// pairs with its answer (`false`), else `(type, code)` one way (`true`).
/// The pairs are Zeek's `ICMP4_counterpart` / `ICMP6_counterpart`, as the
/// spec's reference implementation has them.
pub fn icmp_ports(proto: u8, icmp_type: u8, code: u8) -> (u16, u16, bool) {
    let counterpart = if proto == ICMPV6 {
        match icmp_type {
            128 => Some(129),
            129 => Some(128),
            133 => Some(134),
            134 => Some(133),
            135 => Some(136),
            136 => Some(135),
            130 => Some(131),
            131 => Some(130),
            139 => Some(140),
            140 => Some(139),
            144 => Some(145),
            145 => Some(144),
            _ => None,
        }
    } else {
        match icmp_type {
            8 => Some(0),
            0 => Some(8),
            13 => Some(14),
            14 => Some(13),
            15 => Some(16),
            16 => Some(15),
            10 => Some(9),
            17 => Some(18),
            18 => Some(17),
            _ => None,
        }
    };
    match counterpart {
        Some(other) => (u16::from(icmp_type), other, false),
        None => (u16::from(icmp_type), u16::from(code), true),
    }
}

/// Whether `proto` carries ports (or ICMP's type and code) in the hash:
/// TCP, UDP, SCTP, ICMP, ICMPv6.
pub fn has_ports(proto: u8) -> bool {
    matches!(proto, 6 | 17 | 132 | ICMP | ICMPV6)
}

/// The SHA-1 digest of the Community ID of a packet (or flow) from `src`
/// to `dst` (both 4 or both 16 bytes), of IP protocol `proto`, with
/// `ports` (ICMP: from [`icmp_ports`], with `one_way` as it says; `None`
/// for protocols without): what [`text`] writes in base64. The smaller
/// endpoint goes first, whichever is `src`, unless `one_way`.
pub fn digest(
    seed: u16,
    src: &[u8],
    dst: &[u8],
    proto: u8,
    ports: Option<(u16, u16)>,
    one_way: bool,
) -> [u8; 20] {
    let (sp, dp) = ports.unwrap_or((0, 0));
    // The smaller endpoint first (address, then port), unless one way.
    let keep = one_way || (src, sp) < (dst, dp);
    let (a, b, ap, bp) = if keep {
        (src, dst, sp, dp)
    } else {
        (dst, src, dp, sp)
    };
    let mut hash = Sha1::new();
    hash.update(seed.to_be_bytes());
    hash.update(a);
    hash.update(b);
    hash.update([proto, 0]);
    if ports.is_some() {
        hash.update(ap.to_be_bytes());
        hash.update(bp.to_be_bytes());
    }
    hash.finalize().into()
}

/// The Community ID of `digest` (see [`digest`]): `1:` and its 28 base64
/// digits.
pub fn text(digest: &[u8; 20]) -> InlineText<30> {
    let mut out = [0u8; 30];
    out[..2].copy_from_slice(b"1:");
    let len = base64::engine::general_purpose::STANDARD
        .encode_slice(digest, &mut out[2..])
        .unwrap_or(0);
    InlineText::from_bytes(&out[..2 + len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    /// One line of the spec's baselines: proto, source, destination, the
    /// ICMP type and code or the ports, the ID with seed 0 and with seed 1.
    type Vector = (
        u8,
        &'static str,
        &'static str,
        u16,
        u16,
        &'static str,
        &'static str,
    );

    /// From corelight/community-id-spec, `baseline/baseline_deflt.json`
    /// (seed 0) and `baseline/baseline_seed1.json` (seed 1), commit
    /// c4ec2bc40d65ddbcbdd642582bf5609797a80772. The baselines list ICMP
    /// entries by their port equivalents (type, counterpart type or code);
    /// here they are the message's type and code (the code is 0 in every
    /// ICMP entry but the one-way ICMPv6 1/4), which [`icmp_ports`] maps.
    const VECTORS: [Vector; 23] = [
        (
            58,
            "fe80::200:86ff:fe05:80da",
            "fe80::260:97ff:fe07:69ea",
            135,
            0,
            "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=",
            "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=",
        ),
        (
            58,
            "fe80::260:97ff:fe07:69ea",
            "fe80::200:86ff:fe05:80da",
            136,
            0,
            "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=",
            "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=",
        ),
        (
            58,
            "fe80::260:97ff:fe07:69ea",
            "fe80::200:86ff:fe05:80da",
            135,
            0,
            "1:zavyT/cezQr1fmImYCwYnMXbgck=",
            "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=",
        ),
        (
            58,
            "fe80::200:86ff:fe05:80da",
            "fe80::260:97ff:fe07:69ea",
            136,
            0,
            "1:zavyT/cezQr1fmImYCwYnMXbgck=",
            "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=",
        ),
        (
            58,
            "3ffe:501:1800:2345::2",
            "3ffe:507:0:1:200:86ff:fe05:80da",
            3,
            0,
            "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=",
            "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=",
        ),
        (
            58,
            "3ffe:501:410:0:2c0:dfff:fe47:33e",
            "3ffe:507:0:1:200:86ff:fe05:80da",
            1,
            4,
            "1:hLZd0XGWojozrvxqE0dWB1iM6R0=",
            "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=",
        ),
        (
            58,
            "3ffe:507:0:1:200:86ff:fe05:80da",
            "3ffe:501:0:1001::2",
            128,
            0,
            "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=",
            "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=",
        ),
        (
            58,
            "3ffe:501:0:1001::2",
            "3ffe:507:0:1:200:86ff:fe05:80da",
            129,
            0,
            "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=",
            "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=",
        ),
        (
            58,
            "fe80::200:86ff:fe05:80da",
            "ff02::2",
            133,
            0,
            "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=",
            "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8=",
        ),
        (
            58,
            "fe80::260:97ff:fe07:69ea",
            "ff02::1",
            134,
            0,
            "1:pkvHqCL88/tg1k4cPigmZXUtL00=",
            "1:K/ee5UCqAMAQXDorP5nSa2CGLjc=",
        ),
        (
            1,
            "192.168.0.89",
            "192.168.0.1",
            8,
            0,
            "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
            "1:03g6IloqVBdcZlPyX8r0hgoE7kA=",
        ),
        (
            1,
            "192.168.0.1",
            "192.168.0.89",
            0,
            0,
            "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=",
            "1:03g6IloqVBdcZlPyX8r0hgoE7kA=",
        ),
        (
            1,
            "10.0.0.1",
            "10.0.0.2",
            11,
            0,
            "1:YHxtAirCG//0OzkcVAukqKQN9xM=",
            "1:XjUibYHaafLQ3pxQeiMI8g25q20=",
        ),
        (
            6,
            "2001:470:e5bf:dead:4957:2174:e82c:4887",
            "2607:f8b0:400c:c03::1a",
            63943,
            25,
            "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
            "1:eJYTW6AOzFLlSUoESovMjnu7rMw=",
        ),
        (
            6,
            "2607:f8b0:400c:c03::1a",
            "2001:470:e5bf:dead:4957:2174:e82c:4887",
            25,
            63943,
            "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
            "1:eJYTW6AOzFLlSUoESovMjnu7rMw=",
        ),
        (
            132,
            "192.168.170.8",
            "192.168.170.56",
            7,
            7,
            "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
            "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=",
        ),
        (
            132,
            "192.168.170.56",
            "192.168.170.8",
            7,
            7,
            "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=",
            "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=",
        ),
        (
            6,
            "128.232.110.120",
            "66.35.250.204",
            34855,
            80,
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
        ),
        (
            6,
            "66.35.250.204",
            "128.232.110.120",
            80,
            34855,
            "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            "1:3V71V58M3Ksw/yuFALMcW0LAHvc=",
        ),
        (
            17,
            "192.168.1.52",
            "8.8.8.8",
            54585,
            53,
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
            "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
        ),
        (
            17,
            "8.8.8.8",
            "192.168.1.52",
            53,
            54585,
            "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
            "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=",
        ),
        // RSVP (46): no ports in the hash.
        (
            46,
            "10.1.12.1",
            "10.1.12.2",
            0,
            0,
            "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=",
            "1:rYir8gphR31noO9iDRQmF/BteEI=",
        ),
        (
            46,
            "10.1.12.2",
            "10.1.12.1",
            0,
            0,
            "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=",
            "1:rYir8gphR31noO9iDRQmF/BteEI=",
        ),
    ];

    fn bytes(text: &str) -> Vec<u8> {
        match text.parse::<IpAddr>().unwrap() {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        }
    }

    #[test]
    fn the_spec_baselines() {
        for (proto, src, dst, p1, p2, seed0, seed1) in VECTORS {
            let (ports, one_way) = match proto {
                1 | 58 => {
                    let (a, b, one_way) =
                        icmp_ports(proto, u8::try_from(p1).unwrap(), u8::try_from(p2).unwrap());
                    (Some((a, b)), one_way)
                }
                _ if has_ports(proto) => (Some((p1, p2)), false),
                _ => (None, false),
            };
            let (s, d) = (bytes(src), bytes(dst));
            assert_eq!(
                text(&digest(0, &s, &d, proto, ports, one_way)),
                seed0,
                "{src} {dst} {proto}"
            );
            assert_eq!(
                text(&digest(1, &s, &d, proto, ports, one_way)),
                seed1,
                "{src} {dst} {proto} seed 1"
            );
        }
    }
}
