//! The root module every plugin library exports: who it is and how to make a handler.

use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RResult, RStr, RString};
use abi_stable::{package_version_strings, StableAbi};

use crate::HandlerBox;

/// The root module of a plugin library. A prefix type: later minor versions of
/// plugin-api may add fields after the last prefix field without breaking
/// plugins already built.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginMod_Ref)))]
pub struct PluginMod {
    /// The `MAJOR.MINOR` of the plugin-api the plugin was built against.
    pub abi_version: RStr<'static>,
    /// The plugin's name, e.g. `count`.
    pub name: RStr<'static>,
    /// The plugin's own version.
    pub version: RStr<'static>,
    /// One line saying what the plugin does.
    pub description: RStr<'static>,
    /// Makes a handler from the plugin's `config` table (TOML text, possibly
    /// empty), or says in one line what is wrong with it. Called once per
    /// instance; may be called several times.
    #[sabi(last_prefix_field)]
    pub new: extern "C" fn(config: RStr<'_>) -> RResult<HandlerBox, RString>,
}

impl RootModule for PluginMod_Ref {
    abi_stable::declare_root_module_statics! {PluginMod_Ref}
    const BASE_NAME: &'static str = "netraf_plugin";
    const NAME: &'static str = "netraf plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}
