//! The flow plugin: a bidirectional connection table keyed by the outermost IP 5-tuple (and VLAN id), with Zeek's `conn.log` fields and state, the Community ID, top talkers and IPFIX export.

pub mod ipfix;
pub mod record;

use plugin_api::{Packet, Plugin, Verdict};

/// The flow plugin's state.
pub struct Flow {}

impl Plugin for Flow {
    fn new(_config: &str) -> Result<Self, String> {
        Ok(Flow {})
    }

    fn on_packet(&mut self, _packet: &Packet<'_>) -> Result<Verdict, String> {
        Ok(Verdict::Continue)
    }
}

plugin_api::export_plugin! {
    plugin: Flow,
    name: "flow",
    description: "flow table: Zeek conn.log records with Community ID, top talkers, IPFIX export",
}
