//! Tests of the IPFIX exporter: its messages decoded by a small collector-side parser.

use super::*;
use crate::record::{ConnState, SideCounts};
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A template field as parsed: element id (enterprise bit cleared), length, PEN.
type PField = (u16, u16, u32);

/// A data record's values by (element id, PEN).
type Values = HashMap<(u16, u32), Vec<u8>>;

#[derive(Debug)]
struct Message {
    version: u16,
    length: u16,
    export_time: u32,
    sequence: u32,
    domain: u32,
    /// Set ids in order.
    set_ids: Vec<u16>,
    /// Templates defined in this message.
    templates: Vec<(u16, Vec<PField>)>,
    /// Data records: template id and values by (element id, PEN).
    records: Vec<(u16, Values)>,
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn uint(b: &[u8]) -> u64 {
    b.iter().fold(0, |acc, &x| acc << 8 | u64::from(x))
}

/// Parses one message; `known` holds the templates seen so far (as a collector does).
fn parse(msg: &[u8], known: &mut HashMap<u16, Vec<PField>>) -> Message {
    assert!(msg.len() >= 16, "short message");
    let mut m = Message {
        version: be16(&msg[0..]),
        length: be16(&msg[2..]),
        export_time: be32(&msg[4..]),
        sequence: be32(&msg[8..]),
        domain: be32(&msg[12..]),
        set_ids: vec![],
        templates: vec![],
        records: vec![],
    };
    assert_eq!(usize::from(m.length), msg.len(), "header length");
    let mut at = 16;
    while at < msg.len() {
        let id = be16(&msg[at..]);
        let len = usize::from(be16(&msg[at + 2..]));
        assert!(
            len >= 4 && at + len <= msg.len(),
            "set length {len} at {at}"
        );
        m.set_ids.push(id);
        let body = &msg[at + 4..at + len];
        if id == 2 {
            let mut p = 0;
            while p + 4 <= body.len() {
                let tid = be16(&body[p..]);
                let count = be16(&body[p + 2..]);
                p += 4;
                let mut fields = vec![];
                for _ in 0..count {
                    let e = be16(&body[p..]);
                    let l = be16(&body[p + 2..]);
                    p += 4;
                    let pen = if e & 0x8000 != 0 {
                        p += 4;
                        be32(&body[p - 4..])
                    } else {
                        0
                    };
                    fields.push((e & 0x7fff, l, pen));
                }
                known.insert(tid, fields.clone());
                m.templates.push((tid, fields));
            }
            assert_eq!(p, body.len(), "template set padding");
        } else {
            assert!(id >= 256, "set id {id}");
            let fields = known.get(&id).expect("data set before its template");
            let rlen: usize = fields.iter().map(|f| usize::from(f.1)).sum();
            assert_eq!(body.len() % rlen, 0, "data set of whole records");
            for rec in body.chunks(rlen) {
                let mut values = HashMap::new();
                let mut p = 0;
                for &(e, l, pen) in fields {
                    values.insert((e, pen), rec[p..p + usize::from(l)].to_vec());
                    p += usize::from(l);
                }
                m.records.push((id, values));
            }
        }
        at += len;
    }
    m
}

struct Collector {
    socket: UdpSocket,
    known: HashMap<u16, Vec<PField>>,
}

impl Collector {
    fn new() -> Collector {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        Collector {
            socket,
            known: HashMap::new(),
        }
    }

    fn target(&self) -> String {
        self.socket.local_addr().unwrap().to_string()
    }

    fn recv(&mut self) -> Message {
        let mut buf = [0u8; 65536];
        let n = self.socket.recv(&mut buf).expect("a message within 5 s");
        assert!(n <= MAX_MESSAGE, "message of {n} bytes");
        parse(&buf[..n], &mut self.known)
    }

    fn nothing_pending(&self) -> bool {
        self.socket.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 16];
        let r = self.socket.recv(&mut buf);
        self.socket.set_nonblocking(false).unwrap();
        r.is_err()
    }
}

