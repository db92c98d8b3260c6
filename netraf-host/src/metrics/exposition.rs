//! The metrics as Prometheus reads them: every family encoded by the `prometheus-client` crate, in the text exposition format, from the values read at the moment of the scrape.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use super::live_counters::LiveCounters;
use plugin_api::MetricKind;

use super::plugin_metrics::{PluginMetrics, Reading};
use super::process;

/// The `Content-Type` of [`Exposition::encode`]'s text.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Reads the run's counters at each scrape.
#[derive(Debug)]
struct RunCollector {
    live: Arc<LiveCounters>,
    plugin_metrics: &'static PluginMetrics,
}

/// One family's name, help, unit and type, and its series: labels and value.
fn family<M: EncodeMetric>(
    encoder: &mut DescriptorEncoder<'_>,
    (name, help, unit): (&str, &str, Option<&Unit>),
    series: impl IntoIterator<Item = (Vec<(&'static str, String)>, M)>,
) -> Result<(), std::fmt::Error> {
    let mut series = series.into_iter().peekable();
    let Some((_, first)) = series.peek() else {
        return Ok(());
    };
    let metric_type = first.metric_type();
    let mut metric = encoder.encode_descriptor(name, help, unit, metric_type)?;
    for (labels, value) in series {
        value.encode(metric.encode_family(&labels)?)?;
    }
    Ok(())
}

fn counter(value: u64) -> ConstCounter<u64> {
    ConstCounter::new(value)
}

impl Collector for RunCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let e = &mut encoder;
        let build = vec![
            ("version", env!("CARGO_PKG_VERSION").to_string()),
            ("plugin_api", plugin_api::ABI_VERSION.to_string()),
        ];
        family(
            e,
            (
                "netraf_build_info",
                "netraf-host's version and plugin API version.",
                None,
            ),
            [(build, ConstGauge::new(1i64))],
        )?;
        let workers = self.live.per_worker();
        let by_worker = |f: fn(&super::live_counters::CaptureTotals) -> u64| {
            workers
                .iter()
                .enumerate()
                .map(move |(i, w)| (vec![("worker", i.to_string())], counter(f(w))))
        };
        family(
            e,
            (
                "netraf_packets_received",
                "Packets the capture workers took from the capture and handed to the plugins.",
                None,
            ),
            by_worker(|w| w.packets),
        )?;
        family(
            e,
            (
                "netraf_bytes_received",
                "Bytes captured of the packets handed to the plugins.",
                None,
            ),
            by_worker(|w| w.bytes),
        )?;
        family(
            e,
            (
                "netraf_packets_dropped",
                "Packets the kernel dropped for lack of room in the capture ring (read about once a second).",
                None,
            ),
            by_worker(|w| w.dropped),
        )?;
        let plugins = self.live.plugins();
        let by_plugin = || {
            plugins
                .iter()
                .map(|p| (vec![("plugin", p.name.clone())], p))
        };
        family(
            e,
            (
                "netraf_plugin_packets",
                "Packets handed to each plugin, all its workers' instances summed.",
                None,
            ),
            by_plugin().map(|(l, p)| (l, counter(p.packets))),
        )?;
        family(
            e,
            (
                "netraf_plugin_errors",
                "Hooks of each plugin that failed (a failing plugin is disabled).",
                None,
            ),
            by_plugin().map(|(l, p)| (l, counter(p.errors))),
        )?;
        family(
            e,
            (
                "netraf_plugin_disabled",
                "1 when an instance of the plugin was disabled after an error, else 0.",
                None,
            ),
            by_plugin().map(|(l, p)| (l, ConstGauge::new(i64::from(p.disabled)))),
        )?;
        family(
            e,
            (
                "netraf_plugin",
                "Estimated time spent in each plugin: one packet in 64 is timed and counted 64 times.",
                Some(&Unit::Seconds),
            ),
            by_plugin().map(|(l, p)| (l, ConstCounter::new(p.seconds))),
        )?;
        let (applied, refused) = self.live.reloads();
        family(
            e,
            (
                "netraf_reloads",
                "Config reloads (SIGHUP), applied or refused.",
                None,
            ),
            [
                (vec![("result", "applied".to_string())], counter(applied)),
                (vec![("result", "refused".to_string())], counter(refused)),
            ],
        )?;
        self.encode_plugin_metrics(e)?;
        let stats = process::read();
        let cpu = stats
            .cpu_seconds
            .map(|s| (Vec::new(), ConstCounter::new(s)));
        family(
            e,
            (
                "process_cpu",
                "Total user and system CPU time spent in seconds.",
                Some(&Unit::Seconds),
            ),
            cpu,
        )?;
        let rss = stats.resident_bytes.map(|b| {
            (
                Vec::new(),
                ConstGauge::new(i64::try_from(b).unwrap_or(i64::MAX)),
            )
        });
        family(
            e,
            (
                "process_resident_memory",
                "Resident memory size in bytes.",
                Some(&Unit::Bytes),
            ),
            rss,
        )?;
        let start = stats
            .start_time_seconds
            .map(|s| (Vec::new(), ConstGauge::new(s)));
        family(
            e,
            (
                "process_start_time",
                "Start time of the process since unix epoch in seconds.",
                Some(&Unit::Seconds),
            ),
            start,
        )?;
        Ok(())
    }
}

