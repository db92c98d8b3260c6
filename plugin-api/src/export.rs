//! The plugin side of the boundary: the plain Rust trait a plugin implements, the panic guard, and `export_plugin!`.

use std::any::Any;
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RErr, RNone, ROk, ROption, RResult, RSlice, RSome, RStr, RString};

use crate::{HandlerBox, Packet, PacketHandler, PacketHandler_TO, Verdict};

/// What a plugin implements: its state is `Self`, made by [`Plugin::new`].
///
/// Errors are one-line messages (lowercase, saying what failed and a hint); a
/// panic in any method is caught before it reaches the host and reported as an
/// error, after which the host disables the plugin.
pub trait Plugin: Send + Sized + 'static {
    /// Makes an instance from the plugin's `config` table, given as TOML text
    /// (empty when the config has none). See [`parse_config`].
    ///
    /// # Errors
    /// A message saying which setting is wrong and why; starting it with
    /// [`KEY_PREFIX`] and the key (``key `output`: cannot write ...``) makes
    /// the host point at that key's line in the config file.
    fn new(config: &str) -> Result<Self, String>;

    /// Called for every packet the plugins before this one let through.
    ///
    /// # Errors
    /// A message; the host then disables this plugin.
    fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String>;

    /// Called about once a second of packet time (or wall time on an idle
    /// live link) with that time in nanoseconds since the Unix epoch.
    ///
    /// # Errors
    /// A message; the host then disables this plugin.
    fn on_tick(&mut self, now_ns: u64) -> Result<(), String> {
        let _ = now_ns;
        Ok(())
    }

    /// The results so far as JSON text.
    ///
    /// # Errors
    /// A message; the host reports `null` for this plugin.
    fn report(&mut self) -> Result<String, String> {
        Ok("{}".into())
    }

    /// Called once at the end: flush and close.
    ///
    /// # Errors
    /// A message, which the host logs.
    fn shutdown(&mut self) -> Result<(), String> {
        Ok(())
    }

    /// Merges the reports of several instances made from the same `config`
    /// text (one per capture worker, each on its share of the traffic) into
    /// the report one instance would have given for all of it.
    ///
    /// `None`, the default, leaves it to the host, whose generic merge adds
    /// numbers up, merges objects key by key, concatenates arrays and keeps
    /// differing strings as an array of them: right for counters. Implement it
    /// when a report holds more than sums (rankings, distinct counts,
    /// averages).
    ///
    /// # Errors
    /// `Some(Err(message))`: the host logs it and falls back to its generic merge.
    fn merge_reports(config: &str, reports: &[&str]) -> Option<Result<String, String>> {
        let _ = (config, reports);
        None
    }
}

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

/// Runs `f`, turning a panic into an error message so that it never unwinds
/// across the boundary (abi_stable would abort the process).
pub fn guard<T>(what: &str, f: impl FnOnce() -> Result<T, String>) -> RResult<T, RString> {
    let depth = GUARDED.with(|d| d.replace(d.get() + 1));
    let outcome = catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|d| d.set(depth));
    match outcome {
        Ok(Ok(value)) => ROk(value),
        Ok(Err(message)) => RErr(message.into()),
        Err(payload) => {
            let message = format!("panicked in {what}: {}", panic_message(&*payload));
            drop_payload(payload);
            RErr(message.into())
        }
    }
}

thread_local! {
    /// How many [`guard`] calls this thread is inside.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
}

/// Makes the panic hook of the library it is compiled into (a plugin has
/// its own copy of std, hence its own hook) keep quiet about the panics that
/// [`guard`] is about to catch: the host logs each of them in one line, so
/// the default hook's message would only say it twice. Other panics, and
/// all of them when `RUST_BACKTRACE` is set, go to the previous hook as
/// before. [`construct`] calls it; it acts once.
pub fn quiet_guarded_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let guarded = GUARDED.try_with(Cell::get).unwrap_or(0) > 0;
            if !guarded || std::env::var_os("RUST_BACKTRACE").is_some() {
                previous(info);
            }
        }));
    });
}

/// Drops a caught panic's payload, whose own `Drop` may panic in turn: that
/// second panic is caught too and its payload leaked, so that nothing
/// unwinds out of [`guard`].
fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "(no message)"
    }
}