fn flow(orig: &str, orig_p: u16, resp: &str, resp_p: u16, proto: u8) -> FlowRecord {
    FlowRecord {
        uid: "CTest".into(),
        start_ns: 1_700_000_000_123_456_789,
        end_ns: 1_700_000_005_987_654_321,
        vlan: None,
        proto,
        orig_h: orig.parse().unwrap(),
        orig_p,
        resp_h: resp.parse().unwrap(),
        resp_p,
        orig: SideCounts {
            packets: 10,
            ip_bytes: 1000,
            payload_bytes: 500,
            wire_bytes: 0,
            tcp_flags: 0x1b,
        },
        resp: SideCounts {
            packets: 8,
            ip_bytes: 9000,
            payload_bytes: 8500,
            wire_bytes: 0,
            tcp_flags: 0x12,
        },
        conn_state: ConnState::SF,
        history: "ShADadFf".into(),
        community_id: "1:x".into(),
        end_reason: EndReason::Closed,
    }
}

fn v(rec: &Values, id: u16, pen: u32) -> &[u8] {
    rec.get(&(id, pen))
        .unwrap_or_else(|| panic!("element {id}/{pen} missing"))
}

fn n(rec: &Values, id: u16, pen: u32) -> u64 {
    uint(v(rec, id, pen))
}

#[test]
fn first_message_carries_header_and_both_templates() {
    let mut c = Collector::new();
    let mut e = Exporter::new(&c.target(), 4242, 600).unwrap();
    e.export(&flow("10.0.0.1", 1234, "10.0.0.2", 80, 6))
        .unwrap();
    e.flush().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let m = c.recv();
    assert_eq!(m.version, 10);
    assert_eq!(m.domain, 4242);
    assert_eq!(m.sequence, 0);
    assert!(u64::from(m.export_time).abs_diff(now) <= 2);
    assert_eq!(m.set_ids, vec![2, 256]);
    let common = |src: u16, dst: u16, alen: u16| {
        vec![
            (152, 8, 0),
            (153, 8, 0),
            (src, alen, 0),
            (dst, alen, 0),
            (7, 2, 0),
            (11, 2, 0),
            (4, 1, 0),
            (58, 2, 0),
            (6, 2, 29305),
            (6, 2, 0),
            (1, 8, 0),
            (2, 8, 0),
            (1, 8, 29305),
            (2, 8, 29305),
            (136, 1, 0),
        ]
    };
    assert_eq!(
        m.templates,
        vec![(256, common(8, 12, 4)), (257, common(27, 28, 16))]
    );
    assert_eq!(m.records.len(), 1);
    assert_eq!(e.stats(), (1, 1));
    // The data record: 68 bytes, set header 4, template set 4 + 2 * 76.
    assert_eq!(usize::from(m.length), 16 + 156 + 4 + 68);
}

