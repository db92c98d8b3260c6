//! Loading plugin libraries: abi_stable's version and layout checks, and one actionable line for each way a load fails.

use std::fmt;
use std::path::{Path, PathBuf};

use abi_stable::library::{lib_header_from_path, LibraryError};
use abi_stable::std_types::{RResult, RStr};
use plugin_api::{HandlerBox, PluginMod_Ref, ABI_VERSION};

/// A plugin library that passed the checks; makes any number of handler instances.
#[derive(Clone, Copy)]
pub struct Library {
    module: PluginMod_Ref,
}

impl fmt::Debug for Library {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Library")
            .field("name", &self.name())
            .field("version", &self.version())
            .finish()
    }
}

impl Library {
    /// The plugin's own name.
    pub fn name(&self) -> &'static str {
        self.module.name().as_str()
    }

    /// The plugin's version.
    pub fn version(&self) -> &'static str {
        self.module.version().as_str()
    }

    /// The plugin's one-line description.
    pub fn description(&self) -> &'static str {
        self.module.description().as_str()
    }

    /// The plugin-api `MAJOR.MINOR` it was built against.
    pub fn abi_version(&self) -> &'static str {
        self.module.abi_version().as_str()
    }

    /// Makes a handler instance from the plugin's config text.
    ///
    /// # Errors
    /// The plugin's own message (a panic in its constructor included).
    pub fn instantiate(&self, config: &str) -> Result<HandlerBox, String> {
        match (self.module.new())(RStr::from_str(config)) {
            RResult::ROk(handler) => Ok(handler),
            RResult::RErr(message) => Err(message.into_string()),
        }
    }
}

/// Why a library could not be loaded: the path, one line, and the full text
/// abi_stable gave (for the debug log).
#[derive(Debug, Clone)]
pub struct LoadError {
    /// The library's path.
    pub path: PathBuf,
    /// One line: what is wrong and what to do.
    pub reason: String,
    /// abi_stable's full message, when longer than `reason`.
    pub detail: Option<String>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for LoadError {}

/// Loads the plugin library at `path` and checks it. Loading the same path
/// again returns the same module (libraries are never unloaded).
///
/// # Errors
/// A missing file, a file that is not a shared library, a library without
/// netraf's root module, or one built against an incompatible plugin-api.
pub fn load(path: &Path) -> Result<Library, LoadError> {
    let fail = |reason: String, detail: Option<String>| LoadError {
        path: path.to_path_buf(),
        reason,
        detail,
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(fail(
                "no such plugin file (build the plugins with `cargo build --workspace`, \
                 or fix `path` / `plugin_dir` in the config)"
                    .into(),
                None,
            ))
        }
        Err(e) => return Err(fail(format!("cannot read the plugin file: {e}"), None)),
        Ok(m) if !m.is_file() => return Err(fail("not a regular file".into(), None)),
        Ok(_) => {}
    }
    let header = lib_header_from_path(path).map_err(|e| explain(path, &e))?;
    let module = header
        .init_root_module::<PluginMod_Ref>()
        .map_err(|e| explain(path, &e))?;
    Ok(Library { module })
}

fn explain(path: &Path, error: &LibraryError) -> LoadError {
    let detail = error.to_string();
    let rebuild = format!("rebuild the plugin against plugin-api {ABI_VERSION}");
    let reason = match error {
        LibraryError::OpenError { err, .. } => {
            format!(
                "not a loadable shared library ({}); a plugin is a cdylib crate's .so",
                one_line(&err.to_string())
            )
        }
        LibraryError::GetSymbolError { .. } => "not a netraf plugin: the library exports no root \
             module (a plugin crate ends with `plugin_api::export_plugin!`)"
            .to_string(),
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => format!(
            "built against plugin-api {actual_version}, which is incompatible with this host's \
             plugin-api {expected_version}: {rebuild}"
        ),
        LibraryError::ParseVersionError(e) => {
            format!("unreadable plugin-api version ({e}): {rebuild}")
        }
        LibraryError::AbiInstability(_) => {
            format!(
                "incompatible plugin ABI ({}): {rebuild}",
                summarize_layout_error(&detail)
            )
        }
        LibraryError::InvalidAbiHeader(h) => {
            format!("built with an incompatible abi_stable (header {h:?}): {rebuild}")
        }
        LibraryError::InvalidCAbi { .. } => {
            format!("built by a compiler with a different C ABI: {rebuild}")
        }
        LibraryError::RootModule { err, .. } => {
            format!(
                "the plugin's root module failed to initialize: {}",
                one_line(&err.to_string())
            )
        }
        LibraryError::Many(errors) => match errors.iter().next() {
            Some(first) => return explain(path, first),
            None => "unknown load error".into(),
        },
    };
    LoadError {
        path: path.to_path_buf(),
        reason,
        detail: Some(detail),
    }
}

/// Collapses a multi-line message into one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Picks the real cause out of abi_stable's layout report: the first
/// `Error:` with what was expected and what was found, and the type concerned.
fn summarize_layout_error(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let Some(at) = lines.iter().position(|l| l.starts_with("Error:")) else {
        return "layout mismatch".into();
    };
    let what = lines[at].trim_start_matches("Error:").trim();
    let after = |label: &str| {
        lines[at..]
            .iter()
            .position(|l| *l == label)
            .and_then(|i| lines[at + i + 1..].iter().find(|l| !l.is_empty()))
            .map(|l| one_line(l))
    };
    let mut out = what.to_string();
    if let (Some(expected), Some(found)) = (after("Expected:"), after("Found:")) {
        out.push_str(&format!(": host expects {expected}, plugin has {found}"));
    }
    // The innermost type of the stack trace is the one that differs.
    if let Some(ty) = lines[..at]
        .iter()
        .rev()
        .find_map(|l| l.strip_prefix("type:").or_else(|| l.strip_prefix("type: ")))
    {
        out.push_str(&format!(" in type {}", ty.trim()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_file_says_how_to_fix() {
        let Err(e) = load(Path::new("/nonexistent/libnope.so")) else {
            panic!("loaded a missing file")
        };
        let s = e.to_string();
        assert!(
            s.starts_with("/nonexistent/libnope.so: no such plugin file"),
            "{s}"
        );
    }

    #[test]
    fn layout_summary_finds_the_cause() {
        let text = "\n1 error(s)inside:\n    <other>\n\n    field: summary\n\nLayout of expected type:\n  x\n\n\
                    Error:incompatible type size\nExpected:\n    104\nFound:\n    108\n";
        assert_eq!(
            summarize_layout_error(text),
            "incompatible type size: host expects 104, plugin has 108"
        );
        assert_eq!(summarize_layout_error("garbage"), "layout mismatch");
    }
}
