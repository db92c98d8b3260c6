//! arp-watch: a netraf plugin that counts ARP frames.

use plugin_api::{Network, Packet, Plugin, Verdict};

/// Counts ARP frames; its config may set `label`.
pub struct ArpWatch {
    label: String,
    arp: u64,
}

#[derive(plugin_api::serde::Deserialize)]
#[serde(crate = "plugin_api::serde", deny_unknown_fields)]
struct Settings {
    #[serde(default)]
    label: String,
}

impl Plugin for ArpWatch {
    fn new(config: &str) -> Result<Self, String> {
        let settings: Settings = plugin_api::parse_config(config)?;
        Ok(ArpWatch { label: settings.label, arp: 0 })
    }

    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        if packet.network() == Network::Arp {
            self.arp += 1;
        }
        Ok(Verdict::Continue)
    }

    fn report(&mut self) -> Result<String, String> {
        Ok(format!("{{\"label\": {:?}, \"arp\": {}}}", self.label, self.arp))
    }
}

plugin_api::export_plugin! {
    plugin: ArpWatch,
    name: "arp-watch",
    description: "counts ARP frames",
}
