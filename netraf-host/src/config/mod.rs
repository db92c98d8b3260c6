//! The host's TOML config: the `[capture]` table and the ordered `[[plugin]]` list, with errors naming file, line and key.

mod builtin;
mod document;
mod error;
mod parse;
mod paths;
mod types;

pub use builtin::{TextOptions, WriteOptions, BUILTIN};
pub use error::ConfigError;
pub use parse::{parse_direction, MAX_CONFIG_BYTES};
pub use paths::{default_plugin_dir, resolve_plugin_path};
pub use types::{Capture, Config, Metrics, PluginEntry, Source, MAX_WORKERS};

#[cfg(test)]
mod tests;
