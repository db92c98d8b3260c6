//! The flow plugin's unit tests: Zeek's conn_state and history on crafted TCP exchanges, ICMP and UDP keys, timeouts in packet time, eviction, the log line and the report's merge.

use plugin_api::Plugin;
use serde_json::Value;

use crate::community_id;
use crate::record::{ConnState, EndReason, FlowRecord};
use crate::table_thread::{FlowPlugin, BATCH, BATCHES};
use crate::test_frames::*;
use crate::{end_of_run, Flow};

const SEC: u64 = 1_000_000_000;
const T0: u64 = 1_700_000_000 * SEC;

fn flow(config: &str) -> Flow {
    Flow::new(&format!("output = \"\"\n{config}")).unwrap()
}

/// Runs `packets` (frame, seconds after T0) through a fresh plugin and
/// shuts it down: the records.
fn run(packets: &[(Vec<u8>, f64)]) -> Vec<FlowRecord> {
    let mut f = flow("");
    for (frame, at) in packets {
        feed(&mut f, frame, T0 + (at * 1e9) as u64);
    }
    f.shutdown().unwrap();
    f.sinks.seen
}

/// The client 10.0.0.1:40000 and server 10.0.0.2:80.
fn c2s(flags: u8, payload: usize) -> Vec<u8> {
    tcp(1, 40000, 2, 80, flags, payload)
}
fn s2c(flags: u8, payload: usize) -> Vec<u8> {
    tcp(2, 80, 1, 40000, flags, payload)
}

fn one(records: &[FlowRecord]) -> &FlowRecord {
    assert_eq!(records.len(), 1, "{records:#?}");
    &records[0]
}

#[test]
fn handshake_data_and_fins_both_ways_is_sf_shadadff() {
    let recs = run(&[
        (c2s(S, 0), 0.0),
        (s2c(SA, 0), 0.1),
        (c2s(A, 0), 0.2),
        (c2s(PA, 100), 0.3),
        (s2c(A, 0), 0.4),
        (s2c(PA, 300), 0.5),
        (c2s(FA, 0), 0.6),
        (s2c(FA, 0), 0.7),
        (c2s(A, 0), 0.8),
    ]);
    let r = one(&recs);
    assert_eq!(r.conn_state, ConnState::SF);
    assert_eq!(r.history, "ShADadFf");
    assert_eq!(r.orig_h.to_string(), "10.0.0.1");
    assert_eq!((r.orig_p, r.resp_p), (40000, 80));
    assert_eq!((r.orig.packets, r.resp.packets), (5, 4));
    assert_eq!((r.orig.payload_bytes, r.resp.payload_bytes), (100, 300));
    assert_eq!(r.orig.ip_bytes, 5 * 40 + 100);
    assert_eq!(r.resp.ip_bytes, 4 * 40 + 300);
    assert_eq!(r.orig.tcp_flags, S | PA | FA);
    assert_eq!(r.resp.tcp_flags, SA | PA | FA);
    assert_eq!(r.end_ns - r.start_ns, 800_000_000);
}

#[test]
fn rst_from_the_responder_after_a_syn_is_rej() {
    let r = run(&[(c2s(S, 0), 0.0), (s2c(RA, 0), 0.1)]);
    assert_eq!(
        (one(&r).conn_state, one(&r).history.as_str()),
        (ConnState::REJ, "Sr")
    );
}

#[test]
fn an_unanswered_syn_is_s0() {
    let r = run(&[(c2s(S, 0), 0.0), (c2s(S, 0), 1.0)]);
    assert_eq!(
        (one(&r).conn_state, one(&r).history.as_str()),
        (ConnState::S0, "S")
    );
    assert_eq!(one(&r).orig.packets, 2);
}

#[test]
fn midstream_pickup_is_oth() {
    let r = run(&[(c2s(PA, 10), 0.0), (s2c(A, 0), 0.1), (s2c(PA, 20), 0.2)]);
    assert_eq!(
        (one(&r).conn_state, one(&r).history.as_str()),
        (ConnState::OTH, "Dad")
    );
}

#[test]
fn originator_rst_after_the_handshake_is_rsto() {
    let r = run(&[
        (c2s(S, 0), 0.0),
        (s2c(SA, 0), 0.1),
        (c2s(A, 0), 0.2),
        (c2s(RA, 0), 0.3),
    ]);
    assert_eq!(
        (one(&r).conn_state, one(&r).history.as_str()),
        (ConnState::RSTO, "ShAR")
    );
}

#[test]
fn responder_rst_after_the_handshake_is_rstr() {
    let r = run(&[
        (c2s(S, 0), 0.0),
        (s2c(SA, 0), 0.1),
        (c2s(A, 0), 0.2),
        (s2c(R, 0), 0.3),
    ]);
    assert_eq!(
        (one(&r).conn_state, one(&r).history.as_str()),
        (ConnState::RSTR, "ShAr")
    );
}

