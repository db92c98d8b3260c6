//! The broadcast plugin: broadcast frames by source MAC and protocol, with a warning when one source floods the link.

use std::collections::HashMap;

use plugin_api::{Host, MacText, Network, Packet, Plugin, Transport, Verdict};
use serde::Deserialize;
use serde_json::{json, Value};

mod metrics;

use metrics::BroadcastMetrics;

/// The plugin's `config` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    /// Warn when one source sends more broadcast frames than this in one
    /// second of packet time.
    #[serde(default = "default_storm_pps")]
    storm_pps: u64,
    /// How many sources the report lists, busiest first.
    #[serde(default = "default_top")]
    top: usize,
    /// Sources tracked one by one; frames from further sources are counted
    /// under `untracked_frames`, so memory stays bounded on any link.
    #[serde(default = "default_max_sources")]
    max_sources: usize,
}

fn default_storm_pps() -> u64 {
    1000
}
fn default_top() -> usize {
    10
}
fn default_max_sources() -> usize {
    65_536
}

/// The protocols told apart, in report order.
pub(crate) const PROTOCOLS: [&str; 4] = ["arp", "dhcp", "netbios", "other"];

#[derive(Debug, Default, Clone)]
struct Source {
    frames: u64,
    by_protocol: [u64; 4],
    /// The second of packet time being counted for the storm check.
    second: u64,
    in_second: u64,
    storms: u64,
}

/// The broadcast plugin's state.
#[derive(Debug)]
pub struct Broadcast {
    settings: Settings,
    frames: u64,
    by_protocol: [u64; 4],
    sources: HashMap<[u8; 6], Source>,
    untracked_frames: u64,
    storm_warnings: u64,
    metrics: BroadcastMetrics,
}

fn protocol(packet: &Packet<'_>) -> usize {
    let udp = packet.transport() == Transport::Udp;
    let ports = |a: u16, b: u16| {
        udp && [packet.src_port(), packet.dst_port()]
            .iter()
            .any(|&p| p == Some(a) || p == Some(b))
    };
    if packet.network() == Network::Arp {
        0
    } else if ports(67, 68) {
        1
    } else if ports(137, 138) {
        2
    } else {
        3
    }
}

impl Broadcast {
    /// Publishes the totals to the host's metrics.
    fn publish(&self) {
        self.metrics
            .publish(&self.by_protocol, self.storm_warnings, self.sources.len());
    }
}

fn mac_text(mac: &[u8; 6]) -> String {
    MacText::new(mac).to_string()
}

impl Plugin for Broadcast {
    fn new(config: &str) -> Result<Self, String> {
        let settings: Settings = plugin_api::parse_config(config)?;
        if settings.storm_pps == 0 {
            return Err("storm_pps must be at least 1 (frames per second from one source)".into());
        }
        Ok(Broadcast {
            settings,
            frames: 0,
            by_protocol: [0; 4],
            sources: HashMap::new(),
            untracked_frames: 0,
            storm_warnings: 0,
            metrics: BroadcastMetrics::default(),
        })
    }

    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        if !packet.is_broadcast() {
            return Ok(Verdict::Continue);
        }
        // A broadcast without a source address (a raw IP capture) counts
        // under 00:00:00:00:00:00.
        let src_mac = packet.src_mac().unwrap_or_default();
        let proto = protocol(packet);
        self.frames += 1;
        self.by_protocol[proto] += 1;
        let tracked = self.sources.len() < self.settings.max_sources;
        let source = match self.sources.get_mut(&src_mac) {
            Some(source) => source,
            None if tracked => self.sources.entry(src_mac).or_default(),
            None => {
                self.untracked_frames += 1;
                return Ok(Verdict::Continue);
            }
        };
        source.frames += 1;
        source.by_protocol[proto] += 1;
        let second = packet.ts_ns() / 1_000_000_000;
        if second != source.second {
            source.second = second;
            source.in_second = 0;
        }
        source.in_second += 1;
        // Warn once per second per source, when it crosses the threshold.
        if source.in_second == self.settings.storm_pps + 1 {
            source.storms += 1;
            self.storm_warnings += 1;
            eprintln!(
                "broadcast: storm: {} sent more than {} broadcast frames in one second (on {}, latest {})",
                mac_text(&src_mac),
                self.settings.storm_pps,
                plugin_api::escape(packet.ifname()),
                PROTOCOLS[proto]
            );
        }
        Ok(Verdict::Continue)
    }

    fn attach(&mut self, host: &Host<'_>) -> Result<(), String> {
        self.metrics = BroadcastMetrics::register(host)?;
        Ok(())
    }

    fn on_tick(&mut self, _now_ns: u64) -> Result<(), String> {
        self.publish();
        Ok(())
    }

    fn shutdown(&mut self) -> Result<(), String> {
        self.publish();
        Ok(())
    }

    fn report(&mut self) -> Result<String, String> {
        let top = self
            .sources
            .iter()
            .map(|(mac, s)| Row {
                mac: mac_text(mac),
                frames: s.frames,
                storms: s.storms,
                by_protocol: s.by_protocol,
            })
            .collect();
        Ok(Summary {
            frames: self.frames,
            by_protocol: self.by_protocol,
            sources: self.sources.len() as u64,
            untracked_frames: self.untracked_frames,
            storm_warnings: self.storm_warnings,
            top,
        }
        .into_json(self.settings.top))
    }

    /// Per-source counts add up by MAC and the top list is ranked again.
    /// `sources` is exact when every instance listed all of its sources
    /// (at most `top` each); otherwise it is the sum of the instances'
    /// counts, an upper bound (a source whose frames went to two workers
    /// counts twice), and a source below every instance's top list is
    /// missing from the merged one. Storms are detected per instance: a
    /// source whose broadcasts were spread over workers may cross
    /// `storm_pps` in none of them.
    fn merge_reports(config: &str, reports: &[&str]) -> Option<Result<String, String>> {
        Some(merge(config, reports))
    }
}

