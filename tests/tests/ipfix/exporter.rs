//! The IPFIX exporter against a real collector: nfdump's `nfcapd` receives on loopback the flows netraf-flow's exporter sends, `nfdump` reads them back.

use std::net::IpAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use netraf_flow::ipfix::Exporter;
use netraf_flow::record::{ConnState, EndReason, FlowRecord, SideCounts};
use serde_json::Value;

use super::collector::{self, Collector};

#[allow(clippy::too_many_arguments)]
fn flow(
    orig: &str,
    orig_p: u16,
    resp: &str,
    resp_p: u16,
    proto: u8,
    vlan: Option<u16>,
    out: (u64, u64),
    back: (u64, u64),
) -> FlowRecord {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    FlowRecord {
        uid: "CNfcapd".into(),
        start_ns: (now_ms - 5_000) * 1_000_000 + 123_456,
        end_ns: (now_ms - 1_000) * 1_000_000,
        vlan,
        proto,
        orig_h: orig.parse().unwrap(),
        orig_p,
        resp_h: resp.parse().unwrap(),
        resp_p,
        orig: SideCounts {
            packets: out.0,
            ip_bytes: out.1,
            payload_bytes: 0,
            wire_bytes: 0,
            tcp_flags: if proto == 6 { 0x1b } else { 0 },
        },
        resp: SideCounts {
            packets: back.0,
            ip_bytes: back.1,
            payload_bytes: 0,
            wire_bytes: 0,
            tcp_flags: if proto == 6 { 0x12 } else { 0 },
        },
        conn_state: ConnState::SF,
        history: Default::default(),
        community_id: Default::default(),
        end_reason: EndReason::Closed,
    }
}

#[test]
fn nfcapd_receives_every_flow_the_exporter_sends() {
    if !collector::available() {
        return;
    }
    let mut nfcapd = Collector::start();
    let mut flows = vec![
        flow(
            "192.0.2.10",
            40000,
            "198.51.100.20",
            443,
            6,
            Some(10),
            (5_000_000, 6_000_000_000),
            (9_000_000, (3 << 32) + 7),
        ),
        flow(
            "10.0.0.1",
            5353,
            "10.0.0.2",
            53,
            17,
            None,
            (1, 60),
            (1, 200),
        ),
        flow("10.0.0.3", 8, "10.0.0.4", 0, 1, None, (4, 336), (4, 336)),
        flow(
            "2001:db8::1",
            50000,
            "2001:db8::2",
            22,
            6,
            Some(4000),
            (70, 9_000),
            (60, 80_000),
        ),
        flow(
            "2001:db8::3",
            123,
            "2001:db8::4",
            123,
            17,
            None,
            (1, 96),
            (0, 0),
        ),
        flow("fe80::1", 128, "fe80::2", 0, 58, None, (2, 208), (2, 208)),
    ];
    // Enough more to span several messages.
    for i in 0..60u16 {
        flows.push(flow(
            "172.16.0.1",
            10_000 + i,
            "172.16.0.2",
            80,
            6,
            Some(1 + i),
            (u64::from(i) + 1, 100 * (u64::from(i) + 1)),
            (u64::from(i) + 2, 1500 * (u64::from(i) + 2)),
        ));
    }

    let mut exporter = Exporter::new(&nfcapd.target(), 77, 60).unwrap();
    for f in &flows {
        exporter.export(f).unwrap();
    }
    exporter.flush().unwrap();
    let (messages, records) = exporter.stats();
    assert_eq!(records, flows.len() as u64);
    assert!(messages >= 3, "{messages} messages");
    let (log, got) = nfcapd.stop_and_read();

    // nfcapd's own account: the exporter's domain, every flow, and header
    // sequence numbers that count data records (it counts a gap as an error).
    assert!(
        log.contains("Observation domain 77 from: 127.0.0.1"),
        "no domain 77 in nfcapd's log:\n{log}"
    );
    for (label, want) in [
        ("Flows", flows.len() as u64),
        ("Sequence Errors", 0),
        ("Bad Packets", 0),
    ] {
        assert_eq!(
            collector::total(&log, label),
            Some(want),
            "{label} in nfcapd's log:\n{log}"
        );
    }

    assert_eq!(got.len(), flows.len(), "records in nfdump's output");
    for f in &flows {
        check(f, &got);
    }
}

