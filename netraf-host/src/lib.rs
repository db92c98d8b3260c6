//! netraf-host's library side: config, plugin loading, the chain, the report, the signals, dropping privileges and the program's flow, for the binary, tests and benchmarks.

pub mod app;
mod capture_filter;
pub mod chain;
pub mod cli;
pub mod config;
mod control;
pub mod failure;
mod interface_list;
#[allow(unsafe_code)]
pub mod library_copy;
pub mod loader;
pub mod merge;
pub mod metrics;
pub mod packet_filter;
mod plugin_list;
pub mod plugin_trust;
#[allow(unsafe_code)]
pub mod privileges;
pub mod reload;
pub mod report;
mod sessions;
pub mod signals;
pub mod status;
mod workers;
