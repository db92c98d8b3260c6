//! A plugin built against the frozen plugin-api 1.0: counts what a 1.0 plugin reads of each packet, so that the ABI evolution test can check it gets the same answers in every 1.x host.

use plugin_api::{Network, Packet, Plugin, Transport, Verdict};

/// Tallies of the decoded fields a 1.0 plugin sees.
#[derive(Default)]
pub struct Census {
    packets: u64,
    bytes: u64,
    ipv4: u64,
    ipv6: u64,
    arp_requests: u64,
    tcp_syns: u64,
    udp: u64,
    vlan_tagged: u64,
    ttl_sum: u64,
    port_sum: u64,
    ticks: u64,
}

impl Plugin for Census {
    fn new(_config: &str) -> Result<Self, String> {
        Ok(Census::default())
    }

    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        self.packets += 1;
        self.bytes += u64::from(packet.caplen());
        match packet.network() {
            Network::Ipv4 => self.ipv4 += 1,
            Network::Ipv6 => self.ipv6 += 1,
            _ => {}
        }
        if packet.arp().is_some_and(|arp| arp.operation == 1) {
            self.arp_requests += 1;
        }
        if packet.tcp().is_some_and(|tcp| tcp.flags & 0x12 == 0x02) {
            self.tcp_syns += 1;
        }
        if packet.transport() == Transport::Udp {
            self.udp += 1;
        }
        if packet.vlan_count() > 0 {
            self.vlan_tagged += 1;
        }
        self.ttl_sum += packet.ip().map_or(0, |ip| u64::from(ip.ttl));
        self.port_sum += u64::from(packet.dst_port().unwrap_or(0));
        Ok(Verdict::Continue)
    }

    fn on_tick(&mut self, _now_ns: u64) -> Result<(), String> {
        self.ticks += 1;
        Ok(())
    }

    fn report(&mut self) -> Result<String, String> {
        Ok(format!(
            "{{\"packets\":{},\"bytes\":{},\"ipv4\":{},\"ipv6\":{},\"arp_requests\":{},\
             \"tcp_syns\":{},\"udp\":{},\"vlan_tagged\":{},\"ttl_sum\":{},\"port_sum\":{},\
             \"ticks\":{}}}",
            self.packets,
            self.bytes,
            self.ipv4,
            self.ipv6,
            self.arp_requests,
            self.tcp_syns,
            self.udp,
            self.vlan_tagged,
            self.ttl_sum,
            self.port_sum,
            self.ticks
        ))
    }
}

plugin_api::export_plugin! {
    plugin: Census,
    name: "census",
    description: "counts what a plugin-api 1.0 plugin reads of each packet",
}
