//! The plugin's report: totals, top talkers (hosts and flows, by bytes and by packets) and the responder port mix, kept so that the reports of several capture workers merge into exactly the report of one.
//!
//! Why merging is exact: the host's fanout keeps each flow on one worker,
//! but one address talks in flows on many workers. So the report carries,
//! under `merge`, every host's full counts (bytes, packets, flows; at most
//! `host_cap` hosts, the rest summed in `hosts_dropped`, which is the only
//! case where the merged ranking can miss a host), every responder port's
//! counts per protocol (at most 65,536 each), and each worker's own top
//! `top` flows by bytes and by packets: a flow lives on one worker, so the
//! overall top `top` are among the union of the workers' top lists. Merging
//! adds the counts and ranks again; ties rank by the smaller protocol and
//! tuple (as text), then uid.

use std::collections::{BTreeMap, HashMap};

use ahash::RandomState;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::json::proto_name;
use crate::record::{EndReason, FlowRecord};

/// Protocol classes counted apart.
pub const PROTOS: [&str; 4] = ["tcp", "udp", "icmp", "other"];

/// The class of IP protocol `proto` in [`PROTOS`].
pub fn proto_class(proto: u8) -> usize {
    match proto {
        6 => 0,
        17 => 1,
        1 | 58 => 2,
        _ => 3,
    }
}

/// Packets, IP bytes and flows.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Totals {
    /// Flows started.
    pub flows: u64,
    /// Packets.
    pub packets: u64,
    /// IP bytes.
    pub ip_bytes: u64,
}

impl Totals {
    fn add(&mut self, other: &Totals) {
        self.flows += other.flows;
        self.packets += other.packets;
        self.ip_bytes += other.ip_bytes;
    }
}

/// One flow in a top list.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TopFlow {
    /// The record's uid.
    pub uid: String,
    /// `tcp`, `udp`, `icmp`, `unknown_transport`.
    pub proto: String,
    /// Originator address.
    pub orig_h: String,
    /// Originator port.
    pub orig_p: u16,
    /// Responder address.
    pub resp_h: String,
    /// Responder port.
    pub resp_p: u16,
    /// IP bytes both ways.
    pub bytes: u64,
    /// Packets both ways.
    pub packets: u64,
}

/// Everything the report is made of, and what workers' reports merge by.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Frames whose outermost network header is not IP (not in any flow).
    pub non_ip_frames: u64,
    /// Frame bytes on the wire of the IP packets in flows.
    pub wire_bytes: u64,
    /// TCP/UDP/ICMP packets without their header (non-first fragments,
    /// cut short): packets, IP bytes; in no flow.
    pub no_transport_header: [u64; 2],
    /// By protocol class ([`PROTOS`]).
    pub protocols: BTreeMap<String, Totals>,
    /// Records emitted, by why.
    pub records: BTreeMap<String, u64>,
    /// Flows evicted early to stay within `max_flows`.
    pub evicted: u64,
    /// Flows in the table when the report was made.
    pub active: u64,
    /// Flows still in the table at the end of the run (written then).
    pub active_at_end: u64,
    /// Per host: bytes, packets, flows (records) it took part in.
    pub hosts: BTreeMap<String, [u64; 3]>,
    /// Host entries left out past `host_cap` (their records uncounted per host).
    pub hosts_dropped: u64,
    /// Per protocol class, per responder port: flows (records), IP bytes.
    pub ports: BTreeMap<String, BTreeMap<u16, [u64; 2]>>,
    /// This instance's top flows by bytes.
    pub top_flows_by_bytes: Vec<TopFlow>,
    /// This instance's top flows by packets.
    pub top_flows_by_packets: Vec<TopFlow>,
}

