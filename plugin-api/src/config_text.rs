//! Config text: offsets to lines and error spans to the key they concern (one finder for the host's config file and for a plugin's table), and a plugin's config parsed with errors that name that key.

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
        match e.span().and_then(|span| ConfigText::new(text).key_at(span)) {
            Some(key) => format!("{KEY_PREFIX}{}`: {message}", key.path()),
            None => message.to_string(),
        }
    })
}

/// How a plugin's error message names the key of its config table that it
/// concerns: "key `output`: cannot write ..." (a dotted path for a key in a
/// sub-table: "key `sub.depth`: ..."). The host then points at that key's
/// own line in the config file. [`parse_config`] writes its errors so.
pub const KEY_PREFIX: &str = "key `";

/// A config's text with where each of its lines starts: byte offsets become
/// 1-based line numbers in logarithmic time (a config of many plugins asks
/// often), and the byte range of an error becomes the key it concerns. The
/// host reads its config file with it, and [`parse_config`] a plugin's table.
#[derive(Debug, Clone)]
pub struct ConfigText<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

/// The key that a byte range of a config concerns (see [`ConfigText::key_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAt<'t> {
    /// The key as its line writes it, unquoted (`interval`, a dotted `a.b`),
    /// or the name in a `[table]` header.
    pub key: &'t str,
    /// The `[table]` the key's line stands in; `None` at the top level and
    /// for a header.
    pub table: Option<&'t str>,
}

impl KeyAt<'_> {
    /// The dotted path of the key: `table.key`, or the key alone.
    pub fn path(&self) -> String {
        match self.table {
            Some(table) => format!("{table}.{}", self.key),
            None => self.key.to_string(),
        }
    }
}

impl<'t> ConfigText<'t> {
    /// Finds the lines of `text`.
    pub fn new(text: &'t str) -> ConfigText<'t> {
        let newlines = text.bytes().enumerate().filter(|&(_, b)| b == b'\n');
        ConfigText {
            text,
            starts: std::iter::once(0)
                .chain(newlines.map(|(i, _)| i + 1))
                .collect(),
        }
    }

    /// The text itself.
    pub fn text(&self) -> &'t str {
        self.text
    }

    /// The 1-based line of byte offset `at`.
    pub fn line_of(&self, at: usize) -> usize {
        self.starts.partition_point(|&start| start <= at).max(1)
    }

    /// The byte offset where 1-based `line` starts, and its text without
    /// the line end.
    fn line(&self, line: usize) -> Option<(usize, &'t str)> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self
            .starts
            .get(line)
            .map_or(self.text.len(), |next| next - 1);
        Some((start, self.text.get(start..end)?))
    }

    /// The key that the byte range `span` concerns: a key (unknown field),
    /// the value of a `key = value` line (wrong type or value), or a
    /// `[table]` header (a field missing from that table, a header written
    /// wrong); with the table its line stands in. `None` for anything else (a field missing from
    /// the top level, whose span is the whole text; a line with no `key =`).
    pub fn key_at(&self, span: std::ops::Range<usize>) -> Option<KeyAt<'t>> {
        let number = self.line_of(span.start);
        let (line_start, line) = self.line(number)?;
        let before = line.get(..span.start.checked_sub(line_start)?)?;
        let trimmed = line.trim();
        // Anywhere on a header line, a syntax error in the header included.
        if trimmed.starts_with('[') {
            return Some(KeyAt {
                key: header(trimmed),
                table: None,
            });
        }
        let equals = line.find('=')?;
        let on_key = before.trim().is_empty() && span.end <= line_start + equals;
        if !on_key && !before.contains('=') {
            return None;
        }
        // The table it stands in: the last `[header]` above its line.
        let table = (1..number)
            .rev()
            .filter_map(|n| self.line(n))
            .map(|(_, l)| l.trim())
            .find(|l| l.starts_with('['))
            .map(header);
        Some(KeyAt {
            key: line[..equals].trim().trim_matches('"'),
            table,
        })
    }
}

/// The name in a `[table]` or `[[array]]` header line.
fn header(line: &str) -> &str {
    line.trim_matches(|c| c == '[' || c == ']' || c == ' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_map_to_lines_and_spans_to_keys() {
        let text = "a = 1\n\n[t]\nb = \"x\"\n# c = 2\n[[arr]]\n";
        let t = ConfigText::new(text);
        let at = |s: &str| text.find(s).unwrap();
        assert_eq!(
            [0, 5, 6, 7, at("b"), text.len()].map(|o| t.line_of(o)),
            [1, 1, 2, 3, 4, 7]
        );
        let key = |s: &str, len: usize| t.key_at(at(s)..at(s) + len);
        assert_eq!(
            key("a", 1),
            Some(KeyAt {
                key: "a",
                table: None
            })
        );
        let b = key("\"x\"", 3).unwrap();
        assert_eq!((b.key, b.table, b.path()), ("b", Some("t"), "t.b".into()));
        assert_eq!(
            key("[t]", 3),
            Some(KeyAt {
                key: "t",
                table: None
            })
        );
        assert_eq!(key("[[arr]]", 7).map(|k| k.path()), Some("arr".into()));
        assert_eq!(
            key("t]", 1),
            Some(KeyAt {
                key: "t",
                table: None
            })
        );
        // The whole text: no one key.
        assert_eq!(t.key_at(0..text.len()), None);
        assert_eq!(t.key_at(text.len() + 5..text.len() + 6), None);
    }

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
