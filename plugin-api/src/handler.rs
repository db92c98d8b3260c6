//! A plugin instance across the boundary: its state and a `#[repr(C)]` table of its hooks headed by the table's size, and [`Handler`], the host's safe hold on both.
//!
//! A minor release of plugin-api may add a hook at the end of [`Hooks`]
//! (with a default behaviour for plugins that lack it). A host reads the
//! size a plugin's build gave the table before calling a later hook: a
//! plugin built before that hook existed simply does not have it, and the
//! host does what the hook's documentation says a missing hook means.
//! abi_stable's layout check does not look into the table (it is opaque
//! to it): its size is the check.

use std::ffi::c_void;

use abi_stable::std_types::{RErr, ROk, RResult, RString};
use abi_stable::StableAbi;

use crate::metrics::{HostServices, MetricRegistry};
use crate::{Packet, ABI_VERSION};

/// What a plugin answers for a packet.
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Hand the packet to the next plugin of the chain.
    Continue = 0,
    /// Hide the packet from the plugins after this one (capture goes on).
    Stop = 1,
    /// The plugin's work is over and the run should end cleanly, e.g. the
    /// reader of its output went away (a closed pipe): the plugins after this
    /// one do not see this packet, the capture stops, every plugin is shut
    /// down and reports, and the host exits with status 0. Not an error: a
    /// failure is an `Err` from the hook.
    End = 2,
}

impl Verdict {
    /// The verdict numbered `n` across the boundary; `None` for a number a
    /// later plugin-api may give a meaning.
    #[inline]
    pub(crate) const fn from_number(n: u8) -> Option<Verdict> {
        match n {
            0 => Some(Verdict::Continue),
            1 => Some(Verdict::Stop),
            2 => Some(Verdict::End),
            _ => None,
        }
    }
}

/// The hooks of a plugin instance, laid out as the plugin's build of
/// plugin-api has them. Every hook takes the instance's state; every error
/// is a one-line message.
#[repr(C)]
pub struct Hooks {
    /// `size_of::<Hooks>()` in the plugin's build: the hooks past it are not there.
    pub(crate) size: usize,
    /// Drops the state.
    pub(crate) drop: unsafe extern "C" fn(state: *mut c_void),
    /// The packet; the verdict as its number.
    pub(crate) on_packet:
        unsafe extern "C" fn(state: *mut c_void, packet: *const Packet<'_>) -> RResult<u8, RString>,
    /// A tick, with the time in nanoseconds since the Unix epoch.
    pub(crate) on_tick:
        unsafe extern "C" fn(state: *mut c_void, now_ns: u64) -> RResult<(), RString>,
    /// The report so far, as JSON text.
    pub(crate) report: unsafe extern "C" fn(state: *mut c_void) -> RResult<RString, RString>,
    /// The end: flush and close.
    pub(crate) shutdown: unsafe extern "C" fn(state: *mut c_void) -> RResult<(), RString>,
    /// Since 1.1: the host's services, once after construction, before the
    /// first packet (a plugin registers its metrics). Missing: the plugin
    /// has no use for them.
    pub(crate) attach: unsafe extern "C" fn(
        state: *mut c_void,
        services: *const HostServices,
    ) -> RResult<(), RString>,
}

/// Whether a hooks table of `size` bytes holds the hook at `offset`.
const fn holds(size: usize, offset: usize) -> bool {
    size >= offset + std::mem::size_of::<usize>()
}

/// A plugin instance as its constructor hands it over: the state and the
/// plugin's static table of hooks.
#[repr(C)]
#[derive(StableAbi)]
pub struct RawHandler {
    /// The instance's state, owned by the plugin until `hooks.drop`.
    state: *mut c_void,
    /// The plugin's `Hooks`, opaque to abi_stable's checks.
    hooks: *const c_void,
}

impl RawHandler {
    /// The raw parts of an instance whose state `hooks` knows how to use.
    pub(crate) fn new(state: *mut c_void, hooks: &'static Hooks) -> RawHandler {
        RawHandler {
            state,
            hooks: std::ptr::from_ref(hooks).cast(),
        }
    }
}

/// A plugin instance, as a host (or the test kit) drives it: safe methods
/// over the plugin's hooks; dropping it drops the plugin's state.
pub struct Handler {
    state: *mut c_void,
    hooks: &'static Hooks,
}

// SAFETY: plugins are `Send` (the `Plugin` trait requires it), and a
// `Handler` is their only handle.
#[allow(unsafe_code)]
unsafe impl Send for Handler {}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler")
            .field("hooks_size", &self.hooks.size)
            .finish_non_exhaustive()
    }
}

