//! The run's live metrics: the counters the capture workers publish, those plugins register, the process's own, and the HTTP endpoint that serves them to Prometheus.
//!
//! The workers never take a lock per packet: each writes its counters (and
//! those of its plugin instances) on cache lines of its own with relaxed
//! stores, and a scrape reads and sums them. Kernel drops are read by each
//! worker about once a second when asked (see `crate::control`).

pub mod endpoint;
pub mod exposition;
pub mod live_counters;
pub mod plugin_metrics;
#[allow(unsafe_code)]
mod process;

pub use endpoint::{Endpoint, Listener};
pub use exposition::Exposition;
pub use live_counters::{LiveCounters, PluginCounters, WorkerCounters, SAMPLE_EVERY};
pub use plugin_metrics::PluginMetrics;
