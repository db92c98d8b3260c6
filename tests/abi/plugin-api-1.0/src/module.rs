//! The root module every plugin library exports (who it is, what it needs, how to make an instance), and the host's side of it: the version rule and [`PluginMod_Ref::instantiate`].
//!
//! The root module is checked by abi_stable when the library is loaded
//! (the layout of each field, and that the plugin-api major versions
//! match). Its fields are frozen for all of 1.x: whatever a minor release
//! adds goes into the hooks table or the packet, which carry their own
//! sizes, so that abi_stable never sees a 1.x root module differ from 1.0's.

use abi_stable::library::RootModule;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RResult, RStr, RString};
use abi_stable::{package_version_strings, StableAbi};

use crate::handler::{Handler, RawHandler};

/// This crate's ABI version: `MAJOR.MINOR` of its package version. A
/// plugin loads into a host of the same major version whose minor version
/// is at least what the plugin `requires` (see the crate's stability promise).
pub const ABI_VERSION: &str = abi_version(env!("CARGO_PKG_VERSION"));

/// `MAJOR.MINOR` of a `MAJOR.MINOR.PATCH` version string.
const fn abi_version(version: &'static str) -> &'static str {
    let bytes = version.as_bytes();
    let mut dots = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'.' {
            dots += 1;
            if dots == 2 {
                let (head, _) = bytes.split_at(i);
                return match core::str::from_utf8(head) {
                    Ok(s) => s,
                    Err(_) => version,
                };
            }
        }
        i += 1;
    }
    version
}

/// The root module of a plugin library.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = PluginMod_Ref)))]
pub struct PluginMod {
    /// The `MAJOR.MINOR` of the plugin-api the plugin was built against.
    pub abi_version: RStr<'static>,
    /// The least `MAJOR.MINOR` of plugin-api a host must have for the plugin
    /// to work: what it cannot do without; empty (the default of
    /// [`export_plugin!`](crate::export_plugin)'s `requires`) for nothing
    /// beyond the major version, which abi_stable checks.
    pub requires: RStr<'static>,
    /// The plugin's name, e.g. `count`.
    pub name: RStr<'static>,
    /// The plugin's own version.
    pub version: RStr<'static>,
    /// One line saying what the plugin does.
    pub description: RStr<'static>,
    /// Makes an instance from the plugin's `config` table (TOML text, possibly
    /// empty), or says in one line what is wrong with it. Called once per
    /// instance; may be called several times.
    #[sabi(last_prefix_field)]
    pub new: extern "C" fn(config: RStr<'_>) -> RResult<RawHandler, RString>,
}

impl RootModule for PluginMod_Ref {
    abi_stable::declare_root_module_statics! {PluginMod_Ref}
    const BASE_NAME: &'static str = "netraf_plugin";
    const NAME: &'static str = "netraf plugin";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

impl PluginMod_Ref {
    /// Whether this host can run the plugin: its `requires` has this host's
    /// major version and a minor version no later than this host's.
    ///
    /// # Errors
    /// One line naming both versions.
    pub fn check_requires(self) -> Result<(), String> {
        let requires = self.requires().as_str();
        let built = self.abi_version().as_str();
        if requires.is_empty() || version_met(requires, ABI_VERSION) {
            Ok(())
        } else {
            Err(format!(
                "needs plugin-api {requires} (built against {built}), and this host has \
                 plugin-api {ABI_VERSION}: use a netraf built with plugin-api {requires} or \
                 later, or a build of the plugin that requires {ABI_VERSION}"
            ))
        }
    }

    /// Makes an instance from `config` text.
    ///
    /// # Errors
    /// The plugin's own message (a panic in its constructor included).
    #[allow(unsafe_code)]
    pub fn instantiate(self, config: &str) -> Result<Handler, String> {
        match (self.new())(RStr::from_str(config)) {
            // SAFETY: the root module passed abi_stable's checks, so `new`
            // is a constructor `export_plugin!` made; abi_stable never
            // unloads a library it loaded.
            RResult::ROk(raw) => Ok(unsafe { Handler::from_raw(raw) }),
            RResult::RErr(message) => Err(message.into_string()),
        }
    }
}

/// `MAJOR.MINOR` of a version string (`"1.2"` or `"1.2.3"`): two decimal
/// numbers before the end or a dot.
const fn major_minor(version: &str) -> Option<(u32, u32)> {
    let bytes = version.as_bytes();
    let mut numbers = [0u32; 2];
    let mut which = 0;
    let mut digits = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'.' {
            if digits == 0 {
                return None;
            }
            if which == 1 {
                return Some((numbers[0], numbers[1]));
            }
            which += 1;
            digits = 0;
        } else if b.is_ascii_digit() && digits < 9 {
            numbers[which] = numbers[which] * 10 + (b - b'0') as u32;
            digits += 1;
        } else {
            return None;
        }
        i += 1;
    }
    if which == 1 && digits > 0 {
        Some((numbers[0], numbers[1]))
    } else {
        None
    }
}

/// Whether a host of plugin-api `host` meets a plugin's requirement
/// `requires`: the same major version, and a minor version at least the
/// required one. `export_plugin!` also checks at compile time that a
/// plugin's `requires` is met by the plugin-api it is built against.
pub const fn version_met(requires: &str, host: &str) -> bool {
    match (major_minor(requires), major_minor(host)) {
        (Some((rm, rn)), Some((hm, hn))) => rm == hm && rn <= hn,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abi_version_is_major_minor() {
        assert_eq!(abi_version("0.1.0"), "0.1");
        assert_eq!(abi_version("12.34.56-rc1"), "12.34");
        assert_eq!(abi_version("3"), "3");
        assert!(env!("CARGO_PKG_VERSION").starts_with(ABI_VERSION));
    }

    #[test]
    fn a_requirement_is_met_by_the_same_major_and_a_later_minor() {
        assert!(version_met("1.0", "1.0"));
        assert!(version_met("1.0", "1.3"));
        assert!(!version_met("1.2", "1.1"));
        assert!(!version_met("2.0", "1.9"));
        assert!(!version_met("1.0", "2.0"));
        assert!(!version_met("one", "1.0"));
        assert!(!version_met("1.", "1.0"));
        assert!(!version_met("1", "1.0"));
        assert!(version_met("1.2.3", "1.10"));
        assert!(!version_met("1.10", "1.9"));
        assert!(version_met(ABI_VERSION, ABI_VERSION));
    }
}
