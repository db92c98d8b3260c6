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
//! The host loads the library, checks its root module with abi_stable and
//! its requirement against the host's version, then calls the constructor
//! with the plugin's `config` table as TOML text, and hands every instance
//! each [`Packet`] decoded once for all plugins. [`TestKit`] does the same in
//! a plugin's own `cargo test`.
//!
//! Text from the input (an interface name, a file name) goes through
//! [`escape`] or [`write_escaped`] before a plugin writes it in a text line,
//! and through [`write_json_str`] into JSON, so that control characters in
//! it neither forge lines nor reach a terminal raw.
//!
#![doc = include_str!("../README.md")]
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
mod metrics;
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
pub use clock::{civil, wall_ns};
pub use config_text::{parse_config, ConfigText, KeyAt, KEY_PREFIX};
pub use handler::{Handler, Hooks, RawHandler, Verdict};
pub use kinds::{Network, Transport};
pub use mac_text::MacText;
pub use metrics::{
    check_spec, gauge_value, Counter, Gauge, Host, HostServices, MetricKind, MetricRegistry,
    MetricSpec, RESERVED_LABELS,
};
pub use module::{PluginMod, PluginMod_Ref, ABI_VERSION};
pub use packet::{Packet, PacketDecoder};
pub use panic_guard::{guard, panic_message};
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
    pub use crate::module::version_met;
    pub use abi_stable;
}

/// Re-exported so that plugins can parse their config without their own dependency.
pub use serde;
/// Re-exported so that plugins can parse their config without their own dependency.
pub use toml;
