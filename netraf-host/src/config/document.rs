//! The one parse of a config file: the TOML document, deserialized with the spans of its values into the raw tables, and the line of every key of each plugin's `config` table found in the same document.

use plugin_api::ConfigText;
use serde::Deserialize;
use toml::Spanned;

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
    #[serde(default)]
    pub(super) metrics: Option<RawMetrics>,
}

/// The `[metrics]` table as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    pub(super) listen: Option<Spanned<String>>,
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
    pub(super) user: Option<Spanned<String>>,
    pub(super) filter: Option<Spanned<String>>,
    pub(super) direction: Option<Spanned<String>>,
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
    pub(super) filter: Option<Spanned<String>>,
}

fn enabled_default() -> bool {
    true
}

/// The line of every key of one plugin's `config` table, by dotted path
/// (`""` for the table itself).
pub(super) type KeyLines = Vec<(String, usize)>;

/// Parses the config `text` once: its raw tables, and the key lines of each
/// `[[plugin]]`'s `config` table, one list per plugin in order.
///
/// # Errors
/// TOML's error (syntax, unknown key, wrong type), with its byte range.
pub(super) fn parse(
    text: &ConfigText<'_>,
) -> Result<(RawConfig, Vec<KeyLines>), toml_edit::de::Error> {
    let doc = toml_edit::ImDocument::parse(text.text())?;
    let key_lines = plugin_config_lines(&doc, text);
    let raw = RawConfig::deserialize(toml_edit::de::Deserializer::from(doc))?;
    Ok((raw, key_lines))
}

/// The line of every key under the `config` table of each `[[plugin]]` in
/// `doc`, by dotted path: one list per plugin.
fn plugin_config_lines(doc: &toml_edit::ImDocument<&str>, text: &ConfigText<'_>) -> Vec<KeyLines> {
    fn walk(
        text: &ConfigText<'_>,
        prefix: &str,
        table: &dyn toml_edit::TableLike,
        out: &mut KeyLines,
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
                out.push((path.clone(), text.line_of(span.start)));
            }
            if let Some(inner) = item.as_table_like() {
                walk(text, &path, inner, out);
            }
        }
    }
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
                    found.push((String::new(), text.line_of(span.start)));
                }
                if let Some(table) = item.as_table_like() {
                    walk(text, "", table, &mut found);
                }
            }
            found
        })
        .collect()
}
