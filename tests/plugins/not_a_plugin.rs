//! A shared library for netraf's tests that is not a plugin: it exports no root module.
#![deny(unsafe_code)]

/// Something for the library to contain.
pub fn answer() -> u32 {
    42
}
