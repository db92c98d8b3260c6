//! A finished flow as one JSON line with Zeek's `conn.log` field names.

use std::io::Write;
use std::net::IpAddr;

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
// the constant it is, not through a call to `memcpy` (a log of many short
// flows has tens of fields per record).

/// Nanoseconds as seconds with 6 decimals (Zeek's precision).
#[inline(always)]
fn seconds(out: &mut Vec<u8>, ns: u64) {
    let mut digits = itoa::Buffer::new();
    out.extend_from_slice(digits.format(ns / 1_000_000_000).as_bytes());
    let micros = digits.format(ns % 1_000_000_000 / 1_000 + 1_000_000);
    // `1xxxxxx`: the six decimals with their leading zeros.
    out.push(b'.');
    out.extend_from_slice(&micros.as_bytes()[1..]);
}

/// `,"name":` and the number `n`.
#[inline(always)]
fn number(out: &mut Vec<u8>, name: &str, n: u64) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":");
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// `,"name":"address"`: an IPv4 address digit by digit (a tenth of what
/// the standard formatter takes, which shows in a log of many short
/// flows), an IPv6 address by the standard formatter (RFC 5952's form).
fn address(out: &mut Vec<u8>, name: &str, addr: IpAddr) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\":\"");
    match addr {
        IpAddr::V4(v4) => {
            let mut digits = itoa::Buffer::new();
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                out.extend_from_slice(digits.format(octet).as_bytes());
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(out, "{v6}");
        }
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
    fn addresses_read_as_the_standard_formatter_writes_them() {
        let mut v4: Vec<IpAddr> = [0u32, 1, 0x0a00_0001, 0x7f00_0001, 0xc0a8_6401, u32::MAX]
            .into_iter()
            .map(|n| IpAddr::from(n.to_be_bytes()))
            .collect();
        v4.extend((0..=255u8).map(|b| IpAddr::from([b, 9, 99, 100 + b / 3])));
        let v6 = [
            "::",
            "::1",
            "fe80::1",
            "2001:db8::8:800:200c:417a",
            "::ffff:10.0.0.1",
        ]
        .into_iter()
        .map(|t| t.parse::<IpAddr>().unwrap());
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
