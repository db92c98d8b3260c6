//! A plugin built against plugin-api grown as 1.1 would grow (a packet field `ip_tos`, a hook `on_flush`): what it sees of the 1.1 additions in a 1.1 host and in a 1.0 host. With the feature `strict` it requires 1.1.

use plugin_api::{Packet, Plugin, Verdict};

/// Tallies of the 1.1 additions.
#[derive(Default)]
pub struct Tos {
    packets: u64,
    tos_seen: u64,
    tos_sum: u64,
    flushes: u64,
}

impl Plugin for Tos {
    fn new(_config: &str) -> Result<Self, String> {
        Ok(Tos::default())
    }

    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        self.packets += 1;
        if let Some(tos) = packet.ip_tos() {
            self.tos_seen += 1;
            self.tos_sum += u64::from(tos);
        }
        Ok(Verdict::Continue)
    }

    fn on_flush(&mut self) -> Result<(), String> {
        self.flushes += 1;
        Ok(())
    }

    fn report(&mut self) -> Result<String, String> {
        Ok(format!(
            "{{\"packets\":{},\"tos_seen\":{},\"tos_sum\":{},\"flushes\":{}}}",
            self.packets, self.tos_seen, self.tos_sum, self.flushes
        ))
    }
}

#[cfg(not(feature = "strict"))]
plugin_api::export_plugin! {
    plugin: Tos,
    name: "tos",
    description: "reads the packet field and the hook plugin-api 1.1 adds",
}

#[cfg(feature = "strict")]
plugin_api::export_plugin! {
    plugin: Tos,
    name: "tos",
    description: "reads the packet field and the hook plugin-api 1.1 adds, and needs them",
    requires: "1.1",
}