#[allow(unsafe_code)]
impl Handler {
    /// Takes ownership of what a plugin's constructor returned.
    ///
    /// # Safety
    /// `raw` comes from a constructor made by `export_plugin!` (of any
    /// plugin-api 1.x), whose library stays loaded while the handler lives.
    pub(crate) unsafe fn from_raw(raw: RawHandler) -> Handler {
        // SAFETY: such a constructor puts a pointer to its `'static` hooks
        // table there; the library is never unloaded (the caller's promise).
        let hooks = unsafe { &*raw.hooks.cast::<Hooks>() };
        Handler {
            state: raw.state,
            hooks,
        }
    }

    /// Hands the plugin a packet.
    ///
    /// # Errors
    /// The plugin's one-line message, a caught panic included, or a verdict
    /// this host does not know.
    #[inline]
    pub fn on_packet(&mut self, packet: &Packet<'_>) -> Result<Verdict, String> {
        // SAFETY: the state is the one the hooks were made for (`from_raw`),
        // owned by this handler, and `packet` lives through the call.
        match unsafe { (self.hooks.on_packet)(self.state, packet) } {
            ROk(n) => Verdict::from_number(n).ok_or_else(|| {
                format!("answered verdict {n}, which this host's plugin-api {ABI_VERSION} does not know")
            }),
            RErr(message) => Err(message.into_string()),
        }
    }

    /// A tick at `now_ns`.
    ///
    /// # Errors
    /// The plugin's message.
    pub fn on_tick(&mut self, now_ns: u64) -> Result<(), String> {
        // SAFETY: as in `on_packet`.
        into_result(unsafe { (self.hooks.on_tick)(self.state, now_ns) })
    }

    /// The plugin's report so far (JSON text).
    ///
    /// # Errors
    /// The plugin's message.
    pub fn report(&mut self) -> Result<String, String> {
        // SAFETY: as in `on_packet`.
        into_result(unsafe { (self.hooks.report)(self.state) }).map(RString::into_string)
    }

    /// The end of the run: the plugin flushes and closes.
    ///
    /// # Errors
    /// The plugin's message.
    pub fn shutdown(&mut self) -> Result<(), String> {
        // SAFETY: as in `on_packet`.
        into_result(unsafe { (self.hooks.shutdown)(self.state) })
    }

    /// Hands the plugin the host's services (its metrics go to `registry`),
    /// once, before its first packet; `Ok(false)` for a plugin built before
    /// plugin-api 1.1, which has no such hook and is not called.
    ///
    /// # Errors
    /// The plugin's message (e.g. a metric the registry refused).
    pub fn attach(&mut self, registry: &dyn MetricRegistry) -> Result<bool, String> {
        if !holds(self.hooks.size, std::mem::offset_of!(Hooks, attach)) {
            return Ok(false);
        }
        HostServices::with(registry, |services| {
            // SAFETY: as in `on_packet`; the plugin's table holds `attach`
            // (its size says so), and `services` lives through the call.
            into_result(unsafe { (self.hooks.attach)(self.state, services) }).map(|()| true)
        })
    }

    /// The size of the plugin's hooks table, for messages about what it has.
    pub fn hooks_size(&self) -> usize {
        self.hooks.size
    }
}

impl Drop for Handler {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: the state is owned by this handler and dropped once, here.
        unsafe { (self.hooks.drop)(self.state) }
    }
}

/// An `RResult` as a `Result`, the message as a `String`.
fn into_result<T>(result: RResult<T, RString>) -> Result<T, String> {
    match result {
        ROk(value) => Ok(value),
        RErr(message) => Err(message.into_string()),
    }
}