/// The counts kept during the run (no allocation per packet).
#[derive(Debug)]
pub struct Report {
    top: usize,
    host_cap: usize,
    /// Per protocol class.
    pub protocols: [Totals; 4],
    /// Frames not IP.
    pub non_ip_frames: u64,
    /// Wire bytes of IP frames in flows.
    pub wire_bytes: u64,
    /// Packets and IP bytes of TCP/UDP/ICMP packets without their header.
    pub no_transport_header: [u64; 2],
    /// Flows evicted.
    pub evicted: u64,
    /// Flows in the table at shutdown.
    pub active_at_end: u64,
    records: [u64; 5],
    hosts: HashMap<IpAddr, [u64; 3], RandomState>,
    hosts_dropped: u64,
    ports: [HashMap<u16, [u64; 2], RandomState>; 3],
    by_bytes: Vec<TopFlow>,
    by_packets: Vec<TopFlow>,
}

const REASONS: [&str; 5] = ["closed", "idle", "active", "evicted", "shutdown"];

fn reason_index(reason: EndReason) -> usize {
    match reason {
        EndReason::Closed => 0,
        EndReason::Idle => 1,
        EndReason::Active => 2,
        EndReason::Evicted => 3,
        EndReason::Shutdown => 4,
    }
}

/// Ranks `list` by `metric` (larger first, then the smaller tuple and
/// uid) and keeps `top`.
fn rank(list: &mut Vec<TopFlow>, top: usize, metric: fn(&TopFlow) -> u64) {
    list.sort_by(|a, b| {
        metric(b)
            .cmp(&metric(a))
            .then_with(|| {
                (&a.proto, &a.orig_h, a.orig_p, &a.resp_h, a.resp_p)
                    .cmp(&(&b.proto, &b.orig_h, b.orig_p, &b.resp_h, b.resp_p))
            })
            .then_with(|| a.uid.cmp(&b.uid))
    });
    list.truncate(top);
}

fn bytes(f: &TopFlow) -> u64 {
    f.bytes
}

fn packets(f: &TopFlow) -> u64 {
    f.packets
}

impl Report {
    /// Moves the packet counts of `from` (what [`crate::observe`] counts:
    /// packets and IP bytes per protocol class, wire bytes, frames not IP,
    /// packets without their transport header) into this report, leaving
    /// them 0 there.
    pub fn take_packet_counts(&mut self, from: &mut Report) {
        for (to, from) in self.protocols.iter_mut().zip(from.protocols.iter_mut()) {
            to.packets += std::mem::take(&mut from.packets);
            to.ip_bytes += std::mem::take(&mut from.ip_bytes);
        }
        self.non_ip_frames += std::mem::take(&mut from.non_ip_frames);
        self.wire_bytes += std::mem::take(&mut from.wire_bytes);
        for (to, from) in self
            .no_transport_header
            .iter_mut()
            .zip(from.no_transport_header.iter_mut())
        {
            *to += std::mem::take(from);
        }
    }

    /// Empty counts; top lists of `top`, at most `host_cap` hosts.
    pub fn new(top: usize, host_cap: usize) -> Report {
        Report {
            top,
            host_cap,
            protocols: [Totals::default(); 4],
            non_ip_frames: 0,
            wire_bytes: 0,
            no_transport_header: [0; 2],
            evicted: 0,
            active_at_end: 0,
            records: [0; 5],
            hosts: HashMap::default(),
            hosts_dropped: 0,
            ports: [HashMap::default(), HashMap::default(), HashMap::default()],
            by_bytes: Vec::new(),
            by_packets: Vec::new(),
        }
    }

    fn host(&mut self, host: IpAddr, bytes: u64, packets: u64) {
        let cap = self.host_cap;
        let len = self.hosts.len();
        match self.hosts.get_mut(&host) {
            Some(h) => {
                h[0] += bytes;
                h[1] += packets;
                h[2] += 1;
            }
            None if len < cap => {
                self.hosts.insert(host, [bytes, packets, 1]);
            }
            None => self.hosts_dropped += 1,
        }
    }

