//! Loading plugin libraries: abi_stable's version and layout checks, and one actionable line for each way a load fails.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::library_copy::LibraryCopy;
use abi_stable::library::{lib_header_from_path, LibraryError};
use abi_stable::std_types::{ROption, RResult, RStr, RString};
use plugin_api::{Handler, MergeReportsFn, PluginMod_Ref, ABI_VERSION, MERGE_REPORTS_SYMBOL};

/// A plugin library that passed the checks; makes any number of handler instances.
#[derive(Clone, Copy)]
pub struct Library {
    module: PluginMod_Ref,
    /// The plugin's report merger, when it exports one.
    merge: Option<MergeReportsFn>,
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
    pub fn instantiate(&self, config: &str) -> Result<Handler, String> {
        self.module.instantiate(config)
    }
}

impl Library {
    /// The plugin's own merge of several instances' reports (made from
    /// `config`), or `None` when it leaves that to the host (or was built
    /// before plugin-api had the hook).
    ///
    /// # Errors
    /// `Some(Err(message))`: the plugin's message (a panic included).
    pub fn merge_reports(
        &self,
        config: &str,
        reports: &[String],
    ) -> Option<Result<String, String>> {
        let merge = self.merge?;
        let reports: Vec<RString> = reports.iter().map(|r| RString::from(r.as_str())).collect();
        match merge(RStr::from_str(config), reports.as_slice().into()) {
            ROption::RNone => None,
            ROption::RSome(RResult::ROk(text)) => Some(Ok(text.into_string())),
            ROption::RSome(RResult::RErr(message)) => Some(Err(message.into_string())),
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
    /// Where the config names the library (`FILE:LINE: plugin 'NAME'`), when
    /// it was loaded for a config.
    pub at: Option<String>,
    /// The file is not there (the reason says where it was looked for).
    pub missing: bool,
    /// The file was refused as unsafe (see [`crate::plugin_trust`]): others
    /// could have changed it.
    pub untrusted: bool,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(at) = &self.at {
            write!(f, "{at}: ")?;
        }
        write!(f, "{}: {}", self.path.display(), self.reason)
    }
}

impl std::error::Error for LoadError {}

/// Loads the plugin library at `path` and checks it. The host loads a
/// private copy of the file (see [`crate::library_copy`]), so a change to the
/// file on disk never reaches a running host; loading the same unchanged
/// file again returns the same module (libraries are never unloaded).
///
/// # Errors
/// A missing file, a file the host does not trust (see
/// [`crate::plugin_trust`]), a file that is not a shared library, a library without
/// netraf's root module, or one built against an incompatible plugin-api.
pub fn load(path: &Path) -> Result<Library, LoadError> {
    let fail = |reason: String, detail: Option<String>| LoadError {
        path: path.to_path_buf(),
        reason,
        detail,
        at: None,
        missing: false,
        untrusted: false,
    };
    let mut file = match File::open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LoadError {
                missing: true,
                ..fail("no such plugin file".into(), None)
            })
        }
        Err(e) => return Err(fail(format!("cannot read the plugin file: {e}"), None)),
        Ok(file) => file,
    };
    let meta = match file.metadata() {
        Err(e) => return Err(fail(format!("cannot read the plugin file: {e}"), None)),
        Ok(m) if !m.is_file() => return Err(fail("not a regular file".into(), None)),
        Ok(m) => m,
    };
    // Before anything of the file is loaded, on the file that is copied.
    crate::plugin_trust::check(path, &meta).map_err(|reason| LoadError {
        untrusted: true,
        ..fail(reason, None)
    })?;
    let id = FileId::of(&meta);
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    let loaded = loaded.get_or_insert_with(HashMap::new);
    if let Some(library) = loaded.get(&id) {
        return Ok(*library);
    }
    let name = path
        .file_name()
        .map_or_else(|| "plugin".into(), |n| n.to_string_lossy());
    let copy = LibraryCopy::of(&mut file, &name).map_err(|e| {
        fail(
            format!("cannot make the private copy of the plugin that the host loads: {e}"),
            None,
        )
    })?;
    let at = copy.path();
    let header = lib_header_from_path(&at);
    // Refused or not, the copy may now be loaded, and is never unloaded: its
    // descriptor number stays taken, or the next copy would get the same
    // `/proc/self/fd/N` path and the dynamic loader would hand back this one.
    copy.keep();
    let header = header.map_err(|e| explain(path, &at, &e))?;
    let module = header
        .init_root_module::<PluginMod_Ref>()
        .map_err(|e| explain(path, &at, &e))?;
    module
        .check_requires()
        .map_err(|reason| fail(reason, None))?;
    let library = Library {
        module,
        merge: merge_symbol(&at),
    };
    log::debug!(
        "loaded plugin {} {} (plugin-api {}) from {}, as {}",
        library.name(),
        library.version(),
        library.abi_version(),
        path.display(),
        at.display()
    );
    loaded.insert(id, library);
    Ok(library)
}

/// How many plugin libraries this process loaded so far: all stay mapped
/// (abi_stable never unloads a library), one per distinct file loaded.
pub fn mapped() -> usize {
    LOADED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .map_or(0, HashMap::len)
}

/// Libraries loaded so far, by the identity of the file they were copied
/// from: the same unchanged file is loaded once.
static LOADED: Mutex<Option<HashMap<FileId, Library>>> = Mutex::new(None);

/// A file as it was when loaded: another file, or the same one written
/// since, differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl FileId {
    fn of(meta: &std::fs::Metadata) -> FileId {
        FileId {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            ctime: (meta.ctime(), meta.ctime_nsec()),
        }
    }
}

