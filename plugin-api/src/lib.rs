//! netraf's stable plugin ABI: what a handler plugin (`.so`) exports and what the host hands it per packet.
//!
//! A plugin is a `cdylib` crate that depends on this crate alone. It implements
//! [`Plugin`] for its state and exports it with [`export_plugin!`]:
//!
//! ```
//! use plugin_api::{Packet, Plugin, Verdict};
//!
//! #[derive(Default)]
//! pub struct Tally {
//!     packets: u64,
//! }
//!
//! impl Plugin for Tally {
//!     fn new(_config: &str) -> Result<Self, String> {
//!         Ok(Tally::default())
//!     }
//!     fn on_packet(&mut self, _packet: &Packet<'_>) -> Result<Verdict, String> {
//!         self.packets += 1;
//!         Ok(Verdict::Continue)
//!     }
//!     fn report(&mut self) -> Result<String, String> {
//!         Ok(format!("{{\"packets\": {}}}", self.packets))
//!     }
//! }
//!
//! plugin_api::export_plugin! {
//!     plugin: Tally,
//!     name: "tally",
//!     description: "counts packets",
//! }
//! ```
//!
//! The host loads the library, checks with abi_stable that the plugin was built
//! against a compatible version of this crate (layouts of every type crossing
//! the boundary, and the version number), then calls the constructor with the
//! plugin's `config` table as TOML text.
//!
//! Text from the input (an interface name, a file name) goes through
//! [`escape`] or [`write_escaped`] before a plugin writes it in a text line,
//! and through [`write_json_str`] into JSON, so that control characters in
//! it neither forge lines nor reach a terminal raw.
//!
//! plugin-api has its own version: its minor number goes up whenever a type
//! that crosses the boundary changes layout (0.2: [`Packet`] carries the VLAN
//! tag the kernel stripped, and [`Verdict::End`] ends the run), so that the
//! host refuses a plugin built against an older one with a line naming both
//! versions.
// abi_stable's derive macros expand to items that trip these lints.
#![allow(non_local_definitions, non_camel_case_types)]

mod adapter;
mod clock;
mod config_text;
mod decoding;
mod export;
// The modules whose types cross the boundary: unsafe code (each block with
// its reason) and abi_stable's derive macros, which expand to unsafe code.
#[allow(unsafe_code)]
mod handler;
mod kinds;
#[allow(unsafe_code)]
mod mac_text;
#[allow(unsafe_code)]
mod module;
pub mod output_file;
mod packet;
mod panic_guard;
mod plugin;
mod test_kit;
mod text;
mod tick_clock;

pub use adapter::{construct, merge_reports, MergeReportsFn, MERGE_REPORTS_SYMBOL};
pub use capture_file::{LinkType, PacketHeader, PacketType, StrippedVlan};
pub use clock::wall_ns;
pub use config_text::{parse_config, ConfigText, KeyAt, KEY_PREFIX};
pub use handler::{Handler, Hooks, RawHandler, Verdict};
pub use kinds::{Network, Transport};
pub use mac_text::MacText;
pub use module::{PluginMod, PluginMod_Ref};
pub use packet::Packet;
pub use panic_guard::guard;
pub use plugin::Plugin;
pub use test_kit::TestKit;
pub use text::{escape, is_control, json_for_terminal, write_escaped, write_json_str, Escaped};
pub use tick_clock::{TickClock, TICK_NS};

/// netraf's decoding crate, for plugins that go deeper than [`Packet`]'s
/// fields (a tunnel's inner packet, a header's every field): its views
/// read the bytes of [`Packet::data`] at the spans the packet gives.
pub use netraf_wire as wire;

/// The crates the plugin-side macro expansion names; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use abi_stable;
}

/// Re-exported so that plugins can parse their config without their own dependency.
pub use serde;
/// Re-exported so that plugins can parse their config without their own dependency.
pub use toml;

/// This crate's ABI version (`MAJOR.MINOR` of its package version): a plugin
/// loads into a host whose plugin-api has the same major version and (for 0.x)
/// the same minor version.
pub const ABI_VERSION: &str = abi_version(env!("CARGO_PKG_VERSION"));

/// `MAJOR.MINOR` of a `MAJOR.MINOR.PATCH` version string.
const fn abi_version(version: &'static str) -> &'static str {
    let bytes = version.as_bytes();
    let mut dots = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'.' {
            dots += 1;
            if dots == 2 {
                let (head, _) = bytes.split_at(i);
                return match core::str::from_utf8(head) {
                    Ok(s) => s,
                    Err(_) => version,
                };
            }
        }
        i += 1;
    }
    version
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_version_is_major_minor() {
        assert_eq!(abi_version("0.1.0"), "0.1");
        assert_eq!(abi_version("12.34.56-rc1"), "12.34");
        assert_eq!(abi_version("3"), "3");
        assert!(env!("CARGO_PKG_VERSION").starts_with(ABI_VERSION));
    }
}
