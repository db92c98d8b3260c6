//! The count plugin: packets and bytes in total, by outermost protocol, by packet type, by interface and over packet time, with a periodic rate line.

use std::collections::{BTreeMap, HashMap};

use plugin_api::{Host, Network, Packet, PacketType, Plugin, Transport, Verdict};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

mod metrics;
pub mod timeline;

use metrics::CountMetrics;
use timeline::{Timeline, TimelineReport};

/// Interfaces counted separately; further ones are counted under `(others)`.
const MAX_INTERFACES: usize = 4096;

/// The plugin's `config` table.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Seconds between rate lines on standard error; 0 for none.
    #[serde(default)]
    interval: u64,
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    packets: u64,
    bytes: u64,
}

impl Tally {
    fn add(&mut self, bytes: u32) {
        self.packets += 1;
        self.bytes += u64::from(bytes);
    }
}

/// The count plugin's state.
#[derive(Debug, Default)]
pub struct Count {
    interval_ns: u64,
    total: Tally,
    wire_bytes: u64,
    /// arp, ipv4, ipv6, other
    network: [u64; 4],
    /// tcp, udp, icmp, icmpv6, other
    transport: [u64; 5],
    broadcast: u64,
    pkttypes: [u64; 6],
    /// Tallies by interface, in order of first sight, with their index by name.
    interfaces: Vec<(String, Tally)>,
    by_name: HashMap<String, usize>,
    /// The interface of the previous packet: packets come in runs from one
    /// interface, so most of them skip the hash lookup.
    last_interface: Option<usize>,
    others: Tally,
    /// Totals at the last rate line, and its time.
    last: Tally,
    last_ns: u64,
    metrics: CountMetrics,
    /// Packets and bytes per second of packet time.
    timeline: Timeline,
}

impl Count {
    fn rate_line(&mut self, now_ns: u64) {
        let secs = now_ns.saturating_sub(self.last_ns) as f64 / 1e9;
        let packets = self.total.packets - self.last.packets;
        let bytes = self.total.bytes - self.last.bytes;
        eprintln!(
            "count: {:.1} packets/s, {:.1} kB/s over {:.0} s ({} packets, {} bytes in total)",
            packets as f64 / secs,
            bytes as f64 / secs / 1000.0,
            secs,
            self.total.packets,
            self.total.bytes
        );
        self.last = self.total;
        self.last_ns = now_ns;
    }
}

impl Plugin for Count {
    fn new(config: &str) -> Result<Self, String> {
        let settings: Settings = plugin_api::parse_config(config)?;
        Ok(Count {
            interval_ns: settings.interval.saturating_mul(1_000_000_000),
            ..Count::default()
        })
    }

    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        let caplen = packet.caplen();
        self.total.add(caplen);
        self.timeline.add(packet.ts_ns(), caplen);
        self.wire_bytes += u64::from(packet.wire_len());
        let network = packet.network();
        self.network[network.index()] += 1;
        // Only frames whose network header is IP have a transport column.
        if let (Some(i), Network::Ipv4 | Network::Ipv6) = (packet.transport().ip_index(), network) {
            self.transport[i] += 1;
        }
        if packet.is_broadcast() {
            self.broadcast += 1;
        }
        self.pkttypes[packet.packet_type().index()] += 1;
        let ifname = packet.ifname();
        let known = match self.last_interface {
            Some(i) if self.interfaces[i].0 == ifname => Some(i),
            _ => self.by_name.get(ifname).copied(),
        };
        if let Some(i) = known {
            self.interfaces[i].1.add(caplen);
            self.last_interface = Some(i);
        } else if self.interfaces.len() < MAX_INTERFACES {
            let i = self.interfaces.len();
            self.by_name.insert(ifname.to_string(), i);
            self.interfaces.push((ifname.to_string(), Tally::default()));
            self.interfaces[i].1.add(caplen);
            self.last_interface = Some(i);
        } else {
            self.others.add(caplen);
        }
        Ok(Verdict::Continue)
    }

    fn attach(&mut self, host: &Host<'_>) -> Result<(), String> {
        self.metrics = CountMetrics::register(host)?;
        Ok(())
    }

    fn on_tick(&mut self, now_ns: u64) -> Result<(), String> {
        self.metrics
            .publish(&self.network, &self.transport, self.broadcast);
        if self.interval_ns == 0 {
            return Ok(());
        }
        let elapsed = now_ns.saturating_sub(self.last_ns);
        if self.last_ns == 0 || elapsed > 2 * self.interval_ns {
            // The start, or a jump in a file's timestamps: a new baseline, as
            // a rate over the jump would mean nothing.
            self.last = self.total;
            self.last_ns = now_ns;
        } else if elapsed >= self.interval_ns {
            self.rate_line(now_ns);
        }
        Ok(())
    }

    fn shutdown(&mut self) -> Result<(), String> {
        self.metrics
            .publish(&self.network, &self.transport, self.broadcast);
        Ok(())
    }

    fn report(&mut self) -> Result<String, String> {
        let mut interfaces: Map<String, Value> = self
            .interfaces
            .iter()
            .map(|(name, t)| {
                (
                    name.clone(),
                    json!({"packets": t.packets, "bytes": t.bytes}),
                )
            })
            .collect();
        if self.others.packets > 0 {
            interfaces.insert(
                "(others)".into(),
                json!({"packets": self.others.packets, "bytes": self.others.bytes}),
            );
        }
        let pkttypes: Map<String, Value> = PacketType::KINDS
            .iter()
            .zip(self.pkttypes)
            .map(|(t, n)| (t.name().to_string(), json!(n)))
            .collect();
        let network: Map<String, Value> = Network::ALL
            .iter()
            .map(|n| (n.name().to_string(), json!(self.network[n.index()])))
            .collect();
        let transport: Map<String, Value> = Transport::IP
            .iter()
            .zip(self.transport)
            .map(|(t, n)| (t.name().to_string(), json!(n)))
            .collect();
        Ok(json!({
            "packets": self.total.packets,
            "bytes": self.total.bytes,
            "wire_bytes": self.wire_bytes,
            "network": network,
            "transport": transport,
            "broadcast": self.broadcast,
            "pkttypes": pkttypes,
            "interfaces": interfaces,
            "timeline": self.timeline.report(),
        })
        .to_string())
    }

    /// The workers' reports added up; their timelines merge on the widest
    /// bucket (see [`timeline`]).
    fn merge_reports(_config: &str, reports: &[&str]) -> Option<Result<String, String>> {
        Some(merge(reports))
    }
}

