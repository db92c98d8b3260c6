//! A finished flow as one JSON line with Zeek's `conn.log` field names.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::record::FlowRecord;

/// Zeek's name of an IP protocol in `conn.log`'s `proto`.
pub fn proto_name(proto: u8) -> &'static str {
    match proto {
        6 => "tcp",
        17 => "udp",
        1 | 58 => "icmp",
        _ => "unknown_transport",
    }
}

// The helpers below are inlined so that each field's name is copied as
// the constant it is: a copy whose length is known only at run time is a
// call to `memcpy`, and a log of many short flows has tens of fields per
// record (the end of the 1 GiB benchmark replay: 270,511 records, where
// these calls took more CPU than making the digits). Numbers are written
// in place: the line grows by a constant block, the digits are stored into
// it and the rest cut. Digits made in a block on the stack and then copied
// would be a wide load of narrow stores just made, which the processor
// cannot forward from its store buffer: a stall of a dozen cycles per
// number, half of a line's time.

/// `n` in decimal, written in place in a block of 20 (`u64::MAX` has 20)
/// cut to the digits' number.
#[inline(always)]
fn decimal(out: &mut Vec<u8>, n: u64) {
    let len = n.checked_ilog10().map_or(1, |log| log as usize + 1);
    let at = out.len();
    out.extend_from_slice(&[b'0'; 20]);
    let mut rest = n;
    for digit in out[at..at + len].iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    out.truncate(at + len);
}

/// Nanoseconds as seconds with 6 decimals (Zeek's precision).
#[inline(always)]
fn seconds(out: &mut Vec<u8>, ns: u64) {
    decimal(out, ns / 1_000_000_000);
    let at = out.len();
    out.extend_from_slice(b".000000");
    let mut micros = ns % 1_000_000_000 / 1_000;
    for digit in out[at + 1..at + 7].iter_mut().rev() {
        *digit = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
}

/// `,"name":` and the number `n`.
#[inline(always)]
fn number(out: &mut Vec<u8>, name: &str, n: u64) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    decimal(out, n);
}

/// Every octet's digits and a dot, in 4 bytes, and the number of digits.
const OCTETS: [([u8; 4], u8); 256] = {
    let mut table = [([0u8; 4], 0u8); 256];
    let mut n = 0;
    while n < 256 {
        let (digits, len) = match n {
            0..=9 => ([b'0' + n as u8, b'.', 0, 0], 1),
            10..=99 => ([b'0' + (n / 10) as u8, b'0' + (n % 10) as u8, b'.', 0], 2),
            _ => (
                [
                    b'0' + (n / 100) as u8,
                    b'0' + (n / 10 % 10) as u8,
                    b'0' + (n % 10) as u8,
                    b'.',
                ],
                3,
            ),
        };
        table[n] = (digits, len);
        n += 1;
    }
    table
};

/// An IPv4 address, as the standard formatter writes it: each octet's
/// digits and dot from [`OCTETS`], written in place in a block of 16 cut
/// after the last octet's digits.
#[inline(always)]
fn ipv4(out: &mut Vec<u8>, v4: Ipv4Addr) {
    let at = out.len();
    out.extend_from_slice(&[0u8; 16]);
    let mut len = 0;
    for octet in v4.octets() {
        let (digits, n) = OCTETS[usize::from(octet)];
        out[at + len..at + len + 4].copy_from_slice(&digits);
        len += usize::from(n) + 1;
    }
    out.truncate(at + len - 1);
}

/// An IPv6 address as the standard formatter writes it (RFC 5952's form):
/// `::ffff:` and the IPv4 address for an IPv4-mapped one; else the groups
/// in lower-case hex without leading zeros, the first of the longest runs
/// of two or more zero groups written `::`.
fn ipv6(out: &mut Vec<u8>, v6: Ipv6Addr) {
    if let Some(v4) = v6.to_ipv4_mapped() {
        out.extend_from_slice(b"::ffff:");
        ipv4(out, v4);
        return;
    }
    let groups = v6.segments();
    let (mut zeros, mut zeros_len, mut run, mut run_len) = (0, 0, 0, 0);
    for (i, &group) in groups.iter().enumerate() {
        if group == 0 {
            if run_len == 0 {
                run = i;
            }
            run_len += 1;
            if run_len > zeros_len {
                (zeros, zeros_len) = (run, run_len);
            }
        } else {
            run_len = 0;
        }
    }
    let hex = |out: &mut Vec<u8>, groups: &[u16]| {
        for (i, &group) in groups.iter().enumerate() {
            if i > 0 {
                out.push(b':');
            }
            let len = (group.checked_ilog2().unwrap_or(0) / 4 + 1) as usize;
            for shift in (0..len).rev() {
                out.push(b"0123456789abcdef"[usize::from(group >> (4 * shift) & 0xf)]);
            }
        }
    };
    if zeros_len > 1 {
        hex(out, &groups[..zeros]);
        out.extend_from_slice(b"::");
        hex(out, &groups[zeros + zeros_len..]);
    } else {
        hex(out, &groups);
    }
}

/// `,"name":"address"`: an address written here, not by the standard
/// formatter (a tenth of its time, which shows in a log of many short
/// flows), in the same form.
fn address(out: &mut Vec<u8>, name: &str, addr: IpAddr) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":\"");
    match addr {
        IpAddr::V4(v4) => ipv4(out, v4),
        IpAddr::V6(v6) => ipv6(out, v6),
    }
    out.push(b'"');
}