/// Finds the flow in nfdump's records by its addresses and ports and checks
/// every field nfdump shows of it.
fn check(f: &FlowRecord, got: &[Value]) {
    let icmp = f.proto == 1 || f.proto == 58;
    let addr = |r: &Value, key: &str| -> Option<IpAddr> {
        let family = if f.orig_h.is_ipv4() { "4" } else { "6" };
        r[format!("{key}{family}_addr")].as_str()?.parse().ok()
    };
    let num = |r: &Value, key: &str| r[key].as_u64();
    let matching: Vec<&Value> = got
        .iter()
        .filter(|r| {
            addr(r, "src") == Some(f.orig_h)
                && addr(r, "dst") == Some(f.resp_h)
                && if icmp {
                    num(r, "icmp_type") == Some(f.orig_p.into())
                        && num(r, "icmp_code") == Some(f.resp_p.into())
                } else {
                    num(r, "src_port") == Some(f.orig_p.into())
                        && num(r, "dst_port") == Some(f.resp_p.into())
                }
        })
        .collect();
    assert_eq!(matching.len(), 1, "nfdump's records of {f:?}");
    let r = matching[0];
    let what = format!("{r}\nfor {f:?}");
    assert_eq!(num(r, "proto"), Some(f.proto.into()), "{what}");
    assert_eq!(num(r, "in_packets"), Some(f.orig.packets), "{what}");
    assert_eq!(num(r, "in_bytes"), Some(f.orig.ip_bytes), "{what}");
    // The RFC 5103 reverse counters: nfdump's "out" counters.
    assert_eq!(num(r, "out_packets"), Some(f.resp.packets), "{what}");
    assert_eq!(num(r, "out_bytes"), Some(f.resp.ip_bytes), "{what}");
    assert_eq!(
        num(r, "src_vlan"),
        Some(f.vlan.unwrap_or(0).into()),
        "{what}"
    );
    assert_eq!(
        r["first"].as_str(),
        Some(utc_ms(f.start_ns / 1_000_000).as_str()),
        "{what}"
    );
    assert_eq!(
        r["last"].as_str(),
        Some(utc_ms(f.end_ns / 1_000_000).as_str()),
        "{what}"
    );
    if !icmp {
        // The originator's flags (nfdump has no slot for the responder's).
        assert_eq!(
            r["tcp_flags"].as_str(),
            Some(flags(f.orig.tcp_flags).as_str()),
            "{what}"
        );
    }
}

/// nfdump's flags string: `CEUAPRSF`, a dot for each flag not set.
fn flags(bits: u8) -> String {
    "CEUAPRSF"
        .chars()
        .enumerate()
        .map(|(i, c)| if bits & (0x80 >> i) != 0 { c } else { '.' })
        .collect()
}

/// Milliseconds since the epoch as nfdump prints them in UTC
/// (`2026-11-30T14:12:56.318`), by `date -u`.
fn utc_ms(ms: u64) -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "-d", &format!("@{}", ms / 1000), "+%Y-%m-%dT%H:%M:%S"])
        .output()
        .expect("date runs");
    let seconds = String::from_utf8_lossy(&out.stdout).trim().to_string();
    format!("{seconds}.{:03}", ms % 1000)
}

#[test]
fn utc_ms_formats_as_nfdump() {
    assert_eq!(utc_ms(0), "1970-01-01T00:00:00.000");
    assert_eq!(utc_ms(1_709_210_096_789), "2024-02-29T12:34:56.789");
    assert_eq!(flags(0x1b), "...AP.SF");
}