/// One source of the report's `top_sources`.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    mac: String,
    frames: u64,
    storms: u64,
    by_protocol: [u64; 4],
}

/// Everything the report says, from one instance or merged from several.
#[derive(Debug, Default)]
struct Summary {
    frames: u64,
    by_protocol: [u64; 4],
    sources: u64,
    untracked_frames: u64,
    storm_warnings: u64,
    /// Sources, in any order: `into_json` ranks and cuts them.
    top: Vec<Row>,
}

impl Summary {
    /// The report's JSON text, with the `top` busiest sources first.
    fn into_json(mut self, top: usize) -> String {
        self.top
            .sort_by(|a, b| b.frames.cmp(&a.frames).then(a.mac.cmp(&b.mac)));
        self.top.truncate(top);
        let top: Vec<_> = self
            .top
            .iter()
            .map(|s| {
                let mut entry = json!({"mac": s.mac, "frames": s.frames, "storms": s.storms});
                for (name, n) in PROTOCOLS.iter().zip(s.by_protocol) {
                    entry[*name] = json!(n);
                }
                entry
            })
            .collect();
        let mut protocols = json!({});
        for (name, n) in PROTOCOLS.iter().zip(self.by_protocol) {
            protocols[*name] = json!(n);
        }
        json!({
            "broadcast_frames": self.frames,
            "protocols": protocols,
            "sources": self.sources,
            "untracked_frames": self.untracked_frames,
            "storm_warnings": self.storm_warnings,
            "top_sources": top,
        })
        .to_string()
    }
}

/// Merges instances' reports (see `Plugin::merge_reports` above).
fn merge(config: &str, reports: &[&str]) -> Result<String, String> {
    let settings: Settings = plugin_api::parse_config(config)?;
    let mut merged = Summary::default();
    let mut complete = true;
    let mut sources_sum = 0;
    let mut rows: HashMap<String, Row> = HashMap::new();
    for text in reports {
        let r: Value = serde_json::from_str(text)
            .map_err(|e| format!("merging reports: not a broadcast report ({e})"))?;
        let n = |v: &Value| v.as_u64().unwrap_or(0);
        merged.frames += n(&r["broadcast_frames"]);
        merged.untracked_frames += n(&r["untracked_frames"]);
        merged.storm_warnings += n(&r["storm_warnings"]);
        for (i, name) in PROTOCOLS.iter().enumerate() {
            merged.by_protocol[i] += n(&r["protocols"][*name]);
        }
        let listed = r["top_sources"].as_array().map_or(&[][..], Vec::as_slice);
        sources_sum += n(&r["sources"]);
        complete &= listed.len() as u64 == n(&r["sources"]);
        for s in listed {
            let mac = s["mac"].as_str().unwrap_or_default().to_string();
            let row = rows.entry(mac.clone()).or_insert(Row {
                mac,
                frames: 0,
                storms: 0,
                by_protocol: [0; 4],
            });
            row.frames += n(&s["frames"]);
            row.storms += n(&s["storms"]);
            for (i, name) in PROTOCOLS.iter().enumerate() {
                row.by_protocol[i] += n(&s[*name]);
            }
        }
    }
    merged.sources = if complete {
        rows.len() as u64
    } else {
        sources_sum
    };
    merged.top = rows.into_values().collect();
    Ok(merged.into_json(settings.top))
}