#[test]
fn syn_then_rst_from_the_originator_is_rstos0() {
    let r = run(&[(c2s(S, 0), 0.0), (c2s(R, 0), 0.1)]);
    assert_eq!(
        (one(&r).conn_state, one(&r).history.as_str()),
        (ConnState::RSTOS0, "SR")
    );
}

#[test]
fn handshake_alone_is_s1() {
    let r = run(&[(c2s(S, 0), 0.0), (s2c(SA, 0), 0.1), (c2s(A, 0), 0.2)]);
    assert_eq!(
        (one(&r).conn_state, one(&r).history.as_str()),
        (ConnState::S1, "ShA")
    );
}

#[test]
fn syn_then_fin_is_sh_and_closes_after_the_grace() {
    let mut f = flow("");
    feed(&mut f, &c2s(S, 0), T0);
    feed(&mut f, &c2s(FA, 0), T0 + SEC / 10);
    f.on_tick(T0 + SEC).unwrap();
    assert!(f.sinks.seen.is_empty(), "half closed: not closed yet");
    f.on_tick(T0 + 400 * SEC).unwrap();
    let r = one(&f.sinks.seen);
    assert_eq!((r.conn_state, r.history.as_str()), (ConnState::SH, "SF"));
    assert_eq!(r.end_reason, EndReason::Idle);
}

#[test]
fn established_then_one_fin_is_s2_and_s3() {
    let hs = [(c2s(S, 0), 0.0), (s2c(SA, 0), 0.1), (c2s(A, 0), 0.2)];
    let mut two = hs.to_vec();
    two.push((c2s(FA, 0), 0.3));
    assert_eq!(one(&run(&two)).conn_state, ConnState::S2);
    let mut three = hs.to_vec();
    three.push((s2c(FA, 0), 0.3));
    assert_eq!(one(&run(&three)).conn_state, ConnState::S3);
}

#[test]
fn a_first_syn_ack_flips_the_roles() {
    // Zeek: the SYN-ACK's receiver is the originator; `^` in the history.
    let r = run(&[(s2c(SA, 0), 0.0), (s2c(R, 0), 0.1)]);
    let r = one(&r);
    assert_eq!(r.orig_h.to_string(), "10.0.0.1");
    assert_eq!((r.orig_p, r.resp_p), (40000, 80));
    assert_eq!(
        (r.conn_state, r.history.as_str()),
        (ConnState::RSTRH, "^hr")
    );
    let r = run(&[(s2c(SA, 0), 0.0), (s2c(FA, 0), 0.1)]);
    assert_eq!(one(&r).conn_state, ConnState::SHR);
}

#[test]
fn a_closed_flow_ends_after_the_grace_in_packet_time() {
    let mut f = flow("close_grace = 2");
    for (frame, at) in [
        (c2s(S, 0), 0),
        (s2c(SA, 0), 1),
        (c2s(A, 0), 2),
        (c2s(FA, 0), 3),
        (s2c(FA, 0), 4),
    ] {
        feed(&mut f, &frame, T0 + at * SEC / 10);
    }
    f.on_tick(T0 + SEC).unwrap();
    assert!(f.sinks.seen.is_empty(), "within the grace");
    f.on_tick(T0 + 3 * SEC).unwrap();
    assert_eq!(one(&f.sinks.seen).end_reason, EndReason::Closed);
    assert_eq!(one(&f.sinks.seen).conn_state, ConnState::SF);
    // The same ports again later: a new flow.
    feed(&mut f, &c2s(S, 0), T0 + 10 * SEC);
    f.shutdown().unwrap();
    assert_eq!(f.sinks.seen.len(), 2);
    assert_eq!(f.sinks.seen[1].conn_state, ConnState::S0);
    assert_eq!(f.sinks.seen[1].end_reason, EndReason::Shutdown);
    assert_eq!(f.sinks.seen[0].uid.len(), 18);
    assert_ne!(f.sinks.seen[0].uid, f.sinks.seen[1].uid);
}

