//! The plugin chain: load the libraries a config lists, make one instance of each, and run every packet through them in order.

use std::path::PathBuf;

use abi_stable::std_types::{RResult, RStr};
use mycap_core::PacketHeader;
use plugin_api::{HandlerBox, Packet, PacketSummary, Verdict};

use crate::config::PluginEntry;
use crate::decode;
use crate::loader::{self, Library, LoadError};

/// How often plugins get `on_tick`, in nanoseconds of packet (or wall) time.
pub const TICK_NS: u64 = 1_000_000_000;

/// The loaded libraries of a config's enabled plugins, in chain order. Makes
/// as many chains as needed (one per capture worker).
#[derive(Debug, Clone)]
pub struct ChainSpec {
    entries: Vec<(PluginEntry, Library)>,
}

impl ChainSpec {
    /// Loads the library of every enabled plugin.
    ///
    /// # Errors
    /// Every library that failed to load, not only the first.
    pub fn load(plugins: &[PluginEntry]) -> Result<ChainSpec, Vec<LoadError>> {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for entry in plugins.iter().filter(|p| p.enabled) {
            match loader::load(&entry.path) {
                Ok(library) => entries.push((entry.clone(), library)),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(ChainSpec { entries })
        } else {
            Err(errors)
        }
    }

    /// The loaded plugins with their config entries.
    pub fn entries(&self) -> &[(PluginEntry, Library)] {
        &self.entries
    }

    /// Makes a new chain: one fresh instance of every plugin.
    ///
    /// # Errors
    /// One line per plugin whose constructor refused its config:
    /// `plugin 'NAME' (PATH, config line N): MESSAGE`.
    pub fn instantiate(&self) -> Result<Chain, Vec<String>> {
        let mut chain = Chain::new();
        let mut errors = Vec::new();
        for (entry, library) in &self.entries {
            match library.instantiate(&entry.config) {
                Ok(handler) => chain.push(&entry.name, entry.path.clone(), handler),
                Err(message) => errors.push(format!(
                    "plugin '{}' ({}, config line {}): {message}",
                    entry.name,
                    entry.path.display(),
                    entry.line
                )),
            }
        }
        if errors.is_empty() {
            Ok(chain)
        } else {
            Err(errors)
        }
    }
}

struct Slot {
    name: String,
    path: PathBuf,
    handler: HandlerBox,
    /// Why the plugin was disabled, if it was.
    failed: Option<String>,
}

/// One instance of every plugin, in order, with the tick clock.
pub struct Chain {
    slots: Vec<Slot>,
    next_tick_ns: u64,
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
            next_tick_ns: 0,
        }
    }

    /// Appends a handler under `name` (its library at `path`, for messages).
    pub fn push(&mut self, name: &str, path: PathBuf, handler: HandlerBox) {
        self.slots.push(Slot {
            name: name.to_string(),
            path,
            handler,
            failed: None,
        });
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

    /// Decodes the packet once and hands it to every enabled plugin in order,
    /// until one answers [`Verdict::Stop`]. Ticks first when the packet's time
    /// crossed a tick boundary. Returns how many plugins saw the packet.
    pub fn on_packet(&mut self, header: &PacketHeader<'_>, data: &[u8]) -> usize {
        if self.slots.is_empty() {
            // Capture alone: nothing to decode for.
            return 0;
        }
        self.advance(header.ts_ns);
        let summary = decode::summarize(header, data);
        self.deliver(header, data, &summary)
    }

    /// Hands a packet with an already decoded summary to the chain (no tick).
    pub fn deliver(
        &mut self,
        header: &PacketHeader<'_>,
        data: &[u8],
        summary: &PacketSummary,
    ) -> usize {
        let packet = Packet {
            ts_ns: header.ts_ns,
            caplen: header.caplen,
            len: header.len,
            ifindex: header.ifindex,
            pkttype: header.pkttype.to_sll(),
            ifname: RStr::from_str(header.ifname),
            data: data.into(),
            summary,
        };
        let mut seen = 0;
        for slot in &mut self.slots {
            if slot.failed.is_some() {
                continue;
            }
            seen += 1;
            match slot.handler.on_packet(&packet) {
                RResult::ROk(Verdict::Continue) => {}
                RResult::ROk(Verdict::Stop) => break,
                RResult::RErr(message) => disable(slot, "on_packet", message.into_string()),
            }
        }
        seen
    }

    /// Moves the chain's clock to `now_ns` (packet time, or wall time on an
    /// idle live link), calling `on_tick` once if a tick boundary was crossed.
    /// Time going backwards is ignored.
    pub fn advance(&mut self, now_ns: u64) {
        if self.next_tick_ns == 0 {
            self.next_tick_ns = now_ns.saturating_add(TICK_NS);
            return;
        }
        if now_ns < self.next_tick_ns {
            return;
        }
        // A tick every second of packet time from the first packet; after a
        // gap of several seconds, one tick at `now`, and the clock realigns.
        let at = if now_ns - self.next_tick_ns >= TICK_NS {
            now_ns
        } else {
            self.next_tick_ns
        };
        self.next_tick_ns = at.saturating_add(TICK_NS);
        for slot in &mut self.slots {
            if slot.failed.is_none() {
                if let RResult::RErr(message) = slot.handler.on_tick(at) {
                    disable(slot, "on_tick", message.into_string());
                }
            }
        }
    }

    /// Every plugin's report, in order: `(name, JSON)`; `null` for a plugin
    /// whose report failed or was not valid JSON (the reason is logged).
    /// Callable after [`Chain::shutdown`], which is how the host uses it.
    pub fn reports(&mut self) -> Vec<(String, serde_json::Value)> {
        self.slots
            .iter_mut()
            .map(|slot| {
                let value = match slot.handler.report() {
                    RResult::ROk(text) => match serde_json::from_str(text.as_str()) {
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
                    RResult::RErr(message) => {
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
    /// flush), logging failures.
    pub fn shutdown(&mut self) {
        for slot in &mut self.slots {
            if let RResult::RErr(message) = slot.handler.shutdown() {
                log::error!(
                    "plugin '{}' ({}): shutdown failed: {message}",
                    slot.name,
                    slot.path.display()
                );
            }
        }
    }
}

fn disable(slot: &mut Slot, hook: &str, message: String) {
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
