//! The plugin chain: load the libraries a config lists, make one instance of each, and run every packet through them in order.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use mycap_core::PacketHeader;
use plugin_api::{Handler, Packet, PacketDecoder, TickClock, Verdict};

use crate::config::PluginEntry;
use crate::loader::{self, Library, LoadError};
use crate::merge;
use crate::metrics::plugin_metrics::InstanceRegistry;
use crate::metrics::{LiveCounters, PluginCounters, PluginMetrics, SAMPLE_EVERY};
use crate::packet_filter::PacketFilter;

/// How often plugins get `on_tick`, in nanoseconds of packet (or wall) time.
pub use plugin_api::TICK_NS;

/// `error` from loading `entry`'s library, placed in the config: at the
/// line of its `path`, with what a missing file's `path` meant (a bare name:
/// a library in the plugin directory; a path: relative to the config file's
/// folder, not to the working directory).
fn in_config(mut error: LoadError, entry: &PluginEntry) -> LoadError {
    let (written, line) = &entry.written_path;
    error.at = Some(format!(
        "{}:{line}: plugin '{}'",
        entry.file.display(),
        entry.name
    ));
    if error.missing {
        let folder = entry.path.parent().unwrap_or(Path::new("."));
        let hint = if written.contains('/') {
            format!(
                "`path = \"{written}\"` is relative to the config file's folder, not to \
                 the working directory"
            )
        } else if written.starts_with("netraf_") {
            format!(
                "a bare name is a library in the plugin directory {}; netraf's own \
                 plugins are built there by `cargo build --workspace`, or set \
                 `plugin_dir` / `--plugin-dir`",
                folder.display()
            )
        } else {
            format!(
                "a bare name is a library in the plugin directory {}; for a library \
                 elsewhere, write its path (relative to the config file) or set \
                 `plugin_dir` / `--plugin-dir`",
                folder.display()
            )
        };
        error.reason = format!("{} ({hint})", error.reason);
    }
    error
}

/// The loaded libraries of a config's enabled plugins, in chain order. Makes
/// as many chains as needed (one per capture worker).
#[derive(Debug, Clone)]
pub struct ChainSpec {
    entries: Vec<(PluginEntry, Library)>,
    /// The packets come from a live capture: a plugin's `filter` sees the
    /// outermost VLAN tag where the kernel put it (see [`PacketFilter`]).
    live: bool,
}

impl ChainSpec {
    /// Loads the library of every enabled plugin.
    ///
    /// # Errors
    /// Every library that failed to load, not only the first.
    pub fn load(plugins: &[PluginEntry], live: bool) -> Result<ChainSpec, Vec<LoadError>> {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for entry in plugins.iter().filter(|p| p.enabled) {
            match loader::load(&entry.path) {
                Ok(library) => entries.push((entry.clone(), library)),
                Err(e) => errors.push(in_config(e, entry)),
            }
        }
        if errors.is_empty() {
            Ok(ChainSpec { entries, live })
        } else {
            Err(errors)
        }
    }

    /// The loaded plugins with their config entries.
    pub fn entries(&self) -> &[(PluginEntry, Library)] {
        &self.entries
    }

    /// Makes a new chain: one fresh instance of every plugin (worker 0's).
    ///
    /// # Errors
    /// One line per plugin whose constructor refused its config:
    /// `FILE:LINE: key `KEY`: plugin 'NAME' (PATH): MESSAGE`,
    /// at the line of the key the plugin's message names (else at the
    /// plugin's `name`, without `key`); see [`PluginEntry::refused`].
    pub fn instantiate(&self) -> Result<Chain, Vec<String>> {
        self.instantiate_worker(0)
    }

    /// Makes capture worker `worker`'s chain: every plugin gets its config
    /// with [`WORKER_PLACEHOLDER`] replaced by the worker's number in each
    /// string value (see [`for_worker`]).
    ///
    /// # Errors
    /// As [`ChainSpec::instantiate`].
    pub fn instantiate_worker(&self, worker: usize) -> Result<Chain, Vec<String>> {
        let mut chain = Chain::new();
        let mut errors = Vec::new();
        for (entry, library) in &self.entries {
            let config = for_worker(&entry.config, worker);
            let filter = match &entry.filter {
                None => None,
                Some(expression) => {
                    let written = format!("{}: plugin '{}'", entry.file.display(), entry.name);
                    match PacketFilter::new(expression, u32::MAX, self.live, &written) {
                        Ok(filter) => Some(filter),
                        Err(e) => {
                            errors.push(format!("{written}: key `filter`: {e}"));
                            continue;
                        }
                    }
                }
            };
            let registry = InstanceRegistry {
                metrics: PluginMetrics::global(),
                plugin: &entry.name,
                module: library.name(),
                worker,
            };
            // A plugin of plugin-api 1.1 or later registers its metrics
            // before its first packet; its refusal is the plugin's.
            let attached = library
                .instantiate(&config)
                .and_then(|mut handler| handler.attach(&registry).map(|_| handler));
            match attached {
                Ok(handler) => {
                    chain.push_filtered(&entry.name, entry.path.clone(), handler, filter)
                }
                Err(message) => errors.push(entry.refused(&message).to_string()),
            }
        }
        if errors.is_empty() {
            Ok(chain)
        } else {
            Err(errors)
        }
    }

