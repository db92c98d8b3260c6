//! Where plugin libraries are looked up: a `[[plugin]] path` resolved against the config's folder or the plugin directory.

use std::path::{Path, PathBuf};

/// Where a `[[plugin]] path` points: a bare library name (`netraf_count`, or
/// `libnetraf_count.so`) is looked up in `plugin_dir`; anything with a `/` is
/// a path, relative to `config_dir` unless absolute.
pub fn resolve_plugin_path(path: &str, config_dir: &Path, plugin_dir: &Path) -> PathBuf {
    if path.contains('/') {
        config_dir.join(path)
    } else if path.ends_with(".so") || path.contains(".so.") {
        plugin_dir.join(path)
    } else {
        plugin_dir.join(format!("lib{path}.so"))
    }
}

/// The plugin directory used when neither the config nor the command line
/// sets one: the folder of the running executable (where `cargo build` puts
/// the plugin libraries next to `netraf-host`).
pub fn default_plugin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| PathBuf::from("."))
}