/// A count report, for merging.
#[derive(Debug, Serialize, Deserialize)]
struct Summary {
    packets: u64,
    bytes: u64,
    wire_bytes: u64,
    network: BTreeMap<String, u64>,
    transport: BTreeMap<String, u64>,
    broadcast: u64,
    pkttypes: BTreeMap<String, u64>,
    interfaces: BTreeMap<String, Sums>,
    timeline: TimelineReport,
}

/// An interface's packets and bytes in the report.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Sums {
    packets: u64,
    bytes: u64,
}

/// Adds `from`'s counters into `into`, key by key.
fn add_keyed(into: &mut BTreeMap<String, u64>, from: BTreeMap<String, u64>) {
    for (key, n) in from {
        *into.entry(key).or_default() += n;
    }
}

/// Merges count reports (each worker's) into the report of all their packets.
fn merge(reports: &[&str]) -> Result<String, String> {
    let mut timeline = Timeline::default();
    let mut merged: Option<Summary> = None;
    for text in reports {
        let mut report: Summary =
            serde_json::from_str(text).map_err(|e| format!("a worker's report: {e}"))?;
        timeline.merge(Timeline::from_report(report.timeline.clone())?);
        let Some(into) = merged.as_mut() else {
            merged = Some(report);
            continue;
        };
        into.packets += report.packets;
        into.bytes += report.bytes;
        into.wire_bytes += report.wire_bytes;
        into.broadcast += report.broadcast;
        add_keyed(&mut into.network, std::mem::take(&mut report.network));
        add_keyed(&mut into.transport, std::mem::take(&mut report.transport));
        add_keyed(&mut into.pkttypes, std::mem::take(&mut report.pkttypes));
        for (name, sums) in report.interfaces {
            let entry = into.interfaces.entry(name).or_default();
            entry.packets += sums.packets;
            entry.bytes += sums.bytes;
        }
    }
    let mut merged = merged.ok_or("no report to merge")?;
    merged.timeline = timeline.report();
    // Through a JSON value: its keys in the order of a single report's.
    serde_json::to_value(&merged)
        .map(|v| v.to_string())
        .map_err(|e| e.to_string())
}

