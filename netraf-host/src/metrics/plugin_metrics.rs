//! The counters and gauges plugins register for the metrics endpoint: by name, help, labels and plugin instance; the instances of one plugin (one per worker) with the same name and labels are summed when read.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Whether a registered metric only goes up or goes both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Only goes up; exposed with `_total` added to its name.
    Counter,
    /// Goes up and down.
    Gauge,
}

/// One instance's value.
#[derive(Debug)]
enum Value {
    Counter(Arc<AtomicU64>),
    Gauge(Arc<AtomicI64>),
}

/// One labelled series of a family: the plugin, the plugin's own labels,
/// and every instance's value.
#[derive(Debug)]
struct Series {
    plugin: String,
    labels: Vec<(String, String)>,
    values: Vec<Value>,
}

/// Every series under one name.
#[derive(Debug)]
struct Family {
    name: String,
    help: String,
    kind: Kind,
    series: Vec<Series>,
}

/// A family as read: name, help, kind, and each series' labels (the
/// `plugin` label first) with its instances' values summed.
#[derive(Debug, Clone, PartialEq)]
pub struct FamilyValues {
    /// The metric's name (without `_total` for a counter).
    pub name: String,
    /// Its help text.
    pub help: String,
    /// Counter or gauge.
    pub kind: Kind,
    /// Labels and summed value of each series.
    pub series: Vec<(Vec<(String, String)>, i128)>,
}

/// The metrics plugins registered. A lock guards registration and reading;
/// the plugins update their values through the atomics alone.
#[derive(Debug, Default)]
pub struct PluginMetrics {
    families: Mutex<Vec<Family>>,
}