    /// Counts a finished record.
    pub fn record(&mut self, rec: &FlowRecord) {
        self.records[reason_index(rec.end_reason)] += 1;
        let bytes = rec.orig.ip_bytes + rec.resp.ip_bytes;
        let packets = rec.orig.packets + rec.resp.packets;
        self.host(rec.orig_h, bytes, packets);
        if rec.resp_h != rec.orig_h {
            self.host(rec.resp_h, bytes, packets);
        }
        let class = proto_class(rec.proto);
        if let Some(ports) = self.ports.get_mut(class) {
            let p = ports.entry(rec.resp_p).or_default();
            p[0] += 1;
            p[1] += bytes;
        }
        // Most records enter no top list: the entry (and its strings) is
        // made only for one that does.
        let top = self.top;
        let by_bytes = top > 0
            && (self.by_bytes.len() < top
                || self.by_bytes.last().is_some_and(|l| l.bytes <= bytes));
        let by_packets = top > 0
            && (self.by_packets.len() < top
                || self.by_packets.last().is_some_and(|l| l.packets <= packets));
        if !(by_bytes || by_packets) {
            return;
        }
        let flow = TopFlow {
            uid: rec.uid.to_string(),
            proto: proto_name(rec.proto).to_string(),
            orig_h: rec.orig_h.to_string(),
            orig_p: rec.orig_p,
            resp_h: rec.resp_h.to_string(),
            resp_p: rec.resp_p,
            bytes,
            packets,
        };
        if by_bytes {
            self.by_bytes.push(flow.clone());
            rank(&mut self.by_bytes, top, self::bytes);
        }
        if by_packets {
            self.by_packets.push(flow);
            rank(&mut self.by_packets, top, self::packets);
        }
    }

    /// The counts as a [`Summary`], with `active` flows in the table.
    pub fn summary(&self, active: u64) -> Summary {
        Summary {
            non_ip_frames: self.non_ip_frames,
            wire_bytes: self.wire_bytes,
            no_transport_header: self.no_transport_header,
            protocols: PROTOS
                .iter()
                .zip(self.protocols)
                .map(|(n, t)| (n.to_string(), t))
                .collect(),
            records: REASONS
                .iter()
                .zip(self.records)
                .map(|(n, c)| (n.to_string(), c))
                .collect(),
            evicted: self.evicted,
            active,
            active_at_end: self.active_at_end,
            hosts: self
                .hosts
                .iter()
                .map(|(h, c)| (h.to_string(), *c))
                .collect(),
            hosts_dropped: self.hosts_dropped,
            ports: PROTOS[..3]
                .iter()
                .zip(&self.ports)
                .map(|(n, p)| (n.to_string(), p.iter().map(|(k, v)| (*k, *v)).collect()))
                .collect(),
            top_flows_by_bytes: self.by_bytes.clone(),
            top_flows_by_packets: self.by_packets.clone(),
        }
    }
}

impl Summary {
    /// Adds another instance's summary.
    pub fn absorb(&mut self, other: Summary, top: usize) {
        self.non_ip_frames += other.non_ip_frames;
        self.wire_bytes += other.wire_bytes;
        self.no_transport_header[0] += other.no_transport_header[0];
        self.no_transport_header[1] += other.no_transport_header[1];
        for (k, v) in other.protocols {
            self.protocols.entry(k).or_default().add(&v);
        }
        for (k, v) in other.records {
            *self.records.entry(k).or_default() += v;
        }
        self.evicted += other.evicted;
        self.active += other.active;
        self.active_at_end += other.active_at_end;
        for (k, v) in other.hosts {
            let h = self.hosts.entry(k).or_default();
            for i in 0..3 {
                h[i] += v[i];
            }
        }
        self.hosts_dropped += other.hosts_dropped;
        for (proto, ports) in other.ports {
            let mine = self.ports.entry(proto).or_default();
            for (port, v) in ports {
                let p = mine.entry(port).or_default();
                p[0] += v[0];
                p[1] += v[1];
            }
        }
        self.top_flows_by_bytes.extend(other.top_flows_by_bytes);
        rank(&mut self.top_flows_by_bytes, top, bytes);
        self.top_flows_by_packets.extend(other.top_flows_by_packets);
        rank(&mut self.top_flows_by_packets, top, packets);
    }

