//! The count plugin: packets and bytes in total, by outermost protocol, by packet type and by interface, with a periodic rate line.

use std::collections::HashMap;

use plugin_api::{Network, Packet, PacketType, Plugin, Transport, Verdict};
use serde::Deserialize;
use serde_json::{json, Map, Value};

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
        let s = packet.summary;
        self.total.add(packet.caplen);
        self.wire_bytes += u64::from(packet.len);
        self.network[s.network.index()] += 1;
        // Only frames whose network header is IP have a transport column.
        if let (Some(i), Network::Ipv4 | Network::Ipv6) = (s.transport.ip_index(), s.network) {
            self.transport[i] += 1;
        }
        if s.broadcast {
            self.broadcast += 1;
        }
        self.pkttypes[packet.packet_type().index()] += 1;
        let ifname = packet.ifname();
        let known = match self.last_interface {
            Some(i) if self.interfaces[i].0 == ifname => Some(i),
            _ => self.by_name.get(ifname).copied(),
        };
        if let Some(i) = known {
            self.interfaces[i].1.add(packet.caplen);
            self.last_interface = Some(i);
        } else if self.interfaces.len() < MAX_INTERFACES {
            let i = self.interfaces.len();
            self.by_name.insert(ifname.to_string(), i);
            self.interfaces.push((ifname.to_string(), Tally::default()));
            self.interfaces[i].1.add(packet.caplen);
            self.last_interface = Some(i);
        } else {
            self.others.add(packet.caplen);
        }
        Ok(Verdict::Continue)
    }

    fn on_tick(&mut self, now_ns: u64) -> Result<(), String> {
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
        })
        .to_string())
    }
}

plugin_api::export_plugin! {
    plugin: Count,
    name: "count",
    description: "packets and bytes by outermost protocol, packet type and interface, with a rate line",
}

#[cfg(test)]
mod tests {
    use super::*;
    use plugin_api::PacketSummary;

    fn feed(count: &mut Count, summary: &PacketSummary, ifname: &str, pkttype: u8, caplen: u32) {
        let data = vec![0u8; caplen as usize];
        let packet = Packet {
            ts_ns: 1,
            len: caplen + 4,
            ifindex: 1,
            pkttype,
            ifname: ifname.into(),
            ..Packet::new(&data, summary)
        };
        assert_eq!(count.on_packet(&packet), Ok(Verdict::Continue));
    }

    #[test]
    fn counts_by_protocol_pkttype_and_interface() {
        let mut c = Count::new("").unwrap();
        let tcp = PacketSummary {
            network: Network::Ipv4,
            transport: Transport::Tcp,
            ..Default::default()
        };
        let arp = PacketSummary {
            network: Network::Arp,
            broadcast: true,
            ..Default::default()
        };
        let odd = PacketSummary {
            network: Network::Other,
            transport: Transport::Other,
            ..Default::default()
        };
        feed(&mut c, &tcp, "eth0", 0, 100);
        feed(&mut c, &tcp, "eth1", 4, 60);
        feed(&mut c, &arp, "eth0", 1, 42);
        feed(&mut c, &odd, "eth0", 9, 10);
        let r: Value = serde_json::from_str(&c.report().unwrap()).unwrap();
        assert_eq!(r["packets"], 4);
        assert_eq!(r["bytes"], 212);
        assert_eq!(r["wire_bytes"], 228);
        assert_eq!(
            r["network"],
            json!({"arp": 1, "ipv4": 2, "ipv6": 0, "other": 1})
        );
        // The non-IP frame has no transport column even if the summary says Other.
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
    }

    #[test]
    fn rate_lines_follow_ticks_and_skip_time_jumps() {
        let mut c = Count::new("interval = 2").unwrap();
        let s = PacketSummary::default();
        let sec = 1_000_000_000;
        c.on_tick(10 * sec).unwrap();
        feed(&mut c, &s, "eth0", 0, 100);
        c.on_tick(11 * sec).unwrap();
        assert_eq!(c.last_ns, 10 * sec, "no line before the interval");
        c.on_tick(12 * sec).unwrap();
        assert_eq!(
            (c.last_ns, c.last.packets),
            (12 * sec, 1),
            "a line at the interval"
        );
        feed(&mut c, &s, "eth0", 0, 100);
        c.on_tick(1_000 * sec).unwrap();
        assert_eq!(
            (c.last_ns, c.last.packets),
            (1_000 * sec, 2),
            "a new baseline after a jump"
        );
    }

    #[test]
    fn config_is_checked() {
        assert!(Count::new("interval = 5").is_ok());
        let e = Count::new("intervl = 5").unwrap_err();
        assert!(e.contains("intervl"), "{e}");
    }
}
