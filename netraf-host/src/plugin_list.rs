//! `--list-plugins`: the config's plugins, then every other plugin library in the plugin directory, as a table.

use std::path::{Path, PathBuf};

use crate::cli::Cli;
use crate::config::{default_plugin_dir, Config};
use crate::failure::Failure;
use crate::loader;

fn plugin_dir(cli: &Cli) -> PathBuf {
    cli.plugin_dir.clone().unwrap_or_else(default_plugin_dir)
}

/// `--list-plugins`: the config's plugins, then every other plugin library in
/// the plugin directory.
pub(crate) fn list(cli: &Cli, config: Option<&Config>) -> Result<(), Failure> {
    let mut paths: Vec<(PathBuf, bool)> = Vec::new();
    let mut dir = plugin_dir(cli);
    if let Some(config) = config {
        dir = config.plugin_dir.clone();
        paths.extend(config.plugins.iter().map(|p| (p.path.clone(), true)));
    }
    let mut in_dir: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "so"))
                .collect()
        })
        .unwrap_or_default();
    in_dir.sort();
    for p in in_dir {
        let known = paths.iter().any(|(q, _)| same_file(q, &p));
        if !known {
            paths.push((p, false));
        }
    }
    let mut rows = Vec::new();
    let mut failed = 0;
    for (path, named) in &paths {
        match loader::load(path) {
            Ok(lib) => rows.push(
                [
                    lib.name().to_string(),
                    lib.version().to_string(),
                    lib.abi_version().to_string(),
                    path.display().to_string(),
                    lib.description().to_string(),
                ]
                .map(|cell| plugin_api::escape(&cell).to_string()),
            ),
            Err(e) if *named => {
                failed += 1;
                log::error!("cannot load plugin: {e}");
            }
            // Likely a plugin, which would vanish from the list unexplained.
            Err(e) if e.untrusted => log::warn!("not listing {e}"),
            // Other libraries in the folder that are not plugins are not listed.
            Err(e) => log::debug!("skipping {}: {}", path.display(), e.reason),
        }
    }
    let header = ["NAME", "VERSION", "ABI", "PATH", "DESCRIPTION"].map(String::from);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let [a, b, c, d, e] = row;
        let [wa, wb, wc, wd] = widths;
        println!("{a:<wa$}  {b:<wb$}  {c:<wc$}  {d:<wd$}  {e}");
    }
    if failed > 0 {
        return Err(Failure::Setup(format!(
            "{failed} plugin(s) named in the config failed to load (see above)"
        )));
    }
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