    /// The report's JSON: totals, top lists, port mix, and the summary
    /// itself under `merge`.
    pub fn to_json(&self, top: usize) -> Value {
        let sum = |f: fn(&Totals) -> u64| self.protocols.values().map(f).sum::<u64>();
        let mut hosts: Vec<(&String, &[u64; 3])> = self.hosts.iter().collect();
        let host_list = |hosts: &mut Vec<(&String, &[u64; 3])>, by: usize| -> Value {
            hosts.sort_by(|a, b| b.1[by].cmp(&a.1[by]).then_with(|| a.0.cmp(b.0)));
            Value::Array(
                hosts
                    .iter()
                    .take(top)
                    .map(|(h, c)| json!({"host": h, "bytes": c[0], "packets": c[1], "flows": c[2]}))
                    .collect(),
            )
        };
        let top_hosts_by_bytes = host_list(&mut hosts, 0);
        let top_hosts_by_packets = host_list(&mut hosts, 1);
        let top_ports: serde_json::Map<String, Value> = self
            .ports
            .iter()
            .map(|(proto, ports)| {
                let mut list: Vec<(&u16, &[u64; 2])> = ports.iter().collect();
                list.sort_by(|a, b| b.1[0].cmp(&a.1[0]).then_with(|| a.0.cmp(b.0)));
                let list: Vec<Value> = list
                    .iter()
                    .take(top)
                    .map(|(p, c)| json!({"port": p, "flows": c[0], "bytes": c[1]}))
                    .collect();
                (proto.clone(), Value::Array(list))
            })
            .collect();
        json!({
            "flows": sum(|t| t.flows),
            "packets": sum(|t| t.packets),
            "ip_bytes": sum(|t| t.ip_bytes),
            "wire_bytes": self.wire_bytes,
            "non_ip_frames": self.non_ip_frames,
            "no_transport_header": {"packets": self.no_transport_header[0], "ip_bytes": self.no_transport_header[1]},
            "evicted": self.evicted,
            "active": self.active,
            "active_at_end": self.active_at_end,
            "protocols": self.protocols,
            "records": self.records,
            "top_hosts_by_bytes": top_hosts_by_bytes,
            "top_hosts_by_packets": top_hosts_by_packets,
            "top_flows_by_bytes": self.top_flows_by_bytes,
            "top_flows_by_packets": self.top_flows_by_packets,
            "top_responder_ports": top_ports,
            "merge": self,
        })
    }
}

/// Merges workers' reports (each made by [`Summary::to_json`]).
///
/// # Errors
/// A report that is not one of this plugin's.
pub fn merge(reports: &[&str], top: usize) -> Result<String, String> {
    let mut all = Summary::default();
    let mut ipfix: Option<[u64; 3]> = None;
    for (i, text) in reports.iter().enumerate() {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("report {i} is not JSON: {e}"))?;
        let part: Summary = serde_json::from_value(value["merge"].clone())
            .map_err(|e| format!("report {i} has no flow summary under `merge`: {e}"))?;
        all.absorb(part, top);
        if let Some(export) = value.get("ipfix") {
            let sums = ipfix.get_or_insert([0, 0, 0]);
            for (sum, key) in sums.iter_mut().zip(["messages", "records", "failed_sends"]) {
                *sum += export[key].as_u64().unwrap_or(0);
            }
        }
    }
    let mut merged = all.to_json(top);
    if let Some([messages, records, failed_sends]) = ipfix {
        merged["ipfix"] = serde_json::json!({
            "messages": messages,
            "records": records,
            "failed_sends": failed_sends,
        });
    }
    Ok(merged.to_string())
}