    /// Merges each plugin's reports from several chains of this spec (one
    /// list per worker, as [`Chain::reports`] gives them) into one list in
    /// chain order. A plugin that merges its own reports does; the others,
    /// and one whose merge fails (logged), get the generic merge of
    /// [`crate::merge`]. One worker's reports come back unchanged.
    pub fn merge_reports(
        &self,
        per_worker: Vec<Vec<(String, serde_json::Value)>>,
    ) -> Vec<(String, serde_json::Value)> {
        let workers = per_worker.len();
        let mut columns: Vec<(String, Vec<serde_json::Value>)> = Vec::new();
        for reports in per_worker {
            for (i, (name, report)) in reports.into_iter().enumerate() {
                match columns.get_mut(i) {
                    Some((_, values)) => values.push(report),
                    None => columns.push((name, vec![report])),
                }
            }
        }
        columns
            .into_iter()
            .zip(&self.entries)
            .map(|((name, values), (entry, library))| {
                if workers == 1 {
                    let value = values.into_iter().next().unwrap_or_default();
                    return (name, value);
                }
                let texts: Vec<String> = values.iter().map(|v| v.to_string()).collect();
                let own = library.merge_reports(&entry.config, &texts).map(|merged| {
                    merged.and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
                });
                let value = match own {
                    Some(Ok(value)) => value,
                    Some(Err(message)) => {
                        log::error!(
                            "plugin '{}' ({}): merging its {workers} workers' reports failed: \
                             {message}; counters added up instead",
                            entry.name,
                            entry.path.display()
                        );
                        merge::merge_all(&values)
                    }
                    None => merge::merge_all(&values),
                };
                (name, value)
            })
            .collect()
    }
}

/// What a plugin's config strings may hold to differ per capture worker:
/// `output = "netraf.w{worker}.log"` gives worker 0 `netraf.w0.log`, worker
/// 1 `netraf.w1.log`, and so on (one worker is worker 0).
pub const WORKER_PLACEHOLDER: &str = "{worker}";

/// `config` (TOML text) with [`WORKER_PLACEHOLDER`] replaced by `worker` in
/// every string value, nested tables and arrays included (keys stay as they
/// are). Text without the placeholder is returned as it is.
pub fn for_worker(config: &str, worker: usize) -> String {
    if !config.contains(WORKER_PLACEHOLDER) {
        return config.to_string();
    }
    fn walk(value: &mut toml::Value, worker: &str) {
        match value {
            toml::Value::String(s) => *s = s.replace(WORKER_PLACEHOLDER, worker),
            toml::Value::Array(items) => items.iter_mut().for_each(|v| walk(v, worker)),
            toml::Value::Table(table) => table.iter_mut().for_each(|(_, v)| walk(v, worker)),
            _ => {}
        }
    }
    // The text was made from a parsed table (config.rs), so it parses again;
    // if it ever did not, the plugin gets it unchanged and says what is wrong.
    let Ok(mut value) = config.parse::<toml::Table>().map(toml::Value::Table) else {
        return config.to_string();
    };
    walk(&mut value, &worker.to_string());
    toml::to_string(&value).unwrap_or_else(|_| config.to_string())
}

struct Slot {
    name: String,
    path: PathBuf,
    handler: Handler,
    /// The plugin's own filter: it sees only the packets this keeps (boxed:
    /// the slots of a chain without filters stay small).
    filter: Option<Box<PacketFilter>>,
    /// Why the plugin was disabled, if it was.
    failed: Option<String>,
    /// What the metrics read of this instance (see [`Chain::publish`]).
    counters: Arc<PluginCounters>,
    /// Packets handed to this instance.
    packets: u64,
    /// The published count this instance's goes on from (an earlier
    /// chain's, after a reload).
    base: u64,
}

