//! The counters the capture workers publish while they run: one cache line per worker and per plugin instance, written by its worker alone, read and summed by a scrape or the status line.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Adds `n` to a counter that one thread alone writes: a relaxed load and
/// store (no locked instruction on the packet path); readers on other
/// threads see each value whole, and at most one update late.
#[inline]
fn bump(counter: &AtomicU64, n: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(n),
        Ordering::Relaxed,
    );
}

/// What one capture worker publishes, on a cache line of its own so that
/// workers never share one: packets and bytes as it takes them from the
/// capture, and the kernel's counts of its socket as it last read them.
#[repr(align(64))]
#[derive(Debug, Default)]
pub struct WorkerCounters {
    /// Packets handed to the chain.
    pub packets: AtomicU64,
    /// Bytes captured of those packets.
    pub bytes: AtomicU64,
    /// The kernel's count of packets it dropped for this worker's socket.
    pub kernel_dropped: AtomicU64,
}

impl WorkerCounters {
    /// Counts a packet of `caplen` bytes (the worker alone calls this): the
    /// worker's own count, kept here, where a scrape reads it.
    #[inline(always)]
    pub fn count(&self, caplen: u32) {
        bump(&self.packets, 1);
        bump(&self.bytes, u64::from(caplen));
    }

    /// Sets the totals, for tests of what reads them.
    #[cfg(test)]
    pub fn set_totals(&self, packets: u64, bytes: u64) {
        self.packets.store(packets, Ordering::Relaxed);
        self.bytes.store(bytes, Ordering::Relaxed);
    }

    /// The packets counted so far.
    pub fn packets(&self) -> u64 {
        self.packets.load(Ordering::Relaxed)
    }

    /// The bytes counted so far.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// What one plugin instance (one worker's) publishes, on a cache line of
/// its own: written by the worker that runs the instance.
#[repr(align(64))]
#[derive(Debug, Default)]
pub struct PluginCounters {
    packets: AtomicU64,
    errors: AtomicU64,
    /// Estimated nanoseconds spent in the plugin (see [`SAMPLE_EVERY`]).
    nanos: AtomicU64,
    disabled: AtomicBool,
}

/// One packet in this many has its plugin calls timed; each timed call
/// counts this many times, an estimate of the time spent in every plugin
/// that costs two clock reads per 64 packets.
pub const SAMPLE_EVERY: u32 = 64;

impl PluginCounters {
    /// The packets handed to the plugin so far (its chains' counts, which
    /// publish them about once a second: see `Chain::publish_counts`).
    pub fn set_packets(&self, total: u64) {
        self.packets.store(total, Ordering::Relaxed);
    }

    /// The packets published so far.
    pub fn packets(&self) -> u64 {
        self.packets.load(Ordering::Relaxed)
    }

    /// A sampled call's time, counted [`SAMPLE_EVERY`] times.
    #[inline]
    pub fn add_sampled(&self, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        bump(&self.nanos, nanos.saturating_mul(u64::from(SAMPLE_EVERY)));
    }

    /// A hook of the plugin failed; `disabled`: the plugin is now out of the chain.
    pub fn add_error(&self, disabled: bool) {
        bump(&self.errors, 1);
        self.disabled.store(disabled, Ordering::Relaxed);
    }

    /// Marks a new instance in place of the old (after a reload): enabled.
    pub fn restart(&self) {
        self.disabled.store(false, Ordering::Relaxed);
    }
}

/// A plugin's counters summed over its instances (one per worker).
#[derive(Debug, Clone, PartialEq)]
pub struct PluginTotals {
    /// The plugin's name in the config.
    pub name: String,
    /// Packets handed to it.
    pub packets: u64,
    /// Hooks that failed.
    pub errors: u64,
    /// Whether an instance of it is disabled.
    pub disabled: bool,
    /// Estimated seconds spent in it (sampled, see [`SAMPLE_EVERY`]).
    pub seconds: f64,
}

/// The workers' totals, summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaptureTotals {
    /// Packets handed to the chains.
    pub packets: u64,
    /// Bytes of those packets.
    pub bytes: u64,
    /// Packets the kernel dropped.
    pub dropped: u64,
}

/// The instances of one plugin name, by worker.
type Instances = Vec<Arc<PluginCounters>>;

/// Every counter the run publishes: the workers' (fixed at the start), the
/// plugins' (registered as chains are made, at the start and at each
/// reload) and the reloads'. Registration and reading take a lock that no
/// worker takes per packet.
#[derive(Debug)]
pub struct LiveCounters {
    workers: Vec<Arc<WorkerCounters>>,
    /// Plugin names in the order first seen, and their instances.
    plugins: Mutex<(Vec<String>, HashMap<String, Instances>)>,
    reloads_applied: AtomicU64,
    reloads_refused: AtomicU64,
}

