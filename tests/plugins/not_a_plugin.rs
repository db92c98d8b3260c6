//! A shared library for netraf's tests that is not a plugin: it exports no root module.

/// Something for the library to contain.
pub fn answer() -> u32 {
    42
}