/// Wraps a [`Plugin`] as the ABI-stable handler object, guarding every call
/// and the drop (`None` only while dropping).
struct Adapter<P>(Option<P>);

impl<P: Plugin> Adapter<P> {
    fn call<T>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut P) -> Result<T, String>,
    ) -> RResult<T, RString> {
        match &mut self.0 {
            Some(plugin) => guard(what, || f(plugin)),
            None => RErr(format!("{what} called on a dropped plugin").into()),
        }
    }
}

impl<P: Plugin> PacketHandler for Adapter<P> {
    fn on_packet(&mut self, packet: &Packet<'_>) -> RResult<Verdict, RString> {
        self.call("on_packet", |p| p.on_packet(packet))
    }

    fn on_tick(&mut self, now_ns: u64) -> RResult<(), RString> {
        self.call("on_tick", |p| p.on_tick(now_ns))
    }

    fn report(&mut self) -> RResult<RString, RString> {
        self.call("report", |p| p.report().map(RString::from))
    }

    fn shutdown(&mut self) -> RResult<(), RString> {
        self.call("shutdown", |p| p.shutdown())
    }
}

impl<P> Drop for Adapter<P> {
    /// Drops the plugin's state when the host drops the handler: a panic in
    /// its `Drop` would otherwise abort the host (the vtable's destructor is
    /// `extern "C"`), so it is caught and said on standard error.
    fn drop(&mut self) {
        let plugin = self.0.take();
        if let RErr(message) = guard("drop", move || {
            drop(plugin);
            Ok(())
        }) {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "netraf plugin: {message}");
        }
    }
}

/// The constructor [`export_plugin!`] puts in the root module: makes a `P`
/// from the config text, guarded against panics.
pub extern "C" fn construct<P: Plugin>(config: RStr<'_>) -> RResult<HandlerBox, RString> {
    quiet_guarded_panics();
    guard("new", || {
        P::new(config.as_str()).map(|p| PacketHandler_TO::from_value(Adapter(Some(p)), TD_Opaque))
    })
}

/// The symbol under which [`export_plugin!`] exports [`merge_reports`] for `P`.
///
/// It stands outside the root module on purpose: abi_stable refuses a plugin
/// whose root module has fewer fields than the host's, so a new field there
/// would lock out every plugin built before it. A host looks this symbol up
/// and, when a plugin lacks it, merges that plugin's reports itself. The `v1`
/// names the signature; a different one would get a new name.
pub const MERGE_REPORTS_SYMBOL: &str = "netraf_merge_reports_v1";

/// The signature of the function exported as [`MERGE_REPORTS_SYMBOL`]: the
/// plugin's `config` text and its instances' JSON reports in, the merged
/// report out; `RNone` when the plugin leaves the merge to the host.
pub type MergeReportsFn = extern "C" fn(
    config: RStr<'_>,
    reports: RSlice<'_, RString>,
) -> ROption<RResult<RString, RString>>;

/// The report merger [`export_plugin!`] exports: calls
/// [`Plugin::merge_reports`], guarded against panics.
pub extern "C" fn merge_reports<P: Plugin>(
    config: RStr<'_>,
    reports: RSlice<'_, RString>,
) -> ROption<RResult<RString, RString>> {
    let texts: Vec<&str> = reports.iter().map(RString::as_str).collect();
    let mut merged = None;
    let outcome = guard("merge_reports", || {
        merged = P::merge_reports(config.as_str(), &texts);
        Ok(())
    });
    match (outcome, merged) {
        (RErr(message), _) => RSome(RErr(message)),
        (ROk(()), Some(Ok(text))) => RSome(ROk(text.into())),
        (ROk(()), Some(Err(message))) => RSome(RErr(message.into())),
        (ROk(()), None) => RNone,
    }
}

