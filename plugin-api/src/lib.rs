//! netraf's stable plugin ABI: what a handler plugin (`.so`) exports and what the host hands it per packet.
// abi_stable's derive macros expand to items that trip these lints.
#![allow(non_local_definitions, non_camel_case_types)]

mod summary;

pub use summary::{Network, PacketSummary, Transport};