#[test]
fn every_field_of_v4_v6_and_icmp_records() {
    let mut c = Collector::new();
    let mut e = Exporter::new(&c.target(), 1, 600).unwrap();
    let mut tcp = flow("192.0.2.1", 40000, "198.51.100.7", 443, 6);
    tcp.vlan = Some(100);
    tcp.orig.ip_bytes = 5_000_000_000;
    tcp.resp.ip_bytes = (1 << 40) + 3;
    tcp.orig.packets = 4_000_000;
    tcp.resp.packets = 1 << 33;
    let mut udp6 = flow("2001:db8::1", 5353, "2001:db8::ff:2", 53, 17);
    udp6.orig.tcp_flags = 0;
    udp6.resp.tcp_flags = 0;
    udp6.end_reason = EndReason::Idle;
    let mut icmp = flow("10.1.1.1", 8, "10.1.1.2", 0, 1);
    icmp.orig.tcp_flags = 0;
    icmp.resp.tcp_flags = 0;
    icmp.end_reason = EndReason::Shutdown;
    let mut icmp6 = flow("fe80::1", 128, "fe80::2", 0, 58);
    icmp6.end_reason = EndReason::Evicted;
    let mut active = flow("10.1.1.3", 3, "10.1.1.4", 1, 1);
    active.end_reason = EndReason::Active;
    for r in [&tcp, &udp6, &icmp, &icmp6, &active] {
        e.export(r).unwrap();
    }
    e.flush().unwrap();
    let m = c.recv();
    // Each change of address family opens a data set.
    assert_eq!(m.set_ids, vec![2, 256, 257, 256, 257, 256]);
    assert_eq!(m.records.len(), 5);

    let (id, r) = &m.records[0];
    assert_eq!(*id, 256);
    assert_eq!(n(r, 152, 0), 1_700_000_000_123);
    assert_eq!(n(r, 153, 0), 1_700_000_005_987);
    assert_eq!(v(r, 8, 0), Ipv4Addr::new(192, 0, 2, 1).octets());
    assert_eq!(v(r, 12, 0), Ipv4Addr::new(198, 51, 100, 7).octets());
    assert_eq!(n(r, 7, 0), 40000);
    assert_eq!(n(r, 11, 0), 443);
    assert_eq!(n(r, 4, 0), 6);
    assert_eq!(v(r, 6, 0), [0, 0x1b]);
    assert_eq!(n(r, 58, 0), 100);
    assert_eq!(n(r, 1, 0), 5_000_000_000);
    assert_eq!(n(r, 2, 0), 4_000_000);
    assert_eq!(n(r, 136, 0), 3);
    assert_eq!(n(r, 1, 29305), (1 << 40) + 3);
    assert_eq!(n(r, 2, 29305), 1 << 33);
    assert_eq!(v(r, 6, 29305), [0, 0x12]);

    let (id, r) = &m.records[1];
    assert_eq!(*id, 257);
    assert_eq!(
        v(r, 27, 0),
        "2001:db8::1".parse::<Ipv6Addr>().unwrap().octets()
    );
    assert_eq!(
        v(r, 28, 0),
        "2001:db8::ff:2".parse::<Ipv6Addr>().unwrap().octets()
    );
    assert_eq!(n(r, 7, 0), 5353);
    assert_eq!(n(r, 11, 0), 53);
    assert_eq!(n(r, 4, 0), 17);
    assert_eq!(n(r, 6, 0), 0);
    assert_eq!(n(r, 58, 0), 0);
    assert_eq!(n(r, 1, 0), 1000);
    assert_eq!(n(r, 2, 0), 10);
    assert_eq!(n(r, 136, 0), 1);
    assert_eq!(n(r, 1, 29305), 9000);
    assert_eq!(n(r, 2, 29305), 8);
    assert_eq!(n(r, 6, 29305), 0);
    assert_eq!(n(r, 152, 0), 1_700_000_000_123);
    assert_eq!(n(r, 153, 0), 1_700_000_005_987);

    // ICMP echo request: type 8 code 0 as destination port 0x0800.
    let (id, r) = &m.records[2];
    assert_eq!(*id, 256);
    assert_eq!(v(r, 8, 0), [10, 1, 1, 1]);
    assert_eq!(v(r, 12, 0), [10, 1, 1, 2]);
    assert_eq!(n(r, 4, 0), 1);
    assert_eq!(n(r, 7, 0), 0);
    assert_eq!(n(r, 11, 0), 0x0800);
    assert_eq!(n(r, 136, 0), 4);

    let (id, r) = &m.records[3];
    assert_eq!(*id, 257);
    assert_eq!(n(r, 4, 0), 58);
    assert_eq!(n(r, 7, 0), 0);
    assert_eq!(n(r, 11, 0), 128 << 8);
    assert_eq!(n(r, 136, 0), 5);

    let (_, r) = &m.records[4];
    assert_eq!(n(r, 11, 0), 3 << 8 | 1);
    assert_eq!(n(r, 136, 0), 2);
    assert_eq!(e.stats(), (1, 5));
}

#[test]
fn messages_fill_up_to_the_limit_and_number_records() {
    let mut c = Collector::new();
    let mut e = Exporter::new(&c.target(), 7, 600).unwrap();
    for i in 0..50u16 {
        e.export(&flow("10.0.0.1", 1000 + i, "10.0.0.2", 80, 6))
            .unwrap();
    }
    // First message: (1400 - 16 - 156 - 4) / 68 = 18 records; then
    // (1400 - 16 - 4) / 68 = 20; the last 12 wait for the flush.
    let m1 = c.recv();
    let m2 = c.recv();
    assert!(c.nothing_pending());
    e.flush().unwrap();
    let m3 = c.recv();
    let counts: Vec<usize> = [&m1, &m2, &m3].iter().map(|m| m.records.len()).collect();
    assert_eq!(counts, vec![18, 20, 12]);
    let seqs: Vec<u32> = [&m1, &m2, &m3].iter().map(|m| m.sequence).collect();
    assert_eq!(seqs, vec![0, 18, 38]);
    assert_eq!(m1.set_ids, vec![2, 256]);
    assert_eq!(m2.set_ids, vec![256]);
    assert_eq!(m3.set_ids, vec![256]);
    assert!(m1.length as usize + 68 > MAX_MESSAGE);
    assert!(m2.length as usize + 68 > MAX_MESSAGE);
    let ports: Vec<u64> = [&m1, &m2, &m3]
        .iter()
        .flat_map(|m| m.records.iter().map(|(_, r)| n(r, 7, 0)))
        .collect();
    assert_eq!(ports, (1000..1050).collect::<Vec<u64>>());
    assert_eq!(e.stats(), (3, 50));
    // A flush with nothing buffered sends nothing.
    e.flush().unwrap();
    assert!(c.nothing_pending());
    // The sequence goes on across flushes, and it is per exporter (domain).
    e.export(&flow("10.0.0.1", 1, "10.0.0.2", 2, 17)).unwrap();
    e.flush().unwrap();
    assert_eq!(c.recv().sequence, 50);
}