plugin_api::export_plugin! {
    plugin: Count,
    name: "count",
    description: "packets and bytes by outermost protocol, packet type and interface, with a rate line",
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::{LinkType, PacketHeader};

    /// Ethernet from 02:00:00:00:00:01 to `dst`, of EtherType `ethertype`.
    fn ethernet(dst: [u8; 6], ethertype: u16) -> Vec<u8> {
        let mut frame = dst.to_vec();
        frame.extend([2, 0, 0, 0, 0, 1]);
        frame.extend(ethertype.to_be_bytes());
        frame
    }

    /// A frame of `caplen` bytes: IPv4 10.0.0.1 → 10.0.0.2, TCP 40000 → 80
    /// (ACK), and zeros as the payload.
    fn tcp(caplen: usize) -> Vec<u8> {
        let mut frame = ethernet([2, 0, 0, 0, 0, 2], 0x0800);
        let ip_len = u16::try_from(caplen - 14).unwrap().to_be_bytes();
        frame.extend([0x45, 0, ip_len[0], ip_len[1], 0, 1, 0x40, 0, 64, 6, 0, 0]);
        frame.extend([10, 0, 0, 1, 10, 0, 0, 2]);
        frame.extend([
            0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, 0x10, 0xff, 0xff,
        ]);
        frame.extend([0, 0, 0, 0]);
        frame.resize(caplen, 0);
        frame
    }

    /// A broadcast ARP request (42 bytes): who has 10.0.0.2, tell 10.0.0.1.
    fn arp() -> Vec<u8> {
        let mut frame = ethernet([0xff; 6], 0x0806);
        frame.extend([0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1]);
        frame.extend([0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
        frame
    }

    /// Hands `frame` to `count` as captured on `ifname`, with packet type
    /// `pkttype` (the kernel's number), 4 bytes longer on the wire.
    fn feed(count: &mut Count, frame: &[u8], ifname: &str, pkttype: u8) {
        feed_at(count, frame, ifname, pkttype, 1);
    }

    /// As [`feed`], captured at `ts_ns`.
    fn feed_at(count: &mut Count, frame: &[u8], ifname: &str, pkttype: u8, ts_ns: u64) {
        let caplen = u32::try_from(frame.len()).unwrap();
        let header = PacketHeader {
            ts_ns,
            caplen,
            len: caplen + 4,
            ifindex: 1,
            ifname,
            pkttype: PacketType::from_sll(pkttype),
            link_type: LinkType::ETHERNET,
            vlan: None,
        };
        let packet = Packet::decode(&header, frame);
        assert_eq!(count.on_packet(&packet), Ok(Verdict::Continue));
    }

    #[test]
    fn counts_by_protocol_pkttype_and_interface() {
        let mut c = Count::new("").unwrap();
        // Cut short before the EtherType: no network header.
        let odd = [2u8, 0, 0, 0, 0, 2, 2, 0, 0, 0];
        feed(&mut c, &tcp(100), "eth0", 0);
        feed(&mut c, &tcp(60), "eth1", 4);
        feed(&mut c, &arp(), "eth0", 1);
        feed(&mut c, &odd, "eth0", 9);
        let r: Value = serde_json::from_str(&c.report().unwrap()).unwrap();
        assert_eq!(r["packets"], 4);
        assert_eq!(r["bytes"], 212);
        assert_eq!(r["wire_bytes"], 228);
        assert_eq!(
            r["network"],
            json!({"arp": 1, "ipv4": 2, "ipv6": 0, "other": 1})
        );
        // Only the IP frames have a transport column.
        assert_eq!(
            r["transport"],
            json!({"tcp": 2, "udp": 0, "icmp": 0, "icmpv6": 0, "other": 0})
        );
        assert_eq!(r["broadcast"], 1);
        assert_eq!(r["pkttypes"]["host"], 1);
        assert_eq!(r["pkttypes"]["outgoing"], 1);
        assert_eq!(r["pkttypes"]["broadcast"], 1);
        assert_eq!(r["pkttypes"]["other"], 1);
        assert_eq!(r["interfaces"]["eth0"], json!({"packets": 3, "bytes": 152}));
        assert_eq!(r["interfaces"]["eth1"], json!({"packets": 1, "bytes": 60}));
        assert_eq!(
            r["timeline"],
            json!({"bucket_seconds": 1, "start_ns": 0, "packets": [4], "bytes": [212]})
        );
    }

    #[test]
    fn workers_reports_merge_into_the_report_of_one() {
        let sec = 1_000_000_000u64;
        let mut one = Count::new("").unwrap();
        let mut workers = [Count::new("").unwrap(), Count::new("").unwrap()];
        // Three seconds' worth on two interfaces, then an hour later: the
        // first worker's series outgrows its buckets, the second's does not.
        let mut times: Vec<u64> = (0..30)
            .map(|i| 1_700_000_000 * sec + i * sec / 10)
            .collect();
        times.push(1_700_000_000 * sec + 3_600 * sec);
        for (i, &ts) in times.iter().enumerate() {
            let (frame, ifname) = if i % 3 == 0 {
                (arp(), "eth1")
            } else {
                (tcp(60 + i), "eth0")
            };
            feed_at(&mut one, &frame, ifname, 0, ts);
            let worker = if i == times.len() - 1 { 0 } else { i % 2 };
            feed_at(&mut workers[worker], &frame, ifname, 0, ts);
        }
        let reports: Vec<String> = workers.iter_mut().map(|w| w.report().unwrap()).collect();
        let texts: Vec<&str> = reports.iter().map(String::as_str).collect();
        let merged: Value =
            serde_json::from_str(&Count::merge_reports("", &texts).unwrap().unwrap()).unwrap();
        let whole: Value = serde_json::from_str(&one.report().unwrap()).unwrap();
        assert_eq!(merged, whole);
        assert_eq!(whole["timeline"]["bucket_seconds"], 4);
        assert_eq!(whole["packets"], 31);
        // A report that is not a count report is refused (the host then
        // adds the counters up itself).
        assert!(Count::merge_reports("", &[&reports[0], "{}"])
            .unwrap()
            .is_err());
    }

    #[test]
    fn rate_lines_follow_ticks_and_skip_time_jumps() {
        let mut c = Count::new("interval = 2").unwrap();
        let frame = tcp(100);
        let sec = 1_000_000_000;
        c.on_tick(10 * sec).unwrap();
        feed(&mut c, &frame, "eth0", 0);
        c.on_tick(11 * sec).unwrap();
        assert_eq!(c.last_ns, 10 * sec, "no line before the interval");
        c.on_tick(12 * sec).unwrap();
        assert_eq!(
            (c.last_ns, c.last.packets),
            (12 * sec, 1),
            "a line at the interval"
        );
        feed(&mut c, &frame, "eth0", 0);
        c.on_tick(1_000 * sec).unwrap();
        assert_eq!(
            (c.last_ns, c.last.packets),
            (1_000 * sec, 2),
            "a new baseline after a jump"
        );
    }

    #[test]
    fn rate_lines_are_off_by_default() {
        let mut c = Count::new("").unwrap();
        assert_eq!(c.interval_ns, 0);
        for second in [10, 11, 100] {
            feed(&mut c, &tcp(100), "eth0", 0);
            c.on_tick(second * 1_000_000_000).unwrap();
        }
        assert_eq!(
            (c.last_ns, c.last.packets),
            (0, 0),
            "no rate line without `interval`"
        );
    }

    #[test]
    fn config_is_checked() {
        assert!(Count::new("interval = 5").is_ok());
        let e = Count::new("intervl = 5").unwrap_err();
        assert!(e.contains("intervl"), "{e}");
    }

    #[test]
    fn metrics_follow_the_counts_each_tick() {
        let mut kit = plugin_api::TestKit::new::<Count>("").unwrap();
        let ipv4 = [("network", "ipv4")];
        let tcp_label = [("transport", "tcp")];
        assert_eq!(kit.metric("network_packets_total", &ipv4), Some(0.0));
        let at = |ts_ns: u64, frame: &[u8]| PacketHeader {
            ts_ns,
            caplen: u32::try_from(frame.len()).unwrap(),
            len: u32::try_from(frame.len()).unwrap(),
            ifindex: 1,
            ifname: "eth0",
            pkttype: PacketType::Host,
            link_type: LinkType::ETHERNET,
            vlan: None,
        };
        let (t, a) = (tcp(100), arp());
        let second = 1_000_000_000;
        kit.packet(&at(10 * second, &t), &t).unwrap();
        kit.packet(&at(10 * second + 1, &a), &a).unwrap();
        kit.packet(&at(10 * second + 2, &t), &t).unwrap();
        assert_eq!(
            kit.metric("network_packets_total", &ipv4),
            Some(0.0),
            "published on ticks, not per packet"
        );
        // The next second's packet: a tick first, which publishes.
        kit.packet(&at(11 * second, &a), &a).unwrap();
        assert_eq!(kit.metric("network_packets_total", &ipv4), Some(2.0));
        assert_eq!(
            kit.metric("network_packets_total", &[("network", "arp")]),
            Some(1.0)
        );
        assert_eq!(kit.metric("transport_packets_total", &tcp_label), Some(2.0));
        assert_eq!(kit.metric("broadcast_packets_total", &[]), Some(1.0));
    }
}