/// `,"name":"text"` (text that needs no escaping).
#[inline(always)]
fn text(out: &mut Vec<u8>, name: &str, text: &[u8]) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":\"");
    out.extend_from_slice(text);
    out.push(b'"');
}

/// Writes `rec` as one JSON object and a newline into `out` (cleared
/// first): `ts`, `uid`, `id.orig_h`, `id.orig_p`, `id.resp_h`, `id.resp_p`,
/// `proto`, `duration`, `orig_bytes`, `resp_bytes`, `conn_state`, `history`
/// (when not empty), `orig_pkts`, `orig_ip_bytes`, `resp_pkts`,
/// `resp_ip_bytes`, `community_id`, `vlan` (when tagged), and with
/// `wire_bytes` also `orig_wire_bytes` and `resp_wire_bytes` (frame
/// lengths on the wire, not a Zeek field).
pub fn write_record(out: &mut Vec<u8>, rec: &FlowRecord, wire_bytes: bool) {
    out.clear();
    append_record(out, rec, wire_bytes);
}

/// Appends `rec`'s line to `out`, as [`write_record`] writes it.
pub fn append_record(out: &mut Vec<u8>, rec: &FlowRecord, wire_bytes: bool) {
    out.extend_from_slice(b"{\"ts\":");
    seconds(out, rec.start_ns);
    // The uid and community ID are made of letters, digits, `:+/=`; the
    // history of letters and `^`; addresses of hex digits, `.` and `:`:
    // nothing to escape.
    text(out, "uid", rec.uid.as_bytes());
    address(out, "id.orig_h", rec.orig_h);
    number(out, "id.orig_p", u64::from(rec.orig_p));
    address(out, "id.resp_h", rec.resp_h);
    number(out, "id.resp_p", u64::from(rec.resp_p));
    text(out, "proto", proto_name(rec.proto).as_bytes());
    out.extend_from_slice(b",\"duration\":");
    seconds(out, rec.end_ns.saturating_sub(rec.start_ns));
    number(out, "orig_bytes", rec.orig.payload_bytes);
    number(out, "resp_bytes", rec.resp.payload_bytes);
    text(out, "conn_state", rec.conn_state.name().as_bytes());
    if !rec.history.is_empty() {
        text(out, "history", rec.history.as_bytes());
    }
    number(out, "orig_pkts", rec.orig.packets);
    number(out, "orig_ip_bytes", rec.orig.ip_bytes);
    number(out, "resp_pkts", rec.resp.packets);
    number(out, "resp_ip_bytes", rec.resp.ip_bytes);
    text(out, "community_id", rec.community_id.as_bytes());
    if let Some(vlan) = rec.vlan {
        number(out, "vlan", u64::from(vlan));
    }
    if wire_bytes {
        number(out, "orig_wire_bytes", rec.orig.wire_bytes);
        number(out, "resp_wire_bytes", rec.resp.wire_bytes);
    }
    out.extend_from_slice(b"}\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_times_read_as_the_standard_formatter_writes_them() {
        let mut numbers = vec![0u64, 1, 9, 10, 99, 100, 65_535, u64::MAX - 1, u64::MAX];
        numbers.extend((0..20).map(|p| 10u64.pow(p)));
        numbers.extend((1..20).map(|p| 10u64.pow(p) - 1));
        for n in numbers {
            let mut out = Vec::new();
            decimal(&mut out, n);
            assert_eq!(String::from_utf8(out).unwrap(), n.to_string());
            out = Vec::new();
            seconds(&mut out, n);
            let want = format!("{}.{:06}", n / 1_000_000_000, n % 1_000_000_000 / 1_000);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }

    #[test]
    fn addresses_read_as_the_standard_formatter_writes_them() {
        let mut v4: Vec<IpAddr> = [0u32, 1, 0x0a00_0001, 0x7f00_0001, 0xc0a8_6401, u32::MAX]
            .into_iter()
            .map(|n| IpAddr::from(n.to_be_bytes()))
            .collect();
        v4.extend((0..=255u8).map(|b| IpAddr::from([b, 9, 99, 100 + b / 3])));
        v4.extend((0..=255u8).map(|b| IpAddr::from([9, b, 255 - b, b / 2])));
        let mut v6: Vec<IpAddr> = [
            "::",
            "::1",
            "1::",
            "fe80::1",
            "2001:db8::8:800:200c:417a",
            "2001:db8:0:1:1:1:1:1",
            "2001:0:0:1::1",
            "1:0:0:2:0:0:3:4",
            "::ffff:10.0.0.1",
            "::10.0.0.1",
            "64:ff9b::10.0.0.1",
        ]
        .into_iter()
        .map(|t| t.parse::<IpAddr>().unwrap())
        .collect();
        // Groups zero half of the time, else of 1 to 4 hex digits: every
        // shape of zero runs, and every length of group.
        let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut groups = [0u16; 8];
            for group in &mut groups {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                if rng & 1 == 1 {
                    *group = (rng >> 8) as u16 >> ((rng >> 4) % 4 * 4);
                }
            }
            v6.push(IpAddr::from(groups));
        }
        for addr in v4.into_iter().chain(v6) {
            let mut out = Vec::new();
            address(&mut out, "h", addr);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!(",\"h\":\"{addr}\"")
            );
        }
    }
}
