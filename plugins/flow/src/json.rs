//! A finished flow as one JSON line with Zeek's `conn.log` field names.

use std::io::Write;

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

/// Nanoseconds as seconds with 6 decimals (Zeek's precision).
fn seconds(out: &mut Vec<u8>, ns: u64) {
    let _ = write!(
        out,
        "{}.{:06}",
        ns / 1_000_000_000,
        ns % 1_000_000_000 / 1_000
    );
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
    out.extend_from_slice(b"{\"ts\":");
    seconds(out, rec.start_ns);
    // The uid and community ID are made of letters, digits, `:+/=`; the
    // history of letters and `^`: nothing to escape.
    let _ = write!(
        out,
        ",\"uid\":\"{}\",\"id.orig_h\":\"{}\",\"id.orig_p\":{},\"id.resp_h\":\"{}\",\"id.resp_p\":{},\"proto\":\"{}\",\"duration\":",
        rec.uid,
        rec.orig_h,
        rec.orig_p,
        rec.resp_h,
        rec.resp_p,
        proto_name(rec.proto)
    );
    seconds(out, rec.end_ns.saturating_sub(rec.start_ns));
    let _ = write!(
        out,
        ",\"orig_bytes\":{},\"resp_bytes\":{},\"conn_state\":\"{}\"",
        rec.orig.payload_bytes,
        rec.resp.payload_bytes,
        rec.conn_state.name()
    );
    if !rec.history.is_empty() {
        let _ = write!(out, ",\"history\":\"{}\"", rec.history);
    }
    let _ = write!(
        out,
        ",\"orig_pkts\":{},\"orig_ip_bytes\":{},\"resp_pkts\":{},\"resp_ip_bytes\":{},\"community_id\":\"{}\"",
        rec.orig.packets, rec.orig.ip_bytes, rec.resp.packets, rec.resp.ip_bytes, rec.community_id
    );
    if let Some(vlan) = rec.vlan {
        let _ = write!(out, ",\"vlan\":{vlan}");
    }
    if wire_bytes {
        let _ = write!(
            out,
            ",\"orig_wire_bytes\":{},\"resp_wire_bytes\":{}",
            rec.orig.wire_bytes, rec.resp.wire_bytes
        );
    }
    out.extend_from_slice(b"}\n");
}
