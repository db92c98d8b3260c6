//! The config file as written: the raw tables with the spans of their values, and the line of every key of each plugin's `config` table.

use serde::Deserialize;
use toml::Spanned;

use super::error::LineMap;

/// The file as written: every table and key it may hold, with the byte
/// range of each value that a check may point at.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) plugin_dir: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) capture: Option<Spanned<RawCapture>>,
    #[serde(default)]
    pub(super) plugin: Vec<RawPlugin>,
}

/// The `[capture]` table as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCapture {
    pub(super) interface: Option<Spanned<String>>,
    pub(super) read: Option<Spanned<String>>,
    pub(super) snaplen: Option<Spanned<i64>>,
    pub(super) promiscuous: Option<bool>,
    pub(super) ring_size: Option<Spanned<i64>>,
    pub(super) netns: Option<Spanned<String>>,
    pub(super) workers: Option<Spanned<i64>>,
    pub(super) fanout: Option<Spanned<String>>,
}

/// One `[[plugin]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlugin {
    pub(super) name: Spanned<String>,
    pub(super) path: Spanned<String>,
    #[serde(default = "enabled_default")]
    pub(super) enabled: bool,
    #[serde(default)]
    pub(super) config: Option<toml::Table>,
}

fn enabled_default() -> bool {
    true
}

/// The line of every key under the `config` table of each `[[plugin]]` in
/// `text` (a config that parsed), by dotted path: one list per plugin.
pub(super) fn plugin_config_lines(text: &str, lines: &LineMap) -> Vec<Vec<(String, usize)>> {
    fn walk(
        lines: &LineMap,
        prefix: &str,
        table: &dyn toml_edit::TableLike,
        out: &mut Vec<(String, usize)>,
    ) {
        for (name, _) in table.iter() {
            let Some((key, item)) = table.get_key_value(name) else {
                continue;
            };
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}.{name}")
            };
            if let Some(span) = key.span() {
                out.push((path.clone(), lines.line_of(span.start)));
            }
            if let Some(inner) = item.as_table_like() {
                walk(lines, &path, inner, out);
            }
        }
    }
    let Ok(doc) = toml_edit::ImDocument::parse(text) else {
        return Vec::new();
    };
    let Some(plugins) = doc
        .as_table()
        .get("plugin")
        .and_then(toml_edit::Item::as_array_of_tables)
    else {
        return Vec::new();
    };
    plugins
        .iter()
        .map(|plugin| {
            let mut found = Vec::new();
            if let Some((key, item)) = plugin.get_key_value("config") {
                if let Some(span) = key.span() {
                    found.push((String::new(), lines.line_of(span.start)));
                }
                if let Some(table) = item.as_table_like() {
                    walk(lines, "", table, &mut found);
                }
            }
            found
        })
        .collect()
}
