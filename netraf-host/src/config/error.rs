//! The config error, naming file, line and key, and how a plugin's refusal of its config table becomes one at the line of the key it names.

use std::fmt;
use std::path::PathBuf;

use super::types::PluginEntry;

/// A config error: file, line (1-based, 0 if unknown), key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The config file.
    pub file: PathBuf,
    /// 1-based line, or 0 when the whole file is concerned.
    pub line: usize,
    /// The key concerned, if known.
    pub key: Option<String>,
    /// What is wrong, with a hint.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ConfigError {}

impl PluginEntry {
    /// The one-line error for the plugin refusing its config with `message`:
    /// at the file line of the key the message names (see
    /// [`plugin_api::KEY_PREFIX`]; the line of the table holding it when the
    /// key is not written in the file), else at the plugin's `name`.
    pub fn refused(&self, message: &str) -> ConfigError {
        let named = message
            .strip_prefix(plugin_api::KEY_PREFIX)
            .and_then(|rest| rest.split_once("`: "));
        let (key, message) = match named {
            Some((key, rest)) => (Some(key), rest),
            None => (None, message),
        };
        let line = key
            .and_then(|key| {
                std::iter::successors(Some(key), |k| k.rsplit_once('.').map(|(table, _)| table))
                    .chain([""])
                    .find_map(|k| self.config_lines.iter().find(|(path, _)| path == k))
            })
            .map_or(self.line, |(_, line)| *line);
        ConfigError {
            file: self.file.clone(),
            line,
            key: key.map(str::to_string),
            message: format!(
                "plugin '{}' ({}): {message}",
                self.name,
                self.path.display()
            ),
        }
    }
}
