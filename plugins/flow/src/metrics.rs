//! The flow plugin's metrics on the host's endpoint: flows in the table, flows started, evicted and records written, IPFIX sends lost, published once a tick.

use plugin_api::{Counter, Gauge, Host};

/// The metrics registered with the host (they go nowhere in a host
/// without metrics).
#[derive(Debug, Default)]
pub struct FlowMetrics {
    active: Gauge,
    started: Counter,
    evicted: Counter,
    records: Counter,
    failed_sends: Counter,
}

/// The plugin's totals, as published.
#[derive(Debug, Clone, Copy)]
pub struct Totals {
    /// Flows in the table.
    pub active: usize,
    /// Flows started.
    pub started: u64,
    /// Flows evicted to make room (`max_flows`).
    pub evicted: u64,
    /// Records emitted.
    pub records: u64,
    /// IPFIX messages that could not be sent.
    pub failed_sends: u64,
}

impl FlowMetrics {
    /// Registers the metrics with `host`.
    ///
    /// # Errors
    /// The host's refusal.
    pub fn register(host: &Host<'_>) -> Result<FlowMetrics, String> {
        Ok(FlowMetrics {
            active: host.gauge("flows_active", "flows in the table", &[])?,
            started: host.counter("flows_total", "flows started", &[])?,
            evicted: host.counter(
                "flows_evicted_total",
                "flows ended early to make room (max_flows)",
                &[],
            )?,
            records: host.counter("records_total", "flow records written", &[])?,
            failed_sends: host.counter(
                "ipfix_failed_sends_total",
                "IPFIX messages that could not be sent",
                &[],
            )?,
        })
    }

    /// Publishes the plugin's totals.
    pub fn publish(&self, t: Totals) {
        self.active.set(t.active as f64);
        self.started.set_total(t.started);
        self.evicted.set_total(t.evicted);
        self.records.set_total(t.records);
        self.failed_sends.set_total(t.failed_sends);
    }
}