impl LiveCounters {
    /// Counters for `workers` capture workers.
    pub fn new(workers: usize) -> LiveCounters {
        LiveCounters {
            workers: (0..workers).map(|_| Arc::default()).collect(),
            plugins: Mutex::default(),
            reloads_applied: AtomicU64::new(0),
            reloads_refused: AtomicU64::new(0),
        }
    }

    /// Worker `worker`'s counters (a fresh, unpublished set past the last).
    pub fn worker(&self, worker: usize) -> Arc<WorkerCounters> {
        self.workers.get(worker).cloned().unwrap_or_default()
    }

    /// The counters of plugin `name`'s instance in worker `worker`: the same
    /// ones again for a later instance (a reload's), so that they go on
    /// counting.
    pub fn plugin(&self, name: &str, worker: usize) -> Arc<PluginCounters> {
        let mut guard = self.plugins.lock().unwrap_or_else(|e| e.into_inner());
        let (order, by_name) = &mut *guard;
        let instances = by_name.entry(name.to_string()).or_insert_with(|| {
            order.push(name.to_string());
            Vec::new()
        });
        if instances.len() <= worker {
            instances.resize_with(worker + 1, Arc::default);
        }
        Arc::clone(&instances[worker])
    }

    /// Counts a reload: applied, or refused.
    pub fn count_reload(&self, applied: bool) {
        let counter = if applied {
            &self.reloads_applied
        } else {
            &self.reloads_refused
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reloads applied and refused so far.
    pub fn reloads(&self) -> (u64, u64) {
        (
            self.reloads_applied.load(Ordering::Relaxed),
            self.reloads_refused.load(Ordering::Relaxed),
        )
    }

    /// Each worker's counters, in worker order: packets, bytes, drops.
    pub fn per_worker(&self) -> Vec<CaptureTotals> {
        self.workers
            .iter()
            .map(|w| CaptureTotals {
                packets: w.packets.load(Ordering::Relaxed),
                bytes: w.bytes.load(Ordering::Relaxed),
                dropped: w.kernel_dropped.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// Every worker's counters summed.
    pub fn totals(&self) -> CaptureTotals {
        self.per_worker()
            .into_iter()
            .fold(CaptureTotals::default(), |sum, w| CaptureTotals {
                packets: sum.packets + w.packets,
                bytes: sum.bytes + w.bytes,
                dropped: sum.dropped + w.dropped,
            })
    }

    /// Every plugin's counters summed over its instances, in chain order.
    pub fn plugins(&self) -> Vec<PluginTotals> {
        let guard = self.plugins.lock().unwrap_or_else(|e| e.into_inner());
        let (order, by_name) = &*guard;
        order
            .iter()
            .map(|name| {
                let instances = by_name.get(name).map(Vec::as_slice).unwrap_or_default();
                let sum = |f: fn(&PluginCounters) -> &AtomicU64| {
                    instances
                        .iter()
                        .map(|c| f(c).load(Ordering::Relaxed))
                        .fold(0u64, u64::wrapping_add)
                };
                PluginTotals {
                    name: name.clone(),
                    packets: sum(|c| &c.packets),
                    errors: sum(|c| &c.errors),
                    disabled: instances.iter().any(|c| c.disabled.load(Ordering::Relaxed)),
                    seconds: sum(|c| &c.nanos) as f64 / 1e9,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_sit_on_cache_lines_of_their_own() {
        assert_eq!(std::mem::align_of::<WorkerCounters>(), 64);
        assert_eq!(std::mem::align_of::<PluginCounters>(), 64);
    }

    #[test]
    fn instances_of_a_plugin_are_summed_and_kept_across_reloads() {
        let live = LiveCounters::new(2);
        live.worker(0).set_totals(3, 300);
        live.worker(1).set_totals(4, 400);
        live.worker(1).kernel_dropped.store(2, Ordering::Relaxed);
        assert_eq!(
            live.totals(),
            CaptureTotals {
                packets: 7,
                bytes: 700,
                dropped: 2
            }
        );
        let (a0, a1) = (live.plugin("a", 0), live.plugin("a", 1));
        live.plugin("b", 1).set_packets(1);
        a0.set_packets(1);
        a1.set_packets(1);
        a1.add_error(true);
        a0.add_sampled(Duration::from_millis(1));
        // A reload's instance in worker 0 goes on with the same counters.
        let again = live.plugin("a", 0);
        again.set_packets(again.packets() + 1);
        let plugins = live.plugins();
        assert_eq!(plugins.len(), 2);
        assert_eq!(plugins[0].name, "a");
        assert_eq!((plugins[0].packets, plugins[0].errors), (3, 1));
        assert!(plugins[0].disabled);
        assert!((plugins[0].seconds - 0.064).abs() < 1e-9);
        assert_eq!((plugins[1].name.as_str(), plugins[1].packets), ("b", 1));
        assert!(!plugins[1].disabled);
        live.count_reload(true);
        live.count_reload(false);
        live.count_reload(true);
        assert_eq!(live.reloads(), (2, 1));
    }
}