#[test]
fn idle_timeouts_follow_packet_time_per_protocol() {
    let mut f = flow("udp_inactivity_timeout = 10\ntcp_inactivity_timeout = 100");
    feed(&mut f, &udp(1, 5000, 2, 53, 30, None), T0);
    feed(&mut f, &udp(2, 53, 1, 5000, 60, None), T0 + SEC);
    feed(&mut f, &c2s(S, 0), T0 + SEC);
    f.on_tick(T0 + 10 * SEC).unwrap();
    assert!(
        f.sinks.seen.is_empty(),
        "10 s after the first packet, 9 after the last"
    );
    f.on_tick(T0 + 11 * SEC).unwrap();
    let r = one(&f.sinks.seen);
    assert_eq!((r.proto, r.end_reason), (17, EndReason::Idle));
    assert_eq!((r.conn_state, r.history.as_str()), (ConnState::SF, "Dd"));
    assert_eq!((r.orig.payload_bytes, r.resp.payload_bytes), (30, 60));
    f.on_tick(T0 + 100 * SEC).unwrap();
    assert_eq!(f.sinks.seen.len(), 1, "TCP waits 100 s");
    f.on_tick(T0 + 101 * SEC).unwrap();
    assert_eq!(f.sinks.seen.len(), 2);
    // A packet past the timeout before any tick: the old flow ends first.
    feed(&mut f, &udp(1, 6000, 2, 53, 1, None), T0 + 200 * SEC);
    feed(&mut f, &udp(1, 6000, 2, 53, 1, None), T0 + 211 * SEC);
    f.let_through().unwrap();
    assert_eq!(f.sinks.seen.len(), 3);
    assert_eq!(f.sinks.seen[2].conn_state, ConnState::S0);
}

#[test]
fn active_timeout_splits_long_flows() {
    let mut f = flow("active_timeout = 10");
    for s in 0..25 {
        if s > 0 {
            f.on_tick(T0 + s * SEC).unwrap();
        }
        feed(&mut f, &udp(1, 5000, 2, 9, 10, None), T0 + s * SEC);
    }
    f.shutdown().unwrap();
    let reasons: Vec<_> = f
        .sinks
        .seen
        .iter()
        .map(|r| (r.end_reason, r.orig.packets))
        .collect();
    assert_eq!(
        reasons,
        [
            (EndReason::Active, 10),
            (EndReason::Active, 10),
            (EndReason::Shutdown, 5)
        ]
    );
    assert_eq!(f.sinks.seen[1].start_ns, T0 + 10 * SEC);
    assert_eq!(
        f.sinks.seen[0].uid, f.sinks.seen[1].uid,
        "one flow, one uid"
    );
}

#[test]
fn a_full_table_evicts_the_longest_idle_flow() {
    let mut f = flow("max_flows = 2");
    feed(&mut f, &udp(1, 1, 2, 9, 1, None), T0);
    feed(&mut f, &udp(1, 2, 2, 9, 1, None), T0 + 1);
    feed(&mut f, &udp(1, 1, 2, 9, 1, None), T0 + 2);
    feed(&mut f, &udp(1, 3, 2, 9, 1, None), T0 + 3);
    // The table takes a packet after the next few (see `held`).
    assert!(f.sinks.seen.is_empty());
    f.let_through().unwrap();
    let r = one(&f.sinks.seen);
    assert_eq!((r.orig_p, r.end_reason), (2, EndReason::Evicted));
    let report: Value = serde_json::from_str(&f.report().unwrap()).unwrap();
    assert_eq!(report["evicted"], 1);
    assert_eq!(report["active"], 2);
    assert_eq!(report["flows"], 3);
    f.shutdown().unwrap();
    let report: Value = serde_json::from_str(&f.report().unwrap()).unwrap();
    assert_eq!(
        (report["active"].clone(), report["active_at_end"].clone()),
        (0.into(), 2.into())
    );
    assert_eq!(report["records"]["shutdown"], 2);
}

#[test]
fn icmp_echo_request_and_reply_are_one_flow_keyed_as_zeek() {
    let r = run(&[
        (icmp(1, 2, 8, 0), 0.0),
        (icmp(2, 1, 0, 0), 0.1),
        (icmp(2, 1, 3, 3), 0.2),
    ]);
    assert_eq!(r.len(), 2);
    let echo = r.iter().find(|r| r.orig_p == 8).unwrap();
    assert_eq!(
        (echo.resp_p, echo.orig.packets, echo.resp.packets),
        (0, 1, 1)
    );
    assert_eq!(echo.orig.payload_bytes, 56);
    assert_eq!(echo.conn_state, ConnState::OTH);
    // The spec's echo vector has other addresses; this checks the pairing:
    // the reply's own ID is the request's.
    let unreachable = r.iter().find(|r| r.orig_p == 3).unwrap();
    assert_eq!(
        (unreachable.resp_p, unreachable.orig_h.to_string().as_str()),
        (3, "10.0.0.2")
    );
}

