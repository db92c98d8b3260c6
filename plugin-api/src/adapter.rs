//! A [`Plugin`] behind the ABI: the handler object that wraps it, its constructor, and the report merger that `export_plugin!` exports.

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RErr, RNone, ROk, ROption, RResult, RSlice, RSome, RStr, RString};

use crate::panic_guard::{guard, quiet_guarded_panics};
use crate::{HandlerBox, Packet, PacketHandler, PacketHandler_TO, Plugin, Verdict};

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

/// The constructor [`export_plugin!`](crate::export_plugin) puts in the root module: makes a `P`
/// from the config text, guarded against panics.
pub extern "C" fn construct<P: Plugin>(config: RStr<'_>) -> RResult<HandlerBox, RString> {
    quiet_guarded_panics();
    guard("new", || {
        P::new(config.as_str()).map(|p| PacketHandler_TO::from_value(Adapter(Some(p)), TD_Opaque))
    })
}

/// The symbol under which [`export_plugin!`](crate::export_plugin) exports [`merge_reports`] for `P`.
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

/// The report merger [`export_plugin!`](crate::export_plugin) exports: calls
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_symbol_matches_the_exported_name() {
        // export_plugin! needs a literal: keep the two in step.
        assert_eq!(MERGE_REPORTS_SYMBOL, "netraf_merge_reports_v1");
    }
}
