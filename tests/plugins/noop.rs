//! A plugin that lets every packet through untouched: what a chain costs per plugin, measured by netraf-host's chain benchmark.

use plugin_api::{Packet, Plugin, Verdict};

/// The no-op plugin: no state.
pub struct Noop;

impl Plugin for Noop {
    fn new(_config: &str) -> Result<Self, String> {
        Ok(Noop)
    }

    fn on_packet(&mut self, _packet: &Packet<'_>) -> Result<Verdict, String> {
        Ok(Verdict::Continue)
    }
}

plugin_api::export_plugin! {
    plugin: Noop,
    name: "noop",
    description: "lets every packet through untouched (for benchmarks)",
}
