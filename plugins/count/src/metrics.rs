//! The count plugin's metrics on the host's endpoint: packets by network and transport protocol, and broadcast frames, published once a tick.

use plugin_api::{Counter, Host, Network, Transport};

/// The counters registered with the host (they go nowhere in a host
/// without metrics).
#[derive(Debug, Default)]
pub struct CountMetrics {
    network: [Counter; 4],
    transport: [Counter; 5],
    broadcast: Counter,
}

impl CountMetrics {
    /// Registers the counters with `host`.
    ///
    /// # Errors
    /// The host's refusal.
    pub fn register(host: &Host<'_>) -> Result<CountMetrics, String> {
        let mut m = CountMetrics::default();
        for n in Network::ALL {
            m.network[n.index()] = host.counter(
                "network_packets_total",
                "packets by outermost network protocol",
                &[("network", n.name())],
            )?;
        }
        for (i, t) in Transport::IP.iter().enumerate() {
            m.transport[i] = host.counter(
                "transport_packets_total",
                "IP packets by transport protocol",
                &[("transport", t.name())],
            )?;
        }
        m.broadcast = host.counter(
            "broadcast_packets_total",
            "frames to the link's broadcast address",
            &[],
        )?;
        Ok(m)
    }

    /// Publishes the plugin's totals.
    pub fn publish(&self, network: &[u64; 4], transport: &[u64; 5], broadcast: u64) {
        for (counter, &n) in self.network.iter().zip(network) {
            counter.set_total(n);
        }
        for (counter, &n) in self.transport.iter().zip(transport) {
            counter.set_total(n);
        }
        self.broadcast.set_total(broadcast);
    }
}