/// Hands `packet` to every enabled plugin of `slots` in order, until one
/// answers [`Verdict::Stop`] or [`Verdict::End`] (the first to end is
/// kept in `ended_by`); how many plugins saw it. With `timed`, each call's
/// time is counted for the metrics' estimate (see [`SAMPLE_EVERY`]).
#[inline]
fn deliver(
    slots: &mut [Slot],
    ended_by: &mut Option<usize>,
    packet: &Packet<'_>,
    timed: bool,
) -> usize {
    let mut seen = 0;
    for (i, slot) in slots.iter_mut().enumerate() {
        if slot.failed.is_some() {
            continue;
        }
        if slot.filter.is_some() && !plugin_filter_keeps(&mut slot.filter, packet) {
            continue;
        }
        seen += 1;
        slot.packets += 1;
        let verdict = if timed {
            timed_call(slot, packet)
        } else {
            slot.handler.on_packet(packet)
        };
        match verdict {
            Ok(Verdict::Continue) => {}
            Ok(Verdict::Stop) => break,
            Ok(Verdict::End) => {
                if ended_by.is_none() {
                    log::info!(
                        "plugin '{}' ({}) ended the run",
                        slot.name,
                        slot.path.display()
                    );
                    *ended_by = Some(i);
                }
                break;
            }
            Err(message) => disable(slot, "on_packet", message),
        }
    }
    seen
}

/// A plugin's `on_packet`, timed for the metrics: out of line, as it runs
/// for one packet in [`SAMPLE_EVERY`].
#[inline(never)]
fn timed_call(slot: &mut Slot, packet: &Packet<'_>) -> Result<Verdict, String> {
    let started = Instant::now();
    let verdict = slot.handler.on_packet(packet);
    slot.counters.add_sampled(started.elapsed());
    verdict
}

/// Whether a plugin's filter keeps the packet: out of line, so that a chain
/// without filters runs the loop it ran before.
#[inline(never)]
fn plugin_filter_keeps(filter: &mut Option<Box<PacketFilter>>, packet: &Packet<'_>) -> bool {
    filter.as_mut().map_or(true, |f| f.keeps_packet(packet))
}

/// One instance of every plugin, in order, with the tick clock.
pub struct Chain {
    slots: Vec<Slot>,
    clock: TickClock,
    /// Where each packet is decoded, once for every plugin.
    decoder: PacketDecoder,
    /// Packets handed to the chain.
    packets: u64,
    /// The plugin that answered [`Verdict::End`], if one did.
    ended_by: Option<usize>,
    /// Whether [`Chain::shutdown`] ran: it runs once, at the latest when the
    /// chain is dropped, so that every way out of the program flushes.
    shut_down: bool,
}

impl Default for Chain {
    fn default() -> Self {
        Chain::new()
    }
}

impl Chain {
    /// An empty chain.
    pub fn new() -> Chain {
        Chain {
            slots: Vec::new(),
            clock: TickClock::new(),
            decoder: PacketDecoder::new(),
            packets: 0,
            ended_by: None,
            shut_down: false,
        }
    }

    /// Appends a handler under `name` (its library at `path`, for messages).
    pub fn push(&mut self, name: &str, path: PathBuf, handler: Handler) {
        self.push_filtered(name, path, handler, None);
    }

    /// Appends a handler that sees only the packets `filter` keeps.
    pub fn push_filtered(
        &mut self,
        name: &str,
        path: PathBuf,
        handler: Handler,
        filter: Option<PacketFilter>,
    ) {
        self.slots.push(Slot {
            name: name.to_string(),
            path,
            handler,
            filter: filter.map(Box::new),
            failed: None,
            counters: Arc::default(),
            packets: 0,
            base: 0,
        });
    }

    /// Publishes this chain's plugin counters in `live` as worker
    /// `worker`'s instances (an earlier chain's counters of the same plugin
    /// name go on: a reload's chain continues them).
    pub fn publish(&mut self, live: &LiveCounters, worker: usize) {
        for slot in &mut self.slots {
            slot.counters = live.plugin(&slot.name, worker);
            slot.counters.restart();
            slot.base = slot.counters.packets();
        }
    }

    /// Publishes each plugin's packet count for the metrics: on every tick
    /// (about once a second) and at the end, not per packet.
    fn publish_counts(&self) {
        for slot in &self.slots {
            slot.counters.set_packets(slot.base + slot.packets);
        }
    }

    /// Packets handed to the chain by [`Chain::on_packet`] (none are
    /// counted while it has no plugin).
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Number of plugins in the chain (disabled ones included).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the chain has no plugin.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The plugins disabled after an error, with the message.
    pub fn failures(&self) -> Vec<(&str, &str)> {
        self.slots
            .iter()
            .filter_map(|s| s.failed.as_deref().map(|m| (s.name.as_str(), m)))
            .collect()
    }

    /// The name of the plugin that answered [`Verdict::End`]: the run should
    /// end cleanly (the capture loop stops, the plugins shut down and report).
    pub fn ended(&self) -> Option<&str> {
        self.ended_by.map(|i| self.slots[i].name.as_str())
    }