/// Whether `name` is a valid metric or label name: a letter or `_`, then
/// letters, digits and `_`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl PluginMetrics {
    /// Registers a counter of plugin `plugin` (its name in the config) for
    /// one of its instances: the returned atomic is that instance's value,
    /// summed at each scrape with the other instances' of the same name and
    /// labels. Exposed as `NAME_total{plugin="PLUGIN",LABELS}`.
    ///
    /// # Errors
    /// A name or label name that is not one, a name the host uses (`netraf_`
    /// and `process_` are its own), a counter name ending in `_total`, a
    /// `plugin` label (the host sets it), or a name registered before with
    /// another kind, help or label names.
    pub fn register_plugin_counter(
        &self,
        plugin: &str,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Arc<AtomicU64>, String> {
        if name.ends_with("_total") {
            return Err(format!(
                "counter '{name}': leave out the `_total` suffix, which the endpoint adds"
            ));
        }
        let value = Arc::new(AtomicU64::new(0));
        self.register(
            plugin,
            name,
            help,
            Kind::Counter,
            labels,
            Value::Counter(Arc::clone(&value)),
        )?;
        Ok(value)
    }

    /// Registers a gauge of plugin `plugin` for one of its instances (see
    /// [`PluginMetrics::register_plugin_counter`]); the instances' values are
    /// summed at each scrape.
    ///
    /// # Errors
    /// As [`PluginMetrics::register_plugin_counter`].
    pub fn register_plugin_gauge(
        &self,
        plugin: &str,
        name: &str,
        help: &str,
        labels: &[(&str, &str)],
    ) -> Result<Arc<AtomicI64>, String> {
        let value = Arc::new(AtomicI64::new(0));
        self.register(
            plugin,
            name,
            help,
            Kind::Gauge,
            labels,
            Value::Gauge(Arc::clone(&value)),
        )?;
        Ok(value)
    }

    fn register(
        &self,
        plugin: &str,
        name: &str,
        help: &str,
        kind: Kind,
        labels: &[(&str, &str)],
        value: Value,
    ) -> Result<(), String> {
        let what = format!("plugin '{plugin}': metric '{name}'");
        if !valid_name(name) {
            return Err(format!(
                "{what}: not a metric name (a letter or `_`, then letters, digits and `_`)"
            ));
        }
        if name.starts_with("netraf_") || name.starts_with("process_") {
            return Err(format!(
                "{what}: `netraf_` and `process_` names are the host's; give the plugin's own prefix"
            ));
        }
        for (key, _) in labels {
            if !valid_name(key) || key.starts_with("__") {
                return Err(format!("{what}: label '{key}' is not a label name"));
            }
            if *key == "plugin" {
                return Err(format!(
                    "{what}: the `plugin` label is set by the host (the plugin's name)"
                ));
            }
        }
        let labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut families = self.families.lock().unwrap_or_else(|e| e.into_inner());
        let index = match families.iter().position(|f| f.name == name) {
            Some(i) => i,
            None => {
                families.push(Family {
                    name: name.to_string(),
                    help: help.to_string(),
                    kind,
                    series: Vec::new(),
                });
                families.len() - 1
            }
        };
        let family = &mut families[index];
        if family.kind != kind || family.help != help {
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
        match family
            .series
            .iter_mut()
            .find(|s| s.plugin == plugin && s.labels == labels)
        {
            Some(series) => series.values.push(value),
            None => family.series.push(Series {
                plugin: plugin.to_string(),
                labels,
                values: vec![value],
            }),
        }
        Ok(())
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
                        let sum = series
                            .values
                            .iter()
                            .map(|v| match v {
                                Value::Counter(c) => i128::from(c.load(Ordering::Relaxed)),
                                Value::Gauge(g) => i128::from(g.load(Ordering::Relaxed)),
                            })
                            .sum();
                        (labels, sum)
                    })
                    .collect(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_with_the_same_name_and_labels_are_summed() {
        let metrics = PluginMetrics::default();
        let help = "Flows seen.";
        let w0 = metrics
            .register_plugin_counter("flows", "flow_records", help, &[("kind", "tcp")])
            .unwrap();
        let w1 = metrics
            .register_plugin_counter("flows", "flow_records", help, &[("kind", "tcp")])
            .unwrap();
        let udp = metrics
            .register_plugin_counter("flows", "flow_records", help, &[("kind", "udp")])
            .unwrap();
        let g0 = metrics
            .register_plugin_gauge("flows", "flow_active", "Open flows.", &[])
            .unwrap();
        let g1 = metrics
            .register_plugin_gauge("flows", "flow_active", "Open flows.", &[])
            .unwrap();
        w0.fetch_add(3, Ordering::Relaxed);
        w1.fetch_add(4, Ordering::Relaxed);
        udp.fetch_add(1, Ordering::Relaxed);
        g0.store(5, Ordering::Relaxed);
        g1.store(-2, Ordering::Relaxed);
        let read = metrics.read();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].kind, Kind::Counter);
        let tcp = vec![
            ("plugin".to_string(), "flows".to_string()),
            ("kind".to_string(), "tcp".to_string()),
        ];
        assert_eq!(read[0].series[0], (tcp, 7));
        assert_eq!(read[0].series[1].1, 1);
        assert_eq!(read[1].series.len(), 1);
        assert_eq!(read[1].series[0].1, 3);
    }

    #[test]
    fn bad_names_and_clashes_are_refused() {
        let metrics = PluginMetrics::default();
        let bad = |name: &str, labels: &[(&str, &str)]| {
            metrics
                .register_plugin_counter("p", name, "h", labels)
                .unwrap_err()
        };
        assert!(bad("9lives", &[]).contains("not a metric name"));
        assert!(bad("has space", &[]).contains("not a metric name"));
        assert!(bad("netraf_packets", &[]).contains("host's"));
        assert!(bad("x_total", &[]).contains("_total"));
        assert!(bad("x", &[("plugin", "q")]).contains("set by the host"));
        assert!(bad("x", &[("bad-key", "q")]).contains("not a label name"));
        metrics.register_plugin_counter("p", "y", "h", &[]).unwrap();
        assert!(metrics
            .register_plugin_gauge("p", "y", "h", &[])
            .unwrap_err()
            .contains("registered before"));
        assert!(metrics
            .register_plugin_counter("p", "y", "h", &[("k", "v")])
            .unwrap_err()
            .contains("registered before with labels"));
    }
}
