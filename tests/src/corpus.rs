//! The public capture corpus: where it lives, and its CSV answer files.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The corpus folder: env `NETRAF_CORPUS`, else `<workspace root>/../shared/corpus`.
/// `None` (with the reason printed) when it is absent; a panic instead when
/// env `CI=true`, where a missing corpus must not pass silently.
pub fn dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("NETRAF_CORPUS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"),
    };
    if dir.join("expected.csv").is_file() {
        return Some(dir);
    }
    let reason = format!(
        "capture corpus not found at {} (set NETRAF_CORPUS to its folder)",
        dir.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{reason}");
    }
    eprintln!("skipping: {reason}");
    None
}

/// A CSV file with a header line and a first column naming the capture file.
/// Fields are split on commas outside double quotes (`""` is a quote).
pub struct Csv {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Csv {
    /// Reads and parses `path`.
    ///
    /// # Panics
    /// If the file cannot be read or has no header line.
    pub fn read(path: &Path) -> Csv {
        let text = fs::read_to_string(path)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
        let mut lines = text.lines().filter(|line| !line.is_empty()).map(split);
        let columns = lines
            .next()
            .unwrap_or_else(|| panic!("{}: no header line", path.display()));
        Csv {
            columns,
            rows: lines.collect(),
        }
    }

    /// The capture file names (first column), in file order.
    pub fn files(&self) -> Vec<&str> {
        self.rows.iter().map(|row| row[0].as_str()).collect()
    }

    /// The row of `file` as column → value.
    ///
    /// # Panics
    /// If `file` has no row.
    pub fn row(&self, file: &str) -> HashMap<&str, &str> {
        let row = self
            .rows
            .iter()
            .find(|row| row[0] == file)
            .unwrap_or_else(|| panic!("no row for {file}"));
        self.columns
            .iter()
            .map(String::as_str)
            .zip(row.iter().map(String::as_str))
            .collect()
    }
}

/// Splits one CSV line into fields.
fn split(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn splits_quoted_fields() {
        assert_eq!(split(r#"a,"b, ""c""",,d"#), vec!["a", r#"b, "c""#, "", "d"]);
    }
}

/// A CSV cell as a count.
///
/// # Panics
/// If the cell is not a whole number (the CSV files are the project's
/// fixed answers: a bad cell is a broken corpus).
pub fn num(file: &str, cell: &str) -> u64 {
    cell.parse()
        .unwrap_or_else(|_| panic!("{file}: bad number {cell:?}"))
}

/// Differences between tshark's answers and netraf's, gathered over every
/// file and reported together, so that one run shows them all.
#[derive(Debug, Default)]
pub struct Differences(Vec<String>);

impl Differences {
    /// Records a difference when `want` (tshark's) and `got` (netraf's) differ.
    pub fn check(&mut self, file: &str, what: &str, want: u64, got: u64) {
        if want != got {
            self.0
                .push(format!("{file}: {what}: tshark {want}, netraf {got}"));
        }
    }

    /// Records any other difference.
    pub fn note(&mut self, text: String) {
        self.0.push(text);
    }

    /// # Panics
    /// If any difference was recorded, listing them all.
    pub fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "{} differences:\n{}",
            self.0.len(),
            self.0.join("\n")
        );
    }
}