    /// Decodes the packet once and hands it to every enabled plugin in order,
    /// until one answers [`Verdict::Stop`] or [`Verdict::End`] (see
    /// [`Chain::ended`]). Ticks first when the packet's time
    /// crossed a tick boundary. Returns how many plugins saw the packet.
    pub fn on_packet(&mut self, header: &PacketHeader<'_>, data: &[u8]) -> usize {
        if self.slots.is_empty() {
            // Capture alone: nothing to decode for.
            return 0;
        }
        self.packets += 1;
        self.advance(header.ts_ns);
        let packet = self.decoder.decode(header, data);
        let timed = self.packets % u64::from(SAMPLE_EVERY) == 0;
        deliver(&mut self.slots, &mut self.ended_by, packet, timed)
    }

    /// Hands an already decoded packet to the chain (no tick, no timing).
    pub fn deliver(&mut self, packet: &Packet<'_>) -> usize {
        deliver(&mut self.slots, &mut self.ended_by, packet, false)
    }

    /// Moves the chain's clock to `now_ns` (packet time, or wall time on an
    /// idle live link), calling `on_tick` once if a tick boundary was crossed.
    /// Time going backwards is ignored.
    pub fn advance(&mut self, now_ns: u64) {
        let Some(at) = self.clock.advance(now_ns) else {
            return;
        };
        for slot in &mut self.slots {
            if slot.failed.is_none() {
                if let Err(message) = slot.handler.on_tick(at) {
                    disable(slot, "on_tick", message);
                }
            }
        }
        self.publish_counts();
    }

    /// Every plugin's report, in order: `(name, JSON)`; `null` for a plugin
    /// whose report failed or was not valid JSON (the reason is logged).
    /// Callable after [`Chain::shutdown`], which is how the host uses it.
    pub fn reports(&mut self) -> Vec<(String, serde_json::Value)> {
        self.slots
            .iter_mut()
            .map(|slot| {
                let value = match slot.handler.report() {
                    Ok(text) => match serde_json::from_str(&text) {
                        Ok(value) => value,
                        Err(e) => {
                            log::error!(
                                "plugin '{}' ({}): report is not valid JSON: {e}",
                                slot.name,
                                slot.path.display()
                            );
                            serde_json::Value::Null
                        }
                    },
                    Err(message) => {
                        log::error!(
                            "plugin '{}' ({}): report failed: {message}",
                            slot.name,
                            slot.path.display()
                        );
                        serde_json::Value::Null
                    }
                };
                (slot.name.clone(), value)
            })
            .collect()
    }

    /// Runs every plugin's `shutdown` (disabled ones too, so that they can
    /// flush), logging failures. Only the first call does anything; dropping
    /// a chain that was not shut down shuts it down.
    pub fn shutdown(&mut self) {
        if std::mem::replace(&mut self.shut_down, true) {
            return;
        }
        self.publish_counts();
        for slot in &mut self.slots {
            if let Err(message) = slot.handler.shutdown() {
                log::error!(
                    "plugin '{}' ({}): shutdown failed: {message}",
                    slot.name,
                    slot.path.display()
                );
            }
        }
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn disable(slot: &mut Slot, hook: &str, message: String) {
    slot.counters.add_error(true);
    log::error!(
        "plugin '{}' ({}): {hook} failed: {message}; plugin disabled, capture goes on",
        slot.name,
        slot.path.display()
    );
    slot.failed = Some(message);
}

#[cfg(test)]
mod tests {
    use super::*;
    use mycap_core::{LinkType, PacketType};

    #[test]
    fn worker_placeholders_are_replaced_in_string_values_only() {
        let text =
            "output = \"log.w{worker}.txt\"\nkeep = 5\n[nested]\nlist = [\"a{worker}\", \"b\"]\n";
        let w1: toml::Table = for_worker(text, 1).parse().unwrap();
        assert_eq!(w1["output"].as_str(), Some("log.w1.txt"));
        assert_eq!(w1["keep"].as_integer(), Some(5));
        assert_eq!(w1["nested"]["list"][0].as_str(), Some("a1"));
        assert_eq!(w1["nested"]["list"][1].as_str(), Some("b"));
        let plain = "output = \"-\"\n";
        assert_eq!(
            for_worker(plain, 3),
            plain,
            "text without the placeholder is untouched"
        );
        assert_eq!(for_worker("", 3), "");
    }

    #[test]
    fn an_empty_chain_sees_nothing_and_reports_nothing() {
        let mut chain = Chain::new();
        let header = PacketHeader {
            ts_ns: 1,
            caplen: 0,
            len: 0,
            ifindex: 1,
            ifname: "lo",
            pkttype: PacketType::Host,
            link_type: LinkType::ETHERNET,
            vlan: None,
        };
        assert_eq!(chain.on_packet(&header, &[]), 0);
        chain.advance(5 * TICK_NS);
        assert!(chain.is_empty());
        assert!(chain.reports().is_empty());
        assert!(chain.failures().is_empty());
    }
}
