//! plugin-api 1.0 as a plugin author built against it, frozen: the modules that make the ABI, copied from `plugin-api/src` (the evolution test holds them equal while plugin-api is 1.0.x), without the helpers that cross no boundary.
#![allow(non_local_definitions, non_camel_case_types)]

mod adapter;
mod decoding;
mod export;
#[allow(unsafe_code)]
mod handler;
mod kinds;
#[allow(unsafe_code)]
mod module;
mod packet;
mod panic_guard;
mod plugin;
mod tick_clock;

pub use adapter::{construct, merge_reports, MergeReportsFn, MERGE_REPORTS_SYMBOL};
pub use capture_file::{LinkType, PacketHeader, PacketType, StrippedVlan};
pub use handler::{Handler, Hooks, RawHandler, Verdict};
pub use kinds::{Network, Transport};
pub use module::{PluginMod, PluginMod_Ref, ABI_VERSION};
pub use packet::Packet;
pub use panic_guard::guard;
pub use plugin::Plugin;
pub use tick_clock::{TickClock, TICK_NS};

/// The crates the plugin-side macro expansion names.
#[doc(hidden)]
pub mod __private {
    pub use crate::module::version_met;
    pub use abi_stable;
}
