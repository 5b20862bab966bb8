//! Two things the version decides at build time:
//! - the shared library's SONAME, `libcorsmatch.so.<major>.<minor>` on Linux (for 0.x, the minor
//!   version is the one that breaks compatibility), so that programs linked against one release
//!   are not loaded against an incompatible one;
//! - the versioned symbol `corsmatch_abi_<major>_<minor>_<patch>` (src/abi.rs), which the Go
//!   package references: a Go package and a static library of different versions fail to link,
//!   as daulet/tokenizers does it.
use std::env;
use std::fs;
use std::path::Path;

fn main() {
    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
    let minor = env::var("CARGO_PKG_VERSION_MINOR").unwrap();
    let patch = env::var("CARGO_PKG_VERSION_PATCH").unwrap();
    if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        let soname =
            if major == "0" { format!("libcorsmatch.so.0.{minor}") } else { format!("libcorsmatch.so.{major}") };
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
    }
    let symbol = format!("corsmatch_abi_{major}_{minor}_{patch}");
    let code = format!(
        "/// Present only in this version of the library: the Go package calls it, so that it\n\
         /// does not link against a library of another version. Returns 1.\n\
         #[no_mangle]\n\
         pub extern \"C\" fn {symbol}() -> u32 {{\n    1\n}}\n"
    );
    let out = Path::new(&env::var("OUT_DIR").unwrap()).join("abi.rs");
    fs::write(out, code).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