/// Exports a [`Plugin`] implementation as the library's root module.
///
/// ```ignore
/// plugin_api::export_plugin! {
///     plugin: MyPlugin,           // the type implementing `Plugin`
///     name: "my-plugin",          // shown by `netraf-host --list-plugins`
///     description: "one line saying what it does",
/// }
/// ```
/// The plugin's version is its crate's `CARGO_PKG_VERSION`.
#[macro_export]
macro_rules! export_plugin {
    (plugin: $ty:ty, name: $name:expr, description: $description:expr $(,)?) => {
        /// The plugin's root module, as the host loads it.
        pub fn netraf_plugin_root_module() -> $crate::PluginMod_Ref {
            use $crate::__private::abi_stable::prefix_type::PrefixTypeTrait;
            use $crate::__private::abi_stable::std_types::RStr;
            $crate::PluginMod {
                abi_version: RStr::from_str($crate::ABI_VERSION),
                name: RStr::from_str($name),
                version: RStr::from_str(env!("CARGO_PKG_VERSION")),
                description: RStr::from_str($description),
                new: $crate::construct::<$ty>,
            }
            .leak_into_prefix()
        }

        /// The plugin's report merger, looked up by the host under
        /// `plugin_api::MERGE_REPORTS_SYMBOL` (checked by plugin-api's tests).
        #[allow(unsafe_code)]
        #[export_name = "netraf_merge_reports_v1"]
        pub extern "C" fn netraf_merge_reports_v1(
            config: $crate::__private::abi_stable::std_types::RStr<'_>,
            reports: $crate::__private::abi_stable::std_types::RSlice<
                '_,
                $crate::__private::abi_stable::std_types::RString,
            >,
        ) -> $crate::__private::abi_stable::std_types::ROption<
            $crate::__private::abi_stable::std_types::RResult<
                $crate::__private::abi_stable::std_types::RString,
                $crate::__private::abi_stable::std_types::RString,
            >,
        > {
            $crate::merge_reports::<$ty>(config, reports)
        }

        /// The library header the host looks up (abi_stable's root module
        /// loader symbol, checked against abi_stable by plugin-api's tests).
        #[allow(unsafe_code)]
        #[export_name = "_1as_0lib_1header_0root_bmodule_bloader"]
        pub static NETRAF_PLUGIN_LIB_HEADER: $crate::__private::abi_stable::library::LibHeader = {
            extern "C" fn erased_root_module(
            ) -> $crate::__private::abi_stable::library::RootModuleResult {
                $crate::__private::abi_stable::library::__call_root_module_loader(
                    netraf_plugin_root_module,
                )
            }
            // SAFETY: `erased_root_module` returns the module of type
            // `PluginMod_Ref` (through `__call_root_module_loader`), which is
            // the type the layout constant is taken from.
            unsafe {
                $crate::__private::abi_stable::library::LibHeader::from_constructor::<
                    $crate::PluginMod_Ref,
                >(
                    erased_root_module,
                    $crate::__private::abi_stable::library::CheckTypeLayout::Yes,
                )
            }
        };
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exported_symbol_is_abi_stables_root_module_loader() {
        assert_eq!(
            abi_stable::library::ROOT_MODULE_LOADER_NAME,
            "_1as_0lib_1header_0root_bmodule_bloader"
        );
    }

    #[test]
    fn merge_symbol_matches_the_exported_name() {
        // export_plugin! needs a literal: keep the two in step.
        assert_eq!(MERGE_REPORTS_SYMBOL, "netraf_merge_reports_v1");
    }

    #[test]
    fn guard_turns_panics_and_errors_into_messages() {
        let ok = guard("t", || Ok::<_, String>(5));
        assert_eq!(ok, ROk(5));
        let err = guard("t", || Err::<u8, _>("bad".to_string()));
        assert_eq!(err, RErr(RString::from("bad")));
        let panicked = guard("on_packet", || -> Result<u8, String> {
            panic!("boom {}", 7)
        });
        assert_eq!(
            panicked,
            RErr(RString::from("panicked in on_packet: boom 7"))
        );
    }

    #[test]
    fn guard_contains_a_payload_that_panics_when_dropped() {
        struct PanicsOnDrop;
        impl Drop for PanicsOnDrop {
            fn drop(&mut self) {
                panic!("dropping the payload");
            }
        }
        let outcome = catch_unwind(|| {
            guard("report", || -> Result<u8, String> {
                std::panic::panic_any(PanicsOnDrop)
            })
        });
        assert_eq!(
            outcome.ok(),
            Some(RErr(RString::from("panicked in report: (no message)")))
        );
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