impl RunCollector {
    /// The families plugins registered, their instances summed.
    fn encode_plugin_metrics(&self, e: &mut DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        for f in self.plugin_metrics.read() {
            let metric_type = match f.kind {
                MetricKind::Counter => MetricType::Counter,
                MetricKind::Gauge => MetricType::Gauge,
            };
            let mut metric = e.encode_descriptor(&f.name, &f.help, None, metric_type)?;
            for (labels, value) in &f.series {
                let family = metric.encode_family(labels)?;
                match *value {
                    Reading::Count(n) => ConstCounter::new(n).encode(family)?,
                    Reading::Gauge(v) => ConstGauge::new(v).encode(family)?,
                }
            }
        }
        Ok(())
    }
}

/// The registry a scrape encodes: the run's counters, read when asked.
pub struct Exposition {
    registry: Registry,
}

impl std::fmt::Debug for Exposition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exposition").finish_non_exhaustive()
    }
}

impl Exposition {
    /// The exposition of `live` and of what the plugins registered.
    pub fn new(live: Arc<LiveCounters>, plugin_metrics: &'static PluginMetrics) -> Exposition {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(RunCollector {
            live,
            plugin_metrics,
        }));
        Exposition { registry }
    }

    /// Every metric, as the text exposition format (version 0.0.4).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
        {
            // Writing to a String fails only when a value refuses to encode.
            log::warn!("metrics: encoding failed: {e}");
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_is_encoded_with_its_labels() {
        let live = Arc::new(LiveCounters::new(2));
        live.worker(1).set_totals(5, 500);
        let a = live.plugin("counter", 0);
        a.set_packets(1);
        live.plugin("counter", 1).set_packets(1);
        let plugin_metrics: &'static PluginMetrics = Box::leak(Box::default());
        let spec = plugin_api::MetricSpec {
            kind: MetricKind::Gauge,
            name: "active",
            help: "Open flows.",
            labels: vec![("proto", "tcp")],
        };
        plugin_metrics
            .register("counter", "flow", 0, &spec)
            .unwrap()
            .store(4.0f64.to_bits(), std::sync::atomic::Ordering::Relaxed);
        let text = Exposition::new(live, plugin_metrics).encode();
        for line in [
            "# TYPE netraf_packets_received_total counter",
            "netraf_packets_received_total{worker=\"0\"} 0",
            "netraf_packets_received_total{worker=\"1\"} 5",
            "netraf_bytes_received_total{worker=\"1\"} 500",
            "netraf_packets_dropped_total{worker=\"1\"} 0",
            "netraf_plugin_packets_total{plugin=\"counter\"} 2",
            "netraf_plugin_errors_total{plugin=\"counter\"} 0",
            "netraf_plugin_disabled{plugin=\"counter\"} 0",
            "# TYPE netraf_plugin_seconds_total counter",
            "netraf_reloads_total{result=\"applied\"} 0",
            "netraf_flow_active{plugin=\"counter\",proto=\"tcp\"} 4.0",
            "# TYPE process_cpu_seconds_total counter",
            "# TYPE process_resident_memory_bytes gauge",
            "# TYPE process_start_time_seconds gauge",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "no line '{line}' in:\n{text}"
            );
        }
        let build = format!(
            "netraf_build_info{{version=\"{}\",plugin_api=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            plugin_api::ABI_VERSION
        );
        assert!(text.contains(&build), "{text}");
    }
}
