//! Gives libmycap.so its soname, `libmycap.so.1`: programs linked with
//! `-lmycap` then ask for that name at run time, and a later incompatible
//! libmycap.so.2 can be installed beside it.

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmycap.so.1");
    println!("cargo:rerun-if-changed=build.rs");
}
