//! The counters and gauges plugins register for the metrics endpoint (plugin-api's `attach`): by name, help, labels and plugin instance; the instances of one plugin (one per worker) with the same name and labels are summed when read.
//!
//! The registry is the process's own ([`PluginMetrics::global`]): a number
//! handed to a plugin lives as long as the process (plugin-api's promise),
//! and a plugin registering the same metric again — its instance in a
//! reload's chain — gets the same number back.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use plugin_api::{check_spec, gauge_value, MetricKind, MetricRegistry, MetricSpec};

/// One labelled series of a family: the plugin, the plugin's own labels,
/// and each worker's instance's number.
#[derive(Debug)]
struct Series {
    plugin: String,
    labels: Vec<(String, String)>,
    values: Vec<(usize, &'static AtomicU64)>,
}

/// Every series under one name.
#[derive(Debug)]
struct Family {
    name: String,
    help: String,
    kind: MetricKind,
    series: Vec<Series>,
}

/// A series' value as read: a counter's total, or a gauge's value (the
/// instances summed).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    /// A counter.
    Count(u64),
    /// A gauge.
    Gauge(f64),
}

/// A family as read: name, help, kind, and each series' labels (the
/// `plugin` label first) with its instances summed.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyValues {
    /// The metric's name (without `_total` for a counter: the encoding adds it).
    pub name: String,
    /// Its help text.
    pub help: String,
    /// Counter or gauge.
    pub kind: MetricKind,
    /// Labels and summed value of each series.
    pub series: Vec<(Vec<(String, String)>, Reading)>,
}

/// The metrics plugins registered. A lock guards registration and reading;
/// the plugins update their values through the atomics alone.
#[derive(Debug, Default)]
pub struct PluginMetrics {
    families: Mutex<Vec<Family>>,
}

/// The process's registry.
static GLOBAL: PluginMetrics = PluginMetrics {
    families: Mutex::new(Vec::new()),
};

/// `netraf_`, the plugin's own name (other characters than letters, digits
/// and `_` as `_`), `_` and the metric's name, a counter's without `_total`.
fn family_name(module: &str, spec: &MetricSpec<'_>) -> String {
    let module: String = module
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let name = match spec.kind {
        MetricKind::Counter => spec.name.strip_suffix("_total").unwrap_or(spec.name),
        MetricKind::Gauge => spec.name,
    };
    format!("netraf_{module}_{name}")
}

impl PluginMetrics {
    /// The process's registry, which the endpoint reads.
    pub fn global() -> &'static PluginMetrics {
        &GLOBAL
    }

    /// Registers `spec` for the instance of plugin `plugin` (its name in the
    /// config; `module` is the plugin's own name) in capture worker
    /// `worker`: its number, the same one for the same instance and spec.
    /// Exposed as `netraf_MODULE_NAME{plugin="PLUGIN",LABELS}`.
    ///
    /// # Errors
    /// What plugin-api's `check_spec` refuses, or a name registered before
    /// as another kind, with other help or other label names.
    pub fn register(
        &self,
        plugin: &str,
        module: &str,
        worker: usize,
        spec: &MetricSpec<'_>,
    ) -> Result<&'static AtomicU64, String> {
        check_spec(spec)?;
        let name = family_name(module, spec);
        let labels: Vec<(String, String)> = spec
            .labels
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        let mut families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        let index = match families.iter().position(|f| f.name == name) {
            Some(i) => i,
            None => {
                families.push(Family {
                    name: name.clone(),
                    help: spec.help.to_string(),
                    kind: spec.kind,
                    series: Vec::new(),
                });
                families.len() - 1
            }
        };
        let family = &mut families[index];
        let what = format!("metric `{}`", spec.name);
        if family.kind != spec.kind || family.help != spec.help {
            return Err(format!(
                "{what}: registered before as a {:?} with help '{}'",
                family.kind, family.help
            ));
        }
        let keys = |l: &[(String, String)]| l.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
        if let Some(other) = family.series.first() {
            if keys(&other.labels) != keys(&labels) {
                return Err(format!(
                    "{what}: registered before with labels {:?}",
                    keys(&other.labels)
                ));
            }
        }
        let series = match family
            .series
            .iter()
            .position(|s| s.plugin == plugin && s.labels == labels)
        {
            Some(i) => &mut family.series[i],
            None => {
                family.series.push(Series {
                    plugin: plugin.to_string(),
                    labels,
                    values: Vec::new(),
                });
                let last = family.series.len() - 1;
                &mut family.series[last]
            }
        };
        if let Some((_, cell)) = series.values.iter().find(|(w, _)| *w == worker) {
            return Ok(cell);
        }
        // Kept for the rest of the process, as the plugin may hold it.
        let cell: &'static AtomicU64 = Box::leak(Box::new(AtomicU64::new(0)));
        series.values.push((worker, cell));
        Ok(cell)
    }

    /// Every family with each series' instances summed, in the order registered.
    pub fn read(&self) -> Vec<FamilyValues> {
        let families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        families
            .iter()
            .map(|family| FamilyValues {
                name: family.name.clone(),
                help: family.help.clone(),
                kind: family.kind,
                series: family
                    .series
                    .iter()
                    .map(|series| {
                        let mut labels = vec![("plugin".to_string(), series.plugin.clone())];
                        labels.extend(series.labels.iter().cloned());
                        let reading = match family.kind {
                            MetricKind::Counter => Reading::Count(
                                series
                                    .values
                                    .iter()
                                    .map(|(_, c)| c.load(Ordering::Relaxed))
                                    .fold(0u64, u64::wrapping_add),
                            ),
                            MetricKind::Gauge => Reading::Gauge(
                                series.values.iter().map(|(_, c)| gauge_value(c)).sum(),
                            ),
                        };
                        (labels, reading)
                    })
                    .collect(),
            })
            .collect()
    }
}

