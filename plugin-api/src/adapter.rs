//! A [`Plugin`] behind the ABI: the hooks table made for it, its constructor, and the report merger that `export_plugin!` exports.

use std::ffi::c_void;
use std::mem::MaybeUninit;

use abi_stable::std_types::{RErr, RNone, ROk, ROption, RResult, RSlice, RSome, RStr, RString};

use crate::handler::{Hooks, RawHandler};
use crate::metrics::{Host, HostServices};
use crate::packet::SIZE as PACKET_SIZE;
use crate::panic_guard::{guard, quiet_guarded_panics};
use crate::{Packet, Plugin};

/// The hooks table of `P`: one per plugin type, static.
struct HooksOf<P>(std::marker::PhantomData<P>);

impl<P: Plugin> HooksOf<P> {
    const HOOKS: Hooks = Hooks {
        size: std::mem::size_of::<Hooks>(),
        drop: drop_state::<P>,
        on_packet: on_packet::<P>,
        on_tick: on_tick::<P>,
        report: report::<P>,
        shutdown: shutdown::<P>,
        attach: attach::<P>,
    };
}

/// The plugin behind a state pointer made by [`construct`].
///
/// # Safety
/// `state` is a pointer [`construct`] made for `P`, not yet dropped, and
/// used by one thread at a time (the host's handler owns it).
#[allow(unsafe_code)]
unsafe fn plugin<'s, P>(state: *mut c_void) -> &'s mut P {
    // SAFETY: the caller's promise: a live `Box<P>` made by `construct`.
    unsafe { &mut *state.cast::<P>() }
}

#[allow(unsafe_code)]
unsafe extern "C" fn drop_state<P: Plugin>(state: *mut c_void) {
    // SAFETY: `state` is the `Box<P>` `construct` leaked, dropped once (the
    // host's handler calls this from its own `Drop`).
    let plugin = unsafe { Box::from_raw(state.cast::<P>()) };
    // A panic in the plugin's `Drop` would abort the host (this function
    // is `extern "C"`): it is caught and said on standard error.
    if let RErr(message) = guard("drop", move || {
        drop(plugin);
        Ok(())
    }) {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "netraf plugin: {message}");
    }
}

#[allow(unsafe_code)]
unsafe extern "C" fn on_packet<P: Plugin>(
    state: *mut c_void,
    packet: *const Packet<'_>,
) -> RResult<u8, RString> {
    // SAFETY: every host of plugin-api 1.x passes a `Packet` it made, whose
    // first field is its size; the state is `construct`'s (see `plugin`).
    let plugin = unsafe { plugin::<P>(state) };
    let size = unsafe { packet.cast::<u32>().read() };
    if size >= PACKET_SIZE {
        // SAFETY: the host's packet holds at least every field this build
        // knows, laid out the same way (fields are only ever added at the end).
        let packet = unsafe { &*packet };
        guard("on_packet", || plugin.on_packet(packet).map(|v| v as u8))
    } else {
        // A host older than this plugin: its packet ends before the fields
        // added since. A zeroed copy of full size holds what it has, and its
        // size field keeps the host's, so that the later fields read as absent.
        let mut full = MaybeUninit::<Packet<'_>>::zeroed();
        // SAFETY: the host's packet has `size` bytes (fewer than ours), and
        // every field of `Packet` is valid zeroed (integers, raw pointers).
        let packet = unsafe {
            std::ptr::copy_nonoverlapping(
                packet.cast::<u8>(),
                full.as_mut_ptr().cast::<u8>(),
                size as usize,
            );
            full.assume_init_ref()
        };
        guard("on_packet", || plugin.on_packet(packet).map(|v| v as u8))
    }
}

#[allow(unsafe_code)]
unsafe extern "C" fn on_tick<P: Plugin>(state: *mut c_void, now_ns: u64) -> RResult<(), RString> {
    // SAFETY: see `plugin`.
    let plugin = unsafe { plugin::<P>(state) };
    guard("on_tick", || plugin.on_tick(now_ns))
}

#[allow(unsafe_code)]
unsafe extern "C" fn report<P: Plugin>(state: *mut c_void) -> RResult<RString, RString> {
    // SAFETY: see `plugin`.
    let plugin = unsafe { plugin::<P>(state) };
    guard("report", || plugin.report().map(RString::from))
}

#[allow(unsafe_code)]
unsafe extern "C" fn shutdown<P: Plugin>(state: *mut c_void) -> RResult<(), RString> {
    // SAFETY: see `plugin`.
    let plugin = unsafe { plugin::<P>(state) };
    guard("shutdown", || plugin.shutdown())
}

#[allow(unsafe_code)]
unsafe extern "C" fn attach<P: Plugin>(
    state: *mut c_void,
    services: *const HostServices,
) -> RResult<(), RString> {
    // SAFETY: see `plugin`; a host calls `attach` with a table it made,
    // alive through the call.
    let (plugin, services) = unsafe { (plugin::<P>(state), &*services) };
    guard("attach", || plugin.attach(&Host::new(services)))
}

/// The constructor [`export_plugin!`](crate::export_plugin) puts in the root module: makes a `P`
/// from the config text, guarded against panics.
pub extern "C" fn construct<P: Plugin>(config: RStr<'_>) -> RResult<RawHandler, RString> {
    quiet_guarded_panics();
    guard("new", || {
        P::new(config.as_str()).map(|p| {
            let state = Box::into_raw(Box::new(p)).cast::<c_void>();
            RawHandler::new(state, &HooksOf::<P>::HOOKS)
        })
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