#[test]
fn templates_are_resent_after_the_refresh_time_and_message_count() {
    let mut c = Collector::new();
    let mut e = Exporter::new(&c.target(), 7, 30).unwrap();
    let send = |e: &mut Exporter| {
        e.export(&flow("10.0.0.1", 1, "10.0.0.2", 2, 17)).unwrap();
        e.flush().unwrap();
    };
    send(&mut e);
    assert_eq!(c.recv().set_ids, vec![2, 256]);
    send(&mut e);
    assert_eq!(c.recv().set_ids, vec![256]);
    // 31 s later (the clock moved back instead of waiting).
    e.templates_sent_at = Instant::now().checked_sub(Duration::from_secs(31));
    send(&mut e);
    assert_eq!(c.recv().set_ids, vec![2, 256]);
    send(&mut e);
    assert_eq!(c.recv().set_ids, vec![256]);

    // Every template_every messages whatever the time.
    let mut e = Exporter::new(&c.target(), 8, 3600).unwrap();
    e.template_every = 3;
    let mut with_templates = vec![];
    for _ in 0..7 {
        send(&mut e);
        with_templates.push(c.recv().set_ids.contains(&2));
    }
    assert_eq!(
        with_templates,
        vec![true, false, false, true, false, false, true]
    );
    assert_eq!(TEMPLATE_EVERY_MESSAGES, 64);

    // A refresh time of 0: templates in every message.
    let mut e = Exporter::new(&c.target(), 9, 0).unwrap();
    for _ in 0..3 {
        send(&mut e);
        let m = c.recv();
        assert_eq!(m.domain, 9);
        assert_eq!(m.set_ids, vec![2, 256]);
    }
}

#[test]
fn drop_flushes() {
    let mut c = Collector::new();
    {
        let mut e = Exporter::new(&c.target(), 7, 30).unwrap();
        e.export(&flow("10.0.0.1", 1, "10.0.0.2", 2, 17)).unwrap();
        assert!(c.nothing_pending());
    }
    assert_eq!(c.recv().records.len(), 1);
}

#[test]
fn bad_targets_are_refused_naming_ipfix() {
    for bad in [
        "",
        "127.0.0.1",
        "127.0.0.1:notaport",
        "no.such.host.invalid:4739",
    ] {
        let err = Exporter::new(bad, 1, 60).err().expect(bad);
        assert!(err.starts_with("ipfix:"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}

#[test]
fn a_failed_send_is_reported_and_the_templates_go_again() {
    // A port nobody listens on: loopback answers "port unreachable", which
    // the connected socket reports on a later send.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut e = Exporter::new(&format!("127.0.0.1:{port}"), 3, 3600).unwrap();
    let mut err = None;
    for _ in 0..20 {
        e.export(&flow("10.0.0.1", 1, "10.0.0.2", 2, 17)).unwrap();
        if let Err(msg) = e.flush() {
            err = Some(msg);
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let err = err.expect("a send refused within 20 tries");
    assert!(err.starts_with("ipfix: cannot send to 127.0.0.1:"), "{err}");
    assert!(err.ends_with("1 records lost"), "{err}");
    let (messages, records) = e.stats();
    assert_eq!(messages, records);

    // The collector comes up: the next message carries the templates, and
    // its sequence number counts only the records sent.
    let Ok(socket) = UdpSocket::bind(("127.0.0.1", port)) else {
        return; // the port was taken meanwhile: nothing more to check
    };
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut c = Collector {
        socket,
        known: HashMap::new(),
    };
    e.export(&flow("10.0.0.1", 1, "10.0.0.2", 2, 17)).unwrap();
    e.flush().unwrap();
    let m = c.recv();
    assert_eq!(m.set_ids, vec![2, 256]);
    assert_eq!(u64::from(m.sequence), records);
}
