//! The broadcast plugin: broadcast frames by source MAC and protocol, with a warning when one source floods the link.
#![deny(unsafe_code)]

use std::collections::HashMap;
use std::fmt::Write as _;

use plugin_api::{Network, Packet, Plugin, Transport, Verdict};
use serde::Deserialize;
use serde_json::json;

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
const PROTOCOLS: [&str; 4] = ["arp", "dhcp", "netbios", "other"];

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
}

fn protocol(packet: &Packet<'_>) -> usize {
    let s = packet.summary;
    let udp = s.transport == Transport::Udp;
    let ports = |a: u16, b: u16| udp && [s.src_port, s.dst_port].iter().any(|&p| p == a || p == b);
    if s.network == Network::Arp {
        0
    } else if ports(67, 68) {
        1
    } else if ports(137, 138) {
        2
    } else {
        3
    }
}

fn mac_text(mac: &[u8; 6]) -> String {
    let mut out = String::with_capacity(17);
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02x}");
    }
    out
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
        })
    }

    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        let s = packet.summary;
        if !s.broadcast {
            return Ok(Verdict::Continue);
        }
        let proto = protocol(packet);
        self.frames += 1;
        self.by_protocol[proto] += 1;
        let tracked = self.sources.len() < self.settings.max_sources;
        let source = match self.sources.get_mut(&s.src_mac) {
            Some(source) => source,
            None if tracked => self.sources.entry(s.src_mac).or_default(),
            None => {
                self.untracked_frames += 1;
                return Ok(Verdict::Continue);
            }
        };
        source.frames += 1;
        source.by_protocol[proto] += 1;
        let second = packet.ts_ns / 1_000_000_000;
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
                mac_text(&s.src_mac),
                self.settings.storm_pps,
                packet.ifname(),
                PROTOCOLS[proto]
            );
        }
        Ok(Verdict::Continue)
    }

    fn report(&mut self) -> Result<String, String> {
        let mut top: Vec<(&[u8; 6], &Source)> = self.sources.iter().collect();
        top.sort_by(|a, b| b.1.frames.cmp(&a.1.frames).then(a.0.cmp(b.0)));
        top.truncate(self.settings.top);
        let top: Vec<_> = top
            .into_iter()
            .map(|(mac, s)| {
                let mut entry =
                    json!({"mac": mac_text(mac), "frames": s.frames, "storms": s.storms});
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
        Ok(json!({
            "broadcast_frames": self.frames,
            "protocols": protocols,
            "sources": self.sources.len(),
            "untracked_frames": self.untracked_frames,
            "storm_warnings": self.storm_warnings,
            "top_sources": top,
        })
        .to_string())
    }
}

plugin_api::export_plugin! {
    plugin: Broadcast,
    name: "broadcast",
    description: "broadcast frames by source MAC and protocol (ARP, DHCP, NetBIOS), with storm warnings",
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::PacketSummary;
    use serde_json::Value;

    fn feed(b: &mut Broadcast, summary: &PacketSummary, ts_ns: u64) {
        let packet = Packet {
            ts_ns,
            caplen: 60,
            len: 60,
            ifindex: 2,
            pkttype: 1,
            ifname: "eth0".into(),
            data: (&[0u8; 60][..]).into(),
            summary,
        };
        assert_eq!(b.on_packet(&packet), Ok(Verdict::Continue));
    }

    fn bcast(src: u8, network: Network, transport: Transport, port: u16) -> PacketSummary {
        PacketSummary {
            broadcast: true,
            src_mac: [2, 0, 0, 0, 0, src],
            dst_mac: [0xff; 6],
            network,
            transport,
            dst_port: port,
            src_port: 40000,
            ..Default::default()
        }
    }

    #[test]
    fn counts_sources_protocols_and_storms() {
        let mut b = Broadcast::new("storm_pps = 3\ntop = 2").unwrap();
        let arp = bcast(1, Network::Arp, Transport::None, 0);
        let dhcp = bcast(2, Network::Ipv4, Transport::Udp, 67);
        let nb = bcast(3, Network::Ipv4, Transport::Udp, 137);
        let unicast = PacketSummary::default();
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
}
