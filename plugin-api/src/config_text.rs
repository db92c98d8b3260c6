//! A plugin's config text parsed into its settings, with errors that name the key they concern, so that the host can point at its line.

/// Parses a plugin's config text into `T` (usually a
/// `#[derive(Deserialize)] #[serde(deny_unknown_fields)]` struct).
///
/// # Errors
/// The TOML parser's message, starting with the key it concerns when there
/// is one, e.g. "key `intervall`: unknown field `intervall`, expected
/// `interval`" (see [`KEY_PREFIX`]).
pub fn parse_config<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e| {
        let message = e.message().trim();
        match e.span().and_then(|span| key_at(text, span)) {
            Some(key) => format!("{KEY_PREFIX}{key}`: {message}"),
            None => message.to_string(),
        }
    })
}

/// How a plugin's error message names the key of its config table that it
/// concerns: "key `output`: cannot write ..." (a dotted path for a key in a
/// sub-table: "key `sub.depth`: ..."). The host then points at that key's
/// own line in the config file. [`parse_config`] writes its errors so.
pub const KEY_PREFIX: &str = "key `";

/// The key path that the byte range `span` of config `text` concerns: a key
/// (unknown field), the value of a `key = value` line (wrong type or value),
/// or a `[table]` header (a field missing from that table); with the path of
/// the table it stands in. `None` for anything else (a field missing from the
/// top level, whose span is the whole text).
fn key_at(text: &str, span: std::ops::Range<usize>) -> Option<String> {
    let line_start = text.get(..span.start)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[span.start..]
        .find('\n')
        .map_or(text.len(), |i| span.start + i);
    let line = text.get(line_start..line_end)?;
    let before = &line[..span.start - line_start];
    let trimmed = line.trim();
    if before.trim().is_empty() && trimmed.starts_with('[') {
        return Some(header(trimmed).to_string());
    }
    let equals = line.find('=')?;
    let on_key = before.trim().is_empty() && span.end <= line_start + equals;
    if !on_key && !before.contains('=') {
        return None;
    }
    let key = line[..equals].trim().trim_matches('"');
    // The table it stands in: the last `[header]` above its line.
    let table = text[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(header);
    Some(match table {
        Some(table) => format!("{table}.{key}"),
        None => key.to_string(),
    })
}

/// The name in a `[table]` or `[[array]]` header line.
fn header(line: &str) -> &str {
    line.trim_matches(|c| c == '[' || c == ']' || c == ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_config_names_the_unknown_key() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        struct C {
            #[allow(dead_code)]
            interval: u64,
        }
        let e = parse_config::<C>("intervall = 3").unwrap_err();
        assert!(
            e.starts_with("key `intervall`: unknown field `intervall`"),
            "{e}"
        );
        assert_eq!(parse_config::<C>("interval = 3").unwrap().interval, 3);
    }

    #[test]
    fn parse_config_names_the_key_of_a_wrong_value_in_its_table() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Sub {
            depth: u8,
        }
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct C {
            interval: u64,
            #[serde(default)]
            name: String,
            sub: Option<Sub>,
            #[serde(default)]
            list: Vec<u8>,
        }
        let cases = [
            (
                "name = \"a=b\"\ninterval = \"big\"\n",
                Some("interval"),
                "invalid type",
            ),
            (
                "interval = 1\n[sub]\ndepth = 300\n",
                Some("sub.depth"),
                "invalid value",
            ),
            (
                "interval = 1\n[sub]\nx = 1\n",
                Some("sub.x"),
                "unknown field `x`",
            ),
            (
                "interval = 1\n[sub]\n",
                Some("sub"),
                "missing field `depth`",
            ),
            (
                "interval = 1\nlist = [1, \"a\"]\n",
                Some("list"),
                "invalid type",
            ),
            (
                "interval = 1\nsub = { depth = \"a\" }\n",
                Some("sub"),
                "invalid type",
            ),
            // Missing at the top level: the whole table, no key.
            ("name = \"x\"\n", None, "missing field `interval`"),
        ];
        for (text, key, what) in cases {
            let e = parse_config::<C>(text).unwrap_err();
            match key {
                Some(key) => assert!(e.starts_with(&format!("key `{key}`: {what}")), "{e}"),
                None => assert!(e.starts_with(what), "{e}"),
            }
        }
    }
}