#[test]
fn vlans_split_flows_and_non_ip_is_counted() {
    let mut f = flow("");
    feed(&mut f, &udp(1, 5000, 2, 53, 4, Some(10)), T0);
    feed(&mut f, &udp(1, 5000, 2, 53, 4, Some(20)), T0);
    feed(&mut f, &udp(1, 5000, 2, 53, 4, None), T0);
    let mut arp = vec![0xff; 6];
    arp.extend([2, 0, 0, 0, 0, 1, 0x08, 0x06]);
    arp.extend([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1]);
    arp.extend([0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
    feed(&mut f, &arp, T0);
    f.shutdown().unwrap();
    let mut vlans: Vec<_> = f.sinks.seen.iter().map(|r| r.vlan).collect();
    vlans.sort();
    assert_eq!(vlans, [None, Some(10), Some(20)]);
    let report: Value = serde_json::from_str(&f.report().unwrap()).unwrap();
    assert_eq!(report["non_ip_frames"], 1);
    assert_eq!(report["protocols"]["udp"]["flows"], 3);
}

#[test]
fn the_log_line_has_zeek_field_names() {
    let dir = std::env::temp_dir().join(format!("netraf-flow-line-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("conn.jsonl");
    let mut f = Flow::new(&format!("output = {:?}", path.to_str().unwrap())).unwrap();
    feed(&mut f, &udp(1, 5000, 2, 53, 4, Some(10)), T0 + 1_500_000);
    feed(&mut f, &udp(2, 53, 1, 5000, 8, Some(10)), T0 + 501_500_000);
    f.shutdown().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let v: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(v["ts"].as_f64().unwrap(), 1_700_000_000.001_5);
    assert_eq!(v["id.orig_h"], "10.0.0.1");
    assert_eq!(v["id.orig_p"], 5000);
    assert_eq!(v["id.resp_h"], "10.0.0.2");
    assert_eq!(v["id.resp_p"], 53);
    assert_eq!(v["proto"], "udp");
    assert_eq!(v["duration"].as_f64().unwrap(), 0.5);
    assert_eq!(
        (v["orig_bytes"].clone(), v["resp_bytes"].clone()),
        (4.into(), 8.into())
    );
    assert_eq!(v["conn_state"], "SF");
    assert_eq!(v["history"], "Dd");
    assert_eq!(
        (v["orig_pkts"].clone(), v["orig_ip_bytes"].clone()),
        (1.into(), 32.into())
    );
    assert_eq!(
        (v["resp_pkts"].clone(), v["resp_ip_bytes"].clone()),
        (1.into(), 36.into())
    );
    assert!(v["community_id"].as_str().unwrap().starts_with("1:"));
    assert_eq!(v["vlan"], 10);
    assert!(v["uid"].as_str().unwrap().starts_with('C'));
    assert!(v.get("orig_wire_bytes").is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn merged_worker_reports_equal_one_workers() {
    // Flows split between two workers as a flow hash would split them.
    let traffic: Vec<(Vec<u8>, u64)> = (0..40u16)
        .map(|i| {
            let src = 1 + (i % 5) as u8;
            (
                udp(src, 1000 + i, 9, 53 + i % 3, usize::from(i) * 7, None),
                T0 + u64::from(i),
            )
        })
        .collect();
    let config = "output = \"\"\ntop = 3";
    let mut all = Flow::new(config).unwrap();
    let mut w = [Flow::new(config).unwrap(), Flow::new(config).unwrap()];
    for (i, (frame, ts)) in traffic.iter().enumerate() {
        feed(&mut all, frame, *ts);
        feed(&mut w[i % 2], frame, *ts);
    }
    all.shutdown().unwrap();
    let one_report: Value = serde_json::from_str(&all.report().unwrap()).unwrap();
    let parts: Vec<String> = w
        .iter_mut()
        .map(|f| {
            f.shutdown().unwrap();
            f.report().unwrap()
        })
        .collect();
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    let merged: Value =
        serde_json::from_str(&Flow::merge_reports(config, &refs).unwrap().unwrap()).unwrap();
    // uids differ between runs (they number flows per instance): compare
    // the top flows without them.
    let strip = |v: &Value| -> Value {
        let mut v = v.clone();
        for list in ["top_flows_by_bytes", "top_flows_by_packets"] {
            for f in v[list].as_array_mut().unwrap() {
                f["uid"] = Value::Null;
            }
            for f in v["merge"][list].as_array_mut().unwrap() {
                f["uid"] = Value::Null;
            }
        }
        v
    };
    assert_eq!(strip(&merged), strip(&one_report));
    assert_eq!(merged["top_hosts_by_bytes"][0]["host"], "10.0.0.9");
    assert_eq!(merged["top_flows_by_bytes"].as_array().unwrap().len(), 3);
    assert_eq!(merged["flows"], 40);
}

#[test]
fn config_is_checked() {
    assert!(Flow::new("output = \"\"\nformat = \"json\"").is_ok());
    let e = Flow::new("output = \"\"\nformat = \"xml\"").err().unwrap();
    assert!(e.contains("format"), "{e}");
    let e = Flow::new("output = \"\"\nmax_flows = 0").err().unwrap();
    assert!(e.contains("max_flows"), "{e}");
    let e = Flow::new("output = \"\"\nudp_inactivity_timeout = -1")
        .err()
        .unwrap();
    assert!(e.contains("udp_inactivity_timeout"), "{e}");
    let e = Flow::new("output = \"\"\ntimeout = 1").err().unwrap();
    assert!(e.contains("timeout"), "{e}");
}

#[test]
fn sctp_flows_are_keyed_by_their_ports_and_get_the_specs_id() {
    // The spec's SCTP vector: 192.168.170.8:7 → 192.168.170.56:7.
    let mut l4 = vec![0, 7, 0, 7, 0, 0, 0, 1, 0, 0, 0, 0];
    l4.extend([0; 16]);
    let mut frame = ipv4(1, 2, 132, &l4, None);
    // Rewrite the addresses: 192.168.170.8 and 192.168.170.56.
    frame[26..30].copy_from_slice(&[192, 168, 170, 8]);
    frame[30..34].copy_from_slice(&[192, 168, 170, 56]);
    let r = run(&[(frame, 0.0)]);
    let r = one(&r);
    assert_eq!((r.proto, r.orig_p, r.resp_p), (132, 7, 7));
    // corelight/community-id-spec baseline/baseline_deflt.json.
    assert_eq!(r.community_id, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=");
    assert_eq!(r.orig.payload_bytes, 16);
}

#[test]
fn retransmitted_payload_is_t() {
    let data = |seq| tcp_seq(1, 40000, 2, 80, PA, seq, 100);
    let r = run(&[
        (c2s(S, 0), 0.0),
        (s2c(SA, 0), 0.1),
        (c2s(A, 0), 0.2),
        (data(1), 0.3),
        (data(101), 0.4),
        // The second segment again: a retransmission.
        (data(101), 0.5),
        (data(201), 0.6),
    ]);
    assert_eq!(one(&r).history, "ShADT");
    assert_eq!(one(&r).conn_state, ConnState::S1);
    // A keep-alive: one byte just below the next sequence number.
    let r = run(&[(data(1), 0.0), (tcp_seq(1, 40000, 2, 80, A, 100, 1), 1.0)]);
    assert_eq!(one(&r).history, "D");
    // Sequence numbers wrapping past 2^32 are not retransmissions.
    let r = run(&[
        (tcp_seq(1, 40000, 2, 80, PA, u32::MAX - 49, 100), 0.0),
        (tcp_seq(1, 40000, 2, 80, PA, 50, 100), 0.1),
    ]);
    assert_eq!(one(&r).history, "D");
}

#[test]
fn a_syn_from_the_responder_of_a_midstream_flow_makes_it_the_originator() {
    // The server's data first (midstream), then the client's SYN.
    let r = run(&[(s2c(PA, 10), 0.0), (c2s(S, 0), 0.1), (s2c(SA, 0), 0.2)]);
    let r = one(&r);
    assert_eq!(
        (r.orig_h.to_string().as_str(), r.orig_p),
        ("10.0.0.1", 40000)
    );
    assert_eq!((r.orig.packets, r.resp.packets), (1, 2));
    assert_eq!(r.resp.payload_bytes, 10);
    assert_eq!(r.history, "D^Sh");
    // Made with the flow, before the roles flipped: the ID of the record.
    let id = community_id::digest(
        0,
        &[10, 0, 0, 1],
        &[10, 0, 0, 2],
        6,
        Some((40000, 80)),
        false,
    );
    assert_eq!(r.community_id, community_id::text(&id).as_str());
}

/// A one-way ICMP message's flow keeps its sender first in its Community ID.
#[test]
fn a_one_way_icmp_flows_community_id_keeps_its_sender_first() {
    let r = run(&[(icmp(2, 1, 3, 1), 0.0)]);
    let r = one(&r);
    let (t, c, one_way) = community_id::icmp_ports(1, 3, 1);
    assert!(one_way);
    let id = community_id::digest(0, &[10, 0, 0, 2], &[10, 0, 0, 1], 1, Some((t, c)), true);
    assert_eq!(r.community_id, community_id::text(&id).as_str());
}

/// A slot of the table stays four cache lines with the flow's uid and
/// Community ID in it.
#[test]
fn a_slot_of_the_table_is_four_cache_lines() {
    assert_eq!(crate::table::slot_bytes::<crate::state::FlowState>(), 256);
}

/// Flows in the table, started, evicted and records written reach the
/// host's metrics on each tick.
#[test]
fn metrics_follow_the_table_each_tick() {
    use plugin_api::{LinkType, PacketHeader, PacketType, TestKit};
    let mut kit = TestKit::new::<Flow>("output = \"\"\nmax_flows = 2").unwrap();
    let at = |ts_ns: u64, frame: &[u8]| PacketHeader {
        ts_ns,
        caplen: u32::try_from(frame.len()).unwrap(),
        len: u32::try_from(frame.len()).unwrap(),
        ifindex: 0,
        ifname: "",
        pkttype: PacketType::Host,
        link_type: LinkType::ETHERNET,
        vlan: None,
    };
    for (i, port) in [1000u16, 1001, 1002].into_iter().enumerate() {
        let frame = udp(1, port, 2, 53, 10, None);
        kit.packet(&at(T0 + i as u64, &frame), &frame).unwrap();
    }
    assert_eq!(
        kit.metric("flows_total", &[]),
        Some(0.0),
        "not before a tick"
    );
    let frame = udp(1, 1003, 2, 53, 10, None);
    kit.packet(&at(T0 + SEC, &frame), &frame).unwrap();
    // The tick came before the fourth flow: three started, one evicted
    // (and its record written), two in the table.
    assert_eq!(kit.metric("flows_total", &[]), Some(3.0));
    assert_eq!(kit.metric("flows_evicted_total", &[]), Some(1.0));
    assert_eq!(kit.metric("records_total", &[]), Some(1.0));
    assert_eq!(kit.metric("flows_active", &[]), Some(2.0));
    assert_eq!(kit.metric("ipfix_failed_sends_total", &[]), Some(0.0));
}

/// A mixed trace: TCP exchanges and UDP flows over 40 hosts, with packet
/// times past the idle timeouts of [`MIXED`] (frame, timestamp).
fn mixed_packets() -> Vec<(Vec<u8>, u64)> {
    let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let flags = [S, SA, A, PA, FA, R];
    let mut ts = T0;
    (0..6_000u32)
        .map(|_| {
            let r = next();
            let (a, b) = ((r % 40) as u8 + 1, ((r >> 8) % 40) as u8 + 1);
            let (pa, pb) = (1000 + ((r >> 16) % 7) as u16, 80 + ((r >> 24) % 3) as u16);
            let frame = if r >> 40 & 1 == 0 {
                udp(a, pa, b, pb, ((r >> 32) % 200) as usize, None)
            } else {
                tcp(
                    a,
                    pa,
                    b,
                    pb,
                    flags[((r >> 44) % 6) as usize],
                    ((r >> 48) % 300) as usize,
                )
            };
            ts += (r >> 52) % 4 * SEC / 10;
            (frame, ts)
        })
        .collect()
}

/// Settings under which [`mixed_packets`] evicts and times flows out.
const MIXED: &str = "max_flows = 60\nudp_inactivity_timeout = 2\ntcp_inactivity_timeout = 5";

/// Runs the mixed trace through a fresh plugin, with a tick every 500
/// packets: the records. With `one_by_one` the held packets are let
/// through after every packet, as if the table took each packet as it came.
fn mixed_trace(one_by_one: bool) -> Vec<FlowRecord> {
    let mut f = flow(MIXED);
    for (i, (frame, ts)) in mixed_packets().iter().enumerate() {
        feed(&mut f, frame, *ts);
        if one_by_one {
            f.let_through().unwrap();
        }
        if i % 500 == 499 {
            f.on_tick(ts + SEC / 2).unwrap();
        }
    }
    f.shutdown().unwrap();
    assert!(f.report.evicted > 0, "the trace evicts");
    f.sinks.seen
}

#[test]
fn holding_packets_back_changes_no_record() {
    let held = mixed_trace(false);
    let one_by_one = mixed_trace(true);
    assert!(held.len() > 500, "{} records", held.len());
    let mut reasons: Vec<String> = held.iter().map(|r| format!("{:?}", r.end_reason)).collect();
    reasons.sort();
    reasons.dedup();
    assert!(reasons.len() >= 4, "end reasons {reasons:?}");
    assert_eq!(held.len(), one_by_one.len());
    for (h, o) in held.iter().zip(&one_by_one) {
        assert_eq!(h, o);
    }
}

/// The mixed trace through the plugin as netraf loads it, with `config`:
/// the records, and the report in the middle of the trace and at the end.
fn mixed_trace_loaded(config: &str) -> (Vec<FlowRecord>, String, String) {
    let mut p = FlowPlugin::new(&format!("output = \"\"\n{MIXED}\n{config}")).unwrap();
    let mut middle = String::new();
    for (i, (frame, ts)) in mixed_packets().iter().enumerate() {
        feed(&mut p, frame, *ts);
        if i % 500 == 499 {
            p.on_tick(ts + SEC / 2).unwrap();
        }
        if i == 3_210 {
            middle = p.report().unwrap();
        }
    }
    p.shutdown().unwrap();
    let end = p.report().unwrap();
    let seen = p.with_table(|f| std::mem::take(&mut f.sinks.seen)).unwrap();
    (seen, middle, end)
}

#[test]
fn the_table_on_its_thread_writes_the_records_and_reports_of_the_table_in_the_capture_thread() {
    let (here, here_middle, here_end) = mixed_trace_loaded("table_thread = false");
    let (beside, beside_middle, beside_end) = mixed_trace_loaded("");
    assert!(here.len() > 500, "{} records", here.len());
    assert_eq!(here.len(), beside.len());
    for (h, b) in here.iter().zip(&beside) {
        assert_eq!(h, b);
    }
    // The packet counts the capture thread keeps are in both reports.
    let packets = |report: &str| serde_json::from_str::<Value>(report).unwrap()["packets"].clone();
    assert_eq!(packets(&here_end), 6_000);
    assert_eq!(packets(&here_middle), 3_211);
    assert_eq!(here_middle, beside_middle);
    assert_eq!(here_end, beside_end);
    assert_eq!(here, mixed_trace(false));
}

#[test]
fn a_failure_on_the_tables_thread_is_returned_by_a_later_call() {
    for config in ["table_thread = false", ""] {
        let mut p = FlowPlugin::new(&format!("output = \"/dev/full\"\n{MIXED}\n{config}")).unwrap();
        let mut failure = None;
        for (i, (frame, ts)) in mixed_packets().iter().enumerate() {
            let mut sent = offer(&mut p, frame, *ts).map(|_| ());
            if i % 500 == 499 {
                sent = sent.and(p.on_tick(ts + SEC / 2));
            }
            if let Err(e) = sent {
                failure = Some(e);
                break;
            }
        }
        // At the latest, the shutdown passes the last batch and hears of it.
        let failure = failure
            .or_else(|| p.shutdown().err())
            .unwrap_or_else(|| panic!("{config:?}: no call failed"));
        assert!(
            failure.contains("/dev/full") && failure.contains("No space left"),
            "{config:?}: {failure}"
        );
    }
}

#[test]
fn a_panic_on_the_tables_thread_ends_the_table_and_every_later_call_says_so() {
    let mut p = FlowPlugin::new("output = \"\"").unwrap();
    let frame = udp(1, 1000, 2, 53, 20, None);
    for i in 0..10 {
        feed(&mut p, &frame, T0 + i);
    }
    p.with_table(|f| f.panic_on_take = true).unwrap();
    // The next batch reaches the table; a later call hears of the panic.
    let mut said = None;
    for i in 0..(4 * BATCH as u64) {
        if let Err(e) = offer(&mut p, &frame, T0 + 100 + i) {
            said = Some(e);
            break;
        }
    }
    // Batches may still wait in the queue: a report waits for the thread.
    let said = said.unwrap_or_else(|| p.report().unwrap_err());
    assert!(
        said.contains("the flow table's thread panicked: told to panic"),
        "{said}"
    );
    for later in [
        p.on_tick(T0 + 20 * SEC).err(),
        p.report().err(),
        p.shutdown().err(),
    ] {
        assert_eq!(later.as_deref(), Some(said.as_str()));
    }
}

#[test]
fn the_capture_thread_goes_on_while_the_tables_thread_is_stalled_for_all_but_one_batch() {
    let mut p = FlowPlugin::new("output = \"\"").unwrap();
    let frame = udp(1, 1000, 2, 53, 20, None);
    let release = p.stall_table().unwrap();
    // Every batch but the one being filled can wait in the queue.
    let packets = BATCHES * BATCH - 1;
    let went_on = std::thread::scope(|scope| {
        let (done, finished) = std::sync::mpsc::channel();
        let feeder = &mut p;
        scope.spawn(move || {
            for i in 0..packets {
                feed(feeder, &frame, T0 + i as u64);
            }
            let _ = done.send(());
        });
        let went_on = finished
            .recv_timeout(std::time::Duration::from_secs(60))
            .is_ok();
        drop(release); // the feeder, if it waits, goes on now
        went_on
    });
    assert!(went_on, "the capture thread waited for the stalled table");
    p.shutdown().unwrap();
    let seen = p.with_table(|f| std::mem::take(&mut f.sinks.seen)).unwrap();
    assert_eq!(one(&seen).orig.packets, packets as u64);
}

#[test]
fn a_table_that_keeps_up_gets_its_batches_back_instead_of_new_ones() {
    let mut p = FlowPlugin::new("output = \"\"").unwrap();
    let frame = udp(1, 1000, 2, 53, 20, None);
    for i in 0..(10 * BATCH) {
        feed(&mut p, &frame, T0 + i as u64);
        if i % BATCH == BATCH - 1 {
            // The table has taken the batch passed and given it back.
            p.report().unwrap();
        }
    }
    assert!(p.batches_made() <= 3, "{} batches made", p.batches_made());
    p.shutdown().unwrap();
}

#[test]
fn on_a_quiet_link_a_tick_brings_the_packets_before_it_to_the_table_and_the_log() {
    let path = std::env::temp_dir().join(format!("netraf-flow-quiet-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let config = format!(
        "output = {:?}\nudp_inactivity_timeout = 1",
        path.display().to_string()
    );
    let mut p = FlowPlugin::new(&config).unwrap();
    feed(&mut p, &udp(1, 1000, 2, 53, 20, None), T0);
    // Far less than a batch, then nothing but a tick past the flow's
    // timeout, more than 50 ms later: its record is written by that tick.
    std::thread::sleep(std::time::Duration::from_millis(60));
    p.on_tick(T0 + 5 * SEC).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let lines = loop {
        let lines = std::fs::read_to_string(&path)
            .unwrap_or_default()
            .lines()
            .count();
        if lines > 0 || std::time::Instant::now() > deadline {
            break lines;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert_eq!(
        lines, 1,
        "the idle flow's record, written by the tick alone"
    );
    p.shutdown().unwrap();
    std::fs::remove_file(&path).unwrap();
}

/// More flows than three batches of the end's records, still open at the
/// end: UDP, TCP and ICMP over many host pairs, some VLAN-tagged, a few
/// idle ones ended on the way (their slots taken again by later flows, so
/// that the slots' order is not the order of the flows' starts), and long
/// ones restarted by the active timeout with no packet since (no record).
fn open_at_the_end(f: &mut Flow) {
    let flows = 3 * end_of_run::BATCH + 321;
    for i in 0..flows {
        let (a, b) = ((i % 250) as u8 + 1, (i / 250 % 250) as u8 + 1);
        let port = 1024 + (i % 50_000) as u16;
        let frame = match i % 5 {
            0 | 1 => udp(a, port, b, 53, i % 300, (i % 7 == 0).then_some(10)),
            2 | 3 => tcp(a, port, b, 443, [S, SA, PA][i % 3], i % 200),
            _ => icmp(a, b, 8, 0),
        };
        let ts = T0 + i as u64 * SEC / 1000;
        feed(f, &frame, ts);
        if i == 300 {
            // The flows so far are past their UDP and ICMP timeouts.
            f.on_tick(ts + 3 * SEC).unwrap();
        }
    }
}

/// The end of a run of [`open_at_the_end`] with the end's helper thread or
/// without: the conn log, the report, the records.
fn ended(helper: bool, config: &str) -> (Vec<u8>, String, Vec<FlowRecord>) {
    let path = std::env::temp_dir().join(format!(
        "netraf-flow-end-{}-{helper}.jsonl",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let mut f = Flow::new(&format!(
        "output = {:?}\nudp_inactivity_timeout = 2\nicmp_inactivity_timeout = 2\n{config}",
        path.display().to_string()
    ))
    .unwrap();
    f.table_thread = helper;
    open_at_the_end(&mut f);
    f.shutdown().unwrap();
    let log = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    (log, f.report().unwrap(), std::mem::take(&mut f.sinks.seen))
}

#[test]
fn the_records_at_the_end_made_on_two_threads_are_those_of_one() {
    for config in ["", "wire_bytes = true\nactive_timeout = 4"] {
        let (one_log, one_report, one) = ended(false, config);
        let (two_log, two_report, two) = ended(true, config);
        let at_end: Vec<&FlowRecord> = one
            .iter()
            .filter(|r| r.end_reason == EndReason::Shutdown)
            .collect();
        assert!(
            at_end.len() > 3 * crate::end_of_run::BATCH,
            "{config:?}: {} records at the end",
            at_end.len()
        );
        assert!(
            at_end.windows(2).all(|w| w[0].start_ns <= w[1].start_ns),
            "{config:?}: the end's records in the order of the flows' starts"
        );
        assert_eq!(one.len(), two.len(), "{config:?}");
        for (a, b) in one.iter().zip(&two) {
            assert_eq!(a, b, "{config:?}");
        }
        assert_eq!(one_report, two_report, "{config:?}");
        assert!(one_log == two_log, "{config:?}: the conn logs differ");
        let lines = one_log.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(lines, one.len(), "{config:?}: a line per record");
    }
}

#[test]
fn a_failed_write_at_the_end_is_returned_with_or_without_the_helper() {
    for helper in [false, true] {
        let mut f = Flow::new("output = \"/dev/full\"").unwrap();
        f.table_thread = helper;
        open_at_the_end(&mut f);
        let failure = f.shutdown().unwrap_err();
        assert!(
            failure.contains("/dev/full") && failure.contains("No space left"),
            "helper {helper}: {failure}"
        );
    }
}

#[test]
fn a_panic_making_the_records_at_the_end_reaches_the_caller_from_either_thread() {
    for batch in [0, 1, 3] {
        let mut f = flow("");
        f.table_thread = true;
        f.panic_in_batch = Some(batch);
        open_at_the_end(&mut f);
        let ended = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f.shutdown()));
        let payload = ended.expect_err("the panic goes on");
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(
            message.contains("told to panic"),
            "batch {batch}: {message}"
        );
    }
}
