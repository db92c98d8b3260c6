//! The broadcast plugin's metrics on the host's endpoint: broadcast frames by protocol, storms, and the sources tracked, published once a tick.

use plugin_api::{Counter, Gauge, Host};

use crate::PROTOCOLS;

/// The metrics registered with the host (they go nowhere in a host
/// without metrics).
#[derive(Debug, Default)]
pub struct BroadcastMetrics {
    frames: [Counter; 4],
    storms: Counter,
    sources: Gauge,
}

impl BroadcastMetrics {
    /// Registers the metrics with `host`.
    ///
    /// # Errors
    /// The host's refusal.
    pub fn register(host: &Host<'_>) -> Result<BroadcastMetrics, String> {
        let mut m = BroadcastMetrics::default();
        for (i, name) in PROTOCOLS.iter().enumerate() {
            m.frames[i] = host.counter(
                "frames_total",
                "broadcast frames by protocol",
                &[("protocol", name)],
            )?;
        }
        m.storms = host.counter(
            "storms_total",
            "seconds in which one source sent more than storm_pps broadcast frames",
            &[],
        )?;
        m.sources = host.gauge("sources", "broadcast sources tracked", &[])?;
        Ok(m)
    }

    /// Publishes the plugin's totals.
    pub fn publish(&self, by_protocol: &[u64; 4], storms: u64, sources: usize) {
        for (counter, &n) in self.frames.iter().zip(by_protocol) {
            counter.set_total(n);
        }
        self.storms.set_total(storms);
        self.sources.set(sources as f64);
    }
}
