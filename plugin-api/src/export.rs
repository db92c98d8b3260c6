//! `export_plugin!`: a [`Plugin`](crate::Plugin) exported as the library's root module.
//!
//! The macro writes out what abi_stable's `#[export_root_module]` attribute
//! would expand to (the root module's constructor and the library header
//! the host looks up), naming abi_stable through this crate's hidden
//! re-export, so that a plugin depends on plugin-api alone and never on
//! abi_stable itself. A test below pins the exported symbol's name to
//! abi_stable's.

/// Exports a [`Plugin`](crate::Plugin) implementation as the library's root module.
///
/// ```ignore
/// plugin_api::export_plugin! {
///     plugin: MyPlugin,           // the type implementing `Plugin`
///     name: "my-plugin",          // shown by `netraf-host --list-plugins`
///     description: "one line saying what it does",
///     requires: "1.0",            // optional: the least plugin-api a host needs
/// }
/// ```
/// The plugin's version is its crate's `CARGO_PKG_VERSION`.
///
/// `requires` says which plugin-api a host must have at least for the
/// plugin to work; without it, nothing beyond the major version: the plugin
/// then loads into every 1.x host, and what its build knows of a later minor release (a packet
/// field, a hook) reads as absent, or is not called, in an older host. A
/// plugin that cannot work without a later addition says so here, and an
/// older host refuses it with one line naming both versions.
#[macro_export]
macro_rules! export_plugin {
    (plugin: $ty:ty, name: $name:expr, description: $description:expr $(,)?) => {
        $crate::export_plugin! {
            plugin: $ty,
            name: $name,
            description: $description,
            requires: "",
        }
    };
    (plugin: $ty:ty, name: $name:expr, description: $description:expr, requires: $requires:expr $(,)?) => {
        const _: () = assert!(
            $requires.is_empty() || $crate::__private::version_met($requires, $crate::ABI_VERSION),
            "export_plugin!: `requires` must be a MAJOR.MINOR that the plugin-api this plugin \
             is built against meets"
        );
        /// The plugin's root module, as the host loads it.
        pub fn netraf_plugin_root_module() -> $crate::PluginMod_Ref {
            use $crate::__private::abi_stable::prefix_type::PrefixTypeTrait;
            use $crate::__private::abi_stable::std_types::RStr;
            $crate::PluginMod {
                abi_version: RStr::from_str($crate::ABI_VERSION),
                requires: RStr::from_str($requires),
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

    #[test]
    fn exported_symbol_is_abi_stables_root_module_loader() {
        assert_eq!(
            abi_stable::library::ROOT_MODULE_LOADER_NAME,
            "_1as_0lib_1header_0root_bmodule_bloader"
        );
    }
}
