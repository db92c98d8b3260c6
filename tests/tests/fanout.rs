//! PACKET_FANOUT on real sockets: two sessions of one group on a veth share the peer's frames, each exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use mycap_core::{Error, Fanout, FanoutMode, Session};
use netraf_tests::collect::{collect_for, Captured};
use netraf_tests::frames::{flow_udp, payload};
use netraf_tests::netns::VethPair;
use netraf_tests::{fanout_ids, require_netns};

/// Flows sent, and frames per flow.
const FLOWS: u16 = 63;
const PER_FLOW: u32 = 6;
/// How long each session is read once everything was sent (the frames wait
/// in the rings; the block timeout hands them over within 10 ms).
const DRAIN: Duration = Duration::from_millis(400);

/// Two sessions in one new fanout group of `mode` on the pair's capture side.
fn open_group(pair: &VethPair, mode: FanoutMode) -> (Session, Session, u16) {
    let _creating = fanout_ids::creating_groups();
    let first = Session::open(&pair.capture_config().fanout(Some(Fanout::new_group(mode))))
        .expect("open the first session of the group");
    let group = first.fanout_group().expect("the kernel picked a group id");
    let second = Session::open(
        &pair
            .capture_config()
            .fanout(Some(Fanout::join(group, mode))),
    )
    .expect("open the second session of the group");
    assert_eq!(second.fanout_group(), Some(group));
    (first, second, group)
}

/// Sends `PER_FLOW` frames of each of `FLOWS` flows (interleaved) from the
/// peer; returns them with their flow numbers.
fn send_flows(pair: &VethPair, tag: &str) -> Vec<(u16, Vec<u8>)> {
    let injector = pair.peer_injector(&pair.link).expect("peer injector");
    let link = &pair.link;
    let mut sent = Vec::new();
    for round in 0..PER_FLOW {
        for flow in 0..FLOWS {
            let seq = round * u32::from(FLOWS) + u32::from(flow);
            let frame = flow_udp(link.a_mac, link.b_mac, flow, &payload(tag, seq, 32));
            assert_eq!(injector.send(&frame).expect("send"), frame.len());
            sent.push((flow, frame));
        }
    }
    sent
}

/// Reads both sessions and checks that every sent frame was captured exactly
/// once across the two; returns, per flow, the set of sessions (0, 1) that saw it.
fn check_exactly_once(
    sessions: [&mut Session; 2],
    sent: &[(u16, Vec<u8>)],
) -> (BTreeMap<u16, BTreeSet<usize>>, [usize; 2]) {
    let got: Vec<Vec<Captured>> = sessions
        .into_iter()
        .map(|s| collect_for(s, DRAIN).expect("capture loop"))
        .collect();
    let mut seen: BTreeMap<&[u8], Vec<usize>> = BTreeMap::new();
    for (i, packets) in got.iter().enumerate() {
        for p in packets {
            seen.entry(p.data.as_slice()).or_default().push(i);
        }
    }
    let mut flows: BTreeMap<u16, BTreeSet<usize>> = BTreeMap::new();
    for (flow, frame) in sent {
        let by = seen.remove(frame.as_slice()).unwrap_or_default();
        assert_eq!(by.len(), 1, "flow {flow}: frame seen by sessions {by:?}");
        flows.entry(*flow).or_default().insert(by[0]);
    }
    assert!(
        seen.is_empty(),
        "{} frames captured that were not sent",
        seen.len()
    );
    (flows, [got[0].len(), got[1].len()])
}

#[test]
fn hash_fanout_captures_every_frame_once_and_keeps_each_flow_on_one_session() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let (mut a, mut b, _) = open_group(&pair, FanoutMode::Hash);
    let sent = send_flows(&pair, "fanout-hash");
    let (flows, counts) = check_exactly_once([&mut a, &mut b], &sent);
    assert_eq!(flows.len(), usize::from(FLOWS));
    for (flow, sessions) in &flows {
        assert_eq!(sessions.len(), 1, "flow {flow} split over {sessions:?}");
    }
    // 63 flows all hashed to one side would mean no fanout at all.
    assert!(counts[0] > 0 && counts[1] > 0, "spread {counts:?}");
    let (sa, sb) = (a.stats().expect("stats"), b.stats().expect("stats"));
    assert_eq!(sa.received + sb.received, sent.len() as u64);
    assert_eq!(
        (sa.received, sb.received),
        (counts[0] as u64, counts[1] as u64)
    );
    assert_eq!(sa.dropped + sb.dropped, 0);
}

/// Group 0 is a group like any other (the first new group after boot gets
/// it): two sessions that join it share the frames.
#[test]
fn two_sessions_joining_group_0_capture_every_frame_once() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let open = || {
        Session::open(
            &pair
                .capture_config()
                .fanout(Some(Fanout::join(0, FanoutMode::LoadBalance))),
        )
        .expect("join group 0")
    };
    let (mut a, mut b) = (open(), open());
    assert_eq!((a.fanout_group(), b.fanout_group()), (Some(0), Some(0)));
    let sent = send_flows(&pair, "fanout-group0");
    let (_, counts) = check_exactly_once([&mut a, &mut b], &sent);
    assert!(counts[0] > 0 && counts[1] > 0, "spread {counts:?}");
}

#[test]
fn load_balance_fanout_alternates_frames_and_captures_each_once() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let (mut a, mut b, _) = open_group(&pair, FanoutMode::LoadBalance);
    let sent = send_flows(&pair, "fanout-lb");
    let (flows, counts) = check_exactly_once([&mut a, &mut b], &sent);
    // Round robin: half each (the kernel's counter may start on either side).
    assert_eq!(counts[0] + counts[1], sent.len());
    assert!(counts[0].abs_diff(counts[1]) <= 1, "spread {counts:?}");
    // An odd number of flows, sent in turn: the round robin gives consecutive
    // frames of one flow to alternate sessions.
    let split = flows.values().filter(|s| s.len() == 2).count();
    assert!(split > usize::from(FLOWS) / 2, "{split} flows split");
}

#[test]
fn joining_a_group_with_another_mode_is_refused_with_a_reason() {
    require_netns!();
    let pair = VethPair::new().expect("veth pair");
    let (_a, _b, group) = open_group(&pair, FanoutMode::Hash);
    let other = Session::open(
        &pair
            .capture_config()
            .fanout(Some(Fanout::join(group, FanoutMode::Cpu))),
    );
    match other {
        Err(Error::InvalidConfig(m)) => {
            assert!(m.contains(&format!("fanout group {group}")), "{m}");
            assert!(m.contains("another mode"), "{m}");
        }
        Err(e) => panic!("want an invalid-config error, got {e}"),
        Ok(_) => panic!("a session joined a hash group in cpu mode"),
    }
}