/// The plugin's exported report merger, if any (plugins built before
/// plugin-api had it do not export it; the host then merges generically).
#[allow(unsafe_code)]
fn merge_symbol(path: &Path) -> Option<MergeReportsFn> {
    // The library is already loaded (abi_stable never unloads it): this only
    // takes another reference, which is leaked so that the pointer stays valid.
    let raw = abi_stable::library::RawLibrary::load_at(path).ok()?;
    let mut name = MERGE_REPORTS_SYMBOL.as_bytes().to_vec();
    name.push(0);
    // SAFETY: a library that passed the root module checks was built with
    // plugin-api's export_plugin!, which exports this symbol (when at all) as
    // a function of exactly the type MergeReportsFn; the name's version
    // suffix changes whenever that type would.
    let merge = unsafe { raw.get::<MergeReportsFn>(&name) }.ok().map(|f| *f);
    std::mem::forget(raw);
    merge
}

/// One line for `error`, met loading the copy at `copy` of the library at
/// `path` (the copy's name in the loader's messages becomes `path`).
fn explain(path: &Path, copy: &Path, error: &LibraryError) -> LoadError {
    let (copy, original) = (copy.display().to_string(), path.display().to_string());
    let detail_of = |text: &str| text.replace(&copy, &original);
    let detail = detail_of(&error.to_string());
    let rebuild = format!("rebuild the plugin against plugin-api {ABI_VERSION}");
    let reason = match error {
        LibraryError::OpenError { err, .. } => {
            format!(
                "not a loadable shared library ({}); a plugin is a cdylib crate's .so",
                one_line(&detail_of(&err.to_string()))
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
                one_line(&detail_of(&err.to_string()))
            )
        }
        LibraryError::Many(errors) => match errors.iter().next() {
            Some(first) => return explain(path, Path::new(&copy), first),
            None => "unknown load error".into(),
        },
    };
    LoadError {
        path: path.to_path_buf(),
        reason,
        detail: Some(detail),
        at: None,
        missing: false,
        untrusted: false,
    }
}

/// Collapses a multi-line message into one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Picks the real cause out of abi_stable's layout report, which lists the
/// nested fields from the root module down to the mismatch, then the layouts,
/// then `Error:` lines; the last such block is the innermost cause. Gives e.g.
/// `mismatched type at RawHandler.hooks: host expects c_void, plugin has u64`.
fn summarize_layout_error(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let block = lines
        .iter()
        .rposition(|l| l.contains("error(s)inside:"))
        .unwrap_or(0);
    let layouts = lines[block..]
        .iter()
        .position(|l| l.starts_with("Layout of expected type:"))
        .map_or(block, |i| block + i);
    let Some(at) = lines[layouts..]
        .iter()
        .position(|l| l.starts_with("Error:"))
        .map(|i| layouts + i)
    else {
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
    // The nested fields: `field_name:N` then `type:T`; `0` stands for the
    // pointee/type itself, anything else is a named field of the type above it.
    let mut trail: Vec<(&str, &str)> = Vec::new();
    let mut name = None;
    for l in &lines[block..layouts] {
        if let Some(n) = l.strip_prefix("field_name:") {
            name = Some(n);
        } else if let (Some(n), Some(t)) = (name, l.strip_prefix("type:")) {
            trail.push((n, t.trim()));
            name = None;
        }
    }
    let mut out = what.to_string();
    // A pointee (`0` right after a named field) is reported as that field.
    let mut end = trail.len();
    if let [.., (field, _), ("0", _)] = trail.as_slice() {
        if *field != "0" {
            end -= 1;
        }
    }
    match &trail[..end] {
        [.., (_, owner), (field, _)] if *field != "0" => {
            out.push_str(&format!(" at {owner}.{field}"));
        }
        [(field, _)] if *field != "0" => out.push_str(&format!(" at field {field}")),
        [.., (_, ty)] => out.push_str(&format!(" in type {ty}")),
        [] => {}
    }
    if let (Some(expected), Some(found)) = (after("Expected:"), after("Found:")) {
        out.push_str(&format!(": host expects {expected}, plugin has {found}"));
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
        // The shape of abi_stable 0.11's report, shortened.
        let text = "
    2 error(s)inside:
        <other>
        field_name:0
        type:PluginMod
        size:88 align:8
        field_name:new
        type:AFunctionPointer
        field_name:__returns
        type:RResult
        field_name:field_0
        type:RawHandler
        size:24 align:8
    Layout of expected type:
        type:RawHandler
    Error:incompatible type size
    Expected:
        16
    Found:
        24
    1 error(s)inside:
        <other>
        field_name:0
        type:PluginMod
        field_name:new
        type:AFunctionPointer
        fn pointer(s):
            fn(config,: RStr<'a>)->RResult
        field_name:__returns
        type:RResult
        field_name:field_0
        type:RawHandler
        field_name:hooks
        type:*const u64
        field_name:0
        type:u64
    Layout of expected type:
        type:c_void
    Layout of found type:
        type:u64
    Error:mismatched type
    Expected:
        c_void
    Found:
        u64
";
        assert_eq!(
            summarize_layout_error(text),
            "mismatched type at RawHandler.hooks: host expects c_void, plugin has u64"
        );
        let first_block = &text[..text.find("    1 error(s)").unwrap()];
        assert_eq!(
            summarize_layout_error(first_block),
            "incompatible type size at RResult.field_0: host expects 16, plugin has 24"
        );
        let whole_type = "
    1 error(s)inside:
        field_name:0
        type:PluginMod
        field_name:0
        type:Hooks
    Layout of expected type:
    Error:incompatible type size
";
        assert_eq!(
            summarize_layout_error(whole_type),
            "incompatible type size in type Hooks"
        );
        assert_eq!(summarize_layout_error("garbage"), "layout mismatch");
    }
}