plugin_api::export_plugin! {
    plugin: Broadcast,
    name: "broadcast",
    description: "broadcast frames by source MAC and protocol (ARP, DHCP, NetBIOS), with storm warnings",
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::{LinkType, PacketHeader, PacketType};

    /// Hands `frame` to `b` as a broadcast captured on eth0 at `ts_ns`.
    fn feed(b: &mut Broadcast, frame: &[u8], ts_ns: u64) {
        let caplen = u32::try_from(frame.len()).unwrap();
        let header = PacketHeader {
            ts_ns,
            caplen,
            len: caplen,
            ifindex: 2,
            ifname: "eth0",
            pkttype: PacketType::Broadcast,
            link_type: LinkType::ETHERNET,
            vlan: None,
        };
        assert_eq!(
            b.on_packet(&Packet::decode(&header, frame)),
            Ok(Verdict::Continue)
        );
    }

    /// A 60-byte Ethernet frame from 02:00:00:00:00:`src` to `dst`: ARP
    /// for `Network::Arp`, IPv4 for `Network::Ipv4` (UDP from port 40000 to
    /// `port` for `Transport::Udp`), and a local experimental EtherType for
    /// `Network::Other`.
    fn frame(src: u8, dst: [u8; 6], network: Network, transport: Transport, port: u16) -> Vec<u8> {
        let mut f = dst.to_vec();
        f.extend([2, 0, 0, 0, 0, src]);
        match network {
            Network::Arp => {
                f.extend([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, src]);
                f.extend([10, 0, 0, src, 0, 0, 0, 0, 0, 0, 10, 0, 0, 254]);
            }
            Network::Ipv4 | Network::Ipv6 => {
                assert_eq!(transport, Transport::Udp, "only UDP is built");
                f.extend([0x08, 0x00, 0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0]);
                f.extend([10, 0, 0, src, 255, 255, 255, 255]);
                f.extend([0x9c, 0x40]);
                f.extend(port.to_be_bytes());
                f.extend([0, 8, 0, 0]);
            }
            Network::Other => f.extend([0x88, 0xb5]),
        }
        f.resize(60, 0);
        f
    }

    fn bcast(src: u8, network: Network, transport: Transport, port: u16) -> Vec<u8> {
        frame(src, [0xff; 6], network, transport, port)
    }

    #[test]
    fn counts_sources_protocols_and_storms() {
        let mut b = Broadcast::new("storm_pps = 3\ntop = 2").unwrap();
        let arp = bcast(1, Network::Arp, Transport::None, 0);
        let dhcp = bcast(2, Network::Ipv4, Transport::Udp, 67);
        let nb = bcast(3, Network::Ipv4, Transport::Udp, 137);
        let unicast = frame(4, [2, 0, 0, 0, 0, 9], Network::Ipv4, Transport::Udp, 67);
        for i in 0..5 {
            feed(&mut b, &arp, 1_000_000_000 + i);
        }
        feed(&mut b, &dhcp, 2_000_000_000);
        feed(&mut b, &dhcp, 3_000_000_000);
        feed(&mut b, &nb, 3_000_000_000);
        feed(&mut b, &unicast, 3_000_000_000);
        let r: Value = serde_json::from_str(&b.report().unwrap()).unwrap();
        assert_eq!(r["broadcast_frames"], 8);
        assert_eq!(
            r["protocols"],
            json!({"arp": 5, "dhcp": 2, "netbios": 1, "other": 0})
        );
        assert_eq!(r["sources"], 3);
        assert_eq!(r["storm_warnings"], 1);
        let top = r["top_sources"].as_array().unwrap();
        assert_eq!(top.len(), 2);
        assert_eq!(top[0]["mac"], "02:00:00:00:00:01");
        assert_eq!(top[0]["frames"], 5);
        assert_eq!(top[0]["storms"], 1);
        assert_eq!(top[1]["mac"], "02:00:00:00:00:02");
        assert_eq!(top[1]["dhcp"], 2);
    }

    #[test]
    fn sources_are_bounded() {
        let mut b = Broadcast::new("max_sources = 1").unwrap();
        feed(&mut b, &bcast(1, Network::Other, Transport::None, 0), 1);
        feed(&mut b, &bcast(2, Network::Other, Transport::None, 0), 1);
        feed(&mut b, &bcast(1, Network::Other, Transport::None, 0), 1);
        let r: Value = serde_json::from_str(&b.report().unwrap()).unwrap();
        assert_eq!(
            (r["broadcast_frames"].as_u64(), r["sources"].as_u64()),
            (Some(3), Some(1))
        );
        assert_eq!(r["untracked_frames"], 1);
        assert!(Broadcast::new("storm_pps = 0").is_err());
    }

    #[test]
    fn merged_reports_equal_one_instance_on_all_the_frames() {
        let config = "top = 3";
        let arp = |src| bcast(src, Network::Arp, Transport::None, 0);
        let dhcp = |src| bcast(src, Network::Ipv4, Transport::Udp, 67);
        // Source 1 sends on both workers, 2 on the first, 3 and 4 on the second.
        let w0: Vec<Vec<u8>> = vec![arp(1), arp(1), dhcp(2), dhcp(2), dhcp(2)];
        let w1: Vec<Vec<u8>> = vec![dhcp(1), dhcp(1), arp(3), arp(4)];
        let mut all = Broadcast::new(config).unwrap();
        let mut parts = [
            Broadcast::new(config).unwrap(),
            Broadcast::new(config).unwrap(),
        ];
        for (part, frames) in parts.iter_mut().zip([&w0, &w1]) {
            for (i, s) in frames.iter().enumerate() {
                feed(part, s, i as u64);
                feed(&mut all, s, i as u64);
            }
        }
        let reports: Vec<String> = parts.iter_mut().map(|p| p.report().unwrap()).collect();
        let texts: Vec<&str> = reports.iter().map(String::as_str).collect();
        let merged: Value =
            serde_json::from_str(&Broadcast::merge_reports(config, &texts).unwrap().unwrap())
                .unwrap();
        let whole: Value = serde_json::from_str(&all.report().unwrap()).unwrap();
        assert_eq!(merged, whole);
        // Re-ranked: source 1 (2 + 2 frames) leads although it led in neither part.
        assert_eq!(merged["top_sources"][0]["mac"], "02:00:00:00:00:01");
        assert_eq!(merged["top_sources"][0]["frames"], 4);
        assert_eq!(merged["sources"], 4);
        assert_eq!(merged["top_sources"].as_array().unwrap().len(), 3);
    }

    #[test]
    fn merging_incomplete_lists_bounds_sources_from_above() {
        let one = |src: u8| {
            let mut b = Broadcast::new("top = 1").unwrap();
            feed(&mut b, &bcast(src, Network::Other, Transport::None, 0), 1);
            feed(&mut b, &bcast(9, Network::Other, Transport::None, 0), 1);
            b.report().unwrap()
        };
        let (a, b) = (one(1), one(2));
        let merged: Value = serde_json::from_str(
            &Broadcast::merge_reports("top = 1", &[&a, &b])
                .unwrap()
                .unwrap(),
        )
        .unwrap();
        // Each part listed 1 of its 2 sources: 4 is an upper bound of the 3 real ones.
        assert_eq!(merged["sources"], 4);
        assert_eq!(merged["broadcast_frames"], 4);
        assert!(Broadcast::merge_reports("top = 1", &["not json"])
            .unwrap()
            .is_err());
    }

    #[test]
    fn metrics_follow_frames_and_storms_each_tick() {
        let mut kit = plugin_api::TestKit::new::<Broadcast>("storm_pps = 3").unwrap();
        let arp = bcast(1, Network::Arp, Transport::None, 0);
        let dhcp = bcast(2, Network::Ipv4, Transport::Udp, 67);
        let header = |ts_ns: u64| PacketHeader {
            ts_ns,
            caplen: 60,
            len: 60,
            ifindex: 2,
            ifname: "eth0",
            pkttype: PacketType::Broadcast,
            link_type: LinkType::ETHERNET,
            vlan: None,
        };
        let second = 1_000_000_000;
        for i in 0..5 {
            kit.packet(&header(second + i), &arp).unwrap();
        }
        kit.packet(&header(second + 9), &dhcp).unwrap();
        assert_eq!(
            kit.metric("storms_total", &[]),
            Some(0.0),
            "not before a tick"
        );
        kit.packet(&header(2 * second), &dhcp).unwrap();
        assert_eq!(
            kit.metric("frames_total", &[("protocol", "arp")]),
            Some(5.0)
        );
        assert_eq!(
            kit.metric("frames_total", &[("protocol", "dhcp")]),
            Some(1.0)
        );
        assert_eq!(kit.metric("storms_total", &[]), Some(1.0));
        assert_eq!(kit.metric("sources", &[]), Some(2.0));
    }
}