/// One plugin instance's view of the registry, handed to its `attach`.
#[derive(Debug)]
pub struct InstanceRegistry<'a> {
    /// The registry.
    pub metrics: &'a PluginMetrics,
    /// The plugin's name in the config.
    pub plugin: &'a str,
    /// The plugin's own name.
    pub module: &'a str,
    /// The capture worker the instance runs in.
    pub worker: usize,
}

impl MetricRegistry for InstanceRegistry<'_> {
    fn register(&self, spec: &MetricSpec<'_>) -> Result<&'static AtomicU64, String> {
        self.metrics
            .register(self.plugin, self.module, self.worker, spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELP: &str = "what it counts";

    fn spec<'a>(
        kind: MetricKind,
        name: &'a str,
        labels: Vec<(&'a str, &'a str)>,
    ) -> MetricSpec<'a> {
        MetricSpec::new(kind, name, HELP, &labels)
    }

    #[test]
    fn instances_with_the_same_name_and_labels_are_summed_and_kept() {
        let metrics = PluginMetrics::default();
        let tcp = spec(MetricKind::Counter, "records_total", vec![("kind", "tcp")]);
        let w0 = metrics.register("flows", "flow", 0, &tcp).unwrap();
        let w1 = metrics.register("flows", "flow", 1, &tcp).unwrap();
        let udp = spec(MetricKind::Counter, "records_total", vec![("kind", "udp")]);
        let u = metrics.register("flows", "flow", 0, &udp).unwrap();
        let active = spec(MetricKind::Gauge, "flows_active", vec![]);
        let g0 = metrics.register("flows", "flow", 0, &active).unwrap();
        let g1 = metrics.register("flows", "flow", 1, &active).unwrap();
        w0.store(3, Ordering::Relaxed);
        w1.store(4, Ordering::Relaxed);
        u.store(1, Ordering::Relaxed);
        g0.store(5.5f64.to_bits(), Ordering::Relaxed);
        g1.store((-2.0f64).to_bits(), Ordering::Relaxed);
        // The same instance again (a reload's): the same number.
        let again = metrics.register("flows", "flow", 1, &tcp).unwrap();
        assert!(std::ptr::eq(again, w1));
        let read = metrics.read();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].name, "netraf_flow_records");
        assert_eq!(read[0].kind, MetricKind::Counter);
        let labels = vec![
            ("plugin".to_string(), "flows".to_string()),
            ("kind".to_string(), "tcp".to_string()),
        ];
        assert_eq!(read[0].series[0], (labels, Reading::Count(7)));
        assert_eq!(read[0].series[1].1, Reading::Count(1));
        assert_eq!(read[1].name, "netraf_flow_flows_active");
        assert_eq!(read[1].series[0].1, Reading::Gauge(3.5));
    }

    #[test]
    fn bad_names_and_clashes_are_refused() {
        let metrics = PluginMetrics::default();
        let bad = |kind, name: &str, labels: Vec<(&str, &str)>| {
            metrics
                .register("p", "my-plugin", 0, &spec(kind, name, labels))
                .unwrap_err()
        };
        assert!(bad(MetricKind::Gauge, "9lives", vec![]).contains("not a Prometheus name"));
        assert!(bad(MetricKind::Counter, "x", vec![]).contains("_total"));
        assert!(bad(MetricKind::Gauge, "x", vec![("plugin", "q")]).contains("set by the host"));
        let y = spec(MetricKind::Counter, "y_total", vec![]);
        metrics.register("p", "my-plugin", 0, &y).unwrap();
        assert_eq!(metrics.read()[0].name, "netraf_my_plugin_y");
        assert!(bad(MetricKind::Gauge, "y", vec![]).contains("registered before"));
        assert!(bad(MetricKind::Counter, "y_total", vec![("k", "v")])
            .contains("registered before with labels"));
    }
}
